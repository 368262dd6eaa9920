package sqlite

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/store"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// unversioned is the schema as the binaries before versioned migrations
// created it, statement by statement, on every start.
var unversioned = []string{
	`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS domains (name TEXT PRIMARY KEY, data TEXT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS activity_types (domain TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (domain, name, version))`,
	`CREATE TABLE IF NOT EXISTS workflow_types (domain TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (domain, name, version))`,
	`CREATE TABLE IF NOT EXISTS executions (run_id TEXT PRIMARY KEY, domain TEXT NOT NULL, workflow_id TEXT NOT NULL, open INTEGER NOT NULL, start_ms INTEGER NOT NULL, close_ms INTEGER NOT NULL, data TEXT NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS executions_by_domain ON executions (domain, open, start_ms)`,
	`CREATE INDEX IF NOT EXISTS executions_by_workflow ON executions (domain, workflow_id, start_ms)`,
	`CREATE INDEX IF NOT EXISTS executions_by_close ON executions (domain, open, close_ms)`,
	`CREATE TABLE IF NOT EXISTS events (run_id TEXT NOT NULL, event_id INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (run_id, event_id)) WITHOUT ROWID`,
	`CREATE TABLE IF NOT EXISTS activities (run_id TEXT NOT NULL, scheduled_event_id INTEGER NOT NULL, data TEXT NOT NULL, hb_at TEXT, hb_details TEXT, PRIMARY KEY (run_id, scheduled_event_id)) WITHOUT ROWID`,
	`CREATE TABLE IF NOT EXISTS timers (run_id TEXT NOT NULL, timer_id TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (run_id, timer_id)) WITHOUT ROWID`,
}

// rawDB opens the database file at path without the store, closed at the
// end of the test.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

func pragma(t *testing.T, db *sql.DB, name string) int {
	t.Helper()
	var v int
	if err := db.QueryRow(`PRAGMA ` + name).Scan(&v); err != nil {
		t.Fatalf("PRAGMA %s: %v", name, err)
	}
	return v
}

func objects(t *testing.T, db *sql.DB) []schemaObject {
	t.Helper()
	o, err := schemaObjects(db)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func openStore(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir, quiet)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func openErr(t *testing.T, dir string) error {
	t.Helper()
	s, err := Open(dir, quiet)
	if err == nil {
		s.Close()
		t.Fatal("Open succeeded, want an error")
	}
	t.Logf("Open: %v", err)
	return err
}

func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("got error %q, want it to say %q", err, p)
		}
	}
}

// A fresh database gets every step and swf's application id; opening it
// again applies nothing and keeps the data.
func TestMigrations(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := openStore(t, dir)
	if err := store.Apply(s, &store.Change{Domains: []*store.Domain{{Info: shape.DomainInfo{Name: "d"}}}}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	path := filepath.Join(dir, "swf.db")
	db := rawDB(t, path)
	if v, app := pragma(t, db, "user_version"), pragma(t, db, "application_id"); v != latestVersion || app != applicationID {
		t.Fatalf("fresh database: user_version %d, application_id %#x; want %d, %#x", v, app, latestVersion, applicationID)
	}
	before := objects(t, db)
	s = openStore(t, dir)
	defer s.Close()
	if v := pragma(t, db, "user_version"); v != latestVersion {
		t.Fatalf("reopened: user_version %d, want %d", v, latestVersion)
	}
	if after := objects(t, db); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("reopening changed the schema: %v, then %v", before, after)
	}
	snap, err := s.Load(context.Background())
	if err != nil || len(snap.Domains) != 1 {
		t.Fatalf("reopened: got %v, %v; want domain d kept", snap, err)
	}
}

// A database of the binaries before versioned migrations (user_version 0
// and their tables) is recognised, stamped version 1 and left as it was:
// step 1 does not run on it (its CREATE TABLEs would fail).
func TestMigrationsUnversioned(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "swf.db")
	db := rawDB(t, path)
	for _, q := range unversioned {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`INSERT INTO domains (name, data) VALUES ('old', '{"Info":{"name":"old"}}')`); err != nil {
		t.Fatal(err)
	}
	before := objects(t, db)
	db.Close()

	var logged bytes.Buffer
	s, err := Open(dir, slog.New(slog.NewTextHandler(&logged, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db = rawDB(t, path)
	if v, app := pragma(t, db, "user_version"), pragma(t, db, "application_id"); v != latestVersion || app != applicationID {
		t.Fatalf("user_version %d, application_id %#x; want %d, %#x", v, app, latestVersion, applicationID)
	}
	if latestVersion == 1 {
		if after := objects(t, db); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Fatalf("stamping changed the schema: %v, then %v", before, after)
		}
	}
	if !strings.Contains(logged.String(), "recognised") {
		t.Errorf("log %q, want it to say the database was recognised", logged.String())
	}
	snap, err := s.Load(context.Background())
	if err != nil || len(snap.Domains) != 1 || snap.Domains[0].Info.Name != "old" {
		t.Fatalf("got %v, %v; want domain old kept", snap, err)
	}
}

// A database at version 0 that holds part of swf's tables, or swf's with
// one changed, is not taken for swf's: the error names what differs.
func TestMigrationsUnversionedDiffers(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		edit func([]string) []string
		want string
	}{
		"missing index": {func(s []string) []string { return append(s[:7:7], s[8:]...) }, "no index executions_by_close"},
		"other column": {func(s []string) []string {
			s = append([]string(nil), s...)
			s[1] = `CREATE TABLE IF NOT EXISTS domains (name TEXT PRIMARY KEY, data BLOB)`
			return s
		}, "its table domains is"},
		"extra table": {func(s []string) []string { return append(s, `CREATE TABLE notes (x)`) }, "table notes besides swf's"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			db := rawDB(t, filepath.Join(dir, "swf.db"))
			for _, q := range tc.edit(append([]string(nil), unversioned...)) {
				if _, err := db.Exec(q); err != nil {
					t.Fatal(err)
				}
			}
			wantErr(t, openErr(t, dir), "not swf's", tc.want)
			if v := pragma(t, db, "user_version"); v != 0 {
				t.Errorf("user_version %d after the refusal, want 0", v)
			}
		})
	}
}

