package bench

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsswf "github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"
)

// Sample is one reading of the server during a soak.
type Sample struct {
	Seconds    float64 `json:"t_s"`        // since the load started
	Workflows  int64   `json:"workflows"`  // closed by the pipelines so far
	PerSecond  float64 `json:"per_s"`      // workflows closed a second since the last sample
	Errors     int64   `json:"errors"`     // so far
	RSS        int64   `json:"rss_bytes"`  // VmRSS
	Threads    int     `json:"threads"`    // OS threads
	Goroutines int     `json:"goroutines"` // the server's go_goroutines from /metrics; in-process, runtime.NumGoroutine (client included); -1 unknown
	OpenFiles  int     `json:"open_files"` // entries of /proc/PID/fd
	DBBytes    int64   `json:"db_bytes"`   // every file in the data directory (database, WAL, shared memory)
	WALBytes   int64   `json:"wal_bytes"`  // of which the WAL
	Open       int     `json:"open_executions"`
}

// runSoak runs P pipelines of mixed workflows for the duration and samples
// the server every o.SampleEvery: memory, threads, goroutines, open files,
// the database's size. Each workflow (on task lists of its pipeline's own)
// is started with a tag; its decider schedules an activity and a
// one-second timer; the worker heartbeats it twice, signals the workflow
// and completes (or fails) the activity; once the decider has seen the
// activity close, the signal and the timer fire, the workflow closes one
// of four ways in turn: completed, failed, terminated, or canceled at the
// client's request. Every tenth is described and its history read while
// open. The domain's retention is 0 days, so that with a short
// --retention-sweep the purge keeps the database bounded.
func runSoak(ctx context.Context, t *target, o *Options, res *Result) error {
	if t.synthetic() {
		return errNoop
	}
	c := newClient(t, o)
	f, err := newFixture(ctx, c, t, o, "soak")
	if err != nil {
		return err
	}
	res.cleanups = append(res.cleanups, f.cleanup)
	if t.dataDir == "" && t.Kind == kindURL {
		res.Notes = append(res.Notes, "an external server: its database size is not sampled")
	}

	run := &RunResult{Name: fmt.Sprintf("p=%d", o.Concurrency[0]), Concurrency: o.Concurrency[0], Unit: "workflows"}
	var (
		errs    errCounts
		done    atomic.Int64
		mu      sync.Mutex // guards total
		total   hist
		wg      sync.WaitGroup
		start   = time.Now()
		until   = start.Add(o.Duration)
		loadCtx context.Context
		stop    context.CancelFunc
	)
	loadCtx, stop = context.WithDeadline(ctx, until)
	defer stop()
	prog := newProgress(o, t.Label+" soak", "workflows", 0, func() string {
		if n := errs.total(); n > 0 {
			return fmt.Sprintf("errors %s", count(n))
		}
		return ""
	})
	for p := range o.Concurrency[0] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var h hist
			gen := 0
			for i := 0; loadCtx.Err() == nil; i++ {
				lists := [2]string{fmt.Sprintf("soak-d-%d-%d", p, gen), fmt.Sprintf("soak-a-%d-%d", p, gen)}
				t0 := time.Now()
				err := f.soakOne(loadCtx, fmt.Sprintf("soak-%d-%d", p, i), i, lists)
				if err != nil {
					if loadCtx.Err() == nil {
						errs.add(err)
					}
					gen++ // leave whatever is left on the old lists behind
					continue
				}
				h.add(time.Since(t0))
				prog.set(done.Add(1))
			}
			mu.Lock()
			total.merge(&h)
			mu.Unlock()
		}()
	}

	cpu0 := sampleCPU(t.pid)
	var samples []Sample
	take := func(prev *Sample) Sample {
		s := t.sample(ctx, f)
		s.Seconds = time.Since(start).Seconds()
		s.Workflows, s.Errors = done.Load(), errs.total()
		if prev != nil && s.Seconds > prev.Seconds {
			s.PerSecond = float64(s.Workflows-prev.Workflows) / (s.Seconds - prev.Seconds)
		}
		return s
	}
	first := take(nil)
	samples = append(samples, first)
	tick := time.NewTicker(o.SampleEvery)
	for loadCtx.Err() == nil {
		select {
		case <-tick.C:
			s := take(&samples[len(samples)-1])
			samples = append(samples, s)
			if !o.Quiet {
				fmt.Fprintf(o.Stderr, "soak %5.0fs: %d workflows (%.1f/s), %d errors, RSS %.1f MiB, %d threads, %d goroutines, %d files, db %.1f MiB, %d open\n",
					s.Seconds, s.Workflows, s.PerSecond, s.Errors, mib(s.RSS), s.Threads, s.Goroutines, s.OpenFiles, mib(s.DBBytes), s.Open)
			}
		case <-loadCtx.Done():
		}
	}
	tick.Stop()
	wg.Wait()
	run.CPU = cpuBetween(cpu0, sampleCPU(t.pid))
	prog.done()
	if ctx.Err() == nil {
		samples = append(samples, take(&samples[len(samples)-1]))
	}

	secs := time.Since(start).Seconds()
	lat := total.summary()
	run.Seconds, run.Count, run.Latency = secs, total.n, &lat
	run.PerSecond = float64(total.n) / secs
	run.Errors, run.ErrorExamples = errs.snapshot(), errs.examples()
	res.Runs = append(res.Runs, run)
	res.Samples = samples
	res.Notes = append(res.Notes, soakVerdict(samples)...)
	if o.SamplesFile != "" {
		if err := writeSamplesCSV(o.SamplesFile, samples); err != nil {
			return fmt.Errorf("write %s: %w", o.SamplesFile, err)
		}
	}
	return nil
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// soakOne takes one workflow from start to close, the i-th of its
// pipeline: i decides how it closes.
func (f *fixture) soakOne(ctx context.Context, workflowID string, i int, lists [2]string) error {
	out, err := f.c.StartWorkflowExecution(ctx, &awsswf.StartWorkflowExecutionInput{
		Domain: aws.String(f.domain), WorkflowId: aws.String(workflowID), WorkflowType: &f.wfType,
		TaskList: &types.TaskList{Name: aws.String(lists[0])}, Input: aws.String("soak"),
		TagList: []string{"soak", fmt.Sprintf("kind-%d", i%4)},
		// A run a failed pipeline leaves behind times out and is purged.
		ExecutionStartToCloseTimeout: aws.String("300"), TaskStartToCloseTimeout: aws.String("60"),
		ChildPolicy: types.ChildPolicyTerminate,
	})
	if err != nil {
		return fmt.Errorf("StartWorkflowExecution: %w", err)
	}
	run := &types.WorkflowExecution{WorkflowId: aws.String(workflowID), RunId: out.RunId}
	decision := func() (*decisionTask, error) {
		dt, err := f.pollDecision(ctx, lists[0])
		if err != nil {
			return nil, fmt.Errorf("PollForDecisionTask: %w", err)
		}
		if dt == nil || aws.ToString(dt.run.RunId) != aws.ToString(out.RunId) {
			return nil, errWrongTask
		}
		return dt, nil
	}
	respond := func(dt *decisionTask, ds ...types.Decision) error {
		if err := f.respondDecision(ctx, dt.token, ds); err != nil {
			return fmt.Errorf("RespondDecisionTaskCompleted: %w", err)
		}
		return nil
	}

	dt, err := decision()
	if err != nil {
		return err
	}
	ds := f.scheduleDecisions(1, lists[1], "60")
	ds = append(ds, types.Decision{
		DecisionType:                 types.DecisionTypeStartTimer,
		StartTimerDecisionAttributes: &types.StartTimerDecisionAttributes{TimerId: aws.String("t"), StartToFireTimeout: aws.String("1")},
	})
	if err := respond(dt, ds...); err != nil {
		return err
	}

	task, err := f.pollActivity(ctx, lists[1])
	if err != nil {
		return fmt.Errorf("PollForActivityTask: %w", err)
	}
	if task == nil || aws.ToString(task.WorkflowExecution.RunId) != aws.ToString(out.RunId) {
		return errWrongTask
	}
	for n := range 2 {
		if _, err := f.c.RecordActivityTaskHeartbeat(ctx, &awsswf.RecordActivityTaskHeartbeatInput{
			TaskToken: task.TaskToken, Details: aws.String(fmt.Sprintf("%d%%", 50*(n+1))),
		}); err != nil {
			return fmt.Errorf("RecordActivityTaskHeartbeat: %w", err)
		}
	}
	if _, err := f.c.SignalWorkflowExecution(ctx, &awsswf.SignalWorkflowExecutionInput{
		Domain: aws.String(f.domain), WorkflowId: run.WorkflowId, RunId: run.RunId, SignalName: aws.String("go"), Input: aws.String("now"),
	}); err != nil {
		return fmt.Errorf("SignalWorkflowExecution: %w", err)
	}
	if i%4 == 1 {
		_, err = f.c.RespondActivityTaskFailed(ctx, &awsswf.RespondActivityTaskFailedInput{TaskToken: task.TaskToken, Reason: aws.String("soak"), Details: aws.String("failed on purpose")})
	} else {
		_, err = f.c.RespondActivityTaskCompleted(ctx, &awsswf.RespondActivityTaskCompletedInput{TaskToken: task.TaskToken, Result: aws.String("ok")})
	}
	if err != nil {
		return fmt.Errorf("closing the activity: %w", err)
	}
	if i%10 == 0 {
		if _, err := f.c.DescribeWorkflowExecution(ctx, &awsswf.DescribeWorkflowExecutionInput{Domain: aws.String(f.domain), Execution: run}); err != nil {
			return fmt.Errorf("DescribeWorkflowExecution: %w", err)
		}
		if _, err := f.c.GetWorkflowExecutionHistory(ctx, &awsswf.GetWorkflowExecutionHistoryInput{Domain: aws.String(f.domain), Execution: run}); err != nil {
			return fmt.Errorf("GetWorkflowExecutionHistory: %w", err)
		}
	}

	// Decision tasks until the activity's close, the signal and the timer
	// are all in the history; each earlier one is answered with nothing.
	for polls := 0; ; polls++ {
		if dt, err = decision(); err != nil {
			return err
		}
		if soakReady(dt.events) {
			break
		}
		if polls == 10 {
			return fmt.Errorf("the history lacks the activity's close, the signal or the timer after %d decision tasks", polls+1)
		}
		if err := respond(dt); err != nil {
			return err
		}
	}
	switch i % 4 {
	case 0:
		err = respond(dt, types.Decision{DecisionType: types.DecisionTypeCompleteWorkflowExecution,
			CompleteWorkflowExecutionDecisionAttributes: &types.CompleteWorkflowExecutionDecisionAttributes{Result: aws.String("done")}})
	case 1:
		err = respond(dt, types.Decision{DecisionType: types.DecisionTypeFailWorkflowExecution,
			FailWorkflowExecutionDecisionAttributes: &types.FailWorkflowExecutionDecisionAttributes{Reason: aws.String("activity failed")}})
	case 2:
		if err = respond(dt); err == nil {
			if _, err = f.c.TerminateWorkflowExecution(ctx, &awsswf.TerminateWorkflowExecutionInput{
				Domain: aws.String(f.domain), WorkflowId: run.WorkflowId, RunId: run.RunId, Reason: aws.String("soak"),
			}); err != nil {
				err = fmt.Errorf("TerminateWorkflowExecution: %w", err)
			}
		}
	case 3:
		if err = respond(dt); err != nil {
			break
		}
		if _, err = f.c.RequestCancelWorkflowExecution(ctx, &awsswf.RequestCancelWorkflowExecutionInput{
			Domain: aws.String(f.domain), WorkflowId: run.WorkflowId, RunId: run.RunId,
		}); err != nil {
			err = fmt.Errorf("RequestCancelWorkflowExecution: %w", err)
			break
		}
		if dt, err = decision(); err != nil {
			break
		}
		err = respond(dt, types.Decision{DecisionType: types.DecisionTypeCancelWorkflowExecution,
			CancelWorkflowExecutionDecisionAttributes: &types.CancelWorkflowExecutionDecisionAttributes{Details: aws.String("asked to")}})
	}
	if err != nil {
		return err
	}
	f.forget(workflowID)
	return nil
}

