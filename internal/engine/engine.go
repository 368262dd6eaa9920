// Package engine is the SWF state machine: domains, types, executions,
// decision and activity tasks, timers and history. It knows nothing of HTTP,
// JSON or SQL: the wire layer calls one method per SWF operation, the store
// persists each change, and the clock is injected.
//
// Open executions live in memory, each behind its own mutex, and every change
// is written through to the store before the caller is answered. Operations
// on different executions never share a lock; their writes share only the
// store's group commit.
package engine

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openswf/openswf/internal/clock"
	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/store"
	"github.com/openswf/openswf/internal/swf"
)

// Config assembles an Engine.
type Config struct {
	Clock  clock.Clock
	Store  store.Store
	Limits swf.Limits
	Log    *slog.Logger
	// Region is the region of calls whose context names none
	// (auth.WithRegion); see region.go.
	Region    string
	AccountID string
	// Node, when set, names this engine as one node of several sharing the
	// store (shard.go): it serves only the shards it takes.
	Node string
	// Peers reaches the other nodes (peers.go); nil on one node.
	Peers Peers
	// ShardLost, on a node of several, is told of a shard the engine let
	// go because a write of it failed (shard.go, loseShard).
	ShardLost func(shard int32)
	// Observer, when set, is told how late deadlines fire and how long
	// changes wait for the store (stats.go); Stats has the rest.
	Observer Observer
	// FatalFunc is called when a write the engine already applied in
	// memory cannot be made durable. Memory is then ahead of disk, and the
	// only safe course is to stop and reload; the default exits the process.
	FatalFunc func(error)
	// SweepInterval is how often closed executions past their domain's
	// retention period are deleted (default an hour). Reads hide them at
	// once whatever the interval; a short one keeps a busy database small
	// when retention is 0 days (swf bench soak).
	SweepInterval time.Duration
	// HistoryCache is how many bytes of open runs' histories the engine
	// keeps in memory for decision polls (history.go): 0 means
	// DefaultHistoryCache, a negative value none.
	HistoryCache int64
}

// DefaultHistoryCache is the history cache's budget unless configured.
const DefaultHistoryCache = 64 << 20

// Engine runs SWF operations. Create it with New, then Start it.
type Engine struct {
	clk    clock.Clock
	st     store.Store
	lim    swf.Limits
	log    *slog.Logger
	cfg    Config
	tokens tokenCodec
	// hbWaiter is st, if it can write a heartbeat in its waiter's
	// goroutine (store.HeartbeatWaiter).
	hbWaiter store.HeartbeatWaiter

	drainOnce sync.Once
	drain     chan struct{} // closed by Drain: long polls answer empty

	regMu  sync.RWMutex // guards domains, atypes, wtypes, regGen
	regGen uint64       // counts this node's registry writes (registry.go)
	// reloadMu makes registry reloads run one at a time (registry.go).
	reloadMu sync.Mutex
	domains  map[string]*store.Domain
	atypes   map[store.TypeKey]*store.ActivityType
	wtypes   map[store.TypeKey]*store.WorkflowType

	shardMu sync.RWMutex    // guards shards
	shards  map[int32]int64 // a node of several: the shards it owns, with their leases' epochs
	taking  map[int32]int64 // shards being taken (TakeShard), with their leases' epochs

	execMu sync.RWMutex          // guards execs, open; taken after an execState's mu, never before
	execs  map[string]*execState // open runs by run id
	open   map[string]*execState // open runs by domain + "\x00" + workflowId

	activityLists *taskLists
	decisionLists *taskLists
	remote        remoteTasks // a node of several: its tasks queued at other nodes
	timers        *timerQueue
	scheduleRate  scheduleRate
	hist          *histories
}

