package conformance

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/openswf/openswf/internal/swftest"
)

// TestMain fails the run if any server left a goroutine behind after its
// Env closed, or if aws-sdk-go v1 reads any answer the tests received
// differently from AWS's (sdkv1_test.go).
func TestMain(m *testing.M) {
	rec := swftest.Record()
	code := m.Run()
	if code == 0 {
		if leaks := swftest.LeakedGoroutines(5 * time.Second); leaks != "" {
			fmt.Fprintf(os.Stderr, "goroutines left running after every server closed:\n\n%s\n", leaks)
			code = 1
		}
	}
	if report := sdkv1Report(rec.Exchanges()); report != "" {
		fmt.Fprintf(os.Stderr, "%s\n", report)
		code = 1
	}
	os.Exit(code)
}
