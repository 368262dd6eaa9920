package conformance_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/openswf/openswf/internal/swftest"
)

// family is a parent workflow type deciding on "decisions" and a child type
// deciding on "child-decisions", so each decider polls its own list.
type family struct {
	env           *swftest.Env
	domain        string
	parent, child types.WorkflowType
}

func newFamily(t *testing.T) *family {
	env := swftest.Start(t)
	f := &family{env: env, domain: env.Domain(t)}
	f.parent = env.WorkflowType(t, f.domain)
	f.child = env.WorkflowType(t, f.domain, func(in *swf.RegisterWorkflowTypeInput) {
		in.DefaultTaskList = &types.TaskList{Name: aws.String("child-decisions")}
	})
	return f
}

func startChild(id string, wt types.WorkflowType, policy types.ChildPolicy) types.Decision {
	return types.Decision{
		DecisionType: types.DecisionTypeStartChildWorkflowExecution,
		StartChildWorkflowExecutionDecisionAttributes: &types.StartChildWorkflowExecutionDecisionAttributes{
			WorkflowId: aws.String(id), WorkflowType: &wt, Input: aws.String("child input"), ChildPolicy: policy,
		},
	}
}

// eventOf returns the last event of type typ, failing if there is none.
func eventOf(t *testing.T, events []types.HistoryEvent, typ types.EventType) types.HistoryEvent {
	t.Helper()
	for i := len(events) - 1; i >= 0; i-- {
		if events[i].EventType == typ {
			return events[i]
		}
	}
	t.Fatalf("got no %s in %v", typ, swftest.Types(events))
	return types.HistoryEvent{}
}

func TestChildWorkflowCompletes(t *testing.T) {
	t.Parallel()
	f := newFamily(t)
	env := f.env
	wfID, runID := env.Start(t, f.domain, f.parent)
	task := env.PollDecision(t, f.domain, "decisions")
	childID := swftest.Unique("child")
	env.Decide(t, aws.ToString(task.TaskToken), startChild(childID, f.child, ""))

	parent := env.History(t, f.domain, wfID, runID)
	started := eventOf(t, parent, types.EventTypeChildWorkflowExecutionStarted).ChildWorkflowExecutionStartedEventAttributes
	initiated := eventOf(t, parent, types.EventTypeStartChildWorkflowExecutionInitiated)
	if started.InitiatedEventId != initiated.EventId || aws.ToString(started.WorkflowExecution.WorkflowId) != childID {
		t.Fatalf("got started %+v, want it to name initiated event %d and workflow %s", started, initiated.EventId, childID)
	}
	childRun := aws.ToString(started.WorkflowExecution.RunId)
	childStart := env.History(t, f.domain, childID, childRun)[0].WorkflowExecutionStartedEventAttributes
	if aws.ToString(childStart.ParentWorkflowExecution.RunId) != runID || childStart.ParentInitiatedEventId != initiated.EventId || aws.ToString(childStart.Input) != "child input" {
		t.Fatalf("got child start %+v, want parent %s, initiated %d and the input", childStart, runID, initiated.EventId)
	}

	if d := env.Describe(t, f.domain, wfID, runID); d.OpenCounts.OpenChildWorkflowExecutions != 1 {
		t.Fatalf("got %d open children, want 1", d.OpenCounts.OpenChildWorkflowExecutions)
	}
	// The parent handles ChildWorkflowExecutionStarted, then the child completes.
	env.Decide(t, aws.ToString(env.PollDecision(t, f.domain, "decisions").TaskToken))
	ct := env.PollDecision(t, f.domain, "child-decisions")
	env.Decide(t, aws.ToString(ct.TaskToken), swftest.CompleteWorkflow("child result"))

	parent = env.History(t, f.domain, wfID, runID)
	done := eventOf(t, parent, types.EventTypeChildWorkflowExecutionCompleted).ChildWorkflowExecutionCompletedEventAttributes
	if aws.ToString(done.Result) != "child result" || done.InitiatedEventId != initiated.EventId || aws.ToString(done.WorkflowExecution.RunId) != childRun {
		t.Fatalf("got %+v, want the child's result and ids", done)
	}
	if last := parent[len(parent)-1].EventType; last != types.EventTypeDecisionTaskScheduled {
		t.Fatalf("got last parent event %s, want DecisionTaskScheduled", last)
	}
	if d := env.Describe(t, f.domain, wfID, runID); d.OpenCounts.OpenChildWorkflowExecutions != 0 {
		t.Fatalf("got %d open children, want 0", d.OpenCounts.OpenChildWorkflowExecutions)
	}
}

