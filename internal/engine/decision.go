package engine

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unique"

	"github.com/openswf/openswf/internal/auth"
	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/store"
	"github.com/openswf/openswf/internal/swf"
)

// errStale means a task or deadline no longer matches the state: skip it.
var errStale = errors.New("stale")

// needDecision records that the decider has something new to see. With no
// decision task open, one is scheduled now. With one started, the next is
// scheduled now too (as AWS records it: DecisionTaskScheduled right after
// the event, before the started task's DecisionTaskCompleted) and handed
// out once the started one closes. With one scheduled, that one shows it.
func (t *txn) needDecision() {
	r := t.x.e
	switch {
	case t.holdDecision:
		t.wantDecision = true
	case r.DecisionStartedID != 0:
		if r.DecisionQueuedID == 0 {
			ev := t.scheduledEvent()
			r.DecisionQueuedID, r.DecisionQueuedAt, r.DecisionQueuedList = ev.EventId, t.now, r.DecisionTaskList
		}
	case r.DecisionScheduledID == 0:
		t.scheduleDecision()
	}
}

// scheduleDecision records a DecisionTaskScheduled and offers the task to
// the deciders.
func (t *txn) scheduleDecision() {
	r := t.x.e
	ev := t.scheduledEvent()
	r.DecisionScheduledID, r.DecisionScheduledAt = ev.EventId, t.now
	t.offerDecision()
}

// scheduledEvent records DecisionTaskScheduled for the task list and
// timeouts the next decision task has.
func (t *txn) scheduledEvent() *shape.HistoryEvent {
	r := t.x.e
	ev := t.event(shape.EventTypeDecisionTaskScheduled)
	// AWS always writes scheduleToStartTimeout, NONE without an override.
	attrs := &shape.DecisionTaskScheduledEventAttributes{
		TaskList:               &shape.TaskList{Name: r.DecisionTaskList},
		StartToCloseTimeout:    r.Config.TaskStartToCloseTimeout,
		TaskPriority:           r.Config.TaskPriority,
		ScheduleToStartTimeout: swf.None,
	}
	if r.DecisionScheduleToStart > 0 {
		attrs.ScheduleToStartTimeout = durationString(r.DecisionScheduleToStart)
	}
	ev.DecisionTaskScheduledEventAttributes = attrs
	return ev
}

// offerDecision puts the scheduled decision task on its task list and arms
// its schedule-to-start deadline, if the task list override has one.
func (t *txn) offerDecision() {
	r := t.x.e
	if r.DecisionScheduleToStart > 0 {
		t.arm(deadline{at: t.now.Add(seconds(r.DecisionScheduleToStart)), kind: tDecisionScheduleToStart, runID: r.Info.Execution.RunId, eventID: r.DecisionScheduledID})
	}
	p := decisionPending(r)
	t.x.decision = p
	t.eng.enqueue(p, t)
}

// decisionClosed follows the close (completion or timeout) of the started
// decision task: the task scheduled while it ran is offered now, or, if
// the decider has something to see (want) and none was, one is scheduled.
func (t *txn) decisionClosed(want bool) {
	r := t.x.e
	switch {
	case t.x.closed:
	case r.DecisionQueuedID != 0:
		r.DecisionScheduledID, r.DecisionScheduledAt, r.DecisionTaskList = r.DecisionQueuedID, r.DecisionQueuedAt, r.DecisionQueuedList
		t.offerDecision()
	case want || r.DecisionNeeded:
		// DecisionNeeded: a run stored before tasks were scheduled at once.
		t.scheduleDecision()
	}
	r.DecisionQueuedID, r.DecisionQueuedAt, r.DecisionQueuedList, r.DecisionNeeded = 0, time.Time{}, "", false
}

