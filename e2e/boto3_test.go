package e2e

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestBoto3Story runs testdata/story.py, a short heartbeat story in boto3:
// register, start, schedule, poll, heartbeat, complete, close, describe.
// The script does the checking; this test gives it a server and reads its
// exit status.
func TestBoto3Story(t *testing.T) { runPython(t, "testdata/story.py") }

// TestBoto3Visibility runs testdata/visibility.py: listing and counting
// open and closed executions with each filter, paging, order, and the
// filters that exclude each other.
func TestBoto3Visibility(t *testing.T) { runPython(t, "testdata/visibility.py") }

// runPython runs a boto3 script against a fresh server; the script checks
// and ends its output with OK.
func runPython(t *testing.T, script string) {
	skipIfShort(t)
	t.Parallel()
	if _, err := exec.LookPath("python3"); err != nil {
		missingTool(t, "python3 is not installed")
	}
	env := toolEnv(t)
	probe := exec.Command("python3", "-c", "import boto3")
	probe.Env = env
	if out, err := probe.CombinedOutput(); err != nil {
		missingTool(t, "python3 cannot import boto3 (%v: %s)", err, strings.TrimSpace(string(out)))
	}

	srv := startServer(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "python3", script, srv.url)
	cmd.Env = env
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out)
	}
	if !strings.HasSuffix(strings.TrimSpace(string(out)), "OK") {
		t.Fatalf("%s did not finish with OK:\n%s", script, out)
	}
	t.Logf("%s:\n%s", script, out)
}
