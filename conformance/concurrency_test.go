package conformance

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/openswf/openswf/internal/swftest"
)

// wait waits (in real time) for wg, failing the test if it takes longer
// than CallTimeout.
func wait(tb testing.TB, wg *sync.WaitGroup, what string) {
	tb.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(swftest.CallTimeout):
		tb.Fatalf("%s did not finish within %v", what, swftest.CallTimeout)
	}
}

// TestConcurrentHeartbeats: 50 workers heartbeat 50 tasks of 5 executions
// at once, 20 times each; every heartbeat succeeds, none records an event,
// and the last details of each task are the ones kept.
func TestConcurrentHeartbeats(t *testing.T) {
	t.Parallel()
	const executions, perExecution, beats = 5, 10, 20
	b := newBundle(t)

	type run struct{ wfID, runID string }
	var runs []run
	for range executions {
		wfID, runID := b.env.Start(t, b.domain, b.wt)
		runs = append(runs, run{wfID, runID})
	}
	for range executions {
		task := b.pollDecision(t)
		var decisions []types.Decision
		for i := range perExecution {
			id := fmt.Sprintf("%s-%d", aws.ToString(task.WorkflowExecution.WorkflowId), i)
			decisions = append(decisions, swftest.ScheduleActivity(id, b.at, swftest.Timeouts("", "", "", "60")))
		}
		b.env.Decide(t, aws.ToString(task.TaskToken), decisions...)
	}
	type activity struct{ id, token string }
	var acts []activity
	for range executions * perExecution {
		task := b.env.PollActivity(t, b.domain, b.actList)
		acts = append(acts, activity{aws.ToString(task.ActivityId), aws.ToString(task.TaskToken)})
	}
	before := map[string][]types.HistoryEvent{}
	for _, r := range runs {
		before[r.runID] = b.env.History(t, b.domain, r.wfID, r.runID)
	}

	errs := make(chan error, len(acts)*beats)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, a := range acts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for i := range beats {
				cancel, err := b.env.TryHeartbeat(a.token, fmt.Sprintf("%s:%d", a.id, i))
				if err == nil && cancel {
					err = fmt.Errorf("%s: cancelRequested true, want false", a.id)
				}
				if err != nil {
					errs <- fmt.Errorf("heartbeat %d of %s: %w", i, a.id, err)
				}
			}
		}()
	}
	close(start)
	wait(t, &wg, "50 workers heartbeating")
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}
	for _, r := range runs {
		wantSame(t, before[r.runID], b.env.History(t, b.domain, r.wfID, r.runID))
	}

	// All 50 time out in one Advance, each with its own last details.
	b.env.Clock.Advance(60 * time.Second)
	timedOut := 0
	for _, r := range runs {
		events := b.env.History(t, b.domain, r.wfID, r.runID)
		for _, ev := range events {
			if ev.EventType != types.EventTypeActivityTaskTimedOut {
				continue
			}
			timedOut++
			a := ev.ActivityTaskTimedOutEventAttributes
			id := aws.ToString(eventByID(t, events, a.ScheduledEventId).ActivityTaskScheduledEventAttributes.ActivityId)
			if want := fmt.Sprintf("%s:%d", id, beats-1); aws.ToString(a.Details) != want || a.TimeoutType != types.ActivityTaskTimeoutTypeHeartbeat {
				t.Errorf("%s: got %s %q, want HEARTBEAT %q", id, a.TimeoutType, aws.ToString(a.Details), want)
			}
		}
		wantIDsNumbered(t, events)
	}
	if timedOut != len(acts) {
		t.Fatalf("got %d timeouts, want %d", timedOut, len(acts))
	}
}

