package conformance

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/openswf/openswf/internal/swftest"
)

// bundle is what most tests start from: a server of their own (so that
// advancing its clock touches no other test), a domain, a workflow type with
// every default, an activity type with every default (task list actList,
// all timeouts NONE) and one started execution whose first decision task is
// scheduled.
type bundle struct {
	env     *swftest.Env
	domain  string
	wt      types.WorkflowType
	at      types.ActivityType
	actList string
	wfID    string
	runID   string
}

const actList = "activities"

func setup(tb testing.TB, opts ...swftest.Option) *bundle {
	tb.Helper()
	b := newBundle(tb, opts...)
	b.wfID, b.runID = b.env.Start(tb, b.domain, b.wt)
	return b
}

// newBundle is setup without the execution; the options of each fixture
// change its registration.
func newBundle(tb testing.TB, opts ...swftest.Option) *bundle {
	tb.Helper()
	env := swftest.Start(tb, opts...)
	b := &bundle{env: env, actList: actList}
	b.domain = env.Domain(tb)
	b.wt = env.WorkflowType(tb, b.domain)
	b.at = env.ActivityType(tb, b.domain, "act", swftest.ActivityDefaults(actList))
	return b
}

// pollDecision takes the execution's scheduled decision task.
func (b *bundle) pollDecision(tb testing.TB) *swf.PollForDecisionTaskOutput {
	tb.Helper()
	return b.env.PollDecision(tb, b.domain, swftest.DecisionTaskList)
}

// decide takes the scheduled decision task and completes it with decisions.
func (b *bundle) decide(tb testing.TB, decisions ...types.Decision) *swf.PollForDecisionTaskOutput {
	tb.Helper()
	task := b.pollDecision(tb)
	if got := aws.ToString(task.WorkflowExecution.RunId); got != b.runID {
		tb.Fatalf("decision task of run %s, want run %s", got, b.runID)
	}
	b.env.Decide(tb, aws.ToString(task.TaskToken), decisions...)
	return task
}

// startActivity schedules activity id (of b.at, with opts) in a decision
// task and polls it from actList.
func (b *bundle) startActivity(tb testing.TB, id string, opts ...func(*types.ScheduleActivityTaskDecisionAttributes)) *swf.PollForActivityTaskOutput {
	tb.Helper()
	b.decide(tb, swftest.ScheduleActivity(id, b.at, opts...))
	task := b.env.PollActivity(tb, b.domain, b.actList)
	if got := aws.ToString(task.ActivityId); got != id {
		tb.Fatalf("polled activity %q, want %q", got, id)
	}
	return task
}

func (b *bundle) history(tb testing.TB) []types.HistoryEvent {
	tb.Helper()
	return b.env.History(tb, b.domain, b.wfID, b.runID)
}

func (b *bundle) eventTypes(tb testing.TB) []string {
	tb.Helper()
	return b.env.EventTypes(tb, b.domain, b.wfID, b.runID)
}

func (b *bundle) describe(tb testing.TB) *swf.DescribeWorkflowExecutionOutput {
	tb.Helper()
	return b.env.Describe(tb, b.domain, b.wfID, b.runID)
}

func (b *bundle) execution() *types.WorkflowExecution {
	return &types.WorkflowExecution{WorkflowId: aws.String(b.wfID), RunId: aws.String(b.runID)}
}

// wantTail fails unless the history ends with the event types want.
func wantTail(tb testing.TB, events []types.HistoryEvent, want ...types.EventType) {
	tb.Helper()
	got := swftest.Types(events)
	ws := make([]string, len(want))
	for i, w := range want {
		ws[i] = string(w)
	}
	if len(got) < len(ws) || !slices.Equal(got[len(got)-len(ws):], ws) {
		tb.Fatalf("history ends %v, want it to end %v", got, ws)
	}
}

// wantSame fails unless two histories are identical in ids and types: the
// check that a rejected or no-op request recorded nothing.
func wantSame(tb testing.TB, before, after []types.HistoryEvent) {
	tb.Helper()
	if len(before) != len(after) {
		tb.Fatalf("history went from %v to %v, want it unchanged", swftest.Types(before), swftest.Types(after))
	}
	for i := range before {
		if before[i].EventId != after[i].EventId || before[i].EventType != after[i].EventType {
			tb.Fatalf("event %d went from %s to %s, want it unchanged", i, before[i].EventType, after[i].EventType)
		}
	}
}

// eventByID returns the event with id, failing if there is none.
func eventByID(tb testing.TB, events []types.HistoryEvent, id int64) types.HistoryEvent {
	tb.Helper()
	for _, ev := range events {
		if ev.EventId == id {
			return ev
		}
	}
	tb.Fatalf("no event %d in %v", id, swftest.Types(events))
	return types.HistoryEvent{}
}

// wantIDsNumbered fails unless events are numbered 1, 2, 3… in order.
func wantIDsNumbered(tb testing.TB, events []types.HistoryEvent) {
	tb.Helper()
	for i, ev := range events {
		if ev.EventId != int64(i+1) {
			tb.Fatalf("event %d (%s) has id %d, want %d", i, ev.EventType, ev.EventId, i+1)
		}
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func contextWithTimeout() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), swftest.CallTimeout)
}
