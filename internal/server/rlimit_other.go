//go:build !unix

package server

// nofile reports no limit on open files where the system has none to
// read (Windows: handles are not limited that way).
func nofile() (cur, max uint64, ok bool) { return 0, 0, false }

func setNofile(cur uint64) bool { return false }
