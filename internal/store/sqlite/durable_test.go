package sqlite

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/store"
)

// recordingSyncer stands in for the flusher to see what the writer flushes
// and when; err, if set, is what every flush returns.
type recordingSyncer struct {
	mu      sync.Mutex
	flushed []string
	err     error
}

func (r *recordingSyncer) name() string { return "recording" }
func (r *recordingSyncer) close()       {}
func (r *recordingSyncer) datasync(f *os.File) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.flushed = append(r.flushed, filepath.Base(f.Name()))
	return r.err
}

func (r *recordingSyncer) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.flushed)
}

func openRecording(t *testing.T) (*Store, *recordingSyncer) {
	t.Helper()
	s, err := Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	rec := &recordingSyncer{}
	// Safe without a lock: a flusher reads it only after receiving a
	// change, and the send below happens after this assignment.
	for _, wal := range s.wals {
		wal.sync = rec
	}
	return s, rec
}

func domainChange(name string) *store.Change {
	return &store.Change{Domains: []*store.Domain{{Info: shape.DomainInfo{Name: name, Status: shape.RegistrationStatusRegistered}}}}
}

// A change is answered only after the WAL holding it was flushed: SQLite
// itself no longer flushes at commit.
func TestAnsweredAfterWALFlush(t *testing.T) {
	s, rec := openRecording(t)
	var mode int
	if err := s.w.QueryRow(`PRAGMA synchronous`).Scan(&mode); err != nil || mode != 1 {
		t.Fatalf("writer synchronous = %d, %v; want 1 (NORMAL): the writer flushes itself", mode, err)
	}
	for i := range 3 {
		if err := store.Apply(s, domainChange(string(rune('a'+i)))); err != nil {
			t.Fatal(err)
		}
		if got := rec.count(); got != i+1 {
			t.Fatalf("after %d answered changes, %d flushes; want one per commit", i+1, got)
		}
	}
	for _, f := range rec.flushed {
		if f != "swf.db-wal" {
			t.Fatalf("flushed %q, want the WAL file swf.db-wal", f)
		}
	}
}

// A failed flush fails every change of its batch: the caller must not be
// told that a change is durable when the disk refused it.
func TestFlushFailureFailsTheChange(t *testing.T) {
	s, rec := openRecording(t)
	rec.err = errors.New("disk on fire")
	if err := store.Apply(s, domainChange("d")); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("Apply = %v, want the flush's error", err)
	}
}

// Many concurrent changes share flushes (group commit) and each is
// answered after a flush that followed its commit.
func TestConcurrentChangesShareFlushes(t *testing.T) {
	s, rec := openRecording(t)
	const n = 200
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := store.Apply(s, domainChange(strings.Repeat("x", 1+i%50)+string(rune('A'+i/50)))); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := rec.count(); got < 1 || got > n {
		t.Fatalf("%d flushes for %d changes", got, n)
	}
	t.Logf("%d changes, %d flushes", n, rec.count())
}

// SQLite deletes the WAL when its last connection closes and makes a new
// one later; the flusher must flush the file that is there now.
func TestWALFlusherFlushesTheWALOnceThereIsOne(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "x.db")
	if err := os.WriteFile(db, []byte("db"), 0o644); err != nil {
		t.Fatal(err)
	}
	rec := &recordingSyncer{}
	w := &walFlusher{sync: rec, dbPath: db}
	defer w.close()
	// No WAL: the database file holds everything, so it is what gets flushed.
	if err := w.flush(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(db+"-wal", []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := w.flush(); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"x.db", "x.db-wal", "x.db-wal"}
	if strings.Join(rec.flushed, ",") != strings.Join(want, ",") {
		t.Fatalf("flushed %v, want %v", rec.flushed, want)
	}
}

