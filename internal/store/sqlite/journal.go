package sqlite

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/openswf/openswf/internal/store"
)

// The heartbeat journal.
//
// A heartbeat's only durable effect is its activity's progress (when, and
// the details), and heartbeats are the hottest call: through SQLite each
// one costs a B-tree update, a transaction and WAL frames before its
// flush. A change made only of heartbeats is therefore appended to a
// journal of its own instead: a file of small checksummed records, one
// write and one flush (fdatasync) for every batch of heartbeats that
// arrived during the last flush. The flusher goroutine writes the batches,
// except that a caller waiting alone (no flush under way, no one else
// pending) writes and flushes its own in its goroutine, sparing the two
// thread wake-ups of a hand-off. A heartbeat is answered only once its
// record is flushed, exactly like a change through SQLite.
//
// The journal is a series of segment files (heartbeats-NNNNNNNNNNNN.log in
// the data directory). When the one being written passes segmentBytes,
// the next one is started and the full one is checkpointed: the last
// heartbeat of each activity it holds is written into SQLite by the
// writer (an ordinary change, durable before the segment is deleted). At
// open, before anything else reads the database, every segment left by
// the previous process is checkpointed the same way, in order, so SQLite
// alone holds the state from then on (Load is unchanged); a clean Close
// checkpoints the last one too, so a data directory at rest holds no
// journal.
//
// Heartbeats and the other changes of an activity never compete for the
// same columns: other changes write the activity's data, heartbeats only
// hb_at and hb_details, and an activity's key (run id, scheduled event id)
// is never reused, so applying a journal's heartbeats after changes that
// were written later is harmless: a closed activity's row is gone and its
// heartbeats update nothing.

// segmentBytes is how large a segment grows before the next one starts.
// Larger segments let more heartbeats of one activity collapse into one
// row update at their checkpoint; a restart reads at most a few of them.
const segmentBytes = 8 << 20

// journal appends heartbeat records and flushes them in batches.
type journal struct {
	dir  string
	sync dataSyncer // the flusher's: parks the goroutine (AIO)
	here dataSyncer // a lone caller's, in its own goroutine (blocking)
	s    *Store     // the store its checkpoints write through

	mu       sync.Mutex
	pending  []*jrequest  // appended and waiting for the next write
	drains   []chan error // Load's requests for everything to be in SQLite
	closed   bool
	flushing bool          // someone holds the turn (see turn)
	work     chan struct{} // wakes the flusher (capacity 1)
	done     chan struct{} // closed when the flusher has stopped

	// The state of whoever holds the turn: the flusher goroutine, or a
	// caller waiting in wait.
	limit int64 // segmentBytes; tests make it small
	alone bool  // the turn is a lone caller's (datasync)
	f     *os.File
	seg   uint64 // number of f's segment
	size  int64
	buf   []byte
	batch []*jrequest

	checkpoints chan ckJob // full segments, in order, for the checkpointer
	ckDone      chan struct{}
}

// ckJob is a full segment to checkpoint (seg 0: none), and whom to tell
// once it and every segment before it are in SQLite.
type ckJob struct {
	seg  uint64
	tell []chan error
}

// jrequest is one heartbeat change waiting for its flush.
type jrequest struct {
	hbs []store.Heartbeat
	err chan error
}

var journalCRC = crc32.MakeTable(crc32.Castagnoli)

func segmentName(seg uint64) string { return fmt.Sprintf("heartbeats-%012d.log", seg) }

// segments lists the journal's segment numbers in dir, in order.
func segments(dir string) ([]uint64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var segs []uint64
	for _, e := range entries {
		name, ok := strings.CutPrefix(e.Name(), "heartbeats-")
		if !ok {
			continue
		}
		name, ok = strings.CutSuffix(name, ".log")
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(name, 10, 64)
		if err != nil {
			continue
		}
		segs = append(segs, n)
	}
	slices.Sort(segs)
	return segs, nil
}

