package bench

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsswf "github.com/aws/aws-sdk-go-v2/service/swf"
)

// runHeartbeat opens N activity tasks and heartbeats them with each
// concurrency level in turn, for the configured duration each.
//
// Against the noop ceiling there is nothing to set up (it implements
// nothing but the heartbeat): the tokens are synthetic, random base64url
// strings of the length of our own tokens, which it accepts unread.
func runHeartbeat(ctx context.Context, t *target, o *Options, res *Result) error {
	c := newClient(t, o)
	tokens, err := heartbeatTokens(ctx, c, t, o, res, "heartbeat")
	if err != nil {
		return err
	}
	if n := flushNote(t); n != "" {
		res.Notes = append(res.Notes, n)
	}
	for _, conc := range o.Concurrency {
		run := median(o, func() *RunResult {
			return hammer(ctx, c, tokens, hammerConfig{
				conc: conc, dur: o.Duration, warmup: o.Warmup, details: details(o.DetailsBytes),
				label: fmt.Sprintf("%s heartbeat c=%d", t.Label, conc), pid: t.pid, o: o,
			})
		})
		res.Runs = append(res.Runs, run)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

// heartbeatTokens opens o.Tasks activity tasks on a real server, or makes
// up tokens for the noop ceiling. The set-up's deciders are stopped before
// it returns, and the workflows are terminated when ctx's run ends (by a
// cleanup registered on res).
func heartbeatTokens(ctx context.Context, c *awsswf.Client, t *target, o *Options, res *Result, scenario string) ([]string, error) {
	if t.synthetic() {
		tokens := make([]string, o.Tasks)
		for i := range tokens {
			tokens[i] = syntheticToken()
		}
		res.Setup = &SetupResult{Tasks: o.Tasks, Synthetic: true}
		res.Notes = append(res.Notes, t.Label+": no set-up; synthetic tokens, answered from memory without being read")
		return tokens, nil
	}
	f, err := newFixture(ctx, c, t, o, scenario)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	prog := newProgress(o, t.Label+" set-up", "tasks open", int64(o.Tasks), nil)
	stop := f.startDeciders(nil)
	tasks, err := f.openActivities(ctx, "wf", o.Tasks, o.PerWorkflow, fmt.Sprint(o.HeartbeatTimeout), 0, prog)
	stop()
	prog.done()
	if err != nil {
		f.cleanup()
		return nil, err
	}
	secs := time.Since(start).Seconds()
	res.Notes = append(res.Notes, f.setupNotes()...)
	res.Setup = &SetupResult{Tasks: len(tasks), Workflows: (o.Tasks + o.PerWorkflow - 1) / o.PerWorkflow, Seconds: secs, PerSecond: float64(len(tasks)) / secs}
	tokens := make([]string, len(tasks))
	for i, tk := range tasks {
		tokens[i] = tk.token
	}
	res.cleanups = append(res.cleanups, f.cleanup)
	return tokens, nil
}

// syntheticToken is as long as one of our activity tokens (about 100
// bytes before base64url).
func syntheticToken() string {
	b := make([]byte, 102)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func details(n int) *string {
	if n == 0 {
		return nil
	}
	return aws.String(strings.Repeat("p", n))
}

// hammerConfig is one heartbeat run.
type hammerConfig struct {
	conc    int
	dur     time.Duration
	warmup  time.Duration
	rate    float64 // total heartbeats/s to pace to; 0: as fast as possible
	details *string
	label   string
	pid     int // the server's process, for the CPU figures
	o       *Options
}

// hammer heartbeats tokens round-robin from conc goroutines: warm-up
// first (not measured), then dur measured. A call counts if it completes
// inside the measured window; its latency is the SDK call's, signing and
// parsing included (as an application sees it).
func hammer(ctx context.Context, c *awsswf.Client, tokens []string, cfg hammerConfig) *RunResult {
	run := &RunResult{Name: fmt.Sprintf("c=%d", cfg.conc), Concurrency: cfg.conc, Unit: "calls"}
	if len(tokens) == 0 {
		return run
	}
	var (
		next    atomic.Int64
		ok      atomic.Int64 // measured successes, for progress
		errs    errCounts
		mu      sync.Mutex // guards total
		total   hist
		wg      sync.WaitGroup
		t0      = time.Now()
		from    = t0.Add(cfg.warmup)
		until   = from.Add(cfg.dur)
		perCall time.Duration
	)
	if cfg.rate > 0 {
		perCall = time.Duration(float64(time.Second) / cfg.rate)
	}
	prog := newProgress(cfg.o, cfg.label, "calls", 0, func() string {
		if n := errs.total(); n > 0 {
			return fmt.Sprintf("errors %s", count(n))
		}
		return ""
	})
	for range cfg.conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var h hist
			in := &awsswf.RecordActivityTaskHeartbeatInput{Details: cfg.details}
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if perCall > 0 {
					due := t0.Add(time.Duration(i) * perCall)
					if due.After(until) {
						break
					}
					if d := time.Until(due); d > 0 {
						sleepCtx(ctx, d)
					}
				}
				start := time.Now()
				if !start.Before(until) {
					break
				}
				in.TaskToken = aws.String(tokens[i%int64(len(tokens))])
				_, err := c.RecordActivityTaskHeartbeat(ctx, in)
				end := time.Now()
				if end.Before(from) || end.After(until) {
					continue
				}
				if err != nil {
					if ctx.Err() == nil {
						errs.add(err)
					}
					continue
				}
				h.add(end.Sub(start))
				prog.set(ok.Add(1))
			}
			mu.Lock()
			total.merge(&h)
			mu.Unlock()
		}()
	}
	sleepCtx(ctx, time.Until(from))
	cpu0 := sampleCPU(cfg.pid)
	wg.Wait()
	run.CPU = cpuBetween(cpu0, sampleCPU(cfg.pid))
	prog.done()
	secs := cfg.dur.Seconds()
	if now := time.Now(); now.Before(until) { // canceled early
		secs = now.Sub(from).Seconds()
	}
	lat := total.summary()
	run.Seconds, run.Count, run.Latency = secs, total.n, &lat
	if secs > 0 {
		run.PerSecond = float64(total.n) / secs
	}
	run.Errors, run.ErrorExamples = errs.snapshot(), errs.examples()
	run.TasksTouched = min(next.Load(), int64(len(tokens)))
	return run
}