// The WAL the flushers hold is the database's WAL for the store's whole
// life: SQLite would delete it only when the last connection closed, and
// the writer's stays open until Close.
func TestWALStaysTheSameFile(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	defer s.Close()
	if err := store.Apply(s, domainChange("a")); err != nil {
		t.Fatal(err)
	}
	first, err := os.Stat(filepath.Join(dir, "swf.db-wal"))
	if err != nil {
		t.Fatal(err)
	}
	// Readers come and go; the WAL must not.
	for i := range 50 {
		s.r.SetMaxIdleConns(0)
		if _, err := s.r.Exec(`SELECT 1`); err != nil {
			t.Fatal(err)
		}
		if err := store.Apply(s, domainChange(fmt.Sprintf("d%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	now, err := os.Stat(filepath.Join(dir, "swf.db-wal"))
	if err != nil || !os.SameFile(first, now) {
		t.Fatalf("the WAL file changed under the store (%v)", err)
	}
}

// The real flushers flush a file, and report the kernel's refusal.
func TestDataSyncers(t *testing.T) {
	dir := t.TempDir()
	syncers := []dataSyncer{blockingSyncer{reason: "test"}, newDataSyncer(dir)}
	if runtime.GOOS == "linux" {
		a, err := newAIOSyncer(dir)
		switch {
		case err == nil:
			syncers = append(syncers, a)
		case os.Getenv("CI") == "true":
			t.Fatalf("linux AIO flush unavailable: %v", err)
		default:
			t.Logf("linux AIO flush unavailable here (%v): the blocking flush is used", err)
		}
	}
	for _, s := range syncers {
		t.Run(s.name(), func(t *testing.T) {
			defer s.close()
			f, err := os.Create(filepath.Join(t.TempDir(), "f"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			for i := range 3 {
				if _, err := f.WriteString("data"); err != nil {
					t.Fatal(err)
				}
				done := make(chan error, 1)
				go func() { done <- s.datasync(f) }()
				select {
				case err := <-done:
					if err != nil {
						t.Fatalf("flush %d: %v", i, err)
					}
				case <-time.After(10 * time.Second):
					t.Fatalf("flush %d did not finish", i)
				}
			}
			// A pipe cannot be flushed: the error must come back.
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			defer w.Close()
			if err := s.datasync(w); err == nil {
				t.Fatal("flushing a pipe succeeded; want the kernel's EINVAL")
			}
		})
	}
}

// Under writes that never pause, the WAL must still be copied into the
// database and reused, not grow with everything ever written: a checkpoint
// that runs beside the writer never catches up with it (tried, and the
// WAL reached 240 MB while set-up slowed to 20 tasks a second).
func TestWALStaysBoundedUnderContinuousWrites(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const bound = 16 << 20 // SQLite checkpoints at 1000 pages (4 MiB)
	big := strings.Repeat("x", 3000)
	var written atomic.Int64
	var wg sync.WaitGroup
	deadline := time.Now().Add(60 * time.Second)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; written.Load() < 3*bound && time.Now().Before(deadline); i++ {
				c := domainChange(fmt.Sprintf("d-%d-%d", g, i%500))
				c.Domains[0].Info.Description = big
				if err := store.Apply(s, c); err != nil {
					t.Error(err)
					return
				}
				written.Add(int64(len(big)))
			}
		}()
	}
	wg.Wait()
	st, err := os.Stat(filepath.Join(dir, "swf.db-wal"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %d MB; WAL %d MB", written.Load()>>20, st.Size()>>20)
	if written.Load() < 3*bound {
		t.Fatalf("wrote only %d bytes in a minute", written.Load())
	}
	if st.Size() > bound {
		t.Fatalf("WAL is %d bytes after %d bytes written: it is not being checkpointed and reused", st.Size(), written.Load())
	}
}

// The flusher is chosen by probing the data directory's own file system,
// which the probe leaves as it found it; where the probe cannot run, the
// blocking flush is used and says why.
func TestDataSyncerProbesTheDataDir(t *testing.T) {
	dir := t.TempDir()
	s := newDataSyncer(dir)
	defer s.close()
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
		t.Fatalf("the probe left %v in the data dir (%v)", entries, err)
	}
	if runtime.GOOS != "linux" {
		return
	}
	b := newDataSyncer(filepath.Join(dir, "missing"))
	defer b.close()
	if _, blocking := b.(blockingSyncer); !blocking || !strings.Contains(b.name(), "missing") {
		t.Fatalf("probing a directory that does not exist: got %q, want the blocking flush naming why", b.name())
	}
}

// orderSyncer logs, for each flush, which domains were committed when it
// began and when it ended, so a test can check that every answer came
// after a flush that began after its commit. The first flush waits for
// hold to close, so later commits meet a flush under way.
type orderSyncer struct {
	s    *Store
	hold chan struct{}
	mu   sync.Mutex
	log  []string
	n    int
}

func (o *orderSyncer) name() string { return "order" }
func (o *orderSyncer) close()       {}
func (o *orderSyncer) datasync(*os.File) error {
	rows, err := o.s.r.Query(`SELECT name FROM domains`)
	if err != nil {
		return err
	}
	var names []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	rows.Close()
	o.mu.Lock()
	o.n++
	k := o.n
	o.log = append(o.log, fmt.Sprintf("start %d %s", k, strings.Join(names, ",")))
	o.mu.Unlock()
	if k == 1 {
		<-o.hold
	}
	o.add(fmt.Sprintf("end %d", k))
	return nil
}

func (o *orderSyncer) add(line string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.log = append(o.log, line)
}

// With flushes overlapping, a change committed while a flush is under way
// is answered only after a flush that began after its commit, never by
// the flush that was already running.
func TestAnsweredOnlyAfterAFlushBegunAfterItsCommit(t *testing.T) {
	s, err := Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	o := &orderSyncer{s: s, hold: make(chan struct{})}
	for _, wal := range s.wals {
		wal.sync = o
	}
	first := s.Submit(domainChange("first"))
	for o.count() == 0 { // the first flush is under way (and held)
		runtime.Gosched()
	}
	var wg sync.WaitGroup
	for i := range 20 {
		name := fmt.Sprintf("d%02d", i)
		wg.Go(func() {
			if err := store.Apply(s, domainChange(name)); err != nil {
				t.Error(err)
			}
			o.add("answer " + name)
		})
	}
	time.Sleep(20 * time.Millisecond) // let later changes overtake the held flush
	close(o.hold)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	o.add("answer first")
	wg.Wait()

	began := map[string]string{} // flush number -> domains committed when it began
	durable := map[string]bool{} // domains covered by a flush that has ended
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, line := range o.log {
		f := strings.Fields(line)
		switch f[0] {
		case "start":
			began[f[1]] = ""
			if len(f) > 2 {
				began[f[1]] = f[2]
			}
		case "end":
			for _, d := range strings.Split(began[f[1]], ",") {
				durable[d] = true
			}
		case "answer":
			if !durable[f[1]] {
				t.Fatalf("%s was answered before a flush that began after its commit ended; log:\n%s", f[1], strings.Join(o.log, "\n"))
			}
		}
	}
}

func (o *orderSyncer) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.n
}

// A clean Close leaves the database whole in swf.db: SQLite checkpoints
// the WAL and removes it when its last connection closes, which needs
// every statement prepared on the writer's connection closed first.
func TestCloseLeavesNoWAL(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	for i := range 20 {
		if err := store.Apply(s, domainChange(fmt.Sprintf("%0500d", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "swf.db-wal")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("after Close the WAL is still there (%v): nothing was checkpointed", err)
	}
}
