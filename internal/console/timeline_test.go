package console

import (
	"strings"
	"testing"
	"time"

	"github.com/openswf/openswf/internal/shape"
)

func TestTimeline(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	at := func(s int) shape.Timestamp { return shape.TS(t0.Add(time.Duration(s) * time.Second)) }
	ev := func(id int64, s int, typ shape.EventType, set func(*shape.HistoryEvent)) shape.HistoryEvent {
		e := shape.HistoryEvent{EventId: id, EventTimestamp: at(s), EventType: typ}
		set(&e)
		return e
	}
	events := []shape.HistoryEvent{
		ev(1, 0, shape.EventTypeWorkflowExecutionStarted, func(e *shape.HistoryEvent) {
			e.WorkflowExecutionStartedEventAttributes = &shape.WorkflowExecutionStartedEventAttributes{}
		}),
		ev(2, 0, shape.EventTypeDecisionTaskScheduled, func(e *shape.HistoryEvent) {
			e.DecisionTaskScheduledEventAttributes = &shape.DecisionTaskScheduledEventAttributes{}
		}),
		ev(3, 1, shape.EventTypeDecisionTaskStarted, func(e *shape.HistoryEvent) {
			e.DecisionTaskStartedEventAttributes = &shape.DecisionTaskStartedEventAttributes{ScheduledEventId: 2}
		}),
		ev(4, 2, shape.EventTypeDecisionTaskCompleted, func(e *shape.HistoryEvent) {
			e.DecisionTaskCompletedEventAttributes = &shape.DecisionTaskCompletedEventAttributes{ScheduledEventId: 2, StartedEventId: 3}
		}),
		ev(5, 2, shape.EventTypeActivityTaskScheduled, func(e *shape.HistoryEvent) {
			e.ActivityTaskScheduledEventAttributes = &shape.ActivityTaskScheduledEventAttributes{ActivityId: "a<1>", ActivityType: &shape.ActivityType{Name: "charge", Version: "1"}}
		}),
		ev(6, 2, shape.EventTypeTimerStarted, func(e *shape.HistoryEvent) {
			e.TimerStartedEventAttributes = &shape.TimerStartedEventAttributes{TimerId: "t1", StartToFireTimeout: "30"}
		}),
		ev(7, 3, shape.EventTypeActivityTaskStarted, func(e *shape.HistoryEvent) {
			e.ActivityTaskStartedEventAttributes = &shape.ActivityTaskStartedEventAttributes{ScheduledEventId: 5}
		}),
		ev(8, 10, shape.EventTypeWorkflowExecutionSignaled, func(e *shape.HistoryEvent) {
			e.WorkflowExecutionSignaledEventAttributes = &shape.WorkflowExecutionSignaledEventAttributes{SignalName: "hurry"}
		}),
		ev(9, 32, shape.EventTypeTimerFired, func(e *shape.HistoryEvent) {
			e.TimerFiredEventAttributes = &shape.TimerFiredEventAttributes{TimerId: "t1", StartedEventId: 6}
		}),
		ev(10, 303, shape.EventTypeActivityTaskTimedOut, func(e *shape.HistoryEvent) {
			e.ActivityTaskTimedOutEventAttributes = &shape.ActivityTaskTimedOutEventAttributes{ScheduledEventId: 5, StartedEventId: 7, TimeoutType: shape.ActivityTaskTimeoutTypeHeartbeat}
		}),
	}
	svg := string(timeline(events, t0.Add(400*time.Second)))
	for _, want := range []string{
		`data-kind="decision" data-id="2" data-state="completed"`,
		`data-kind="activity" data-id="a&lt;1&gt;" data-state="timed-out" data-activity="a&lt;1&gt;"`,
		`data-kind="timer" data-id="t1" data-state="fired"`,
		`<g class="mark signal" data-kind="signal"><title>hurry`,
		"timed out (HEARTBEAT)",
		">+6m40s</text>",
	} {
		if !strings.Contains(svg, want) {
			t.Errorf("timeline: no %q in\n%s", want, svg)
		}
	}
	if strings.Contains(svg, "a<1>") {
		t.Error("timeline: an activity id is not escaped")
	}
	if timeline(nil, t0) != "" {
		t.Error("timeline of no events: want none")
	}
}
