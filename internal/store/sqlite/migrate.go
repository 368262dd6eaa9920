package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
)

// migrations are the schema's versions: migrations[i] takes a database
// from version i to version i+1. Open applies the missing ones in order,
// each in its own transaction with the new version (PRAGMA user_version).
// Never edit a released step: add a new one, and a fixture for it
// (testdata/README.md).
var migrations = []string{
	// 1: the schema of the binaries before versions were recorded, exactly
	// as they created it (with IF NOT EXISTS, which SQLite leaves out of
	// the text it keeps), so their databases are recognised (unversioned).
	`CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
	CREATE TABLE domains (name TEXT PRIMARY KEY, data TEXT NOT NULL);
	CREATE TABLE activity_types (domain TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (domain, name, version));
	CREATE TABLE workflow_types (domain TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (domain, name, version));
	CREATE TABLE executions (run_id TEXT PRIMARY KEY, domain TEXT NOT NULL, workflow_id TEXT NOT NULL, open INTEGER NOT NULL, start_ms INTEGER NOT NULL, close_ms INTEGER NOT NULL, data TEXT NOT NULL);
	CREATE INDEX executions_by_domain ON executions (domain, open, start_ms);
	CREATE INDEX executions_by_workflow ON executions (domain, workflow_id, start_ms);
	CREATE INDEX executions_by_close ON executions (domain, open, close_ms);
	CREATE TABLE events (run_id TEXT NOT NULL, event_id INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (run_id, event_id)) WITHOUT ROWID;
	-- Heartbeat progress has its own columns so a heartbeat rewrites only
	-- them, never the activity's data (which holds its input).
	CREATE TABLE activities (run_id TEXT NOT NULL, scheduled_event_id INTEGER NOT NULL, data TEXT NOT NULL, hb_at TEXT, hb_details TEXT, PRIMARY KEY (run_id, scheduled_event_id)) WITHOUT ROWID;
	CREATE TABLE timers (run_id TEXT NOT NULL, timer_id TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (run_id, timer_id)) WITHOUT ROWID;`,
}

// latestVersion is the schema version this binary writes.
var latestVersion = len(migrations)

// applicationID marks the file as swf's (PRAGMA application_id, "oswf"),
// set with every version, so a SQLite file of another program is told
// apart even when it keeps a user_version of its own.
const applicationID = 0x6f737766

// migrateFile brings the database at path up to date (creating it if
// need be) on a connection of its own, made without the store's pragmas,
// then sets it to WAL. So a file that is not swf's is refused as it was
// found: nothing, not even the journal mode, is written to it first.
// Each step is flushed as it commits (synchronous FULL).
func migrateFile(path string, log *slog.Logger, steps []string) error {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=synchronous(FULL)&_txlock=immediate")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if err := checkIntegrity(db, path, log); err != nil {
		return err
	}
	if err := migrate(db, path, log, steps); err != nil {
		return err
	}
	var mode string
	if err := db.QueryRow(`PRAGMA journal_mode=WAL`).Scan(&mode); err != nil {
		return explain(path, err)
	}
	if mode != "wal" {
		return fmt.Errorf("%s: journal mode %q, want wal", path, mode)
	}
	return db.Close()
}

