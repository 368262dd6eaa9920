package bench

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openswf/openswf/internal/server"
)

// TestSmoke runs every scenario for a second or two at tiny sizes against
// a server in this process (and the heartbeat against the noop ceiling
// too), so the bench cannot rot. It checks that each scenario ran and that
// its numbers are sane — counts above zero, no errors, latencies positive
// and ordered — never a speed.
func TestSmoke(t *testing.T) {
	t.Parallel()
	base := Options{
		Duration: time.Second, Warmup: 200 * time.Millisecond, Cleanup: true,
		TempDir: t.TempDir(), Quiet: true, Stdout: io.Discard, Stderr: io.Discard,
	}
	for name, tc := range map[string]struct {
		opts  func(o *Options)
		check func(t *testing.T, rep *Report)
	}{
		"Heartbeat": {
			opts: func(o *Options) {
				o.Scenario, o.Targets, o.Tasks, o.Concurrency = "heartbeat", []string{"server", "noop", "plain", "flush"}, 10, []int{1, 2}
			},
			check: func(t *testing.T, rep *Report) {
				if len(rep.Results) != 4 {
					t.Fatalf("got %d results, want 4 (server, noop, plain, flush)", len(rep.Results))
				}
				for _, r := range rep.Results {
					if len(r.Runs) != 2 {
						t.Fatalf("%s: got %d runs, want 2 (c=1, c=2)", r.Target, len(r.Runs))
					}
					for _, run := range r.Runs {
						checkRun(t, r.Target, run)
					}
				}
				if s := rep.Results[0].Setup; s == nil || s.Tasks != 10 || s.Synthetic {
					t.Errorf("server set-up: got %+v, want 10 real tasks", s)
				}
				for _, r := range rep.Results[1:] {
					if s := r.Setup; s == nil || !s.Synthetic {
						t.Errorf("%s set-up: got %+v, want synthetic", r.Target, s)
					}
				}
			},
		},
		"Roundtrip": {
			opts: func(o *Options) {
				o.Scenario, o.Targets, o.Concurrency = "roundtrip", []string{"server"}, []int{2}
			},
			check: func(t *testing.T, rep *Report) {
				checkRun(t, "server", onlyRun(t, rep))
			},
		},
		"Timers": {
			opts: func(o *Options) {
				// 20 lapse; 10 more stay armed as load.
				o.Scenario, o.Targets, o.Tasks, o.Probes, o.HeartbeatTimeout, o.Grace = "timers", []string{"server"}, 30, 20, 1, 10*time.Second
			},
			check: func(t *testing.T, rep *Report) {
				run := onlyRun(t, rep)
				if run.Count != 20 || run.Expected != 20 {
					t.Fatalf("got %d of %d timeouts, want 20 of 20", run.Count, run.Expected)
				}
				if len(run.Errors) > 0 {
					t.Fatalf("errors: %v %v", run.Errors, run.ErrorExamples)
				}
				for what, l := range map[string]*latency{"history": run.HistoryLateness, "decider": run.DeciderLateness} {
					// The history's timestamps are in milliseconds, so a timeout
					// recorded within its deadline's millisecond shows as 0.
					if l == nil || l.Count != 20 || l.Min < 0 || l.P50 > l.P99 || l.P99 > l.Max {
						t.Errorf("%s lateness: got %+v, want 20 samples, none negative, ordered", what, l)
					}
				}
				if run.DeciderLateness.Max <= 0 {
					t.Errorf("decider lateness: got max %v ms, want > 0", run.DeciderLateness.Max)
				}
			},
		},
		"Scale": {
			opts: func(o *Options) {
				o.Scenario, o.Targets, o.Tasks, o.PerWorkflow, o.Concurrency = "scale", []string{"server"}, 200, 50, []int{4}
			},
			check: func(t *testing.T, rep *Report) {
				run := onlyRun(t, rep)
				checkRun(t, "server", run)
				if m := run.MemoryAfter; m == nil || m.RSS <= 0 || m.Heap <= 0 {
					t.Errorf("memory: got %+v, want RSS and heap > 0", m)
				}
				if run.RoundSeconds <= 0 || run.TasksTouched <= 0 {
					t.Errorf("got round %vs over %d tasks touched, want both > 0", run.RoundSeconds, run.TasksTouched)
				}
			},
		},
		"Abuse": {
			opts: func(o *Options) {
				o.Scenario, o.Targets, o.Tasks, o.Concurrency, o.Rate = "abuse", []string{"server"}, 10, []int{2}, 200
				o.IdleConns, o.LongPolls, o.SlowClients, o.Flooders, o.FloodRate = 20, 20, 2, 1, 50
				o.Duration = 1500 * time.Millisecond
				o.serverConfig = func(c *server.Config) {
					c.ReadHeaderTimeout, c.ReadBodyTimeout = 300*time.Millisecond, 300*time.Millisecond
				}
			},
			check: func(t *testing.T, rep *Report) {
				r := rep.Results[0]
				if len(r.Runs) != 3 {
					t.Fatalf("got %d runs, want quiet, abuse, quiet again", len(r.Runs))
				}
				for _, run := range r.Runs {
					checkRun(t, "server", run)
				}
				if m := r.Runs[1].MemoryAfter; m == nil || m.RSS <= 0 {
					t.Errorf("abuse run: memory %+v, want the peak RSS", m)
				}
				// Every abuser met the limit meant for it, and nothing else.
				for kind, want := range map[string][]string{
					"idle":           {"connections closed by the server"},
					"slow headers":   {"cut off"},
					"slow body":      {"cut off with 400"},
					"bad signatures": {"answered 400"},
					// A 2 MiB body still being sent when the server has
					// answered 413 and closed may see the reset first.
					"oversized or nested": {"answered 4", "connection reset"},
				} {
					got := r.Abuse[kind]
					if len(got) == 0 {
						t.Errorf("%s: nothing happened", kind)
					}
					for outcome, n := range got {
						if !slices.ContainsFunc(want, func(w string) bool { return strings.HasPrefix(outcome, w) }) {
							t.Errorf("%s: %d %q, want only %q", kind, n, outcome, want)
						}
					}
				}
				if got := r.Abuse["oversized or nested"]; got["answered 413"] == 0 || got["answered 400"] == 0 {
					t.Errorf("oversized or nested: %v, want 413s (oversized) and 400s (nested)", got)
				}
			},
		},
		"Soak": {
			opts: func(o *Options) {
				o.Scenario, o.Targets, o.Concurrency = "soak", []string{"server"}, []int{2}
				o.Duration, o.SampleEvery, o.RetentionSweep = 4*time.Second, time.Second, time.Second
				o.SamplesFile = filepath.Join(o.TempDir, "soak.csv")
			},
			check: func(t *testing.T, rep *Report) {
				run := onlyRun(t, rep)
				checkRun(t, "server", run)
				samples := rep.Results[0].Samples
				if len(samples) < 4 {
					t.Fatalf("got %d samples, want one at the start, one a second and one at the end", len(samples))
				}
				for _, s := range samples {
					if s.RSS <= 0 || s.Threads <= 0 || s.Goroutines <= 0 || s.OpenFiles <= 0 || s.DBBytes <= 0 || s.Open < 0 {
						t.Errorf("sample at %.1fs: %+v, want every figure read", s.Seconds, s)
					}
				}
				last := samples[len(samples)-1]
				if last.Workflows != run.Count || last.Errors != 0 {
					t.Errorf("last sample: %d workflows, %d errors; the run closed %d", last.Workflows, last.Errors, run.Count)
				}
				if last.Open > 2 {
					t.Errorf("%d runs open at the end, want at most one per pipeline", last.Open)
				}
				b, err := os.ReadFile(filepath.Join(base.TempDir, "soak.csv"))
				if err != nil {
					t.Fatal(err)
				}
				if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); len(lines) != len(samples)+1 || !strings.HasPrefix(lines[0], "t_s,workflows,") {
					t.Errorf("soak.csv: got %d lines starting %q, want a header and %d samples", len(lines), lines[0], len(samples))
				}
			},
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			o := base
			tc.opts(&o)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			rep, err := Run(ctx, o)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			for _, r := range rep.Results {
				if r.Error != "" {
					t.Fatalf("%s: %s", r.Target, r.Error)
				}
			}
			tc.check(t, rep)
		})
	}
}

func onlyRun(t *testing.T, rep *Report) *RunResult {
	t.Helper()
	if len(rep.Results) != 1 || len(rep.Results[0].Runs) != 1 {
		t.Fatalf("got %d results, want 1 with 1 run", len(rep.Results))
	}
	return rep.Results[0].Runs[0]
}

// checkRun asserts a throughput run is sane: it did something, without
// errors, and its latencies are positive and ordered.
func checkRun(t *testing.T, target string, run *RunResult) {
	t.Helper()
	if run.Count <= 0 || run.PerSecond <= 0 {
		t.Errorf("%s %s: got %d %s (%v/s), want > 0", target, run.Name, run.Count, run.Unit, run.PerSecond)
	}
	if len(run.Errors) > 0 {
		t.Errorf("%s %s: errors %v: %v", target, run.Name, run.Errors, run.ErrorExamples)
	}
	l := run.Latency
	if l == nil || l.Count != run.Count || l.Min <= 0 || l.P50 > l.P90 || l.P90 > l.P99 || l.P99 > l.Max {
		t.Errorf("%s %s: latency %+v: want count %d, positive and ordered", target, run.Name, l, run.Count)
	}
}
