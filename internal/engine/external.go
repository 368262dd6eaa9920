package engine

import (
	"context"
	"errors"

	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/store"
	"github.com/openswf/openswf/internal/swf"
)

// Effects across runs (signals, cancel requests, child starts, child
// results, child policies) never hold two runs' locks at once, so no two
// runs can deadlock on each other. The initiating run records its
// ...Initiated event and a store.Transfer in one write; once that is
// durable the engine acts on the target run in a second write and records
// the outcome in the initiating run in a third. After a crash between those
// writes, Start finds the transfers still pending and carries them out
// again, checking first whether the target already got its part.

func (d *decider) signalExternal(a *shape.SignalExternalWorkflowExecutionDecisionAttributes) {
	t := d.t
	ev := t.event(shape.EventTypeSignalExternalWorkflowExecutionInitiated)
	ev.SignalExternalWorkflowExecutionInitiatedEventAttributes = &shape.SignalExternalWorkflowExecutionInitiatedEventAttributes{
		WorkflowId: a.WorkflowId, RunId: a.RunId, SignalName: a.SignalName, Input: a.Input, Control: a.Control,
		DecisionTaskCompletedEventId: d.completedID,
	}
	t.transfer(store.Transfer{Kind: store.TransferSignal, InitiatedEventID: ev.EventId, DecisionTaskCompletedEventID: d.completedID,
		WorkflowID: a.WorkflowId, RunID: a.RunId, SignalName: a.SignalName, Input: a.Input, Control: a.Control})
}

func (d *decider) requestCancelExternal(a *shape.RequestCancelExternalWorkflowExecutionDecisionAttributes) {
	t := d.t
	ev := t.event(shape.EventTypeRequestCancelExternalWorkflowExecutionInitiated)
	ev.RequestCancelExternalWorkflowExecutionInitiatedEventAttributes = &shape.RequestCancelExternalWorkflowExecutionInitiatedEventAttributes{
		WorkflowId: a.WorkflowId, RunId: a.RunId, Control: a.Control, DecisionTaskCompletedEventId: d.completedID,
	}
	t.transfer(store.Transfer{Kind: store.TransferCancel, InitiatedEventID: ev.EventId, DecisionTaskCompletedEventID: d.completedID,
		WorkflowID: a.WorkflowId, RunID: a.RunId, Control: a.Control})
}

func (d *decider) startChild(a *shape.StartChildWorkflowExecutionDecisionAttributes) {
	t := d.t
	r := t.x.e
	fail := func(cause shape.StartChildWorkflowExecutionFailedCause, initiated int64) {
		ev := t.event(shape.EventTypeStartChildWorkflowExecutionFailed)
		ev.StartChildWorkflowExecutionFailedEventAttributes = &shape.StartChildWorkflowExecutionFailedEventAttributes{
			WorkflowId: a.WorkflowId, WorkflowType: a.WorkflowType, Cause: cause, Control: a.Control,
			InitiatedEventId: initiated, DecisionTaskCompletedEventId: d.completedID,
		}
		d.failed()
	}
	wt, err := t.eng.usableWorkflowType(r.Domain, a.WorkflowType)
	if err != nil {
		if isUnknown(err) {
			fail(shape.StartChildWorkflowExecutionFailedCauseWorkflowTypeDoesNotExist, 0)
		} else {
			fail(shape.StartChildWorkflowExecutionFailedCauseWorkflowTypeDeprecated, 0)
		}
		return
	}
	cfg, err := t.eng.resolveConfig(shape.WorkflowExecutionConfiguration{
		ChildPolicy: a.ChildPolicy, ExecutionStartToCloseTimeout: a.ExecutionStartToCloseTimeout,
		TaskStartToCloseTimeout: a.TaskStartToCloseTimeout, TaskPriority: a.TaskPriority,
		LambdaRole: a.LambdaRole, TaskList: a.TaskList,
	}, wt.Config)
	var undef *undefinedError
	if errors.As(err, &undef) {
		fail(map[string]shape.StartChildWorkflowExecutionFailedCause{
			"taskList":                     shape.StartChildWorkflowExecutionFailedCauseDefaultTaskListUndefined,
			"childPolicy":                  shape.StartChildWorkflowExecutionFailedCauseDefaultChildPolicyUndefined,
			"executionStartToCloseTimeout": shape.StartChildWorkflowExecutionFailedCauseDefaultExecutionStartToCloseTimeoutUndefined,
			"taskStartToCloseTimeout":      shape.StartChildWorkflowExecutionFailedCauseDefaultTaskStartToCloseTimeoutUndefined,
		}[undef.what], 0)
		return
	}
	if len(r.Children)+t.pendingChildren() >= t.eng.lim.MaxOpenChildren {
		fail(shape.StartChildWorkflowExecutionFailedCauseOpenChildrenLimitExceeded, 0)
		return
	}
	ev := t.event(shape.EventTypeStartChildWorkflowExecutionInitiated)
	ev.StartChildWorkflowExecutionInitiatedEventAttributes = &shape.StartChildWorkflowExecutionInitiatedEventAttributes{
		WorkflowId: a.WorkflowId, WorkflowType: a.WorkflowType, Control: a.Control, Input: a.Input,
		ChildPolicy: cfg.ChildPolicy, ExecutionStartToCloseTimeout: cfg.ExecutionStartToCloseTimeout,
		TaskStartToCloseTimeout: cfg.TaskStartToCloseTimeout, TaskList: cfg.TaskList, TaskPriority: cfg.TaskPriority,
		LambdaRole: cfg.LambdaRole, TagList: a.TagList, DecisionTaskCompletedEventId: d.completedID,
	}
	t.transfer(store.Transfer{Kind: store.TransferChild, InitiatedEventID: ev.EventId, DecisionTaskCompletedEventID: d.completedID,
		WorkflowID: a.WorkflowId, Input: a.Input, Control: a.Control,
		Child: &store.ChildStart{WorkflowType: *a.WorkflowType, Config: cfg, TagList: a.TagList}})
}

