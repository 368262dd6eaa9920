package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/openswf/openswf/internal/auth"
	"github.com/openswf/openswf/internal/server"
	"github.com/openswf/openswf/internal/store/postgres"
	"github.com/openswf/openswf/internal/swf"
)

// limitFlags registers a flag for each quota an operator may want to raise
// (or lower, to test a worker against them). Defaults are AWS's.
func limitFlags(fs *flag.FlagSet) *swf.Limits {
	l := swf.DefaultLimits()
	fs.IntVar(&l.MaxDomains, "max-domains", l.MaxDomains, "most domains")
	fs.IntVar(&l.MaxTypesPerDomain, "max-types", l.MaxTypesPerDomain, "most activity types, and most workflow types, per domain")
	fs.IntVar(&l.MaxOpenExecutionsPerDom, "max-open-executions", l.MaxOpenExecutionsPerDom, "most open executions per domain")
	fs.IntVar(&l.MaxOpenActivities, "max-open-activities", l.MaxOpenActivities, "most open activity tasks per execution")
	fs.IntVar(&l.MaxOpenTimers, "max-open-timers", l.MaxOpenTimers, "most open timers per execution")
	fs.IntVar(&l.MaxOpenChildren, "max-open-children", l.MaxOpenChildren, "most open child executions per execution")
	fs.IntVar(&l.MaxActivityRate, "max-activity-rate", l.MaxActivityRate, "most activity tasks scheduled per second on one task list (0: no limit)")
	fs.Int64Var(&l.MaxHistoryEvents, "max-history-events", l.MaxHistoryEvents, "most history events per execution (then it is terminated)")
	fs.IntVar(&l.MaxPollersPerTaskList, "max-pollers", l.MaxPollersPerTaskList, "most long polls waiting on one task list")
	fs.IntVar(&l.MaxTagsPerExecution, "max-execution-tags", l.MaxTagsPerExecution, "most tags per execution")
	fs.DurationVar(&l.LongPollTimeout, "long-poll-timeout", l.LongPollTimeout, "how long a poll waits for a task")
	return &l
}

