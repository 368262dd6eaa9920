// Package store defines what the engine needs from durable storage, and the
// records it keeps. Drivers (sqlite today, postgres next) implement Store;
// storetest holds the conformance suite every driver runs.
//
// The store never reads the clock: every time it records comes from the
// engine, inside the records.
package store

import (
	"context"
	"errors"
	"hash/fnv"
	"time"

	"github.com/openswf/openswf/internal/shape"
)

// ErrNotFound is returned by lookups that find nothing.
var ErrNotFound = errors.New("store: not found")

// NumShards is how many shards the runs of a database are divided into
// when several nodes share it (a node owns whole shards). It is fixed: a
// run's shard must not change while the run lives.
const NumShards = 64

// ShardOf is the shard of the runs of workflowID in the domain with key
// domainKey: FNV-1a of both, so every run of a workflow id (whose
// uniqueness among open runs is the shard's to check) shares one shard.
func ShardOf(domainKey, workflowID string) int32 {
	h := fnv.New32a()
	h.Write([]byte(domainKey))
	h.Write([]byte{0})
	h.Write([]byte(workflowID))
	return int32(h.Sum32() % NumShards)
}

// ErrFenced is a change's answer when its Fence no longer holds: another
// node took the shard (a higher epoch), so nothing of the change was
// written, and this node must stop acting for the shard.
var ErrFenced = errors.New("store: the shard's lease is held by another node")

// Fence names the lease a change is written under when several nodes share
// a database: the change is written only if node still holds shard at
// epoch when its transaction runs, checked in that transaction, so a node
// that lost a shard (paused, partitioned, slow) can never write for it
// again. Drivers with one owner per database (sqlite: the data directory's
// lock) have nothing to check.
type Fence struct {
	Node  string
	Shard int32
	Epoch int64
}

// Store persists domains, types, executions, open tasks, timers and history.
//
// Submit is the only write. It queues c and returns a channel that yields
// nil once c is durable, or the error that kept it from being written. Each
// Change is atomic; drivers batch concurrent Changes into one transaction and
// one flush (group commit) and apply them in the order Submit was called, so
// a caller may Submit under its own lock (fixing the order) and wait for the
// result after releasing it.
// HeartbeatWaiter is a Store whose callers may lend their goroutine to
// the write they wait for. WaitHeartbeats returns what done, a Submit's
// answer to a change of heartbeats only, yields; meanwhile it may do the
// write itself, if no one else is writing, rather than hand it to another
// goroutine and be woken again (the sqlite driver's journal).
type HeartbeatWaiter interface {
	WaitHeartbeats(done <-chan error) error
}

type Store interface {
	Submit(c *Change) <-chan error
	// Load returns everything the engine keeps in memory: domains, types,
	// open executions with their open activities and timers.
	Load(ctx context.Context) (*Snapshot, error)
	// Secret returns the key that signs task tokens, creating it on first use.
	Secret(ctx context.Context) ([]byte, error)
	// ExecutionGet returns an execution, open or closed, by run id.
	ExecutionGet(ctx context.Context, p *ExecutionGetParams) (*Execution, error)
	// Events returns events of one run in id order (or reverse), starting
	// after AfterID (before BeforeID when Reverse), at most Limit.
	Events(ctx context.Context, p *EventsParams) ([]shape.HistoryEvent, error)
	// RawEvents is Events without the decoding: each event's stored JSON,
	// which is byte for byte what the wire sends for it (RunEvent.Data).
	RawEvents(ctx context.Context, p *EventsParams) (shape.RawEvents, error)
	// ExecutionList returns a page of a domain's executions that match p,
	// newest first (oldest first with Reverse) by start or close time.
	ExecutionList(ctx context.Context, p *ExecutionListParams) ([]*Execution, error)
	// ExecutionCount counts the executions that match p.
	ExecutionCount(ctx context.Context, p *ExecutionListParams) (int, error)
	Close() error
}

// Observer is told of each group commit by a store's writer goroutine, so
// the server can export metrics; it must be fast and must not block.
type Observer interface {
	// BatchCommitted: a batch of n changes was written, made durable and
	// answered, in took.
	BatchCommitted(n int, took time.Duration)
	// Flushed: the flush that made a batch durable (SQLite's WAL
	// fdatasync) took took. A store whose commit includes the flush
	// (PostgreSQL) does not call it.
	Flushed(took time.Duration)
}

// Observed is a store that reports its group commits. Call Observe before
// the first Submit.
type Observed interface {
	Observe(o Observer)
}

// ShardLoader is a Store that several nodes can share (postgres): a node
// loads the registry at start and the runs of each shard it takes.
type ShardLoader interface {
	Store
	// LoadRegistry returns the domains and types, no runs.
	LoadRegistry(ctx context.Context) (*Snapshot, error)
	// LoadShard returns one shard's open runs (ShardOf) with their open
	// activities and timers.
	LoadShard(ctx context.Context, shard int32) (*Snapshot, error)
}

