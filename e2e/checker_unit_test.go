package e2e

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// goodHistory is a completed run as the crash loop's deciders make it,
// shortened: an activity heartbeats and completes, a timer fires, a
// signal arrives, and the run completes.
func goodHistory() []types.HistoryEvent {
	evs := []types.HistoryEvent{
		{EventType: types.EventTypeWorkflowExecutionStarted},
		{EventType: types.EventTypeDecisionTaskScheduled},
		{EventType: types.EventTypeDecisionTaskStarted, DecisionTaskStartedEventAttributes: &types.DecisionTaskStartedEventAttributes{ScheduledEventId: 2}},
		{EventType: types.EventTypeDecisionTaskCompleted, DecisionTaskCompletedEventAttributes: &types.DecisionTaskCompletedEventAttributes{ScheduledEventId: 2, StartedEventId: 3}},
		{EventType: types.EventTypeActivityTaskScheduled, ActivityTaskScheduledEventAttributes: &types.ActivityTaskScheduledEventAttributes{ActivityId: aws.String("a1"), DecisionTaskCompletedEventId: 4}},
		{EventType: types.EventTypeTimerStarted, TimerStartedEventAttributes: &types.TimerStartedEventAttributes{TimerId: aws.String("t1"), DecisionTaskCompletedEventId: 4}},
		{EventType: types.EventTypeActivityTaskStarted, ActivityTaskStartedEventAttributes: &types.ActivityTaskStartedEventAttributes{ScheduledEventId: 5}},
		{EventType: types.EventTypeWorkflowExecutionSignaled, WorkflowExecutionSignaledEventAttributes: &types.WorkflowExecutionSignaledEventAttributes{Input: aws.String("sig-1")}},
		{EventType: types.EventTypeDecisionTaskScheduled},
		{EventType: types.EventTypeActivityTaskCompleted, ActivityTaskCompletedEventAttributes: &types.ActivityTaskCompletedEventAttributes{ScheduledEventId: 5, StartedEventId: 7, Result: aws.String(activityResult(activityKey{"r", 7}))}},
		{EventType: types.EventTypeTimerFired, TimerFiredEventAttributes: &types.TimerFiredEventAttributes{TimerId: aws.String("t1"), StartedEventId: 6}},
		{EventType: types.EventTypeDecisionTaskStarted, DecisionTaskStartedEventAttributes: &types.DecisionTaskStartedEventAttributes{ScheduledEventId: 9}},
		{EventType: types.EventTypeDecisionTaskCompleted, DecisionTaskCompletedEventAttributes: &types.DecisionTaskCompletedEventAttributes{ScheduledEventId: 9, StartedEventId: 12}},
		{EventType: types.EventTypeWorkflowExecutionCompleted, WorkflowExecutionCompletedEventAttributes: &types.WorkflowExecutionCompletedEventAttributes{DecisionTaskCompletedEventId: 13}},
	}
	for i := range evs {
		evs[i].EventId = int64(i + 1)
	}
	return evs
}

// goodLedger is what the clients of goodHistory were told.
func goodLedger() *ledger {
	l := newLedger()
	l.starts["wf"] = &startCall{runID: "r", state: acked}
	l.signals["sig-1"] = &call{runID: "r", state: acked}
	l.completions[activityKey{"r", 7}] = &call{runID: "r", state: acked}
	l.decisions[decisionKey{"r", 3}] = &decCall{n: 2, state: acked}
	l.decisions[decisionKey{"r", 12}] = &decCall{n: 1, state: acked}
	return l
}

