package swftest

import (
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/swf/types"
)

// CheckHistory fails the test unless events is a well-formed whole history
// (BEHAVIOR §6): numbered 1, 2, 3… in order, each with a timestamp no
// earlier than the one before, and each with exactly one attributes member,
// the one named after its event type.
func CheckHistory(tb testing.TB, events []types.HistoryEvent) {
	tb.Helper()
	for i, ev := range events {
		if ev.EventId != int64(i+1) {
			tb.Fatalf("event %d (%s) has id %d, want %d", i, ev.EventType, ev.EventId, i+1)
		}
		checkEvent(tb, ev)
		if i > 0 && ev.EventTimestamp.Before(*events[i-1].EventTimestamp) {
			tb.Fatalf("event %d (%s) at %v is earlier than event %d at %v", ev.EventId, ev.EventType, *ev.EventTimestamp, i, *events[i-1].EventTimestamp)
		}
	}
}

// checkEvent checks one event's timestamp and attributes member.
func checkEvent(tb testing.TB, ev types.HistoryEvent) {
	tb.Helper()
	if ev.EventTimestamp == nil || ev.EventTimestamp.IsZero() {
		tb.Fatalf("event %d (%s) has no eventTimestamp", ev.EventId, ev.EventType)
	}
	want := string(ev.EventType) + "EventAttributes"
	v := reflect.ValueOf(ev)
	found := false
	for i := range v.NumField() {
		name := v.Type().Field(i).Name
		if !strings.HasSuffix(name, "EventAttributes") {
			continue
		}
		set := !v.Field(i).IsNil()
		switch {
		case name == want && !set:
			tb.Fatalf("event %d (%s) has no %s", ev.EventId, ev.EventType, want)
		case name == want:
			found = true
		case set:
			tb.Fatalf("event %d (%s) also has %s, want only %s", ev.EventId, ev.EventType, name, want)
		}
	}
	if !found {
		tb.Fatalf("event %d has event type %q, which names no attributes member", ev.EventId, ev.EventType)
	}
}
