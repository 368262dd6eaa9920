package engine

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync"
	"testing"

	"github.com/openswf/openswf/internal/clock"
	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/store/sqlite"
	"github.com/openswf/openswf/internal/swf"
)

// TestMemoryPerActivity measures the Go heap an open, started,
// heartbeating activity task costs, set up as `swf bench scale` does
// (100 to a workflow, heartbeat timeout 3600 s, the other timeouts NONE):
// once as the tasks are opened, and once more after a restart reloads them
// from the store. It is a measurement, not a check, so it runs only when
// asked:
//
//	SWF_MEMTEST_N=100000 go test -run TestMemoryPerActivity -v ./internal/engine/
//
// SWF_MEMTEST_PROFILE=file also writes in-use heap profiles of both, to
// file.opened and file.reloaded (go tool pprof -sample_index=inuse_space).
//
// The history cache is off, so that the figure is what the tasks cost;
// SWF_MEMTEST_HISTORY_CACHE=bytes turns it on with that budget (0: the
// default), to see that it stays within it.
func TestMemoryPerActivity(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("SWF_MEMTEST_N"))
	if n <= 0 {
		t.Skip("set SWF_MEMTEST_N to the number of activities to open")
	}
	if os.Getenv("SWF_MEMTEST_PROFILE") != "" {
		runtime.MemProfileRate = 1024 // many small objects: sample finely
	}
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	lim := swf.DefaultLimits()
	lim.MaxActivityRate = 0 // set-up speed is not what is measured
	cache := int64(-1)
	if v := os.Getenv("SWF_MEMTEST_HISTORY_CACHE"); v != "" {
		cache, _ = strconv.ParseInt(v, 10, 64)
	}

	open := func() (*Engine, func()) {
		st, err := sqlite.Open(dir, log)
		if err != nil {
			t.Fatal(err)
		}
		e, err := New(Config{Clock: clock.Real{}, Store: st, Log: log, Limits: lim, HistoryCache: cache})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		return e, func() { e.Close(); st.Close() }
	}

	e, closeEngine := open()
	base := heapInUse()
	tokens := openActivities(t, e, n, 100)
	heartbeatAll(t, e, tokens)
	tokens = nil // the workers', not the server's
	opened := heapInUse()
	if path := os.Getenv("SWF_MEMTEST_PROFILE"); path != "" {
		writeHeapProfile(t, path+".opened")
	}
	t.Logf("opened %d: heap in use %.1f MiB, %.0f bytes per activity", n, mib(opened-base), float64(opened-base)/float64(n))
	closeEngine()

	base = heapInUse()
	e, closeEngine = open()
	defer closeEngine()
	reloaded := heapInUse()
	if path := os.Getenv("SWF_MEMTEST_PROFILE"); path != "" {
		writeHeapProfile(t, path+".reloaded")
	}
	t.Logf("reloaded %d: heap in use %.1f MiB, %.0f bytes per activity", n, mib(reloaded-base), float64(reloaded-base)/float64(n))
	runtime.KeepAlive(e)
}

func writeHeapProfile(t *testing.T, path string) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		t.Fatal(err)
	}
}

// heapInUse is the live heap after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// openActivities starts n/perWorkflow workflows and opens perWorkflow
// activity tasks in each, as swf bench scale's set-up does, and returns
// the started tasks' tokens.
func openActivities(t *testing.T, e *Engine, n, perWorkflow int) []string {
	ctx := context.Background()
	const domain, dlist, alist = "bench-scale", "bench-decisions", "bench-activities"
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	wt, at := &shape.WorkflowType{Name: "bench-workflow", Version: "1"}, &shape.ActivityType{Name: "bench-activity", Version: "1"}
	must(e.RegisterDomain(ctx, &shape.RegisterDomainInput{Name: domain, WorkflowExecutionRetentionPeriodInDays: "1"}))
	must(e.RegisterWorkflowType(ctx, &shape.RegisterWorkflowTypeInput{Domain: domain, Name: wt.Name, Version: wt.Version}))
	must(e.RegisterActivityType(ctx, &shape.RegisterActivityTypeInput{Domain: domain, Name: at.Name, Version: at.Version}))
	workflows := n / perWorkflow
	tokens := make([]string, 0, n)
	var mu sync.Mutex
	var wg sync.WaitGroup
	const workers = 16
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < workflows; i += workers {
				// Fresh copies, as a decoded request would give.
				_, err := e.StartWorkflowExecution(ctx, &shape.StartWorkflowExecutionInput{
					Domain: domain, WorkflowId: "scale-" + strconv.Itoa(i), WorkflowType: &shape.WorkflowType{Name: wt.Name, Version: wt.Version},
					TaskList: &shape.TaskList{Name: dlist}, Input: fmt.Sprintf("n=%d hb=3600", perWorkflow),
					ExecutionStartToCloseTimeout: "86400", TaskStartToCloseTimeout: "60", ChildPolicy: shape.ChildPolicyTerminate,
				})
				must(err)
				dt, err := e.PollForDecisionTask(ctx, &shape.PollForDecisionTaskInput{Domain: domain, TaskList: &shape.TaskList{Name: dlist}})
				must(err)
				ds := make([]shape.Decision, perWorkflow)
				for k := range ds {
					ds[k] = shape.Decision{
						DecisionType: shape.DecisionTypeScheduleActivityTask,
						ScheduleActivityTaskDecisionAttributes: &shape.ScheduleActivityTaskDecisionAttributes{
							ActivityId: "a" + strconv.Itoa(k), ActivityType: &shape.ActivityType{Name: at.Name, Version: at.Version},
							TaskList: &shape.TaskList{Name: alist}, Input: string([]byte("bench")),
							HeartbeatTimeout: "3600", ScheduleToStartTimeout: "NONE", ScheduleToCloseTimeout: "NONE", StartToCloseTimeout: "NONE",
						},
					}
				}
				must(e.RespondDecisionTaskCompleted(ctx, &shape.RespondDecisionTaskCompletedInput{TaskToken: dt.TaskToken, Decisions: ds}))
				for range perWorkflow {
					task, err := e.PollForActivityTask(ctx, &shape.PollForActivityTaskInput{Domain: domain, TaskList: &shape.TaskList{Name: alist}, Identity: "bench-worker-" + strconv.Itoa(w)})
					must(err)
					if task == nil {
						t.Error("an activity poll timed out")
						return
					}
					mu.Lock()
					tokens = append(tokens, task.TaskToken)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return tokens
}

// heartbeatAll heartbeats every task once, without details, as the bench does.
func heartbeatAll(t *testing.T, e *Engine, tokens []string) {
	var wg sync.WaitGroup
	const workers = 16
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(tokens); i += workers {
				if _, err := e.RecordActivityTaskHeartbeat(context.Background(), &shape.RecordActivityTaskHeartbeatInput{TaskToken: tokens[i]}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
