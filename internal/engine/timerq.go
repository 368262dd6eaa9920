package engine

import (
	"container/heap"
	"sync"
	"time"

	"github.com/openswf/openswf/internal/clock"
)

// timerKind says what a deadline belongs to.
type timerKind uint8

const (
	tActivityScheduleToStart timerKind = iota + 1
	tActivityScheduleToClose
	tActivityStartToClose
	tActivityHeartbeat
	tDecisionStartToClose
	tDecisionScheduleToStart
	tExecution
	tUserTimer
)

// deadline is an armed timeout. It names its target loosely (run, scheduled
// event, attempt); firing re-reads the state and does nothing when the
// target has moved on, so a stale deadline is harmless and never needs to
// be found and removed.
type deadline struct {
	at      time.Time
	kind    timerKind
	runID   string
	eventID int64  // activity or decision scheduled event; timer's started event
	nonce   uint64 // activity or decision attempt
}

// queued is a deadline as the heap holds it: 48 bytes instead of 64, the
// time as Unix nanoseconds. The heap holds one for every open activity
// with a timeout (and one per run for its execution timeout): a million
// at scale.
type queued struct {
	at      int64
	runID   string
	eventID int64
	nonce   uint64
	kind    timerKind
}

func queue(d deadline) queued {
	return queued{at: d.at.UnixNano(), runID: d.runID, eventID: d.eventID, nonce: d.nonce, kind: d.kind}
}

func (q queued) deadline() deadline {
	return deadline{at: time.Unix(0, q.at).UTC(), kind: q.kind, runID: q.runID, eventID: q.eventID, nonce: q.nonce}
}

// timerQueue keeps every armed deadline in a heap and one clock callback for
// the earliest. The deadlines themselves are derived from durable state
// (scheduled and started times, timeouts, heartbeat times) and rebuilt on
// start, so nothing here needs to be stored.
type timerQueue struct {
	clk  clock.Clock
	fire func([]deadline) // runs the due deadlines; returns when they are handled

	mu sync.Mutex // guards h, gone, armedAt, armed, closed, running
	h  deadlineHeap
	// gone holds runs that closed since the heap was last compacted:
	// their deadlines can only fire as no-ops, and one of them, the
	// execution's timeout, may be a year away. They are skipped when due,
	// refused when added, and dropped from the heap once there are many.
	gone    map[string]struct{}
	armed   clock.Timer
	armedAt time.Time
	running bool // fire is running; it re-arms when done
	started bool // start was called: until then deadlines are only collected
	closed  bool
	busy    sync.WaitGroup // counts runs in progress, so close can wait for them
}

func newTimerQueue(clk clock.Clock, fire func([]deadline)) *timerQueue {
	return &timerQueue{clk: clk, fire: fire, gone: map[string]struct{}{}}
}

func (q *timerQueue) add(d deadline) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if _, ok := q.gone[d.runID]; ok {
		return
	}
	heap.Push(&q.h, queue(d))
	if q.started && !q.running && (q.armed == nil || d.at.Before(q.armedAt)) {
		q.armLocked()
	}
}

// start arms the queue. The engine calls it once its state is loaded, so
// that a deadline that passed while the server was down cannot fire into
// a half-restored state.
func (q *timerQueue) start() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.started = true
	if !q.running {
		q.armLocked()
	}
}

// armLocked points the clock callback at the earliest deadline.
func (q *timerQueue) armLocked() {
	if q.closed || len(q.h) == 0 {
		return
	}
	if q.armed != nil {
		q.armed.Stop()
	}
	at := time.Unix(0, q.h[0].at).UTC()
	q.armedAt = at
	q.armed = q.clk.AfterFunc(at.Sub(q.clk.Now()), q.run)
}

// run takes every due deadline, hands them to fire, and repeats until none
// is due, then re-arms for the next.
func (q *timerQueue) run() {
	q.mu.Lock()
	if q.running || q.closed {
		q.mu.Unlock()
		return
	}
	q.running = true
	q.busy.Add(1)
	defer q.busy.Done()
	q.armed = nil
	for {
		now := q.clk.Now().UnixNano()
		var due []deadline
		for len(q.h) > 0 && q.h[0].at <= now {
			d := heap.Pop(&q.h).(queued)
			if _, ok := q.gone[d.runID]; !ok {
				due = append(due, d.deadline())
			}
		}
		if len(due) == 0 {
			break
		}
		q.mu.Unlock()
		q.fire(due)
		q.mu.Lock()
		if q.closed {
			break
		}
	}
	q.running = false
	q.armLocked()
	q.mu.Unlock()
}

// compactAt is how many closed runs wait in gone, at the least, before
// their deadlines are dropped from the heap: a compaction walks the whole
// heap, so it waits until at least a quarter of it is closed runs'
// (each has at least its execution timeout there). That keeps its cost
// per closed run constant, and short: a heap of 100,000 takes a few ms.
const compactAt = 1024

// forget drops the deadlines of a run that has closed.
func (q *timerQueue) forget(runID string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.gone[runID] = struct{}{}
	if len(q.gone) >= compactAt && len(q.gone) >= len(q.h)/4 {
		q.compactLocked()
	}
}

// compactLocked removes the deadlines of the runs in gone from the heap.
// The armed clock callback may now point at a removed deadline; it then
// finds nothing due and re-arms for the next.
func (q *timerQueue) compactLocked() {
	kept := q.h[:0]
	for _, d := range q.h {
		if _, ok := q.gone[d.runID]; !ok {
			kept = append(kept, d)
		}
	}
	clear(q.h[len(kept):]) // let the dropped run ids be collected
	q.h = kept
	heap.Init(&q.h)
	q.gone = map[string]struct{}{} // a new map: a cleared one keeps its size
}

// close stops the queue and waits for deadlines being handled, so nothing
// writes to the store after the engine is closed.
func (q *timerQueue) close() {
	q.mu.Lock()
	q.closed = true
	if q.armed != nil {
		q.armed.Stop()
	}
	q.mu.Unlock()
	q.busy.Wait()
}

func (q *timerQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.h)
}

type deadlineHeap []queued

func (h deadlineHeap) Len() int           { return len(h) }
func (h deadlineHeap) Less(i, j int) bool { return h[i].at < h[j].at }
func (h deadlineHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *deadlineHeap) Push(x any)        { *h = append(*h, x.(queued)) }
func (h *deadlineHeap) Pop() any {
	old := *h
	d := old[len(old)-1]
	*h = old[:len(old)-1]
	return d
}
