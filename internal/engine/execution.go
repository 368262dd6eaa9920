package engine

import (
	"context"
	"errors"

	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/store"
	"github.com/openswf/openswf/internal/swf"
)

// StartWorkflowExecution starts a run of a workflow type.
// Faults: UnknownResourceFault, TypeDeprecatedFault,
// WorkflowExecutionAlreadyStartedFault, LimitExceededFault,
// DefaultUndefinedFault, ValidationException.
func (e *Engine) StartWorkflowExecution(ctx context.Context, in *shape.StartWorkflowExecutionInput) (*shape.Run, error) {
	if err := firstErr(
		swf.CheckName("workflowId", in.WorkflowId),
		checkTaskList("taskList.name", in.TaskList, true),
		checkPriority("taskPriority", in.TaskPriority),
		checkOptDuration("taskStartToCloseTimeout", in.TaskStartToCloseTimeout, e.lim),
	); err != nil {
		return nil, err
	}
	if len(in.TagList) > e.lim.MaxTagsPerExecution {
		return nil, swf.Invalid("tagList: at most %d tags; %d given", e.lim.MaxTagsPerExecution, len(in.TagList))
	}
	e.regMu.RLock()
	_, derr := e.usableDomainLocked(in.Domain)
	var wt *store.WorkflowType
	if derr == nil {
		wt, derr = e.workflowTypeLocked(in.Domain, in.WorkflowType)
	}
	e.regMu.RUnlock()
	if derr != nil {
		return nil, derr
	}
	if wt.Info.Status != shape.RegistrationStatusRegistered {
		return nil, swf.NewFault(swf.TypeDeprecatedFault, "WorkflowType is deprecated: [name=%s, version=%s]", in.WorkflowType.Name, in.WorkflowType.Version)
	}
	cfg, err := e.executionConfig(in, wt)
	if err != nil {
		return nil, err
	}

	runID := newRunID()
	now := e.clk.Now().UTC()
	r := &store.Execution{
		Domain: in.Domain,
		Info: shape.WorkflowExecutionInfo{
			Execution:       &shape.WorkflowExecution{WorkflowId: in.WorkflowId, RunId: runID},
			WorkflowType:    &shape.WorkflowType{Name: in.WorkflowType.Name, Version: in.WorkflowType.Version},
			StartTimestamp:  shape.TS(now),
			ExecutionStatus: shape.ExecutionStatusOpen,
			TagList:         in.TagList,
		},
		Config:           *cfg,
		NextEventID:      1,
		DecisionTaskList: cfg.TaskList.Name,
	}
	r.ExpiresAt = shape.TS(now).Time.Add(seconds(durationOf(cfg.ExecutionStartToCloseTimeout)))
	x := &execState{e: r, acts: map[int64]*actState{}, actIDs: map[string]int64{}, timers: map[string]*store.Timer{}}

	// Claim the workflow id and lock the new run before anyone can see it,
	// so a concurrent start of the same id gets the fault and an operation
	// that finds the run waits until it is durable.
	e.execMu.Lock()
	if e.open[openKey(in.Domain, in.WorkflowId)] != nil {
		e.execMu.Unlock()
		return nil, swf.NewFault(swf.WorkflowExecutionAlreadyStartedFault, "Workflow execution already started: %s", in.WorkflowId)
	}
	if n := e.countOpenLocked(in.Domain); n >= e.lim.MaxOpenExecutionsPerDom {
		e.execMu.Unlock()
		return nil, swf.NewFault(swf.LimitExceededFault, "a domain may have at most %d open executions", e.lim.MaxOpenExecutionsPerDom)
	}
	x.mu.Lock()
	e.open[openKey(in.Domain, in.WorkflowId)] = x
	e.execs[runID] = x
	e.execMu.Unlock()

	t := e.begin(x)
	t.now = r.Info.StartTimestamp.Time
	ev := t.event(shape.EventTypeWorkflowExecutionStarted)
	ev.WorkflowExecutionStartedEventAttributes = &shape.WorkflowExecutionStartedEventAttributes{
		ChildPolicy:                  cfg.ChildPolicy,
		ExecutionStartToCloseTimeout: cfg.ExecutionStartToCloseTimeout,
		Input:                        in.Input,
		LambdaRole:                   cfg.LambdaRole,
		TagList:                      in.TagList,
		TaskList:                     cfg.TaskList,
		TaskPriority:                 cfg.TaskPriority,
		TaskStartToCloseTimeout:      cfg.TaskStartToCloseTimeout,
		WorkflowType:                 r.Info.WorkflowType,
	}
	t.arm(deadline{at: r.ExpiresAt, kind: tExecution, runID: runID})
	t.needDecision()
	done := t.commitLocked()
	x.mu.Unlock()
	if err := e.await(done); err != nil {
		return nil, err
	}
	return &shape.Run{RunId: runID}, nil
}

