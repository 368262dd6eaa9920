package e2e

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"
)

// swfBinary is the `swf` binary TestMain builds from ../cmd/swf for the
// whole package; every test runs its own server process from it.
var swfBinary string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	flag.Parse()
	dir, err := os.MkdirTemp("", "openswf-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	swfBinary = filepath.Join(dir, "swf")
	args := []string{"build", "-o", swfBinary}
	if raceEnabled {
		// The race detector in the server catches what the load in these
		// tests provokes; serverProc fails the test on its report.
		args = append(args, "-race")
	}
	args = append(args, "../cmd/swf")
	// `go test` puts its own GOROOT/bin first in PATH, so this is the same
	// toolchain that builds the tests.
	if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go %s: %v\n%s", strings.Join(args, " "), err, out)
		return 1
	}
	return m.Run()
}

// inCI reports whether we run under CI (CI=true), where every e2e test must
// run: a missing tool is a failure, not a skip.
func inCI() bool { return os.Getenv("CI") == "true" }

// missingTool skips the test because a tool it needs is not installed, or
// fails it under CI=true.
func missingTool(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if inCI() {
		t.Fatalf("%s: CI=true, so the e2e tests must not be skipped; install it", msg)
	}
	t.Skipf("%s: skipping (this fails under CI=true)", msg)
}

// skipIfShort keeps `go test -short` quick: every e2e test waits on the real
// clock.
func skipIfShort(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test on the real clock: skipped with -short")
	}
}

// serverProc is one `swf server` child process. startServer starts it and
// registers its shutdown with t.Cleanup; kill ends it the hard way.
type serverProc struct {
	t       testing.TB
	dataDir string
	cmd     *exec.Cmd
	log     *procLog
	addr    string // 127.0.0.1:PORT as the server logged it
	url     string // http://addr

	exited  chan struct{} // closed when cmd.Wait returned
	waitErr error         // cmd.Wait's answer, set before exited closes
	killed  bool          // kill ended it: no exit status to check
}

// startServer runs `swf server --listen 127.0.0.1:0 --data-dir dataDir`
// and waits (up to 30 s) for the "listening on" line in its log. At cleanup
// it stops the server with SIGTERM, which must end it cleanly, and fails the
// test on a data race report; if the test failed, the server's log is
// printed.
func startServer(t testing.TB, dataDir string, extra ...string) *serverProc {
	t.Helper()
	s := &serverProc{t: t, dataDir: dataDir, log: newProcLog(), exited: make(chan struct{})}
	args := append([]string{"server", "--listen", "127.0.0.1:0", "--data-dir", dataDir}, extra...)
	s.cmd = exec.Command(swfBinary, args...)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start swf server: %v", err)
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(s.cleanup)

	select {
	case s.addr = <-s.log.addr:
	case <-s.exited:
		t.Fatalf("swf server exited before listening: %v\n%s", s.waitErr, s.log)
	case <-time.After(30 * time.Second):
		t.Fatalf("swf server did not log %q within 30 s:\n%s", "listening on", s.log)
	}
	s.url = "http://" + s.addr
	return s
}

// kill ends the server with SIGKILL (kill -9): no shutdown, no flush.
func (s *serverProc) kill() {
	s.t.Helper()
	s.killed = true
	if err := s.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		s.t.Fatalf("kill server: %v", err)
	}
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		s.t.Fatalf("server did not die within 10 s of SIGKILL")
	}
}

// stop ends the server with SIGTERM and checks it exits 0 within 20 s.
func (s *serverProc) stop() {
	s.t.Helper()
	select {
	case <-s.exited:
	default:
		if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
			s.t.Errorf("SIGTERM server: %v", err)
		}
		select {
		case <-s.exited:
		case <-time.After(20 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.exited
			s.t.Errorf("server did not exit within 20 s of SIGTERM; killed it")
			return
		}
	}
	if !s.killed && s.waitErr != nil {
		s.t.Errorf("server exited with %v after SIGTERM, want exit status 0", s.waitErr)
	}
}

