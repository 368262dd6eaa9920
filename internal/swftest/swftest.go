// Package swftest starts an openswf server in-process for black-box tests:
// real SQLite storage in a temporary directory, a fake clock that the test
// moves forward, and an aws-sdk-go-v2 SWF client pointed at the server.
//
// With SWF_TEST_DATABASE=postgres in the environment, every server keeps
// its state in PostgreSQL instead, in a fresh schema of the test server's
// database (package pgtest: $SWF_TEST_POSTGRES_URL), so the same tests run
// on both stores. The schema belongs to the data directory: a server
// restarted with WithDataDir finds its predecessor's data.
//
// Every helper takes a testing.TB, calls Helper and fails the test at once
// with a "got X, want Y" message, so a test reads as a list of steps.
//
// Time: the server reads the time and waits only through the injected
// clock.Fake. Env.Clock.Advance runs every deadline that falls due, including
// its durable write, before it returns, so a test advances past a timeout and
// reads the history right away. Long polls wait on the same clock (60 s):
// a poll with nothing to hand out returns only when the clock is advanced past
// its deadline, so helpers that expect a task (PollDecision, PollActivity)
// must only be called when one is there; they give up after a real-time
// bound instead of hanging the test.
package swftest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"
	"github.com/aws/smithy-go"

	"github.com/openswf/openswf/internal/auth"
	"github.com/openswf/openswf/internal/clock"
	"github.com/openswf/openswf/internal/server"
	"github.com/openswf/openswf/internal/store/postgres/pgtest"
	oswf "github.com/openswf/openswf/internal/swf"
)

// Epoch is where the fake clock of an Env starts unless WithClockAt says
// otherwise.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// CallTimeout bounds, in real time, every call a helper makes, so a server
// that never answers (a poll with no task, a deadlock) fails the test
// instead of hanging it.
const CallTimeout = 10 * time.Second

// Env is a running server and a client for it. Start builds one; the test's
// cleanup closes it.
type Env struct {
	Server  *server.Server
	Clock   *clock.Fake
	SWF     *swf.Client
	URL     string
	DataDir string

	// transport carries every request of SWF and Raw. Close closes its
	// idle connections before the server, because http.Server.Shutdown
	// waits up to 5 s for a connection that was dialed but never sent a
	// request, and the HTTP client dials such spares under concurrency.
	transport *http.Transport
	served    chan error
	closeOnce sync.Once
}

type options struct {
	auth    *auth.Config
	dataDir string
	clockAt time.Time
	limits  oswf.Limits
	log     *slog.Logger
	region  string
}

// Option changes how Start builds an Env.
type Option func(*options)

// WithDataDir runs the server on dir instead of a fresh temporary directory,
// so a test can close one Env and start another on the same data.
func WithDataDir(dir string) Option { return func(o *options) { o.dataDir = dir } }

// WithClockAt starts the fake clock at t instead of Epoch. A restarted
// server whose clock is later than its predecessor's fires the deadlines
// that passed while it was down.
func WithClockAt(t time.Time) Option { return func(o *options) { o.clockAt = t } }

// WithLimits runs the server with these quotas instead of AWS's defaults.
func WithLimits(l oswf.Limits) Option { return func(o *options) { o.limits = l } }

// WithAuth makes the server require signatures checked against creds. The
// Env's own client signs with access key "AKID" and secret "SECRET", so give
// that key a principal (an administrator) for the fixtures to work.
func WithAuth(creds *auth.Config) Option { return func(o *options) { o.auth = creds } }

// WithRegion sets the server's region for calls that name none (unsigned
// ones). The Env's client still signs for us-east-1.
func WithRegion(r string) Option { return func(o *options) { o.region = r } }

