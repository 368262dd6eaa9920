package engine

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/store"
)

// Task lists across nodes (docs/architecture.md, "Several nodes"). Every
// task list has a home: the owner of its home shard (homeShard), which
// holds the list, its pollers, and every task queued on it. Polls go to
// the home (a poll elsewhere answers errNotOwner and the wire layer
// forwards it). A node whose run schedules a task on a list homed
// elsewhere offers it to the home after the schedule is durable; the home
// queues it once (offers repeat) and, when a poller takes it, asks the
// run's owner to start it (StartTask), which records the start as for a
// local poll and answers the task. The run's owner stays the only one to
// change the run: a home only ever holds a reference.
//
// An offer can be lost (the home died, or moved, before it queued it), so
// the run's owner offers its tasks again when a list's home moves and,
// as a safety net, every reofferAfter.

// Peers is how an engine reaches the other nodes of its cluster: the
// cluster package implements it over HTTP, authenticated with a secret
// kept in the database.
type Peers interface {
	// Offer queues tasks on lists homed at shard, at its owner.
	Offer(ctx context.Context, shard int32, offers []TaskOffer) error
	// Withdraw takes a task off its list at the owner of shard.
	Withdraw(ctx context.Context, shard int32, o TaskOffer) error
	// Start asks the owner of shard, the shard of the task's run, to
	// start it (Engine.StartTask there).
	Start(ctx context.Context, shard int32, r StartRequest) (*StartAnswer, error)
	// RegistryChanged tells every other node to reload the registry
	// (registry.go).
	RegistryChanged(ctx context.Context) error
	// Deliver carries out a transfer at the owner of shard, the target's
	// (transfer_remote.go).
	Deliver(ctx context.Context, shard int32, d Delivery) (*DeliveryOutcome, error)
	// ChildClosed tells a parent, at the owner of shard, that a child closed.
	ChildClosed(ctx context.Context, shard int32, c ChildClose) error
	// ApplyChildPolicy applies a closed parent's policy to a child at the
	// owner of shard.
	ApplyChildPolicy(ctx context.Context, shard int32, a ChildPolicyOrder) error
}

// TaskOffer names a task another node queues on a list homed here.
type TaskOffer struct {
	Kind             byte // 'a' activity, 'd' decision
	Domain           string
	List             string
	WorkflowID       string
	RunID            string
	ScheduledEventID int64
	Priority         int32
}

// StartRequest asks a run's owner to start one of its tasks for a poller
// at the task list's home. Decision carries the poll, whose paging options
// shape the history the task is answered with.
type StartRequest struct {
	Kind             byte
	Domain           string
	RunID            string
	ScheduledEventID int64
	Identity         string
	Decision         *shape.PollForDecisionTaskInput
}

// StartAnswer is the started task, or Gone when it was no longer waiting
// (started by another poller, canceled, timed out, or its run closed).
type StartAnswer struct {
	Activity *shape.ActivityTask
	Decision *shape.DecisionTask
	Gone     bool
}

// reofferAfter is how often a node offers its waiting tasks again, in case
// an offer was lost. Offers repeat harmlessly: a home queues a task once.
const reofferAfter = 10 * time.Second

// homeShard is the shard whose owner holds a task list.
func homeShard(domain string, kind byte, list string) int32 {
	return store.ShardOf(domain, "\x00tasklist\x00"+string(kind)+"\x00"+list)
}

func (e *Engine) lists(kind byte) *taskLists {
	if kind == tokenDecision {
		return e.decisionLists
	}
	return e.activityLists
}

// remoteTasks is this node's tasks waiting on lists homed elsewhere.
type remoteTasks struct {
	mu     sync.Mutex
	unsent map[*pending]struct{} // offers that failed, sent again at the next Reconcile
	last   time.Time             // when every away task was last offered again
}

// enqueue puts p, whose kind, domain, list and workflowID are set, on its
// task list: here if this node is the list's home, else at the home, once
// t (if any) is durable.
func (e *Engine) enqueue(p *pending, t *txn) {
	l := e.lists(p.kind).get(p.domain, p.list)
	if _, ok := e.owns(l.shard); ok {
		p.away.Store(false)
		l.push(p)
		return
	}
	p.away.Store(true)
	send := func() { e.sendOffers(l.shard, []*pending{p}) }
	if t != nil {
		t.after = append(t.after, send)
	} else {
		go send()
	}
}

// withdraw takes p off its task list, wherever that is.
func (e *Engine) withdraw(p *pending) {
	if !p.away.Load() {
		e.lists(p.kind).get(p.domain, p.list).remove(p)
		return
	}
	e.remote.mu.Lock()
	delete(e.remote.unsent, p)
	e.remote.mu.Unlock()
	if e.cfg.Peers == nil {
		return
	}
	o := offerOf(p)
	shard := homeShard(p.domain, p.kind, p.list)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		// Best effort: a task left behind is found gone when a poller
		// takes it.
		_ = e.cfg.Peers.Withdraw(ctx, shard, o)
	}()
}

