package wire

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/swf"
)

// fakeEngine implements three operations; its answers depend on the input so
// that one value covers every path of the handler.
type fakeEngine struct {
	calls atomic.Int32
	// arriving is how many more DescribeDomain calls about domain
	// "arriving" answer NotOwner, as while its shard is being taken.
	arriving atomic.Int32
}

func (e *fakeEngine) DescribeDomain(ctx context.Context, in *shape.DescribeDomainInput) (*shape.DomainDetail, error) {
	e.calls.Add(1)
	switch in.Name {
	case "missing":
		return nil, swf.Unknown("Unknown domain: %s", in.Name)
	case "wrapped":
		return nil, fmt.Errorf("load domain: %w", swf.Unknown("Unknown domain: %s", in.Name))
	case "throttled":
		return nil, &swf.Fault{Name: "ThrottlingException", Message: "Rate exceeded"}
	case "invalid":
		return nil, swf.Invalid("bad name")
	case "boom":
		return nil, errors.New("open /var/secret/swf.db: disk on fire")
	case "strange":
		return nil, &swf.Fault{Name: "NoSuchFault", Message: "secret detail"}
	case "panic":
		panic("kaboom")
	case "nil":
		return nil, nil
	case "elsewhere":
		return nil, &swf.NotOwner{Shard: 7, Fault: swf.NewFault(swf.ServiceUnavailable, "not here")}
	case "arriving":
		if e.arriving.Add(-1) >= 0 {
			return nil, &swf.NotOwner{Shard: 7, Fault: swf.NewFault(swf.ServiceUnavailable, "not here yet")}
		}
	}
	return &shape.DomainDetail{
		Configuration: &shape.DomainConfiguration{WorkflowExecutionRetentionPeriodInDays: "7"},
		DomainInfo:    &shape.DomainInfo{Name: in.Name, Status: "REGISTERED"},
	}, nil
}

func (e *fakeEngine) DeprecateDomain(ctx context.Context, in *shape.DeprecateDomainInput) error {
	e.calls.Add(1)
	return nil
}

func (e *fakeEngine) RecordActivityTaskHeartbeat(ctx context.Context, in *shape.RecordActivityTaskHeartbeatInput) (*shape.ActivityTaskStatus, error) {
	e.calls.Add(1)
	return &shape.ActivityTaskStatus{CancelRequested: true}, nil
}

// syncBuffer is a log sink that tests may read while handlers write.
type syncBuffer struct {
	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type testBundle struct {
	eng     *fakeEngine
	handler http.Handler
	log     *syncBuffer
}

func setup(tb testing.TB, limits swf.Limits) *testBundle {
	tb.Helper()
	eng := &fakeEngine{}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h, err := New(eng, log, limits)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return &testBundle{eng: eng, handler: h, log: logs}
}

// answer is a decoded response.
type answer struct {
	Status int
	Header http.Header
	Body   []byte
	Type   string `json:"__type"`
	Msg    string `json:"message"`
}

func (b *testBundle) do(tb testing.TB, r *http.Request) *answer {
	tb.Helper()
	w := httptest.NewRecorder()
	b.handler.ServeHTTP(w, r)
	res := w.Result()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatalf("read body: %v", err)
	}
	a := &answer{Status: res.StatusCode, Header: res.Header, Body: body}
	if err := json.Unmarshal(body, a); err != nil {
		tb.Fatalf("answer is not JSON: %v: %q", err, body)
	}
	if got := res.Header.Get("x-amzn-RequestId"); len(got) != 36 {
		tb.Fatalf("x-amzn-RequestId = %q, want a UUID", got)
	}
	if got := res.Header.Get("Content-Type"); got != contentType {
		tb.Fatalf("Content-Type = %q, want %q", got, contentType)
	}
	return a
}

func (b *testBundle) call(tb testing.TB, op, body string) *answer {
	tb.Helper()
	return b.do(tb, request(op, body))
}

func request(op, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	r.Header.Set("Content-Type", contentType)
	if op != "" {
		r.Header.Set("X-Amz-Target", targetPrefix+op)
	}
	return r
}

