package shape_test

import (
	"strings"
	"testing"

	"github.com/openswf/openswf/internal/shape"
)

// heartbeatBody is what aws-sdk-go-v2 sends for a heartbeat with a task
// token of our length (136 characters) and short details.
var heartbeatBody = []byte(`{"details":"progress 42%","taskToken":"` + strings.Repeat("Ab3_", 34) + `"}`)

// BenchmarkDecodeHeartbeat is the wire layer's JSON decode and model
// validation of one heartbeat request.
func BenchmarkDecodeHeartbeat(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(heartbeatBody)))
	for b.Loop() {
		in, err := shape.Decode("RecordActivityTaskHeartbeat", heartbeatBody)
		if err != nil {
			b.Fatal(err)
		}
		if in.(*shape.RecordActivityTaskHeartbeatInput).TaskToken == "" {
			b.Fatal("no token")
		}
	}
}
