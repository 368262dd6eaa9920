package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"
)

// Names of the crash loop's domain and types.
const (
	crashDomain   = "crashloop"
	crashDeciders = "deciders"
	crashWorkers  = "workers"
)

// TestCrashLoop runs a mixed load against `swf server` and kills it with
// SIGKILL at a random moment, again and again on one data directory. Each
// restarted server is checked against a ledger of what the clients were
// told (checker_test.go): every acknowledged start, signal, cancel request,
// decision and activity completion is in the histories exactly once, an
// unanswered one at most once, a refused one not at all; every history is
// well-formed, and no timer or execution timeout fired before it was due
// (a quarter of the children are left to time out). The last round is not
// killed: the load drains, every run closes, and each completed run
// resolved every activity, timer, decision task and child it opened
// exactly once, its timeouts included.
//
// SWF_CRASHLOOP_ITERATIONS sets the number of rounds (default 5, which CI
// runs; docs/reliability.md, "Crash loop", records a run of 50), and
// SWF_CRASHLOOP_SEED the random seed (logged, to replay a failure's
// timings as closely as a real clock allows).
func TestCrashLoop(t *testing.T) {
	skipIfShort(t)
	t.Parallel()
	iterations := envInt(t, "SWF_CRASHLOOP_ITERATIONS", 5)
	seed := uint64(envInt(t, "SWF_CRASHLOOP_SEED", int(time.Now().UnixNano()%1e9)))
	t.Logf("SWF_CRASHLOOP_ITERATIONS=%d SWF_CRASHLOOP_SEED=%d", iterations, seed)
	rng := rand.New(rand.NewPCG(seed, seed))

	dataDir := t.TempDir()
	led := newLedger()
	chk := &crashChecker{t: t, led: led, since: time.Now().Add(-time.Minute), done: map[string]bool{}}
	began := time.Now()
	for i := range iterations {
		srv := startServer(t, dataDir)
		c := newClient(srv.url)
		if i == 0 {
			registerCrashTypes(t, c)
		} else {
			chk.check(c, false)
		}
		last := i == iterations-1
		ld := startLoad(c, led, rng.Uint64(), i, !last)
		if !last {
			load := time.Duration(300+rng.IntN(2200)) * time.Millisecond
			time.Sleep(load)
			srv.kill()
			ld.stop(t)
			t.Logf("round %d: killed after %v of load", i, load)
			continue
		}
		// The last round: no new work; the deciders and workers carry
		// every run to its end.
		time.Sleep(time.Second)
		ld.stopStarting()
		waitFor(t, 90*time.Second, 500*time.Millisecond, "every run to close", func() (bool, error) {
			out, err := c.CountOpenWorkflowExecutions(context.Background(), &swf.CountOpenWorkflowExecutionsInput{
				Domain: aws.String(crashDomain), StartTimeFilter: &types.ExecutionTimeFilter{OldestDate: aws.Time(chk.since)},
			})
			if err != nil {
				return false, err
			}
			return out.Count == 0, nil
		})
		ld.stop(t)
		chk.check(c, true)
	}
	t.Logf("%d rounds in %v, %d runs checked, %d reads tried again; %s", iterations, time.Since(began).Round(time.Second), len(chk.done), chk.retried, led.summary())
}

// envInt reads a positive integer from the environment, or def.
func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive integer", name, s)
	}
	return n
}

