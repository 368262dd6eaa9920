package conformance

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/openswf/openswf/internal/swftest"
)

// TestActivityTaskStarted: the poll that hands out a task records
// ActivityTaskStarted and answers what the worker needs (BEHAVIOR §3).
func TestActivityTaskStarted(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.decide(t, swftest.ScheduleActivity("a1", b.at, swftest.Input("payload")))
	events := b.history(t)
	scheduled := swftest.Last(t, events, types.EventTypeActivityTaskScheduled)
	sa := scheduled.ActivityTaskScheduledEventAttributes
	if aws.ToString(sa.ActivityId) != "a1" || aws.ToString(sa.Input) != "payload" || aws.ToString(sa.TaskList.Name) != b.actList ||
		sa.DecisionTaskCompletedEventId != swftest.Last(t, events, types.EventTypeDecisionTaskCompleted).EventId {
		t.Fatalf("got ActivityTaskScheduled %+v, want a1, payload, %s and the DecisionTaskCompleted id", sa, b.actList)
	}
	if got := countPendingActivities(t, b, b.actList); got != 1 {
		t.Fatalf("got %d pending activity tasks, want 1", got)
	}

	task := b.env.PollActivity(t, b.domain, b.actList)
	events = b.history(t)
	started := swftest.Last(t, events, types.EventTypeActivityTaskStarted)
	if a := started.ActivityTaskStartedEventAttributes; aws.ToString(a.Identity) != "worker" || a.ScheduledEventId != scheduled.EventId {
		t.Fatalf("got ActivityTaskStarted %+v, want identity worker and scheduledEventId %d", a, scheduled.EventId)
	}
	if task.StartedEventId != started.EventId || aws.ToString(task.ActivityId) != "a1" || aws.ToString(task.Input) != "payload" ||
		aws.ToString(task.ActivityType.Name) != aws.ToString(b.at.Name) || aws.ToString(task.ActivityType.Version) != aws.ToString(b.at.Version) ||
		aws.ToString(task.WorkflowExecution.WorkflowId) != b.wfID || aws.ToString(task.WorkflowExecution.RunId) != b.runID {
		t.Fatalf("got task %+v, want a1 of %s started by event %d", task, b.runID, started.EventId)
	}
	token := aws.ToString(task.TaskToken)
	if len(token) == 0 || len(token) > 1024 {
		t.Fatalf("got a token of %d characters, want 1..1024", len(token))
	}
	if strings.Contains(token, b.runID) || strings.Trim(token, "0123456789") == "" {
		t.Fatalf("token %q is not opaque: it shows the run id or is a bare number", token)
	}
	if got := countPendingActivities(t, b, b.actList); got != 0 {
		t.Fatalf("started task still counted pending (%d)", got)
	}
	if got := b.describe(t).OpenCounts.OpenActivityTasks; got != 1 {
		t.Fatalf("got %d open activity tasks, want 1", got)
	}
	// A started activity schedules no decision task.
	wantTail(t, events, types.EventTypeActivityTaskScheduled, types.EventTypeActivityTaskStarted)
}

// TestActivityPollWokenBySchedule: a worker waiting before the task is
// scheduled gets it (BEHAVIOR §2).
func TestActivityPollWokenBySchedule(t *testing.T) {
	t.Parallel()
	b := setup(t)
	task := b.pollDecision(t)
	base := b.env.Clock.Pending()
	ch := pollActivityAsync(b.env, b.domain, b.actList)
	b.env.WaitClockWaiters(t, base+1)
	wantWaiting(t, ch)
	b.env.Decide(t, aws.ToString(task.TaskToken), swftest.ScheduleActivity("a1", b.at))
	got := receive(t, ch)
	if aws.ToString(got.ActivityId) != "a1" || aws.ToString(got.TaskToken) == "" {
		t.Fatalf("woken poll: got %+v, want task a1", got)
	}
}

