package engine

import (
	"context"
	"testing"

	"github.com/openswf/openswf/internal/shape"
)

// Closing a run hands its deadlines to the timer queue to forget: its
// execution timeout (a day here) would otherwise stay in the heap until due.
func TestClosedRunsDeadlinesAreForgotten(t *testing.T) {
	t.Parallel()
	e, wt := startTestEngine(t, nil)
	ctx := context.Background()
	run, err := e.StartWorkflowExecution(ctx, &shape.StartWorkflowExecutionInput{
		Domain: "d", WorkflowId: "wf", WorkflowType: wt, TaskList: &shape.TaskList{Name: "l"},
		ExecutionStartToCloseTimeout: "86400", TaskStartToCloseTimeout: "60", ChildPolicy: shape.ChildPolicyTerminate,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.TerminateWorkflowExecution(ctx, &shape.TerminateWorkflowExecutionInput{Domain: "d", WorkflowId: "wf"}); err != nil {
		t.Fatal(err)
	}
	e.timers.mu.Lock()
	_, forgotten := e.timers.gone[run.RunId]
	e.timers.mu.Unlock()
	if !forgotten {
		t.Fatal("the terminated run's deadlines were not handed to the timer queue to forget")
	}
}
