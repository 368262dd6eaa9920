package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"
)

// Why a handler's ctx was canceled: context.Cause(ctx) is one of these.
var (
	// ErrCancelRequested: a heartbeat answered cancelRequested, because
	// the decider asked to cancel the task (RequestCancelActivityTask).
	// Unless the handler returns a result, the worker answers the task
	// with RespondActivityTaskCanceled.
	ErrCancelRequested = errors.New("worker: the activity task's cancellation was requested")
	// ErrTaskGone: a heartbeat answered UnknownResourceFault. The task
	// timed out (a heartbeat came too late, or start-to-close passed) or
	// its execution closed; SWF takes no answer for it any more.
	ErrTaskGone = errors.New("worker: the activity task is gone (timed out, or its execution closed)")
	// ErrShutdown: the worker is shutting down and the grace period has
	// passed. An error the handler then returns fails the task.
	ErrShutdown = errors.New("worker: shutting down")
)

// Defaults of ActivityWorkerOptions.
const (
	// DefaultHeartbeatInterval is the heartbeat interval for activity
	// types registered without a default heartbeat timeout, and for types
	// the worker cannot describe (see the package doc).
	DefaultHeartbeatInterval = 30 * time.Second
	// DefaultShutdownGrace is how long a worker that is shutting down
	// lets its polls in flight answer and its running handlers finish
	// before it cancels them. SWF answers a poll within 60 seconds; a poll
	// canceled earlier may still be handed a task, which nobody then runs
	// until it times out (as AWS's own guide to shutting workers down
	// warns), so the default waits that long.
	DefaultShutdownGrace = 60 * time.Second
)

// Limits SWF puts on what a worker sends, in characters.
const (
	maxHeartbeatDetails = 2048
	maxReason           = 256
	maxDetails          = 32768
	maxResult           = 32768
)

// ActivityHandler does the work of one activity task and returns its
// result. ctx is canceled when the task's cancellation is requested, when
// the task is gone, or at shutdown (context.Cause says which); a handler
// must then return soon.
type ActivityHandler func(ctx context.Context, t *ActivityTask) (string, error)

// ActivityTask is one activity task, as PollForActivityTask handed it out.
type ActivityTask struct {
	Token             string
	ActivityID        string
	ActivityType      types.ActivityType
	WorkflowExecution types.WorkflowExecution
	StartedEventID    int64
	Input             string

	mu      sync.Mutex // guards details
	details *string
}

// Progress records details (at most 2,048 characters; longer ones are
// cut) for the worker's next heartbeat to carry. They are also what a
// timeout records in the history (ActivityTaskTimedOut's details) and what
// the worker answers RespondActivityTaskCanceled with. It does not wait
// for the heartbeat.
func (t *ActivityTask) Progress(details string) {
	d := truncate(details, maxHeartbeatDetails)
	t.mu.Lock()
	t.details = &d
	t.mu.Unlock()
}

// progress returns the latest details, nil if none were recorded.
func (t *ActivityTask) progress() *string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.details
}

// Failure is an error that fails an activity task with this reason (at
// most 256 characters) and details (at most 32,768). A handler's other
// errors fail it with the error's text as the reason (and, when that is
// longer than a reason may be, as the details too).
type Failure struct {
	Reason  string
	Details string
}

func (f *Failure) Error() string {
	if f.Details == "" {
		return f.Reason
	}
	return f.Reason + ": " + f.Details
}

// ActivityWorkerOptions configure an ActivityWorker. Domain and TaskList
// are required; every other zero value means its default.
type ActivityWorkerOptions struct {
	Domain   string
	TaskList string
	// Identity names the worker in ActivityTaskStarted events; default
	// host:pid.
	Identity string
	// Pollers is how many tasks run at once: each poller polls, runs the
	// task it gets, answers it, and polls again. Default 1.
	Pollers int
	// HeartbeatInterval, when set, is how often every task heartbeats;
	// otherwise a third of its type's default heartbeat timeout (see the
	// package doc).
	HeartbeatInterval time.Duration
	// ShutdownGrace is how long, once Run's ctx is canceled, polls in
	// flight may answer and running handlers finish before they are
	// canceled; default DefaultShutdownGrace. A shorter one shuts down
	// sooner, at the risk DefaultShutdownGrace describes.
	ShutdownGrace time.Duration
	// Backoff paces retries of throttled or failed calls.
	Backoff Backoff
	// Logger receives what the worker cannot return: failed answers,
	// failing polls, panics. Default slog.Default().
	Logger *slog.Logger
}

