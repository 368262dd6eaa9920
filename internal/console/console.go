// Package console is the web console at /console/: domains, executions
// with filters, an execution's history as a table and a timeline, its
// pending activities updated live (last heartbeat, details, time left to
// each timeout), task lists with their backlog and pollers, and the
// signal, request-cancel and terminate actions.
//
// The console has no path of its own to the state: every view and action
// is an engine method, asked through the same engine.Scope and
// engine.Authorize as an API call, so the caller's IAM policies decide
// what it sees and may do (a principal without
// swf:TerminateWorkflowExecution gets no terminate button, and a forged
// request is refused). The pages are rendered on the server with
// html/template; the only script polls the live part of an execution page
// every second. Assets are embedded: nothing is fetched from elsewhere.
//
// Without credentials (no --auth) the console answers loopback callers
// only. With them, a caller signs in with an access key id and its secret
// from the credentials file and gets a session cookie (HttpOnly,
// SameSite=Strict, expiring); every action also needs the session's CSRF
// token.
package console

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/openswf/openswf/internal/auth"
	"github.com/openswf/openswf/internal/engine"
	"github.com/openswf/openswf/internal/swf"
)

// Path is where the console is served; every page is below it.
const Path = "/console/"

// DefaultSessionTTL is how long a sign-in lasts.
const DefaultSessionTTL = 8 * time.Hour

// sessionCookie names the session cookie.
const sessionCookie = "swf_console"

// maxSessions bounds the sessions kept in memory.
const maxSessions = 10000

//go:embed assets templates
var files embed.FS

// Config is what a Console is built from.
type Config struct {
	// Engine answers every view and action.
	Engine *engine.Engine
	// Auth, when set, makes the console ask for a sign-in with an access
	// key id and secret from it, and apply the principal's policies.
	// Without it the console answers loopback callers only, with every
	// permission.
	Auth *auth.Config
	// Region is the region the console works in (the server's own, the
	// region of unsigned API calls); it labels task lists from Stats.
	Region string
	// TLS marks the session cookie Secure.
	TLS bool
	Log *slog.Logger
	// SessionTTL is how long a sign-in lasts; zero means DefaultSessionTTL.
	SessionTTL time.Duration
	// NowFunc is the real clock sessions expire on (not the engine's, which
	// a test server may hold still); nil means time.Now.
	NowFunc func() time.Time
}

// Console is the http.Handler for Path. It is safe for concurrent use.
type Console struct {
	cfg    Config
	eng    *engine.Engine
	mux    *http.ServeMux
	pages  map[string]*template.Template
	static http.Handler

	mu       sync.Mutex            // guards sessions and failures
	sessions map[string]*session   // by session id
	failures map[string]*signInTry // failed sign-ins by client address
}

// signInTry counts a client's failed sign-ins.
type signInTry struct {
	count int
	until time.Time // refused until then, after maxFailures failures
}

// After maxFailures wrong sign-ins, a client address is refused for
// lockout, so that secrets cannot be guessed at the speed of the network.
const (
	maxFailures = 5
	lockout     = time.Minute
)

// session is a signed-in browser (or, without Auth, a loopback one).
type session struct {
	who     auth.Authorizer // the principal; auth.AllowAll without Auth
	name    string          // shown in the header
	csrf    string          // every POST must carry it
	expires time.Time
}

