package bench

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
)

// flushFloor is the floor under any server that answers a call only once
// its effect is on disk: the plain server, except that each answer waits
// until a 60-byte record of the call is appended to a file and flushed
// (fdatasync), as our heartbeat journal does. Calls arriving during a
// flush share the next one (group commit: a caller finding no flush under
// way flushes everything written so far). No decoding, no state: the
// distance from plain to it is what durability costs on this disk,
// wake-ups included, and the distance from it to our server is ours.
type flushFloor struct {
	wmu     sync.Mutex // appends
	f       *os.File
	written uint64 // records appended

	fmu     sync.Mutex // flushes
	flushed uint64     // records known durable
}

// newFlushFloor opens its file in dir.
func newFlushFloor(dir string) (*flushFloor, error) {
	f, err := os.OpenFile(filepath.Join(dir, "flush-floor.log"), os.O_CREATE|os.O_TRUNC|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	return &flushFloor{f: f}, nil
}

var floorRecord = make([]byte, 60)

// commit appends a record and returns once it is flushed.
func (fl *flushFloor) commit() error {
	fl.wmu.Lock()
	_, err := fl.f.Write(floorRecord)
	fl.written++
	mine := fl.written
	fl.wmu.Unlock()
	if err != nil {
		return err
	}
	fl.fmu.Lock()
	defer fl.fmu.Unlock()
	if fl.flushed >= mine {
		return nil // a flush begun after our write covered it
	}
	fl.wmu.Lock()
	upto := fl.written
	fl.wmu.Unlock()
	if err := datasync(fl.f); err != nil {
		return err
	}
	fl.flushed = upto
	return nil
}

func (fl *flushFloor) close() error { return fl.f.Close() }

// ServeHTTP answers as plainHandler does, once the call is durable.
func (fl *flushFloor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	if err := fl.commit(); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.0")
	h.Set("x-amzn-RequestId", "00000000-0000-0000-0000-000000000000")
	h.Set("Content-Length", strconv.Itoa(len(plainAnswer)))
	w.Write(plainAnswer)
}
