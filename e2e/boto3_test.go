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
func TestBoto3Story(t *testing.T) {
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
	cmd := exec.CommandContext(ctx, "python3", "testdata/story.py", srv.url)
	cmd.Env = env
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("story.py: %v\n%s", err, out)
	}
	if !strings.HasSuffix(strings.TrimSpace(string(out)), "OK") {
		t.Fatalf("story.py did not finish with OK:\n%s", out)
	}
	t.Logf("story.py:\n%s", out)
}