// WithLogger sends the server's log to l instead of discarding it.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// Start runs a server on 127.0.0.1:0 over its own SQLite database (or
// PostgreSQL schema, see the package doc) and a fake clock, and returns it
// with a client. The test's cleanup closes the server
// (if the test has not) and checks that Serve returned cleanly.
func Start(tb testing.TB, opts ...Option) *Env {
	tb.Helper()
	o := options{clockAt: Epoch}
	for _, opt := range opts {
		opt(&o)
	}
	if o.dataDir == "" {
		o.dataDir = tb.TempDir()
	}
	if o.log == nil {
		o.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	var database string
	switch db := os.Getenv("SWF_TEST_DATABASE"); db {
	case "", "sqlite":
	case "postgres":
		database = pgtest.SchemaFor(tb, o.dataDir)
	default:
		tb.Fatalf("SWF_TEST_DATABASE=%q: want sqlite (the default) or postgres", db)
	}
	clk := clock.NewFake(o.clockAt)
	srv, err := server.New(server.Config{
		Listen:   "127.0.0.1:0",
		DataDir:  o.dataDir,
		Database: database,
		Clock:    clk,
		Limits:   o.limits,
		Log:      o.log,
		Auth:     o.auth,
		Region:   o.region,
	})
	if err != nil {
		tb.Fatalf("start server: %v", err)
	}
	env := &Env{
		Server:    srv,
		Clock:     clk,
		URL:       srv.URL(),
		DataDir:   o.dataDir,
		transport: newTransport(),
		served:    make(chan error, 1),
	}
	go func() { env.served <- srv.Serve() }()
	env.SWF = newClient(env.URL, env.transport, "AKID", "SECRET")
	tb.Cleanup(func() { env.Close(tb) })
	return env
}

// NewClient returns an SDK client for the endpoint url, with fixed
// credentials. It retries nothing the server answered (a retry would hide a
// fault from the test), only a connection the client itself broke: the
// SDK and net/http race over closing a request body, which now and then
// closes a connection while its response is read (aws-sdk-go-v2#2737; the
// SDK's default retryer retries it too).
func NewClient(url string) *swf.Client { return newClient(url, newTransport(), "AKID", "SECRET") }

// NewClientAs is NewClient signing with the given keys.
func NewClientAs(url, accessKeyID, secret string) *swf.Client {
	return newClient(url, newTransport(), accessKeyID, secret)
}

func newClient(url string, tr *http.Transport, accessKeyID, secret string) *swf.Client {
	return swf.New(swf.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider(accessKeyID, secret, ""),
		Retryer:      connectionRetryer(),
		HTTPClient:   &http.Client{Transport: RecordTransport(tr)},
	})
}

func connectionRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 3
		o.Retryables = []retry.IsErrorRetryable{retry.RetryableConnectionError{}}
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		o.RateLimiter = ratelimit.None
	})
}

// newTransport is http.DefaultTransport's settings with room for the idle
// connections of a test's concurrent workers.
func newTransport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 256
	tr.MaxIdleConnsPerHost = 256
	return tr
}

// Close stops the server and waits for Serve to return. Long polls still
// waiting answer empty. It is safe to call more than once; a test calls it
// to restart on the same data directory.
func (e *Env) Close(tb testing.TB) {
	tb.Helper()
	e.closeOnce.Do(func() {
		e.transport.CloseIdleConnections()
		defer e.transport.CloseIdleConnections()
		if err := e.Server.Close(); err != nil {
			tb.Errorf("close server: %v", err)
		}
		select {
		case err := <-e.served:
			if err != nil {
				tb.Errorf("Serve: got %v, want nil after Close", err)
			}
		case <-time.After(CallTimeout):
			tb.Errorf("Serve did not return within %v of Close", CallTimeout)
		}
	})
}

// StepTimeout bounds, in real time, the context Ctx returns.
const StepTimeout = 60 * time.Second

// Ctx returns a context for direct SDK calls that ends after StepTimeout,
// so a call the server never answers fails instead of hanging. The cancel
// function is registered with the test's cleanup. Create it in the test
// that uses it: a parallel subtest may start long after its parent ran.
func Ctx(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), StepTimeout)
	tb.Cleanup(cancel)
	return ctx
}

func callCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), CallTimeout)
}

var seq atomic.Int64

// Unique returns prefix followed by a number no other call in this process
// returns, so names never clash between tests that share a server.
func Unique(prefix string) string { return fmt.Sprintf("%s-%d", prefix, seq.Add(1)) }