// Gather is group commit's gathering step, shared by the drivers: it
// refills batch with first and every request queue holds at that moment,
// up to max, without waiting for more.
func Gather[T any](batch []T, first T, queue <-chan T, max int) []T {
	batch = append(batch[:0], first)
	for len(batch) < max {
		select {
		case r, ok := <-queue:
			if !ok {
				return batch
			}
			batch = append(batch, r)
		default:
			return batch
		}
	}
	return batch
}

// Apply submits c and waits until it is durable.
func Apply(s Store, c *Change) error { return <-s.Submit(c) }

// ExecutionGetParams names one run. WorkflowID, when set, must match.
type ExecutionGetParams struct {
	Domain     string
	WorkflowID string
	RunID      string
}

// EventsParams selects a page of one run's history.
type EventsParams struct {
	RunID    string
	AfterID  int64 // forward: events with id > AfterID
	BeforeID int64 // reverse: events with id < BeforeID (0 = from the end)
	Reverse  bool
	Limit    int
	UpTo     int64 // forward: events with id <= UpTo only (0 = no bound)
}

// ExecutionListParams filters executions of a domain. Zero fields do not
// filter.
type ExecutionListParams struct {
	Domain string
	Open   bool // open executions, else closed
	// Time ranges, inclusive.
	StartFrom, StartTo time.Time
	CloseFrom, CloseTo time.Time
	// ClosedAfter hides closed executions that closed before it (retention).
	ClosedAfter time.Time
	WorkflowID  string
	TypeName    string
	TypeVersion string
	Tag         string
	CloseStatus string
	ByCloseTime bool   // order by close time rather than start time
	Reverse     bool   // oldest first
	AfterTime   int64  // page cursor: the last row's sort time (ms) ...
	AfterRunID  string // ... and run id; empty for the first page
	Limit       int
}

// Snapshot is the state the engine rebuilds its memory from at start.
type Snapshot struct {
	Domains       []*Domain
	ActivityTypes []*ActivityType
	WorkflowTypes []*WorkflowType
	Executions    []*Execution // open ones
	Activities    []*Activity  // open ones
	Timers        []*Timer     // open ones
}

// Domain is a registered or deprecated domain.
type Domain struct {
	Info   shape.DomainInfo
	Config shape.DomainConfiguration
	Tags   []shape.ResourceTag
}

// ActivityType is a registered or deprecated activity type.
type ActivityType struct {
	Domain string
	Info   shape.ActivityTypeInfo
	Config shape.ActivityTypeConfiguration
}

// WorkflowType is a registered or deprecated workflow type.
type WorkflowType struct {
	Domain string
	Info   shape.WorkflowTypeInfo
	Config shape.WorkflowTypeConfiguration
}

// Execution is one run's state outside its open tasks and timers.
type Execution struct {
	Domain string
	Info   shape.WorkflowExecutionInfo
	Config shape.WorkflowExecutionConfiguration

	// Fields that are often zero are left out of the stored JSON
	// (omitzero): an open run's record is rewritten on every event.
	NextEventID            int64
	PreviousStartedEventID int64     `json:",omitzero"` // DecisionTaskStarted of the last completed decision task
	LatestExecutionContext string    `json:",omitzero"`
	LatestActivityTaskAt   time.Time `json:",omitzero"`

	// The decision task: at most one scheduled and one started.
	DecisionScheduledID int64     `json:",omitzero"`
	DecisionScheduledAt time.Time `json:",omitzero"`
	DecisionStartedID   int64     `json:",omitzero"`
	DecisionStartedAt   time.Time `json:",omitzero"`
	DecisionAttempt     int64     `json:",omitzero"` // bumps on each start, so stale tokens are recognised
	// DecisionTaskList is where the next decision task goes: the execution's
	// task list unless a decision overrode it.
	DecisionTaskList        string
	DecisionScheduleToStart int64 `json:",omitzero"` // seconds, 0 = none
	// DecisionQueued* is the decision task scheduled (its
	// DecisionTaskScheduled recorded) while another was started; it is
	// handed out once that one closes.
	DecisionQueuedID   int64     `json:",omitzero"`
	DecisionQueuedAt   time.Time `json:",omitzero"`
	DecisionQueuedList string    `json:",omitzero"`
	// DecisionNeeded is how runs stored by earlier versions recorded events
	// that arrived while a decision task was started: a new one is
	// scheduled when that one closes. Nothing sets it any more.
	DecisionNeeded bool `json:",omitzero"`

	// ExpiresAt is when the execution times out (zero = never).
	ExpiresAt time.Time `json:",omitzero"`

	// Pending holds effects this run started on other runs (signals, cancel
	// requests, child starts) that are not yet resolved; after a restart the
	// engine carries them out again.
	Pending []Transfer `json:",omitempty"`
	// Children are the open child executions, by run id.
	Children map[string]Child `json:",omitempty"`
	// ParentInitiatedEventID is the parent's StartChildWorkflowExecution-
	// Initiated event (Info.Parent names the parent).
	ParentInitiatedEventID int64 `json:",omitempty"`
	// AppliedChildPolicy is the child policy applied to open children when
	// this run closed.
	AppliedChildPolicy shape.ChildPolicy `json:",omitempty"`
	// ClosedByEventID is the closing event; zero while open.
	ClosedByEventID int64 `json:",omitzero"`
}

