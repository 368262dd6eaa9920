package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/openswf/openswf/openswftest"
	"github.com/openswf/openswf/worker"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// The whole example, as `go run` runs it, against an in-process server.
func TestRun(t *testing.T) {
	t.Parallel()
	srv := openswftest.Start(t)
	var out strings.Builder
	noWork := func(context.Context, string, int) error { return nil }
	cfg := config{domain: "orders", order: "order-1", charger: charger{steps: 5, step: noWork}, grace: 10 * time.Millisecond, log: quiet}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := run(ctx, srv.Client, cfg, &out); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "order-1: COMPLETED\n" {
		t.Errorf("printed %q, want the order completed", got)
	}
}

// order starts the workers with a charge that blocks at its third step
// (40%) until its task is canceled, starts an order and returns once the
// charge is there.
func order(t *testing.T, heartbeat time.Duration) (*openswftest.Server, *types.WorkflowExecution) {
	t.Helper()
	srv := openswftest.Start(t)
	ctx := t.Context()
	if err := register(ctx, srv.Client, "orders", "300"); err != nil {
		t.Fatal(err)
	}
	stuck := make(chan struct{})
	step := func(ctx context.Context, order string, i int) error {
		if i < 2 {
			return nil
		}
		close(stuck)
		<-ctx.Done()
		return ctx.Err()
	}
	cfg := config{domain: "orders", charger: charger{steps: 5, step: step}, grace: 10 * time.Millisecond, heartbeat: heartbeat, log: quiet}
	t.Cleanup(startWorkers(context.Background(), srv.Client, cfg))
	start, err := srv.Client.StartWorkflowExecution(ctx, &swf.StartWorkflowExecutionInput{
		Domain: aws.String("orders"), WorkflowId: aws.String("order-1"), Input: aws.String("order-1"),
		WorkflowType: worker.WorkflowType(workflowName, version),
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-stuck:
	case <-time.After(10 * time.Second):
		t.Fatal("the charge never reached its third step")
	}
	return srv, &types.WorkflowExecution{WorkflowId: aws.String("order-1"), RunId: start.RunId}
}

// closed waits for the order to close and returns its info and its last
// event.
func closed(t *testing.T, srv *openswftest.Server, we *types.WorkflowExecution) (*types.WorkflowExecutionInfo, types.HistoryEvent) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	info, err := awaitClose(ctx, srv.Client, "orders", we)
	if err != nil {
		t.Fatal(err)
	}
	h, err := srv.Client.GetWorkflowExecutionHistory(ctx, &swf.GetWorkflowExecutionHistoryInput{
		Domain: aws.String("orders"), Execution: we, ReverseOrder: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return info, h.Events[0]
}

// Canceling the order cancels the charge, which stops where it was.
func TestCancel(t *testing.T) {
	t.Parallel()
	srv, we := order(t, 2*time.Millisecond)
	if _, err := srv.Client.RequestCancelWorkflowExecution(t.Context(), &swf.RequestCancelWorkflowExecutionInput{
		Domain: aws.String("orders"), WorkflowId: we.WorkflowId,
	}); err != nil {
		t.Fatal(err)
	}
	info, ev := closed(t, srv, we)
	if info.CloseStatus != types.CloseStatusCanceled {
		t.Fatalf("order closed %s, want CANCELED", info.CloseStatus)
	}
	if d := aws.ToString(ev.WorkflowExecutionCanceledEventAttributes.Details); d != "canceled at 40%" {
		t.Errorf("canceled with %q, want %q", d, "canceled at 40%")
	}
}

// A charge that hangs, and so stops heartbeating, fails the order once its
// five-minute heartbeat timeout passes: here, at once.
func TestHeartbeatTimeout(t *testing.T) {
	t.Parallel()
	// The worker heartbeats every 100 s (a third of the type's 300):
	// never, in this test's real time.
	srv, we := order(t, 0)
	srv.Advance(5 * time.Minute)
	info, ev := closed(t, srv, we)
	if info.CloseStatus != types.CloseStatusFailed {
		t.Fatalf("order closed %s, want FAILED", info.CloseStatus)
	}
	if r := aws.ToString(ev.WorkflowExecutionFailedEventAttributes.Reason); r != "charge timed out (HEARTBEAT)" {
		t.Errorf("failed with %q, want the heartbeat timeout", r)
	}
}
