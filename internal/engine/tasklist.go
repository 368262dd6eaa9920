package engine

import (
	"container/heap"
	"context"
	"sync"
	"sync/atomic"
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

	// Where the task is queued (enqueue), fixed once set: its kind
	// (tokenActivity or tokenDecision), domain key, task list and the
	// workflow id of its run, which names the run's shard.
	kind       byte
	domain     string
	list       string
	workflowID string
	// remote marks another node's task offered to this node's list (the
	// list's home); away marks this node's task offered to another's.
	remote bool
	away   atomic.Bool
}

// remoteKey names another node's task on a list it was offered to.
type remoteKey struct {
	runID string
	id    int64
}

// taskList holds the scheduled tasks of one (domain, task list) pair, highest
// priority first and, within a priority, first scheduled first out, plus the
// pollers waiting for them.
//
// A new task goes to the longest-waiting poller. A poller that gives up (its
// deadline passed or its connection closed) after being woken hands the
// wake-up on, so no task waits while a poller does.
type taskList struct {
	shard   int32      // its home shard (homeShard): its owner holds the list
	mu      sync.Mutex // guards everything below
	tasks   taskHeap
	seq     uint64
	waiters []chan struct{}
	remote  map[remoteKey]*pending // other nodes' tasks on the list, once each
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
	p := heap.Pop(&l.tasks).(*pending)
	if p.remote {
		delete(l.remote, remoteKey{p.runID, p.scheduledEventID})
	}
	return p
}

// pushRemote queues another node's task unless it is already queued: a
// task is offered again after failures and moves, and must wait here once.
func (l *taskList) pushRemote(p *pending) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := remoteKey{p.runID, p.scheduledEventID}
	if l.remote[k] != nil {
		return
	}
	if l.remote == nil {
		l.remote = map[remoteKey]*pending{}
	}
	l.remote[k] = p
	l.seq++
	p.seq = l.seq
	heap.Push(&l.tasks, p)
	l.wakeOneLocked()
}

// removeRemote takes another node's task off the list, if it is there.
func (l *taskList) removeRemote(runID string, id int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := remoteKey{runID, id}
	if p := l.remote[k]; p != nil {
		delete(l.remote, k)
		if p.index >= 0 && p.index < len(l.tasks) && l.tasks[p.index] == p {
			heap.Remove(&l.tasks, p.index)
		}
	}
}

// empty takes every task off the list and wakes every poller, when the
// list's home moves to another node; it returns this node's own tasks,
// which must be offered to the new home.
func (l *taskList) empty() []*pending {
	l.mu.Lock()
	defer l.mu.Unlock()
	var own []*pending
	for _, p := range l.tasks {
		p.index = -1
		if !p.remote {
			own = append(own, p)
		}
	}
	l.tasks, l.remote = nil, nil
	for _, w := range l.waiters {
		close(w)
	}
	l.waiters = nil
	return own
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
	kind  byte       // tokenActivity or tokenDecision
	mu    sync.Mutex // guards lists
	lists map[string]*taskList
}

func newTaskLists(kind byte) *taskLists {
	return &taskLists{kind: kind, lists: map[string]*taskList{}}
}

// homedAt returns the lists whose home is shard.
func (t *taskLists) homedAt(shard int32) []*taskList {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []*taskList
	for _, l := range t.lists {
		if l.shard == shard {
			out = append(out, l)
		}
	}
	return out
}

func (t *taskLists) get(domain, name string) *taskList {
	key := domain + "\x00" + name
	t.mu.Lock()
	defer t.mu.Unlock()
	l := t.lists[key]
	if l == nil {
		l = &taskList{shard: homeShard(domain, t.kind, name)}
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

// waiting counts the pollers waiting on the list.
func (l *taskList) waiting() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.waiters)
}
