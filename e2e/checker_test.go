package e2e

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"
)

// The crash loop's checker (crashloop_test.go): what a history must look
// like whatever happened to the server, and what the clients were told that
// a history must therefore hold. Each function returns the problems it
// finds, one sentence each, so a failure names the run, the event and the
// rule; TestChecker feeds it histories with each kind of damage.

// wellFormed checks the rules every history obeys at every moment: events
// numbered 1..n, the first one WorkflowExecutionStarted, nothing after the
// closing event; every ...Started, ...Fired and closing event refers to the
// event that opened it, which is still open; at most one decision task
// scheduled and one started at a time; no activity attempt started twice;
// no timer or activity closed twice; no activity id or timer id open twice.
func wellFormed(events []types.HistoryEvent) []string {
	var (
		problems []string
		closedAt int64
		// decision tasks: the scheduled one not yet started, the started
		// one not yet closed (0: none)
		decScheduled, decStarted int64
		acts                     = map[int64]*actTrack{} // by scheduled event id
		openActIDs               = map[string]int64{}    // activity id -> scheduled event id
		openTimers               = map[string]int64{}    // timer id -> TimerStarted event id
		children                 = map[int64]*childTrack{}
	)
	bad := func(ev types.HistoryEvent, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("event %d %s: ", ev.EventId, ev.EventType)+fmt.Sprintf(format, args...))
	}
	for i, ev := range events {
		if ev.EventId != int64(i+1) {
			bad(ev, "at position %d, want id %d (ids must run 1..n without gaps)", i, i+1)
			return problems // the references below would mislead
		}
		if closedAt != 0 {
			bad(ev, "after the run closed at event %d", closedAt)
		}
		if (i == 0) != (ev.EventType == types.EventTypeWorkflowExecutionStarted) {
			bad(ev, "a history starts with WorkflowExecutionStarted, and only there")
		}
		switch ev.EventType {
		case types.EventTypeDecisionTaskScheduled:
			if decScheduled != 0 {
				bad(ev, "decision task %d is already scheduled and not started", decScheduled)
			}
			decScheduled = ev.EventId
		case types.EventTypeDecisionTaskStarted:
			a := ev.DecisionTaskStartedEventAttributes
			switch {
			case decStarted != 0:
				bad(ev, "decision task started at event %d is still open: two decision tasks started at once", decStarted)
			case a.ScheduledEventId != decScheduled || decScheduled == 0:
				bad(ev, "starts decision task %d, but the one scheduled and not started is %d", a.ScheduledEventId, decScheduled)
			}
			decScheduled, decStarted = 0, ev.EventId
		case types.EventTypeDecisionTaskCompleted:
			a := ev.DecisionTaskCompletedEventAttributes
			if a.StartedEventId != decStarted || decStarted == 0 {
				bad(ev, "completes the decision task started at %d, but the open one started at %d", a.StartedEventId, decStarted)
			}
			decStarted = 0
		case types.EventTypeDecisionTaskTimedOut:
			a := ev.DecisionTaskTimedOutEventAttributes
			if a.TimeoutType == types.DecisionTaskTimeoutTypeScheduleToStart {
				if a.ScheduledEventId != decScheduled || decScheduled == 0 {
					bad(ev, "times out decision task %d before its start, but the one waiting is %d", a.ScheduledEventId, decScheduled)
				}
				decScheduled = 0
				break
			}
			if a.StartedEventId != decStarted || decStarted == 0 {
				bad(ev, "times out the decision task started at %d, but the open one started at %d", a.StartedEventId, decStarted)
			}
			decStarted = 0

		case types.EventTypeActivityTaskScheduled:
			id := aws.ToString(ev.ActivityTaskScheduledEventAttributes.ActivityId)
			if prev, open := openActIDs[id]; open {
				bad(ev, "activity id %q is still open (scheduled at %d)", id, prev)
			}
			openActIDs[id] = ev.EventId
			acts[ev.EventId] = &actTrack{id: id}
		case types.EventTypeActivityTaskStarted:
			s := ev.ActivityTaskStartedEventAttributes.ScheduledEventId
			switch a := acts[s]; {
			case a == nil:
				bad(ev, "starts activity task %d, which was never scheduled", s)
			case a.started != 0:
				bad(ev, "starts activity task %d a second time (first started at %d)", s, a.started)
			case a.closed != 0:
				bad(ev, "starts activity task %d, closed at %d", s, a.closed)
			default:
				a.started = ev.EventId
			}
		case types.EventTypeActivityTaskCompleted, types.EventTypeActivityTaskFailed,
			types.EventTypeActivityTaskCanceled, types.EventTypeActivityTaskTimedOut:
			s, started := activityClose(ev)
			switch a := acts[s]; {
			case a == nil:
				bad(ev, "closes activity task %d, which was never scheduled", s)
			case a.closed != 0:
				bad(ev, "closes activity task %d a second time (first closed at %d)", s, a.closed)
			case started != a.started:
				bad(ev, "names started event %d for activity task %d, which started at %d", started, s, a.started)
			default:
				a.closed = ev.EventId
				delete(openActIDs, a.id)
			}

		case types.EventTypeTimerStarted:
			id := aws.ToString(ev.TimerStartedEventAttributes.TimerId)
			if prev, open := openTimers[id]; open {
				bad(ev, "timer %q is still open (started at %d)", id, prev)
			}
			openTimers[id] = ev.EventId
		case types.EventTypeTimerFired, types.EventTypeTimerCanceled:
			id, started := timerClose(ev)
			if open, ok := openTimers[id]; !ok || open != started {
				bad(ev, "closes timer %q started at %d, but the open timer %q started at %d (0: none; a timer fires or is canceled once)", id, started, id, open)
			} else if ev.EventType == types.EventTypeTimerFired {
				st := events[started-1]
				if early := dueBy(st, aws.ToString(st.TimerStartedEventAttributes.StartToFireTimeout)).Sub(aws.ToTime(ev.EventTimestamp)); early > 0 {
					bad(ev, "timer %q fired %v before it was due", id, early)
				}
			}
			delete(openTimers, id)
		case types.EventTypeWorkflowExecutionTimedOut:
			st := events[0]
			if st.WorkflowExecutionStartedEventAttributes == nil {
				break
			}
			if early := dueBy(st, aws.ToString(st.WorkflowExecutionStartedEventAttributes.ExecutionStartToCloseTimeout)).Sub(aws.ToTime(ev.EventTimestamp)); early > 0 {
				bad(ev, "the run timed out %v before its execution timeout", early)
			}

		case types.EventTypeStartChildWorkflowExecutionInitiated:
			children[ev.EventId] = &childTrack{}
		case types.EventTypeChildWorkflowExecutionStarted, types.EventTypeStartChildWorkflowExecutionFailed:
			init := attrID(ev, "InitiatedEventId")
			if init == 0 {
				break // a start refused at the decision: nothing was initiated
			}
			switch c := children[init]; {
			case c == nil:
				bad(ev, "child initiated at %d was never initiated", init)
			case c.started != 0 || c.closed != 0:
				bad(ev, "child initiated at %d already started (%d) or failed (%d)", init, c.started, c.closed)
			case ev.EventType == types.EventTypeChildWorkflowExecutionStarted:
				c.started = ev.EventId
			default:
				c.closed = ev.EventId
			}
		case types.EventTypeChildWorkflowExecutionCompleted, types.EventTypeChildWorkflowExecutionFailed,
			types.EventTypeChildWorkflowExecutionCanceled, types.EventTypeChildWorkflowExecutionTimedOut,
			types.EventTypeChildWorkflowExecutionTerminated:
			init, started := childClose(ev)
			switch c := children[init]; {
			case c == nil:
				bad(ev, "child initiated at %d was never initiated", init)
			case c.started == 0 || c.started != started:
				bad(ev, "names started event %d for the child initiated at %d, which started at %d", started, init, c.started)
			case c.closed != 0:
				bad(ev, "the child initiated at %d already closed at %d", init, c.closed)
			default:
				c.closed = ev.EventId
			}
		}
		if closing(ev.EventType) {
			closedAt = ev.EventId
		}
	}
	return problems
}

