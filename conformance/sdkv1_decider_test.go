package conformance

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	awsv1 "github.com/aws/aws-sdk-go/aws"
	credsv1 "github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/session"
	swfv1 "github.com/aws/aws-sdk-go/service/swf"

	"github.com/openswf/openswf/internal/swftest"
)

// newSDKv1Client returns an aws-sdk-go v1 SWF client for the server at url,
// as the older SWF frameworks build one: a session with the endpoint, static
// credentials, us-east-1 and no TLS. It retries nothing, and its answers are
// recorded for the check TestMain runs.
func newSDKv1Client(tb testing.TB, url string) *swfv1.SWF {
	tb.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tb.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr}
	sess, err := session.NewSessionWithOptions(session.Options{
		Config: awsv1.Config{
			Endpoint:    awsv1.String(url),
			Region:      awsv1.String("us-east-1"),
			Credentials: credsv1.NewStaticCredentials("AKID", "SECRET", ""),
			DisableSSL:  awsv1.Bool(true),
			MaxRetries:  awsv1.Int(0),
			HTTPClient:  hc,
		},
		SharedConfigState: session.SharedConfigDisable,
	})
	if err != nil {
		tb.Fatalf("aws-sdk-go v1 session: %v", err)
	}
	// Wrap the transport only now: with AWS_CA_BUNDLE set, the session
	// loads the bundle into the client's transport and refuses any
	// transport but *http.Transport.
	hc.Transport = swftest.RecordTransport(tr)
	return swfv1.New(sess)
}

func v1Ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), swftest.CallTimeout)
}

