package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/openswf/openswf/internal/store"
)

// The registry (domains and types) across nodes. Every node keeps all of
// it in memory, for the checks of every call; one node writes it: the
// owner of registryShard, so that uniqueness and quota checks see every
// earlier write. A registry write elsewhere answers errNotOwner, and the
// wire layer forwards it. The owner writes under the shard's fence and,
// before it answers, tells every node to reload (Peers.RegistryChanged),
// so a domain registered through one node can be used at once through
// any other. A node that missed the word reloads on its next tick
// (ReloadRegistry), and the owner reloads when it takes the shard.

// registryShard is the shard whose owner writes the registry.
var registryShard = store.ShardOf("", "\x00registry")

// lockRegistry takes the registry's write lock, on its owner.
func (e *Engine) lockRegistry() error {
	if _, ok := e.owns(registryShard); !ok {
		return errNotOwner(registryShard)
	}
	e.regMu.Lock()
	return nil
}

// applyRegistry writes a registry change (e.regMu held) and, on a node of
// several, has every node reload before the caller is answered.
func (e *Engine) applyRegistry(c *store.Change) error {
	if e.clustered() {
		epoch, _ := e.owns(registryShard)
		c.Fence = &store.Fence{Node: e.cfg.Node, Shard: registryShard, Epoch: epoch}
	}
	// Nothing is in memory yet; but a store that failed to write refuses
	// every later change (SQLite), so the server stops all the same
	// (docs/decisions.md, "A failed write stops the server").
	// On a node of several, the registry shard goes as any shard whose
	// write failed.
	if err := <-e.st.Submit(c); errors.Is(err, store.ErrFenced) {
		return errNotOwner(registryShard)
	} else if err != nil && e.clustered() {
		return e.loseShard(registryShard, err)
	} else if err != nil {
		return e.storageFailed(err)
	}
	e.regGen++ // e.regMu is held: a reload that read before this write is stale
	if n := e.cfg.Peers; n != nil && e.clustered() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := n.RegistryChanged(ctx); err != nil {
			e.log.Warn("telling the other nodes the registry changed failed; they reload on their next tick", "err", err)
		}
	}
	return nil
}

// ReloadRegistry reads the domains and types from the store again, for a
// node of several: another node may have changed them.
func (e *Engine) ReloadRegistry(ctx context.Context) error {
	sl, ok := e.st.(store.ShardLoader)
	if !ok || !e.clustered() {
		return nil
	}
	// Reloads run one at a time, so a later one always sets what it read
	// last (a tick's reload that read before a change must not overwrite
	// the notice's reload that read after it); and one that read before
	// this node wrote the registry itself leaves memory as the write left it.
	e.reloadMu.Lock()
	defer e.reloadMu.Unlock()
	e.regMu.RLock()
	gen := e.regGen
	e.regMu.RUnlock()
	snap, err := sl.LoadRegistry(ctx)
	if err != nil {
		return fmt.Errorf("reload the registry: %w", err)
	}
	e.setRegistry(snap, &gen)
	return nil
}

// setRegistry replaces the domains and types in memory with snap's, unless
// gen is given and this node wrote the registry since it was read.
func (e *Engine) setRegistry(snap *store.Snapshot, gen *uint64) {
	domains := make(map[string]*store.Domain, len(snap.Domains))
	for _, d := range snap.Domains {
		domains[d.Info.Name] = d
	}
	atypes := make(map[store.TypeKey]*store.ActivityType, len(snap.ActivityTypes))
	for _, t := range snap.ActivityTypes {
		atypes[store.TypeKey{Domain: t.Domain, Name: t.Info.ActivityType.Name, Version: t.Info.ActivityType.Version}] = t
	}
	wtypes := make(map[store.TypeKey]*store.WorkflowType, len(snap.WorkflowTypes))
	for _, t := range snap.WorkflowTypes {
		wtypes[store.TypeKey{Domain: t.Domain, Name: t.Info.WorkflowType.Name, Version: t.Info.WorkflowType.Version}] = t
	}
	e.regMu.Lock()
	defer e.regMu.Unlock()
	if gen != nil && *gen != e.regGen {
		return
	}
	e.domains, e.atypes, e.wtypes = domains, atypes, wtypes
}
