package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openswf/openswf/internal/clock"
	"github.com/openswf/openswf/internal/engine"
	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/store"
	"github.com/openswf/openswf/internal/store/postgres"
	"github.com/openswf/openswf/internal/store/postgres/pgtest"
	"github.com/openswf/openswf/internal/swf"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// member is a node of a test cluster: its store, engine and membership.
type member struct {
	id   string
	st   *postgres.Store
	eng  *engine.Engine
	node *Node
}

func join(t *testing.T, url, id string, ttl time.Duration) *member {
	t.Helper()
	st, err := postgres.OpenNode(context.Background(), url, quiet)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(engine.Config{Clock: clock.Real{}, Store: st, Log: quiet, Node: id,
		FatalFunc: func(err error) { t.Errorf("node %s: fatal store error: %v", id, err) }})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		eng.Close()
		st.Close()
	})
	n := New(Config{ID: id, Address: id + ":7171", LeaseTTL: ttl, MovesPerTick: store.NumShards, Log: quiet}, st, eng)
	return &member{id: id, st: st, eng: eng, node: n}
}

func (m *member) tick() { m.node.Tick(context.Background()) }

// owners checks that every shard is held by exactly one of members, and
// returns how many each holds.
func owners(t *testing.T, members ...*member) map[string]int {
	t.Helper()
	count := map[string]int{}
	for s := int32(0); s < store.NumShards; s++ {
		var holders []string
		for _, m := range members {
			if _, ok := m.node.Held()[s]; ok {
				holders = append(holders, m.id)
			}
		}
		if len(holders) != 1 {
			t.Fatalf("shard %d held by %v, want exactly one node", s, holders)
		}
		count[holders[0]]++
	}
	return count
}

func describe(m *member, domain string, we *shape.WorkflowExecution) error {
	_, err := m.eng.DescribeWorkflowExecution(context.Background(), &shape.DescribeWorkflowExecutionInput{Domain: domain, Execution: we})
	return err
}

func isNotOwner(err error) bool {
	var f *swf.Fault
	return errors.As(err, &f) && f.Name == swf.ServiceUnavailable
}

// TestMembership: one node takes every shard; a second joins and gets its
// rendezvous share, handed over without waiting for leases to expire;
// when the first dies its shards pass to the survivor once its leases
// expire, and the run it served carries on there; a draining node gives
// its shards up at once.
func TestMembership(t *testing.T) {
	url := pgtest.Schema(t)
	// Ample, so a slow machine between two ticks of the test loses no
	// lease by accident; a's death below ages its rows instead.
	const ttl = 10 * time.Second
	ctx := context.Background()
	a := join(t, url, "node-a", ttl)
	a.tick()
	if got := owners(t, a); got["node-a"] != store.NumShards {
		t.Fatalf("a lone node holds %v, want every shard", got)
	}
	const domain = "d"
	wt := &shape.WorkflowType{Name: "w", Version: "1"}
	if err := a.eng.RegisterDomain(ctx, &shape.RegisterDomainInput{Name: domain, WorkflowExecutionRetentionPeriodInDays: "1"}); err != nil {
		t.Fatal(err)
	}
	if err := a.eng.RegisterWorkflowType(ctx, &shape.RegisterWorkflowTypeInput{Domain: domain, Name: wt.Name, Version: wt.Version}); err != nil {
		t.Fatal(err)
	}
	var runs []*shape.WorkflowExecution
	for i := range 16 {
		id := fmt.Sprint("wf-", i)
		run, err := a.eng.StartWorkflowExecution(ctx, &shape.StartWorkflowExecutionInput{
			Domain: domain, WorkflowId: id, WorkflowType: wt, TaskList: &shape.TaskList{Name: "tl"},
			ExecutionStartToCloseTimeout: "3600", TaskStartToCloseTimeout: "60", ChildPolicy: shape.ChildPolicyTerminate,
		})
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, &shape.WorkflowExecution{WorkflowId: id, RunId: run.RunId})
	}

	b := join(t, url, "node-b", ttl)
	a.tick() // renews: a's leases are live while b joins
	b.tick() // registers; a's leases are live, so it takes nothing yet
	a.tick() // sees b, hands b's share over
	b.tick() // takes it
	got := owners(t, a, b)
	if got["node-a"] < 16 || got["node-b"] < 16 {
		t.Fatalf("shares %v: want each node a fair part of %d", got, store.NumShards)
	}
	// Every run is served by exactly the node that holds its shard.
	serve := func(members ...*member) {
		t.Helper()
		for _, we := range runs {
			shard := store.ShardOf(domain, we.WorkflowId)
			for _, m := range members {
				_, held := m.node.Held()[shard]
				err := describe(m, domain, we)
				if held && err != nil || !held && !isNotOwner(err) {
					t.Fatalf("%s (holds shard %d: %v) describing %s: %v", m.id, shard, held, we.WorkflowId, err)
				}
			}
		}
	}
	serve(a, b)

	// a dies: it stops ticking. Once its leases and its heartbeat are
	// older than the TTL (aged here in the database, whose clock they
	// follow), b takes its shards.
	db, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`UPDATE shard_leases SET expires_at = now() - interval '1 millisecond' WHERE owner = 'node-a'`,
		`UPDATE nodes SET heartbeat_at = now() - interval '1 minute' WHERE id = 'node-a'`,
	} {
		if _, err := db.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	b.tick()
	if got := owners(t, b); got["node-b"] != store.NumShards {
		t.Fatalf("after a died, b holds %v, want every shard", got)
	}
	serve(b)

	// A new node joins, then drains: its shards come back at once.
	c := join(t, url, "node-c", ttl)
	b.tick()
	c.tick()
	b.tick()
	c.tick()
	if got := owners(t, b, c); got["node-c"] == 0 {
		t.Fatalf("c holds nothing after joining: %v", got)
	}
	if err := c.node.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	b.tick()
	if got := owners(t, b, c); got["node-b"] != store.NumShards {
		t.Fatalf("after c drained, shares %v; want b to hold every shard at once", got)
	}
	serve(b, c)
}