// TestSDKv1Decider runs a whole workflow with a decider and an activity
// worker written on aws-sdk-go v1 the way SWF frameworks built on it are:
// they dereference the pointers of the members AWS always sends
// (previousStartedEventId, truncated, cancelRequested) without a nil check,
// so a member the server leaves out panics the test.
func TestSDKv1Decider(t *testing.T) {
	t.Parallel()
	env := swftest.Start(t)
	c := newSDKv1Client(t, env.URL)
	call := func(what string, f func(ctx context.Context) error) {
		t.Helper()
		ctx, cancel := v1Ctx()
		defer cancel()
		if err := f(ctx); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	domain := swftest.Unique("v1-domain")
	wt := &swfv1.WorkflowType{Name: awsv1.String(swftest.Unique("v1-workflow")), Version: awsv1.String("1")}
	at := &swfv1.ActivityType{Name: awsv1.String("v1-activity"), Version: awsv1.String("1")}
	const decisions, activities = "v1-decisions", "v1-activities"
	call("RegisterDomain", func(ctx context.Context) error {
		_, err := c.RegisterDomainWithContext(ctx, &swfv1.RegisterDomainInput{
			Name: awsv1.String(domain), WorkflowExecutionRetentionPeriodInDays: awsv1.String("1"),
		})
		return err
	})
	call("RegisterWorkflowType", func(ctx context.Context) error {
		_, err := c.RegisterWorkflowTypeWithContext(ctx, &swfv1.RegisterWorkflowTypeInput{
			Domain: awsv1.String(domain), Name: wt.Name, Version: wt.Version,
			DefaultTaskList:                     &swfv1.TaskList{Name: awsv1.String(decisions)},
			DefaultChildPolicy:                  awsv1.String(swfv1.ChildPolicyTerminate),
			DefaultExecutionStartToCloseTimeout: awsv1.String("86400"),
			DefaultTaskStartToCloseTimeout:      awsv1.String("3600"),
		})
		return err
	})
	call("RegisterActivityType", func(ctx context.Context) error {
		_, err := c.RegisterActivityTypeWithContext(ctx, &swfv1.RegisterActivityTypeInput{
			Domain: awsv1.String(domain), Name: at.Name, Version: at.Version,
			DefaultTaskList:                   &swfv1.TaskList{Name: awsv1.String(activities)},
			DefaultTaskScheduleToStartTimeout: awsv1.String("NONE"),
			DefaultTaskScheduleToCloseTimeout: awsv1.String("NONE"),
			DefaultTaskStartToCloseTimeout:    awsv1.String("NONE"),
			DefaultTaskHeartbeatTimeout:       awsv1.String("NONE"),
		})
		return err
	})
	// A domain without tags lists "tags": [], which v1 reads as an empty,
	// non-nil slice.
	call("ListTagsForResource", func(ctx context.Context) error {
		dd, err := c.DescribeDomainWithContext(ctx, &swfv1.DescribeDomainInput{Name: awsv1.String(domain)})
		if err != nil {
			return err
		}
		out, err := c.ListTagsForResourceWithContext(ctx, &swfv1.ListTagsForResourceInput{ResourceArn: dd.DomainInfo.Arn})
		if err == nil && (out.Tags == nil || len(out.Tags) != 0) {
			t.Errorf("ListTagsForResource of a domain without tags: got tags %#v, want an empty list", out.Tags)
		}
		return err
	})

	wfID := swftest.Unique("v1-wf")
	var runID string
	call("StartWorkflowExecution", func(ctx context.Context) error {
		out, err := c.StartWorkflowExecutionWithContext(ctx, &swfv1.StartWorkflowExecutionInput{
			Domain: awsv1.String(domain), WorkflowId: awsv1.String(wfID), WorkflowType: wt,
			Input: awsv1.String("6*7"),
		})
		if err == nil {
			runID = *out.RunId
		}
		return err
	})
	execution := &swfv1.WorkflowExecution{WorkflowId: awsv1.String(wfID), RunId: awsv1.String(runID)}

	// pollDecision takes a decision task with its whole history, and
	// returns it with the events since the previous decision task started:
	// what a v1 decider does with previousStartedEventId.
	pollDecision := func() (*swfv1.PollForDecisionTaskOutput, []*swfv1.HistoryEvent) {
		t.Helper()
		var task *swfv1.PollForDecisionTaskOutput
		var events []*swfv1.HistoryEvent
		var next *string
		for {
			call("PollForDecisionTask", func(ctx context.Context) error {
				out, err := c.PollForDecisionTaskWithContext(ctx, &swfv1.PollForDecisionTaskInput{
					Domain: awsv1.String(domain), TaskList: &swfv1.TaskList{Name: awsv1.String(decisions)},
					Identity: awsv1.String("v1-decider"), NextPageToken: next, MaximumPageSize: awsv1.Int64(2),
				})
				if err != nil {
					return err
				}
				if task == nil {
					task = out
				}
				events = append(events, out.Events...)
				next = out.NextPageToken
				return nil
			})
			if next == nil {
				break
			}
		}
		if *task.TaskToken == "" {
			t.Fatalf("PollForDecisionTask: got no task, want one")
		}
		prev := *task.PreviousStartedEventId
		var fresh []*swfv1.HistoryEvent
		for _, ev := range events {
			if *ev.EventId > prev {
				fresh = append(fresh, ev)
			}
		}
		if last := events[len(events)-1]; *last.EventId != *task.StartedEventId || *last.EventType != swfv1.EventTypeDecisionTaskStarted {
			t.Fatalf("decision task ends with event %d %s, want DecisionTaskStarted %d", *last.EventId, *last.EventType, *task.StartedEventId)
		}
		return task, fresh
	}
	decide := func(token *string, ds ...*swfv1.Decision) {
		t.Helper()
		call("RespondDecisionTaskCompleted", func(ctx context.Context) error {
			_, err := c.RespondDecisionTaskCompletedWithContext(ctx, &swfv1.RespondDecisionTaskCompletedInput{
				TaskToken: token, Decisions: ds,
			})
			return err
		})
	}
	pending := func(list string, decision bool) (int64, bool) {
		t.Helper()
		var out *swfv1.PendingTaskCount
		call("CountPending", func(ctx context.Context) error {
			var err error
			tl := &swfv1.TaskList{Name: awsv1.String(list)}
			if decision {
				out, err = c.CountPendingDecisionTasksWithContext(ctx, &swfv1.CountPendingDecisionTasksInput{Domain: awsv1.String(domain), TaskList: tl})
			} else {
				out, err = c.CountPendingActivityTasksWithContext(ctx, &swfv1.CountPendingActivityTasksInput{Domain: awsv1.String(domain), TaskList: tl})
			}
			return err
		})
		return *out.Count, *out.Truncated
	}
	describe := func() *swfv1.DescribeWorkflowExecutionOutput {
		t.Helper()
		var out *swfv1.DescribeWorkflowExecutionOutput
		call("DescribeWorkflowExecution", func(ctx context.Context) (err error) {
			out, err = c.DescribeWorkflowExecutionWithContext(ctx, &swfv1.DescribeWorkflowExecutionInput{Domain: awsv1.String(domain), Execution: execution})
			return err
		})
		return out
	}
	types := func(events []*swfv1.HistoryEvent) []string {
		out := make([]string, len(events))
		for i, ev := range events {
			out[i] = *ev.EventType
		}
		return out
	}

	// First decision: the run started; schedule the activity.
	if n, truncated := pending(decisions, true); n != 1 || truncated {
		t.Fatalf("CountPendingDecisionTasks: got %d (truncated %v), want 1", n, truncated)
	}
	task, fresh := pollDecision()
	if *task.PreviousStartedEventId != 0 {
		t.Fatalf("first decision task: previousStartedEventId %d, want 0", *task.PreviousStartedEventId)
	}
	if want := []string{"WorkflowExecutionStarted", "DecisionTaskScheduled", "DecisionTaskStarted"}; !slices.Equal(types(fresh), want) {
		t.Fatalf("first decision task: new events %v, want %v", types(fresh), want)
	}
	started := fresh[0].WorkflowExecutionStartedEventAttributes
	if *started.ParentInitiatedEventId != 0 || *started.Input != "6*7" || *started.ChildPolicy != swfv1.ChildPolicyTerminate {
		t.Fatalf("WorkflowExecutionStarted: got %v", started)
	}
	if info := describe().ExecutionInfo; *info.CancelRequested || *info.ExecutionStatus != swfv1.ExecutionStatusOpen {
		t.Fatalf("DescribeWorkflowExecution: got %v, want open and no cancel requested", info)
	}
	firstStarted := *task.StartedEventId
	decide(task.TaskToken, &swfv1.Decision{
		DecisionType: awsv1.String(swfv1.DecisionTypeScheduleActivityTask),
		ScheduleActivityTaskDecisionAttributes: &swfv1.ScheduleActivityTaskDecisionAttributes{
			ActivityId: awsv1.String("a1"), ActivityType: at, Input: fresh[0].WorkflowExecutionStartedEventAttributes.Input,
		},
	})
	if n, truncated := pending(decisions, true); n != 0 || truncated {
		t.Fatalf("CountPendingDecisionTasks after the decision: got %d (truncated %v), want 0", n, truncated)
	}
	if n, truncated := pending(activities, false); n != 1 || truncated {
		t.Fatalf("CountPendingActivityTasks: got %d (truncated %v), want 1", n, truncated)
	}

	// The worker: poll, heartbeat, complete.
	var act *swfv1.PollForActivityTaskOutput
	call("PollForActivityTask", func(ctx context.Context) (err error) {
		act, err = c.PollForActivityTaskWithContext(ctx, &swfv1.PollForActivityTaskInput{
			Domain: awsv1.String(domain), TaskList: &swfv1.TaskList{Name: awsv1.String(activities)}, Identity: awsv1.String("v1-worker"),
		})
		return err
	})
	if *act.TaskToken == "" || *act.ActivityId != "a1" || *act.Input != "6*7" || *act.WorkflowExecution.RunId != runID || *act.StartedEventId == 0 {
		t.Fatalf("PollForActivityTask: got %v, want a1 of run %s", act, runID)
	}
	if n, truncated := pending(activities, false); n != 0 || truncated {
		t.Fatalf("CountPendingActivityTasks after the poll: got %d (truncated %v), want 0", n, truncated)
	}
	call("RecordActivityTaskHeartbeat", func(ctx context.Context) error {
		hb, err := c.RecordActivityTaskHeartbeatWithContext(ctx, &swfv1.RecordActivityTaskHeartbeatInput{
			TaskToken: act.TaskToken, Details: awsv1.String("half way"),
		})
		if err == nil && *hb.CancelRequested {
			t.Errorf("RecordActivityTaskHeartbeat: cancelRequested true, want false")
		}
		return err
	})
	d := describe()
	if *d.ExecutionInfo.CancelRequested || *d.OpenCounts.OpenActivityTasks != 1 || *d.OpenCounts.OpenDecisionTasks != 0 {
		t.Fatalf("DescribeWorkflowExecution while the activity runs: got %v, want 1 open activity, no cancel requested", d)
	}
	call("CountOpenWorkflowExecutions", func(ctx context.Context) error {
		out, err := c.CountOpenWorkflowExecutionsWithContext(ctx, &swfv1.CountOpenWorkflowExecutionsInput{
			Domain: awsv1.String(domain), StartTimeFilter: &swfv1.ExecutionTimeFilter{OldestDate: awsv1.Time(swftest.Epoch.Add(-time.Hour))},
		})
		if err == nil && (*out.Count != 1 || *out.Truncated) {
			t.Errorf("CountOpenWorkflowExecutions: got %d (truncated %v), want 1", *out.Count, *out.Truncated)
		}
		return err
	})
	call("RespondActivityTaskCompleted", func(ctx context.Context) error {
		_, err := c.RespondActivityTaskCompletedWithContext(ctx, &swfv1.RespondActivityTaskCompletedInput{
			TaskToken: act.TaskToken, Result: awsv1.String("42"),
		})
		return err
	})

	// Second decision: only what happened since the first one is new.
	task, fresh = pollDecision()
	if *task.PreviousStartedEventId != firstStarted {
		t.Fatalf("second decision task: previousStartedEventId %d, want %d", *task.PreviousStartedEventId, firstStarted)
	}
	if want := []string{"DecisionTaskCompleted", "ActivityTaskScheduled", "ActivityTaskStarted", "ActivityTaskCompleted",
		"DecisionTaskScheduled", "DecisionTaskStarted"}; !slices.Equal(types(fresh), want) {
		t.Fatalf("second decision task: new events %v, want %v", types(fresh), want)
	}
	done := fresh[3].ActivityTaskCompletedEventAttributes
	if *done.Result != "42" || *done.ScheduledEventId != *fresh[1].EventId || *done.StartedEventId != *fresh[2].EventId {
		t.Fatalf("ActivityTaskCompleted: got %v", done)
	}
	decide(task.TaskToken, &swfv1.Decision{
		DecisionType: awsv1.String(swfv1.DecisionTypeCompleteWorkflowExecution),
		CompleteWorkflowExecutionDecisionAttributes: &swfv1.CompleteWorkflowExecutionDecisionAttributes{Result: done.Result},
	})

	// The closed run.
	d = describe()
	if *d.ExecutionInfo.CancelRequested || *d.ExecutionInfo.ExecutionStatus != swfv1.ExecutionStatusClosed ||
		*d.ExecutionInfo.CloseStatus != swfv1.CloseStatusCompleted {
		t.Fatalf("DescribeWorkflowExecution after completion: got %v, want CLOSED COMPLETED", d.ExecutionInfo)
	}
	var events []*swfv1.HistoryEvent
	call("GetWorkflowExecutionHistory", func(ctx context.Context) error {
		return c.GetWorkflowExecutionHistoryPagesWithContext(ctx, &swfv1.GetWorkflowExecutionHistoryInput{
			Domain: awsv1.String(domain), Execution: execution, MaximumPageSize: awsv1.Int64(3),
		}, func(page *swfv1.GetWorkflowExecutionHistoryOutput, last bool) bool {
			events = append(events, page.Events...)
			return true
		})
	})
	want := []string{"WorkflowExecutionStarted", "DecisionTaskScheduled", "DecisionTaskStarted", "DecisionTaskCompleted",
		"ActivityTaskScheduled", "ActivityTaskStarted", "ActivityTaskCompleted", "DecisionTaskScheduled", "DecisionTaskStarted",
		"DecisionTaskCompleted", "WorkflowExecutionCompleted"}
	if !slices.Equal(types(events), want) {
		t.Fatalf("history: got %v, want %v", types(events), want)
	}
	for i, ev := range events {
		if *ev.EventId != int64(i+1) || ev.EventTimestamp.IsZero() {
			t.Fatalf("event %d: id %d at %v, want id %d and a timestamp", i, *ev.EventId, ev.EventTimestamp, i+1)
		}
	}
	if a := events[10].WorkflowExecutionCompletedEventAttributes; *a.Result != "42" || *a.DecisionTaskCompletedEventId != 10 {
		t.Fatalf("WorkflowExecutionCompleted: got %v, want result 42 and decision 10", a)
	}
	if *events[0].WorkflowExecutionStartedEventAttributes.ParentInitiatedEventId != 0 {
		t.Fatalf("WorkflowExecutionStarted: parentInitiatedEventId %d, want 0", *events[0].WorkflowExecutionStartedEventAttributes.ParentInitiatedEventId)
	}
}
