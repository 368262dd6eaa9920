package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsswf "github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"
)

// syncBuffer is a log sink the server writes from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// observedBundle is a server with a manual clock, a metrics listener of
// its own, JSON logs at debug level, and one started activity task with a
// 300-second heartbeat timeout.
type observedBundle struct {
	srv   *Server
	c     *awsswf.Client
	logs  *syncBuffer
	token *string
	run   *string
}

func setupObserved(t *testing.T, cfg Config) *observedBundle {
	t.Helper()
	logs := &syncBuffer{}
	cfg.Listen, cfg.DataDir, cfg.ClockMode, cfg.MetricsListen = "127.0.0.1:0", t.TempDir(), ClockManual, "127.0.0.1:0"
	cfg.Log = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	serve(t, srv)
	c, ctx, s := sdkClient(srv), t.Context(), aws.String
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.RegisterDomain(ctx, &awsswf.RegisterDomainInput{Name: s("d"), WorkflowExecutionRetentionPeriodInDays: s("1")}))
	must(c.RegisterWorkflowType(ctx, &awsswf.RegisterWorkflowTypeInput{Domain: s("d"), Name: s("wf"), Version: s("1"),
		DefaultTaskList: &types.TaskList{Name: s("decider")}, DefaultChildPolicy: types.ChildPolicyTerminate,
		DefaultExecutionStartToCloseTimeout: s("3600"), DefaultTaskStartToCloseTimeout: s("300")}))
	at := &types.ActivityType{Name: s("act"), Version: s("1")}
	must(c.RegisterActivityType(ctx, &awsswf.RegisterActivityTypeInput{Domain: s("d"), Name: at.Name, Version: at.Version,
		DefaultTaskList: &types.TaskList{Name: s("workers")}, DefaultTaskHeartbeatTimeout: s("300"),
		DefaultTaskScheduleToStartTimeout: s("NONE"), DefaultTaskScheduleToCloseTimeout: s("NONE"), DefaultTaskStartToCloseTimeout: s("NONE")}))
	run, err := c.StartWorkflowExecution(ctx, &awsswf.StartWorkflowExecutionInput{Domain: s("d"), WorkflowId: s("w1"),
		WorkflowType: &types.WorkflowType{Name: s("wf"), Version: s("1")}})
	must(run, err)
	dt, err := c.PollForDecisionTask(ctx, &awsswf.PollForDecisionTaskInput{Domain: s("d"), TaskList: &types.TaskList{Name: s("decider")}})
	must(dt, err)
	must(c.RespondDecisionTaskCompleted(ctx, &awsswf.RespondDecisionTaskCompletedInput{TaskToken: dt.TaskToken,
		Decisions: []types.Decision{schedule("a1", at, "workers"), schedule("a2", at, "other")}}))
	task, err := c.PollForActivityTask(ctx, &awsswf.PollForActivityTaskInput{Domain: s("d"), TaskList: &types.TaskList{Name: s("workers")}})
	must(task, err)
	return &observedBundle{srv: srv, c: c, logs: logs, token: task.TaskToken, run: run.RunId}
}

