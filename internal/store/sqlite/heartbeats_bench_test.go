package sqlite_test

import (
	"path/filepath"
	"sync"
	"testing"

	"github.com/openswf/openswf/internal/store"
	"github.com/openswf/openswf/internal/store/sqlite"
	"github.com/openswf/openswf/internal/store/storetest"
)

// BenchmarkHeartbeats is the heartbeat benchmark every driver runs
// (storetest), to compare sqlite with postgres.
func BenchmarkHeartbeats(b *testing.B) {
	var mu sync.Mutex
	dirs := map[testing.TB]string{}
	storetest.BenchmarkHeartbeats(b, func(t testing.TB) store.Store {
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
	})
}
