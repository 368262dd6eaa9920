package e2e

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"
)

// loadTask is one activity task under load and what its worker goroutine
// did to it. Only that goroutine writes it until the load has stopped.
type loadTask struct {
	workflowID string
	runID      string
	token      string

	// completeAt, if set, is when the worker completes the task (after at
	// least one heartbeat); otherwise it heartbeats until the server dies.
	completeAt time.Time

	lastSent      int  // number n of the last heartbeat "hb-<n>" sent
	lastAcked     int  // number of the last heartbeat the server answered
	completeSent  bool // RespondActivityTaskCompleted was sent
	completeAcked bool // ... and answered: it must be in the history
	stopErr       error
}

func (lt *loadTask) result() string { return "done-" + lt.workflowID }

// TestKill9Durability kills the server with SIGKILL in the middle of a
// heartbeat and completion load, restarts it on the same data directory and
// checks that everything it acknowledged survived: every acknowledged
// completion is in its history exactly once, histories are numbered 1..n,
// and the activities left open, overdue when the server comes back, time
// out with heartbeat details at least as new as the last acknowledged ones.
func TestKill9Durability(t *testing.T) {
	skipIfShort(t)
	t.Parallel()
	const (
		n         = 20
		domain    = "durable"
		deciders  = "deciders"
		workers   = "workers"
		hbTimeout = 3 * time.Second
	)
	dataDir := t.TempDir()
	srv := startServer(t, dataDir)
	c := newClient(srv.url)
	ctx := context.Background()

	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.RegisterDomain(ctx, &swf.RegisterDomainInput{
		Name: aws.String(domain), WorkflowExecutionRetentionPeriodInDays: aws.String("1"),
	}))
	must(c.RegisterWorkflowType(ctx, &swf.RegisterWorkflowTypeInput{
		Domain: aws.String(domain), Name: aws.String("job"), Version: aws.String("1"),
		DefaultTaskList:                     &types.TaskList{Name: aws.String(deciders)},
		DefaultChildPolicy:                  types.ChildPolicyTerminate,
		DefaultExecutionStartToCloseTimeout: aws.String("900"),
		DefaultTaskStartToCloseTimeout:      aws.String("120"),
	}))
	must(c.RegisterActivityType(ctx, &swf.RegisterActivityTypeInput{
		Domain: aws.String(domain), Name: aws.String("work"), Version: aws.String("1"),
		DefaultTaskList:                   &types.TaskList{Name: aws.String(workers)},
		DefaultTaskHeartbeatTimeout:       aws.String(strconv.Itoa(int(hbTimeout / time.Second))),
		DefaultTaskScheduleToStartTimeout: aws.String("300"),
		DefaultTaskStartToCloseTimeout:    aws.String("600"),
		DefaultTaskScheduleToCloseTimeout: aws.String("900"),
	}))

	tasks := make(map[string]*loadTask, n)
	for i := range n {
		id := fmt.Sprintf("wf-%02d", i)
		out, err := c.StartWorkflowExecution(ctx, &swf.StartWorkflowExecutionInput{
			Domain: aws.String(domain), WorkflowId: aws.String(id),
			WorkflowType: &types.WorkflowType{Name: aws.String("job"), Version: aws.String("1")},
		})
		if err != nil {
			t.Fatal(err)
		}
		tasks[id] = &loadTask{workflowID: id, runID: aws.ToString(out.RunId)}
	}
	for range n {
		dt, err := c.PollForDecisionTask(ctx, &swf.PollForDecisionTaskInput{
			Domain: aws.String(domain), TaskList: &types.TaskList{Name: aws.String(deciders)},
		})
		if err != nil || aws.ToString(dt.TaskToken) == "" {
			t.Fatalf("poll for decision task: token %q, err %v", aws.ToString(dt.TaskToken), err)
		}
		id := aws.ToString(dt.WorkflowExecution.WorkflowId)
		must(c.RespondDecisionTaskCompleted(ctx, &swf.RespondDecisionTaskCompletedInput{
			TaskToken: dt.TaskToken,
			Decisions: []types.Decision{{
				DecisionType: types.DecisionTypeScheduleActivityTask,
				ScheduleActivityTaskDecisionAttributes: &types.ScheduleActivityTaskDecisionAttributes{
					ActivityId:   aws.String("act-" + id),
					ActivityType: &types.ActivityType{Name: aws.String("work"), Version: aws.String("1")},
					Input:        aws.String(id),
				},
			}},
		}))
	}

	// The load: one worker per task, started as soon as it has its task
	// (the heartbeat clock runs from the start), writing "hb-1", "hb-2", ...
	// and, for half of them, completing at last.
	var (
		wg              sync.WaitGroup
		ackedHeartbeats atomic.Int64
		ackedCompletes  atomic.Int64
		completers      int
	)
	worker := func(lt *loadTask) {
		defer wg.Done()
		call := func(f func(ctx context.Context) error) error {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			return f(ctx)
		}
		for {
			if !lt.completeAt.IsZero() && lt.lastAcked > 0 && time.Now().After(lt.completeAt) {
				lt.completeSent = true
				lt.stopErr = call(func(ctx context.Context) error {
					_, err := c.RespondActivityTaskCompleted(ctx, &swf.RespondActivityTaskCompletedInput{
						TaskToken: aws.String(lt.token), Result: aws.String(lt.result()),
					})
					return err
				})
				if lt.stopErr == nil {
					lt.completeAcked = true
					ackedCompletes.Add(1)
				}
				return
			}
			lt.lastSent++
			lt.stopErr = call(func(ctx context.Context) error {
				_, err := c.RecordActivityTaskHeartbeat(ctx, &swf.RecordActivityTaskHeartbeatInput{
					TaskToken: aws.String(lt.token), Details: aws.String(fmt.Sprintf("hb-%d", lt.lastSent)),
				})
				return err
			})
			if lt.stopErr != nil {
				return
			}
			lt.lastAcked = lt.lastSent
			ackedHeartbeats.Add(1)
		}
	}
	// If the test fails before the kill, this stops the load.
	t.Cleanup(func() {
		if !srv.killed {
			srv.kill()
		}
		wg.Wait()
	})
	// Half the tasks complete, one every 200 ms of load, so that some
	// completions are acknowledged long before the kill and others are
	// still to come (or in flight) when it lands.
	loadStart := time.Now()
	for i := range n {
		at, err := c.PollForActivityTask(ctx, &swf.PollForActivityTaskInput{
			Domain: aws.String(domain), TaskList: &types.TaskList{Name: aws.String(workers)},
		})
		if err != nil || aws.ToString(at.TaskToken) == "" {
			t.Fatalf("poll for activity task: token %q, err %v", aws.ToString(at.TaskToken), err)
		}
		lt := tasks[aws.ToString(at.WorkflowExecution.WorkflowId)]
		if lt == nil || lt.token != "" {
			t.Fatalf("poll for activity task: unexpected task of %s", aws.ToString(at.WorkflowExecution.WorkflowId))
		}
		lt.token = aws.ToString(at.TaskToken)
		if i%2 == 0 {
			lt.completeAt = loadStart.Add(time.Duration(i) * 100 * time.Millisecond)
			completers++
		}
		wg.Add(1)
		go worker(lt)
	}

	// Kill after a second of load, once half the completions and plenty of
	// heartbeats are in, with completions and heartbeats still coming.
	waitFor(t, 30*time.Second, 10*time.Millisecond, "load to get going", func() (bool, error) {
		return time.Since(loadStart) >= time.Second && ackedCompletes.Load() >= int64(completers/2) &&
			ackedHeartbeats.Load() >= 10*n, nil
	})
	srv.kill()
	killedAt := time.Now()
	stopped := make(chan struct{})
	go func() { wg.Wait(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(30 * time.Second):
		t.Fatal("workers still calling 30 s after the kill")
	}
	t.Logf("killed after %v of load: %d heartbeats and %d completions acknowledged",
		killedAt.Sub(loadStart).Round(time.Millisecond), ackedHeartbeats.Load(), ackedCompletes.Load())
	for _, lt := range tasks {
		if lt.stopErr == nil && !lt.completeAcked {
			t.Fatalf("%s: worker stopped without an error", lt.workflowID)
		}
		if lt.stopErr != nil && isFault(lt.stopErr) {
			// A fault is an answer, not a failed connection: before the
			// kill, nothing should have been refused.
			t.Errorf("%s: worker stopped on a fault before the kill: %v", lt.workflowID, lt.stopErr)
		}
	}

	// Stay down longer than the heartbeat timeout, as after a real outage:
	// the restarted server finds every open activity overdue and must time
	// it out at once, with the details it had stored.
	<-time.After(time.Until(killedAt.Add(hbTimeout + 500*time.Millisecond)))
	srv2 := startServer(t, dataDir)
	c = newClient(srv2.url)
	restarted := time.Now()
	hist := make(map[string][]types.HistoryEvent, n)
	waitFor(t, 20*time.Second, 200*time.Millisecond, "every activity to close after the restart", func() (bool, error) {
		for id, lt := range tasks {
			events, err := history(ctx, c, domain, &types.WorkflowExecution{WorkflowId: aws.String(id), RunId: aws.String(lt.runID)})
			if err != nil {
				return false, err
			}
			hist[id] = events
			if len(eventsOf(events, types.EventTypeActivityTaskCompleted))+len(eventsOf(events, types.EventTypeActivityTaskTimedOut)) == 0 {
				return false, nil
			}
		}
		return true, nil
	})
	t.Logf("every activity closed %v after the restart", time.Since(restarted).Round(time.Millisecond))

	// Calls in flight at the kill may or may not have landed; counted for
	// the log.
	var completedSeen, timedOutSeen, inFlightCompletes, inFlightLanded, newerDetails int
	for id, lt := range tasks {
		events := hist[id]
		checkEventIDs(t, id, sdkEventIDs(events))
		if got := len(eventsOf(events, types.EventTypeActivityTaskScheduled)); got != 1 {
			t.Errorf("%s: %d ActivityTaskScheduled events, want 1", id, got)
		}
		if got := len(eventsOf(events, types.EventTypeActivityTaskStarted)); got != 1 {
			t.Errorf("%s: %d ActivityTaskStarted events, want 1", id, got)
		}
		completed := eventsOf(events, types.EventTypeActivityTaskCompleted)
		timedOut := eventsOf(events, types.EventTypeActivityTaskTimedOut)
		if len(completed)+len(timedOut) != 1 {
			t.Errorf("%s: %d ActivityTaskCompleted and %d ActivityTaskTimedOut events, want one closing event", id, len(completed), len(timedOut))
			continue
		}
		switch {
		case lt.completeAcked && len(completed) != 1:
			t.Errorf("%s: completion acknowledged, but the activity closed with %s", id, timedOut[0].EventType)
		case len(completed) == 1:
			completedSeen++
			if !lt.completeAcked && lt.completeSent {
				inFlightLanded++
			}
			if !lt.completeSent {
				t.Errorf("%s: ActivityTaskCompleted, but no worker completed it", id)
			}
			if got := aws.ToString(completed[0].ActivityTaskCompletedEventAttributes.Result); got != lt.result() {
				t.Errorf("%s: completed with result %q, want %q", id, got, lt.result())
			}
		default:
			timedOutSeen++
			a := timedOut[0].ActivityTaskTimedOutEventAttributes
			if a.TimeoutType != types.ActivityTaskTimeoutTypeHeartbeat {
				t.Errorf("%s: timed out with %s, want HEARTBEAT", id, a.TimeoutType)
			}
			got, err := heartbeatNumber(a.Details)
			switch {
			case err != nil:
				t.Errorf("%s: timed-out details: %v", id, err)
			case got < lt.lastAcked:
				t.Errorf("%s: timed out with details hb-%d, older than the last acknowledged heartbeat hb-%d", id, got, lt.lastAcked)
			case got > lt.lastSent:
				t.Errorf("%s: timed out with details hb-%d, but the worker only sent up to hb-%d", id, got, lt.lastSent)
			case got > lt.lastAcked:
				newerDetails++
			}
		}
	}
	for _, lt := range tasks {
		if lt.completeSent && !lt.completeAcked {
			inFlightCompletes++
		}
	}
	t.Logf("%d activities completed, %d timed out; %d of %d completions in flight at the kill landed; "+
		"%d timed-out activities kept a heartbeat that was in flight", completedSeen, timedOutSeen,
		inFlightLanded, inFlightCompletes, newerDetails)

	// The restarted server carries on: each execution has a decision task
	// (the activity's closing scheduled it), and the deciders close them all.
	closed := make(map[string]bool, n)
	for range n {
		pctx, cancel := context.WithTimeout(ctx, 70*time.Second)
		dt, err := c.PollForDecisionTask(pctx, &swf.PollForDecisionTaskInput{
			Domain: aws.String(domain), TaskList: &types.TaskList{Name: aws.String(deciders)},
		})
		cancel()
		if err != nil || aws.ToString(dt.TaskToken) == "" {
			t.Fatalf("after restart, poll for decision task: token %q, err %v (closed %d of %d)", aws.ToString(dt.TaskToken), err, len(closed), n)
		}
		id := aws.ToString(dt.WorkflowExecution.WorkflowId)
		if closed[id] {
			t.Fatalf("after restart, a second decision task for %s", id)
		}
		closed[id] = true
		must(c.RespondDecisionTaskCompleted(ctx, &swf.RespondDecisionTaskCompletedInput{
			TaskToken: dt.TaskToken,
			Decisions: []types.Decision{{DecisionType: types.DecisionTypeCompleteWorkflowExecution}},
		}))
	}
	for id, lt := range tasks {
		out, err := c.DescribeWorkflowExecution(ctx, &swf.DescribeWorkflowExecutionInput{
			Domain: aws.String(domain), Execution: &types.WorkflowExecution{WorkflowId: aws.String(id), RunId: aws.String(lt.runID)},
		})
		if err != nil {
			t.Fatal(err)
		}
		if out.ExecutionInfo.CloseStatus != types.CloseStatusCompleted {
			t.Errorf("%s: close status %q, want COMPLETED", id, out.ExecutionInfo.CloseStatus)
		}
	}
}

// heartbeatNumber reads n from details "hb-<n>".
func heartbeatNumber(details *string) (int, error) {
	if details == nil {
		return 0, nil
	}
	s, ok := strings.CutPrefix(*details, "hb-")
	if !ok {
		return 0, fmt.Errorf("got %q, want hb-<n>", *details)
	}
	return strconv.Atoi(s)
}

// isFault reports whether err is an answer from the service (an API
// error) rather than a failed connection.
func isFault(err error) bool {
	var re interface{ ErrorCode() string }
	return errors.As(err, &re)
}
