package engine

import (
	"container/heap"
	"context"
	"sync"
	"time"

	"github.com/openswf/openswf/internal/clock"
	"github.com/openswf/openswf/internal/swf"
)

// pending is a task waiting on a task list: an activity task or a decision
// task, named by its run and scheduled event.
type pending struct {
	runID            string
	scheduledEventID int64
	priority         int32
	seq              uint64
	index            int // in the heap; -1 once removed
}

// taskList holds the scheduled tasks of one (domain, task list) pair, highest
// priority first and, within a priority, first scheduled first out, plus the
// pollers waiting for them.
//
// A new task goes to the longest-waiting poller. A poller that gives up (its
// deadline passed or its connection closed) after being woken hands the
// wake-up on, so no task waits while a poller does.
type taskList struct {
	mu      sync.Mutex // guards everything below
	tasks   taskHeap
	seq     uint64
	waiters []chan struct{}
}

func (l *taskList) push(p *pending) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	p.seq = l.seq
	heap.Push(&l.tasks, p)
	l.wakeOneLocked()
}

// remove takes p off the list if it is still there.
func (l *taskList) remove(p *pending) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if p.index >= 0 && p.index < len(l.tasks) && l.tasks[p.index] == p {
		heap.Remove(&l.tasks, p.index)
	}
}

func (l *taskList) pop() *pending {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.tasks) == 0 {
		return nil
	}
	return heap.Pop(&l.tasks).(*pending)
}

func (l *taskList) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.tasks)
}

func (l *taskList) wakeOneLocked() {
	if len(l.waiters) > 0 {
		w := l.waiters[0]
		l.waiters = l.waiters[1:]
		close(w)
	}
}

// errPollTimeout means the long poll ended with no task.
var errPollTimeout = swf.NewFault("PollTimeout", "no task")

// wait blocks until a task may be there, the deadline passes, ctx ends or
// drain closes. It returns errPollTimeout in the last three cases.
func (l *taskList) wait(ctx context.Context, clk clock.Clock, deadline time.Time, drain <-chan struct{}, maxWaiters int) error {
	l.mu.Lock()
	if len(l.tasks) > 0 {
		l.mu.Unlock()
		return nil
	}
	if len(l.waiters) >= maxWaiters {
		l.mu.Unlock()
		return swf.NewFault(swf.LimitExceededFault, "more than %d pollers are waiting on this task list", maxWaiters)
	}
	w := make(chan struct{})
	l.waiters = append(l.waiters, w)
	l.mu.Unlock()

	expired := make(chan struct{})
	t := clk.AfterFunc(deadline.Sub(clk.Now()), func() { close(expired) })
	defer t.Stop()
	select {
	case <-w:
		return nil
	case <-expired:
	case <-ctx.Done():
	case <-drain:
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, x := range l.waiters {
		if x == w {
			l.waiters = append(l.waiters[:i], l.waiters[i+1:]...)
			return errPollTimeout
		}
	}
	// We were woken while giving up: pass the wake-up on.
	l.wakeOneLocked()
	return errPollTimeout
}

// taskLists maps (domain, task list) to its taskList, creating on demand.
type taskLists struct {
	mu    sync.Mutex // guards lists
	lists map[string]*taskList
}

func newTaskLists() *taskLists { return &taskLists{lists: map[string]*taskList{}} }

func (t *taskLists) get(domain, name string) *taskList {
	key := domain + "\x00" + name
	t.mu.Lock()
	defer t.mu.Unlock()
	l := t.lists[key]
	if l == nil {
		l = &taskList{}
		t.lists[key] = l
	}
	return l
}

type taskHeap []*pending

func (h taskHeap) Len() int { return len(h) }
func (h taskHeap) Less(i, j int) bool {
	if h[i].priority != h[j].priority {
		return h[i].priority > h[j].priority
	}
	return h[i].seq < h[j].seq
}
func (h taskHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *taskHeap) Push(x any) {
	p := x.(*pending)
	p.index = len(*h)
	*h = append(*h, p)
}
func (h *taskHeap) Pop() any {
	old := *h
	p := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	p.index = -1
	return p
}
