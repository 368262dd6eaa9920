package bench

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"
)

// runTimers opens M activity tasks with a heartbeat timeout of T seconds,
// never heartbeats them, and waits for every ActivityTaskTimedOut. Choose T
// longer than the set-up takes, so that all M timeouts are armed at once
// before the first lapses; they then lapse at the pace they were started,
// which --rate sets (activity starts a second). Unpaced, they lapse as
// fast as the set-up went, and the deciders (which share the machine)
// may fall behind: the decider figure then measures their queue.
//
// Lateness is measured against each task's deadline, which with no
// heartbeat is the history's ActivityTaskStarted timestamp + T (the same
// millisecond-truncated time the server derives the deadline from):
//
//   - history: the ActivityTaskTimedOut event's timestamp − deadline;
//   - decider: when a long-polling decider received the decision task
//     that carried the event − deadline (client clock; same machine);
//   - delivery: that receipt − the event's own timestamp. For a server
//     whose deadline is not ours (moto_server runs the heartbeat clock from
//     scheduling and stamps the event with its own deadline), this is its
//     lateness by its own reckoning.
//
// The deciders are the ones that scheduled the activities: they keep
// polling, record the timeouts they see (once each), and close a workflow
// when all its activities have timed out.
func runTimers(ctx context.Context, t *target, o *Options, res *Result) error {
	if t.synthetic() {
		return errNoop
	}
	c := newClient(t, o)
	f, err := newFixture(ctx, c, t, o, "timers")
	if err != nil {
		return err
	}
	res.cleanups = append(res.cleanups, f.cleanup)
	timeout := time.Duration(o.HeartbeatTimeout) * time.Second
	lapse := o.Tasks
	if o.Probes > 0 {
		lapse = o.Probes
	}
	w := &timeoutWatch{timeout: timeout, seen: map[string]bool{}, done: make(chan struct{}), want: lapse}
	stop := f.startDeciders(w.decide)
	defer stop()
	start := time.Now()
	if load := o.Tasks - lapse; load > 0 {
		// The load: armed heartbeat timeouts that do not lapse during the run.
		prog := newProgress(o, t.Label+" set-up (load)", "tasks open", int64(load), nil)
		_, err := f.openActivities(ctx, "load", load, loadPerWorkflow, strconv.Itoa(loadTimeout), 0, prog)
		prog.done()
		if err != nil {
			return err
		}
	}
	probeStart := time.Now()
	prog := newProgress(o, t.Label+" set-up", "tasks open", int64(lapse), func() string {
		if n := w.count(); n > 0 {
			return fmt.Sprintf("timed out %s", count(int64(n)))
		}
		return ""
	})
	tasks, err := f.openActivities(ctx, "wf", lapse, o.PerWorkflow, strconv.Itoa(o.HeartbeatTimeout), o.Rate, prog)
	prog.done()
	if err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	res.Setup = &SetupResult{Tasks: o.Tasks, Workflows: (o.Tasks-lapse+loadPerWorkflow-1)/loadPerWorkflow + (lapse+o.PerWorkflow-1)/o.PerWorkflow, Seconds: secs, PerSecond: float64(o.Tasks) / secs}
	res.Notes = append(res.Notes, f.setupNotes()...)
	if lapse < o.Tasks {
		res.Notes = append(res.Notes, fmt.Sprintf("%d of the %d activities lapse (heartbeat timeout %ds); the other %d are armed with %ds and stay open (%d to a workflow): the load",
			lapse, o.Tasks, o.HeartbeatTimeout, o.Tasks-lapse, loadTimeout, loadPerWorkflow))
	}
	if d := time.Since(probeStart); d > timeout {
		res.Notes = append(res.Notes, fmt.Sprintf("starting the %d lapsing tasks took %.1fs, longer than their %ds timeout: not all were armed at once", len(tasks), d.Seconds(), o.HeartbeatTimeout))
	}

	// Every deadline is at most T after the last start; wait that long plus
	// the grace for the last ones to be seen.
	wait := timeout + o.Grace
	prog = newProgress(o, t.Label+" timers", "timeouts seen", int64(lapse), nil)
	go func() {
		tk := time.NewTicker(500 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-w.done:
				return
			case <-tk.C:
				prog.set(int64(w.count()))
			}
		}
	}()
	cpu0 := sampleCPU(t.pid)
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-w.done:
	case <-timer.C:
	case <-ctx.Done():
	}
	prog.done()
	stop()
	cpu := cpuBetween(cpu0, sampleCPU(t.pid))

	w.mu.Lock()
	defer w.mu.Unlock()
	hl, dl, vl := w.history.summary(), w.decider.summary(), w.delivery.summary()
	run := &RunResult{
		Name: fmt.Sprintf("m=%d", o.Tasks), Seconds: time.Since(start).Seconds(), Unit: "timeouts",
		Count: int64(w.n), Expected: lapse, HistoryLateness: &hl, DeciderLateness: &dl, DeliveryDelay: &vl, CPU: cpu,
	}
	run.Errors, run.ErrorExamples = w.errs.snapshot(), w.errs.examples()
	for k, n := range f.derrs.snapshot() {
		run.Errors["decider: "+k] += n
	}
	run.ErrorExamples = append(run.ErrorExamples, f.derrs.examples()...)
	if w.n < lapse {
		run.Errors["missing timeouts"] = int64(lapse - w.n)
	}
	res.Runs = append(res.Runs, run)
	return ctx.Err()
}