// execState is an open execution in memory.
type execState struct {
	mu       sync.Mutex // guards all below; never held while waiting for the store
	e        *store.Execution
	acts     actSet // open activities by scheduled event id
	timers   map[string]*store.Timer
	decision *pending // the scheduled decision task, while on its task list
	closed   bool     // the run closed; the state is no longer in the maps
	dropped  bool     // its shard went to another node; no longer in the maps
	shard    int32    // store.ShardOf its domain and workflow id
	// hist is the run's cached history (history.go), nil once dropped or,
	// for a run restored from the store, until its first history read.
	// Read without mu.
	hist atomic.Pointer[runHistory]
	// warm is set on a run restored from the store while it has no cache
	// and may still be given one (warmHistory).
	warm atomic.Bool
	// unsettled counts the changes with events of this run submitted and
	// not yet durable (commitLocked to finish).
	unsettled atomic.Int32
}

// New builds an Engine. Call Start before use.
func New(cfg Config) (*Engine, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("engine: no store")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Limits == (swf.Limits{}) {
		cfg.Limits = swf.DefaultLimits()
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.AccountID == "" {
		cfg.AccountID = "123456789012"
	}
	if cfg.SweepInterval <= 0 {
		cfg.SweepInterval = defaultSweepInterval
	}
	if cfg.HistoryCache == 0 {
		cfg.HistoryCache = DefaultHistoryCache
	}
	if cfg.FatalFunc == nil {
		log := cfg.Log
		cfg.FatalFunc = func(err error) {
			log.Error("durable write failed; stopping so that a restart reloads the last durable state", "err", err)
			os.Exit(70)
		}
	}
	e := &Engine{
		clk: cfg.Clock, st: cfg.Store, lim: cfg.Limits, log: cfg.Log, cfg: cfg,
		drain:         make(chan struct{}),
		domains:       map[string]*store.Domain{},
		atypes:        map[store.TypeKey]*store.ActivityType{},
		wtypes:        map[store.TypeKey]*store.WorkflowType{},
		execs:         map[string]*execState{},
		shards:        map[int32]int64{},
		taking:        map[int32]int64{},
		open:          map[string]*execState{},
		activityLists: newTaskLists(tokenActivity),
		decisionLists: newTaskLists(tokenDecision),
		hist:          newHistories(cfg.HistoryCache),
	}
	e.hbWaiter, _ = cfg.Store.(store.HeartbeatWaiter)
	e.timers = newTimerQueue(e.clk, e.fire)
	return e, nil
}

// Start loads the durable state into memory and arms every deadline; the
// ones that passed while the server was down fire at once.
func (e *Engine) Start(ctx context.Context) error {
	key, err := e.st.Secret(ctx)
	if err != nil {
		return fmt.Errorf("token key: %w", err)
	}
	e.tokens = newTokenCodec(key)
	load := e.st.Load
	if e.clustered() {
		// A node of several loads runs shard by shard, as it takes them.
		sl, ok := e.st.(store.ShardLoader)
		if !ok {
			return fmt.Errorf("node %s: the store cannot be shared by several nodes", e.cfg.Node)
		}
		load = sl.LoadRegistry
	}
	snap, err := load(ctx)
	if err != nil {
		return fmt.Errorf("load state: %w", err)
	}
	e.setRegistry(snap, nil)
	e.restoreRuns(snap)
	e.timers.start()
	e.scheduleSweep()
	e.redrive(e.openRuns())
	e.log.Info("state loaded", "domains", len(snap.Domains), "open_executions", len(snap.Executions),
		"open_activities", len(snap.Activities), "timers", len(snap.Timers))
	return nil
}

// restoreRuns puts the open runs of snap, with their activities and
// timers, in memory and arms their deadlines.
func (e *Engine) restoreRuns(snap *store.Snapshot) {
	// Restore in scheduling order, so task lists hand out equal-priority
	// tasks first-scheduled-first-out as before the restart.
	sort.Slice(snap.Executions, func(i, j int) bool {
		return snap.Executions[i].DecisionScheduledAt.Before(snap.Executions[j].DecisionScheduledAt)
	})
	sort.Slice(snap.Activities, func(i, j int) bool {
		a, b := snap.Activities[i], snap.Activities[j]
		if !a.ScheduledAt.Equal(b.ScheduledAt) {
			return a.ScheduledAt.Before(b.ScheduledAt)
		}
		return a.ScheduledEventID < b.ScheduledEventID
	})
	// Deadlines are armed once every run is whole: one already due fires
	// at once, and must find the run's activities and timers in place.
	var ds []deadline
	for _, x := range snap.Executions {
		ds = e.restoreExecution(x, ds)
	}
	for _, a := range snap.Activities {
		x := e.openState(a.RunID)
		if x == nil {
			continue // left behind by a run that closed; harmless
		}
		ds = e.restoreActivity(x, a, ds)
	}
	for _, t := range snap.Timers {
		x := e.openState(t.RunID)
		if x == nil {
			continue
		}
		x.mu.Lock()
		x.timers[t.TimerID] = t
		x.mu.Unlock()
		ds = append(ds, deadline{at: t.FireAt, kind: tUserTimer, runID: t.RunID, eventID: t.StartedEventID})
	}
	for _, d := range ds {
		e.timers.add(d)
	}
}

// restoreExecution puts run r in memory, its decision task on its list,
// and returns ds with its deadlines.
func (e *Engine) restoreExecution(r *store.Execution, ds []deadline) []deadline {
	x := &execState{e: r, timers: map[string]*store.Timer{},
		shard: store.ShardOf(r.Domain, r.Info.Execution.WorkflowId)}
	x.warm.Store(e.hist.budget > 0)
	x.mu.Lock() // uncontended: x is not published yet
	defer x.mu.Unlock()
	e.execMu.Lock()
	e.execs[r.Info.Execution.RunId] = x
	e.open[openKey(r.Domain, r.Info.Execution.WorkflowId)] = x
	e.execMu.Unlock()
	runID := r.Info.Execution.RunId
	if !r.ExpiresAt.IsZero() {
		ds = append(ds, deadline{at: r.ExpiresAt, kind: tExecution, runID: runID})
	}
	if r.DecisionStartedID != 0 {
		ds = append(ds, deadline{at: r.DecisionStartedAt.Add(seconds(durationOf(r.Config.TaskStartToCloseTimeout))), kind: tDecisionStartToClose, runID: runID, eventID: r.DecisionScheduledID, nonce: uint64(r.DecisionAttempt)})
	} else if r.DecisionScheduledID != 0 {
		p := decisionPending(r)
		x.decision = p
		e.enqueue(p, nil)
		if r.DecisionScheduleToStart > 0 {
			ds = append(ds, deadline{at: r.DecisionScheduledAt.Add(seconds(r.DecisionScheduleToStart)), kind: tDecisionScheduleToStart, runID: runID, eventID: r.DecisionScheduledID})
		}
	}
	return ds
}

// restoreActivity puts activity a of run x in memory, on its list if it
// waits for a worker, and returns ds with its deadlines.
func (e *Engine) restoreActivity(x *execState, a *store.Activity, ds []deadline) []deadline {
	x.mu.Lock()
	defer x.mu.Unlock()
	s := newActState(a)
	x.acts.add(s)
	if !s.started() {
		s.p = activityPending(x.e, a)
		e.enqueue(s.p, nil)
	}
	return append(ds, s.deadlines(a.RunID)...)
}

// Drain makes every waiting and future long poll answer empty at once. The
// server calls it on shutdown so pollers are not held for a minute.
func (e *Engine) Drain() { e.drainOnce.Do(func() { close(e.drain) }) }

// Close stops the timers. Pending writes are the store's to finish.
func (e *Engine) Close() { e.Drain(); e.timers.close() }

func openKey(domain, workflowID string) string { return domain + "\x00" + workflowID }

// newRunID returns a fresh run id of 43 base64url characters: the start
// time in milliseconds as 9 characters that sort in time order, then 34
// random ones (200 bits). Runs started together sit together in the
// store's run-keyed tables, so a batch of changes to runs of the same
// moment dirties a few pages rather than one per run.
func newRunID(now time.Time) string {
	const sortable = "0123456789ABCDEFGHIJKLMNOPQRSTUV" // ascending in ASCII too
	var id [43]byte
	ms := uint64(now.UnixMilli())
	for i := 8; i >= 0; i-- {
		id[i] = sortable[ms&31]
		ms >>= 5
	}
	var b [25]byte
	rand.Read(b[:])
	base64.RawURLEncoding.Encode(id[9:], b[:]) // 34 characters
	return string(id[:])
}

func newNonce() uint64 {
	var b [8]byte
	rand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}

func seconds(n int64) time.Duration { return time.Duration(n) * time.Second }

// durationOf reads a stored, already validated duration: seconds, 0 for NONE.
func durationOf(s string) int64 {
	n, err := swf.ParseDuration("", s, true, 0)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// durationString writes seconds back as the wire spells them (0 = NONE).
func durationString(n int64) string {
	if n <= 0 {
		return swf.None
	}
	return fmt.Sprint(n)
}

// txn is one change to one open execution, built under its lock.
type txn struct {
	eng       *Engine
	x         *execState
	now       time.Time
	c         store.Change
	dirty     bool // the execution record changed
	deadlines []deadline
	// While a decision task's decisions are applied, a decision task they
	// call for is held back and scheduled after the last of them.
	holdDecision, wantDecision bool
	// others are runs this change created (merged in); locked until commit.
	others []*execState
	// after runs once the change is durable, with no lock held: effects on
	// other runs (signals, children, child policies).
	after []func()
	// cached are the history caches this change added events to, with
	// the last event id of each: durable once the change is.
	cached []histMark
}

func (e *Engine) begin(x *execState) *txn {
	return &txn{eng: e, x: x, now: e.clk.Now().UTC().Truncate(time.Millisecond)}
}

// event appends a history event and returns it for its attributes.
func (t *txn) event(typ shape.EventType) *shape.HistoryEvent {
	ev := &shape.HistoryEvent{EventId: t.x.e.NextEventID, EventType: typ, EventTimestamp: shape.TS(t.now)}
	t.x.e.NextEventID++
	t.c.Events = append(t.c.Events, store.RunEvent{RunID: t.x.e.Info.Execution.RunId, Event: ev})
	t.dirty = true
	return ev
}

// putActivity writes open activity s of the run.
func (t *txn) putActivity(s *actState) {
	t.c.PutActivities = append(t.c.PutActivities, s.record(t.x.e.Info.Execution.RunId))
}

func (t *txn) arm(d deadline) { t.deadlines = append(t.deadlines, d) }

// commitLocked submits the change and arms its deadlines. x.mu must be held;
// the caller waits on the returned channel after releasing it.
func (t *txn) commitLocked() <-chan error {
	if r := t.x.e; !t.x.closed && r.NextEventID > t.eng.lim.MaxHistoryEvents {
		// The history is full: AWS terminates the execution.
		ev := t.event(shape.EventTypeWorkflowExecutionTerminated)
		ev.WorkflowExecutionTerminatedEventAttributes = &shape.WorkflowExecutionTerminatedEventAttributes{
			Cause: shape.WorkflowExecutionTerminatedCauseEventLimitExceeded, ChildPolicy: r.Config.ChildPolicy,
		}
		t.closeRun(shape.CloseStatusTerminated, ev)
	}
	if t.dirty {
		cp := *t.x.e
		t.c.Executions = append(t.c.Executions, &cp)
	}
	t.encodeEvents()
	t.c.Fence = t.eng.fence(t.x)
	t.settling(1)
	done := t.eng.st.Submit(&t.c)
	for _, d := range t.deadlines {
		t.eng.timers.add(d)
	}
	return done
}

// await waits for a submitted change (one of heartbeats only, when
// heartbeats is set: the store may write it in this goroutine). A failed
// write is fatal: memory has moved on and disk has not.
func (e *Engine) await(done <-chan error, shard int32, heartbeats bool) error {
	var start time.Time
	if e.cfg.Observer != nil {
		start = time.Now()
	}
	var err error
	if w := e.hbWaiter; w != nil && heartbeats {
		err = w.WaitHeartbeats(done)
	} else {
		err = <-done
	}
	if e.cfg.Observer != nil && err == nil {
		e.cfg.Observer.ChangeDurable(time.Since(start))
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrFenced):
		// Another node took the shard: nothing of the change was written,
		// and memory, ahead of it, is no longer this node's to keep.
		e.DropShard(shard)
		return errNotOwner(shard)
	case e.clustered():
		return e.loseShard(shard, err)
	}
	return e.storageFailed(err)
}

// run finds the open run, locks it, applies f and persists the result. f
// must check before it changes anything: an error return means nothing was
// changed.
func (e *Engine) run(runID string, f func(t *txn) error) error {
	e.execMu.RLock()
	x := e.execs[runID]
	e.execMu.RUnlock()
	if x == nil {
		return errUnknownRun(runID)
	}
	return e.withRun(x, f)
}

// openState returns the open run with this id in memory, or nil.
func (e *Engine) openState(runID string) *execState {
	e.execMu.RLock()
	defer e.execMu.RUnlock()
	return e.execs[runID]
}

func (e *Engine) withRun(x *execState, f func(t *txn) error) error {
	x.mu.Lock()
	if x.dropped {
		x.mu.Unlock()
		return errNotOwner(x.shard)
	}
	if x.closed {
		x.mu.Unlock()
		return unknownExecution(x.e.Info.Execution)
	}
	t := e.begin(x)
	if err := f(t); err != nil {
		t.unlock()
		return err
	}
	done := t.commitLocked()
	t.unlock()
	return e.finish(t, done)
}

// finish waits for t's write and, once it is durable, does what t left
// for after (cross-run effects, offers of tasks to other nodes).
func (e *Engine) finish(t *txn, done <-chan error) error {
	err := e.await(done, t.x.shard, false)
	t.settling(-1)
	if err != nil {
		// Memory is ahead of the store: the cache must not serve it.
		for _, m := range t.cached {
			e.hist.drop(m.r)
		}
		return err
	}
	for _, m := range t.cached {
		m.r.markDurable(m.id)
	}
	for _, f := range t.after {
		f()
	}
	return nil
}

// settling counts t's change in (+1, as it is submitted) or out (-1,
// once it is durable or failed) of the unsettled changes of every run it
// holds.
func (t *txn) settling(d int32) {
	t.x.unsettled.Add(d)
	for _, o := range t.others {
		o.unsettled.Add(d)
	}
}

// unlock releases the run and any runs merged into the txn.
func (t *txn) unlock() {
	for _, o := range t.others {
		o.mu.Unlock()
	}
	t.x.mu.Unlock()
}

func errUnknownRun(runID string) error {
	return swf.Unknown("Unknown execution: runId %s is not an open workflow execution", runID)
}

// findOpen returns the open run of workflowID, checking runID if given.
func (e *Engine) findOpen(domain, workflowID, runID string) *execState {
	e.execMu.RLock()
	defer e.execMu.RUnlock()
	x := e.open[openKey(domain, workflowID)]
	if x == nil || (runID != "" && x.e.Info.Execution.RunId != runID) {
		return nil
	}
	return x
}

func parsePriority(s string) int32 {
	if s == "" {
		return 0
	}
	var n int32
	fmt.Sscan(s, &n)
	return n
}
