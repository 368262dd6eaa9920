package postgres

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/store"
)

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Load reads what the engine keeps in memory, from one snapshot of the
// database. Open executions, activities and timers come in key order, as
// the sqlite driver returns them.
func (s *Store) Load(ctx context.Context) (*store.Snapshot, error) {
	return s.load(ctx, true)
}

// LoadRegistry reads the domains and types only: a node of several loads
// the runs of the shards it takes (LoadShard).
func (s *Store) LoadRegistry(ctx context.Context) (*store.Snapshot, error) {
	return s.load(ctx, false)
}

func (s *Store) load(ctx context.Context, runs bool) (*store.Snapshot, error) {
	snap := &store.Snapshot{}
	err := pgx.BeginTxFunc(ctx, s.r, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if err := scanJSON(ctx, tx, `SELECT data FROM domains ORDER BY name`, func() any {
			d := new(store.Domain)
			snap.Domains = append(snap.Domains, d)
			return d
		}); err != nil {
			return fmt.Errorf("load domains: %w", err)
		}
		if err := scanJSON(ctx, tx, `SELECT data FROM activity_types ORDER BY domain, name, version`, func() any {
			t := new(store.ActivityType)
			snap.ActivityTypes = append(snap.ActivityTypes, t)
			return t
		}); err != nil {
			return fmt.Errorf("load activity types: %w", err)
		}
		if err := scanJSON(ctx, tx, `SELECT data FROM workflow_types ORDER BY domain, name, version`, func() any {
			t := new(store.WorkflowType)
			snap.WorkflowTypes = append(snap.WorkflowTypes, t)
			return t
		}); err != nil {
			return fmt.Errorf("load workflow types: %w", err)
		}
		if !runs {
			return nil
		}
		return loadRuns(ctx, tx, snap, "", nil)
	})
	if err != nil {
		return nil, err
	}
	return snap, nil
}

// LoadShard reads the open runs of one shard (store.ShardOf), with their
// open activities and timers, for a node that takes the shard over.
func (s *Store) LoadShard(ctx context.Context, shard int32) (*store.Snapshot, error) {
	snap := &store.Snapshot{}
	err := pgx.BeginTxFunc(ctx, s.r, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		return loadRuns(ctx, tx, snap, "shard = $1", []any{shard})
	})
	if err != nil {
		return nil, err
	}
	return snap, nil
}

