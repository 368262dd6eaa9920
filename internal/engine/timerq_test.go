package engine

import (
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
			fired = append(fired, d.timerID)
		}
	})
	q.start()
	q.add(deadline{at: start.Add(3 * time.Second), timerID: "c"})
	q.add(deadline{at: start.Add(1 * time.Second), timerID: "a"})
	q.add(deadline{at: start.Add(2 * time.Second), timerID: "b"})
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
