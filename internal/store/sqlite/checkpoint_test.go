package sqlite

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openswf/openswf/internal/store"
)

// The writer never checkpoints; the checkpointer copies committed pages
// into the database file soon after, and the WAL is reused from its start
// rather than growing with every commit.
func TestCheckpointerCopiesTheWAL(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var auto int
	if err := s.w.QueryRow(`PRAGMA wal_autocheckpoint`).Scan(&auto); err != nil || auto != 0 {
		t.Fatalf("writer wal_autocheckpoint = %d, %v; want 0", auto, err)
	}
	db := filepath.Join(dir, "swf.db")
	size := func(p string) int64 {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return st.Size()
	}
	before := size(db)
	big := strings.Repeat("x", 3000)
	write := func(round int) {
		for i := range 200 {
			c := domainChange(fmt.Sprintf("d-%d-%d", round, i))
			c.Domains[0].Info.Description = big
			if err := store.Apply(s, c); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(0)
	deadline := time.Now().Add(10 * time.Second)
	for size(db) <= before+200*3000 {
		if time.Now().After(deadline) {
			t.Fatalf("database file still %d bytes (was %d) %v after 600 KB of commits: no checkpoint ran", size(db), before, 10*time.Second)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Once checkpointed, further commits restart the WAL at its start.
	walAfterFirst := size(db + "-wal")
	time.Sleep(3 * checkpointEvery)
	write(1)
	time.Sleep(3 * checkpointEvery)
	write(2)
	if got := size(db + "-wal"); got > 2*walAfterFirst {
		t.Fatalf("WAL grew from %d to %d bytes over two more rounds of the same size: it is not being reused", walAfterFirst, got)
	}
}
