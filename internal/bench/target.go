package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/openswf/openswf/internal/auth"
	"github.com/openswf/openswf/internal/server"
	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/swf"
	"github.com/openswf/openswf/internal/wire"
)

// Target kinds.
const (
	kindURL    = "url"    // any endpoint named by URL
	kindServer = "server" // server.New in this process
	kindNoop   = "noop"   // the ceiling: wire over noopEngine in this process
	kindPlain  = "plain"  // below it: net/http reading the body and answering a constant
	kindFlush  = "flush"  // plain, answering once a record of the call is flushed (flushFloor)
	kindSpawn  = "spawn"  // `PATH server` as a child process
	// The ceilings in a child process of their own (`PATH bench ceiling
	// noop|plain`), as a spawned server runs: compared with one, neither
	// shares the bench's process and its garbage collector.
	kindSpawnNoop  = "spawn-noop"
	kindSpawnPlain = "spawn-plain"
	kindSpawnFlush = "spawn-flush"
)

// target is one endpoint a scenario runs against.
type target struct {
	Label string
	URL   string
	Kind  string
	// pid is the process whose RSS is reported: the child for spawn, this
	// process for server (RSS then includes the client), or --pid.
	pid int
	// dataDir is a started or spawned server's data directory.
	dataDir string
	stop    func() error
	// transports are the clients' (newClient); close shuts their idle
	// connections first, or the server's graceful shutdown would wait for
	// them.
	transports []*http.Transport
}

// close releases the clients' connections and stops what openTarget
// started.
func (t *target) close() error {
	for _, tr := range t.transports {
		tr.CloseIdleConnections()
	}
	return t.stop()
}

// parseTarget reads a target spec: "server", "noop", "spawn:PATH" or a URL,
// optionally prefixed with "LABEL=" (e.g. "moto=http://127.0.0.1:5000").
// Several URLs separated by commas are the nodes of one cluster, which the
// clients call round-robin, as a load balancer would.
// A URL may end in "?pid=N", the server's process, for its RSS and CPU.
func parseTarget(spec string) (label, kind, arg string, err error) {
	label, kind, arg, _, err = parseTargetPID(spec)
	return label, kind, arg, err
}

func parseTargetPID(spec string) (label, kind, arg string, pid int, err error) {
	if base, p, ok := strings.Cut(spec, "?pid="); ok {
		if pid, err = strconv.Atoi(p); err != nil || pid <= 0 {
			return "", "", "", 0, fmt.Errorf("target %q: pid %q is not a process id", spec, p)
		}
		spec = base
	}
	label, kind, arg, err = parseSpec(spec)
	if pid != 0 && kind != kindURL {
		return "", "", "", 0, fmt.Errorf("target %q: ?pid= goes with a URL only", spec)
	}
	return label, kind, arg, pid, err
}

func parseSpec(spec string) (label, kind, arg string, err error) {
	if i := strings.Index(spec, "="); i > 0 && !strings.Contains(spec[:i], ":") {
		label, spec = spec[:i], spec[i+1:]
	}
	switch {
	case spec == kindServer, spec == kindNoop, spec == kindPlain, spec == kindFlush:
		kind = spec
	case strings.HasPrefix(spec, "spawn:"):
		kind, arg = kindSpawn, strings.TrimPrefix(spec, "spawn:")
	case strings.HasPrefix(spec, "spawn-noop:"):
		kind, arg = kindSpawnNoop, strings.TrimPrefix(spec, "spawn-noop:")
	case strings.HasPrefix(spec, "spawn-plain:"):
		kind, arg = kindSpawnPlain, strings.TrimPrefix(spec, "spawn-plain:")
	case strings.HasPrefix(spec, "spawn-flush:"):
		kind, arg = kindSpawnFlush, strings.TrimPrefix(spec, "spawn-flush:")
	case strings.HasPrefix(spec, "http://"), strings.HasPrefix(spec, "https://"):
		kind, arg = kindURL, strings.TrimSuffix(spec, "/")
	default:
		return "", "", "", fmt.Errorf("target %q: want a URL, server, noop, plain, flush, spawn:PATH, spawn-noop:PATH, spawn-plain:PATH or spawn-flush:PATH (optionally LABEL=...)", spec)
	}
	if label == "" {
		switch kind {
		case kindServer:
			label = "openswf"
		case kindNoop:
			label = "noop"
		case kindPlain:
			label = "plain"
		case kindFlush:
			label = "flush"
		case kindSpawn:
			label = "openswf(spawn)"
		case kindSpawnNoop:
			label = "noop(spawn)"
		case kindSpawnPlain:
			label = "plain(spawn)"
		case kindSpawnFlush:
			label = "flush(spawn)"
		default:
			label = arg
		}
	}
	return label, kind, arg, nil
}