// TestActivityTaskToken: tokens cannot be forged or altered (BEHAVIOR §3).
func TestActivityTaskToken(t *testing.T) {
	t.Parallel()
	b := setup(t)
	task := b.startActivity(t, "a1")
	token := aws.ToString(task.TaskToken)
	before := b.history(t)

	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	// flip replaces the character at i with another one, far from it in the
	// base64url alphabet when it is in it.
	flip := func(s string, i int) string {
		c := s[i]
		r := byte('A')
		if j := strings.IndexByte(alphabet, c); j >= 0 {
			r = alphabet[(j+32)%64]
		} else if c == 'A' {
			r = 'B'
		}
		return s[:i] + string(r) + s[i+1:]
	}

	t.Run("EveryCharacterFlipped", func(t *testing.T) {
		for i := range len(token) {
			forged := flip(token, i)
			if _, err := b.env.TryHeartbeat(forged, "forged"); err == nil {
				t.Fatalf("token with character %d flipped was accepted, want UnknownResourceFault", i)
			} else {
				swftest.Fault[*types.UnknownResourceFault](t, err)
			}
		}
	})
	t.Run("LastCharacterAnyValue", func(t *testing.T) {
		last := len(token) - 1
		var accepted []string
		for _, c := range []byte(alphabet) {
			if c == token[last] {
				continue
			}
			forged := token[:last] + string(c)
			if _, err := b.env.TryHeartbeat(forged, "forged"); err == nil {
				accepted = append(accepted, string(c))
			}
		}
		if len(accepted) > 0 {
			t.Fatalf("token %q with its last character replaced by any of %q was accepted, want UnknownResourceFault", token, strings.Join(accepted, ""))
		}
	})
	t.Run("Truncated", func(t *testing.T) {
		for _, forged := range []string{token[:len(token)-1], token[1:], token + "A", token[:len(token)/2]} {
			_, err := b.env.TryHeartbeat(forged, "")
			swftest.Fault[*types.UnknownResourceFault](t, err)
		}
	})
	t.Run("RandomStrings", func(t *testing.T) {
		for _, forged := range []string{"x", "0", "1", "12345", strings.Repeat("A", 1024), b.runID, "eyJhbGciOiJIUzI1NiJ9", "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB"} {
			_, err := b.env.TryHeartbeat(forged, "")
			swftest.Fault[*types.UnknownResourceFault](t, err)
			_, err = b.env.SWF.RespondActivityTaskCompleted(swftest.Ctx(t), &swf.RespondActivityTaskCompletedInput{TaskToken: aws.String(forged)})
			swftest.Fault[*types.UnknownResourceFault](t, err)
			_, err = b.env.SWF.RespondActivityTaskFailed(swftest.Ctx(t), &swf.RespondActivityTaskFailedInput{TaskToken: aws.String(forged)})
			swftest.Fault[*types.UnknownResourceFault](t, err)
			_, err = b.env.SWF.RespondActivityTaskCanceled(swftest.Ctx(t), &swf.RespondActivityTaskCanceledInput{TaskToken: aws.String(forged)})
			swftest.Fault[*types.UnknownResourceFault](t, err)
		}
	})
	t.Run("WrongKind", func(t *testing.T) {
		// An activity token is no decision token.
		err := b.env.TryDecide(token, swftest.CompleteWorkflow(""))
		swftest.Fault[*types.UnknownResourceFault](t, err)
	})
	t.Run("DecisionTokenAsActivityToken", func(t *testing.T) {
		if _, err := b.env.SWF.SignalWorkflowExecution(swftest.Ctx(t), &swf.SignalWorkflowExecutionInput{Domain: aws.String(b.domain), WorkflowId: aws.String(b.wfID), SignalName: aws.String("s")}); err != nil {
			t.Fatalf("SignalWorkflowExecution: %v", err)
		}
		dt := b.pollDecision(t)
		_, err := b.env.TryHeartbeat(aws.ToString(dt.TaskToken), "")
		swftest.Fault[*types.UnknownResourceFault](t, err)
		b.env.Decide(t, aws.ToString(dt.TaskToken))
		before = b.history(t)
	})
	// Nothing any of that sent was recorded, and the real token still works.
	wantSame(t, before, b.history(t))
	if b.env.Heartbeat(t, token, "") {
		t.Fatalf("heartbeat: got cancelRequested true, want false")
	}
}

