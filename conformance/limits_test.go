package conformance

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	oswf "github.com/openswf/openswf/internal/swf"
	"github.com/openswf/openswf/internal/swftest"
)

// limits returns AWS's quotas with change applied.
func limits(change func(*oswf.Limits)) swftest.Option {
	l := oswf.DefaultLimits()
	change(&l)
	return swftest.WithLimits(l)
}

// TestQuotas checks that each quota is reported with its fault or cause
// (BEHAVIOR §9), using servers with small quotas.
func TestQuotas(t *testing.T) {
	t.Parallel()

	t.Run("Domains", func(t *testing.T) {
		t.Parallel()
		env := swftest.Start(t, limits(func(l *oswf.Limits) { l.MaxDomains = 2 }))
		env.Domain(t)
		env.Domain(t)
		_, err := env.SWF.RegisterDomain(swftest.Ctx(t), &swf.RegisterDomainInput{Name: aws.String("third"), WorkflowExecutionRetentionPeriodInDays: aws.String("1")})
		swftest.Fault[*types.LimitExceededFault](t, err)
	})

	t.Run("PollersPerTaskList", func(t *testing.T) {
		t.Parallel()
		env := swftest.Start(t, limits(func(l *oswf.Limits) { l.MaxPollersPerTaskList = 2 }))
		d := env.Domain(t)
		base := env.Clock.Pending()
		ch1 := pollActivityAsync(env, d, "busy")
		ch2 := pollActivityAsync(env, d, "busy")
		env.WaitClockWaiters(t, base+2)
		_, err := env.SWF.PollForActivityTask(swftest.Ctx(t), &swf.PollForActivityTaskInput{Domain: aws.String(d), TaskList: &types.TaskList{Name: aws.String("busy")}})
		swftest.Fault[*types.LimitExceededFault](t, err)
		// Another task list has room of its own.
		ch3 := pollActivityAsync(env, d, "other")
		env.WaitClockWaiters(t, base+3)
		env.Clock.Advance(61 * time.Second)
		for _, ch := range []<-chan pollResult[*swf.PollForActivityTaskOutput]{ch1, ch2, ch3} {
			if out := receive(t, ch); aws.ToString(out.TaskToken) != "" {
				t.Fatalf("idle poll got a task")
			}
		}
	})

	t.Run("OpenActivities", func(t *testing.T) {
		t.Parallel()
		b := setup(t, limits(func(l *oswf.Limits) { l.MaxOpenActivities = 2 }))
		b.decide(t, swftest.ScheduleActivity("a1", b.at), swftest.ScheduleActivity("a2", b.at), swftest.ScheduleActivity("a3", b.at))
		events := b.history(t)
		wantTail(t, events, types.EventTypeActivityTaskScheduled, types.EventTypeActivityTaskScheduled,
			types.EventTypeScheduleActivityTaskFailed, types.EventTypeDecisionTaskScheduled)
		if got := swftest.Last(t, events, types.EventTypeScheduleActivityTaskFailed).ScheduleActivityTaskFailedEventAttributes.Cause; got != types.ScheduleActivityTaskFailedCauseOpenActivitiesLimitExceeded {
			t.Fatalf("got cause %s, want OPEN_ACTIVITIES_LIMIT_EXCEEDED", got)
		}
	})

	t.Run("OpenTimers", func(t *testing.T) {
		t.Parallel()
		b := setup(t, limits(func(l *oswf.Limits) { l.MaxOpenTimers = 1 }))
		b.decide(t, swftest.StartTimer("t1", "100"), swftest.StartTimer("t2", "100"))
		events := b.history(t)
		wantTail(t, events, types.EventTypeTimerStarted, types.EventTypeStartTimerFailed, types.EventTypeDecisionTaskScheduled)
		if got := swftest.Last(t, events, types.EventTypeStartTimerFailed).StartTimerFailedEventAttributes.Cause; got != types.StartTimerFailedCauseOpenTimersLimitExceeded {
			t.Fatalf("got cause %s, want OPEN_TIMERS_LIMIT_EXCEEDED", got)
		}
	})

	t.Run("TimerAndExecutionAtMostOneYear", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		task := b.pollDecision(t)
		err := b.env.TryDecide(aws.ToString(task.TaskToken), swftest.StartTimer("t", "31536001"))
		swftest.WantCode(t, err, "ValidationException")
		b.env.Decide(t, aws.ToString(task.TaskToken), swftest.StartTimer("t", "31536000"))
		_, err = b.env.SWF.StartWorkflowExecution(swftest.Ctx(t), &swf.StartWorkflowExecutionInput{
			Domain: aws.String(b.domain), WorkflowId: aws.String("long"), WorkflowType: &b.wt, ExecutionStartToCloseTimeout: aws.String("31536001"),
		})
		swftest.WantCode(t, err, "ValidationException")
		_, err = b.env.SWF.StartWorkflowExecution(swftest.Ctx(t), &swf.StartWorkflowExecutionInput{
			Domain: aws.String(b.domain), WorkflowId: aws.String("none"), WorkflowType: &b.wt, ExecutionStartToCloseTimeout: aws.String("NONE"),
		})
		swftest.WantCode(t, err, "ValidationException")
	})
}

