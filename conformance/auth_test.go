package conformance_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/openswf/openswf/internal/auth"
	"github.com/openswf/openswf/internal/swftest"
)

// The principals of these tests: an administrator (the Env's own client),
// docs/security.md's worker and decider, and a worker confined to domain
// "other".
var testCredentials = fmt.Sprintf(`{
  "accountId": "123456789012",
  "principals": [
    {"name": "admin", "accessKeyId": "AKID", "secretAccessKey": "SECRET",
     "policies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "swf:*", "Resource": "*"}]}]},
    {"name": "worker", "accessKeyId": "WORKER", "secretAccessKey": "worker-secret", "policies": [%s]},
    {"name": "decider", "accessKeyId": "DECIDER", "secretAccessKey": "decider-secret", "policies": [%s]},
    {"name": "other-worker", "accessKeyId": "OTHER", "secretAccessKey": "other-secret",
     "policies": [{"Version": "2012-10-17", "Statement": [
       {"Effect": "Allow", "Action": ["swf:PollForActivityTask", "swf:RecordActivityTaskHeartbeat", "swf:RespondActivityTask*"],
        "Resource": "arn:aws:swf:*:123456789012:/domain/other"}]}]}
  ]
}`, auth.ExampleWorkerPolicy, auth.ExampleDeciderPolicy)

type authBundle struct {
	env             *swftest.Env
	worker, decider *swf.Client
	other           *swf.Client
}

// setupAuth starts a server that requires signatures, with domains "prod"
// and "other", each with a workflow type and the activity types "resize"
// and "crop" on task list "images".
func setupAuth(t *testing.T) *authBundle {
	creds, err := auth.Parse([]byte(testCredentials))
	if err != nil {
		t.Fatal(err)
	}
	// Signatures carry the client's real time, so the fake clock starts now.
	env := swftest.Start(t, swftest.WithAuth(creds), swftest.WithClockAt(time.Now()))
	ctx := swftest.Ctx(t)
	for _, d := range []string{"prod", "other"} {
		if _, err := env.SWF.RegisterDomain(ctx, &swf.RegisterDomainInput{Name: aws.String(d), WorkflowExecutionRetentionPeriodInDays: aws.String("1")}); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"resize", "crop"} {
			env.ActivityType(t, d, name, swftest.ActivityDefaults("images"))
		}
	}
	return &authBundle{
		env:     env,
		worker:  swftest.NewClientAs(env.URL, "WORKER", "worker-secret"),
		decider: swftest.NewClientAs(env.URL, "DECIDER", "decider-secret"),
		other:   swftest.NewClientAs(env.URL, "OTHER", "other-secret"),
	}
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	b := setupAuth(t)
	ctx := swftest.Ctx(t)
	list := func(c *swf.Client) error {
		_, err := c.ListDomains(ctx, &swf.ListDomainsInput{RegistrationStatus: types.RegistrationStatusRegistered})
		return err
	}
	t.Run("GoodSignature", func(t *testing.T) {
		if err := list(b.env.SWF); err != nil {
			t.Fatalf("got %v, want the administrator's call to succeed", err)
		}
	})
	for name, tc := range map[string]struct {
		client *swf.Client
		code   string
	}{
		"WrongSecret": {swftest.NewClientAs(b.env.URL, "AKID", "not-the-secret"), "InvalidSignatureException"},
		"UnknownKey":  {swftest.NewClientAs(b.env.URL, "NOBODY", "whatever"), "UnrecognizedClientException"},
	} {
		t.Run(name, func(t *testing.T) {
			if code := swftest.ErrorCode(list(tc.client)); code != tc.code {
				t.Fatalf("got %q, want %s", code, tc.code)
			}
		})
	}
	t.Run("Unsigned", func(t *testing.T) {
		resp := b.env.Raw(t, "ListDomains", []byte(`{"registrationStatus":"REGISTERED"}`))
		if !strings.HasSuffix(resp.Type(), "#MissingAuthenticationTokenException") {
			t.Fatalf("got %q, want MissingAuthenticationTokenException", resp.Type())
		}
	})
	t.Run("RefusedCallChangesNothing", func(t *testing.T) {
		bad := swftest.NewClientAs(b.env.URL, "AKID", "not-the-secret")
		_, err := bad.RegisterDomain(ctx, &swf.RegisterDomainInput{Name: aws.String("sneaky"), WorkflowExecutionRetentionPeriodInDays: aws.String("1")})
		if err == nil {
			t.Fatal("got success with a wrong secret, want a refusal")
		}
		_, err = b.env.SWF.DescribeDomain(ctx, &swf.DescribeDomainInput{Name: aws.String("sneaky")})
		swftest.Fault[*types.UnknownResourceFault](t, err)
	})
	// Last: the fake clock cannot go back.
	t.Run("ExpiredDate", func(t *testing.T) {
		// The server's clock is 20 minutes past the client's signing time.
		b.env.Clock.Set(time.Now().Add(20 * time.Minute))
		err := list(b.env.SWF)
		if code := swftest.ErrorCode(err); code != "InvalidSignatureException" || !strings.Contains(err.Error(), "Signature expired") {
			t.Fatalf("got %v, want InvalidSignatureException (Signature expired)", err)
		}
	})
}

