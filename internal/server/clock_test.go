package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsswf "github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/openswf/openswf/internal/auth"
	"github.com/openswf/openswf/internal/swf"
)

// startClock runs a server whose clock is mode, changed by opts.
func startClock(t *testing.T, mode ClockMode, opts ...func(*Config)) *Server {
	t.Helper()
	cfg := Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), ClockMode: mode, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	serve(t, srv)
	return srv
}

// clockCall sends a request to the clock endpoint, signed with keys when
// they are given, and decodes the answer.
func clockCall(t *testing.T, srv *Server, method, body string, keys ...string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL()+ClockPath, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) == 2 {
		sum := sha256.Sum256([]byte(body))
		creds := aws.Credentials{AccessKeyID: keys[0], SecretAccessKey: keys[1]}
		if err := v4.NewSigner().SignHTTP(t.Context(), creds, req, hex.EncodeToString(sum[:]), "swf", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatalf("%s %s: undecodable answer: %v", method, ClockPath, err)
	}
	return res.StatusCode, out
}

// clockTime reads the time the clock endpoint answered.
func clockTime(t *testing.T, out map[string]any) time.Time {
	t.Helper()
	s, _ := out["now"].(string)
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("now %q: %v", s, err)
	}
	if e, _ := out["epochSeconds"].(float64); e != float64(at.UnixMilli())/1000 {
		t.Errorf("epochSeconds %v, want now %v in seconds", e, at)
	}
	return at
}

// timerWorkflow registers domain "d" and starts a run whose first decision
// starts timer "t" of the given seconds.
func timerWorkflow(t *testing.T, c *awsswf.Client, seconds string) *types.WorkflowExecution {
	t.Helper()
	ctx := t.Context()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.RegisterDomain(ctx, &awsswf.RegisterDomainInput{Name: aws.String("d"), WorkflowExecutionRetentionPeriodInDays: aws.String("1")}))
	wt := &types.WorkflowType{Name: aws.String("wf"), Version: aws.String("1")}
	must(c.RegisterWorkflowType(ctx, &awsswf.RegisterWorkflowTypeInput{Domain: aws.String("d"), Name: wt.Name, Version: wt.Version,
		DefaultTaskList: &types.TaskList{Name: aws.String("decider")}, DefaultChildPolicy: types.ChildPolicyTerminate,
		DefaultExecutionStartToCloseTimeout: aws.String("864000"), DefaultTaskStartToCloseTimeout: aws.String("3600")}))
	run, err := c.StartWorkflowExecution(ctx, &awsswf.StartWorkflowExecutionInput{Domain: aws.String("d"), WorkflowId: aws.String("w"), WorkflowType: wt})
	if err != nil {
		t.Fatal(err)
	}
	dt, err := c.PollForDecisionTask(ctx, &awsswf.PollForDecisionTaskInput{Domain: aws.String("d"), TaskList: &types.TaskList{Name: aws.String("decider")}})
	if err != nil {
		t.Fatal(err)
	}
	must(c.RespondDecisionTaskCompleted(ctx, &awsswf.RespondDecisionTaskCompletedInput{TaskToken: dt.TaskToken, Decisions: []types.Decision{{
		DecisionType:                 types.DecisionTypeStartTimer,
		StartTimerDecisionAttributes: &types.StartTimerDecisionAttributes{TimerId: aws.String("t"), StartToFireTimeout: aws.String(seconds)},
	}}}))
	return &types.WorkflowExecution{WorkflowId: aws.String("w"), RunId: run.RunId}
}

// fired returns when timer "t" fired, if it did.
func fired(t *testing.T, c *awsswf.Client, we *types.WorkflowExecution) (time.Time, bool) {
	t.Helper()
	out, err := c.GetWorkflowExecutionHistory(t.Context(), &awsswf.GetWorkflowExecutionHistoryInput{Domain: aws.String("d"), Execution: we})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range out.Events {
		if ev.EventType == types.EventTypeTimerFired {
			return aws.ToTime(ev.EventTimestamp), true
		}
	}
	return time.Time{}, false
}

