package worker_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/openswf/openswf/worker"
)

func deciderOptions() worker.DeciderOptions {
	return worker.DeciderOptions{
		Domain: domain, TaskList: decisionList, Identity: "test-decider",
		ShutdownGrace: 20 * time.Millisecond,
		Backoff:       worker.Backoff{Initial: time.Millisecond, Max: 5 * time.Millisecond},
		Logger:        quiet,
	}
}

// checkTask fails the test unless the task holds the whole history up to
// its DecisionTaskStarted, numbered from 1 without a gap, and New is what
// follows PreviousStartedEventID.
func checkTask(t *testing.T, task *worker.DecisionTask) {
	t.Helper()
	for i, ev := range task.Events {
		if ev.EventId != int64(i+1) {
			t.Errorf("event %d has id %d, want %d", i, ev.EventId, i+1)
			return
		}
	}
	if n := int64(len(task.Events)); n < task.StartedEventID {
		t.Errorf("%d events, want at least up to the started event %d", n, task.StartedEventID)
	}
	if len(task.New) == 0 || task.New[0].EventId != task.PreviousStartedEventID+1 || task.New[len(task.New)-1].EventId != int64(len(task.Events)) {
		t.Errorf("New spans %v, want the events after %d", eventTypes(task.New), task.PreviousStartedEventID)
	}
	if got := task.Event(task.StartedEventID); got == nil || got.EventType != types.EventTypeDecisionTaskStarted {
		t.Errorf("Event(%d) = %v, want the DecisionTaskStarted", task.StartedEventID, got)
	}
}

// The decider reads every page of a history longer than a page, and hands
// the handler the whole history and what is new since its last decision.
func TestDeciderHistory(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const signals = 12
	var (
		mu    sync.Mutex
		tasks []*worker.DecisionTask
	)
	done := make(chan struct{})
	opts := deciderOptions()
	opts.PageSize = 5
	d := worker.NewDecider(b.c, opts, func(ctx context.Context, task *worker.DecisionTask) ([]types.Decision, error) {
		mu.Lock()
		tasks = append(tasks, task)
		n := len(tasks)
		mu.Unlock()
		seen := 0
		for _, ev := range task.Events {
			if ev.EventType == types.EventTypeWorkflowExecutionSignaled {
				seen++
			}
		}
		if seen < signals {
			return []types.Decision{worker.RecordMarker("decided", fmt.Sprint(n))}, nil
		}
		close(done)
		return []types.Decision{worker.CompleteWorkflowExecution("saw every signal")}, nil
	})
	stop := runWorker(t, d.Run)
	for i := range signals {
		in := signalInput(b, "s")
		in.Input = aws.String(fmt.Sprint(i))
		must(t)(b.srv.Client.SignalWorkflowExecution(t.Context(), in))
	}
	select {
	case <-done:
	case <-time.After(wait):
		t.Fatal("the decider never saw every signal")
	}
	stop()

	mu.Lock()
	defer mu.Unlock()
	if tasks[0].PreviousStartedEventID != 0 || len(tasks[0].New) != len(tasks[0].Events) {
		t.Errorf("first task: previous started %d, %d new of %d events; want 0 and all new",
			tasks[0].PreviousStartedEventID, len(tasks[0].New), len(tasks[0].Events))
	}
	for i, task := range tasks {
		checkTask(t, task)
		if i > 0 && task.PreviousStartedEventID != tasks[i-1].StartedEventID {
			t.Errorf("task %d: previous started %d, want task %d's started %d", i, task.PreviousStartedEventID, i-1, tasks[i-1].StartedEventID)
		}
	}
	if n := len(tasks[len(tasks)-1].Events); n <= 5 {
		t.Fatalf("the last history has %d events; the test needs more than a page", n)
	}
	paged := false
	b.tap.mu.Lock()
	for _, c := range b.tap.calls {
		paged = paged || c.op == "PollForDecisionTask" && strings.Contains(c.body, "nextPageToken")
	}
	b.tap.mu.Unlock()
	if !paged {
		t.Error("no PollForDecisionTask asked for a next page")
	}
	ev := last(t, b.history(t), types.EventTypeWorkflowExecutionCompleted)
	if r := aws.ToString(ev.WorkflowExecutionCompletedEventAttributes.Result); r != "saw every signal" {
		t.Errorf("result %q, want the handler's", r)
	}
}

// A handler's error or panic leaves the decision task unanswered: it times
// out, SWF schedules another, and the handler sees the timeout.
func TestDeciderHandlerFailure(t *testing.T) {
	t.Parallel()
	b := setup(t)
	calls := make(chan *worker.DecisionTask, 3)
	var attempts atomic.Int32
	d := worker.NewDecider(b.c, deciderOptions(), func(ctx context.Context, task *worker.DecisionTask) ([]types.Decision, error) {
		calls <- task
		switch attempts.Add(1) {
		case 1:
			return nil, errors.New("not today")
		case 2:
			panic("nor today")
		}
		return []types.Decision{worker.CompleteWorkflowExecution("")}, nil
	})
	stop := runWorker(t, d.Run)
	for i := range 3 {
		var task *worker.DecisionTask
		select {
		case task = <-calls:
		case <-time.After(wait):
			t.Fatalf("decision task %d never reached the handler", i+1)
		}
		// No decision task was completed, so every event is new.
		checkTask(t, task)
		timeouts := 0
		for _, ev := range task.New {
			if ev.EventType == types.EventTypeDecisionTaskTimedOut {
				timeouts++
			}
		}
		if timeouts != i {
			t.Errorf("attempt %d: %d DecisionTaskTimedOut among the new events, want %d", i+1, timeouts, i)
		}
		if i < 2 {
			b.advance(time.Hour) // the decision task's start-to-close
		}
	}
	stop()
	last(t, b.history(t), types.EventTypeWorkflowExecutionCompleted)
}