// The parent closing applies each child policy to its open child.
func TestChildPolicies(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		policy     types.ChildPolicy
		wantClosed bool
		wantEvent  types.EventType
	}{
		{types.ChildPolicyTerminate, true, types.EventTypeWorkflowExecutionTerminated},
		{types.ChildPolicyRequestCancel, false, types.EventTypeWorkflowExecutionCancelRequested},
		{types.ChildPolicyAbandon, false, types.EventTypeDecisionTaskScheduled},
	} {
		t.Run(string(tc.policy), func(t *testing.T) {
			t.Parallel()
			f := newFamily(t)
			env := f.env
			wfID, runID := env.Start(t, f.domain, f.parent, func(in *swf.StartWorkflowExecutionInput) { in.ChildPolicy = tc.policy })
			childID := swftest.Unique("child")
			env.Decide(t, aws.ToString(env.PollDecision(t, f.domain, "decisions").TaskToken), startChild(childID, f.child, ""))
			started := eventOf(t, env.History(t, f.domain, wfID, runID), types.EventTypeChildWorkflowExecutionStarted)
			childRun := aws.ToString(started.ChildWorkflowExecutionStartedEventAttributes.WorkflowExecution.RunId)

			env.Decide(t, aws.ToString(env.PollDecision(t, f.domain, "decisions").TaskToken), swftest.CompleteWorkflow("parent done"))

			child := env.History(t, f.domain, childID, childRun)
			last := child[len(child)-1]
			if last.EventType != tc.wantEvent {
				t.Fatalf("got last child event %s (%v), want %s", last.EventType, swftest.Types(child), tc.wantEvent)
			}
			if a := last.WorkflowExecutionTerminatedEventAttributes; a != nil && a.Cause != types.WorkflowExecutionTerminatedCauseChildPolicyApplied {
				t.Fatalf("got cause %s, want CHILD_POLICY_APPLIED", a.Cause)
			}
			if tc.policy == types.ChildPolicyRequestCancel {
				if a := eventOf(t, child, types.EventTypeWorkflowExecutionCancelRequested).WorkflowExecutionCancelRequestedEventAttributes; a.Cause != types.WorkflowExecutionCancelRequestedCauseChildPolicyApplied {
					t.Fatalf("got cause %s, want CHILD_POLICY_APPLIED", a.Cause)
				}
			}
			status := env.Describe(t, f.domain, childID, childRun).ExecutionInfo.ExecutionStatus
			if closed := status == types.ExecutionStatusClosed; closed != tc.wantClosed {
				t.Fatalf("got child status %s, want closed %v", status, tc.wantClosed)
			}
		})
	}
}

func TestStartChildFailures(t *testing.T) {
	t.Parallel()
	f := newFamily(t)
	env := f.env
	wfID, runID := env.Start(t, f.domain, f.parent)
	busyID, _ := env.Start(t, f.domain, f.child) // an open run holds this workflow id
	missing := types.WorkflowType{Name: aws.String("no-such-type"), Version: aws.String("1")}
	env.Decide(t, aws.ToString(env.PollDecision(t, f.domain, "decisions").TaskToken),
		startChild(busyID, f.child, ""), startChild(swftest.Unique("c"), missing, ""))
	var causes []types.StartChildWorkflowExecutionFailedCause
	for _, ev := range env.History(t, f.domain, wfID, runID) {
		if a := ev.StartChildWorkflowExecutionFailedEventAttributes; a != nil {
			causes = append(causes, a.Cause)
		}
	}
	want := []types.StartChildWorkflowExecutionFailedCause{
		types.StartChildWorkflowExecutionFailedCauseWorkflowTypeDoesNotExist,
		types.StartChildWorkflowExecutionFailedCauseWorkflowAlreadyRunning,
	}
	slices.Sort(causes)
	slices.Sort(want)
	if !slices.Equal(causes, want) {
		t.Fatalf("got causes %v, want %v", causes, want)
	}
}

