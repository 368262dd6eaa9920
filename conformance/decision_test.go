package conformance

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/openswf/openswf/internal/swftest"
)

type pollResult[T any] struct {
	out T
	err error
}

// pollDecisionAsync starts a decision task poll in a goroutine and returns
// the channel its answer arrives on.
func pollDecisionAsync(env *swftest.Env, domain, taskList string) <-chan pollResult[*swf.PollForDecisionTaskOutput] {
	ch := make(chan pollResult[*swf.PollForDecisionTaskOutput], 1)
	go func() {
		ctx, cancel := contextWithTimeout()
		defer cancel()
		out, err := env.SWF.PollForDecisionTask(ctx, &swf.PollForDecisionTaskInput{
			Domain: aws.String(domain), TaskList: &types.TaskList{Name: aws.String(taskList)}, Identity: aws.String("async-decider"),
		})
		ch <- pollResult[*swf.PollForDecisionTaskOutput]{out, err}
	}()
	return ch
}

func pollActivityAsync(env *swftest.Env, domain, taskList string) <-chan pollResult[*swf.PollForActivityTaskOutput] {
	ch := make(chan pollResult[*swf.PollForActivityTaskOutput], 1)
	go func() {
		ctx, cancel := contextWithTimeout()
		defer cancel()
		out, err := env.SWF.PollForActivityTask(ctx, &swf.PollForActivityTaskInput{
			Domain: aws.String(domain), TaskList: &types.TaskList{Name: aws.String(taskList)}, Identity: aws.String("async-worker"),
		})
		ch <- pollResult[*swf.PollForActivityTaskOutput]{out, err}
	}()
	return ch
}

// receive waits (in real time) for a poll's answer.
func receive[T any](tb testing.TB, ch <-chan pollResult[T]) T {
	tb.Helper()
	select {
	case r := <-ch:
		if r.err != nil {
			tb.Fatalf("poll: %v", r.err)
		}
		return r.out
	case <-time.After(swftest.CallTimeout):
		tb.Fatalf("poll did not answer within %v", swftest.CallTimeout)
	}
	var zero T
	return zero
}

// wantWaiting fails if the poll has answered already.
func wantWaiting[T any](tb testing.TB, ch <-chan pollResult[T]) {
	tb.Helper()
	select {
	case r := <-ch:
		tb.Fatalf("poll answered (%+v, %v), want it still waiting", r.out, r.err)
	default:
	}
}

// TestPollForDecisionTask checks what a decision task carries (BEHAVIOR §4).
func TestPollForDecisionTask(t *testing.T) {
	t.Parallel()
	b := setup(t)
	task := b.pollDecision(t)
	if task.PreviousStartedEventId != 0 {
		t.Fatalf("first task: got previousStartedEventId %d, want 0", task.PreviousStartedEventId)
	}
	if got := swftest.Types(task.Events); len(got) != 3 || got[0] != "WorkflowExecutionStarted" || got[2] != "DecisionTaskStarted" {
		t.Fatalf("first task: got events %v, want the whole history up to DecisionTaskStarted", got)
	}
	if task.StartedEventId != 3 || aws.ToString(task.WorkflowExecution.WorkflowId) != b.wfID || aws.ToString(task.WorkflowType.Name) != aws.ToString(b.wt.Name) {
		t.Fatalf("got startedEventId %d, execution %+v, type %+v; want 3, %s, %s", task.StartedEventId, task.WorkflowExecution, task.WorkflowType, b.wfID, aws.ToString(b.wt.Name))
	}
	started := task.Events[2].DecisionTaskStartedEventAttributes
	if aws.ToString(started.Identity) != "decider" || started.ScheduledEventId != 2 {
		t.Fatalf("got DecisionTaskStarted %+v, want identity decider and scheduledEventId 2", started)
	}
	if c := countPendingDecisions(t, b); c != 0 {
		t.Fatalf("started decision task still counted pending (%d)", c)
	}
	b.env.Decide(t, aws.ToString(task.TaskToken), swftest.RecordMarker("m", "d"))
	events := b.history(t)
	wantTail(t, events, types.EventTypeDecisionTaskCompleted, types.EventTypeMarkerRecorded)
	m := events[len(events)-1].MarkerRecordedEventAttributes
	if aws.ToString(m.MarkerName) != "m" || aws.ToString(m.Details) != "d" || m.DecisionTaskCompletedEventId != events[len(events)-2].EventId {
		t.Fatalf("got marker %+v, want m/d after the DecisionTaskCompleted", m)
	}
	dc := events[len(events)-2].DecisionTaskCompletedEventAttributes
	if dc.ScheduledEventId != 2 || dc.StartedEventId != 3 {
		t.Fatalf("got DecisionTaskCompleted %+v, want scheduled 2 started 3", dc)
	}
	// A marker schedules no decision task; a signal does.
	if c := countPendingDecisions(t, b); c != 0 {
		t.Fatalf("after a marker: %d decision tasks pending, want 0", c)
	}
	if _, err := b.env.SWF.SignalWorkflowExecution(swftest.Ctx(t), &swf.SignalWorkflowExecutionInput{Domain: aws.String(b.domain), WorkflowId: aws.String(b.wfID), SignalName: aws.String("s")}); err != nil {
		t.Fatalf("SignalWorkflowExecution: %v", err)
	}
	task2 := b.pollDecision(t)
	if task2.PreviousStartedEventId != task.StartedEventId {
		t.Fatalf("second task: got previousStartedEventId %d, want %d", task2.PreviousStartedEventId, task.StartedEventId)
	}
	if int64(len(task2.Events)) != task2.StartedEventId {
		t.Fatalf("second task: got %d events, want all %d", len(task2.Events), task2.StartedEventId)
	}
	_, err := b.env.SWF.PollForDecisionTask(swftest.Ctx(t), &swf.PollForDecisionTaskInput{Domain: aws.String("no-such-domain"), TaskList: &types.TaskList{Name: aws.String("x")}})
	swftest.Fault[*types.UnknownResourceFault](t, err)
}