func schedule(id string, at *types.ActivityType, list string) types.Decision {
	return types.Decision{DecisionType: types.DecisionTypeScheduleActivityTask,
		ScheduleActivityTaskDecisionAttributes: &types.ScheduleActivityTaskDecisionAttributes{
			ActivityId: aws.String(id), ActivityType: at, TaskList: &types.TaskList{Name: aws.String(list)}}}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// wantSeries fails unless the exposition holds the series line exactly.
func wantSeries(t *testing.T, exposition string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(exposition, "\n"+l+"\n") {
			t.Errorf("metrics: no line %q", l)
		}
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	b := setupObserved(t, Config{})
	ctx := t.Context()
	for _, d := range []string{"10%", "20%"} {
		if _, err := b.c.RecordActivityTaskHeartbeat(ctx, &awsswf.RecordActivityTaskHeartbeatInput{TaskToken: b.token, Details: aws.String(d)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.c.DescribeDomain(ctx, &awsswf.DescribeDomainInput{Name: aws.String("nope")}); err == nil {
		t.Fatal("DescribeDomain of an unknown domain: got no error")
	}

	code, m := get(t, b.srv.URL()+MetricsPath)
	if code != http.StatusOK {
		t.Fatalf("GET /metrics: got %d, want 200", code)
	}
	wantSeries(t, m,
		`openswf_requests_total{op="RecordActivityTaskHeartbeat",outcome="ok"} 2`,
		`openswf_requests_total{op="DescribeDomain",outcome="UnknownResourceFault"} 1`,
		`openswf_request_duration_seconds_count{op="RecordActivityTaskHeartbeat"} 2`,
		`openswf_activity_heartbeats_total 2`,
		`openswf_open_executions{domain="d",region="us-east-1"} 1`,
		`openswf_open_activity_tasks{domain="d",region="us-east-1",state="scheduled"} 1`,
		`openswf_open_activity_tasks{domain="d",region="us-east-1",state="started"} 1`,
		`openswf_domain_task_backlog{domain="d",kind="activity",region="us-east-1"} 1`,
		`openswf_task_list_backlog{domain="d",kind="activity",region="us-east-1",task_list="other"} 1`,
	)
	for _, name := range []string{"openswf_store_commit_wait_seconds_count", "openswf_store_batch_changes_count", "openswf_store_batch_seconds_count",
		"openswf_store_flush_seconds_count", "openswf_timer_queue_size", "openswf_history_cache_bytes", "go_goroutines", "process_resident_memory_bytes"} {
		if !strings.Contains(m, "\n"+name) {
			t.Errorf("metrics: no %s", name)
		}
	}

	// The store reported its group commits: the set-up and heartbeats
	// made some, each with a flush.
	for _, name := range []string{"openswf_store_batch_changes_count", "openswf_store_flush_seconds_count", "openswf_store_commit_wait_seconds_count"} {
		if regexp.MustCompile(`\n` + name + ` 0\n`).MatchString(m) {
			t.Errorf("metrics: %s is 0, want the store's commits counted", name)
		}
	}

	// The heartbeat timeout fires when the clock passes it: its lateness
	// is recorded, and the task is no longer open.
	if _, err := b.srv.ClockControl().Advance(6 * time.Minute); err != nil {
		t.Fatal(err)
	}
	_, m = get(t, "http://"+b.srv.MetricsAddr()+MetricsPath)
	wantSeries(t, m, `openswf_timer_lateness_seconds_count{kind="activity_heartbeat"} 1`,
		`openswf_open_activity_tasks{domain="d",region="us-east-1",state="started"} 0`)
}

func TestMetricsBoundTaskLists(t *testing.T) {
	t.Parallel()
	// One busy task list ("other", where a2 waits) is above a bound of
	// none: only the per-domain sums are exported.
	b := setupObserved(t, Config{MetricsTaskLists: -1})
	_, m := get(t, b.srv.URL()+MetricsPath)
	if strings.Contains(m, "openswf_task_list_backlog{") {
		t.Errorf("metrics name task lists beyond the bound:\n%s", m)
	}
	wantSeries(t, m, `openswf_domain_task_backlog{domain="d",kind="activity",region="us-east-1"} 1`)
}

func TestMetricsLoopbackOnly(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	h := srv.routes(http.NotFoundHandler())
	for _, tc := range []struct {
		remote string
		want   int
	}{{"127.0.0.1:5000", http.StatusOK}, {"[::1]:5000", http.StatusOK}, {"10.1.2.3:5000", http.StatusForbidden}} {
		r := httptest.NewRequest(http.MethodGet, MetricsPath, nil)
		r.RemoteAddr = tc.remote
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.want {
			t.Errorf("GET /metrics from %s: got %d, want %d", tc.remote, w.Code, tc.want)
		}
	}
}

func TestHealth(t *testing.T) {
	t.Parallel()
	b := setupObserved(t, Config{})
	for _, base := range []string{b.srv.URL(), "http://" + b.srv.MetricsAddr()} {
		for _, path := range []string{HealthzPath, ReadyzPath} {
			if code, body := get(t, base+path); code != http.StatusOK || body != "ok\n" {
				t.Errorf("GET %s%s: got %d %q, want 200 ok", base, path, code, body)
			}
		}
	}
	// A failing check, then a closing server, make /readyz 503 while
	// /healthz stays 200.
	b.srv.readyChecks = append(b.srv.readyChecks, readyCheck{"lease", func(context.Context) error { return io.ErrUnexpectedEOF }})
	if code, body := get(t, b.srv.URL()+ReadyzPath); code != http.StatusServiceUnavailable || !strings.Contains(body, "lease") {
		t.Errorf("GET /readyz with a failing check: got %d %q, want 503 naming it", code, body)
	}
	b.srv.readyChecks = b.srv.readyChecks[:1]
	b.srv.closing.Store(true)
	if code, _ := get(t, b.srv.URL()+ReadyzPath); code != http.StatusServiceUnavailable {
		t.Errorf("GET /readyz while closing: got %d, want 503", code)
	}
	if code, _ := get(t, b.srv.URL()+HealthzPath); code != http.StatusOK {
		t.Errorf("GET /healthz while closing: got %d, want 200", code)
	}
	b.srv.closing.Store(false)
}

// TestRequestLog checks the fault log line: Warn, with the operation, the
// domain and the request id the client got, and never the credentials.
func TestRequestLog(t *testing.T) {
	t.Parallel()
	b := setupObserved(t, Config{})
	_, err := b.c.DescribeWorkflowExecution(t.Context(), &awsswf.DescribeWorkflowExecutionInput{Domain: aws.String("d"),
		Execution: &types.WorkflowExecution{WorkflowId: aws.String("none"), RunId: aws.String("none")}})
	var re *awshttp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("DescribeWorkflowExecution of an unknown run: got %v, want a fault", err)
	}
	reqID := re.ServiceRequestID()
	logs := b.logs.String()
	var found bool
	for _, line := range strings.Split(logs, "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil || rec["msg"] != "fault" || rec["op"] != "DescribeWorkflowExecution" {
			continue
		}
		found = true
		if rec["level"] != "WARN" || rec["domain"] != "d" || rec["fault"] != "UnknownResourceFault" {
			t.Errorf("fault line: got %v, want WARN with domain d and UnknownResourceFault", rec)
		}
		if reqID == "" || rec["request_id"] != reqID {
			t.Errorf("fault line: request_id %v, want the x-amzn-RequestId sent, %q", rec["request_id"], reqID)
		}
	}
	if !found {
		t.Fatalf("no fault line for DescribeWorkflowExecution in:\n%s", logs)
	}
	// sdkClient signs with this secret; the debug log has every request.
	if strings.Contains(logs, "secret") || strings.Contains(logs, "Signature=") {
		t.Errorf("the log holds credentials:\n%s", logs)
	}
}
