package postgres

import (
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/store"
)

// Statements of the write path. pgx prepares each once per connection (its
// statement cache) and the pipeline then sends only Bind and Execute.
//
// A change's rows of one kind (its events, its activities, ...) go in one
// statement that reads them from arrays (unnest), so a change costs a few
// statements whatever its size. Rows of one change are unique by key
// (encode keeps the last), since an upsert may not touch a row twice.
const (
	qDomain       = `INSERT INTO domains (name, data) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET data = excluded.data`
	qActivityType = `INSERT INTO activity_types (domain, name, version, data) VALUES ($1, $2, $3, $4)
		ON CONFLICT (domain, name, version) DO UPDATE SET data = excluded.data`
	qWorkflowType = `INSERT INTO workflow_types (domain, name, version, data) VALUES ($1, $2, $3, $4)
		ON CONFLICT (domain, name, version) DO UPDATE SET data = excluded.data`
	qDelActivityType = `DELETE FROM activity_types WHERE domain = $1 AND name = $2 AND version = $3`
	qDelWorkflowType = `DELETE FROM workflow_types WHERE domain = $1 AND name = $2 AND version = $3`
	// One statement whether the run is open or closing: PostgreSQL updates
	// a row without touching its indexes (a HOT update) whenever the
	// indexed columns keep their values, however the SET names them.
	qExecution = `INSERT INTO executions (run_id, domain, workflow_id, open, start_ms, close_ms, type_name, type_version, close_status, tags, data, shard)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (run_id) DO UPDATE SET open = excluded.open, close_ms = excluded.close_ms, type_name = excluded.type_name,
		type_version = excluded.type_version, close_status = excluded.close_status, tags = excluded.tags, data = excluded.data`
	qEvents     = `INSERT INTO events (run_id, event_id, data) SELECT * FROM unnest($1::text[], $2::int8[], $3::text[])`
	qActivities = `INSERT INTO activities (run_id, scheduled_event_id, data) SELECT * FROM unnest($1::text[], $2::int8[], $3::text[])
		ON CONFLICT (run_id, scheduled_event_id) DO UPDATE SET data = excluded.data`
	// A heartbeat writes only the progress columns, never the data.
	qHeartbeats = `UPDATE activities a SET hb_at = h.at, hb_details = h.details
		FROM unnest($1::text[], $2::int8[], $3::int8[], $4::bytea[]) AS h(run_id, scheduled_event_id, at, details)
		WHERE a.run_id = h.run_id AND a.scheduled_event_id = h.scheduled_event_id`
	qDelActivities = `DELETE FROM activities a USING unnest($1::text[], $2::int8[]) AS k(run_id, scheduled_event_id)
		WHERE a.run_id = k.run_id AND a.scheduled_event_id = k.scheduled_event_id`
	qTimers = `INSERT INTO timers (run_id, timer_id, data) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
		ON CONFLICT (run_id, timer_id) DO UPDATE SET data = excluded.data`
	qDelTimers = `DELETE FROM timers t USING unnest($1::text[], $2::text[]) AS k(run_id, timer_id)
		WHERE t.run_id = k.run_id AND t.timer_id = k.timer_id`
	qPurge = `WITH gone AS (DELETE FROM executions WHERE domain = $1 AND NOT open AND close_ms < $2 RETURNING run_id)
		DELETE FROM events WHERE run_id IN (SELECT run_id FROM gone)`
)

// request is one submitted change, encoded.
type request struct {
	// stmts are the change's statements in order. A change that holds
	// only heartbeats has none: its heartbeats are in hbs, so the writer
	// can merge a run of such changes into one statement.
	stmts []stmt
	hbs   heartbeats
	fence *store.Fence // nil: unconditional
	err   chan error
}

type stmt struct {
	sql  string
	args []any
}

// heartbeats are the columns of qHeartbeats.
type heartbeats struct {
	runIDs  []string
	ids     []int64
	at      []*int64 // Unix nanoseconds (years 1678 to 2262); nil for a zero time
	details [][]byte // nil for no details (SQL NULL)
}

func (h *heartbeats) len() int { return len(h.runIDs) }

