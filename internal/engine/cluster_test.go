package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/openswf/openswf/internal/clock"
	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/store"
	"github.com/openswf/openswf/internal/store/postgres"
	"github.com/openswf/openswf/internal/store/postgres/pgtest"
	"github.com/openswf/openswf/internal/swf"
)

// node is one engine of several on a shared PostgreSQL schema.
type node struct {
	name string
	st   *postgres.Store
	eng  *Engine
}

func startNode(t *testing.T, url, name string, clk clock.Clock, peers ...Peers) *node {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := postgres.OpenNode(context.Background(), url, log)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Clock: clk, Store: st, Log: log, Node: name,
		FatalFunc: func(err error) { t.Errorf("node %s: fatal store error: %v", name, err) }}
	if len(peers) > 0 {
		cfg.Peers = peers[0]
	}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		e.Close()
		st.Close()
	})
	return &node{name: name, st: st, eng: e}
}

// take acquires shard's lease for n and makes its engine serve the shard.
func (n *node) take(t *testing.T, shard int32, ttl time.Duration) postgres.Lease {
	t.Helper()
	l, ok, err := n.st.Acquire(context.Background(), n.name, shard, ttl)
	if err != nil || !ok {
		t.Fatalf("%s acquires shard %d: %v, %v", n.name, shard, ok, err)
	}
	if err := n.eng.TakeShard(context.Background(), shard, l.Epoch); err != nil {
		t.Fatal(err)
	}
	return l
}

func wantNotOwner(t *testing.T, err error) {
	t.Helper()
	var f *swf.Fault
	if !errors.As(err, &f) || f.Name != swf.ServiceUnavailable {
		t.Fatalf("got %v, want ServiceUnavailableException (not this node's shard)", err)
	}
}

