package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/store"
)

// Load reads what the engine keeps in memory.
func (s *Store) Load(ctx context.Context) (*store.Snapshot, error) {
	if s.hbj != nil {
		// Heartbeats answered since the last checkpoint are only in the
		// journal; Load reads SQLite.
		if err := s.hbj.checkpointNow(); err != nil {
			return nil, fmt.Errorf("load: %w", err)
		}
	}
	snap := &store.Snapshot{}
	if err := scanJSON(ctx, s.r, `SELECT data FROM domains`, func() any {
		d := new(store.Domain)
		snap.Domains = append(snap.Domains, d)
		return d
	}); err != nil {
		return nil, fmt.Errorf("load domains: %w", err)
	}
	if err := scanJSON(ctx, s.r, `SELECT data FROM activity_types`, func() any {
		t := new(store.ActivityType)
		snap.ActivityTypes = append(snap.ActivityTypes, t)
		return t
	}); err != nil {
		return nil, fmt.Errorf("load activity types: %w", err)
	}
	if err := scanJSON(ctx, s.r, `SELECT data FROM workflow_types`, func() any {
		t := new(store.WorkflowType)
		snap.WorkflowTypes = append(snap.WorkflowTypes, t)
		return t
	}); err != nil {
		return nil, fmt.Errorf("load workflow types: %w", err)
	}
	if err := scanJSON(ctx, s.r, `SELECT data FROM executions WHERE open = 1`, func() any {
		e := new(store.Execution)
		snap.Executions = append(snap.Executions, e)
		return e
	}); err != nil {
		return nil, fmt.Errorf("load executions: %w", err)
	}
	if err := scanJSON(ctx, s.r, `SELECT data FROM timers`, func() any {
		t := new(store.Timer)
		snap.Timers = append(snap.Timers, t)
		return t
	}); err != nil {
		return nil, fmt.Errorf("load timers: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT data, hb_at, hb_details FROM activities`)
	if err != nil {
		return nil, fmt.Errorf("load activities: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var data string
		var hbAt, hbDetails sql.NullString
		if err := rows.Scan(&data, &hbAt, &hbDetails); err != nil {
			return nil, err
		}
		a := new(store.Activity)
		if err := json.Unmarshal([]byte(data), a); err != nil {
			return nil, fmt.Errorf("decode activity: %w", err)
		}
		if hbAt.Valid {
			if a.HeartbeatAt, err = time.Parse(timeLayout, hbAt.String); err != nil {
				return nil, fmt.Errorf("decode heartbeat time: %w", err)
			}
		}
		if hbDetails.Valid {
			d := hbDetails.String
			a.HeartbeatDetails = &d
		}
		snap.Activities = append(snap.Activities, a)
	}
	return snap, rows.Err()
}

// Secret returns the token-signing key, creating it on first use.
func (s *Store) Secret(ctx context.Context) ([]byte, error) {
	var key []byte
	err := s.w.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'token_secret'`).Scan(&key)
	if err == nil {
		return key, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	key = make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('token_secret', ?) ON CONFLICT (key) DO NOTHING`, key); err != nil {
		return nil, err
	}
	err = s.w.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'token_secret'`).Scan(&key)
	return key, err
}

// ExecutionGet returns one run.
func (s *Store) ExecutionGet(ctx context.Context, p *store.ExecutionGetParams) (*store.Execution, error) {
	var data string
	err := s.r.QueryRowContext(ctx, `SELECT data FROM executions WHERE run_id = ? AND domain = ?`, p.RunID, p.Domain).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	e := new(store.Execution)
	if err := json.Unmarshal([]byte(data), e); err != nil {
		return nil, fmt.Errorf("decode execution: %w", err)
	}
	if p.WorkflowID != "" && e.Info.Execution.WorkflowId != p.WorkflowID {
		return nil, store.ErrNotFound
	}
	return e, nil
}

// Events returns a page of a run's history, decoded.
func (s *Store) Events(ctx context.Context, p *store.EventsParams) ([]shape.HistoryEvent, error) {
	raw, err := s.RawEvents(ctx, p)
	if err != nil {
		return nil, err
	}
	// Decode decodes into one slice of the right length: a HistoryEvent
	// is about 500 bytes of mostly nil attribute pointers, and growing the
	// slice by appending copied them over and over (60% of what reading
	// histories allocated in a timers run, once).
	return raw.Decode()
}

// Statements of the history reads, by direction. Events always has a
// bound on both sides, so that one statement serves every page.
const (
	qEventsForward = `SELECT data FROM events WHERE run_id = ? AND event_id > ? AND event_id <= ? ORDER BY event_id LIMIT ?`
	qEventsReverse = `SELECT data FROM events WHERE run_id = ? AND event_id < ? ORDER BY event_id DESC LIMIT ?`
)

// RawEvents returns a page of a run's history as the stored JSON.
func (s *Store) RawEvents(ctx context.Context, p *store.EventsParams) (shape.RawEvents, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = -1
	}
	var st *sql.Stmt
	var args []any
	if p.Reverse {
		before := p.BeforeID
		if before <= 0 {
			before = 1 << 62
		}
		st, args = s.evRev, []any{p.RunID, before, limit}
	} else {
		upTo := p.UpTo
		if upTo <= 0 {
			upTo = 1 << 62
		}
		st, args = s.evFwd, []any{p.RunID, p.AfterID, upTo, limit}
	}
	out := shape.RawEvents{}
	err := eachStmtRow(ctx, st, args, func(data []byte) error {
		out = append(out, data)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ExecutionList returns a page of executions matching p.
func (s *Store) ExecutionList(ctx context.Context, p *store.ExecutionListParams) ([]*store.Execution, error) {
	where, args := executionWhere(p)
	col := "start_ms"
	if p.ByCloseTime {
		col = "close_ms"
	}
	order, cmp := "DESC", "<"
	if p.Reverse {
		order, cmp = "ASC", ">"
	}
	if p.AfterRunID != "" {
		where += fmt.Sprintf(" AND (%s %s ? OR (%s = ? AND run_id %s ?))", col, cmp, col, cmp)
		args = append(args, p.AfterTime, p.AfterTime, p.AfterRunID)
	}
	limit := p.Limit
	if limit <= 0 {
		limit = -1
	}
	q := fmt.Sprintf("SELECT data FROM executions WHERE %s ORDER BY %s %s, run_id %s LIMIT ?", where, col, order, order)
	var out []*store.Execution
	err := scanJSON(ctx, s.r, q, func() any {
		e := new(store.Execution)
		out = append(out, e)
		return e
	}, append(args, limit)...)
	return out, err
}

// ExecutionCount counts executions matching p.
func (s *Store) ExecutionCount(ctx context.Context, p *store.ExecutionListParams) (int, error) {
	where, args := executionWhere(p)
	var n int
	err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM executions WHERE "+where, args...).Scan(&n)
	return n, err
}

// executionWhere builds the filter of a list or count. Type, tag and close
// status live in the row's JSON; the domain, state and time columns are
// indexed and narrow the scan first.
func executionWhere(p *store.ExecutionListParams) (string, []any) {
	open := 0
	if p.Open {
		open = 1
	}
	where := []string{"domain = ?", "open = ?"}
	args := []any{p.Domain, open}
	between := func(col string, from, to time.Time) {
		if !from.IsZero() {
			where, args = append(where, col+" >= ?"), append(args, from.UnixMilli())
		}
		if !to.IsZero() {
			where, args = append(where, col+" <= ?"), append(args, to.UnixMilli())
		}
	}
	between("start_ms", p.StartFrom, p.StartTo)
	between("close_ms", p.CloseFrom, p.CloseTo)
	if !p.Open && !p.ClosedAfter.IsZero() {
		where, args = append(where, "close_ms >= ?"), append(args, p.ClosedAfter.UnixMilli())
	}
	eq := func(expr, v string) {
		if v != "" {
			where, args = append(where, expr+" = ?"), append(args, v)
		}
	}
	eq("workflow_id", p.WorkflowID)
	eq("json_extract(data, '$.Info.workflowType.name')", p.TypeName)
	eq("json_extract(data, '$.Info.workflowType.version')", p.TypeVersion)
	eq("json_extract(data, '$.Info.closeStatus')", p.CloseStatus)
	if p.Tag != "" {
		where = append(where, "EXISTS (SELECT 1 FROM json_each(data, '$.Info.tagList') WHERE value = ?)")
		args = append(args, p.Tag)
	}
	return strings.Join(where, " AND "), args
}

// scanJSON runs q and decodes each row's only column into next().
//
// Careful: next may return a pointer into a slice that a later call grows,
// so it decodes immediately, before calling next again.
func scanJSON(ctx context.Context, db *sql.DB, q string, next func() any, args ...any) error {
	return eachRow(ctx, db, q, args, func(data []byte) error {
		if err := json.Unmarshal(data, next()); err != nil {
			return fmt.Errorf("decode row: %w", err)
		}
		return nil
	})
}

// eachRow calls f with the single column of each row the query returns;
// f may keep the slice.
func eachRow(ctx context.Context, db *sql.DB, q string, args []any, f func(data []byte) error) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	return scanRows(rows, f)
}

// eachStmtRow is eachRow with a statement prepared once (evFwd, evRev).
func eachStmtRow(ctx context.Context, st *sql.Stmt, args []any, f func(data []byte) error) error {
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return err
	}
	return scanRows(rows, f)
}

// scanRows calls f with each row's one column, and closes rows.
func scanRows(rows *sql.Rows, f func(data []byte) error) error {
	defer rows.Close()
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return err
		}
		if err := f(data); err != nil {
			return err
		}
	}
	return rows.Err()
}
