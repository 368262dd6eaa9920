package engine

import (
	"errors"
	"sync"

	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/store"
)

// fireWorkers bounds how many deadlines are handled at once. Each one waits
// for its write's group commit, so handling many together lets a burst of
// timeouts share commits instead of paying one flush each.
const fireWorkers = 64

// fire handles due deadlines and returns when all are handled (so a test
// that advances a fake clock sees their effects at once).
func (e *Engine) fire(due []deadline) {
	if len(due) == 1 {
		e.fireOne(due[0])
		return
	}
	sem := make(chan struct{}, fireWorkers)
	var wg sync.WaitGroup
	for _, d := range due {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			e.fireOne(d)
		}()
	}
	wg.Wait()
}

func (e *Engine) fireOne(d deadline) {
	if o := e.cfg.Observer; o != nil {
		o.TimerFired(d.kind.String(), e.clk.Now().Sub(d.at))
	}
	var err error
	switch d.kind {
	case tActivityScheduleToStart, tActivityScheduleToClose, tActivityStartToClose, tActivityHeartbeat:
		err = e.run(d.runID, func(t *txn) error { return t.activityTimeout(d) })
	case tDecisionStartToClose, tDecisionScheduleToStart:
		err = e.run(d.runID, func(t *txn) error { return t.decisionTimeout(d) })
	case tExecution:
		err = e.run(d.runID, func(t *txn) error {
			if t.now.Before(t.x.e.ExpiresAt) {
				return errStale
			}
			ev := t.event(shape.EventTypeWorkflowExecutionTimedOut)
			ev.WorkflowExecutionTimedOutEventAttributes = &shape.WorkflowExecutionTimedOutEventAttributes{
				TimeoutType: shape.WorkflowExecutionTimeoutTypeStartToClose, ChildPolicy: t.x.e.Config.ChildPolicy,
			}
			t.closeRun(shape.CloseStatusTimedOut, ev)
			return nil
		})
	case tUserTimer:
		err = e.run(d.runID, func(t *txn) error {
			tm := timerStartedAt(t.x, d.eventID)
			if tm == nil {
				return errStale
			}
			ev := t.event(shape.EventTypeTimerFired)
			ev.TimerFiredEventAttributes = &shape.TimerFiredEventAttributes{TimerId: tm.TimerID, StartedEventId: tm.StartedEventID}
			t.dropTimer(tm)
			t.needDecision()
			return nil
		})
	}
	if err != nil && !errors.Is(err, errStale) && !isUnknown(err) {
		e.log.Error("timeout not applied", "kind", d.kind, "run_id", d.runID, "err", err)
	}
}

// activityTimeout times the activity out if the deadline is really due;
// a heartbeat that came in since re-arms it instead.
func (t *txn) activityTimeout(d deadline) error {
	s := t.x.acts.get(d.eventID)
	if s == nil {
		return errStale
	}
	var typ shape.ActivityTaskTimeoutType
	switch d.kind {
	case tActivityScheduleToStart:
		if s.started() {
			return errStale
		}
		typ = shape.ActivityTaskTimeoutTypeScheduleToStart
	case tActivityScheduleToClose:
		typ = shape.ActivityTaskTimeoutTypeScheduleToClose
	case tActivityStartToClose:
		if !s.started() || s.nonce != d.nonce {
			return errStale
		}
		typ = shape.ActivityTaskTimeoutTypeStartToClose
	case tActivityHeartbeat:
		if !s.started() || s.nonce != d.nonce {
			return errStale
		}
		if at := s.heartbeatDeadline(); t.now.Before(at) {
			d.at = at
			t.eng.timers.add(d)
			return errStale
		}
		typ = shape.ActivityTaskTimeoutTypeHeartbeat
	}
	ev := t.event(shape.EventTypeActivityTaskTimedOut)
	attrs := &shape.ActivityTaskTimedOutEventAttributes{TimeoutType: typ, ScheduledEventId: int64(s.scheduledID), StartedEventId: int64(s.startedID)}
	if s.details != nil {
		attrs.Details = *s.details
	}
	ev.ActivityTaskTimedOutEventAttributes = attrs
	t.dropActivity(s)
	t.needDecision()
	return nil
}

func (t *txn) decisionTimeout(d deadline) error {
	r := t.x.e
	ev := &shape.DecisionTaskTimedOutEventAttributes{ScheduledEventId: r.DecisionScheduledID}
	switch d.kind {
	case tDecisionStartToClose:
		if r.DecisionStartedID == 0 || r.DecisionScheduledID != d.eventID || uint64(r.DecisionAttempt) != d.nonce {
			return errStale
		}
		ev.StartedEventId, ev.TimeoutType = r.DecisionStartedID, shape.DecisionTaskTimeoutTypeStartToClose
		if r.DecisionScheduleToStart > 0 {
			// A temporary override (one with taskListScheduleToStartTimeout)
			// ends with the task it was made for.
			r.DecisionTaskList, r.DecisionScheduleToStart = r.Config.TaskList.Name, 0
		}
	case tDecisionScheduleToStart:
		if r.DecisionStartedID != 0 || r.DecisionScheduledID != d.eventID || t.x.decision == nil {
			return errStale
		}
		ev.TimeoutType = shape.DecisionTaskTimeoutTypeScheduleToStart
		t.eng.withdraw(t.x.decision)
		t.x.decision = nil
		// The override's task list had no decider in time: go back to the
		// execution's own task list.
		r.DecisionTaskList, r.DecisionScheduleToStart = r.Config.TaskList.Name, 0
	}
	t.event(shape.EventTypeDecisionTaskTimedOut).DecisionTaskTimedOutEventAttributes = ev
	r.DecisionScheduledID, r.DecisionStartedID = 0, 0
	t.decisionClosed(true)
	return nil
}

// timerStartedAt is the open timer of x started by event id, or nil.
// Deadlines name a timer by that event alone, which keeps them small, so
// the lookup is a walk over the run's open timers; it is made only when
// a timer fires.
func timerStartedAt(x *execState, id int64) *store.Timer {
	for _, tm := range x.timers {
		if tm.StartedEventID == id {
			return tm
		}
	}
	return nil
}