// typeKey names an activity type by value.
type typeKey struct{ name, version string }

// ActivityWorker runs activity tasks of one task list. Create it with
// NewActivityWorker, register handlers with Handle, then call Run.
type ActivityWorker struct {
	c    Client
	opts ActivityWorkerOptions
	log  *slog.Logger

	mu        sync.RWMutex // guards handlers, intervals
	handlers  map[typeKey]ActivityHandler
	intervals map[typeKey]time.Duration

	running atomic.Bool
}

// NewActivityWorker returns a worker that polls opts.TaskList of
// opts.Domain through c.
func NewActivityWorker(c Client, opts ActivityWorkerOptions) *ActivityWorker {
	if opts.Identity == "" {
		opts.Identity = defaultIdentity()
	}
	if opts.Pollers <= 0 {
		opts.Pollers = 1
	}
	if opts.ShutdownGrace <= 0 {
		opts.ShutdownGrace = DefaultShutdownGrace
	}
	opts.Backoff = opts.Backoff.withDefaults()
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &ActivityWorker{
		c: c, opts: opts,
		log:       opts.Logger.With("domain", opts.Domain, "task_list", opts.TaskList),
		handlers:  map[typeKey]ActivityHandler{},
		intervals: map[typeKey]time.Duration{},
	}
}

// Handle registers h for the activity type name, version. An empty
// version registers h for every version without a handler of its own. A
// task of a type without a handler is failed at once.
func (w *ActivityWorker) Handle(name, version string, h ActivityHandler) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.handlers[typeKey{name, version}] = h
}

func (w *ActivityWorker) handler(at types.ActivityType) ActivityHandler {
	name, version := aws.ToString(at.Name), aws.ToString(at.Version)
	w.mu.RLock()
	defer w.mu.RUnlock()
	if h := w.handlers[typeKey{name, version}]; h != nil {
		return h
	}
	return w.handlers[typeKey{name, ""}]
}

// Run polls and runs tasks until ctx is canceled, then shuts down: it
// polls no more, lets the polls in flight answer (running any task they
// bring) and running handlers finish, for up to the grace period; then it
// cancels the polls and the handlers' contexts (ErrShutdown), waits for
// the handlers to return, answers their tasks, and returns nil. It returns an error at once if the
// options are incomplete or the worker is already running.
func (w *ActivityWorker) Run(ctx context.Context) error {
	if w.opts.Domain == "" || w.opts.TaskList == "" {
		return errors.New("worker: ActivityWorkerOptions needs a Domain and a TaskList")
	}
	if !w.running.CompareAndSwap(false, true) {
		return errors.New("worker: the activity worker is already running")
	}
	defer w.running.Store(false)
	// Tasks get a context of their own, carrying ctx's values but not its
	// cancellation: shutdown cancels them only after the grace period.
	tasks, cancelTasks := context.WithCancelCause(context.WithoutCancel(ctx))
	defer cancelTasks(ErrShutdown)
	return runPollers(ctx, w.opts.Pollers, w.opts.ShutdownGrace, cancelTasks, func() {
		w.poll(ctx, tasks)
	})
}

// runPollers runs n copies of poll until they return (they do once ctx is
// canceled and their current task is answered), canceling the tasks'
// context grace after ctx is.
func runPollers(ctx context.Context, n int, grace time.Duration, cancelTasks context.CancelCauseFunc, poll func()) error {
	var wg sync.WaitGroup
	for range n {
		wg.Go(poll)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		cancelTasks(ErrShutdown)
		<-done
	}
	return nil
}

// poll is one poller's loop.
func (w *ActivityWorker) poll(ctx, tasks context.Context) {
	failures := 0
	for ctx.Err() == nil {
		// A poll in flight when shutdown begins is left to answer (see
		// DefaultShutdownGrace); only the grace period's end cancels it.
		pctx, cancel := context.WithTimeout(tasks, pollTimeout)
		out, err := w.c.PollForActivityTask(pctx, &swf.PollForActivityTaskInput{
			Domain:   aws.String(w.opts.Domain),
			TaskList: &types.TaskList{Name: aws.String(w.opts.TaskList)},
			Identity: aws.String(w.opts.Identity),
		})
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			logPollError(w.log, "PollForActivityTask", err, failures)
			if !sleep(ctx, w.opts.Backoff.delay(failures)) {
				return
			}
			failures++
			continue
		}
		failures = 0
		if aws.ToString(out.TaskToken) == "" {
			continue // the long poll ended without a task
		}
		w.run(tasks, out)
	}
}

