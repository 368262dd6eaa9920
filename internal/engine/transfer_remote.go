package engine

import (
	"context"
	"errors"
	"time"

	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/store"
	"github.com/openswf/openswf/internal/swf"
)

// Effects across runs of different nodes. A transfer (external.go) whose
// target run is another node's is carried out there (DeliverTransfer),
// and its outcome recorded here as for a local one; a run that closes
// tells its parent, and a parent that closes applies its child policy,
// wherever the other run lives. A call that fails (the other node died or
// its shard is moving) is tried again after transferRetry, for as long as
// the effect is still due; a run's next owner also redrives it when it
// takes the shard.

// Delivery is a transfer for a run of another node.
type Delivery struct {
	Domain   string
	Source   shape.WorkflowExecution
	Transfer store.Transfer
	Redrive  bool
}

// DeliveryOutcome is what became of a Delivery: the target run, and why
// it failed, if it did.
type DeliveryOutcome struct {
	Target *shape.WorkflowExecution
	// Failure is "" (delivered), "unknown" (no such open run),
	// "already-running" or "open-limit" (a child that could not start).
	Failure string
}

// ChildClose tells a parent that one of its children closed.
type ChildClose struct {
	Domain  string
	Parent  shape.WorkflowExecution
	Child   shape.WorkflowExecution
	Closing shape.HistoryEvent
}

// ChildPolicyOrder applies a closed parent's child policy to a child.
type ChildPolicyOrder struct {
	Domain string
	Child  shape.WorkflowExecution
	Policy shape.ChildPolicy
}

// transferRetry is how long a failed call across nodes waits to be tried
// again.
const transferRetry = time.Second

// remoteShard is the shard of domain's workflowID when another node
// serves it (ok), on a node of several that can reach the others.
func (e *Engine) remoteShard(domain, workflowID string) (int32, bool) {
	if !e.clustered() || e.cfg.Peers == nil {
		return 0, false
	}
	shard := store.ShardOf(domain, workflowID)
	_, mine := e.owns(shard)
	return shard, !mine
}

// deliverRemote carries out src's transfer p at the target's node and
// reports the outcome as the local path does; an error means it did not
// get there (try again later).
func (e *Engine) deliverRemote(shard int32, domain string, src shape.WorkflowExecution, p store.Transfer, redrive bool) (*shape.WorkflowExecution, error, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := e.cfg.Peers.Deliver(ctx, shard, Delivery{Domain: domain, Source: src, Transfer: p, Redrive: redrive})
	if err != nil {
		return nil, nil, err
	}
	var outcome error
	switch out.Failure {
	case "unknown":
		outcome = swf.Unknown("unknown external execution")
	case "already-running":
		outcome = errAlreadyRunning
	case "open-limit":
		outcome = errOpenLimit
	}
	return out.Target, outcome, nil
}

// DeliverTransfer carries out another node's transfer to a run of this
// node (the receiving end of Peers.Deliver).
func (e *Engine) DeliverTransfer(ctx context.Context, d Delivery) (*DeliveryOutcome, error) {
	if err := e.checkOwner(d.Domain, d.Transfer.WorkflowID); err != nil {
		return nil, err
	}
	var target *shape.WorkflowExecution
	var err error
	if d.Transfer.Kind == store.TransferChild {
		target, err = e.startChildRun(d.Domain, d.Source, d.Transfer, d.Redrive)
	} else {
		target, err = e.deliverToTarget(d.Domain, d.Source, d.Transfer, d.Redrive)
	}
	out := &DeliveryOutcome{Target: target}
	switch {
	case err == nil:
	case isUnknown(err):
		out.Failure = "unknown"
	case errors.Is(err, errAlreadyRunning):
		out.Failure = "already-running"
	case errors.Is(err, errOpenLimit):
		out.Failure = "open-limit"
	default:
		return nil, err
	}
	return out, nil
}

// retryLater calls f again after transferRetry, in the background.
func (e *Engine) retryLater(what string, err error, f func()) {
	select {
	case <-e.drain:
		return // shutting down: the next owner redrives
	default:
	}
	e.log.Debug("effect across nodes not carried out; trying again", "what", what, "err", err)
	time.AfterFunc(transferRetry, f)
}

// notifyParent tells parent, wherever it lives, that child closed.
func (e *Engine) notifyParent(domain string, parent, child shape.WorkflowExecution, closing *shape.HistoryEvent) {
	if shard, remote := e.remoteShard(domain, parent.WorkflowId); remote {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := e.cfg.Peers.ChildClosed(ctx, shard, ChildClose{Domain: domain, Parent: parent, Child: child, Closing: *closing}); err != nil {
			e.retryLater("child closed", err, func() { e.notifyParent(domain, parent, child, closing) })
		}
		return
	}
	e.childClosed(parent, child, closing)
}

// ChildClosedHere records, in a parent of this node, that a child closed
// (the receiving end of Peers.ChildClosed).
func (e *Engine) ChildClosedHere(c ChildClose) error {
	if err := e.checkOwner(c.Domain, c.Parent.WorkflowId); err != nil {
		return err
	}
	e.childClosed(c.Parent, c.Child, &c.Closing) // a parent closed meanwhile ignores it
	return nil
}

// orderChildPolicy applies policy to child, wherever it lives.
func (e *Engine) orderChildPolicy(domain string, child shape.WorkflowExecution, policy shape.ChildPolicy) {
	if shard, remote := e.remoteShard(domain, child.WorkflowId); remote {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := e.cfg.Peers.ApplyChildPolicy(ctx, shard, ChildPolicyOrder{Domain: domain, Child: child, Policy: policy}); err != nil {
			e.retryLater("child policy", err, func() { e.orderChildPolicy(domain, child, policy) })
		}
		return
	}
	e.applyChildPolicy(child.RunId, policy)
}

// ApplyChildPolicyHere applies a closed parent's policy to a child of this
// node (the receiving end of Peers.ApplyChildPolicy).
func (e *Engine) ApplyChildPolicyHere(a ChildPolicyOrder) error {
	if err := e.checkOwner(a.Domain, a.Child.WorkflowId); err != nil {
		return err
	}
	e.applyChildPolicy(a.Child.RunId, a.Policy)
	return nil
}