// PollForDecisionTask hands out the next decision task of a task list,
// waiting up to the long-poll timeout. With nextPageToken it returns the
// next page of the history of the task already handed out. No task: nil.
func (e *Engine) PollForDecisionTask(ctx context.Context, in *shape.PollForDecisionTaskInput) (*shape.DecisionTask, error) {
	if err := firstErr(swf.CheckName("taskList.name", in.TaskList.Name), e.domainExists(in.Domain)); err != nil {
		return nil, err
	}
	if in.NextPageToken != "" {
		return e.decisionTaskPage(ctx, in)
	}
	list := e.decisionLists.get(in.Domain, in.TaskList.Name)
	if !e.servesList(list) {
		return nil, errNotOwner(list.shard)
	}
	return longPoll(ctx, e, list, func(p *pending) (*shape.DecisionTask, error) {
		if p.remote {
			ans, err := e.startRemote(ctx, list, p, in.Identity, in)
			if err != nil {
				return nil, err
			}
			return ans.Decision, nil
		}
		task, err := e.startDecision(ctx, list, p, in.Identity)
		if err != nil || task == nil {
			return nil, err
		}
		return e.fillDecisionTask(ctx, in, task)
	})
}

// startDecision records DecisionTaskStarted for p, or puts p back if the
// poller went away meanwhile (its connection closed).
func (e *Engine) startDecision(ctx context.Context, list *taskList, p *pending, identity string) (*shape.DecisionTask, error) {
	var task *shape.DecisionTask
	err := e.run(p.runID, func(t *txn) error {
		r := t.x.e
		if t.x.decision != p || r.DecisionStartedID != 0 {
			return errStale
		}
		if ctx.Err() != nil {
			if list != nil {
				list.push(p)
			}
			return ctx.Err()
		}
		ev := t.event(shape.EventTypeDecisionTaskStarted)
		ev.DecisionTaskStartedEventAttributes = &shape.DecisionTaskStartedEventAttributes{Identity: identity, ScheduledEventId: r.DecisionScheduledID}
		r.DecisionStartedID, r.DecisionStartedAt = ev.EventId, t.now
		r.DecisionAttempt++
		t.x.decision = nil
		if n := durationOf(r.Config.TaskStartToCloseTimeout); n > 0 {
			t.arm(deadline{at: t.now.Add(seconds(n)), kind: tDecisionStartToClose, runID: p.runID, eventID: r.DecisionScheduledID, nonce: uint64(r.DecisionAttempt)})
		}
		we, wt := *r.Info.Execution, *r.Info.WorkflowType
		task = &shape.DecisionTask{
			TaskToken:              e.tokens.encode(token{Kind: tokenDecision, Domain: r.Domain, RunID: p.runID, ScheduledEventID: r.DecisionScheduledID, Nonce: uint64(r.DecisionAttempt), Shard: t.x.shard}),
			StartedEventId:         ev.EventId,
			PreviousStartedEventId: r.PreviousStartedEventID,
			WorkflowExecution:      &we,
			WorkflowType:           &wt,
		}
		return nil
	})
	if errors.Is(err, errStale) || isUnknown(err) {
		return nil, errStale
	}
	if ctx.Err() != nil && err == ctx.Err() {
		return nil, nil
	}
	return task, err
}

func isUnknown(err error) bool {
	var f *swf.Fault
	return errors.As(err, &f) && f.Name == swf.UnknownResourceFault
}

// decisionPage is a cursor through a decision task's history. Nonce packs
// the decision's started event id and the direction.
func (e *Engine) fillDecisionTask(ctx context.Context, in *shape.PollForDecisionTaskInput, task *shape.DecisionTask) (*shape.DecisionTask, error) {
	q := eventPage{runID: task.WorkflowExecution.RunId, size: in.MaximumPageSize, reverse: in.ReverseOrder, upTo: task.StartedEventId}
	if in.StartAtPreviousStartedEvent && task.PreviousStartedEventId > 0 {
		q.after = task.PreviousStartedEventId - 1
	}
	if in.NextPageToken != "" {
		t, _ := e.tokens.decode(in.NextPageToken, tokenDecisionPage) // checked by decisionTaskPage
		q.cursor = t.ScheduledEventID
	}
	events, last, err := e.readEvents(ctx, q)
	if err != nil {
		return nil, err
	}
	task.RawEvents = events
	if last > 0 {
		dir := uint64(0)
		if in.ReverseOrder {
			dir = 1
		}
		task.NextPageToken = e.tokens.encode(token{
			Kind: tokenDecisionPage, Domain: in.Domain, RunID: task.WorkflowExecution.RunId,
			ScheduledEventID: last, Nonce: uint64(task.StartedEventId)<<1 | dir,
			Shard: store.ShardOf(in.Domain, task.WorkflowExecution.WorkflowId),
		})
	}
	return task, nil
}