// runServer is `swf server`: it parses the flags, starts the server, and
// serves until SIGINT or SIGTERM (or ctx ends), then closes it in order and
// returns 0. Logs go to stderr as slog text.
func runServer(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("swf server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", server.DefaultListen, "`HOST:PORT` to listen on (port 0 picks a free one)")
	dataDir := fs.String("data-dir", server.DefaultDataDir, "`DIR` for the SQLite database (created if missing), the default store")
	database := fs.String("database", "", "PostgreSQL `URL` (postgres://user@host:5432/db?sslmode=require) to keep the state in instead of SQLite in --data-dir; default $SWF_DATABASE_URL")
	levelName := fs.String("log-level", "info", "log `LEVEL`: debug, info, warn or error")
	logFormat := fs.String("log-format", "text", "log `FORMAT`: text (slog's key=value) or json (one object a line)")
	metricsListen := fs.String("metrics-listen", "", "`HOST:PORT` of a second listener for /metrics, /healthz and /readyz, open to any caller; the API address serves them too, /metrics to loopback callers only")
	metricsTaskLists := fs.Int("metrics-task-lists", server.DefaultMetricsTaskLists, "most busy task lists the metrics name one by one; beyond it, per-domain sums only (`N`)")
	region := fs.String("region", server.DefaultRegion, "`REGION` of calls that name none (unsigned ones); a signed call is in its credential scope's region, and each region has its own domains")
	limits := limitFlags(fs)
	authFile := fs.String("auth", "", "credentials `FILE` (JSON: accountId, principals with keys and IAM policies); every request must then be signed (docs/security.md)")
	open := fs.Bool("open", false, "allow listening beyond loopback without --auth: anyone who can reach the address may do anything")
	tlsCert := fs.String("tls-cert", "", "TLS certificate `FILE` (PEM); with --tls-key the server speaks HTTPS")
	tlsKey := fs.String("tls-key", "", "TLS private key `FILE` (PEM)")
	maxConns := fs.Int("max-connections", server.DefaultMaxConnections, "most client connections open at once; beyond it new connections wait until one closes")
	readHeaderTimeout := fs.Duration("read-header-timeout", server.DefaultReadHeaderTimeout, "close a connection whose request headers have not all arrived within this `duration` (silent connections too)")
	readBodyTimeout := fs.Duration("read-body-timeout", server.DefaultReadBodyTimeout, "close a connection whose request body has not all arrived within this `duration` after its headers")
	idleTimeout := fs.Duration("idle-timeout", server.DefaultIdleTimeout, "close a keep-alive connection idle for this `duration` between requests")
	retentionSweep := fs.Duration("retention-sweep", time.Hour, "delete closed executions past their domain's retention period every `duration`")
	historyCache := byteSize(server.DefaultHistoryCache)
	fs.Var(&historyCache, "history-cache", "keep up to `SIZE` (64MiB, 512KiB, bytes) of open executions' histories in memory, so that decision polls need no database read; 0: none")
	clusterOn := fs.Bool("cluster", false, "run as one node of several sharing the --database (PostgreSQL): each node serves some shards of the executions and forwards other calls to their owners (docs/operations.md)")
	advertise := fs.String("advertise", "", "`HOST:PORT` other nodes reach this one at (--cluster); default the --listen address")
	leaseTTL := fs.Duration("lease-ttl", server.DefaultLeaseTTL, "how long a node's shard leases last unrenewed (--cluster): a dead node's shards pass to the others within about this long")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to `FILE` when the server stops (for docs/benchmarks.md)")
	memProfile := fs.String("memprofile", "", "write an allocation profile to `FILE` when the server stops")
	clockName := fs.String("clock", string(server.ClockReal), "how the server's clock moves, `MODE`: real; manual (starts at the real time and moves only when told, by swf clock advance); or auto-skip (runs in real time, and jumps to the next timer or timeout whenever no task is scheduled or started)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: swf server [flags]\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "swf server: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	if !auth.IsRegion(*region) {
		fmt.Fprintf(stderr, "swf server: --region %q is not a region name (lower-case letters, digits and dashes, like eu-west-1)\n", *region)
		return 2
	}
	if *database == "" {
		// Read here rather than as the flag's default, so -h never
		// prints a password the URL may hold.
		*database = os.Getenv("SWF_DATABASE_URL")
	}
	if *database != "" && !postgres.IsURL(*database) {
		fmt.Fprintf(stderr, "swf server: --database (or SWF_DATABASE_URL) must be a postgres:// or postgresql:// URL\n")
		return 2
	}
	clockMode, err := server.ParseClockMode(*clockName)
	if err != nil {
		fmt.Fprintf(stderr, "swf server: --clock: %v\n", err)
		return 2
	}
	level, err := parseLevel(*levelName)
	if err != nil {
		fmt.Fprintf(stderr, "swf server: %v\n", err)
		return 2
	}
	var log *slog.Logger
	switch *logFormat {
	case "text":
		log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	case "json":
		log = slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	default:
		fmt.Fprintf(stderr, "swf server: unknown --log-format %q: want text or json\n", *logFormat)
		return 2
	}

	if *cpuProfile != "" || *memProfile != "" {
		finish, err := startProfiles(*cpuProfile, *memProfile)
		if err != nil {
			fmt.Fprintf(stderr, "swf server: %v\n", err)
			return 1
		}
		defer finish(log)
	}

	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	cfg := server.Config{Listen: *listen, DataDir: *dataDir, Database: *database, Log: log, Limits: *limits, Region: *region, Open: *open, TLSCertFile: *tlsCert, TLSKeyFile: *tlsKey}
	if *clusterOn {
		if *database == "" {
			fmt.Fprintf(stderr, "swf server: --cluster needs --database (or SWF_DATABASE_URL): the nodes share one PostgreSQL database\n")
			return 2
		}
		cfg.Cluster = &server.ClusterConfig{Advertise: *advertise, LeaseTTL: *leaseTTL}
	} else if *advertise != "" {
		fmt.Fprintf(stderr, "swf server: --advertise is for a node of a --cluster\n")
		return 2
	}
	cfg.ClockMode = clockMode
	cfg.MetricsListen, cfg.MetricsTaskLists = *metricsListen, *metricsTaskLists
	cfg.MaxConnections, cfg.ReadHeaderTimeout, cfg.ReadBodyTimeout, cfg.IdleTimeout = *maxConns, *readHeaderTimeout, *readBodyTimeout, *idleTimeout
	cfg.RetentionSweep = *retentionSweep
	if cfg.HistoryCache = int64(historyCache); cfg.HistoryCache == 0 {
		cfg.HistoryCache = -1 // none: the config's zero means the default
	}
	if *authFile != "" {
		if cfg.Auth, err = auth.Load(*authFile); err != nil {
			log.Error("cannot read credentials", "file", *authFile, "err", err)
			return 1
		}
	}
	srv, err := server.New(cfg)
	if err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}
	where := []any{"addr", srv.Addr()}
	if *database != "" {
		where = append(where, "database", postgres.Describe(*database))
	} else {
		dir, err := filepath.Abs(*dataDir)
		if err != nil {
			dir = *dataDir
		}
		where = append(where, "data_dir", dir)
	}
	// Scripts and tests find the port in this line: keep "listening on
	// <addr>" in the message.
	log.Info("listening on "+srv.Addr(), append(where, "version", versionString())...)

	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()

	code := 0
	select {
	case <-ctx.Done():
		// From here a second Ctrl-C kills the process the default way,
		// for when shutdown hangs.
		stop()
		log.Info("shutting down")
	case err := <-served:
		log.Error("server stopped", "err", err)
		code = 1
	case <-srv.StorageFailed():
		// Memory is ahead of the disk: stop, so that a restart (by the
		// supervisor, once the disk is fixed) loads what is durable.
		log.Error("stopping because storage failed; restart once the fault is cleared")
		code = 70
	}
	if err := srv.Close(); err != nil {
		log.Error("shutdown", "err", err)
		code = 1
	}
	if code == 0 {
		log.Info("stopped")
	}
	return code
}

func parseLevel(name string) (slog.Level, error) {
	switch name {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("unknown log level %q: want debug, info, warn or error", name)
}

// startProfiles starts a CPU profile into cpuFile, if named, and returns
// what writes both profiles once the server has stopped, so a spawned
// benchmark server can be profiled as deployed: in a process of its own.
func startProfiles(cpuFile, memFile string) (func(*slog.Logger), error) {
	var cpu *os.File
	if cpuFile != "" {
		f, err := os.Create(cpuFile)
		if err != nil {
			return nil, fmt.Errorf("--cpuprofile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, fmt.Errorf("--cpuprofile: %w", err)
		}
		cpu = f
	}
	return func(log *slog.Logger) {
		if cpu != nil {
			pprof.StopCPUProfile()
			if err := cpu.Close(); err != nil {
				log.Error("write CPU profile", "err", err)
			}
		}
		if memFile == "" {
			return
		}
		f, err := os.Create(memFile)
		if err == nil {
			err = errors.Join(pprof.Lookup("allocs").WriteTo(f, 0), f.Close())
		}
		if err != nil {
			log.Error("write allocation profile", "err", err)
		}
	}, nil
}
