package engine

import (
	"context"
	"errors"
	"time"
	"unique"

	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/store"
	"github.com/openswf/openswf/internal/swf"
)

// PollForActivityTask hands out the next activity task of a task list,
// waiting up to the long-poll timeout. No task: nil.
func (e *Engine) PollForActivityTask(ctx context.Context, in *shape.PollForActivityTaskInput) (*shape.ActivityTask, error) {
	if err := firstErr(swf.CheckName("taskList.name", in.TaskList.Name), e.domainExists(in.Domain)); err != nil {
		return nil, err
	}
	list := e.activityLists.get(in.Domain, in.TaskList.Name)
	if !e.servesList(list) {
		return nil, errNotOwner(list.shard)
	}
	return longPoll(ctx, e, list, func(p *pending) (*shape.ActivityTask, error) {
		if p.remote {
			ans, err := e.startRemote(ctx, list, p, in.Identity, nil)
			if err != nil {
				return nil, err
			}
			return ans.Activity, nil
		}
		return e.startActivity(ctx, list, p, in.Identity)
	})
}

// longPoll hands the first task of list that start can still start, waiting
// up to the long-poll timeout; no task, or a poller gone away: nil. start
// reports a task that moved on (closed, timed out) as errStale or an
// UnknownResourceFault, and the next one is tried.
func longPoll[T any](ctx context.Context, e *Engine, list *taskList, start func(*pending) (*T, error)) (*T, error) {
	until := e.clk.Now().Add(e.lim.LongPollTimeout)
	for {
		p := list.pop()
		if p == nil {
			if !e.servesList(list) {
				return nil, nil // the list's home moved: poll again, there
			}
			if err := list.wait(ctx, e.clk, until, e.drain, e.lim.MaxPollersPerTaskList); err == errPollTimeout {
				return nil, nil
			} else if err != nil {
				return nil, err
			}
			continue
		}
		task, err := start(p)
		if errors.Is(err, errStale) || isUnknown(err) {
			continue
		}
		if ctx.Err() != nil {
			return nil, nil
		}
		return task, err
	}
}

func (e *Engine) startActivity(ctx context.Context, list *taskList, p *pending, identity string) (*shape.ActivityTask, error) {
	var task *shape.ActivityTask
	err := e.run(p.runID, func(t *txn) error {
		s := t.x.acts.get(p.scheduledEventID)
		if s == nil || s.p != p {
			return errStale
		}
		if ctx.Err() != nil {
			// The poller left before we recorded anything: the next one gets
			// it (a poller at another node puts it back itself).
			if list != nil {
				list.push(p)
			}
			return ctx.Err()
		}
		runID, scheduledID := t.x.e.Info.Execution.RunId, int64(s.scheduledID)
		ev := t.event(shape.EventTypeActivityTaskStarted)
		ev.ActivityTaskStartedEventAttributes = &shape.ActivityTaskStartedEventAttributes{Identity: identity, ScheduledEventId: scheduledID}
		s.startedID, s.startedAt, s.nonce = int32(ev.EventId), unixMS(t.now), newNonce()
		s.identity = unique.Handle[string]{}
		if identity != "" {
			s.identity = unique.Make(identity)
		}
		s.p = nil
		t.putActivity(s)
		if s.startToClose > 0 {
			t.arm(deadline{at: t.now.Add(seconds(int64(s.startToClose))), kind: tActivityStartToClose, runID: runID, eventID: scheduledID, nonce: s.nonce})
		}
		if s.heartbeat > 0 {
			t.arm(deadline{at: t.now.Add(seconds(int64(s.heartbeat))), kind: tActivityHeartbeat, runID: runID, eventID: scheduledID, nonce: s.nonce})
		}
		we, at := *t.x.e.Info.Execution, s.typ.Value()
		task = &shape.ActivityTask{
			TaskToken:         e.tokens.encode(token{Kind: tokenActivity, Domain: t.x.e.Domain, RunID: runID, ScheduledEventID: scheduledID, Nonce: s.nonce, Shard: t.x.shard}),
			ActivityId:        s.activityID(),
			ActivityType:      &at,
			Input:             s.input(),
			StartedEventId:    ev.EventId,
			WorkflowExecution: &we,
		}
		return nil
	})
	return task, err
}