// flakyLeases is the store, unreachable while down is set.
type flakyLeases struct {
	*postgres.Store
	mu   sync.Mutex
	down bool
}

var errDown = errors.New("connection refused")

func (f *flakyLeases) isDown() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.down
}

func (f *flakyLeases) Renew(ctx context.Context, node string, l []postgres.Lease, ttl time.Duration) ([]postgres.Lease, error) {
	if f.isDown() {
		return nil, errDown
	}
	return f.Store.Renew(ctx, node, l, ttl)
}

func (f *flakyLeases) Acquire(ctx context.Context, node string, shard int32, ttl time.Duration) (postgres.Lease, bool, error) {
	if f.isDown() {
		return postgres.Lease{}, false, errDown
	}
	return f.Store.Acquire(ctx, node, shard, ttl)
}

func (f *flakyLeases) HeartbeatNode(ctx context.Context, node, address string, draining bool) error {
	if f.isDown() {
		return errDown
	}
	return f.Store.HeartbeatNode(ctx, node, address, draining)
}

func (f *flakyLeases) LiveNodes(ctx context.Context, ttl time.Duration) ([]postgres.NodeRow, error) {
	if f.isDown() {
		return nil, errDown
	}
	return f.Store.LiveNodes(ctx, ttl)
}

// TestSelfFence: a node that cannot renew its leases stops serving its
// shards before they can expire, so it never answers from memory for a
// shard another node may already own.
func TestSelfFence(t *testing.T) {
	url := pgtest.Schema(t)
	const ttl = 3 * time.Second
	m := join(t, url, "node-a", ttl)
	flaky := &flakyLeases{Store: m.st}
	m.node = New(Config{ID: "node-a", Address: "a:7171", LeaseTTL: ttl, MovesPerTick: store.NumShards, Log: quiet}, flaky, m.eng)
	m.tick()
	if len(m.node.Held()) != store.NumShards {
		t.Fatalf("holds %d shards, want all", len(m.node.Held()))
	}
	// The domain is written by the registry shard's owner: now this node.
	if err := m.eng.RegisterDomain(context.Background(), &shape.RegisterDomainInput{Name: "d", WorkflowExecutionRetentionPeriodInDays: "1"}); err != nil {
		t.Fatal(err)
	}
	m.tick() // a renewal just before the store goes away
	flaky.mu.Lock()
	flaky.down = true
	flaky.mu.Unlock()
	m.tick() // one failed renewal is within the margin
	if len(m.node.Held()) != store.NumShards {
		t.Fatalf("dropped shards after one failed renewal")
	}
	time.Sleep(ttl * 2 / 3)
	m.tick()
	if n := len(m.node.Held()); n != 0 {
		t.Fatalf("still holds %d shards after renewing failed for 2/3 of the lease", n)
	}
	err := describe(m, "d", &shape.WorkflowExecution{WorkflowId: "w", RunId: "r"})
	if !isNotOwner(err) {
		t.Fatalf("after self-fencing, a call answered %v; want ServiceUnavailableException", err)
	}
}

func TestOwnerRendezvous(t *testing.T) {
	live := []string{"a", "b", "c"}
	moved := 0
	for s := int32(0); s < store.NumShards; s++ {
		before := Owner(s, live)
		after := Owner(s, []string{"a", "b", "c", "d"})
		if after != before && after != "d" {
			t.Fatalf("shard %d moved from %s to %s when d joined: only moves to d are allowed", s, before, after)
		}
		if after == "d" {
			moved++
		}
	}
	if moved == 0 || moved > store.NumShards/2 {
		t.Fatalf("%d of %d shards moved to a fourth node; want about a quarter", moved, store.NumShards)
	}
	if Owner(0, nil) != "" {
		t.Fatal("an owner among no nodes")
	}
}
