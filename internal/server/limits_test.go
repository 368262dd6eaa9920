package server

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsswf "github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/openswf/openswf/internal/clock"
	"github.com/openswf/openswf/internal/store"
	"github.com/openswf/openswf/internal/swf"
)

// startLimited runs a server with cfg's connection limits on a free
// loopback port.
func startLimited(t *testing.T, cfg Config) *Server {
	t.Helper()
	cfg.Listen, cfg.DataDir = "127.0.0.1:0", t.TempDir()
	cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	serve(t, srv)
	return srv
}

// rawRequest is an SWF call as bytes on the wire, keep-alive.
func rawRequest(op, body string) string {
	return fmt.Sprintf("POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: SimpleWorkflowService.%s\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: %d\r\n\r\n%s", op, len(body), body)
}

func dial(t *testing.T, srv *Server) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", srv.Addr(), 5*time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// answer reads one response from c within d.
func answer(c net.Conn, d time.Duration) (*http.Response, string, error) {
	c.SetReadDeadline(time.Now().Add(d))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return nil, "", err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b), err
}

// closedWithin waits for the server to close c, and says how long that
// took; it fails if c is still open after d.
func closedWithin(t *testing.T, c net.Conn, d time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	c.SetReadDeadline(start.Add(d))
	_, err := io.Copy(io.Discard, c)
	took := time.Since(start)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the connection is still open after %v", d)
	}
	return took
}

// TestMaxConnections: with MaxConnections open, connection N+1 is not
// served until one of them closes; then it is.
func TestMaxConnections(t *testing.T) {
	t.Parallel()
	srv := startLimited(t, Config{MaxConnections: 2})
	first, second := dial(t, srv), dial(t, srv)
	for _, c := range []net.Conn{first, second} {
		if _, err := io.WriteString(c, rawRequest("ListDomains", `{"registrationStatus":"REGISTERED"}`)); err != nil {
			t.Fatal(err)
		}
		if resp, body, err := answer(c, 5*time.Second); err != nil || resp.StatusCode != 200 {
			t.Fatalf("connection within the limit: %v %v %s", resp, err, body)
		}
	}
	third := dial(t, srv) // the kernel completes the handshake; the server does not accept it
	if _, err := io.WriteString(third, rawRequest("ListDomains", `{"registrationStatus":"REGISTERED"}`)); err != nil {
		t.Fatal(err)
	}
	if resp, _, err := answer(third, 500*time.Millisecond); err == nil {
		t.Fatalf("connection 3 of 2 was answered (%s) while the other two were open", resp.Status)
	}
	first.Close()
	if resp, body, err := answer(third, 5*time.Second); err != nil || resp.StatusCode != 200 {
		t.Fatalf("connection 3 once one closed: %v %v %s", resp, err, body)
	}
}

// TestReadHeaderTimeout: a client that sends part of its headers and
// stalls, or connects and sends nothing, is disconnected after the
// timeout.
func TestReadHeaderTimeout(t *testing.T) {
	t.Parallel()
	srv := startLimited(t, Config{ReadHeaderTimeout: 300 * time.Millisecond})
	start := time.Now()
	slow, silent := dial(t, srv), dial(t, srv)
	if _, err := io.WriteString(slow, "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: Simple"); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]net.Conn{"slow headers": slow, "silent": silent} {
		closedWithin(t, c, 5*time.Second)
		if took := time.Since(start); took < 250*time.Millisecond {
			t.Errorf("%s: closed after %v, before the timeout", name, took)
		}
	}
}

