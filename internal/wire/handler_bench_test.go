package wire_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/swf"
	"github.com/openswf/openswf/internal/wire"
)

// heartbeatEngine answers every heartbeat from memory, like the bench's
// noop ceiling, so these benchmarks measure the wire layer alone.
type heartbeatEngine struct{}

func (heartbeatEngine) RecordActivityTaskHeartbeat(ctx context.Context, in *shape.RecordActivityTaskHeartbeatInput) (*shape.ActivityTaskStatus, error) {
	return &shape.ActivityTaskStatus{}, nil
}

var heartbeatBody = []byte(`{"details":"progress 42%","taskToken":"` + strings.Repeat("Ab3_", 34) + `"}`)

func benchHandler(b *testing.B) http.Handler {
	b.Helper()
	h, err := wire.New(heartbeatEngine{}, slog.New(slog.NewTextHandler(io.Discard, nil)), swf.DefaultLimits())
	if err != nil {
		b.Fatal(err)
	}
	return h
}

func heartbeatRequest(url string) *http.Request {
	r, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(heartbeatBody))
	r.Header.Set("X-Amz-Target", "SimpleWorkflowService.RecordActivityTaskHeartbeat")
	r.Header.Set("Content-Type", "application/x-amz-json-1.0")
	// What an SDK sends; unchecked without --auth, but its region is read.
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20261201/us-east-1/swf/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
	return r
}

// BenchmarkHandlerHeartbeat is ServeHTTP for one heartbeat, without a
// network: routing, body read, decode and validation, encoding.
func BenchmarkHandlerHeartbeat(b *testing.B) {
	h := benchHandler(b)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, heartbeatRequest("/"))
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

// BenchmarkHTTPHeartbeat is a heartbeat end to end over loopback HTTP
// (net/http client, keep-alive), many at once: the wire layer plus
// net/http on both ends, with no SigV4 signing and no SDK.
func BenchmarkHTTPHeartbeat(b *testing.B) {
	srv := httptest.NewServer(benchHandler(b))
	b.Cleanup(srv.Close)
	tr := &http.Transport{MaxIdleConnsPerHost: 256}
	b.Cleanup(tr.CloseIdleConnections)
	c := &http.Client{Transport: tr}
	b.ReportAllocs()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := c.Do(heartbeatRequest(srv.URL))
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	})
}
