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

// startTestEngine starts an engine on a fresh SQLite store with a fake
// clock, its Config changed by with (when set), registers domain d and
// workflow type w 1, and closes both at the end of the test.
func startTestEngine(t *testing.T, with func(*Config)) (*Engine, *shape.WorkflowType) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := sqlite.Open(t.TempDir(), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := Config{Clock: clock.NewFake(time.Unix(1_800_000_000, 0)), Store: st, Log: log}
	if with != nil {
		with(&cfg)
	}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	wt := &shape.WorkflowType{Name: "w", Version: "1"}
	for _, err := range []error{
		e.RegisterDomain(ctx, &shape.RegisterDomainInput{Name: "d", WorkflowExecutionRetentionPeriodInDays: "1"}),
		e.RegisterWorkflowType(ctx, &shape.RegisterWorkflowTypeInput{Domain: "d", Name: wt.Name, Version: wt.Version}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return e, wt
}

// A call whose change cannot be stored is answered with a 503
// ServiceUnavailableException that says storage failed and why (not an
// InternalFailure, whose message the wire layer hides), and the engine
// hands the error to FatalFunc, which stops the server: for a run's change
// and for a registry change alike.
func TestStorageFailureFault(t *testing.T) {
	t.Parallel()
	var fs *failingStore
	var fatal []error
	e, wt := startTestEngine(t, func(c *Config) {
		fs = &failingStore{Store: c.Store}
		c.Store = fs
		c.FatalFunc = func(err error) { fatal = append(fatal, err) }
	})
	ctx := context.Background()
	fs.fail.Store(true)
	for i, call := range []func() error{
		func() error { // a run's change, applied in memory before the write
			_, err := e.StartWorkflowExecution(ctx, &shape.StartWorkflowExecutionInput{
				Domain: "d", WorkflowId: "wf", WorkflowType: wt, TaskList: &shape.TaskList{Name: "l"},
				ExecutionStartToCloseTimeout: "600", TaskStartToCloseTimeout: "60", ChildPolicy: shape.ChildPolicyTerminate,
			})
			return err
		},
		func() error { // a registry change, kept in memory only after the write
			return e.RegisterDomain(ctx, &shape.RegisterDomainInput{Name: "d2", WorkflowExecutionRetentionPeriodInDays: "1"})
		},
	} {
		err := call()
		var f *swf.Fault
		if !errors.As(err, &f) || f.Name != swf.ServiceUnavailable {
			t.Fatalf("call %d on a failing store: %v, want a %s fault", i, err, swf.ServiceUnavailable)
		}
		for _, want := range []string{"storage failed", "no space left on device", "restart"} {
			if !strings.Contains(f.Message, want) {
				t.Errorf("call %d: the fault says %q; want it to say %q", i, f.Message, want)
			}
		}
		if len(fatal) != i+1 || !strings.Contains(fatal[i].Error(), "no space left on device") {
			t.Fatalf("call %d: FatalFunc got %v, want the store's error once per failed call", i, fatal)
		}
	}
	if _, err := e.DescribeDomain(ctx, &shape.DescribeDomainInput{Name: "d2"}); err == nil {
		t.Error("the domain whose registration failed is served")
	}
}