// TestHeartbeat covers RecordActivityTaskHeartbeat and the HEARTBEAT
// timeout (BEHAVIOR §3).
func TestHeartbeat(t *testing.T) {
	t.Parallel()

	t.Run("RecordsNoEvent", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		task := b.startActivity(t, "a1")
		before := b.history(t)
		for i := range 5 {
			if b.env.Heartbeat(t, aws.ToString(task.TaskToken), fmt.Sprintf("%d%%", i*20)) {
				t.Fatalf("heartbeat %d: got cancelRequested true, want false", i)
			}
		}
		b.env.Heartbeat(t, aws.ToString(task.TaskToken), "")
		wantSame(t, before, b.history(t))
		if got := b.describe(t).OpenCounts.OpenDecisionTasks; got != 0 {
			t.Fatalf("heartbeats scheduled a decision task (%d open), want none", got)
		}
	})

	t.Run("ResetsTheClock", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		task := b.startActivity(t, "a1", swftest.Timeouts("", "", "", "10"))
		token := aws.ToString(task.TaskToken)
		startedAt := aws.ToTime(swftest.Last(t, b.history(t), types.EventTypeActivityTaskStarted).EventTimestamp)

		b.env.Clock.Advance(8 * time.Second)
		b.env.Heartbeat(t, token, "first")
		b.env.Clock.Advance(8 * time.Second)
		b.env.Heartbeat(t, token, "second")
		b.env.Clock.Advance(8 * time.Second)
		events := b.history(t)
		wantTail(t, events, types.EventTypeActivityTaskScheduled, types.EventTypeActivityTaskStarted)
		if b.env.Heartbeat(t, token, "third") {
			t.Fatalf("got cancelRequested true, want false")
		}
		// 24 s in; the last heartbeat was at 24 s: deadline 34 s.
		b.env.Clock.Advance(9 * time.Second)
		wantSame(t, events, b.history(t))
		b.env.Clock.Advance(1 * time.Second)
		events = b.history(t)
		wantTail(t, events, types.EventTypeActivityTaskStarted, types.EventTypeActivityTaskTimedOut, types.EventTypeDecisionTaskScheduled)
		ev := swftest.Last(t, events, types.EventTypeActivityTaskTimedOut)
		a := ev.ActivityTaskTimedOutEventAttributes
		if a.TimeoutType != types.ActivityTaskTimeoutTypeHeartbeat {
			t.Fatalf("got timeout type %s, want HEARTBEAT", a.TimeoutType)
		}
		if got := aws.ToString(a.Details); got != "third" {
			t.Fatalf("got details %q, want %q", got, "third")
		}
		if a.ScheduledEventId != swftest.Last(t, events, types.EventTypeActivityTaskScheduled).EventId || a.StartedEventId != task.StartedEventId {
			t.Fatalf("got scheduled/started %d/%d, want %d/%d", a.ScheduledEventId, a.StartedEventId,
				swftest.Last(t, events, types.EventTypeActivityTaskScheduled).EventId, task.StartedEventId)
		}
		if got, want := aws.ToTime(ev.EventTimestamp), startedAt.Add(34*time.Second); !got.Equal(want) {
			t.Fatalf("timed out at %v, want %v (last heartbeat + 10 s)", got, want)
		}
		_, err := b.env.TryHeartbeat(token, "late")
		swftest.Fault[*types.UnknownResourceFault](t, err)
		task2 := b.pollDecision(t)
		wantTail(t, task2.Events, types.EventTypeActivityTaskTimedOut, types.EventTypeDecisionTaskScheduled, types.EventTypeDecisionTaskStarted)
	})

	t.Run("SpecSequence", func(t *testing.T) {
		t.Parallel()
		// Heartbeat timeout 10 s: 8, beat, 8, beat, 8 still open; 3 more
		// times it out with the last beat's details.
		b := setup(t)
		task := b.startActivity(t, "a1", swftest.Timeouts("", "", "", "10"))
		token := aws.ToString(task.TaskToken)
		b.env.Clock.Advance(8 * time.Second)
		b.env.Heartbeat(t, token, "d1")
		b.env.Clock.Advance(8 * time.Second)
		b.env.Heartbeat(t, token, "d2")
		b.env.Clock.Advance(8 * time.Second)
		if got := b.describe(t).OpenCounts.OpenActivityTasks; got != 1 {
			t.Fatalf("at 24 s: got %d open activities, want 1", got)
		}
		b.env.Clock.Advance(3 * time.Second)
		a := swftest.Last(t, b.history(t), types.EventTypeActivityTaskTimedOut).ActivityTaskTimedOutEventAttributes
		if a.TimeoutType != types.ActivityTaskTimeoutTypeHeartbeat || aws.ToString(a.Details) != "d2" || a.StartedEventId != task.StartedEventId {
			t.Fatalf("got %s %q started %d, want HEARTBEAT %q started %d", a.TimeoutType, aws.ToString(a.Details), a.StartedEventId, "d2", task.StartedEventId)
		}
	})

	t.Run("NoHeartbeatAtAll", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.startActivity(t, "a1", swftest.Timeouts("", "", "", "10"))
		b.env.Clock.Advance(10 * time.Second)
		a := swftest.Last(t, b.history(t), types.EventTypeActivityTaskTimedOut).ActivityTaskTimedOutEventAttributes
		if a.TimeoutType != types.ActivityTaskTimeoutTypeHeartbeat || a.Details != nil {
			t.Fatalf("got %s with details %v, want HEARTBEAT with none", a.TimeoutType, a.Details)
		}
	})

	t.Run("ManyTasksIndependent", func(t *testing.T) {
		t.Parallel()
		// Two tasks, one beating and one silent: only the silent one times out.
		b := setup(t)
		b.decide(t, swftest.ScheduleActivity("beats", b.at, swftest.Timeouts("", "", "", "10")),
			swftest.ScheduleActivity("silent", b.at, swftest.Timeouts("", "", "", "10")))
		t1 := b.env.PollActivity(t, b.domain, b.actList)
		b.env.PollActivity(t, b.domain, b.actList)
		for range 3 {
			b.env.Clock.Advance(6 * time.Second)
			b.env.Heartbeat(t, aws.ToString(t1.TaskToken), "alive")
		}
		events := b.history(t)
		if n := swftest.Count(events, types.EventTypeActivityTaskTimedOut); n != 1 {
			t.Fatalf("got %d timeouts, want 1", n)
		}
		timedOut := swftest.Last(t, events, types.EventTypeActivityTaskTimedOut).ActivityTaskTimedOutEventAttributes
		scheduled := eventByID(t, events, timedOut.ScheduledEventId).ActivityTaskScheduledEventAttributes
		if aws.ToString(scheduled.ActivityId) != "silent" {
			t.Fatalf("timed out %s, want silent", aws.ToString(scheduled.ActivityId))
		}
		if got := b.describe(t).OpenCounts.OpenActivityTasks; got != 1 {
			t.Fatalf("got %d open activities, want 1", got)
		}
	})
}

