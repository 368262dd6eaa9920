package sqlite

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// errDirLocked reports a data directory another process holds.
var errDirLocked = errors.New("data directory in use")

// lockFile is the file in the data directory whose OS lock says which
// process owns the directory.
const lockFile = "LOCK"

// lockDir takes the data directory for this process, for as long as the
// returned file stays open: two servers over one database would each hold
// their own copy of the state in memory, hand out the same tasks and fire
// the same timers. The lock is the OS's (flock, LockFileEx), so it goes away
// with the process however it ends; the file keeps the owner's pid only to
// name it in the error.
func lockDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, lockFile)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := lockFileNB(f); err != nil {
		owner := "another process"
		if b, rerr := os.ReadFile(path); rerr == nil {
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil {
				owner = fmt.Sprintf("process %d", pid)
			}
		}
		f.Close()
		if errors.Is(err, errDirLocked) {
			return nil, fmt.Errorf("%w: %s is held by %s (another swf server?); stop it or give this one another --data-dir", errDirLocked, dir, owner)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return f, nil
}
