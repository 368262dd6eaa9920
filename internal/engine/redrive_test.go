package engine

import (
	"context"
	"testing"

	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/store"
)

// A StartChildWorkflowExecution redriven after its child has already run
// to its end (the node that started it died before the parent recorded
// the start; the parent's next owner redrives it) finds that child
// instead of running it a second time.
func TestRedrivenChildStartFindsAClosedChild(t *testing.T) {
	t.Parallel()
	e, wt := startTestEngine(t, nil)
	ctx := context.Background()
	parent, err := e.StartWorkflowExecution(ctx, &shape.StartWorkflowExecutionInput{
		Domain: "d", WorkflowId: "parent", WorkflowType: wt, TaskList: &shape.TaskList{Name: "l"},
		ExecutionStartToCloseTimeout: "600", TaskStartToCloseTimeout: "60", ChildPolicy: shape.ChildPolicyAbandon,
	})
	if err != nil {
		t.Fatal(err)
	}
	task, err := e.PollForDecisionTask(ctx, &shape.PollForDecisionTaskInput{Domain: "d", TaskList: &shape.TaskList{Name: "l"}})
	if err != nil || task == nil {
		t.Fatalf("poll: %v, %v", task, err)
	}
	if err := e.RespondDecisionTaskCompleted(ctx, &shape.RespondDecisionTaskCompletedInput{TaskToken: task.TaskToken, Decisions: []shape.Decision{{
		DecisionType: shape.DecisionTypeStartChildWorkflowExecution,
		StartChildWorkflowExecutionDecisionAttributes: &shape.StartChildWorkflowExecutionDecisionAttributes{
			WorkflowId: "child", WorkflowType: wt, TaskList: &shape.TaskList{Name: "cl"},
			ExecutionStartToCloseTimeout: "600", TaskStartToCloseTimeout: "60", ChildPolicy: shape.ChildPolicyAbandon,
		},
	}}}); err != nil {
		t.Fatal(err)
	}
	x := e.openState(parent.RunId)
	if x == nil {
		t.Fatal("the parent is not open")
	}
	x.mu.Lock()
	domain := x.e.Domain
	var initiated int64
	for id := range x.e.Children {
		initiated = x.e.Children[id].InitiatedEventID
	}
	x.mu.Unlock()
	child := e.findOpen(domain, "child", "")
	if child == nil || initiated == 0 {
		t.Fatalf("the child did not start (initiated event %d)", initiated)
	}
	childRun := child.e.Info.Execution.RunId
	if err := e.TerminateWorkflowExecution(ctx, &shape.TerminateWorkflowExecutionInput{Domain: "d", WorkflowId: "child"}); err != nil {
		t.Fatal(err)
	}

	we, err := e.startChildRun(domain, shape.WorkflowExecution{WorkflowId: "parent", RunId: parent.RunId},
		store.Transfer{Kind: store.TransferChild, WorkflowID: "child", InitiatedEventID: initiated}, true)
	if err != nil {
		t.Fatal(err)
	}
	if we.RunId != childRun {
		t.Fatalf("the redrive started run %s; want the child that already ran, %s", we.RunId, childRun)
	}
	if e.findOpen(domain, "child", "") != nil {
		t.Fatal("the redrive left a second child run open")
	}
}
