//go:build !linux

package sqlite

import (
	"errors"
	"os"
	"runtime"
)

// newDataSyncer returns the blocking flusher: AIO flushes are Linux-only.
func newDataSyncer(string) dataSyncer {
	return blockingSyncer{reason: "no AIO flush on " + runtime.GOOS}
}

// fdatasync flushes f. Go's File.Sync is fsync(2), or F_FULLFSYNC on
// macOS, which is what durability needs there.
func fdatasync(f *os.File) error { return f.Sync() }

// aioSyncer is Linux's; elsewhere newAIOSyncer always refuses, so code
// and tests that name it build on every system.
type aioSyncer struct{ dataSyncer }

func newAIOSyncer(string) (*aioSyncer, error) {
	return nil, errors.New("no AIO flush on " + runtime.GOOS)
}
