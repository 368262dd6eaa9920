package conformance

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/openswf/openswf/internal/swftest"
)

// decideOverride completes task with decisions and a decision task list
// override (s2s "" means a permanent one).
func decideOverride(tb testing.TB, b *bundle, task *swf.PollForDecisionTaskOutput, list, s2s string, decisions ...types.Decision) {
	tb.Helper()
	in := &swf.RespondDecisionTaskCompletedInput{
		TaskToken: task.TaskToken, Decisions: decisions, TaskList: &types.TaskList{Name: aws.String(list)},
	}
	if s2s != "" {
		in.TaskListScheduleToStartTimeout = aws.String(s2s)
	}
	if _, err := b.env.SWF.RespondDecisionTaskCompleted(swftest.Ctx(tb), in); err != nil {
		tb.Fatalf("RespondDecisionTaskCompleted: %v", err)
	}
}

func lastScheduledList(tb testing.TB, events []types.HistoryEvent) string {
	tb.Helper()
	return aws.ToString(swftest.Last(tb, events, types.EventTypeDecisionTaskScheduled).DecisionTaskScheduledEventAttributes.TaskList.Name)
}

// TestDecisionTaskListOverride: RespondDecisionTaskCompleted's taskList
// moves future decision tasks; with taskListScheduleToStartTimeout the
// move is temporary and reverts when a task on it times out (BEHAVIOR §4;
// model documentation of taskListScheduleToStartTimeout).
func TestDecisionTaskListOverride(t *testing.T) {
	t.Parallel()

	t.Run("Permanent", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		decideOverride(t, b, b.pollDecision(t), "elsewhere", "")
		for range 2 {
			b.signal(t)
			if got := lastScheduledList(t, b.history(t)); got != "elsewhere" {
				t.Fatalf("decision task scheduled on %q, want elsewhere", got)
			}
			task := b.env.PollDecision(t, b.domain, "elsewhere")
			b.env.Decide(t, aws.ToString(task.TaskToken))
		}
		if got := countPendingDecisions(t, b); got != 0 {
			t.Fatalf("%d decision tasks on the original list, want 0", got)
		}
	})

	t.Run("ScheduleToStartReverts", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		decideOverride(t, b, b.pollDecision(t), "elsewhere", "20", swftest.StartTimer("t", "5"))
		b.env.Clock.Advance(5 * time.Second)
		events := b.history(t)
		sched := swftest.Last(t, events, types.EventTypeDecisionTaskScheduled).DecisionTaskScheduledEventAttributes
		if aws.ToString(sched.TaskList.Name) != "elsewhere" || aws.ToString(sched.ScheduleToStartTimeout) != "20" {
			t.Fatalf("got DecisionTaskScheduled %+v, want elsewhere with scheduleToStartTimeout 20", sched)
		}
		b.env.Clock.Advance(20 * time.Second)
		events = b.history(t)
		wantTail(t, events, types.EventTypeTimerFired, types.EventTypeDecisionTaskScheduled, types.EventTypeDecisionTaskTimedOut, types.EventTypeDecisionTaskScheduled)
		if a := swftest.Last(t, events, types.EventTypeDecisionTaskTimedOut).DecisionTaskTimedOutEventAttributes; a.TimeoutType != types.DecisionTaskTimeoutTypeScheduleToStart || a.StartedEventId != 0 {
			t.Fatalf("got DecisionTaskTimedOut %+v, want SCHEDULE_TO_START never started", a)
		}
		if got := lastScheduledList(t, events); got != swftest.DecisionTaskList {
			t.Fatalf("after the timeout: decision task on %q, want the original %q", got, swftest.DecisionTaskList)
		}
		task := b.pollDecision(t)
		b.env.Decide(t, aws.ToString(task.TaskToken))
		b.signal(t)
		if got := lastScheduledList(t, b.history(t)); got != swftest.DecisionTaskList {
			t.Fatalf("later decision task on %q, want the original %q", got, swftest.DecisionTaskList)
		}
	})

	t.Run("StartedInTimeStaysOverridden", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		decideOverride(t, b, b.pollDecision(t), "elsewhere", "20", swftest.StartTimer("t", "5"))
		b.env.Clock.Advance(5 * time.Second)
		task := b.env.PollDecision(t, b.domain, "elsewhere")
		b.env.Clock.Advance(30 * time.Second) // past the schedule-to-start timeout: no effect once started
		b.env.Decide(t, aws.ToString(task.TaskToken))
		if n := swftest.Count(b.history(t), types.EventTypeDecisionTaskTimedOut); n != 0 {
			t.Fatalf("got %d DecisionTaskTimedOut, want 0", n)
		}
	})

	t.Run("StartToCloseReverts", func(t *testing.T) {
		t.Parallel()
		b := newBundle(t)
		b.wt = b.env.WorkflowType(t, b.domain, func(in *swf.RegisterWorkflowTypeInput) { in.DefaultTaskStartToCloseTimeout = aws.String("30") })
		b.wfID, b.runID = b.env.Start(t, b.domain, b.wt)
		decideOverride(t, b, b.pollDecision(t), "elsewhere", "20", swftest.StartTimer("t", "5"))
		b.env.Clock.Advance(5 * time.Second)
		b.env.PollDecision(t, b.domain, "elsewhere")
		b.env.Clock.Advance(30 * time.Second)
		events := b.history(t)
		wantTail(t, events, types.EventTypeDecisionTaskStarted, types.EventTypeDecisionTaskTimedOut, types.EventTypeDecisionTaskScheduled)
		if got := lastScheduledList(t, events); got != swftest.DecisionTaskList {
			t.Fatalf("after START_TO_CLOSE on the temporary override: decision task on %q, want the original %q", got, swftest.DecisionTaskList)
		}
	})
}
