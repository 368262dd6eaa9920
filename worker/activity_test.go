package worker_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/openswf/openswf/worker"
)

// A handler's result completes the task; the worker hands it the task as
// polled.
func TestActivityCompletes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.schedule(t, "a1")
	var got *worker.ActivityTask
	w := worker.NewActivityWorker(b.c, fastOptions())
	w.Handle(activityName, "1", func(ctx context.Context, task *worker.ActivityTask) (string, error) {
		got = task
		return "done: " + task.Input, nil
	})
	runWorker(t, w.Run)

	b.pollDecision(t)
	ev := last(t, b.history(t), types.EventTypeActivityTaskCompleted)
	if r := aws.ToString(ev.ActivityTaskCompletedEventAttributes.Result); r != "done: input of a1" {
		t.Errorf("result %q, want %q", r, "done: input of a1")
	}
	if got.ActivityID != "a1" || aws.ToString(got.ActivityType.Name) != activityName || aws.ToString(got.WorkflowExecution.RunId) != b.runID || got.StartedEventID == 0 {
		t.Errorf("task %+v, want activity a1 of %s in run %s with a started event", got, activityName, b.runID)
	}
}

// A handler registered without a version takes every version; a task of
// a type without a handler fails at once.
func TestActivityHandlerLookup(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.schedule(t, "a1")
	w := worker.NewActivityWorker(b.c, fastOptions())
	w.Handle("other", "1", func(context.Context, *worker.ActivityTask) (string, error) { return "", nil })
	runWorker(t, w.Run)
	task := b.pollDecision(t)
	ev := last(t, b.history(t), types.EventTypeActivityTaskFailed)
	if r := aws.ToString(ev.ActivityTaskFailedEventAttributes.Reason); r != "no handler for activity type act version 1" {
		t.Errorf("reason %q, want the missing handler named", r)
	}

	// A second worker, on a task list of its own.
	must(t)(b.srv.Client.RespondDecisionTaskCompleted(t.Context(), &swf.RespondDecisionTaskCompletedInput{TaskToken: task.TaskToken,
		Decisions: []types.Decision{worker.ScheduleActivityTask("a2", worker.ActivityType(activityName, "1"), "",
			func(a *types.ScheduleActivityTaskDecisionAttributes) {
				a.TaskList = &types.TaskList{Name: aws.String("second")}
			})}}))
	opts := fastOptions()
	opts.TaskList = "second"
	w = worker.NewActivityWorker(b.c, opts)
	w.Handle(activityName, "", func(context.Context, *worker.ActivityTask) (string, error) { return "any version", nil })
	runWorker(t, w.Run)
	b.pollDecision(t)
	ev = last(t, b.history(t), types.EventTypeActivityTaskCompleted)
	if r := aws.ToString(ev.ActivityTaskCompletedEventAttributes.Result); r != "any version" {
		t.Errorf("result %q, want the version-less handler's", r)
	}
}

// Heartbeats carry the latest progress. When the worker goes quiet for
// longer than the heartbeat timeout (the clock moves 6 minutes in one
// step), the task times out with that progress, the worker's next
// heartbeat learns the task is gone, and the handler's ctx ends with
// ErrTaskGone. The worker answers nothing.
func TestActivityHeartbeatTimeout(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.schedule(t, "a1")
	cause := make(chan error, 1)
	w := worker.NewActivityWorker(b.c, fastOptions())
	w.Handle(activityName, "1", func(ctx context.Context, task *worker.ActivityTask) (string, error) {
		task.Progress("10%")
		task.Progress("50%")
		<-ctx.Done()
		cause <- context.Cause(ctx)
		return "", ctx.Err()
	})
	stop := runWorker(t, w.Run)
	b.tap.waitFor(t, "RecordActivityTaskHeartbeat", `"details":"50%"`)

	b.advance(6 * time.Minute)

	select {
	case err := <-cause:
		if !errors.Is(err, worker.ErrTaskGone) {
			t.Errorf("handler's ctx ended with %v, want ErrTaskGone", err)
		}
	case <-time.After(wait):
		t.Fatal("the handler's ctx was not canceled")
	}
	b.pollDecision(t)
	ev := last(t, b.history(t), types.EventTypeActivityTaskTimedOut)
	if a := ev.ActivityTaskTimedOutEventAttributes; a.TimeoutType != types.ActivityTaskTimeoutTypeHeartbeat || aws.ToString(a.Details) != "50%" {
		t.Errorf("timed out %s with details %q, want HEARTBEAT with 50%%", a.TimeoutType, aws.ToString(a.Details))
	}
	stop()
	for _, op := range []string{"RespondActivityTaskCompleted", "RespondActivityTaskFailed", "RespondActivityTaskCanceled"} {
		if n := b.tap.count(op, 0); n != 0 {
			t.Errorf("%d calls of %s, want none for a task that is gone", n, op)
		}
	}
}

