package server

import (
	"log/slog"
	"time"

	"github.com/openswf/openswf/internal/auth"
	"github.com/openswf/openswf/internal/clock"
	"github.com/openswf/openswf/internal/engine"
	"github.com/openswf/openswf/internal/swf"
)

// Defaults for the zero values of Config.
const (
	// DefaultListen is openswf's own port on the loopback interface: a
	// server reachable from elsewhere must be asked for explicitly.
	DefaultListen    = "127.0.0.1:7171"
	DefaultDataDir   = "./swf-data"
	DefaultRegion    = "us-east-1"
	DefaultAccountID = "123456789012"
	// DefaultHistoryCache is the bytes of open executions' histories kept
	// in memory (engine/history.go).
	DefaultHistoryCache = engine.DefaultHistoryCache
)

// Config is what a Server is built from. Every zero field takes its default,
// so Config{} is a working local server and tests set only what they need
// (Listen "127.0.0.1:0", DataDir t.TempDir(), a fake Clock).
type Config struct {
	// Listen is the TCP address to bind; port 0 picks a free port (read
	// it back with Server.Addr).
	Listen string
	// DataDir holds the SQLite database; it is created if missing.
	DataDir string
	// Database, when set, is a PostgreSQL URL (postgres:// or
	// postgresql://) whose database holds the state instead; DataDir is
	// then unused. Empty means SQLite in DataDir.
	Database string
	Clock    clock.Clock
	// ClockMode is how the clock moves: ClockReal (the default: Clock, or
	// the wall clock), ClockManual or ClockAutoSkip (clock.go). A manual
	// or auto-skip clock is Clock if that is a *clock.Fake, else one that
	// starts at the real time.
	ClockMode ClockMode
	// Limits are the service quotas; the zero value means
	// swf.DefaultLimits(), AWS's own.
	Limits swf.Limits
	Log    *slog.Logger
	// Region is the region of calls that name none (unsigned ones); a
	// signed call is in its credential scope's region. AccountID appears in
	// ARNs; with Auth set, it is the credentials file's account.
	Region    string
	AccountID string
	// Auth, when set, makes every request prove its caller with a SigV4
	// signature and subjects it to that principal's policies. Without it
	// the server accepts any caller, and so refuses to listen anywhere but
	// on loopback unless Open is set.
	Auth *auth.Config
	// Open allows listening beyond loopback without Auth.
	Open bool
	// MetricsListen, when set, is a second TCP address that serves
	// /metrics, /healthz and /readyz to any caller (observe.go). The API
	// address serves them too, /metrics to loopback callers only.
	MetricsListen string
	// MetricsTaskLists is how many busy task lists the metrics name one by
	// one; beyond it they keep to per-domain sums, so that the number of
	// series stays bounded. Zero means DefaultMetricsTaskLists.
	MetricsTaskLists int
	// TLSCertFile and TLSKeyFile, when both set, make the server speak HTTPS.
	TLSCertFile, TLSKeyFile string

	// Connection limits (limits.go; docs/reliability.md, "Abuse"). Zero
	// means the default. MaxConnections is the most client connections
	// open at once: beyond it new connections wait in the listen queue
	// until one closes (it is lowered to fit the file descriptor limit).
	// ReadHeaderTimeout closes a connection whose request headers have not
	// all arrived in time (silent connections included); ReadBodyTimeout
	// bounds reading a body, from the end of its headers; IdleTimeout
	// closes a keep-alive connection idle that long between requests.
	MaxConnections    int
	ReadHeaderTimeout time.Duration
	ReadBodyTimeout   time.Duration
	IdleTimeout       time.Duration
	// RetentionSweep is how often closed executions past their domain's
	// retention period are deleted from the store (default an hour).
	RetentionSweep time.Duration
	// HistoryCache is how many bytes of open executions' histories the
	// engine keeps in memory for decision polls: 0 means
	// DefaultHistoryCache, a negative value none.
	HistoryCache int64
	// Cluster, when set, makes the server one node of several sharing
	// Database (cluster.go).
	Cluster *ClusterConfig
}

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	if c.Clock == nil {
		c.Clock = defaultClock(c.ClockMode)
	}
	if c.Limits == (swf.Limits{}) {
		c.Limits = swf.DefaultLimits()
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.MetricsTaskLists == 0 {
		c.MetricsTaskLists = DefaultMetricsTaskLists
	}
	if c.Region == "" {
		c.Region = DefaultRegion
	}
	if c.Auth != nil {
		c.AccountID = c.Auth.AccountID()
	}
	if c.AccountID == "" {
		c.AccountID = DefaultAccountID
	}
	if c.MaxConnections <= 0 {
		c.MaxConnections = DefaultMaxConnections
	}
	if c.ReadHeaderTimeout <= 0 {
		c.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if c.ReadBodyTimeout <= 0 {
		c.ReadBodyTimeout = DefaultReadBodyTimeout
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	return c
}
