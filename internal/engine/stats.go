package engine

import (
	"context"
	"sort"
	"time"

	"github.com/openswf/openswf/internal/shape"
)

// Observer is told what Stats cannot show after the fact: how late
// deadlines fire and how long changes wait to become durable. The engine
// calls it on hot paths (every change, heartbeats included), so its methods
// must be fast, must not block, and must not call back into the engine.
// The engine imports no metrics library; the server adapts this to one.
type Observer interface {
	// TimerFired is called as a deadline of the given kind (TimerKinds)
	// is handled, late after the time it was due.
	TimerFired(kind string, late time.Duration)
	// ChangeDurable is called once a change an operation or a timer
	// submitted is committed, after the caller waited wait for it.
	ChangeDurable(wait time.Duration)
}

// TimerKinds names the kinds of deadline, as Observer.TimerFired reports
// them, so that a caller can prepare one metric per kind.
var TimerKinds = []string{
	"activity_schedule_to_start", "activity_schedule_to_close", "activity_start_to_close",
	"activity_heartbeat", "decision_start_to_close", "decision_schedule_to_start",
	"execution", "timer",
}

func (k timerKind) String() string {
	if k >= 1 && int(k) <= len(TimerKinds) {
		return TimerKinds[k-1]
	}
	return "unknown"
}

// Stats is a snapshot of what the engine holds in memory: open runs and
// activity tasks per domain, the task lists and the timer queue.
type Stats struct {
	Domains   []DomainStats   // by region, then name
	TaskLists []TaskListStats // by region, domain, kind, then name
	// Timers counts the armed deadlines, stale ones included (they are
	// dropped when due, or when a run's close makes many of them stale).
	Timers int
	// Clustered is set on a node of several; Shards is then how many
	// shards it owns.
	Clustered bool
	Shards    int
	// HistoryCacheBytes is what the history cache holds (history.go),
	// against its budget (Config.HistoryCache).
	HistoryCacheBytes int64
}

// DomainStats counts one domain's open runs and activity tasks.
type DomainStats struct {
	Region, Domain      string
	OpenExecutions      int
	ScheduledActivities int // waiting on a task list
	StartedActivities   int // taken by a worker
}

// TaskListStats is one task list: its tasks waiting for a worker, and the
// long polls waiting for a task.
type TaskListStats struct {
	Region, Domain, Name string
	Kind                 string // "activity" or "decision"
	Backlog, Pollers     int
}