func TestSignalAndCancelExternal(t *testing.T) {
	t.Parallel()
	f := newFamily(t)
	env := f.env
	srcID, srcRun := env.Start(t, f.domain, f.parent)
	dstID, dstRun := env.Start(t, f.domain, f.child)
	decisions := []types.Decision{
		{DecisionType: types.DecisionTypeSignalExternalWorkflowExecution, SignalExternalWorkflowExecutionDecisionAttributes: &types.SignalExternalWorkflowExecutionDecisionAttributes{
			WorkflowId: aws.String(dstID), SignalName: aws.String("ping"), Input: aws.String("payload")}},
		{DecisionType: types.DecisionTypeSignalExternalWorkflowExecution, SignalExternalWorkflowExecutionDecisionAttributes: &types.SignalExternalWorkflowExecutionDecisionAttributes{
			WorkflowId: aws.String("nobody"), SignalName: aws.String("ping")}},
		{DecisionType: types.DecisionTypeRequestCancelExternalWorkflowExecution, RequestCancelExternalWorkflowExecutionDecisionAttributes: &types.RequestCancelExternalWorkflowExecutionDecisionAttributes{
			WorkflowId: aws.String(dstID), RunId: aws.String(dstRun)}},
	}
	env.Decide(t, aws.ToString(env.PollDecision(t, f.domain, "decisions").TaskToken), decisions...)

	src := env.History(t, f.domain, srcID, srcRun)
	sig := eventOf(t, src, types.EventTypeExternalWorkflowExecutionSignaled).ExternalWorkflowExecutionSignaledEventAttributes
	if aws.ToString(sig.WorkflowExecution.RunId) != dstRun {
		t.Fatalf("got signaled %+v, want run %s", sig.WorkflowExecution, dstRun)
	}
	if a := eventOf(t, src, types.EventTypeSignalExternalWorkflowExecutionFailed).SignalExternalWorkflowExecutionFailedEventAttributes; a.Cause != types.SignalExternalWorkflowExecutionFailedCauseUnknownExternalWorkflowExecution {
		t.Fatalf("got cause %s, want UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION", a.Cause)
	}
	eventOf(t, src, types.EventTypeExternalWorkflowExecutionCancelRequested)

	dst := env.History(t, f.domain, dstID, dstRun)
	got := eventOf(t, dst, types.EventTypeWorkflowExecutionSignaled).WorkflowExecutionSignaledEventAttributes
	if aws.ToString(got.SignalName) != "ping" || aws.ToString(got.Input) != "payload" || aws.ToString(got.ExternalWorkflowExecution.RunId) != srcRun || got.ExternalInitiatedEventId == 0 {
		t.Fatalf("got %+v, want the signal with its source", got)
	}
	eventOf(t, dst, types.EventTypeWorkflowExecutionCancelRequested)
	if !env.Describe(t, f.domain, dstID, dstRun).ExecutionInfo.CancelRequested {
		t.Fatal("got cancelRequested false on the target, want true")
	}
}

func TestContinueAsNew(t *testing.T) {
	t.Parallel()
	f := newFamily(t)
	env := f.env
	wfID, runID := env.Start(t, f.domain, f.parent, func(in *swf.StartWorkflowExecutionInput) { in.TagList = []string{"keep"} })
	env.Decide(t, aws.ToString(env.PollDecision(t, f.domain, "decisions").TaskToken), types.Decision{
		DecisionType: types.DecisionTypeContinueAsNewWorkflowExecution,
		ContinueAsNewWorkflowExecutionDecisionAttributes: &types.ContinueAsNewWorkflowExecutionDecisionAttributes{Input: aws.String("round 2")},
	})
	old := env.History(t, f.domain, wfID, runID)
	cont := eventOf(t, old, types.EventTypeWorkflowExecutionContinuedAsNew).WorkflowExecutionContinuedAsNewEventAttributes
	newRun := aws.ToString(cont.NewExecutionRunId)
	if newRun == "" || newRun == runID {
		t.Fatalf("got new run id %q, want a new one", newRun)
	}
	if d := env.Describe(t, f.domain, wfID, runID); d.ExecutionInfo.CloseStatus != types.CloseStatusContinuedAsNew {
		t.Fatalf("got close status %s, want CONTINUED_AS_NEW", d.ExecutionInfo.CloseStatus)
	}
	first := env.History(t, f.domain, wfID, newRun)[0].WorkflowExecutionStartedEventAttributes
	if aws.ToString(first.ContinuedExecutionRunId) != runID || aws.ToString(first.Input) != "round 2" || !slices.Equal(first.TagList, []string{"keep"}) {
		t.Fatalf("got %+v, want continuedExecutionRunId %s, the new input and the old tags", first, runID)
	}
	// The new run is the open run of the workflow id, with a decision task.
	task := env.PollDecision(t, f.domain, "decisions")
	if aws.ToString(task.WorkflowExecution.RunId) != newRun {
		t.Fatalf("got a decision task for run %s, want %s", aws.ToString(task.WorkflowExecution.RunId), newRun)
	}
}