func (h *heartbeats) add(hb store.Heartbeat) {
	var at *int64
	if !hb.At.IsZero() {
		ns := hb.At.UnixNano()
		at = &ns
	}
	// Details go in a bytea column: text cannot hold NUL, which a JSON
	// string (and so a heartbeat's details) can.
	var d []byte
	if hb.Details != nil {
		d = append(make([]byte, 0, len(*hb.Details)), *hb.Details...)
	}
	h.runIDs = append(h.runIDs, hb.RunID)
	h.ids = append(h.ids, hb.ScheduledEventID)
	h.at = append(h.at, at)
	h.details = append(h.details, d)
}

func (h *heartbeats) args() []any { return []any{h.runIDs, h.ids, h.at, h.details} }

// encode turns a change into statements, in the order the sqlite driver
// applies them.
func (r *request) encode(c *store.Change) error {
	hbs := lastByKey(c.Heartbeats, func(h store.Heartbeat) store.ActivityKey {
		return store.ActivityKey{RunID: h.RunID, ScheduledEventID: h.ScheduledEventID}
	})
	if c.OnlyHeartbeats() {
		for _, hb := range hbs {
			r.hbs.add(hb)
		}
		return nil
	}
	var err error
	marshal := func(v any) string {
		if err != nil {
			return ""
		}
		b, e := json.Marshal(v)
		if e != nil {
			err = fmt.Errorf("encode %T: %w", v, e)
		}
		return string(b)
	}
	add := func(sql string, args ...any) { r.stmts = append(r.stmts, stmt{sql, args}) }
	for _, d := range c.Domains {
		add(qDomain, d.Info.Name, marshal(d))
	}
	for _, t := range c.ActivityTypes {
		add(qActivityType, t.Domain, t.Info.ActivityType.Name, t.Info.ActivityType.Version, marshal(t))
	}
	for _, t := range c.WorkflowTypes {
		add(qWorkflowType, t.Domain, t.Info.WorkflowType.Name, t.Info.WorkflowType.Version, marshal(t))
	}
	for _, k := range c.DelActivityTypes {
		add(qDelActivityType, k.Domain, k.Name, k.Version)
	}
	for _, k := range c.DelWorkflowTypes {
		add(qDelWorkflowType, k.Domain, k.Name, k.Version)
	}
	for _, e := range lastByKey(c.Executions, func(e *store.Execution) string { return e.Info.Execution.RunId }) {
		add(qExecution, executionArgs(e, marshal(e))...)
	}
	if len(c.Events) > 0 {
		runIDs, ids, data := make([]string, len(c.Events)), make([]int64, len(c.Events)), make([]string, len(c.Events))
		for i, ev := range c.Events {
			runIDs[i], ids[i] = ev.RunID, ev.Event.EventId
			if data[i] = string(ev.Data); ev.Data == nil {
				data[i] = marshal(ev.Event)
			}
		}
		add(qEvents, runIDs, ids, data)
	}
	if acts := lastByKey(c.PutActivities, func(a *store.Activity) store.ActivityKey {
		return store.ActivityKey{RunID: a.RunID, ScheduledEventID: a.ScheduledEventID}
	}); len(acts) > 0 {
		runIDs, ids, data := make([]string, len(acts)), make([]int64, len(acts)), make([]string, len(acts))
		for i, a := range acts {
			runIDs[i], ids[i], data[i] = a.RunID, a.ScheduledEventID, marshal(a)
		}
		add(qActivities, runIDs, ids, data)
	}
	if len(hbs) > 0 {
		var h heartbeats
		for _, hb := range hbs {
			h.add(hb)
		}
		add(qHeartbeats, h.args()...)
	}
	if len(c.DelActivities) > 0 {
		runIDs, ids := make([]string, len(c.DelActivities)), make([]int64, len(c.DelActivities))
		for i, k := range c.DelActivities {
			runIDs[i], ids[i] = k.RunID, k.ScheduledEventID
		}
		add(qDelActivities, runIDs, ids)
	}
	if timers := lastByKey(c.PutTimers, func(t *store.Timer) store.TimerKey { return store.TimerKey{RunID: t.RunID, TimerID: t.TimerID} }); len(timers) > 0 {
		runIDs, ids, data := make([]string, len(timers)), make([]string, len(timers)), make([]string, len(timers))
		for i, t := range timers {
			runIDs[i], ids[i], data[i] = t.RunID, t.TimerID, marshal(t)
		}
		add(qTimers, runIDs, ids, data)
	}
	if len(c.DelTimers) > 0 {
		runIDs, ids := make([]string, len(c.DelTimers)), make([]string, len(c.DelTimers))
		for i, k := range c.DelTimers {
			runIDs[i], ids[i] = k.RunID, k.TimerID
		}
		add(qDelTimers, runIDs, ids)
	}
	for _, p := range c.PurgeClosed {
		add(qPurge, p.Domain, p.ClosedBefore.UnixMilli())
	}
	return err
}

