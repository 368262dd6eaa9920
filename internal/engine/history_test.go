package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"testing"

	"github.com/openswf/openswf/internal/clock"
	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/store"
	"github.com/openswf/openswf/internal/store/sqlite"
)

const histDomain, histList = "hist", "hist-list"

// histEngine is an engine on SQLite in dir with the given history cache
// budget, its domain and types registered.
func histEngine(tb testing.TB, dir string, budget int64) *Engine {
	tb.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := sqlite.Open(dir, log)
	if err != nil {
		tb.Fatal(err)
	}
	e, err := New(Config{Clock: clock.Real{}, Store: st, Log: log, HistoryCache: budget})
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	if err := e.Start(ctx); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { e.Close(); st.Close() })
	if e.domainExists(histDomain) != nil {
		mustOK(tb, e.RegisterDomain(ctx, &shape.RegisterDomainInput{Name: histDomain, WorkflowExecutionRetentionPeriodInDays: "1"}))
		mustOK(tb, e.RegisterWorkflowType(ctx, &shape.RegisterWorkflowTypeInput{Domain: histDomain, Name: "w", Version: "1"}))
	}
	return e
}

func mustOK(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// histRun starts workflow id and records markers (two events each with
// the decision task around them) until its history has at least n events,
// then leaves a decision task started; it returns the run and that task.
func histRun(tb testing.TB, e *Engine, id string, n int) (*shape.WorkflowExecution, *shape.DecisionTask) {
	tb.Helper()
	ctx := context.Background()
	run, err := e.StartWorkflowExecution(ctx, &shape.StartWorkflowExecutionInput{
		Domain: histDomain, WorkflowId: id, WorkflowType: &shape.WorkflowType{Name: "w", Version: "1"},
		TaskList: &shape.TaskList{Name: histList}, ExecutionStartToCloseTimeout: "3600",
		TaskStartToCloseTimeout: "600", ChildPolicy: shape.ChildPolicyTerminate,
	})
	mustOK(tb, err)
	we := &shape.WorkflowExecution{WorkflowId: id, RunId: run.RunId}
	for {
		dt := histPoll(tb, e)
		if dt.StartedEventId >= int64(n) {
			return we, dt
		}
		marker := shape.Decision{DecisionType: shape.DecisionTypeRecordMarker,
			RecordMarkerDecisionAttributes: &shape.RecordMarkerDecisionAttributes{MarkerName: "m<&>", Details: "détails"}}
		mustOK(tb, e.RespondDecisionTaskCompleted(ctx, &shape.RespondDecisionTaskCompletedInput{TaskToken: dt.TaskToken, Decisions: []shape.Decision{marker, marker}}))
		mustOK(tb, e.SignalWorkflowExecution(ctx, &shape.SignalWorkflowExecutionInput{Domain: histDomain, WorkflowId: id, SignalName: "more"}))
	}
}

func histPoll(tb testing.TB, e *Engine) *shape.DecisionTask {
	tb.Helper()
	dt, err := e.PollForDecisionTask(context.Background(), &shape.PollForDecisionTaskInput{Domain: histDomain, TaskList: &shape.TaskList{Name: histList}})
	mustOK(tb, err)
	if dt == nil {
		tb.Fatal("no decision task")
	}
	return dt
}

// TestHistoryCacheAgreesWithStore: every page the cache answers is the
// page the store answers, byte for byte, in both directions, with and
// without bounds.
func TestHistoryCacheAgreesWithStore(t *testing.T) {
	e := histEngine(t, t.TempDir(), 0)
	we, _ := histRun(t, e, "agree", 20)
	x := e.openState(we.RunId)
	last := x.e.NextEventID - 1
	ctx := context.Background()
	cached, _ := e.cachedEvents(&store.EventsParams{RunID: we.RunId})
	evs, err := cached.Decode()
	mustOK(t, err)
	for i := range evs {
		if b, _ := json.Marshal(&evs[i]); string(b) != string(cached[i]) {
			t.Fatalf("event %d is kept as\n%s\nbut the wire's encoding is\n%s", i+1, cached[i], b)
		}
	}
	bounds := []int64{0, 1, 2, 5, last - 1, last, last + 1, last + 7}
	for _, limit := range []int{0, 1, 3, 100} {
		for _, a := range bounds {
			for _, up := range bounds {
				p := store.EventsParams{RunID: we.RunId, AfterID: a, UpTo: up, Limit: limit}
				agree(t, e, ctx, p)
				agree(t, e, ctx, store.EventsParams{RunID: we.RunId, Reverse: true, BeforeID: a, Limit: limit})
			}
		}
	}
}

func agree(t *testing.T, e *Engine, ctx context.Context, p store.EventsParams) {
	t.Helper()
	cached, ok := e.cachedEvents(&p)
	if !ok {
		t.Fatalf("%+v: the cache holds nothing", p)
	}
	stored, err := e.st.RawEvents(ctx, &p)
	mustOK(t, err)
	if !reflect.DeepEqual(cached, stored) {
		t.Fatalf("%+v: cache gives %d events, store %d:\n%s\n%s", p, len(cached), len(stored), cached, stored)
	}
}

// TestHistoryCachePagesAsStore pages through a decision task's history
// and a history read, every way a client can, from the cache and, after
// dropping it, from the store: same events, same page tokens.
func TestHistoryCachePagesAsStore(t *testing.T) {
	e := histEngine(t, t.TempDir(), 0)
	we, dt := histRun(t, e, "pages", 25)
	ctx := context.Background()
	type answer struct {
		events shape.RawEvents
		tokens []string
	}
	read := func() []answer {
		var out []answer
		for _, size := range []int32{0, 1, 4, 7} {
			for _, reverse := range []bool{false, true} {
				for _, prev := range []bool{false, true} {
					var a answer
					in := &shape.PollForDecisionTaskInput{Domain: histDomain, TaskList: &shape.TaskList{Name: histList},
						MaximumPageSize: size, ReverseOrder: reverse, StartAtPreviousStartedEvent: prev}
					task := &shape.DecisionTask{StartedEventId: dt.StartedEventId, PreviousStartedEventId: dt.PreviousStartedEventId, WorkflowExecution: we, WorkflowType: dt.WorkflowType}
					for {
						page, err := e.fillDecisionTask(ctx, in, task)
						mustOK(t, err)
						a.events = append(a.events, page.RawEvents...)
						a.tokens = append(a.tokens, page.NextPageToken)
						if in.NextPageToken = page.NextPageToken; in.NextPageToken == "" {
							break
						}
						task = &shape.DecisionTask{StartedEventId: dt.StartedEventId, PreviousStartedEventId: dt.PreviousStartedEventId, WorkflowExecution: we, WorkflowType: dt.WorkflowType}
					}
					out = append(out, a)
					var h answer
					hin := &shape.GetWorkflowExecutionHistoryInput{Domain: histDomain, Execution: we, MaximumPageSize: size, ReverseOrder: reverse}
					for {
						page, err := e.GetWorkflowExecutionHistory(ctx, hin)
						mustOK(t, err)
						h.events = append(h.events, page.RawEvents...)
						h.tokens = append(h.tokens, page.NextPageToken)
						if hin.NextPageToken = page.NextPageToken; hin.NextPageToken == "" {
							break
						}
					}
					out = append(out, h)
				}
			}
		}
		return out
	}
	cached := read()
	e.hist.drop(e.openState(we.RunId).hist.Load())
	if e.openState(we.RunId).hist.Load() != nil {
		t.Fatal("the run still has a cache after drop")
	}
	stored := read()
	if !reflect.DeepEqual(cached, stored) {
		t.Fatal("pages from the cache differ from pages from the store")
	}
	if got := len(cached[0].events); int64(got) != dt.StartedEventId {
		t.Fatalf("decision task: %d events, want %d (up to its started event)", got, dt.StartedEventId)
	}
}

// TestHistoryCacheBudget: the cache stays within its budget by dropping
// the oldest runs' histories, a run too big for it drops its own at once,
// and every run still answers its whole history.
func TestHistoryCacheBudget(t *testing.T) {
	const budget = 64 << 10
	e := histEngine(t, t.TempDir(), budget)
	var runs []*shape.WorkflowExecution
	for i := range 40 {
		we, dt := histRun(t, e, fmt.Sprint("small-", i), 6)
		mustOK(t, e.RespondDecisionTaskCompleted(context.Background(), &shape.RespondDecisionTaskCompletedInput{TaskToken: dt.TaskToken}))
		runs = append(runs, we)
		if used := e.hist.used.Load(); used > budget {
			t.Fatalf("after %d runs the cache holds %d bytes, over its budget of %d", i+1, used, budget)
		}
	}
	first, lastRun := e.openState(runs[0].RunId), e.openState(runs[len(runs)-1].RunId)
	if first.hist.Load() != nil || lastRun.hist.Load() == nil {
		t.Fatalf("want the oldest run's cache dropped and the newest's kept: oldest %v, newest %v", first.hist.Load(), lastRun.hist.Load())
	}
	big, dt := histRun(t, e, "big", 60) // over budget/16
	mustOK(t, e.RespondDecisionTaskCompleted(context.Background(), &shape.RespondDecisionTaskCompletedInput{TaskToken: dt.TaskToken}))
	if e.openState(big.RunId).hist.Load() != nil {
		t.Fatal("a history over a sixteenth of the budget is still cached")
	}
	if lastRun.hist.Load() == nil {
		t.Fatal("the big run pushed the newest small run out of the cache")
	}
	var held int64
	for r := e.hist.head; r != nil; r = r.next {
		held += r.size
	}
	if used := e.hist.used.Load(); used != held {
		t.Fatalf("the cache counts %d bytes in use, its runs hold %d", used, held)
	}
	for _, we := range append(runs, big) {
		h, err := e.GetWorkflowExecutionHistory(context.Background(), &shape.GetWorkflowExecutionHistoryInput{Domain: histDomain, Execution: we, MaximumPageSize: 1000})
		mustOK(t, err)
		if n := int64(len(h.RawEvents)); n != e.openState(we.RunId).e.NextEventID-1 {
			t.Fatalf("%s: %d events, want %d", we.WorkflowId, n, e.openState(we.RunId).e.NextEventID-1)
		}
	}
}

// TestHistoryCacheDropped: a run's cache goes when the run closes and
// when its shard goes to another node (whose writes ours would miss);
// after a restart runs read the store.
func TestHistoryCacheDropped(t *testing.T) {
	dir := t.TempDir()
	e := histEngine(t, dir, 0)
	ctx := context.Background()
	closing, _ := histRun(t, e, "closing", 3)
	x := e.openState(closing.RunId)
	mustOK(t, e.TerminateWorkflowExecution(ctx, &shape.TerminateWorkflowExecutionInput{Domain: histDomain, WorkflowId: closing.WorkflowId}))
	if x.hist.Load() != nil || e.hist.used.Load() != 0 {
		t.Fatalf("a closed run keeps its cache (%d bytes in use)", e.hist.used.Load())
	}

	moving, _ := histRun(t, e, "moving", 3)
	x = e.openState(moving.RunId)
	r := x.hist.Load()
	e.dropRuns(x.shard)
	if x.hist.Load() != nil || !r.off || e.hist.used.Load() != 0 || e.hist.head != nil {
		t.Fatal("a run of a lost shard keeps its cache")
	}

	staying, _ := histRun(t, e, "staying", 3)
	e.Close()
	mustOK(t, e.st.Close())
	e = histEngine(t, dir, 0)
	if e.openState(staying.RunId).hist.Load() != nil {
		t.Fatal("a run restored from the store has a cache: it would lack the events before the restart")
	}
	h, err := e.GetWorkflowExecutionHistory(ctx, &shape.GetWorkflowExecutionHistoryInput{Domain: histDomain, Execution: staying})
	mustOK(t, err)
	if len(h.RawEvents) != 3 {
		t.Fatalf("after a restart: %d events, want 3", len(h.RawEvents))
	}
}

// TestHistoryCacheServesDurableOnly: events of a change not yet durable
// are in the cache but not served.
func TestHistoryCacheServesDurableOnly(t *testing.T) {
	h := newHistories(1 << 20)
	x := &execState{}
	h.start(x)
	r := x.hist.Load()
	for id := int64(1); id <= 3; id++ {
		h.add(r, id, []byte(fmt.Sprintf(`{"eventId":%d}`, id)))
	}
	r.markDurable(2)
	if page, _ := r.page(&store.EventsParams{}); len(page) != 2 {
		t.Fatalf("forward: %d events served, want the 2 durable ones", len(page))
	}
	if page, _ := r.page(&store.EventsParams{Reverse: true}); len(page) != 2 || string(page[0]) != `{"eventId":2}` {
		t.Fatalf("reverse: got %s, want events 2, 1", page)
	}
	h.add(r, 5, []byte(`{"eventId":5}`)) // a gap: never serve a history with a hole
	if _, ok := r.page(&store.EventsParams{}); ok || h.used.Load() != 0 {
		t.Fatal("a cache with a gap still answers")
	}
}

// TestHistoryCacheConcurrentReads reads an open run's history while
// signals add to it: every answer is the history's first events, in
// order, without a gap (run it with -race).
func TestHistoryCacheConcurrentReads(t *testing.T) {
	e := histEngine(t, t.TempDir(), 0)
	we, _ := histRun(t, e, "busy", 3)
	readWhileSignaled(t, e, we, 100)
	if x := e.openState(we.RunId); x.hist.Load() == nil {
		t.Fatal("the run lost its cache")
	}
}

// restartedEngine runs histRun for id in a fresh directory, restarts the
// engine on it and returns the new engine and the run, restored from the
// store without a cache.
func restartedEngine(t *testing.T, id string, n int) (*Engine, *shape.WorkflowExecution) {
	t.Helper()
	dir := t.TempDir()
	e := histEngine(t, dir, 0)
	we, _ := histRun(t, e, id, n)
	e.Close()
	mustOK(t, e.st.Close())
	e = histEngine(t, dir, 0)
	x := e.openState(we.RunId)
	if x == nil || x.hist.Load() != nil || !x.warm.Load() {
		t.Fatalf("run %s after the restart: %+v, want it open, without a cache, to be warmed", id, x)
	}
	return e, we
}

// TestHistoryCacheWarmsRestoredRun: a run restored from the store gets
// its cache at its first history read, holding exactly what the store
// holds, and keeps it as events are added.
func TestHistoryCacheWarmsRestoredRun(t *testing.T) {
	e, we := restartedEngine(t, "restored", 9)
	ctx := context.Background()
	h, err := e.GetWorkflowExecutionHistory(ctx, &shape.GetWorkflowExecutionHistoryInput{Domain: histDomain, Execution: we, MaximumPageSize: 1000})
	mustOK(t, err)
	x := e.openState(we.RunId)
	if x.hist.Load() == nil || x.warm.Load() || e.hist.used.Load() == 0 {
		t.Fatal("the restored run has no cache after its first history read")
	}
	if int64(len(h.RawEvents)) != x.e.NextEventID-1 {
		t.Fatalf("first read: %d events, want %d", len(h.RawEvents), x.e.NextEventID-1)
	}
	check := func() {
		t.Helper()
		last := x.e.NextEventID - 1
		for _, a := range []int64{0, 1, last - 1, last} {
			agree(t, e, ctx, store.EventsParams{RunID: we.RunId, AfterID: a})
			agree(t, e, ctx, store.EventsParams{RunID: we.RunId, Reverse: true, BeforeID: a, Limit: 3})
		}
	}
	check()
	mustOK(t, e.SignalWorkflowExecution(ctx, &shape.SignalWorkflowExecutionInput{Domain: histDomain, WorkflowId: we.WorkflowId, SignalName: "after"}))
	check()
}

// TestHistoryCacheWarmWaitsForInFlight: while a change of the run is on
// its way to disk the store may lack its events, so the run is not
// warmed then, but at a read after it settles.
func TestHistoryCacheWarmWaitsForInFlight(t *testing.T) {
	e, we := restartedEngine(t, "inflight", 5)
	ctx := context.Background()
	x := e.openState(we.RunId)
	x.unsettled.Add(1)
	if e.warmHistory(ctx, x) || x.hist.Load() != nil || !x.warm.Load() {
		t.Fatal("a run with a change in flight was warmed")
	}
	x.unsettled.Add(-1)
	if !e.warmHistory(ctx, x) || x.hist.Load() == nil {
		t.Fatal("a settled run was not warmed")
	}
	agree(t, e, ctx, store.EventsParams{RunID: we.RunId})
}

// TestHistoryCacheNotRewarmed: a cache dropped for the budget's sake is
// not read back from the store (it would be dropped again).
func TestHistoryCacheNotRewarmed(t *testing.T) {
	e := histEngine(t, t.TempDir(), 0)
	we, _ := histRun(t, e, "dropped", 3)
	x := e.openState(we.RunId)
	e.hist.drop(x.hist.Load())
	_, err := e.GetWorkflowExecutionHistory(context.Background(), &shape.GetWorkflowExecutionHistoryInput{Domain: histDomain, Execution: we})
	mustOK(t, err)
	if x.hist.Load() != nil {
		t.Fatal("a run whose cache was dropped was given one again")
	}
}

// TestHistoryCacheWarmConcurrent reads a restored run's history while
// signals add to it and the first reads warm it: every answer is the
// history's first events in order, and the cache ends agreeing with the
// store (run it with -race).
func TestHistoryCacheWarmConcurrent(t *testing.T) {
	e, we := restartedEngine(t, "warming", 3)
	ctx := context.Background()
	readWhileSignaled(t, e, we, 50)
	if e.openState(we.RunId).hist.Load() == nil {
		e.warmHistory(ctx, e.openState(we.RunId)) // the signals may have kept every read from warming it
	}
	agree(t, e, ctx, store.EventsParams{RunID: we.RunId})
}

// readWhileSignaled reads run we's history over and over while n signals
// are added to it, checking that every answer is the history's first
// events, in order, without a gap.
func readWhileSignaled(t *testing.T, e *Engine, we *shape.WorkflowExecution, n int) {
	t.Helper()
	ctx := context.Background()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range n {
			if err := e.SignalWorkflowExecution(ctx, &shape.SignalWorkflowExecutionInput{Domain: histDomain, WorkflowId: we.WorkflowId, SignalName: "s"}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for reading := true; reading; {
		select {
		case <-done:
			reading = false
		default:
		}
		h, err := e.GetWorkflowExecutionHistory(ctx, &shape.GetWorkflowExecutionHistoryInput{Domain: histDomain, Execution: we, MaximumPageSize: 1000})
		mustOK(t, err)
		evs, err := h.RawEvents.Decode()
		mustOK(t, err)
		for i, ev := range evs {
			if ev.EventId != int64(i+1) {
				t.Fatalf("event %d of the answer has id %d", i, ev.EventId)
			}
		}
	}
}
