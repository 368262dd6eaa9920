package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"
)

// TestRealClockTimers starts two timers (1 s and 2 s) on the real clock and
// checks that each fires on time, by the history's timestamps, and that the
// decider's waiting long poll is woken by it rather than by the end of the
// poll.
func TestRealClockTimers(t *testing.T) {
	skipIfShort(t)
	t.Parallel()
	const (
		domain   = "timers"
		deciders = "deciders"
	)
	srv := startServer(t, t.TempDir())
	c := newClient(srv.url)
	ctx := context.Background()

	if _, err := c.RegisterDomain(ctx, &swf.RegisterDomainInput{
		Name: aws.String(domain), WorkflowExecutionRetentionPeriodInDays: aws.String("1"),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RegisterWorkflowType(ctx, &swf.RegisterWorkflowTypeInput{
		Domain: aws.String(domain), Name: aws.String("sleepy"), Version: aws.String("1"),
		DefaultTaskList:                     &types.TaskList{Name: aws.String(deciders)},
		DefaultChildPolicy:                  types.ChildPolicyTerminate,
		DefaultExecutionStartToCloseTimeout: aws.String("300"),
		DefaultTaskStartToCloseTimeout:      aws.String("60"),
	}); err != nil {
		t.Fatal(err)
	}
	run, err := c.StartWorkflowExecution(ctx, &swf.StartWorkflowExecutionInput{
		Domain: aws.String(domain), WorkflowId: aws.String("sleepy-1"),
		WorkflowType: &types.WorkflowType{Name: aws.String("sleepy"), Version: aws.String("1")},
	})
	if err != nil {
		t.Fatal(err)
	}
	exec := &types.WorkflowExecution{WorkflowId: aws.String("sleepy-1"), RunId: run.RunId}

	// poll long-polls for a decision task, which must come.
	poll := func() *swf.PollForDecisionTaskOutput {
		t.Helper()
		pctx, cancel := context.WithTimeout(ctx, 70*time.Second)
		defer cancel()
		dt, err := c.PollForDecisionTask(pctx, &swf.PollForDecisionTaskInput{
			Domain: aws.String(domain), TaskList: &types.TaskList{Name: aws.String(deciders)},
		})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(dt.TaskToken) == "" {
			t.Fatal("poll for decision task: no task")
		}
		return dt
	}
	respond := func(dt *swf.PollForDecisionTaskOutput, decisions ...types.Decision) {
		t.Helper()
		if _, err := c.RespondDecisionTaskCompleted(ctx, &swf.RespondDecisionTaskCompletedInput{
			TaskToken: dt.TaskToken, Decisions: decisions,
		}); err != nil {
			t.Fatal(err)
		}
	}
	startTimer := func(id, secs string) types.Decision {
		return types.Decision{
			DecisionType: types.DecisionTypeStartTimer,
			StartTimerDecisionAttributes: &types.StartTimerDecisionAttributes{
				TimerId: aws.String(id), StartToFireTimeout: aws.String(secs),
			},
		}
	}

	respond(poll(), startTimer("one", "1"), startTimer("two", "2"))

	// Both timers are started in the same decision, at the same moment.
	events, err := history(ctx, c, domain, exec)
	if err != nil {
		t.Fatal(err)
	}
	started := eventsOf(events, types.EventTypeTimerStarted)
	if len(started) != 2 {
		t.Fatalf("got %d TimerStarted events, want 2", len(started))
	}
	startedAt := map[string]time.Time{}
	startedID := map[string]int64{}
	for _, ev := range started {
		id := aws.ToString(ev.TimerStartedEventAttributes.TimerId)
		startedAt[id], startedID[id] = aws.ToTime(ev.EventTimestamp), ev.EventId
	}

	// Each long poll starts before its timer's deadline and must be woken
	// by the timer: the task comes within 2 s of the deadline (a poll that
	// only looked again at its own 60 s end would be far later).
	for _, timer := range []struct {
		id      string
		timeout time.Duration
	}{{"one", time.Second}, {"two", 2 * time.Second}} {
		deadline := startedAt[timer.id].Add(timer.timeout)
		pollStart := time.Now()
		if !pollStart.Before(deadline) {
			t.Fatalf("timer %s: the poll starts %v after the deadline; the test is too slow to check the wake-up", timer.id, pollStart.Sub(deadline))
		}
		dt := poll()
		woke := time.Now()
		if late := woke.Sub(deadline); late > 2*time.Second {
			t.Errorf("timer %s: the waiting poll returned %v after the deadline, want within 2s", timer.id, late)
		}
		var fired *types.HistoryEvent
		for _, ev := range dt.Events {
			if ev.EventType == types.EventTypeTimerFired && aws.ToString(ev.TimerFiredEventAttributes.TimerId) == timer.id {
				fired = &ev
			}
		}
		if fired == nil {
			t.Fatalf("timer %s: the decision task after %v has no TimerFired for it", timer.id, woke.Sub(pollStart))
		}
		if got := fired.TimerFiredEventAttributes.StartedEventId; got != startedID[timer.id] {
			t.Errorf("timer %s: TimerFired.startedEventId %d, want %d", timer.id, got, startedID[timer.id])
		}
		took := aws.ToTime(fired.EventTimestamp).Sub(startedAt[timer.id])
		if took < timer.timeout || took >= timer.timeout+time.Second {
			t.Errorf("timer %s: fired %v after it started, want in [%v, %v)", timer.id, took, timer.timeout, timer.timeout+time.Second)
		}
		t.Logf("timer %s (%v): fired %v after it started; the poll (waiting %v) returned %v after the deadline",
			timer.id, timer.timeout, took, deadline.Sub(pollStart).Round(time.Millisecond), woke.Sub(deadline).Round(time.Millisecond))
		if timer.id == "two" {
			respond(dt, types.Decision{DecisionType: types.DecisionTypeCompleteWorkflowExecution})
		} else {
			respond(dt)
		}
	}

	events, err = history(ctx, c, domain, exec)
	if err != nil {
		t.Fatal(err)
	}
	checkEventIDs(t, "history", sdkEventIDs(events))
	if got := len(eventsOf(events, types.EventTypeTimerFired)); got != 2 {
		t.Errorf("got %d TimerFired events, want 2", got)
	}
	if got := len(eventsOf(events, types.EventTypeWorkflowExecutionCompleted)); got != 1 {
		t.Errorf("got %d WorkflowExecutionCompleted events, want 1", got)
	}
}
