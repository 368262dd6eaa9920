// Package postgres is the Store on a PostgreSQL database, for running
// several swf processes on one database (issue 14) or keeping the data on a
// managed server. It mirrors the sqlite driver: the same records, stored as
// JSON beside the columns that queries filter and sort on, and one writer
// goroutine that batches concurrent changes into one transaction (group
// commit), sent as one pipeline (pgx.Batch): one round trip and one WAL
// flush on the server for the whole batch.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openswf/openswf/internal/store"
)

// maxBatch bounds how many changes share one transaction, as in sqlite.
const maxBatch = 512

// connectTimeout bounds each connection attempt when the URL sets none
// (connect_timeout), so an unreachable host fails Open instead of hanging.
const connectTimeout = 10 * time.Second

// Store is a PostgreSQL-backed store.Store.
type Store struct {
	w      *pgxpool.Pool // one connection, used by the writer goroutine only
	r      *pgxpool.Pool // reads, and Secret
	owner  *pgx.Conn     // holds the owner lock (own) until Close
	where  string        // host:port/database, for messages; no user or password
	mu     sync.RWMutex  // guards closing queue against concurrent sends
	shut   bool          // Close was called
	queue  chan *request
	done   chan struct{}
	closed sync.Once
	log    *slog.Logger
	// obs is told of each batch (Observe); set before the first Submit,
	// read by the writer goroutine only.
	obs store.Observer
	// failed holds the leases (node, shard, epoch) of changes whose batch
	// failed, and failedAll whether an unfenced one did: a later change
	// under the same lease, or unfenced, may build on the failed one (it
	// was queued behind it, from memory that had applied it), so it is
	// refused unwritten. Used by the writer goroutine only.
	failed    map[store.Fence]bool
	failedAll bool
}

// errEarlierFailed refuses a change queued behind one that failed.
var errEarlierFailed = errors.New("not written: an earlier change under the same lease failed to be written, and this one may build on it")

// Observe reports each group commit to o (store.Observed). Call it before
// the first Submit. PostgreSQL flushes within its commit, so o is never
// told of a flush of its own.
func (s *Store) Observe(o store.Observer) { s.obs = o }

// IsURL reports whether s is a PostgreSQL connection URL (postgres:// or
// postgresql://), the only form Open takes.
func IsURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Describe names the database a URL points at, host:port/database, without
// the user or password, for logs and errors.
func Describe(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return "(unparsable PostgreSQL URL)"
	}
	return u.Host + u.Path
}

// Open connects to the database at rawURL (postgres://user@host:port/db?...),
// brings its schema up to date (migrate.go) and starts the writer. pgx reads
// the usual settings from the URL (sslmode, connect_timeout, search_path and
// other run-time parameters, pool_max_conns for the read pool) and the PG*
// environment variables.
func Open(ctx context.Context, rawURL string, log *slog.Logger) (*Store, error) {
	return openStore(ctx, rawURL, log, false)
}

// OpenNode opens the database for one node of several (a cluster): the
// nodes share it, each writing only under the shard leases it holds
// (store.Fence, lease.go), so no node takes it whole. A server opened with
// Open and nodes opened with OpenNode exclude each other.
func OpenNode(ctx context.Context, rawURL string, log *slog.Logger) (*Store, error) {
	return openStore(ctx, rawURL, log, true)
}

func openStore(ctx context.Context, rawURL string, log *slog.Logger, node bool) (*Store, error) {
	if log == nil {
		log = slog.Default()
	}
	if !IsURL(rawURL) {
		return nil, errors.New("PostgreSQL database: want a postgres:// or postgresql:// URL")
	}
	// pgx's own parse errors redact the password.
	rcfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL database: %w", err)
	}
	cc := rcfg.ConnConfig
	where := fmt.Sprintf("%s:%d/%s", cc.Host, cc.Port, cc.Database)
	if cc.ConnectTimeout == 0 {
		cc.ConnectTimeout = connectTimeout
	}
	if _, ok := cc.RuntimeParams["application_name"]; !ok {
		cc.RuntimeParams["application_name"] = "swf"
	}
	wcfg := rcfg.Copy()
	wcfg.MaxConns = 1
	wcfg.MinConns = 0
	// An answered change must survive a crash of the database server, as
	// it survives one of SQLite's host: a server (or role) configured with
	// synchronous_commit=off would answer before the commit is flushed, so
	// the writer's sessions turn it back on. Other values (local,
	// remote_write, on, remote_apply) all flush locally first and are kept.
	wcfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		_, err := c.Exec(ctx, `SELECT set_config('synchronous_commit', 'on', false) WHERE current_setting('synchronous_commit') = 'off'`)
		return err
	}

	r, err := pgxpool.NewWithConfig(ctx, rcfg)
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL database %s: %w", where, err)
	}
	if err := r.Ping(ctx); err != nil {
		r.Close()
		return nil, fmt.Errorf("cannot reach PostgreSQL database %s: %w", where, err)
	}
	if err := migrate(ctx, r, log); err != nil {
		r.Close()
		return nil, fmt.Errorf("migrate PostgreSQL database %s: %w", where, err)
	}
	if err := backfillShards(ctx, r); err != nil {
		r.Close()
		return nil, fmt.Errorf("PostgreSQL database %s: set the shards of older runs: %w", where, err)
	}
	owner, err := own(ctx, cc, where, node)
	if err != nil {
		r.Close()
		return nil, err
	}
	w, err := pgxpool.NewWithConfig(ctx, wcfg)
	if err != nil {
		owner.Close(ctx)
		r.Close()
		return nil, fmt.Errorf("PostgreSQL database %s: %w", where, err)
	}
	s := &Store{w: w, r: r, owner: owner, where: where, queue: make(chan *request, 8192), done: make(chan struct{}), log: log}
	log.Debug("store opened", "database", where)
	go s.writer()
	return s, nil
}

