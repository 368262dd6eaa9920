// Package sqlite is the embedded Store: one SQLite file in the data
// directory, written by a single connection that batches concurrent changes
// into one transaction (group commit), read through a pool of read-only
// connections.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/store"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// maxBatch bounds how many changes share one transaction, so one commit
// never holds the writer long enough to hurt latency.
const maxBatch = 512

// Store is a SQLite-backed store.Store.
type Store struct {
	w      *sql.DB                // the writer's connection, and one for Secret
	wc     *sql.Conn              // the writer goroutine's own connection
	r      *sql.DB                // read-only pool; WAL lets it read while w writes
	stmts  [nStatements]*sql.Stmt // on wc
	wals   []*walFlusher          // one per flusher goroutine
	hbj    *journal               // heartbeat-only changes (journal.go)
	mu     sync.RWMutex           // guards closing queue against concurrent sends
	shut   bool                   // Close was called
	queue  chan *request          // changes waiting for the writer
	flushQ chan committed         // committed batches waiting for the flusher
	done   chan struct{}
	closed sync.Once
	log    *slog.Logger
	lock   *os.File // the data directory's lock, held until Close

	// failed is the first write or flush that storage failed (not a
	// change the database refused), after which the writer refuses every
	// change and the flusher answers none as durable (see commit).
	failMu      sync.Mutex
	failed      error
	flushFailed error // the first failed flush
	// fault, set by tests only, is asked before each commit and each
	// flush; an error it returns stands for that step failing
	// (faults_test.go).
	fault func(faultStep) error
	// obs is told of each batch and flush (Observe). Atomic: Open itself
	// commits (the heartbeat journal left by a crash is checkpointed
	// before Open returns), so writes can run before Observe is called.
	obs atomic.Pointer[observer]

	// evFwd and evRev are the history reads (qEventsForward and
	// qEventsReverse), prepared once on r (database/sql prepares each on a
	// pool connection the first time it runs there): a decision poll of a
	// run the history cache does not hold, and every history read of a
	// closed run, would otherwise parse its query again.
	evFwd, evRev *sql.Stmt
}

// observer boxes a store.Observer for atomic.Pointer.
type observer struct{ store.Observer }

// observer returns what Observe set, or nil.
func (s *Store) observer() store.Observer {
	if o := s.obs.Load(); o != nil {
		return o.Observer
	}
	return nil
}

// Observe reports each group commit to o (store.Observed).
func (s *Store) Observe(o store.Observer) { s.obs.Store(&observer{o}) }

// faultStep is a step of the writer that a test can make fail.
type faultStep int

const (
	stepCommit faultStep = iota // the transaction's COMMIT
	stepFlush                   // the WAL flush after it
)

type request struct {
	ops []op
	err chan error
}

// Open opens (creating if needed) the database in dir.
func Open(dir string, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.Default()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	s, err := open(dir, log)
	if err != nil {
		lock.Close()
		return nil, err
	}
	s.lock = lock
	return s, nil
}