// Domain registers a fresh domain (retention 1 day) and returns its name.
func (e *Env) Domain(tb testing.TB) string {
	tb.Helper()
	name := Unique("domain")
	ctx, cancel := callCtx()
	defer cancel()
	if _, err := e.SWF.RegisterDomain(ctx, &swf.RegisterDomainInput{
		Name:                                   aws.String(name),
		WorkflowExecutionRetentionPeriodInDays: aws.String("1"),
	}); err != nil {
		tb.Fatalf("RegisterDomain %s: %v", name, err)
	}
	return name
}

// DecisionTaskList is the default decision task list of the workflow types
// WorkflowType registers.
const DecisionTaskList = "decisions"

// WorkflowType registers a workflow type with a fresh name, version "1", and
// every default set: task list DecisionTaskList, child policy TERMINATE,
// execution start-to-close 1 day, decision task start-to-close 1 hour. The
// options change the input before it is sent.
func (e *Env) WorkflowType(tb testing.TB, domain string, opts ...func(*swf.RegisterWorkflowTypeInput)) types.WorkflowType {
	tb.Helper()
	in := &swf.RegisterWorkflowTypeInput{
		Domain:                              aws.String(domain),
		Name:                                aws.String(Unique("workflow")),
		Version:                             aws.String("1"),
		DefaultTaskList:                     &types.TaskList{Name: aws.String(DecisionTaskList)},
		DefaultChildPolicy:                  types.ChildPolicyTerminate,
		DefaultExecutionStartToCloseTimeout: aws.String("86400"),
		DefaultTaskStartToCloseTimeout:      aws.String("3600"),
	}
	for _, o := range opts {
		o(in)
	}
	ctx, cancel := callCtx()
	defer cancel()
	if _, err := e.SWF.RegisterWorkflowType(ctx, in); err != nil {
		tb.Fatalf("RegisterWorkflowType %s: %v", aws.ToString(in.Name), err)
	}
	return types.WorkflowType{Name: in.Name, Version: in.Version}
}

// ActivityType registers activity type name, version "1". With no options it
// has no defaults at all; ActivityDefaults sets them all.
func (e *Env) ActivityType(tb testing.TB, domain, name string, opts ...func(*swf.RegisterActivityTypeInput)) types.ActivityType {
	tb.Helper()
	in := &swf.RegisterActivityTypeInput{
		Domain:  aws.String(domain),
		Name:    aws.String(name),
		Version: aws.String("1"),
	}
	for _, o := range opts {
		o(in)
	}
	ctx, cancel := callCtx()
	defer cancel()
	if _, err := e.SWF.RegisterActivityType(ctx, in); err != nil {
		tb.Fatalf("RegisterActivityType %s: %v", name, err)
	}
	return types.ActivityType{Name: in.Name, Version: in.Version}
}

// ActivityDefaults gives an activity type every default: task list
// taskList and NONE for all four timeouts, so no timeout fires unless the
// decision sets one.
func ActivityDefaults(taskList string) func(*swf.RegisterActivityTypeInput) {
	return func(in *swf.RegisterActivityTypeInput) {
		in.DefaultTaskList = &types.TaskList{Name: aws.String(taskList)}
		in.DefaultTaskScheduleToStartTimeout = aws.String("NONE")
		in.DefaultTaskScheduleToCloseTimeout = aws.String("NONE")
		in.DefaultTaskStartToCloseTimeout = aws.String("NONE")
		in.DefaultTaskHeartbeatTimeout = aws.String("NONE")
	}
}

// Start starts an execution of wt with a fresh workflow id and returns the
// workflow id and run id. The options change the input before it is sent.
func (e *Env) Start(tb testing.TB, domain string, wt types.WorkflowType, opts ...func(*swf.StartWorkflowExecutionInput)) (workflowID, runID string) {
	tb.Helper()
	in := &swf.StartWorkflowExecutionInput{
		Domain:       aws.String(domain),
		WorkflowId:   aws.String(Unique("wf")),
		WorkflowType: &wt,
	}
	for _, o := range opts {
		o(in)
	}
	ctx, cancel := callCtx()
	defer cancel()
	out, err := e.SWF.StartWorkflowExecution(ctx, in)
	if err != nil {
		tb.Fatalf("StartWorkflowExecution %s: %v", aws.ToString(in.WorkflowId), err)
	}
	if aws.ToString(out.RunId) == "" {
		tb.Fatalf("StartWorkflowExecution %s: got no runId, want one", aws.ToString(in.WorkflowId))
	}
	return aws.ToString(in.WorkflowId), aws.ToString(out.RunId)
}

