package worker

import (
	"context"
	"errors"
	"log/slog"
	"runtime/debug"
	"sort"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"
)

// DecisionHandler decides one decision task: it reads the history and
// returns the decisions that complete the task (none is a valid answer).
// An error, or a panic, leaves the task unanswered; it times out and SWF
// schedules it again.
type DecisionHandler func(ctx context.Context, t *DecisionTask) ([]types.Decision, error)

// DecisionTask is one decision task with its execution's whole history.
type DecisionTask struct {
	Token             string
	WorkflowExecution types.WorkflowExecution
	WorkflowType      types.WorkflowType
	// StartedEventID is this task's DecisionTaskStarted event;
	// PreviousStartedEventID the one of the last decision task the
	// decider completed, 0 if none.
	StartedEventID         int64
	PreviousStartedEventID int64
	// Events is the whole history, oldest first: Events[i].EventId is i+1.
	Events []types.HistoryEvent
	// New is the tail of Events after PreviousStartedEventID: what
	// happened since the decider last decided.
	New []types.HistoryEvent
	// ExecutionContext is sent with the decisions
	// (RespondDecisionTaskCompleted's executionContext, which
	// DescribeWorkflowExecution shows as latestExecutionContext). It
	// starts as the one the last completed decision task sent, so it is
	// kept unless the handler changes it.
	ExecutionContext string
}

// Event returns the event with id, or nil if the history has none.
func (t *DecisionTask) Event(id int64) *types.HistoryEvent {
	if id >= 1 && id <= int64(len(t.Events)) && t.Events[id-1].EventId == id {
		return &t.Events[id-1]
	}
	i := sort.Search(len(t.Events), func(i int) bool { return t.Events[i].EventId >= id })
	if i < len(t.Events) && t.Events[i].EventId == id {
		return &t.Events[i]
	}
	return nil
}

// ScheduledActivity returns the attributes of the ActivityTaskScheduled
// event with id scheduledEventID, which the events that close an activity
// (ActivityTaskCompleted, ...Failed, ...TimedOut, ...Canceled) name; nil if
// there is none.
func (t *DecisionTask) ScheduledActivity(scheduledEventID int64) *types.ActivityTaskScheduledEventAttributes {
	if ev := t.Event(scheduledEventID); ev != nil {
		return ev.ActivityTaskScheduledEventAttributes
	}
	return nil
}

// DeciderOptions configure a Decider. Domain and TaskList are required;
// every other zero value means its default.
type DeciderOptions struct {
	Domain   string
	TaskList string
	// Identity names the decider in DecisionTaskStarted events; default
	// host:pid.
	Identity string
	// Pollers is how many decision tasks are decided at once. Default 1.
	Pollers int
	// PageSize is the maximumPageSize of the history pages; default (and
	// at most) 1000.
	PageSize int32
	// ShutdownGrace is how long, once Run's ctx is canceled, polls in
	// flight may answer and running handlers finish before they are
	// canceled; default DefaultShutdownGrace.
	ShutdownGrace time.Duration
	Backoff       Backoff
	// Logger receives handler errors and panics, failing polls and failed
	// answers. Default slog.Default().
	Logger *slog.Logger
}

// Decider runs decision tasks of one task list through one handler.
type Decider struct {
	c       Client
	opts    DeciderOptions
	h       DecisionHandler
	log     *slog.Logger
	running atomic.Bool
}

// NewDecider returns a decider that polls opts.TaskList of opts.Domain
// through c and decides with h.
func NewDecider(c Client, opts DeciderOptions, h DecisionHandler) *Decider {
	if opts.Identity == "" {
		opts.Identity = defaultIdentity()
	}
	if opts.Pollers <= 0 {
		opts.Pollers = 1
	}
	if opts.PageSize <= 0 || opts.PageSize > 1000 {
		opts.PageSize = 1000
	}
	if opts.ShutdownGrace <= 0 {
		opts.ShutdownGrace = DefaultShutdownGrace
	}
	opts.Backoff = opts.Backoff.withDefaults()
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Decider{c: c, opts: opts, h: h, log: opts.Logger.With("domain", opts.Domain, "task_list", opts.TaskList)}
}