// Transfer kinds.
const (
	TransferSignal = "signal"
	TransferCancel = "cancel"
	TransferChild  = "child"
)

// Transfer is an effect one run has initiated on another.
type Transfer struct {
	Kind                         string
	InitiatedEventID             int64
	DecisionTaskCompletedEventID int64
	WorkflowID, RunID            string
	SignalName, Input, Control   string
	Child                        *ChildStart `json:",omitempty"`
}

// ChildStart is a child run to start, its settings already resolved.
type ChildStart struct {
	WorkflowType shape.WorkflowType
	Config       shape.WorkflowExecutionConfiguration
	TagList      []string
}

// Child is an open child execution as its parent knows it.
type Child struct {
	WorkflowID       string
	WorkflowType     shape.WorkflowType
	InitiatedEventID int64
	StartedEventID   int64
}

// Activity is an open activity task.
type Activity struct {
	RunID            string
	ActivityID       string
	ActivityType     shape.ActivityType
	ScheduledEventID int64
	ScheduledAt      time.Time
	StartedEventID   int64     `json:",omitzero"` // zero until a worker polls it
	StartedAt        time.Time `json:",omitzero"`
	Identity         string    `json:",omitzero"`
	Input            string
	Control          string `json:",omitzero"`
	TaskList         string
	Priority         int32 `json:",omitzero"`
	// Timeouts in seconds; 0 means NONE.
	ScheduleToStart, ScheduleToClose, StartToClose, Heartbeat int64 `json:",omitzero"`
	CancelRequestedEventID                                    int64 `json:",omitzero"`
	// Nonce is random per start; it is part of the task token, so a token
	// can be checked without a store read and never outlives its attempt.
	Nonce uint64

	// Progress reported by heartbeats. Stored by Heartbeat changes, which
	// touch only these columns.
	HeartbeatAt      time.Time `json:"-"`
	HeartbeatDetails *string   `json:"-"`
}

// Timer is an open StartTimer timer.
type Timer struct {
	RunID          string
	TimerID        string
	StartedEventID int64
	FireAt         time.Time
	Control        string
}

// Heartbeat is the progress one heartbeat records.
type Heartbeat struct {
	RunID            string
	ScheduledEventID int64
	At               time.Time
	Details          *string
}

// ActivityKey names an open activity.
type ActivityKey struct {
	RunID            string
	ScheduledEventID int64
}

// TimerKey names an open timer.
type TimerKey struct {
	RunID   string
	TimerID string
}

// TypeKey names a type.
type TypeKey struct {
	Domain, Name, Version string
}

// Change is one atomic write. Empty members are left alone.
type Change struct {
	// Fence, when set, makes the change conditional on the shard's lease
	// (several nodes); it fails with ErrFenced otherwise.
	Fence            *Fence
	Domains          []*Domain       // upsert
	ActivityTypes    []*ActivityType // upsert
	WorkflowTypes    []*WorkflowType // upsert
	DelActivityTypes []TypeKey
	DelWorkflowTypes []TypeKey
	Executions       []*Execution // upsert
	Events           []RunEvent   // append
	PutActivities    []*Activity
	DelActivities    []ActivityKey
	PutTimers        []*Timer
	DelTimers        []TimerKey
	Heartbeats       []Heartbeat
	// PurgeClosed deletes a domain's executions that closed before a time,
	// with their history (the domain's retention period has passed).
	PurgeClosed []Purge
}

// Purge names closed executions to delete.
type Purge struct {
	Domain       string
	ClosedBefore time.Time
}

// RunEvent is a history event of one run.
type RunEvent struct {
	RunID string
	Event *shape.HistoryEvent
	// Data, when set, is Event already encoded (json.Marshal): the engine
	// encodes each event once and keeps the same bytes in its history
	// cache, so drivers store Data as is rather than encode Event again.
	// Stored events are sent to clients byte for byte (RawEvents), so
	// whatever a driver stores must be exactly json.Marshal(Event).
	Data []byte
}

// OnlyHeartbeats reports whether c records heartbeats and nothing else,
// the change drivers give a path of their own (a multi-row update, a
// journal).
func (c *Change) OnlyHeartbeats() bool {
	rest := *c
	rest.Heartbeats = nil
	return len(c.Heartbeats) > 0 && rest.Empty()
}

// Empty reports whether the change writes nothing.
func (c *Change) Empty() bool {
	return len(c.Domains)+len(c.ActivityTypes)+len(c.WorkflowTypes)+len(c.DelActivityTypes)+
		len(c.DelWorkflowTypes)+len(c.Executions)+len(c.Events)+len(c.PutActivities)+
		len(c.DelActivities)+len(c.PutTimers)+len(c.DelTimers)+len(c.Heartbeats)+len(c.PurgeClosed) == 0
}