func (e *Engine) countOpenLocked(domain string) int {
	if len(e.execs) < e.lim.MaxOpenExecutionsPerDom {
		return len(e.execs) // no domain can be at the limit
	}
	n := 0
	for _, x := range e.execs {
		if x.e.Domain == domain {
			n++
		}
	}
	return n
}

// executionConfig resolves a start's settings against the type's defaults.
func (e *Engine) executionConfig(in *shape.StartWorkflowExecutionInput, wt *store.WorkflowType) (*shape.WorkflowExecutionConfiguration, error) {
	d := wt.Config
	cfg := &shape.WorkflowExecutionConfiguration{
		ChildPolicy:                  pick(in.ChildPolicy, d.DefaultChildPolicy),
		ExecutionStartToCloseTimeout: pick(in.ExecutionStartToCloseTimeout, d.DefaultExecutionStartToCloseTimeout),
		TaskStartToCloseTimeout:      pick(in.TaskStartToCloseTimeout, d.DefaultTaskStartToCloseTimeout),
		TaskPriority:                 pick(in.TaskPriority, d.DefaultTaskPriority),
		LambdaRole:                   pick(in.LambdaRole, d.DefaultLambdaRole),
		TaskList:                     in.TaskList,
	}
	if cfg.TaskList == nil {
		cfg.TaskList = d.DefaultTaskList
	}
	undefined := func(what string) error {
		return swf.NewFault(swf.DefaultUndefinedFault, "%s was not given and the workflow type has no default", what)
	}
	switch {
	case cfg.TaskList == nil:
		return nil, undefined("taskList")
	case cfg.ChildPolicy == "":
		return nil, undefined("childPolicy")
	case cfg.ExecutionStartToCloseTimeout == "":
		return nil, undefined("executionStartToCloseTimeout")
	case cfg.TaskStartToCloseTimeout == "":
		return nil, undefined("taskStartToCloseTimeout")
	}
	if _, err := swf.ParseDuration("executionStartToCloseTimeout", cfg.ExecutionStartToCloseTimeout, false, e.lim.MaxDurationSeconds); err != nil {
		return nil, err
	}
	return cfg, nil
}

func pick[T ~string](given, def T) T {
	if given != "" {
		return given
	}
	return def
}

// DescribeWorkflowExecution returns a run's information, settings and counts.
func (e *Engine) DescribeWorkflowExecution(ctx context.Context, in *shape.DescribeWorkflowExecutionInput) (*shape.WorkflowExecutionDetail, error) {
	if err := e.domainExists(in.Domain); err != nil {
		return nil, err
	}
	e.execMu.RLock()
	x := e.execs[in.Execution.RunId]
	e.execMu.RUnlock()
	if x != nil && x.e.Domain == in.Domain && x.e.Info.Execution.WorkflowId == in.Execution.WorkflowId {
		x.mu.Lock()
		if !x.closed {
			d := describe(x.e)
			d.OpenCounts = &shape.WorkflowExecutionOpenCounts{
				OpenActivityTasks: int32(len(x.acts)),
				OpenTimers:        int32(len(x.timers)),
			}
			if x.e.DecisionScheduledID != 0 || x.e.DecisionStartedID != 0 {
				d.OpenCounts.OpenDecisionTasks = 1
			}
			x.mu.Unlock()
			return d, nil
		}
		x.mu.Unlock()
	}
	r, err := e.closedRun(ctx, in.Domain, in.Execution)
	if err != nil {
		return nil, err
	}
	d := describe(r)
	d.OpenCounts = &shape.WorkflowExecutionOpenCounts{}
	return d, nil
}

