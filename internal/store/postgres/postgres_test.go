package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/store"
	"github.com/openswf/openswf/internal/store/postgres/pgtest"
	"github.com/openswf/openswf/internal/store/storetest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestConformance(t *testing.T) {
	storetest.Exercise(t, opener())
}

func BenchmarkHeartbeats(b *testing.B) {
	storetest.BenchmarkHeartbeats(b, opener())
}

// opener gives each test its own schema, the same one on every call until
// the test's cleanup drops it (a benchmark's runs each have their own).
func opener() storetest.Opener {
	var mu sync.Mutex
	urls := map[testing.TB]string{}
	return func(t testing.TB) store.Store {
		mu.Lock()
		u, ok := urls[t]
		if !ok {
			u = pgtest.Schema(t)
			urls[t] = u
			t.Cleanup(func() {
				mu.Lock()
				delete(urls, t)
				mu.Unlock()
			})
		}
		mu.Unlock()
		return open(t, u)
	}
}

func open(t testing.TB, url string) *Store {
	t.Helper()
	s, err := Open(context.Background(), url, quiet)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// connect opens a connection to the schema of url, closed at the end of
// the test.
func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(url) // takes pool_max_conns, which pgx.Connect sends on
	if err != nil {
		t.Fatal(err)
	}
	c, err := pgx.ConnectConfig(context.Background(), cfg.ConnConfig)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func version(t *testing.T, c *pgx.Conn) (max, rows int) {
	t.Helper()
	if err := c.QueryRow(context.Background(), `SELECT coalesce(max(version), 0), count(*) FROM schema_migrations`).Scan(&max, &rows); err != nil {
		t.Fatal(err)
	}
	return max, rows
}

// A fresh schema gets every step; opening it again applies nothing and
// keeps the data.
func TestMigrations(t *testing.T) {
	url := pgtest.Schema(t)
	s := open(t, url)
	if err := store.Apply(s, &store.Change{Domains: []*store.Domain{{Info: shape.DomainInfo{Name: "d"}}}}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	c := connect(t, url)
	if v, n := version(t, c); v != latestVersion || n != latestVersion {
		t.Fatalf("fresh schema: version %d with %d steps recorded, want %d", v, n, latestVersion)
	}
	s = open(t, url)
	defer s.Close()
	if v, n := version(t, c); v != latestVersion || n != latestVersion {
		t.Fatalf("reopened: version %d with %d steps recorded, want %d and nothing more", v, n, latestVersion)
	}
	snap, err := s.Load(context.Background())
	if err != nil || len(snap.Domains) != 1 {
		t.Fatalf("reopened: got %v, %v; want domain d kept", snap, err)
	}
}

// Processes starting at once on a new database apply each step once.
func TestMigrationsRace(t *testing.T) {
	url := pgtest.Schema(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pool, err := pgxpool.New(context.Background(), url)
			if err != nil {
				errs <- err
				return
			}
			defer pool.Close()
			errs <- migrate(context.Background(), pool, quiet)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if v, n := version(t, connect(t, url)); v != latestVersion || n != latestVersion {
		t.Fatalf("got version %d with %d steps recorded, want %d", v, n, latestVersion)
	}
}

// One process owns a database's schema: a second store on it is refused,
// naming the owner, until the first closes. A store on another schema of
// the same database is not.
func TestSecondOwnerRefused(t *testing.T) {
	url := pgtest.Schema(t)
	first := open(t, url)
	second, err := Open(context.Background(), url, quiet)
	if err == nil {
		second.Close()
		first.Close()
		t.Fatal("opened a second store on one schema, want it refused")
	}
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), fmt.Sprintf("swf pid %d", os.Getpid())) || !strings.Contains(err.Error(), pgtest.SchemaOf(url)) {
		t.Errorf("got %v, want ErrInUse naming the schema and this process", err)
	}
	other := open(t, pgtest.Schema(t))
	other.Close()
	first.Close()
	open(t, url).Close()
}

// A database that a newer swf has migrated is refused, naming both
// versions, and left as it is.
func TestMigrationsRefuseNewer(t *testing.T) {
	url := pgtest.Schema(t)
	open(t, url).Close()
	c := connect(t, url)
	newer := latestVersion + 1
	if _, err := c.Exec(context.Background(), `INSERT INTO schema_migrations (version) VALUES ($1)`, newer); err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), url, quiet)
	if err == nil {
		s.Close()
		t.Fatal("opened a database of a newer schema version, want an error")
	}
	for _, want := range []string{fmt.Sprintf("version %d", newer), fmt.Sprintf("version %d", latestVersion), "newer"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("got error %q, want it to say %q", err, want)
		}
	}
	if v, _ := version(t, c); v != newer {
		t.Errorf("got version %d after the refusal, want %d left alone", v, newer)
	}
}

// A later step applies on top of the earlier ones, in its own transaction.
func TestMigrationsAddStep(t *testing.T) {
	url := pgtest.Schema(t)
	open(t, url).Close()
	s, err := Open(context.Background(), url, quiet) // pools only; the schema is current
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	steps := append(append([]string(nil), migrations...), `CREATE TABLE extra (x int)`, `ALTER TABLE extra ADD COLUMN y int`)
	for {
		done, err := migrateStep(context.Background(), s.r, quiet, steps)
		if err != nil {
			t.Fatal(err)
		}
		if done {
			break
		}
	}
	c := connect(t, url)
	if v, n := version(t, c); v != len(steps) || n != len(steps) {
		t.Fatalf("got version %d with %d steps recorded, want %d", v, n, len(steps))
	}
	if _, err := c.Exec(context.Background(), `INSERT INTO extra (x, y) VALUES (1, 2)`); err != nil {
		t.Fatalf("the added steps did not apply: %v", err)
	}
}

