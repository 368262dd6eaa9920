package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Shard leases, for several nodes on one database. A shard's row names its
// owner node, an epoch that grows with every change of hands, and an
// expiry in the database's clock (so the nodes' clocks do not matter). A
// node writes for a shard only under a store.Fence of the epoch it
// acquired: the writer's transaction first calls openswf_fence, which
// locks the rows FOR SHARE and fails the transaction (SQLSTATE OSWF1) when
// any fence no longer holds. A takeover is an UPDATE of the row, so it
// waits for the transactions that hold those locks; a write either commits
// before the new epoch exists or sees it and fails. No write of a node
// that lost a shard lands after another took it.

// Lease is a node's hold on a shard.
type Lease struct {
	Shard int32
	Epoch int64
}

// fenceCode is openswf_fence's SQLSTATE.
const fenceCode = "OSWF1"

// Acquire takes shard for node if it is free, released, or its lease has
// expired, for ttl; the epoch is one more than the last owner's. ok is
// false, with no error, when another node holds a lease that has not
// expired.
func (s *Store) Acquire(ctx context.Context, node string, shard int32, ttl time.Duration) (l Lease, ok bool, err error) {
	err = s.r.QueryRow(ctx, `INSERT INTO shard_leases AS l (shard, owner, epoch, expires_at)
		VALUES ($1, $2, 1, now() + $3::interval)
		ON CONFLICT (shard) DO UPDATE SET owner = excluded.owner, epoch = l.epoch + 1, expires_at = excluded.expires_at
		WHERE l.expires_at <= now()
		RETURNING l.epoch`, shard, node, ttl).Scan(&l.Epoch)
	if errors.Is(err, pgx.ErrNoRows) {
		return Lease{}, false, nil
	}
	if err != nil {
		return Lease{}, false, fmt.Errorf("acquire shard %d: %w", shard, err)
	}
	l.Shard = shard
	return l, true, nil
}

// Renew extends node's leases to ttl from now and returns those it still
// holds: a lease whose epoch moved on (another node took the shard) is
// gone, whatever its expiry said. One that expired but was not taken is
// renewed: no one else can have written for it.
//
// The rows are locked in shard order first, the order in which the
// writer's fence (openswf_fence) takes its share locks: an UPDATE of
// several rows locks them in whatever order its plan reads them, and
// against a batch fenced on two of the same shards that deadlocked (seen
// under load: PostgreSQL broke it after a second by failing the renewal).
func (s *Store) Renew(ctx context.Context, node string, leases []Lease, ttl time.Duration) ([]Lease, error) {
	shards, epochs := leaseArrays(leases)
	rows, err := s.r.Query(ctx, `WITH locked AS (
			SELECT shard FROM shard_leases WHERE shard = ANY ($2::integer[]) ORDER BY shard FOR UPDATE
		)
		UPDATE shard_leases l SET expires_at = now() + $4::interval
		FROM unnest($2::integer[], $3::bigint[]) AS f(shard, epoch), locked k
		WHERE l.shard = f.shard AND k.shard = f.shard AND l.epoch = f.epoch AND l.owner = $1
		RETURNING l.shard, l.epoch`, node, shards, epochs, ttl)
	if err != nil {
		return nil, fmt.Errorf("renew leases: %w", err)
	}
	kept, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Lease])
	if err != nil {
		return nil, fmt.Errorf("renew leases: %w", err)
	}
	return kept, nil
}

// Release gives a shard up at once (a node draining): its lease expires
// now, keeping owner and epoch, so the next Acquire by any node succeeds
// and bumps the epoch past every write this node made.
func (s *Store) Release(ctx context.Context, node string, l Lease) error {
	_, err := s.r.Exec(ctx, `UPDATE shard_leases SET expires_at = now() - interval '1 microsecond'
		WHERE shard = $1 AND epoch = $2 AND owner = $3`, l.Shard, l.Epoch, node)
	if err != nil {
		return fmt.Errorf("release shard %d: %w", l.Shard, err)
	}
	return nil
}

