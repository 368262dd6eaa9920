package bench

import (
	"os"

	"golang.org/x/sys/unix"
)

// datasync flushes f's data as SQLite's WAL flush does (fdatasync).
func datasync(f *os.File) error { return unix.Fdatasync(int(f.Fd())) }