// decisionTaskPage answers a poll that carries a history page token.
func (e *Engine) decisionTaskPage(ctx context.Context, in *shape.PollForDecisionTaskInput) (*shape.DecisionTask, error) {
	tok, err := e.tokens.decode(in.NextPageToken, tokenDecisionPage)
	if err != nil || tok.Domain != in.Domain || (tok.Nonce&1 == 1) != in.ReverseOrder {
		return nil, swf.Invalid("nextPageToken is not valid for this request")
	}
	startedID := int64(tok.Nonce >> 1)
	x := e.openState(tok.RunID)
	if x == nil {
		if _, ok := e.owns(tok.Shard); tok.Shard != noShard && !ok {
			return nil, errNotOwner(tok.Shard)
		}
		if err := e.notHere(ctx, tok.Domain, tok.RunID); err != nil {
			return nil, err
		}
		return nil, errUnknownRun(tok.RunID)
	}
	x.mu.Lock()
	r := x.e
	if x.closed || r.DecisionStartedID != startedID {
		x.mu.Unlock()
		return nil, swf.Unknown("the decision task of this page token is no longer open")
	}
	we, wt := *r.Info.Execution, *r.Info.WorkflowType
	task := &shape.DecisionTask{
		TaskToken:              e.tokens.encode(token{Kind: tokenDecision, Domain: r.Domain, RunID: tok.RunID, ScheduledEventID: r.DecisionScheduledID, Nonce: uint64(r.DecisionAttempt), Shard: x.shard}),
		StartedEventId:         startedID,
		PreviousStartedEventId: r.PreviousStartedEventID,
		WorkflowExecution:      &we,
		WorkflowType:           &wt,
	}
	x.mu.Unlock()
	return e.fillDecisionTask(ctx, in, task)
}

// RespondDecisionTaskCompleted closes a decision task and carries out its
// decisions in order. A decision that cannot be carried out records its
// ...Failed event and the decider gets a new decision task.
func (e *Engine) RespondDecisionTaskCompleted(ctx context.Context, in *shape.RespondDecisionTaskCompletedInput) error {
	tok, err := e.tokens.decode(in.TaskToken, tokenDecision)
	if err != nil {
		return swf.Unknown("Invalid decision task token: this service did not issue it")
	}
	if err := e.authorizeDomain(ctx, "RespondDecisionTaskCompleted", tok.Domain); err != nil {
		return err
	}
	var s2s int64
	if in.TaskList != nil {
		if err := swf.CheckName("taskList.name", in.TaskList.Name); err != nil {
			return err
		}
	}
	if in.TaskListScheduleToStartTimeout != "" {
		if s2s, err = swf.ParseDuration("taskListScheduleToStartTimeout", in.TaskListScheduleToStartTimeout, true, e.lim.MaxDurationSeconds); err != nil {
			return err
		}
	}
	for i := range in.Decisions {
		if err := e.checkDecision(i, &in.Decisions[i]); err != nil {
			return err
		}
		if closesRun(in.Decisions[i].DecisionType) && i != len(in.Decisions)-1 {
			// AWS refuses the whole answer, so that no decision after the
			// close is silently dropped; the task stays open for a corrected one.
			return swf.Invalid("Close must be last decision in list")
		}
	}
	if !e.isOpen(tok.RunID) {
		return e.runGone(ctx, tok, unknownDecisionTask(tok))
	}
	return e.run(tok.RunID, func(t *txn) error {
		r := t.x.e
		if r.Domain != tok.Domain || r.DecisionStartedID == 0 || r.DecisionScheduledID != tok.ScheduledEventID || uint64(r.DecisionAttempt) != tok.Nonce {
			return unknownDecisionTask(tok)
		}
		ev := t.event(shape.EventTypeDecisionTaskCompleted)
		ev.DecisionTaskCompletedEventAttributes = &shape.DecisionTaskCompletedEventAttributes{
			ScheduledEventId: r.DecisionScheduledID, StartedEventId: r.DecisionStartedID,
			ExecutionContext: in.ExecutionContext, TaskList: in.TaskList,
			TaskListScheduleToStartTimeout: in.TaskListScheduleToStartTimeout,
		}
		if in.ExecutionContext != "" {
			r.LatestExecutionContext = in.ExecutionContext
		}
		if in.TaskList != nil {
			r.DecisionTaskList, r.DecisionScheduleToStart = in.TaskList.Name, max(s2s, 0)
		}
		r.PreviousStartedEventID = r.DecisionStartedID
		unhandled := r.DecisionNeeded || r.DecisionQueuedID != 0
		r.DecisionScheduledID, r.DecisionStartedID = 0, 0
		t.holdDecision, t.wantDecision = true, unhandled
		authz, _ := auth.FromContext(ctx)
		d := &decider{t: t, authz: authz, completedID: ev.EventId, unhandled: unhandled}
		for i := range in.Decisions {
			d.apply(&in.Decisions[i]) // a closing decision is the last (checked above)
		}
		t.holdDecision = false
		t.decisionClosed(t.wantDecision)
		return nil
	})
}

