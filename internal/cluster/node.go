// Package cluster runs one swf server's part in a cluster of nodes on one
// PostgreSQL database (docs/architecture.md, "Several nodes"): it registers
// the node and heartbeats it, decides which shards the node should own
// (rendezvous hashing over the live nodes), takes them under leases whose
// epoch fences every write, renews the leases, lets shards go to nodes
// that join, gives every shard up when it drains, and stops acting for its
// shards on its own when it cannot renew in time.
package cluster

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"github.com/openswf/openswf/internal/store"
	"github.com/openswf/openswf/internal/store/postgres"
)

// Leases is what a node needs of the store: postgres.Store.
type Leases interface {
	Acquire(ctx context.Context, node string, shard int32, ttl time.Duration) (postgres.Lease, bool, error)
	Renew(ctx context.Context, node string, leases []postgres.Lease, ttl time.Duration) ([]postgres.Lease, error)
	Release(ctx context.Context, node string, l postgres.Lease) error
	Leases(ctx context.Context) ([]postgres.LeaseRow, error)
	HeartbeatNode(ctx context.Context, node, address string, draining bool) error
	LiveNodes(ctx context.Context, ttl time.Duration) ([]postgres.NodeRow, error)
	LeaveNode(ctx context.Context, node string) error
}

// Shards is what a node needs of its engine (engine.Engine).
type Shards interface {
	TakeShard(ctx context.Context, shard int32, epoch int64) error
	DropShard(shard int32)
	// Reconcile is told, every tick, which shards changed owner.
	Reconcile(moved []int32)
	// ReloadRegistry reads the domains and types again.
	ReloadRegistry(ctx context.Context) error
}

// Config sets a node up.
type Config struct {
	ID      string // unique per process: a restarted process is a new node
	Address string // host:port other nodes reach this one at
	// LeaseTTL is how long a lease lasts unrenewed: a dead node's shards
	// pass to the survivors within about LeaseTTL plus one tick. A tick is
	// a third of it.
	LeaseTTL time.Duration
	// MovesPerTick bounds how many held shards a tick hands over, so a
	// joining node takes its share gradually (free and expired shards
	// are taken at once).
	MovesPerTick int
	Log          *slog.Logger
	// Peers, when set, routes by the shard map each tick reads.
	Peers *Peers
}

// Node is one node's membership and leases.
type Node struct {
	cfg    Config
	leases Leases
	shards Shards

	mu        sync.Mutex
	held      map[int32]int64 // shard -> epoch of the lease this node holds
	lastRenew time.Time       // when the leases were last renewed, by this process's clock
	draining  bool

	watchMu sync.Mutex
	watch   *time.Timer // drops every shard unless the leases are renewed first
	fired   bool        // the watchdog dropped the shards
}

// New builds a node; Run runs it.
func New(cfg Config, leases Leases, shards Shards) *Node {
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = 6 * time.Second
	}
	if cfg.MovesPerTick <= 0 {
		cfg.MovesPerTick = 8
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Peers != nil {
		cfg.Peers.lookup, cfg.Peers.ttl = leases, cfg.LeaseTTL
	}
	return &Node{cfg: cfg, leases: leases, shards: shards, held: map[int32]int64{}}
}

