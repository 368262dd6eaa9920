package console_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsswf "github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/openswf/openswf/internal/auth"
	"github.com/openswf/openswf/internal/server"
)

// chromium finds Debian's chromium. Without it the browser tests skip,
// except under CI=true, where they fail: .ci/run installs it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed (CI=true): apt-get install -y chromium")
	}
	t.Skip("chromium is not installed: apt-get install -y chromium")
	return ""
}

// browser is a headless chromium on a fresh profile, with every
// JavaScript exception, console error and error log entry collected.
type browser struct {
	ctx    context.Context
	mu     sync.Mutex
	errors []string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	b := &browser{ctx: ctx}
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
				b.mu.Lock()
				b.errors = append(b.errors, fmt.Sprintf("%s: %s (%s:%d)", m.Type, m.Text, m.URL, m.Line))
				b.mu.Unlock()
			}
		}
	}()
	return b
}

func (b *browser) do(t *testing.T, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		status, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(document.getElementById('live-status') || {}).textContent || ''`))
		b.mu.Lock()
		t.Fatalf("%v (live status %q; browser errors %q)", err, status, b.errors)
		b.mu.Unlock()
	}
}

func get[T any](t *testing.T, b *browser, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(b.ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// noErrors fails the test if the page logged any JavaScript error, but
// for entries that contain one of allowed (the 403 of a page the test
// asked to be refused).
func (b *browser) noErrors(t *testing.T, allowed ...string) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
next:
	for _, e := range b.errors {
		for _, a := range allowed {
			if strings.Contains(e, a) {
				continue next
			}
		}
		t.Errorf("browser: %s", e)
	}
}

// waitFor polls a JavaScript expression until it is true.
func waitFor(expr string, timeout time.Duration) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(50*time.Millisecond))(ctx, tg)
		if err != nil {
			return fmt.Errorf("waiting for %s: %w", expr, err)
		}
		return nil
	})
}

// screenshot saves the page to $SWF_SCREENSHOT_DIR (docs/img when the
// README's pictures are refreshed), else to the test's temporary
// directory.
func (b *browser) screenshot(t *testing.T, name string) {
	t.Helper()
	dir := os.Getenv("SWF_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	png := get(t, b, chromedp.FullScreenshot(100))
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// consoleBundle is a server with a manual clock, an SDK client, and a
// workflow whose activity a worker has started and heartbeated once.
type consoleBundle struct {
	srv     *server.Server
	c       *awsswf.Client
	runID   string
	token   *string
	execURL string
}

func setup(t *testing.T, creds *auth.Config, key, secret string) *consoleBundle {
	t.Helper()
	srv, err := server.New(server.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), ClockMode: server.ClockManual, Auth: creds,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	t.Cleanup(func() { srv.Close(); <-served })
	c := awsswf.New(awsswf.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL()),
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, ""), RetryMaxAttempts: 1})
	ctx, s := t.Context(), aws.String
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.RegisterDomain(ctx, &awsswf.RegisterDomainInput{Name: s("demo"), WorkflowExecutionRetentionPeriodInDays: s("1"), Description: s("the README's walkthrough")}))
	must(c.RegisterWorkflowType(ctx, &awsswf.RegisterWorkflowTypeInput{Domain: s("demo"), Name: s("order"), Version: s("1"),
		DefaultTaskList: &types.TaskList{Name: s("decider")}, DefaultChildPolicy: types.ChildPolicyTerminate,
		DefaultExecutionStartToCloseTimeout: s("3600"), DefaultTaskStartToCloseTimeout: s("300")}))
	must(c.RegisterActivityType(ctx, &awsswf.RegisterActivityTypeInput{Domain: s("demo"), Name: s("charge"), Version: s("1"),
		DefaultTaskList: &types.TaskList{Name: s("workers")}, DefaultTaskHeartbeatTimeout: s("300"),
		DefaultTaskScheduleToStartTimeout: s("NONE"), DefaultTaskScheduleToCloseTimeout: s("NONE"), DefaultTaskStartToCloseTimeout: s("3600")}))
	run, err := c.StartWorkflowExecution(ctx, &awsswf.StartWorkflowExecutionInput{Domain: s("demo"), WorkflowId: s("order-1"),
		WorkflowType: &types.WorkflowType{Name: s("order"), Version: s("1")}, Input: s(`{"order": 42, "amount": "19.99"}`), TagList: []string{"web"}})
	must(run, err)
	dt, err := c.PollForDecisionTask(ctx, &awsswf.PollForDecisionTaskInput{Domain: s("demo"), TaskList: &types.TaskList{Name: s("decider")}, Identity: s("decider-1")})
	must(dt, err)
	schedule := func(id, list string) types.Decision {
		return types.Decision{DecisionType: types.DecisionTypeScheduleActivityTask, ScheduleActivityTaskDecisionAttributes: &types.ScheduleActivityTaskDecisionAttributes{
			ActivityId: s(id), ActivityType: &types.ActivityType{Name: s("charge"), Version: s("1")}, TaskList: &types.TaskList{Name: s(list)}}}
	}
	must(c.RespondDecisionTaskCompleted(ctx, &awsswf.RespondDecisionTaskCompletedInput{TaskToken: dt.TaskToken,
		Decisions: []types.Decision{schedule("charge-1", "workers"), schedule("receipt-1", "mailers")}}))
	at, err := c.PollForActivityTask(ctx, &awsswf.PollForActivityTaskInput{Domain: s("demo"), TaskList: &types.TaskList{Name: s("workers")}, Identity: s("worker-7")})
	must(at, err)
	b := &consoleBundle{srv: srv, c: c, runID: *run.RunId, token: at.TaskToken,
		execURL: srv.URL() + "/console/d/demo/w/order-1/" + url.PathEscape(*run.RunId)}
	b.heartbeat(t, "10%")
	return b
}

func (b *consoleBundle) heartbeat(t *testing.T, details string) {
	t.Helper()
	if _, err := b.c.RecordActivityTaskHeartbeat(t.Context(), &awsswf.RecordActivityTaskHeartbeatInput{TaskToken: b.token, Details: aws.String(details)}); err != nil {
		t.Fatal(err)
	}
}

// TestConsoleLive opens an execution from the domain list while its worker
// heartbeats: the details change on the page without a reload, the
// heartbeat timeout lands in the timeline and the history when the clock
// passes it, and a signal sent from the page reaches the history.
func TestConsoleLive(t *testing.T) {
	t.Parallel()
	br := newBrowser(t)
	b := setup(t, nil, "x", "y")

	br.do(t,
		chromedp.Navigate(b.srv.URL()+"/console/"),
		chromedp.WaitVisible(`#domains`),
		chromedp.Click(`#domains a[href="/console/d/demo/"]`),
		chromedp.WaitVisible(`#executions`),
		chromedp.Click(`#executions a`),
		chromedp.WaitVisible(`#pending tr[data-activity="charge-1"]`),
		// Marks this page load: a reload would lose it.
		chromedp.Evaluate[chromedp.Void](`window.sameLoad = true`),
	)
	pending := get(t, br, chromedp.Text(`#pending tr[data-activity="charge-1"]`))
	for _, want := range []string{"10%", "worker-7", "5m0s", "no"} {
		if !strings.Contains(pending, want) {
			t.Errorf("pending activity row %q: want %q in it", pending, want)
		}
	}

	b.heartbeat(t, "55% charged, waiting for the bank")
	br.do(t, waitFor(`document.querySelector('#pending tr[data-activity="charge-1"] .hb-details').textContent.includes('55% charged')`, 20*time.Second))
	if !get(t, br, chromedp.Evaluate[bool](`window.sameLoad === true`)) {
		t.Fatal("the page reloaded to show the heartbeat; want it updated in place")
	}
	br.screenshot(t, "console-execution.png")

	// Five quiet minutes later: the heartbeat timeout fires at once on the
	// manual clock, and the page shows it without a reload.
	if _, err := b.srv.ClockControl().Advance(6 * time.Minute); err != nil {
		t.Fatal(err)
	}
	br.do(t,
		waitFor(`document.querySelector('#timeline [data-activity="charge-1"][data-state="timed-out"]') !== null`, 20*time.Second),
		waitFor(`document.querySelector('#history tr[data-event="ActivityTaskTimedOut"]') !== null`, 20*time.Second),
		waitFor(`document.querySelector('#pending tr[data-activity="charge-1"]') === null`, 20*time.Second),
	)
	attrs := get(t, br, chromedp.Text(`#history tr[data-event="ActivityTaskTimedOut"] .attrs`))
	same := get(t, br, chromedp.Evaluate[bool](`window.sameLoad === true`))
	if !strings.Contains(attrs, `"HEARTBEAT"`) || !strings.Contains(attrs, "55% charged") {
		t.Errorf("ActivityTaskTimedOut attributes %s: want HEARTBEAT with the last details", attrs)
	}
	if !same {
		t.Error("the page reloaded to show the timeout; want it updated in place")
	}
	br.screenshot(t, "console-timeout.png")

	// A signal from the page, through its confirmation.
	br.do(t,
		chromedp.SendKeys(`#signalName`, "hurry"),
		chromedp.Click(`#signal`),
		chromedp.WaitVisible(`#confirm`),
		chromedp.Click(`#confirm`),
		chromedp.WaitVisible(`#notice`),
		waitFor(`document.querySelector('#history tr[data-event="WorkflowExecutionSignaled"]') !== null`, 20*time.Second),
	)

	// The task lists: the activity nobody took waits on "mailers".
	br.do(t, chromedp.Navigate(b.srv.URL()+"/console/d/demo/tasklists"))
	row := get(t, br, chromedp.Text(`#tasklists tr[data-tasklist="mailers"]`))
	if !strings.Contains(row, "activity") || !strings.Contains(row, "1") {
		t.Errorf("task list row %q: want the mailers activity list with 1 task", row)
	}
	br.noErrors(t)
}

