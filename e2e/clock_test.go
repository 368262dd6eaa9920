package e2e

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestBoto3ManualClock runs testdata/manual_clock.py against `swf server
// --clock manual`: a boto3 script makes a five-minute heartbeat timeout
// fire at once with `swf clock advance`, and checks the history and that
// it took well under a second of real time per minute of workflow time.
func TestBoto3ManualClock(t *testing.T) {
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

	srv := startServer(t, t.TempDir(), "--clock", "manual")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "python3", "testdata/manual_clock.py", srv.url, swfBinary)
	cmd.Env = env
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("manual_clock.py: %v\n%s", err, out)
	}
	if !strings.HasSuffix(strings.TrimSpace(string(out)), "OK") {
		t.Fatalf("manual_clock.py did not finish with OK:\n%s", out)
	}
	t.Logf("manual_clock.py:\n%s", out)
}