// soakReady reports whether a history has the activity closed, the signal
// and the timer fired.
func soakReady(events []types.HistoryEvent) bool {
	var closed, signaled, fired bool
	for _, ev := range events {
		switch ev.EventType {
		case types.EventTypeActivityTaskCompleted, types.EventTypeActivityTaskFailed:
			closed = true
		case types.EventTypeWorkflowExecutionSignaled:
			signaled = true
		case types.EventTypeTimerFired:
			fired = true
		}
	}
	return closed && signaled && fired
}

// sample reads the server's process and data directory.
func (t *target) sample(ctx context.Context, f *fixture) Sample {
	s := Sample{Goroutines: -1}
	if t.pid != 0 {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", t.pid)); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				k, v, _ := strings.Cut(line, ":")
				f := strings.Fields(v)
				if len(f) == 0 {
					continue
				}
				n, _ := strconv.ParseInt(f[0], 10, 64)
				switch k {
				case "VmRSS":
					s.RSS = n << 10
				case "Threads":
					s.Threads = int(n)
				}
			}
		}
		if ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", t.pid)); err == nil {
			s.OpenFiles = len(ents)
		}
	}
	if t.pid == os.Getpid() {
		s.Goroutines = runtime.NumGoroutine()
	} else if n, ok := scrapeGoroutines(ctx, t.URL); ok {
		s.Goroutines = n
	}
	if t.dataDir != "" {
		filepath.WalkDir(t.dataDir, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			if info, err := d.Info(); err == nil {
				s.DBBytes += info.Size()
				if strings.HasSuffix(path, "-wal") {
					s.WALBytes += info.Size()
				}
			}
			return nil
		})
	}
	if out, err := f.c.CountOpenWorkflowExecutions(ctx, &awsswf.CountOpenWorkflowExecutionsInput{
		Domain: aws.String(f.domain), StartTimeFilter: &types.ExecutionTimeFilter{OldestDate: aws.Time(time.Unix(0, 0))},
	}); err == nil {
		s.Open = int(out.Count)
	} else {
		s.Open = -1
	}
	return s
}