func offerOf(p *pending) TaskOffer {
	return TaskOffer{Kind: p.kind, Domain: p.domain, List: p.list, WorkflowID: p.workflowID,
		RunID: p.runID, ScheduledEventID: p.scheduledEventID, Priority: p.priority}
}

// sendOffers offers ps, all of lists homed at shard, to its owner; those
// not accepted are sent again at the next Reconcile.
func (e *Engine) sendOffers(shard int32, ps []*pending) {
	err := errors.New("no peers")
	if e.cfg.Peers != nil {
		offers := make([]TaskOffer, len(ps))
		for i, p := range ps {
			offers[i] = offerOf(p)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = e.cfg.Peers.Offer(ctx, shard, offers)
		cancel()
	}
	if err != nil {
		e.log.Debug("offering tasks to their task list's home failed; offering again later", "shard", shard, "tasks", len(ps), "err", err)
		e.offerLater(ps)
	}
}

// offerLater marks ps to be offered to their lists' homes at the next
// Reconcile.
func (e *Engine) offerLater(ps []*pending) {
	e.remote.mu.Lock()
	defer e.remote.mu.Unlock()
	if e.remote.unsent == nil {
		e.remote.unsent = map[*pending]struct{}{}
	}
	for _, p := range ps {
		p.away.Store(true)
		e.remote.unsent[p] = struct{}{}
	}
}

// Reconcile offers again the tasks whose offer failed, the tasks of lists
// whose home is among moved (shards that changed owner since the last
// call), and, every reofferAfter, every task waiting away. It also looks
// again at this node's runs' children and parents on moved shards
// (recheckRelatives): a node that died may have closed one without
// telling. The cluster calls it on every tick.
func (e *Engine) Reconcile(moved []int32) {
	if !e.clustered() {
		return
	}
	movedSet := map[int32]bool{}
	for _, s := range moved {
		movedSet[s] = true
	}
	runs := e.openRuns()
	if len(moved) > 0 {
		defer e.recheckRelatives(runs, func(s int32) bool { return movedSet[s] })
	}
	e.remote.mu.Lock()
	unsent := e.remote.unsent
	e.remote.unsent = nil
	all := time.Since(e.remote.last) >= reofferAfter
	if all {
		e.remote.last = time.Now()
	}
	e.remote.mu.Unlock()

	byHome := map[int32][]*pending{}
	var local []*pending
	consider := func(p *pending) {
		if p == nil || !p.away.Load() {
			return
		}
		home := homeShard(p.domain, p.kind, p.list)
		_, inUnsent := unsent[p]
		if !all && !inUnsent && !movedSet[home] {
			return
		}
		if _, ok := e.owns(home); ok {
			local = append(local, p)
			return
		}
		byHome[home] = append(byHome[home], p)
	}
	for _, x := range runs {
		x.mu.Lock()
		if !x.closed && !x.dropped {
			consider(x.decision)
			for _, s := range x.acts {
				consider(s.p)
			}
			for _, p := range local {
				// The list came home: queue the task here, under its
				// run's lock as every enqueue.
				e.enqueue(p, nil)
			}
			local = local[:0]
		}
		x.mu.Unlock()
	}
	for shard, ps := range byHome {
		go e.sendOffers(shard, ps)
	}
}

// OfferTask queues other nodes' tasks on lists homed here (the receiving
// end of Peers.Offer). A list not homed here answers errNotOwner.
func (e *Engine) OfferTask(offers []TaskOffer) error {
	for _, o := range offers {
		l := e.lists(o.Kind).get(o.Domain, o.List)
		if _, ok := e.owns(l.shard); !ok {
			return errNotOwner(l.shard)
		}
		l.pushRemote(&pending{runID: o.RunID, scheduledEventID: o.ScheduledEventID, priority: o.Priority,
			kind: o.Kind, domain: o.Domain, list: o.List, workflowID: o.WorkflowID, remote: true})
	}
	return nil
}

// WithdrawTask takes another node's task off a list homed here (the
// receiving end of Peers.Withdraw).
func (e *Engine) WithdrawTask(o TaskOffer) {
	e.lists(o.Kind).get(o.Domain, o.List).removeRemote(o.RunID, o.ScheduledEventID)
}

// StartTask starts a task of a run this node owns for a poller at the
// task's list's home (the receiving end of Peers.Start).
func (e *Engine) StartTask(ctx context.Context, r StartRequest) (*StartAnswer, error) {
	x := e.openState(r.RunID)
	if x == nil {
		if err := e.notHere(ctx, r.Domain, r.RunID); err != nil {
			return nil, err
		}
		return &StartAnswer{Gone: true}, nil
	}
	x.mu.Lock()
	var p *pending
	if r.Kind == tokenDecision {
		p = x.decision
	} else if s := x.acts.get(r.ScheduledEventID); s != nil {
		p = s.p
	}
	x.mu.Unlock()
	if p == nil || p.scheduledEventID != r.ScheduledEventID {
		return &StartAnswer{Gone: true}, nil
	}
	var ans StartAnswer
	var err error
	if r.Kind == tokenDecision {
		ans.Decision, err = e.startDecision(ctx, nil, p, r.Identity)
		if err == nil && ans.Decision != nil {
			ans.Decision, err = e.fillDecisionTask(ctx, r.Decision, ans.Decision)
		}
	} else {
		ans.Activity, err = e.startActivity(ctx, nil, p, r.Identity)
	}
	switch {
	case errors.Is(err, errStale) || isUnknown(err):
		return &StartAnswer{Gone: true}, nil
	case err != nil:
		return nil, err
	case ans.Activity == nil && ans.Decision == nil:
		// The poller left before anything was recorded.
		return nil, context.Canceled
	}
	return &ans, nil
}

// startRemote starts p, another node's task taken off a list homed here,
// through its run's owner. A task gone there, or whose owner cannot be
// reached (it died: its successor offers the task again), is skipped as
// stale; a poller gone meanwhile puts it back.
func (e *Engine) startRemote(ctx context.Context, list *taskList, p *pending, identity string, poll *shape.PollForDecisionTaskInput) (*StartAnswer, error) {
	if e.cfg.Peers == nil {
		return nil, errStale
	}
	ans, err := e.cfg.Peers.Start(ctx, store.ShardOf(p.domain, p.workflowID), StartRequest{
		Kind: p.kind, Domain: p.domain, RunID: p.runID, ScheduledEventID: p.scheduledEventID,
		Identity: identity, Decision: poll,
	})
	switch {
	case ctx.Err() != nil:
		list.pushRemote(p)
		return nil, ctx.Err()
	case err != nil:
		e.log.Debug("starting a task at its run's owner failed; skipping it", "run_id", p.runID, "err", err)
		return nil, errStale
	case ans.Gone:
		return nil, errStale
	}
	return ans, nil
}

// notHere is errNotOwner if the run is open in the store but not in this
// node's memory (another node serves its shard), else nil.
func (e *Engine) notHere(ctx context.Context, domain, runID string) error {
	if !e.clustered() {
		return nil
	}
	r, err := e.st.ExecutionGet(ctx, &store.ExecutionGetParams{Domain: domain, RunID: runID})
	if err != nil || r.Info.ExecutionStatus != shape.ExecutionStatusOpen {
		return nil
	}
	return errNotOwner(store.ShardOf(r.Domain, r.Info.Execution.WorkflowId))
}

// servesList reports whether polls of list belong here.
func (e *Engine) servesList(l *taskList) bool {
	_, ok := e.owns(l.shard)
	return ok
}

// listHomeMoved empties the lists homed at shard, which this node no
// longer owns: their pollers answer empty (and poll again, at the new
// home); other nodes' tasks go (their owners offer them to the new home);
// this node's own tasks are offered to the new home at the next Reconcile.
func (e *Engine) listHomeMoved(shard int32) {
	var own []*pending
	for _, ls := range []*taskLists{e.activityLists, e.decisionLists} {
		for _, l := range ls.homedAt(shard) {
			own = append(own, l.empty()...)
		}
	}
	e.offerLater(own)
}

// decisionPending is the pending decision task of run r.
func decisionPending(r *store.Execution) *pending {
	return &pending{runID: r.Info.Execution.RunId, scheduledEventID: r.DecisionScheduledID, priority: parsePriority(r.Config.TaskPriority),
		kind: tokenDecision, domain: r.Domain, list: r.DecisionTaskList, workflowID: r.Info.Execution.WorkflowId}
}

// activityPending is the pending task of activity a of run r.
func activityPending(r *store.Execution, a *store.Activity) *pending {
	return &pending{runID: a.RunID, scheduledEventID: a.ScheduledEventID, priority: a.Priority,
		kind: tokenActivity, domain: r.Domain, list: a.TaskList, workflowID: r.Info.Execution.WorkflowId}
}

// dropQueued takes p off a list here, when its run leaves this node; a
// task offered away stays at its home, for the run's next owner (which
// offers it again under the same name) to start.
func (e *Engine) dropQueued(p *pending) {
	if !p.away.Load() {
		e.lists(p.kind).get(p.domain, p.list).remove(p)
	}
}

// TaskListShard is the home shard of a task list (of decision tasks or
// activity tasks) in the domain with this key: its owner holds the list.
func TaskListShard(domainKey, list string, decisions bool) int32 {
	if decisions {
		return homeShard(domainKey, tokenDecision, list)
	}
	return homeShard(domainKey, tokenActivity, list)
}
