package wire

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openswf/openswf/internal/auth"
	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/swf"
)

// fuzzEngine implements a few operations, one of each kind of answer
// (output, no output, a long poll's empty answer, a fault); it never fails
// on its own, so that any InternalFailure is the handler's.
type fuzzEngine struct{}

func (fuzzEngine) DescribeDomain(_ context.Context, in *shape.DescribeDomainInput) (*shape.DomainDetail, error) {
	if strings.HasPrefix(in.Name, "missing") {
		return nil, swf.Unknown("Unknown domain: %s", in.Name)
	}
	return &shape.DomainDetail{
		Configuration: &shape.DomainConfiguration{WorkflowExecutionRetentionPeriodInDays: "7"},
		DomainInfo:    &shape.DomainInfo{Name: in.Name, Status: "REGISTERED"},
	}, nil
}

func (fuzzEngine) DeprecateDomain(context.Context, *shape.DeprecateDomainInput) error { return nil }

func (fuzzEngine) PollForActivityTask(context.Context, *shape.PollForActivityTaskInput) (*shape.ActivityTask, error) {
	return nil, nil
}

func (fuzzEngine) RecordActivityTaskHeartbeat(_ context.Context, in *shape.RecordActivityTaskHeartbeatInput) (*shape.ActivityTaskStatus, error) {
	return &shape.ActivityTaskStatus{CancelRequested: len(in.Details)%2 == 1}, nil
}

// fuzzLimit is the request size limit of FuzzHandler's handlers: small, so
// that fuzzed bodies reach it and seeds stay short (the fuzzer spends long
// minimizing long inputs). FuzzDecode covers bodies up to the real limit.
const fuzzLimit = 512

// FuzzHandler sends the wire handler requests with a fuzzed method,
// X-Amz-Target, Content-Encoding, body (optionally gzipped, optionally of
// unknown length) and Authorization header, to a handler without and one
// with signatures required. Every request must get, within seconds, an
// answer AWS's SDKs can read: a request id, the JSON 1.0 content type and
// a Content-Length that matches; 200 with a JSON object (or nothing, for an
// operation without output); or a JSON error whose __type is in the fault
// table with that fault's status, and a message. The engine here never
// fails, so an InternalFailure, or a panic the handler recovered, is a
// failure of the handler.
func FuzzHandler(f *testing.F) {
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelError}))
	open, err := New(fuzzEngine{}, log, swf.Limits{MaxRequestBytes: fuzzLimit})
	if err != nil {
		f.Fatal(err)
	}
	creds, err := auth.Parse([]byte(`{"accountId": "123456789012", "principals": [{"name": "w", "accessKeyId": "AKID",
		"secretAccessKey": "SECRET", "policies": [{"Statement": {"Effect": "Allow", "Action": "swf:*", "Resource": "*"}}]}]}`))
	if err != nil {
		f.Fatal(err)
	}
	signed, err := New(fuzzEngine{}, log, swf.Limits{MaxRequestBytes: fuzzLimit})
	if err != nil {
		f.Fatal(err)
	}
	signed.RequireSignatures(creds, func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) })

	const sigv4 = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/swf/aws4_request, SignedHeaders=host;x-amz-date, Signature=0123"
	for _, s := range []struct {
		method, target, encoding string
		body                     []byte
		gzip, chunked, signed    bool
		authz                    string
	}{
		{"POST", targetPrefix + "RecordActivityTaskHeartbeat", "", []byte(`{"taskToken":"t","details":"50%"}`), false, false, false, ""},
		{"POST", targetPrefix + "DescribeDomain", "gzip", []byte(`{"name":"missing-1"}`), true, true, false, ""},
		{"POST", legacyTargetPrefix + "DeprecateDomain", "", []byte(`{"name":"d"}`), false, false, false, ""},
		{"POST", targetPrefix + "PollForActivityTask", "identity", []byte(`{"domain":"d","taskList":{"name":"l"}}`), false, false, true, sigv4},
		{"POST", targetPrefix + "ListDomains", "", []byte(`{"registrationStatus":"REGISTERED"}`), false, false, false, ""},
		{"POST", targetPrefix + "NoSuchOperation", "", []byte(`{}`), false, false, true, "Basic dXNlcjpwYXNz"},
		{"GET", "", "gzip", []byte(strings.Repeat("x", fuzzLimit+1)), false, true, false, ""},
		{"POST", targetPrefix + "RecordActivityTaskHeartbeat", "", []byte(`{"taskToken":"","details":"é"}`), false, false, false, ""},
	} {
		f.Add(s.method, s.target, s.encoding, s.body, s.gzip, s.chunked, s.signed, s.authz)
	}
	f.Fuzz(func(t *testing.T, method, target, encoding string, body []byte, gz, chunked, useSigned bool, authz string) {
		if !validMethod(method) || !validValue(target) || !validValue(encoding) || !validValue(authz) {
			return // Go's server answers 400 itself
		}
		sent := body
		if gz {
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			zw.Write(body)
			zw.Close()
			sent = buf.Bytes()
		}
		r := &http.Request{
			Method: method, URL: &url.URL{Path: "/"}, RequestURI: "/", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{}, Host: "127.0.0.1:7171", RemoteAddr: "192.0.2.1:4242",
			Body: io.NopCloser(bytes.NewReader(sent)), ContentLength: int64(len(sent)),
		}
		if chunked {
			r.ContentLength = -1
		}
		for _, h := range [][2]string{{"X-Amz-Target", target}, {"Content-Encoding", encoding}, {"Authorization", authz}} {
			if v := strings.Trim(h[1], " \t"); v != "" {
				r.Header.Set(h[0], v)
			}
		}
		h := open
		if useSigned {
			h = signed
		}
		w := serveWithin(t, h, r, 5*time.Second)
		checkAnswer(t, r, w, target)
		if strings.Contains(logs.String(), "level=ERROR") {
			t.Fatalf("the handler logged an error for %s %q %q:\n%s", method, target, body, logs.String())
		}
	})
}