// Close stops the writer after the queued changes are written, then closes
// the connections.
func (s *Store) Close() error {
	s.closed.Do(func() {
		s.mu.Lock()
		s.shut = true
		close(s.queue)
		s.mu.Unlock()
		<-s.done
		s.w.Close()
		s.r.Close()
		// Last: the next owner finds everything written. The lock is let
		// go explicitly before the connection closes: the server ends a
		// closed session's backend, and frees its locks, a moment later,
		// and a server started right after this one returned would find
		// the schema still held (seen in CI: TestSecondOwnerRefused).
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.owner.Exec(ctx, `SELECT pg_advisory_unlock_all()`)
		s.owner.Close(ctx)
	})
	return nil
}

// ErrInUse reports a database (schema) that another swf server owns.
var ErrInUse = errors.New("database in use")

// ownerLock is the session advisory lock that says which process owns the
// database's schema (the two-key form; the migrations' lock uses the
// one-key form, so the two never meet).
const ownerLock = `1937204736, hashtext(coalesce(current_schema(), ''))`

// own takes the database for this process, for as long as the returned
// connection lives, as the sqlite driver takes its data directory: two
// servers over one database would each hold their own copy of the state
// in memory, hand out the same tasks and fire the same timers. The lock is
// the server's (a session advisory lock), so it goes away with the
// connection however the process ends. (Several nodes on one database,
// next, will own shards of it instead.) The connection's application_name
// names the process, for the error a second one gets.
func own(ctx context.Context, cc *pgx.ConnConfig, where string, shared bool) (*pgx.Conn, error) {
	cfg := cc.Copy()
	host, _ := os.Hostname()
	cfg.RuntimeParams["application_name"] = fmt.Sprintf("swf pid %d on %s", os.Getpid(), host)
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("cannot reach PostgreSQL database %s: %w", where, err)
	}
	var ok bool
	var schema string
	try := "pg_try_advisory_lock"
	if shared {
		try = "pg_try_advisory_lock_shared" // nodes of a cluster share it; a lone server excludes them
	}
	if err := c.QueryRow(ctx, `SELECT `+try+`(`+ownerLock+`), coalesce(current_schema(), '')`).Scan(&ok, &schema); err != nil {
		c.Close(ctx)
		return nil, fmt.Errorf("PostgreSQL database %s: take the owner lock: %w", where, err)
	}
	if ok {
		return c, nil
	}
	holder := "another session"
	var app, addr string
	if err := c.QueryRow(ctx, `SELECT a.application_name, coalesce(host(a.client_addr), 'a local socket')
		FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
		AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND l.classid = 1937204736 AND l.objid::bigint = (hashtext(coalesce(current_schema(), ''))::bigint & 4294967295)`).Scan(&app, &addr); err == nil {
		holder = fmt.Sprintf("%q connected from %s", app, addr)
	}
	c.Close(ctx)
	return nil, fmt.Errorf("%w: schema %q of PostgreSQL database %s is held by %s (another swf server?); stop it or give this one another database or schema (search_path)", ErrInUse, schema, where, holder)
}