// openTarget starts what spec names (nothing, for a URL) and returns it.
// The caller must call close.
func openTarget(ctx context.Context, spec string, o *Options) (*target, error) {
	label, kind, arg, pid, err := parseTargetPID(spec)
	if err != nil {
		return nil, err
	}
	t := &target{Label: label, Kind: kind, stop: func() error { return nil }}
	switch kind {
	case kindURL:
		for _, u := range strings.Split(arg, ",") { // several: the nodes of a cluster
			if err := checkLoopback(u, o.AllowRemote); err != nil {
				return nil, err
			}
		}
		t.URL, t.pid = arg, pid
		if pid == 0 && spec == o.Targets[0] {
			t.pid = o.PID
		}
	case kindServer:
		err = t.startServer(o)
	case kindNoop:
		err = t.startNoop()
	case kindPlain:
		err = t.startPlain()
	case kindFlush:
		err = t.startFlush(o)
	case kindSpawn:
		err = t.spawn(ctx, arg, o)
	case kindSpawnNoop:
		err = t.spawnCeiling(ctx, arg, kindNoop, o)
	case kindSpawnPlain:
		err = t.spawnCeiling(ctx, arg, kindPlain, o)
	case kindSpawnFlush:
		err = t.spawnCeiling(ctx, arg, kindFlush, o)
	}
	if err != nil {
		return nil, err
	}
	return t, nil
}

