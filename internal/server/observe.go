package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/openswf/openswf/internal/store"
)

// Paths of the health checks, for load balancers and orchestrators.
const (
	// HealthzPath answers 200 while the process serves HTTP at all.
	HealthzPath = "/healthz"
	// ReadyzPath answers 200 when the server can take calls: its state is
	// loaded, the store answers, and it is not shutting down; else 503,
	// naming the check that failed.
	ReadyzPath = "/readyz"
	// ConsolePath is the root of the web console.
	ConsolePath = "/console/"
)

// readyTimeout bounds each readiness check, so that a hung store makes
// /readyz answer 503 instead of hanging the prober.
const readyTimeout = 2 * time.Second

// readyCheck is one condition of readiness; err says what is wrong.
type readyCheck struct {
	name  string
	check func(context.Context) error
}

// routes sends the health checks, metrics and console to their handlers
// and everything else to the SWF API, whose path AWS ignores. The clock's
// gate (withClock) covers the API and the console, so both see the time
// before or after a move, never its middle; health checks and metrics
// answer even during a long move.
func (s *Server) routes(api http.Handler) http.Handler {
	gated := s.withClock(api)
	var console http.Handler
	if s.console != nil {
		console = s.withClock(s.console)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch p := r.URL.Path; {
		case p == HealthzPath:
			s.serveHealthz(w, r)
		case p == ReadyzPath:
			s.serveReadyz(w, r)
		case p == MetricsPath:
			if !isLoopbackRequest(r) {
				// Metrics name domains and task lists: on the API port
				// they are for this machine (a local agent); serve
				// them elsewhere with Config.MetricsListen.
				http.Error(w, "metrics are served to loopback callers only here; see swf server --metrics-listen", http.StatusForbidden)
				return
			}
			s.metrics.handler().ServeHTTP(w, r)
		case console != nil && (p == strings.TrimSuffix(ConsolePath, "/") || strings.HasPrefix(p, ConsolePath)):
			console.ServeHTTP(w, r)
		default:
			gated.ServeHTTP(w, r)
		}
	})
}

// isLoopbackRequest reports whether the request came over a loopback
// connection.
func isLoopbackRequest(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (s *Server) serveHealthz(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprintln(w, "ok")
}

// serveReadyz runs every readiness check. The engine's state is loaded
// before New returns, so a serving server has passed that one; a server
// that is closing answers 503 at once, so that a load balancer stops
// sending it calls while it drains.
func (s *Server) serveReadyz(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if s.closing.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "not ready: shutting down")
		return
	}
	for _, c := range s.readyChecks {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		err := c.check(ctx)
		cancel()
		if err != nil {
			s.cfg.Log.Warn("not ready", "check", c.name, "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "not ready: %s: %v\n", c.name, err)
			return
		}
	}
	fmt.Fprintln(w, "ok")
}

// pinger is a store that can say whether its database answers.
type pinger interface {
	Ping(ctx context.Context) error
}

// pingStore checks that the store answers a read: its own Ping if it has
// one, else a lookup of a run that cannot exist.
func (s *Server) pingStore(ctx context.Context) error {
	if p, ok := s.store.(pinger); ok {
		return p.Ping(ctx)
	}
	_, err := s.store.ExecutionGet(ctx, &store.ExecutionGetParams{Domain: "\x00readyz", RunID: "\x00readyz"})
	if err == nil || errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// listenMetrics binds Config.MetricsListen, when set. Its server answers
// /metrics, /healthz and /readyz, to any caller: the operator chose the
// address (a private network, a sidecar's port).
func (s *Server) listenMetrics() error {
	if s.cfg.MetricsListen == "" {
		return nil
	}
	ln, err := net.Listen("tcp", s.cfg.MetricsListen)
	if err != nil {
		return fmt.Errorf("listen for metrics on %s: %w", s.cfg.MetricsListen, err)
	}
	s.metricsLn = ln
	mux := http.NewServeMux()
	mux.Handle(MetricsPath, s.metrics.handler())
	mux.HandleFunc(HealthzPath, s.serveHealthz)
	mux.HandleFunc(ReadyzPath, s.serveReadyz)
	s.metricsHTTP = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.cfg.Log.Handler(), slog.LevelWarn),
	}
	s.cfg.Log.Info("metrics and health checks on "+ln.Addr().String(), "paths", MetricsPath+" "+HealthzPath+" "+ReadyzPath)
	return nil
}

// MetricsAddr is the bound address of Config.MetricsListen, or "".
func (s *Server) MetricsAddr() string {
	if s.metricsLn == nil {
		return ""
	}
	return s.metricsLn.Addr().String()
}

func (s *Server) serveMetrics() {
	if err := s.metricsHTTP.Serve(s.metricsLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.cfg.Log.Error("metrics listener stopped", "err", err)
	}
}

func (s *Server) closeMetrics(ctx context.Context) error {
	if s.metricsHTTP == nil {
		return nil
	}
	if err := s.metricsHTTP.Shutdown(ctx); err != nil {
		s.metricsHTTP.Close()
		return fmt.Errorf("shut down metrics listener: %w", err)
	}
	return nil
}
