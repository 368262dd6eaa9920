package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets a test run the real main() in a child process (the test
// binary re-executed with SWF_TEST_MAIN=1), so signals can be tested
// without touching the test process.
func TestMain(m *testing.M) {
	if os.Getenv("SWF_TEST_MAIN") == "1" {
		os.Args = append([]string{"swf"}, strings.Fields(os.Getenv("SWF_TEST_ARGS"))...)
		main()
		return
	}
	os.Exit(m.Run())
}

func TestRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"NoCommand", nil, 2, "", "Usage: swf"},
		{"Unknown", []string{"bogus"}, 2, "", `unknown command "bogus"`},
		{"Help", []string{"help"}, 0, "Usage: swf", ""},
		{"Version", []string{"version"}, 0, "swf ", ""},
		{"ServerHelp", []string{"server", "-h"}, 0, "", "-listen"},
		{"ServerBadFlag", []string{"server", "--nope"}, 2, "", "flag provided but not defined"},
		{"ServerBadLevel", []string{"server", "--log-level", "loud"}, 2, "", "unknown log level"},
		{"ServerExtraArg", []string{"server", "extra"}, 2, "", `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, &stdout, &stderr)
			if code != tt.wantCode {
				t.Fatalf("got exit %d, want %d (stderr %q)", code, tt.wantCode, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.wantStdout) {
				t.Fatalf("got stdout %q, want it to contain %q", stdout.String(), tt.wantStdout)
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Fatalf("got stderr %q, want it to contain %q", stderr.String(), tt.wantStderr)
			}
		})
	}
}

var listeningRE = regexp.MustCompile(`listening on (127\.0\.0\.1:[0-9]+)`)

// waitListening reads log lines until the start-up line and returns the
// address in it. A goroutine keeps draining the rest of the log until EOF,
// so the server never blocks writing to a full pipe.
func waitListening(tb testing.TB, stderr io.Reader) string {
	tb.Helper()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case addr := <-found:
		return addr
	case <-time.After(30 * time.Second):
		tb.Fatal("no 'listening on' line within 30 s")
		return ""
	}
}

func checkServes(tb testing.TB, addr string) {
	tb.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/", strings.NewReader(`{}`))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", "SimpleWorkflowService.ListDomains")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("request to %s: %v", addr, err)
	}
	res.Body.Close()
	if res.Header.Get("x-amzn-RequestId") == "" {
		tb.Fatalf("got status %d without x-amzn-RequestId, want an SWF answer", res.StatusCode)
	}
}

// TestServerUntilCancel runs `swf server` in process and stops it through
// its context, as a signal would.
func TestServerUntilCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"server", "--listen", "127.0.0.1:0", "--data-dir", t.TempDir(), "--log-level", "debug"}, io.Discard, pw)
		pw.Close()
	}()
	addr := waitListening(t, pr)
	checkServes(t, addr)
	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Fatalf("got exit %d, want 0", c)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("server did not stop within 20 s of cancel")
	}
}

// TestServerSignal runs the real binary entry point in a child process and
// stops it with SIGTERM.
func TestServerSignal(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a child process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(),
		"SWF_TEST_MAIN=1",
		"SWF_TEST_ARGS=server --listen 127.0.0.1:0 --data-dir "+t.TempDir())
	// An io.Pipe rather than StderrPipe: Wait then waits for the log to be
	// copied, and never closes the pipe under the reading goroutine.
	stderr, pw := io.Pipe()
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	addr := waitListening(t, stderr)
	checkServes(t, addr)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		err := cmd.Wait()
		pw.Close()
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("got %v after SIGTERM, want exit 0", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("server did not exit within 20 s of SIGTERM")
	}
}