// serveWithin runs h on r and fails the test if it has not answered
// within d.
func serveWithin(t *testing.T, h http.Handler, r *http.Request, d time.Duration) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(w, r)
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("no answer within %v to %s %q", d, r.Method, r.Header.Get("X-Amz-Target"))
	}
	return w
}

// checkAnswer checks that w is an answer an AWS SDK can read.
func checkAnswer(t *testing.T, r *http.Request, w *httptest.ResponseRecorder, target string) {
	t.Helper()
	res := w.Result()
	body := w.Body.Bytes()
	if id := res.Header.Get("x-amzn-RequestId"); len(id) != 36 {
		t.Fatalf("x-amzn-RequestId = %q", id)
	}
	ct := res.Header.Get("Content-Type")
	if ct != contentType && !(ct == "application/json" && strings.HasPrefix(target, legacyTargetPrefix)) {
		t.Fatalf("Content-Type = %q", ct)
	}
	if cl := res.Header.Get("Content-Length"); cl != strconv.Itoa(len(body)) {
		t.Fatalf("Content-Length %q for a body of %d bytes", cl, len(body))
	}
	if res.StatusCode == http.StatusOK {
		op := strings.TrimPrefix(strings.TrimPrefix(target, legacyTargetPrefix), targetPrefix)
		o := shape.Operations[op]
		if r.Method != http.MethodPost || o == nil {
			t.Fatalf("200 to %s %q", r.Method, target)
		}
		if len(body) == 0 && o.Output == "" {
			return
		}
		var obj map[string]any
		if err := json.Unmarshal(body, &obj); err != nil {
			t.Fatalf("200 with a body that is not a JSON object: %q", body)
		}
		return
	}
	var e struct {
		Type    string `json:"__type"`
		Message *string
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("status %d with a body that is not JSON: %q", res.StatusCode, body)
	}
	_, name, _ := strings.Cut(e.Type, "#")
	k, known := faults[name]
	switch {
	case !known || k.Type != e.Type:
		t.Fatalf("status %d with __type %q, not in the fault table", res.StatusCode, e.Type)
	case e.Message == nil || *e.Message == "":
		t.Fatalf("%s without a message: %q", e.Type, body)
	case name == swf.InternalFailure:
		t.Fatalf("InternalFailure (%q) for %s %q", body, r.Method, target)
	case res.StatusCode == http.StatusMethodNotAllowed:
		if r.Method == http.MethodPost || name != swf.UnknownOperationException || res.Header.Get("Allow") != http.MethodPost {
			t.Fatalf("405 %s to %s (Allow %q)", e.Type, r.Method, res.Header.Get("Allow"))
		}
	case res.StatusCode != k.Status:
		t.Fatalf("%s with status %d, want %d", e.Type, res.StatusCode, k.Status)
	}
}

func validMethod(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

func validValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