// lastByKey drops all but the last of the rows that share a key, keeping
// the order of the rest: writing them one after the other would leave the
// last.
func lastByKey[T any, K comparable](rows []T, key func(T) K) []T {
	if len(rows) < 2 {
		return rows
	}
	last := make(map[K]int, len(rows))
	for i, r := range rows {
		last[key(r)] = i
	}
	if len(last) == len(rows) {
		return rows
	}
	out := make([]T, 0, len(last))
	for i, r := range rows {
		if last[key(r)] == i {
			out = append(out, r)
		}
	}
	return out
}

// executionArgs are qExecution's arguments. The type, close status and tags
// have columns of their own for the listings' filters, where sqlite reads
// them from the JSON: PostgreSQL refuses to read any JSON that holds the
// escape \u0000 (a NUL in an input, say), even to reach another member.
// Tags are stored JSON-encoded for the same reason (a tag may hold a NUL,
// which a text value cannot).
func executionArgs(e *store.Execution, data string) []any {
	open := e.Info.ExecutionStatus == shape.ExecutionStatusOpen
	var closeMs int64
	if !e.Info.CloseTimestamp.IsZero() {
		closeMs = e.Info.CloseTimestamp.UnixMilli()
	}
	var typeName, typeVersion string
	if t := e.Info.WorkflowType; t != nil {
		typeName, typeVersion = t.Name, t.Version
	}
	tags := make([]string, len(e.Info.TagList))
	for i, t := range e.Info.TagList {
		tags[i] = tagKey(t)
	}
	return []any{e.Info.Execution.RunId, e.Domain, e.Info.Execution.WorkflowId, open, e.Info.StartTimestamp.UnixMilli(), closeMs,
		typeName, typeVersion, string(e.Info.CloseStatus), tags, data, store.ShardOf(e.Domain, e.Info.Execution.WorkflowId)}
}

// tagKey is how a tag is stored in executions.tags and looked up.
func tagKey(tag string) string {
	b, _ := json.Marshal(tag) // a string always encodes
	return string(b)
}

// buildBatch queues the statements of reqs in order. Consecutive changes
// that hold only heartbeats share one statement when merge is set (the
// last heartbeat of an activity wins, as it would written in turn). owners
// gives each queued statement's change index, or -1 for a merged one.
func buildBatch(reqs []*request, merge bool) (*pgx.Batch, []int) {
	b := &pgx.Batch{}
	var owners []int
	queue := func(owner int, sql string, args []any) {
		b.Queue(sql, args...)
		owners = append(owners, owner)
	}
	// The fences go first: they lock the leases the writes depend on.
	for _, f := range fenceStatements(reqs) {
		queue(fenceStatement, f.sql, f.args)
	}
	for i := 0; i < len(reqs); {
		r := reqs[i]
		if r.hbs.len() == 0 {
			for _, s := range r.stmts {
				queue(i, s.sql, s.args)
			}
			i++
			continue
		}
		j := i + 1
		if merge {
			for j < len(reqs) && reqs[j].hbs.len() > 0 {
				j++
			}
		}
		if j == i+1 {
			queue(i, qHeartbeats, r.hbs.args())
			i++
			continue
		}
		queue(-1, qHeartbeats, mergeHeartbeats(reqs[i:j]).args())
		i = j
	}
	return b, owners
}

// mergeHeartbeats joins the heartbeats of several changes, keeping only the
// last for each activity: one UPDATE may not set a row twice.
func mergeHeartbeats(reqs []*request) *heartbeats {
	type key struct {
		run string
		id  int64
	}
	at := map[key]int{}
	var m heartbeats
	for _, r := range reqs {
		h := &r.hbs
		for i := range h.runIDs {
			k := key{h.runIDs[i], h.ids[i]}
			if j, ok := at[k]; ok {
				m.at[j], m.details[j] = h.at[i], h.details[i]
				continue
			}
			at[k] = m.len()
			m.runIDs = append(m.runIDs, h.runIDs[i])
			m.ids = append(m.ids, h.ids[i])
			m.at = append(m.at, h.at[i])
			m.details = append(m.details, h.details[i])
		}
	}
	return &m
}