// PollDecision polls taskList for a decision task and fails the test if
// none comes. Call it only when a decision task is scheduled (or will be
// within CallTimeout of real time).
func (e *Env) PollDecision(tb testing.TB, domain, taskList string, opts ...func(*swf.PollForDecisionTaskInput)) *swf.PollForDecisionTaskOutput {
	tb.Helper()
	in := &swf.PollForDecisionTaskInput{
		Domain:   aws.String(domain),
		TaskList: &types.TaskList{Name: aws.String(taskList)},
		Identity: aws.String("decider"),
	}
	for _, o := range opts {
		o(in)
	}
	ctx, cancel := callCtx()
	defer cancel()
	out, err := e.SWF.PollForDecisionTask(ctx, in)
	if err != nil {
		tb.Fatalf("PollForDecisionTask %s: %v", taskList, err)
	}
	if aws.ToString(out.TaskToken) == "" {
		tb.Fatalf("PollForDecisionTask %s: got no task, want one", taskList)
	}
	return out
}

// Decide completes a decision task with the decisions and fails on error.
func (e *Env) Decide(tb testing.TB, token string, decisions ...types.Decision) {
	tb.Helper()
	if err := e.TryDecide(token, decisions...); err != nil {
		tb.Fatalf("RespondDecisionTaskCompleted: %v", err)
	}
}

// TryDecide completes a decision task and returns the error, if any.
func (e *Env) TryDecide(token string, decisions ...types.Decision) error {
	ctx, cancel := callCtx()
	defer cancel()
	_, err := e.SWF.RespondDecisionTaskCompleted(ctx, &swf.RespondDecisionTaskCompletedInput{
		TaskToken: aws.String(token),
		Decisions: decisions,
	})
	return err
}

// PollActivity polls taskList for an activity task (identity "worker") and
// fails the test if none comes. Call it only when a task is scheduled.
func (e *Env) PollActivity(tb testing.TB, domain, taskList string) *swf.PollForActivityTaskOutput {
	tb.Helper()
	ctx, cancel := callCtx()
	defer cancel()
	out, err := e.SWF.PollForActivityTask(ctx, &swf.PollForActivityTaskInput{
		Domain:   aws.String(domain),
		TaskList: &types.TaskList{Name: aws.String(taskList)},
		Identity: aws.String("worker"),
	})
	if err != nil {
		tb.Fatalf("PollForActivityTask %s: %v", taskList, err)
	}
	if aws.ToString(out.TaskToken) == "" {
		tb.Fatalf("PollForActivityTask %s: got no task, want one", taskList)
	}
	return out
}

// Heartbeat records a heartbeat and returns cancelRequested; it fails on
// error.
func (e *Env) Heartbeat(tb testing.TB, token, details string) bool {
	tb.Helper()
	out, err := e.TryHeartbeat(token, details)
	if err != nil {
		tb.Fatalf("RecordActivityTaskHeartbeat: %v", err)
	}
	return out
}

// TryHeartbeat records a heartbeat (details "" sends none) and returns
// cancelRequested and the error.
func (e *Env) TryHeartbeat(token, details string) (bool, error) {
	ctx, cancel := callCtx()
	defer cancel()
	in := &swf.RecordActivityTaskHeartbeatInput{TaskToken: aws.String(token)}
	if details != "" {
		in.Details = aws.String(details)
	}
	out, err := e.SWF.RecordActivityTaskHeartbeat(ctx, in)
	if err != nil {
		return false, err
	}
	return out.CancelRequested, nil
}

// History returns the whole history of a run, following nextPageToken, and
// checks it with CheckHistory.
func (e *Env) History(tb testing.TB, domain, workflowID, runID string) []types.HistoryEvent {
	tb.Helper()
	var events []types.HistoryEvent
	var next *string
	for page := 0; ; page++ {
		if page > 1000 {
			tb.Fatalf("GetWorkflowExecutionHistory: more than 1000 pages, want the paging to end")
		}
		ctx, cancel := callCtx()
		out, err := e.SWF.GetWorkflowExecutionHistory(ctx, &swf.GetWorkflowExecutionHistoryInput{
			Domain:        aws.String(domain),
			Execution:     &types.WorkflowExecution{WorkflowId: aws.String(workflowID), RunId: aws.String(runID)},
			NextPageToken: next,
		})
		cancel()
		if err != nil {
			tb.Fatalf("GetWorkflowExecutionHistory %s: %v", workflowID, err)
		}
		events = append(events, out.Events...)
		if aws.ToString(out.NextPageToken) == "" {
			CheckHistory(tb, events)
			return events
		}
		next = out.NextPageToken
	}
}

