package shape

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDecodeValid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		op   string
		body string
		want any
	}{
		{
			name: "heartbeat",
			op:   "RecordActivityTaskHeartbeat",
			body: `{"taskToken":"tok","details":"d"}`,
			want: &RecordActivityTaskHeartbeatInput{TaskToken: "tok", Details: "d"},
		},
		{
			name: "2048 multi-byte characters",
			op:   "RecordActivityTaskHeartbeat",
			body: `{"taskToken":"tok","details":"` + strings.Repeat("é", 2048) + `"}`,
			want: &RecordActivityTaskHeartbeatInput{TaskToken: "tok", Details: strings.Repeat("é", 2048)},
		},
		{
			name: "unknown members and nulls ignored",
			op:   "RecordActivityTaskHeartbeat",
			body: `{"taskToken":"tok","details":null,"bogus":{"x":[1]},"TASKTOKEN":5}`,
			want: &RecordActivityTaskHeartbeatInput{TaskToken: "tok"},
		},
		{
			name: "nested and enum",
			op:   "ListActivityTypes",
			body: `{"domain":"d","registrationStatus":"REGISTERED","maximumPageSize":1000,"reverseOrder":true}`,
			want: &ListActivityTypesInput{Domain: "d", RegistrationStatus: RegistrationStatusRegistered, MaximumPageSize: 1000, ReverseOrder: true},
		},
		{
			name: "timestamps",
			op:   "CountOpenWorkflowExecutions",
			body: `{"domain":"d","startTimeFilter":{"oldestDate":1732547885.5,"latestDate":"2024-11-25T15:18:06Z"}}`,
			want: &CountOpenWorkflowExecutionsInput{Domain: "d", StartTimeFilter: &ExecutionTimeFilter{
				OldestDate: Timestamp{time.UnixMilli(1732547885500).UTC()},
				LatestDate: Timestamp{time.Unix(1732547886, 0).UTC()},
			}},
		},
		{
			name: "decision list",
			op:   "RespondDecisionTaskCompleted",
			body: `{"taskToken":"t","decisions":[{"decisionType":"StartTimer","startTimerDecisionAttributes":{"timerId":"x","startToFireTimeout":"5"}}]}`,
			want: &RespondDecisionTaskCompletedInput{TaskToken: "t", Decisions: []Decision{{
				DecisionType:                 DecisionTypeStartTimer,
				StartTimerDecisionAttributes: &StartTimerDecisionAttributes{TimerId: "x", StartToFireTimeout: "5"},
			}}},
		},
		{
			name: "empty body is an empty object",
			op:   "ListDomains",
			body: ``,
			want: nil, // fails validation; checked below
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Decode(tc.op, []byte(tc.body))
			if tc.want == nil {
				var ve *ValidationError
				if !errors.As(err, &ve) || ve.Error() != "1 validation error detected: Value null at 'registrationStatus' failed to satisfy constraint: Member must not be null" {
					t.Fatalf("got %v, %v", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

func TestDecodeValidationErrors(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 2049)
	tests := []struct {
		name string
		op   string
		body string
		want string
	}{
		{
			name: "missing taskToken",
			op:   "RecordActivityTaskHeartbeat",
			body: `{}`,
			want: "1 validation error detected: Value null at 'taskToken' failed to satisfy constraint: Member must not be null",
		},
		{
			name: "details too long",
			op:   "RecordActivityTaskHeartbeat",
			body: `{"taskToken":"t","details":"` + long + `"}`,
			want: "1 validation error detected: Value '" + long[:64] + "...' at 'details' failed to satisfy constraint: Member must have length less than or equal to 2048",
		},
		{
			name: "empty taskToken",
			op:   "RecordActivityTaskHeartbeat",
			body: `{"taskToken":""}`,
			want: "1 validation error detected: Value '' at 'taskToken' failed to satisfy constraint: Member must have length greater than or equal to 1",
		},
		{
			name: "enum",
			op:   "ListActivityTypes",
			body: `{"domain":"d","registrationStatus":"FOO"}`,
			want: "1 validation error detected: Value 'FOO' at 'registrationStatus' failed to satisfy constraint: Member must satisfy enum value set: [REGISTERED, DEPRECATED]",
		},
		{
			name: "page size too large",
			op:   "ListDomains",
			body: `{"registrationStatus":"REGISTERED","maximumPageSize":1001}`,
			want: "1 validation error detected: Value '1001' at 'maximumPageSize' failed to satisfy constraint: Member must have value less than or equal to 1000",
		},
		{
			name: "page size negative",
			op:   "ListDomains",
			body: `{"registrationStatus":"REGISTERED","maximumPageSize":-1}`,
			want: "1 validation error detected: Value '-1' at 'maximumPageSize' failed to satisfy constraint: Member must have value greater than or equal to 0",
		},
		{
			name: "nested member",
			op:   "PollForDecisionTask",
			body: `{"domain":"d","taskList":{}}`,
			want: "1 validation error detected: Value null at 'taskList.name' failed to satisfy constraint: Member must not be null",
		},
		{
			name: "nested list path",
			op:   "RespondDecisionTaskCompleted",
			body: `{"taskToken":"t","decisions":[{"decisionType":"StartTimer","startTimerDecisionAttributes":{"timerId":"x","startToFireTimeout":"5"}},
				{"decisionType":"ScheduleActivityTask","scheduleActivityTaskDecisionAttributes":{"activityType":{"name":"n","version":"1"},"activityId":""}}]}`,
			want: "1 validation error detected: Value '' at 'decisions.2.member.scheduleActivityTaskDecisionAttributes.activityId' failed to satisfy constraint: Member must have length greater than or equal to 1",
		},
		{
			name: "list too long",
			op:   "StartWorkflowExecution",
			body: `{"domain":"d","workflowId":"w","workflowType":{"name":"n","version":"1"},"tagList":["a","b","c","d","e","f"]}`,
			want: "1 validation error detected: Value '[a, b, c, d, e, f]' at 'tagList' failed to satisfy constraint: Member must have length less than or equal to 5",
		},
		{
			name: "list element",
			op:   "UntagResource",
			body: `{"resourceArn":"arn","tagKeys":["ok",""]}`,
			want: "1 validation error detected: Value '' at 'tagKeys.2.member' failed to satisfy constraint: Member must have length greater than or equal to 1",
		},
		{
			name: "null list element",
			op:   "UntagResource",
			body: `{"resourceArn":"arn","tagKeys":[null]}`,
			want: "1 validation error detected: Value null at 'tagKeys.1.member' failed to satisfy constraint: Member must not be null",
		},
		{
			name: "two violations",
			op:   "PollForActivityTask",
			body: `{"taskList":{"name":""}}`,
			want: "2 validation errors detected: Value null at 'domain' failed to satisfy constraint: Member must not be null; " +
				"Value '' at 'taskList.name' failed to satisfy constraint: Member must have length greater than or equal to 1",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Decode(tc.op, []byte(tc.body))
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("got %v, %v; want *ValidationError", got, err)
			}
			if ve.Error() != tc.want {
				t.Fatalf("got  %q\nwant %q", ve.Error(), tc.want)
			}
		})
	}
}

func TestDecodeSerializationErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		op   string
		body string
		want string // substring of the message
	}{
		{"malformed", "RecordActivityTaskHeartbeat", `{"taskToken":`, "Malformed JSON"},
		{"malformed syntax", "RecordActivityTaskHeartbeat", `{taskToken: 1}`, "Malformed JSON"},
		{"trailing data", "RecordActivityTaskHeartbeat", `{"taskToken":"t"} {}`, "Malformed JSON"},
		{"top level array", "RecordActivityTaskHeartbeat", `[]`, "expected an object"},
		{"top level string", "RecordActivityTaskHeartbeat", `"x"`, "expected an object"},
		{"number for string", "RecordActivityTaskHeartbeat", `{"taskToken":5}`, "Unexpected value type for 'taskToken': expected a string"},
		{"string for integer", "ListDomains", `{"registrationStatus":"REGISTERED","maximumPageSize":"5"}`, "Value for 'maximumPageSize' must be an integer"},
		{"fraction for integer", "ListDomains", `{"registrationStatus":"REGISTERED","maximumPageSize":1.5}`, "Value for 'maximumPageSize' must be an integer"},
		{"out of int32 range", "ListDomains", `{"registrationStatus":"REGISTERED","maximumPageSize":4294967296}`, "'maximumPageSize' is out of range"},
		{"string for object", "PollForDecisionTask", `{"domain":"d","taskList":"tl"}`, "Unexpected value type for 'taskList': expected an object"},
		{"object for list", "RespondDecisionTaskCompleted", `{"taskToken":"t","decisions":{}}`, "Unexpected value type for 'decisions': expected a list"},
		{"string for boolean", "ListDomains", `{"registrationStatus":"REGISTERED","reverseOrder":"true"}`, "Unexpected value type for 'reverseOrder': expected a boolean"},
		{"bad list element", "RespondDecisionTaskCompleted", `{"taskToken":"t","decisions":[{"decisionType":1}]}`, "'decisions.1.member.decisionType': expected a string"},
		{"bad timestamp", "CountOpenWorkflowExecutions", `{"domain":"d","startTimeFilter":{"oldestDate":"soon"}}`, "'startTimeFilter.oldestDate'"},
		{"bool timestamp", "CountOpenWorkflowExecutions", `{"domain":"d","startTimeFilter":{"oldestDate":true}}`, "'startTimeFilter.oldestDate': expected a timestamp"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Decode(tc.op, []byte(tc.body))
			var se *SerializationError
			if !errors.As(err, &se) {
				t.Fatalf("got %v, %v; want *SerializationError", got, err)
			}
			if !strings.Contains(se.Message, tc.want) {
				t.Fatalf("message %q does not contain %q", se.Message, tc.want)
			}
		})
	}
}

func TestDecodeUnknownOperation(t *testing.T) {
	t.Parallel()
	_, err := Decode("LaunchRocket", []byte(`{}`))
	var ue *UnknownOperationError
	if !errors.As(err, &ue) || ue.Op != "LaunchRocket" {
		t.Fatalf("got %v, want *UnknownOperationError", err)
	}
}

func TestMarshalShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"required false bool", ActivityTaskStatus{CancelRequested: false}, `{"cancelRequested":false}`},
		{
			"history event omits absent attributes",
			HistoryEvent{
				EventId:        1,
				EventType:      EventTypeTimerFired,
				EventTimestamp: Timestamp{time.UnixMilli(1732547885123)},
				TimerFiredEventAttributes: &TimerFiredEventAttributes{
					StartedEventId: 3,
					TimerId:        "t",
				},
			},
			`{"eventId":1,"eventTimestamp":1732547885.123,"eventType":"TimerFired","timerFiredEventAttributes":{"startedEventId":3,"timerId":"t"}}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, err := json.Marshal(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Fatalf("got  %s\nwant %s", b, tc.want)
			}
		})
	}
}