// unknownDecisionTask is the fault for the token of a decision task that
// completed or timed out, in AWS's words (as moto copies them).
func unknownDecisionTask(tok token) error {
	return swf.Unknown("Unknown decision task, scheduledEventId = %d", tok.ScheduledEventID)
}

// isOpen reports whether the run is open (in memory).
func (e *Engine) isOpen(runID string) bool {
	e.execMu.RLock()
	defer e.execMu.RUnlock()
	return e.execs[runID] != nil
}

// closesRun reports whether a decision of this type closes the run.
func closesRun(t shape.DecisionType) bool {
	switch t {
	case shape.DecisionTypeCompleteWorkflowExecution, shape.DecisionTypeFailWorkflowExecution,
		shape.DecisionTypeCancelWorkflowExecution, shape.DecisionTypeContinueAsNewWorkflowExecution:
		return true
	}
	return false
}

// decider applies the decisions of one RespondDecisionTaskCompleted.
type decider struct {
	t           *txn
	authz       auth.Authorizer // the caller; nil allows everything
	completedID int64
	unhandled   bool // events arrived while the task was started
}

func (d *decider) failed() { d.t.wantDecision = true }

func (d *decider) apply(dec *shape.Decision) {
	t := d.t
	if !t.decisionAllowed(d.authz, dec) {
		d.notPermitted(dec)
		return
	}
	switch dec.DecisionType {
	case shape.DecisionTypeScheduleActivityTask:
		d.scheduleActivity(dec.ScheduleActivityTaskDecisionAttributes)
	case shape.DecisionTypeRequestCancelActivityTask:
		d.requestCancelActivity(dec.RequestCancelActivityTaskDecisionAttributes.ActivityId)
	case shape.DecisionTypeStartTimer:
		d.startTimer(dec.StartTimerDecisionAttributes)
	case shape.DecisionTypeCancelTimer:
		d.cancelTimer(dec.CancelTimerDecisionAttributes.TimerId)
	case shape.DecisionTypeRecordMarker:
		a := dec.RecordMarkerDecisionAttributes
		ev := t.event(shape.EventTypeMarkerRecorded)
		ev.MarkerRecordedEventAttributes = &shape.MarkerRecordedEventAttributes{MarkerName: a.MarkerName, Details: a.Details, DecisionTaskCompletedEventId: d.completedID}
	case shape.DecisionTypeCompleteWorkflowExecution:
		if d.unhandled {
			ev := t.event(shape.EventTypeCompleteWorkflowExecutionFailed)
			ev.CompleteWorkflowExecutionFailedEventAttributes = &shape.CompleteWorkflowExecutionFailedEventAttributes{Cause: shape.CompleteWorkflowExecutionFailedCauseUnhandledDecision, DecisionTaskCompletedEventId: d.completedID}
			d.failed()
			return
		}
		var result string
		if a := dec.CompleteWorkflowExecutionDecisionAttributes; a != nil {
			result = a.Result
		}
		ev := t.event(shape.EventTypeWorkflowExecutionCompleted)
		ev.WorkflowExecutionCompletedEventAttributes = &shape.WorkflowExecutionCompletedEventAttributes{Result: result, DecisionTaskCompletedEventId: d.completedID}
		t.closeRun(shape.CloseStatusCompleted, ev)
	case shape.DecisionTypeFailWorkflowExecution:
		if d.unhandled {
			ev := t.event(shape.EventTypeFailWorkflowExecutionFailed)
			ev.FailWorkflowExecutionFailedEventAttributes = &shape.FailWorkflowExecutionFailedEventAttributes{Cause: shape.FailWorkflowExecutionFailedCauseUnhandledDecision, DecisionTaskCompletedEventId: d.completedID}
			d.failed()
			return
		}
		a := dec.FailWorkflowExecutionDecisionAttributes
		if a == nil {
			a = &shape.FailWorkflowExecutionDecisionAttributes{}
		}
		ev := t.event(shape.EventTypeWorkflowExecutionFailed)
		ev.WorkflowExecutionFailedEventAttributes = &shape.WorkflowExecutionFailedEventAttributes{Reason: a.Reason, Details: a.Details, DecisionTaskCompletedEventId: d.completedID}
		t.closeRun(shape.CloseStatusFailed, ev)
	case shape.DecisionTypeCancelWorkflowExecution:
		if d.unhandled {
			ev := t.event(shape.EventTypeCancelWorkflowExecutionFailed)
			ev.CancelWorkflowExecutionFailedEventAttributes = &shape.CancelWorkflowExecutionFailedEventAttributes{Cause: shape.CancelWorkflowExecutionFailedCauseUnhandledDecision, DecisionTaskCompletedEventId: d.completedID}
			d.failed()
			return
		}
		a := dec.CancelWorkflowExecutionDecisionAttributes
		if a == nil {
			a = &shape.CancelWorkflowExecutionDecisionAttributes{}
		}
		ev := t.event(shape.EventTypeWorkflowExecutionCanceled)
		ev.WorkflowExecutionCanceledEventAttributes = &shape.WorkflowExecutionCanceledEventAttributes{Details: a.Details, DecisionTaskCompletedEventId: d.completedID}
		t.closeRun(shape.CloseStatusCanceled, ev)
	case shape.DecisionTypeStartChildWorkflowExecution:
		d.startChild(dec.StartChildWorkflowExecutionDecisionAttributes)
	case shape.DecisionTypeSignalExternalWorkflowExecution:
		d.signalExternal(dec.SignalExternalWorkflowExecutionDecisionAttributes)
	case shape.DecisionTypeRequestCancelExternalWorkflowExecution:
		d.requestCancelExternal(dec.RequestCancelExternalWorkflowExecutionDecisionAttributes)
	case shape.DecisionTypeContinueAsNewWorkflowExecution:
		d.continueAsNew(dec.ContinueAsNewWorkflowExecutionDecisionAttributes)
	case shape.DecisionTypeScheduleLambdaFunction:
		// No Lambda service exists here: the decision fails as it does in a
		// region without Lambda.
		a := dec.ScheduleLambdaFunctionDecisionAttributes
		ev := t.event(shape.EventTypeScheduleLambdaFunctionFailed)
		ev.ScheduleLambdaFunctionFailedEventAttributes = &shape.ScheduleLambdaFunctionFailedEventAttributes{Id: a.Id, Name: a.Name, Cause: shape.ScheduleLambdaFunctionFailedCauseLambdaServiceNotAvailableInRegion, DecisionTaskCompletedEventId: d.completedID}
		d.failed()
	}
}