// Leases returns every shard's lease as the database has it: owner, epoch,
// and whether it is live (not expired).
func (s *Store) Leases(ctx context.Context) ([]LeaseRow, error) {
	rows, err := s.r.Query(ctx, `SELECT shard, owner, epoch, expires_at > now() FROM shard_leases ORDER BY shard`)
	if err != nil {
		return nil, fmt.Errorf("read leases: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[LeaseRow])
}

// LeaseRow is one shard's lease.
type LeaseRow struct {
	Shard int32
	Owner string
	Epoch int64
	Live  bool
}

func leaseArrays(leases []Lease) ([]int32, []int64) {
	shards, epochs := make([]int32, len(leases)), make([]int64, len(leases))
	for i, l := range leases {
		shards[i], epochs[i] = l.Shard, l.Epoch
	}
	return shards, epochs
}

// fenceStatements returns the openswf_fence calls that a batch of changes
// needs, one per node (a store serves one node, so in practice one): each
// distinct (shard, epoch) a change of the batch is fenced by.
func fenceStatements(reqs []*request) []stmt {
	type key struct {
		shard int32
		epoch int64
	}
	byNode := map[string]map[key]bool{}
	var nodes []string
	for _, r := range reqs {
		f := r.fence
		if f == nil {
			continue
		}
		if byNode[f.Node] == nil {
			byNode[f.Node] = map[key]bool{}
			nodes = append(nodes, f.Node)
		}
		byNode[f.Node][key{f.Shard, f.Epoch}] = true
	}
	var out []stmt
	for _, n := range nodes {
		var leases []Lease
		for k := range byNode[n] {
			leases = append(leases, Lease{k.shard, k.epoch})
		}
		shards, epochs := leaseArrays(leases)
		out = append(out, stmt{`SELECT openswf_fence($1, $2, $3)`, []any{n, shards, epochs}})
	}
	return out
}

// fencedOut reports whether err is openswf_fence's refusal, and which
// (shard, epoch) pairs it found lost.
func fencedOut(err error) (map[Lease]bool, bool) {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != fenceCode {
		return nil, false
	}
	lost := map[Lease]bool{}
	for p := range strings.SplitSeq(pgErr.Detail, ",") {
		shard, epoch, ok := strings.Cut(p, ":")
		sh, err1 := strconv.ParseInt(shard, 10, 32)
		ep, err2 := strconv.ParseInt(epoch, 10, 64)
		if ok && err1 == nil && err2 == nil {
			lost[Lease{int32(sh), ep}] = true
		}
	}
	return lost, true
}

// isFenced reports whether r's fence is among the lost leases.
func (r *request) isFenced(lost map[Lease]bool) bool {
	return r.fence != nil && lost[Lease{r.fence.Shard, r.fence.Epoch}]
}

// NodeRow is a node of the cluster as the database has it.
type NodeRow struct {
	ID       string
	Address  string
	Draining bool
}

// HeartbeatNode records that node is alive at address (draining or not),
// in the database's clock, registering it on its first call.
func (s *Store) HeartbeatNode(ctx context.Context, node, address string, draining bool) error {
	_, err := s.r.Exec(ctx, `INSERT INTO nodes (id, address, heartbeat_at, draining) VALUES ($1, $2, now(), $3)
		ON CONFLICT (id) DO UPDATE SET address = excluded.address, heartbeat_at = excluded.heartbeat_at, draining = excluded.draining`,
		node, address, draining)
	if err != nil {
		return fmt.Errorf("node heartbeat: %w", err)
	}
	return nil
}

// LiveNodes returns the nodes whose last heartbeat is younger than ttl,
// by id; nodes silent for ten times that are forgotten.
func (s *Store) LiveNodes(ctx context.Context, ttl time.Duration) ([]NodeRow, error) {
	if _, err := s.r.Exec(ctx, `DELETE FROM nodes WHERE heartbeat_at < now() - 10 * $1::interval`, ttl); err != nil {
		return nil, fmt.Errorf("forget silent nodes: %w", err)
	}
	rows, err := s.r.Query(ctx, `SELECT id, address, draining FROM nodes WHERE heartbeat_at > now() - $1::interval ORDER BY id`, ttl)
	if err != nil {
		return nil, fmt.Errorf("read nodes: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[NodeRow])
}

// LeaveNode removes node from the cluster (a clean shutdown).
func (s *Store) LeaveNode(ctx context.Context, node string) error {
	_, err := s.r.Exec(ctx, `DELETE FROM nodes WHERE id = $1`, node)
	return err
}