func TestScheduleLambdaFunctionFails(t *testing.T) {
	t.Parallel()
	env := swftest.Start(t)
	d := env.Domain(t)
	wt := env.WorkflowType(t, d)
	wfID, runID := env.Start(t, d, wt)
	env.Decide(t, aws.ToString(env.PollDecision(t, d, "decisions").TaskToken), types.Decision{
		DecisionType:                             types.DecisionTypeScheduleLambdaFunction,
		ScheduleLambdaFunctionDecisionAttributes: &types.ScheduleLambdaFunctionDecisionAttributes{Id: aws.String("l1"), Name: aws.String("fn")},
	})
	a := eventOf(t, env.History(t, d, wfID, runID), types.EventTypeScheduleLambdaFunctionFailed).ScheduleLambdaFunctionFailedEventAttributes
	if a.Cause != types.ScheduleLambdaFunctionFailedCauseLambdaServiceNotAvailableInRegion || aws.ToString(a.Id) != "l1" {
		t.Fatalf("got %+v, want LAMBDA_SERVICE_NOT_AVAILABLE_IN_REGION for l1", a)
	}
	// No Lambda ever runs: none of the other Lambda events appear.
	for _, ev := range env.History(t, d, wfID, runID) {
		if strings.HasPrefix(string(ev.EventType), "LambdaFunction") || ev.EventType == types.EventTypeStartLambdaFunctionFailed {
			t.Fatalf("got %s, want no Lambda events but ScheduleLambdaFunctionFailed", ev.EventType)
		}
	}
}

func TestHistoryLimitTerminates(t *testing.T) {
	t.Parallel()
	lim := swftestLimits()
	lim.MaxHistoryEvents = 12
	env := swftest.Start(t, swftest.WithLimits(lim))
	d := env.Domain(t)
	wt := env.WorkflowType(t, d)
	wfID, runID := env.Start(t, d, wt)
	var markers []types.Decision
	for i := 0; i < 20; i++ {
		markers = append(markers, swftest.RecordMarker("m", ""))
	}
	env.Decide(t, aws.ToString(env.PollDecision(t, d, "decisions").TaskToken), markers...)
	h := env.History(t, d, wfID, runID)
	last := h[len(h)-1].WorkflowExecutionTerminatedEventAttributes
	if last == nil || last.Cause != types.WorkflowExecutionTerminatedCauseEventLimitExceeded {
		t.Fatalf("got history %v, want it to end with WorkflowExecutionTerminated (EVENT_LIMIT_EXCEEDED)", swftest.Types(h))
	}
}