func (d *decider) scheduleActivity(a *shape.ScheduleActivityTaskDecisionAttributes) {
	t := d.t
	fail := func(cause shape.ScheduleActivityTaskFailedCause) {
		ev := t.event(shape.EventTypeScheduleActivityTaskFailed)
		ev.ScheduleActivityTaskFailedEventAttributes = &shape.ScheduleActivityTaskFailedEventAttributes{
			ActivityId: a.ActivityId, ActivityType: a.ActivityType, Cause: cause, DecisionTaskCompletedEventId: d.completedID,
		}
		d.failed()
	}
	r := t.x.e
	t.eng.regMu.RLock()
	at := t.eng.atypes[store.TypeKey{Domain: r.Domain, Name: a.ActivityType.Name, Version: a.ActivityType.Version}]
	var cfg shape.ActivityTypeConfiguration
	var status shape.RegistrationStatus
	if at != nil {
		cfg, status = at.Config, at.Info.Status
	}
	t.eng.regMu.RUnlock()
	switch {
	case at == nil:
		fail(shape.ScheduleActivityTaskFailedCauseActivityTypeDoesNotExist)
		return
	case status != shape.RegistrationStatusRegistered:
		fail(shape.ScheduleActivityTaskFailedCauseActivityTypeDeprecated)
		return
	case t.x.acts.withID(a.ActivityId) != nil:
		fail(shape.ScheduleActivityTaskFailedCauseActivityIdAlreadyInUse)
		return
	case len(t.x.acts) >= t.eng.lim.MaxOpenActivities:
		fail(shape.ScheduleActivityTaskFailedCauseOpenActivitiesLimitExceeded)
		return
	}
	taskList := a.TaskList
	if taskList == nil {
		taskList = cfg.DefaultTaskList
	}
	s2c, s2s := pick(a.ScheduleToCloseTimeout, cfg.DefaultTaskScheduleToCloseTimeout), pick(a.ScheduleToStartTimeout, cfg.DefaultTaskScheduleToStartTimeout)
	stc, hb := pick(a.StartToCloseTimeout, cfg.DefaultTaskStartToCloseTimeout), pick(a.HeartbeatTimeout, cfg.DefaultTaskHeartbeatTimeout)
	switch {
	case taskList == nil:
		fail(shape.ScheduleActivityTaskFailedCauseDefaultTaskListUndefined)
		return
	case s2c == "":
		fail(shape.ScheduleActivityTaskFailedCauseDefaultScheduleToCloseTimeoutUndefined)
		return
	case s2s == "":
		fail(shape.ScheduleActivityTaskFailedCauseDefaultScheduleToStartTimeoutUndefined)
		return
	case stc == "":
		fail(shape.ScheduleActivityTaskFailedCauseDefaultStartToCloseTimeoutUndefined)
		return
	case hb == "":
		fail(shape.ScheduleActivityTaskFailedCauseDefaultHeartbeatTimeoutUndefined)
		return
	}
	if !t.eng.scheduleRate.allow(r.Domain+"\x00"+taskList.Name, t.now, t.eng.lim.MaxActivityRate) {
		fail(shape.ScheduleActivityTaskFailedCauseActivityCreationRateExceeded)
		return
	}
	priority := pick(a.TaskPriority, cfg.DefaultTaskPriority)
	ev := t.event(shape.EventTypeActivityTaskScheduled)
	ev.ActivityTaskScheduledEventAttributes = &shape.ActivityTaskScheduledEventAttributes{
		ActivityId: a.ActivityId, ActivityType: a.ActivityType, Control: a.Control, Input: a.Input,
		DecisionTaskCompletedEventId: d.completedID, TaskList: taskList, TaskPriority: priority,
		HeartbeatTimeout: hb, ScheduleToCloseTimeout: s2c, ScheduleToStartTimeout: s2s, StartToCloseTimeout: stc,
	}
	s := &actState{
		typ: unique.Make(*a.ActivityType), list: unique.Make(taskList.Name),
		scheduledAt: unixMS(t.now), scheduledID: int32(ev.EventId), priority: parsePriority(priority),
		scheduleToStart: secs32(durationOf(s2s)), scheduleToClose: secs32(durationOf(s2c)),
		startToClose: secs32(durationOf(stc)), heartbeat: secs32(durationOf(hb)),
	}
	s.setText(a.ActivityId, a.Input, a.Control)
	act := s.record(r.Info.Execution.RunId)
	s.p = activityPending(r, act)
	t.x.acts.add(s)
	r.LatestActivityTaskAt = t.now
	t.c.PutActivities = append(t.c.PutActivities, act)
	for _, dl := range s.deadlines(act.RunID) {
		t.arm(dl)
	}
	t.eng.enqueue(s.p, t)
}

