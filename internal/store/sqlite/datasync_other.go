//go:build !linux

package sqlite

import (
	"os"
	"runtime"
)

// newDataSyncer returns the blocking flusher: AIO flushes are Linux-only.
func newDataSyncer() dataSyncer {
	return blockingSyncer{reason: "no AIO flush on " + runtime.GOOS}
}

// fdatasync flushes f. Go's File.Sync is fsync(2), or F_FULLFSYNC on
// macOS, which is what durability needs there.
func fdatasync(f *os.File) error { return f.Sync() }
