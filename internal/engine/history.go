package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"

	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/store"
)

// The history cache keeps the events of open runs in memory as the JSON
// the wire sends (and the store holds), so that a decision poll, and a
// history read of an open run, is answered without a store read and
// without decoding and encoding each event (docs/decisions.md, "Open runs'
// histories in memory").
//
// A run's cache starts with its first event and follows every event the
// engine records for it; it only ever holds a run's whole history, so a
// page is answered from it or from the store, never from both. The cache
// serves an event only once the change that recorded it is durable (the
// durable mark), the same rule as every answer. All caches share one
// budget of bytes: past it, the caches of the oldest runs are dropped, and
// a run whose history alone would take more than a sixteenth of the budget
// drops its own, so one huge history cannot push every other run out again
// and again. A dropped cache is never rebuilt: that run reads the store
// from then on. A run restored from the store, at start or with a shard
// taken over, is given its cache once, at its first read (warmHistory).

// eventOverhead is what the cache counts per event beyond its bytes: the
// slice header that holds them. runOverhead is a runHistory's own size.
const (
	eventOverhead = 24
	runOverhead   = 128
)

// histories is the engine's history cache: the budget and, oldest first,
// the runs whose history it holds.
type histories struct {
	budget int64 // bytes; 0: nothing is cached
	used   atomic.Int64

	mu         sync.Mutex // guards the list; taken before a runHistory's mu
	head, tail *runHistory
}

// runHistory is the cached history of one open run.
type runHistory struct {
	owner *execState // whose hist points here while cached

	mu      sync.Mutex        // a leaf lock
	events  []json.RawMessage // events[i] is event id i+1
	size    int64             // bytes counted against the budget
	durable int64             // the last event id known durable
	off     bool              // dropped: the run reads the store

	prev, next *runHistory // in the list (histories.mu)
}

func newHistories(budget int64) *histories { return &histories{budget: budget} }

// start gives the new run x an empty cache, unless caching is off, and
// returns it.
func (h *histories) start(x *execState) *runHistory {
	if h.budget <= 0 {
		return nil
	}
	r := &runHistory{owner: x, size: runOverhead}
	h.used.Add(runOverhead)
	x.hist.Store(r)
	h.mu.Lock()
	r.prev = h.tail
	if h.tail != nil {
		h.tail.next = r
	} else {
		h.head = r
	}
	h.tail = r
	h.mu.Unlock()
	return r
}

// add appends event id, encoded as b, to r; an event out of order (which
// would be a bug) drops the cache rather than serve a wrong history.
func (h *histories) add(r *runHistory, id int64, b []byte) {
	r.mu.Lock()
	if r.off {
		r.mu.Unlock()
		return
	}
	if id != int64(len(r.events))+1 {
		r.mu.Unlock()
		h.drop(r)
		return
	}
	n := int64(cap(b)) + eventOverhead
	r.events = append(r.events, b)
	r.size += n
	tooBig := r.size > h.budget/16
	r.mu.Unlock()
	// Counted before any drop, which takes r.size, n included, back off.
	used := h.used.Add(n)
	if tooBig {
		h.drop(r)
		return
	}
	if used > h.budget {
		h.evict()
	}
}

// markDurable records that r's events up to id are durable.
func (r *runHistory) markDurable(id int64) {
	r.mu.Lock()
	r.durable = max(r.durable, id)
	r.mu.Unlock()
}

// drop forgets r's events: its run reads the store from now on.
func (h *histories) drop(r *runHistory) {
	h.mu.Lock()
	h.dropLocked(r)
	h.mu.Unlock()
}

func (h *histories) dropLocked(r *runHistory) {
	r.mu.Lock()
	if r.off {
		r.mu.Unlock()
		return
	}
	r.off = true
	freed := r.size
	r.events, r.size = nil, 0
	r.mu.Unlock()
	r.owner.hist.CompareAndSwap(r, nil)
	if r.prev != nil {
		r.prev.next = r.next
	} else {
		h.head = r.next
	}
	if r.next != nil {
		r.next.prev = r.prev
	} else {
		h.tail = r.prev
	}
	r.prev, r.next, r.owner = nil, nil, nil
	h.used.Add(-freed)
}

// evict drops the oldest runs' caches until the cache is an eighth under
// its budget, so that it does not evict again at the next event.
func (h *histories) evict() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for h.head != nil && h.used.Load() > h.budget-h.budget/8 {
		h.dropLocked(h.head)
	}
}