// logPollError logs a failed poll: a warning the first time, or always for
// a failure retrying cannot fix (a missing domain, a denied permission).
func logPollError(log *slog.Logger, op string, err error, failures int) {
	if failures == 0 || !retryable(err) {
		log.Warn(op+" failed; retrying with backoff", "err", err, "failures", failures+1)
	} else {
		log.Debug(op+" failed; retrying with backoff", "err", err, "failures", failures+1)
	}
}

// run handles one task: it calls the handler while heartbeating for it,
// then answers the task.
func (w *ActivityWorker) run(tasks context.Context, out *swf.PollForActivityTaskOutput) {
	t := &ActivityTask{
		Token:          aws.ToString(out.TaskToken),
		ActivityID:     aws.ToString(out.ActivityId),
		StartedEventID: out.StartedEventId,
		Input:          aws.ToString(out.Input),
	}
	if out.ActivityType != nil {
		t.ActivityType = *out.ActivityType
	}
	if out.WorkflowExecution != nil {
		t.WorkflowExecution = *out.WorkflowExecution
	}
	log := w.log.With("activity_id", t.ActivityID, "activity_type", aws.ToString(t.ActivityType.Name),
		"workflow_id", aws.ToString(t.WorkflowExecution.WorkflowId))
	h := w.handler(t.ActivityType)
	if h == nil {
		w.fail(tasks, log, t, &Failure{Reason: fmt.Sprintf("no handler for activity type %s version %s",
			aws.ToString(t.ActivityType.Name), aws.ToString(t.ActivityType.Version))})
		return
	}

	ctx, cancel := context.WithCancelCause(tasks)
	defer cancel(nil)
	stop := make(chan struct{})
	beating := make(chan struct{})
	go func() {
		defer close(beating)
		w.heartbeat(tasks, stop, cancel, t, log)
	}()
	result, err := call(ctx, h, t)
	close(stop)
	<-beating

	var p *panicError
	cause := context.Cause(ctx)
	switch {
	case errors.Is(cause, ErrTaskGone):
		// SWF has closed the task: it would refuse any answer.
		log.Debug("activity task gone; not answering it", "handler_err", err)
	case errors.As(err, &p):
		log.Error("activity handler panicked", "panic", p.value)
		w.fail(tasks, log, t, &Failure{Reason: "panic: " + fmt.Sprint(p.value), Details: string(p.stack)})
	case err == nil && utf8.RuneCountInString(result) > maxResult:
		w.fail(tasks, log, t, &Failure{Reason: "result too long",
			Details: fmt.Sprintf("the handler's result has %d characters; SWF takes at most %d", utf8.RuneCountInString(result), maxResult)})
	case err == nil:
		w.respond(tasks, log, "RespondActivityTaskCompleted", func(ctx context.Context) error {
			_, err := w.c.RespondActivityTaskCompleted(ctx, &swf.RespondActivityTaskCompletedInput{TaskToken: aws.String(t.Token), Result: optional(result)})
			return err
		})
	case errors.Is(cause, ErrCancelRequested):
		w.respond(tasks, log, "RespondActivityTaskCanceled", func(ctx context.Context) error {
			_, err := w.c.RespondActivityTaskCanceled(ctx, &swf.RespondActivityTaskCanceledInput{TaskToken: aws.String(t.Token), Details: t.progress()})
			return err
		})
	default:
		var f *Failure
		if !errors.As(err, &f) {
			f = &Failure{Reason: err.Error()}
			if errors.Is(cause, ErrShutdown) {
				f = &Failure{Reason: "worker shut down", Details: err.Error()}
			} else if utf8.RuneCountInString(f.Reason) > maxReason {
				f.Details = f.Reason
			}
		}
		w.fail(tasks, log, t, f)
	}
}

// fail answers the task with RespondActivityTaskFailed.
func (w *ActivityWorker) fail(tasks context.Context, log *slog.Logger, t *ActivityTask, f *Failure) {
	w.respond(tasks, log, "RespondActivityTaskFailed", func(ctx context.Context) error {
		_, err := w.c.RespondActivityTaskFailed(ctx, &swf.RespondActivityTaskFailedInput{
			TaskToken: aws.String(t.Token),
			Reason:    optional(truncate(f.Reason, maxReason)),
			Details:   optional(truncate(f.Details, maxDetails)),
		})
		return err
	})
}

