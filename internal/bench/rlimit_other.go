//go:build !unix

package bench

// raiseFileLimit does nothing where open files have no such limit.
func raiseFileLimit(n int) {}
