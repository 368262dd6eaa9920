package conformance

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/openswf/openswf/internal/swftest"
)

// TestDeadlinesWakeLongPolls: timers and timeouts fire whether or not any
// request arrives, and a decider already waiting in a long poll is handed
// the decision task they schedule (BEHAVIOR §2, §4, §5).
func TestDeadlinesWakeLongPolls(t *testing.T) {
	t.Parallel()

	// waitingDecider starts a decision poll and returns once it waits.
	waitingDecider := func(t *testing.T, b *bundle) <-chan pollResult[*swf.PollForDecisionTaskOutput] {
		t.Helper()
		base := b.env.Clock.Pending()
		ch := pollDecisionAsync(b.env, b.domain, swftest.DecisionTaskList)
		b.env.WaitClockWaiters(t, base+1)
		wantWaiting(t, ch)
		return ch
	}

	t.Run("TimerFired", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.decide(t, swftest.StartTimer("t1", "30"))
		ch := waitingDecider(t, b)
		b.env.Clock.Advance(30 * time.Second)
		task := receive(t, ch)
		wantTail(t, task.Events, types.EventTypeTimerFired, types.EventTypeDecisionTaskScheduled, types.EventTypeDecisionTaskStarted)
		if got := aws.ToString(task.Events[len(task.Events)-1].DecisionTaskStartedEventAttributes.Identity); got != "async-decider" {
			t.Fatalf("task started by %q, want the waiting poller", got)
		}
	})

	t.Run("ActivityTimedOut", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.startActivity(t, "a1", swftest.Timeouts("", "", "", "10"))
		ch := waitingDecider(t, b)
		b.env.Clock.Advance(10 * time.Second)
		task := receive(t, ch)
		wantTail(t, task.Events, types.EventTypeActivityTaskTimedOut, types.EventTypeDecisionTaskScheduled, types.EventTypeDecisionTaskStarted)
	})

	t.Run("ActivityScheduleToStartTimedOut", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.decide(t, swftest.ScheduleActivity("a1", b.at, swftest.Timeouts("20", "", "", "")))
		ch := waitingDecider(t, b)
		b.env.Clock.Advance(20 * time.Second)
		task := receive(t, ch)
		wantTail(t, task.Events, types.EventTypeActivityTaskTimedOut, types.EventTypeDecisionTaskScheduled, types.EventTypeDecisionTaskStarted)
	})

	t.Run("DecisionTaskTimedOut", func(t *testing.T) {
		t.Parallel()
		env := swftest.Start(t)
		d := env.Domain(t)
		wt := env.WorkflowType(t, d, func(in *swf.RegisterWorkflowTypeInput) { in.DefaultTaskStartToCloseTimeout = aws.String("30") })
		b := &bundle{env: env, domain: d, wt: wt}
		b.wfID, b.runID = env.Start(t, d, wt)
		b.pollDecision(t) // and never answer
		ch := waitingDecider(t, b)
		env.Clock.Advance(30 * time.Second)
		task := receive(t, ch)
		wantTail(t, task.Events, types.EventTypeDecisionTaskTimedOut, types.EventTypeDecisionTaskScheduled, types.EventTypeDecisionTaskStarted)
	})

	t.Run("ManyTimersOneAdvance", func(t *testing.T) {
		t.Parallel()
		// Timers of several executions falling due in one Advance all fire,
		// each at its own deadline.
		b := setup(t)
		b.decide(t, swftest.StartTimer("t1", "10"), swftest.StartTimer("t2", "20"), swftest.StartTimer("t3", "20"))
		wf2, run2 := b.env.Start(t, b.domain, b.wt)
		task := b.env.PollDecision(t, b.domain, swftest.DecisionTaskList)
		b.env.Decide(t, aws.ToString(task.TaskToken), swftest.StartTimer("x", "15"))
		b.env.Clock.Advance(time.Minute)
		events := b.history(t)
		if n := swftest.Count(events, types.EventTypeTimerFired); n != 3 {
			t.Fatalf("got %d TimerFired, want 3", n)
		}
		for _, ev := range events {
			if ev.EventType != types.EventTypeTimerFired {
				continue
			}
			want := map[string]time.Duration{"t1": 10 * time.Second, "t2": 20 * time.Second, "t3": 20 * time.Second}[aws.ToString(ev.TimerFiredEventAttributes.TimerId)]
			if got := aws.ToTime(ev.EventTimestamp); !got.Equal(swftest.Epoch.Add(want)) {
				t.Fatalf("timer %s fired at %v, want %v", aws.ToString(ev.TimerFiredEventAttributes.TimerId), got, swftest.Epoch.Add(want))
			}
		}
		// One decision task for the three timers: the first firing
		// schedules it, the others find it scheduled.
		if n := swftest.Count(events, types.EventTypeDecisionTaskScheduled); n != 2 {
			t.Fatalf("got %d DecisionTaskScheduled, want 2 (start, timers)", n)
		}
		if n := swftest.Count(b.env.History(t, b.domain, wf2, run2), types.EventTypeTimerFired); n != 1 {
			t.Fatalf("second execution: got %d TimerFired, want 1", n)
		}
	})
}