// TestActivityTimeouts covers the other three clocks and NONE (BEHAVIOR §3).
func TestActivityTimeouts(t *testing.T) {
	t.Parallel()

	t.Run("StartToCloseCapsHeartbeats", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		task := b.startActivity(t, "a1", swftest.Timeouts("", "", "25", "10"))
		token := aws.ToString(task.TaskToken)
		for i := 1; i <= 4; i++ {
			b.env.Clock.Advance(5 * time.Second)
			b.env.Heartbeat(t, token, fmt.Sprintf("p%d", i*5))
		}
		b.env.Clock.Advance(4900 * time.Millisecond)
		b.env.Heartbeat(t, token, "p24.9")
		if got := b.describe(t).OpenCounts.OpenActivityTasks; got != 1 {
			t.Fatalf("at 24.9 s: got %d open activities, want 1", got)
		}
		b.env.Clock.Advance(100 * time.Millisecond)
		events := b.history(t)
		wantTail(t, events, types.EventTypeActivityTaskTimedOut, types.EventTypeDecisionTaskScheduled)
		a := swftest.Last(t, events, types.EventTypeActivityTaskTimedOut).ActivityTaskTimedOutEventAttributes
		if a.TimeoutType != types.ActivityTaskTimeoutTypeStartToClose || aws.ToString(a.Details) != "p24.9" || a.StartedEventId != task.StartedEventId {
			t.Fatalf("got %s %q started %d, want START_TO_CLOSE %q started %d", a.TimeoutType, aws.ToString(a.Details), a.StartedEventId, "p24.9", task.StartedEventId)
		}
		_, err := b.env.TryHeartbeat(token, "")
		swftest.Fault[*types.UnknownResourceFault](t, err)
		// Only one timeout, though the heartbeat deadline was armed too.
		b.env.Clock.Advance(time.Minute)
		if n := swftest.Count(b.history(t), types.EventTypeActivityTaskTimedOut); n != 1 {
			t.Fatalf("got %d ActivityTaskTimedOut events, want 1", n)
		}
	})

	t.Run("ScheduleToStart", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.decide(t, swftest.ScheduleActivity("a1", b.at, swftest.Timeouts("30", "", "", "")))
		b.env.Clock.Advance(29 * time.Second)
		if got := countPendingActivities(t, b, b.actList); got != 1 {
			t.Fatalf("at 29 s: got %d pending, want 1", got)
		}
		b.env.Clock.Advance(1 * time.Second)
		events := b.history(t)
		wantTail(t, events, types.EventTypeActivityTaskScheduled, types.EventTypeActivityTaskTimedOut, types.EventTypeDecisionTaskScheduled)
		a := swftest.Last(t, events, types.EventTypeActivityTaskTimedOut).ActivityTaskTimedOutEventAttributes
		if a.TimeoutType != types.ActivityTaskTimeoutTypeScheduleToStart || a.StartedEventId != 0 || a.Details != nil ||
			a.ScheduledEventId != swftest.Last(t, events, types.EventTypeActivityTaskScheduled).EventId {
			t.Fatalf("got %+v, want SCHEDULE_TO_START, startedEventId 0, no details", a)
		}
		if got := countPendingActivities(t, b, b.actList); got != 0 {
			t.Fatalf("timed-out task still pending (%d)", got)
		}
		wantEmptyActivityPoll(t, b, b.actList)
	})

	t.Run("ScheduleToCloseStarted", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.decide(t, swftest.ScheduleActivity("a1", b.at, swftest.Timeouts("", "60", "", "20")))
		b.env.Clock.Advance(15 * time.Second)
		task := b.env.PollActivity(t, b.domain, b.actList)
		for range 4 {
			b.env.Clock.Advance(10 * time.Second)
			b.env.Heartbeat(t, aws.ToString(task.TaskToken), "working")
		}
		b.env.Clock.Advance(4 * time.Second) // 59 s after scheduling
		if got := b.describe(t).OpenCounts.OpenActivityTasks; got != 1 {
			t.Fatalf("at 59 s: %d open activities, want 1", got)
		}
		b.env.Clock.Advance(1 * time.Second)
		a := swftest.Last(t, b.history(t), types.EventTypeActivityTaskTimedOut).ActivityTaskTimedOutEventAttributes
		if a.TimeoutType != types.ActivityTaskTimeoutTypeScheduleToClose || a.StartedEventId != task.StartedEventId || aws.ToString(a.Details) != "working" {
			t.Fatalf("got %s started %d details %q, want SCHEDULE_TO_CLOSE started %d %q", a.TimeoutType, a.StartedEventId, aws.ToString(a.Details), task.StartedEventId, "working")
		}
		_, err := b.env.TryHeartbeat(aws.ToString(task.TaskToken), "")
		swftest.Fault[*types.UnknownResourceFault](t, err)
	})

	t.Run("ScheduleToCloseNeverStarted", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.decide(t, swftest.ScheduleActivity("a1", b.at, swftest.Timeouts("", "60", "", "")))
		b.env.Clock.Advance(60 * time.Second)
		a := swftest.Last(t, b.history(t), types.EventTypeActivityTaskTimedOut).ActivityTaskTimedOutEventAttributes
		if a.TimeoutType != types.ActivityTaskTimeoutTypeScheduleToClose || a.StartedEventId != 0 {
			t.Fatalf("got %s started %d, want SCHEDULE_TO_CLOSE started 0", a.TimeoutType, a.StartedEventId)
		}
		wantEmptyActivityPoll(t, b, b.actList)
	})

	t.Run("NoneNeverFires", func(t *testing.T) {
		t.Parallel()
		b := newBundle(t)
		b.wt = b.env.WorkflowType(t, b.domain, func(in *swf.RegisterWorkflowTypeInput) {
			in.DefaultExecutionStartToCloseTimeout = aws.String("31536000")
		})
		b.wfID, b.runID = b.env.Start(t, b.domain, b.wt)
		b.decide(t, swftest.ScheduleActivity("started", b.at), swftest.ScheduleActivity("waiting", b.at, swftest.OnTaskList("nobody")))
		task := b.env.PollActivity(t, b.domain, b.actList)
		before := b.history(t)
		for range 30 {
			b.env.Clock.Advance(10 * 24 * time.Hour)
		}
		wantSame(t, before, b.history(t))
		if got := b.describe(t).OpenCounts.OpenActivityTasks; got != 2 {
			t.Fatalf("after 300 days: %d open activities, want 2", got)
		}
		b.env.Heartbeat(t, aws.ToString(task.TaskToken), "still here")
		if _, err := b.env.SWF.RespondActivityTaskCompleted(swftest.Ctx(t), &swf.RespondActivityTaskCompletedInput{TaskToken: task.TaskToken}); err != nil {
			t.Fatalf("RespondActivityTaskCompleted after 300 days: %v", err)
		}
	})

	t.Run("DecisionOverridesDefaults", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		at := b.env.ActivityType(t, b.domain, "defaults", func(in *swf.RegisterActivityTypeInput) {
			in.DefaultTaskList = &types.TaskList{Name: aws.String("type-list")}
			in.DefaultTaskScheduleToStartTimeout = aws.String("5")
			in.DefaultTaskScheduleToCloseTimeout = aws.String("1000")
			in.DefaultTaskStartToCloseTimeout = aws.String("1000")
			in.DefaultTaskHeartbeatTimeout = aws.String("5")
			in.DefaultTaskPriority = aws.String("1")
		})
		b.decide(t, swftest.ScheduleActivity("a1", at, swftest.OnTaskList("override-list"), swftest.Priority("9"),
			func(a *types.ScheduleActivityTaskDecisionAttributes) {
				a.ScheduleToStartTimeout = aws.String("100")
				a.HeartbeatTimeout = aws.String("50")
			}))
		sa := swftest.Last(t, b.history(t), types.EventTypeActivityTaskScheduled).ActivityTaskScheduledEventAttributes
		if aws.ToString(sa.TaskList.Name) != "override-list" || aws.ToString(sa.TaskPriority) != "9" ||
			aws.ToString(sa.ScheduleToStartTimeout) != "100" || aws.ToString(sa.HeartbeatTimeout) != "50" ||
			aws.ToString(sa.ScheduleToCloseTimeout) != "1000" || aws.ToString(sa.StartToCloseTimeout) != "1000" {
			t.Fatalf("got ActivityTaskScheduled %+v, want the decision's values over the type's", sa)
		}
		if got := countPendingActivities(t, b, "type-list"); got != 0 {
			t.Fatalf("type's default list has %d tasks, want 0", got)
		}
		b.env.Clock.Advance(6 * time.Second) // past the type's schedule-to-start
		task := b.env.PollActivity(t, b.domain, "override-list")
		b.env.Clock.Advance(49 * time.Second) // past the type's heartbeat timeout
		if got := b.describe(t).OpenCounts.OpenActivityTasks; got != 1 {
			t.Fatalf("at 49 s: %d open activities, want 1", got)
		}
		b.env.Clock.Advance(1 * time.Second)
		a := swftest.Last(t, b.history(t), types.EventTypeActivityTaskTimedOut).ActivityTaskTimedOutEventAttributes
		if a.TimeoutType != types.ActivityTaskTimeoutTypeHeartbeat || a.StartedEventId != task.StartedEventId {
			t.Fatalf("got %s, want HEARTBEAT after 50 s", a.TimeoutType)
		}
	})

	t.Run("TypeDefaultsApply", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		at := b.env.ActivityType(t, b.domain, "defaults", func(in *swf.RegisterActivityTypeInput) {
			in.DefaultTaskList = &types.TaskList{Name: aws.String("type-list")}
			in.DefaultTaskScheduleToStartTimeout = aws.String("NONE")
			in.DefaultTaskScheduleToCloseTimeout = aws.String("NONE")
			in.DefaultTaskStartToCloseTimeout = aws.String("NONE")
			in.DefaultTaskHeartbeatTimeout = aws.String("7")
			in.DefaultTaskPriority = aws.String("3")
		})
		b.decide(t, swftest.ScheduleActivity("a1", at))
		sa := swftest.Last(t, b.history(t), types.EventTypeActivityTaskScheduled).ActivityTaskScheduledEventAttributes
		if aws.ToString(sa.TaskList.Name) != "type-list" || aws.ToString(sa.HeartbeatTimeout) != "7" || aws.ToString(sa.TaskPriority) != "3" {
			t.Fatalf("got ActivityTaskScheduled %+v, want the type's defaults", sa)
		}
		b.env.PollActivity(t, b.domain, "type-list")
		b.env.Clock.Advance(7 * time.Second)
		a := swftest.Last(t, b.history(t), types.EventTypeActivityTaskTimedOut).ActivityTaskTimedOutEventAttributes
		if a.TimeoutType != types.ActivityTaskTimeoutTypeHeartbeat {
			t.Fatalf("got %s, want HEARTBEAT after the type's 7 s", a.TimeoutType)
		}
	})
}