// checkIntegrity runs SQLite's PRAGMA quick_check over the whole file
// before anything is read or written: a damaged page, a truncated file or a
// file that is not a database is refused at start, naming the file and what
// is wrong, instead of failing a request (or the load) later when the page
// is read, or, worse, serving the runs that could be read and not the rest.
// quick_check reads every page once (about a second per GiB here;
// docs/reliability.md, "Corrupt databases"), skipping only the check that
// each index matches its table.
func checkIntegrity(db *sql.DB, path string, log *slog.Logger) error {
	start := time.Now()
	rows, err := db.Query(`PRAGMA quick_check(20)`)
	if err != nil {
		return explain(path, err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return explain(path, err)
		}
		if line != "ok" && line != "*** in database main ***" {
			problems = append(problems, strings.ReplaceAll(strings.TrimPrefix(line, "*** in database main ***\n"), "\n", "; "))
		}
	}
	if err := rows.Err(); err != nil {
		return explain(path, err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s is corrupt: SQLite's quick_check found %s; restore it from a backup, or move it away to start empty", path, strings.Join(problems, "; "))
	}
	log.Debug("database checked", "path", path, "check", "quick_check", "took", time.Since(start))
	return nil
}

// migrate brings the database at path (open on db, the writer) to the
// last of steps, one step per transaction (db's transactions must begin
// IMMEDIATE, so the version cannot move under a step). A database of a newer version
// than steps know (written by a newer swf), a file that is not a SQLite
// database, and a SQLite database of something else are refused.
func migrate(db *sql.DB, path string, log *slog.Logger, steps []string) error {
	for {
		done, err := migrateStep(db, log, steps)
		if err != nil {
			return explain(path, err)
		}
		if done {
			return nil
		}
	}
}

// migrateStep applies the next missing step of steps, if any, and reports
// whether none was missing. A database of the schema before versions were
// recorded (version 0 holding exactly what steps[0] creates) is stamped
// version 1 and left as it is.
func migrateStep(db *sql.DB, log *slog.Logger, steps []string) (done bool, err error) {
	tx, err := db.Begin()
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var v, app int
	if err := tx.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil {
		return false, err
	}
	if err := tx.QueryRow(`PRAGMA application_id`).Scan(&app); err != nil {
		return false, err
	}
	if app != applicationID && (app != 0 || v != 0) {
		return false, foreignError(fmt.Sprintf("its application_id is %#x (swf's is %#x) and its user_version %d", app, applicationID, v))
	}
	switch {
	case v > len(steps):
		return false, fmt.Errorf("the database schema is at version %d, newer than this swf's (version %d): it was written by a newer swf; run that version or a later one", v, len(steps))
	case v == len(steps):
		return true, nil
	}
	step, what := steps[v], "migrated"
	if v == 0 {
		objects, err := schemaObjects(tx)
		if err != nil {
			return false, err
		}
		if len(objects) > 0 {
			if err := sameSchema(objects, steps[0]); err != nil {
				return false, err
			}
			step, what = "", "recognised as written before schema versions were recorded"
		}
	}
	if step != "" {
		if _, err := tx.Exec(step); err != nil {
			return false, fmt.Errorf("schema version %d: %w", v+1, err)
		}
	}
	if _, err := tx.Exec(fmt.Sprintf(`PRAGMA user_version = %d; PRAGMA application_id = %d`, v+1, applicationID)); err != nil {
		return false, fmt.Errorf("schema version %d: %w", v+1, err)
	}
	if err := tx.Commit(); err != nil {
		return false, err
	}
	log.Info("database schema "+what, "version", v+1)
	return false, nil
}

// schemaObject is a row of sqlite_schema: a table, index, view or trigger
// and the statement that made it.
type schemaObject struct{ typ, name, table, sql string }

func (o schemaObject) String() string { return o.typ + " " + o.name }

// schemaObjects lists the database's own objects (not SQLite's).
func schemaObjects(q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}) ([]schemaObject, error) {
	rows, err := q.QueryContext(context.Background(), `SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY type, name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []schemaObject
	for rows.Next() {
		var o schemaObject
		if err := rows.Scan(&o.typ, &o.name, &o.table, &o.sql); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// sameSchema checks that objects (of a database at version 0) are exactly
// what step creates, by creating it in an empty database and comparing
// the two.
func sameSchema(objects []schemaObject, step string) error {
	mem, err := sql.Open("sqlite", "file::memory:")
	if err != nil {
		return err
	}
	defer mem.Close()
	mem.SetMaxOpenConns(1)
	if _, err := mem.Exec(step); err != nil {
		return fmt.Errorf("schema version 1: %w", err)
	}
	want, err := schemaObjects(mem)
	if err != nil {
		return err
	}
	if slices.Equal(objects, want) {
		return nil
	}
	ours := map[string]bool{}
	for _, o := range want {
		ours[o.name] = true
	}
	var theirs, shared []string
	for _, o := range objects {
		if ours[o.name] {
			shared = append(shared, o.String())
		} else {
			theirs = append(theirs, o.String())
		}
	}
	if len(shared) == 0 {
		return foreignError("it holds " + strings.Join(theirs, ", ") + " and none of swf's tables")
	}
	byName := map[string]schemaObject{}
	for _, o := range objects {
		byName[o.name] = o
	}
	for _, w := range want {
		got, ok := byName[w.name]
		switch {
		case !ok:
			return foreignError(fmt.Sprintf("it has no %s, which swf's schema version 1 has (it holds %s)", w, strings.Join(shared, ", ")))
		case got != w:
			return foreignError(fmt.Sprintf("its %s is %q, where swf's schema version 1 has %q", w, got.sql, w.sql))
		}
	}
	return foreignError("it holds " + strings.Join(theirs, ", ") + " besides swf's tables")
}

// errForeign is a SQLite database that swf did not write.
var errForeign = errors.New("a SQLite database, but not swf's")

func foreignError(detail string) error { return fmt.Errorf("%w: %s", errForeign, detail) }

// explain names the file in err and says what a SQLite error code means
// for it.
func explain(path string, err error) error {
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		switch coded.Code() & 0xff {
		case 26: // SQLITE_NOTADB
			return fmt.Errorf("%s is not a SQLite database (or is encrypted): %w; move it away, or give swf another data directory", path, err)
		case 11: // SQLITE_CORRUPT
			return fmt.Errorf("%s is corrupt: %w; restore it from a backup, or move it away to start empty", path, err)
		}
	}
	if errors.Is(err, errForeign) {
		return fmt.Errorf("%s is %w; swf leaves it alone: move it away, or give swf another data directory", path, err)
	}
	return fmt.Errorf("%s: %w", path, err)
}