// Heartbeats keep a task alive for as long as its handler runs, and do not
// extend its start-to-close timeout: when that passes, the handler's ctx
// ends with ErrTaskGone.
func TestActivityStartToCloseTimeout(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.schedule(t, "a1", func(a *types.ScheduleActivityTaskDecisionAttributes) {
		a.StartToCloseTimeout = worker.Seconds(10 * time.Minute)
	})
	cause := make(chan error, 1)
	w := worker.NewActivityWorker(b.c, fastOptions())
	w.Handle(activityName, "1", func(ctx context.Context, task *worker.ActivityTask) (string, error) {
		<-ctx.Done()
		cause <- context.Cause(ctx)
		return "", ctx.Err()
	})
	runWorker(t, w.Run)

	// Three steps of four minutes, each shorter than the heartbeat
	// timeout, with a heartbeat after each: only start-to-close can fire.
	for range 3 {
		b.tap.waitForNew(t, "RecordActivityTaskHeartbeat")
		b.advance(4 * time.Minute)
	}
	select {
	case err := <-cause:
		if !errors.Is(err, worker.ErrTaskGone) {
			t.Errorf("handler's ctx ended with %v, want ErrTaskGone", err)
		}
	case <-time.After(wait):
		t.Fatal("the handler's ctx was not canceled")
	}
	b.pollDecision(t)
	ev := last(t, b.history(t), types.EventTypeActivityTaskTimedOut)
	if typ := ev.ActivityTaskTimedOutEventAttributes.TimeoutType; typ != types.ActivityTaskTimeoutTypeStartToClose {
		t.Errorf("timed out %s, want START_TO_CLOSE", typ)
	}
}

// When the decider asks to cancel a task, the next heartbeat learns it,
// the handler's ctx ends with ErrCancelRequested, and the worker answers
// RespondActivityTaskCanceled with the latest progress.
func TestActivityCancel(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.schedule(t, "a1")
	started := make(chan struct{})
	cause := make(chan error, 1)
	w := worker.NewActivityWorker(b.c, fastOptions())
	w.Handle(activityName, "1", func(ctx context.Context, task *worker.ActivityTask) (string, error) {
		task.Progress("40%")
		close(started)
		<-ctx.Done()
		cause <- context.Cause(ctx)
		return "", ctx.Err()
	})
	runWorker(t, w.Run)
	<-started

	must(t)(b.srv.Client.SignalWorkflowExecution(t.Context(), signalInput(b, "stop")))
	b.decide(t, worker.RequestCancelActivityTask("a1"))

	select {
	case err := <-cause:
		if !errors.Is(err, worker.ErrCancelRequested) {
			t.Errorf("handler's ctx ended with %v, want ErrCancelRequested", err)
		}
	case <-time.After(wait):
		t.Fatal("the handler's ctx was not canceled")
	}
	b.pollDecision(t)
	ev := last(t, b.history(t), types.EventTypeActivityTaskCanceled)
	if d := aws.ToString(ev.ActivityTaskCanceledEventAttributes.Details); d != "40%" {
		t.Errorf("canceled with details %q, want the latest progress 40%%", d)
	}
}

// A handler that returns a result although the task's cancellation was
// requested completes the task.
func TestActivityCancelRequestedButCompleted(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.schedule(t, "a1")
	started := make(chan struct{})
	w := worker.NewActivityWorker(b.c, fastOptions())
	w.Handle(activityName, "1", func(ctx context.Context, task *worker.ActivityTask) (string, error) {
		close(started)
		<-ctx.Done()
		return "finished anyway", nil
	})
	runWorker(t, w.Run)
	<-started
	must(t)(b.srv.Client.SignalWorkflowExecution(t.Context(), signalInput(b, "stop")))
	b.decide(t, worker.RequestCancelActivityTask("a1"))
	b.pollDecision(t)
	ev := last(t, b.history(t), types.EventTypeActivityTaskCompleted)
	if r := aws.ToString(ev.ActivityTaskCompletedEventAttributes.Result); r != "finished anyway" {
		t.Errorf("result %q, want the handler's", r)
	}
}

