package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"
)

// readmeTestMarker precedes each block of the README's "Testing your
// workflows" that a test here runs: "<!-- readme-test: KIND [FILE]; ...".
const readmeTestMarker = "<!-- readme-test:"

// readmeTests returns the fenced blocks that follow a readme-test marker,
// by the marker's "KIND [FILE]".
func readmeTests(t *testing.T) map[string]string {
	t.Helper()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := map[string]string{}
	rest := string(readme)
	for {
		_, after, ok := strings.Cut(rest, readmeTestMarker)
		if !ok {
			break
		}
		header, body, _ := strings.Cut(after, "-->")
		key, _, _ := strings.Cut(header, ";")
		fs := fences(body)
		if len(fs) == 0 {
			t.Fatalf("README.md: no code block after %s%s", readmeTestMarker, header)
		}
		blocks[strings.TrimSpace(key)] = fs[0].body
		rest = body
	}
	return blocks
}

// readmeBlock returns the block of key, failing the test if there is none.
func readmeBlock(t *testing.T, blocks map[string]string, key string) string {
	t.Helper()
	b, ok := blocks[key]
	if !ok {
		t.Fatalf("README.md has no block marked %s %s -->", readmeTestMarker, key)
	}
	return b
}

// overlay writes files (paths relative to the repository, which need not
// exist) to a temporary directory and returns a go -overlay file that puts
// them in place, so the go command builds them as part of the module.
func overlay(t *testing.T, files map[string]string) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	replace := map[string]string{}
	for name, body := range files {
		src := filepath.Join(dir, strings.ReplaceAll(name, "/", "_"))
		if err := os.WriteFile(src, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		replace[filepath.Join(root, name)] = src
	}
	data, err := json.Marshal(map[string]any{"Replace": replace})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// goCommand runs `go args...` in the repository's root, with -race when
// these tests have it (the build cache then holds the packages already).
func goCommand(t *testing.T, args ...string) (string, error) {
	t.Helper()
	if raceEnabled {
		args = append(args[:1:1], append([]string{"-race"}, args[1:]...)...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = ".."
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestREADMEBoto3Clock runs the README's boto3 test against `swf server
// --clock manual`, with the swf binary on the PATH as the README says.
func TestREADMEBoto3Clock(t *testing.T) {
	skipIfShort(t)
	t.Parallel()
	block := readmeBlock(t, readmeTests(t), "python")
	if _, err := exec.LookPath("python3"); err != nil {
		missingTool(t, "python3 is not installed")
	}
	env := toolEnv(t)
	probe := exec.Command("python3", "-c", "import boto3")
	probe.Env = env
	if out, err := probe.CombinedOutput(); err != nil {
		missingTool(t, "python3 cannot import boto3 (%v: %s)", err, strings.TrimSpace(string(out)))
	}
	const readmeURL = "http://127.0.0.1:7171"
	if !strings.Contains(block, readmeURL) {
		t.Fatalf("the README's boto3 test does not use %s", readmeURL)
	}

	srv := startServer(t, t.TempDir(), "--clock", "manual")
	script := strings.ReplaceAll(block, readmeURL, srv.url) + "\n\ntest_heartbeat_timeout()\nprint('OK')\n"
	path := filepath.Join(t.TempDir(), "test_readme.py")
	if err := os.WriteFile(path, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	for i, kv := range env {
		if strings.HasPrefix(kv, "PATH=") {
			env[i] = "PATH=" + filepath.Dir(swfBinary) + string(os.PathListSeparator) + kv[len("PATH="):]
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "python3", path)
	cmd.Env = env
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.HasSuffix(strings.TrimSpace(string(out)), "OK") {
		t.Fatalf("the README's boto3 test failed: %v\n%s", err, out)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("the README's boto3 test took %v, want well under a second of waiting", d)
	}
}

// TestREADMEGoClock compiles the README's Go test, which uses
// openswftest, and runs it. (It is compiled with -c and run from a
// temporary directory, and without vet: go test and go vet enter the
// package's directory, which only the overlay has.)
func TestREADMEGoClock(t *testing.T) {
	skipIfShort(t)
	// Not parallel: compiling is heavy, and the parallel tests time
	// heartbeats on the real clock.
	block := readmeBlock(t, readmeTests(t), "go heartbeat_test.go")
	ov := overlay(t, map[string]string{"e2e/readmecheck/clock/heartbeat_test.go": block})
	bin := filepath.Join(t.TempDir(), "clock.test")
	if out, err := goCommand(t, "test", "-c", "-vet=off", "-overlay", ov, "-o", bin, "./e2e/readmecheck/clock"); err != nil {
		t.Fatalf("compiling the README's Go test: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-test.run", "TestHeartbeatTimeout", "-test.v", "-test.count=1")
	cmd.Dir = t.TempDir()
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestHeartbeatTimeout") {
		t.Fatalf("the README's Go test failed: %v\n%s", err, out)
	}
}

// TestREADMEGoWorker builds the README's worker, runs it against a server
// with the walkthrough's domain and types, and checks that it carries an
// order to completion and stops cleanly on SIGINT.
func TestREADMEGoWorker(t *testing.T) {
	skipIfShort(t)
	// Not parallel: compiling is heavy, and the parallel tests time
	// heartbeats on the real clock.
	blocks := readmeTests(t)
	main := readmeBlock(t, blocks, "go worker/main.go")
	if n := strings.Count(strings.TrimRight(main, "\n"), "\n") + 1; n >= 40 {
		t.Errorf("the README's worker has %d lines; the README promises fewer than 40", n)
	}
	ov := overlay(t, map[string]string{
		"e2e/readmecheck/worker/main.go":    main,
		"e2e/readmecheck/worker/decider.go": readmeBlock(t, blocks, "go worker/decider.go"),
	})
	bin := filepath.Join(t.TempDir(), "worker")
	if out, err := goCommand(t, "build", "-overlay", ov, "-o", bin, "./e2e/readmecheck/worker"); err != nil {
		t.Fatalf("building the README's worker: %v\n%s", err, out)
	}

	srv := startServer(t, t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := newClient(srv.url)
	walkthroughTypes(t, ctx, c)

	wlog := newProcLog()
	cmd := exec.Command(bin)
	cmd.Env = append(toolEnv(t), "AWS_ENDPOINT_URL_SWF="+srv.url, "AWS_REGION=us-east-1")
	cmd.Stdout, cmd.Stderr = wlog, wlog
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-exited
		}
	}()

	run, err := c.StartWorkflowExecution(ctx, &swf.StartWorkflowExecutionInput{
		Domain: aws.String("demo"), WorkflowId: aws.String("order-1"), Input: aws.String("order-1"),
		WorkflowType: &types.WorkflowType{Name: aws.String("order"), Version: aws.String("1")},
	})
	if err != nil {
		t.Fatal(err)
	}
	we := &types.WorkflowExecution{WorkflowId: aws.String("order-1"), RunId: run.RunId}
	var info *types.WorkflowExecutionInfo
	waitFor(t, time.Minute, 10*time.Millisecond, "the order to close", func() (bool, error) {
		d, err := c.DescribeWorkflowExecution(ctx, &swf.DescribeWorkflowExecutionInput{Domain: aws.String("demo"), Execution: we})
		if err != nil {
			return false, err
		}
		info = d.ExecutionInfo
		return info.ExecutionStatus == types.ExecutionStatusClosed, nil
	})
	events, err := history(ctx, c, "demo", we)
	if err != nil {
		t.Fatal(err)
	}
	last := events[len(events)-1]
	if info.CloseStatus != types.CloseStatusCompleted || aws.ToString(last.WorkflowExecutionCompletedEventAttributes.Result) != "charged order-1" {
		t.Fatalf("the order closed %s (%s), want COMPLETED with %q; worker log:\n%s", info.CloseStatus, last.EventType, "charged order-1", wlog)
	}

	// Ctrl-C: the worker stops polling and waits for its polls in flight,
	// which the server's shutdown answers at once.
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	srv.stop()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("the worker exited with %v after SIGINT, want 0; its log:\n%s", err, wlog)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the worker did not exit within 30 s of SIGINT; its log:\n%s", wlog)
	}
}

// walkthroughTypes registers what the README's walkthrough registers:
// domain demo, workflow type order and activity type charge.
func walkthroughTypes(t *testing.T, ctx context.Context, c *swf.Client) {
	t.Helper()
	if _, err := c.RegisterDomain(ctx, &swf.RegisterDomainInput{Name: aws.String("demo"), WorkflowExecutionRetentionPeriodInDays: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RegisterWorkflowType(ctx, &swf.RegisterWorkflowTypeInput{
		Domain: aws.String("demo"), Name: aws.String("order"), Version: aws.String("1"),
		DefaultTaskList: &types.TaskList{Name: aws.String("decider")}, DefaultChildPolicy: types.ChildPolicyTerminate,
		DefaultExecutionStartToCloseTimeout: aws.String("3600"), DefaultTaskStartToCloseTimeout: aws.String("300"),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RegisterActivityType(ctx, &swf.RegisterActivityTypeInput{
		Domain: aws.String("demo"), Name: aws.String("charge"), Version: aws.String("1"),
		DefaultTaskList: &types.TaskList{Name: aws.String("workers")}, DefaultTaskHeartbeatTimeout: aws.String("300"),
		DefaultTaskScheduleToStartTimeout: aws.String("300"), DefaultTaskStartToCloseTimeout: aws.String("3600"),
		DefaultTaskScheduleToCloseTimeout: aws.String("3600"),
	}); err != nil {
		t.Fatal(err)
	}
}
