package conformance

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/openswf/openswf/internal/swftest"
)

// TestStartWorkflowExecution covers StartWorkflowExecution (BEHAVIOR §6).
func TestStartWorkflowExecution(t *testing.T) {
	t.Parallel()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		env := swftest.Start(t)
		d := env.Domain(t)
		wt := env.WorkflowType(t, d)
		wfID, runID := env.Start(t, d, wt, func(in *swf.StartWorkflowExecutionInput) {
			in.Input = aws.String("in")
			in.TagList = []string{"t1", "t2"}
		})
		events := env.History(t, d, wfID, runID)
		wantIDsNumbered(t, events)
		if got := swftest.Types(events); len(got) != 2 || got[0] != "WorkflowExecutionStarted" || got[1] != "DecisionTaskScheduled" {
			t.Fatalf("got history %v, want [WorkflowExecutionStarted DecisionTaskScheduled]", got)
		}
		a := events[0].WorkflowExecutionStartedEventAttributes
		if aws.ToString(a.Input) != "in" || aws.ToString(a.TaskList.Name) != swftest.DecisionTaskList || a.ChildPolicy != types.ChildPolicyTerminate ||
			aws.ToString(a.ExecutionStartToCloseTimeout) != "86400" || aws.ToString(a.TaskStartToCloseTimeout) != "3600" || len(a.TagList) != 2 {
			t.Fatalf("got started attributes %+v, want input, the type's defaults and the tags", a)
		}
		if ts := aws.ToTime(events[0].EventTimestamp); !ts.Equal(swftest.Epoch) {
			t.Errorf("got event timestamp %v, want the fake clock's %v", ts, swftest.Epoch)
		}
		out := env.Describe(t, d, wfID, runID)
		if out.ExecutionInfo.ExecutionStatus != types.ExecutionStatusOpen || aws.ToString(out.ExecutionInfo.Execution.RunId) != runID {
			t.Fatalf("got %s run %s, want OPEN run %s", out.ExecutionInfo.ExecutionStatus, aws.ToString(out.ExecutionInfo.Execution.RunId), runID)
		}
	})

	t.Run("DistinctRunIDs", func(t *testing.T) {
		t.Parallel()
		env := swftest.Start(t)
		d := env.Domain(t)
		wt := env.WorkflowType(t, d)
		seen := map[string]bool{}
		for range 20 {
			_, runID := env.Start(t, d, wt)
			if seen[runID] {
				t.Fatalf("runId %s handed out twice", runID)
			}
			seen[runID] = true
		}
	})

	t.Run("WorkflowIDReuse", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ctx := swftest.Ctx(t)
		_, err := b.env.SWF.StartWorkflowExecution(ctx, &swf.StartWorkflowExecutionInput{Domain: aws.String(b.domain), WorkflowId: aws.String(b.wfID), WorkflowType: &b.wt})
		swftest.Fault[*types.WorkflowExecutionAlreadyStartedFault](t, err)
		// The same id in another domain is a different execution.
		other := b.env.Domain(t)
		owt := b.env.WorkflowType(t, other)
		if _, err := b.env.SWF.StartWorkflowExecution(ctx, &swf.StartWorkflowExecutionInput{Domain: aws.String(other), WorkflowId: aws.String(b.wfID), WorkflowType: &owt}); err != nil {
			t.Fatalf("same workflowId in another domain: %v", err)
		}
		b.decide(t, swftest.CompleteWorkflow(""))
		out, err := b.env.SWF.StartWorkflowExecution(ctx, &swf.StartWorkflowExecutionInput{Domain: aws.String(b.domain), WorkflowId: aws.String(b.wfID), WorkflowType: &b.wt})
		if err != nil {
			t.Fatalf("restart after close: %v", err)
		}
		if aws.ToString(out.RunId) == b.runID {
			t.Fatalf("second run reused runId %s", b.runID)
		}
	})

	t.Run("DefaultUndefined", func(t *testing.T) {
		t.Parallel()
		env := swftest.Start(t)
		ctx := swftest.Ctx(t)
		d := env.Domain(t)
		cases := map[string]func(*swf.RegisterWorkflowTypeInput){
			"TaskList":                     func(in *swf.RegisterWorkflowTypeInput) { in.DefaultTaskList = nil },
			"ChildPolicy":                  func(in *swf.RegisterWorkflowTypeInput) { in.DefaultChildPolicy = "" },
			"ExecutionStartToCloseTimeout": func(in *swf.RegisterWorkflowTypeInput) { in.DefaultExecutionStartToCloseTimeout = nil },
			"TaskStartToCloseTimeout":      func(in *swf.RegisterWorkflowTypeInput) { in.DefaultTaskStartToCloseTimeout = nil },
		}
		for name, drop := range cases {
			wt := env.WorkflowType(t, d, drop)
			_, err := env.SWF.StartWorkflowExecution(ctx, &swf.StartWorkflowExecutionInput{Domain: aws.String(d), WorkflowId: aws.String(name), WorkflowType: &wt})
			if err == nil {
				t.Errorf("%s missing: start succeeded, want DefaultUndefinedFault", name)
				continue
			}
			swftest.Fault[*types.DefaultUndefinedFault](t, err)
		}
		// With every value given, a type without defaults starts.
		wt := env.WorkflowType(t, d, func(in *swf.RegisterWorkflowTypeInput) {
			in.DefaultTaskList, in.DefaultChildPolicy, in.DefaultExecutionStartToCloseTimeout, in.DefaultTaskStartToCloseTimeout = nil, "", nil, nil
		})
		if _, err := env.SWF.StartWorkflowExecution(ctx, &swf.StartWorkflowExecutionInput{
			Domain: aws.String(d), WorkflowId: aws.String("full"), WorkflowType: &wt,
			TaskList: &types.TaskList{Name: aws.String("tl")}, ChildPolicy: types.ChildPolicyAbandon,
			ExecutionStartToCloseTimeout: aws.String("60"), TaskStartToCloseTimeout: aws.String("NONE"),
		}); err != nil {
			t.Fatalf("start with every value given: %v", err)
		}
	})

	t.Run("UnknownType", func(t *testing.T) {
		t.Parallel()
		env := swftest.Start(t)
		d := env.Domain(t)
		_, err := env.SWF.StartWorkflowExecution(swftest.Ctx(t), &swf.StartWorkflowExecutionInput{
			Domain: aws.String(d), WorkflowId: aws.String("w"), WorkflowType: &types.WorkflowType{Name: aws.String("nope"), Version: aws.String("1")},
		})
		swftest.Fault[*types.UnknownResourceFault](t, err)
	})

	t.Run("TooManyTags", func(t *testing.T) {
		t.Parallel()
		env := swftest.Start(t)
		d := env.Domain(t)
		wt := env.WorkflowType(t, d)
		_, err := env.SWF.StartWorkflowExecution(swftest.Ctx(t), &swf.StartWorkflowExecutionInput{
			Domain: aws.String(d), WorkflowId: aws.String("w"), WorkflowType: &wt, TagList: []string{"1", "2", "3", "4", "5", "6"},
		})
		if err == nil {
			t.Fatalf("start with 6 tags succeeded, want it refused")
		}
	})
}

