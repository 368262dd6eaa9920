package engine

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/openswf/openswf/internal/clock"
	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/store"
	"github.com/openswf/openswf/internal/store/sqlite"
	"github.com/openswf/openswf/internal/swf"
)

// failingStore fails every change submitted once fail is set, as a full
// disk would, without writing it.
type failingStore struct {
	store.Store
	fail atomic.Bool
}

func (f *failingStore) Submit(c *store.Change) <-chan error {
	if !f.fail.Load() {
		return f.Store.Submit(c)
	}
	ch := make(chan error, 1)
	ch <- errors.New("write failed, nothing of it was stored: " + syscall.ENOSPC.Error())
	return ch
}

// A call whose change cannot be stored is answered with a 503
// ServiceUnavailableException that says storage failed and why (not an
// InternalFailure, whose message the wire layer hides), and the engine
// hands the error to FatalFunc, which stops the server.
func TestStorageFailureFault(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := sqlite.Open(t.TempDir(), log)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fs := &failingStore{Store: st}
	var fatal []error
	e, err := New(Config{Clock: clock.NewFake(time.Unix(1_800_000_000, 0)), Store: fs, Log: log,
		FatalFunc: func(err error) { fatal = append(fatal, err) }})
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
	fs.fail.Store(true)
	_, err = e.StartWorkflowExecution(ctx, &shape.StartWorkflowExecutionInput{
		Domain: "d", WorkflowId: "wf", WorkflowType: wt, TaskList: &shape.TaskList{Name: "l"},
		ExecutionStartToCloseTimeout: "600", TaskStartToCloseTimeout: "60", ChildPolicy: shape.ChildPolicyTerminate,
	})
	var f *swf.Fault
	if !errors.As(err, &f) || f.Name != swf.ServiceUnavailable {
		t.Fatalf("StartWorkflowExecution on a failing store: %v, want a %s fault", err, swf.ServiceUnavailable)
	}
	for _, want := range []string{"storage failed", "no space left on device", "restart"} {
		if !strings.Contains(f.Message, want) {
			t.Errorf("the fault says %q; want it to say %q", f.Message, want)
		}
	}
	if len(fatal) != 1 || !strings.Contains(fatal[0].Error(), "no space left on device") {
		t.Fatalf("FatalFunc got %v, want the store's error once", fatal)
	}
}