// New builds a Console; it parses its embedded templates.
func New(cfg Config) (*Console, error) {
	if cfg.Engine == nil {
		return nil, errors.New("console: no engine")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if cfg.NowFunc == nil {
		cfg.NowFunc = time.Now
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	c := &Console{cfg: cfg, eng: cfg.Engine, sessions: map[string]*session{}, failures: map[string]*signInTry{}, pages: map[string]*template.Template{}}
	for _, page := range []string{"signin", "domains", "executions", "execution", "live", "tasklists", "confirm", "error"} {
		patterns := []string{"templates/layout.html", "templates/live.html", "templates/" + page + ".html"}
		if page == "live" {
			patterns = patterns[1:2]
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(files, patterns...)
		if err != nil {
			return nil, fmt.Errorf("console: template %s: %w", page, err)
		}
		c.pages[page] = t
	}
	assets, err := fs.Sub(files, "assets")
	if err != nil {
		return nil, err
	}
	c.static = http.StripPrefix(Path+"assets/", http.FileServerFS(assets))

	m := http.NewServeMux()
	m.HandleFunc("GET /console/{$}", c.domains)
	m.HandleFunc("GET /console/signin", c.signInPage)
	m.HandleFunc("POST /console/signin", c.signIn)
	m.HandleFunc("POST /console/signout", c.signOut)
	m.HandleFunc("GET /console/d/{domain}/{$}", c.executions)
	m.HandleFunc("GET /console/d/{domain}/tasklists", c.taskLists)
	m.HandleFunc("GET /console/d/{domain}/w/{wid}/{rid}", c.execution)
	m.HandleFunc("POST /console/d/{domain}/w/{wid}/{rid}/{action}", c.action)
	c.mux = m
	return c, nil
}

// ServeHTTP answers one console request: assets as they are, and every
// page only to a caller that may see it.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	// same-origin, not no-referrer: with no-referrer the browser sends
	// "Origin: null" on its own form posts, which sameOrigin refuses.
	h.Set("Referrer-Policy", "same-origin")
	if c.cfg.Auth == nil && !loopback(r) {
		http.Error(w, "the console answers loopback callers only when the server runs without --auth", http.StatusForbidden)
		return
	}
	if r.URL.Path == strings.TrimSuffix(Path, "/") {
		http.Redirect(w, r, Path, http.StatusMovedPermanently)
		return
	}
	if strings.HasPrefix(r.URL.Path, Path+"assets/") {
		h.Set("Cache-Control", "no-cache")
		c.static.ServeHTTP(w, r)
		return
	}
	h.Set("Cache-Control", "no-store")
	if r.Method == http.MethodPost && !sameOrigin(r) {
		http.Error(w, "cross-origin request refused", http.StatusForbidden)
		return
	}
	c.mux.ServeHTTP(w, r)
}

func loopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// sameOrigin refuses a POST whose Origin (sent by every current browser)
// names another site; SameSite=Strict and the CSRF token are the other two
// locks.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

func randomToken() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// sessionOf returns the caller's live session. Without Auth a loopback
// caller gets one on its first request, so that its actions carry a CSRF
// token too (another site's page could otherwise post to 127.0.0.1).
func (c *Console) sessionOf(w http.ResponseWriter, r *http.Request) *session {
	now := c.cfg.NowFunc()
	if ck, err := r.Cookie(sessionCookie); err == nil {
		c.mu.Lock()
		s := c.sessions[ck.Value]
		if s != nil && !now.Before(s.expires) {
			delete(c.sessions, ck.Value)
			s = nil
		}
		c.mu.Unlock()
		if s != nil {
			return s
		}
	}
	if c.cfg.Auth != nil {
		return nil
	}
	return c.startSession(w, auth.AllowAll, "local")
}

// startSession records a session and sets its cookie.
func (c *Console) startSession(w http.ResponseWriter, who auth.Authorizer, name string) *session {
	now := c.cfg.NowFunc()
	s := &session{who: who, name: name, csrf: randomToken(), expires: now.Add(c.cfg.SessionTTL)}
	id := randomToken()
	c.mu.Lock()
	for k, old := range c.sessions {
		if !now.Before(old.expires) {
			delete(c.sessions, k)
		}
	}
	if len(c.sessions) >= maxSessions {
		// A client that never keeps its cookie (a loopback script
		// without --auth) must not grow the map for ever: drop the
		// session closest to expiring.
		var oldest string
		for k, old := range c.sessions {
			if oldest == "" || old.expires.Before(c.sessions[oldest].expires) {
				oldest = k
			}
		}
		delete(c.sessions, oldest)
	}
	c.sessions[id] = s
	c.mu.Unlock()
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: id, Path: Path, MaxAge: int(c.cfg.SessionTTL / time.Second),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: c.cfg.TLS,
	})
	return s
}

// caller returns the session and the context its engine calls run in, or
// answers the request itself (a redirect to the sign-in page) and returns
// nil.
func (c *Console) caller(w http.ResponseWriter, r *http.Request) (*session, context.Context) {
	s := c.sessionOf(w, r)
	if s == nil {
		if r.URL.Query().Get("live") != "" {
			// The page's script: a sign-in page is no fragment to show.
			http.Error(w, "the session has expired: sign in again", http.StatusUnauthorized)
		} else if r.Method == http.MethodGet {
			http.Redirect(w, r, Path+"signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		} else {
			http.Error(w, "sign in first", http.StatusForbidden)
		}
		return nil, nil
	}
	who := s.who
	if p, ok := who.(*auth.Principal); ok {
		// The same global condition keys an API call carries.
		ip, _, _ := net.SplitHostPort(r.RemoteAddr)
		who = auth.WithGlobalKeys(p, auth.Context{
			auth.KeySourceIP:        {ip},
			auth.KeySecureTransport: {strconv.FormatBool(r.TLS != nil)},
			auth.KeyUsername:        {p.Name()},
		})
	}
	return s, auth.WithCall(r.Context(), who, "")
}

// checkCSRF reports whether a POST carries its session's token.
func checkCSRF(s *session, r *http.Request) bool {
	got := r.PostFormValue("csrf")
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.csrf)) == 1
}

func (c *Console) signInPage(w http.ResponseWriter, r *http.Request) {
	if c.cfg.Auth == nil {
		http.Redirect(w, r, Path, http.StatusSeeOther)
		return
	}
	c.render(w, http.StatusOK, "signin", nil, map[string]any{"Next": safeNext(r.URL.Query().Get("next"))})
}

