package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

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
		checkTaskList("taskList.name", in.TaskList),
		checkPriority("taskPriority", in.TaskPriority),
		checkOptDuration("taskStartToCloseTimeout", in.TaskStartToCloseTimeout, e.lim),
	); err != nil {
		return nil, err
	}
	if err := e.checkTags("tagList", in.TagList); err != nil {
		return nil, err
	}
	e.regMu.RLock()
	_, err := e.usableDomainLocked(in.Domain)
	e.regMu.RUnlock()
	if err != nil {
		return nil, err
	}
	wt, err := e.usableWorkflowType(in.Domain, in.WorkflowType)
	if err != nil {
		return nil, err
	}
	cfg, err := e.resolveConfig(shape.WorkflowExecutionConfiguration{
		ChildPolicy: in.ChildPolicy, ExecutionStartToCloseTimeout: in.ExecutionStartToCloseTimeout,
		TaskStartToCloseTimeout: in.TaskStartToCloseTimeout, TaskPriority: in.TaskPriority,
		LambdaRole: in.LambdaRole, TaskList: in.TaskList,
	}, wt.Config)
	var undef *undefinedError
	if errors.As(err, &undef) {
		return nil, swf.NewFault(swf.DefaultUndefinedFault, "%s", undef.what)
	}
	if err != nil {
		return nil, err
	}
	x, t, err := e.newRun(&startSpec{
		domain: in.Domain, workflowID: in.WorkflowId, workflowType: *in.WorkflowType,
		config: cfg, input: in.Input, tags: in.TagList,
	}, e.clk.Now().UTC())
	switch {
	case errors.Is(err, errAlreadyRunning):
		return nil, swf.NewFault(swf.WorkflowExecutionAlreadyStartedFault, "Already Started")
	case errors.Is(err, errOpenLimit):
		return nil, swf.NewFault(swf.LimitExceededFault, "a domain may have at most %d open executions", e.lim.MaxOpenExecutionsPerDom)
	case err != nil:
		return nil, err
	}
	done := t.commitLocked()
	x.mu.Unlock()
	if err := e.finish(t, done); err != nil {
		return nil, err
	}
	return &shape.Run{RunId: x.e.Info.Execution.RunId}, nil
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
	// An open run's counts are in its owner's memory only.
	if err := e.checkOwner(in.Domain, in.Execution.WorkflowId); err != nil {
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
				OpenActivityTasks:           int32(len(x.acts)),
				OpenTimers:                  int32(len(x.timers)),
				OpenChildWorkflowExecutions: int32(len(x.e.Children)),
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
	if !e.isOpenHere(in.Domain, in.Execution) {
		if _, err := e.closedRun(ctx, in.Domain, in.Execution); err != nil {
			return nil, err
		}
	}
	events, next, err := e.historyPage(ctx, in.Domain, in.Execution.RunId, in.NextPageToken, in.MaximumPageSize, in.ReverseOrder)
	if err != nil {
		return nil, err
	}
	return &shape.History{RawEvents: events, NextPageToken: next}, nil
}

// isOpenHere reports whether we is a run open in this engine's memory, so
// that it exists without a store read.
func (e *Engine) isOpenHere(domain string, we *shape.WorkflowExecution) bool {
	x := e.openState(we.RunId)
	return x != nil && x.e.Domain == domain && x.e.Info.Execution.WorkflowId == we.WorkflowId
}

// historyPage reads one page of a run's history for
// GetWorkflowExecutionHistory, with its own kind of page token.
func (e *Engine) historyPage(ctx context.Context, domain, runID, pageToken string, size int32, reverse bool) (shape.RawEvents, string, error) {
	q := eventPage{runID: runID, size: size, reverse: reverse}
	if pageToken != "" {
		t, err := e.tokens.decode(pageToken, tokenPage)
		if err != nil || t.RunID != runID || t.Domain != domain || (t.Nonce == 1) != reverse {
			return nil, "", swf.Invalid("nextPageToken is not valid for this request")
		}
		q.cursor = t.ScheduledEventID
	}
	events, last, err := e.readEvents(ctx, q)
	if err != nil || last == 0 {
		return events, "", err
	}
	var dir uint64
	if reverse {
		dir = 1
	}
	return events, e.tokens.encode(token{Kind: tokenPage, Domain: domain, RunID: runID, ScheduledEventID: last, Nonce: dir, Shard: noShard}), nil
}

// eventPage asks for one page of a run's history.
type eventPage struct {
	runID   string
	size    int32 // 0: the default page size
	reverse bool
	cursor  int64 // the last event id the previous page showed; 0 on the first page
	after   int64 // forward, first page: start after this event id
	upTo    int64 // the last event id any page may show; 0: no bound
}

