package shape

import (
	"encoding/json"
	"testing"
	"time"
)

func TestTimestampMarshal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   time.Time
		want string
	}{
		{"millis", time.UnixMilli(1732547885123), "1732547885.123"},
		{"trailing zeros trimmed", time.UnixMilli(1732547885100), "1732547885.1"},
		{"whole seconds", time.Unix(1732547885, 0), "1732547885"},
		{"sub-millisecond dropped", time.Unix(1732547885, 123456789), "1732547885.123"},
		{"epoch", time.Unix(0, 0), "0"},
		{"before epoch", time.UnixMilli(-1500), "-1.5"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, err := json.Marshal(Timestamp{tc.in})
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Fatalf("got %s, want %s", b, tc.want)
			}
		})
	}
}

func TestTimestampUnmarshal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    time.Time
		wantErr bool
	}{
		{"fraction", "1732547885.123", time.UnixMilli(1732547885123), false},
		{"integer", "1732547885", time.Unix(1732547885, 0), false},
		{"exponent", "1.732547885123E9", time.UnixMilli(1732547885123), false},
		{"negative", "-1.5", time.UnixMilli(-1500), false},
		{"rfc3339", `"2024-11-25T15:18:05.123Z"`, time.UnixMilli(1732547885123), false},
		{"rfc3339 offset", `"2024-11-25T16:18:05+01:00"`, time.Unix(1732547885, 0), false},
		{"bad string", `"yesterday"`, time.Time{}, true},
		{"bool", `true`, time.Time{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var ts Timestamp
			err := json.Unmarshal([]byte(tc.in), &ts)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("expected error, got %v", ts)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !ts.Equal(tc.want) || ts.Location() != time.UTC {
				t.Fatalf("got %v, want %v (UTC)", ts.Time, tc.want)
			}
		})
	}
}

func TestTimestampRoundTrip(t *testing.T) {
	t.Parallel()
	orig := TS(time.Date(2024, 11, 25, 15, 18, 5, 987654321, time.FixedZone("X", 3600)))
	if orig.Nanosecond() != 987000000 || orig.Location() != time.UTC {
		t.Fatalf("TS did not truncate to UTC millis: %v", orig.Time)
	}
	b, err := json.Marshal(orig)
	if err != nil {
		t.Fatal(err)
	}
	var back Timestamp
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !back.Equal(orig.Time) {
		t.Fatalf("round trip: got %v, want %v (wire %s)", back.Time, orig.Time, b)
	}
}

func TestTimestampOmitZero(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(WorkflowExecutionInfo{})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["closeTimestamp"]; ok {
		t.Fatalf("zero optional timestamp was emitted: %s", b)
	}
	if _, ok := m["startTimestamp"]; !ok {
		t.Fatalf("required timestamp missing: %s", b)
	}
}