func (t *txn) pendingChildren() int {
	n := 0
	for _, p := range t.x.e.Pending {
		if p.Kind == store.TransferChild {
			n++
		}
	}
	return n
}

// transfer records a pending effect and carries it out once durable.
func (t *txn) transfer(p store.Transfer) {
	t.x.e.Pending = append(t.x.e.Pending, p)
	t.dirty = true
	src := *t.x.e.Info.Execution
	domain := t.x.e.Domain
	t.after = append(t.after, func() { t.eng.deliver(domain, src, p.InitiatedEventID, false) })
}

// deliver carries out src's pending transfer initiated by event id.
// redrive is set after a restart, when the target may already have its part.
func (e *Engine) deliver(domain string, src shape.WorkflowExecution, initiatedID int64, redrive bool) {
	p, found := e.pendingTransfer(src.RunId, initiatedID)
	if !found {
		return // resolved meanwhile, or the run closed
	}
	if shard, remote := e.remoteShard(domain, p.WorkflowID); remote {
		target, outcome, err := e.deliverRemote(shard, domain, src, p, redrive)
		if err != nil {
			e.retryLater("transfer", err, func() { e.deliver(domain, src, initiatedID, true) })
			return
		}
		e.resolve(domain, src, p, target, outcome)
		return
	}
	var target *shape.WorkflowExecution
	var err error
	switch p.Kind {
	case store.TransferSignal, store.TransferCancel:
		target, err = e.deliverToTarget(domain, src, p, redrive)
	case store.TransferChild:
		target, err = e.startChildRun(domain, src, p, redrive)
	}
	if err != nil && !isUnknown(err) && !errors.Is(err, errAlreadyRunning) {
		e.log.Error("transfer not delivered", "kind", p.Kind, "run_id", src.RunId, "err", err)
		return
	}
	e.resolve(domain, src, p, target, err)
}