// TestShardHandover: two engines on one database. A serves the shard of a
// run; B refuses calls about it. When A's lease lapses and B takes the
// shard, B serves the run from the database (history, open activity with
// its heartbeat, timer deadline); A's next write for it is fenced: it
// changes nothing, A lets the shard go and answers the retryable fault.
func TestShardHandover(t *testing.T) {
	url := pgtest.Schema(t)
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	a := startNode(t, url, "A", clk)
	const domain, list, wfID = "d", "tl", "order-1"
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	wt, at := &shape.WorkflowType{Name: "w", Version: "1"}, &shape.ActivityType{Name: "a", Version: "1"}
	// A writes the registry and is the home of both task lists throughout.
	for _, s := range []int32{registryShard, homeShard(domain, tokenActivity, list), homeShard(domain, tokenDecision, list)} {
		a.take(t, s, time.Hour)
	}
	must(a.eng.RegisterDomain(ctx, &shape.RegisterDomainInput{Name: domain, WorkflowExecutionRetentionPeriodInDays: "1"}))
	must(a.eng.RegisterWorkflowType(ctx, &shape.RegisterWorkflowTypeInput{Domain: domain, Name: wt.Name, Version: wt.Version}))
	must(a.eng.RegisterActivityType(ctx, &shape.RegisterActivityTypeInput{Domain: domain, Name: at.Name, Version: at.Version}))
	b := startNode(t, url, "B", clk) // after the registry is written: it loads it at start

	shard := store.ShardOf(domain, wfID)
	start := &shape.StartWorkflowExecutionInput{
		Domain: domain, WorkflowId: wfID, WorkflowType: wt, TaskList: &shape.TaskList{Name: list},
		ExecutionStartToCloseTimeout: "3600", TaskStartToCloseTimeout: "NONE", ChildPolicy: shape.ChildPolicyTerminate,
	}
	_, err := a.eng.StartWorkflowExecution(ctx, start)
	wantNotOwner(t, err) // nobody took the shard yet

	la := a.take(t, shard, 100*time.Millisecond)
	run, err := a.eng.StartWorkflowExecution(ctx, start)
	must(err)
	we := &shape.WorkflowExecution{WorkflowId: wfID, RunId: run.RunId}
	dt, err := a.eng.PollForDecisionTask(ctx, &shape.PollForDecisionTaskInput{Domain: domain, TaskList: &shape.TaskList{Name: list}})
	must(err)
	must(a.eng.RespondDecisionTaskCompleted(ctx, &shape.RespondDecisionTaskCompletedInput{TaskToken: dt.TaskToken, Decisions: []shape.Decision{
		{DecisionType: shape.DecisionTypeScheduleActivityTask, ScheduleActivityTaskDecisionAttributes: &shape.ScheduleActivityTaskDecisionAttributes{
			ActivityId: "charge", ActivityType: at, TaskList: &shape.TaskList{Name: list},
			HeartbeatTimeout: "300", ScheduleToStartTimeout: "NONE", ScheduleToCloseTimeout: "NONE", StartToCloseTimeout: "NONE"}},
		{DecisionType: shape.DecisionTypeStartTimer, StartTimerDecisionAttributes: &shape.StartTimerDecisionAttributes{TimerId: "t", StartToFireTimeout: "600"}},
	}}))
	task, err := a.eng.PollForActivityTask(ctx, &shape.PollForActivityTaskInput{Domain: domain, TaskList: &shape.TaskList{Name: list}})
	must(err)
	_, err = a.eng.RecordActivityTaskHeartbeat(ctx, &shape.RecordActivityTaskHeartbeatInput{TaskToken: task.TaskToken, Details: "40%"})
	must(err)

	_, err = b.eng.DescribeWorkflowExecution(ctx, &shape.DescribeWorkflowExecutionInput{Domain: domain, Execution: we})
	wantNotOwner(t, err)
	_, err = b.eng.RecordActivityTaskHeartbeat(ctx, &shape.RecordActivityTaskHeartbeatInput{TaskToken: task.TaskToken})
	wantNotOwner(t, err)

	// A pauses: its lease lapses and B takes the shard.
	time.Sleep(150 * time.Millisecond)
	lb := b.take(t, shard, time.Minute)
	if lb.Epoch != la.Epoch+1 {
		t.Fatalf("B's epoch %d, want %d", lb.Epoch, la.Epoch+1)
	}
	d, err := b.eng.DescribeWorkflowExecution(ctx, &shape.DescribeWorkflowExecutionInput{Domain: domain, Execution: we})
	must(err)
	if d.OpenCounts.OpenActivityTasks != 1 || d.OpenCounts.OpenTimers != 1 {
		t.Fatalf("B's view: %+v, want the open activity and timer", d.OpenCounts)
	}
	// A still believes it owns the shard: its write is fenced.
	_, err = a.eng.RecordActivityTaskHeartbeat(ctx, &shape.RecordActivityTaskHeartbeatInput{TaskToken: task.TaskToken, Details: "stale"})
	wantNotOwner(t, err)
	_, err = a.eng.DescribeWorkflowExecution(ctx, &shape.DescribeWorkflowExecutionInput{Domain: domain, Execution: we})
	wantNotOwner(t, err) // A let the shard go
	snap, err := b.st.LoadShard(ctx, shard)
	must(err)
	if len(snap.Activities) != 1 || snap.Activities[0].HeartbeatDetails == nil || *snap.Activities[0].HeartbeatDetails != "40%" {
		t.Fatalf("stored activity %+v: want A's last heartbeat before the hand-over, 40%%, kept", snap.Activities)
	}
	// The task token A issued works on B, and the heartbeat clock runs there.
	out, err := b.eng.RecordActivityTaskHeartbeat(ctx, &shape.RecordActivityTaskHeartbeatInput{TaskToken: task.TaskToken, Details: "60%"})
	must(err)
	if out.CancelRequested {
		t.Fatal("cancelRequested after the hand-over")
	}
	clk.Advance(301 * time.Second)
	hist, err := b.eng.GetWorkflowExecutionHistory(ctx, &shape.GetWorkflowExecutionHistoryInput{Domain: domain, Execution: we, MaximumPageSize: 1000})
	must(err)
	var timedOut *shape.ActivityTaskTimedOutEventAttributes
	for _, ev := range decodeEvents(hist.RawEvents) {
		if ev.EventType == shape.EventTypeActivityTaskTimedOut {
			timedOut = ev.ActivityTaskTimedOutEventAttributes
		}
	}
	if timedOut == nil || timedOut.Details != "60%" {
		t.Fatalf("history %v: want ActivityTaskTimedOut with B's last details 60%% (never A's stale write)", eventTypes(hist.RawEvents))
	}
	clk.Advance(300 * time.Second)
	hist, err = b.eng.GetWorkflowExecutionHistory(ctx, &shape.GetWorkflowExecutionHistoryInput{Domain: domain, Execution: we, MaximumPageSize: 1000})
	must(err)
	if n := countType(hist.RawEvents, shape.EventTypeTimerFired); n != 1 {
		t.Fatalf("history %v: %d TimerFired, want the timer A started to fire once, on B", eventTypes(hist.RawEvents), n)
	}
}