// TestConcurrentPollers: many workers polling at once each get a different
// task; no task is handed out twice.
func TestConcurrentPollers(t *testing.T) {
	t.Parallel()
	const n = 20
	b := setup(t)
	var decisions []types.Decision
	for i := range n {
		decisions = append(decisions, swftest.ScheduleActivity(fmt.Sprintf("a%d", i), b.at))
	}
	b.decide(t, decisions...)
	var mu sync.Mutex
	got := map[string]int{}
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := contextWithTimeout()
			defer cancel()
			out, err := b.env.SWF.PollForActivityTask(ctx, &swf.PollForActivityTaskInput{
				Domain: aws.String(b.domain), TaskList: &types.TaskList{Name: aws.String(b.actList)},
			})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Errorf("PollForActivityTask: %v", err)
				return
			}
			got[aws.ToString(out.ActivityId)]++
		}()
	}
	wait(t, &wg, "20 concurrent polls")
	if len(got) != n {
		t.Fatalf("got %d distinct tasks (%v), want %d", len(got), got, n)
	}
	for id, c := range got {
		if c != 1 {
			t.Fatalf("task %s handed out %d times", id, c)
		}
	}
	if c := swftest.Count(b.history(t), types.EventTypeActivityTaskStarted); c != n {
		t.Fatalf("got %d ActivityTaskStarted, want %d", c, n)
	}
}

// TestConcurrentStarts: of many starts of one workflow id, exactly one
// succeeds.
func TestConcurrentStarts(t *testing.T) {
	t.Parallel()
	b := newBundle(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var ok, already int
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := contextWithTimeout()
			defer cancel()
			_, err := b.env.SWF.StartWorkflowExecution(ctx, &swf.StartWorkflowExecutionInput{
				Domain: aws.String(b.domain), WorkflowId: aws.String("same"), WorkflowType: &b.wt,
			})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case swftest.ErrorCode(err) == "WorkflowExecutionAlreadyStartedFault":
				already++
			default:
				t.Errorf("StartWorkflowExecution: %v", err)
			}
		}()
	}
	wait(t, &wg, "10 concurrent starts")
	if ok != 1 || already != 9 {
		t.Fatalf("got %d started and %d already started, want 1 and 9", ok, already)
	}
}

// TestHeartbeatsWhileClockMoves: heartbeats racing the clock and the
// timeouts it fires neither fail nor deadlock; a task that beats more often
// than its timeout never times out, while silent tasks beside it do.
func TestHeartbeatsWhileClockMoves(t *testing.T) {
	t.Parallel()
	b := setup(t)
	decisions := []types.Decision{swftest.ScheduleActivity("beating", b.at, swftest.Timeouts("", "", "", "5"))}
	for i := range 10 {
		decisions = append(decisions, swftest.ScheduleActivity(fmt.Sprintf("silent-%d", i), b.at, swftest.Timeouts("", "", "", fmt.Sprint(3+i))))
	}
	b.decide(t, decisions...)
	var beating string
	for range len(decisions) {
		task := b.env.PollActivity(t, b.domain, b.actList)
		if aws.ToString(task.ActivityId) == "beating" {
			beating = aws.ToString(task.TaskToken)
		}
	}

	var beats atomic.Int64
	stop := make(chan struct{})
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := b.env.TryHeartbeat(beating, fmt.Sprint(i)); err != nil {
				errs <- err
				return
			}
			beats.Add(1)
		}
	}()
	// Each step moves the clock 1 s while heartbeats are in flight, then
	// lets one more heartbeat finish, so the beating task is never silent
	// for more than 2 s of fake time.
	for step := range 60 {
		n := beats.Load()
		b.env.Clock.Advance(time.Second)
		swftest.WaitFor(t, fmt.Sprintf("a heartbeat after step %d", step), func() bool {
			select {
			case err := <-errs:
				t.Fatalf("heartbeat while the clock moved: %v", err)
			default:
			}
			return beats.Load() > n
		})
	}
	close(stop)
	wait(t, &wg, "the heartbeating worker")

	events := b.history(t)
	if got := swftest.Count(events, types.EventTypeActivityTaskTimedOut); got != 10 {
		t.Fatalf("got %d timeouts, want the 10 silent tasks", got)
	}
	if got := b.describe(t).OpenCounts.OpenActivityTasks; got != 1 {
		t.Fatalf("got %d open activities, want only the beating one", got)
	}
	wantIDsNumbered(t, events)
}
