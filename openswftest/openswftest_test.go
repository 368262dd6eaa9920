package openswftest_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/openswf/openswf/openswftest"
)

var start = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// workflow registers a domain and a workflow type and starts an execution
// whose first decision task it answers with decisions.
func workflow(t *testing.T, srv *openswftest.Server, decisions ...types.Decision) *types.WorkflowExecution {
	t.Helper()
	ctx, c := t.Context(), srv.Client
	if _, err := c.RegisterDomain(ctx, &swf.RegisterDomainInput{Name: aws.String("d"), WorkflowExecutionRetentionPeriodInDays: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	wt := &types.WorkflowType{Name: aws.String("wf"), Version: aws.String("1")}
	if _, err := c.RegisterWorkflowType(ctx, &swf.RegisterWorkflowTypeInput{Domain: aws.String("d"), Name: wt.Name, Version: wt.Version,
		DefaultTaskList: &types.TaskList{Name: aws.String("decider")}, DefaultChildPolicy: types.ChildPolicyTerminate,
		DefaultExecutionStartToCloseTimeout: aws.String("86400"), DefaultTaskStartToCloseTimeout: aws.String("3600")}); err != nil {
		t.Fatal(err)
	}
	run, err := c.StartWorkflowExecution(ctx, &swf.StartWorkflowExecutionInput{Domain: aws.String("d"), WorkflowId: aws.String("w"), WorkflowType: wt})
	if err != nil {
		t.Fatal(err)
	}
	dt, err := c.PollForDecisionTask(ctx, &swf.PollForDecisionTaskInput{Domain: aws.String("d"), TaskList: &types.TaskList{Name: aws.String("decider")}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.RespondDecisionTaskCompleted(ctx, &swf.RespondDecisionTaskCompletedInput{TaskToken: dt.TaskToken, Decisions: decisions}); err != nil {
		t.Fatal(err)
	}
	return &types.WorkflowExecution{WorkflowId: aws.String("w"), RunId: run.RunId}
}

func startTimer(id, seconds string) types.Decision {
	return types.Decision{
		DecisionType:                 types.DecisionTypeStartTimer,
		StartTimerDecisionAttributes: &types.StartTimerDecisionAttributes{TimerId: aws.String(id), StartToFireTimeout: aws.String(seconds)},
	}
}

func history(t *testing.T, srv *openswftest.Server, we *types.WorkflowExecution) []types.HistoryEvent {
	t.Helper()
	out, err := srv.Client.GetWorkflowExecutionHistory(t.Context(), &swf.GetWorkflowExecutionHistoryInput{Domain: aws.String("d"), Execution: we})
	if err != nil {
		t.Fatal(err)
	}
	return out.Events
}

// firedTimers lists the timers that fired, in history order, with the
// time each fired.
func firedTimers(events []types.HistoryEvent) (ids []string, at []time.Time) {
	started := map[int64]string{}
	for _, ev := range events {
		if a := ev.TimerStartedEventAttributes; a != nil {
			started[ev.EventId] = aws.ToString(a.TimerId)
		}
		if a := ev.TimerFiredEventAttributes; a != nil {
			ids = append(ids, started[a.StartedEventId])
			at = append(at, aws.ToTime(ev.EventTimestamp))
		}
	}
	return ids, at
}

// Advance fires every deadline it passes, in deadline order and at its
// own time, and leaves later ones alone; Now follows.
func TestAdvance(t *testing.T) {
	t.Parallel()
	srv := openswftest.Start(t, openswftest.WithStartTime(start))
	if got := srv.Now(); !got.Equal(start) {
		t.Fatalf("Now() = %v, want the start time %v", got, start)
	}
	we := workflow(t, srv, startTimer("ten", "600"), startTimer("five", "300"), startTimer("twenty", "1200"))

	srv.Advance(15 * time.Minute)

	if got, want := srv.Now(), start.Add(15*time.Minute); !got.Equal(want) {
		t.Errorf("Now() = %v, want %v", got, want)
	}
	ids, at := firedTimers(history(t, srv, we))
	if len(ids) != 2 || ids[0] != "five" || ids[1] != "ten" {
		t.Fatalf("fired %v, want five then ten (and not twenty)", ids)
	}
	if !at[0].Equal(start.Add(5*time.Minute)) || !at[1].Equal(start.Add(10*time.Minute)) {
		t.Errorf("fired at %v, want start+5m and start+10m", at)
	}
}

// AdvanceTo moves to a time, and never back.
func TestAdvanceTo(t *testing.T) {
	t.Parallel()
	srv := openswftest.Start(t, openswftest.WithStartTime(start))
	we := workflow(t, srv, startTimer("hour", "3600"))
	srv.AdvanceTo(start.Add(-time.Hour))
	if got := srv.Now(); !got.Equal(start) {
		t.Errorf("Now() = %v after AdvanceTo an earlier time, want it unchanged at %v", got, start)
	}
	srv.AdvanceTo(start.Add(time.Hour))
	if ids, _ := firedTimers(history(t, srv, we)); len(ids) != 1 {
		t.Errorf("fired %v, want the hour's timer", ids)
	}
}

// Concurrent advances add up, and each deadline fires once.
func TestAdvanceConcurrently(t *testing.T) {
	t.Parallel()
	srv := openswftest.Start(t, openswftest.WithStartTime(start))
	var decisions []types.Decision
	for i := range 10 {
		decisions = append(decisions, startTimer(string(rune('a'+i)), fmt.Sprint((i+1)*10)))
	}
	we := workflow(t, srv, decisions...)
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { srv.Advance(10 * time.Second) })
	}
	wg.Wait()
	if got, want := srv.Now(), start.Add(100*time.Second); !got.Equal(want) {
		t.Errorf("Now() = %v, want %v", got, want)
	}
	ids, _ := firedTimers(history(t, srv, we))
	if len(ids) != 10 {
		t.Fatalf("fired %v, want all ten timers once", ids)
	}
	for i, id := range ids {
		if id != string(rune('a'+i)) {
			t.Fatalf("fired %v, want them in deadline order", ids)
		}
	}
}

// The server starts at the real time unless told otherwise; Close may be
// called more than once.
func TestStartAndClose(t *testing.T) {
	t.Parallel()
	before := time.Now()
	srv, err := openswftest.New()
	if err != nil {
		t.Fatal(err)
	}
	if now := srv.Now(); now.Before(before.Add(-time.Second)) || now.After(time.Now()) {
		t.Errorf("Now() = %v, want about the real time %v", now, before)
	}
	if _, err := srv.Client.ListDomains(t.Context(), &swf.ListDomainsInput{RegistrationStatus: types.RegistrationStatusRegistered}); err != nil {
		t.Fatalf("ListDomains: %v", err)
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := srv.Client.ListDomains(t.Context(), &swf.ListDomainsInput{RegistrationStatus: types.RegistrationStatusRegistered}); err == nil {
		t.Error("ListDomains after Close: got an answer, want the server gone")
	}
}
