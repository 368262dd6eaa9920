package worker_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/openswf/openswf/openswftest"
	"github.com/openswf/openswf/worker"
)

// Names every bundle registers.
const (
	domain       = "test"
	workflowName = "wf"
	activityName = "act"
	decisionList = "decider"
	activityList = "workers"
)

// quiet discards what the workers log: the tests provoke failures.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// wait bounds, in real time, how long a test waits for anything.
const wait = 10 * time.Second

// bundle is a server with a domain, a workflow type and an activity type
// (task list activityList, heartbeat timeout 5 minutes, the other
// timeouts NONE), a client whose requests the test watches (and may
// disturb), and one started execution.
type bundle struct {
	srv   *openswftest.Server
	c     *swf.Client // through tap
	tap   *tap
	runID string
	wfID  string
}

func setup(t *testing.T) *bundle {
	t.Helper()
	srv := openswftest.Start(t)
	tp := &tap{next: http.DefaultTransport.(*http.Transport).Clone()}
	t.Cleanup(tp.next.(*http.Transport).CloseIdleConnections)
	b := &bundle{srv: srv, tap: tp, wfID: "wf-1"}
	b.c = srv.NewClient(func(o *swf.Options) { o.HTTPClient = &http.Client{Transport: tp} })
	ctx := t.Context()
	c := srv.Client
	must(t)(c.RegisterDomain(ctx, &swf.RegisterDomainInput{Name: aws.String(domain), WorkflowExecutionRetentionPeriodInDays: aws.String("1")}))
	must(t)(c.RegisterWorkflowType(ctx, &swf.RegisterWorkflowTypeInput{
		Domain: aws.String(domain), Name: aws.String(workflowName), Version: aws.String("1"),
		DefaultTaskList: &types.TaskList{Name: aws.String(decisionList)}, DefaultChildPolicy: types.ChildPolicyTerminate,
		DefaultExecutionStartToCloseTimeout: aws.String("86400"), DefaultTaskStartToCloseTimeout: aws.String("3600"),
	}))
	must(t)(c.RegisterActivityType(ctx, &swf.RegisterActivityTypeInput{
		Domain: aws.String(domain), Name: aws.String(activityName), Version: aws.String("1"),
		DefaultTaskList:                   &types.TaskList{Name: aws.String(activityList)},
		DefaultTaskHeartbeatTimeout:       aws.String("300"),
		DefaultTaskScheduleToStartTimeout: aws.String("NONE"),
		DefaultTaskScheduleToCloseTimeout: aws.String("NONE"),
		DefaultTaskStartToCloseTimeout:    aws.String("NONE"),
	}))
	out, err := c.StartWorkflowExecution(ctx, &swf.StartWorkflowExecutionInput{
		Domain: aws.String(domain), WorkflowId: aws.String(b.wfID), WorkflowType: worker.WorkflowType(workflowName, "1"),
	})
	if err != nil {
		t.Fatalf("StartWorkflowExecution: %v", err)
	}
	b.runID = aws.ToString(out.RunId)
	return b
}

func must(t *testing.T) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// pollDecision waits for the execution's next decision task and returns it.
func (b *bundle) pollDecision(t *testing.T) *swf.PollForDecisionTaskOutput {
	t.Helper()
	return b.pollDecisionOn(t, decisionList)
}

// pollDecisionOn waits for a decision task on list and returns it.
func (b *bundle) pollDecisionOn(t *testing.T, list string) *swf.PollForDecisionTaskOutput {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	out, err := b.srv.Client.PollForDecisionTask(ctx, &swf.PollForDecisionTaskInput{
		Domain: aws.String(domain), TaskList: &types.TaskList{Name: aws.String(list)},
	})
	if err != nil {
		for _, ev := range b.history(t) {
			if a := ev.ActivityTaskStartedEventAttributes; a != nil {
				t.Logf("%d started by %s", ev.EventId, aws.ToString(a.Identity))
			}
		}
		t.Fatalf("PollForDecisionTask: %v", err)
	}
	if aws.ToString(out.TaskToken) == "" {
		t.Fatalf("PollForDecisionTask: got no task, want one")
	}
	return out
}

// decide takes the next decision task and answers it with decisions.
func (b *bundle) decide(t *testing.T, decisions ...types.Decision) *swf.PollForDecisionTaskOutput {
	t.Helper()
	task := b.pollDecision(t)
	if _, err := b.srv.Client.RespondDecisionTaskCompleted(t.Context(), &swf.RespondDecisionTaskCompletedInput{
		TaskToken: task.TaskToken, Decisions: decisions,
	}); err != nil {
		t.Fatalf("RespondDecisionTaskCompleted: %v", err)
	}
	return task
}

// schedule schedules activity id of the bundle's activity type.
func (b *bundle) schedule(t *testing.T, id string, opts ...func(*types.ScheduleActivityTaskDecisionAttributes)) {
	t.Helper()
	b.decide(t, worker.ScheduleActivityTask(id, worker.ActivityType(activityName, "1"), "input of "+id, opts...))
}

// history reads the execution's whole history.
func (b *bundle) history(t *testing.T) []types.HistoryEvent {
	t.Helper()
	var events []types.HistoryEvent
	p := swf.NewGetWorkflowExecutionHistoryPaginator(b.srv.Client, &swf.GetWorkflowExecutionHistoryInput{
		Domain: aws.String(domain), Execution: &types.WorkflowExecution{WorkflowId: aws.String(b.wfID), RunId: aws.String(b.runID)},
	})
	for p.HasMorePages() {
		out, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatalf("GetWorkflowExecutionHistory: %v", err)
		}
		events = append(events, out.Events...)
	}
	return events
}