// The worked examples of docs/security.md, through the real SDK.
func TestSecurityExamples(t *testing.T) {
	t.Parallel()
	b := setupAuth(t)
	env := b.env
	ctx := swftest.Ctx(t)
	wt := env.WorkflowType(t, "prod")
	wfID, runID := env.Start(t, "prod", wt)

	// The decider may poll in prod but not in other.
	_, err := b.decider.PollForDecisionTask(ctx, &swf.PollForDecisionTaskInput{Domain: aws.String("other"), TaskList: &types.TaskList{Name: aws.String(swftest.DecisionTaskList)}})
	swftest.Fault[*types.OperationNotPermittedFault](t, err)
	task, err := b.decider.PollForDecisionTask(ctx, &swf.PollForDecisionTaskInput{Domain: aws.String("prod"), TaskList: &types.TaskList{Name: aws.String(swftest.DecisionTaskList)}})
	if err != nil || aws.ToString(task.TaskToken) == "" {
		t.Fatalf("got %v, want a decision task", err)
	}
	resize := types.ActivityType{Name: aws.String("resize"), Version: aws.String("1")}
	crop := types.ActivityType{Name: aws.String("crop"), Version: aws.String("1")}
	_, err = b.decider.RespondDecisionTaskCompleted(ctx, &swf.RespondDecisionTaskCompletedInput{TaskToken: task.TaskToken, Decisions: []types.Decision{
		swftest.ScheduleActivity("a1", resize), swftest.ScheduleActivity("a2", crop), swftest.StartTimer("t1", "60"),
	}})
	if err != nil {
		t.Fatalf("RespondDecisionTaskCompleted: %v", err)
	}
	h := env.History(t, "prod", wfID, runID)
	var scheduled []string
	causes := map[string]string{}
	for _, ev := range h {
		if a := ev.ActivityTaskScheduledEventAttributes; a != nil {
			scheduled = append(scheduled, aws.ToString(a.ActivityId))
		}
		if a := ev.ScheduleActivityTaskFailedEventAttributes; a != nil {
			causes[aws.ToString(a.ActivityId)] = string(a.Cause)
		}
		if a := ev.StartTimerFailedEventAttributes; a != nil {
			causes[aws.ToString(a.TimerId)] = string(a.Cause)
		}
	}
	if len(scheduled) != 1 || scheduled[0] != "a1" || causes["a2"] != "OPERATION_NOT_PERMITTED" || causes["t1"] != "OPERATION_NOT_PERMITTED" {
		t.Fatalf("got scheduled %v and failures %v, want a1 scheduled and a2, t1 OPERATION_NOT_PERMITTED", scheduled, causes)
	}

	// The worker polls and heartbeats in prod; it may not start executions.
	at, err := b.worker.PollForActivityTask(ctx, &swf.PollForActivityTaskInput{Domain: aws.String("prod"), TaskList: &types.TaskList{Name: aws.String("images")}})
	if err != nil || aws.ToString(at.TaskToken) == "" {
		t.Fatalf("got %v, want the resize task", err)
	}
	if _, err := b.worker.RecordActivityTaskHeartbeat(ctx, &swf.RecordActivityTaskHeartbeatInput{TaskToken: at.TaskToken, Details: aws.String("10%")}); err != nil {
		t.Fatalf("worker heartbeat: %v", err)
	}
	_, err = b.worker.StartWorkflowExecution(ctx, &swf.StartWorkflowExecutionInput{Domain: aws.String("prod"), WorkflowId: aws.String("w"), WorkflowType: &wt})
	swftest.Fault[*types.OperationNotPermittedFault](t, err)

	// A worker of domain "other" holding prod's token may not use it.
	_, err = b.other.RecordActivityTaskHeartbeat(ctx, &swf.RecordActivityTaskHeartbeatInput{TaskToken: at.TaskToken})
	swftest.Fault[*types.OperationNotPermittedFault](t, err)
	_, err = b.other.RespondActivityTaskCompleted(ctx, &swf.RespondActivityTaskCompletedInput{TaskToken: at.TaskToken})
	swftest.Fault[*types.OperationNotPermittedFault](t, err)
	// An altered token is refused as unknown, whoever sends it.
	tok := aws.ToString(at.TaskToken)
	flipped := tok[:len(tok)/2] + string(rune(tok[len(tok)/2]^1)) + tok[len(tok)/2+1:]
	_, err = b.worker.RecordActivityTaskHeartbeat(ctx, &swf.RecordActivityTaskHeartbeatInput{TaskToken: aws.String(flipped)})
	swftest.Fault[*types.UnknownResourceFault](t, err)
	// The task is still the worker's to complete.
	if _, err := b.worker.RespondActivityTaskCompleted(ctx, &swf.RespondActivityTaskCompletedInput{TaskToken: at.TaskToken, Result: aws.String("done")}); err != nil {
		t.Fatalf("worker complete: %v", err)
	}
	if got := eventOf(t, env.History(t, "prod", wfID, runID), types.EventTypeActivityTaskCompleted).ActivityTaskCompletedEventAttributes; aws.ToString(got.Result) != "done" {
		t.Fatalf("got result %q, want done", aws.ToString(got.Result))
	}
}

