package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestJavaScriptSDKStory runs js/story.mjs, the README's heartbeat story told
// with the AWS SDK for JavaScript v3 (@aws-sdk/client-swf, pinned by
// js/package-lock.json): register, start, decide, heartbeat, cancel, a
// heartbeat timeout, complete. Besides the story it checks that members
// which are 0 or false reach a JavaScript caller as 0 or false, not
// undefined (through the SDK and in the raw JSON), and that faults are
// instances of the SDK's exception classes. The script does the checking;
// this test gives it a server and reads its exit status.
func TestJavaScriptSDKStory(t *testing.T) {
	skipIfShort(t)
	t.Parallel()
	if _, err := exec.LookPath("node"); err != nil {
		missingTool(t, "node (Node.js) is not installed")
	}
	// go test runs in e2e/, so js/ is e2e/js.
	dir, err := filepath.Abs("js")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@aws-sdk", "client-swf", "package.json")); err != nil {
		missingTool(t, "the AWS SDK for JavaScript is not installed in e2e/js (run `npm ci --prefix e2e/js` from the repository root)")
	}

	srv := startServer(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "story.mjs", srv.url)
	cmd.Dir = dir
	cmd.Env = toolEnv(t)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node story.mjs: %v\n%s", err, out)
	}
	if !strings.HasSuffix(strings.TrimSpace(string(out)), "OK") {
		t.Fatalf("node story.mjs did not finish with OK:\n%s", out)
	}
	t.Logf("node story.mjs:\n%s", out)
}