func countPendingDecisions(tb testing.TB, b *bundle) int32 {
	tb.Helper()
	out, err := b.env.SWF.CountPendingDecisionTasks(swftest.Ctx(tb), &swf.CountPendingDecisionTasksInput{
		Domain: aws.String(b.domain), TaskList: &types.TaskList{Name: aws.String(swftest.DecisionTaskList)},
	})
	if err != nil {
		tb.Fatalf("CountPendingDecisionTasks: %v", err)
	}
	return out.Count
}

// TestDecisionTaskHistoryPaging pages a decision task's history with
// nextPageToken on PollForDecisionTask.
func TestDecisionTaskHistoryPaging(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.decide(t, swftest.RecordMarker("m1", ""), swftest.RecordMarker("m2", ""), swftest.RecordMarker("m3", ""))
	for range 3 {
		if _, err := b.env.SWF.SignalWorkflowExecution(swftest.Ctx(t), &swf.SignalWorkflowExecutionInput{Domain: aws.String(b.domain), WorkflowId: aws.String(b.wfID), SignalName: aws.String("s")}); err != nil {
			t.Fatalf("SignalWorkflowExecution: %v", err)
		}
	}
	for _, reverse := range []bool{false, true} {
		if reverse {
			// A new decision task to page backwards through.
			if _, err := b.env.SWF.SignalWorkflowExecution(swftest.Ctx(t), &swf.SignalWorkflowExecutionInput{Domain: aws.String(b.domain), WorkflowId: aws.String(b.wfID), SignalName: aws.String("s")}); err != nil {
				t.Fatalf("SignalWorkflowExecution: %v", err)
			}
		}
		first := b.env.PollDecision(t, b.domain, swftest.DecisionTaskList, func(in *swf.PollForDecisionTaskInput) {
			in.MaximumPageSize, in.ReverseOrder = 3, reverse
		})
		ids := []int64{}
		for _, ev := range first.Events {
			ids = append(ids, ev.EventId)
		}
		// Events recorded after the task started are not part of it,
		// whichever page is read after them.
		b.signal(t)
		next := first.NextPageToken
		for pages := 1; aws.ToString(next) != ""; pages++ {
			if pages > 20 {
				t.Fatalf("more than 20 pages")
			}
			out, err := b.env.SWF.PollForDecisionTask(swftest.Ctx(t), &swf.PollForDecisionTaskInput{
				Domain: aws.String(b.domain), TaskList: &types.TaskList{Name: aws.String(swftest.DecisionTaskList)},
				MaximumPageSize: 3, ReverseOrder: reverse, NextPageToken: next,
			})
			if err != nil {
				t.Fatalf("PollForDecisionTask page %d: %v", pages+1, err)
			}
			if len(out.Events) > 3 {
				t.Fatalf("page of %d events, want at most 3", len(out.Events))
			}
			if aws.ToString(out.TaskToken) != aws.ToString(first.TaskToken) || out.StartedEventId != first.StartedEventId {
				t.Fatalf("page %d names task %d, want the first page's task %d", pages+1, out.StartedEventId, first.StartedEventId)
			}
			for _, ev := range out.Events {
				ids = append(ids, ev.EventId)
			}
			next = out.NextPageToken
		}
		if int64(len(ids)) != first.StartedEventId {
			t.Fatalf("reverse=%v: got %d events over the pages, want %d", reverse, len(ids), first.StartedEventId)
		}
		for i, id := range ids {
			want := int64(i + 1)
			if reverse {
				want = first.StartedEventId - int64(i)
			}
			if id != want {
				t.Fatalf("reverse=%v: event %d has id %d, want %d", reverse, i, id, want)
			}
		}
		b.env.Decide(t, aws.ToString(first.TaskToken))
	}
}

// TestDecisionPollWokenByStart: a poll waiting before the execution starts
// gets its first decision task (BEHAVIOR §2).
func TestDecisionPollWokenByStart(t *testing.T) {
	t.Parallel()
	env := swftest.Start(t)
	d := env.Domain(t)
	wt := env.WorkflowType(t, d)
	base := env.Clock.Pending()
	ch := pollDecisionAsync(env, d, swftest.DecisionTaskList)
	env.WaitClockWaiters(t, base+1)
	wantWaiting(t, ch)
	wfID, runID := env.Start(t, d, wt)
	task := receive(t, ch)
	if aws.ToString(task.TaskToken) == "" || aws.ToString(task.WorkflowExecution.RunId) != runID {
		t.Fatalf("woken poll: got token %q for run %s, want a task for %s", aws.ToString(task.TaskToken), aws.ToString(task.WorkflowExecution.RunId), runID)
	}
	if got := swftest.Types(env.History(t, d, wfID, runID)); got[len(got)-1] != "DecisionTaskStarted" {
		t.Fatalf("got history %v, want it to end with DecisionTaskStarted", got)
	}
}