func TestParseAdvance(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{in: "10m", want: 10 * time.Minute},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "300", want: 5 * time.Minute},
		{in: "1.5", want: 1500 * time.Millisecond},
		{in: "2d", want: 48 * time.Hour},
		{in: "1d12h", want: 36 * time.Hour},
		{in: "0", want: 0},
		{in: "-5m", bad: true},
		{in: "-1", bad: true},
		{in: "soon", bad: true},
		{in: "2dd", bad: true},
		{in: "", bad: true},
	} {
		got, err := ParseAdvance(c.in)
		if c.bad {
			if err == nil {
				t.Errorf("ParseAdvance(%q) = %v, want an error", c.in, got)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseAdvance(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	if _, err := ParseClockMode("sometimes"); err == nil {
		t.Error("ParseClockMode(sometimes): got no error")
	}
}

// A real clock answers its time and refuses to move.
func TestClockEndpointReal(t *testing.T) {
	t.Parallel()
	srv := startClock(t, ClockReal)
	if srv.ClockControl() != nil {
		t.Error("ClockControl() of a real clock is not nil")
	}
	status, out := clockCall(t, srv, http.MethodGet, "")
	if status != http.StatusOK || out["mode"] != "real" {
		t.Fatalf("GET: %d %v, want 200 and mode real", status, out)
	}
	if now := clockTime(t, out); time.Since(now) > time.Minute {
		t.Errorf("now %v, want the real time", now)
	}
	status, out = clockCall(t, srv, http.MethodPost, `{"advance": "10m"}`)
	if status != http.StatusBadRequest || out["__type"] != swf.ValidationException || !strings.Contains(out["message"].(string), "--clock manual") {
		t.Errorf("POST advance: %d %v, want 400 ValidationException naming --clock manual", status, out)
	}
}

// A manual clock starts at the real time and stands still; advancing it
// fires the deadlines it passes before it answers, and the history shows
// them at their own time.
func TestClockManual(t *testing.T) {
	t.Parallel()
	before := time.Now().Add(-time.Second)
	srv := startClock(t, ClockManual)
	c := sdkClient(srv)
	we := timerWorkflow(t, c, "600")

	_, out := clockCall(t, srv, http.MethodGet, "")
	start := clockTime(t, out)
	if out["mode"] != "manual" || start.Before(before) || start.After(time.Now()) {
		t.Fatalf("GET: %v, want mode manual at about the real time", out)
	}
	time.Sleep(20 * time.Millisecond)
	if _, out := clockCall(t, srv, http.MethodGet, ""); !clockTime(t, out).Equal(start) {
		t.Fatalf("the manual clock moved on its own, to %v", out["now"])
	}

	status, out := clockCall(t, srv, http.MethodPost, `{"advance": "9m"}`)
	if status != http.StatusOK || !clockTime(t, out).Equal(start.Add(9*time.Minute)) {
		t.Fatalf("advance 9m: %d %v, want the clock 9 minutes on", status, out)
	}
	if _, ok := fired(t, c, we); ok {
		t.Fatal("the 10-minute timer fired after 9 minutes")
	}
	status, out = clockCall(t, srv, http.MethodPost, `{"advance": 60}`)
	if status != http.StatusOK {
		t.Fatalf("advance 60: %d %v", status, out)
	}
	at, ok := fired(t, c, we)
	if !ok || !at.Equal(start.Add(10*time.Minute)) {
		t.Errorf("timer fired %v at %v, want it fired at start+10m", ok, at)
	}

	target := start.Add(24 * time.Hour)
	status, out = clockCall(t, srv, http.MethodPost, `{"set": "`+target.Format(time.RFC3339Nano)+`"}`)
	if status != http.StatusOK || !clockTime(t, out).Equal(target) {
		t.Errorf("set: %d %v, want %v", status, out, target)
	}
	for _, body := range []string{`{"set": "` + start.Format(time.RFC3339) + `"}`, `{"advance": "-1m"}`, `{}`, `{"advance": "1m", "set": "2030-01-01T00:00:00Z"}`, `{"advance": "soon"}`, `{"later": 1}`, `[`} {
		if status, out := clockCall(t, srv, http.MethodPost, body); status != http.StatusBadRequest {
			t.Errorf("POST %s: %d %v, want 400", body, status, out)
		}
	}
	if got := srv.ClockControl().Now(); !got.Equal(target) {
		t.Errorf("after refused moves the clock is %v, want %v", got, target)
	}
}

// Without --auth the clock endpoint serves loopback callers only.
func TestClockEndpointLoopbackOnly(t *testing.T) {
	t.Parallel()
	srv := startClock(t, ClockManual)
	h := srv.withClock(http.NotFoundHandler())
	for _, c := range []struct {
		remote string
		want   int
	}{
		{"127.0.0.1:5000", http.StatusOK},
		{"[::1]:5000", http.StatusOK},
		{"10.1.2.3:5000", http.StatusForbidden},
		{"[2001:db8::1]:5000", http.StatusForbidden},
	} {
		req := httptest.NewRequest(http.MethodGet, ClockPath, nil)
		req.RemoteAddr = c.remote
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != c.want {
			t.Errorf("GET from %s: %d %s, want %d", c.remote, rec.Code, rec.Body, c.want)
		}
	}
}

// With --auth the clock endpoint serves requests signed by a principal
// allowed every action on every domain, and no one else.
func TestClockEndpointAuth(t *testing.T) {
	t.Parallel()
	creds, err := auth.Parse([]byte(`{"accountId": "123456789012", "principals": [
	  {"name": "admin", "accessKeyId": "ADMIN", "secretAccessKey": "admin-secret",
	   "policies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "swf:*", "Resource": "*"}]}]},
	  {"name": "almost", "accessKeyId": "ALMOST", "secretAccessKey": "almost-secret",
	   "policies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "swf:*", "Resource": "*"},
	     {"Effect": "Deny", "Action": "swf:TerminateWorkflowExecution", "Resource": "*"}]}]},
	  {"name": "worker", "accessKeyId": "WORKER", "secretAccessKey": "worker-secret",
	   "policies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["swf:PollForActivityTask", "swf:RespondActivityTask*"], "Resource": "*"}]}]}
	]}`))
	if err != nil {
		t.Fatal(err)
	}
	srv := startClock(t, ClockManual, func(c *Config) { c.Auth = creds })
	for _, c := range []struct {
		name      string
		keys      []string
		want      int
		wantError string
	}{
		{"Admin", []string{"ADMIN", "admin-secret"}, http.StatusOK, ""},
		{"DeniedOneAction", []string{"ALMOST", "almost-secret"}, http.StatusForbidden, "AccessDeniedException"},
		{"Worker", []string{"WORKER", "worker-secret"}, http.StatusForbidden, "AccessDeniedException"},
		{"WrongSecret", []string{"ADMIN", "guess"}, http.StatusBadRequest, "InvalidSignatureException"},
		{"Unsigned", nil, http.StatusForbidden, "MissingAuthenticationTokenException"},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, out := clockCall(t, srv, http.MethodPost, `{"advance": "1m"}`, c.keys...)
			if status != c.want || (c.wantError != "" && out["__type"] != c.wantError) {
				t.Errorf("POST: %d %v, want %d %s", status, out, c.want, c.wantError)
			}
		})
	}
	// The manual clock is ahead of the callers' clocks; their signatures
	// are checked against the real time all the same.
	if _, err := srv.ClockControl().Advance(48 * time.Hour); err != nil {
		t.Fatal(err)
	}
	c := awsswf.New(awsswf.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL()), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("ADMIN", "admin-secret", "")})
	if _, err := c.ListDomains(t.Context(), &awsswf.ListDomainsInput{RegistrationStatus: types.RegistrationStatusRegistered}); err != nil {
		t.Errorf("a signed call with the manual clock two days ahead: %v", err)
	}
}