// TestConsoleSignIn runs the console with --auth: a wrong secret is
// refused; a reader signs in, sees the execution but no terminate button,
// and a terminate it forges anyway is refused by the policy, as is one
// without the CSRF token; the session cookie is HttpOnly and
// SameSite=Strict.
func TestConsoleSignIn(t *testing.T) {
	t.Parallel()
	creds, err := auth.Parse([]byte(`{"accountId": "123456789012", "principals": [
		{"name": "admin", "accessKeyId": "AKIAADMIN", "secretAccessKey": "admin-secret",
		 "policies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "swf:*", "Resource": "*"}]}]},
		{"name": "reader", "accessKeyId": "AKIAREADER", "secretAccessKey": "reader-secret",
		 "policies": [{"Version": "2012-10-17", "Statement": [
			{"Effect": "Allow", "Action": ["swf:List*", "swf:Describe*", "swf:Get*", "swf:Count*"], "Resource": "*"}]}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	br := newBrowser(t)
	b := setup(t, creds, "AKIAADMIN", "admin-secret")

	br.do(t,
		chromedp.Navigate(b.execURL),
		chromedp.WaitVisible(`#signin`), // redirected to sign in
		chromedp.SendKeys(`#accessKeyId`, "AKIAREADER"),
		chromedp.SendKeys(`#secretAccessKey`, "wrong"),
		chromedp.Click(`#signin`),
		chromedp.WaitVisible(`#signin-error`),
	)
	errText := get(t, br, chromedp.Text(`#signin-error`))
	if !strings.Contains(errText, "refused") {
		t.Errorf("wrong secret: got %q, want a refusal", errText)
	}
	br.screenshot(t, "console-signin.png")

	br.do(t,
		chromedp.SetValue(`#accessKeyId`, "AKIAREADER"),
		chromedp.SetValue(`#secretAccessKey`, "reader-secret"),
		chromedp.Click(`#signin`),
		chromedp.WaitVisible(`#pending tr[data-activity="charge-1"]`), // back on the execution
	)
	buttons := get(t, br, chromedp.Evaluate[int](`document.querySelectorAll('#terminate, #cancel, #signal').length`))
	if buttons != 0 {
		t.Errorf("reader sees %d action buttons, want none", buttons)
	}

	// The cookie the browser keeps.
	res := get(t, br, chromedp.Action[network.GetCookiesResult](func(ctx context.Context, tg *chromedp.Target) (network.GetCookiesResult, error) {
		return cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{b.srv.URL() + "/console/"}})
	}))
	var session *network.Cookie
	for _, c := range res.Cookies {
		if c.Name == "swf_console" {
			session = c
		}
	}
	if session == nil || !session.HTTPOnly || session.SameSite != network.CookieSameSiteStrict || session.Expires <= 0 {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Strict, expiring", session)
	}

	// Forge the terminate the page did not offer, with the session and its
	// CSRF token: the policy refuses it. Without the token it is refused
	// before the policy is asked.
	csrf := get(t, br, chromedp.AttributeValue(chromedp.CSS(`meta[name="csrf-token"]`), "content")).Value
	post := func(form url.Values) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, b.execURL+"/terminate", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: session.Name, Value: session.Value})
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body)
	}
	if code, body := post(url.Values{"csrf": {csrf}, "confirm": {"yes"}, "reason": {"forged"}}); code != http.StatusForbidden || !strings.Contains(body, "not authorized to perform: swf:TerminateWorkflowExecution") {
		t.Errorf("reader's forged terminate: got %d, want 403 and the policy's refusal:\n%s", code, body)
	}
	if code, _ := post(url.Values{"confirm": {"yes"}}); code != http.StatusForbidden {
		t.Errorf("terminate without the CSRF token: got %d, want 403", code)
	}
	d, err := b.c.DescribeWorkflowExecution(t.Context(), &awsswf.DescribeWorkflowExecutionInput{Domain: aws.String("demo"),
		Execution: &types.WorkflowExecution{WorkflowId: aws.String("order-1"), RunId: aws.String(b.runID)}})
	if err != nil {
		t.Fatal(err)
	}
	if d.ExecutionInfo.ExecutionStatus != types.ExecutionStatusOpen {
		t.Fatalf("after the refused terminates: execution %s, want OPEN", d.ExecutionInfo.ExecutionStatus)
	}

	// The same page, in the browser: the refusal is shown.
	br.do(t,
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(function () {
			var f = document.createElement('form'); f.method = 'post'; f.action = %q;
			[['csrf', %q], ['confirm', 'yes']].forEach(function (kv) {
				var i = document.createElement('input'); i.type = 'hidden'; i.name = kv[0]; i.value = kv[1]; f.appendChild(i); });
			document.body.appendChild(f); f.submit(); }())`, b.execURL+"/terminate", csrf)),
		chromedp.WaitVisible(`#fault`),
	)
	fault := get(t, br, chromedp.Text(`#fault`))
	if !strings.Contains(fault, "not authorized") && !strings.Contains(fault, "TerminateWorkflowExecution") {
		t.Errorf("refused terminate page: got %q, want the policy's refusal", fault)
	}
	br.screenshot(t, "console-denied.png")
	br.noErrors(t, "status of 401", "status of 403") // the refusals the test asked for
}