// TestDecisionTaskOnePoller: of two waiting pollers, exactly one gets the
// task; the other answers empty at its deadline (BEHAVIOR §2).
func TestDecisionTaskOnePoller(t *testing.T) {
	t.Parallel()
	env := swftest.Start(t)
	d := env.Domain(t)
	wt := env.WorkflowType(t, d)
	base := env.Clock.Pending()
	ch1 := pollDecisionAsync(env, d, swftest.DecisionTaskList)
	ch2 := pollDecisionAsync(env, d, swftest.DecisionTaskList)
	env.WaitClockWaiters(t, base+2)
	wfID, runID := env.Start(t, d, wt)

	var got []*swf.PollForDecisionTaskOutput
	select {
	case r := <-ch1:
		got = append(got, r.out)
		ch1 = nil
	case r := <-ch2:
		got = append(got, r.out)
		ch2 = nil
	case <-time.After(swftest.CallTimeout):
		t.Fatalf("neither poller got the task")
	}
	if aws.ToString(got[0].TaskToken) == "" {
		t.Fatalf("first poller to answer got no task")
	}
	env.Clock.Advance(61 * time.Second)
	if ch1 != nil {
		got = append(got, receive(t, ch1))
	} else {
		got = append(got, receive(t, ch2))
	}
	if tok := aws.ToString(got[1].TaskToken); tok != "" || got[1].StartedEventId != 0 {
		t.Fatalf("second poller: got token %q startedEventId %d, want an empty answer", tok, got[1].StartedEventId)
	}
	if n := swftest.Count(env.History(t, d, wfID, runID), types.EventTypeDecisionTaskStarted); n != 1 {
		t.Fatalf("got %d DecisionTaskStarted events, want 1", n)
	}
}

// TestDecisionPollEmpty: with no task, a poll answers after 60 s of (fake)
// time with no taskToken and startedEventId 0 (BEHAVIOR §2).
func TestDecisionPollEmpty(t *testing.T) {
	t.Parallel()
	env := swftest.Start(t)
	d := env.Domain(t)
	base := env.Clock.Pending()
	ch := pollDecisionAsync(env, d, "idle")
	env.WaitClockWaiters(t, base+1)
	env.Clock.Advance(59 * time.Second)
	wantWaiting(t, ch)
	env.Clock.Advance(2 * time.Second)
	out := receive(t, ch)
	if aws.ToString(out.TaskToken) != "" || out.StartedEventId != 0 || len(out.Events) != 0 {
		t.Fatalf("empty poll: got token %q, startedEventId %d, %d events; want none, 0, none", aws.ToString(out.TaskToken), out.StartedEventId, len(out.Events))
	}

	ach := pollActivityAsync(env, d, "idle")
	env.WaitClockWaiters(t, base+1)
	env.Clock.Advance(61 * time.Second)
	aout := receive(t, ach)
	if aws.ToString(aout.TaskToken) != "" || aout.StartedEventId != 0 {
		t.Fatalf("empty activity poll: got token %q, startedEventId %d; want none, 0", aws.ToString(aout.TaskToken), aout.StartedEventId)
	}
}

// TestDecisionTaskTimeout: an unanswered decision task times out
// (START_TO_CLOSE) and a new one is scheduled; the old token is dead
// (BEHAVIOR §4).
func TestDecisionTaskTimeout(t *testing.T) {
	t.Parallel()
	env := swftest.Start(t)
	d := env.Domain(t)
	wt := env.WorkflowType(t, d, func(in *swf.RegisterWorkflowTypeInput) { in.DefaultTaskStartToCloseTimeout = aws.String("30") })
	wfID, runID := env.Start(t, d, wt)
	task := env.PollDecision(t, d, swftest.DecisionTaskList)
	env.Clock.Advance(29 * time.Second)
	wantTail(t, env.History(t, d, wfID, runID), types.EventTypeDecisionTaskStarted)
	env.Clock.Advance(1 * time.Second)
	events := env.History(t, d, wfID, runID)
	wantTail(t, events, types.EventTypeDecisionTaskStarted, types.EventTypeDecisionTaskTimedOut, types.EventTypeDecisionTaskScheduled)
	a := swftest.Last(t, events, types.EventTypeDecisionTaskTimedOut).DecisionTaskTimedOutEventAttributes
	if a.TimeoutType != types.DecisionTaskTimeoutTypeStartToClose || a.ScheduledEventId != 2 || a.StartedEventId != task.StartedEventId {
		t.Fatalf("got DecisionTaskTimedOut %+v, want START_TO_CLOSE scheduled 2 started %d", a, task.StartedEventId)
	}
	err := env.TryDecide(aws.ToString(task.TaskToken), swftest.CompleteWorkflow(""))
	swftest.Fault[*types.UnknownResourceFault](t, err)
	wantSame(t, events, env.History(t, d, wfID, runID))

	task2 := env.PollDecision(t, d, swftest.DecisionTaskList)
	if task2.PreviousStartedEventId != 0 {
		t.Fatalf("after a timeout: got previousStartedEventId %d, want 0 (no task completed yet)", task2.PreviousStartedEventId)
	}
	env.Decide(t, aws.ToString(task2.TaskToken), swftest.CompleteWorkflow("ok"))
	// A completed task's token is dead too.
	err = env.TryDecide(aws.ToString(task2.TaskToken))
	swftest.Fault[*types.UnknownResourceFault](t, err)
	err = env.TryDecide("not-a-token")
	swftest.Fault[*types.UnknownResourceFault](t, err)
}