// wantEmptyActivityPoll polls taskList in a goroutine, advances the clock
// past the long-poll timeout and checks the poll got nothing.
func wantEmptyActivityPoll(tb testing.TB, b *bundle, taskList string) {
	tb.Helper()
	base := b.env.Clock.Pending()
	ch := pollActivityAsync(b.env, b.domain, taskList)
	b.env.WaitClockWaiters(tb, base+1)
	b.env.Clock.Advance(61 * time.Second)
	out := receive(tb, ch)
	if tok := aws.ToString(out.TaskToken); tok != "" {
		tb.Fatalf("poll handed out activity %q, want nothing", aws.ToString(out.ActivityId))
	}
}

func countPendingActivities(tb testing.TB, b *bundle, taskList string) int32 {
	tb.Helper()
	out, err := b.env.SWF.CountPendingActivityTasks(swftest.Ctx(tb), &swf.CountPendingActivityTasksInput{
		Domain: aws.String(b.domain), TaskList: &types.TaskList{Name: aws.String(taskList)},
	})
	if err != nil {
		tb.Fatalf("CountPendingActivityTasks: %v", err)
	}
	return out.Count
}

// signal sends a signal so that a decision task is scheduled.
func (b *bundle) signal(tb testing.TB) {
	tb.Helper()
	if _, err := b.env.SWF.SignalWorkflowExecution(swftest.Ctx(tb), &swf.SignalWorkflowExecutionInput{
		Domain: aws.String(b.domain), WorkflowId: aws.String(b.wfID), SignalName: aws.String("poke"),
	}); err != nil {
		tb.Fatalf("SignalWorkflowExecution: %v", err)
	}
}