// TestDescribeWorkflowExecution checks openCounts, the latest activity
// timestamp and the latest execution context (BEHAVIOR §6).
func TestDescribeWorkflowExecution(t *testing.T) {
	t.Parallel()
	b := setup(t)
	out := b.describe(t)
	if c := out.OpenCounts; c.OpenDecisionTasks != 1 || c.OpenActivityTasks != 0 || c.OpenTimers != 0 {
		t.Fatalf("after start: got open counts %+v, want 1 decision task", c)
	}
	if out.LatestActivityTaskTimestamp != nil {
		t.Fatalf("after start: got latestActivityTaskTimestamp %v, want none", out.LatestActivityTaskTimestamp)
	}
	if cfg := out.ExecutionConfiguration; aws.ToString(cfg.TaskList.Name) != swftest.DecisionTaskList || cfg.ChildPolicy != types.ChildPolicyTerminate {
		t.Fatalf("got configuration %+v, want the type's defaults", cfg)
	}

	b.env.Clock.Advance(90 * time.Second)
	task := b.pollDecision(t)
	if got := b.describe(t).OpenCounts.OpenDecisionTasks; got != 1 {
		t.Fatalf("decision task started: got %d open decision tasks, want 1", got)
	}
	if _, err := b.env.SWF.RespondDecisionTaskCompleted(swftest.Ctx(t), &swf.RespondDecisionTaskCompletedInput{
		TaskToken:        task.TaskToken,
		ExecutionContext: aws.String("ctx-1"),
		Decisions: []types.Decision{
			swftest.ScheduleActivity("a1", b.at), swftest.ScheduleActivity("a2", b.at),
			swftest.StartTimer("t1", "600"),
		},
	}); err != nil {
		t.Fatalf("RespondDecisionTaskCompleted: %v", err)
	}
	out = b.describe(t)
	if c := out.OpenCounts; c.OpenDecisionTasks != 0 || c.OpenActivityTasks != 2 || c.OpenTimers != 1 {
		t.Fatalf("after scheduling: got open counts %+v, want 2 activities, 1 timer, no decision task", c)
	}
	if got, want := aws.ToTime(out.LatestActivityTaskTimestamp), swftest.Epoch.Add(90*time.Second); !got.Equal(want) {
		t.Fatalf("got latestActivityTaskTimestamp %v, want %v", got, want)
	}
	if got := aws.ToString(out.LatestExecutionContext); got != "ctx-1" {
		t.Fatalf("got latestExecutionContext %q, want ctx-1", got)
	}

	act := b.env.PollActivity(t, b.domain, b.actList)
	if _, err := b.env.SWF.RespondActivityTaskCompleted(swftest.Ctx(t), &swf.RespondActivityTaskCompletedInput{TaskToken: act.TaskToken}); err != nil {
		t.Fatalf("RespondActivityTaskCompleted: %v", err)
	}
	if c := b.describe(t).OpenCounts; c.OpenDecisionTasks != 1 || c.OpenActivityTasks != 1 {
		t.Fatalf("after one activity closed: got open counts %+v, want 1 activity and 1 decision task", c)
	}
	task = b.pollDecision(t)
	if _, err := b.env.SWF.RespondDecisionTaskCompleted(swftest.Ctx(t), &swf.RespondDecisionTaskCompletedInput{
		TaskToken: task.TaskToken, Decisions: []types.Decision{swftest.CompleteWorkflow("ok")},
	}); err != nil {
		t.Fatalf("RespondDecisionTaskCompleted: %v", err)
	}
	out = b.describe(t)
	if out.ExecutionInfo.ExecutionStatus != types.ExecutionStatusClosed || out.ExecutionInfo.CloseStatus != types.CloseStatusCompleted || out.ExecutionInfo.CloseTimestamp == nil {
		t.Fatalf("after completion: got %s/%s closed at %v, want CLOSED/COMPLETED with a close time", out.ExecutionInfo.ExecutionStatus, out.ExecutionInfo.CloseStatus, out.ExecutionInfo.CloseTimestamp)
	}
	if c := out.OpenCounts; c.OpenDecisionTasks != 0 || c.OpenActivityTasks != 0 || c.OpenTimers != 0 {
		t.Fatalf("closed execution: got open counts %+v, want all 0", c)
	}
	if got := aws.ToString(out.LatestExecutionContext); got != "ctx-1" {
		t.Fatalf("closed execution: got latestExecutionContext %q, want ctx-1 (a decision without context keeps it)", got)
	}

	_, err := b.env.SWF.DescribeWorkflowExecution(swftest.Ctx(t), &swf.DescribeWorkflowExecutionInput{
		Domain: aws.String(b.domain), Execution: &types.WorkflowExecution{WorkflowId: aws.String(b.wfID), RunId: aws.String("no-such-run")},
	})
	swftest.Fault[*types.UnknownResourceFault](t, err)
}