// Submit queues c; the channel yields the commit's outcome. The change is
// encoded here, in the caller's goroutine, so JSON encoding is spread over
// the callers' cores instead of serialised in the writer.
func (s *Store) Submit(c *store.Change) <-chan error {
	r := &request{err: make(chan error, 1)}
	if c.Fence != nil {
		f := *c.Fence
		r.fence = &f
	}
	if c.Empty() {
		r.err <- nil
		return r.err
	}
	if err := r.encode(c); err != nil {
		r.err <- err
		return r.err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.shut {
		r.err <- errors.New("store is closed")
		return r.err
	}
	s.queue <- r
	return r.err
}

func (s *Store) writer() {
	defer close(s.done)
	batch := make([]*request, 0, maxBatch)
	for r := range s.queue {
		batch = s.refuseAfterFailure(store.Gather(batch, r, s.queue, maxBatch))
		if len(batch) == 0 {
			continue
		}
		start := time.Now()
		s.commit(batch)
		if s.obs != nil {
			s.obs.BatchCommitted(len(batch), time.Since(start))
		}
	}
}

// commit writes a batch in one transaction and answers each of its changes.
//
// The statements of all the changes go to the server as one pipeline ending
// in one Sync: PostgreSQL runs them in one implicit transaction and commits
// it at the Sync, so the batch costs one round trip. If the server refuses a
// statement, it has rolled the whole transaction back and the failing
// statement names its change: that change fails, and the others are sent
// again without it, so one bad change cannot fail its neighbours (sqlite
// retries them one by one; here the failing one is known). Any other error
// (a lost connection, a failed commit) leaves the outcome unknown or the
// whole batch refused, and is every change's answer; the engine then stops.
func (s *Store) commit(batch []*request) {
	pending := batch
	merge := true
	for len(pending) > 0 {
		failed, err := s.send(pending, merge)
		switch {
		case err == nil:
			for _, r := range pending {
				r.err <- nil
			}
			return
		case failed == fenceStatement:
			// Some changes' shards moved to another node: they fail, and
			// nothing of theirs was written; the others go again.
			lost, ok := fencedOut(err)
			kept := pending[:0:0]
			for _, r := range pending {
				if ok && r.isFenced(lost) {
					r.err <- store.ErrFenced
				} else {
					kept = append(kept, r)
				}
			}
			if len(kept) == len(pending) {
				for _, r := range pending {
					r.err <- err
				}
				return
			}
			s.log.Warn("changes refused: their shard's lease was lost", "refused", len(pending)-len(kept), "lost", fmt.Sprint(lost))
			pending = kept
		case failed == mergedStatement:
			// A merged heartbeat statement names no one change: send the
			// heartbeats one change at a time to find it.
			s.log.Error("batch commit failed in merged heartbeats; retrying them change by change", "size", len(pending), "err", err)
			merge = false
		case failed >= 0:
			s.log.Error("batch commit failed; retrying without the change that failed", "size", len(pending), "err", err)
			pending[failed].err <- err
			pending = append(pending[:failed:failed], pending[failed+1:]...)
		default:
			for _, r := range pending {
				s.markFailed(r)
				r.err <- err
			}
			return
		}
	}
}

// markFailed notes that r's batch failed as a whole (its outcome unknown).
func (s *Store) markFailed(r *request) {
	if r.fence == nil {
		s.failedAll = true
		return
	}
	if s.failed == nil {
		s.failed = map[store.Fence]bool{}
	}
	s.failed[*r.fence] = true
}

// refuseAfterFailure answers, unwritten, the changes of batch that may
// build on a change whose batch failed, and returns the others.
func (s *Store) refuseAfterFailure(batch []*request) []*request {
	if len(s.failed) == 0 && !s.failedAll {
		return batch
	}
	kept := batch[:0]
	for _, r := range batch {
		if (r.fence == nil && s.failedAll) || (r.fence != nil && s.failed[*r.fence]) {
			r.err <- errEarlierFailed
			continue
		}
		kept = append(kept, r)
	}
	return kept
}

// Results of send besides a change's index.
const (
	wholeBatch      = -1 // the error is every change's
	mergedStatement = -2 // a statement shared by several changes failed
	fenceStatement  = -3 // a lease fence refused some of the changes
)

// send writes the changes in one transaction. On error it returns the index
// of the change that the server refused, mergedStatement, or wholeBatch.
func (s *Store) send(reqs []*request, merge bool) (int, error) {
	ctx := context.Background()
	conn, err := s.w.Acquire(ctx)
	if err != nil {
		return wholeBatch, fmt.Errorf("PostgreSQL database %s: %w", s.where, err)
	}
	defer conn.Release()
	b, owners := buildBatch(reqs, merge)
	br := conn.SendBatch(ctx, b)
	for i, q := range b.QueuedQueries {
		if _, err := br.Exec(); err != nil {
			br.Close()
			if owners[i] == fenceStatement {
				if _, ok := fencedOut(err); ok {
					return fenceStatement, err
				}
				return wholeBatch, err
			}
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) || !refusesChange(pgErr) {
				return wholeBatch, err
			}
			err = fmt.Errorf("%s: %w", strings.Fields(q.SQL)[0], err)
			if owners[i] < 0 {
				return mergedStatement, err
			}
			return owners[i], err
		}
	}
	// Close reads the Sync's answer: the commit.
	if err := br.Close(); err != nil {
		return wholeBatch, fmt.Errorf("commit: %w", err)
	}
	return 0, nil
}

// refusesChange reports whether the server refused a statement for what it
// writes (a duplicate key, a value out of range, a row too large), as
// opposed to refusing the session or the server being in trouble (lost
// connection, shutdown, out of disk, serialization failure), which is no
// change's fault.
func refusesChange(e *pgconn.PgError) bool {
	switch e.Code[:2] {
	case "22", // data exception
		"23", // integrity constraint violation
		"54": // program limit exceeded
		return true
	}
	return false
}