// TestChecker shows that the crash loop's checker passes a good history
// and names each kind of damage: a checker that cannot fail proves nothing.
func TestChecker(t *testing.T) {
	runsOf := map[string][]string{"wf": {"r"}}
	good := goodHistory()
	if p := wellFormed(good); len(p) > 0 {
		t.Fatalf("wellFormed on the good history: %v", p)
	}
	if p := settled(good); len(p) > 0 {
		t.Fatalf("settled on the good history: %v", p)
	}
	if p := goodLedger().check(map[string][]types.HistoryEvent{"r": good}, runsOf); len(p) > 0 {
		t.Fatalf("ledger check on the good history: %v", p)
	}

	// Each damage: a change to the good history (by index) or the ledger,
	// and words the complaint must hold.
	for _, tc := range []struct {
		name   string
		hist   func(h []types.HistoryEvent) []types.HistoryEvent
		ledger func(l *ledger)
		want   string
	}{
		{name: "gap in ids", hist: func(h []types.HistoryEvent) []types.HistoryEvent {
			return append(h[:7:7], h[8:]...)
		}, want: "without gaps"},
		{name: "activity started twice", hist: func(h []types.HistoryEvent) []types.HistoryEvent {
			h[7] = types.HistoryEvent{EventId: 8, EventType: types.EventTypeActivityTaskStarted, ActivityTaskStartedEventAttributes: &types.ActivityTaskStartedEventAttributes{ScheduledEventId: 5}}
			return h
		}, want: "starts activity task 5 a second time"},
		{name: "started never scheduled", hist: func(h []types.HistoryEvent) []types.HistoryEvent {
			h[6].ActivityTaskStartedEventAttributes.ScheduledEventId = 4
			return h
		}, want: "never scheduled"},
		{name: "timer fired twice", hist: func(h []types.HistoryEvent) []types.HistoryEvent {
			h[11] = types.HistoryEvent{EventId: 12, EventType: types.EventTypeTimerFired, TimerFiredEventAttributes: &types.TimerFiredEventAttributes{TimerId: aws.String("t1"), StartedEventId: 6}}
			return h[:12]
		}, want: "a timer fires or is canceled once"},
		{name: "two decision tasks started", hist: func(h []types.HistoryEvent) []types.HistoryEvent {
			h[3] = types.HistoryEvent{EventId: 4, EventType: types.EventTypeDecisionTaskScheduled}
			h[4] = types.HistoryEvent{EventId: 5, EventType: types.EventTypeDecisionTaskStarted, DecisionTaskStartedEventAttributes: &types.DecisionTaskStartedEventAttributes{ScheduledEventId: 4}}
			return h[:5]
		}, want: "two decision tasks started at once"},
		{name: "event after close", hist: func(h []types.HistoryEvent) []types.HistoryEvent {
			return append(h, types.HistoryEvent{EventId: 15, EventType: types.EventTypeMarkerRecorded})
		}, want: "after the run closed"},
		{name: "timer never resolved", hist: func(h []types.HistoryEvent) []types.HistoryEvent {
			h[10] = types.HistoryEvent{EventId: 11, EventType: types.EventTypeMarkerRecorded}
			return h
		}, want: "never resolved"},
		{name: "timer fired early", hist: func(h []types.HistoryEvent) []types.HistoryEvent {
			t0 := time.Unix(1_800_000_000, 0)
			h[5].EventTimestamp = aws.Time(t0)
			h[5].TimerStartedEventAttributes.StartToFireTimeout = aws.String("5")
			h[10].EventTimestamp = aws.Time(t0.Add(2 * time.Second))
			return h
		}, want: `timer "t1" fired 2.999s before it was due`},
		{name: "execution timed out early", hist: func(h []types.HistoryEvent) []types.HistoryEvent {
			t0 := time.Unix(1_800_000_000, 0)
			h[0].EventTimestamp = aws.Time(t0)
			h[0].WorkflowExecutionStartedEventAttributes = &types.WorkflowExecutionStartedEventAttributes{ExecutionStartToCloseTimeout: aws.String("10")}
			h[13] = types.HistoryEvent{EventId: 14, EventType: types.EventTypeWorkflowExecutionTimedOut, EventTimestamp: aws.Time(t0.Add(9 * time.Second))}
			return h
		}, ledger: func(l *ledger) { l.decisions[decisionKey{"r", 12}].n = 0 }, want: "the run timed out 999ms before its execution timeout"},
		{name: "acknowledged signal lost", ledger: func(l *ledger) {
			l.signals["sig-2"] = &call{runID: "r", state: acked}
		}, want: `signal "sig-2" to run r: acknowledged, found 0 times`},
		{name: "signal twice", hist: func(h []types.HistoryEvent) []types.HistoryEvent {
			h[8] = types.HistoryEvent{EventId: 9, EventType: types.EventTypeWorkflowExecutionSignaled, WorkflowExecutionSignaledEventAttributes: &types.WorkflowExecutionSignaledEventAttributes{Input: aws.String("sig-1")}}
			return h
		}, ledger: func(l *ledger) { l.signals["sig-1"].state = sent }, want: "found 2 times (want at most once)"},
		{name: "refused signal present", ledger: func(l *ledger) { l.signals["sig-1"].state = refused }, want: "refused with a fault, found 1 times"},
		{name: "signal nobody sent", ledger: func(l *ledger) { delete(l.signals, "sig-1") }, want: "which no client sent"},
		{name: "acknowledged completion lost", ledger: func(l *ledger) {
			l.completions[activityKey{"r", 99}] = &call{runID: "r", state: acked}
		}, want: "completion of the activity task started at 99 of run r: acknowledged, found 0 times"},
		{name: "acknowledged start lost", ledger: func(l *ledger) {
			l.starts["other"] = &startCall{runID: "r2", state: acked}
		}, want: "start of other: acknowledged, found 0 times"},
		{name: "decision lost", ledger: func(l *ledger) { l.decisions[decisionKey{"r", 3}].n = 3 }, want: "carried out 2 decisions, the decider sent 3"},
		{name: "heartbeat details older than acknowledged", hist: func(h []types.HistoryEvent) []types.HistoryEvent {
			h[9] = types.HistoryEvent{EventId: 10, EventType: types.EventTypeActivityTaskTimedOut, ActivityTaskTimedOutEventAttributes: &types.ActivityTaskTimedOutEventAttributes{ScheduledEventId: 5, StartedEventId: 7, Details: aws.String("hb-1"), TimeoutType: types.ActivityTaskTimeoutTypeHeartbeat}}
			return h
		}, ledger: func(l *ledger) {
			l.heartbeats[activityKey{"r", 7}] = &hbLog{sent: 3, acked: 2}
			l.completions[activityKey{"r", 7}].state = sent
		}, want: "older than the last acknowledged heartbeat hb-2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := goodHistory()
			if tc.hist != nil {
				h = tc.hist(h)
			}
			l := goodLedger()
			if tc.ledger != nil {
				tc.ledger(l)
			}
			all := append(append(wellFormed(h), settled(h)...), l.check(map[string][]types.HistoryEvent{"r": h}, runsOf)...)
			for _, p := range all {
				if strings.Contains(p, tc.want) {
					return
				}
			}
			t.Fatalf("no complaint saying %q; got %q", tc.want, all)
		})
	}
}

// TestAnswer: what a client learnt from each kind of answer. A fault is a
// refusal, except those that leave the outcome open: a 500, and a 503 for
// a flush that failed after the commit.
func TestAnswer(t *testing.T) {
	fault := func(status int, code, msg string) error {
		return &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
			Err:      &smithy.GenericAPIError{Code: code, Message: msg},
		}}
	}
	for _, tc := range []struct {
		name string
		err  error
		want sendState
	}{
		{"answered", nil, acked},
		{"no connection", errors.New("dial tcp: connection refused"), sent},
		{"unknown run", fault(400, "UnknownResourceFault", "Unknown execution"), refused},
		{"internal failure", fault(500, "InternalFailure", "We encountered an internal error."), sent},
		{"not this node's shard", fault(503, "ServiceUnavailableException", "this node does not serve shard 3 now"), refused},
		{"write refused", fault(503, "ServiceUnavailableException", "storage failed, so this change is not durable: write failed, nothing of it was stored: database or disk is full"), refused},
		{"flush failed", fault(503, "ServiceUnavailableException", "storage failed, so this change is not durable: flush failed after the commit, so the change may or may not survive: input/output error"), sent},
	} {
		if got := answer(tc.err); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
