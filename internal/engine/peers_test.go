package engine

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openswf/openswf/internal/clock"
	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/store"
	"github.com/openswf/openswf/internal/store/postgres"
	"github.com/openswf/openswf/internal/store/postgres/pgtest"
)

// inproc connects engines of one process as the cluster package connects
// nodes over HTTP: each call goes to the engine that owns the shard.
type inproc struct {
	mu    sync.Mutex
	nodes []*Engine
	// lose makes the notices a closing run sends its relatives fail, as
	// when their sender dies first.
	lose atomic.Bool
}

func (p *inproc) add(e *Engine) { p.mu.Lock(); p.nodes = append(p.nodes, e); p.mu.Unlock() }

func (p *inproc) owner(shard int32) (*Engine, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.nodes {
		if _, ok := e.owns(shard); ok {
			return e, nil
		}
	}
	return nil, errors.New("no node owns the shard")
}

func (p *inproc) Offer(ctx context.Context, shard int32, offers []TaskOffer) error {
	e, err := p.owner(shard)
	if err != nil {
		return err
	}
	return e.OfferTask(offers)
}

func (p *inproc) Withdraw(ctx context.Context, shard int32, o TaskOffer) error {
	e, err := p.owner(shard)
	if err != nil {
		return err
	}
	e.WithdrawTask(o)
	return nil
}

func (p *inproc) Start(ctx context.Context, shard int32, r StartRequest) (*StartAnswer, error) {
	e, err := p.owner(shard)
	if err != nil {
		return nil, err
	}
	return e.StartTask(ctx, r)
}

func (p *inproc) RegistryChanged(ctx context.Context) error {
	p.mu.Lock()
	nodes := append([]*Engine(nil), p.nodes...)
	p.mu.Unlock()
	var errs []error
	for _, e := range nodes {
		if _, writer := e.owns(registryShard); !writer { // as the cluster, tell the others
			errs = append(errs, e.ReloadRegistry(ctx))
		}
	}
	return errors.Join(errs...)
}

