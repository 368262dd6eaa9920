package main

import (
	"bytes"
	"os"
	"testing"
)

// TestGeneratedUpToDate checks that the committed shapes_gen.go matches
// what the generator produces from the committed model.json.
func TestGeneratedUpToDate(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("../model.json")
	if err != nil {
		t.Fatal(err)
	}
	table, err := os.ReadFile("../always_sent.txt")
	if err != nil {
		t.Fatal(err)
	}
	want, err := generate(src, table)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../shapes_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("shapes_gen.go is stale; run `go generate ./internal/shape`")
	}
}

// TestCodecsUpToDate checks the same of codecs_gen.go.
func TestCodecsUpToDate(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("../model.json")
	if err != nil {
		t.Fatal(err)
	}
	table, err := os.ReadFile("../always_sent.txt")
	if err != nil {
		t.Fatal(err)
	}
	want, err := generateCodecs(src, table)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../codecs_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("codecs_gen.go is stale; run `go generate ./internal/shape`")
	}
}

func TestCamel(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"START_TO_CLOSE", "StartToClose"},
		{"WorkflowExecutionStarted", "WorkflowExecutionStarted"},
		{"REGISTERED", "Registered"},
		{"ID_ALREADY_IN_USE", "IdAlreadyInUse"},
	}
	for _, tc := range tests {
		if got := camel(tc.in); got != tc.want {
			t.Errorf("camel(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestAlwaysSentTable checks that the table refuses entries that would not
// change what is sent, so a typo cannot pass for a rule.
func TestAlwaysSentTable(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("../model.json")
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string]string{
		"unknown shape":    "NoSuchShape.member evidence",
		"unknown member":   "DecisionTask.noSuchMember evidence",
		"required member":  "DecisionTask.startedEventId evidence",
		"input-only shape": "RecordActivityTaskHeartbeatInput.details evidence",
		"no evidence":      "DecisionTask.previousStartedEventId",
		"listed twice":     "PendingTaskCount.truncated a\nPendingTaskCount.truncated b",
		"not Shape.member": "previousStartedEventId evidence",
		"not a structure":  "ActivityId.x evidence",
	}
	for name, table := range bad {
		if _, err := generate(src, []byte(table)); err == nil {
			t.Errorf("%s: table %q accepted", name, table)
		}
	}
	code, err := generate(src, []byte("# comment\n\nDecisionTask.previousStartedEventId sample\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(code, []byte("`json:\"previousStartedEventId\"`")) {
		t.Error("an always-sent member kept omitempty")
	}
}