// page answers p from r, as the store would answer it once every event up
// to the durable mark is written; ok is false when r holds nothing (its
// cache was dropped).
func (r *runHistory) page(p *store.EventsParams) (out shape.RawEvents, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.off {
		return nil, false
	}
	n := min(int64(len(r.events)), r.durable)  // events 1..n may be served
	from, to, step := p.AfterID+1, n, int64(1) // ids, inclusive
	if p.UpTo > 0 {
		to = min(to, p.UpTo)
	}
	if p.Reverse {
		from, to, step = n, 1, -1
		if p.BeforeID > 0 {
			from = min(from, p.BeforeID-1)
		}
	}
	count := (to-from)*step + 1
	if p.Limit > 0 {
		count = min(count, int64(p.Limit))
	}
	out = make(shape.RawEvents, max(count, 0))
	for i := range out {
		out[i] = r.events[from+int64(i)*step-1]
	}
	return out, true
}

// histMark is a cached history and the last event a change added to it.
type histMark struct {
	r  *runHistory
	id int64
}

// encodeEvents encodes each event of the change once, with the generated
// encoder (the bytes json.Marshal gives, without its reflection): the
// store writes these bytes (RunEvent.Data) and the run's cache keeps the
// same ones. A run that closes with this change drops its cache: closed
// runs read the store.
func (t *txn) encodeEvents() {
	var buf []byte
	for i := range t.c.Events {
		ev := &t.c.Events[i]
		// Encoded into one buffer, then copied at its size: the cache
		// keeps these bytes, and an append-grown slice would hold up to
		// twice as much.
		buf = shape.AppendHistoryEvent(buf[:0], ev.Event)
		b := bytes.Clone(buf)
		ev.Data = b
		r := t.runOf(ev.RunID).hist.Load()
		if r == nil {
			continue
		}
		t.eng.hist.add(r, ev.Event.EventId, b)
		if n := len(t.cached); n > 0 && t.cached[n-1].r == r {
			t.cached[n-1].id = ev.Event.EventId
		} else {
			t.cached = append(t.cached, histMark{r, ev.Event.EventId})
		}
	}
	if r := t.x.hist.Load(); r != nil && t.x.closed {
		t.eng.hist.drop(r)
	}
}

// runOf is the run of the change named runID: t's own or one merged in.
func (t *txn) runOf(runID string) *execState {
	for _, o := range t.others {
		if o.e.Info.Execution.RunId == runID {
			return o
		}
	}
	return t.x
}

// warmAtMost is the longest history warmHistory reads: a longer one would
// take most of its run's share of the cache, and is read a page at a time.
const warmAtMost = 5000

// warmHistory gives a run restored from the store (at start, or with a
// shard taken from another node) the cache that a run started here has,
// so that its decision polls too are answered from memory from now on.
// It reads the whole history from the store without holding the run,
// then installs it only if, with the run held, no change of the run is on
// its way to disk and the history read is the whole of it: every event
// read is then durable, and every later event is added as it is
// recorded. It reports whether the run has a cache now; one that could
// not be warmed yet (a change was in flight) is tried at its next read.
func (e *Engine) warmHistory(ctx context.Context, x *execState) bool {
	if !x.warm.Load() {
		return false
	}
	x.mu.Lock()
	last, runID := x.e.NextEventID-1, x.e.Info.Execution.RunId
	x.mu.Unlock()
	if last > warmAtMost {
		x.warm.Store(false)
		return false
	}
	events, err := e.st.RawEvents(ctx, &store.EventsParams{RunID: runID, Limit: int(last) + 1})
	if err != nil {
		return false
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.warm.Load() || x.closed || x.dropped || x.hist.Load() != nil ||
		x.unsettled.Load() != 0 || x.e.NextEventID-1 != int64(len(events)) {
		return false
	}
	x.warm.Store(false)
	r := e.hist.start(x)
	if r == nil {
		return false
	}
	for i, b := range events {
		e.hist.add(r, int64(i+1), b)
	}
	r.markDurable(int64(len(events)))
	return x.hist.Load() == r // add drops a history too large to keep
}

// cachedEvents answers p from the run's history cache, if it holds it.
func (e *Engine) cachedEvents(p *store.EventsParams) (shape.RawEvents, bool) {
	x := e.openState(p.RunID)
	if x == nil {
		return nil, false
	}
	r := x.hist.Load()
	if r == nil {
		return nil, false
	}
	return r.page(p)
}