// readEvents reads the page q asks for, from the run's history cache if
// it holds it, else from the store. last is the id of the page's last
// event when more follow (the cursor of the next page), else 0.
func (e *Engine) readEvents(ctx context.Context, q eventPage) (events shape.RawEvents, last int64, err error) {
	limit := int(q.size)
	if limit <= 0 {
		limit = e.lim.HistoryDefaultPageSize
	}
	p := &store.EventsParams{RunID: q.runID, Reverse: q.reverse, Limit: limit + 1}
	switch {
	case q.reverse && q.cursor > 0:
		p.BeforeID = q.cursor
	case q.reverse && q.upTo > 0:
		p.BeforeID = q.upTo + 1
	case q.cursor > 0:
		p.AfterID, p.UpTo = q.cursor, q.upTo
	default:
		p.AfterID, p.UpTo = q.after, q.upTo
	}
	events, ok := e.cachedEvents(p)
	if !ok {
		if x := e.openState(q.runID); x != nil && e.warmHistory(ctx, x) {
			events, ok = e.cachedEvents(p)
		}
	}
	if !ok {
		if events, err = e.st.RawEvents(ctx, p); err != nil {
			return nil, 0, err
		}
	}
	if len(events) > limit {
		events = events[:limit]
		if last, err = rawEventID(events[limit-1]); err != nil {
			return nil, 0, err
		}
	}
	if events == nil {
		events = shape.RawEvents{}
	}
	return events, last, nil
}

// rawEventID reads the id of a stored event.
func rawEventID(b []byte) (int64, error) {
	var ev struct {
		EventID int64 `json:"eventId"`
	}
	if err := json.Unmarshal(b, &ev); err != nil || ev.EventID <= 0 {
		return 0, fmt.Errorf("stored event without an id: %.80s", b)
	}
	return ev.EventID, nil
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
		t.closeRun(shape.CloseStatusTerminated, ev)
		return nil
	})
}

// openRun finds an open run by workflow id (and run id when given).
func (e *Engine) openRun(domain, workflowID, runID string) (*execState, error) {
	if err := e.domainExists(domain); err != nil {
		return nil, err
	}
	if err := e.checkOwner(domain, workflowID); err != nil {
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
func (t *txn) closeRun(status shape.CloseStatus, closing *shape.HistoryEvent) {
	x, r := t.x, t.x.e
	runID := r.Info.Execution.RunId
	r.Info.ExecutionStatus = shape.ExecutionStatusClosed
	r.Info.CloseStatus = status
	r.Info.CloseTimestamp = shape.TS(t.now)
	r.ClosedByEventID = closing.EventId
	self := *r.Info.Execution
	if parent := r.Info.Parent; parent != nil {
		domain := r.Domain
		t.after = append(t.after, func() { t.eng.notifyParent(domain, *parent, self, closing) })
	}
	if len(r.Children) > 0 {
		policy := r.Config.ChildPolicy
		if a := closing.WorkflowExecutionTerminatedEventAttributes; a != nil && a.ChildPolicy != "" {
			policy = a.ChildPolicy
		}
		r.AppliedChildPolicy = policy
		for run, c := range r.Children {
			child, domain := shape.WorkflowExecution{WorkflowId: c.WorkflowID, RunId: run}, r.Domain
			t.after = append(t.after, func() { t.eng.orderChildPolicy(domain, child, policy) })
		}
	}
	for _, s := range x.acts {
		if s.p != nil {
			t.eng.withdraw(s.p)
		}
		t.c.DelActivities = append(t.c.DelActivities, store.ActivityKey{RunID: runID, ScheduledEventID: int64(s.scheduledID)})
	}
	for id := range x.timers {
		t.c.DelTimers = append(t.c.DelTimers, store.TimerKey{RunID: runID, TimerID: id})
	}
	if x.decision != nil {
		t.eng.withdraw(x.decision)
		x.decision = nil
	}
	x.acts, x.timers = nil, map[string]*store.Timer{}
	r.DecisionScheduledID, r.DecisionStartedID, r.DecisionNeeded = 0, 0, false
	r.DecisionQueuedID, r.DecisionQueuedAt, r.DecisionQueuedList = 0, time.Time{}, ""
	x.closed = true
	t.dirty = true
	t.eng.timers.forget(runID)
	t.eng.execMu.Lock()
	delete(t.eng.execs, runID)
	if t.eng.open[openKey(r.Domain, r.Info.Execution.WorkflowId)] == x {
		delete(t.eng.open, openKey(r.Domain, r.Info.Execution.WorkflowId))
	}
	t.eng.execMu.Unlock()
}