// last returns the last event of type typ, failing the test if there is none.
func last(t *testing.T, events []types.HistoryEvent, typ types.EventType) types.HistoryEvent {
	t.Helper()
	for i := len(events) - 1; i >= 0; i-- {
		if events[i].EventType == typ {
			return events[i]
		}
	}
	t.Fatalf("history has no %s; got %v", typ, eventTypes(events))
	return types.HistoryEvent{}
}

func eventTypes(events []types.HistoryEvent) []string {
	out := make([]string, len(events))
	for i, ev := range events {
		out[i] = string(ev.EventType)
	}
	return out
}

// advance moves the server's clock. The server holds the worker's calls
// (but its long polls) back while it moves.
func (b *bundle) advance(d time.Duration) { b.srv.Advance(d) }

// runWorker calls run (a worker's or decider's Run) until stop is called
// or the test ends, and checks that it then returns nil.
func runWorker(t *testing.T, run func(context.Context) error) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(wait):
				t.Errorf("Run did not return within %v of its ctx's cancellation", wait)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// fastOptions are worker options for tests: heartbeats every 2 ms,
// retries after at most 5 ms, and a shutdown that waits 20 ms.
func fastOptions() worker.ActivityWorkerOptions {
	return worker.ActivityWorkerOptions{
		Domain: domain, TaskList: activityList, Identity: "test-worker",
		HeartbeatInterval: 2 * time.Millisecond,
		ShutdownGrace:     20 * time.Millisecond,
		Backoff:           worker.Backoff{Initial: time.Millisecond, Max: 5 * time.Millisecond},
		Logger:            quiet,
	}
}

// tap is the test client's transport. It records every call (operation,
// request body, status) and can answer chosen calls itself with a fault,
// as a throttled or failing service would.
type tap struct {
	next http.RoundTripper

	mu     sync.Mutex            // guards sent, total, calls, inject
	sent   map[string]int        // calls sent, by operation
	total  int                   // calls sent
	calls  []call                // calls answered
	inject map[string][]injected // by operation, consumed in order
}

type call struct {
	op     string
	body   string
	status int
	sent   int // the call was the sent'th sent, from 1
}

type injected struct {
	status int
	code   string
}

// fail makes the next n calls of op answer status with the AWS error code.
func (tp *tap) fail(op string, n, status int, code string) {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	if tp.inject == nil {
		tp.inject = map[string][]injected{}
	}
	for range n {
		tp.inject[op] = append(tp.inject[op], injected{status, code})
	}
}

func (tp *tap) RoundTrip(req *http.Request) (*http.Response, error) {
	op := strings.TrimPrefix(req.Header.Get("X-Amz-Target"), "SimpleWorkflowService.")
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	tp.mu.Lock()
	if tp.sent == nil {
		tp.sent = map[string]int{}
	}
	tp.sent[op]++
	tp.total++
	seq := tp.total
	var inj *injected
	if q := tp.inject[op]; len(q) > 0 {
		inj, tp.inject[op] = &q[0], q[1:]
	}
	tp.mu.Unlock()
	var resp *http.Response
	if inj != nil {
		msg := fmt.Sprintf(`{"__type":"com.amazon.coral.availability#%s","message":"injected by the test"}`, inj.code)
		resp = &http.Response{
			StatusCode: inj.status, Status: http.StatusText(inj.status), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header:  http.Header{"Content-Type": {"application/x-amz-json-1.0"}, "X-Amzn-Requestid": {"injected"}},
			Body:    io.NopCloser(strings.NewReader(msg)),
			Request: req, ContentLength: int64(len(msg)),
		}
	} else {
		var err error
		if resp, err = tp.next.RoundTrip(req); err != nil {
			return nil, err
		}
	}
	tp.mu.Lock()
	tp.calls = append(tp.calls, call{op: op, body: string(body), status: resp.StatusCode, sent: seq})
	tp.mu.Unlock()
	return resp, nil
}

// count returns how many calls of op got status (0: any status).
func (tp *tap) count(op string, status int) int {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	n := 0
	for _, c := range tp.calls {
		if c.op == op && (status == 0 || c.status == status) {
			n++
		}
	}
	return n
}

// waitFor waits until a call of op whose body contains substr was
// answered 200.
func (tp *tap) waitFor(t *testing.T, op, substr string) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		tp.mu.Lock()
		for _, c := range tp.calls {
			if c.op == op && c.status == 200 && strings.Contains(c.body, substr) {
				tp.mu.Unlock()
				return
			}
		}
		tp.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("no %s with %q answered 200 within %v", op, substr, wait)
}

// waitForNew waits until a call of op sent from now on has been answered
// 200.
func (tp *tap) waitForNew(t *testing.T, op string) {
	t.Helper()
	tp.mu.Lock()
	since := tp.total
	tp.mu.Unlock()
	deadline := time.Now().Add(wait)
	for {
		tp.mu.Lock()
		for _, c := range tp.calls {
			if c.op == op && c.status == 200 && c.sent > since {
				tp.mu.Unlock()
				return
			}
		}
		tp.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("no %s sent since answered 200 within %v", op, wait)
		}
		time.Sleep(time.Millisecond)
	}
}

func signalInput(b *bundle, name string) *swf.SignalWorkflowExecutionInput {
	return &swf.SignalWorkflowExecutionInput{Domain: aws.String(domain), WorkflowId: aws.String(b.wfID), SignalName: aws.String(name)}
}

// waitSent waits until n calls of op have been sent.
func (tp *tap) waitSent(t *testing.T, op string, n int) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		tp.mu.Lock()
		sent := tp.sent[op]
		tp.mu.Unlock()
		if sent >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d calls of %s sent within %v, want %d", sent, op, wait, n)
		}
		time.Sleep(time.Millisecond)
	}
}
