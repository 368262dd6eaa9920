package swftest

import (
	"bytes"
	"runtime"
	"strings"
	"time"
)

// LeakedGoroutines returns the stacks of goroutines still running openswf
// code (anything under github.com/openswf/openswf/internal/ other than this
// check), waiting up to grace for them to end first; "" means none. Call it
// from TestMain after m.Run, once every Env is closed: a server that leaves
// a goroutine behind after Close has a shutdown bug.
func LeakedGoroutines(grace time.Duration) string {
	deadline := time.Now().Add(grace)
	for {
		leaks := openswfGoroutines()
		if len(leaks) == 0 {
			return ""
		}
		if time.Now().After(deadline) {
			return strings.Join(leaks, "\n\n")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func openswfGoroutines() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		s := string(g)
		if strings.Contains(s, "github.com/openswf/openswf/internal/") && !strings.Contains(s, "swftest.openswfGoroutines") &&
			!strings.Contains(s, "swftest.LeakedGoroutines") {
			out = append(out, s)
		}
	}
	return out
}