// TestTaskListsAcrossNodes: A owns a run's shard and writes the registry;
// B is the home of the task lists. Pollers at B get the run's decision and
// activity tasks, started and recorded by A; a poll waiting at B is woken
// by A's schedule; polls at A are refused (the wire layer forwards them);
// when the lists' home moves to A, A's waiting task comes home.
func TestTaskListsAcrossNodes(t *testing.T) {
	ctx := context.Background()
	a, b, must := twoNodes(t)
	const domain, list, wfID = "d", "tl", "order-1"
	runShard := store.ShardOf(domain, wfID)
	actHome, decHome := homeShard(domain, tokenActivity, list), homeShard(domain, tokenDecision, list)
	a.take(t, registryShard, time.Hour)
	a.take(t, runShard, time.Hour)
	actLease := b.take(t, actHome, time.Hour)
	b.take(t, decHome, time.Hour)

	wt, at := &shape.WorkflowType{Name: "w", Version: "1"}, &shape.ActivityType{Name: "a", Version: "1"}
	must(a.eng.RegisterDomain(ctx, &shape.RegisterDomainInput{Name: domain, WorkflowExecutionRetentionPeriodInDays: "1"}))
	must(a.eng.RegisterWorkflowType(ctx, &shape.RegisterWorkflowTypeInput{Domain: domain, Name: wt.Name, Version: wt.Version}))
	must(a.eng.RegisterActivityType(ctx, &shape.RegisterActivityTypeInput{Domain: domain, Name: at.Name, Version: at.Version}))
	// B heard of the registry change: it knows the domain at once.
	_, err := b.eng.DescribeDomain(ctx, &shape.DescribeDomainInput{Name: domain})
	must(err)
	// B does not write the registry.
	wantNotOwner(t, b.eng.RegisterDomain(ctx, &shape.RegisterDomainInput{Name: "other", WorkflowExecutionRetentionPeriodInDays: "1"}))

	// A poll waiting at B is woken by A's start.
	type polled struct {
		task *shape.DecisionTask
		err  error
	}
	got := make(chan polled, 1)
	go func() {
		task, err := b.eng.PollForDecisionTask(ctx, &shape.PollForDecisionTaskInput{Domain: domain, TaskList: &shape.TaskList{Name: list}, Identity: "decider@B"})
		got <- polled{task, err}
	}()
	waitFor(t, func() bool { return b.eng.decisionLists.get(domain, list).waiting() == 1 })
	run, err := a.eng.StartWorkflowExecution(ctx, &shape.StartWorkflowExecutionInput{
		Domain: domain, WorkflowId: wfID, WorkflowType: wt, TaskList: &shape.TaskList{Name: list},
		ExecutionStartToCloseTimeout: "3600", TaskStartToCloseTimeout: "NONE", ChildPolicy: shape.ChildPolicyTerminate,
	})
	must(err)
	var p polled
	select {
	case p = <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("the poll waiting at B was not woken by the start at A")
	}
	must(p.err)
	if p.task == nil || p.task.WorkflowExecution.RunId != run.RunId || len(p.task.RawEvents) != 3 {
		t.Fatalf("decision task at B: %+v, want the run's with its 3 events", p.task)
	}
	_, err = a.eng.PollForDecisionTask(ctx, &shape.PollForDecisionTaskInput{Domain: domain, TaskList: &shape.TaskList{Name: list}})
	wantNotOwner(t, err) // polls belong to the list's home

	must(a.eng.RespondDecisionTaskCompleted(ctx, &shape.RespondDecisionTaskCompletedInput{TaskToken: p.task.TaskToken, Decisions: []shape.Decision{
		{DecisionType: shape.DecisionTypeScheduleActivityTask, ScheduleActivityTaskDecisionAttributes: &shape.ScheduleActivityTaskDecisionAttributes{
			ActivityId: "charge", ActivityType: at, TaskList: &shape.TaskList{Name: list},
			HeartbeatTimeout: "300", ScheduleToStartTimeout: "NONE", ScheduleToCloseTimeout: "NONE", StartToCloseTimeout: "NONE"}},
		{DecisionType: shape.DecisionTypeScheduleActivityTask, ScheduleActivityTaskDecisionAttributes: &shape.ScheduleActivityTaskDecisionAttributes{
			ActivityId: "ship", ActivityType: at, TaskList: &shape.TaskList{Name: list},
			HeartbeatTimeout: "300", ScheduleToStartTimeout: "NONE", ScheduleToCloseTimeout: "NONE", StartToCloseTimeout: "NONE"}},
	}}))
	waitFor(t, func() bool { return b.eng.activityLists.get(domain, list).count() == 2 })
	n, err := b.eng.CountPendingActivityTasks(ctx, &shape.CountPendingActivityTasksInput{Domain: domain, TaskList: &shape.TaskList{Name: list}})
	must(err)
	if n.Count != 2 {
		t.Fatalf("pending at B: %d, want 2", n.Count)
	}
	task, err := b.eng.PollForActivityTask(ctx, &shape.PollForActivityTaskInput{Domain: domain, TaskList: &shape.TaskList{Name: list}, Identity: "worker@B"})
	must(err)
	if task == nil || task.ActivityId != "charge" {
		t.Fatalf("activity task at B: %+v, want charge", task)
	}
	// The token B handed out is A's: A takes its heartbeats.
	_, err = a.eng.RecordActivityTaskHeartbeat(ctx, &shape.RecordActivityTaskHeartbeatInput{TaskToken: task.TaskToken, Details: "half"})
	must(err)
	must(a.eng.RespondActivityTaskCompleted(ctx, &shape.RespondActivityTaskCompletedInput{TaskToken: task.TaskToken, Result: "ok"}))

	// The lists' home moves to A: B's pollers leave, and A's waiting
	// task ("ship") is queued at A.
	b.eng.DropShard(actHome)
	must(b.st.Release(ctx, "B", actLease))
	if n := b.eng.activityLists.get(domain, list).count(); n != 0 {
		t.Fatalf("B still holds %d tasks of a list it no longer serves", n)
	}
	a.take(t, actHome, time.Hour)
	task, err = a.eng.PollForActivityTask(ctx, &shape.PollForActivityTaskInput{Domain: domain, TaskList: &shape.TaskList{Name: list}, Identity: "worker@A"})
	must(err)
	if task == nil || task.ActivityId != "ship" {
		t.Fatalf("activity task at A after the move: %+v, want ship", task)
	}
	hist, err := a.eng.GetWorkflowExecutionHistory(ctx, &shape.GetWorkflowExecutionHistoryInput{Domain: domain, Execution: &shape.WorkflowExecution{WorkflowId: wfID, RunId: run.RunId}, MaximumPageSize: 1000})
	must(err)
	if n := countType(hist.RawEvents, shape.EventTypeActivityTaskStarted); n != 2 {
		t.Fatalf("history %v: %d ActivityTaskStarted, want 2 (each task started once)", eventTypes(hist.RawEvents), n)
	}
}