func (d *decider) requestCancelActivity(id string) {
	t := d.t
	s := t.x.acts.withID(id)
	if s == nil {
		ev := t.event(shape.EventTypeRequestCancelActivityTaskFailed)
		ev.RequestCancelActivityTaskFailedEventAttributes = &shape.RequestCancelActivityTaskFailedEventAttributes{ActivityId: id, Cause: shape.RequestCancelActivityTaskFailedCauseActivityIdUnknown, DecisionTaskCompletedEventId: d.completedID}
		d.failed()
		return
	}
	ev := t.event(shape.EventTypeActivityTaskCancelRequested)
	ev.ActivityTaskCancelRequestedEventAttributes = &shape.ActivityTaskCancelRequestedEventAttributes{ActivityId: id, DecisionTaskCompletedEventId: d.completedID}
	if s.started() {
		s.cancelRequestedID = int32(ev.EventId)
		t.putActivity(s)
		return
	}
	// Not started yet: no worker will ever see it, so it is canceled now.
	c := t.event(shape.EventTypeActivityTaskCanceled)
	c.ActivityTaskCanceledEventAttributes = &shape.ActivityTaskCanceledEventAttributes{ScheduledEventId: int64(s.scheduledID), LatestCancelRequestedEventId: ev.EventId}
	t.dropActivity(s)
	t.needDecision()
}

