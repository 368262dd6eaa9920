package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/openswf/openswf/internal/store"
	"github.com/openswf/openswf/internal/swf"
)

// Several nodes on one database (Config.Node set; docs/architecture.md,
// "Several nodes"): an engine then keeps in memory only the runs of the
// shards it owns, each taken with TakeShard under a lease whose epoch
// fences every write of the shard (store.Fence), and let go with
// DropShard. A call about a run of a shard it does not own answers
// errNotOwner, a retryable fault. On one node (Node empty) the engine owns
// every shard and writes unfenced, as before.

// clustered reports whether this engine is one node of several.
func (e *Engine) clustered() bool { return e.cfg.Node != "" }

// owns reports whether this engine owns shard, and the epoch of its lease.
func (e *Engine) owns(shard int32) (int64, bool) {
	if !e.clustered() {
		return 0, true
	}
	e.shardMu.RLock()
	defer e.shardMu.RUnlock()
	epoch, ok := e.shards[shard]
	return epoch, ok
}

// errNotOwner answers a call about a run of a shard this node does not
// own (any more): the caller retries, and finds the owner.
func errNotOwner(shard int32) error {
	return &swf.NotOwner{Shard: shard, Fault: swf.NewFault(swf.ServiceUnavailable, "this node does not serve shard %d now; try again", shard)}
}

// checkOwner is errNotOwner unless this node owns the shard of the runs of
// workflowID in domain.
func (e *Engine) checkOwner(domain, workflowID string) error {
	shard := store.ShardOf(domain, workflowID)
	if _, ok := e.owns(shard); !ok {
		return errNotOwner(shard)
	}
	return nil
}

// fence is the lease a change of x's run is written under: nil on one
// node.
func (e *Engine) fence(x *execState) *store.Fence {
	if !e.clustered() {
		return nil
	}
	epoch, ok := e.owns(x.shard) // a dropped shard's epoch 0 never holds
	if !ok {
		// A deadline of a shard being taken fires as its runs are
		// restored: it writes under the lease being taken.
		e.shardMu.RLock()
		epoch = e.taking[x.shard]
		e.shardMu.RUnlock()
	}
	return &store.Fence{Node: e.cfg.Node, Shard: x.shard, Epoch: epoch}
}

// TakeShard loads the open runs of shard, which this node now holds at
// epoch, arms their deadlines and offers their tasks, then serves them.
func (e *Engine) TakeShard(ctx context.Context, shard int32, epoch int64) error {
	sl, ok := e.st.(store.ShardLoader)
	if !ok || !e.clustered() {
		return errors.New("engine: TakeShard needs a node of several on a shared store")
	}
	if _, ok := e.owns(shard); ok {
		return fmt.Errorf("engine: shard %d is already taken", shard)
	}
	if shard == registryShard {
		// The last owner may have written what this node has not heard.
		if err := e.ReloadRegistry(ctx); err != nil {
			return err
		}
	}
	snap, err := sl.LoadShard(ctx, shard)
	if err != nil {
		return fmt.Errorf("load shard %d: %w", shard, err)
	}
	// Calls about the shard's runs wait (answer errNotOwner) until every
	// run is in memory, or a start could open a second run of a workflow
	// id not loaded yet; but deadlines restored here may fire at once, and
	// write under the lease being taken.
	e.shardMu.Lock()
	e.taking[shard] = epoch
	e.shardMu.Unlock()
	e.restoreRuns(snap)
	e.shardMu.Lock()
	_, still := e.taking[shard]
	delete(e.taking, shard)
	if still {
		e.shards[shard] = epoch
	}
	e.shardMu.Unlock()
	if !still {
		// A write of a restored run found the lease gone (DropShard):
		// whatever was restored goes too.
		e.dropRuns(shard)
		return fmt.Errorf("shard %d: its lease was lost while its runs were loaded", shard)
	}
	var runs []*execState
	e.execMu.RLock()
	for _, r := range snap.Executions {
		if x := e.execs[r.Info.Execution.RunId]; x != nil {
			runs = append(runs, x)
		}
	}
	e.execMu.RUnlock()
	e.redrive(runs)
	// This node's tasks on lists homed at the shard come home.
	e.Reconcile([]int32{shard})
	e.log.Info("shard taken", "shard", shard, "epoch", epoch, "open_executions", len(snap.Executions))
	return nil
}

// DropShard stops serving shard: its runs leave memory and their tasks
// their task lists; calls about them answer errNotOwner. Their deadlines
// stay in the timer queue and fire as no-ops (or again, harmlessly, if the
// shard comes back). A write of the shard already queued fails its fence.
func (e *Engine) DropShard(shard int32) {
	e.shardMu.Lock()
	_, ok := e.shards[shard]
	_, taking := e.taking[shard]
	delete(e.shards, shard)
	delete(e.taking, shard)
	e.shardMu.Unlock()
	if !ok && !taking {
		return
	}
	e.dropRuns(shard)
}

// dropRuns takes shard's runs out of memory and their tasks off this
// node's lists.
func (e *Engine) dropRuns(shard int32) {
	var runs []*execState
	e.execMu.Lock()
	for id, x := range e.execs {
		if x.shard == shard {
			runs = append(runs, x)
			delete(e.execs, id)
			if e.open[openKey(x.e.Domain, x.e.Info.Execution.WorkflowId)] == x {
				delete(e.open, openKey(x.e.Domain, x.e.Info.Execution.WorkflowId))
			}
		}
	}
	e.execMu.Unlock()
	for _, x := range runs {
		x.mu.Lock()
		x.dropped = true
		// Another node may now write the run's history: ours would go stale.
		if r := x.hist.Load(); r != nil {
			e.hist.drop(r)
		}
		if x.decision != nil {
			e.dropQueued(x.decision)
			x.decision = nil
		}
		for _, s := range x.acts {
			if s.p != nil {
				e.dropQueued(s.p)
				s.p = nil
			}
		}
		x.mu.Unlock()
	}
	e.listHomeMoved(shard)
	e.log.Info("shard dropped", "shard", shard, "open_executions", len(runs))
}

// loseShard answers a write of shard that failed (the database is
// unreachable, say) on a node of several. Memory may now be ahead of the
// database, but only for this shard: the node lets it go rather than
// stopping, and whoever takes it next (maybe this node again) loads what
// is durable. Config.ShardLost releases its lease.
func (e *Engine) loseShard(shard int32, err error) error {
	e.log.Error("a write of the shard failed: letting the shard go so that its next owner reloads what is durable", "shard", shard, "err", err)
	e.DropShard(shard)
	if e.cfg.ShardLost != nil {
		e.cfg.ShardLost(shard)
	}
	return swf.NewFault(swf.InternalFailure, "the change could not be stored: %v", err)
}