// dueBy is when a deadline of timeout seconds, counted from ev, falls due
// (the timestamps have milliseconds; a deadline is never before its due
// time, to the millisecond).
func dueBy(ev types.HistoryEvent, timeout string) time.Time {
	secs, err := strconv.Atoi(timeout)
	if err != nil {
		return time.Time{} // NONE, or none given: never due, never early
	}
	return aws.ToTime(ev.EventTimestamp).Add(time.Duration(secs)*time.Second - time.Millisecond)
}

type actTrack struct {
	id              string
	started, closed int64
}

type childTrack struct{ started, closed int64 }

// settled checks a run that its decider completed, once the load is over:
// everything it opened was resolved before, each exactly once. (A run
// closed any other way may leave work open: its end drops it.)
func settled(events []types.HistoryEvent) []string {
	if len(events) == 0 || events[len(events)-1].EventType != types.EventTypeWorkflowExecutionCompleted {
		return nil
	}
	var problems []string
	resolved := map[int64]bool{}
	for _, ev := range events {
		switch ev.EventType {
		case types.EventTypeActivityTaskCompleted, types.EventTypeActivityTaskFailed,
			types.EventTypeActivityTaskCanceled, types.EventTypeActivityTaskTimedOut:
			s, _ := activityClose(ev)
			resolved[s] = true
		case types.EventTypeTimerFired, types.EventTypeTimerCanceled:
			_, s := timerClose(ev)
			resolved[s] = true
		case types.EventTypeDecisionTaskCompleted:
			resolved[ev.DecisionTaskCompletedEventAttributes.StartedEventId] = true
		case types.EventTypeDecisionTaskTimedOut:
			a := ev.DecisionTaskTimedOutEventAttributes
			resolved[a.StartedEventId] = true
			resolved[a.ScheduledEventId] = true
		case types.EventTypeDecisionTaskStarted:
			resolved[ev.DecisionTaskStartedEventAttributes.ScheduledEventId] = true
		case types.EventTypeChildWorkflowExecutionCompleted, types.EventTypeChildWorkflowExecutionFailed,
			types.EventTypeChildWorkflowExecutionCanceled, types.EventTypeChildWorkflowExecutionTimedOut,
			types.EventTypeChildWorkflowExecutionTerminated:
			init, _ := childClose(ev)
			resolved[init] = true
		case types.EventTypeStartChildWorkflowExecutionFailed:
			resolved[ev.StartChildWorkflowExecutionFailedEventAttributes.InitiatedEventId] = true
		}
	}
	for _, ev := range events {
		switch ev.EventType {
		case types.EventTypeActivityTaskScheduled, types.EventTypeTimerStarted,
			types.EventTypeDecisionTaskStarted, types.EventTypeStartChildWorkflowExecutionInitiated:
			if !resolved[ev.EventId] {
				problems = append(problems, fmt.Sprintf("event %d %s: never resolved, yet the run completed", ev.EventId, ev.EventType))
			}
		}
	}
	return problems
}

