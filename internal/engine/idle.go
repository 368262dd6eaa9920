package engine

import "time"

// IdleUntil reports, when no open execution has a decision task or an
// activity task scheduled or started, the earliest deadline armed for an
// open execution (a timer, a timeout), and true; with work under way, or
// nothing armed, it reports false. A server whose clock skips time
// (`swf server --clock auto-skip`) jumps to that deadline: nothing can
// happen before it but what a caller starts.
//
// The deadline may be stale (its task has closed since it was armed):
// firing it is then a no-op, and the next call reports the next one. It
// takes each open execution's lock in turn, so it costs time in
// proportion to the open executions; it is meant for test servers.
func (e *Engine) IdleUntil() (time.Time, bool) {
	e.execMu.RLock()
	open := make([]*execState, 0, len(e.execs))
	for _, x := range e.execs {
		open = append(open, x)
	}
	e.execMu.RUnlock()
	for _, x := range open {
		x.mu.Lock()
		r := x.e
		busy := !x.closed && (r.DecisionScheduledID != 0 || r.DecisionQueuedID != 0 || r.DecisionNeeded || len(x.acts) > 0)
		x.mu.Unlock()
		if busy {
			return time.Time{}, false
		}
	}
	return e.timers.next()
}

// next returns the earliest deadline of a run that has not closed.
func (q *timerQueue) next() (time.Time, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.h) == 0 {
		return time.Time{}, false
	}
	if _, gone := q.gone[q.h[0].runID]; !gone {
		return q.h[0].deadline().at, true
	}
	var at int64
	found := false
	for _, d := range q.h {
		if _, gone := q.gone[d.runID]; !gone && (!found || d.at < at) {
			at, found = d.at, true
		}
	}
	if !found {
		return time.Time{}, false
	}
	return time.Unix(0, at).UTC(), true
}