func wantError(tb testing.TB, a *answer, status int, typ string) {
	tb.Helper()
	if a.Status != status || a.Type != typ {
		tb.Fatalf("got %d %s (%q), want %d %s", a.Status, a.Type, a.Msg, status, typ)
	}
}

func TestSuccess(t *testing.T) {
	t.Parallel()

	t.Run("Output", func(t *testing.T) {
		t.Parallel()
		b := setup(t, swf.DefaultLimits())
		a := b.call(t, "DescribeDomain", `{"name":"d1"}`)
		if a.Status != http.StatusOK {
			t.Fatalf("got status %d (%s), want 200", a.Status, a.Body)
		}
		var got shape.DomainDetail
		if err := json.Unmarshal(a.Body, &got); err != nil {
			t.Fatal(err)
		}
		if got.DomainInfo == nil || got.DomainInfo.Name != "d1" || got.Configuration.WorkflowExecutionRetentionPeriodInDays != "7" {
			t.Fatalf("got %s, want domain d1 with retention 7", a.Body)
		}
	})

	t.Run("NoOutput", func(t *testing.T) {
		t.Parallel()
		b := setup(t, swf.DefaultLimits())
		// AWS answers an operation without output with an empty body.
		w := httptest.NewRecorder()
		b.handler.ServeHTTP(w, request("DeprecateDomain", `{"name":"d1"}`))
		if w.Code != http.StatusOK || w.Body.Len() != 0 || w.Header().Get("Content-Length") != "0" {
			t.Fatalf("got %d %q (Content-Length %q), want 200 with an empty body", w.Code, w.Body, w.Header().Get("Content-Length"))
		}
	})

	t.Run("NilOutput", func(t *testing.T) {
		t.Parallel()
		b := setup(t, swf.DefaultLimits())
		a := b.call(t, "DescribeDomain", `{"name":"nil"}`)
		if a.Status != http.StatusOK || string(a.Body) != "{}" {
			t.Fatalf("got %d %q, want 200 {}", a.Status, a.Body)
		}
	})

	t.Run("AnyPathNoContentType", func(t *testing.T) {
		t.Parallel()
		b := setup(t, swf.DefaultLimits())
		r := httptest.NewRequest(http.MethodPost, "/some/path", strings.NewReader(`{"taskToken":"t"}`))
		r.Header.Set("X-Amz-Target", "SimpleWorkflowService.RecordActivityTaskHeartbeat")
		a := b.do(t, r)
		if a.Status != http.StatusOK || string(a.Body) != `{"cancelRequested":true}` {
			t.Fatalf("got %d %s, want 200 {\"cancelRequested\":true}", a.Status, a.Body)
		}
	})

	t.Run("Gzip", func(t *testing.T) {
		t.Parallel()
		b := setup(t, swf.DefaultLimits())
		var zb bytes.Buffer
		zw := gzip.NewWriter(&zb)
		zw.Write([]byte(`{"name":"zipped"}`))
		zw.Close()
		r := request("DescribeDomain", "")
		r.Body = io.NopCloser(&zb)
		r.ContentLength = int64(zb.Len())
		r.Header.Set("Content-Encoding", "gzip")
		a := b.do(t, r)
		if a.Status != http.StatusOK || !strings.Contains(string(a.Body), `"zipped"`) {
			t.Fatalf("got %d %s, want 200 naming domain zipped", a.Status, a.Body)
		}
	})
}