// closing reports whether an event closes its run.
func closing(et types.EventType) bool {
	switch et {
	case types.EventTypeWorkflowExecutionCompleted, types.EventTypeWorkflowExecutionFailed,
		types.EventTypeWorkflowExecutionCanceled, types.EventTypeWorkflowExecutionTerminated,
		types.EventTypeWorkflowExecutionTimedOut, types.EventTypeWorkflowExecutionContinuedAsNew:
		return true
	}
	return false
}

// attr reads a member of an event's attributes: the one attributes member
// an event has is named after its type (ActivityTaskCompleted:
// ActivityTaskCompletedEventAttributes). It is the zero value when the
// event has no such member.
func attr(ev types.HistoryEvent, name string) reflect.Value {
	a := reflect.ValueOf(ev).FieldByName(string(ev.EventType) + "EventAttributes")
	if !a.IsValid() || a.IsNil() {
		return reflect.Value{}
	}
	return a.Elem().FieldByName(name)
}

// attrID reads an event id member of an event's attributes (0: none).
func attrID(ev types.HistoryEvent, name string) int64 {
	if v := attr(ev, name); v.IsValid() {
		return v.Int()
	}
	return 0
}

// activityClose names the scheduled and started events an activity's
// closing event refers to.
func activityClose(ev types.HistoryEvent) (scheduled, started int64) {
	return attrID(ev, "ScheduledEventId"), attrID(ev, "StartedEventId")
}

