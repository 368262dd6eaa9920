package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/openswf/openswf/internal/server"
)

// startCLIServer runs an openswf server for the client commands.
func startCLIServer(tb testing.TB) string {
	tb.Helper()
	s, err := server.New(server.Config{
		Listen:  "127.0.0.1:0",
		DataDir: tb.TempDir(),
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		tb.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()
	tb.Cleanup(func() {
		s.Close()
		<-served
	})
	return s.URL()
}

// TestClientCommands checks that run hands operation commands, their help
// and completion to the CLI, and keeps its own commands.
func TestClientCommands(t *testing.T) {
	t.Parallel()
	url := startCLIServer(t)
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"Register", []string{"register-domain", "--name", "d", "--workflow-execution-retention-period-in-days", "1", "--endpoint-url", url}, 0, "", ""},
		{"GlobalFirst", []string{"--endpoint-url", url, "describe-domain", "--name", "d", "--query", "domainInfo.status", "--output", "text"}, 0, "REGISTERED\n", ""},
		{"ServiceError", []string{"describe-domain", "--name", "nowhere", "--endpoint-url", url}, 254, "",
			"An error occurred (UnknownResourceFault) when calling the DescribeDomain operation: Unknown domain: nowhere"},
		{"UsageError", []string{"describe-domain", "--endpoint-url", url}, 252, "", "the following arguments are required: --name"},
		{"Skeleton", []string{"record-activity-task-heartbeat", "--generate-cli-skeleton"}, 0, "{\n    \"taskToken\": \"\",\n    \"details\": \"\"\n}\n", ""},
		{"Help", []string{"help"}, 0, "record-activity-task-heartbeat", ""},
		{"HelpKeepsUsage", []string{"help"}, 0, "Usage: swf", ""},
		{"CommandHelp", []string{"help", "record-activity-task-heartbeat"}, 0, "--task-token (string, required)", ""},
		{"CommandHelpFlag", []string{"poll-for-activity-task", "--help"}, 0, "--task-list (structure, required)", ""},
		{"Completion", []string{"completion", "bash"}, 0, "complete -o default -F _swf swf", ""},
		{"StillUnknown", []string{"record-activity-heartbeat"}, 2, "", `unknown command "record-activity-heartbeat"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, &stdout, &stderr)
			if code != tt.wantCode {
				t.Fatalf("got exit %d, want %d\nstdout %q\nstderr %q", code, tt.wantCode, stdout.String(), stderr.String())
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

// TestClientExitCode runs the real entry point in a child process: the
// CLI's exit code is the process's.
func TestClientExitCode(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a child process")
	}
	url := startCLIServer(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(),
		"SWF_TEST_MAIN=1",
		"SWF_TEST_ARGS=record-activity-task-heartbeat --task-token bogus --endpoint-url "+url)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 254 {
		t.Fatalf("got %v, want exit status 254\nstderr: %s", err, stderr.String())
	}
	if want := "An error occurred (UnknownResourceFault) when calling the RecordActivityTaskHeartbeat operation: "; !strings.Contains(stderr.String(), want) {
		t.Fatalf("got stderr %q, want %q", stderr.String(), want)
	}
}