// loadRuns appends the open executions that match where (all when empty),
// their timers and their activities, in key order.
func loadRuns(ctx context.Context, tx pgx.Tx, snap *store.Snapshot, where string, args []any) error {
	runs, scoped := "", ""
	if where != "" {
		runs = " AND " + where
		scoped = " WHERE run_id IN (SELECT run_id FROM executions WHERE open AND " + where + ")"
	}
	if err := scanJSON(ctx, tx, `SELECT data FROM executions WHERE open`+runs+` ORDER BY run_id`, func() any {
		e := new(store.Execution)
		snap.Executions = append(snap.Executions, e)
		return e
	}, args...); err != nil {
		return fmt.Errorf("load executions: %w", err)
	}
	if err := scanJSON(ctx, tx, `SELECT data FROM timers`+scoped+` ORDER BY run_id, timer_id`, func() any {
		t := new(store.Timer)
		snap.Timers = append(snap.Timers, t)
		return t
	}, args...); err != nil {
		return fmt.Errorf("load timers: %w", err)
	}
	rows, err := tx.Query(ctx, `SELECT data, hb_at, hb_details FROM activities`+scoped+` ORDER BY run_id, scheduled_event_id`, args...)
	if err != nil {
		return fmt.Errorf("load activities: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var data, details []byte
		var at *int64
		if err := rows.Scan(&data, &at, &details); err != nil {
			return fmt.Errorf("load activities: %w", err)
		}
		a := new(store.Activity)
		if err := json.Unmarshal(data, a); err != nil {
			return fmt.Errorf("decode activity: %w", err)
		}
		if at != nil {
			a.HeartbeatAt = time.Unix(0, *at).UTC()
		}
		if details != nil {
			d := string(details)
			a.HeartbeatDetails = &d
		}
		snap.Activities = append(snap.Activities, a)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load activities: %w", err)
	}
	return nil
}

// Secret returns the token-signing key, creating it on first use. Processes
// starting at once on a new database all offer a key; the first insert
// wins and every one reads the key that won.
func (s *Store) Secret(ctx context.Context) ([]byte, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if _, err := s.r.Exec(ctx, `INSERT INTO meta (key, value) VALUES ('token_secret', $1) ON CONFLICT (key) DO NOTHING`, key); err != nil {
		return nil, err
	}
	// A statement of its own: its snapshot sees a key that another
	// process committed while the insert above waited for it.
	err := s.r.QueryRow(ctx, `SELECT value FROM meta WHERE key = 'token_secret'`).Scan(&key)
	return key, err
}

// ExecutionGet returns one run.
func (s *Store) ExecutionGet(ctx context.Context, p *store.ExecutionGetParams) (*store.Execution, error) {
	var data []byte
	err := s.r.QueryRow(ctx, `SELECT data FROM executions WHERE run_id = $1 AND domain = $2`, p.RunID, p.Domain).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	e := new(store.Execution)
	if err := json.Unmarshal(data, e); err != nil {
		return nil, fmt.Errorf("decode execution: %w", err)
	}
	if p.WorkflowID != "" && e.Info.Execution.WorkflowId != p.WorkflowID {
		return nil, store.ErrNotFound
	}
	return e, nil
}

// limitArg is a LIMIT's argument: NULL, no limit, for n <= 0.
func limitArg(n int) any {
	if n <= 0 {
		return nil
	}
	return int64(n)
}

// Events returns a page of a run's history, decoded.
func (s *Store) Events(ctx context.Context, p *store.EventsParams) ([]shape.HistoryEvent, error) {
	raw, err := s.RawEvents(ctx, p)
	if err != nil {
		return nil, err
	}
	return raw.Decode() // one slice of the right length (sqlite/read.go says why)
}

// RawEvents returns a page of a run's history as the stored JSON.
func (s *Store) RawEvents(ctx context.Context, p *store.EventsParams) (shape.RawEvents, error) {
	var q string
	var args []any
	if p.Reverse {
		before := p.BeforeID
		if before <= 0 {
			before = 1 << 62
		}
		q, args = `SELECT data FROM events WHERE run_id = $1 AND event_id < $2 ORDER BY event_id DESC LIMIT $3`, []any{p.RunID, before, limitArg(p.Limit)}
	} else {
		upTo := p.UpTo
		if upTo <= 0 {
			upTo = 1 << 62
		}
		q, args = `SELECT data FROM events WHERE run_id = $1 AND event_id > $2 AND event_id <= $3 ORDER BY event_id LIMIT $4`, []any{p.RunID, p.AfterID, upTo, limitArg(p.Limit)}
	}
	rows, err := s.r.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	out := shape.RawEvents{}
	for rows.Next() {
		out = append(out, append([]byte(nil), rows.RawValues()[0]...))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// ExecutionList returns a page of executions matching p.
func (s *Store) ExecutionList(ctx context.Context, p *store.ExecutionListParams) ([]*store.Execution, error) {
	w := executionWhere(p)
	col := "start_ms"
	if p.ByCloseTime {
		col = "close_ms"
	}
	order, cmp := "DESC", "<"
	if p.Reverse {
		order, cmp = "ASC", ">"
	}
	if p.AfterRunID != "" {
		w.add(fmt.Sprintf("(%s, run_id) %s (%s, %s)", col, cmp, w.arg(p.AfterTime), w.arg(p.AfterRunID)))
	}
	q := fmt.Sprintf("SELECT data FROM executions WHERE %s ORDER BY %s %s, run_id %s LIMIT %s", w.String(), col, order, order, w.arg(limitArg(p.Limit)))
	var out []*store.Execution
	err := scanJSON(ctx, s.r, q, func() any {
		e := new(store.Execution)
		out = append(out, e)
		return e
	}, w.args...)
	return out, err
}

// ExecutionCount counts executions matching p.
func (s *Store) ExecutionCount(ctx context.Context, p *store.ExecutionListParams) (int, error) {
	w := executionWhere(p)
	var n int
	err := s.r.QueryRow(ctx, "SELECT count(*) FROM executions WHERE "+w.String(), w.args...).Scan(&n)
	return n, err
}

// where builds a WHERE clause with numbered parameters.
type where struct {
	conds []string
	args  []any
}

// arg adds a parameter and returns its placeholder.
func (w *where) arg(v any) string {
	w.args = append(w.args, v)
	return "$" + strconv.Itoa(len(w.args))
}

func (w *where) add(cond string) { w.conds = append(w.conds, cond) }

func (w *where) String() string { return strings.Join(w.conds, " AND ") }

// executionWhere builds the filter of a list or count. The domain, state
// and time columns are indexed and narrow the scan first; the type, tag and
// close status filters read columns of their own (write.go says why).
func executionWhere(p *store.ExecutionListParams) *where {
	w := &where{}
	w.add("domain = " + w.arg(p.Domain))
	w.add("open = " + w.arg(p.Open))
	between := func(col string, from, to time.Time) {
		if !from.IsZero() {
			w.add(col + " >= " + w.arg(from.UnixMilli()))
		}
		if !to.IsZero() {
			w.add(col + " <= " + w.arg(to.UnixMilli()))
		}
	}
	between("start_ms", p.StartFrom, p.StartTo)
	between("close_ms", p.CloseFrom, p.CloseTo)
	if !p.Open && !p.ClosedAfter.IsZero() {
		w.add("close_ms >= " + w.arg(p.ClosedAfter.UnixMilli()))
	}
	eq := func(col, v string) {
		if v != "" {
			w.add(col + " = " + w.arg(v))
		}
	}
	eq("workflow_id", p.WorkflowID)
	eq("type_name", p.TypeName)
	eq("type_version", p.TypeVersion)
	eq("close_status", p.CloseStatus)
	if p.Tag != "" {
		w.add(w.arg(tagKey(p.Tag)) + " = ANY (tags)")
	}
	return w
}

// scanJSON runs q and decodes each row's only column into next().
func scanJSON(ctx context.Context, db querier, q string, next func() any, args ...any) error {
	rows, err := db.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := json.Unmarshal(rows.RawValues()[0], next()); err != nil {
			return fmt.Errorf("decode row: %w", err)
		}
	}
	return rows.Err()
}