// timerClose names the timer a TimerFired or TimerCanceled closes.
func timerClose(ev types.HistoryEvent) (id string, started int64) {
	if v := attr(ev, "TimerId"); v.IsValid() {
		id = aws.ToString(v.Interface().(*string))
	}
	return id, attrID(ev, "StartedEventId")
}

// childClose names the initiated and started events a child's closing
// event refers to.
func childClose(ev types.HistoryEvent) (initiated, started int64) {
	return attrID(ev, "InitiatedEventId"), attrID(ev, "StartedEventId")
}

// decisionEvents are the events that carry out a decision, one each.
var decisionEvents = map[types.EventType]bool{
	types.EventTypeActivityTaskScheduled: true, types.EventTypeScheduleActivityTaskFailed: true,
	types.EventTypeTimerStarted: true, types.EventTypeStartTimerFailed: true,
	types.EventTypeTimerCanceled: true, types.EventTypeCancelTimerFailed: true,
	types.EventTypeStartChildWorkflowExecutionInitiated: true, types.EventTypeStartChildWorkflowExecutionFailed: true,
	types.EventTypeWorkflowExecutionCompleted: true, types.EventTypeCompleteWorkflowExecutionFailed: true,
	types.EventTypeWorkflowExecutionCanceled: true, types.EventTypeCancelWorkflowExecutionFailed: true,
}

// decisionOutcome reports the DecisionTaskCompleted event whose decision
// an event carries out (the first event of each decision: a decision that
// starts a child records StartChildWorkflowExecutionInitiated, and a later
// failure of that start refers to the same completion but is not counted).
func decisionOutcome(ev types.HistoryEvent) (completed int64, ok bool) {
	if !decisionEvents[ev.EventType] || attrID(ev, "InitiatedEventId") != 0 {
		return 0, false
	}
	return attrID(ev, "DecisionTaskCompletedEventId"), true
}

// sendState is what a client knows of one call: it was sent, and either
// answered with success (acked), refused with a fault, or lost (no answer:
// the server died under it).
type sendState int

const (
	sent sendState = iota // no answer: it may or may not have happened
	acked
	refused // a fault: it must not have happened
)

// answer turns a call's error into what the client learnt. An
// InternalFailure (500) leaves the outcome open, as on AWS: a node that
// lost its database connection mid-commit cannot know whether the commit
// landed. So does a 503 for a flush that failed after the commit (its
// message says the change may or may not survive). Any other 503 (a node
// that does not serve the shard, a write that storage refused before
// anything of it was stored) is a refusal.
func answer(err error) sendState {
	var status interface{ HTTPStatusCode() int }
	var msg interface{ ErrorMessage() string }
	switch {
	case err == nil:
		return acked
	case isFault(err) && errors.As(err, &status) && status.HTTPStatusCode() == 500:
		return sent
	case isFault(err) && errors.As(err, &msg) && strings.Contains(msg.ErrorMessage(), "may or may not survive"):
		return sent
	case isFault(err):
		return refused
	}
	return sent
}