// TestActivityCancel covers RequestCancelActivityTask (BEHAVIOR §3).
func TestActivityCancel(t *testing.T) {
	t.Parallel()

	t.Run("Started", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		task := b.startActivity(t, "a1")
		token := aws.ToString(task.TaskToken)
		if b.env.Heartbeat(t, token, "") {
			t.Fatalf("before the request: got cancelRequested true, want false")
		}
		b.signal(t)
		b.decide(t, swftest.RequestCancelActivity("a1"))
		events := b.history(t)
		// Asking is not closing: no decision task until the worker answers.
		wantTail(t, events, types.EventTypeDecisionTaskCompleted, types.EventTypeActivityTaskCancelRequested)
		req := swftest.Last(t, events, types.EventTypeActivityTaskCancelRequested)
		if a := req.ActivityTaskCancelRequestedEventAttributes; aws.ToString(a.ActivityId) != "a1" || a.DecisionTaskCompletedEventId != swftest.Last(t, events, types.EventTypeDecisionTaskCompleted).EventId {
			t.Fatalf("got ActivityTaskCancelRequested %+v, want a1 and the DecisionTaskCompleted id", a)
		}
		for range 2 {
			if !b.env.Heartbeat(t, token, "stopping") {
				t.Fatalf("after the request: got cancelRequested false, want true")
			}
		}
		if _, err := b.env.SWF.RespondActivityTaskCanceled(swftest.Ctx(t), &swf.RespondActivityTaskCanceledInput{TaskToken: task.TaskToken, Details: aws.String("cleaned up")}); err != nil {
			t.Fatalf("RespondActivityTaskCanceled: %v", err)
		}
		events = b.history(t)
		wantTail(t, events, types.EventTypeActivityTaskCancelRequested, types.EventTypeActivityTaskCanceled, types.EventTypeDecisionTaskScheduled)
		a := swftest.Last(t, events, types.EventTypeActivityTaskCanceled).ActivityTaskCanceledEventAttributes
		scheduledID := swftest.Last(t, events, types.EventTypeActivityTaskScheduled).EventId
		if aws.ToString(a.Details) != "cleaned up" || a.LatestCancelRequestedEventId != req.EventId || a.ScheduledEventId != scheduledID || a.StartedEventId != task.StartedEventId {
			t.Fatalf("got ActivityTaskCanceled %+v, want details, latestCancelRequestedEventId %d, scheduled %d, started %d", a, req.EventId, scheduledID, task.StartedEventId)
		}
		_, err := b.env.TryHeartbeat(token, "")
		swftest.Fault[*types.UnknownResourceFault](t, err)
		if got := b.describe(t).OpenCounts.OpenActivityTasks; got != 0 {
			t.Fatalf("got %d open activities, want 0", got)
		}
	})

	t.Run("StartedWorkerCompletesAnyway", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		task := b.startActivity(t, "a1")
		b.signal(t)
		b.decide(t, swftest.RequestCancelActivity("a1"))
		if _, err := b.env.SWF.RespondActivityTaskCompleted(swftest.Ctx(t), &swf.RespondActivityTaskCompletedInput{TaskToken: task.TaskToken, Result: aws.String("done anyway")}); err != nil {
			t.Fatalf("RespondActivityTaskCompleted after a cancel request: %v", err)
		}
		wantTail(t, b.history(t), types.EventTypeActivityTaskCancelRequested, types.EventTypeActivityTaskCompleted, types.EventTypeDecisionTaskScheduled)
	})

	t.Run("NotStarted", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.decide(t, swftest.ScheduleActivity("a1", b.at))
		b.signal(t)
		b.decide(t, swftest.RequestCancelActivity("a1"))
		events := b.history(t)
		wantTail(t, events, types.EventTypeDecisionTaskCompleted, types.EventTypeActivityTaskCancelRequested,
			types.EventTypeActivityTaskCanceled, types.EventTypeDecisionTaskScheduled)
		req := swftest.Last(t, events, types.EventTypeActivityTaskCancelRequested)
		a := swftest.Last(t, events, types.EventTypeActivityTaskCanceled).ActivityTaskCanceledEventAttributes
		if a.LatestCancelRequestedEventId != req.EventId || a.ScheduledEventId != swftest.Last(t, events, types.EventTypeActivityTaskScheduled).EventId || a.StartedEventId != 0 {
			t.Fatalf("got ActivityTaskCanceled %+v, want latestCancelRequestedEventId %d, startedEventId 0", a, req.EventId)
		}
		if got := countPendingActivities(t, b, b.actList); got != 0 {
			t.Fatalf("canceled task still pending (%d)", got)
		}
		if got := b.describe(t).OpenCounts.OpenActivityTasks; got != 0 {
			t.Fatalf("got %d open activities, want 0", got)
		}
		wantEmptyActivityPoll(t, b, b.actList)
		// Its id is free again, and a second cancel of it fails.
		b.decide(t, swftest.RequestCancelActivity("a1"), swftest.ScheduleActivity("a1", b.at))
		wantTail(t, b.history(t), types.EventTypeRequestCancelActivityTaskFailed, types.EventTypeActivityTaskScheduled, types.EventTypeDecisionTaskScheduled)
	})
}