// A decider may mark but not close: RecordMarker and CompleteWorkflowExecution
// each fail with OPERATION_NOT_PERMITTED when denied.
func TestDecisionDenials(t *testing.T) {
	t.Parallel()
	b := setupAuth(t)
	env := b.env
	wt := env.WorkflowType(t, "prod")
	wfID, runID := env.Start(t, "prod", wt)
	task := env.PollDecision(t, "prod", swftest.DecisionTaskList)
	_, err := b.decider.RespondDecisionTaskCompleted(swftest.Ctx(t), &swf.RespondDecisionTaskCompletedInput{TaskToken: task.TaskToken,
		Decisions: []types.Decision{swftest.RecordMarker("m", ""), swftest.CompleteWorkflow("x")}})
	if err != nil {
		t.Fatal(err)
	}
	h := env.History(t, "prod", wfID, runID)
	if a := eventOf(t, h, types.EventTypeRecordMarkerFailed).RecordMarkerFailedEventAttributes; a.Cause != types.RecordMarkerFailedCauseOperationNotPermitted {
		t.Fatalf("got %s, want OPERATION_NOT_PERMITTED", a.Cause)
	}
	if a := eventOf(t, h, types.EventTypeCompleteWorkflowExecutionFailed).CompleteWorkflowExecutionFailedEventAttributes; a.Cause != types.CompleteWorkflowExecutionFailedCauseOperationNotPermitted {
		t.Fatalf("got %s, want OPERATION_NOT_PERMITTED", a.Cause)
	}
}