func (s sendState) String() string {
	return [...]string{sent: "sent, unanswered", acked: "acknowledged", refused: "refused"}[s]
}

// ledger is the log of what the clients asked and were told. Every call is
// logged as sent before it goes out and updated with its answer, so a
// history may hold only effects the ledger knows of.
type ledger struct {
	mu          sync.Mutex
	starts      map[string]*startCall    // by workflow id
	signals     map[string]*call         // by input, unique per signal
	cancels     map[string]*call         // by run id
	completions map[activityKey]*call    // by activity attempt
	heartbeats  map[activityKey]*hbLog   // by activity attempt
	decisions   map[decisionKey]*decCall // by run id and started event id
	closed      map[string]bool          // runs a decider asked to close (the load leaves them alone)
	counts      map[string]map[sendState]int
}

type call struct {
	runID string
	state sendState
}

type startCall struct {
	runID string // the answer's, once acknowledged
	state sendState
}

// activityKey names an activity attempt: its run and the id of its
// ActivityTaskStarted event (which the worker's task carries).
type activityKey struct {
	runID   string
	started int64
}

type decisionKey struct {
	runID   string
	started int64
}

type decCall struct {
	n     int // decisions in the call
	state sendState
}

type hbLog struct{ sent, acked int } // numbers of the last heartbeat sent and acknowledged

func newLedger() *ledger {
	return &ledger{
		starts:      map[string]*startCall{},
		signals:     map[string]*call{},
		cancels:     map[string]*call{},
		completions: map[activityKey]*call{},
		heartbeats:  map[activityKey]*hbLog{},
		decisions:   map[decisionKey]*decCall{},
		closed:      map[string]bool{},
		counts:      map[string]map[sendState]int{},
	}
}

// note records the answer to one call of kind what (for the counts).
func (l *ledger) note(what string, s sendState) {
	if l.counts[what] == nil {
		l.counts[what] = map[sendState]int{}
	}
	l.counts[what][s]++
}

// summary counts the calls of each kind by answer, for the log.
func (l *ledger) summary() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	kinds := make([]string, 0, len(l.counts))
	for k := range l.counts {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	out := ""
	for _, k := range kinds {
		c := l.counts[k]
		out += fmt.Sprintf("%s %d acked, %d refused, %d unanswered; ", k, c[acked], c[refused], c[sent])
	}
	return out
}