// TestActivityClose covers completion and failure (BEHAVIOR §3).
func TestActivityClose(t *testing.T) {
	t.Parallel()

	t.Run("Completed", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		task := b.startActivity(t, "a1")
		if _, err := b.env.SWF.RespondActivityTaskCompleted(swftest.Ctx(t), &swf.RespondActivityTaskCompletedInput{TaskToken: task.TaskToken, Result: aws.String("42")}); err != nil {
			t.Fatalf("RespondActivityTaskCompleted: %v", err)
		}
		events := b.history(t)
		wantTail(t, events, types.EventTypeActivityTaskStarted, types.EventTypeActivityTaskCompleted, types.EventTypeDecisionTaskScheduled)
		a := swftest.Last(t, events, types.EventTypeActivityTaskCompleted).ActivityTaskCompletedEventAttributes
		if aws.ToString(a.Result) != "42" || a.StartedEventId != task.StartedEventId || a.ScheduledEventId != swftest.Last(t, events, types.EventTypeActivityTaskScheduled).EventId {
			t.Fatalf("got ActivityTaskCompleted %+v, want result 42 and the ids", a)
		}
		dt := b.pollDecision(t)
		wantTail(t, dt.Events, types.EventTypeActivityTaskCompleted, types.EventTypeDecisionTaskScheduled, types.EventTypeDecisionTaskStarted)
	})

	t.Run("Failed", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		task := b.startActivity(t, "a1")
		if _, err := b.env.SWF.RespondActivityTaskFailed(swftest.Ctx(t), &swf.RespondActivityTaskFailedInput{TaskToken: task.TaskToken, Reason: aws.String("disk full"), Details: aws.String("/tmp")}); err != nil {
			t.Fatalf("RespondActivityTaskFailed: %v", err)
		}
		events := b.history(t)
		wantTail(t, events, types.EventTypeActivityTaskStarted, types.EventTypeActivityTaskFailed, types.EventTypeDecisionTaskScheduled)
		a := swftest.Last(t, events, types.EventTypeActivityTaskFailed).ActivityTaskFailedEventAttributes
		if aws.ToString(a.Reason) != "disk full" || aws.ToString(a.Details) != "/tmp" || a.StartedEventId != task.StartedEventId {
			t.Fatalf("got ActivityTaskFailed %+v, want disk full, /tmp and started %d", a, task.StartedEventId)
		}
	})

	t.Run("WhileDecisionTaskStarted", func(t *testing.T) {
		t.Parallel()
		// An activity closing while a decision task is started schedules
		// the next decision task at once, as AWS records it (…Started,
		// ActivityTaskCompleted, DecisionTaskScheduled, DecisionTaskCompleted);
		// it is handed out only once the started one completes.
		b := setup(t)
		task := b.startActivity(t, "a1")
		b.signal(t)
		dt := b.pollDecision(t)
		if _, err := b.env.SWF.RespondActivityTaskCompleted(swftest.Ctx(t), &swf.RespondActivityTaskCompletedInput{TaskToken: task.TaskToken}); err != nil {
			t.Fatalf("RespondActivityTaskCompleted: %v", err)
		}
		events := b.history(t)
		wantTail(t, events, types.EventTypeDecisionTaskStarted, types.EventTypeActivityTaskCompleted, types.EventTypeDecisionTaskScheduled)
		queued := events[len(events)-1]
		if n := countPendingDecisions(t, b); n != 0 {
			t.Fatalf("%d pending decision tasks while one is started, want 0", n)
		}
		b.env.Decide(t, aws.ToString(dt.TaskToken))
		wantTail(t, b.history(t), types.EventTypeActivityTaskCompleted, types.EventTypeDecisionTaskScheduled, types.EventTypeDecisionTaskCompleted)
		next := b.pollDecision(t)
		started := swftest.Last(t, next.Events, types.EventTypeDecisionTaskStarted)
		if started.DecisionTaskStartedEventAttributes.ScheduledEventId != queued.EventId || next.PreviousStartedEventId != dt.StartedEventId {
			t.Fatalf("next task started from event %d (previous started %d), want %d (%d)",
				started.DecisionTaskStartedEventAttributes.ScheduledEventId, next.PreviousStartedEventId, queued.EventId, dt.StartedEventId)
		}
	})
}

// TestClosedActivityTask: every respond and heartbeat on a closed task is
// UnknownResourceFault and records nothing (BEHAVIOR §3).
func TestClosedActivityTask(t *testing.T) {
	t.Parallel()
	closers := map[string]func(t *testing.T, b *bundle, task *swf.PollForActivityTaskOutput){
		"Completed": func(t *testing.T, b *bundle, task *swf.PollForActivityTaskOutput) {
			if _, err := b.env.SWF.RespondActivityTaskCompleted(swftest.Ctx(t), &swf.RespondActivityTaskCompletedInput{TaskToken: task.TaskToken}); err != nil {
				t.Fatalf("RespondActivityTaskCompleted: %v", err)
			}
		},
		"Failed": func(t *testing.T, b *bundle, task *swf.PollForActivityTaskOutput) {
			if _, err := b.env.SWF.RespondActivityTaskFailed(swftest.Ctx(t), &swf.RespondActivityTaskFailedInput{TaskToken: task.TaskToken}); err != nil {
				t.Fatalf("RespondActivityTaskFailed: %v", err)
			}
		},
		"Canceled": func(t *testing.T, b *bundle, task *swf.PollForActivityTaskOutput) {
			b.signal(t)
			b.decide(t, swftest.RequestCancelActivity("a1"))
			if _, err := b.env.SWF.RespondActivityTaskCanceled(swftest.Ctx(t), &swf.RespondActivityTaskCanceledInput{TaskToken: task.TaskToken}); err != nil {
				t.Fatalf("RespondActivityTaskCanceled: %v", err)
			}
		},
		"TimedOut": func(t *testing.T, b *bundle, task *swf.PollForActivityTaskOutput) {
			b.env.Clock.Advance(30 * time.Second)
			swftest.Last(t, b.history(t), types.EventTypeActivityTaskTimedOut)
		},
		"ExecutionCompleted": func(t *testing.T, b *bundle, task *swf.PollForActivityTaskOutput) {
			b.signal(t)
			b.decide(t, swftest.CompleteWorkflow(""))
		},
	}
	for name, close := range closers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			task := b.startActivity(t, "a1", swftest.Timeouts("", "", "", "30"))
			close(t, b, task)
			before := b.history(t)
			ctx := swftest.Ctx(t)
			_, err := b.env.TryHeartbeat(aws.ToString(task.TaskToken), "late")
			swftest.Fault[*types.UnknownResourceFault](t, err)
			_, err = b.env.SWF.RespondActivityTaskCompleted(ctx, &swf.RespondActivityTaskCompletedInput{TaskToken: task.TaskToken})
			swftest.Fault[*types.UnknownResourceFault](t, err)
			_, err = b.env.SWF.RespondActivityTaskFailed(ctx, &swf.RespondActivityTaskFailedInput{TaskToken: task.TaskToken})
			swftest.Fault[*types.UnknownResourceFault](t, err)
			_, err = b.env.SWF.RespondActivityTaskCanceled(ctx, &swf.RespondActivityTaskCanceledInput{TaskToken: task.TaskToken})
			swftest.Fault[*types.UnknownResourceFault](t, err)
			wantSame(t, before, b.history(t))
		})
	}

	t.Run("NewAttemptOldToken", func(t *testing.T) {
		t.Parallel()
		// The same activity id scheduled again after a timeout is a new
		// task: the first attempt's token does not reach it.
		b := setup(t)
		old := b.startActivity(t, "a1", swftest.Timeouts("", "", "", "30"))
		b.env.Clock.Advance(30 * time.Second)
		b.decide(t, swftest.ScheduleActivity("a1", b.at))
		b.env.PollActivity(t, b.domain, b.actList)
		before := b.history(t)
		_, err := b.env.TryHeartbeat(aws.ToString(old.TaskToken), "")
		swftest.Fault[*types.UnknownResourceFault](t, err)
		_, err = b.env.SWF.RespondActivityTaskCompleted(swftest.Ctx(t), &swf.RespondActivityTaskCompletedInput{TaskToken: old.TaskToken})
		swftest.Fault[*types.UnknownResourceFault](t, err)
		wantSame(t, before, b.history(t))
	})
}