func (d *decider) startTimer(a *shape.StartTimerDecisionAttributes) {
	t := d.t
	fail := func(cause shape.StartTimerFailedCause) {
		ev := t.event(shape.EventTypeStartTimerFailed)
		ev.StartTimerFailedEventAttributes = &shape.StartTimerFailedEventAttributes{TimerId: a.TimerId, Cause: cause, DecisionTaskCompletedEventId: d.completedID}
		d.failed()
	}
	if t.x.timers[a.TimerId] != nil {
		fail(shape.StartTimerFailedCauseTimerIdAlreadyInUse)
		return
	}
	if len(t.x.timers) >= t.eng.lim.MaxOpenTimers {
		fail(shape.StartTimerFailedCauseOpenTimersLimitExceeded)
		return
	}
	n, _ := swf.ParseDuration("startToFireTimeout", a.StartToFireTimeout, false, 0)
	ev := t.event(shape.EventTypeTimerStarted)
	ev.TimerStartedEventAttributes = &shape.TimerStartedEventAttributes{TimerId: a.TimerId, Control: a.Control, StartToFireTimeout: a.StartToFireTimeout, DecisionTaskCompletedEventId: d.completedID}
	tm := &store.Timer{RunID: t.x.e.Info.Execution.RunId, TimerID: a.TimerId, StartedEventID: ev.EventId, FireAt: t.now.Add(seconds(n)), Control: a.Control}
	t.x.timers[a.TimerId] = tm
	t.c.PutTimers = append(t.c.PutTimers, tm)
	t.arm(deadline{at: tm.FireAt, kind: tUserTimer, runID: tm.RunID, eventID: tm.StartedEventID})
}

func (d *decider) cancelTimer(id string) {
	t := d.t
	tm := t.x.timers[id]
	if tm == nil {
		ev := t.event(shape.EventTypeCancelTimerFailed)
		ev.CancelTimerFailedEventAttributes = &shape.CancelTimerFailedEventAttributes{TimerId: id, Cause: shape.CancelTimerFailedCauseTimerIdUnknown, DecisionTaskCompletedEventId: d.completedID}
		d.failed()
		return
	}
	ev := t.event(shape.EventTypeTimerCanceled)
	ev.TimerCanceledEventAttributes = &shape.TimerCanceledEventAttributes{TimerId: id, StartedEventId: tm.StartedEventID, DecisionTaskCompletedEventId: d.completedID}
	t.dropTimer(tm)
}

func (t *txn) dropTimer(tm *store.Timer) {
	delete(t.x.timers, tm.TimerID)
	t.c.DelTimers = append(t.c.DelTimers, store.TimerKey{RunID: tm.RunID, TimerID: tm.TimerID})
}