// Stats counts what the engine holds. It takes each open run's lock in
// turn, so it costs time in proportion to the open runs; it is meant for a
// metrics scrape, not for every request.
func (e *Engine) Stats() Stats {
	var s Stats
	e.execMu.RLock()
	open := make([]*execState, 0, len(e.execs))
	for _, x := range e.execs {
		open = append(open, x)
	}
	e.execMu.RUnlock()
	domains := map[string]*DomainStats{}
	for _, x := range open {
		x.mu.Lock()
		if x.closed || x.dropped {
			x.mu.Unlock()
			continue
		}
		d := domains[x.e.Domain]
		if d == nil {
			region, name := splitDomainKey(x.e.Domain)
			d = &DomainStats{Region: region, Domain: name}
			domains[x.e.Domain] = d
		}
		d.OpenExecutions++
		for _, a := range x.acts {
			if !a.started() {
				d.ScheduledActivities++
			} else {
				d.StartedActivities++
			}
		}
		x.mu.Unlock()
	}
	for _, d := range domains {
		s.Domains = append(s.Domains, *d)
	}
	sort.Slice(s.Domains, func(i, j int) bool {
		a, b := s.Domains[i], s.Domains[j]
		if a.Region != b.Region {
			return a.Region < b.Region
		}
		return a.Domain < b.Domain
	})
	s.TaskLists = append(e.activityLists.stats("activity"), e.decisionLists.stats("decision")...)
	sort.Slice(s.TaskLists, func(i, j int) bool {
		a, b := s.TaskLists[i], s.TaskLists[j]
		if a.Region != b.Region {
			return a.Region < b.Region
		}
		if a.Domain != b.Domain {
			return a.Domain < b.Domain
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Name < b.Name
	})
	s.Timers = e.timers.len()
	s.HistoryCacheBytes = e.hist.used.Load()
	if e.clustered() {
		s.Clustered = true
		e.shardMu.RLock()
		s.Shards = len(e.shards)
		e.shardMu.RUnlock()
	}
	return s
}

// stats lists the task lists that hold a task or a poller.
func (t *taskLists) stats(kind string) []TaskListStats {
	t.mu.Lock()
	lists := make(map[string]*taskList, len(t.lists))
	for k, l := range t.lists {
		lists[k] = l
	}
	t.mu.Unlock()
	var out []TaskListStats
	for key, l := range lists {
		l.mu.Lock()
		backlog, pollers := len(l.tasks), len(l.waiters)
		l.mu.Unlock()
		if backlog == 0 && pollers == 0 {
			continue
		}
		domain, name := splitTaskListKey(key)
		region, dn := splitDomainKey(domain)
		out = append(out, TaskListStats{Region: region, Domain: dn, Name: name, Kind: kind, Backlog: backlog, Pollers: pollers})
	}
	return out
}

// splitTaskListKey undoes taskLists.get's key.
func splitTaskListKey(key string) (domain, name string) {
	for i := 0; i < len(key); i++ {
		if key[i] == 0 {
			return key[:i], key[i+1:]
		}
	}
	return key, ""
}

// PendingActivity is an open activity task as the console shows it: its
// progress and the deadlines that can still time it out.
type PendingActivity struct {
	ActivityID       string
	ActivityType     shape.ActivityType
	TaskList         string
	ScheduledEventID int64
	ScheduledAt      time.Time
	StartedEventID   int64 // 0 while it waits for a worker
	StartedAt        time.Time
	Identity         string
	Input            string
	LastHeartbeatAt  time.Time // zero before the first heartbeat
	HeartbeatDetails *string
	CancelRequested  bool
	// The deadlines that still apply (zero: none): the heartbeat one is
	// max(started, last heartbeat) + heartbeat timeout.
	HeartbeatDeadline, StartToCloseDeadline, ScheduleToStartDeadline, ScheduleToCloseDeadline time.Time
}

// PendingActivities returns the open activity tasks of an open run, by
// scheduled event id, with the engine's clock time they were read at.
// A run that is closed (or unknown) has none. The caller authorizes it as
// DescribeWorkflowExecution, and scopes in (Scope) first, as the wire
// layer does for an API call.
func (e *Engine) PendingActivities(ctx context.Context, in *shape.DescribeWorkflowExecutionInput) ([]PendingActivity, time.Time, error) {
	now := e.clk.Now()
	if err := e.domainExists(in.Domain); err != nil {
		return nil, now, err
	}
	if err := e.checkOwner(in.Domain, in.Execution.WorkflowId); err != nil {
		return nil, now, err
	}
	x := e.openState(in.Execution.RunId)
	if x == nil {
		return nil, now, nil
	}
	var out []PendingActivity
	x.mu.Lock()
	if !x.closed && x.e.Domain == in.Domain && x.e.Info.Execution.WorkflowId == in.Execution.WorkflowId {
		for _, s := range x.acts {
			out = append(out, pendingActivity(s, in.Execution.RunId))
		}
	}
	x.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ScheduledEventID < out[j].ScheduledEventID })
	return out, now, nil
}

func pendingActivity(s *actState, runID string) PendingActivity {
	a := s.record(runID)
	p := PendingActivity{
		ActivityID: a.ActivityID, ActivityType: a.ActivityType, TaskList: a.TaskList,
		ScheduledEventID: a.ScheduledEventID, ScheduledAt: a.ScheduledAt,
		StartedEventID: a.StartedEventID, StartedAt: a.StartedAt, Identity: a.Identity, Input: a.Input,
		LastHeartbeatAt: a.HeartbeatAt, CancelRequested: a.CancelRequestedEventID != 0,
	}
	if a.HeartbeatDetails != nil {
		d := *a.HeartbeatDetails
		p.HeartbeatDetails = &d
	}
	for _, d := range s.deadlines(runID) {
		switch d.kind {
		case tActivityHeartbeat:
			p.HeartbeatDeadline = d.at
		case tActivityStartToClose:
			p.StartToCloseDeadline = d.at
		case tActivityScheduleToStart:
			p.ScheduleToStartDeadline = d.at
		case tActivityScheduleToClose:
			p.ScheduleToCloseDeadline = d.at
		}
	}
	return p
}
