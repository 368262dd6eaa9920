package console_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsswf "github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/openswf/openswf/internal/auth"
	"github.com/openswf/openswf/internal/console"
	"github.com/openswf/openswf/internal/server"
)

// handlerBundle is a console over a real engine, called without a
// network, with a clock for its sessions.
type handlerBundle struct {
	c   *console.Console
	now time.Time
}

func setupHandler(t *testing.T, creds *auth.Config) *handlerBundle {
	t.Helper()
	srv, err := server.New(server.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), Auth: creds, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	b := &handlerBundle{now: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	b.c, err = console.New(console.Config{Engine: srv.Engine(), Auth: creds, TLS: true, SessionTTL: time.Hour,
		NowFunc: func() time.Time { return b.now }, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (b *handlerBundle) do(method, target, remote string, form url.Values, cookies ...*http.Cookie) *http.Response {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, target, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	r.RemoteAddr = remote
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	b.c.ServeHTTP(w, r)
	return w.Result()
}

func testCreds(t *testing.T) *auth.Config {
	t.Helper()
	creds, err := auth.Parse([]byte(`{"accountId": "123456789012", "principals": [
		{"name": "admin", "accessKeyId": "AKIAADMIN", "secretAccessKey": "admin-secret",
		 "policies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "swf:*", "Resource": "*"}]}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	return creds
}

func TestConsoleLoopbackOnly(t *testing.T) {
	t.Parallel()
	b := setupHandler(t, nil)
	for _, tc := range []struct {
		remote string
		want   int
	}{{"127.0.0.1:4000", http.StatusOK}, {"[::1]:4000", http.StatusOK}, {"192.168.1.9:4000", http.StatusForbidden}} {
		if res := b.do(http.MethodGet, "/console/", tc.remote, nil); res.StatusCode != tc.want {
			t.Errorf("GET /console/ from %s without --auth: got %d, want %d", tc.remote, res.StatusCode, tc.want)
		}
	}
}

func TestConsoleSession(t *testing.T) {
	t.Parallel()
	const remote = "203.0.113.7:4000" // with --auth, any address may sign in
	b := setupHandler(t, testCreds(t))

	t.Run("SignInFirst", func(t *testing.T) {
		res := b.do(http.MethodGet, "/console/d/x/", remote, nil)
		if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/signin?next=") {
			t.Fatalf("GET without a session: got %d to %q, want 303 to the sign-in page", res.StatusCode, loc)
		}
	})
	t.Run("ErrWrongSecret", func(t *testing.T) {
		res := b.do(http.MethodPost, "/console/signin", remote, url.Values{"accessKeyId": {"AKIAADMIN"}, "secretAccessKey": {"nope"}})
		if res.StatusCode != http.StatusUnauthorized || len(res.Cookies()) != 0 {
			t.Fatalf("wrong secret: got %d with cookies %v, want 401 and none", res.StatusCode, res.Cookies())
		}
	})

	res := b.do(http.MethodPost, "/console/signin", remote, url.Values{"accessKeyId": {"AKIAADMIN"}, "secretAccessKey": {"admin-secret"}, "next": {"//evil.example/"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/console/" {
		t.Fatalf("sign-in: got %d to %q, want 303 to /console/ (never off the console)", res.StatusCode, res.Header.Get("Location"))
	}
	cookies := res.Cookies()
	if len(cookies) != 1 {
		t.Fatalf("sign-in set %d cookies, want 1", len(cookies))
	}
	ck := cookies[0]
	if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || !ck.Secure || ck.MaxAge != 3600 || ck.Path != "/console/" {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Strict, Secure, Max-Age 3600, Path /console/", ck)
	}
	if res := b.do(http.MethodGet, "/console/", remote, nil, ck); res.StatusCode != http.StatusOK {
		t.Fatalf("GET with the session: got %d, want 200", res.StatusCode)
	}

	t.Run("ErrNoCSRF", func(t *testing.T) {
		res := b.do(http.MethodPost, "/console/d/x/w/w1/r1/terminate", remote, url.Values{"confirm": {"yes"}}, ck)
		if res.StatusCode != http.StatusForbidden {
			t.Fatalf("POST without the CSRF token: got %d, want 403", res.StatusCode)
		}
	})
	t.Run("ErrCrossOrigin", func(t *testing.T) {
		r := httptest.NewRequest(http.MethodPost, "/console/signout", strings.NewReader(""))
		r.RemoteAddr = remote
		r.Header.Set("Origin", "https://evil.example")
		r.AddCookie(ck)
		w := httptest.NewRecorder()
		b.c.ServeHTTP(w, r)
		if w.Code != http.StatusForbidden {
			t.Fatalf("cross-origin POST: got %d, want 403", w.Code)
		}
	})

	t.Run("ErrLockedOut", func(t *testing.T) {
		const guesser = "198.51.100.4:5000"
		for i := range 5 {
			res := b.do(http.MethodPost, "/console/signin", guesser, url.Values{"accessKeyId": {"AKIAADMIN"}, "secretAccessKey": {fmt.Sprint("guess", i)}})
			if res.StatusCode != http.StatusUnauthorized {
				t.Fatalf("guess %d: got %d, want 401", i, res.StatusCode)
			}
		}
		right := url.Values{"accessKeyId": {"AKIAADMIN"}, "secretAccessKey": {"admin-secret"}}
		if res := b.do(http.MethodPost, "/console/signin", guesser, right); res.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("after 5 wrong secrets: got %d, want 429 even for the right one", res.StatusCode)
		}
		if res := b.do(http.MethodPost, "/console/signin", remote, right); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("another address meanwhile: got %d, want 303", res.StatusCode)
		}
	})

	// The session expires on its clock.
	b.now = b.now.Add(time.Hour)
	if res := b.do(http.MethodGet, "/console/", remote, nil, ck); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("GET with an expired session: got %d, want 303 to sign in", res.StatusCode)
	}
	// The lockout ends too.
	if res := b.do(http.MethodPost, "/console/signin", "198.51.100.4:5000", url.Values{"accessKeyId": {"AKIAADMIN"}, "secretAccessKey": {"admin-secret"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("a minute after the lockout: got %d, want 303", res.StatusCode)
	}
	// The live part of a page answers 401, not the sign-in page.
	if res := b.do(http.MethodGet, "/console/d/x/w/w1/r1?live=1", remote, nil, ck); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("live reload with an expired session: got %d, want 401", res.StatusCode)
	}
}

func TestConsoleHeaders(t *testing.T) {
	t.Parallel()
	b := setupHandler(t, nil)
	res := b.do(http.MethodGet, "/console/", "127.0.0.1:1", nil)
	for k, want := range map[string]string{
		"Content-Security-Policy": "script-src 'self'",
		"X-Frame-Options":         "DENY",
		"X-Content-Type-Options":  "nosniff",
		"Cache-Control":           "no-store",
	} {
		if got := res.Header.Get(k); !strings.Contains(got, want) {
			t.Errorf("%s: got %q, want it to hold %q", k, got, want)
		}
	}
	res = b.do(http.MethodGet, "/console/assets/console.js", "127.0.0.1:1", nil)
	if body, _ := io.ReadAll(res.Body); res.StatusCode != http.StatusOK || !strings.Contains(string(body), "setInterval") {
		t.Errorf("GET console.js: got %d, want the embedded script", res.StatusCode)
	}
}

// TestConsoleExecutions lists executions with each filter and follows the
// next-page link.
func TestConsoleExecutions(t *testing.T) {
	t.Parallel()
	b := setup(t, nil, "x", "y") // order-1, open
	ctx := t.Context()
	for i := range 51 {
		tag := "odd"
		if i%2 == 0 {
			tag = "even"
		}
		if _, err := b.c.StartWorkflowExecution(ctx, &awsswf.StartWorkflowExecutionInput{Domain: aws.String("demo"),
			WorkflowId: aws.String(fmt.Sprintf("w-%02d", i)), WorkflowType: &types.WorkflowType{Name: aws.String("order"), Version: aws.String("1")},
			TagList: []string{tag}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.c.TerminateWorkflowExecution(ctx, &awsswf.TerminateWorkflowExecutionInput{Domain: aws.String("demo"), WorkflowId: aws.String("w-03")}); err != nil {
		t.Fatal(err)
	}
	list := func(query string) (ids []string, next string) {
		t.Helper()
		res, err := http.Get(b.srv.URL() + "/console/d/demo/?" + query)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET ?%s: got %d:\n%s", query, res.StatusCode, body)
		}
		for _, m := range regexp.MustCompile(`<td><a href="/console/d/demo/w/[^/"]+/[^"]+">([^<]+)</a></td>`).FindAllStringSubmatch(string(body), -1) {
			ids = append(ids, m[1])
		}
		if m := regexp.MustCompile(`id="next-page" href="\?([^"]+)"`).FindStringSubmatch(string(body)); m != nil {
			next = html.UnescapeString(m[1])
		}
		return ids, next
	}

	ids, next := list("")
	if len(ids) != 50 || next == "" {
		t.Fatalf("open executions, page 1: got %d and next %q, want 50 and a next page", len(ids), next)
	}
	more, last := list(next)
	if len(more) != 1 || last != "" {
		t.Fatalf("open executions, page 2: got %v and next %q, want the last one", more, last)
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"workflowId=w-07", []string{"w-07"}},
		{"status=closed&closeStatus=TERMINATED", []string{"w-03"}},
		{"status=closed&closeStatus=COMPLETED", nil},
		{"from=2999-01-01", nil},
	} {
		got, _ := list(tc.query)
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("?%s: got %v, want %v", tc.query, got, tc.want)
		}
	}
	got, _ := list("tag=odd")
	if len(got) != 24 {
		t.Errorf("?tag=odd: got %d executions, want 24 (w-01 to w-49 but the terminated w-03)", len(got))
	}
	for _, id := range got {
		var n int
		fmt.Sscanf(id, "w-%d", &n)
		if n%2 == 0 {
			t.Errorf("?tag=odd lists %s", id)
		}
	}
}

// TestConsoleTaskLists shows a task list's backlog and its waiting pollers.
func TestConsoleTaskLists(t *testing.T) {
	t.Parallel()
	b := setup(t, nil, "x", "y") // receipt-1 waits on "mailers"
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go b.c.PollForActivityTask(ctx, &awsswf.PollForActivityTaskInput{Domain: aws.String("demo"), TaskList: &types.TaskList{Name: aws.String("idle")}})
	row := regexp.MustCompile(`<tr data-tasklist="idle"><td>idle</td><td>activity</td><td>0</td><td>1</td></tr>`)
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := http.Get(b.srv.URL() + "/console/d/demo/tasklists")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !strings.Contains(string(body), `<tr data-tasklist="mailers"><td>mailers</td><td>activity</td><td>1</td><td>0</td></tr>`) {
			t.Fatalf("task lists: no mailers row with 1 task and no poller:\n%s", body)
		}
		if row.Match(body) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("task lists: no idle row with its poller:\n%s", body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
