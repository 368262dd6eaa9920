package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestServerBadLogFormat(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"server", "--log-format", "xml"}, io.Discard, &stderr); code != 2 {
		t.Fatalf("got exit %d, want 2", code)
	}
	if !strings.Contains(stderr.String(), "unknown --log-format") {
		t.Fatalf("got stderr %q, want it to name --log-format", stderr.String())
	}
}

// TestServerJSONLogsAndMetricsListen runs `swf server --log-format json
// --metrics-listen`: every log line is a JSON object, and the second
// listener answers /metrics and /healthz.
func TestServerJSONLogsAndMetricsListen(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"server", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir(),
			"--log-format", "json", "--metrics-listen", "127.0.0.1:0"}, io.Discard, pw)
		pw.Close()
	}()
	lines := make(chan map[string]any, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			var rec map[string]any
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
				t.Errorf("log line is not JSON: %q", sc.Text())
				continue
			}
			lines <- rec
		}
	}()
	var metricsAddr, apiAddr string
	deadline := time.After(30 * time.Second)
	for metricsAddr == "" || apiAddr == "" {
		select {
		case rec := <-lines:
			msg, _ := rec["msg"].(string)
			if a, ok := strings.CutPrefix(msg, "metrics and health checks on "); ok {
				metricsAddr = a
			}
			if a, ok := strings.CutPrefix(msg, "listening on "); ok {
				apiAddr = a
			}
		case <-deadline:
			t.Fatal("no start-up lines within 30 s")
		}
	}
	checkServes(t, apiAddr)
	for _, path := range []string{"/metrics", "/healthz", "/readyz"} {
		res, err := http.Get("http://" + metricsAddr + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: got %d, want 200", path, res.StatusCode)
		}
		if path == "/metrics" && !strings.Contains(string(body), `openswf_requests_total{op="ListDomains",outcome="ValidationException"} 1`) {
			t.Errorf("GET /metrics: the ListDomains call (no registrationStatus) is not counted:\n%s", body)
		}
	}
	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Fatalf("got exit %d, want 0", c)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("server did not stop within 20 s of cancel")
	}
	for range lines {
	}
}