// Lists and counts with each filter, paging and order.
func TestListAndCountExecutions(t *testing.T) {
	t.Parallel()
	env := swftest.Start(t)
	d := env.Domain(t)
	a := env.WorkflowType(t, d)
	b := env.WorkflowType(t, d)
	var ids []string
	for i, wt := range []types.WorkflowType{a, a, b} {
		id, _ := env.Start(t, d, wt, func(in *swf.StartWorkflowExecutionInput) { in.TagList = []string{[]string{"x", "y", "y"}[i]} })
		ids = append(ids, id)
		env.Clock.Advance(time.Second) // distinct start times: newest first is well defined
	}
	ctx := swftest.Ctx(t)
	since := &types.ExecutionTimeFilter{OldestDate: aws.Time(swftest.Epoch.Add(-time.Hour))}
	terminate := func(id string) {
		if _, err := env.SWF.TerminateWorkflowExecution(ctx, &swf.TerminateWorkflowExecutionInput{Domain: aws.String(d), WorkflowId: aws.String(id)}); err != nil {
			t.Fatal(err)
		}
	}
	terminate(ids[0])

	open, err := env.SWF.ListOpenWorkflowExecutions(ctx, &swf.ListOpenWorkflowExecutionsInput{Domain: aws.String(d), StartTimeFilter: since})
	if err != nil {
		t.Fatal(err)
	}
	if got := workflowIDs(open.ExecutionInfos); !slices.Equal(got, []string{ids[2], ids[1]}) {
		t.Fatalf("got open %v, want %v newest first", got, []string{ids[2], ids[1]})
	}
	page1, _ := env.SWF.ListOpenWorkflowExecutions(ctx, &swf.ListOpenWorkflowExecutionsInput{Domain: aws.String(d), StartTimeFilter: since, MaximumPageSize: 1, ReverseOrder: true})
	page2, _ := env.SWF.ListOpenWorkflowExecutions(ctx, &swf.ListOpenWorkflowExecutionsInput{Domain: aws.String(d), StartTimeFilter: since, MaximumPageSize: 1, ReverseOrder: true, NextPageToken: page1.NextPageToken})
	if got := append(workflowIDs(page1.ExecutionInfos), workflowIDs(page2.ExecutionInfos)...); !slices.Equal(got, []string{ids[1], ids[2]}) || page2.NextPageToken != nil {
		t.Fatalf("got pages %v (next %v), want %v oldest first and no third page", got, page2.NextPageToken, []string{ids[1], ids[2]})
	}
	count := func(in *swf.CountOpenWorkflowExecutionsInput) int32 {
		in.Domain, in.StartTimeFilter = aws.String(d), since
		out, err := env.SWF.CountOpenWorkflowExecutions(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return out.Count
	}
	for name, tc := range map[string]struct {
		in   *swf.CountOpenWorkflowExecutionsInput
		want int32
	}{
		"All":       {&swf.CountOpenWorkflowExecutionsInput{}, 2},
		"Type":      {&swf.CountOpenWorkflowExecutionsInput{TypeFilter: &types.WorkflowTypeFilter{Name: a.Name}}, 1},
		"Tag":       {&swf.CountOpenWorkflowExecutionsInput{TagFilter: &types.TagFilter{Tag: aws.String("y")}}, 2},
		"Execution": {&swf.CountOpenWorkflowExecutionsInput{ExecutionFilter: &types.WorkflowExecutionFilter{WorkflowId: aws.String(ids[1])}}, 1},
	} {
		if got := count(tc.in); got != tc.want {
			t.Errorf("%s: got count %d, want %d", name, got, tc.want)
		}
	}
	closed, err := env.SWF.ListClosedWorkflowExecutions(ctx, &swf.ListClosedWorkflowExecutionsInput{Domain: aws.String(d), CloseTimeFilter: since,
		CloseStatusFilter: &types.CloseStatusFilter{Status: types.CloseStatusTerminated}})
	if err != nil || !slices.Equal(workflowIDs(closed.ExecutionInfos), []string{ids[0]}) {
		t.Fatalf("got closed %v, %v; want %s", workflowIDs(closed.ExecutionInfos), err, ids[0])
	}
	// Two filters at once, or both time filters, are refused.
	_, err = env.SWF.CountOpenWorkflowExecutions(ctx, &swf.CountOpenWorkflowExecutionsInput{Domain: aws.String(d), StartTimeFilter: since,
		TagFilter: &types.TagFilter{Tag: aws.String("y")}, TypeFilter: &types.WorkflowTypeFilter{Name: a.Name}})
	if err == nil || !strings.Contains(err.Error(), "ValidationException") {
		t.Fatalf("got %v, want ValidationException", err)
	}
	_, err = env.SWF.CountClosedWorkflowExecutions(ctx, &swf.CountClosedWorkflowExecutionsInput{Domain: aws.String(d), StartTimeFilter: since, CloseTimeFilter: since})
	if err == nil || !strings.Contains(err.Error(), "ValidationException") {
		t.Fatalf("got %v, want ValidationException", err)
	}
}

func workflowIDs(infos []types.WorkflowExecutionInfo) []string {
	var out []string
	for _, i := range infos {
		out = append(out, aws.ToString(i.Execution.WorkflowId))
	}
	return out
}

// A closed execution stays visible for the domain's retention, then is gone
// from every read.
func TestRetention(t *testing.T) {
	t.Parallel()
	env := swftest.Start(t)
	d := env.Domain(t) // retention 1 day
	wt := env.WorkflowType(t, d)
	wfID, runID := env.Start(t, d, wt)
	ctx := swftest.Ctx(t)
	if _, err := env.SWF.TerminateWorkflowExecution(ctx, &swf.TerminateWorkflowExecutionInput{Domain: aws.String(d), WorkflowId: aws.String(wfID)}); err != nil {
		t.Fatal(err)
	}
	env.Clock.Advance(23 * time.Hour)
	env.Describe(t, d, wfID, runID) // still there
	env.Clock.Advance(2 * time.Hour)
	_, err := env.SWF.GetWorkflowExecutionHistory(ctx, &swf.GetWorkflowExecutionHistoryInput{Domain: aws.String(d),
		Execution: &types.WorkflowExecution{WorkflowId: aws.String(wfID), RunId: aws.String(runID)}})
	if err == nil || !strings.Contains(err.Error(), "UnknownResourceFault") {
		t.Fatalf("got %v after the retention period, want UnknownResourceFault", err)
	}
	n, err := env.SWF.CountClosedWorkflowExecutions(ctx, &swf.CountClosedWorkflowExecutionsInput{Domain: aws.String(d),
		StartTimeFilter: &types.ExecutionTimeFilter{OldestDate: aws.Time(swftest.Epoch.Add(-time.Hour))}})
	if err != nil || n.Count != 0 {
		t.Fatalf("got count %v, %v; want 0", n, err)
	}
}

func TestDomainTags(t *testing.T) {
	t.Parallel()
	env := swftest.Start(t)
	d := env.Domain(t)
	ctx := swftest.Ctx(t)
	arn := "arn:aws:swf:us-east-1:123456789012:/domain/" + d
	if _, err := env.SWF.TagResource(ctx, &swf.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.ResourceTag{
		{Key: aws.String("team"), Value: aws.String("core")}, {Key: aws.String("env"), Value: aws.String("ci")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.SWF.UntagResource(ctx, &swf.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"env"}}); err != nil {
		t.Fatal(err)
	}
	out, err := env.SWF.ListTagsForResource(ctx, &swf.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil || len(out.Tags) != 1 || aws.ToString(out.Tags[0].Key) != "team" {
		t.Fatalf("got %+v, %v; want only team=core", out, err)
	}
	var many []types.ResourceTag
	for i := 0; i < 50; i++ {
		many = append(many, types.ResourceTag{Key: aws.String(swftest.Unique("k"))})
	}
	_, err = env.SWF.TagResource(ctx, &swf.TagResourceInput{ResourceArn: aws.String(arn), Tags: many})
	var tooMany *types.TooManyTagsFault
	if !errorsAs(err, &tooMany) {
		t.Fatalf("got %v, want TooManyTagsFault for 51 tags", err)
	}
	_, err = env.SWF.ListTagsForResource(ctx, &swf.ListTagsForResourceInput{ResourceArn: aws.String(arn + "-none")})
	var unknown *types.UnknownResourceFault
	if !errorsAs(err, &unknown) {
		t.Fatalf("got %v, want UnknownResourceFault", err)
	}
}

// Each way a child can close reaches its parent as the matching event.
func TestChildCloseEvents(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		close func(t *testing.T, f *family, childID, childRun, token string)
		want  types.EventType
	}{
		{"Failed", func(t *testing.T, f *family, _, _, token string) {
			f.env.Decide(t, token, swftest.FailWorkflow("broke", "details"))
		}, types.EventTypeChildWorkflowExecutionFailed},
		{"Canceled", func(t *testing.T, f *family, _, _, token string) {
			f.env.Decide(t, token, swftest.CancelWorkflow("stopped"))
		}, types.EventTypeChildWorkflowExecutionCanceled},
		{"Terminated", func(t *testing.T, f *family, childID, childRun, _ string) {
			if _, err := f.env.SWF.TerminateWorkflowExecution(swftest.Ctx(t), &swf.TerminateWorkflowExecutionInput{
				Domain: aws.String(f.domain), WorkflowId: aws.String(childID), RunId: aws.String(childRun)}); err != nil {
				t.Fatal(err)
			}
		}, types.EventTypeChildWorkflowExecutionTerminated},
		{"TimedOut", func(t *testing.T, f *family, _, _, _ string) {
			f.env.Clock.Advance(25 * time.Hour) // the child type's execution timeout is a day
		}, types.EventTypeChildWorkflowExecutionTimedOut},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFamily(t)
			env := f.env
			// The parent outlives the child: a longer execution timeout.
			wfID, runID := env.Start(t, f.domain, f.parent, func(in *swf.StartWorkflowExecutionInput) {
				in.ExecutionStartToCloseTimeout = aws.String("31536000")
			})
			childID := swftest.Unique("child")
			env.Decide(t, aws.ToString(env.PollDecision(t, f.domain, "decisions").TaskToken), startChild(childID, f.child, types.ChildPolicyAbandon))
			started := eventOf(t, env.History(t, f.domain, wfID, runID), types.EventTypeChildWorkflowExecutionStarted)
			childRun := aws.ToString(started.ChildWorkflowExecutionStartedEventAttributes.WorkflowExecution.RunId)
			ct := env.PollDecision(t, f.domain, "child-decisions")
			tc.close(t, f, childID, childRun, aws.ToString(ct.TaskToken))
			got := eventOf(t, env.History(t, f.domain, wfID, runID), tc.want)
			if got.EventType != tc.want {
				t.Fatalf("got %s, want %s", got.EventType, tc.want)
			}
		})
	}
}