func describe(r *store.Execution) *shape.WorkflowExecutionDetail {
	info, cfg := r.Info, r.Config
	d := &shape.WorkflowExecutionDetail{
		ExecutionInfo:          &info,
		ExecutionConfiguration: &cfg,
		LatestExecutionContext: r.LatestExecutionContext,
	}
	if !r.LatestActivityTaskAt.IsZero() {
		d.LatestActivityTaskTimestamp = shape.TS(r.LatestActivityTaskAt)
	}
	return d
}

// closedRun reads a run from the store (open runs are answered from memory).
func (e *Engine) closedRun(ctx context.Context, domain string, we *shape.WorkflowExecution) (*store.Execution, error) {
	r, err := e.st.ExecutionGet(ctx, &store.ExecutionGetParams{Domain: domain, WorkflowID: we.WorkflowId, RunID: we.RunId})
	if err == nil && r.Info.ExecutionStatus == shape.ExecutionStatusClosed && r.Info.CloseTimestamp.Before(e.retentionCutoff(domain)) {
		err = store.ErrNotFound // past the domain's retention period
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, swf.Unknown("Unknown execution: WorkflowExecution=[workflowId=%s, runId=%s]", we.WorkflowId, we.RunId)
	}
	return r, err
}

// GetWorkflowExecutionHistory pages through a run's history.
func (e *Engine) GetWorkflowExecutionHistory(ctx context.Context, in *shape.GetWorkflowExecutionHistoryInput) (*shape.History, error) {
	if err := e.domainExists(in.Domain); err != nil {
		return nil, err
	}
	if _, err := e.closedRun(ctx, in.Domain, in.Execution); err != nil {
		return nil, err
	}
	events, next, err := e.historyPage(ctx, in.Domain, in.Execution.RunId, in.NextPageToken, in.MaximumPageSize, in.ReverseOrder, 0)
	if err != nil {
		return nil, err
	}
	return &shape.History{Events: events, NextPageToken: next}, nil
}

// historyPage reads one page of history. upTo, when set, is the last event
// the page may show (a decision task shows history up to its start).
func (e *Engine) historyPage(ctx context.Context, domain, runID, pageToken string, size int32, reverse bool, upTo int64) ([]shape.HistoryEvent, string, error) {
	limit := int(size)
	if limit <= 0 {
		limit = e.lim.HistoryDefaultPageSize
	}
	p := &store.EventsParams{RunID: runID, Reverse: reverse, Limit: limit + 1}
	if reverse && upTo > 0 {
		p.BeforeID = upTo + 1
	}
	if pageToken != "" {
		t, err := e.tokens.decode(pageToken, tokenPage)
		if err != nil || t.RunID != runID || t.Domain != domain || (t.Nonce == 1) != reverse {
			return nil, "", swf.Invalid("nextPageToken is not valid for this request")
		}
		if reverse {
			p.BeforeID = t.ScheduledEventID
		} else {
			p.AfterID = t.ScheduledEventID
		}
	}
	events, err := e.st.Events(ctx, p)
	if err != nil {
		return nil, "", err
	}
	if upTo > 0 && !reverse {
		for i, ev := range events {
			if ev.EventId > upTo {
				events = events[:i]
				break
			}
		}
	}
	next := ""
	if len(events) > limit {
		events = events[:limit]
		last := events[limit-1].EventId
		var dir uint64
		if reverse {
			dir = 1
		}
		next = e.tokens.encode(token{Kind: tokenPage, Domain: domain, RunID: runID, ScheduledEventID: last, Nonce: dir})
	}
	if events == nil {
		events = []shape.HistoryEvent{}
	}
	return events, next, nil
}

// SignalWorkflowExecution records a signal and gives the decider a task.
func (e *Engine) SignalWorkflowExecution(ctx context.Context, in *shape.SignalWorkflowExecutionInput) error {
	if err := swf.CheckName("signalName", in.SignalName); err != nil {
		return err
	}
	x, err := e.openRun(in.Domain, in.WorkflowId, in.RunId)
	if err != nil {
		return err
	}
	return e.withRun(x, func(t *txn) error {
		ev := t.event(shape.EventTypeWorkflowExecutionSignaled)
		ev.WorkflowExecutionSignaledEventAttributes = &shape.WorkflowExecutionSignaledEventAttributes{SignalName: in.SignalName, Input: in.Input}
		t.needDecision()
		return nil
	})
}

