package shape

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"reflect"
	"testing"
)

func TestModelMatchesShared(t *testing.T) {
	t.Parallel()
	shared, err := os.ReadFile("../../../shared/swf/model-2012-01-25.json")
	if errors.Is(err, fs.ErrNotExist) {
		t.Skip("shared model not present")
	}
	if err != nil {
		t.Fatal(err)
	}
	local, err := os.ReadFile("model.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(shared, local) {
		t.Fatal("internal/shape/model.json differs from ../shared/swf/model-2012-01-25.json; copy it and run go generate")
	}
}

func TestOperationsTable(t *testing.T) {
	t.Parallel()
	if got := len(Operations); got != 39 {
		t.Fatalf("len(Operations) = %d, want 39", got)
	}
	for name, op := range Operations {
		if op.Name != name {
			t.Errorf("%s: Name = %q", name, op.Name)
		}
		check := func(kind, shapeName string, newFn func() any) {
			if shapeName == "" {
				if newFn != nil {
					t.Errorf("%s: %s func set without shape", name, kind)
				}
				return
			}
			if LookupShape(shapeName) == nil {
				t.Errorf("%s: %s shape %s not in model", name, kind, shapeName)
			}
			v := newFn()
			rt := reflect.TypeOf(v)
			if rt.Kind() != reflect.Pointer || rt.Elem().Name() != shapeName {
				t.Errorf("%s: New%s returns %T, want *%s", name, kind, v, shapeName)
			}
		}
		check("Input", op.Input, op.NewInput)
		check("Output", op.Output, op.NewOutput)
		for _, e := range op.Errors {
			if s := LookupShape(e); s == nil || !s.Exception {
				t.Errorf("%s: error %s is not an exception shape", name, e)
			}
		}
	}
	if op := Operations["RegisterDomain"]; op.Output != "" || op.NewOutput != nil {
		t.Errorf("RegisterDomain should have no output: %+v", op)
	}
}

func TestEnumValues(t *testing.T) {
	t.Parallel()
	got := RegistrationStatus("").Values()
	want := []RegistrationStatus{RegistrationStatusRegistered, RegistrationStatusDeprecated}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Values() = %v, want %v", got, want)
	}
	if ActivityTaskTimeoutTypeStartToClose != "START_TO_CLOSE" || EventTypeWorkflowExecutionStarted != "WorkflowExecutionStarted" {
		t.Fatal("unexpected enum constant values")
	}
	if n := len(EventType("").Values()); n != len(LookupShape("EventType").Enum) {
		t.Fatalf("EventType has %d values, model has %d", n, len(LookupShape("EventType").Enum))
	}
}
