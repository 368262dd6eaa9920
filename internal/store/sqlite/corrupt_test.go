package sqlite

import (
	"bytes"
	"crypto/rand"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/store"
)

// writeEvents fills a store in dir with n marker events of run r1, each
// with details of size bytes, and closes it (SQLite then checkpoints the
// WAL into swf.db and removes it).
func writeEvents(t testing.TB, dir string, n, size int) {
	t.Helper()
	s, err := Open(dir, quiet)
	if err != nil {
		t.Fatal(err)
	}
	details := strings.Repeat("d", size)
	for i := 0; i < n; i += 500 {
		c := &store.Change{}
		for j := i; j < min(n, i+500); j++ {
			c.Events = append(c.Events, store.RunEvent{RunID: "r1", Event: &shape.HistoryEvent{
				EventId: int64(j + 1), EventType: shape.EventTypeMarkerRecorded, EventTimestamp: shape.TS(time.Unix(1_800_000_000, 0)),
				MarkerRecordedEventAttributes: &shape.MarkerRecordedEventAttributes{MarkerName: "m", Details: details},
			}})
		}
		if err := store.Apply(s, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// A swf.db cut short (a copy that stopped half way, a full disk during a
// restore) is refused at start as corrupt, naming the file: SQLite alone
// would open it, and fail only when a request reads a missing page.
func TestOpenTruncated(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeEvents(t, dir, 400, 1000)
	path := filepath.Join(dir, "swf.db")
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, st.Size()/2); err != nil {
		t.Fatal(err)
	}
	wantErr(t, openErr(t, dir), path, "is corrupt")
}

// A page damaged in the middle of the file (a bad sector, a stray write),
// far from the schema page, is found at start by quick_check, and the file
// is left as it was.
func TestOpenDamagedPage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeEvents(t, dir, 400, 1000)
	path := filepath.Join(dir, "swf.db")
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	const page = 4096
	junk := make([]byte, page)
	rand.Read(junk)
	at := (st.Size() / page / 2) * page // a page in the middle: the events table's
	if _, err := f.WriteAt(junk, at); err != nil {
		t.Fatal(err)
	}
	f.Close()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	err = openErr(t, dir)
	wantErr(t, err, path, "is corrupt", "restore it from a backup")
	if after, rerr := os.ReadFile(path); rerr != nil || !bytes.Equal(after, before) {
		t.Fatalf("the file changed (%v), want it left alone", rerr)
	}
}

// BenchmarkOpenCheck measures what quick_check adds to the start of a
// server with a large database (SWF_BENCH_DB_MB thousand events of 1 KiB
// of details, default 16; SQLite keeps each in a page and an overflow page):
// the whole Open, and quick_check alone. docs/reliability.md, "Corrupt
// databases", quotes it.
func BenchmarkOpenCheck(b *testing.B) {
	mb := 16
	if v := os.Getenv("SWF_BENCH_DB_MB"); v != "" {
		fmt.Sscan(v, &mb)
	}
	dir := b.TempDir()
	writeEvents(b, dir, mb*1024, 1000) // about 1 KiB an event
	path := filepath.Join(dir, "swf.db")
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("open", func(b *testing.B) {
		for range b.N {
			s, err := Open(dir, quiet)
			if err != nil {
				b.Fatal(err)
			}
			s.Close()
		}
		b.ReportMetric(float64(st.Size())/(1<<20), "MiB")
	})
	b.Run("quick_check", func(b *testing.B) {
		db, err := sql.Open("sqlite", "file:"+path)
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		db.SetMaxOpenConns(1)
		for range b.N {
			if err := checkIntegrity(db, path, quiet); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(st.Size())/(1<<20), "MiB")
	})
}