// TestHistoryPaging checks GetWorkflowExecutionHistory paging and order.
func TestHistoryPaging(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// Five markers, then signals: a history of 14 events.
	b.decide(t, swftest.RecordMarker("m1", ""), swftest.RecordMarker("m2", ""), swftest.RecordMarker("m3", ""),
		swftest.RecordMarker("m4", ""), swftest.RecordMarker("m5", ""))
	for range 5 {
		if _, err := b.env.SWF.SignalWorkflowExecution(swftest.Ctx(t), &swf.SignalWorkflowExecutionInput{
			Domain: aws.String(b.domain), WorkflowId: aws.String(b.wfID), SignalName: aws.String("s"),
		}); err != nil {
			t.Fatalf("SignalWorkflowExecution: %v", err)
		}
	}
	all := b.history(t)
	n := len(all)
	wantIDsNumbered(t, all)
	if n < 13 {
		t.Fatalf("got %d events, want at least 13", n)
	}

	pages := func(size int32, reverse bool) (ids []int64, count int) {
		var next *string
		for {
			out, err := b.env.SWF.GetWorkflowExecutionHistory(swftest.Ctx(t), &swf.GetWorkflowExecutionHistoryInput{
				Domain: aws.String(b.domain), Execution: b.execution(), MaximumPageSize: size, ReverseOrder: reverse, NextPageToken: next,
			})
			if err != nil {
				t.Fatalf("GetWorkflowExecutionHistory: %v", err)
			}
			if size > 0 && len(out.Events) > int(size) {
				t.Fatalf("page of %d events, want at most %d", len(out.Events), size)
			}
			for _, ev := range out.Events {
				ids = append(ids, ev.EventId)
			}
			count++
			if aws.ToString(out.NextPageToken) == "" || count > n {
				return ids, count
			}
			next = out.NextPageToken
		}
	}
	ids, count := pages(4, false)
	if len(ids) != n || count != (n+3)/4 {
		t.Fatalf("pages of 4: got %d events in %d pages, want %d in %d", len(ids), count, n, (n+3)/4)
	}
	for i, id := range ids {
		if id != int64(i+1) {
			t.Fatalf("pages of 4: event %d has id %d, want %d", i, id, i+1)
		}
	}
	ids, _ = pages(3, true)
	if len(ids) != n {
		t.Fatalf("reverse pages: got %d events, want %d", len(ids), n)
	}
	for i, id := range ids {
		if id != int64(n-i) {
			t.Fatalf("reverse pages: event %d has id %d, want %d", i, id, n-i)
		}
	}
	// A page size equal to the history answers one page.
	if _, count := pages(int32(n), false); count != 1 {
		t.Fatalf("page size %d: got %d pages, want 1", n, count)
	}

	// A token used with the other order is refused.
	out, err := b.env.SWF.GetWorkflowExecutionHistory(swftest.Ctx(t), &swf.GetWorkflowExecutionHistoryInput{
		Domain: aws.String(b.domain), Execution: b.execution(), MaximumPageSize: 2,
	})
	if err != nil {
		t.Fatalf("GetWorkflowExecutionHistory: %v", err)
	}
	_, err = b.env.SWF.GetWorkflowExecutionHistory(swftest.Ctx(t), &swf.GetWorkflowExecutionHistoryInput{
		Domain: aws.String(b.domain), Execution: b.execution(), MaximumPageSize: 2, ReverseOrder: true, NextPageToken: out.NextPageToken,
	})
	if err == nil {
		t.Errorf("forward page token used in reverse: got no error, want one")
	}

	_, err = b.env.SWF.GetWorkflowExecutionHistory(swftest.Ctx(t), &swf.GetWorkflowExecutionHistoryInput{
		Domain: aws.String(b.domain), Execution: b.execution(), MaximumPageSize: 1001,
	})
	swftest.WantCode(t, err, "ValidationException")
	_, err = b.env.SWF.GetWorkflowExecutionHistory(swftest.Ctx(t), &swf.GetWorkflowExecutionHistoryInput{
		Domain: aws.String(b.domain), Execution: &types.WorkflowExecution{WorkflowId: aws.String(b.wfID), RunId: aws.String("nope")},
	})
	swftest.Fault[*types.UnknownResourceFault](t, err)
}