// TestActivityTaskPriority: higher taskPriority is handed out first; equal
// priorities first-scheduled-first-out (BEHAVIOR §2).
func TestActivityTaskPriority(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.decide(t,
		swftest.ScheduleActivity("p0-first", b.at),
		swftest.ScheduleActivity("p5-first", b.at, swftest.Priority("5")),
		swftest.ScheduleActivity("pmin", b.at, swftest.Priority("-2147483648")),
		swftest.ScheduleActivity("p10", b.at, swftest.Priority("10")),
		swftest.ScheduleActivity("p5-second", b.at, swftest.Priority("5")),
		swftest.ScheduleActivity("pneg3", b.at, swftest.Priority("-3")),
		swftest.ScheduleActivity("pmax", b.at, swftest.Priority("2147483647")),
		swftest.ScheduleActivity("p0-second", b.at, swftest.Priority("0")),
		swftest.ScheduleActivity("p5-third", b.at, swftest.Priority("5")),
	)
	want := []string{"pmax", "p10", "p5-first", "p5-second", "p5-third", "p0-first", "p0-second", "pneg3", "pmin"}
	for i, id := range want {
		task := b.env.PollActivity(t, b.domain, b.actList)
		if got := aws.ToString(task.ActivityId); got != id {
			t.Fatalf("poll %d: got %s, want %s (order %v)", i+1, got, id, want)
		}
	}
	b.signal(t)
	task := b.pollDecision(t)
	err := b.env.TryDecide(aws.ToString(task.TaskToken), swftest.ScheduleActivity("bad", b.at, swftest.Priority("2147483648")))
	swftest.WantCode(t, err, "ValidationException")
}

// TestCountPendingActivityTasks counts scheduled, not started activity
// tasks per task list.
func TestCountPendingActivityTasks(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.decide(t, swftest.ScheduleActivity("a1", b.at), swftest.ScheduleActivity("a2", b.at), swftest.ScheduleActivity("a3", b.at),
		swftest.ScheduleActivity("b1", b.at, swftest.OnTaskList("other")))
	if got := countPendingActivities(t, b, b.actList); got != 3 {
		t.Fatalf("got %d pending, want 3", got)
	}
	if got := countPendingActivities(t, b, "other"); got != 1 {
		t.Fatalf("other list: got %d pending, want 1", got)
	}
	b.env.PollActivity(t, b.domain, b.actList)
	if got := countPendingActivities(t, b, b.actList); got != 2 {
		t.Fatalf("after a poll: got %d pending, want 2", got)
	}
	if got := countPendingActivities(t, b, "empty"); got != 0 {
		t.Fatalf("empty list: got %d pending, want 0", got)
	}
	_, err := b.env.SWF.CountPendingActivityTasks(swftest.Ctx(t), &swf.CountPendingActivityTasksInput{Domain: aws.String("no-such-domain"), TaskList: &types.TaskList{Name: aws.String("x")}})
	swftest.Fault[*types.UnknownResourceFault](t, err)
}

// TestHeartbeatDetailsOfLastCall: ActivityTaskTimedOut carries "the content
// of the details parameter for the last call made by the activity to
// RecordActivityTaskHeartbeat" (model documentation), so a last heartbeat
// without details leaves none.
func TestHeartbeatDetailsOfLastCall(t *testing.T) {
	t.Parallel()
	b := setup(t)
	task := b.startActivity(t, "a1", swftest.Timeouts("", "", "", "10"))
	b.env.Heartbeat(t, aws.ToString(task.TaskToken), "first")
	b.env.Clock.Advance(5 * time.Second)
	b.env.Heartbeat(t, aws.ToString(task.TaskToken), "")
	b.env.Clock.Advance(10 * time.Second)
	a := swftest.Last(t, b.history(t), types.EventTypeActivityTaskTimedOut).ActivityTaskTimedOutEventAttributes
	if a.TimeoutType != types.ActivityTaskTimeoutTypeHeartbeat {
		t.Fatalf("got %s, want HEARTBEAT", a.TimeoutType)
	}
	if a.Details != nil {
		t.Fatalf("got details %q, want none: the last heartbeat sent none", *a.Details)
	}
}

// TestTaskListsByDomain: a task list belongs to its domain; the same name
// in another domain is another list.
func TestTaskListsByDomain(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.decide(t, swftest.ScheduleActivity("a1", b.at))
	other := &bundle{env: b.env, domain: b.env.Domain(t)}
	if got := countPendingActivities(t, other, b.actList); got != 0 {
		t.Fatalf("other domain: got %d pending, want 0", got)
	}
	wantEmptyActivityPoll(t, other, b.actList)
	if got := countPendingActivities(t, b, b.actList); got != 1 {
		t.Fatalf("own domain: got %d pending, want 1", got)
	}
}
