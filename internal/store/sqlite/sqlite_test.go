package sqlite_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/openswf/openswf/internal/store"
	"github.com/openswf/openswf/internal/store/sqlite"
	"github.com/openswf/openswf/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Exercise(t, opener())
}

// opener gives each test its own directory, the same one on every call.
func opener() storetest.Opener {
	var mu sync.Mutex
	dirs := map[testing.TB]string{}
	return func(t testing.TB) store.Store {
		mu.Lock()
		dir, ok := dirs[t]
		if !ok {
			// A benchmark's runs each have their own TempDir.
			dir = filepath.Join(t.TempDir(), "data")
			dirs[t] = dir
			t.Cleanup(func() {
				mu.Lock()
				delete(dirs, t)
				mu.Unlock()
			})
		}
		mu.Unlock()
		s, err := sqlite.Open(dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
}

// TestDataDirLocked: one process owns a data directory; a second Open
// (another server) is refused with a message naming the owner, and the
// directory is free again once the first closes.
func TestDataDirLocked(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first, err := sqlite.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = sqlite.Open(dir, nil)
	if err == nil {
		t.Fatal("a second Open of a data directory in use succeeded")
	}
	if msg := err.Error(); !strings.Contains(msg, "in use") || !strings.Contains(msg, fmt.Sprintf("process %d", os.Getpid())) {
		t.Fatalf("got %q, want it to say the directory is in use by process %d", msg, os.Getpid())
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := sqlite.Open(dir, nil)
	if err != nil {
		t.Fatalf("Open after the owner closed: %v", err)
	}
	again.Close()
}
