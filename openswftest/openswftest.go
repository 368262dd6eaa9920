// Package openswftest runs an openswf server inside a Go test, with a
// clock the test moves, so that a workflow's timeouts can be tested in
// milliseconds: a five-minute heartbeat timeout is one call to Advance.
//
//	srv := openswftest.Start(t)
//	// ... register, start a workflow, hand out an activity task ...
//	srv.Advance(6 * time.Minute) // the heartbeat timeout has fired
//	// ... read the history: ActivityTaskTimedOut (HEARTBEAT) ...
//
// The server is the real one (`swf server`), speaking the SWF API over HTTP
// on a loopback port, with its SQLite database in a temporary directory.
// Client is an aws-sdk-go-v2 SWF client for it; any other SDK or tool can
// use URL.
//
// # Time
//
// The server's clock starts at the real time (or WithStartTime) and moves
// only when the test calls Advance or AdvanceTo. Advance fires every
// deadline it passes (activity and decision timeouts, timers, execution
// timeouts, retention), in deadline order, exactly as if the time had
// passed, and returns once their effects are stored: a call made after it
// returns sees them. Everything else runs at full speed: workers, deciders
// and pollers are not slowed down, and a task handed out is handed out at
// once.
//
// Long polls wait, like everything else on the server, on the server's
// clock: a PollForActivityTask or PollForDecisionTask with nothing to hand
// out answers empty once the clock passes its 60 seconds, or, whatever the
// clock, after 60 seconds of real time (so that a client's socket timeout
// never fires).
//
// Workers keep running while the clock moves, and calls other than long
// polls wait while an advance runs, so none lands in the middle of one. A
// heartbeat is recorded at the time the server's clock shows: a worker
// that heartbeats every second of real time, while the test advances the
// clock by six minutes in one call, has (as far as the server can tell)
// been silent for six minutes, and its five-minute heartbeat timeout
// fires. A task a poll is handed while the clock moves starts at the time
// the move has reached.
//
// This is `swf server --clock manual` in the test's process:
// docs/architecture.md, "The manual clock".
package openswftest

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/swf"

	"github.com/openswf/openswf/internal/clock"
	"github.com/openswf/openswf/internal/server"
)

// Server is an openswf server running in the test's process. Start or New
// creates one; Close (which Start registers with the test's cleanup) stops
// it and removes its data.
type Server struct {
	// Client is an aws-sdk-go-v2 SWF client for the server. It signs with
	// fixed test credentials (any are accepted) and does not retry what
	// the server answered, so a test sees every fault.
	Client *swf.Client
	// URL is the server's endpoint, http://127.0.0.1:PORT, for other
	// clients: an SDK's endpoint URL, `aws swf --endpoint-url`.
	URL string

	srv       *server.Server
	clk       *server.ClockControl
	dir       string // removed by Close
	transport *http.Transport
	served    chan error

	closeOnce sync.Once
	closeErr  error
}

type options struct {
	start time.Time
	log   *slog.Logger
}

// Option changes how Start and New build a Server.
type Option func(*options)

// WithStartTime starts the server's clock at t instead of the real time,
// for tests that want the same timestamps on every run.
func WithStartTime(t time.Time) Option { return func(o *options) { o.start = t } }

// WithLogger sends the server's log to l instead of discarding it.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// Start runs a server for the test and registers its Close with
// t.Cleanup. It fails the test at once if the server cannot start.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := New(opts...)
	if err != nil {
		t.Fatalf("openswftest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("openswftest: close: %v", err)
		}
	})
	return s
}

// New runs a server over a fresh temporary directory, for use outside a
// test function (an Example, a TestMain). The caller must Close it.
func New(opts ...Option) (*Server, error) {
	o := options{}
	for _, f := range opts {
		f(&o)
	}
	if o.start.IsZero() {
		o.start = time.Now().UTC().Truncate(time.Millisecond)
	}
	if o.log == nil {
		o.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	dir, err := os.MkdirTemp("", "openswftest-")
	if err != nil {
		return nil, err
	}
	srv, err := server.New(server.Config{
		Listen: "127.0.0.1:0", DataDir: dir, Log: o.log,
		ClockMode: server.ClockManual, Clock: clock.NewFake(o.start),
	})
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start server: %w", err)
	}
	s := &Server{
		URL:       srv.URL(),
		srv:       srv,
		clk:       srv.ClockControl(),
		dir:       dir,
		transport: newTransport(),
		served:    make(chan error, 1),
	}
	go func() { s.served <- srv.Serve() }()
	s.Client = s.newClient(s.transport)
	return s, nil
}

// NewClient returns another SWF client for the server, with the same
// settings as Client; optFns change them (a test wraps the HTTP client's
// transport, say, to watch or disturb the requests).
func (s *Server) NewClient(optFns ...func(*swf.Options)) *swf.Client {
	return s.newClient(newTransport(), optFns...)
}

func (s *Server) newClient(tr *http.Transport, optFns ...func(*swf.Options)) *swf.Client {
	return swf.New(swf.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(s.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("openswftest", "openswftest", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Transport: tr},
	}, optFns...)
}

// newTransport is http.DefaultTransport's settings with room for the idle
// connections of a test's concurrent workers.
func newTransport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 256
	tr.MaxIdleConnsPerHost = 256
	return tr
}

// Now returns the server's current time.
func (s *Server) Now() time.Time { return s.clk.Now() }

// Advance moves the server's clock forward by d (a negative d does
// nothing). Every deadline it passes fires, in deadline order, as if the
// time had passed; Advance returns once their effects are stored.
// Concurrent calls run one after the other.
func (s *Server) Advance(d time.Duration) {
	if d > 0 {
		s.clk.Advance(d)
	}
}

// AdvanceTo moves the server's clock forward to t, as Advance does. A time
// before the clock's leaves it where it is.
func (s *Server) AdvanceTo(t time.Time) {
	if t.After(s.clk.Now()) {
		s.clk.Set(t)
	}
}

// Close stops the server: long polls still waiting answer empty, calls in
// flight finish, and the data directory is removed. It is safe to call
// more than once; later calls return the first one's result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		// http.Server.Shutdown waits for connections that were dialed
		// but never carried a request; close the client's idle ones
		// first so that it need not.
		s.transport.CloseIdleConnections()
		err := s.srv.Close()
		if serr := <-s.served; err == nil {
			err = serr
		}
		s.transport.CloseIdleConnections()
		if rerr := os.RemoveAll(s.dir); err == nil {
			err = rerr
		}
		s.closeErr = err
	})
	return s.closeErr
}
