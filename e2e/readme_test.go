package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The README's walkthrough lies between these markers: its ```sh blocks are
// the commands a newcomer pastes, its plain ``` blocks what they print.
const (
	walkthroughStart = "<!-- walkthrough:"
	walkthroughEnd   = "<!-- end of walkthrough -->"
)

// fence is a fenced code block of a Markdown text: its info string
// ("sh", or "" for output) and its body.
type fence struct{ lang, body string }

// fences returns the fenced ``` blocks of a Markdown text, in order.
func fences(md string) []fence {
	var (
		out  []fence
		cur  *fence
		body strings.Builder
	)
	for line := range strings.Lines(md) {
		trimmed := strings.TrimRight(line, "\n")
		switch {
		case cur == nil && strings.HasPrefix(trimmed, "```"):
			cur = &fence{lang: strings.TrimSpace(strings.TrimPrefix(trimmed, "```"))}
			body.Reset()
		case cur != nil && trimmed == "```":
			cur.body = body.String()
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			body.WriteString(line)
		}
	}
	return out
}

// TestREADMEWalkthrough pastes the README's walkthrough into bash against a
// fresh server, so the README stays true: every command must succeed, a
// heartbeat must answer cancelRequested true after the cancel request, and
// the history must show the heartbeat timeout with the last details.
func TestREADMEWalkthrough(t *testing.T) {
	skipIfShort(t)
	t.Parallel()
	requireAWSCLI(t)
	runWalkthrough(t, false)
}

// TestREADMEWalkthroughSwf runs the same walkthrough with `swf` in place of
// `aws swf`, as the README says it can be.
func TestREADMEWalkthroughSwf(t *testing.T) {
	skipIfShort(t)
	t.Parallel()
	runWalkthrough(t, true)
}

// awsSwfLine is the README's definition of the command the walkthrough
// uses; withSwf replaces it by the swf binary.
const awsSwfLine = `aws_swf() { aws swf --endpoint-url http://127.0.0.1:7171 "$@"; }`

func runWalkthrough(t *testing.T, withSwf bool) {
	if _, err := exec.LookPath("bash"); err != nil {
		missingTool(t, "bash is not installed")
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, walk, ok := strings.Cut(string(readme), walkthroughStart)
	if ok {
		walk, _, ok = strings.Cut(walk, walkthroughEnd)
	}
	if !ok {
		t.Fatalf("README.md: no walkthrough between %q and %q", walkthroughStart, walkthroughEnd)
	}
	var script strings.Builder
	blocks := fences(walk)
	for _, b := range blocks {
		if b.lang == "sh" {
			script.WriteString(b.body)
			script.WriteString("\n")
		}
	}
	const readmeURL = "http://127.0.0.1:7171"
	if !strings.Contains(script.String(), readmeURL) {
		t.Fatalf("README.md walkthrough does not use %s", readmeURL)
	}

	srv := startServer(t, t.TempDir())
	text := script.String()
	if withSwf {
		if !strings.Contains(text, awsSwfLine) {
			t.Fatalf("README.md walkthrough does not define %s", awsSwfLine)
		}
		text = strings.ReplaceAll(text, awsSwfLine, `aws_swf() { "`+swfBinary+`" --endpoint-url http://127.0.0.1:7171 "$@"; }`)
	}
	// The README's own lines, with the test server's address for the
	// default one, stopping at the first command that fails.
	body := "set -euo pipefail\n" + strings.ReplaceAll(text, readmeURL, srv.url)
	path := filepath.Join(t.TempDir(), "walkthrough.sh")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", path)
	cmd.Env = toolEnv(t)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("walkthrough failed: %v\n%s", err, out)
	}
	text = string(out)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`"cancelRequested": false`),
		regexp.MustCompile(`"cancelRequested": true`),
		regexp.MustCompile(`(?s)"timeoutType": "HEARTBEAT",.*"details": "75%"`),
		regexp.MustCompile(`ActivityTaskCancelRequested`),
		regexp.MustCompile(`ActivityTaskCanceled`),
		regexp.MustCompile(`WorkflowExecutionCompleted`),
	} {
		if !want.MatchString(text) {
			t.Errorf("walkthrough output does not match %s:\n%s", want, text)
		}
	}
	// The README shows some of the output in plain ``` blocks; they must
	// be what the commands print.
	for _, b := range blocks {
		if b.lang == "" && !strings.Contains(text, strings.TrimSpace(b.body)) {
			t.Errorf("the README shows this output:\n%s\nbut the walkthrough printed:\n%s", b.body, text)
		}
	}
	t.Logf("walkthrough output:\n%s", text)
}
