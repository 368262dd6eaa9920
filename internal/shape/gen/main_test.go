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
	want, err := generate(src)
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