// While the clock moves, calls other than long polls wait; a long poll
// answers empty after the long-poll timeout of real time however still the
// clock stands.
func TestClockGateAndPollBound(t *testing.T) {
	t.Parallel()
	srv := startClock(t, ClockManual, func(c *Config) {
		c.Limits = swf.DefaultLimits()
		c.Limits.LongPollTimeout = 50 * time.Millisecond
	})
	c := sdkClient(srv)
	if _, err := c.RegisterDomain(t.Context(), &awsswf.RegisterDomainInput{Name: aws.String("d"), WorkflowExecutionRetentionPeriodInDays: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	cc := srv.ClockControl()
	cc.moveMu.Lock()
	cc.gate.Lock() // as a move does
	listed := make(chan error, 1)
	go func() {
		_, err := c.ListDomains(context.Background(), &awsswf.ListDomainsInput{RegistrationStatus: types.RegistrationStatusRegistered})
		listed <- err
	}()
	start := time.Now()
	out, err := c.PollForActivityTask(t.Context(), &awsswf.PollForActivityTaskInput{Domain: aws.String("d"), TaskList: &types.TaskList{Name: aws.String("tl")}})
	if err != nil || aws.ToString(out.TaskToken) != "" {
		t.Errorf("poll during a move: %v, token %q; want an empty task", err, aws.ToString(out.TaskToken))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the poll took %v, want about the 50 ms long-poll timeout", d)
	}
	select {
	case err := <-listed:
		t.Fatalf("ListDomains answered (%v) while the clock moved", err)
	default:
	}
	cc.gate.Unlock()
	cc.moveMu.Unlock()
	if err := <-listed; err != nil {
		t.Errorf("ListDomains after the move: %v", err)
	}
}

// An auto-skip clock follows the real time and, when nothing is
// scheduled or started, jumps to the next deadline; while a task is
// scheduled or started it does not jump.
func TestClockAutoSkip(t *testing.T) {
	t.Parallel()
	srv := startClock(t, ClockAutoSkip)
	c := sdkClient(srv)
	start := srv.ClockControl().Now()
	we := timerWorkflow(t, c, "3600")

	deadline := time.Now().Add(10 * time.Second)
	var at time.Time
	for ok := false; !ok; at, ok = fired(t, c, we) {
		if time.Now().After(deadline) {
			t.Fatal("the hour's timer did not fire within 10 s")
		}
		time.Sleep(time.Millisecond)
	}
	if at.Before(start.Add(time.Hour)) || at.After(start.Add(time.Hour+time.Minute)) {
		t.Errorf("timer fired at %v, want at start+1h (%v)", at, start.Add(time.Hour))
	}
	// Its decision task is scheduled now: the clock follows the real
	// time only.
	before := srv.ClockControl().Now()
	time.Sleep(50 * time.Millisecond)
	if moved := srv.ClockControl().Now().Sub(before); moved < 10*time.Millisecond || moved > 10*time.Second {
		t.Errorf("with a decision task scheduled the clock moved %v in 50 ms, want about that", moved)
	}
	if status, out := clockCall(t, srv, http.MethodGet, ""); status != http.StatusOK || out["mode"] != "auto-skip" {
		t.Errorf("GET: %d %v, want mode auto-skip", status, out)
	}
	if _, err := srv.ClockControl().Advance(time.Minute); err != nil {
		t.Errorf("advancing an auto-skip clock by hand: %v", err)
	}
}
