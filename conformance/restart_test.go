package conformance

import (
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/openswf/openswf/internal/swftest"
)

// restart closes b's server and starts another on the same data directory
// with its clock at now; b then talks to the new one.
func (b *bundle) restart(tb testing.TB, now time.Time) {
	tb.Helper()
	b.env.Close(tb)
	b.env = swftest.Start(tb, swftest.WithDataDir(b.env.DataDir), swftest.WithClockAt(now))
}

// waitForEvent waits (in real time) until the history holds an event of
// type typ and returns the history. Deadlines that passed while the server
// was down fire asynchronously right after it starts.
func (b *bundle) waitForEvent(tb testing.TB, typ types.EventType) []types.HistoryEvent {
	tb.Helper()
	var events []types.HistoryEvent
	swftest.WaitFor(tb, string(typ)+" in the history", func() bool {
		events = b.history(tb)
		return swftest.Count(events, typ) > 0
	})
	return events
}

// TestRestartDeadlines: deadlines are durable; those that passed while the
// server was down fire right after it starts (BEHAVIOR §3; architecture
// "Timers").
func TestRestartDeadlines(t *testing.T) {
	t.Parallel()
	later := swftest.Epoch.Add(10 * time.Minute)

	t.Run("HeartbeatTimeout", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		task := b.startActivity(t, "a1", swftest.Timeouts("", "", "", "30"))
		b.env.Clock.Advance(5 * time.Second)
		b.env.Heartbeat(t, aws.ToString(task.TaskToken), "x")
		b.restart(t, later)
		events := b.waitForEvent(t, types.EventTypeActivityTaskTimedOut)
		a := swftest.Last(t, events, types.EventTypeActivityTaskTimedOut).ActivityTaskTimedOutEventAttributes
		if a.TimeoutType != types.ActivityTaskTimeoutTypeHeartbeat || aws.ToString(a.Details) != "x" || a.StartedEventId != task.StartedEventId {
			t.Fatalf("got %s %q started %d, want HEARTBEAT %q started %d", a.TimeoutType, aws.ToString(a.Details), a.StartedEventId, "x", task.StartedEventId)
		}
		if n := swftest.Count(events, types.EventTypeActivityTaskTimedOut); n != 1 {
			t.Fatalf("got %d ActivityTaskTimedOut, want 1", n)
		}
		b.waitForEvent(t, types.EventTypeDecisionTaskScheduled)
		dt := b.pollDecision(t)
		wantTail(t, dt.Events, types.EventTypeActivityTaskTimedOut, types.EventTypeDecisionTaskScheduled, types.EventTypeDecisionTaskStarted)
		_, err := b.env.TryHeartbeat(aws.ToString(task.TaskToken), "")
		swftest.Fault[*types.UnknownResourceFault](t, err)
	})

	t.Run("Timer", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.decide(t, swftest.StartTimer("t1", "60"))
		b.restart(t, later)
		events := b.waitForEvent(t, types.EventTypeTimerFired)
		swftest.WaitFor(t, "a decision task after the timer", func() bool {
			events = b.history(t)
			return events[len(events)-1].EventType == types.EventTypeDecisionTaskScheduled
		})
		wantTail(t, events, types.EventTypeTimerStarted, types.EventTypeTimerFired, types.EventTypeDecisionTaskScheduled)
	})

	t.Run("ExecutionTimeout", func(t *testing.T) {
		t.Parallel()
		b := newBundle(t)
		b.wfID, b.runID = b.env.Start(t, b.domain, b.wt, func(in *swf.StartWorkflowExecutionInput) { in.ExecutionStartToCloseTimeout = aws.String("300") })
		task := b.startActivity(t, "a1")
		b.restart(t, later)
		events := b.waitForEvent(t, types.EventTypeWorkflowExecutionTimedOut)
		wantTail(t, events, types.EventTypeWorkflowExecutionTimedOut)
		if got := b.describe(t).ExecutionInfo.CloseStatus; got != types.CloseStatusTimedOut {
			t.Fatalf("got close status %s, want TIMED_OUT", got)
		}
		_, err := b.env.TryHeartbeat(aws.ToString(task.TaskToken), "")
		swftest.Fault[*types.UnknownResourceFault](t, err)
	})

	t.Run("DecisionTaskTimeout", func(t *testing.T) {
		t.Parallel()
		env := swftest.Start(t)
		d := env.Domain(t)
		wt := env.WorkflowType(t, d, func(in *swf.RegisterWorkflowTypeInput) { in.DefaultTaskStartToCloseTimeout = aws.String("30") })
		b := &bundle{env: env, domain: d, wt: wt}
		b.wfID, b.runID = env.Start(t, d, wt)
		task := b.pollDecision(t)
		b.restart(t, later)
		events := b.waitForEvent(t, types.EventTypeDecisionTaskTimedOut)
		if a := swftest.Last(t, events, types.EventTypeDecisionTaskTimedOut).DecisionTaskTimedOutEventAttributes; a.StartedEventId != task.StartedEventId {
			t.Fatalf("got DecisionTaskTimedOut %+v, want started %d", a, task.StartedEventId)
		}
		err := b.env.TryDecide(aws.ToString(task.TaskToken))
		swftest.Fault[*types.UnknownResourceFault](t, err)
	})

	t.Run("ScheduleToStart", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.decide(t, swftest.ScheduleActivity("a1", b.at, swftest.Timeouts("60", "", "", "")))
		b.restart(t, later)
		events := b.waitForEvent(t, types.EventTypeActivityTaskTimedOut)
		if a := swftest.Last(t, events, types.EventTypeActivityTaskTimedOut).ActivityTaskTimedOutEventAttributes; a.TimeoutType != types.ActivityTaskTimeoutTypeScheduleToStart {
			t.Fatalf("got %s, want SCHEDULE_TO_START", a.TimeoutType)
		}
		if got := countPendingActivities(t, b, b.actList); got != 0 {
			t.Fatalf("timed-out task still pending after restart (%d)", got)
		}
	})

	t.Run("NotYetDue", func(t *testing.T) {
		t.Parallel()
		// Deadlines still ahead at restart fire at their time, derived from
		// the state before the restart (the last heartbeat, the timer's
		// start).
		b := setup(t)
		task := b.startActivity(t, "a1", swftest.Timeouts("", "", "", "30"))
		b.signal(t)
		b.decide(t, swftest.StartTimer("t1", "100"))
		b.env.Clock.Advance(20 * time.Second)
		b.env.Heartbeat(t, aws.ToString(task.TaskToken), "at 20")
		before := b.history(t)
		b.restart(t, swftest.Epoch.Add(25*time.Second))
		b.env.Clock.Advance(24 * time.Second) // 49 s: heartbeat deadline is 50 s
		wantSame(t, before, b.history(t))
		b.env.Clock.Advance(1 * time.Second)
		events := b.history(t)
		a := swftest.Last(t, events, types.EventTypeActivityTaskTimedOut).ActivityTaskTimedOutEventAttributes
		if a.TimeoutType != types.ActivityTaskTimeoutTypeHeartbeat || aws.ToString(a.Details) != "at 20" {
			t.Fatalf("got %s %q, want HEARTBEAT %q", a.TimeoutType, aws.ToString(a.Details), "at 20")
		}
		timerStart := aws.ToTime(swftest.Last(t, events, types.EventTypeTimerStarted).EventTimestamp)
		b.env.Clock.Set(timerStart.Add(100*time.Second - time.Millisecond))
		if n := swftest.Count(b.history(t), types.EventTypeTimerFired); n != 0 {
			t.Fatalf("timer fired early")
		}
		b.env.Clock.Advance(time.Millisecond)
		fired := swftest.Last(t, b.history(t), types.EventTypeTimerFired)
		if got := aws.ToTime(fired.EventTimestamp); !got.Equal(timerStart.Add(100 * time.Second)) {
			t.Fatalf("timer fired at %v, want %v", got, timerStart.Add(100*time.Second))
		}
	})
}

