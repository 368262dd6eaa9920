package conformance

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/openswf/openswf/internal/swftest"
)

// TestMain fails the run if any server left a goroutine behind after its
// Env closed.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaks := swftest.LeakedGoroutines(5 * time.Second); leaks != "" {
			fmt.Fprintf(os.Stderr, "goroutines left running after every server closed:\n\n%s\n", leaks)
			code = 1
		}
	}
	os.Exit(code)
}
