package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openswf/openswf/internal/clock"
	"github.com/openswf/openswf/internal/shape"
)

// fuzzCallTimeout bounds each fuzzed call's context: a long poll with
// nothing to hand out waits on the (fake) clock until its context ends.
const fuzzCallTimeout = 100 * time.Millisecond

// FuzzServer sends fuzzed (X-Amz-Target, body) pairs to the server's
// handler over the real engine and a SQLite store in a temporary
// directory, with a fake clock that does not move. The seeds in
// testdata/fuzz/FuzzServer are the conformance suite's requests for every
// operation, rewritten to the fixture's domain "fuzz", its workflow type
// "wf" and activity type "act"; in a body, $DECISION_TOKEN and
// $ACTIVITY_TOKEN become the task token of a task started just for it,
// and $RUN_ID and $WORKFLOW_ID an open execution's ids, so that fuzzed
// calls reach the engine's checks rather than stop at an unknown token.
//
// Every call must be answered within seconds with what an SDK can read:
// 200 with the operation's output (or nothing), or a JSON error with a
// __type, a message and the status AWS uses for it. InternalFailure is
// allowed only when the call's context ended (a long poll that found
// nothing), and the server must log no error and no recovered panic.
func FuzzServer(f *testing.F) {
	logs := &errorRecorder{}
	srv, err := New(Config{
		Listen:  "127.0.0.1:0",
		DataDir: f.TempDir(),
		Clock:   clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)),
		Log:     slog.New(logs),
	})
	if err != nil {
		f.Fatalf("New: %v", err)
	}
	f.Cleanup(func() { srv.Close() })
	fx := &fixture{h: srv.http.Handler}
	if err := fx.register(); err != nil {
		f.Fatalf("fixture: %v", err)
	}
	f.Add("SimpleWorkflowService.RecordActivityTaskHeartbeat", []byte(`{"taskToken":"$ACTIVITY_TOKEN","details":"50%"}`))
	f.Add("SimpleWorkflowService.RespondDecisionTaskCompleted", []byte(`{"taskToken":"$DECISION_TOKEN","decisions":[
		{"decisionType":"StartTimer","startTimerDecisionAttributes":{"timerId":"t","startToFireTimeout":"5"}},
		{"decisionType":"StartChildWorkflowExecution","startChildWorkflowExecutionDecisionAttributes":{"workflowId":"child","workflowType":{"name":"wf","version":"1"}}},
		{"decisionType":"SignalExternalWorkflowExecution","signalExternalWorkflowExecutionDecisionAttributes":{"workflowId":"$WORKFLOW_ID","signalName":"s"}},
		{"decisionType":"CompleteWorkflowExecution"}]}`))
	f.Add("SimpleWorkflowService.GetWorkflowExecutionHistory", []byte(`{"domain":"fuzz","execution":{"workflowId":"$WORKFLOW_ID","runId":"$RUN_ID"},"maximumPageSize":1,"nextPageToken":"AWwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`))
	f.Fuzz(func(t *testing.T, target string, body []byte) {
		if !validFieldValue(target) {
			return // Go's server answers 400 itself
		}
		body, used := fx.substitute(body)
		ctx, cancel := context.WithTimeout(context.Background(), fuzzCallTimeout)
		defer cancel()
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body)).WithContext(ctx)
		r.Header.Set("Content-Type", "application/x-amz-json-1.0")
		if v := strings.Trim(target, " \t"); v != "" {
			r.Header.Set("X-Amz-Target", v)
		}
		w := httptest.NewRecorder()
		done := make(chan struct{})
		go func() {
			defer close(done)
			fx.h.ServeHTTP(w, r)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("no answer within 10s to %q %q", target, body)
		}
		op := checkServerAnswer(t, w, target, body, ctx.Err() != nil)
		if err := logs.take(); err != "" {
			t.Fatalf("the server logged an error for %q %q:\n%s", target, body, err)
		}
		switch {
		case w.Code != http.StatusOK:
		case strings.HasPrefix(op, "Respond"):
			fx.spent(used) // a task answered: its token is done with
		case strings.HasPrefix(op, "Deprecate"), strings.HasPrefix(op, "Delete"):
			fx.register() // keep the fixture usable for the calls to come
		}
	})
}