// TestDecisionFailures checks each decision that cannot be carried out:
// its ...Failed event with the cause and decisionTaskCompletedEventId, and a
// new decision task (BEHAVIOR §3, §4, §5).
func TestDecisionFailures(t *testing.T) {
	t.Parallel()

	type failCase struct {
		prepare   func(t *testing.T, b *bundle) types.Decision
		eventType types.EventType
		cause     func(types.HistoryEvent) (string, int64)
		want      string
	}
	scheduleFailed := func(ev types.HistoryEvent) (string, int64) {
		a := ev.ScheduleActivityTaskFailedEventAttributes
		return string(a.Cause), a.DecisionTaskCompletedEventId
	}
	noDefaults := func(t *testing.T, b *bundle, drop string) types.Decision {
		at := b.env.ActivityType(t, b.domain, "bare")
		opts := []func(*types.ScheduleActivityTaskDecisionAttributes){swftest.OnTaskList("tl"), swftest.Timeouts("NONE", "NONE", "NONE", "NONE")}
		opts = append(opts, func(a *types.ScheduleActivityTaskDecisionAttributes) {
			switch drop {
			case "taskList":
				a.TaskList = nil
			case "scheduleToStart":
				a.ScheduleToStartTimeout = nil
			case "scheduleToClose":
				a.ScheduleToCloseTimeout = nil
			case "startToClose":
				a.StartToCloseTimeout = nil
			case "heartbeat":
				a.HeartbeatTimeout = nil
			}
		})
		return swftest.ScheduleActivity("x", at, opts...)
	}
	cases := map[string]failCase{
		"ActivityTypeDoesNotExist": {
			prepare: func(t *testing.T, b *bundle) types.Decision {
				return swftest.ScheduleActivity("x", types.ActivityType{Name: aws.String("nope"), Version: aws.String("1")})
			},
			eventType: types.EventTypeScheduleActivityTaskFailed, cause: scheduleFailed, want: "ACTIVITY_TYPE_DOES_NOT_EXIST",
		},
		"ActivityTypeDeprecated": {
			prepare: func(t *testing.T, b *bundle) types.Decision {
				at := b.env.ActivityType(t, b.domain, "old", swftest.ActivityDefaults(actList))
				if _, err := b.env.SWF.DeprecateActivityType(swftest.Ctx(t), &swf.DeprecateActivityTypeInput{Domain: aws.String(b.domain), ActivityType: &at}); err != nil {
					t.Fatalf("DeprecateActivityType: %v", err)
				}
				return swftest.ScheduleActivity("x", at)
			},
			eventType: types.EventTypeScheduleActivityTaskFailed, cause: scheduleFailed, want: "ACTIVITY_TYPE_DEPRECATED",
		},
		"ActivityIDAlreadyInUse": {
			prepare: func(t *testing.T, b *bundle) types.Decision {
				b.decide(t, swftest.ScheduleActivity("x", b.at), swftest.StartTimer("wake", "10"))
				b.env.Clock.Advance(10 * time.Second)
				return swftest.ScheduleActivity("x", b.at)
			},
			eventType: types.EventTypeScheduleActivityTaskFailed, cause: scheduleFailed, want: "ACTIVITY_ID_ALREADY_IN_USE",
		},
		"DefaultTaskListUndefined": {
			prepare:   func(t *testing.T, b *bundle) types.Decision { return noDefaults(t, b, "taskList") },
			eventType: types.EventTypeScheduleActivityTaskFailed, cause: scheduleFailed, want: "DEFAULT_TASK_LIST_UNDEFINED",
		},
		"DefaultScheduleToStartUndefined": {
			prepare:   func(t *testing.T, b *bundle) types.Decision { return noDefaults(t, b, "scheduleToStart") },
			eventType: types.EventTypeScheduleActivityTaskFailed, cause: scheduleFailed, want: "DEFAULT_SCHEDULE_TO_START_TIMEOUT_UNDEFINED",
		},
		"DefaultScheduleToCloseUndefined": {
			prepare:   func(t *testing.T, b *bundle) types.Decision { return noDefaults(t, b, "scheduleToClose") },
			eventType: types.EventTypeScheduleActivityTaskFailed, cause: scheduleFailed, want: "DEFAULT_SCHEDULE_TO_CLOSE_TIMEOUT_UNDEFINED",
		},
		"DefaultStartToCloseUndefined": {
			prepare:   func(t *testing.T, b *bundle) types.Decision { return noDefaults(t, b, "startToClose") },
			eventType: types.EventTypeScheduleActivityTaskFailed, cause: scheduleFailed, want: "DEFAULT_START_TO_CLOSE_TIMEOUT_UNDEFINED",
		},
		"DefaultHeartbeatUndefined": {
			prepare:   func(t *testing.T, b *bundle) types.Decision { return noDefaults(t, b, "heartbeat") },
			eventType: types.EventTypeScheduleActivityTaskFailed, cause: scheduleFailed, want: "DEFAULT_HEARTBEAT_TIMEOUT_UNDEFINED",
		},
		"RequestCancelActivityIDUnknown": {
			prepare:   func(t *testing.T, b *bundle) types.Decision { return swftest.RequestCancelActivity("nope") },
			eventType: types.EventTypeRequestCancelActivityTaskFailed,
			cause: func(ev types.HistoryEvent) (string, int64) {
				a := ev.RequestCancelActivityTaskFailedEventAttributes
				return string(a.Cause), a.DecisionTaskCompletedEventId
			},
			want: "ACTIVITY_ID_UNKNOWN",
		},
		"StartTimerIDAlreadyInUse": {
			prepare: func(t *testing.T, b *bundle) types.Decision {
				b.decide(t, swftest.StartTimer("t", "100"), swftest.StartTimer("wake", "10"))
				b.env.Clock.Advance(10 * time.Second)
				return swftest.StartTimer("t", "5")
			},
			eventType: types.EventTypeStartTimerFailed,
			cause: func(ev types.HistoryEvent) (string, int64) {
				a := ev.StartTimerFailedEventAttributes
				return string(a.Cause), a.DecisionTaskCompletedEventId
			},
			want: "TIMER_ID_ALREADY_IN_USE",
		},
		"CancelTimerIDUnknown": {
			prepare:   func(t *testing.T, b *bundle) types.Decision { return swftest.CancelTimer("nope") },
			eventType: types.EventTypeCancelTimerFailed,
			cause: func(ev types.HistoryEvent) (string, int64) {
				a := ev.CancelTimerFailedEventAttributes
				return string(a.Cause), a.DecisionTaskCompletedEventId
			},
			want: "TIMER_ID_UNKNOWN",
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			dec := c.prepare(t, b)
			// The failing decision sits between two that must still apply.
			b.decide(t, swftest.RecordMarker("before", ""), dec, swftest.StartTimer("after", "1000"))
			events := b.history(t)
			completed := swftest.Last(t, events, types.EventTypeDecisionTaskCompleted)
			wantTail(t, events, types.EventTypeDecisionTaskCompleted, types.EventTypeMarkerRecorded, c.eventType,
				types.EventTypeTimerStarted, types.EventTypeDecisionTaskScheduled)
			cause, completedID := c.cause(swftest.Last(t, events, c.eventType))
			if cause != c.want || completedID != completed.EventId {
				t.Fatalf("got cause %s, decisionTaskCompletedEventId %d; want %s, %d", cause, completedID, c.want, completed.EventId)
			}
			task := b.pollDecision(t)
			wantTail(t, task.Events, c.eventType, types.EventTypeTimerStarted, types.EventTypeDecisionTaskScheduled, types.EventTypeDecisionTaskStarted)
		})
	}

	t.Run("ScheduleActivityFailedAttributes", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.decide(t, swftest.ScheduleActivity("x", types.ActivityType{Name: aws.String("nope"), Version: aws.String("9")}))
		a := swftest.Last(t, b.history(t), types.EventTypeScheduleActivityTaskFailed).ScheduleActivityTaskFailedEventAttributes
		if aws.ToString(a.ActivityId) != "x" || aws.ToString(a.ActivityType.Name) != "nope" || aws.ToString(a.ActivityType.Version) != "9" {
			t.Fatalf("got %+v, want activityId x and type nope/9", a)
		}
	})

	t.Run("ActivityIDInUseWithinOneCall", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.decide(t, swftest.ScheduleActivity("x", b.at), swftest.ScheduleActivity("x", b.at))
		events := b.history(t)
		wantTail(t, events, types.EventTypeActivityTaskScheduled, types.EventTypeScheduleActivityTaskFailed, types.EventTypeDecisionTaskScheduled)
		if got := swftest.Last(t, events, types.EventTypeScheduleActivityTaskFailed).ScheduleActivityTaskFailedEventAttributes.Cause; got != types.ScheduleActivityTaskFailedCauseActivityIdAlreadyInUse {
			t.Fatalf("got cause %s, want ACTIVITY_ID_ALREADY_IN_USE", got)
		}
	})

	t.Run("ActivityIDReusableAfterClose", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		task := b.startActivity(t, "x")
		if _, err := b.env.SWF.RespondActivityTaskCompleted(swftest.Ctx(t), &swf.RespondActivityTaskCompletedInput{TaskToken: task.TaskToken}); err != nil {
			t.Fatalf("RespondActivityTaskCompleted: %v", err)
		}
		b.decide(t, swftest.ScheduleActivity("x", b.at))
		wantTail(t, b.history(t), types.EventTypeDecisionTaskCompleted, types.EventTypeActivityTaskScheduled)
	})

	t.Run("CompleteWithUnhandledSignal", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		task := b.pollDecision(t)
		if _, err := b.env.SWF.SignalWorkflowExecution(swftest.Ctx(t), &swf.SignalWorkflowExecutionInput{Domain: aws.String(b.domain), WorkflowId: aws.String(b.wfID), SignalName: aws.String("late")}); err != nil {
			t.Fatalf("SignalWorkflowExecution: %v", err)
		}
		// The signal arrived while the task was started: the next task is
		// scheduled at once, as AWS records it, but not handed out yet.
		wantTail(t, b.history(t), types.EventTypeDecisionTaskStarted, types.EventTypeWorkflowExecutionSignaled, types.EventTypeDecisionTaskScheduled)
		b.env.Decide(t, aws.ToString(task.TaskToken), swftest.RecordMarker("m", ""), swftest.CompleteWorkflow("too early"))
		events := b.history(t)
		wantTail(t, events, types.EventTypeWorkflowExecutionSignaled, types.EventTypeDecisionTaskScheduled, types.EventTypeDecisionTaskCompleted,
			types.EventTypeMarkerRecorded, types.EventTypeCompleteWorkflowExecutionFailed)
		a := swftest.Last(t, events, types.EventTypeCompleteWorkflowExecutionFailed).CompleteWorkflowExecutionFailedEventAttributes
		if a.Cause != types.CompleteWorkflowExecutionFailedCauseUnhandledDecision || a.DecisionTaskCompletedEventId != swftest.Last(t, events, types.EventTypeDecisionTaskCompleted).EventId {
			t.Fatalf("got %+v, want UNHANDLED_DECISION with the DecisionTaskCompleted id", a)
		}
		if got := b.describe(t).ExecutionInfo.ExecutionStatus; got != types.ExecutionStatusOpen {
			t.Fatalf("got status %s, want OPEN", got)
		}
		task = b.pollDecision(t)
		if swftest.Count(task.Events, types.EventTypeWorkflowExecutionSignaled) != 1 {
			t.Fatalf("new decision task does not show the signal")
		}
		b.env.Decide(t, aws.ToString(task.TaskToken), swftest.CompleteWorkflow("now"))
		if got := b.describe(t).ExecutionInfo.CloseStatus; got != types.CloseStatusCompleted {
			t.Fatalf("got close status %s, want COMPLETED", got)
		}
	})

	t.Run("FailWithUnhandledSignal", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		task := b.pollDecision(t)
		if _, err := b.env.SWF.SignalWorkflowExecution(swftest.Ctx(t), &swf.SignalWorkflowExecutionInput{Domain: aws.String(b.domain), WorkflowId: aws.String(b.wfID), SignalName: aws.String("late")}); err != nil {
			t.Fatalf("SignalWorkflowExecution: %v", err)
		}
		b.env.Decide(t, aws.ToString(task.TaskToken), swftest.FailWorkflow("r", "d"))
		events := b.history(t)
		wantTail(t, events, types.EventTypeDecisionTaskScheduled, types.EventTypeDecisionTaskCompleted, types.EventTypeFailWorkflowExecutionFailed)
		if n := swftest.Count(events, types.EventTypeDecisionTaskScheduled); n != 2 {
			t.Fatalf("%d DecisionTaskScheduled events, want 2: the failed close needs no third", n)
		}
		if got := swftest.Last(t, events, types.EventTypeFailWorkflowExecutionFailed).FailWorkflowExecutionFailedEventAttributes.Cause; got != types.FailWorkflowExecutionFailedCauseUnhandledDecision {
			t.Fatalf("got cause %s, want UNHANDLED_DECISION", got)
		}
	})
}

