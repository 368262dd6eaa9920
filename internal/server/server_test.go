package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsswf "github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/openswf/openswf/internal/shape"
)

// startServer runs a Server on a free loopback port over a fresh data
// directory. Cleanup closes it and checks Serve returned nil.
func startServer(tb testing.TB) *Server {
	tb.Helper()
	srv := newServer(tb)
	serve(tb, srv)
	return srv
}

// newServer builds a Server that does not serve yet, so a test may wrap
// its handler first.
func newServer(tb testing.TB) *Server {
	tb.Helper()
	srv, err := New(Config{
		Listen:  "127.0.0.1:0",
		DataDir: tb.TempDir(),
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return srv
}

func serve(tb testing.TB, srv *Server) {
	tb.Helper()
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	tb.Cleanup(func() {
		if err := srv.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
		select {
		case err := <-served:
			if err != nil {
				tb.Errorf("Serve: got %v, want nil after Close", err)
			}
		case <-time.After(10 * time.Second):
			tb.Errorf("Serve did not return after Close")
		}
	})
}

func sdkClient(srv *Server) *awsswf.Client {
	return awsswf.New(awsswf.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(srv.URL()),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		RetryMaxAttempts: 1,
	})
}

func TestServe(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	if !strings.HasPrefix(srv.Addr(), "127.0.0.1:") || strings.HasSuffix(srv.Addr(), ":0") {
		t.Fatalf("Addr() = %q, want 127.0.0.1 with the bound port", srv.Addr())
	}
	if srv.URL() != "http://"+srv.Addr() {
		t.Fatalf("URL() = %q, want http://%s", srv.URL(), srv.Addr())
	}

	res, err := http.Post(srv.URL(), "application/x-amz-json-1.0", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest || res.Header.Get("x-amzn-RequestId") == "" {
		t.Fatalf("got %d (request id %q) without a target, want 400 with a request id",
			res.StatusCode, res.Header.Get("x-amzn-RequestId"))
	}

	ctx := context.Background()
	c := sdkClient(srv)
	_, err = c.RegisterDomain(ctx, &awsswf.RegisterDomainInput{
		Name: aws.String("d1"), WorkflowExecutionRetentionPeriodInDays: aws.String("1"),
	})
	if err != nil {
		t.Fatalf("RegisterDomain: %v", err)
	}
	out, err := c.DescribeDomain(ctx, &awsswf.DescribeDomainInput{Name: aws.String("d1")})
	if err != nil {
		t.Fatalf("DescribeDomain: %v", err)
	}
	if got := aws.ToString(out.DomainInfo.Name); got != "d1" {
		t.Fatalf("got domain %q, want d1", got)
	}
}

func TestCloseBeforeServe(t *testing.T) {
	t.Parallel()
	srv, err := New(Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := srv.Serve(); err != nil {
		t.Fatalf("Serve after Close: got %v, want nil", err)
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestNewListenError(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	_, err := New(Config{Listen: srv.Addr(), DataDir: t.TempDir(), Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err == nil {
		t.Fatalf("New on the busy address %s: got no error, want one", srv.Addr())
	}
}

// activityPoller is the engine method the drain test needs; until the
// engine has it, the test is skipped.
type activityPoller interface {
	PollForActivityTask(context.Context, *shape.PollForActivityTaskInput) (*shape.ActivityTask, error)
}

// TestCloseAnswersLongPoll checks that a worker waiting in a long poll gets
// an empty task, not a dropped connection, as soon as the server closes.
func TestCloseAnswersLongPoll(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	if _, ok := any(srv.Engine()).(activityPoller); !ok {
		srv.Close()
		t.Skip("engine has no PollForActivityTask yet")
	}
	// Close once the poll is being handled: from then on Shutdown waits
	// for it. (Closing earlier races HTTP keep-alive: a request written
	// on an idle connection that Shutdown closes is reset, and clients
	// retry it; that is not what this test is about.)
	polling := make(chan struct{})
	var once sync.Once
	inner := srv.http.Handler
	srv.http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") == "SimpleWorkflowService.PollForActivityTask" {
			once.Do(func() { close(polling) })
		}
		inner.ServeHTTP(w, r)
	})
	serve(t, srv)

	ctx := context.Background()
	c := sdkClient(srv)
	if _, err := c.RegisterDomain(ctx, &awsswf.RegisterDomainInput{
		Name: aws.String("d1"), WorkflowExecutionRetentionPeriodInDays: aws.String("1"),
	}); err != nil {
		t.Fatalf("RegisterDomain: %v", err)
	}

	type result struct {
		out *awsswf.PollForActivityTaskOutput
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := c.PollForActivityTask(ctx, &awsswf.PollForActivityTaskInput{
			Domain: aws.String("d1"), TaskList: &types.TaskList{Name: aws.String("tl")},
		})
		done <- result{out, err}
	}()
	select {
	case <-polling:
	case <-time.After(10 * time.Second):
		t.Fatal("poll request did not reach the server")
	}

	start := time.Now()
	if err := srv.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatalf("poll: got %v, want an empty task", r.err)
		}
		if aws.ToString(r.out.TaskToken) != "" {
			t.Fatalf("poll: got task token %q, want none", aws.ToString(r.out.TaskToken))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("poll still waiting 10 s after Close")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("Close took %v, want it prompt", d)
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
