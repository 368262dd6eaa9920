//go:build unix

package server

import "syscall"

// nofile returns the process's soft and hard limits on open files.
func nofile() (cur, max uint64, ok bool) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, 0, false
	}
	return uint64(lim.Cur), uint64(lim.Max), true
}

// setNofile sets the soft limit on open files.
func setNofile(cur uint64) bool {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return false
	}
	lim.Cur = cur
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim) == nil
}
