// Package server assembles openswf: clock, store (SQLite, or PostgreSQL),
// engine and the wire handler behind one HTTP listener, with an orderly
// start and stop. cmd/swf runs it; tests start it on 127.0.0.1:0 with a
// fake clock.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openswf/openswf/internal/console"
	"github.com/openswf/openswf/internal/engine"
	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/store"
	"github.com/openswf/openswf/internal/store/postgres"
	"github.com/openswf/openswf/internal/store/sqlite"
	"github.com/openswf/openswf/internal/wire"
)

// HTTP timeouts: Config's (limits.go), and this one. There is no write
// timeout: a long poll legitimately holds its request for up to a minute
// before writing, and the engine, not the HTTP server, bounds it.
const (
	// shutdownTimeout bounds how long Close waits for in-flight requests.
	// Drain has already answered the long polls, so this only covers
	// ordinary calls finishing their write.
	shutdownTimeout = 15 * time.Second
)

// Server is a running openswf: its store is open, its engine started and
// its address bound from New on; Serve answers requests until Close.
type Server struct {
	cfg   Config
	store store.Store
	eng   *engine.Engine
	ln    net.Listener
	http  *http.Server
	clock *ClockControl // nil for a real clock
	// metrics is the Prometheus registry; metricsLn and metricsHTTP serve
	// it on Config.MetricsListen, when set (observe.go).
	metrics     *metrics
	metricsLn   net.Listener
	metricsHTTP *http.Server
	// readyChecks must all pass for /readyz (observe.go).
	readyChecks []readyCheck
	closing     atomic.Bool  // Close has begun: /readyz answers 503
	console     http.Handler // the web console at ConsolePath, or nil

	failure storageFailure // storagefault.go
	cluster *clusterPart   // one node of several (cluster.go), or nil

	closeOnce sync.Once
	closeErr  error
}

// New opens the store (the PostgreSQL database cfg.Database, or SQLite in
// cfg.DataDir), loads and starts the engine, and binds cfg.Listen. The
// caller must call Serve to answer requests and Close to release
// everything; on error nothing is left open.
func New(cfg Config) (_ *Server, err error) {
	cfg = cfg.withDefaults()
	if (cfg.TLSCertFile == "") != (cfg.TLSKeyFile == "") {
		return nil, errors.New("TLS needs both a certificate and a key file")
	}
	s := &Server{cfg: cfg}
	defer func() {
		if err != nil {
			s.release()
		}
	}()
	if s.clock, err = newClockControl(cfg); err != nil {
		return nil, err
	}

	if s.store, err = openStore(cfg); err != nil {
		return nil, err
	}
	s.metrics = newMetrics(cfg.MetricsTaskLists)
	if o, ok := s.store.(store.Observed); ok {
		o.Observe(s.metrics)
	}
	engCfg := engine.Config{
		Observer:  s.metrics,
		Clock:     cfg.Clock,
		Store:     s.store,
		FatalFunc: s.storageFailed,
		Limits:    cfg.Limits,
		Log:       cfg.Log,
		Region:    cfg.Region,
		AccountID: cfg.AccountID,

		SweepInterval: cfg.RetentionSweep,
		HistoryCache:  cfg.HistoryCache,
	}
	if cfg.Cluster != nil {
		if err := s.prepareCluster(); err != nil {
			return nil, err
		}
		engCfg.Node, engCfg.Peers, engCfg.ShardLost = s.cluster.id, s.cluster.peers, s.shardLost
		s.readyChecks = append(s.readyChecks, readyCheck{"cluster", s.clusterReady})
	}
	s.eng, err = engine.New(engCfg)
	if err != nil {
		return nil, fmt.Errorf("create engine: %w", err)
	}
	if err = s.eng.Start(context.Background()); err != nil {
		return nil, fmt.Errorf("start engine: %w", err)
	}
	s.clock.startAutoSkip(s.eng)
	handler, err := wire.New(s.eng, cfg.Log, cfg.Limits)
	if err != nil {
		return nil, fmt.Errorf("build handler: %w", err)
	}
	logUnsupported(cfg.Log, handler)
	s.metrics.stats.eng = s.eng
	if s.console, err = console.New(console.Config{Engine: s.eng, Auth: cfg.Auth, Region: cfg.Region, TLS: cfg.TLSCertFile != "", Log: cfg.Log}); err != nil {
		return nil, fmt.Errorf("build console: %w", err)
	}
	handler.Observe(s.metrics)
	s.readyChecks = append(s.readyChecks, readyCheck{"store", s.pingStore})
	if s.ln, err = net.Listen("tcp", cfg.Listen); err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	s.ln = newLimitListener(s.ln, fitConnections(cfg.MaxConnections, cfg.Log))
	if cfg.Auth != nil {
		handler.RequireSignatures(cfg.Auth, signingClock(cfg))
		cfg.Log.Info("signatures required", "principals", len(cfg.Auth.Principals()), "account", cfg.AccountID)
	} else if !isLoopback(s.ln.Addr()) {
		if !cfg.Open {
			return nil, fmt.Errorf("refusing to listen on %s without credentials: anyone who can reach it could drive every workflow; give --auth FILE, listen on a loopback address, or pass --open to accept that", s.ln.Addr())
		}
		cfg.Log.Warn("no credentials: ANY caller that can reach this address may do anything (--open)", "addr", s.ln.Addr().String())
	} else {
		cfg.Log.Info("no credentials: accepting unsigned requests, on loopback only (give --auth FILE to require signatures)")
	}
	if err := s.listenMetrics(); err != nil {
		return nil, err
	}
	s.http = &http.Server{
		Handler:           withBodyDeadline(s.routes(handler), cfg.ReadBodyTimeout),
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(cfg.Log.Handler(), slog.LevelWarn),
	}
	s.http.Handler = s.guard(s.http.Handler)
	if s.cluster != nil {
		handler.ForwardTo(s.cluster.peers)
		s.http.Handler = s.startCluster(s.http.Handler)
	}
	return s, nil
}