// openJournal checkpoints what an earlier process left in dir and starts a
// new segment after it.
func openJournal(dir string, s *Store) (*journal, error) {
	segs, err := segments(dir)
	if err != nil {
		return nil, fmt.Errorf("heartbeat journal: %w", err)
	}
	next := uint64(1)
	for i, seg := range segs {
		// Only the last segment can end in a torn record: every earlier
		// one was complete and flushed before the next was started.
		if err := s.checkpoint(dir, seg, i == len(segs)-1); err != nil {
			return nil, err
		}
		next = seg + 1
	}
	j := &journal{dir: dir, sync: newDataSyncer(dir), here: blockingSyncer{reason: "a lone caller's flush"}, s: s, limit: segmentBytes, work: make(chan struct{}, 1), done: make(chan struct{}),
		checkpoints: make(chan ckJob, 64), ckDone: make(chan struct{})}
	if err := j.start(next); err != nil {
		j.sync.close()
		return nil, err
	}
	go j.flusher()
	go j.checkpointer()
	return j, nil
}

// start creates segment seg and makes its name durable.
func (j *journal) start(seg uint64) error {
	f, err := os.OpenFile(filepath.Join(j.dir, segmentName(seg)), os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("heartbeat journal: %w", err)
	}
	if err := syncDir(j.dir); err != nil {
		f.Close()
		return fmt.Errorf("heartbeat journal: %w", err)
	}
	j.f, j.seg, j.size = f, seg, 0
	return nil
}

// submit queues hbs; the channel yields nil once they are durable.
func (j *journal) submit(hbs []store.Heartbeat) <-chan error {
	r := &jrequest{hbs: hbs, err: make(chan error, 1)}
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		r.err <- errors.New("store is closed")
		return r.err
	}
	j.pending = append(j.pending, r)
	j.mu.Unlock()
	j.wake()
	return r.err
}

// flusher writes and flushes whatever is pending, batch after batch,
// when no waiting caller does it first (wait). One flusher, not two as
// for the WAL: two journal flushes under way at once (each through its
// own descriptor) measured 10–20% fewer heartbeats a second and higher
// latency at 1 and 16 clients, the kernel serialising flushes of one file
// anyway.
func (j *journal) flusher() {
	defer close(j.done)
	for range j.work {
		if j.turn(false) {
			return
		}
	}
}

// turn writes and flushes everything pending, and serves Load's drains,
// unless someone else holds the turn (alone: the caller is a lone waiter,
// see datasync). It reports whether the journal was closed when it began
// (the flusher then stops). Whoever holds the turn hands what arrived
// meanwhile to the flusher.
func (j *journal) turn(alone bool) (closing bool) {
	j.mu.Lock()
	if j.flushing {
		j.mu.Unlock()
		return false
	}
	j.flushing, j.alone = true, alone
	j.batch, j.pending = j.pending, j.batch[:0]
	drains := j.drains
	j.drains = nil
	closing = j.closed
	j.mu.Unlock()
	if len(j.batch) > 0 {
		err := j.flush(j.batch)
		for _, r := range j.batch {
			r.err <- err
		}
		clear(j.batch)
	}
	if len(drains) > 0 {
		j.drain(drains)
	}
	j.mu.Lock()
	j.flushing = false
	again := len(j.pending) > 0 || len(j.drains) > 0 || j.closed
	j.mu.Unlock()
	if again {
		j.wake()
	}
	return closing
}

// wait returns what done yields (done is submit's). When no flush is
// under way the caller does the next one itself, in its own goroutine,
// rather than wake the flusher and be woken by it: with few callers those
// two hand-offs between threads cost more than the flush (leader and
// followers: callers arriving during the flush wait for the next one).
func (j *journal) wait(done <-chan error) error {
	select {
	case err := <-done:
		return err
	default:
	}
	j.mu.Lock()
	lead := !j.flushing && len(j.pending) == 1
	j.mu.Unlock()
	if lead {
		j.turn(true)
	}
	return <-done
}

// wake tells the flusher there is work.
func (j *journal) wake() {
	select {
	case j.work <- struct{}{}:
	default: // the flusher is already told
	}
}

// drain starts a new segment, unless this one is empty, and has the
// checkpointer tell drains once everything before it is in SQLite.
func (j *journal) drain(drains []chan error) {
	job := ckJob{tell: drains}
	if j.size > 0 {
		full := j.seg
		if err := j.rotate(); err != nil {
			j.s.failFlush(err)
			for _, d := range drains {
				d <- err
			}
			return
		}
		job.seg = full
	}
	j.checkpoints <- job
}

// checkpointNow returns once every heartbeat answered so far is in SQLite
// (Load reads SQLite alone).
func (j *journal) checkpointNow() error {
	done := make(chan error, 1)
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return nil
	}
	j.drains = append(j.drains, done)
	j.mu.Unlock()
	j.wake()
	return <-done
}

