package engine

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/openswf/openswf/internal/clock"
	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/store/sqlite"
)

// Closing a run hands its deadlines to the timer queue to forget: its
// execution timeout (a day here) would otherwise stay in the heap until due.
func TestClosedRunsDeadlinesAreForgotten(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := sqlite.Open(t.TempDir(), log)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e, err := New(Config{Clock: clock.NewFake(time.Unix(1_800_000_000, 0)), Store: st, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	wt := &shape.WorkflowType{Name: "w", Version: "1"}
	for _, err := range []error{
		e.RegisterDomain(ctx, &shape.RegisterDomainInput{Name: "d", WorkflowExecutionRetentionPeriodInDays: "1"}),
		e.RegisterWorkflowType(ctx, &shape.RegisterWorkflowTypeInput{Domain: "d", Name: wt.Name, Version: wt.Version}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
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
