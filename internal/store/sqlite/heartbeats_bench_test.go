package sqlite_test

import (
	"testing"

	"github.com/openswf/openswf/internal/store/storetest"
)

// BenchmarkHeartbeats is the heartbeat benchmark every driver runs
// (storetest), to compare sqlite with postgres.
func BenchmarkHeartbeats(b *testing.B) {
	storetest.BenchmarkHeartbeats(b, opener())
}
