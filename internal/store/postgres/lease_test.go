package postgres

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/store"
	"github.com/openswf/openswf/internal/store/postgres/pgtest"
)

func openNode(t *testing.T, url string) *Store {
	t.Helper()
	s, err := OpenNode(context.Background(), url, quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// markerChange writes one domain row named name under fence f.
func markerChange(name string, f *store.Fence) *store.Change {
	return &store.Change{Fence: f, Domains: []*store.Domain{{Info: shape.DomainInfo{Name: name, Status: shape.RegistrationStatusRegistered}}}}
}

func domainNames(t *testing.T, s *Store) map[string]bool {
	t.Helper()
	snap, err := s.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, d := range snap.Domains {
		names[d.Info.Name] = true
	}
	return names
}

// TestLeasesFenceWrites: a shard's lease passes from node A to node B only
// once it expires (or A releases it), with a higher epoch; from then on
// every change A writes under its old fence fails with ErrFenced and
// writes nothing, while B's writes go through.
func TestLeasesFenceWrites(t *testing.T) {
	url := pgtest.Schema(t)
	a, b := openNode(t, url), openNode(t, url)
	ctx := context.Background()
	const ttl = 200 * time.Millisecond

	la, ok, err := a.Acquire(ctx, "A", 7, ttl)
	if err != nil || !ok || la.Epoch != 1 {
		t.Fatalf("A acquires shard 7: %+v, %v, %v; want epoch 1", la, ok, err)
	}
	if _, ok, err := b.Acquire(ctx, "B", 7, ttl); err != nil || ok {
		t.Fatalf("B took shard 7 while A's lease was live: %v, %v", ok, err)
	}
	fa := &store.Fence{Node: "A", Shard: 7, Epoch: la.Epoch}
	if err := store.Apply(a, markerChange("a-before", fa)); err != nil {
		t.Fatalf("A writes under its lease: %v", err)
	}

	time.Sleep(ttl + 50*time.Millisecond) // A stops renewing: a pause, a partition
	lb, ok, err := b.Acquire(ctx, "B", 7, time.Minute)
	if err != nil || !ok || lb.Epoch != 2 {
		t.Fatalf("B takes the expired shard: %+v, %v, %v; want epoch 2", lb, ok, err)
	}
	if err := store.Apply(a, markerChange("a-after", fa)); !errors.Is(err, store.ErrFenced) {
		t.Fatalf("A writes after losing the shard: %v, want ErrFenced", err)
	}
	if kept, err := a.Renew(ctx, "A", []Lease{la}, ttl); err != nil || len(kept) != 0 {
		t.Fatalf("A renews a lease B took: kept %v, %v; want none", kept, err)
	}
	if err := store.Apply(b, markerChange("b", &store.Fence{Node: "B", Shard: 7, Epoch: lb.Epoch})); err != nil {
		t.Fatalf("B writes under its lease: %v", err)
	}
	if names := domainNames(t, b); !names["a-before"] || names["a-after"] || !names["b"] {
		t.Fatalf("domains %v: want a-before and b, never a-after", names)
	}

	// Release hands the shard over at once, with a new epoch.
	if err := b.Release(ctx, "B", lb); err != nil {
		t.Fatal(err)
	}
	la2, ok, err := a.Acquire(ctx, "A", 7, time.Minute)
	if err != nil || !ok || la2.Epoch != 3 {
		t.Fatalf("A takes the released shard: %+v, %v, %v; want epoch 3", la2, ok, err)
	}
	if err := store.Apply(b, markerChange("b-after", &store.Fence{Node: "B", Shard: 7, Epoch: lb.Epoch})); !errors.Is(err, store.ErrFenced) {
		t.Fatalf("B writes after releasing: %v, want ErrFenced", err)
	}
	rows, err := a.Leases(ctx)
	if err != nil || len(rows) != 1 || rows[0] != (LeaseRow{Shard: 7, Owner: "A", Epoch: 3, Live: true}) {
		t.Fatalf("leases %+v, %v; want shard 7 held by A at epoch 3", rows, err)
	}
}

// TestFenceInBatch: in one group commit, the changes of a lost shard fail
// alone; changes under held leases, and unfenced ones, are written.
func TestFenceInBatch(t *testing.T) {
	url := pgtest.Schema(t)
	a, b := openNode(t, url), openNode(t, url)
	ctx := context.Background()
	held, _, err := a.Acquire(ctx, "A", 1, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	lost, _, err := a.Acquire(ctx, "A", 2, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	if _, ok, err := b.Acquire(ctx, "B", 2, time.Minute); err != nil || !ok {
		t.Fatalf("B takes shard 2: %v, %v", ok, err)
	}
	// Hold the writer's one connection so the three changes queue up and
	// go in one batch.
	conn, err := a.w.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	done := []<-chan error{
		a.Submit(markerChange("held", &store.Fence{Node: "A", Shard: 1, Epoch: held.Epoch})),
		a.Submit(markerChange("lost", &store.Fence{Node: "A", Shard: 2, Epoch: lost.Epoch})),
		a.Submit(markerChange("plain", nil)),
	}
	time.Sleep(50 * time.Millisecond)
	conn.Release()
	want := []error{nil, store.ErrFenced, nil}
	for i, ch := range done {
		if err := <-ch; !errors.Is(err, want[i]) && err != want[i] {
			t.Errorf("change %d: %v, want %v", i, err, want[i])
		}
	}
	if names := domainNames(t, a); !names["held"] || names["lost"] || !names["plain"] {
		t.Fatalf("domains %v: want held and plain, not lost", names)
	}
}

// TestNodesAndLoneServerExclude: nodes of a cluster share a database; a
// lone server (Open) cannot start beside them, nor they beside it.
func TestNodesAndLoneServerExclude(t *testing.T) {
	url := pgtest.Schema(t)
	n1 := openNode(t, url)
	openNode(t, url)
	if s, err := Open(context.Background(), url, quiet); !errors.Is(err, ErrInUse) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("a lone server beside two nodes: %v, want ErrInUse", err)
	}
	n1.Close()
	url2 := pgtest.Schema(t)
	lone := open(t, url2)
	defer lone.Close()
	if s, err := OpenNode(context.Background(), url2, quiet); !errors.Is(err, ErrInUse) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("a node beside a lone server: %v, want ErrInUse", err)
	}
}

// TestTakeoverWaitsForFencedWrite: a write that passed its fence holds the
// lease row until it commits, so a takeover in the meantime waits and the
// new epoch begins after the old owner's last write.
func TestTakeoverWaitsForFencedWrite(t *testing.T) {
	url := pgtest.Schema(t)
	a, b := openNode(t, url), openNode(t, url)
	ctx := context.Background()
	la, _, err := a.Acquire(ctx, "A", 3, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	c := connect(t, url)
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT openswf_fence('A', $1, $2)`, []int32{3}, []int64{la.Epoch}); err != nil {
		t.Fatalf("the fence of A's write in flight: %v", err)
	}
	time.Sleep(60 * time.Millisecond) // the lease expires while the write is in flight
	taken := make(chan Lease, 1)
	go func() {
		l, ok, err := b.Acquire(ctx, "B", 3, time.Minute)
		if err != nil || !ok {
			t.Errorf("B acquires: %v, %v", ok, err)
		}
		taken <- l
	}()
	select {
	case l := <-taken:
		t.Fatalf("B took the shard (epoch %d) while A's fenced write was in flight", l.Epoch)
	case <-time.After(200 * time.Millisecond):
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if l := <-taken; l.Epoch != la.Epoch+1 {
		t.Fatalf("B's epoch %d, want %d", l.Epoch, la.Epoch+1)
	}
}

// workflowInShard returns a workflow id of domain "d" whose runs belong to
// shard, the n'th such id.
func workflowInShard(shard int32, n int) string {
	for i := 0; ; i++ {
		id := fmt.Sprintf("wf-%d", i)
		if store.ShardOf("d", id) == shard {
			if n == 0 {
				return id
			}
			n--
		}
	}
}

func run(runID, workflowID string, open bool) *store.Execution {
	status := shape.ExecutionStatusOpen
	if !open {
		status = shape.ExecutionStatusClosed
	}
	return &store.Execution{Domain: "d", Info: shape.WorkflowExecutionInfo{
		Execution:       &shape.WorkflowExecution{WorkflowId: workflowID, RunId: runID},
		WorkflowType:    &shape.WorkflowType{Name: "wf", Version: "1"},
		StartTimestamp:  shape.TS(time.Unix(1_700_000_000, 0)),
		ExecutionStatus: status,
	}}
}

// TestLoadShard: a node taking a shard loads exactly its open runs, with
// their activities and timers; runs written before executions had a shard
// column get theirs when the store opens.
func TestLoadShard(t *testing.T) {
	url := pgtest.Schema(t)
	s := open(t, url)
	defer s.Close()
	c := &store.Change{
		Executions: []*store.Execution{
			run("r5a", workflowInShard(5, 0), true), run("r5b", workflowInShard(5, 1), true),
			run("r5closed", workflowInShard(5, 2), false), run("r9", workflowInShard(9, 0), true),
		},
		PutActivities: []*store.Activity{{RunID: "r5a", ScheduledEventID: 5}, {RunID: "r9", ScheduledEventID: 5}},
		PutTimers:     []*store.Timer{{RunID: "r5b", TimerID: "t"}, {RunID: "r9", TimerID: "t"}},
	}
	if err := store.Apply(s, c); err != nil {
		t.Fatal(err)
	}
	if err := store.Apply(s, &store.Change{Heartbeats: []store.Heartbeat{{RunID: "r5a", ScheduledEventID: 5, At: time.Unix(1_700_000_001, 0)}}}); err != nil {
		t.Fatal(err)
	}
	check := func(t *testing.T) {
		t.Helper()
		snap, err := s.LoadShard(context.Background(), 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(snap.Executions) != 2 || snap.Executions[0].Info.Execution.RunId != "r5a" || snap.Executions[1].Info.Execution.RunId != "r5b" {
			t.Fatalf("shard 5: %d open runs, want r5a and r5b", len(snap.Executions))
		}
		if len(snap.Activities) != 1 || snap.Activities[0].RunID != "r5a" || snap.Activities[0].HeartbeatAt.IsZero() {
			t.Fatalf("shard 5 activities %+v, want r5a's with its heartbeat", snap.Activities)
		}
		if len(snap.Timers) != 1 || snap.Timers[0].RunID != "r5b" || len(snap.Domains) != 0 {
			t.Fatalf("shard 5 timers %+v (domains %d), want r5b's only", snap.Timers, len(snap.Domains))
		}
	}
	check(t)
	// As a database migrated from version 2 has them: no shard yet.
	if _, err := connect(t, url).Exec(context.Background(), `UPDATE executions SET shard = -1`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = open(t, url)
	check(t)
}

// TestRenewLocksInShardOrder: a renewal takes its rows in shard order, as
// the writer's fence does, so the two never wait on each other in a
// cycle. A fence holds shard 5; the renewal (its leases listed high
// first, as a map's order may give them) must wait for 5 without holding
// 40, so the fence can still take 40.
func TestRenewLocksInShardOrder(t *testing.T) {
	url := pgtest.Schema(t)
	a := openNode(t, url)
	ctx := context.Background()
	var leases []Lease
	for _, s := range []int32{40, 5} {
		l, ok, err := a.Acquire(ctx, "A", s, time.Minute)
		if err != nil || !ok {
			t.Fatalf("acquire %d: %v, %v", s, ok, err)
		}
		leases = append(leases, l)
	}
	tx, err := a.r.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT 1 FROM shard_leases WHERE shard = 5 FOR SHARE`); err != nil {
		t.Fatal(err)
	}
	renewed := make(chan error, 1)
	go func() {
		_, err := a.Renew(ctx, "A", leases, time.Minute)
		renewed <- err
	}()
	time.Sleep(200 * time.Millisecond) // the renewal is waiting for shard 5
	lockCtx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if _, err := tx.Exec(lockCtx, `SELECT 1 FROM shard_leases WHERE shard = 40 FOR SHARE`); err != nil {
		t.Fatalf("the fence could not take shard 40 while the renewal waited for shard 5: %v", err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-renewed; err != nil {
		t.Fatalf("renewal: %v", err)
	}
}

// TestNothingWrittenAfterAFailedBatch: when a batch fails as a whole (the
// writer's connection dies under it), a later change under the same lease
// is refused unwritten, since the engine built it on memory that had the
// failed change; a change under no lease goes through.
func TestNothingWrittenAfterAFailedBatch(t *testing.T) {
	url := pgtest.Schema(t)
	a := openNode(t, url)
	ctx := context.Background()
	l, ok, err := a.Acquire(ctx, "A", 1, time.Minute)
	if err != nil || !ok {
		t.Fatalf("acquire: %v, %v", ok, err)
	}
	fence := &store.Fence{Node: "A", Shard: 1, Epoch: l.Epoch}
	if err := store.Apply(a, markerChange("first", fence)); err != nil {
		t.Fatal(err)
	}
	// Kill the writer's connection, and hold the writer's pool so the
	// next change is sent on the dead connection, not a fresh one.
	conn, err := a.w.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pid := conn.Conn().PgConn().PID()
	if _, err := a.r.Exec(ctx, `SELECT pg_terminate_backend($1)`, pid); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	failed := a.Submit(markerChange("lost", fence))
	later := a.Submit(markerChange("later", fence))
	conn.Release()
	if err := <-failed; err == nil {
		t.Skip("the writer's dead connection was replaced before the change was sent; nothing to test")
	}
	// Queued together, the two went in one batch and failed with it; or
	// the second came after, and was refused.
	if err := <-later; err == nil {
		t.Fatal("a change queued behind the failed one, under the same lease, was written")
	}
	if err := store.Apply(a, markerChange("after", fence)); !errors.Is(err, errEarlierFailed) {
		t.Fatalf("a change under the failed lease, submitted later: %v, want errEarlierFailed", err)
	}
	if err := store.Apply(a, markerChange("plain", nil)); err != nil {
		t.Fatalf("an unfenced change after a fenced batch failed: %v", err)
	}
	if names := domainNames(t, a); names["later"] || names["after"] || !names["first"] || !names["plain"] {
		t.Fatalf("domains %v: want first and plain, never later or after", names)
	}
}