func (s *serverProc) cleanup() {
	s.stop()
	if strings.Contains(s.log.String(), "WARNING: DATA RACE") {
		s.t.Errorf("the server reported a data race")
	}
	if s.t.Failed() {
		s.t.Logf("log of the server on %s (data dir %s):\n%s", s.addr, s.dataDir, s.log)
	}
}

// listenRE finds the bound address in the server's start-up log line.
var listenRE = regexp.MustCompile(`listening on ([0-9.]+:[0-9]+)`)

// procLog collects a child process's output and reports the address from
// its first "listening on" line on addr.
type procLog struct {
	mu    sync.Mutex // guards buf and sent
	buf   bytes.Buffer
	sent  bool
	addr  chan string // receives one address, buffered
	limit int         // bytes kept; output beyond it is dropped
}

func newProcLog() *procLog {
	return &procLog{addr: make(chan string, 1), limit: 4 << 20}
}

func (l *procLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if room := l.limit - l.buf.Len(); room > 0 {
		l.buf.Write(p[:min(len(p), room)])
	}
	if !l.sent {
		if m := listenRE.FindSubmatch(l.buf.Bytes()); m != nil {
			l.sent = true
			l.addr <- string(m[1])
		}
	}
	return len(p), nil
}

func (l *procLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// toolEnv is the environment for the aws CLI and python: the parent's,
// without any AWS_* variable, plus fixed test credentials and a config file
// of our own, so a developer's ~/.aws (profiles, output format, endpoints)
// cannot change what the tests see. Any keys are accepted by openswf.
func toolEnv(t testing.TB) []string {
	t.Helper()
	dir := t.TempDir()
	config := filepath.Join(dir, "config")
	if err := os.WriteFile(config, []byte("[default]\nregion = us-east-1\noutput = json\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	return append(env,
		"AWS_ACCESS_KEY_ID=x",
		"AWS_SECRET_ACCESS_KEY=y",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_DEFAULT_OUTPUT=json",
		"AWS_CONFIG_FILE="+config,
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=",
	)
}

// newClient returns an aws-sdk-go-v2 SWF client for the server at url, with
// static credentials and no retries: a call either got its answer or
// failed, which is what the durability test counts on.
func newClient(url string) *swf.Client {
	return swf.New(swf.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(url),
		Credentials:      credentials.NewStaticCredentialsProvider("x", "y", ""),
		RetryMaxAttempts: 1,
	})
}

// waitFor calls check every interval until it reports done, failing the
// test if that has not happened by timeout (or check errs).
func waitFor(t testing.TB, timeout, interval time.Duration, what string, check func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		done, err := check()
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: not done after %v", what, timeout)
		}
		time.Sleep(interval)
	}
}

// history reads an execution's whole history through the SDK, page by page.
func history(ctx context.Context, c *swf.Client, domain string, we *types.WorkflowExecution) ([]types.HistoryEvent, error) {
	var events []types.HistoryEvent
	p := swf.NewGetWorkflowExecutionHistoryPaginator(c, &swf.GetWorkflowExecutionHistoryInput{
		Domain: aws.String(domain), Execution: we, MaximumPageSize: 1000,
	})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		events = append(events, out.Events...)
	}
	return events, nil
}

// checkEventIDs fails the test unless the events are numbered 1..n in
// order, without a duplicate or a gap.
func checkEventIDs(t testing.TB, name string, ids []int64) {
	t.Helper()
	for i, id := range ids {
		if id != int64(i+1) {
			t.Errorf("%s: event %d has id %d, want %d (ids %v)", name, i, id, i+1, ids)
			return
		}
	}
}

// eventsOf returns the events of one type.
func eventsOf(events []types.HistoryEvent, et types.EventType) []types.HistoryEvent {
	var out []types.HistoryEvent
	for _, ev := range events {
		if ev.EventType == et {
			out = append(out, ev)
		}
	}
	return out
}

// sdkEventIDs lists the ids of SDK history events, for checkEventIDs.
func sdkEventIDs(events []types.HistoryEvent) []int64 {
	ids := make([]int64, len(events))
	for i, ev := range events {
		ids[i] = ev.EventId
	}
	return ids
}

// runSwf runs the swf binary with args to completion (bounded to 30 s) and
// returns its combined output.
func runSwf(t testing.TB, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, swfBinary, args...)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	return string(out), err
}