// TestSignalWorkflowExecution covers signals (BEHAVIOR §5).
func TestSignalWorkflowExecution(t *testing.T) {
	t.Parallel()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ctx := swftest.Ctx(t)
		b.decide(t) // no decision task open now
		if _, err := b.env.SWF.SignalWorkflowExecution(ctx, &swf.SignalWorkflowExecutionInput{
			Domain: aws.String(b.domain), WorkflowId: aws.String(b.wfID), RunId: aws.String(b.runID),
			SignalName: aws.String("go"), Input: aws.String("payload"),
		}); err != nil {
			t.Fatalf("SignalWorkflowExecution: %v", err)
		}
		events := b.history(t)
		wantTail(t, events, types.EventTypeWorkflowExecutionSignaled, types.EventTypeDecisionTaskScheduled)
		a := swftest.Last(t, events, types.EventTypeWorkflowExecutionSignaled).WorkflowExecutionSignaledEventAttributes
		if aws.ToString(a.SignalName) != "go" || aws.ToString(a.Input) != "payload" {
			t.Fatalf("got signal %q input %q, want go/payload", aws.ToString(a.SignalName), aws.ToString(a.Input))
		}
		// Without runId and without input.
		if _, err := b.env.SWF.SignalWorkflowExecution(ctx, &swf.SignalWorkflowExecutionInput{
			Domain: aws.String(b.domain), WorkflowId: aws.String(b.wfID), SignalName: aws.String("again"),
		}); err != nil {
			t.Fatalf("SignalWorkflowExecution without runId and input: %v", err)
		}
		events = b.history(t)
		// One decision task is already scheduled: no second one.
		wantTail(t, events, types.EventTypeWorkflowExecutionSignaled, types.EventTypeDecisionTaskScheduled, types.EventTypeWorkflowExecutionSignaled)
		if got := swftest.Last(t, events, types.EventTypeWorkflowExecutionSignaled).WorkflowExecutionSignaledEventAttributes.Input; got != nil && *got != "" {
			t.Fatalf("got input %q, want none", *got)
		}
		task := b.pollDecision(t)
		if got := swftest.Count(task.Events, types.EventTypeWorkflowExecutionSignaled); got != 2 {
			t.Fatalf("decision task shows %d signals, want 2", got)
		}
	})

	t.Run("UnknownExecution", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ctx := swftest.Ctx(t)
		for name, in := range map[string]*swf.SignalWorkflowExecutionInput{
			"workflowId": {Domain: aws.String(b.domain), WorkflowId: aws.String("nope"), SignalName: aws.String("s")},
			"runId":      {Domain: aws.String(b.domain), WorkflowId: aws.String(b.wfID), RunId: aws.String("nope"), SignalName: aws.String("s")},
			"domain":     {Domain: aws.String("no-such-domain"), WorkflowId: aws.String(b.wfID), SignalName: aws.String("s")},
		} {
			_, err := b.env.SWF.SignalWorkflowExecution(ctx, in)
			if err == nil {
				t.Fatalf("unknown %s: got no error, want UnknownResourceFault", name)
			}
			swftest.Fault[*types.UnknownResourceFault](t, err)
		}
		b.decide(t, swftest.CompleteWorkflow(""))
		before := b.history(t)
		_, err := b.env.SWF.SignalWorkflowExecution(ctx, &swf.SignalWorkflowExecutionInput{Domain: aws.String(b.domain), WorkflowId: aws.String(b.wfID), SignalName: aws.String("s")})
		swftest.Fault[*types.UnknownResourceFault](t, err)
		wantSame(t, before, b.history(t))
	})
}