// startedActivity checks an activity task token and returns the open,
// started task it names. x.mu must be held.
func startedActivityLocked(x *execState, tok token) (*actState, error) {
	if x.e.Domain != tok.Domain {
		return nil, unknownActivity(tok)
	}
	if x.closed {
		return nil, unknownExecution(x.e.Info.Execution)
	}
	s := x.acts.get(tok.ScheduledEventID)
	if s == nil || !s.started() || s.nonce != tok.Nonce {
		return nil, unknownActivity(tok)
	}
	return s, nil
}

// unknownActivity is AWS's fault for the token of an activity task that is
// no longer open (completed, failed, canceled or timed out) in an open run.
func unknownActivity(tok token) error {
	return swf.Unknown("Unknown activity, scheduledEventId = %d", tok.ScheduledEventID)
}

// unknownExecution is AWS's fault for a run that does not exist or, for a
// task token, is no longer open.
func unknownExecution(we *shape.WorkflowExecution) error {
	return swf.Unknown("Unknown execution: WorkflowExecution=[workflowId=%s, runId=%s]", we.WorkflowId, we.RunId)
}

// invalidActivityToken is the fault for a task token this service did not
// issue as an activity task token (AWS's wording is not known).
func invalidActivityToken() error {
	return swf.Unknown("Invalid activity task token: this service did not issue it")
}

// runGone is the fault for a verified task token whose run is no longer
// open: AWS names the run, which the store still holds unless its
// retention period has passed (then the task's own fault, otherwise).
func (e *Engine) runGone(ctx context.Context, tok token, otherwise error) error {
	if e.clustered() && tok.Shard != noShard {
		if _, ok := e.owns(tok.Shard); !ok {
			return errNotOwner(tok.Shard) // no need to ask the store
		}
	}
	r, err := e.st.ExecutionGet(ctx, &store.ExecutionGetParams{Domain: tok.Domain, RunID: tok.RunID})
	if err != nil {
		return otherwise
	}
	if r.Info.ExecutionStatus == shape.ExecutionStatusOpen {
		// Open, but not here: another node of several serves its shard.
		return errNotOwner(store.ShardOf(r.Domain, r.Info.Execution.WorkflowId))
	}
	return unknownExecution(r.Info.Execution)
}

// RecordActivityTaskHeartbeat records a worker's progress and resets the
// heartbeat clock. It adds no history event; it stores the time and details
// (kept for an ActivityTaskTimedOut event) and answers whether the decider
// asked to cancel the task.
//
// This is the hottest path: it checks the token without a store read, holds
// only its execution's lock and only while it queues the write, and waits
// for the group commit outside the lock.
func (e *Engine) RecordActivityTaskHeartbeat(ctx context.Context, in *shape.RecordActivityTaskHeartbeatInput) (*shape.ActivityTaskStatus, error) {
	tok, err := e.tokens.decode(in.TaskToken, tokenActivity)
	if err != nil {
		return nil, invalidActivityToken()
	}
	if err := e.authorizeDomain(ctx, "RecordActivityTaskHeartbeat", tok.Domain); err != nil {
		return nil, err
	}
	e.execMu.RLock()
	x := e.execs[tok.RunID]
	e.execMu.RUnlock()
	if x == nil {
		return nil, e.runGone(ctx, tok, unknownActivity(tok))
	}
	x.mu.Lock()
	s, err := startedActivityLocked(x, tok)
	if err != nil {
		x.mu.Unlock()
		return nil, err
	}
	at := e.clk.Now().UTC().Truncate(time.Millisecond)
	s.heartbeatAt = unixMS(at)
	// The timed-out event carries the details of the last call, so a
	// heartbeat without details clears them.
	s.details = nil
	if in.Details != "" {
		d := in.Details
		s.details = &d
	}
	out := &shape.ActivityTaskStatus{CancelRequested: s.cancelRequestedID != 0}
	done := e.st.Submit(&store.Change{Fence: e.fence(x), Heartbeats: []store.Heartbeat{{RunID: tok.RunID, ScheduledEventID: tok.ScheduledEventID, At: at, Details: s.details}}})
	x.mu.Unlock()
	if err := e.await(done, x.shard, true); err != nil {
		return nil, err
	}
	return out, nil
}