// A parent signals its child; closing with each child policy then acts on
// the child as BEHAVIOR.md describes. The parent's and the child's event
// sequences are checked in full.
func TestParentSignalsChildThenCloses(t *testing.T) {
	t.Parallel()
	for _, policy := range []types.ChildPolicy{types.ChildPolicyTerminate, types.ChildPolicyRequestCancel, types.ChildPolicyAbandon} {
		t.Run(string(policy), func(t *testing.T) {
			t.Parallel()
			f := newFamily(t)
			env := f.env
			wfID, runID := env.Start(t, f.domain, f.parent, func(in *swf.StartWorkflowExecutionInput) { in.ChildPolicy = policy })
			childID := swftest.Unique("child")
			env.Decide(t, aws.ToString(env.PollDecision(t, f.domain, "decisions").TaskToken), startChild(childID, f.child, ""))
			env.Decide(t, aws.ToString(env.PollDecision(t, f.domain, "decisions").TaskToken), types.Decision{
				DecisionType: types.DecisionTypeSignalExternalWorkflowExecution,
				SignalExternalWorkflowExecutionDecisionAttributes: &types.SignalExternalWorkflowExecutionDecisionAttributes{
					WorkflowId: aws.String(childID), SignalName: aws.String("hello")},
			})
			env.Decide(t, aws.ToString(env.PollDecision(t, f.domain, "decisions").TaskToken), swftest.CompleteWorkflow("done"))

			wantParent := []string{"WorkflowExecutionStarted", "DecisionTaskScheduled", "DecisionTaskStarted", "DecisionTaskCompleted",
				"StartChildWorkflowExecutionInitiated", "ChildWorkflowExecutionStarted", "DecisionTaskScheduled", "DecisionTaskStarted",
				"DecisionTaskCompleted", "SignalExternalWorkflowExecutionInitiated", "ExternalWorkflowExecutionSignaled", "DecisionTaskScheduled",
				"DecisionTaskStarted", "DecisionTaskCompleted", "WorkflowExecutionCompleted"}
			if got := env.EventTypes(t, f.domain, wfID, runID); !slices.Equal(got, wantParent) {
				t.Fatalf("parent: got %v, want %v", got, wantParent)
			}
			started := eventOf(t, env.History(t, f.domain, wfID, runID), types.EventTypeChildWorkflowExecutionStarted)
			childRun := aws.ToString(started.ChildWorkflowExecutionStartedEventAttributes.WorkflowExecution.RunId)
			wantChild := []string{"WorkflowExecutionStarted", "DecisionTaskScheduled", "WorkflowExecutionSignaled"}
			switch policy {
			case types.ChildPolicyTerminate:
				wantChild = append(wantChild, "WorkflowExecutionTerminated")
			case types.ChildPolicyRequestCancel:
				wantChild = append(wantChild, "WorkflowExecutionCancelRequested")
			}
			child := env.History(t, f.domain, childID, childRun)
			if got := swftest.Types(child); !slices.Equal(got, wantChild) {
				t.Fatalf("child: got %v, want %v", got, wantChild)
			}
			if a := child[2].WorkflowExecutionSignaledEventAttributes; aws.ToString(a.ExternalWorkflowExecution.RunId) != runID || aws.ToString(a.SignalName) != "hello" {
				t.Fatalf("got signal %+v, want hello from the parent", a)
			}
		})
	}
}