// TestRequestCancelWorkflowExecution: the request is an event and a
// decision task; the decider closes the run as CANCELED (BEHAVIOR §5).
func TestRequestCancelWorkflowExecution(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := swftest.Ctx(t)
	b.decide(t)
	if _, err := b.env.SWF.RequestCancelWorkflowExecution(ctx, &swf.RequestCancelWorkflowExecutionInput{Domain: aws.String(b.domain), WorkflowId: aws.String(b.wfID)}); err != nil {
		t.Fatalf("RequestCancelWorkflowExecution: %v", err)
	}
	wantTail(t, b.history(t), types.EventTypeWorkflowExecutionCancelRequested, types.EventTypeDecisionTaskScheduled)
	if !b.describe(t).ExecutionInfo.CancelRequested {
		t.Fatalf("DescribeWorkflowExecution: cancelRequested false, want true")
	}
	task := b.pollDecision(t)
	wantTail(t, task.Events, types.EventTypeWorkflowExecutionCancelRequested, types.EventTypeDecisionTaskScheduled, types.EventTypeDecisionTaskStarted)
	b.env.Decide(t, aws.ToString(task.TaskToken), swftest.CancelWorkflow("bye"))
	events := b.history(t)
	wantTail(t, events, types.EventTypeDecisionTaskCompleted, types.EventTypeWorkflowExecutionCanceled)
	if got := aws.ToString(swftest.Last(t, events, types.EventTypeWorkflowExecutionCanceled).WorkflowExecutionCanceledEventAttributes.Details); got != "bye" {
		t.Fatalf("got details %q, want bye", got)
	}
	if got := b.describe(t).ExecutionInfo.CloseStatus; got != types.CloseStatusCanceled {
		t.Fatalf("got close status %s, want CANCELED", got)
	}
	_, err := b.env.SWF.RequestCancelWorkflowExecution(ctx, &swf.RequestCancelWorkflowExecutionInput{Domain: aws.String(b.domain), WorkflowId: aws.String(b.wfID)})
	swftest.Fault[*types.UnknownResourceFault](t, err)
}