// TestDroppedPoller: a poller whose request ended is not handed a task;
// the next poller gets it (BEHAVIOR §2).
func TestDroppedPoller(t *testing.T) {
	t.Parallel()

	t.Run("Activity", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		task := b.pollDecision(t)
		base := b.env.Clock.Pending()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := b.env.SWF.PollForActivityTask(ctx, &swf.PollForActivityTaskInput{
				Domain: aws.String(b.domain), TaskList: &types.TaskList{Name: aws.String(b.actList)}, Identity: aws.String("gone"),
			})
			done <- err
		}()
		b.env.WaitClockWaiters(t, base+1)
		cancel()
		select {
		case <-done:
		case <-time.After(swftest.CallTimeout):
			t.Fatalf("canceled poll did not return")
		}
		// The server has seen the request end once its poll stops waiting.
		swftest.WaitFor(t, "the server to drop the poll", func() bool { return b.env.Clock.Pending() == base })
		b.env.Decide(t, aws.ToString(task.TaskToken), swftest.ScheduleActivity("a1", b.at))
		got := b.env.PollActivity(t, b.domain, b.actList)
		if aws.ToString(got.ActivityId) != "a1" {
			t.Fatalf("got %q, want a1", aws.ToString(got.ActivityId))
		}
		events := b.history(t)
		if n := swftest.Count(events, types.EventTypeActivityTaskStarted); n != 1 {
			t.Fatalf("got %d ActivityTaskStarted, want 1", n)
		}
		if id := aws.ToString(swftest.Last(t, events, types.EventTypeActivityTaskStarted).ActivityTaskStartedEventAttributes.Identity); id != "worker" {
			t.Fatalf("task started by %q, want the live poller", id)
		}
	})

	t.Run("Decision", func(t *testing.T) {
		t.Parallel()
		env := swftest.Start(t)
		d := env.Domain(t)
		wt := env.WorkflowType(t, d)
		base := env.Clock.Pending()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := env.SWF.PollForDecisionTask(ctx, &swf.PollForDecisionTaskInput{
				Domain: aws.String(d), TaskList: &types.TaskList{Name: aws.String(swftest.DecisionTaskList)}, Identity: aws.String("gone"),
			})
			done <- err
		}()
		env.WaitClockWaiters(t, base+1)
		cancel()
		select {
		case <-done:
		case <-time.After(swftest.CallTimeout):
			t.Fatalf("canceled poll did not return")
		}
		swftest.WaitFor(t, "the server to drop the poll", func() bool { return env.Clock.Pending() == base })
		wfID, runID := env.Start(t, d, wt)
		task := env.PollDecision(t, d, swftest.DecisionTaskList)
		if aws.ToString(task.WorkflowExecution.RunId) != runID {
			t.Fatalf("got a task of run %s, want %s", aws.ToString(task.WorkflowExecution.RunId), runID)
		}
		if n := swftest.Count(env.History(t, d, wfID, runID), types.EventTypeDecisionTaskStarted); n != 1 {
			t.Fatalf("got %d DecisionTaskStarted, want 1", n)
		}
	})
}

// TestZeroSecondTimer: a timer of 0 seconds fires at once, without the
// clock moving.
func TestZeroSecondTimer(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.decide(t, swftest.StartTimer("now", "0"))
	swftest.WaitFor(t, "TimerFired", func() bool { return swftest.Count(b.history(t), types.EventTypeTimerFired) == 1 })
}