// TestDecisions checks the decisions that succeed: markers, timers and the
// closing decisions (BEHAVIOR §4, §5).
func TestDecisions(t *testing.T) {
	t.Parallel()

	t.Run("RecordMarker", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.decide(t, swftest.RecordMarker("checkpoint", "42"))
		events := b.history(t)
		wantTail(t, events, types.EventTypeDecisionTaskCompleted, types.EventTypeMarkerRecorded)
		a := events[len(events)-1].MarkerRecordedEventAttributes
		if aws.ToString(a.MarkerName) != "checkpoint" || aws.ToString(a.Details) != "42" {
			t.Fatalf("got marker %+v, want checkpoint/42", a)
		}
	})

	t.Run("TimerFires", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.decide(t, types.Decision{
			DecisionType: types.DecisionTypeStartTimer,
			StartTimerDecisionAttributes: &types.StartTimerDecisionAttributes{
				TimerId: aws.String("t1"), StartToFireTimeout: aws.String("300"), Control: aws.String("ctl"),
			},
		})
		events := b.history(t)
		started := swftest.Last(t, events, types.EventTypeTimerStarted)
		if a := started.TimerStartedEventAttributes; aws.ToString(a.TimerId) != "t1" || aws.ToString(a.StartToFireTimeout) != "300" || aws.ToString(a.Control) != "ctl" {
			t.Fatalf("got TimerStarted %+v, want t1/300/ctl", a)
		}
		if got := b.describe(t).OpenCounts.OpenTimers; got != 1 {
			t.Fatalf("got %d open timers, want 1", got)
		}
		b.env.Clock.Advance(299 * time.Second)
		wantTail(t, b.history(t), types.EventTypeTimerStarted)
		b.env.Clock.Advance(1 * time.Second)
		events = b.history(t)
		wantTail(t, events, types.EventTypeTimerStarted, types.EventTypeTimerFired, types.EventTypeDecisionTaskScheduled)
		fired := swftest.Last(t, events, types.EventTypeTimerFired)
		if a := fired.TimerFiredEventAttributes; aws.ToString(a.TimerId) != "t1" || a.StartedEventId != started.EventId {
			t.Fatalf("got TimerFired %+v, want t1 started by %d", a, started.EventId)
		}
		if got, want := aws.ToTime(fired.EventTimestamp), swftest.Epoch.Add(300*time.Second); !got.Equal(want) {
			t.Fatalf("TimerFired at %v, want %v", got, want)
		}
		if got := b.describe(t).OpenCounts.OpenTimers; got != 0 {
			t.Fatalf("after firing: %d open timers, want 0", got)
		}
		// A fired timer's id can be used again, and CancelTimer of it fails.
		b.decide(t, swftest.CancelTimer("t1"), swftest.StartTimer("t1", "5"))
		events = b.history(t)
		wantTail(t, events, types.EventTypeCancelTimerFailed, types.EventTypeTimerStarted, types.EventTypeDecisionTaskScheduled)
	})

	t.Run("CancelTimer", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.decide(t, swftest.StartTimer("t1", "100"))
		b.env.Clock.Advance(50 * time.Second)
		if _, err := b.env.SWF.SignalWorkflowExecution(swftest.Ctx(t), &swf.SignalWorkflowExecutionInput{Domain: aws.String(b.domain), WorkflowId: aws.String(b.wfID), SignalName: aws.String("s")}); err != nil {
			t.Fatalf("SignalWorkflowExecution: %v", err)
		}
		b.decide(t, swftest.CancelTimer("t1"))
		events := b.history(t)
		wantTail(t, events, types.EventTypeDecisionTaskCompleted, types.EventTypeTimerCanceled)
		a := swftest.Last(t, events, types.EventTypeTimerCanceled).TimerCanceledEventAttributes
		if aws.ToString(a.TimerId) != "t1" || a.StartedEventId != swftest.Last(t, events, types.EventTypeTimerStarted).EventId {
			t.Fatalf("got TimerCanceled %+v, want t1 and its TimerStarted id", a)
		}
		b.env.Clock.Advance(time.Hour)
		after := b.history(t)
		wantSame(t, events, after)
		if got := b.describe(t).OpenCounts.OpenTimers; got != 0 {
			t.Fatalf("got %d open timers, want 0", got)
		}
	})

	t.Run("CompleteWorkflowExecution", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.decide(t, swftest.CompleteWorkflow("result"))
		events := b.history(t)
		wantTail(t, events, types.EventTypeDecisionTaskCompleted, types.EventTypeWorkflowExecutionCompleted)
		a := events[len(events)-1].WorkflowExecutionCompletedEventAttributes
		if aws.ToString(a.Result) != "result" || a.DecisionTaskCompletedEventId != events[len(events)-2].EventId {
			t.Fatalf("got %+v, want result and the DecisionTaskCompleted id", a)
		}
		if got := b.describe(t).ExecutionInfo.CloseStatus; got != types.CloseStatusCompleted {
			t.Fatalf("got close status %s, want COMPLETED", got)
		}
	})

	t.Run("FailWorkflowExecution", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.decide(t, swftest.ScheduleActivity("a1", b.at), swftest.FailWorkflow("broken", "stack"))
		events := b.history(t)
		wantTail(t, events, types.EventTypeActivityTaskScheduled, types.EventTypeWorkflowExecutionFailed)
		a := events[len(events)-1].WorkflowExecutionFailedEventAttributes
		if aws.ToString(a.Reason) != "broken" || aws.ToString(a.Details) != "stack" {
			t.Fatalf("got %+v, want broken/stack", a)
		}
		if got := b.describe(t).ExecutionInfo.CloseStatus; got != types.CloseStatusFailed {
			t.Fatalf("got close status %s, want FAILED", got)
		}
		// The activity scheduled in the same call died with the run.
		out, err := b.env.SWF.CountPendingActivityTasks(swftest.Ctx(t), &swf.CountPendingActivityTasksInput{Domain: aws.String(b.domain), TaskList: &types.TaskList{Name: aws.String(b.actList)}})
		if err != nil {
			t.Fatalf("CountPendingActivityTasks: %v", err)
		}
		if out.Count != 0 {
			t.Fatalf("closed run left %d activity tasks pending, want 0", out.Count)
		}
	})

	t.Run("CloseWithOpenWork", func(t *testing.T) {
		t.Parallel()
		// Closing a run with an open timer, a started and a scheduled
		// activity: none of them acts after the close.
		b := setup(t)
		b.decide(t, swftest.StartTimer("t1", "100"), swftest.ScheduleActivity("started", b.at, swftest.Timeouts("", "", "", "10")),
			swftest.ScheduleActivity("waiting", b.at, swftest.Timeouts("50", "", "", "")))
		task := b.env.PollActivity(t, b.domain, b.actList)
		b.signal(t)
		b.decide(t, swftest.CompleteWorkflow("done"))
		closed := b.history(t)
		wantTail(t, closed, types.EventTypeWorkflowExecutionCompleted)
		b.env.Clock.Advance(time.Hour)
		wantSame(t, closed, b.history(t))
		_, err := b.env.TryHeartbeat(aws.ToString(task.TaskToken), "")
		swftest.Fault[*types.UnknownResourceFault](t, err)
		if got := countPendingActivities(t, b, b.actList); got != 0 {
			t.Fatalf("closed run left %d activity tasks pending, want 0", got)
		}
	})

	t.Run("ExecutionTimeout", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		wfID, runID := b.env.Start(t, b.domain, b.wt, func(in *swf.StartWorkflowExecutionInput) { in.ExecutionStartToCloseTimeout = aws.String("120") })
		b.env.Clock.Advance(119 * time.Second)
		if got := b.env.Describe(t, b.domain, wfID, runID).ExecutionInfo.ExecutionStatus; got != types.ExecutionStatusOpen {
			t.Fatalf("before the timeout: got %s, want OPEN", got)
		}
		b.env.Clock.Advance(time.Second)
		events := b.env.History(t, b.domain, wfID, runID)
		wantTail(t, events, types.EventTypeWorkflowExecutionTimedOut)
		if a := events[len(events)-1].WorkflowExecutionTimedOutEventAttributes; a.TimeoutType != types.WorkflowExecutionTimeoutTypeStartToClose {
			t.Fatalf("got timeout type %s, want START_TO_CLOSE", a.TimeoutType)
		}
		if got := b.env.Describe(t, b.domain, wfID, runID).ExecutionInfo.CloseStatus; got != types.CloseStatusTimedOut {
			t.Fatalf("got close status %s, want TIMED_OUT", got)
		}
	})
}