// pendingTransfer returns run's pending transfer of an initiated event.
func (e *Engine) pendingTransfer(runID string, initiatedID int64) (store.Transfer, bool) {
	e.execMu.RLock()
	x := e.execs[runID]
	e.execMu.RUnlock()
	if x == nil {
		return store.Transfer{}, false
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, p := range x.e.Pending {
		if p.InitiatedEventID == initiatedID && !x.closed {
			return p, true
		}
	}
	return store.Transfer{}, false
}

// deliverToTarget records a signal or cancel request in the target run.
func (e *Engine) deliverToTarget(domain string, src shape.WorkflowExecution, p store.Transfer, redrive bool) (*shape.WorkflowExecution, error) {
	if err := e.checkOwner(domain, p.WorkflowID); err != nil {
		return nil, err // another node's run: the transfer stays pending
	}
	x := e.findOpen(domain, p.WorkflowID, p.RunID)
	if x == nil {
		return nil, swf.Unknown("unknown external execution")
	}
	var target shape.WorkflowExecution
	err := e.withRun(x, func(t *txn) error {
		target = *t.x.e.Info.Execution
		if redrive && e.alreadyDelivered(target.RunId, src.RunId, p.InitiatedEventID) {
			return errStale
		}
		if p.Kind == store.TransferSignal {
			ev := t.event(shape.EventTypeWorkflowExecutionSignaled)
			ev.WorkflowExecutionSignaledEventAttributes = &shape.WorkflowExecutionSignaledEventAttributes{
				SignalName: p.SignalName, Input: p.Input, ExternalWorkflowExecution: &src, ExternalInitiatedEventId: p.InitiatedEventID,
			}
			t.needDecision()
			return nil
		}
		t.requestCancel(&shape.WorkflowExecutionCancelRequestedEventAttributes{ExternalWorkflowExecution: &src, ExternalInitiatedEventId: p.InitiatedEventID})
		return nil
	})
	if errors.Is(err, errStale) {
		err = nil
	}
	return &target, err
}

// requestCancel records a cancel request (once) and gives the decider a task.
func (t *txn) requestCancel(attrs *shape.WorkflowExecutionCancelRequestedEventAttributes) {
	if t.x.e.Info.CancelRequested {
		return
	}
	t.x.e.Info.CancelRequested = true
	t.event(shape.EventTypeWorkflowExecutionCancelRequested).WorkflowExecutionCancelRequestedEventAttributes = attrs
	t.needDecision()
}

// alreadyDelivered scans the target's history for the event a transfer
// adds there. Only a redrive after a restart needs it.
func (e *Engine) alreadyDelivered(targetRun, srcRun string, initiatedID int64) bool {
	events, err := e.st.Events(context.Background(), &store.EventsParams{RunID: targetRun})
	if err != nil {
		return false
	}
	for _, ev := range events {
		var from *shape.WorkflowExecution
		var id int64
		if a := ev.WorkflowExecutionSignaledEventAttributes; a != nil {
			from, id = a.ExternalWorkflowExecution, a.ExternalInitiatedEventId
		}
		if a := ev.WorkflowExecutionCancelRequestedEventAttributes; a != nil {
			from, id = a.ExternalWorkflowExecution, a.ExternalInitiatedEventId
		}
		if a := ev.WorkflowExecutionStartedEventAttributes; a != nil {
			from, id = a.ParentWorkflowExecution, a.ParentInitiatedEventId
		}
		if from != nil && from.RunId == srcRun && id == initiatedID {
			return true
		}
	}
	return false
}

// startChildRun starts the child run of a StartChildWorkflowExecution.
func (e *Engine) startChildRun(domain string, parent shape.WorkflowExecution, p store.Transfer, redrive bool) (*shape.WorkflowExecution, error) {
	if redrive {
		if we := e.startedChild(domain, parent, p); we != nil {
			return we, nil
		}
	}
	x, t, err := e.newRun(&startSpec{
		domain: domain, workflowID: p.WorkflowID, workflowType: p.Child.WorkflowType, config: p.Child.Config,
		input: p.Input, tags: p.Child.TagList, parent: &parent, parentInitiatedID: p.InitiatedEventID,
	}, e.clk.Now().UTC())
	if err != nil {
		return nil, err
	}
	done := t.commitLocked()
	we := *x.e.Info.Execution
	x.mu.Unlock()
	return &we, e.finish(t, done)
}

// startedChild finds the run a redriven StartChildWorkflowExecution
// already started, open or closed: the node that started it may have died
// before the parent recorded the start, and by the time the parent's next
// owner redrives it the child may have run to its end. Starting it again
// would run the child twice.
func (e *Engine) startedChild(domain string, parent shape.WorkflowExecution, p store.Transfer) *shape.WorkflowExecution {
	mine := func(r *store.Execution) bool {
		return r.Info.Parent != nil && r.Info.Parent.RunId == parent.RunId && r.ParentInitiatedEventID == p.InitiatedEventID
	}
	if x := e.findOpen(domain, p.WorkflowID, ""); x != nil {
		x.mu.Lock()
		ok, we := mine(x.e), *x.e.Info.Execution
		x.mu.Unlock()
		if ok {
			return &we
		}
	}
	closed, err := e.st.ExecutionList(context.Background(), &store.ExecutionListParams{Domain: domain, WorkflowID: p.WorkflowID, Limit: 1000})
	if err != nil {
		e.log.Warn("redrive: cannot look for a child already started; starting it", "workflow_id", p.WorkflowID, "err", err)
		return nil
	}
	for _, r := range closed {
		if mine(r) {
			we := *r.Info.Execution
			return &we
		}
	}
	return nil
}

// resolve records a transfer's outcome in the run that initiated it.
func (e *Engine) resolve(domain string, src shape.WorkflowExecution, p store.Transfer, target *shape.WorkflowExecution, outcome error) {
	var orphan *shape.WorkflowExecution // a child whose parent closed meanwhile
	err := e.run(src.RunId, func(t *txn) error {
		if !t.dropTransfer(p.InitiatedEventID) {
			return errStale
		}
		failed := outcome != nil
		switch {
		case p.Kind == store.TransferSignal && failed:
			t.event(shape.EventTypeSignalExternalWorkflowExecutionFailed).SignalExternalWorkflowExecutionFailedEventAttributes = &shape.SignalExternalWorkflowExecutionFailedEventAttributes{
				WorkflowId: p.WorkflowID, RunId: p.RunID, Control: p.Control, InitiatedEventId: p.InitiatedEventID,
				DecisionTaskCompletedEventId: p.DecisionTaskCompletedEventID, Cause: shape.SignalExternalWorkflowExecutionFailedCauseUnknownExternalWorkflowExecution,
			}
		case p.Kind == store.TransferSignal:
			t.event(shape.EventTypeExternalWorkflowExecutionSignaled).ExternalWorkflowExecutionSignaledEventAttributes = &shape.ExternalWorkflowExecutionSignaledEventAttributes{
				WorkflowExecution: target, InitiatedEventId: p.InitiatedEventID,
			}
		case p.Kind == store.TransferCancel && failed:
			t.event(shape.EventTypeRequestCancelExternalWorkflowExecutionFailed).RequestCancelExternalWorkflowExecutionFailedEventAttributes = &shape.RequestCancelExternalWorkflowExecutionFailedEventAttributes{
				WorkflowId: p.WorkflowID, RunId: p.RunID, Control: p.Control, InitiatedEventId: p.InitiatedEventID,
				DecisionTaskCompletedEventId: p.DecisionTaskCompletedEventID, Cause: shape.RequestCancelExternalWorkflowExecutionFailedCauseUnknownExternalWorkflowExecution,
			}
		case p.Kind == store.TransferCancel:
			t.event(shape.EventTypeExternalWorkflowExecutionCancelRequested).ExternalWorkflowExecutionCancelRequestedEventAttributes = &shape.ExternalWorkflowExecutionCancelRequestedEventAttributes{
				WorkflowExecution: target, InitiatedEventId: p.InitiatedEventID,
			}
		case p.Kind == store.TransferChild && failed:
			cause := shape.StartChildWorkflowExecutionFailedCauseWorkflowAlreadyRunning
			if errors.Is(outcome, errOpenLimit) {
				cause = shape.StartChildWorkflowExecutionFailedCauseOpenWorkflowsLimitExceeded
			}
			wt := p.Child.WorkflowType
			t.event(shape.EventTypeStartChildWorkflowExecutionFailed).StartChildWorkflowExecutionFailedEventAttributes = &shape.StartChildWorkflowExecutionFailedEventAttributes{
				WorkflowId: p.WorkflowID, WorkflowType: &wt, Control: p.Control, InitiatedEventId: p.InitiatedEventID,
				DecisionTaskCompletedEventId: p.DecisionTaskCompletedEventID, Cause: cause,
			}
		case p.Kind == store.TransferChild:
			wt := p.Child.WorkflowType
			ev := t.event(shape.EventTypeChildWorkflowExecutionStarted)
			ev.ChildWorkflowExecutionStartedEventAttributes = &shape.ChildWorkflowExecutionStartedEventAttributes{
				WorkflowExecution: target, WorkflowType: &wt, InitiatedEventId: p.InitiatedEventID,
			}
			if t.x.e.Children == nil {
				t.x.e.Children = map[string]store.Child{}
			}
			t.x.e.Children[target.RunId] = store.Child{WorkflowID: target.WorkflowId, WorkflowType: wt, InitiatedEventID: p.InitiatedEventID, StartedEventID: ev.EventId}
		}
		t.needDecision()
		return nil
	})
	if isUnknown(err) && p.Kind == store.TransferChild && outcome == nil {
		orphan = target
	}
	if orphan != nil {
		// The parent closed while its child was starting: its child policy
		// applies to the child as to any other.
		if r, err := e.st.ExecutionGet(context.Background(), &store.ExecutionGetParams{Domain: domain, RunID: src.RunId}); err == nil {
			e.orderChildPolicy(domain, *orphan, r.AppliedChildPolicy)
		}
	}
}

func (t *txn) dropTransfer(initiatedID int64) bool {
	r := t.x.e
	for i, q := range r.Pending {
		if q.InitiatedEventID == initiatedID {
			r.Pending = append(r.Pending[:i:i], r.Pending[i+1:]...)
			t.dirty = true
			return true
		}
	}
	return false
}

// childClosed tells the parent that one of its children closed, with the
// child's closing event. A child that continued as new stays the parent's
// child under its new run id.
func (e *Engine) childClosed(parent shape.WorkflowExecution, child shape.WorkflowExecution, closing *shape.HistoryEvent) {
	_ = e.run(parent.RunId, func(t *txn) error {
		c, ok := t.x.e.Children[child.RunId]
		if !ok {
			return errStale
		}
		delete(t.x.e.Children, child.RunId)
		t.dirty = true
		we, wt := child, c.WorkflowType
		ids := func() (int64, int64) { return c.InitiatedEventID, c.StartedEventID }
		init, started := ids()
		switch closing.EventType {
		case shape.EventTypeWorkflowExecutionContinuedAsNew:
			c.WorkflowType = *closing.WorkflowExecutionContinuedAsNewEventAttributes.WorkflowType
			t.x.e.Children[closing.WorkflowExecutionContinuedAsNewEventAttributes.NewExecutionRunId] = c
			return nil
		case shape.EventTypeWorkflowExecutionCompleted:
			t.event(shape.EventTypeChildWorkflowExecutionCompleted).ChildWorkflowExecutionCompletedEventAttributes = &shape.ChildWorkflowExecutionCompletedEventAttributes{
				WorkflowExecution: &we, WorkflowType: &wt, InitiatedEventId: init, StartedEventId: started, Result: closing.WorkflowExecutionCompletedEventAttributes.Result}
		case shape.EventTypeWorkflowExecutionFailed:
			a := closing.WorkflowExecutionFailedEventAttributes
			t.event(shape.EventTypeChildWorkflowExecutionFailed).ChildWorkflowExecutionFailedEventAttributes = &shape.ChildWorkflowExecutionFailedEventAttributes{
				WorkflowExecution: &we, WorkflowType: &wt, InitiatedEventId: init, StartedEventId: started, Reason: a.Reason, Details: a.Details}
		case shape.EventTypeWorkflowExecutionCanceled:
			t.event(shape.EventTypeChildWorkflowExecutionCanceled).ChildWorkflowExecutionCanceledEventAttributes = &shape.ChildWorkflowExecutionCanceledEventAttributes{
				WorkflowExecution: &we, WorkflowType: &wt, InitiatedEventId: init, StartedEventId: started, Details: closing.WorkflowExecutionCanceledEventAttributes.Details}
		case shape.EventTypeWorkflowExecutionTimedOut:
			t.event(shape.EventTypeChildWorkflowExecutionTimedOut).ChildWorkflowExecutionTimedOutEventAttributes = &shape.ChildWorkflowExecutionTimedOutEventAttributes{
				WorkflowExecution: &we, WorkflowType: &wt, InitiatedEventId: init, StartedEventId: started, TimeoutType: shape.WorkflowExecutionTimeoutTypeStartToClose}
		case shape.EventTypeWorkflowExecutionTerminated:
			t.event(shape.EventTypeChildWorkflowExecutionTerminated).ChildWorkflowExecutionTerminatedEventAttributes = &shape.ChildWorkflowExecutionTerminatedEventAttributes{
				WorkflowExecution: &we, WorkflowType: &wt, InitiatedEventId: init, StartedEventId: started}
		}
		t.needDecision()
		return nil
	})
}

// applyChildPolicy acts on a child whose parent closed.
func (e *Engine) applyChildPolicy(childRun string, policy shape.ChildPolicy) {
	_ = e.run(childRun, func(t *txn) error {
		switch policy {
		case shape.ChildPolicyTerminate:
			ev := t.event(shape.EventTypeWorkflowExecutionTerminated)
			ev.WorkflowExecutionTerminatedEventAttributes = &shape.WorkflowExecutionTerminatedEventAttributes{
				Cause: shape.WorkflowExecutionTerminatedCauseChildPolicyApplied, ChildPolicy: t.x.e.Config.ChildPolicy,
			}
			t.closeRun(shape.CloseStatusTerminated, ev)
		case shape.ChildPolicyRequestCancel:
			if t.x.e.Info.CancelRequested {
				return errStale
			}
			t.requestCancel(&shape.WorkflowExecutionCancelRequestedEventAttributes{Cause: shape.WorkflowExecutionCancelRequestedCauseChildPolicyApplied})
		default:
			return errStale
		}
		return nil
	})
}

// redrive finishes, after a restart, the cross-run effects a crash may
// have cut short, for runs. It runs once the state is loaded, for every
// open run, and for the runs of a shard a node takes over.
func (e *Engine) redrive(runs []*execState) {
	for _, x := range runs {
		x.mu.Lock()
		domain, self := x.e.Domain, *x.e.Info.Execution
		pending := append([]store.Transfer(nil), x.e.Pending...)
		x.mu.Unlock()
		for _, p := range pending {
			e.deliver(domain, self, p.InitiatedEventID, true)
		}
	}
	e.recheckRelatives(runs, func(int32) bool { return true })
}

// recheckRelatives looks in the store, for each of runs, at its children
// and its parent whose shards pass in (and which are not open here): a
// child that closed is recorded in its parent, and a parent that closed
// has its child policy applied. Their own node tells them so when they
// close, but that notice is lost if the node dies or stops before it got
// through; the run's side then finds out here, when the relative's shard
// moves (Reconcile) or its own does (redrive).
func (e *Engine) recheckRelatives(runs []*execState, in func(shard int32) bool) {
	ctx := context.Background()
	for _, x := range runs {
		x.mu.Lock()
		if x.closed || x.dropped {
			x.mu.Unlock()
			continue
		}
		r := x.e
		domain, self := r.Domain, *r.Info.Execution
		var children []string
		for run, c := range r.Children {
			if in(store.ShardOf(domain, c.WorkflowID)) {
				children = append(children, run)
			}
		}
		var parent *shape.WorkflowExecution
		if p := r.Info.Parent; p != nil && in(store.ShardOf(domain, p.WorkflowId)) {
			parent = p
		}
		x.mu.Unlock()
		for _, run := range children {
			if e.openState(run) != nil {
				continue
			}
			c, err := e.st.ExecutionGet(ctx, &store.ExecutionGetParams{Domain: domain, RunID: run})
			if err != nil || c.ClosedByEventID == 0 {
				continue
			}
			if evs, err := e.st.Events(ctx, &store.EventsParams{RunID: run, AfterID: c.ClosedByEventID - 1, Limit: 1}); err == nil && len(evs) == 1 {
				e.childClosed(self, *c.Info.Execution, &evs[0])
			}
		}
		if parent != nil && e.openState(parent.RunId) == nil {
			// An open parent (of another node) has no applied policy:
			// applying none changes nothing.
			if p, err := e.st.ExecutionGet(ctx, &store.ExecutionGetParams{Domain: domain, RunID: parent.RunId}); err == nil {
				e.applyChildPolicy(self.RunId, p.AppliedChildPolicy)
			}
		}
	}
}

// openRuns lists the open runs in memory.
func (e *Engine) openRuns() []*execState {
	e.execMu.RLock()
	defer e.execMu.RUnlock()
	runs := make([]*execState, 0, len(e.execs))
	for _, x := range e.execs {
		runs = append(runs, x)
	}
	return runs
}

// continueAsNew closes the run and starts the next run of its workflow id.
func (d *decider) continueAsNew(a *shape.ContinueAsNewWorkflowExecutionDecisionAttributes) {
	t := d.t
	r := t.x.e
	fail := func(cause shape.ContinueAsNewWorkflowExecutionFailedCause) {
		ev := t.event(shape.EventTypeContinueAsNewWorkflowExecutionFailed)
		ev.ContinueAsNewWorkflowExecutionFailedEventAttributes = &shape.ContinueAsNewWorkflowExecutionFailedEventAttributes{Cause: cause, DecisionTaskCompletedEventId: d.completedID}
		d.failed()
	}
	if d.unhandled {
		fail(shape.ContinueAsNewWorkflowExecutionFailedCauseUnhandledDecision)
		return
	}
	wtype := shape.WorkflowType{Name: r.Info.WorkflowType.Name, Version: pick(a.WorkflowTypeVersion, r.Info.WorkflowType.Version)}
	wt, err := t.eng.usableWorkflowType(r.Domain, &wtype)
	if err != nil {
		if isUnknown(err) {
			fail(shape.ContinueAsNewWorkflowExecutionFailedCauseWorkflowTypeDoesNotExist)
		} else {
			fail(shape.ContinueAsNewWorkflowExecutionFailedCauseWorkflowTypeDeprecated)
		}
		return
	}
	// Settings not given carry over from this run, then the type's defaults.
	cur := r.Config
	given := shape.WorkflowExecutionConfiguration{
		ChildPolicy: pick(a.ChildPolicy, cur.ChildPolicy), ExecutionStartToCloseTimeout: pick(a.ExecutionStartToCloseTimeout, cur.ExecutionStartToCloseTimeout),
		TaskStartToCloseTimeout: pick(a.TaskStartToCloseTimeout, cur.TaskStartToCloseTimeout), TaskPriority: pick(a.TaskPriority, cur.TaskPriority),
		LambdaRole: pick(a.LambdaRole, cur.LambdaRole), TaskList: a.TaskList,
	}
	if given.TaskList == nil {
		given.TaskList = cur.TaskList
	}
	cfg, err := t.eng.resolveConfig(given, wt.Config)
	var undef *undefinedError
	if errors.As(err, &undef) {
		fail(map[string]shape.ContinueAsNewWorkflowExecutionFailedCause{
			"taskList":                     shape.ContinueAsNewWorkflowExecutionFailedCauseDefaultTaskListUndefined,
			"childPolicy":                  shape.ContinueAsNewWorkflowExecutionFailedCauseDefaultChildPolicyUndefined,
			"executionStartToCloseTimeout": shape.ContinueAsNewWorkflowExecutionFailedCauseDefaultExecutionStartToCloseTimeoutUndefined,
			"taskStartToCloseTimeout":      shape.ContinueAsNewWorkflowExecutionFailedCauseDefaultTaskStartToCloseTimeoutUndefined,
		}[undef.what])
		return
	}
	tags := a.TagList
	if tags == nil {
		tags = r.Info.TagList
	}
	ev := t.event(shape.EventTypeWorkflowExecutionContinuedAsNew)
	attrs := &shape.WorkflowExecutionContinuedAsNewEventAttributes{
		Input: a.Input, DecisionTaskCompletedEventId: d.completedID, ChildPolicy: cfg.ChildPolicy,
		ExecutionStartToCloseTimeout: cfg.ExecutionStartToCloseTimeout, TaskStartToCloseTimeout: cfg.TaskStartToCloseTimeout,
		TaskList: cfg.TaskList, TaskPriority: cfg.TaskPriority, LambdaRole: cfg.LambdaRole, TagList: tags, WorkflowType: &wtype,
	}
	ev.WorkflowExecutionContinuedAsNewEventAttributes = attrs
	t.closeRun(shape.CloseStatusContinuedAsNew, ev)
	x2, t2, err := t.eng.newRun(&startSpec{
		domain: r.Domain, workflowID: r.Info.Execution.WorkflowId, workflowType: wtype, config: cfg,
		input: a.Input, tags: tags, parent: r.Info.Parent, parentInitiatedID: r.ParentInitiatedEventID,
		continuedFrom: r.Info.Execution.RunId,
	}, t.now)
	if err != nil {
		// The workflow id was freed by closeRun just above, so only the
		// open-executions limit can refuse it, and this run just left it.
		t.eng.log.Error("continue as new: new run refused", "err", err)
		return
	}
	attrs.NewExecutionRunId = x2.e.Info.Execution.RunId
	t.merge(t2)
}