func (p *inproc) Deliver(ctx context.Context, shard int32, d Delivery) (*DeliveryOutcome, error) {
	e, err := p.owner(shard)
	if err != nil {
		return nil, err
	}
	return e.DeliverTransfer(ctx, d)
}

func (p *inproc) ChildClosed(ctx context.Context, shard int32, c ChildClose) error {
	if p.lose.Load() {
		return errors.New("the notice was lost")
	}
	e, err := p.owner(shard)
	if err != nil {
		return err
	}
	return e.ChildClosedHere(c)
}

func (p *inproc) ApplyChildPolicy(ctx context.Context, shard int32, a ChildPolicyOrder) error {
	if p.lose.Load() {
		return errors.New("the notice was lost")
	}
	e, err := p.owner(shard)
	if err != nil {
		return err
	}
	return e.ApplyChildPolicyHere(a)
}

// TestChildAcrossNodes: a parent on A starts a child whose shard is B's,
// signals it, and learns of its completion; the child's decision tasks
// wait on a list homed at A.
func TestChildAcrossNodes(t *testing.T) {
	ctx := context.Background()
	a, b, must := twoNodes(t)
	const domain, parentID = familyDomain, familyParent
	wt, childID, _, _ := familyShards(t, a, b, must, shape.ChildPolicyTerminate)
	run, err := a.eng.StartWorkflowExecution(ctx, &shape.StartWorkflowExecutionInput{Domain: domain, WorkflowId: parentID, WorkflowType: wt})
	must(err)
	poll := func() *shape.DecisionTask {
		t.Helper()
		return familyPoll(t, a, must)
	}
	respond := func(task *shape.DecisionTask, ds ...shape.Decision) {
		t.Helper()
		owner := a.eng // as the wire layer forwards a token's call to its run's owner
		if task.WorkflowExecution.WorkflowId == childID {
			owner = b.eng
		}
		must(owner.RespondDecisionTaskCompleted(ctx, &shape.RespondDecisionTaskCompletedInput{TaskToken: task.TaskToken, Decisions: ds}))
	}
	respond(poll(), shape.Decision{DecisionType: shape.DecisionTypeStartChildWorkflowExecution,
		StartChildWorkflowExecutionDecisionAttributes: &shape.StartChildWorkflowExecutionDecisionAttributes{WorkflowId: childID, WorkflowType: wt}})

	// Until the parent sees its child complete: the child completes once
	// signaled; the parent signals it once it started.
	for signaled, childDone := false, false; ; {
		task := poll()
		switch {
		case task.WorkflowExecution.WorkflowId == childID && countType(task.RawEvents, shape.EventTypeWorkflowExecutionSignaled) > 0:
			respond(task, shape.Decision{DecisionType: shape.DecisionTypeCompleteWorkflowExecution,
				CompleteWorkflowExecutionDecisionAttributes: &shape.CompleteWorkflowExecutionDecisionAttributes{Result: "done"}})
		case task.WorkflowExecution.WorkflowId == childID:
			respond(task)
		case countType(task.RawEvents, shape.EventTypeChildWorkflowExecutionCompleted) == 1:
			childDone = true
			respond(task)
		case countType(task.RawEvents, shape.EventTypeChildWorkflowExecutionStarted) == 1 && !signaled:
			signaled = true
			respond(task, shape.Decision{DecisionType: shape.DecisionTypeSignalExternalWorkflowExecution,
				SignalExternalWorkflowExecutionDecisionAttributes: &shape.SignalExternalWorkflowExecutionDecisionAttributes{WorkflowId: childID, SignalName: "go"}})
		default:
			respond(task)
		}
		if childDone {
			break
		}
	}
	hist, err := a.eng.GetWorkflowExecutionHistory(ctx, &shape.GetWorkflowExecutionHistoryInput{Domain: domain, Execution: &shape.WorkflowExecution{WorkflowId: parentID, RunId: run.RunId}, MaximumPageSize: 1000})
	must(err)
	for _, typ := range []shape.EventType{shape.EventTypeChildWorkflowExecutionStarted, shape.EventTypeExternalWorkflowExecutionSignaled, shape.EventTypeChildWorkflowExecutionCompleted} {
		if n := countType(hist.RawEvents, typ); n != 1 {
			t.Fatalf("parent's history %v: %d %s, want 1", eventTypes(hist.RawEvents), n, typ)
		}
	}
}