// TestDecisionValidation: a decision whose attributes are missing rejects
// the whole call with a ValidationException naming the decision, records
// nothing, and leaves the decision task open (BEHAVIOR §4).
func TestDecisionValidation(t *testing.T) {
	t.Parallel()
	for _, typ := range []types.DecisionType{
		types.DecisionTypeScheduleActivityTask, types.DecisionTypeRequestCancelActivityTask,
		types.DecisionTypeStartTimer, types.DecisionTypeCancelTimer, types.DecisionTypeRecordMarker,
	} {
		t.Run(string(typ), func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			task := b.pollDecision(t)
			before := b.history(t)
			err := b.env.TryDecide(aws.ToString(task.TaskToken), swftest.RecordMarker("ok", ""), types.Decision{DecisionType: typ})
			msg := swftest.WantCode(t, err, "ValidationException")
			if !contains(msg, "decisions.2") {
				t.Errorf("got message %q, want it to name decisions.2", msg)
			}
			wantSame(t, before, b.history(t))
			// The task is still open: the same token completes it.
			b.env.Decide(t, aws.ToString(task.TaskToken), swftest.RecordMarker("ok", ""))
			wantTail(t, b.history(t), types.EventTypeDecisionTaskCompleted, types.EventTypeMarkerRecorded)
		})
	}
	t.Run("BadTimerDuration", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		task := b.pollDecision(t)
		before := b.history(t)
		for _, v := range []string{"NONE", "-1", "abc", "31536001"} {
			err := b.env.TryDecide(aws.ToString(task.TaskToken), swftest.StartTimer("t", v))
			swftest.WantCode(t, err, "ValidationException")
		}
		wantSame(t, before, b.history(t))
	})
}