// RequestCancelWorkflowExecution asks the decider to cancel the run.
func (e *Engine) RequestCancelWorkflowExecution(ctx context.Context, in *shape.RequestCancelWorkflowExecutionInput) error {
	x, err := e.openRun(in.Domain, in.WorkflowId, in.RunId)
	if err != nil {
		return err
	}
	return e.withRun(x, func(t *txn) error {
		if t.x.e.Info.CancelRequested {
			return nil // AWS accepts a repeated request and records nothing new
		}
		t.x.e.Info.CancelRequested = true
		ev := t.event(shape.EventTypeWorkflowExecutionCancelRequested)
		ev.WorkflowExecutionCancelRequestedEventAttributes = &shape.WorkflowExecutionCancelRequestedEventAttributes{}
		t.needDecision()
		return nil
	})
}

// TerminateWorkflowExecution closes the run at once.
func (e *Engine) TerminateWorkflowExecution(ctx context.Context, in *shape.TerminateWorkflowExecutionInput) error {
	x, err := e.openRun(in.Domain, in.WorkflowId, in.RunId)
	if err != nil {
		return err
	}
	return e.withRun(x, func(t *txn) error {
		ev := t.event(shape.EventTypeWorkflowExecutionTerminated)
		ev.WorkflowExecutionTerminatedEventAttributes = &shape.WorkflowExecutionTerminatedEventAttributes{
			Cause:       shape.WorkflowExecutionTerminatedCauseOperatorInitiated,
			ChildPolicy: pick(in.ChildPolicy, t.x.e.Config.ChildPolicy),
			Details:     in.Details, Reason: in.Reason,
		}
		t.closeRun(shape.CloseStatusTerminated, ev.EventId)
		return nil
	})
}

// openRun finds an open run by workflow id (and run id when given).
func (e *Engine) openRun(domain, workflowID, runID string) (*execState, error) {
	if err := e.domainExists(domain); err != nil {
		return nil, err
	}
	x := e.findOpen(domain, workflowID, runID)
	if x == nil {
		if runID != "" {
			return nil, swf.Unknown("Unknown execution: WorkflowExecution=[workflowId=%s, runId=%s]", workflowID, runID)
		}
		return nil, swf.Unknown("Unknown execution, workflowId = %s", workflowID)
	}
	return x, nil
}

// closeRun closes the execution: its open tasks and timers die with it and
// it leaves the in-memory maps. Stale deadlines and task-list entries that
// still name it are no-ops when they come up.
func (t *txn) closeRun(status shape.CloseStatus, closingEventID int64) {
	x, r := t.x, t.x.e
	runID := r.Info.Execution.RunId
	r.Info.ExecutionStatus = shape.ExecutionStatusClosed
	r.Info.CloseStatus = status
	r.Info.CloseTimestamp = shape.TS(t.now)
	r.ClosedByEventID = closingEventID
	for id, s := range x.acts {
		if s.p != nil {
			t.eng.activityLists.get(r.Domain, s.a.TaskList).remove(s.p)
		}
		t.c.DelActivities = append(t.c.DelActivities, store.ActivityKey{RunID: runID, ScheduledEventID: id})
	}
	for id := range x.timers {
		t.c.DelTimers = append(t.c.DelTimers, store.TimerKey{RunID: runID, TimerID: id})
	}
	if x.decision != nil {
		t.eng.decisionLists.get(r.Domain, r.DecisionTaskList).remove(x.decision)
		x.decision = nil
	}
	x.acts, x.actIDs, x.timers = map[int64]*actState{}, map[string]int64{}, map[string]*store.Timer{}
	r.DecisionScheduledID, r.DecisionStartedID, r.DecisionNeeded = 0, 0, false
	x.closed = true
	t.dirty = true
	t.eng.execMu.Lock()
	delete(t.eng.execs, runID)
	if t.eng.open[openKey(r.Domain, r.Info.Execution.WorkflowId)] == x {
		delete(t.eng.open, openKey(r.Domain, r.Info.Execution.WorkflowId))
	}
	t.eng.execMu.Unlock()
}
