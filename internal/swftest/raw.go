package swftest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// RawResponse is an answer to a request sent without the SDK.
type RawResponse struct {
	Status int
	Header http.Header
	Body   []byte
	// JSON is Body decoded as a JSON object, nil if it is not one.
	JSON map[string]any
}

// Type returns the __type of an error answer ("" if there is none).
func (r *RawResponse) Type() string {
	s, _ := r.JSON["__type"].(string)
	return s
}

// Message returns the message of an error answer, whichever of "message"
// and "Message" it uses.
func (r *RawResponse) Message() string {
	if s, ok := r.JSON["message"].(string); ok {
		return s
	}
	s, _ := r.JSON["Message"].(string)
	return s
}

// Raw POSTs body to the server as operation op (X-Amz-Target
// SimpleWorkflowService.<op>, Content-Type application/x-amz-json-1.0),
// unsigned. An empty op sends no X-Amz-Target at all.
func (e *Env) Raw(tb testing.TB, op string, body []byte) *RawResponse {
	tb.Helper()
	return e.RawTarget(tb, "SimpleWorkflowService."+op, body, op == "")
}

// RawTarget POSTs body with X-Amz-Target target (none when omit).
func (e *Env) RawTarget(tb testing.TB, target string, body []byte, omit bool) *RawResponse {
	tb.Helper()
	ctx, cancel := callCtx()
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL+"/", bytes.NewReader(body))
	if err != nil {
		tb.Fatalf("build request: %v", err)
	}
	if !omit {
		req.Header.Set("X-Amz-Target", target)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	res, err := (&http.Client{Transport: RecordTransport(e.transport)}).Do(req)
	if err != nil {
		tb.Fatalf("POST %s: %v", target, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatalf("read answer to %s: %v", target, err)
	}
	out := &RawResponse{Status: res.StatusCode, Header: res.Header, Body: b}
	var m map[string]any
	if json.Unmarshal(b, &m) == nil {
		out.JSON = m
	}
	return out
}

// JSON encodes v for Raw, failing the test if it cannot.
func JSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatalf("encode %T: %v", v, err)
	}
	return b
}