func (c *Console) signIn(w http.ResponseWriter, r *http.Request) {
	if c.cfg.Auth == nil {
		http.Redirect(w, r, Path, http.StatusSeeOther)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	key, secret := strings.TrimSpace(r.PostFormValue("accessKeyId")), r.PostFormValue("secretAccessKey")
	next := safeNext(r.PostFormValue("next"))
	client, _, _ := net.SplitHostPort(r.RemoteAddr)
	if !c.mayTry(client) {
		c.render(w, http.StatusTooManyRequests, "signin", nil, map[string]any{"Next": next, "Error": "Too many failed sign-ins from your address: wait a minute."})
		return
	}
	p, ok := c.cfg.Auth.SignIn(key, secret)
	c.tried(client, ok)
	if !ok {
		c.cfg.Log.Warn("console sign-in refused", "access_key_id", key, "remote", r.RemoteAddr)
		c.render(w, http.StatusUnauthorized, "signin", nil, map[string]any{"Next": next, "Error": "Sign-in refused: unknown access key id or wrong secret."})
		return
	}
	c.startSession(w, p, p.Name())
	c.cfg.Log.Info("console sign-in", "principal", p.Name(), "remote", r.RemoteAddr)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// mayTry reports whether client may try to sign in now.
func (c *Console) mayTry(client string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	f := c.failures[client]
	return f == nil || !c.cfg.NowFunc().Before(f.until)
}

// tried records a sign-in's outcome: a success forgets the client's
// failures; the maxFailures-th failure in a row locks it out.
func (c *Console) tried(client string, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ok {
		delete(c.failures, client)
		return
	}
	now := c.cfg.NowFunc()
	if len(c.failures) >= maxSessions {
		for k, f := range c.failures {
			if !now.Before(f.until) { // under pressure, partial counts go too
				delete(c.failures, k)
			}
		}
	}
	f := c.failures[client]
	if f == nil {
		f = &signInTry{}
		c.failures[client] = f
	}
	f.count++
	if f.count >= maxFailures {
		f.count, f.until = 0, now.Add(lockout)
		c.cfg.Log.Warn("console sign-in locked out", "remote", client, "for", lockout)
	}
}

func (c *Console) signOut(w http.ResponseWriter, r *http.Request) {
	if ck, err := r.Cookie(sessionCookie); err == nil {
		c.mu.Lock()
		s := c.sessions[ck.Value]
		if s != nil && checkCSRF(s, r) {
			delete(c.sessions, ck.Value)
		}
		c.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: Path, MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: c.cfg.TLS})
	http.Redirect(w, r, Path, http.StatusSeeOther)
}

// safeNext keeps a post-sign-in redirect inside the console.
func safeNext(next string) string {
	if !strings.HasPrefix(next, Path) || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return Path
	}
	return next
}

// page is what every template gets.
type page struct {
	Title   string
	Session *session
	Data    any
}

func (s *session) User() string { return s.name }
func (s *session) CSRF() string { return s.csrf }

func (c *Console) render(w http.ResponseWriter, status int, name string, s *session, data any) {
	t := c.pages[name]
	var b strings.Builder
	var err error
	if name == "live" {
		err = t.ExecuteTemplate(&b, "live", data) // a fragment, for the page's script
	} else {
		err = t.ExecuteTemplate(&b, "layout.html", page{Title: name, Session: s, Data: data})
	}
	if err != nil {
		c.cfg.Log.Error("console: render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprint(w, b.String())
}

// fail answers a failed engine call with its fault, as a page.
func (c *Console) fail(w http.ResponseWriter, s *session, err error) {
	status, name, msg := http.StatusInternalServerError, swf.InternalFailure, "internal error"
	var f *swf.Fault
	if errors.As(err, &f) {
		name, msg = f.Name, f.Message
		switch f.Name {
		case swf.OperationNotPermittedFault, "AccessDeniedException":
			status = http.StatusForbidden
		case swf.UnknownResourceFault:
			status = http.StatusNotFound
		case swf.InternalFailure:
		default:
			status = http.StatusBadRequest
		}
	}
	if status == http.StatusInternalServerError {
		c.cfg.Log.Error("console", "err", err)
		name, msg = swf.InternalFailure, "internal error"
	}
	c.render(w, status, "error", s, map[string]any{"Fault": name, "Message": msg})
}

// call asks the engine as the API would: Scope puts in in the caller's
// region, Authorize asks the caller's policies about op, and then f runs
// the engine method named op.
func (c *Console) call(ctx context.Context, op string, in any, f func() error) error {
	c.eng.Scope(ctx, in)
	if err := c.eng.Authorize(ctx, op, in); err != nil {
		return err
	}
	return f()
}

// allowed reports whether the caller may call op with in (which it
// scopes), to decide which buttons to show.
func (c *Console) allowed(ctx context.Context, op string, in any) bool {
	c.eng.Scope(ctx, in)
	return c.eng.Authorize(ctx, op, in) == nil
}
