//go:build unix

package bench

import "syscall"

// raiseFileLimit raises this process's soft limit on open files towards
// n, as far as the hard limit allows: the abuse scenario holds thousands
// of connections.
func raiseFileLimit(n int) {
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) != nil || lim.Cur >= uint64(n) {
		return
	}
	lim.Cur = min(uint64(n), lim.Max)
	syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
}