// The timers scenario's load activities (--probes) have a heartbeat
// timeout longer than any run, so they never lapse, and are opened 100 to
// a workflow, which sets them up faster and arms the same deadlines.
const (
	loadTimeout     = 3600
	loadPerWorkflow = 100
)

// timeoutWatch is the timers scenario's decider logic and its figures.
type timeoutWatch struct {
	timeout time.Duration
	want    int
	done    chan struct{} // closed when want timeouts were seen

	mu       sync.Mutex // guards all below
	seen     map[string]bool
	n        int
	history  hist
	decider  hist
	delivery hist // decider receipt − the event's own timestamp
	errs     errCounts
}

func (w *timeoutWatch) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

// decide records the decision task's timeouts not seen before, and closes
// the workflow once each scheduled activity has timed out.
func (w *timeoutWatch) decide(t *decisionTask) []types.Decision {
	started := map[int64]time.Time{} // scheduled event id -> started at
	scheduled, timedOut := 0, 0
	runID := aws.ToString(t.run.RunId)
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, ev := range t.events {
		switch ev.EventType {
		case types.EventTypeActivityTaskScheduled:
			scheduled++
		case types.EventTypeActivityTaskStarted:
			started[ev.ActivityTaskStartedEventAttributes.ScheduledEventId] = aws.ToTime(ev.EventTimestamp)
		case types.EventTypeActivityTaskTimedOut:
			timedOut++
			key := runID + "/" + strconv.FormatInt(ev.EventId, 10)
			if w.seen[key] {
				continue
			}
			w.seen[key] = true
			a := ev.ActivityTaskTimedOutEventAttributes
			st, ok := started[a.ScheduledEventId]
			if !ok || a.TimeoutType != types.ActivityTaskTimeoutTypeHeartbeat {
				w.errs.add(fmt.Errorf("ActivityTaskTimedOut %s of run %s without a start, or not HEARTBEAT", a.TimeoutType, runID))
				continue
			}
			deadline, recorded := st.Add(w.timeout), aws.ToTime(ev.EventTimestamp)
			w.history.add(recorded.Sub(deadline))
			w.decider.add(t.received.Sub(deadline))
			w.delivery.add(t.received.Sub(recorded))
			w.n++
			if w.n == w.want {
				close(w.done)
			}
		}
	}
	if scheduled > 0 && timedOut == scheduled {
		return []types.Decision{{
			DecisionType: types.DecisionTypeCompleteWorkflowExecution,
			CompleteWorkflowExecutionDecisionAttributes: &types.CompleteWorkflowExecutionDecisionAttributes{},
		}}
	}
	return nil
}