// Run polls and decides until ctx is canceled, then shuts down as
// ActivityWorker.Run does: no new polls, the grace period for the polls in
// flight and the running handlers, then their cancellation (ErrShutdown).
func (d *Decider) Run(ctx context.Context) error {
	if d.opts.Domain == "" || d.opts.TaskList == "" || d.h == nil {
		return errors.New("worker: a Decider needs a Domain, a TaskList and a handler")
	}
	if !d.running.CompareAndSwap(false, true) {
		return errors.New("worker: the decider is already running")
	}
	defer d.running.Store(false)
	tasks, cancelTasks := context.WithCancelCause(context.WithoutCancel(ctx))
	defer cancelTasks(ErrShutdown)
	return runPollers(ctx, d.opts.Pollers, d.opts.ShutdownGrace, cancelTasks, func() {
		d.poll(ctx, tasks)
	})
}

func (d *Decider) poll(ctx, tasks context.Context) {
	failures := 0
	for ctx.Err() == nil {
		// A poll in flight when shutdown begins is left to answer (see
		// DefaultShutdownGrace); only the grace period's end cancels it.
		pctx, cancel := context.WithTimeout(tasks, pollTimeout)
		out, err := d.c.PollForDecisionTask(pctx, d.pollInput(nil))
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			logPollError(d.log, "PollForDecisionTask", err, failures)
			if !sleep(ctx, d.opts.Backoff.delay(failures)) {
				return
			}
			failures++
			continue
		}
		failures = 0
		if aws.ToString(out.TaskToken) == "" {
			continue
		}
		d.decide(tasks, out)
	}
}

func (d *Decider) pollInput(next *string) *swf.PollForDecisionTaskInput {
	return &swf.PollForDecisionTaskInput{
		Domain:          aws.String(d.opts.Domain),
		TaskList:        &types.TaskList{Name: aws.String(d.opts.TaskList)},
		Identity:        aws.String(d.opts.Identity),
		MaximumPageSize: d.opts.PageSize,
		NextPageToken:   next,
	}
}

// decide reads the rest of the task's history, calls the handler and
// answers with its decisions.
func (d *Decider) decide(tasks context.Context, out *swf.PollForDecisionTaskOutput) {
	t := &DecisionTask{
		Token:                  aws.ToString(out.TaskToken),
		StartedEventID:         out.StartedEventId,
		PreviousStartedEventID: out.PreviousStartedEventId,
		Events:                 out.Events,
	}
	if out.WorkflowExecution != nil {
		t.WorkflowExecution = *out.WorkflowExecution
	}
	if out.WorkflowType != nil {
		t.WorkflowType = *out.WorkflowType
	}
	log := d.log.With("workflow_id", aws.ToString(t.WorkflowExecution.WorkflowId), "run_id", aws.ToString(t.WorkflowExecution.RunId))
	for next := out.NextPageToken; aws.ToString(next) != ""; {
		var page *swf.PollForDecisionTaskOutput
		err := withRetry(tasks, d.opts.Backoff, func(ctx context.Context) error {
			var err error
			page, err = d.c.PollForDecisionTask(ctx, d.pollInput(next))
			return err
		})
		if err != nil {
			log.Error("reading the decision task's history failed; leaving the task to time out", "err", err)
			return
		}
		t.Events = append(t.Events, page.Events...)
		next = page.NextPageToken
	}
	i := sort.Search(len(t.Events), func(i int) bool { return t.Events[i].EventId > t.PreviousStartedEventID })
	t.New = t.Events[i:]
	for i := len(t.Events) - 1; i >= 0; i-- {
		if a := t.Events[i].DecisionTaskCompletedEventAttributes; a != nil {
			t.ExecutionContext = aws.ToString(a.ExecutionContext)
			break
		}
	}

	decisions, err := decideSafely(tasks, d.h, t)
	if err != nil {
		var p *panicError
		if errors.As(err, &p) {
			log.Error("decision handler panicked; leaving the task to time out", "panic", p.value, "stack", string(p.stack))
		} else {
			log.Error("decision handler failed; leaving the task to time out", "err", err)
		}
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(tasks), respondFor)
	defer cancel()
	err = withRetry(ctx, d.opts.Backoff, func(ctx context.Context) error {
		_, err := d.c.RespondDecisionTaskCompleted(ctx, &swf.RespondDecisionTaskCompletedInput{
			TaskToken:        aws.String(t.Token),
			Decisions:        decisions,
			ExecutionContext: optional(t.ExecutionContext),
		})
		return err
	})
	if err != nil {
		log.Error("RespondDecisionTaskCompleted failed", "err", err)
	}
}

func decideSafely(ctx context.Context, h DecisionHandler, t *DecisionTask) (decisions []types.Decision, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &panicError{value: v, stack: debug.Stack()}
		}
	}()
	return h(ctx, t)
}