// flush writes the batch's records and flushes them, then starts the next
// segment if this one is full.
func (j *journal) flush(batch []*jrequest) error {
	if err := j.s.failure(); err != nil {
		return j.s.refused(err)
	}
	j.buf = j.buf[:0]
	for _, r := range batch {
		for _, h := range r.hbs {
			j.buf = appendRecord(j.buf, h)
		}
	}
	start := time.Now()
	err := j.write(j.buf)
	if err != nil {
		err = fmt.Errorf("heartbeat journal: %w", err)
		j.s.failFlush(err)
		return err
	}
	if o := j.s.observer(); o != nil {
		o.Flushed(time.Since(start))
		o.BatchCommitted(len(batch), time.Since(start))
	}
	if j.size >= j.limit {
		full := j.seg
		if err := j.rotate(); err != nil {
			// The batch is durable; later ones will fail on the store's
			// failure.
			j.s.failFlush(err)
			return nil
		}
		j.checkpoints <- ckJob{seg: full}
	}
	return nil
}

func (j *journal) write(b []byte) error {
	if j.s.fault != nil {
		if err := j.s.fault(stepCommit); err != nil {
			return err
		}
	}
	n, err := j.f.Write(b)
	j.size += int64(n)
	if err != nil {
		return err
	}
	if err := j.datasync(); err != nil {
		return err
	}
	if j.s.fault != nil {
		return j.s.fault(stepFlush)
	}
	return nil
}

// datasync flushes the segment: with a blocking fdatasync when a caller
// flushes alone in its own goroutine (nothing else is waiting, so the P it
// holds meanwhile is not missed, and no thread must be woken on the flush's
// completion), else through the syncer (AIO: the flusher parks and its P
// serves others).
func (j *journal) datasync() error {
	if j.alone {
		return j.here.datasync(j.f)
	}
	return j.sync.datasync(j.f)
}

// rotate closes the full segment (every record of it is flushed) and
// starts the next.
func (j *journal) rotate() error {
	if err := j.f.Close(); err != nil {
		return fmt.Errorf("heartbeat journal: close segment: %w", err)
	}
	return j.start(j.seg + 1)
}

// checkpointer writes full segments into SQLite, in order, and deletes
// them.
func (j *journal) checkpointer() {
	defer close(j.ckDone)
	var failed error
	for job := range j.checkpoints {
		if job.seg != 0 && failed == nil {
			if failed = j.s.checkpoint(j.dir, job.seg, false); failed != nil {
				j.s.log.Error("heartbeat journal: checkpoint failed", "segment", segmentName(job.seg), "err", failed)
				j.s.failFlush(failed)
			}
		}
		for _, t := range job.tell {
			t <- failed
		}
	}
}

// close stops the flusher after the pending heartbeats are answered,
// waits for the checkpoints under way, and checkpoints the last segment,
// so that a database at rest holds every heartbeat. It runs before the
// SQLite writer stops.
func (j *journal) close() error {
	j.mu.Lock()
	j.closed = true
	j.mu.Unlock()
	j.wake()
	<-j.done
	close(j.checkpoints)
	<-j.ckDone
	defer j.sync.close()
	if err := j.f.Close(); err != nil {
		return err
	}
	if j.s.failure() != nil {
		return nil // the next start checkpoints what is there
	}
	return j.s.checkpoint(j.dir, j.seg, false)
}

// A record: uvarint payload length, CRC-32C of the payload (4 bytes, little
// endian), then the payload: the run id (uvarint length and bytes), the
// scheduled event id (uvarint), the time (varint Unix nanoseconds), and
// the details (0 for none; else 1, uvarint length and bytes).
func appendRecord(b []byte, h store.Heartbeat) []byte {
	var p [16]byte
	payload := len(h.RunID) + 3*binary.MaxVarintLen64 + 1
	if h.Details != nil {
		payload += binary.MaxVarintLen64 + len(*h.Details)
	}
	b = slices.Grow(b, binary.MaxVarintLen64+4+payload)
	// Reserve the header's room for the largest length, then move the
	// payload up if the length took fewer bytes.
	head := len(b)
	b = append(b, p[:binary.MaxVarintLen64+4]...)
	body := len(b)
	b = binary.AppendUvarint(b, uint64(len(h.RunID)))
	b = append(b, h.RunID...)
	b = binary.AppendUvarint(b, uint64(h.ScheduledEventID))
	b = binary.AppendVarint(b, h.At.UnixNano())
	if h.Details == nil {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = binary.AppendUvarint(b, uint64(len(*h.Details)))
		b = append(b, *h.Details...)
	}
	n := len(b) - body
	hdr := binary.AppendUvarint(p[:0], uint64(n))
	hdr = binary.LittleEndian.AppendUint32(hdr, crc32.Checksum(b[body:], journalCRC))
	copy(b[head:], hdr)
	copy(b[head+len(hdr):], b[body:])
	return b[:head+len(hdr)+n]
}

