package shape

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// FuzzDecode feeds Decode an operation name and a request body. The seeds
// in testdata/fuzz/FuzzDecode are requests aws-sdk-go-v2 sent during the
// conformance suite, a few of each shape for every operation. Decode must
// never panic, and must answer either the operation's input struct or one
// of the errors the wire layer turns into a 400: a *ValidationError with at
// least one message, a *SerializationError with a message, or, for a name
// outside the model, *UnknownOperationError. Any other error would reach
// clients as an InternalFailure.
//
// The generated decoder must answer as the reference decoder does
// (checkSameDecode). What Decode accepts must also be stable: the decoded value, encoded as
// JSON, decodes again (it is still valid) to the same encoding.
func FuzzDecode(f *testing.F) {
	f.Add("RecordActivityTaskHeartbeat", []byte(`{"taskToken":"tok","details":"d"}`))
	f.Add("ListDomains", []byte(``))
	f.Add("CountOpenWorkflowExecutions", []byte(`{"domain":"d","startTimeFilter":{"oldestDate":1e3,"latestDate":"2024-11-25T15:18:06.123456789+01:00"}}`))
	f.Add("ListOpenWorkflowExecutions", []byte(`{"domain":"d","startTimeFilter":{"oldestDate":-1.0001},"maximumPageSize":1000,"reverseOrder":true,"typeFilter":{"name":"n"}}`))
	f.Add("PollForDecisionTask", []byte(`{"domain":"d","taskList":{"name":"é"},"maximumPageSize":2147483648}`))
	f.Add("NoSuchOperation", []byte(`{}`))
	f.Fuzz(func(t *testing.T, op string, body []byte) {
		checkSameDecode(t, op, body)
		v, err := Decode(op, body)
		checkDecoded(t, op, v, err)
		if err != nil || v == nil {
			return
		}
		enc, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("Decode(%q) accepted %q, but its result does not encode: %v", op, body, err)
		}
		v2, err := Decode(op, enc)
		if err != nil {
			t.Fatalf("Decode(%q) accepted %q as %s, but refuses that: %v", op, body, enc, err)
		}
		enc2, err := json.Marshal(v2)
		if err != nil {
			t.Fatalf("re-encode %s: %v", enc, err)
		}
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("Decode(%q) of %q gave %s, which decodes to %s", op, body, enc, enc2)
		}
	})
}

// checkDecoded checks what Decode(op, ...) answered.
func checkDecoded(t *testing.T, op string, v any, err error) {
	t.Helper()
	o := Operations[op]
	var (
		ve *ValidationError
		se *SerializationError
		ue *UnknownOperationError
	)
	switch {
	case o == nil:
		if !errors.As(err, &ue) || ue.Op != op {
			t.Fatalf("Decode(%q), not an operation: got %v, %v; want an *UnknownOperationError", op, v, err)
		}
	case err == nil:
		if o.Input == "" {
			if v != nil {
				t.Fatalf("Decode(%q) without input shape: got %#v", op, v)
			}
			return
		}
		if want := reflect.TypeOf(o.NewInput()); reflect.TypeOf(v) != want || reflect.ValueOf(v).IsNil() {
			t.Fatalf("Decode(%q) = %#v; want a non-nil %s", op, v, want)
		}
	case errors.As(err, &ve):
		if len(ve.Messages) == 0 {
			t.Fatalf("Decode(%q): a ValidationError without messages", op)
		}
		for _, m := range ve.Messages {
			if m == "" {
				t.Fatalf("Decode(%q): an empty validation message in %q", op, ve.Messages)
			}
		}
	case errors.As(err, &se):
		if se.Message == "" {
			t.Fatalf("Decode(%q): a SerializationError without a message", op)
		}
	default:
		t.Fatalf("Decode(%q): got error %T %v; want a *ValidationError or *SerializationError", op, err, err)
	}
	if err != nil && v != nil {
		t.Fatalf("Decode(%q): got both a value %#v and an error %v", op, v, err)
	}
}
