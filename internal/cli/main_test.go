package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openswf/openswf/internal/server"
	"github.com/openswf/openswf/internal/swf"
)

// TestMain keeps the tests away from the machine's AWS set-up: no
// profile, config or credentials file of the user's, no endpoint or
// output settings from the environment. Tests that need one set it with
// t.Setenv.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "swf-cli-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, k := range []string{
		"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SWF",
		"AWS_DEFAULT_OUTPUT", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
		"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_MAX_ATTEMPTS", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE",
	} {
		os.Unsetenv(k)
	}
	os.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	os.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	retryBaseDelay = time.Millisecond
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// startServer runs an openswf server on a free loopback port, its long
// polls cut to pollTimeout so that an empty poll does not hold a test for
// a minute, and returns its URL.
func startServer(tb testing.TB) string {
	tb.Helper()
	lim := swf.DefaultLimits()
	lim.LongPollTimeout = pollTimeout
	s, err := server.New(server.Config{
		Listen:  "127.0.0.1:0",
		DataDir: tb.TempDir(),
		Limits:  lim,
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		tb.Fatalf("server.New: %v", err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
		if err := <-served; err != nil {
			tb.Errorf("Serve: %v", err)
		}
	})
	return s.URL()
}

const pollTimeout = 300 * time.Millisecond

// result is what one swf command printed and returned.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// runCLI runs `swf args...` in-process.
func runCLI(tb testing.TB, args ...string) result {
	tb.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := Run(ctx, args, &out, &errb)
	return result{out.String(), errb.String(), code}
}

// swfAt runs a command against the server at endpoint.
func swfAt(tb testing.TB, endpoint string, args ...string) result {
	tb.Helper()
	return runCLI(tb, append(args, "--endpoint-url", endpoint)...)
}

// mustSWF runs a command that must succeed and returns its stdout.
func mustSWF(tb testing.TB, endpoint string, args ...string) string {
	tb.Helper()
	r := swfAt(tb, endpoint, args...)
	if r.code != 0 {
		tb.Fatalf("swf %s: %v", strings.Join(args, " "), r)
	}
	return r.stdout
}

// wantExit checks a result's exit code and that stderr holds want.
func wantExit(tb testing.TB, r result, code int, want string) {
	tb.Helper()
	if r.code != code {
		tb.Fatalf("got exit %d, want %d\n%v", r.code, code, r)
	}
	if !strings.Contains(r.stderr, want) {
		tb.Fatalf("got stderr %q, want it to contain %q", r.stderr, want)
	}
}