// A handler's error fails the task with its text; a Failure sets reason
// and details; a panic fails it with the panic and the stack.
func TestActivityFailures(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 300)
	for _, tc := range []struct {
		name                string
		err                 error
		panic               any
		reason, detailsLike string
	}{
		{name: "Error", err: errors.New("card declined"), reason: "card declined"},
		{name: "LongError", err: errors.New(long), reason: long[:256], detailsLike: long},
		{name: "Failure", err: &worker.Failure{Reason: "declined", Details: "insufficient funds"}, reason: "declined", detailsLike: "insufficient funds"},
		{name: "WrappedFailure", err: errorsJoin(&worker.Failure{Reason: "declined"}), reason: "declined"},
		{name: "Panic", panic: "boom", reason: "panic: boom", detailsLike: "activity_test.go"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.schedule(t, "a1")
			w := worker.NewActivityWorker(b.c, fastOptions())
			w.Handle(activityName, "1", func(context.Context, *worker.ActivityTask) (string, error) {
				if tc.panic != nil {
					panic(tc.panic)
				}
				return "", tc.err
			})
			runWorker(t, w.Run)
			b.pollDecision(t)
			a := last(t, b.history(t), types.EventTypeActivityTaskFailed).ActivityTaskFailedEventAttributes
			if got := aws.ToString(a.Reason); got != tc.reason {
				t.Errorf("reason %q, want %q", got, tc.reason)
			}
			if got := aws.ToString(a.Details); !strings.Contains(got, tc.detailsLike) {
				t.Errorf("details %q, want them to contain %q", got, tc.detailsLike)
			}
		})
	}
}

func errorsJoin(err error) error { return errors.Join(errors.New("charging"), err) }