// respond delivers a task's answer, retrying through throttling and
// server errors for up to respondFor, even during shutdown.
func (w *ActivityWorker) respond(tasks context.Context, log *slog.Logger, op string, f func(context.Context) error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(tasks), respondFor)
	defer cancel()
	err := withRetry(ctx, w.opts.Backoff, f)
	switch {
	case err == nil:
	case isUnknownResource(err):
		log.Info(op+": the task had already closed (timed out, or its execution closed)", "err", err)
	default:
		log.Error(op+" failed; the task will time out", "err", err)
	}
}

// heartbeat records a heartbeat every interval until stop is closed,
// carrying the task's latest progress. It cancels the handler's context
// when SWF answers cancelRequested (and goes on heartbeating, so the task
// stays alive while the handler winds down) or when the task is gone.
func (w *ActivityWorker) heartbeat(tasks context.Context, stop <-chan struct{}, cancel context.CancelCauseFunc, t *ActivityTask, log *slog.Logger) {
	ctx, stopCtx := context.WithCancel(context.WithoutCancel(tasks))
	defer stopCtx()
	go func() {
		<-stop
		stopCtx()
	}()
	interval := w.interval(ctx, t.ActivityType, log)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		var out *swf.RecordActivityTaskHeartbeatOutput
		// Retries of one heartbeat may take an interval, or a call's time if
		// that is longer; ticks that pass meanwhile are dropped.
		hctx, hcancel := context.WithTimeout(ctx, max(interval, callTimeout))
		err := withRetry(hctx, w.opts.Backoff, func(ctx context.Context) error {
			var err error
			out, err = w.c.RecordActivityTaskHeartbeat(ctx, &swf.RecordActivityTaskHeartbeatInput{TaskToken: aws.String(t.Token), Details: t.progress()})
			return err
		})
		hcancel()
		switch {
		case ctx.Err() != nil:
			return
		case err == nil:
			if out.CancelRequested {
				cancel(ErrCancelRequested)
			}
		case isUnknownResource(err):
			cancel(ErrTaskGone)
			return
		default:
			log.Warn("RecordActivityTaskHeartbeat failed", "err", err)
		}
	}
}

// interval is how often tasks of type at heartbeat: the configured
// interval, or a third of the type's default heartbeat timeout, described
// once and remembered.
func (w *ActivityWorker) interval(ctx context.Context, at types.ActivityType, log *slog.Logger) time.Duration {
	if w.opts.HeartbeatInterval > 0 {
		return w.opts.HeartbeatInterval
	}
	key := typeKey{aws.ToString(at.Name), aws.ToString(at.Version)}
	w.mu.RLock()
	d, ok := w.intervals[key]
	w.mu.RUnlock()
	if ok {
		return d
	}
	var out *swf.DescribeActivityTypeOutput
	dctx, cancel := context.WithTimeout(ctx, callTimeout)
	err := withRetry(dctx, w.opts.Backoff, func(ctx context.Context) error {
		var err error
		out, err = w.c.DescribeActivityType(ctx, &swf.DescribeActivityTypeInput{Domain: aws.String(w.opts.Domain), ActivityType: &at})
		return err
	})
	cancel()
	d = DefaultHeartbeatInterval
	switch {
	case err != nil:
		log.Warn("DescribeActivityType failed; heartbeating at the default interval", "err", err, "interval", d)
		if retryable(err) || ctx.Err() != nil {
			return d // try again with the next task
		}
	case out.Configuration != nil:
		if n, err := strconv.ParseInt(aws.ToString(out.Configuration.DefaultTaskHeartbeatTimeout), 10, 64); err == nil && n > 0 {
			d = time.Duration(n) * time.Second / 3
		}
	}
	w.mu.Lock()
	w.intervals[key] = d
	w.mu.Unlock()
	return d
}

// panicError is a handler's panic, with the stack where it happened.
type panicError struct {
	value any
	stack []byte
}

func (p *panicError) Error() string { return fmt.Sprintf("panic: %v", p.value) }

// call runs h, turning a panic into a *panicError.
func call(ctx context.Context, h ActivityHandler, t *ActivityTask) (result string, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &panicError{value: v, stack: debug.Stack()}
		}
	}()
	return h(ctx, t)
}

// optional is nil for "", so that an empty string is not sent.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