func TestExternalAndContinueAsNewFailures(t *testing.T) {
	t.Parallel()
	f := newFamily(t)
	env := f.env
	wfID, runID := env.Start(t, f.domain, f.parent)
	ctx := swftest.Ctx(t)
	if _, err := env.SWF.DeprecateWorkflowType(ctx, &swf.DeprecateWorkflowTypeInput{Domain: aws.String(f.domain), WorkflowType: &f.parent}); err != nil {
		t.Fatal(err)
	}
	env.Decide(t, aws.ToString(env.PollDecision(t, f.domain, "decisions").TaskToken),
		types.Decision{DecisionType: types.DecisionTypeRequestCancelExternalWorkflowExecution, RequestCancelExternalWorkflowExecutionDecisionAttributes: &types.RequestCancelExternalWorkflowExecutionDecisionAttributes{
			WorkflowId: aws.String("nobody")}},
		types.Decision{DecisionType: types.DecisionTypeContinueAsNewWorkflowExecution, ContinueAsNewWorkflowExecutionDecisionAttributes: &types.ContinueAsNewWorkflowExecutionDecisionAttributes{}},
	)
	h := env.History(t, f.domain, wfID, runID)
	if a := eventOf(t, h, types.EventTypeRequestCancelExternalWorkflowExecutionFailed).RequestCancelExternalWorkflowExecutionFailedEventAttributes; a.Cause != types.RequestCancelExternalWorkflowExecutionFailedCauseUnknownExternalWorkflowExecution {
		t.Fatalf("got cause %s, want UNKNOWN_EXTERNAL_WORKFLOW_EXECUTION", a.Cause)
	}
	if a := eventOf(t, h, types.EventTypeContinueAsNewWorkflowExecutionFailed).ContinueAsNewWorkflowExecutionFailedEventAttributes; a.Cause != types.ContinueAsNewWorkflowExecutionFailedCauseWorkflowTypeDeprecated {
		t.Fatalf("got cause %s, want WORKFLOW_TYPE_DEPRECATED", a.Cause)
	}
	if d := env.Describe(t, f.domain, wfID, runID); d.ExecutionInfo.ExecutionStatus != types.ExecutionStatusOpen {
		t.Fatalf("got %s, want the run still open", d.ExecutionInfo.ExecutionStatus)
	}
}