// At shutdown the worker stops polling and lets a running handler finish
// within the grace period: its result is delivered.
func TestActivityShutdownLetsTasksFinish(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.schedule(t, "a1")
	started, release := make(chan struct{}), make(chan struct{})
	var canceled atomic.Bool
	opts := fastOptions()
	opts.ShutdownGrace = wait
	w := worker.NewActivityWorker(b.c, opts)
	w.Handle(activityName, "1", func(ctx context.Context, task *worker.ActivityTask) (string, error) {
		close(started)
		select {
		case <-release:
		case <-ctx.Done():
			canceled.Store(true)
		}
		return "finished during shutdown", nil
	})
	stop := runWorker(t, w.Run)
	<-started
	polls := b.tap.count("PollForActivityTask", 0)
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	select {
	case <-stopped:
		t.Fatal("Run returned while a handler was running")
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	<-stopped
	if canceled.Load() {
		t.Error("the handler's ctx was canceled within the grace period")
	}
	if n := b.tap.count("PollForActivityTask", 0); n != polls {
		t.Errorf("%d polls after shutdown began, want none", n-polls)
	}
	b.pollDecision(t)
	ev := last(t, b.history(t), types.EventTypeActivityTaskCompleted)
	if r := aws.ToString(ev.ActivityTaskCompletedEventAttributes.Result); r != "finished during shutdown" {
		t.Errorf("result %q, want the handler's", r)
	}
}

// At shutdown the worker polls no more but lets its poll in flight
// answer: a task handed out then still runs, rather than wait for its
// timeout.
func TestActivityShutdownWaitsForPolls(t *testing.T) {
	t.Parallel()
	b := setup(t)
	opts := fastOptions()
	opts.ShutdownGrace = wait
	w := worker.NewActivityWorker(b.c, opts)
	w.Handle(activityName, "1", func(ctx context.Context, task *worker.ActivityTask) (string, error) {
		return "taken during shutdown", nil
	})
	stop := runWorker(t, w.Run)
	b.tap.waitSent(t, "PollForActivityTask", 1)
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	b.schedule(t, "a1")
	<-stopped
	b.pollDecision(t)
	ev := last(t, b.history(t), types.EventTypeActivityTaskCompleted)
	if r := aws.ToString(ev.ActivityTaskCompletedEventAttributes.Result); r != "taken during shutdown" {
		t.Errorf("result %q, want the handler's", r)
	}
	if n := b.tap.count("PollForActivityTask", 0); n != 1 {
		t.Errorf("%d polls, want the one in flight when shutdown began", n)
	}
}

// A handler still running when the grace period ends has its ctx canceled
// with ErrShutdown; its error fails the task, and Run returns.
func TestActivityShutdownGraceEnds(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.schedule(t, "a1")
	started := make(chan struct{})
	cause := make(chan error, 1)
	opts := fastOptions()
	opts.ShutdownGrace = 5 * time.Millisecond
	w := worker.NewActivityWorker(b.c, opts)
	w.Handle(activityName, "1", func(ctx context.Context, task *worker.ActivityTask) (string, error) {
		close(started)
		<-ctx.Done()
		cause <- context.Cause(ctx)
		return "", ctx.Err()
	})
	stop := runWorker(t, w.Run)
	<-started
	stop()
	if err := <-cause; !errors.Is(err, worker.ErrShutdown) {
		t.Errorf("handler's ctx ended with %v, want ErrShutdown", err)
	}
	b.pollDecision(t)
	a := last(t, b.history(t), types.EventTypeActivityTaskFailed).ActivityTaskFailedEventAttributes
	if r := aws.ToString(a.Reason); r != "worker shut down" {
		t.Errorf("reason %q, want %q", r, "worker shut down")
	}
}

// Throttled and failing calls are retried with backoff: polls, heartbeats
// and the answer all get through in the end.
func TestActivityThrottling(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.schedule(t, "a1")
	b.tap.fail("PollForActivityTask", 3, 400, "ThrottlingException")
	b.tap.fail("PollForActivityTask", 1, 503, "ServiceUnavailable")
	b.tap.fail("RecordActivityTaskHeartbeat", 2, 400, "ThrottlingException")
	b.tap.fail("RespondActivityTaskCompleted", 2, 400, "ThrottlingException")
	b.tap.fail("RespondActivityTaskCompleted", 1, 500, "InternalFailure")
	w := worker.NewActivityWorker(b.c, fastOptions())
	w.Handle(activityName, "1", func(ctx context.Context, task *worker.ActivityTask) (string, error) {
		task.Progress("halfway")
		b.tap.waitFor(t, "RecordActivityTaskHeartbeat", "halfway")
		return "done", nil
	})
	runWorker(t, w.Run)
	b.pollDecision(t)
	last(t, b.history(t), types.EventTypeActivityTaskCompleted)
	for _, c := range []struct {
		op           string
		failed, okay int
	}{
		{"PollForActivityTask", 4, 1},
		{"RecordActivityTaskHeartbeat", 2, 1},
		{"RespondActivityTaskCompleted", 3, 1},
	} {
		if n := b.tap.count(c.op, 0) - b.tap.count(c.op, 200); n != c.failed {
			t.Errorf("%s: %d failed calls, want the %d injected", c.op, n, c.failed)
		}
		if n := b.tap.count(c.op, 200); n < c.okay {
			t.Errorf("%s: %d calls answered 200, want at least %d", c.op, n, c.okay)
		}
	}
}

// A fault that retrying cannot fix is not retried: the answer of a task
// that timed out meanwhile is dropped after one try.
func TestActivityAnswerOfClosedTask(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.schedule(t, "a1")
	started, release := make(chan struct{}), make(chan struct{})
	opts := fastOptions()
	opts.HeartbeatInterval = time.Hour // no heartbeat finds out first
	w := worker.NewActivityWorker(b.c, opts)
	w.Handle(activityName, "1", func(ctx context.Context, task *worker.ActivityTask) (string, error) {
		close(started)
		<-release
		return "too late", nil
	})
	stop := runWorker(t, w.Run)
	<-started
	b.advance(6 * time.Minute)
	close(release)
	stop()
	if n := b.tap.count("RespondActivityTaskCompleted", 0); n != 1 {
		t.Errorf("%d calls of RespondActivityTaskCompleted, want 1", n)
	}
	last(t, b.history(t), types.EventTypeActivityTaskTimedOut)
}

// With Pollers set to n, n tasks run at once.
func TestActivityPollers(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const n = 3
	var decisions []types.Decision
	for i := range n {
		decisions = append(decisions, worker.ScheduleActivityTask(fmt.Sprint("a", i), worker.ActivityType(activityName, "1"), ""))
	}
	b.decide(t, decisions...)
	running := make(chan struct{}, n)
	all := make(chan struct{})
	opts := fastOptions()
	opts.Pollers = n
	w := worker.NewActivityWorker(b.c, opts)
	w.Handle(activityName, "1", func(ctx context.Context, task *worker.ActivityTask) (string, error) {
		running <- struct{}{}
		select {
		case <-all:
			return "together", nil
		case <-ctx.Done():
			return "", ctx.Err()
		}
	})
	runWorker(t, w.Run)
	for i := range n {
		select {
		case <-running:
		case <-time.After(wait):
			t.Fatalf("%d of %d tasks running at once, want all", i, n)
		}
	}
	close(all)
	deadline := time.Now().Add(wait)
	for n > countEvents(b.history(t), types.EventTypeActivityTaskCompleted) {
		if time.Now().After(deadline) {
			t.Fatalf("not every task completed; history %v", eventTypes(b.history(t)))
		}
		time.Sleep(time.Millisecond)
	}
}

func countEvents(events []types.HistoryEvent, typ types.EventType) int {
	n := 0
	for _, ev := range events {
		if ev.EventType == typ {
			n++
		}
	}
	return n
}