func eventTypes(raw shape.RawEvents) []string {
	var out []string
	for _, ev := range decodeEvents(raw) {
		out = append(out, fmt.Sprint(ev.EventType))
	}
	return out
}

func countType(raw shape.RawEvents, typ shape.EventType) int {
	n := 0
	for _, ev := range decodeEvents(raw) {
		if ev.EventType == typ {
			n++
		}
	}
	return n
}

// TestTakeShardWithDeadlinesDue: a node takes a shard whose runs'
// execution timeouts passed while no one held it. The deadlines fire as
// the runs are restored, before the take completes; each timeout must be
// written under the lease being taken (not refused as a write of a shard
// the node does not hold, which used to drop the runs it had restored),
// and every run ends timed out, once.
func TestTakeShardWithDeadlinesDue(t *testing.T) {
	url := pgtest.Schema(t)
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	a := startNode(t, url, "A", clk)
	const domain, list = "d", "tl"
	wt := &shape.WorkflowType{Name: "w", Version: "1"}
	a.take(t, registryShard, time.Hour)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(a.eng.RegisterDomain(ctx, &shape.RegisterDomainInput{Name: domain, WorkflowExecutionRetentionPeriodInDays: "1"}))
	must(a.eng.RegisterWorkflowType(ctx, &shape.RegisterWorkflowTypeInput{Domain: domain, Name: wt.Name, Version: wt.Version}))
	shard := store.ShardOf(domain, "run-0")
	la := a.take(t, shard, time.Hour)
	var runs []*shape.WorkflowExecution
	for i := 0; len(runs) < 40; i++ {
		id := fmt.Sprintf("run-%d", i)
		if store.ShardOf(domain, id) != shard {
			continue
		}
		run, err := a.eng.StartWorkflowExecution(ctx, &shape.StartWorkflowExecutionInput{
			Domain: domain, WorkflowId: id, WorkflowType: wt, TaskList: &shape.TaskList{Name: list},
			ExecutionStartToCloseTimeout: "60", TaskStartToCloseTimeout: "NONE", ChildPolicy: shape.ChildPolicyTerminate,
		})
		must(err)
		runs = append(runs, &shape.WorkflowExecution{WorkflowId: id, RunId: run.RunId})
	}
	// A lets the shard go; the timeouts pass while no one holds it.
	a.eng.DropShard(shard)
	must(a.st.Release(ctx, "A", la))
	clk.Advance(2 * time.Minute)

	b := startNode(t, url, "B", clk)
	b.take(t, shard, time.Hour)
	for _, we := range runs {
		var n int
		waitFor(t, func() bool {
			hist, err := b.eng.GetWorkflowExecutionHistory(ctx, &shape.GetWorkflowExecutionHistoryInput{Domain: domain, Execution: we, MaximumPageSize: 1000})
			must(err)
			n = countType(hist.RawEvents, shape.EventTypeWorkflowExecutionTimedOut)
			return n > 0
		})
		if n != 1 {
			t.Fatalf("%s: %d WorkflowExecutionTimedOut, want 1", we.WorkflowId, n)
		}
	}
	if _, ok := b.eng.owns(shard); !ok {
		t.Fatal("B does not serve the shard it took")
	}
}

// decodeEvents decodes the events the engine answers with, as they go out.
func decodeEvents(raw shape.RawEvents) []shape.HistoryEvent {
	evs, err := raw.Decode()
	if err != nil {
		panic(err)
	}
	return evs
}
