package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsswf "github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"
)

// runRoundtrip runs P pipelines for the duration, per concurrency level.
// Each pipeline is one goroutine playing starter, decider and worker in
// turn on task lists of its own:
//
//	StartWorkflowExecution
//	PollForDecisionTask → RespondDecisionTaskCompleted(ScheduleActivityTask)
//	PollForActivityTask → RecordActivityTaskHeartbeat → RespondActivityTaskCompleted
//	PollForDecisionTask → RespondDecisionTaskCompleted(CompleteWorkflowExecution)
//
// so every poll finds its task waiting and the figure is the server's pace
// through eight calls, not how pollers share a list. (moto_server has no
// long poll: a poll that finds nothing sleeps a second there; here none
// does.) Latency is start to close as the client sees it.
func runRoundtrip(ctx context.Context, t *target, o *Options, res *Result) error {
	if t.synthetic() {
		return errNoop
	}
	c := newClient(t, o)
	f, err := newFixture(ctx, c, t, o, "roundtrip")
	if err != nil {
		return err
	}
	res.cleanups = append(res.cleanups, f.cleanup)
	for _, p := range o.Concurrency {
		res.Runs = append(res.Runs, median(o, func() *RunResult { return roundtrips(ctx, f, p, o, t) }))
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

var errWrongTask = errors.New("a poll returned another workflow's task")

func roundtrips(ctx context.Context, f *fixture, pipelines int, o *Options, t *target) *RunResult {
	run := &RunResult{Name: fmt.Sprintf("p=%d", pipelines), Concurrency: pipelines, Unit: "workflows"}
	var (
		errs  errCounts
		ok    atomic.Int64
		mu    sync.Mutex // guards total
		total hist
		wg    sync.WaitGroup
		from  = time.Now().Add(o.Warmup)
		until = from.Add(o.Duration)
	)
	prog := newProgress(o, fmt.Sprintf("%s roundtrip p=%d", t.Label, pipelines), "workflows", 0, func() string {
		if n := errs.total(); n > 0 {
			return fmt.Sprintf("errors %s", count(n))
		}
		return ""
	})
	for p := range pipelines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var h hist
			gen := 0
			for i := 0; ctx.Err() == nil && time.Now().Before(until); i++ {
				lists := [2]string{fmt.Sprintf("rt-d-%d-%d", p, gen), fmt.Sprintf("rt-a-%d-%d", p, gen)}
				wid := fmt.Sprintf("rt-%d-%d", p, i)
				start := time.Now()
				err := f.roundtrip(ctx, wid, lists)
				end := time.Now()
				if err != nil {
					if ctx.Err() == nil && !end.Before(from) {
						errs.add(err)
					}
					gen++ // leave whatever is left on the old lists behind
					continue
				}
				if end.Before(from) || end.After(until) {
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
	cpu0 := sampleCPU(t.pid)
	wg.Wait()
	run.CPU = cpuBetween(cpu0, sampleCPU(t.pid))
	prog.done()
	lat := total.summary()
	run.Seconds, run.Count, run.Latency = o.Duration.Seconds(), total.n, &lat
	run.PerSecond = float64(total.n) / o.Duration.Seconds()
	run.Errors, run.ErrorExamples = errs.snapshot(), errs.examples()
	return run
}

// roundtrip takes one workflow from start to close.
func (f *fixture) roundtrip(ctx context.Context, workflowID string, lists [2]string) error {
	out, err := f.startWorkflow(ctx, workflowID, lists[0], "")
	if err != nil {
		return fmt.Errorf("StartWorkflowExecution: %w", err)
	}
	runID := aws.ToString(out.RunId)
	decide := func(ds []types.Decision) error {
		t, err := f.pollDecision(ctx, lists[0])
		if err != nil {
			return fmt.Errorf("PollForDecisionTask: %w", err)
		}
		if t == nil || aws.ToString(t.run.RunId) != runID {
			return errWrongTask
		}
		if err := f.respondDecision(ctx, t.token, ds); err != nil {
			return fmt.Errorf("RespondDecisionTaskCompleted: %w", err)
		}
		return nil
	}
	if err := decide(f.scheduleDecisions(1, lists[1], "60")); err != nil {
		return err
	}
	task, err := f.pollActivity(ctx, lists[1])
	if err != nil {
		return fmt.Errorf("PollForActivityTask: %w", err)
	}
	if task == nil || aws.ToString(task.WorkflowExecution.RunId) != runID {
		return errWrongTask
	}
	if _, err := f.c.RecordActivityTaskHeartbeat(ctx, &awsswf.RecordActivityTaskHeartbeatInput{TaskToken: task.TaskToken}); err != nil {
		return fmt.Errorf("RecordActivityTaskHeartbeat: %w", err)
	}
	if _, err := f.c.RespondActivityTaskCompleted(ctx, &awsswf.RespondActivityTaskCompletedInput{TaskToken: task.TaskToken, Result: aws.String("ok")}); err != nil {
		return fmt.Errorf("RespondActivityTaskCompleted: %w", err)
	}
	if err := decide([]types.Decision{{
		DecisionType: types.DecisionTypeCompleteWorkflowExecution,
		CompleteWorkflowExecutionDecisionAttributes: &types.CompleteWorkflowExecutionDecisionAttributes{Result: aws.String("done")},
	}}); err != nil {
		return err
	}
	// The run is closed: nothing for cleanup to terminate.
	f.forget(workflowID)
	return nil
}

// forget drops a closed run from the cleanup list. Runs close in about
// the order they start, so the search from the end is short.
func (f *fixture) forget(workflowID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.runs) - 1; i >= 0 && i >= len(f.runs)-4096; i-- {
		if aws.ToString(f.runs[i].WorkflowId) == workflowID {
			f.runs[i] = f.runs[len(f.runs)-1]
			f.runs = f.runs[:len(f.runs)-1]
			return
		}
	}
}