// A database that a newer swf has migrated is refused, naming both
// versions, and left as it is.
func TestMigrationsRefuseNewer(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	openStore(t, dir).Close()
	db := rawDB(t, filepath.Join(dir, "swf.db"))
	newer := latestVersion + 1
	if _, err := db.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, newer)); err != nil {
		t.Fatal(err)
	}
	wantErr(t, openErr(t, dir), fmt.Sprintf("version %d", newer), fmt.Sprintf("version %d", latestVersion), "newer", "swf.db")
	if v := pragma(t, db, "user_version"); v != newer {
		t.Errorf("user_version %d after the refusal, want %d left alone", v, newer)
	}
}

// Later steps apply on top of the earlier ones, each in its own
// transaction: a step that fails leaves the database at the step before,
// with nothing of its own applied.
func TestMigrationsAddStep(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "swf.db")
	openStore(t, dir).Close()
	db := rawDB(t, path)
	steps := append(append([]string(nil), migrations...),
		`CREATE TABLE extra (x INTEGER)`,
		`ALTER TABLE extra ADD COLUMN y INTEGER; CREATE INDEX extra_y ON extra (y)`)
	if err := migrate(db, path, quiet, steps); err != nil {
		t.Fatal(err)
	}
	if v := pragma(t, db, "user_version"); v != len(steps) {
		t.Fatalf("user_version %d, want %d", v, len(steps))
	}
	if _, err := db.Exec(`INSERT INTO extra (x, y) VALUES (1, 2)`); err != nil {
		t.Fatalf("the added steps did not apply: %v", err)
	}
	// And a binary of those steps opens it again as it is.
	if err := migrate(db, path, quiet, steps); err != nil {
		t.Fatal(err)
	}

	broken := append(append([]string(nil), steps...), `CREATE TABLE half (x INTEGER); CREATE TABLE extra (x INTEGER)`)
	err := migrate(db, path, quiet, broken)
	wantErr(t, err, fmt.Sprintf("schema version %d", len(broken)), "extra")
	if v := pragma(t, db, "user_version"); v != len(steps) {
		t.Fatalf("user_version %d after a failed step, want %d", v, len(steps))
	}
	if _, err := db.Exec(`SELECT * FROM half`); err == nil {
		t.Fatal("a failed step left its first table behind, want it rolled back whole")
	}
}

// A swf.db that is not a SQLite database is refused at start with an
// error naming it, and left as it was.
func TestOpenNotADatabase(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "swf.db")
	junk := make([]byte, 64<<10)
	rand.Read(junk)
	if err := os.WriteFile(path, junk, 0o644); err != nil {
		t.Fatal(err)
	}
	wantErr(t, openErr(t, dir), path, "not a SQLite database")
	if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, junk) {
		t.Fatalf("the file changed (%v), want it left alone", err)
	}
	// The directory is free again for a server given a database.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	openStore(t, dir).Close()
}

// A database whose schema page is damaged is refused at start as corrupt.
// (Damage elsewhere shows when the store loads or reads the page.)
func TestOpenCorruptSchema(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	openStore(t, dir).Close()
	path := filepath.Join(dir, "swf.db")
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(make([]byte, 1024), 100); err != nil { // past the 100-byte header
		t.Fatal(err)
	}
	f.Close()
	wantErr(t, openErr(t, dir), path, "is corrupt")
}

// A SQLite database of another program is refused at start, naming what
// it holds, and left as it was: swf's tables are not added to it, nor is
// its journal mode changed.
func TestOpenForeignDatabase(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		setup []string
		want  string
	}{
		"unversioned": {[]string{`CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)`, `INSERT INTO notes (body) VALUES ('hello')`},
			"table notes and none of swf's tables"},
		// A program that versions its schema as swf does, with its own
		// application id: not mistaken for a newer swf's.
		"versioned": {[]string{`CREATE TABLE notes (id INTEGER PRIMARY KEY)`, `PRAGMA user_version = 7`, `PRAGMA application_id = 1234`},
			"application_id is 0x4d2"},
		// Another program's database without an application id, at a version
		// of its own.
		"other version": {[]string{`CREATE TABLE notes (id INTEGER PRIMARY KEY)`, `PRAGMA user_version = 1`},
			"application_id is 0"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "swf.db")
			db := rawDB(t, path)
			for _, q := range tc.setup {
				if _, err := db.Exec(q); err != nil {
					t.Fatal(err)
				}
			}
			db.Close()
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			wantErr(t, openErr(t, dir), path, "not swf's", tc.want)
			if after, err := os.ReadFile(path); err != nil || !bytes.Equal(after, before) {
				t.Fatalf("the database changed (%v), want it left alone", err)
			}
		})
	}
}