// TestRestartKeepsState: what was acknowledged before a restart is there
// after it, and tokens from before still work.
func TestRestartKeepsState(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := swftest.Ctx(t)

	deprecated := b.env.Domain(t)
	if _, err := b.env.SWF.DeprecateDomain(ctx, &swf.DeprecateDomainInput{Name: aws.String(deprecated)}); err != nil {
		t.Fatalf("DeprecateDomain: %v", err)
	}
	oldAT := b.env.ActivityType(t, b.domain, "old", swftest.ActivityDefaults("old-list"), func(in *swf.RegisterActivityTypeInput) {
		in.DefaultTaskHeartbeatTimeout = aws.String("77")
	})
	if _, err := b.env.SWF.DeprecateActivityType(ctx, &swf.DeprecateActivityTypeInput{Domain: aws.String(b.domain), ActivityType: &oldAT}); err != nil {
		t.Fatalf("DeprecateActivityType: %v", err)
	}

	// Activities: "beat" started with details, "silent" started without a
	// heartbeat after the restart, "cancel" started with a cancel
	// request, and three waiting ones of different priorities.
	b.decide(t,
		swftest.ScheduleActivity("beat", b.at, swftest.Timeouts("", "", "", "300")),
		swftest.ScheduleActivity("silent", b.at, swftest.Timeouts("", "", "", "300")),
		swftest.ScheduleActivity("cancel", b.at),
	)
	tokens := map[string]string{}
	for range 3 {
		task := b.env.PollActivity(t, b.domain, b.actList)
		tokens[aws.ToString(task.ActivityId)] = aws.ToString(task.TaskToken)
	}
	b.env.Heartbeat(t, tokens["beat"], "beat-1")
	b.env.Heartbeat(t, tokens["silent"], "silent-1")
	b.signal(t)
	b.decide(t, swftest.RequestCancelActivity("cancel"),
		swftest.ScheduleActivity("w-low", b.at, swftest.Priority("1")),
		swftest.ScheduleActivity("w-high-1", b.at, swftest.Priority("5")),
		swftest.ScheduleActivity("w-high-2", b.at, swftest.Priority("5")),
		swftest.ScheduleActivity("w-high-3", b.at, swftest.Priority("5")),
	)
	// A decision task started before the restart, answered after it.
	b.signal(t)
	dt := b.pollDecision(t)
	// A second execution with a decision task still scheduled.
	wf2, run2 := b.env.Start(t, b.domain, b.wt)
	before := b.history(t)
	before2 := b.env.History(t, b.domain, wf2, run2)

	b.restart(t, swftest.Epoch.Add(10*time.Second))
	ctx = swftest.Ctx(t)

	// Domains and types.
	out, err := b.env.SWF.DescribeDomain(ctx, &swf.DescribeDomainInput{Name: aws.String(deprecated)})
	if err != nil || out.DomainInfo.Status != types.RegistrationStatusDeprecated {
		t.Fatalf("deprecated domain after restart: got %+v, %v; want DEPRECATED", out, err)
	}
	at, err := b.env.SWF.DescribeActivityType(ctx, &swf.DescribeActivityTypeInput{Domain: aws.String(b.domain), ActivityType: &oldAT})
	if err != nil || at.TypeInfo.Status != types.RegistrationStatusDeprecated || aws.ToString(at.Configuration.DefaultTaskHeartbeatTimeout) != "77" {
		t.Fatalf("activity type after restart: got %+v, %v; want DEPRECATED with heartbeat default 77", at, err)
	}
	if _, err := b.env.SWF.DescribeWorkflowType(ctx, &swf.DescribeWorkflowTypeInput{Domain: aws.String(b.domain), WorkflowType: &b.wt}); err != nil {
		t.Fatalf("workflow type after restart: %v", err)
	}

	// Histories, byte for byte in ids and types.
	wantSame(t, before, b.history(t))
	wantSame(t, before2, b.env.History(t, b.domain, wf2, run2))
	_, err = b.env.SWF.StartWorkflowExecution(ctx, &swf.StartWorkflowExecutionInput{Domain: aws.String(b.domain), WorkflowId: aws.String(b.wfID), WorkflowType: &b.wt})
	swftest.Fault[*types.WorkflowExecutionAlreadyStartedFault](t, err)
	if c := b.describe(t).OpenCounts; c.OpenActivityTasks != 7 || c.OpenDecisionTasks != 1 {
		t.Fatalf("open counts after restart: got %+v, want 7 activities and 1 decision task", c)
	}

	// Tokens from before the restart.
	if cancel := b.env.Heartbeat(t, tokens["beat"], "beat-2"); cancel {
		t.Fatalf("beat: got cancelRequested true, want false")
	}
	if cancel := b.env.Heartbeat(t, tokens["cancel"], ""); !cancel {
		t.Fatalf("cancel: got cancelRequested false after restart, want true")
	}
	b.env.Decide(t, aws.ToString(dt.TaskToken), swftest.RecordMarker("after restart", ""))
	wantTail(t, b.history(t), types.EventTypeDecisionTaskCompleted, types.EventTypeMarkerRecorded)

	// Waiting tasks, in priority then scheduling order.
	if got := countPendingActivities(t, b, b.actList); got != 4 {
		t.Fatalf("pending activities after restart: got %d, want 4", got)
	}
	var order []string
	for range 4 {
		order = append(order, aws.ToString(b.env.PollActivity(t, b.domain, b.actList).ActivityId))
	}
	if want := []string{"w-high-1", "w-high-2", "w-high-3", "w-low"}; !slices.Equal(order, want) {
		t.Fatalf("poll order after restart: got %v, want %v", order, want)
	}
	task2 := b.env.PollDecision(t, b.domain, swftest.DecisionTaskList)
	if aws.ToString(task2.WorkflowExecution.RunId) != run2 {
		t.Fatalf("pending decision task after restart: got run %s, want %s", aws.ToString(task2.WorkflowExecution.RunId), run2)
	}

	// Heartbeat details kept across the restart: "silent" times out 300 s
	// after its last heartbeat with the details sent before the restart.
	b.env.Clock.Set(swftest.Epoch.Add(300 * time.Second))
	events := b.history(t)
	var silent *types.ActivityTaskTimedOutEventAttributes
	for _, ev := range events {
		if ev.EventType == types.EventTypeActivityTaskTimedOut {
			a := ev.ActivityTaskTimedOutEventAttributes
			if aws.ToString(eventByID(t, events, a.ScheduledEventId).ActivityTaskScheduledEventAttributes.ActivityId) == "silent" {
				silent = a
			}
		}
	}
	if silent == nil || aws.ToString(silent.Details) != "silent-1" || silent.TimeoutType != types.ActivityTaskTimeoutTypeHeartbeat {
		t.Fatalf("silent: got %+v, want a HEARTBEAT timeout with details silent-1", silent)
	}
	// "beat" heartbeated after the restart; it is still open.
	if _, err := b.env.SWF.RespondActivityTaskCompleted(ctx, &swf.RespondActivityTaskCompletedInput{TaskToken: aws.String(tokens["beat"])}); err != nil {
		t.Fatalf("complete beat with its pre-restart token: %v", err)
	}
}

// TestRestartTwice: a second restart sees the first one's effects.
func TestRestartTwice(t *testing.T) {
	t.Parallel()
	b := setup(t)
	task := b.startActivity(t, "a1", swftest.Timeouts("", "", "", "60"))
	b.env.Heartbeat(t, aws.ToString(task.TaskToken), "one")
	b.restart(t, swftest.Epoch.Add(30*time.Second))
	b.env.Heartbeat(t, aws.ToString(task.TaskToken), "two") // deadline now 90 s
	b.restart(t, swftest.Epoch.Add(80*time.Second))
	if got := b.describe(t).OpenCounts.OpenActivityTasks; got != 1 {
		t.Fatalf("at 80 s: got %d open activities, want 1 (the heartbeat at 30 s moved the deadline to 90 s)", got)
	}
	b.env.Clock.Advance(10 * time.Second)
	a := swftest.Last(t, b.history(t), types.EventTypeActivityTaskTimedOut).ActivityTaskTimedOutEventAttributes
	if aws.ToString(a.Details) != "two" {
		t.Fatalf("got details %q, want two", aws.ToString(a.Details))
	}
}
