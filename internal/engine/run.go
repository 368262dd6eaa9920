package engine

import (
	"errors"
	"time"

	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/store"
	"github.com/openswf/openswf/internal/swf"
)

// startSpec is what a new run is started with: by StartWorkflowExecution, a
// StartChildWorkflowExecution decision or ContinueAsNewWorkflowExecution.
type startSpec struct {
	domain, workflowID string
	workflowType       shape.WorkflowType
	config             shape.WorkflowExecutionConfiguration // resolved: see resolveConfig
	input              string
	tags               []string
	parent             *shape.WorkflowExecution
	parentInitiatedID  int64
	continuedFrom      string
}

// undefinedError names a setting given neither in the request nor as a
// default of the workflow type. Each caller reports it its own way.
type undefinedError struct{ what string }

func (u *undefinedError) Error() string {
	return u.what + " was not given and the workflow type has no default"
}

// Errors newRun reports; each caller maps them to its fault or cause.
var (
	errAlreadyRunning = errors.New("workflow id in use by an open execution")
	errOpenLimit      = errors.New("open executions limit reached")
)

// resolveConfig fills a start's settings from the workflow type's defaults.
func (e *Engine) resolveConfig(given shape.WorkflowExecutionConfiguration, d shape.WorkflowTypeConfiguration) (shape.WorkflowExecutionConfiguration, error) {
	cfg := shape.WorkflowExecutionConfiguration{
		ChildPolicy:                  pick(given.ChildPolicy, d.DefaultChildPolicy),
		ExecutionStartToCloseTimeout: pick(given.ExecutionStartToCloseTimeout, d.DefaultExecutionStartToCloseTimeout),
		TaskStartToCloseTimeout:      pick(given.TaskStartToCloseTimeout, d.DefaultTaskStartToCloseTimeout),
		TaskPriority:                 pick(given.TaskPriority, d.DefaultTaskPriority),
		LambdaRole:                   pick(given.LambdaRole, d.DefaultLambdaRole),
		TaskList:                     given.TaskList,
	}
	if cfg.TaskList == nil {
		cfg.TaskList = d.DefaultTaskList
	}
	// In the order AWS checks them: its DefaultUndefinedFault names the
	// first one missing.
	switch {
	case cfg.ExecutionStartToCloseTimeout == "":
		return cfg, &undefinedError{"executionStartToCloseTimeout"}
	case cfg.TaskList == nil:
		return cfg, &undefinedError{"taskList"}
	case cfg.TaskStartToCloseTimeout == "":
		return cfg, &undefinedError{"taskStartToCloseTimeout"}
	case cfg.ChildPolicy == "":
		return cfg, &undefinedError{"childPolicy"}
	}
	if _, err := swf.ParseDuration("executionStartToCloseTimeout", cfg.ExecutionStartToCloseTimeout, false, e.lim.MaxDurationSeconds); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// usableWorkflowType returns the type, or the fault for a missing or
// deprecated one.
func (e *Engine) usableWorkflowType(domain string, wt *shape.WorkflowType) (*store.WorkflowType, error) {
	e.regMu.RLock()
	t, err := e.workflowTypeLocked(domain, wt)
	e.regMu.RUnlock()
	if err != nil {
		return nil, err
	}
	if t.Info.Status != shape.RegistrationStatusRegistered {
		return nil, swf.NewFault(swf.TypeDeprecatedFault, "WorkflowType=[name=%s, version=%s]", wt.Name, wt.Version)
	}
	return t, nil
}

// newRun claims the workflow id and builds the new run: its
// WorkflowExecutionStarted event, first decision task and timeout. It
// returns the run locked, with a txn the caller commits (or merges into its
// own) before unlocking. Nobody can act on the run before that commit.
func (e *Engine) newRun(s *startSpec, now time.Time) (*execState, *txn, error) {
	runID := newRunID(now)
	r := &store.Execution{
		Domain: s.domain,
		Info: shape.WorkflowExecutionInfo{
			Execution:       &shape.WorkflowExecution{WorkflowId: s.workflowID, RunId: runID},
			WorkflowType:    &shape.WorkflowType{Name: s.workflowType.Name, Version: s.workflowType.Version},
			StartTimestamp:  shape.TS(now),
			ExecutionStatus: shape.ExecutionStatusOpen,
			TagList:         s.tags,
			Parent:          s.parent,
		},
		Config:                 s.config,
		NextEventID:            1,
		DecisionTaskList:       s.config.TaskList.Name,
		ParentInitiatedEventID: s.parentInitiatedID,
	}
	r.ExpiresAt = r.Info.StartTimestamp.Time.Add(seconds(durationOf(s.config.ExecutionStartToCloseTimeout)))
	x := &execState{e: r, timers: map[string]*store.Timer{},
		shard: store.ShardOf(s.domain, s.workflowID)}
	if _, ok := e.owns(x.shard); !ok {
		return nil, nil, errNotOwner(x.shard)
	}

	e.execMu.Lock()
	if e.open[openKey(s.domain, s.workflowID)] != nil {
		e.execMu.Unlock()
		return nil, nil, errAlreadyRunning
	}
	if e.countOpenLocked(s.domain) >= e.lim.MaxOpenExecutionsPerDom {
		e.execMu.Unlock()
		return nil, nil, errOpenLimit
	}
	x.mu.Lock() // uncontended: x is not published yet
	e.open[openKey(s.domain, s.workflowID)] = x
	e.execs[runID] = x
	e.execMu.Unlock()
	e.hist.start(x)

	t := e.begin(x)
	t.now = r.Info.StartTimestamp.Time
	cfg := s.config
	ev := t.event(shape.EventTypeWorkflowExecutionStarted)
	ev.WorkflowExecutionStartedEventAttributes = &shape.WorkflowExecutionStartedEventAttributes{
		ChildPolicy:                  cfg.ChildPolicy,
		ContinuedExecutionRunId:      s.continuedFrom,
		ExecutionStartToCloseTimeout: cfg.ExecutionStartToCloseTimeout,
		Input:                        s.input,
		LambdaRole:                   cfg.LambdaRole,
		ParentInitiatedEventId:       s.parentInitiatedID,
		ParentWorkflowExecution:      s.parent,
		TagList:                      s.tags,
		TaskList:                     cfg.TaskList,
		TaskPriority:                 cfg.TaskPriority,
		TaskStartToCloseTimeout:      cfg.TaskStartToCloseTimeout,
		WorkflowType:                 r.Info.WorkflowType,
	}
	t.arm(deadline{at: r.ExpiresAt, kind: tExecution, runID: runID})
	t.needDecision()
	return x, t, nil
}

// merge folds the change of another run's txn (a run this one created)
// into t, so both are written atomically; that run stays locked until t is
// committed.
func (t *txn) merge(o *txn) {
	if o.dirty {
		cp := *o.x.e
		t.c.Executions = append(t.c.Executions, &cp)
	}
	t.c.Events = append(t.c.Events, o.c.Events...)
	t.c.PutActivities = append(t.c.PutActivities, o.c.PutActivities...)
	t.c.PutTimers = append(t.c.PutTimers, o.c.PutTimers...)
	t.deadlines = append(t.deadlines, o.deadlines...)
	t.after = append(t.after, o.after...)
	t.others = append(t.others, o.x)
}