// openStore opens the PostgreSQL database cfg.Database names, or SQLite
// in cfg.DataDir.
func openStore(cfg Config) (store.Store, error) {
	if cfg.Database != "" {
		if !postgres.IsURL(cfg.Database) {
			return nil, errors.New("database: want a postgres:// or postgresql:// URL (or none, for SQLite in the data directory)")
		}
		open := postgres.Open
		if cfg.Cluster != nil {
			open = postgres.OpenNode // shared, under shard leases
		}
		st, err := open(context.Background(), cfg.Database, cfg.Log)
		if err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
		return st, nil
	}
	st, err := sqlite.Open(cfg.DataDir, cfg.Log)
	if err != nil {
		return nil, fmt.Errorf("open store in %s: %w", cfg.DataDir, err)
	}
	return st, nil
}

// isLoopback reports whether a listener's address is a loopback one
// (127.0.0.0/8 or ::1), reachable only from this machine.
func isLoopback(a net.Addr) bool {
	t, ok := a.(*net.TCPAddr)
	return ok && t.IP.IsLoopback()
}

// Addr is the bound address, host:port, with the real port when Listen
// asked for port 0.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is the endpoint for clients, e.g. an SDK's BaseEndpoint.
func (s *Server) URL() string {
	if s.cfg.TLSCertFile != "" {
		return "https://" + s.Addr()
	}
	return "http://" + s.Addr()
}

// Engine gives tests direct access to the running engine.
func (s *Server) Engine() *engine.Engine { return s.eng }

// Serve answers requests until Close, then returns nil; any other error
// means the listener failed. It returns as soon as Close begins, while
// in-flight requests may still be finishing: wait for Close to return
// before exiting.
func (s *Server) Serve() error {
	if s.metricsHTTP != nil {
		go s.serveMetrics()
	}
	var err error
	if s.cfg.TLSCertFile != "" {
		err = s.http.ServeTLS(s.ln, s.cfg.TLSCertFile, s.cfg.TLSKeyFile)
	} else {
		err = s.http.Serve(s.ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("serve on %s: %w", s.Addr(), err)
}

// Close stops the server in order: long polls answer empty at once (so
// their workers see an empty task, not an error), the listener closes and
// in-flight requests finish their answers (up to a timeout, after which
// their connections are cut), the timers stop, and the store writes what
// is queued and closes. It is safe to call more than once and from any
// goroutine; later calls return the first call's result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.closing.Store(true)
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		var errs []error
		if err := s.drainCluster(ctx); err != nil {
			errs = append(errs, err)
		}
		s.eng.Drain()
		if err := s.http.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("shut down http: %w", err))
			s.http.Close()
		}
		// Shutdown closes the listener only if Serve was running.
		if err := s.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, fmt.Errorf("close listener: %w", err))
		}
		if err := s.closeMetrics(ctx); err != nil {
			errs = append(errs, err)
		}
		if err := s.release(); err != nil {
			errs = append(errs, err)
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// release stops the engine and closes the store, whichever were opened.
func (s *Server) release() error {
	s.clock.close()
	if s.metricsLn != nil {
		s.metricsLn.Close()
	}
	if s.eng != nil {
		s.eng.Close()
	}
	if s.store != nil {
		if err := s.store.Close(); err != nil {
			return fmt.Errorf("close store: %w", err)
		}
	}
	return nil
}

// logUnsupported names the operations the engine does not implement yet, so
// that an operator learns it at start-up rather than from a client error.
func logUnsupported(log *slog.Logger, h *wire.Handler) {
	var missing []string
	for name := range shape.Operations {
		if !h.Supported(name) {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		log.Info("operations not supported yet", "count", len(missing), "ops", strings.Join(missing, ","))
	}
}
