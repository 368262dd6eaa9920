package server

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// TestMonitoringFiles checks that the Grafana dashboard and the alerting
// rules in docs/ name only metrics the server exports, so that a renamed
// metric cannot leave them silently empty.
func TestMonitoringFiles(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	exported := map[string]bool{}
	families, err := srv.metrics.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		exported[f.GetName()] = true
	}
	// Metrics a single idle node does not emit (shards owned, per-domain
	// counts, denials) are still described.
	descs := make(chan *prometheus.Desc, 64)
	srv.metrics.stats.Describe(descs)
	srv.metrics.denials.Describe(descs)
	close(descs)
	fqName := regexp.MustCompile(`fqName: "([a-z_]+)"`)
	for d := range descs {
		if m := fqName.FindStringSubmatch(d.String()); m != nil {
			exported[m[1]] = true
		}
	}
	name := regexp.MustCompile(`\b(openswf_[a-z_]+|go_[a-z_]+|process_[a-z_]+)\b`)
	for _, file := range []string{"../../docs/grafana/openswf.json", "../../docs/prometheus/alerts.yml"} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		seen := 0
		for _, n := range name.FindAllString(string(data), -1) {
			family := n
			for _, suffix := range []string{"_bucket", "_count", "_sum"} {
				if base, ok := strings.CutSuffix(n, suffix); ok && exported[base] {
					family = base
				}
			}
			if !exported[family] {
				t.Errorf("%s names %s, which the server does not export", file, n)
			}
			seen++
		}
		if seen == 0 {
			t.Errorf("%s names no metric", file)
		}
	}
}

// BenchmarkMetricsHeartbeat is what metrics add to one heartbeat: the
// request's counters and latency, and the commit wait the engine reports.
// It must not allocate (docs/benchmarks.md, "metrics cost").
func BenchmarkMetricsHeartbeat(b *testing.B) {
	m := newMetrics(DefaultMetricsTaskLists)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.ChangeDurable(300 * time.Microsecond)
			m.ObserveRequest("RecordActivityTaskHeartbeat", "", 450*time.Microsecond)
		}
	})
}

func TestMetricsHeartbeatAllocs(t *testing.T) {
	m := newMetrics(DefaultMetricsTaskLists)
	if n := testing.AllocsPerRun(1000, func() {
		m.ChangeDurable(300 * time.Microsecond)
		m.ObserveRequest("RecordActivityTaskHeartbeat", "", 450*time.Microsecond)
	}); n != 0 {
		t.Fatalf("metrics of one heartbeat: %v allocations, want 0", n)
	}
}