// Changes queued while the writer waits for its connection share one
// transaction: the database shows their rows written by at most two
// transactions (the first change may have been taken alone before the
// others were queued).
func TestGroupCommit(t *testing.T) {
	url := pgtest.Schema(t)
	s := open(t, url)
	defer s.Close()
	ctx := context.Background()
	// Hold the writer's only connection, so everything submitted queues.
	held, err := s.w.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const n = 200
	var waits []<-chan error
	for i := range n {
		run := fmt.Sprintf("run-%03d", i)
		waits = append(waits, s.Submit(&store.Change{
			Events: []store.RunEvent{{RunID: run, Event: &shape.HistoryEvent{EventId: 1, EventType: shape.EventTypeMarkerRecorded}}},
		}))
	}
	held.Release()
	for _, w := range waits {
		if err := <-w; err != nil {
			t.Fatal(err)
		}
	}
	var rows, txs int
	if err := connect(t, url).QueryRow(ctx, `SELECT count(*), count(DISTINCT xmin::text) FROM events`).Scan(&rows, &txs); err != nil {
		t.Fatal(err)
	}
	if rows != n || txs > 2 {
		t.Fatalf("got %d events written by %d transactions, want %d events in at most 2", rows, txs, n)
	}
}

// Open names the server it cannot reach, and never prints a password.
func TestOpenUnreachable(t *testing.T) {
	_, err := Open(context.Background(), "postgres://someone:s3cret@127.0.0.1:1/nodb?connect_timeout=5", quiet)
	if err == nil {
		t.Fatal("opened a database on port 1, want an error")
	}
	if !strings.Contains(err.Error(), "127.0.0.1:1/nodb") || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("got %q, want an error naming 127.0.0.1:1/nodb without the password", err)
	}
	if _, err := Open(context.Background(), "mysql://x@y/z", quiet); err == nil || !strings.Contains(err.Error(), "postgres://") {
		t.Fatalf("got %v for a mysql URL, want an error asking for postgres://", err)
	}
}

// Within one batch (the writer is held until every change is queued), a
// change the server refuses fails alone: the changes before and after it
// land, and so do heartbeats merged into one statement with the refused
// one's neighbours. A trigger refuses heartbeats whose details are "boom".
func TestRefusedChangeInBatch(t *testing.T) {
	url := pgtest.Schema(t)
	s := open(t, url)
	defer s.Close()
	ctx := context.Background()
	c := connect(t, url)
	if _, err := c.Exec(ctx, `CREATE FUNCTION refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.hb_details = 'boom' THEN RAISE EXCEPTION 'boom refused' USING ERRCODE = 'check_violation'; END IF;
			RETURN NEW;
		END $$;
		CREATE TRIGGER refuse_boom BEFORE UPDATE ON activities FOR EACH ROW EXECUTE FUNCTION refuse_boom();`); err != nil {
		t.Fatal(err)
	}
	var acts []*store.Activity
	for i := range 4 {
		acts = append(acts, &store.Activity{RunID: fmt.Sprintf("r%d", i), ActivityID: "a", ScheduledEventID: 5})
	}
	if err := store.Apply(s, &store.Change{PutActivities: acts, Events: []store.RunEvent{{RunID: "r0", Event: &shape.HistoryEvent{EventId: 1}}}}); err != nil {
		t.Fatal(err)
	}
	hb := func(run, d string) *store.Change {
		return &store.Change{Heartbeats: []store.Heartbeat{{RunID: run, ScheduledEventID: 5, Details: &d}}}
	}
	dup := &store.Change{
		Executions: []*store.Execution{{Domain: "d", Info: shape.WorkflowExecutionInfo{Execution: &shape.WorkflowExecution{WorkflowId: "w", RunId: "dup"}, ExecutionStatus: shape.ExecutionStatusOpen}}},
		Events:     []store.RunEvent{{RunID: "r0", Event: &shape.HistoryEvent{EventId: 1}}},
	}
	held, err := s.w.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	changes := []*store.Change{
		// 0-2: heartbeats, merged into one statement.
		hb("r0", "1"), hb("r1", "1"), hb("r0", "2"),
		// 3: refused (a duplicate event).
		dup,
		// 4-7: heartbeats, merged; 5 is refused.
		hb("r1", "2"), hb("r2", "boom"), hb("r3", "1"), hb("r1", "3"),
		{Events: []store.RunEvent{{RunID: "r0", Event: &shape.HistoryEvent{EventId: 2}}}},
	}
	refused := map[int]bool{3: true, 5: true}
	var waits []<-chan error
	for _, ch := range changes {
		waits = append(waits, s.Submit(ch))
	}
	held.Release()
	for i, w := range waits {
		if err := <-w; (err != nil) != refused[i] {
			t.Errorf("change %d: got %v, want refused %v", i, err, refused[i])
		}
	}
	snap, err := s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"r0": "2", "r1": "3", "r2": "", "r3": "1"}
	for _, a := range snap.Activities {
		got := ""
		if a.HeartbeatDetails != nil {
			got = *a.HeartbeatDetails
		}
		if got != want[a.RunID] {
			t.Errorf("activity of %s: got details %q, want %q", a.RunID, got, want[a.RunID])
		}
	}
	if len(snap.Executions) != 0 {
		t.Errorf("got executions %v, want the refused change's run absent", snap.Executions)
	}
	if evs, err := s.Events(ctx, &store.EventsParams{RunID: "r0"}); err != nil || len(evs) != 2 {
		t.Errorf("got %d events of r0 (%v), want 2", len(evs), err)
	}
}
