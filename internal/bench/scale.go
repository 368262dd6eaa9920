package bench

import (
	"context"
	"fmt"
	"runtime"
	"time"
)

// runScale opens K activity tasks (PerWorkflow to a workflow) with a long
// heartbeat timeout, then heartbeats them round-robin for the duration at
// each concurrency level, as fast as possible or paced to --rate. It
// reports the server's memory before the set-up and after the heartbeats,
// the sustained heartbeats/s, and how long one round over all K takes at
// that rate: under the heartbeat timeout, the server keeps all K alive.
//
// The RSS is the server process's: a spawned server's (--spawn-server),
// --pid's, or this process's for --start-server, where it includes the
// client and its K tokens (the Go heap figure then covers both too).
func runScale(ctx context.Context, t *target, o *Options, res *Result) error {
	if t.synthetic() {
		return errNoop
	}
	c := newClient(t, o)
	before, merr := settledMemory(t)
	if merr != nil {
		res.Notes = append(res.Notes, "no server memory figures: "+merr.Error())
	}
	tokens, err := heartbeatTokens(ctx, c, t, o, res, "scale")
	if err != nil {
		return err
	}
	opened, _ := settledMemory(t)
	for _, conc := range o.Concurrency {
		run := median(o, func() *RunResult {
			return hammer(ctx, c, tokens, hammerConfig{
				conc: conc, dur: o.Duration, warmup: o.Warmup, rate: o.Rate, details: details(o.DetailsBytes),
				label: fmt.Sprintf("%s scale c=%d", t.Label, conc), pid: t.pid, o: o,
			})
		})
		run.Expected = len(tokens)
		if run.PerSecond > 0 {
			run.RoundSeconds = float64(len(tokens)) / run.PerSecond
			run.KeepsUpWithTTL = run.RoundSeconds < float64(o.HeartbeatTimeout)
		}
		if merr == nil {
			after, _ := settledMemory(t)
			run.MemoryBefore, run.MemoryAfter = &before, &after
		}
		res.Runs = append(res.Runs, run)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if merr == nil {
		res.Notes = append(res.Notes, fmt.Sprintf("server RSS: %.1f MiB before set-up, %.1f MiB with %d tasks open before heartbeating",
			float64(before.RSS)/(1<<20), float64(opened.RSS)/(1<<20), len(tokens)))
	}
	return nil
}

// settledMemory reads the server's memory; for an in-process server it
// collects garbage first so the heap figure is the live heap.
func settledMemory(t *target) (memory, error) {
	if t.Kind == kindServer {
		runtime.GC()
		time.Sleep(50 * time.Millisecond)
	}
	return t.memoryOf()
}
