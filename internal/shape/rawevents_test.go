package shape

import (
	"encoding/json"
	"testing"
)

// A task whose events are raw encodes to the same bytes as one whose
// events are structs.
func TestRawEventsEncodeLikeEvents(t *testing.T) {
	ev := HistoryEvent{EventId: 3, EventType: EventTypeDecisionTaskStarted, EventTimestamp: Timestamp{},
		DecisionTaskStartedEventAttributes: &DecisionTaskStartedEventAttributes{Identity: "me", ScheduledEventId: 2}}
	raw, err := json.Marshal(&ev)
	if err != nil {
		t.Fatal(err)
	}
	decoded := &DecisionTask{TaskToken: "t", StartedEventId: 3, Events: []HistoryEvent{ev}, NextPageToken: "n"}
	passed := &DecisionTask{TaskToken: "t", StartedEventId: 3, RawEvents: RawEvents{raw}, NextPageToken: "n"}
	a, err := json.Marshal(decoded)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(passed)
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) {
		t.Fatalf("raw events encode as\n%s\nwant\n%s", b, a)
	}
	h1, _ := json.Marshal(&History{Events: []HistoryEvent{ev}})
	h2, _ := json.Marshal(&History{RawEvents: RawEvents{raw}})
	if string(h1) != string(h2) {
		t.Fatalf("raw history encodes as\n%s\nwant\n%s", h2, h1)
	}
	back, err := passed.RawEvents.Decode()
	if err != nil || len(back) != 1 || back[0].DecisionTaskStartedEventAttributes.Identity != "me" {
		t.Fatalf("Decode = %+v, %v", back, err)
	}
}