// TestCountPendingDecisionTasks counts scheduled, not started decision
// tasks per task list.
func TestCountPendingDecisionTasks(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.env.Start(t, b.domain, b.wt)
	b.env.Start(t, b.domain, b.wt)
	if got := countPendingDecisions(t, b); got != 3 {
		t.Fatalf("got %d pending decision tasks, want 3", got)
	}
	b.env.PollDecision(t, b.domain, swftest.DecisionTaskList)
	if got := countPendingDecisions(t, b); got != 2 {
		t.Fatalf("after one poll: got %d, want 2", got)
	}
	out, err := b.env.SWF.CountPendingDecisionTasks(swftest.Ctx(t), &swf.CountPendingDecisionTasksInput{Domain: aws.String(b.domain), TaskList: &types.TaskList{Name: aws.String("other")}})
	if err != nil || out.Count != 0 || out.Truncated {
		t.Fatalf("other task list: got %+v, %v; want 0", out, err)
	}
	_, err = b.env.SWF.CountPendingDecisionTasks(swftest.Ctx(t), &swf.CountPendingDecisionTasksInput{Domain: aws.String("no-such-domain"), TaskList: &types.TaskList{Name: aws.String("x")}})
	swftest.Fault[*types.UnknownResourceFault](t, err)
}