// closeActivity ends a started activity task with the event close adds.
func (e *Engine) closeActivity(ctx context.Context, op, taskToken string, close func(t *txn, s *actState)) error {
	tok, err := e.tokens.decode(taskToken, tokenActivity)
	if err != nil {
		return invalidActivityToken()
	}
	if err := e.authorizeDomain(ctx, op, tok.Domain); err != nil {
		return err
	}
	checked := false // f ran: the run was open, and f's fault says what is wrong
	err = e.run(tok.RunID, func(t *txn) error {
		checked = true
		s, err := startedActivityLocked(t.x, tok)
		if err != nil {
			return err
		}
		close(t, s)
		t.dropActivity(s)
		t.needDecision()
		return nil
	})
	if !checked && isUnknown(err) {
		return e.runGone(ctx, tok, unknownActivity(tok))
	}
	return err
}

// dropActivity forgets a closed activity.
func (t *txn) dropActivity(s *actState) {
	if s.p != nil {
		t.eng.withdraw(s.p)
		s.p = nil
	}
	t.x.acts.remove(s)
	t.c.DelActivities = append(t.c.DelActivities, store.ActivityKey{RunID: t.x.e.Info.Execution.RunId, ScheduledEventID: int64(s.scheduledID)})
}

// RespondActivityTaskCompleted closes the task with its result.
func (e *Engine) RespondActivityTaskCompleted(ctx context.Context, in *shape.RespondActivityTaskCompletedInput) error {
	return e.closeActivity(ctx, "RespondActivityTaskCompleted", in.TaskToken, func(t *txn, s *actState) {
		ev := t.event(shape.EventTypeActivityTaskCompleted)
		ev.ActivityTaskCompletedEventAttributes = &shape.ActivityTaskCompletedEventAttributes{Result: in.Result, ScheduledEventId: int64(s.scheduledID), StartedEventId: int64(s.startedID)}
	})
}

// RespondActivityTaskFailed closes the task as failed.
func (e *Engine) RespondActivityTaskFailed(ctx context.Context, in *shape.RespondActivityTaskFailedInput) error {
	return e.closeActivity(ctx, "RespondActivityTaskFailed", in.TaskToken, func(t *txn, s *actState) {
		ev := t.event(shape.EventTypeActivityTaskFailed)
		ev.ActivityTaskFailedEventAttributes = &shape.ActivityTaskFailedEventAttributes{Reason: in.Reason, Details: in.Details, ScheduledEventId: int64(s.scheduledID), StartedEventId: int64(s.startedID)}
	})
}

// RespondActivityTaskCanceled closes the task as canceled, normally after a
// heartbeat answered cancelRequested.
func (e *Engine) RespondActivityTaskCanceled(ctx context.Context, in *shape.RespondActivityTaskCanceledInput) error {
	return e.closeActivity(ctx, "RespondActivityTaskCanceled", in.TaskToken, func(t *txn, s *actState) {
		ev := t.event(shape.EventTypeActivityTaskCanceled)
		ev.ActivityTaskCanceledEventAttributes = &shape.ActivityTaskCanceledEventAttributes{
			Details: in.Details, ScheduledEventId: int64(s.scheduledID), StartedEventId: int64(s.startedID),
			LatestCancelRequestedEventId: int64(s.cancelRequestedID),
		}
	})
}

// CountPendingActivityTasks counts the scheduled, not yet started activity
// tasks of a task list.
func (e *Engine) CountPendingActivityTasks(ctx context.Context, in *shape.CountPendingActivityTasksInput) (*shape.PendingTaskCount, error) {
	if err := e.domainExists(in.Domain); err != nil {
		return nil, err
	}
	return e.countPending(e.activityLists.get(in.Domain, in.TaskList.Name))
}

// CountPendingDecisionTasks counts the scheduled, not yet started decision
// tasks of a task list.
func (e *Engine) CountPendingDecisionTasks(ctx context.Context, in *shape.CountPendingDecisionTasksInput) (*shape.PendingTaskCount, error) {
	if err := e.domainExists(in.Domain); err != nil {
		return nil, err
	}
	return e.countPending(e.decisionLists.get(in.Domain, in.TaskList.Name))
}

// countPending counts the tasks waiting on list, at its home.
func (e *Engine) countPending(list *taskList) (*shape.PendingTaskCount, error) {
	if !e.servesList(list) {
		return nil, errNotOwner(list.shard)
	}
	return &shape.PendingTaskCount{Count: int32(list.count())}, nil
}