// checkDecision applies the rules a decision must meet before any of the
// call's decisions is carried out; a break rejects the whole call.
func (e *Engine) checkDecision(i int, d *shape.Decision) error {
	path := fmt.Sprintf("decisions.%d.member", i+1)
	missing := func(member string) error {
		return swf.Invalid("1 validation error detected: Value null at '%s.%s' failed to satisfy constraint: Member must not be null", path, member)
	}
	name := func(member, v string) error { return swf.CheckName(path+"."+member, v) }
	switch d.DecisionType {
	case shape.DecisionTypeScheduleActivityTask:
		a := d.ScheduleActivityTaskDecisionAttributes
		if a == nil {
			return missing("scheduleActivityTaskDecisionAttributes")
		}
		p := "scheduleActivityTaskDecisionAttributes."
		return firstErr(name(p+"activityId", a.ActivityId), name(p+"activityType.name", a.ActivityType.Name),
			name(p+"activityType.version", a.ActivityType.Version), checkTaskList(path+"."+p+"taskList.name", a.TaskList),
			checkPriority(path+"."+p+"taskPriority", a.TaskPriority),
			checkOptDuration(path+"."+p+"heartbeatTimeout", a.HeartbeatTimeout, e.lim),
			checkOptDuration(path+"."+p+"scheduleToCloseTimeout", a.ScheduleToCloseTimeout, e.lim),
			checkOptDuration(path+"."+p+"scheduleToStartTimeout", a.ScheduleToStartTimeout, e.lim),
			checkOptDuration(path+"."+p+"startToCloseTimeout", a.StartToCloseTimeout, e.lim))
	case shape.DecisionTypeRequestCancelActivityTask:
		if d.RequestCancelActivityTaskDecisionAttributes == nil {
			return missing("requestCancelActivityTaskDecisionAttributes")
		}
	case shape.DecisionTypeStartTimer:
		a := d.StartTimerDecisionAttributes
		if a == nil {
			return missing("startTimerDecisionAttributes")
		}
		_, err := swf.ParseDuration(path+".startTimerDecisionAttributes.startToFireTimeout", a.StartToFireTimeout, false, e.lim.MaxDurationSeconds)
		return firstErr(name("startTimerDecisionAttributes.timerId", a.TimerId), err)
	case shape.DecisionTypeCancelTimer:
		if d.CancelTimerDecisionAttributes == nil {
			return missing("cancelTimerDecisionAttributes")
		}
	case shape.DecisionTypeRecordMarker:
		a := d.RecordMarkerDecisionAttributes
		if a == nil {
			return missing("recordMarkerDecisionAttributes")
		}
		return name("recordMarkerDecisionAttributes.markerName", a.MarkerName)
	case shape.DecisionTypeScheduleLambdaFunction:
		if d.ScheduleLambdaFunctionDecisionAttributes == nil {
			return missing("scheduleLambdaFunctionDecisionAttributes")
		}
	case shape.DecisionTypeStartChildWorkflowExecution:
		a := d.StartChildWorkflowExecutionDecisionAttributes
		if a == nil {
			return missing("startChildWorkflowExecutionDecisionAttributes")
		}
		p := path + ".startChildWorkflowExecutionDecisionAttributes."
		return firstErr(name("startChildWorkflowExecutionDecisionAttributes.workflowId", a.WorkflowId),
			checkTaskList(p+"taskList.name", a.TaskList), checkPriority(p+"taskPriority", a.TaskPriority),
			checkOptDuration(p+"taskStartToCloseTimeout", a.TaskStartToCloseTimeout, e.lim),
			e.checkTags(p+"tagList", a.TagList))
	case shape.DecisionTypeSignalExternalWorkflowExecution:
		a := d.SignalExternalWorkflowExecutionDecisionAttributes
		if a == nil {
			return missing("signalExternalWorkflowExecutionDecisionAttributes")
		}
		return name("signalExternalWorkflowExecutionDecisionAttributes.signalName", a.SignalName)
	case shape.DecisionTypeRequestCancelExternalWorkflowExecution:
		if d.RequestCancelExternalWorkflowExecutionDecisionAttributes == nil {
			return missing("requestCancelExternalWorkflowExecutionDecisionAttributes")
		}
	case shape.DecisionTypeContinueAsNewWorkflowExecution:
		a := d.ContinueAsNewWorkflowExecutionDecisionAttributes
		if a == nil {
			return missing("continueAsNewWorkflowExecutionDecisionAttributes")
		}
		p := path + ".continueAsNewWorkflowExecutionDecisionAttributes."
		return firstErr(checkTaskList(p+"taskList.name", a.TaskList), checkPriority(p+"taskPriority", a.TaskPriority),
			checkOptDuration(p+"taskStartToCloseTimeout", a.TaskStartToCloseTimeout, e.lim),
			e.checkTags(p+"tagList", a.TagList))
	case shape.DecisionTypeCompleteWorkflowExecution, shape.DecisionTypeFailWorkflowExecution, shape.DecisionTypeCancelWorkflowExecution:
		// Their attributes are optional.
	}
	return nil
}

// checkTags applies the per-execution tag limit.
func (e *Engine) checkTags(field string, tags []string) error {
	if len(tags) > e.lim.MaxTagsPerExecution {
		return swf.Invalid("%s: at most %d tags; %d given", field, e.lim.MaxTagsPerExecution, len(tags))
	}
	return nil
}
