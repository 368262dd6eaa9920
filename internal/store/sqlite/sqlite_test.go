package sqlite_test

import (
	"path/filepath"
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
			dir = filepath.Join(t.TempDir(), "data")
			dirs[t] = dir
		}
		mu.Unlock()
		s, err := sqlite.Open(dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
}