// TestReadBodyTimeout: a client that sends its headers and part of the
// body, then stalls, is refused and disconnected after the timeout; a long
// poll that waits longer than the timeout, having sent its whole body,
// is not cut short.
func TestReadBodyTimeout(t *testing.T) {
	t.Parallel()
	lim := swf.DefaultLimits()
	lim.LongPollTimeout = 1500 * time.Millisecond
	srv := startLimited(t, Config{ReadBodyTimeout: 300 * time.Millisecond, Limits: lim})

	slow := dial(t, srv)
	start := time.Now()
	if _, err := io.WriteString(slow, "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: SimpleWorkflowService.ListDomains\r\nContent-Length: 1000\r\n\r\n{\"registrationSt"); err != nil {
		t.Fatal(err)
	}
	resp, body, err := answer(slow, 5*time.Second)
	if err != nil {
		t.Fatalf("slow body: no answer within 5s: %v", err)
	}
	if took := time.Since(start); took < 250*time.Millisecond {
		t.Errorf("slow body: answered after %v, before the timeout", took)
	}
	if resp.StatusCode != 400 || !strings.Contains(body, "SerializationException") || !strings.Contains(body, "timeout") {
		t.Errorf("slow body: got %s %s, want 400 SerializationException naming the timeout", resp.Status, body)
	}
	closedWithin(t, slow, 5*time.Second)

	c := sdkClient(srv)
	ctx := t.Context()
	if _, err := c.RegisterDomain(ctx, &awsswf.RegisterDomainInput{Name: aws.String("d"), WorkflowExecutionRetentionPeriodInDays: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	poll := dial(t, srv)
	start = time.Now()
	if _, err := io.WriteString(poll, rawRequest("PollForActivityTask", `{"domain":"d","taskList":{"name":"l"}}`)); err != nil {
		t.Fatal(err)
	}
	resp, body, err = answer(poll, 10*time.Second)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("long poll: got %v %v %s, want 200", resp, err, body)
	}
	if took := time.Since(start); took < lim.LongPollTimeout-100*time.Millisecond {
		t.Errorf("long poll answered after %v, want its timeout %v", took, lim.LongPollTimeout)
	}
	// The connection is still good for another call.
	if _, err := io.WriteString(poll, rawRequest("ListDomains", `{"registrationStatus":"REGISTERED"}`)); err != nil {
		t.Fatal(err)
	}
	if resp, body, err := answer(poll, 5*time.Second); err != nil || resp.StatusCode != 200 {
		t.Fatalf("call after the long poll: %v %v %s", resp, err, body)
	}
}

// TestIdleTimeout: a keep-alive connection idle after a call is closed
// after the timeout.
func TestIdleTimeout(t *testing.T) {
	t.Parallel()
	srv := startLimited(t, Config{IdleTimeout: 300 * time.Millisecond})
	c := dial(t, srv)
	start := time.Now() // the idle time starts after this
	if _, err := io.WriteString(c, rawRequest("ListDomains", `{"registrationStatus":"REGISTERED"}`)); err != nil {
		t.Fatal(err)
	}
	if resp, body, err := answer(c, 5*time.Second); err != nil || resp.StatusCode != 200 {
		t.Fatalf("call: %v %v %s", resp, err, body)
	}
	closedWithin(t, c, 5*time.Second)
	if took := time.Since(start); took < 300*time.Millisecond {
		t.Errorf("closed %v after the call was sent, before the idle timeout", took)
	}
}

// TestDeeplyNested: a body nested 10,000 levels deep gets a clear 400
// quickly, naming the limit.
func TestDeeplyNested(t *testing.T) {
	t.Parallel()
	srv := startLimited(t, Config{})
	for name, body := range map[string]string{
		"arrays":  `{"domain":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`,
		"objects": strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000),
		"open":    strings.Repeat("[", 500000),
	} {
		c := dial(t, srv)
		start := time.Now()
		if _, err := io.WriteString(c, rawRequest("DescribeDomain", body)); err != nil {
			t.Fatal(err)
		}
		resp, got, err := answer(c, 5*time.Second)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("%s: answered after %v", name, took)
		}
		if resp.StatusCode != 400 || !strings.Contains(got, "SerializationException") || !strings.Contains(got, "nested more than") {
			t.Errorf("%s: got %s %s, want 400 SerializationException naming the nesting limit", name, resp.Status, got)
		}
	}
}

// TestFitConnections: a limit beyond the file descriptor limit is lowered
// to fit it, keeping descriptors for the database.
func TestFitConnections(t *testing.T) {
	_, hard, ok := nofile()
	if !ok {
		t.Skip("no limit on open files here")
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if got := fitConnections(10, log); got != 10 {
		t.Errorf("fitConnections(10) = %d, want 10", got)
	}
	huge := int(hard) + 1000
	if got := fitConnections(huge, log); got >= huge || uint64(got)+fdReserve > hard {
		t.Errorf("fitConnections(%d) with a hard limit of %d = %d, want at most %d", huge, hard, got, hard-fdReserve)
	}
}

// TestRetentionSweep: with RetentionSweep set, closed runs past their
// domain's retention leave the store at that interval, history and all;
// an open run stays.
func TestRetentionSweep(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	srv := startLimited(t, Config{Clock: clk, RetentionSweep: time.Minute})
	c, ctx := sdkClient(srv), t.Context()
	if _, err := c.RegisterDomain(ctx, &awsswf.RegisterDomainInput{Name: aws.String("d"), WorkflowExecutionRetentionPeriodInDays: aws.String("0")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RegisterWorkflowType(ctx, &awsswf.RegisterWorkflowTypeInput{Domain: aws.String("d"), Name: aws.String("w"), Version: aws.String("1"),
		DefaultTaskList: &types.TaskList{Name: aws.String("l")}, DefaultChildPolicy: types.ChildPolicyTerminate,
		DefaultExecutionStartToCloseTimeout: aws.String("3600"), DefaultTaskStartToCloseTimeout: aws.String("60")}); err != nil {
		t.Fatal(err)
	}
	runs := map[string]string{}
	for _, id := range []string{"closed", "open"} {
		out, err := c.StartWorkflowExecution(ctx, &awsswf.StartWorkflowExecutionInput{Domain: aws.String("d"), WorkflowId: aws.String(id),
			WorkflowType: &types.WorkflowType{Name: aws.String("w"), Version: aws.String("1")}})
		if err != nil {
			t.Fatal(err)
		}
		runs[id] = aws.ToString(out.RunId)
	}
	if _, err := c.TerminateWorkflowExecution(ctx, &awsswf.TerminateWorkflowExecutionInput{Domain: aws.String("d"), WorkflowId: aws.String("closed")}); err != nil {
		t.Fatal(err)
	}
	stored := func(id string) int {
		evs, err := srv.store.Events(ctx, &store.EventsParams{RunID: runs[id]})
		if err != nil {
			t.Fatal(err)
		}
		return len(evs)
	}
	clk.Advance(59 * time.Second)
	if stored("closed") == 0 {
		t.Fatalf("the closed run left the store before the sweep")
	}
	clk.Advance(2 * time.Second)
	if n := stored("closed"); n != 0 {
		t.Errorf("the closed run has %d events stored after the sweep, want none", n)
	}
	if stored("open") == 0 {
		t.Errorf("the open run's history left the store")
	}
}