// checkServerAnswer checks that w is an answer an AWS SDK can read, and
// returns the operation the target names.
func checkServerAnswer(t *testing.T, w *httptest.ResponseRecorder, target string, body []byte, ctxDone bool) string {
	t.Helper()
	res := w.Result()
	got := w.Body.Bytes()
	if id := res.Header.Get("x-amzn-RequestId"); len(id) != 36 {
		t.Fatalf("x-amzn-RequestId = %q", id)
	}
	if cl := res.Header.Get("Content-Length"); cl != strconv.Itoa(len(got)) {
		t.Fatalf("Content-Length %q for a body of %d bytes", cl, len(got))
	}
	v := strings.Trim(target, " \t")
	op, ok := strings.CutPrefix(v, "SimpleWorkflowService.")
	if !ok {
		op = strings.TrimPrefix(v, "com.amazonaws.swf.service.model.SimpleWorkflowService.")
	}
	if res.StatusCode == http.StatusOK {
		o := shape.Operations[op]
		if o == nil {
			t.Fatalf("200 to target %q", target)
		}
		if o.Output == "" {
			if len(got) != 0 {
				t.Fatalf("%s has no output, but answered %q", op, got)
			}
			return op
		}
		dec := json.NewDecoder(bytes.NewReader(got))
		dec.DisallowUnknownFields()
		if err := dec.Decode(o.NewOutput()); err != nil {
			t.Fatalf("%s answered %q, not its output shape: %v", op, got, err)
		}
		return op
	}
	var e struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(got, &e); err != nil {
		t.Fatalf("status %d with a body that is not JSON: %q", res.StatusCode, got)
	}
	ns, name, _ := strings.Cut(e.Type, "#")
	want := http.StatusBadRequest
	switch name {
	case "InternalFailure":
		if !ctxDone {
			t.Fatalf("InternalFailure for %q %q", target, body)
		}
		want = http.StatusInternalServerError
	case "RequestEntityTooLargeException":
		want = http.StatusRequestEntityTooLarge
	}
	switch {
	case ns != "com.amazonaws.swf.base.model" && ns != "com.amazon.coral.service" &&
		ns != "com.amazon.coral.validate" && ns != "com.amazon.coral.availability":
		t.Fatalf("status %d with __type %q", res.StatusCode, e.Type)
	case e.Message == "":
		t.Fatalf("%s without a message", e.Type)
	case res.StatusCode != want:
		t.Fatalf("%s with status %d, want %d", e.Type, res.StatusCode, want)
	}
	return op
}

func validFieldValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// errorRecorder is a slog.Handler that keeps the records of level Error
// and above, which a well-behaved server logs only when something is
// wrong on its side.
type errorRecorder struct {
	mu   sync.Mutex
	errs []string
}

func (e *errorRecorder) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }
func (e *errorRecorder) WithAttrs([]slog.Attr) slog.Handler           { return e }
func (e *errorRecorder) WithGroup(string) slog.Handler                { return e }

func (e *errorRecorder) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	e.mu.Lock()
	e.errs = append(e.errs, b.String())
	e.mu.Unlock()
	return nil
}

// take returns the errors logged since the last call, if any.
func (e *errorRecorder) take() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := strings.Join(e.errs, "\n")
	e.errs = nil
	return s
}

// fixture keeps a domain, types and tasks for FuzzServer's placeholders.
type fixture struct {
	h http.Handler
	n int // executions started so far

	decisionToken, activityToken string
	runID, workflowID            string
}

// call sends one request as the fixture and returns the decoded answer.
func (fx *fixture) call(op, body string) (map[string]any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body)).WithContext(ctx)
	r.Header.Set("X-Amz-Target", "SimpleWorkflowService."+op)
	w := httptest.NewRecorder()
	fx.h.ServeHTTP(w, r)
	out := map[string]any{}
	if w.Body.Len() > 0 {
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
			return nil, fmt.Errorf("%s: %q", op, w.Body.Bytes())
		}
	}
	if w.Code != http.StatusOK {
		return nil, fmt.Errorf("%s: %d %s", op, w.Code, w.Body.Bytes())
	}
	return out, nil
}

// register creates the domain and types, or makes them usable again after
// a fuzzed call deprecated them.
func (fx *fixture) register() error {
	for _, c := range [][2]string{
		{"RegisterDomain", `{"name":"fuzz","workflowExecutionRetentionPeriodInDays":"1"}`},
		{"UndeprecateDomain", `{"name":"fuzz"}`},
		{"RegisterWorkflowType", `{"domain":"fuzz","name":"wf","version":"1","defaultTaskList":{"name":"decisions"},
			"defaultChildPolicy":"TERMINATE","defaultExecutionStartToCloseTimeout":"3600","defaultTaskStartToCloseTimeout":"300"}`},
		{"UndeprecateWorkflowType", `{"domain":"fuzz","workflowType":{"name":"wf","version":"1"}}`},
		{"RegisterActivityType", `{"domain":"fuzz","name":"act","version":"1","defaultTaskList":{"name":"activities"},
			"defaultTaskHeartbeatTimeout":"NONE","defaultTaskScheduleToStartTimeout":"NONE",
			"defaultTaskStartToCloseTimeout":"NONE","defaultTaskScheduleToCloseTimeout":"NONE"}`},
		{"UndeprecateActivityType", `{"domain":"fuzz","activityType":{"name":"act","version":"1"}}`},
	} {
		_, err := fx.call(c[0], c[1])
		if err != nil && !strings.Contains(err.Error(), "AlreadyExistsFault") && !strings.Contains(err.Error(), "NotDeprecatedFault") {
			return err
		}
	}
	return nil
}