// Every decision the builders make is one the service takes.
func TestDecisionBuilders(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.decide(t,
		worker.ScheduleActivityTask("a1", worker.ActivityType(activityName, "1"), "in",
			func(a *types.ScheduleActivityTaskDecisionAttributes) {
				a.HeartbeatTimeout = worker.Seconds(90 * time.Second)
			}),
		worker.RecordMarker("marker", "details"),
		worker.StartTimer("t1", 1500*time.Millisecond, func(a *types.StartTimerDecisionAttributes) { a.Control = aws.String("c") }),
		worker.StartChildWorkflowExecution("child-1", worker.WorkflowType(workflowName, "1"), "child input",
			func(a *types.StartChildWorkflowExecutionDecisionAttributes) {
				a.TaskList = &types.TaskList{Name: aws.String("child")}
			}),
		worker.SignalExternalWorkflowExecution(b.wfID, b.runID, "to-self", "hello"),
		worker.ScheduleLambdaFunction("l1", "fn", ""),
	)
	b.decide(t,
		worker.RequestCancelActivityTask("a1"),
		worker.CancelTimer("t1"),
		worker.RequestCancelExternalWorkflowExecution("child-1", ""),
	)
	events := b.history(t)
	for _, typ := range []types.EventType{
		types.EventTypeActivityTaskScheduled, types.EventTypeMarkerRecorded, types.EventTypeTimerStarted,
		types.EventTypeChildWorkflowExecutionStarted, types.EventTypeExternalWorkflowExecutionSignaled,
		types.EventTypeScheduleLambdaFunctionFailed, types.EventTypeActivityTaskCanceled, types.EventTypeTimerCanceled,
		types.EventTypeExternalWorkflowExecutionCancelRequested,
	} {
		last(t, events, typ)
	}
	if a := last(t, events, types.EventTypeActivityTaskScheduled).ActivityTaskScheduledEventAttributes; aws.ToString(a.HeartbeatTimeout) != "90" {
		t.Errorf("heartbeat timeout %q, want 90", aws.ToString(a.HeartbeatTimeout))
	}
	if a := last(t, events, types.EventTypeTimerStarted).TimerStartedEventAttributes; aws.ToString(a.StartToFireTimeout) != "2" {
		t.Errorf("timer of %q seconds, want 1.5 s rounded up to 2", aws.ToString(a.StartToFireTimeout))
	}
	for _, ev := range events {
		if strings.HasSuffix(string(ev.EventType), "Failed") && ev.EventType != types.EventTypeScheduleLambdaFunctionFailed {
			t.Errorf("event %d is %s", ev.EventId, ev.EventType)
		}
	}

	// The child, asked to cancel, does.
	child := b.pollDecisionOn(t, "child")
	must(t)(b.srv.Client.RespondDecisionTaskCompleted(t.Context(), &swf.RespondDecisionTaskCompletedInput{
		TaskToken: child.TaskToken, Decisions: []types.Decision{worker.CancelWorkflowExecution("as asked")},
	}))
	// The parent continues as new, and the new run fails.
	b.decide(t, worker.ContinueAsNewWorkflowExecution("next", func(a *types.ContinueAsNewWorkflowExecutionDecisionAttributes) {
		a.TagList = []string{"again"}
	}))
	task := b.pollDecision(t)
	must(t)(b.srv.Client.RespondDecisionTaskCompleted(t.Context(), &swf.RespondDecisionTaskCompletedInput{
		TaskToken: task.TaskToken, Decisions: []types.Decision{worker.FailWorkflowExecution(strings.Repeat("r", 300), "details")},
	}))
	for _, c := range []struct {
		we   *types.WorkflowExecution
		want types.EventType
	}{
		{child.WorkflowExecution, types.EventTypeWorkflowExecutionCanceled},
		{&types.WorkflowExecution{WorkflowId: aws.String(b.wfID), RunId: aws.String(b.runID)}, types.EventTypeWorkflowExecutionContinuedAsNew},
		{task.WorkflowExecution, types.EventTypeWorkflowExecutionFailed},
	} {
		out, err := b.srv.Client.GetWorkflowExecutionHistory(t.Context(), &swf.GetWorkflowExecutionHistoryInput{
			Domain: aws.String(domain), Execution: c.we, ReverseOrder: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := out.Events[0].EventType; got != c.want {
			t.Errorf("run %s closed with %s, want %s", aws.ToString(c.we.RunId), got, c.want)
		}
	}
}
