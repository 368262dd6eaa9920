package conformance

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/openswf/openswf/internal/auth"
	"github.com/openswf/openswf/internal/swftest"
)

// TestFaultMessages checks each fault message that copies AWS's wording
// (frameworks match on them): the fault's code and the exact message. The
// source of each wording is in docs/compatibility.md, "Fault messages".
func TestFaultMessages(t *testing.T) {
	t.Parallel()
	// startedActivity is a fresh server whose execution has a started
	// activity: its task token and its ActivityTaskScheduled event id.
	startedActivity := func(t *testing.T) (b *bundle, token string, scheduledID int64) {
		b = setup(t)
		task := b.startActivity(t, "a1")
		scheduled := swftest.Last(t, b.history(t), types.EventTypeActivityTaskScheduled)
		return b, aws.ToString(task.TaskToken), scheduled.EventId
	}
	terminate := func(t *testing.T, b *bundle) {
		t.Helper()
		if _, err := b.env.SWF.TerminateWorkflowExecution(swftest.Ctx(t), &swf.TerminateWorkflowExecutionInput{
			Domain: aws.String(b.domain), WorkflowId: aws.String(b.wfID), RunId: aws.String(b.runID),
		}); err != nil {
			t.Fatalf("TerminateWorkflowExecution: %v", err)
		}
	}
	unknownExecution := func(b *bundle) string {
		return fmt.Sprintf("Unknown execution: WorkflowExecution=[workflowId=%s, runId=%s]", b.wfID, b.runID)
	}
	// startNoDefaults starts a workflow type registered without defaults,
	// with the settings opt gives.
	startNoDefaults := func(t *testing.T, opt func(*swf.StartWorkflowExecutionInput)) error {
		b := newBundle(t)
		wt := b.env.WorkflowType(t, b.domain, func(in *swf.RegisterWorkflowTypeInput) {
			in.DefaultTaskList, in.DefaultChildPolicy = nil, ""
			in.DefaultExecutionStartToCloseTimeout, in.DefaultTaskStartToCloseTimeout = nil, nil
		})
		in := &swf.StartWorkflowExecutionInput{Domain: aws.String(b.domain), WorkflowId: aws.String("w"), WorkflowType: &wt}
		opt(in)
		_, err := b.env.SWF.StartWorkflowExecution(swftest.Ctx(t), in)
		return err
	}
	typeName := func(kind string, name, version *string) string {
		return fmt.Sprintf("%s=[name=%s, version=%s]", kind, aws.ToString(name), aws.ToString(version))
	}
	listClosed := func(t *testing.T, b *bundle, in *swf.ListClosedWorkflowExecutionsInput) error {
		in.Domain = aws.String(b.domain)
		_, err := b.env.SWF.ListClosedWorkflowExecutions(swftest.Ctx(t), in)
		return err
	}
	since := func() *types.ExecutionTimeFilter {
		return &types.ExecutionTimeFilter{OldestDate: aws.Time(swftest.Epoch.Add(-time.Hour))}
	}

	for _, tc := range []struct {
		name string
		code string
		// run provokes the fault and returns it with the message AWS gives.
		run func(t *testing.T) (err error, want string)
	}{
		{"RegisterActivityTypeTwice", "TypeAlreadyExistsFault", func(t *testing.T) (error, string) {
			b := newBundle(t)
			_, err := b.env.SWF.RegisterActivityType(swftest.Ctx(t), &swf.RegisterActivityTypeInput{
				Domain: aws.String(b.domain), Name: b.at.Name, Version: b.at.Version,
			})
			return err, typeName("ActivityType", b.at.Name, b.at.Version)
		}},
		{"RegisterWorkflowTypeTwice", "TypeAlreadyExistsFault", func(t *testing.T) (error, string) {
			b := newBundle(t)
			_, err := b.env.SWF.RegisterWorkflowType(swftest.Ctx(t), &swf.RegisterWorkflowTypeInput{
				Domain: aws.String(b.domain), Name: b.wt.Name, Version: b.wt.Version,
			})
			return err, typeName("WorkflowType", b.wt.Name, b.wt.Version)
		}},
		{"UndeprecateRegisteredType", "TypeAlreadyExistsFault", func(t *testing.T) (error, string) {
			b := newBundle(t)
			_, err := b.env.SWF.UndeprecateActivityType(swftest.Ctx(t), &swf.UndeprecateActivityTypeInput{
				Domain: aws.String(b.domain), ActivityType: &b.at,
			})
			return err, typeName("ActivityType", b.at.Name, b.at.Version)
		}},
		{"DeprecateTypeTwice", "TypeDeprecatedFault", func(t *testing.T) (error, string) {
			b := newBundle(t)
			ctx := swftest.Ctx(t)
			in := &swf.DeprecateWorkflowTypeInput{Domain: aws.String(b.domain), WorkflowType: &b.wt}
			if _, err := b.env.SWF.DeprecateWorkflowType(ctx, in); err != nil {
				t.Fatalf("DeprecateWorkflowType: %v", err)
			}
			_, err := b.env.SWF.DeprecateWorkflowType(ctx, in)
			return err, typeName("WorkflowType", b.wt.Name, b.wt.Version)
		}},
		{"StartDeprecatedType", "TypeDeprecatedFault", func(t *testing.T) (error, string) {
			b := newBundle(t)
			ctx := swftest.Ctx(t)
			if _, err := b.env.SWF.DeprecateWorkflowType(ctx, &swf.DeprecateWorkflowTypeInput{Domain: aws.String(b.domain), WorkflowType: &b.wt}); err != nil {
				t.Fatalf("DeprecateWorkflowType: %v", err)
			}
			_, err := b.env.SWF.StartWorkflowExecution(ctx, &swf.StartWorkflowExecutionInput{
				Domain: aws.String(b.domain), WorkflowId: aws.String("w"), WorkflowType: &b.wt,
			})
			return err, typeName("WorkflowType", b.wt.Name, b.wt.Version)
		}},
		{"UnknownActivityType", "UnknownResourceFault", func(t *testing.T) (error, string) {
			b := newBundle(t)
			at := types.ActivityType{Name: aws.String("nope"), Version: aws.String("7")}
			_, err := b.env.SWF.DescribeActivityType(swftest.Ctx(t), &swf.DescribeActivityTypeInput{Domain: aws.String(b.domain), ActivityType: &at})
			return err, "Unknown type: ActivityType=[name=nope, version=7]"
		}},
		{"UnknownWorkflowType", "UnknownResourceFault", func(t *testing.T) (error, string) {
			b := newBundle(t)
			wt := types.WorkflowType{Name: aws.String("nope"), Version: aws.String("7")}
			_, err := b.env.SWF.StartWorkflowExecution(swftest.Ctx(t), &swf.StartWorkflowExecutionInput{
				Domain: aws.String(b.domain), WorkflowId: aws.String("w"), WorkflowType: &wt,
			})
			return err, "Unknown type: WorkflowType=[name=nope, version=7]"
		}},
		{"UnknownExecution", "UnknownResourceFault", func(t *testing.T) (error, string) {
			b := newBundle(t)
			_, err := b.env.SWF.DescribeWorkflowExecution(swftest.Ctx(t), &swf.DescribeWorkflowExecutionInput{
				Domain: aws.String(b.domain), Execution: &types.WorkflowExecution{WorkflowId: aws.String("w1"), RunId: aws.String("r1")},
			})
			return err, "Unknown execution: WorkflowExecution=[workflowId=w1, runId=r1]"
		}},
		{"UnknownExecutionByWorkflowID", "UnknownResourceFault", func(t *testing.T) (error, string) {
			b := newBundle(t)
			_, err := b.env.SWF.SignalWorkflowExecution(swftest.Ctx(t), &swf.SignalWorkflowExecutionInput{
				Domain: aws.String(b.domain), WorkflowId: aws.String("w1"), SignalName: aws.String("s"),
			})
			return err, "Unknown execution, workflowId = w1"
		}},
		{"UnknownDomain", "UnknownResourceFault", func(t *testing.T) (error, string) {
			b := newBundle(t)
			_, err := b.env.SWF.DescribeDomain(swftest.Ctx(t), &swf.DescribeDomainInput{Name: aws.String("nowhere")})
			return err, "Unknown domain: nowhere"
		}},
		{"HeartbeatClosedActivity", "UnknownResourceFault", func(t *testing.T) (error, string) {
			b, token, scheduled := startedActivity(t)
			if _, err := b.env.SWF.RespondActivityTaskCompleted(swftest.Ctx(t), &swf.RespondActivityTaskCompletedInput{TaskToken: aws.String(token)}); err != nil {
				t.Fatalf("RespondActivityTaskCompleted: %v", err)
			}
			_, err := b.env.TryHeartbeat(token, "")
			return err, fmt.Sprintf("Unknown activity, scheduledEventId = %d", scheduled)
		}},
		{"CompleteClosedActivity", "UnknownResourceFault", func(t *testing.T) (error, string) {
			b, token, scheduled := startedActivity(t)
			ctx := swftest.Ctx(t)
			if _, err := b.env.SWF.RespondActivityTaskFailed(ctx, &swf.RespondActivityTaskFailedInput{TaskToken: aws.String(token)}); err != nil {
				t.Fatalf("RespondActivityTaskFailed: %v", err)
			}
			_, err := b.env.SWF.RespondActivityTaskCompleted(ctx, &swf.RespondActivityTaskCompletedInput{TaskToken: aws.String(token)})
			return err, fmt.Sprintf("Unknown activity, scheduledEventId = %d", scheduled)
		}},
		{"HeartbeatClosedExecution", "UnknownResourceFault", func(t *testing.T) (error, string) {
			b, token, _ := startedActivity(t)
			terminate(t, b)
			_, err := b.env.TryHeartbeat(token, "")
			return err, unknownExecution(b)
		}},
		{"CompleteActivityOfClosedExecution", "UnknownResourceFault", func(t *testing.T) (error, string) {
			b, token, _ := startedActivity(t)
			terminate(t, b)
			_, err := b.env.SWF.RespondActivityTaskCompleted(swftest.Ctx(t), &swf.RespondActivityTaskCompletedInput{TaskToken: aws.String(token)})
			return err, unknownExecution(b)
		}},
		{"DefaultUndefinedExecutionTimeout", "DefaultUndefinedFault", func(t *testing.T) (error, string) {
			return startNoDefaults(t, func(in *swf.StartWorkflowExecutionInput) {}), "executionStartToCloseTimeout"
		}},
		{"DefaultUndefinedTaskList", "DefaultUndefinedFault", func(t *testing.T) (error, string) {
			return startNoDefaults(t, func(in *swf.StartWorkflowExecutionInput) {
				in.ExecutionStartToCloseTimeout = aws.String("60")
			}), "taskList"
		}},
		{"DefaultUndefinedTaskTimeout", "DefaultUndefinedFault", func(t *testing.T) (error, string) {
			return startNoDefaults(t, func(in *swf.StartWorkflowExecutionInput) {
				in.ExecutionStartToCloseTimeout = aws.String("60")
				in.TaskList = &types.TaskList{Name: aws.String("tl")}
			}), "taskStartToCloseTimeout"
		}},
		{"DefaultUndefinedChildPolicy", "DefaultUndefinedFault", func(t *testing.T) (error, string) {
			return startNoDefaults(t, func(in *swf.StartWorkflowExecutionInput) {
				in.ExecutionStartToCloseTimeout = aws.String("60")
				in.TaskList = &types.TaskList{Name: aws.String("tl")}
				in.TaskStartToCloseTimeout = aws.String("10")
			}), "childPolicy"
		}},
		{"AlreadyStarted", "WorkflowExecutionAlreadyStartedFault", func(t *testing.T) (error, string) {
			b := setup(t)
			_, err := b.env.SWF.StartWorkflowExecution(swftest.Ctx(t), &swf.StartWorkflowExecutionInput{
				Domain: aws.String(b.domain), WorkflowId: aws.String(b.wfID), WorkflowType: &b.wt,
			})
			return err, "Already Started"
		}},
		{"TwoExclusiveFilters", "ValidationException", func(t *testing.T) (error, string) {
			b := newBundle(t)
			return listClosed(t, b, &swf.ListClosedWorkflowExecutionsInput{
				StartTimeFilter:   since(),
				CloseStatusFilter: &types.CloseStatusFilter{Status: types.CloseStatusCompleted},
				TypeFilter:        &types.WorkflowTypeFilter{Name: b.wt.Name},
			}), "Cannot specify more than one exclusive filters in the same query: [WorkflowTypeFilter, CloseStatusFilter]"
		}},
		{"FourExclusiveFilters", "ValidationException", func(t *testing.T) (error, string) {
			b := newBundle(t)
			return listClosed(t, b, &swf.ListClosedWorkflowExecutionsInput{
				StartTimeFilter:   since(),
				CloseStatusFilter: &types.CloseStatusFilter{Status: types.CloseStatusCompleted},
				TagFilter:         &types.TagFilter{Tag: aws.String("x")},
				TypeFilter:        &types.WorkflowTypeFilter{Name: b.wt.Name},
				ExecutionFilter:   &types.WorkflowExecutionFilter{WorkflowId: aws.String("w")},
			}), "Cannot specify more than one exclusive filters in the same query: [WorkflowExecutionFilter, WorkflowTypeFilter, TagFilter, CloseStatusFilter]"
		}},
		{"ExclusiveFiltersOpen", "ValidationException", func(t *testing.T) (error, string) {
			b := newBundle(t)
			_, err := b.env.SWF.CountOpenWorkflowExecutions(swftest.Ctx(t), &swf.CountOpenWorkflowExecutionsInput{
				Domain: aws.String(b.domain), StartTimeFilter: since(),
				TagFilter:       &types.TagFilter{Tag: aws.String("x")},
				ExecutionFilter: &types.WorkflowExecutionFilter{WorkflowId: aws.String("w")},
			})
			return err, "Cannot specify more than one exclusive filters in the same query: [WorkflowExecutionFilter, TagFilter]"
		}},
		{"BothTimeFilters", "ValidationException", func(t *testing.T) (error, string) {
			b := newBundle(t)
			return listClosed(t, b, &swf.ListClosedWorkflowExecutionsInput{StartTimeFilter: since(), CloseTimeFilter: since()}),
				"Cannot specify both a startTimeFilter and a closeTimeFilter"
		}},
		{"NoTimeFilter", "ValidationException", func(t *testing.T) (error, string) {
			b := newBundle(t)
			_, err := b.env.SWF.CountClosedWorkflowExecutions(swftest.Ctx(t), &swf.CountClosedWorkflowExecutionsInput{Domain: aws.String(b.domain)})
			return err, "Must specify time filter"
		}},
		{"DomainAlreadyExists", "DomainAlreadyExistsFault", func(t *testing.T) (error, string) {
			b := newBundle(t)
			_, err := b.env.SWF.RegisterDomain(swftest.Ctx(t), &swf.RegisterDomainInput{
				Name: aws.String(b.domain), WorkflowExecutionRetentionPeriodInDays: aws.String("1"),
			})
			return err, b.domain
		}},
		{"DeprecateDomainTwice", "DomainDeprecatedFault", func(t *testing.T) (error, string) {
			b := newBundle(t)
			ctx := swftest.Ctx(t)
			in := &swf.DeprecateDomainInput{Name: aws.String(b.domain)}
			if _, err := b.env.SWF.DeprecateDomain(ctx, in); err != nil {
				t.Fatalf("DeprecateDomain: %v", err)
			}
			_, err := b.env.SWF.DeprecateDomain(ctx, in)
			return err, b.domain
		}},
		{"CompletedDecisionTask", "UnknownResourceFault", func(t *testing.T) (error, string) {
			b := setup(t)
			task := b.pollDecision(t)
			b.env.Decide(t, aws.ToString(task.TaskToken), swftest.RecordMarker("m", ""))
			scheduled := swftest.Last(t, task.Events, types.EventTypeDecisionTaskStarted).DecisionTaskStartedEventAttributes.ScheduledEventId
			return b.env.TryDecide(aws.ToString(task.TaskToken)), fmt.Sprintf("Unknown decision task, scheduledEventId = %d", scheduled)
		}},
		{"DecisionTaskOfClosedExecution", "UnknownResourceFault", func(t *testing.T) (error, string) {
			b := setup(t)
			task := b.pollDecision(t)
			terminate(t, b)
			return b.env.TryDecide(aws.ToString(task.TaskToken)), unknownExecution(b)
		}},
		{"CloseNotLast", "ValidationException", func(t *testing.T) (error, string) {
			b := setup(t)
			task := b.pollDecision(t)
			return b.env.TryDecide(aws.ToString(task.TaskToken), swftest.CompleteWorkflow(""), swftest.RecordMarker("m", "")), "Close must be last decision in list"
		}},
		{"DecisionAttributesMissing", "ValidationException", func(t *testing.T) (error, string) {
			b := setup(t)
			task := b.pollDecision(t)
			err := b.env.TryDecide(aws.ToString(task.TaskToken), types.Decision{DecisionType: types.DecisionTypeStartTimer})
			return err, "1 validation error detected: Value null at 'decisions.1.member.startTimerDecisionAttributes' failed to satisfy constraint: Member must not be null"
		}},
		{"OperationNotPermitted", "OperationNotPermittedFault", func(t *testing.T) (error, string) {
			creds, err := auth.Parse([]byte(`{"accountId": "210987654321", "principals": [
			  {"name": "admin", "accessKeyId": "AKID", "secretAccessKey": "SECRET",
			   "policies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "swf:*", "Resource": "*"}]}]},
			  {"name": "lister", "accessKeyId": "LISTER", "secretAccessKey": "lister-secret",
			   "policies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "swf:ListDomains", "Resource": "*"}]}]}]}`))
			if err != nil {
				t.Fatal(err)
			}
			// Signatures carry the client's real time, so the fake clock starts now.
			env := swftest.Start(t, swftest.WithAuth(creds), swftest.WithClockAt(time.Now()))
			lister := swftest.NewClientAs(env.URL, "LISTER", "lister-secret")
			_, err = lister.DescribeDomain(swftest.Ctx(t), &swf.DescribeDomainInput{Name: aws.String("orders")})
			return err, "User: arn:aws:iam::210987654321:user/lister is not authorized to perform: swf:DescribeDomain on resource: arn:aws:swf:us-east-1:210987654321:/domain/orders"
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err, want := tc.run(t)
			got := swftest.WantCode(t, err, tc.code)
			if got != want {
				t.Fatalf("got message\n\t%q\nwant\n\t%q", got, want)
			}
		})
	}
}
