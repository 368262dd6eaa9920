package wire

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/swf"
)

// errTooLarge reports a body over the request limit.
var errTooLarge = errors.New("request body too large")

// readBody reads the whole body, at most limit bytes. A Content-Length over
// the limit is refused before anything is read. A gzip body
// (Content-Encoding: gzip) is inflated, and the limit applies to both the
// compressed and the inflated size so that a small bomb cannot grow past
// it. Other encodings are ignored: the body is read as is.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, errTooLarge
	}
	var body io.Reader = http.MaxBytesReader(w, r.Body, limit)
	if strings.EqualFold(strings.TrimSpace(r.Header.Get("Content-Encoding")), "gzip") {
		zr, err := gzip.NewReader(body)
		if err != nil {
			return nil, tooLargeOr(err, "gzip")
		}
		defer zr.Close()
		body = io.LimitReader(zr, limit+1)
	}
	data, err := io.ReadAll(body)
	if err != nil {
		return nil, tooLargeOr(err, "read")
	}
	if int64(len(data)) > limit {
		return nil, errTooLarge
	}
	return data, nil
}

func tooLargeOr(err error, what string) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errTooLarge
	}
	return fmt.Errorf("%s: %w", what, err)
}

// fault answers the named fault with its __type and status from the table.
func (h *Handler) fault(ex *exchange, name, message string) {
	k, ok := faults[name]
	if !ok {
		// Only reachable through a typo in this package: the engine's
		// unknown names go through internal first.
		name, k = swf.InternalFailure, faults[swf.InternalFailure]
	}
	h.writeError(ex, k.Status, k.Type, name, message)
}

func (h *Handler) writeError(ex *exchange, status int, typ, name, message string) {
	ex.fault = name
	body, err := json.Marshal(errorBody{Type: typ, Message: message})
	if err != nil {
		// A struct of two strings always encodes; keep the answer valid anyway.
		body = []byte(`{"__type":"` + serviceNS + swf.InternalFailure + `"}`)
	}
	h.write(ex, status, body)
}

// emptyPoll is what a long poll answers when no task came: no taskToken at
// all (clients test for its absence) and a zero startedEventId, as AWS does.
var emptyPoll = map[string][]byte{
	"PollForActivityTask": []byte(`{"startedEventId":0}`),
	"PollForDecisionTask": []byte(`{"previousStartedEventId":0,"startedEventId":0}`),
}

// writeOutput answers 200 with out encoded. An operation without output
// answers an empty body, as AWS does (Content-Length: 0); a nil output of
// one that has an output answers {} (or the empty-poll answer for a poll
// that got no task).
func (h *Handler) writeOutput(ex *exchange, out any) {
	body := []byte("{}")
	if shape.Operations[ex.op].Output == "" {
		body = nil
	}
	if b, ok := emptyPoll[ex.op]; ok && out == nil {
		body = b
	}
	if out != nil {
		buf := outputBufs.Get().(*[]byte)
		defer putOutputBuf(buf)
		b, err := shape.EncodeOutput((*buf)[:0], out)
		*buf = b
		if err != nil {
			h.internal(ex, fmt.Errorf("encode %s output: %w", ex.op, err))
			return
		}
		body = b
	}
	h.write(ex, http.StatusOK, body)
}

// outputBufs holds the buffers answers are encoded into: the body is
// copied into the connection's writer before write returns, so the buffer
// serves the next answer instead of becoming garbage.
var outputBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// maxPooledOutput keeps the rare large answer (a history page) from
// pinning its buffer in the pool.
const maxPooledOutput = 64 << 10

func putOutputBuf(b *[]byte) {
	if cap(*b) <= maxPooledOutput {
		outputBufs.Put(b)
	}
}

func (h *Handler) write(ex *exchange, status int, body []byte) {
	ex.status = status
	ex.w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	ex.w.WriteHeader(status)
	if _, err := ex.w.Write(body); err != nil {
		// The client went away; nothing else can be told to it.
		h.log.Debug("write answer", "request_id", ex.id, "op", ex.op, "err", err)
	}
}