// registerCrashTypes registers the domain, the workflow type (children
// are of the same type) and the activity type, with timeouts of a few
// seconds so that a round of the loop sees them fire.
func registerCrashTypes(t *testing.T, c *swf.Client) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.RegisterDomain(ctx, &swf.RegisterDomainInput{
		Name: aws.String(crashDomain), WorkflowExecutionRetentionPeriodInDays: aws.String("1"),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RegisterWorkflowType(ctx, &swf.RegisterWorkflowTypeInput{
		Domain: aws.String(crashDomain), Name: aws.String("loop"), Version: aws.String("1"),
		DefaultTaskList:                     &types.TaskList{Name: aws.String(crashDeciders)},
		DefaultChildPolicy:                  types.ChildPolicyTerminate,
		DefaultExecutionStartToCloseTimeout: aws.String("900"),
		DefaultTaskStartToCloseTimeout:      aws.String("3"),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RegisterActivityType(ctx, &swf.RegisterActivityTypeInput{
		Domain: aws.String(crashDomain), Name: aws.String("step"), Version: aws.String("1"),
		DefaultTaskList:                   &types.TaskList{Name: aws.String(crashWorkers)},
		DefaultTaskHeartbeatTimeout:       aws.String("2"),
		DefaultTaskScheduleToStartTimeout: aws.String("60"),
		DefaultTaskStartToCloseTimeout:    aws.String("10"),
		DefaultTaskScheduleToCloseTimeout: aws.String("120"),
	}); err != nil {
		t.Fatal(err)
	}
}

// crashLoad is one round's clients: a starter, a signaller and a
// canceller (which stopStarting ends), two deciders and three workers.
type crashLoad struct {
	c        *swf.Client
	led      *ledger
	round    int
	ctx      context.Context
	cancel   context.CancelFunc
	starting chan struct{} // closed by stopStarting
	stopOnce sync.Once
	wg       sync.WaitGroup
	seq      atomic.Int64
}

func startLoad(c *swf.Client, led *ledger, seed uint64, round int, withStarts bool) *crashLoad {
	ld := &crashLoad{c: c, led: led, round: round, starting: make(chan struct{})}
	ld.ctx, ld.cancel = context.WithCancel(context.Background())
	rng := rand.New(rand.NewPCG(seed, uint64(round)))
	goLoop := func(f func(rng *rand.Rand), pause time.Duration, startsOnly bool) {
		r := rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64()))
		ld.wg.Add(1)
		go func() {
			defer ld.wg.Done()
			for {
				stop := ld.ctx.Done()
				if startsOnly {
					select {
					case <-ld.starting:
						return
					default:
					}
				}
				select {
				case <-stop:
					return
				default:
				}
				f(r)
				if pause > 0 {
					select {
					case <-stop:
						return
					case <-time.After(pause/2 + time.Duration(r.Int64N(int64(pause)))):
					}
				}
			}
		}()
	}
	if withStarts {
		starts := 0
		goLoop(func(*rand.Rand) {
			if starts < 8 {
				starts++
				ld.start(fmt.Sprintf("wf-%02d-%d", round, starts))
			}
		}, 150*time.Millisecond, true)
		goLoop(ld.signal, 40*time.Millisecond, true)
		goLoop(ld.requestCancel, 400*time.Millisecond, true)
	}
	for range 2 {
		goLoop(ld.decide, 0, false)
	}
	for range 3 {
		goLoop(ld.work, 0, false)
	}
	return ld
}

// stopStarting ends the starter, signaller and canceller.
func (ld *crashLoad) stopStarting() { ld.stopOnce.Do(func() { close(ld.starting) }) }

// stop ends every client of the round (after the kill, their calls fail
// at once; this also ends their long polls) and waits for them.
func (ld *crashLoad) stop(t *testing.T) {
	t.Helper()
	ld.stopStarting()
	ld.cancel()
	done := make(chan struct{})
	go func() { ld.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("clients still calling 30 s after the round ended")
	}
}

// pause waits a little after a failed call (the server may be down).
func (ld *crashLoad) pause() {
	select {
	case <-ld.ctx.Done():
	case <-time.After(20 * time.Millisecond):
	}
}

func (ld *crashLoad) start(id string) {
	ld.led.mu.Lock()
	sc := &startCall{}
	ld.led.starts[id] = sc
	ld.led.mu.Unlock()
	out, err := ld.c.StartWorkflowExecution(ld.ctx, &swf.StartWorkflowExecutionInput{
		Domain: aws.String(crashDomain), WorkflowId: aws.String(id),
		WorkflowType: &types.WorkflowType{Name: aws.String("loop"), Version: aws.String("1")},
	})
	ld.led.mu.Lock()
	defer ld.led.mu.Unlock()
	sc.state = answer(err)
	if err == nil {
		sc.runID = aws.ToString(out.RunId)
	}
	ld.led.note("StartWorkflowExecution", sc.state)
}

// someRun picks a run whose start was acknowledged and that its decider
// has not closed (as far as the clients know), or none.
func (ld *crashLoad) someRun(rng *rand.Rand) (workflowID, runID string) {
	ld.led.mu.Lock()
	defer ld.led.mu.Unlock()
	var ids []string
	for id, sc := range ld.led.starts {
		if sc.state == acked && !ld.led.closed[sc.runID] {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return "", ""
	}
	id := ids[rng.IntN(len(ids))]
	return id, ld.led.starts[id].runID
}

func (ld *crashLoad) signal(rng *rand.Rand) {
	id, runID := ld.someRun(rng)
	if id == "" {
		return
	}
	in := fmt.Sprintf("sig-%d-%d", ld.round, ld.seq.Add(1))
	ld.led.mu.Lock()
	sc := &call{runID: runID}
	ld.led.signals[in] = sc
	ld.led.mu.Unlock()
	_, err := ld.c.SignalWorkflowExecution(ld.ctx, &swf.SignalWorkflowExecutionInput{
		Domain: aws.String(crashDomain), WorkflowId: aws.String(id), RunId: aws.String(runID),
		SignalName: aws.String("poke"), Input: aws.String(in),
	})
	ld.led.mu.Lock()
	sc.state = answer(err)
	ld.led.note("SignalWorkflowExecution", sc.state)
	ld.led.mu.Unlock()
}

// requestCancel asks to cancel one run in four, once each.
func (ld *crashLoad) requestCancel(rng *rand.Rand) {
	id, runID := ld.someRun(rng)
	if id == "" || rng.IntN(4) != 0 {
		return
	}
	ld.led.mu.Lock()
	if ld.led.cancels[runID] != nil {
		ld.led.mu.Unlock()
		return
	}
	sc := &call{runID: runID}
	ld.led.cancels[runID] = sc
	ld.led.mu.Unlock()
	_, err := ld.c.RequestCancelWorkflowExecution(ld.ctx, &swf.RequestCancelWorkflowExecutionInput{
		Domain: aws.String(crashDomain), WorkflowId: aws.String(id), RunId: aws.String(runID),
	})
	ld.led.mu.Lock()
	sc.state = answer(err)
	ld.led.note("RequestCancelWorkflowExecution", sc.state)
	ld.led.mu.Unlock()
}

// decide takes one decision task and answers it with crashDecisions.
func (ld *crashLoad) decide(*rand.Rand) {
	var events []types.HistoryEvent
	in := &swf.PollForDecisionTaskInput{
		Domain: aws.String(crashDomain), TaskList: &types.TaskList{Name: aws.String(crashDeciders)},
		Identity: aws.String("decider"), MaximumPageSize: 1000,
	}
	var task *swf.PollForDecisionTaskOutput
	for {
		out, err := ld.c.PollForDecisionTask(ld.ctx, in)
		if err != nil {
			ld.pause()
			return
		}
		if task == nil {
			task = out
		}
		events = append(events, out.Events...)
		if aws.ToString(out.NextPageToken) == "" {
			break
		}
		in.NextPageToken = out.NextPageToken
	}
	if aws.ToString(task.TaskToken) == "" {
		return
	}
	decisions := crashDecisions(aws.ToString(task.WorkflowExecution.WorkflowId), events)
	k := decisionKey{aws.ToString(task.WorkflowExecution.RunId), task.StartedEventId}
	ld.led.mu.Lock()
	dc := &decCall{n: len(decisions)}
	ld.led.decisions[k] = dc
	ld.led.mu.Unlock()
	_, err := ld.c.RespondDecisionTaskCompleted(ld.ctx, &swf.RespondDecisionTaskCompletedInput{
		TaskToken: task.TaskToken, Decisions: decisions,
	})
	ld.led.mu.Lock()
	dc.state = answer(err)
	ld.led.note("RespondDecisionTaskCompleted", dc.state)
	if last := len(decisions) - 1; dc.state == acked && last >= 0 &&
		decisions[last].DecisionType != types.DecisionTypeScheduleActivityTask &&
		decisions[last].DecisionType != types.DecisionTypeStartTimer &&
		decisions[last].DecisionType != types.DecisionTypeStartChildWorkflowExecution &&
		decisions[last].DecisionType != types.DecisionTypeCancelTimer {
		ld.led.closed[k.runID] = true // asked to close: signal the open ones
	}
	ld.led.mu.Unlock()
}

// crashDecisions is the deciders' logic, from the whole history. A child
// (workflow id ending in "-c") completes at once; a sleeper child ("-s")
// decides nothing and times out after its 3-second execution timeout. A
// parent schedules two activities, starts timer t1 (1 or 2 s) and timer t2
// (10 min), and starts a child (a sleeper for wf-RR-3 and wf-RR-6); when t1
// fires it cancels t2; once both activities closed (by completion or
// timeout), t2 is canceled and the child closed, it completes. A cancel
// request makes it cancel itself instead.
func crashDecisions(workflowID string, events []types.HistoryEvent) []types.Decision {
	complete := types.Decision{DecisionType: types.DecisionTypeCompleteWorkflowExecution}
	switch {
	case strings.HasSuffix(workflowID, "-c"):
		return []types.Decision{complete}
	case strings.HasSuffix(workflowID, "-s"):
		return nil
	}
	var (
		scheduled            = map[string]bool{}
		closedActs           int
		timers               = map[string]string{} // timer id -> started, fired, canceled
		childStarted, childD bool
		cancelRequested      bool
	)
	for _, ev := range events {
		switch ev.EventType {
		case types.EventTypeActivityTaskScheduled:
			scheduled[aws.ToString(ev.ActivityTaskScheduledEventAttributes.ActivityId)] = true
		case types.EventTypeActivityTaskCompleted, types.EventTypeActivityTaskFailed,
			types.EventTypeActivityTaskTimedOut, types.EventTypeActivityTaskCanceled:
			closedActs++
		case types.EventTypeTimerStarted:
			timers[aws.ToString(ev.TimerStartedEventAttributes.TimerId)] = "started"
		case types.EventTypeTimerFired:
			timers[aws.ToString(ev.TimerFiredEventAttributes.TimerId)] = "fired"
		case types.EventTypeTimerCanceled:
			timers[aws.ToString(ev.TimerCanceledEventAttributes.TimerId)] = "canceled"
		case types.EventTypeStartChildWorkflowExecutionInitiated:
			childStarted = true
		case types.EventTypeStartChildWorkflowExecutionFailed, types.EventTypeChildWorkflowExecutionCompleted,
			types.EventTypeChildWorkflowExecutionFailed, types.EventTypeChildWorkflowExecutionCanceled,
			types.EventTypeChildWorkflowExecutionTimedOut, types.EventTypeChildWorkflowExecutionTerminated:
			childD = true
		case types.EventTypeWorkflowExecutionCancelRequested:
			cancelRequested = true
		}
	}
	if cancelRequested {
		return []types.Decision{{DecisionType: types.DecisionTypeCancelWorkflowExecution}}
	}
	var ds []types.Decision
	for _, id := range []string{"a1", "a2"} {
		if !scheduled[id] {
			ds = append(ds, types.Decision{
				DecisionType: types.DecisionTypeScheduleActivityTask,
				ScheduleActivityTaskDecisionAttributes: &types.ScheduleActivityTaskDecisionAttributes{
					ActivityId: aws.String(id), ActivityType: &types.ActivityType{Name: aws.String("step"), Version: aws.String("1")},
				},
			})
		}
	}
	for id, fire := range map[string]string{"t1": strconv.Itoa(1 + len(workflowID)%2), "t2": "600"} {
		if timers[id] == "" {
			ds = append(ds, types.Decision{
				DecisionType: types.DecisionTypeStartTimer,
				StartTimerDecisionAttributes: &types.StartTimerDecisionAttributes{
					TimerId: aws.String(id), StartToFireTimeout: aws.String(fire),
				},
			})
		}
	}
	if !childStarted {
		child := &types.StartChildWorkflowExecutionDecisionAttributes{
			WorkflowId: aws.String(workflowID + "-c"), WorkflowType: &types.WorkflowType{Name: aws.String("loop"), Version: aws.String("1")},
		}
		if workflowID[len(workflowID)-1]%3 == 0 { // wf-RR-3 and wf-RR-6
			child.WorkflowId, child.ExecutionStartToCloseTimeout = aws.String(workflowID+"-s"), aws.String("3")
		}
		ds = append(ds, types.Decision{
			DecisionType: types.DecisionTypeStartChildWorkflowExecution,
			StartChildWorkflowExecutionDecisionAttributes: child,
		})
	}
	if timers["t1"] == "fired" && timers["t2"] == "started" {
		ds = append(ds, types.Decision{
			DecisionType:                  types.DecisionTypeCancelTimer,
			CancelTimerDecisionAttributes: &types.CancelTimerDecisionAttributes{TimerId: aws.String("t2")},
		})
		timers["t2"] = "canceled" // by this very answer: no event would wake the decider for it
	}
	if closedActs == 2 && timers["t1"] == "fired" && timers["t2"] == "canceled" && childD {
		ds = append(ds, complete)
	}
	return ds
}

// work takes one activity task, heartbeats one to three times ("hb-1",
// ...), and completes it with activityResult.
func (ld *crashLoad) work(rng *rand.Rand) {
	at, err := ld.c.PollForActivityTask(ld.ctx, &swf.PollForActivityTaskInput{
		Domain: aws.String(crashDomain), TaskList: &types.TaskList{Name: aws.String(crashWorkers)},
		Identity: aws.String("worker"),
	})
	if err != nil {
		ld.pause()
		return
	}
	if aws.ToString(at.TaskToken) == "" {
		return
	}
	k := activityKey{aws.ToString(at.WorkflowExecution.RunId), at.StartedEventId}
	ld.led.mu.Lock()
	hb := &hbLog{}
	ld.led.heartbeats[k] = hb
	ld.led.mu.Unlock()
	for n := range 1 + rng.IntN(3) {
		select {
		case <-ld.ctx.Done():
			return
		case <-time.After(time.Duration(50+rng.IntN(200)) * time.Millisecond):
		}
		ld.led.mu.Lock()
		hb.sent = n + 1
		ld.led.mu.Unlock()
		_, err := ld.c.RecordActivityTaskHeartbeat(ld.ctx, &swf.RecordActivityTaskHeartbeatInput{
			TaskToken: at.TaskToken, Details: aws.String(fmt.Sprintf("hb-%d", n+1)),
		})
		ld.led.mu.Lock()
		s := answer(err)
		if s == acked {
			hb.acked = n + 1
		}
		ld.led.note("RecordActivityTaskHeartbeat", s)
		ld.led.mu.Unlock()
		if err != nil {
			return
		}
	}
	ld.led.mu.Lock()
	cc := &call{runID: k.runID}
	ld.led.completions[k] = cc
	ld.led.mu.Unlock()
	_, err = ld.c.RespondActivityTaskCompleted(ld.ctx, &swf.RespondActivityTaskCompletedInput{
		TaskToken: at.TaskToken, Result: aws.String(activityResult(k)),
	})
	ld.led.mu.Lock()
	cc.state = answer(err)
	ld.led.note("RespondActivityTaskCompleted", cc.state)
	ld.led.mu.Unlock()
}

// crashChecker reads every run of the domain from a restarted server and
// checks it (wellFormed, and the ledger). A run found closed is not read
// again until the final check, which reads them all and checks that
// completed runs settled.
type crashChecker struct {
	t     *testing.T
	led   *ledger
	since time.Time
	done  map[string]bool // closed runs already checked
	hists map[string][]types.HistoryEvent
	// retried counts reads tried again after the connection failed under
	// them (read: a fault is never retried).
	retried int
}

// read runs f, a read the checker makes, up to 5 times while it fails with
// a broken connection rather than an answer. aws-sdk-go-v2 sometimes
// closes its own connection while it reads a 200 answer's body ("use of
// closed network connection" past the first 4 KiB; aws/aws-sdk-go-v2#2737,
// which the SDK meets by retrying, and these clients do not retry): about
// 4% of 12 KB history reads, from openswf as from a bare net/http test
// server, and never with net/http's own client. A read has no effect, so
// trying it again changes nothing that is checked.
func (ck *crashChecker) read(f func() error) error {
	var err error
	for range 5 {
		if err = f(); err == nil || isFault(err) {
			return err
		}
		ck.retried++
		ck.t.Logf("read failed, trying again: %v", err)
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

// eventCounts counts the events of each of these types in the histories,
// for the log.
func eventCounts(hists map[string][]types.HistoryEvent, ets ...types.EventType) string {
	n := map[types.EventType]int{}
	for _, events := range hists {
		for _, ev := range events {
			n[ev.EventType]++
		}
	}
	var parts []string
	for _, et := range ets {
		parts = append(parts, fmt.Sprintf("%s %d", et, n[et]))
	}
	return strings.Join(parts, ", ")
}

// listAll reads every page of a listing of runs, each page through
// ck.read.
func listAll[O any](ck *crashChecker, p interface {
	HasMorePages() bool
	NextPage(context.Context, ...func(*swf.Options)) (O, error)
}, infos func(O) []types.WorkflowExecutionInfo) []types.WorkflowExecutionInfo {
	var all []types.WorkflowExecutionInfo
	for p.HasMorePages() {
		var out O
		err := ck.read(func() (err error) {
			out, err = p.NextPage(context.Background())
			return err
		})
		if err != nil {
			ck.t.Fatal(err)
		}
		all = append(all, infos(out)...)
	}
	return all
}

func (ck *crashChecker) check(c *swf.Client, final bool) {
	t := ck.t
	t.Helper()
	ctx := context.Background()
	runsOf := map[string][]string{}
	var runs []types.WorkflowExecution
	open := map[string]bool{}
	filter := &types.ExecutionTimeFilter{OldestDate: aws.Time(ck.since)}
	openRuns := listAll(ck, swf.NewListOpenWorkflowExecutionsPaginator(c, &swf.ListOpenWorkflowExecutionsInput{
		Domain: aws.String(crashDomain), StartTimeFilter: filter, MaximumPageSize: 1000,
	}), func(o *swf.ListOpenWorkflowExecutionsOutput) []types.WorkflowExecutionInfo { return o.ExecutionInfos })
	for _, info := range openRuns {
		open[aws.ToString(info.Execution.RunId)] = true
	}
	closedRuns := listAll(ck, swf.NewListClosedWorkflowExecutionsPaginator(c, &swf.ListClosedWorkflowExecutionsInput{
		Domain: aws.String(crashDomain), StartTimeFilter: filter, MaximumPageSize: 1000,
	}), func(o *swf.ListClosedWorkflowExecutionsOutput) []types.WorkflowExecutionInfo { return o.ExecutionInfos })
	// A run that closed between the two listings is in both: once.
	listed := map[string]bool{}
	for _, info := range append(openRuns, closedRuns...) {
		if runID := aws.ToString(info.Execution.RunId); !listed[runID] {
			listed[runID] = true
			runs = append(runs, *info.Execution)
		}
	}
	if ck.hists == nil {
		ck.hists = map[string][]types.HistoryEvent{}
	}
	var problems []string
	for _, we := range runs {
		id, runID := aws.ToString(we.WorkflowId), aws.ToString(we.RunId)
		runsOf[id] = append(runsOf[id], runID)
		if ck.done[runID] && !final {
			continue
		}
		var events []types.HistoryEvent
		err := ck.read(func() (err error) {
			events, err = history(ctx, c, crashDomain, &we)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		ck.hists[runID] = events
		for _, p := range wellFormed(events) {
			problems = append(problems, fmt.Sprintf("%s run %s: %s", id, runID, p))
		}
		if final {
			for _, p := range settled(events) {
				problems = append(problems, fmt.Sprintf("%s run %s: %s", id, runID, p))
			}
		}
		if !open[runID] {
			ck.done[runID] = true
		}
	}
	for id, rs := range runsOf {
		if len(rs) > 1 {
			problems = append(problems, fmt.Sprintf("workflow id %s has %d runs %v: each was started once", id, len(rs), rs))
		}
	}
	problems = append(problems, ck.led.check(ck.hists, runsOf)...)
	if final {
		t.Logf("in the histories: %s", eventCounts(ck.hists,
			types.EventTypeTimerFired, types.EventTypeTimerCanceled, types.EventTypeActivityTaskCompleted,
			types.EventTypeActivityTaskTimedOut, types.EventTypeDecisionTaskTimedOut,
			types.EventTypeWorkflowExecutionSignaled, types.EventTypeWorkflowExecutionCompleted,
			types.EventTypeWorkflowExecutionCanceled, types.EventTypeWorkflowExecutionTimedOut,
			types.EventTypeWorkflowExecutionTerminated))
	}
	for _, p := range problems {
		t.Error(p)
	}
	if len(problems) > 0 {
		t.FailNow()
	}
}