// checkLoopback refuses endpoints off this machine unless allowed: the
// bench sends thousands of calls a second.
func checkLoopback(u string, allow bool) error {
	if allow {
		return nil
	}
	host := strings.TrimPrefix(strings.TrimPrefix(u, "http://"), "https://")
	if i := strings.IndexByte(host, '/'); i >= 0 {
		host = host[:i]
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("endpoint %s is not on the loopback interface; pass --allow-remote to load it anyway", u)
}

// startServer runs the real server in this process: real clock, SQLite in
// a temporary directory, on a free loopback port.
func (t *target) startServer(o *Options) error {
	dir, err := os.MkdirTemp(o.TempDir, "swf-bench-*")
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(o.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg := server.Config{Listen: "127.0.0.1:0", DataDir: dir, Log: log, RetentionSweep: o.RetentionSweep}
	if o.signatures {
		file, err := writeAuthFile(dir)
		if err == nil {
			cfg.Auth, err = auth.Load(file)
		}
		if err != nil {
			os.RemoveAll(dir)
			return fmt.Errorf("credentials for the server: %w", err)
		}
	}
	if o.serverConfig != nil {
		o.serverConfig(&cfg)
	}
	srv, err := server.New(cfg)
	if err != nil {
		os.RemoveAll(dir)
		return fmt.Errorf("start server: %w", err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	t.URL, t.pid, t.dataDir = srv.URL(), os.Getpid(), dir
	t.stop = func() error {
		err := srv.Close()
		if serr := <-served; serr != nil && err == nil {
			err = serr
		}
		os.RemoveAll(dir)
		return err
	}
	return nil
}

// noopEngine is the ceiling's engine: it answers every heartbeat from
// memory, for any token, and implements nothing else. The wire layer in
// front of it is the real one (body read, model validation, encoding), so
// the ceiling is what the same client reaches against our HTTP and JSON
// handling with no state and no storage behind it.
type noopEngine struct{}

// RecordActivityTaskHeartbeat answers cancelRequested false without looking.
func (noopEngine) RecordActivityTaskHeartbeat(ctx context.Context, in *shape.RecordActivityTaskHeartbeatInput) (*shape.ActivityTaskStatus, error) {
	return &shape.ActivityTaskStatus{CancelRequested: false}, nil
}

// synthetic reports whether t answers heartbeats without state: no set-up,
// made-up tokens, and no other scenario.
func (t *target) synthetic() bool {
	switch t.Kind {
	case kindNoop, kindPlain, kindFlush, kindSpawnNoop, kindSpawnPlain, kindSpawnFlush:
		return true
	}
	return false
}

// plainAnswer is what the plain server answers every call: a heartbeat's
// answer, as our wire layer encodes it.
var plainAnswer = []byte(`{"cancelRequested":false}`)

// plainHandler is the floor under the ceiling: no routing, decoding,
// validation or encoding, only net/http reading the body and writing a
// constant with the headers an SDK needs. The distance from it to noop is
// what our wire layer costs.
func plainHandler(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.0")
	h.Set("x-amzn-RequestId", "00000000-0000-0000-0000-000000000000")
	h.Set("Content-Length", strconv.Itoa(len(plainAnswer)))
	w.Write(plainAnswer)
}

// startPlain runs the plain server in this process.
func (t *target) startPlain() error {
	return t.serveInProcess(http.HandlerFunc(plainHandler))
}

// startFlush runs the flush floor in this process, its file in a
// temporary directory where a started server keeps its data.
func (t *target) startFlush(o *Options) error {
	dir, err := os.MkdirTemp(o.TempDir, "swf-bench-*")
	if err != nil {
		return err
	}
	fl, err := newFlushFloor(dir)
	if err == nil {
		err = t.serveInProcess(fl)
	}
	if err != nil {
		os.RemoveAll(dir)
		return err
	}
	stop := t.stop
	t.dataDir = dir
	t.stop = func() error {
		err := stop()
		fl.close()
		os.RemoveAll(dir)
		return err
	}
	return nil
}

// startNoop runs the ceiling server in this process.
func (t *target) startNoop() error {
	h, err := noopHandler()
	if err != nil {
		return err
	}
	return t.serveInProcess(h)
}

func noopHandler() (http.Handler, error) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return wire.New(noopEngine{}, log, swf.DefaultLimits())
}

// ServeCeiling serves a ceiling, kind noop, plain or flush (its file in
// dir), on listen until ctx ends: `swf bench ceiling`, which spawn-noop,
// spawn-plain and spawn-flush targets run as a child. Like `swf server` it
// logs "listening on ADDR addr=ADDR".
func ServeCeiling(ctx context.Context, kind, listen, dir string, stderr io.Writer) error {
	var h http.Handler = http.HandlerFunc(plainHandler)
	switch kind {
	case kindPlain:
	case kindNoop:
		var err error
		if h, err = noopHandler(); err != nil {
			return err
		}
	case kindFlush:
		if dir == "" {
			return errors.New("ceiling flush: want --dir, where its file goes")
		}
		fl, err := newFlushFloor(dir)
		if err != nil {
			return err
		}
		defer fl.close()
		h = fl
	default:
		return fmt.Errorf("ceiling %q: want noop, plain or flush", kind)
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	fmt.Fprintf(stderr, "level=INFO msg=\"listening on %s\" addr=%s\n", ln.Addr(), ln.Addr())
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		hs.Shutdown(shut)
	}()
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// serveInProcess serves h on a free loopback port in this process.
func (t *target) serveInProcess(h http.Handler) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	go hs.Serve(ln)
	t.URL, t.pid = "http://"+ln.Addr().String(), os.Getpid()
	t.stop = func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := hs.Shutdown(ctx); err != nil {
			return hs.Close()
		}
		return nil
	}
	return nil
}

// spawn runs `path server --listen 127.0.0.1:0 --data-dir TMP` as a child
// and finds its port in the "listening on" log line.
func (t *target) spawn(ctx context.Context, path string, o *Options) error {
	dir, err := os.MkdirTemp(o.TempDir, "swf-bench-*")
	if err != nil {
		return err
	}
	args := []string{"server", "--listen", "127.0.0.1:0", "--data-dir", dir}
	if o.RetentionSweep > 0 {
		args = append(args, "--retention-sweep", o.RetentionSweep.String())
	}
	if o.signatures {
		file, err := writeAuthFile(dir)
		if err != nil {
			os.RemoveAll(dir)
			return fmt.Errorf("credentials for the server: %w", err)
		}
		args = append(args, "--auth", file)
	}
	args = append(args, o.ServerFlags...)
	if err := t.spawnChild(ctx, path, args, dir, o); err != nil {
		return err
	}
	t.dataDir = dir
	return nil
}

// spawnCeiling runs `path bench ceiling kind` as a child.
func (t *target) spawnCeiling(ctx context.Context, path, kind string, o *Options) error {
	dir, err := os.MkdirTemp(o.TempDir, "swf-bench-*")
	if err != nil {
		return err
	}
	args := []string{"bench", "ceiling", kind, "--listen", "127.0.0.1:0"}
	if kind == kindFlush {
		args = append(args, "--dir", dir)
	}
	return t.spawnChild(ctx, path, args, dir, o)
}

// spawnChild runs path with args, finds its port in the "listening on" log
// line, and removes dir once it has stopped.
func (t *target) spawnChild(ctx context.Context, path string, args []string, dir string, o *Options) error {
	cmd := exec.Command(path, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return fmt.Errorf("spawn %s: %w", path, err)
	}
	exited := make(chan error, 1)
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		found := false
		for sc.Scan() {
			line := sc.Text()
			if !found && strings.Contains(line, "listening on") {
				for _, f := range strings.Fields(line) {
					if a, ok := strings.CutPrefix(f, "addr="); ok {
						addr <- a
						found = true
					}
				}
			} else if strings.Contains(line, "level=ERROR") || strings.Contains(line, "level=WARN") {
				fmt.Fprintln(o.Stderr, "server:", line)
			}
		}
		exited <- cmd.Wait()
	}()
	stop := func() error {
		cmd.Process.Signal(os.Interrupt)
		var err error
		select {
		case err = <-exited:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			err = <-exited
		}
		os.RemoveAll(dir)
		return err
	}
	select {
	case a := <-addr:
		t.URL, t.pid, t.stop = "http://"+a, cmd.Process.Pid, stop
		return nil
	case err := <-exited:
		os.RemoveAll(dir)
		return fmt.Errorf("%s exited before listening: %v", path, err)
	case <-time.After(30 * time.Second):
		stop()
		return fmt.Errorf("%s did not log its address within 30s", path)
	case <-ctx.Done():
		stop()
		return ctx.Err()
	}
}

// memory is what the bench can learn of a server's memory.
type memory struct {
	RSS   int64  `json:"rss_bytes"`      // VmRSS of the server's process
	HWM   int64  `json:"rss_peak_bytes"` // VmHWM: the peak RSS
	Heap  int64  `json:"go_heap_bytes"`  // in-process only: runtime HeapInuse
	GoSys int64  `json:"go_sys_bytes"`   // in-process only: runtime Sys
	Note  string `json:"note,omitempty"`
}

// memoryOf reads the server's memory: /proc/<pid>/status for its RSS, and
// for an in-process server the Go runtime's own figures too (the RSS then
// includes the bench client, which the heap figures do not separate
// either). Zero when the process is unknown.
func (t *target) memoryOf() (memory, error) {
	var m memory
	if t.pid == 0 {
		return m, errors.New("unknown server process: pass --pid, or use --start-server or --spawn-server")
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", t.pid))
	if err != nil {
		return m, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) != 2 || f[1] != "kB" {
			continue
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		switch k {
		case "VmRSS":
			m.RSS = n << 10
		case "VmHWM":
			m.HWM = n << 10
		}
	}
	if t.pid == os.Getpid() {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		m.Heap, m.GoSys = int64(ms.HeapInuse), int64(ms.Sys)
		m.Note = "server in the bench's process: RSS includes the client"
	}
	return m, nil
}