// TestTerminateWorkflowExecution: closes at once, and its open tasks die
// with it (BEHAVIOR §5).
func TestTerminateWorkflowExecution(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := swftest.Ctx(t)
	task := b.startActivity(t, "a1")
	b.env.Heartbeat(t, aws.ToString(task.TaskToken), "")
	if _, err := b.env.SWF.TerminateWorkflowExecution(ctx, &swf.TerminateWorkflowExecutionInput{
		Domain: aws.String(b.domain), WorkflowId: aws.String(b.wfID), Reason: aws.String("ops"), Details: aws.String("stop"),
	}); err != nil {
		t.Fatalf("TerminateWorkflowExecution: %v", err)
	}
	events := b.history(t)
	wantTail(t, events, types.EventTypeWorkflowExecutionTerminated)
	a := events[len(events)-1].WorkflowExecutionTerminatedEventAttributes
	if a.Cause != types.WorkflowExecutionTerminatedCauseOperatorInitiated || aws.ToString(a.Reason) != "ops" || aws.ToString(a.Details) != "stop" || a.ChildPolicy != types.ChildPolicyTerminate {
		t.Fatalf("got terminated attributes %+v, want OPERATOR_INITIATED, ops, stop, TERMINATE", a)
	}
	out := b.describe(t)
	if out.ExecutionInfo.CloseStatus != types.CloseStatusTerminated {
		t.Fatalf("got close status %s, want TERMINATED", out.ExecutionInfo.CloseStatus)
	}
	_, err := b.env.TryHeartbeat(aws.ToString(task.TaskToken), "late")
	swftest.Fault[*types.UnknownResourceFault](t, err)
	_, err = b.env.SWF.RespondActivityTaskCompleted(ctx, &swf.RespondActivityTaskCompletedInput{TaskToken: task.TaskToken})
	swftest.Fault[*types.UnknownResourceFault](t, err)
	wantSame(t, events, b.history(t))
	_, err = b.env.SWF.TerminateWorkflowExecution(ctx, &swf.TerminateWorkflowExecutionInput{Domain: aws.String(b.domain), WorkflowId: aws.String(b.wfID)})
	swftest.Fault[*types.UnknownResourceFault](t, err)
	// The workflow id is free again.
	b.env.Start(t, b.domain, b.wt, func(in *swf.StartWorkflowExecutionInput) { in.WorkflowId = aws.String(b.wfID) })
}