// check compares the histories (every run of the domain, by run id) with
// the ledger: each acknowledged effect is there exactly once, an
// unanswered one at most once, a refused one not at all, and nothing is
// there that no client asked for.
func (l *ledger) check(hists map[string][]types.HistoryEvent, runsOf map[string][]string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	want := func(what string, s sendState, got int) {
		switch {
		case s == acked && got != 1:
			bad("%s: acknowledged, found %d times (want exactly once)", what, got)
		case s == sent && got > 1:
			bad("%s: unanswered, found %d times (want at most once)", what, got)
		case s == refused && got != 0:
			bad("%s: refused with a fault, found %d times (want none)", what, got)
		}
	}

	for id, sc := range l.starts {
		runs := runsOf[id]
		got := len(runs)
		want(fmt.Sprintf("start of %s", id), sc.state, got)
		if sc.state == acked && got == 1 && runs[0] != sc.runID {
			bad("start of %s: acknowledged with run %s, but the run is %s", id, sc.runID, runs[0])
		}
	}

	signals := map[string]int{}
	cancels := map[string]int{}
	completions := map[activityKey]int{}
	decisions := map[decisionKey]int{}
	for runID, events := range hists {
		completedAt := map[int64]int64{} // DecisionTaskCompleted id -> started id
		outcomes := map[int64]int{}      // DecisionTaskCompleted id -> decisions carried out
		for _, ev := range events {
			switch ev.EventType {
			case types.EventTypeWorkflowExecutionSignaled:
				in := aws.ToString(ev.WorkflowExecutionSignaledEventAttributes.Input)
				signals[in]++
				if c := l.signals[in]; c == nil {
					bad("run %s: signal %q, which no client sent", runID, in)
				} else if c.runID != runID {
					bad("run %s: signal %q, which was sent to run %s", runID, in, c.runID)
				}
			case types.EventTypeWorkflowExecutionCancelRequested:
				if ev.WorkflowExecutionCancelRequestedEventAttributes.ExternalInitiatedEventId != 0 {
					break
				}
				cancels[runID]++
				if l.cancels[runID] == nil {
					bad("run %s: a cancel request no client sent", runID)
				}
			case types.EventTypeActivityTaskCompleted:
				k := activityKey{runID, ev.ActivityTaskCompletedEventAttributes.StartedEventId}
				completions[k]++
				if l.completions[k] == nil {
					bad("run %s: activity task started at %d completed, but no worker completed it", runID, k.started)
				} else if got, want := aws.ToString(ev.ActivityTaskCompletedEventAttributes.Result), activityResult(k); got != want {
					bad("run %s: activity task started at %d completed with result %q, the worker sent %q", runID, k.started, got, want)
				}
			case types.EventTypeActivityTaskTimedOut:
				a := ev.ActivityTaskTimedOutEventAttributes
				hb := l.heartbeats[activityKey{runID, a.StartedEventId}]
				if hb == nil {
					break
				}
				switch n, err := heartbeatNumber(a.Details); {
				case err != nil:
					bad("run %s: activity task started at %d timed out with details: %v", runID, a.StartedEventId, err)
				case n < hb.acked:
					bad("run %s: activity task started at %d timed out with details hb-%d, older than the last acknowledged heartbeat hb-%d", runID, a.StartedEventId, n, hb.acked)
				case n > hb.sent:
					bad("run %s: activity task started at %d timed out with details hb-%d, never sent (last sent hb-%d)", runID, a.StartedEventId, n, hb.sent)
				}
			case types.EventTypeDecisionTaskCompleted:
				a := ev.DecisionTaskCompletedEventAttributes
				completedAt[ev.EventId] = a.StartedEventId
				if l.decisions[decisionKey{runID, a.StartedEventId}] == nil {
					bad("run %s: decision task started at %d completed, but no decider completed it", runID, a.StartedEventId)
				}
			}
			if c, ok := decisionOutcome(ev); ok {
				outcomes[c]++
			}
		}
		for completed, started := range completedAt {
			decisions[decisionKey{runID, started}]++
			if d := l.decisions[decisionKey{runID, started}]; d != nil && outcomes[completed] != d.n {
				bad("run %s: decision task completed at %d carried out %d decisions, the decider sent %d", runID, completed, outcomes[completed], d.n)
			}
		}
	}
	for k, d := range l.decisions {
		if _, known := hists[k.runID]; known {
			want(fmt.Sprintf("completion of the decision task started at %d of run %s", k.started, k.runID), d.state, decisions[k])
		}
	}
	for in, c := range l.signals {
		if _, known := hists[c.runID]; known {
			want(fmt.Sprintf("signal %q to run %s", in, c.runID), c.state, signals[in])
		}
	}
	for runID, c := range l.cancels {
		if _, known := hists[runID]; known {
			want(fmt.Sprintf("cancel request of run %s", runID), c.state, cancels[runID])
		}
	}
	for k, c := range l.completions {
		if _, known := hists[k.runID]; known {
			want(fmt.Sprintf("completion of the activity task started at %d of run %s", k.started, k.runID), c.state, completions[k])
		}
	}
	return problems
}

// activityResult is the result a worker sends for a task, so the checker
// can tell whose completion a history holds.
func activityResult(k activityKey) string { return fmt.Sprintf("done-%s-%d", k.runID, k.started) }