// Scheduling faster than the per-task-list rate fails with
// ACTIVITY_CREATION_RATE_EXCEEDED; the rate refills with time.
func TestActivityCreationRate(t *testing.T) {
	t.Parallel()
	lim := swftestLimits()
	lim.MaxActivityRate = 3
	env := swftest.Start(t, swftest.WithLimits(lim))
	d := env.Domain(t)
	wt := env.WorkflowType(t, d)
	at := env.ActivityType(t, d, "act", swftest.ActivityDefaults("work"))
	wfID, runID := env.Start(t, d, wt)
	var five []types.Decision
	for i := 0; i < 5; i++ {
		five = append(five, swftest.ScheduleActivity(fmt.Sprint("a", i), at))
	}
	env.Decide(t, aws.ToString(env.PollDecision(t, d, "decisions").TaskToken), five...)
	count := func() (scheduled, limited int) {
		for _, ev := range env.History(t, d, wfID, runID) {
			if ev.EventType == types.EventTypeActivityTaskScheduled {
				scheduled++
			}
			if a := ev.ScheduleActivityTaskFailedEventAttributes; a != nil && a.Cause == types.ScheduleActivityTaskFailedCauseActivityCreationRateExceeded {
				limited++
			}
		}
		return
	}
	if s, l := count(); s != 3 || l != 2 {
		t.Fatalf("got %d scheduled and %d rate-limited, want 3 and 2", s, l)
	}
	env.Clock.Advance(time.Second)
	env.Decide(t, aws.ToString(env.PollDecision(t, d, "decisions").TaskToken), swftest.ScheduleActivity("again", at))
	if s, _ := count(); s != 4 {
		t.Fatalf("got %d scheduled after a second, want 4", s)
	}
}