func open(dir string, log *slog.Logger) (*Store, error) {
	path := filepath.Join(dir, "swf.db")
	if err := migrateFile(path, log, migrations); err != nil {
		return nil, err
	}
	// WAL: readers never block the writer. synchronous(NORMAL): SQLite
	// does not flush at commit; the writer flushes the WAL itself before it
	// answers (durable.go), so an answered request survives a crash of the
	// process or the machine; group commit makes that one flush per batch
	// rather than per request.
	// busy_timeout covers the checkpointer and readers racing the writer.
	common := "_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(OFF)"
	w, err := sql.Open("sqlite", "file:"+path+"?"+common+"&_pragma=synchronous(NORMAL)&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	// One connection is the writer goroutine's for the store's life; the
	// other serves Secret, once per start.
	w.SetMaxOpenConns(2)
	w.SetMaxIdleConns(2)
	w.SetConnMaxLifetime(0)
	r, err := sql.Open("sqlite", "file:"+path+"?"+common+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	s := &Store{w: w, r: r, queue: make(chan *request, 8192),
		flushQ: make(chan committed, 1024), done: make(chan struct{}), log: log}
	for range flushers {
		s.wals = append(s.wals, newWALFlusher(path))
	}
	log.Debug("store opened", "path", path, "flush", s.wals[0].sync.name(), "flushers", len(s.wals))
	if err := s.prepare(); err != nil {
		r.Close()
		w.Close()
		return nil, err
	}
	go s.writer()
	var flushing sync.WaitGroup
	for _, wal := range s.wals {
		flushing.Go(func() { s.flusher(wal) })
	}
	go func() {
		flushing.Wait()
		close(s.done)
	}()
	if s.hbj, err = openJournal(dir, s); err != nil {
		s.closeWriter()
		r.Close()
		s.wc.Close()
		w.Close()
		return nil, err
	}
	return s, nil
}

// prepare takes the writer's connection and prepares every statement it
// runs on it, BEGIN and COMMIT included: through database/sql's Tx each
// transaction would parse "begin immediate" and "commit" again (a
// seventh of a heartbeat's server CPU).
func (s *Store) prepare() error {
	var err error
	if s.wc, err = s.w.Conn(context.Background()); err != nil {
		return fmt.Errorf("writer connection: %w", err)
	}
	for i, q := range statements {
		if s.stmts[i], err = s.wc.PrepareContext(context.Background(), q); err != nil {
			s.wc.Close()
			return fmt.Errorf("prepare %q: %w", q, err)
		}
	}
	for _, r := range []struct {
		st **sql.Stmt
		q  string
	}{{&s.evFwd, qEventsForward}, {&s.evRev, qEventsReverse}} {
		if *r.st, err = s.r.PrepareContext(context.Background(), r.q); err != nil {
			s.closeReadStmts()
			s.wc.Close()
			return fmt.Errorf("prepare %q: %w", r.q, err)
		}
	}
	return nil
}

func (s *Store) closeReadStmts() {
	for _, st := range []*sql.Stmt{s.evFwd, s.evRev} {
		if st != nil {
			st.Close()
		}
	}
}

// Close stops the writer after the queued changes are written.
func (s *Store) Close() error {
	var jerr error
	s.closed.Do(func() {
		// The journal first: its last checkpoint goes through the writer.
		jerr = s.hbj.close()
		s.closeWriter()
	})
	if jerr != nil {
		s.log.Error("heartbeat journal: last checkpoint failed; the next start replays it", "err", jerr)
	}
	// Statements prepared on a database/sql Conn are the caller's to
	// close: left open, they keep SQLite from closing the connection, and
	// the last connection's close is what checkpoints the WAL into swf.db
	// and removes it.
	var errs []error
	for _, st := range s.stmts {
		errs = append(errs, st.Close())
	}
	s.closeReadStmts()
	err := errors.Join(append(errs, s.r.Close(), s.wc.Close(), s.w.Close())...)
	if s.lock != nil {
		s.lock.Close() // after the database: the next owner finds it closed
	}
	return err
}

// closeWriter stops the writer after the queued changes are written.
func (s *Store) closeWriter() {
	s.mu.Lock()
	s.shut = true
	close(s.queue)
	s.mu.Unlock()
	<-s.done
}

// Submit queues c; the channel yields the commit's outcome. Changes made
// only of heartbeats go to the heartbeat journal (journal.go).
func (s *Store) Submit(c *store.Change) <-chan error {
	// A fenced change (several nodes) is never SQLite's; the check keeps
	// the journal, which cannot check a fence, from ever taking one.
	if c.Fence == nil && c.OnlyHeartbeats() && s.hbj != nil {
		return s.hbj.submit(c.Heartbeats)
	}
	return s.submitToWriter(c)
}

// WaitHeartbeats is <-done, done being Submit's answer to a change of
// heartbeats only, but flushes the journal in the caller's goroutine when
// no flush is under way (store.HeartbeatWaiter).
func (s *Store) WaitHeartbeats(done <-chan error) error {
	if s.hbj == nil {
		return <-done
	}
	return s.hbj.wait(done)
}

// submitSQL writes c through SQLite and waits until it is durable.
func (s *Store) submitSQL(c *store.Change) error { return <-s.submitToWriter(c) }

func (s *Store) submitToWriter(c *store.Change) <-chan error {
	r := &request{err: make(chan error, 1)}
	if c.Empty() {
		r.err <- nil
		return r.err
	}
	ops, err := encode(c)
	if err != nil {
		r.err <- err
		return r.err
	}
	r.ops = ops
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.shut {
		r.err <- errors.New("store is closed")
		return r.err
	}
	s.queue <- r
	return r.err
}

// committed is a batch whose transaction is over. A request whose err is
// nil (errs nil: all of them) was committed and waits for the flush that
// makes it durable; the others are answered with their error.
type committed struct {
	reqs  []*request
	errs  []error
	start time.Time
}

// writer commits batches and hands them to the flusher without waiting
// for their flush, so the next batch is written while the disk works on
// the last one: a writer that waited would spend most of its time
// waiting (a flush is several times a commit), and every change queued
// behind it would wait for two flushes instead of one.
func (s *Store) writer() {
	defer close(s.flushQ)
	batch := make([]*request, 0, maxBatch)
	for r := range s.queue {
		batch = store.Gather(batch, r, s.queue, maxBatch)
		start := time.Now()
		s.flushQ <- s.commit(start, slices.Clone(batch))
	}
}

// flushers is how many flushes may be under way at once. A flush covers
// only what was committed before it began, so with one at a time a
// change committed just after a flush began waits for that flush and
// then for its own; the disk here serves concurrent flushes almost as
// fast as one (fdatasync of 4 KiB: 5,000 a second from one goroutine,
// 8,700 from two), so the next flush starts while the last is under way.
const flushers = 2

// flusher makes committed batches durable: it takes the batches waiting,
// flushes the WAL through its own file (so that a failed write-back is
// reported to every flusher's next flush, not only to the first one's)
// and only then answers them.
func (s *Store) flusher(wal *walFlusher) {
	defer wal.close()
	jobs := make([]committed, 0, 64)
	for c := range s.flushQ {
		jobs = store.Gather(jobs, c, s.flushQ, cap(jobs))
		var err error
		switch failed := s.flushFailure(); {
		case failed != nil:
			// What was committed since the failed flush may sit on top
			// of a hole, and a later flush may succeed without the
			// pages the failed one lost: none of it is durable. (A
			// failed write is another matter: what was committed before
			// it stands, and the writer commits nothing after it.)
			err = s.refused(failed)
		case waitsForFlush(jobs):
			if err = s.flush(wal); err != nil {
				s.failFlush(err)
			}
		}
		s.answer(jobs, err)
		clear(jobs)
	}
}

// answer answers every request of jobs: its own error if its change
// failed, else flushErr.
func (s *Store) answer(jobs []committed, flushErr error) {
	for _, j := range jobs {
		for i, r := range j.reqs {
			if j.errs != nil && j.errs[i] != nil {
				r.err <- j.errs[i]
			} else {
				r.err <- flushErr
			}
		}
		if o := s.observer(); o != nil {
			o.BatchCommitted(len(j.reqs), time.Since(j.start))
		}
	}
}

// waitsForFlush reports whether any request of jobs was committed.
func waitsForFlush(jobs []committed) bool {
	for _, j := range jobs {
		if j.errs == nil {
			return true
		}
		for _, err := range j.errs {
			if err == nil {
				return true
			}
		}
	}
	return false
}

// commit writes a batch in one transaction. If the batch fails, each
// change is retried alone so one bad change cannot fail its neighbours.
//
// After storage first fails (a write or a flush, as opposed to a change
// that breaks a constraint) the store refuses every later change without
// writing it: the engine has applied the failed change in memory, and a
// later change of the same run, written on top of the hole, would make a
// history with a gap. The engine stops the process on that first failure;
// a restart reloads what is durable.
func (s *Store) commit(start time.Time, batch []*request) committed {
	c := committed{reqs: batch, start: start}
	if failed := s.failure(); failed != nil {
		c.errs = make([]error, len(batch))
		for i := range batch {
			c.errs[i] = s.refused(failed)
		}
		return c
	}
	err := s.tx(func() error {
		for _, r := range batch {
			if err := s.write(r.ops); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		return c
	}
	c.errs = make([]error, len(batch))
	if len(batch) == 1 {
		c.errs[0] = err
		s.fail(err)
		return c
	}
	s.log.Error("batch commit failed; retrying changes one by one", "size", len(batch), "err", err)
	for i, r := range batch {
		if failed := s.failure(); failed != nil {
			// An earlier change of the batch failed: this one may
			// belong to the same run and must not land after a hole.
			c.errs[i] = s.refused(failed)
			continue
		}
		c.errs[i] = s.tx(func() error { return s.write(r.ops) })
		s.fail(c.errs[i])
	}
	return c
}

// refused is the error of a change refused after the store failed.
func (s *Store) refused(failed error) error {
	return fmt.Errorf("not written, because an earlier write failed (%w); restart the server", failed)
}

// failure is the store's first storage failure, or nil.
func (s *Store) failure() error {
	s.failMu.Lock()
	defer s.failMu.Unlock()
	return s.failed
}

// flushFailure is the first failed flush, or nil.
func (s *Store) flushFailure() error {
	s.failMu.Lock()
	defer s.failMu.Unlock()
	return s.flushFailed
}

// failFlush records a failed flush: the store's failure, and the reason
// every flusher answers nothing as durable from then on.
func (s *Store) failFlush(err error) {
	s.fail(err)
	s.failMu.Lock()
	defer s.failMu.Unlock()
	if s.flushFailed == nil {
		s.flushFailed = err
	}
}

// fail records the store's first storage failure (err nil: none). A
// change that breaks a constraint (a bug upstream) fails alone: the
// changes around it are written as usual.
func (s *Store) fail(err error) {
	var coded interface{ Code() int }
	if errors.As(err, &coded) && coded.Code()&0xff == 19 { // SQLITE_CONSTRAINT
		return
	}
	if err == nil {
		return
	}
	s.failMu.Lock()
	defer s.failMu.Unlock()
	if s.failed == nil {
		s.failed = err
		s.log.Error("storage failed: refusing every later change until restart", "err", err)
	}
}

// flush flushes the WAL. Its error says that the change was committed, so
// that a restart may or may not find it: the client cannot be told it is
// durable, nor that it did not happen.
func (s *Store) flush(wal *walFlusher) error {
	start := time.Now()
	err := wal.flush()
	if o := s.observer(); o != nil && err == nil {
		o.Flushed(time.Since(start))
	}
	if err == nil && s.fault != nil {
		err = s.fault(stepFlush)
	}
	if err != nil {
		return fmt.Errorf("flush failed after the commit, so the change may or may not survive: %w", err)
	}
	return nil
}

// tx runs f inside BEGIN IMMEDIATE ... COMMIT on the writer's connection.
func (s *Store) tx(f func() error) error {
	if _, err := s.stmts[qBegin].Exec(); err != nil {
		return fmt.Errorf("write failed, nothing of it was stored: begin: %w", err)
	}
	err := f()
	if err == nil && s.fault != nil {
		err = s.fault(stepCommit)
	}
	if err == nil {
		if _, err = s.stmts[qCommit].Exec(); err != nil {
			err = fmt.Errorf("commit: %w", err)
		}
	}
	if err != nil {
		// A failed COMMIT may have ended the transaction already; the
		// rollback's own error then only says there was none to end.
		s.stmts[qRollback].Exec()
		return fmt.Errorf("write failed, nothing of it was stored: %w", err)
	}
	return nil
}

// Statements of the write path, prepared once on the writer connection.
const (
	qBegin = iota
	qCommit
	qRollback
	qDomain
	qActivityType
	qWorkflowType
	qDelActivityType
	qDelWorkflowType
	qExecution
	qOpenExecution
	qEvent
	qActivity
	qHeartbeat
	qDelActivity
	qTimer
	qDelTimer
	qPurgeEvents
	qPurgeExecutions
	nStatements
)

var statements = [nStatements]string{
	qBegin:           `BEGIN IMMEDIATE`,
	qCommit:          `COMMIT`,
	qRollback:        `ROLLBACK`,
	qDomain:          `INSERT INTO domains (name, data) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET data = excluded.data`,
	qActivityType:    `INSERT INTO activity_types (domain, name, version, data) VALUES (?, ?, ?, ?) ON CONFLICT (domain, name, version) DO UPDATE SET data = excluded.data`,
	qWorkflowType:    `INSERT INTO workflow_types (domain, name, version, data) VALUES (?, ?, ?, ?) ON CONFLICT (domain, name, version) DO UPDATE SET data = excluded.data`,
	qDelActivityType: `DELETE FROM activity_types WHERE domain = ? AND name = ? AND version = ?`,
	qDelWorkflowType: `DELETE FROM workflow_types WHERE domain = ? AND name = ? AND version = ?`,
	qExecution: `INSERT INTO executions (run_id, domain, workflow_id, open, start_ms, close_ms, data) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (run_id) DO UPDATE SET open = excluded.open, close_ms = excluded.close_ms, data = excluded.data`,
	// While a run is open only its data changes. Naming open and close_ms
	// in the SET would make SQLite rewrite two index entries per write
	// even when their values stay the same (about a third of the cost).
	qOpenExecution: `INSERT INTO executions (run_id, domain, workflow_id, open, start_ms, close_ms, data) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (run_id) DO UPDATE SET data = excluded.data`,
	qEvent:           `INSERT INTO events (run_id, event_id, data) VALUES (?, ?, ?)`,
	qActivity:        `INSERT INTO activities (run_id, scheduled_event_id, data) VALUES (?, ?, ?) ON CONFLICT (run_id, scheduled_event_id) DO UPDATE SET data = excluded.data`,
	qHeartbeat:       `UPDATE activities SET hb_at = ?, hb_details = ? WHERE run_id = ? AND scheduled_event_id = ?`,
	qDelActivity:     `DELETE FROM activities WHERE run_id = ? AND scheduled_event_id = ?`,
	qTimer:           `INSERT INTO timers (run_id, timer_id, data) VALUES (?, ?, ?) ON CONFLICT (run_id, timer_id) DO UPDATE SET data = excluded.data`,
	qDelTimer:        `DELETE FROM timers WHERE run_id = ? AND timer_id = ?`,
	qPurgeEvents:     `DELETE FROM events WHERE run_id IN (SELECT run_id FROM executions WHERE domain = ? AND open = 0 AND close_ms < ?)`,
	qPurgeExecutions: `DELETE FROM executions WHERE domain = ? AND open = 0 AND close_ms < ?`,
}

// op is one statement execution of a change.
type op struct {
	q    int
	args []any
}

// encode turns a change into statements. It runs in the caller's goroutine
// (Submit), so JSON encoding is spread over the callers' cores instead of
// serialised in the writer.
func encode(c *store.Change) ([]op, error) {
	var ops []op
	var err error
	add := func(q int, v any, args ...any) {
		if err != nil {
			return
		}
		if v != nil {
			var b []byte
			if b, err = json.Marshal(v); err != nil {
				err = fmt.Errorf("encode %T: %w", v, err)
				return
			}
			args = append(args, string(b))
		}
		ops = append(ops, op{q: q, args: args})
	}
	for _, d := range c.Domains {
		add(qDomain, d, d.Info.Name)
	}
	for _, t := range c.ActivityTypes {
		add(qActivityType, t, t.Domain, t.Info.ActivityType.Name, t.Info.ActivityType.Version)
	}
	for _, t := range c.WorkflowTypes {
		add(qWorkflowType, t, t.Domain, t.Info.WorkflowType.Name, t.Info.WorkflowType.Version)
	}
	for _, k := range c.DelActivityTypes {
		add(qDelActivityType, nil, k.Domain, k.Name, k.Version)
	}
	for _, k := range c.DelWorkflowTypes {
		add(qDelWorkflowType, nil, k.Domain, k.Name, k.Version)
	}
	for _, e := range c.Executions {
		open, q := 0, qExecution
		if e.Info.ExecutionStatus == shape.ExecutionStatusOpen {
			open, q = 1, qOpenExecution
		}
		var closeMs int64
		if !e.Info.CloseTimestamp.IsZero() {
			closeMs = e.Info.CloseTimestamp.UnixMilli()
		}
		add(q, e, e.Info.Execution.RunId, e.Domain, e.Info.Execution.WorkflowId, open, e.Info.StartTimestamp.UnixMilli(), closeMs)
	}
	for _, ev := range c.Events {
		if ev.Data != nil { // encoded by the engine already
			add(qEvent, nil, ev.RunID, ev.Event.EventId, string(ev.Data))
			continue
		}
		add(qEvent, ev.Event, ev.RunID, ev.Event.EventId)
	}
	for _, a := range c.PutActivities {
		add(qActivity, a, a.RunID, a.ScheduledEventID)
	}
	for _, h := range c.Heartbeats {
		add(qHeartbeat, nil, h.At.UTC().Format(timeLayout), nullString(h.Details), h.RunID, h.ScheduledEventID)
	}
	for _, k := range c.DelActivities {
		add(qDelActivity, nil, k.RunID, k.ScheduledEventID)
	}
	for _, t := range c.PutTimers {
		add(qTimer, t, t.RunID, t.TimerID)
	}
	for _, k := range c.DelTimers {
		add(qDelTimer, nil, k.RunID, k.TimerID)
	}
	for _, p := range c.PurgeClosed {
		add(qPurgeEvents, nil, p.Domain, p.ClosedBefore.UnixMilli())
		add(qPurgeExecutions, nil, p.Domain, p.ClosedBefore.UnixMilli())
	}
	return ops, err
}

func (s *Store) write(ops []op) error {
	for _, o := range ops {
		if _, err := s.stmts[o.q].Exec(o.args...); err != nil {
			return fmt.Errorf("%s: %w", strings.Fields(statements[o.q])[0], err)
		}
	}
	return nil
}

const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

func nullString(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}