// errTorn is a record cut short or damaged: the end of what was flushed.
var errTorn = errors.New("torn record")

// readRecord reads one record; io.EOF at a clean end, errTorn for a record
// cut short or failing its checksum.
func readRecord(r *bufio.Reader) (store.Heartbeat, error) {
	var h store.Heartbeat
	n, err := binary.ReadUvarint(r)
	if err == io.EOF {
		return h, io.EOF
	}
	if err != nil || n > 1<<20 {
		return h, errTorn
	}
	var sum [4]byte
	if _, err := io.ReadFull(r, sum[:]); err != nil {
		return h, errTorn
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(r, p); err != nil {
		return h, errTorn
	}
	if crc32.Checksum(p, journalCRC) != binary.LittleEndian.Uint32(sum[:]) {
		return h, errTorn
	}
	return decodePayload(p)
}

func decodePayload(p []byte) (store.Heartbeat, error) {
	var h store.Heartbeat
	l, k := binary.Uvarint(p)
	if k <= 0 || uint64(len(p)-k) < l {
		return h, errTorn
	}
	h.RunID, p = string(p[k:k+int(l)]), p[k+int(l):]
	id, k := binary.Uvarint(p)
	if k <= 0 {
		return h, errTorn
	}
	h.ScheduledEventID, p = int64(id), p[k:]
	at, k := binary.Varint(p)
	if k <= 0 || len(p) == k {
		return h, errTorn
	}
	h.At, p = time.Unix(0, at).UTC(), p[k:]
	if p[0] == 0 {
		if len(p) != 1 {
			return h, errTorn
		}
		return h, nil
	}
	l, k = binary.Uvarint(p[1:])
	if k <= 0 || uint64(len(p)-1-k) != l {
		return h, errTorn
	}
	d := string(p[1+k:])
	h.Details = &d
	return h, nil
}

// readSegment returns the last heartbeat of each activity in a segment.
// A torn record ends a last segment (its writer died while writing it,
// before flushing it, so nobody was told it was durable); in a segment
// followed by another it means the file was damaged.
func readSegment(path string, last bool) ([]store.Heartbeat, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	latest := map[store.ActivityKey]int{}
	var out []store.Heartbeat
	r := bufio.NewReaderSize(f, 64<<10)
	for {
		h, err := readRecord(r)
		if err == io.EOF {
			break
		}
		if errors.Is(err, errTorn) {
			if last {
				break
			}
			return nil, fmt.Errorf("segment %s is damaged: a record before its end fails its checksum, so heartbeats answered before it may be lost; move the file away to start without them", path)
		}
		k := store.ActivityKey{RunID: h.RunID, ScheduledEventID: h.ScheduledEventID}
		if i, ok := latest[k]; ok {
			out[i] = h
			continue
		}
		latest[k] = len(out)
		out = append(out, h)
	}
	return out, nil
}

// checkpoint writes a segment's heartbeats into SQLite through the writer
// and, once that is durable, deletes the segment.
func (s *Store) checkpoint(dir string, seg uint64, last bool) error {
	path := filepath.Join(dir, segmentName(seg))
	hbs, err := readSegment(path, last)
	if err != nil {
		return fmt.Errorf("heartbeat journal: %w", err)
	}
	for len(hbs) > 0 {
		n := min(len(hbs), 4096) // bounded transactions: others' changes wait for each
		if err := s.submitSQL(&store.Change{Heartbeats: hbs[:n]}); err != nil {
			return fmt.Errorf("heartbeat journal: checkpoint %s: %w", segmentName(seg), err)
		}
		hbs = hbs[n:]
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("heartbeat journal: %w", err)
	}
	return syncDir(dir)
}

// syncDir makes the creation or removal of a file in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
