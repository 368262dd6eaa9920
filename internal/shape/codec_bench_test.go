package shape_test

import (
	"strings"
	"testing"
	"time"

	"github.com/openswf/openswf/internal/shape"
)

// decisionsBody is a RespondDecisionTaskCompleted as a decider sends it
// after an activity completed: schedule two more, start a timer, record a
// marker.
var decisionsBody = []byte(`{"decisions":[` +
	`{"decisionType":"ScheduleActivityTask","scheduleActivityTaskDecisionAttributes":{"activityId":"a-1","activityType":{"name":"resize","version":"1"},"input":"{\"image\":\"s3://bucket/k1.jpg\"}","taskList":{"name":"images"},"scheduleToCloseTimeout":"300","startToCloseTimeout":"60","heartbeatTimeout":"30"}},` +
	`{"decisionType":"ScheduleActivityTask","scheduleActivityTaskDecisionAttributes":{"activityId":"a-2","activityType":{"name":"resize","version":"1"},"input":"{\"image\":\"s3://bucket/k2.jpg\"}","taskList":{"name":"images"}}},` +
	`{"decisionType":"StartTimer","startTimerDecisionAttributes":{"timerId":"t-1","startToFireTimeout":"120"}},` +
	`{"decisionType":"RecordMarker","recordMarkerDecisionAttributes":{"markerName":"progress","details":"2 of 3"}}],` +
	`"executionContext":"step 2","taskToken":"` + strings.Repeat("Ab3_", 34) + `"}`)

// BenchmarkDecodeDecisions is the decode and validation of a decision
// task's completion carrying four decisions.
func BenchmarkDecodeDecisions(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(decisionsBody)))
	for b.Loop() {
		in, err := shape.Decode("RespondDecisionTaskCompleted", decisionsBody)
		if err != nil {
			b.Fatal(err)
		}
		if len(in.(*shape.RespondDecisionTaskCompletedInput).Decisions) != 4 {
			b.Fatal("decisions lost")
		}
	}
}

// decisionTask is a decision task of ten events, as a decision poll
// answers the second decision of a workflow.
func decisionTask() *shape.DecisionTask {
	t0 := shape.TS(time.Date(2026, 12, 1, 20, 0, 0, 123e6, time.UTC))
	wt := &shape.WorkflowType{Name: "process-images", Version: "1"}
	at := &shape.ActivityType{Name: "resize", Version: "1"}
	tl := &shape.TaskList{Name: "images"}
	ev := []shape.HistoryEvent{
		{EventType: shape.EventTypeWorkflowExecutionStarted, WorkflowExecutionStartedEventAttributes: &shape.WorkflowExecutionStartedEventAttributes{
			WorkflowType: wt, TaskList: &shape.TaskList{Name: "deciders"}, ChildPolicy: shape.ChildPolicyTerminate,
			ExecutionStartToCloseTimeout: "3600", TaskStartToCloseTimeout: "30", Input: `{"images":["k1.jpg","k2.jpg"]}`}},
		{EventType: shape.EventTypeDecisionTaskScheduled, DecisionTaskScheduledEventAttributes: &shape.DecisionTaskScheduledEventAttributes{TaskList: &shape.TaskList{Name: "deciders"}, StartToCloseTimeout: "30"}},
		{EventType: shape.EventTypeDecisionTaskStarted, DecisionTaskStartedEventAttributes: &shape.DecisionTaskStartedEventAttributes{Identity: "decider-1", ScheduledEventId: 2}},
		{EventType: shape.EventTypeDecisionTaskCompleted, DecisionTaskCompletedEventAttributes: &shape.DecisionTaskCompletedEventAttributes{ScheduledEventId: 2, StartedEventId: 3}},
		{EventType: shape.EventTypeActivityTaskScheduled, ActivityTaskScheduledEventAttributes: &shape.ActivityTaskScheduledEventAttributes{
			ActivityId: "a-1", ActivityType: at, TaskList: tl, DecisionTaskCompletedEventId: 4, Input: `{"image":"k1.jpg"}`,
			ScheduleToCloseTimeout: "300", ScheduleToStartTimeout: "240", StartToCloseTimeout: "60", HeartbeatTimeout: "30"}},
		{EventType: shape.EventTypeActivityTaskStarted, ActivityTaskStartedEventAttributes: &shape.ActivityTaskStartedEventAttributes{Identity: "worker-7", ScheduledEventId: 5}},
		{EventType: shape.EventTypeActivityTaskCompleted, ActivityTaskCompletedEventAttributes: &shape.ActivityTaskCompletedEventAttributes{Result: `{"size":1024,"ok":true}`, ScheduledEventId: 5, StartedEventId: 6}},
		{EventType: shape.EventTypeDecisionTaskScheduled, DecisionTaskScheduledEventAttributes: &shape.DecisionTaskScheduledEventAttributes{TaskList: &shape.TaskList{Name: "deciders"}, StartToCloseTimeout: "30"}},
		{EventType: shape.EventTypeMarkerRecorded, MarkerRecordedEventAttributes: &shape.MarkerRecordedEventAttributes{MarkerName: "progress", Details: "1 of 2", DecisionTaskCompletedEventId: 4}},
		{EventType: shape.EventTypeDecisionTaskStarted, DecisionTaskStartedEventAttributes: &shape.DecisionTaskStartedEventAttributes{Identity: "decider-1", ScheduledEventId: 8}},
	}
	for i := range ev {
		ev[i].EventId = int64(i + 1)
		ev[i].EventTimestamp = shape.TS(t0.Add(time.Duration(i) * 37 * time.Millisecond))
	}
	return &shape.DecisionTask{
		Events: ev, PreviousStartedEventId: 3, StartedEventId: 10, TaskToken: strings.Repeat("Ab3_", 34),
		WorkflowExecution: &shape.WorkflowExecution{WorkflowId: "wf-42", RunId: "22F8Ac0bRm0BjxQgzDRPz2Vu2sLbw0fkGUpYKl0OnwpFk="},
		WorkflowType:      wt,
	}
}

// BenchmarkEncodeDecisionTask is the encoding of a ten-event decision task
// as the wire answers a decision poll.
func BenchmarkEncodeDecisionTask(b *testing.B) {
	dt := decisionTask()
	b.ReportAllocs()
	for b.Loop() {
		body, err := encodeOutput(dt)
		if err != nil || len(body) == 0 {
			b.Fatal(err)
		}
	}
}

// encodeBuf is reused between answers, as the wire's pool reuses its
// buffers.
var encodeBuf []byte

func encodeOutput(out any) ([]byte, error) {
	b, err := shape.EncodeOutput(encodeBuf[:0], out)
	encodeBuf = b
	return b, err
}

// BenchmarkEncodeEvents is the encoding of ten events one by one, as the
// engine encodes each new event once to store and cache it.
func BenchmarkEncodeEvents(b *testing.B) {
	events := decisionTask().Events
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		for i := range events {
			buf = shape.AppendHistoryEvent(buf[:0], &events[i])
		}
	}
}
