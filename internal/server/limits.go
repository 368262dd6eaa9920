package server

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// Defaults of the connection limits in Config (docs/reliability.md,
// "Abuse").
const (
	// DefaultMaxConnections is the most client connections open at once.
	// A connection costs a file descriptor and a goroutine with its
	// buffers (about 10 KiB); 10,000 of them stay well inside memory and
	// inside the 20,000 descriptors a typical hard limit allows.
	DefaultMaxConnections = 10000
	// DefaultReadHeaderTimeout drops connections that never finish their
	// headers, or never send any: an SDK sends a whole request at once.
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultReadBodyTimeout bounds reading a request's body, from the end
	// of its headers: 30 s is 35 KiB/s for the largest body (1 MiB).
	DefaultReadBodyTimeout = 30 * time.Second
	// DefaultIdleTimeout is longer than the SDKs' own idle keep-alive so
	// that the client, not us, normally closes an idle connection.
	DefaultIdleTimeout = 120 * time.Second
)

// fdReserve is how many file descriptors the server keeps for itself
// beyond its connections: the database and its WAL, the listener, logs.
const fdReserve = 256

// fitConnections returns the most connections the process's file
// descriptor limit allows, raising its soft limit towards the hard one
// first if max needs it. It logs when it has to lower max.
func fitConnections(max int, log *slog.Logger) int {
	cur, hard, ok := nofile()
	if !ok {
		return max
	}
	want := uint64(max) + fdReserve
	if cur < want && cur < hard {
		if raised := min(want, hard); setNofile(raised) {
			cur = raised
		}
	}
	if cur >= want {
		return max
	}
	fit := 1
	if cur > 2*fdReserve {
		fit = int(cur - fdReserve)
	}
	log.Warn("the file descriptor limit is too low for --max-connections; serving fewer (raise ulimit -n to serve more)",
		"max_connections", max, "nofile", cur, "serving", fit)
	return fit
}

// limitListener accepts at most n connections open at once. When n are
// open, Accept waits for one to close; the connections beyond it wait in
// the kernel's listen queue (and past that, their SYNs are retried), so a
// flood of connections costs the server nothing but that queue.
type limitListener struct {
	net.Listener
	sem       chan struct{}
	closeOnce sync.Once
	done      chan struct{}
}

func newLimitListener(l net.Listener, n int) *limitListener {
	return &limitListener{Listener: l, sem: make(chan struct{}, n), done: make(chan struct{})}
}

// Accept waits for a free slot, then for a connection.
func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.sem <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.sem }}, nil
}

// Close closes the listener and wakes an Accept waiting for a slot.
func (l *limitListener) Close() error {
	err := l.Listener.Close()
	l.closeOnce.Do(func() { close(l.done) })
	return err
}

// limitConn gives its slot back once, when closed.
type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// withBodyDeadline gives each request d to send its body: the read
// deadline is set when the handler starts (the headers are in) and
// cleared when the body has been read to its end, so a client that
// trickles its body is cut off while a long poll, which has read its body
// and then waits for a task, is not. (http.Server's ReadTimeout would
// cover the whole request, long polls' waits included: a deadline passing
// during the wait cancels the request.)
func withBodyDeadline(next http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if rc.SetReadDeadline(time.Now().Add(d)) == nil && r.Body != nil && r.Body != http.NoBody {
			r.Body = &deadlineBody{ReadCloser: r.Body, clear: func() { rc.SetReadDeadline(time.Time{}) }}
		}
		next.ServeHTTP(w, r)
	})
}

// deadlineBody clears the read deadline once the body is read to its end.
type deadlineBody struct {
	io.ReadCloser
	cleared bool
	clear   func()
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.cleared {
		b.cleared = true
		b.clear()
	}
	return n, err
}