// scrapeGoroutines reads go_goroutines from the server's /metrics, when it
// serves one.
func scrapeGoroutines(ctx context.Context, base string) (int, bool) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return 0, false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, false
	}
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 16<<20))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_goroutines "); ok {
			n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return int(n), err == nil
		}
	}
	return 0, false
}

// soakVerdict compares the end of a soak with its state after warm-up
// (the sample a third of the way in): what grew, and by how much.
func soakVerdict(samples []Sample) []string {
	if len(samples) < 4 {
		return nil
	}
	a, z := samples[len(samples)/3], samples[len(samples)-1]
	grew := func(name string, from, to float64, unit string) string {
		pct := 0.0
		if from > 0 {
			pct = (to - from) / from * 100
		}
		return fmt.Sprintf("%s %.1f%s at %.0fs, %.1f%s at the end (%+.0f%%)", name, from, unit, a.Seconds, to, unit, pct)
	}
	return []string{"after warm-up: " + strings.Join([]string{
		grew("RSS", mib(a.RSS), mib(z.RSS), " MiB"),
		grew("database", mib(a.DBBytes), mib(z.DBBytes), " MiB"),
		grew("open files", float64(a.OpenFiles), float64(z.OpenFiles), ""),
		grew("threads", float64(a.Threads), float64(z.Threads), ""),
		grew("goroutines", float64(a.Goroutines), float64(z.Goroutines), ""),
	}, "; ")}
}

