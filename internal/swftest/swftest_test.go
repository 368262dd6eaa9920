package swftest

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
)

// TestRestartOnSameData checks the restart recipe the conformance suite
// relies on: close one Env, start another on its data directory with a
// later clock.
func TestRestartOnSameData(t *testing.T) {
	t.Parallel()
	env := Start(t)
	if !env.Clock.Now().Equal(Epoch) {
		t.Fatalf("clock starts at %v, want %v", env.Clock.Now(), Epoch)
	}
	d := env.Domain(t)
	env.Close(t)
	env.Close(t) // a second Close is a no-op

	later := Epoch.Add(time.Hour)
	env2 := Start(t, WithDataDir(env.DataDir), WithClockAt(later))
	if !env2.Clock.Now().Equal(later) {
		t.Fatalf("clock starts at %v, want %v", env2.Clock.Now(), later)
	}
	if env2.URL == env.URL {
		t.Fatalf("second server reuses %s; want a fresh port", env.URL)
	}
	if _, err := env2.SWF.DescribeDomain(Ctx(t), &swf.DescribeDomainInput{Name: aws.String(d)}); err != nil {
		t.Fatalf("domain registered before the restart: %v", err)
	}
}

// TestWorkflowRoundTrip drives one execution through the fixtures.
func TestWorkflowRoundTrip(t *testing.T) {
	t.Parallel()
	env := Start(t)
	d := env.Domain(t)
	wt := env.WorkflowType(t, d)
	at := env.ActivityType(t, d, "a", ActivityDefaults("work"))
	wfID, runID := env.Start(t, d, wt)
	task := env.PollDecision(t, d, DecisionTaskList)
	env.Decide(t, aws.ToString(task.TaskToken), ScheduleActivity("a1", at, Input("in")))
	act := env.PollActivity(t, d, "work")
	if env.Heartbeat(t, aws.ToString(act.TaskToken), "half") {
		t.Fatalf("got cancelRequested true, want false")
	}
	if _, err := env.SWF.RespondActivityTaskCompleted(Ctx(t), &swf.RespondActivityTaskCompletedInput{TaskToken: act.TaskToken}); err != nil {
		t.Fatalf("RespondActivityTaskCompleted: %v", err)
	}
	task = env.PollDecision(t, d, DecisionTaskList)
	env.Decide(t, aws.ToString(task.TaskToken), CompleteWorkflow("ok"))
	got := env.EventTypes(t, d, wfID, runID)
	if n := len(got); n != 11 || got[n-1] != "WorkflowExecutionCompleted" {
		t.Fatalf("got history %v, want 11 events ending WorkflowExecutionCompleted", got)
	}
}