// EventTypes returns the event types of a run's history, in order.
func (e *Env) EventTypes(tb testing.TB, domain, workflowID, runID string) []string {
	tb.Helper()
	return Types(e.History(tb, domain, workflowID, runID))
}

// Describe returns DescribeWorkflowExecution of a run.
func (e *Env) Describe(tb testing.TB, domain, workflowID, runID string) *swf.DescribeWorkflowExecutionOutput {
	tb.Helper()
	ctx, cancel := callCtx()
	defer cancel()
	out, err := e.SWF.DescribeWorkflowExecution(ctx, &swf.DescribeWorkflowExecutionInput{
		Domain:    aws.String(domain),
		Execution: &types.WorkflowExecution{WorkflowId: aws.String(workflowID), RunId: aws.String(runID)},
	})
	if err != nil {
		tb.Fatalf("DescribeWorkflowExecution %s: %v", workflowID, err)
	}
	return out
}

// Types lists the event types of events, in order.
func Types(events []types.HistoryEvent) []string {
	out := make([]string, len(events))
	for i, ev := range events {
		out[i] = string(ev.EventType)
	}
	return out
}

// Last returns the last event of type typ; it fails the test if there is
// none.
func Last(tb testing.TB, events []types.HistoryEvent, typ types.EventType) types.HistoryEvent {
	tb.Helper()
	for i := len(events) - 1; i >= 0; i-- {
		if events[i].EventType == typ {
			return events[i]
		}
	}
	tb.Fatalf("history has no %s event; got %v", typ, Types(events))
	return types.HistoryEvent{}
}

// Count returns how many events of type typ events holds.
func Count(events []types.HistoryEvent, typ types.EventType) int {
	n := 0
	for _, ev := range events {
		if ev.EventType == typ {
			n++
		}
	}
	return n
}

// Fault returns err as the SDK's typed fault T (e.g.
// *types.UnknownResourceFault) and fails the test if it is not one.
func Fault[T error](tb testing.TB, err error) T {
	tb.Helper()
	var f T
	if err == nil {
		tb.Fatalf("got no error, want %T", f)
	}
	if !errors.As(err, &f) {
		tb.Fatalf("got error %v (code %q), want %T", err, ErrorCode(err), f)
	}
	return f
}

// ErrorCode returns the AWS error code of err (the part of __type after
// '#'), or "" if err carries none.
func ErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// WantCode fails the test unless err carries the AWS error code code
// (e.g. "ValidationException"), and returns the error's message.
func WantCode(tb testing.TB, err error, code string) string {
	tb.Helper()
	if err == nil {
		tb.Fatalf("got no error, want %s", code)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		tb.Fatalf("got error %v, want an API error %s", err, code)
	}
	if ae.ErrorCode() != code {
		tb.Fatalf("got error code %q (%v), want %s", ae.ErrorCode(), err, code)
	}
	return ae.ErrorMessage()
}

// WaitFor calls cond until it reports true, failing the test if it has not
// within CallTimeout of real time. It is for effects the server produces
// asynchronously (deadlines already due when a server starts, pollers
// registering); anything driven by Clock.Advance is visible at once.
func WaitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(CallTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("waited %v for %s; it did not happen", CallTimeout, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// WaitClockWaiters waits until at least n callbacks wait on the fake clock.
// A long poll with nothing to hand out registers one for its 60 s deadline,
// after it has joined its task list's waiters, so a test that counts the
// callbacks before starting a poll in a goroutine knows when the poll is
// waiting.
func (e *Env) WaitClockWaiters(tb testing.TB, n int) {
	tb.Helper()
	WaitFor(tb, fmt.Sprintf("%d callbacks on the fake clock", n), func() bool { return e.Clock.Pending() >= n })
}