// twoNodes starts engines A and B on a fresh schema, connected in process,
// holding no shard yet, and a must that fails the test on an error.
func twoNodes(t *testing.T) (a, b *node, must func(error)) {
	a, b, _, must = twoNodesPeers(t)
	return a, b, must
}

// twoNodesPeers is twoNodes, and the connection between them.
func twoNodesPeers(t *testing.T) (a, b *node, peers *inproc, must func(error)) {
	t.Helper()
	url := pgtest.Schema(t)
	clk := clock.NewFake(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	peers = &inproc{}
	a = startNode(t, url, "A", clk, peers)
	b = startNode(t, url, "B", clk, peers)
	peers.add(a.eng)
	peers.add(b.eng)
	return a, b, peers, func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// The family tests' domain, decision task list and parent workflow id.
const familyDomain, familyList, familyParent = "d", "tl", "parent"

// familyShards splits a parent and its child between nodes: A holds the
// registry, the parent's shard and the decision list's home, B the shard
// of the child's workflow id, which it returns with the leases of the
// two runs' shards and the registered workflow type (child policy as
// given).
func familyShards(t *testing.T, a, b *node, must func(error), policy shape.ChildPolicy) (wt *shape.WorkflowType, childID string, parentLease, childLease postgres.Lease) {
	t.Helper()
	const domain, list, parentID = familyDomain, familyList, familyParent
	childID = "child-0"
	for i := 1; store.ShardOf(domain, childID) == store.ShardOf(domain, parentID) ||
		store.ShardOf(domain, childID) == registryShard || store.ShardOf(domain, childID) == homeShard(domain, tokenDecision, list); i++ {
		childID = "child-" + string(rune('0'+i))
	}
	a.take(t, registryShard, time.Hour)
	a.take(t, homeShard(domain, tokenDecision, list), time.Hour)
	parentLease = a.take(t, store.ShardOf(domain, parentID), time.Hour)
	childLease = b.take(t, store.ShardOf(domain, childID), time.Hour)
	ctx := context.Background()
	wt = &shape.WorkflowType{Name: "w", Version: "1"}
	must(a.eng.RegisterDomain(ctx, &shape.RegisterDomainInput{Name: domain, WorkflowExecutionRetentionPeriodInDays: "1"}))
	must(a.eng.RegisterWorkflowType(ctx, &shape.RegisterWorkflowTypeInput{Domain: domain, Name: wt.Name, Version: wt.Version,
		DefaultTaskList: &shape.TaskList{Name: list}, DefaultChildPolicy: policy,
		DefaultExecutionStartToCloseTimeout: "3600", DefaultTaskStartToCloseTimeout: "NONE"}))
	return wt, childID, parentLease, childLease
}

// familyAcrossNodes sets up a parent on A whose child, started and
// running, is on B (familyShards). It returns the parent's and the
// child's runs, and the leases of their shards.
func familyAcrossNodes(t *testing.T, a, b *node, must func(error), policy shape.ChildPolicy) (parent, child shape.WorkflowExecution, parentLease, childLease postgres.Lease) {
	t.Helper()
	ctx := context.Background()
	const domain, parentID = familyDomain, familyParent
	wt, childID, parentLease, childLease := familyShards(t, a, b, must, policy)
	run, err := a.eng.StartWorkflowExecution(ctx, &shape.StartWorkflowExecutionInput{Domain: domain, WorkflowId: parentID, WorkflowType: wt})
	must(err)
	parent = shape.WorkflowExecution{WorkflowId: parentID, RunId: run.RunId}
	task := familyPoll(t, a, must)
	must(a.eng.RespondDecisionTaskCompleted(ctx, &shape.RespondDecisionTaskCompletedInput{TaskToken: task.TaskToken, Decisions: []shape.Decision{{
		DecisionType: shape.DecisionTypeStartChildWorkflowExecution,
		StartChildWorkflowExecutionDecisionAttributes: &shape.StartChildWorkflowExecutionDecisionAttributes{WorkflowId: childID, WorkflowType: wt}}}}))
	waitFor(t, func() bool {
		x := a.eng.openState(run.RunId)
		x.mu.Lock()
		defer x.mu.Unlock()
		for id, c := range x.e.Children {
			if c.StartedEventID != 0 {
				child = shape.WorkflowExecution{WorkflowId: childID, RunId: id}
				return true
			}
		}
		return false
	})
	return parent, child, parentLease, childLease
}

// familyPoll takes the next decision task of the family's list, at A,
// failing the test if none comes within 5 s.
func familyPoll(t *testing.T, a *node, must func(error)) *shape.DecisionTask {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	task, err := a.eng.PollForDecisionTask(ctx, &shape.PollForDecisionTaskInput{Domain: familyDomain, TaskList: &shape.TaskList{Name: familyList}, MaximumPageSize: 1000})
	must(err)
	if task == nil {
		t.Fatal("no decision task within 5 s")
	}
	return task
}

// TestChildCloseNoticeLost: the child's node closes the child and stops
// before the parent's node hears of it. When the child's shard moves, the
// parent's node looks the child up and records its completion.
func TestChildCloseNoticeLost(t *testing.T) {
	ctx := context.Background()
	a, b, peers, must := twoNodesPeers(t)
	parent, child, _, childLease := familyAcrossNodes(t, a, b, must, shape.ChildPolicyTerminate)
	peers.lose.Store(true)
	b.eng.Drain() // a stopping node does not try the notice again
	for {
		task := familyPoll(t, a, must)
		if task.WorkflowExecution.WorkflowId == child.WorkflowId {
			must(b.eng.RespondDecisionTaskCompleted(ctx, &shape.RespondDecisionTaskCompletedInput{TaskToken: task.TaskToken, Decisions: []shape.Decision{{
				DecisionType: shape.DecisionTypeCompleteWorkflowExecution}}}))
			break
		}
		must(a.eng.RespondDecisionTaskCompleted(ctx, &shape.RespondDecisionTaskCompletedInput{TaskToken: task.TaskToken}))
	}
	history := func() shape.RawEvents {
		h, err := a.eng.GetWorkflowExecutionHistory(ctx, &shape.GetWorkflowExecutionHistoryInput{Domain: "d", Execution: &parent, MaximumPageSize: 1000})
		must(err)
		return h.RawEvents
	}
	if n := countType(history(), shape.EventTypeChildWorkflowExecutionCompleted); n != 0 {
		t.Fatalf("the parent heard of its child's completion (%d) though the notice was lost", n)
	}
	peers.lose.Store(false)
	shard := store.ShardOf("d", child.WorkflowId)
	// B is gone: its shard has no owner, or one that never ran the child;
	// A sees the shard move.
	b.eng.DropShard(shard)
	must(b.st.Release(ctx, "B", childLease))
	a.eng.Reconcile([]int32{shard})
	if n := countType(history(), shape.EventTypeChildWorkflowExecutionCompleted); n != 1 {
		t.Fatalf("parent's history %v: %d ChildWorkflowExecutionCompleted after the child's shard moved, want 1", eventTypes(history()), n)
	}
	a.eng.Reconcile([]int32{shard}) // again: nothing more
	if n := countType(history(), shape.EventTypeChildWorkflowExecutionCompleted); n != 1 {
		t.Fatalf("a second look recorded the completion %d times", n)
	}
}

// TestChildPolicyNoticeLost: the parent's node terminates the parent and
// stops before the child's node hears of the TERMINATE policy. When the
// parent's shard moves, the child's node looks the parent up and applies
// the policy.
func TestChildPolicyNoticeLost(t *testing.T) {
	ctx := context.Background()
	a, b, peers, must := twoNodesPeers(t)
	parent, child, parentLease, _ := familyAcrossNodes(t, a, b, must, shape.ChildPolicyTerminate)
	peers.lose.Store(true)
	a.eng.Drain()
	must(a.eng.TerminateWorkflowExecution(ctx, &shape.TerminateWorkflowExecutionInput{Domain: "d", WorkflowId: parent.WorkflowId}))
	status := func() string {
		d, err := b.eng.DescribeWorkflowExecution(ctx, &shape.DescribeWorkflowExecutionInput{Domain: "d", Execution: &child})
		must(err)
		return string(d.ExecutionInfo.ExecutionStatus) + " " + string(d.ExecutionInfo.CloseStatus)
	}
	if s := status(); s != "OPEN " {
		t.Fatalf("the child is %q though the policy's notice was lost", s)
	}
	peers.lose.Store(false)
	shard := store.ShardOf("d", parent.WorkflowId)
	a.eng.DropShard(shard) // A is gone; B sees the parent's shard move
	must(a.st.Release(ctx, "A", parentLease))
	b.eng.Reconcile([]int32{shard})
	if s := status(); s != "CLOSED TERMINATED" {
		t.Fatalf("the child is %q after its parent's shard moved, want CLOSED TERMINATED", s)
	}
}