// Run ticks until ctx ends. It does not drain: call Drain for a clean
// shutdown; a node that just stops is a node that died, and the others
// take its shards when its leases expire.
func (n *Node) Run(ctx context.Context) {
	t := time.NewTicker(n.cfg.LeaseTTL / 3)
	defer t.Stop()
	for {
		n.Tick(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Tick does one round: heartbeat, renew, self-fence if renewing failed for
// too long, then take and hand over shards toward the rendezvous owners.
func (n *Node) Tick(ctx context.Context) {
	n.mu.Lock()
	defer n.mu.Unlock()
	// A database that stopped answering (a partition drops packets) must
	// not hold the tick past the point where the node has to stop acting
	// for its shards: every call of the tick ends by then.
	ctx, cancel := context.WithTimeout(ctx, n.cfg.LeaseTTL*2/3)
	defer cancel()
	log := n.cfg.Log.With("node", n.cfg.ID)
	if err := n.leases.HeartbeatNode(ctx, n.cfg.ID, n.cfg.Address, n.draining); err != nil {
		log.Warn("node heartbeat failed", "err", err)
	}
	// After the heartbeat, which makes every later registry write tell
	// this node, and before taking shards: no change is missed.
	if err := n.shards.ReloadRegistry(ctx); err != nil {
		log.Warn("reloading the registry failed", "err", err)
	}
	n.renewLocked(ctx, log)
	nodes, err := n.leases.LiveNodes(ctx, n.cfg.LeaseTTL)
	if err != nil {
		log.Warn("reading the cluster's nodes failed", "err", err)
		return
	}
	defer n.refreshLocked(ctx, log, nodes)
	if n.draining {
		return
	}
	var live []string
	for _, nd := range nodes {
		if !nd.Draining {
			live = append(live, nd.ID)
		}
	}
	// A free or expired shard is taken at once; a held one passes on at
	// most MovesPerTick a tick, so a joining node takes its share
	// gradually, without a pause in every shard at once.
	moves := 0
	for shard := int32(0); shard < store.NumShards; shard++ {
		want := Owner(shard, live) == n.cfg.ID
		_, have := n.held[shard]
		switch {
		case want && !have:
			n.takeLocked(ctx, log, shard)
		case !want && have && Owner(shard, live) != "" && moves < n.cfg.MovesPerTick:
			n.handOverLocked(ctx, log, shard)
			moves++
		}
	}
}

// refreshLocked reads where every shard is served, for routing, and tells
// the engine which shards moved.
func (n *Node) refreshLocked(ctx context.Context, log *slog.Logger, nodes []postgres.NodeRow) {
	if n.cfg.Peers == nil {
		return
	}
	rows, err := n.leases.Leases(ctx)
	if err != nil {
		log.Warn("reading the shard leases failed", "err", err)
		return
	}
	addr := map[string]string{}
	for _, nd := range nodes {
		addr[nd.ID] = nd.Address
	}
	n.cfg.Peers.setNodes(addr)
	owners := map[int32]Place{}
	for _, r := range rows {
		if a, ok := addr[r.Owner]; ok && r.Live && r.Owner != n.cfg.ID {
			owners[r.Shard] = Place{Node: r.Owner, Addr: a, Epoch: r.Epoch}
		}
	}
	for s, e := range n.held { // this node's own view is current
		owners[s] = Place{Node: n.cfg.ID, Addr: n.cfg.Address, Epoch: e}
	}
	n.shards.Reconcile(n.cfg.Peers.dir.set(owners))
}

// renewLocked renews the held leases; a lease another node took is dropped
// at once. If renewing has failed for two thirds of the TTL, the node
// stops acting for every shard before its leases can expire: the fence
// alone would stop its writes, but not its answers from memory. A
// watchdog armed at each renewal does that even while the tick itself is
// stuck on a database that does not answer.
func (n *Node) renewLocked(ctx context.Context, log *slog.Logger) {
	sent := time.Now()
	if len(n.held) == 0 {
		n.lastRenew = sent
		n.armWatchdog(time.Time{})
		return
	}
	var mine []postgres.Lease
	for s, e := range n.held {
		mine = append(mine, postgres.Lease{Shard: s, Epoch: e})
	}
	kept, err := n.leases.Renew(ctx, n.cfg.ID, mine, n.cfg.LeaseTTL)
	if err == nil && n.watchdogFired() {
		// Renewed, but too late: the engine let every shard go. Give the
		// leases back, so this node (or another) takes them and reloads.
		log.Warn("shard leases renewed after the node stopped acting for them; giving them back", "shards", len(n.held))
		for s, e := range n.held {
			if err := n.leases.Release(ctx, n.cfg.ID, postgres.Lease{Shard: s, Epoch: e}); err != nil {
				log.Warn("releasing a shard failed; it passes on when the lease expires", "shard", s, "err", err)
			}
		}
		clear(n.held)
		n.armWatchdog(time.Time{})
		return
	}
	if err == nil {
		n.armWatchdog(sent)
	}
	if err != nil {
		if n.watchdogFired() || time.Since(n.lastRenew) > n.cfg.LeaseTTL*2/3 {
			log.Error("cannot renew shard leases in time: stopping to act for every shard", "err", err, "shards", len(n.held))
			for s := range n.held {
				n.shards.DropShard(s)
			}
			clear(n.held)
		} else {
			log.Warn("renewing shard leases failed", "err", err)
		}
		return
	}
	n.lastRenew = sent
	still := map[int32]bool{}
	for _, l := range kept {
		still[l.Shard] = true
	}
	for s := range n.held {
		if !still[s] {
			log.Warn("shard lease lost to another node", "shard", s)
			n.shards.DropShard(s)
			delete(n.held, s)
		}
	}
}

// takeLocked acquires shard and loads it; it reports whether it did.
func (n *Node) takeLocked(ctx context.Context, log *slog.Logger, shard int32) bool {
	l, ok, err := n.leases.Acquire(ctx, n.cfg.ID, shard, n.cfg.LeaseTTL)
	if err != nil || !ok {
		if err != nil {
			log.Warn("acquiring a shard failed", "shard", shard, "err", err)
		}
		return false // held by a live lease: its owner hands it over, or it expires
	}
	if err := n.shards.TakeShard(ctx, shard, l.Epoch); err != nil {
		log.Error("loading a shard failed; giving it back", "shard", shard, "err", err)
		if err := n.leases.Release(ctx, n.cfg.ID, l); err != nil {
			log.Warn("releasing a shard failed", "shard", shard, "err", err)
		}
		return false
	}
	n.held[shard] = l.Epoch
	return true
}

// handOverLocked stops serving shard and releases its lease at once, so
// its rendezvous owner takes it on its next tick.
func (n *Node) handOverLocked(ctx context.Context, log *slog.Logger, shard int32) {
	epoch := n.held[shard]
	n.shards.DropShard(shard)
	delete(n.held, shard)
	if err := n.leases.Release(ctx, n.cfg.ID, postgres.Lease{Shard: shard, Epoch: epoch}); err != nil {
		log.Warn("releasing a shard failed; it passes on when the lease expires", "shard", shard, "err", err)
	}
}

// Drain gives every shard up (the SIGTERM path): the node marks itself
// draining, so no node hands it a shard, then drops and releases each,
// and leaves the cluster.
func (n *Node) Drain(ctx context.Context) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.draining = true
	err := n.leases.HeartbeatNode(ctx, n.cfg.ID, n.cfg.Address, true)
	for s := range n.held {
		n.handOverLocked(ctx, n.cfg.Log, s)
	}
	return errors.Join(err, n.leases.LeaveNode(ctx, n.cfg.ID))
}

// Held returns the shards this node holds, with their epochs.
func (n *Node) Held() map[int32]int64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make(map[int32]int64, len(n.held))
	for s, e := range n.held {
		out[s] = e
	}
	return out
}

// mix spreads every input bit over the whole word (MurmurHash3's
// finalizer): FNV alone leaves the high bits, which decide the highest
// score, nearly the same for ids that differ only at the end.
func mix(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// Owner is the node that should own shard among the live ones: the one
// whose hash with the shard is highest (rendezvous hashing), so a node
// joining or leaving moves only the shards it wins or held. "" with no
// live node.
func Owner(shard int32, live []string) string {
	var best string
	var bestScore uint64
	for _, id := range live {
		h := fnv.New64a()
		h.Write([]byte(id))
		h.Write(binary.BigEndian.AppendUint32(nil, uint32(shard)))
		if s := mix(h.Sum64()); best == "" || s > bestScore || (s == bestScore && id < best) {
			best, bestScore = id, s
		}
	}
	return best
}

// Healthy is nil while the node's leases are renewed in time.
func (n *Node) Healthy() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.lastRenew.IsZero() {
		return errors.New("the node has not joined the cluster yet")
	}
	if d := time.Since(n.lastRenew); d > n.cfg.LeaseTTL*2/3 {
		return fmt.Errorf("shard leases last renewed %v ago", d.Round(time.Millisecond))
	}
	return nil
}

// Lost gives up shard, which the engine let go after a failed write: the
// lease is released (if the database answers; else it expires), so that
// the shard's owner, maybe this node, takes and reloads it.
func (n *Node) Lost(shard int32) {
	go func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		epoch, ok := n.held[shard]
		if !ok {
			return
		}
		delete(n.held, shard)
		ctx, cancel := context.WithTimeout(context.Background(), n.cfg.LeaseTTL/3)
		defer cancel()
		if err := n.leases.Release(ctx, n.cfg.ID, postgres.Lease{Shard: shard, Epoch: epoch}); err != nil {
			n.cfg.Log.Warn("releasing a lost shard failed; it passes on when the lease expires", "shard", shard, "err", err)
		}
	}()
}

// armWatchdog (re)arms the timer that stops the node acting for every
// shard two thirds of the TTL after leases were renewed at sent, unless
// they are renewed again; a zero sent (no leases held) disarms it. Shards
// taken since were leased later: dropping them too is merely early.
func (n *Node) armWatchdog(sent time.Time) {
	n.watchMu.Lock()
	defer n.watchMu.Unlock()
	if n.watch != nil {
		n.watch.Stop()
	}
	n.fired = false
	if sent.IsZero() {
		return
	}
	n.watch = time.AfterFunc(time.Until(sent.Add(n.cfg.LeaseTTL*2/3)), func() {
		n.watchMu.Lock()
		n.fired = true
		n.watchMu.Unlock()
		n.cfg.Log.Error("shard leases not renewed in time: stopping to act for every shard", "node", n.cfg.ID)
		for s := int32(0); s < store.NumShards; s++ {
			n.shards.DropShard(s) // a no-op for a shard the engine does not serve
		}
	})
}

// watchdogFired reports whether the watchdog dropped the shards since the
// last renewal.
func (n *Node) watchdogFired() bool {
	n.watchMu.Lock()
	defer n.watchMu.Unlock()
	return n.fired
}