// TestCloseMustBeLast: a closing decision followed by others is refused
// whole, as AWS does, instead of closing the run and dropping the rest; the
// task stays open and a corrected answer is accepted.
func TestCloseMustBeLast(t *testing.T) {
	t.Parallel()
	for name, decisions := range map[string][]types.Decision{
		"CompleteThenSchedule": {swftest.CompleteWorkflow("done"), swftest.StartTimer("t1", "10")},
		"FailThenMarker":       {swftest.FailWorkflow("r", "d"), swftest.RecordMarker("m", "")},
		"CancelThenComplete":   {swftest.CancelWorkflow("c"), swftest.CompleteWorkflow("x")},
		"MarkerCompleteMarker": {swftest.RecordMarker("m", ""), swftest.CompleteWorkflow("x"), swftest.RecordMarker("n", "")},
		"ContinueAsNewThenTimer": {{
			DecisionType: types.DecisionTypeContinueAsNewWorkflowExecution,
			ContinueAsNewWorkflowExecutionDecisionAttributes: &types.ContinueAsNewWorkflowExecutionDecisionAttributes{},
		}, swftest.StartTimer("t1", "10")},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			task := b.pollDecision(t)
			before := b.history(t)
			err := b.env.TryDecide(aws.ToString(task.TaskToken), decisions...)
			msg := swftest.WantCode(t, err, "ValidationException")
			if !contains(msg, "Close must be last decision in list") {
				t.Errorf("got message %q, want AWS's \"Close must be last decision in list\"", msg)
			}
			wantSame(t, before, b.history(t))
			if d := b.describe(t); d.ExecutionInfo.ExecutionStatus != types.ExecutionStatusOpen {
				t.Fatalf("execution is %s after a refused answer, want OPEN", d.ExecutionInfo.ExecutionStatus)
			}
			// The same token takes the corrected answer.
			b.env.Decide(t, aws.ToString(task.TaskToken), swftest.RecordMarker("m", ""), swftest.CompleteWorkflow("done"))
			wantTail(t, b.history(t), types.EventTypeDecisionTaskCompleted, types.EventTypeMarkerRecorded, types.EventTypeWorkflowExecutionCompleted)
		})
	}
}

// TestDecisionScheduledWhileStarted: the decision task scheduled while
// another is started (recorded at once, as AWS does) is handed out after
// that one times out, and it survives a restart.
func TestDecisionScheduledWhileStarted(t *testing.T) {
	t.Parallel()
	t.Run("Timeout", func(t *testing.T) {
		t.Parallel()
		b := setup(t) // task start-to-close: the workflow type's default
		dt := b.pollDecision(t)
		b.signal(t)
		queued := b.history(t)
		wantTail(t, queued, types.EventTypeDecisionTaskStarted, types.EventTypeWorkflowExecutionSignaled, types.EventTypeDecisionTaskScheduled)
		timeout := aws.ToString(b.describe(t).ExecutionConfiguration.TaskStartToCloseTimeout)
		d, err := time.ParseDuration(timeout + "s")
		if err != nil {
			t.Fatalf("task start-to-close %q: %v", timeout, err)
		}
		b.env.Clock.Advance(d)
		events := b.history(t)
		wantTail(t, events, types.EventTypeDecisionTaskScheduled, types.EventTypeDecisionTaskTimedOut)
		next := b.pollDecision(t)
		started := swftest.Last(t, next.Events, types.EventTypeDecisionTaskStarted)
		if got, want := started.DecisionTaskStartedEventAttributes.ScheduledEventId, queued[len(queued)-1].EventId; got != want {
			t.Fatalf("next task started from event %d, want the one scheduled during the first, %d", got, want)
		}
		swftest.Fault[*types.UnknownResourceFault](t, b.env.TryDecide(aws.ToString(dt.TaskToken)))
	})
	t.Run("Restart", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		dt := b.pollDecision(t)
		b.signal(t)
		queued := b.history(t)
		b.restart(t, b.env.Clock.Now())
		if n := countPendingDecisions(t, b); n != 0 {
			t.Fatalf("after restart: %d pending decision tasks while one is started, want 0", n)
		}
		b.env.Decide(t, aws.ToString(dt.TaskToken))
		next := b.pollDecision(t)
		started := swftest.Last(t, next.Events, types.EventTypeDecisionTaskStarted)
		if got, want := started.DecisionTaskStartedEventAttributes.ScheduledEventId, queued[len(queued)-1].EventId; got != want {
			t.Fatalf("after restart: next task started from event %d, want %d", got, want)
		}
		if n := swftest.Count(b.history(t), types.EventTypeDecisionTaskScheduled); n != 2 {
			t.Fatalf("%d DecisionTaskScheduled, want 2", n)
		}
	})
}