// printSamples prints a soak's samples as a table.
func printSamples(w io.Writer, samples []Sample) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "t min\tworkflows\twf/s\terrors\tRSS MiB\tthreads\tgoroutines\topen files\tdb MiB\tWAL MiB\topen runs\t")
	for _, s := range samples {
		g := "-"
		if s.Goroutines >= 0 {
			g = strconv.Itoa(s.Goroutines)
		}
		fmt.Fprintf(tw, "%.1f\t%d\t%.1f\t%d\t%.1f\t%d\t%s\t%d\t%.1f\t%.1f\t%d\t\n",
			s.Seconds/60, s.Workflows, s.PerSecond, s.Errors, mib(s.RSS), s.Threads, g, s.OpenFiles, mib(s.DBBytes), mib(s.WALBytes), s.Open)
	}
	tw.Flush()
}

// writeSamplesCSV writes the samples, one a line, with a header.
func writeSamplesCSV(path string, samples []Sample) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	w.Write([]string{"t_s", "workflows", "per_s", "errors", "rss_bytes", "threads", "goroutines", "open_files", "db_bytes", "wal_bytes", "open_executions"})
	for _, s := range samples {
		w.Write([]string{
			strconv.FormatFloat(s.Seconds, 'f', 1, 64), strconv.FormatInt(s.Workflows, 10), strconv.FormatFloat(s.PerSecond, 'f', 2, 64),
			strconv.FormatInt(s.Errors, 10), strconv.FormatInt(s.RSS, 10), strconv.Itoa(s.Threads), strconv.Itoa(s.Goroutines),
			strconv.Itoa(s.OpenFiles), strconv.FormatInt(s.DBBytes, 10), strconv.FormatInt(s.WALBytes, 10), strconv.Itoa(s.Open),
		})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
