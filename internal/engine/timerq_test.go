package engine

import (
	"container/heap"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/openswf/openswf/internal/clock"
)

func TestTimerQueueFiresInOrderOnce(t *testing.T) {
	t.Parallel()
	start := time.Unix(1000, 0)
	clk := clock.NewFake(start)
	var mu sync.Mutex
	var fired []string
	q := newTimerQueue(clk, func(ds []deadline) {
		mu.Lock()
		defer mu.Unlock()
		for _, d := range ds {
			fired = append(fired, d.runID)
		}
	})
	q.start()
	q.add(deadline{at: start.Add(3 * time.Second), runID: "c"})
	q.add(deadline{at: start.Add(1 * time.Second), runID: "a"})
	q.add(deadline{at: start.Add(2 * time.Second), runID: "b"})
	clk.Advance(1500 * time.Millisecond)
	clk.Advance(10 * time.Second)
	clk.Advance(10 * time.Second)
	mu.Lock()
	defer mu.Unlock()
	if len(fired) != 3 || fired[0] != "a" || fired[1] != "b" || fired[2] != "c" {
		t.Fatalf("got %v, want [a b c]", fired)
	}
	if q.len() != 0 {
		t.Fatalf("got %d deadlines left, want 0", q.len())
	}
}

// A deadline added while the queue is firing (a re-armed heartbeat, say)
// fires when due, in the same Advance if it falls inside it.
func TestTimerQueueRearmDuringFire(t *testing.T) {
	t.Parallel()
	start := time.Unix(1000, 0)
	clk := clock.NewFake(start)
	var q *timerQueue
	var n int
	q = newTimerQueue(clk, func(ds []deadline) {
		n += len(ds)
		if n < 3 {
			q.add(deadline{at: clk.Now().Add(time.Second)})
		}
	})
	q.start()
	q.add(deadline{at: start.Add(time.Second)})
	clk.Advance(10 * time.Second)
	if n != 3 {
		t.Fatalf("got %d firings, want 3", n)
	}
}

// A closed run's deadlines never fire: those already queued are skipped,
// later ones refused, and once enough runs have closed they leave the
// heap (an execution's timeout can be a year away).
func TestTimerQueueForgetsClosedRuns(t *testing.T) {
	t.Parallel()
	start := time.Unix(1000, 0)
	clk := clock.NewFake(start)
	var mu sync.Mutex
	fired := map[string]int{}
	q := newTimerQueue(clk, func(ds []deadline) {
		mu.Lock()
		defer mu.Unlock()
		for _, d := range ds {
			fired[d.runID]++
		}
	})
	q.start()
	q.add(deadline{at: start.Add(time.Second), runID: "open"})
	q.add(deadline{at: start.Add(time.Second), runID: "closed"})
	q.add(deadline{at: start.Add(time.Hour), runID: "closed", kind: tExecution})
	q.forget("closed")
	q.add(deadline{at: start.Add(2 * time.Second), runID: "closed"}) // armed by the closing change
	clk.Advance(3 * time.Second)
	mu.Lock()
	if fired["open"] != 1 || fired["closed"] != 0 {
		t.Fatalf("fired %v, want only the open run's deadline", fired)
	}
	mu.Unlock()

	// Many runs, each with a far-off execution timeout; most close.
	const n = 4 * compactAt
	for i := range n {
		q.add(deadline{at: start.Add(24 * time.Hour), runID: fmt.Sprint("run-", i), kind: tExecution})
	}
	for i := range n - 10 {
		q.forget(fmt.Sprint("run-", i))
	}
	if got := q.len(); got > n/4+compactAt {
		t.Fatalf("%d deadlines left in the heap after %d of %d runs closed: closed runs' deadlines were not dropped", got, n-10, n)
	}
	clk.Advance(48 * time.Hour)
	mu.Lock()
	defer mu.Unlock()
	total := 0
	for id, k := range fired {
		if id != "open" {
			total += k
		}
	}
	if total != 10 {
		t.Fatalf("%d execution timeouts fired, want the 10 of the runs still open", total)
	}
	if q.len() != 0 {
		t.Fatalf("%d deadlines left, want 0", q.len())
	}
}

// BenchmarkTimerQueueCompact is one compaction of a 100,000-deadline heap
// of which a quarter belongs to closed runs: the pause every add waits
// through once per 25,000 closed runs.
func BenchmarkTimerQueueCompact(b *testing.B) {
	start := time.Unix(1000, 0)
	q := newTimerQueue(clock.NewFake(start), func([]deadline) {})
	const n = 100_000
	ids := make([]string, n)
	for i := range ids {
		ids[i] = newRunID(start.Add(time.Duration(i) * time.Millisecond))
	}
	for b.Loop() {
		b.StopTimer()
		q.h = q.h[:0]
		for i, id := range ids {
			q.h = append(q.h, queue(deadline{at: start.Add(time.Duration(i%977) * time.Second), runID: id, kind: tExecution}))
		}
		heap.Init(&q.h)
		for _, id := range ids[:n/4] {
			q.gone[id] = struct{}{}
		}
		b.StartTimer()
		q.mu.Lock()
		q.compactLocked()
		q.mu.Unlock()
	}
}