// startDecision starts an execution on a task list of its own and takes
// its first decision task.
func (fx *fixture) startDecision() error {
	fx.n++
	id, list := "fx-"+strconv.Itoa(fx.n), "fx-decisions-"+strconv.Itoa(fx.n)
	start := fmt.Sprintf(`{"domain":"fuzz","workflowId":%q,"workflowType":{"name":"wf","version":"1"},"taskList":{"name":%q}}`, id, list)
	out, err := fx.call("StartWorkflowExecution", start)
	if err != nil {
		if err := fx.register(); err != nil {
			return err
		}
		if out, err = fx.call("StartWorkflowExecution", start); err != nil {
			return err
		}
	}
	run, _ := out["runId"].(string)
	task, err := fx.call("PollForDecisionTask", fmt.Sprintf(`{"domain":"fuzz","taskList":{"name":%q},"identity":"fixture"}`, list))
	if err != nil {
		return err
	}
	tok, _ := task["taskToken"].(string)
	if tok == "" {
		return fmt.Errorf("no decision task for %s", id)
	}
	fx.decisionToken, fx.runID, fx.workflowID = tok, run, id
	return nil
}

// startActivity schedules an activity from a fresh decision task and
// takes it.
func (fx *fixture) startActivity() error {
	if err := fx.startDecision(); err != nil {
		return err
	}
	list := "fx-activities-" + strconv.Itoa(fx.n)
	decide := fmt.Sprintf(`{"taskToken":%q,"decisions":[{"decisionType":"ScheduleActivityTask","scheduleActivityTaskDecisionAttributes":{
		"activityId":"a","activityType":{"name":"act","version":"1"},"taskList":{"name":%q}}}]}`, fx.decisionToken, list)
	fx.decisionToken = ""
	if _, err := fx.call("RespondDecisionTaskCompleted", decide); err != nil {
		return err
	}
	task, err := fx.call("PollForActivityTask", fmt.Sprintf(`{"domain":"fuzz","taskList":{"name":%q},"identity":"fixture"}`, list))
	if err != nil {
		return err
	}
	tok, _ := task["taskToken"].(string)
	if tok == "" {
		return fmt.Errorf("no activity task in %s", list)
	}
	fx.activityToken = tok
	return nil
}

// substitute replaces the placeholders in body, starting tasks and
// executions as needed, and returns which tokens it used. If the fixture
// cannot make one (a fuzzed call may have deprecated everything), the
// placeholder stays: the call is still a valid fuzz input.
func (fx *fixture) substitute(body []byte) (_ []byte, used []string) {
	has := func(p string) bool { return bytes.Contains(body, []byte(p)) }
	if has("$ACTIVITY_TOKEN") && (fx.activityToken != "" || fx.startActivity() == nil) {
		body = bytes.ReplaceAll(body, []byte("$ACTIVITY_TOKEN"), []byte(fx.activityToken))
		used = append(used, "activity")
	}
	if (has("$DECISION_TOKEN") || has("$RUN_ID") || has("$WORKFLOW_ID")) && fx.decisionToken == "" {
		fx.startDecision()
	}
	if has("$DECISION_TOKEN") && fx.decisionToken != "" {
		body = bytes.ReplaceAll(body, []byte("$DECISION_TOKEN"), []byte(fx.decisionToken))
		used = append(used, "decision")
	}
	if fx.runID != "" {
		body = bytes.ReplaceAll(body, []byte("$RUN_ID"), []byte(fx.runID))
		body = bytes.ReplaceAll(body, []byte("$WORKFLOW_ID"), []byte(fx.workflowID))
	}
	return body, used
}

// spent forgets the tokens a successful Respond... call used up.
func (fx *fixture) spent(used []string) {
	for _, u := range used {
		switch u {
		case "activity":
			fx.activityToken = ""
		case "decision":
			fx.decisionToken = ""
		}
	}
}