// TestLegacyTarget: boto 2 and the frameworks built on it send the long
// X-Amz-Target prefix and application/json; AWS answers them as usual,
// as application/json.
func TestLegacyTarget(t *testing.T) {
	t.Parallel()
	b := setup(t, swf.DefaultLimits())
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"name":"d1"}`))
	r.Header.Set("X-Amz-Target", legacyTargetPrefix+"DescribeDomain")
	r.Header.Set("Content-Type", "application/json; charset=UTF-8")
	w := httptest.NewRecorder()
	b.handler.ServeHTTP(w, r)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"d1"`) {
		t.Fatalf("got %d %s, want 200 naming d1", w.Code, w.Body)
	}
	if got := w.Header().Get("Content-Type"); got != "application/json" {
		t.Fatalf("Content-Type %q, want application/json", got)
	}
	r = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{}`))
	r.Header.Set("X-Amz-Target", "com.amazonaws.swf.service.model.Other.DescribeDomain")
	w = httptest.NewRecorder()
	b.handler.ServeHTTP(w, r)
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "UnknownOperationException") {
		t.Fatalf("another service's target: got %d %s, want UnknownOperationException", w.Code, w.Body)
	}
}

func TestRequestIDUnique(t *testing.T) {
	t.Parallel()
	b := setup(t, swf.DefaultLimits())
	a1 := b.call(t, "DescribeDomain", `{"name":"d1"}`)
	a2 := b.call(t, "DescribeDomain", `{"name":"missing"}`)
	id1, id2 := a1.Header.Get("x-amzn-RequestId"), a2.Header.Get("x-amzn-RequestId")
	if id1 == id2 {
		t.Fatalf("got request id %s twice, want a fresh one per request", id1)
	}
}

func TestUnknownOperation(t *testing.T) {
	t.Parallel()
	const typ = "com.amazon.coral.service#UnknownOperationException"
	tests := []struct {
		name    string
		target  string
		wantMsg string
	}{
		{"MissingTarget", "", "Missing X-Amz-Target"},
		{"OtherService", "DynamoDB_20120810.DescribeDomain", "Unknown operation"},
		{"NoOperation", "SimpleWorkflowService.", "Unknown operation"},
		{"UnknownOperation", "SimpleWorkflowService.FlyToTheMoon", "Unknown operation"},
		{"CaseMatters", "SimpleWorkflowService.describeDomain", "Unknown operation"},
		{"NotImplementedByEngine", "SimpleWorkflowService.PollForActivityTask", "not supported by this server yet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, swf.DefaultLimits())
			r := request("", `{"domain":"d","taskList":{"name":"t"}}`)
			if tt.target != "" {
				r.Header.Set("X-Amz-Target", tt.target)
			}
			a := b.do(t, r)
			wantError(t, a, http.StatusBadRequest, typ)
			if !strings.Contains(a.Msg, tt.wantMsg) {
				t.Fatalf("got message %q, want it to contain %q", a.Msg, tt.wantMsg)
			}
			if n := b.eng.calls.Load(); n != 0 {
				t.Fatalf("got %d engine calls, want 0", n)
			}
		})
	}
}

func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	b := setup(t, swf.DefaultLimits())
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("X-Amz-Target", targetPrefix+"DescribeDomain")
	a := b.do(t, r)
	wantError(t, a, http.StatusMethodNotAllowed, "com.amazon.coral.service#UnknownOperationException")
	if got := a.Header.Get("Allow"); got != http.MethodPost {
		t.Fatalf("Allow = %q, want POST", got)
	}
}

func TestSerializationException(t *testing.T) {
	t.Parallel()
	const typ = "com.amazon.coral.service#SerializationException"
	for name, body := range map[string]string{
		"Malformed":  `{"name":`,
		"NotObject":  `["name"]`,
		"WrongType":  `{"name":42}`,
		"Trailing":   `{"name":"d"} {}`,
		"BadGzipped": "",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, swf.DefaultLimits())
			r := request("DescribeDomain", body)
			if name == "BadGzipped" {
				r = request("DescribeDomain", "not gzip at all")
				r.Header.Set("Content-Encoding", "gzip")
			}
			a := b.do(t, r)
			wantError(t, a, http.StatusBadRequest, typ)
			if a.Msg == "" {
				t.Fatal("got an empty message, want a reason")
			}
			if n := b.eng.calls.Load(); n != 0 {
				t.Fatalf("got %d engine calls, want 0", n)
			}
		})
	}
}

func TestValidationException(t *testing.T) {
	t.Parallel()
	const typ = "com.amazon.coral.validate#ValidationException"

	t.Run("Length", func(t *testing.T) {
		t.Parallel()
		b := setup(t, swf.DefaultLimits())
		body := fmt.Sprintf(`{"taskToken":"t","details":%q}`, strings.Repeat("x", 2049))
		a := b.call(t, "RecordActivityTaskHeartbeat", body)
		wantError(t, a, http.StatusBadRequest, typ)
		const prefix = "1 validation error detected: Value '"
		const suffix = "' at 'details' failed to satisfy constraint: Member must have length less than or equal to 2048"
		if !strings.HasPrefix(a.Msg, prefix) || !strings.HasSuffix(a.Msg, suffix) {
			t.Fatalf("got message %q, want %q...%q", a.Msg, prefix, suffix)
		}
		if n := b.eng.calls.Load(); n != 0 {
			t.Fatalf("got %d engine calls, want 0", n)
		}
	})

	t.Run("Required", func(t *testing.T) {
		t.Parallel()
		b := setup(t, swf.DefaultLimits())
		a := b.call(t, "DescribeDomain", `{}`)
		wantError(t, a, http.StatusBadRequest, typ)
		const want = "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null"
		if a.Msg != want {
			t.Fatalf("got message %q, want %q", a.Msg, want)
		}
	})

	t.Run("EmptyBodyIsEmptyObject", func(t *testing.T) {
		t.Parallel()
		b := setup(t, swf.DefaultLimits())
		a := b.call(t, "DescribeDomain", ``)
		wantError(t, a, http.StatusBadRequest, typ)
	})
}

func TestRequestTooLarge(t *testing.T) {
	t.Parallel()
	const typ = "com.amazon.coral.service#RequestEntityTooLargeException"
	limits := swf.DefaultLimits()
	limits.MaxRequestBytes = 64
	big := fmt.Sprintf(`{"name":%q}`, strings.Repeat("d", 100))

	t.Run("ContentLength", func(t *testing.T) {
		t.Parallel()
		b := setup(t, limits)
		a := b.call(t, "DescribeDomain", big)
		wantError(t, a, http.StatusRequestEntityTooLarge, typ)
		if !strings.Contains(a.Msg, "64 bytes") {
			t.Fatalf("got message %q, want it to name the limit of 64 bytes", a.Msg)
		}
		if n := b.eng.calls.Load(); n != 0 {
			t.Fatalf("got %d engine calls, want 0", n)
		}
	})

	t.Run("Chunked", func(t *testing.T) {
		t.Parallel()
		b := setup(t, limits)
		r := request("DescribeDomain", big)
		r.ContentLength = -1
		a := b.do(t, r)
		wantError(t, a, http.StatusRequestEntityTooLarge, typ)
		if n := b.eng.calls.Load(); n != 0 {
			t.Fatalf("got %d engine calls, want 0", n)
		}
	})

	t.Run("GzipBomb", func(t *testing.T) {
		t.Parallel()
		b := setup(t, limits)
		var zb bytes.Buffer
		zw := gzip.NewWriter(&zb)
		zw.Write([]byte(big))
		zw.Close()
		if zb.Len() > 64 {
			t.Fatalf("compressed body is %d bytes, want it under the limit", zb.Len())
		}
		r := request("DescribeDomain", "")
		r.Body = io.NopCloser(&zb)
		r.ContentLength = int64(zb.Len())
		r.Header.Set("Content-Encoding", "gzip")
		a := b.do(t, r)
		wantError(t, a, http.StatusRequestEntityTooLarge, typ)
	})

	t.Run("AtLimit", func(t *testing.T) {
		t.Parallel()
		b := setup(t, limits)
		body := fmt.Sprintf(`{"name":%q}`, strings.Repeat("d", 64-len(`{"name":""}`)))
		a := b.call(t, "DescribeDomain", body)
		if a.Status != http.StatusOK {
			t.Fatalf("got %d %s for a body of exactly the limit, want 200", a.Status, a.Body)
		}
	})
}

func TestFaultMapping(t *testing.T) {
	t.Parallel()
	tests := []struct {
		domain  string
		status  int
		typ     string
		wantMsg string
	}{
		{"missing", 400, "com.amazonaws.swf.base.model#UnknownResourceFault", "Unknown domain: missing"},
		{"wrapped", 400, "com.amazonaws.swf.base.model#UnknownResourceFault", "Unknown domain: wrapped"},
		{"throttled", 400, "com.amazon.coral.availability#ThrottlingException", "Rate exceeded"},
		{"invalid", 400, "com.amazon.coral.validate#ValidationException", "bad name"},
	}
	for _, tt := range tests {
		t.Run(tt.domain, func(t *testing.T) {
			t.Parallel()
			b := setup(t, swf.DefaultLimits())
			a := b.call(t, "DescribeDomain", fmt.Sprintf(`{"name":%q}`, tt.domain))
			wantError(t, a, tt.status, tt.typ)
			if a.Msg != tt.wantMsg {
				t.Fatalf("got message %q, want %q", a.Msg, tt.wantMsg)
			}
		})
	}
}

// TestFaultTableCoversModel checks that every fault any operation lists
// answers 400 in the model's namespace.
func TestFaultTableCoversModel(t *testing.T) {
	t.Parallel()
	for _, op := range shape.Operations {
		for _, name := range op.Errors {
			k, ok := faults[name]
			if !ok || k.Type != modelNS+name || k.Status != http.StatusBadRequest {
				t.Errorf("%s: fault %s maps to %+v, want 400 %s", op.Name, name, k, modelNS+name)
			}
		}
	}
}

func TestInternalError(t *testing.T) {
	t.Parallel()
	const typ = "com.amazon.coral.service#InternalFailure"
	for _, domain := range []string{"boom", "strange", "panic"} {
		t.Run(domain, func(t *testing.T) {
			t.Parallel()
			b := setup(t, swf.DefaultLimits())
			a := b.call(t, "DescribeDomain", fmt.Sprintf(`{"name":%q}`, domain))
			wantError(t, a, http.StatusInternalServerError, typ)
			if a.Msg != internalMessage {
				t.Fatalf("got message %q, want the generic %q", a.Msg, internalMessage)
			}
			logs := b.log.String()
			id := a.Header.Get("x-amzn-RequestId")
			if !strings.Contains(logs, "level=ERROR") || !strings.Contains(logs, id) || !strings.Contains(logs, "op=DescribeDomain") {
				t.Fatalf("got log %q, want an ERROR line with request id %s and op", logs, id)
			}
			for _, detail := range []string{"disk on fire", "secret detail", "kaboom"} {
				if strings.Contains(a.Msg, detail) {
					t.Fatalf("got message %q, want no internal detail", a.Msg)
				}
			}
		})
	}
}

func TestDebugLogLine(t *testing.T) {
	t.Parallel()
	b := setup(t, swf.DefaultLimits())
	b.call(t, "DescribeDomain", `{"name":"missing"}`)
	logs := b.log.String()
	for _, want := range []string{"level=DEBUG", "msg=request", "op=DescribeDomain", "status=400", "fault=UnknownResourceFault", "duration="} {
		if !strings.Contains(logs, want) {
			t.Fatalf("got log %q, want it to contain %q", logs, want)
		}
	}
}

func TestNew(t *testing.T) {
	t.Parallel()

	t.Run("NilEngineSupportsNothing", func(t *testing.T) {
		t.Parallel()
		h, err := New(nil, nil, swf.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		for name := range shape.Operations {
			if h.Supported(name) {
				t.Fatalf("got %s supported by a nil engine, want none", name)
			}
		}
	})

	t.Run("Supported", func(t *testing.T) {
		t.Parallel()
		h, err := New(&fakeEngine{}, nil, swf.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		for name, want := range map[string]bool{"DescribeDomain": true, "DeprecateDomain": true, "PollForActivityTask": false} {
			if got := h.Supported(name); got != want {
				t.Fatalf("Supported(%s) = %v, want %v", name, got, want)
			}
		}
	})

	for name, eng := range map[string]any{
		"WrongInput":     badInputEngine{},
		"MissingOutput":  badOutputEngine{},
		"UnwantedOutput": extraOutputEngine{},
		"NoContext":      noContextEngine{},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := New(eng, nil, swf.Limits{}); err == nil {
				t.Fatal("got no error for a wrongly typed engine method, want one")
			}
			defer func() {
				if recover() == nil {
					t.Fatal("NewHandler did not panic, want a panic")
				}
			}()
			NewHandler(eng, nil, swf.Limits{})
		})
	}
}

type badInputEngine struct{}

func (badInputEngine) DescribeDomain(ctx context.Context, in *shape.DeprecateDomainInput) (*shape.DomainDetail, error) {
	return nil, nil
}

type badOutputEngine struct{}

func (badOutputEngine) DescribeDomain(ctx context.Context, in *shape.DescribeDomainInput) error {
	return nil
}

type extraOutputEngine struct{}

func (extraOutputEngine) DeprecateDomain(ctx context.Context, in *shape.DeprecateDomainInput) (*shape.DomainDetail, error) {
	return nil, nil
}

type noContextEngine struct{}

func (noContextEngine) DeprecateDomain(in *shape.DeprecateDomainInput) error { return nil }

// forwarder is a Forwarder that answers as told.
type forwarder struct {
	ok    bool
	err   error
	shard int32
	wait  time.Duration // its HandoverWait
	calls int
}

func (f *forwarder) HandoverWait(*http.Request) time.Duration { return f.wait }

func (f *forwarder) Forward(w http.ResponseWriter, r *http.Request, body []byte, shard int32) (int, bool, error) {
	f.shard = shard
	f.calls++
	if f.ok {
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(`{"forwarded":true}`))
		return http.StatusOK, true, nil
	}
	return 0, false, f.err
}

// TestForward: a call the engine refuses as another node's (swf.NotOwner)
// goes to the forwarder with its shard; if the forwarder cannot pass it on,
// the client gets the retryable 503; if it passed it on but got no answer,
// the client gets InternalFailure, since the call may have taken effect.
func TestForward(t *testing.T) {
	b := setup(t, swf.DefaultLimits())
	f := &forwarder{ok: true}
	b.handler.(*Handler).ForwardTo(f)
	if a := b.call(t, "DescribeDomain", `{"name":"elsewhere"}`); a.Status != http.StatusOK || f.shard != 7 {
		t.Fatalf("forwarded call: %d %s (shard %d), want the forwarder's 200 for shard 7", a.Status, a.Body, f.shard)
	}
	f.ok = false
	if a := b.call(t, "DescribeDomain", `{"name":"elsewhere"}`); a.Status != http.StatusServiceUnavailable || !strings.HasSuffix(a.Type, swf.ServiceUnavailable) {
		t.Fatalf("not forwarded: %d %s, want 503 %s", a.Status, a.Type, swf.ServiceUnavailable)
	}
	f.err = errors.New("connection reset by peer")
	if a := b.call(t, "DescribeDomain", `{"name":"elsewhere"}`); a.Status != http.StatusInternalServerError || !strings.HasSuffix(a.Type, swf.InternalFailure) {
		t.Fatalf("forwarded without an answer: %d %s, want 500 %s", a.Status, a.Type, swf.InternalFailure)
	}
}

// TestForwardWaitsForHandover: while no other node serves a shard (this
// one is still taking it), a call about it is asked again until the
// engine serves it, within the forwarder's HandoverWait; past that the
// client gets the retryable 503.
func TestForwardWaitsForHandover(t *testing.T) {
	b := setup(t, swf.DefaultLimits())
	f := &forwarder{wait: 5 * time.Second}
	b.handler.(*Handler).ForwardTo(f)
	b.eng.arriving.Store(3)
	if a := b.call(t, "DescribeDomain", `{"name":"arriving"}`); a.Status != http.StatusOK || !strings.Contains(string(a.Body), `"arriving"`) {
		t.Fatalf("a call during a handover: %d %s, want the engine's answer once it serves the shard", a.Status, a.Body)
	}
	if f.calls != 3 {
		t.Fatalf("the forwarder was asked %d times, want once for each refusal (3)", f.calls)
	}
	f.wait, f.calls = 0, 0
	b.eng.arriving.Store(3)
	if a := b.call(t, "DescribeDomain", `{"name":"arriving"}`); a.Status != http.StatusServiceUnavailable {
		t.Fatalf("a call with no wait allowed: %d %s, want the retryable 503", a.Status, a.Body)
	}
	if f.calls != 1 {
		t.Fatalf("with no wait allowed the forwarder was asked %d times, want 1", f.calls)
	}
}
