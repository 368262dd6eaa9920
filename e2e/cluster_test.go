package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"
	"github.com/jackc/pgx/v5"

	"github.com/openswf/openswf/internal/store"
	"github.com/openswf/openswf/internal/store/postgres/pgtest"
)

// clusterTTL is the shard lease TTL of the test clusters: short, so that
// failovers take seconds.
const clusterTTL = 3 * time.Second

// clusterNode is one `swf server --cluster` process.
type clusterNode struct {
	*serverProc
	id string // its node id, from its log
}

var joinedRE = regexp.MustCompile(`joined the cluster"? node=(\S+)`)

// startClusterNode runs a node on the database at dbURL.
func startClusterNode(t testing.TB, dbURL string) *clusterNode {
	t.Helper()
	s := startServer(t, t.TempDir(), "--cluster", "--database", dbURL, "--lease-ttl", clusterTTL.String())
	m := joinedRE.FindStringSubmatch(s.log.String())
	if m == nil {
		t.Fatalf("no %q line in the node's log:\n%s", "joined the cluster", s.log)
	}
	return &clusterNode{serverProc: s, id: m[1]}
}

// roundRobin sends each request to the next of several endpoints, as a
// load balancer would; one that refuses the connection (nothing was sent)
// is skipped for the next.
type roundRobin struct {
	hosts []string
	next  atomic.Uint64
	base  http.RoundTripper
}

func (rr *roundRobin) RoundTrip(req *http.Request) (*http.Response, error) {
	// The body is read once and sent from memory each time: the SDK's own
	// GetBody gives a stream the first attempt already used up, which a
	// node then waited on, half sent, and refused.
	var body []byte
	var err error
	if req.Body != nil {
		body, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
	}
	for range rr.hosts {
		host := rr.hosts[rr.next.Add(1)%uint64(len(rr.hosts))]
		r := req.Clone(req.Context())
		r.URL.Host = host
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		var resp *http.Response
		resp, err = rr.base.RoundTrip(r)
		if err == nil || !errors.Is(err, syscall.ECONNREFUSED) {
			return resp, err
		}
	}
	return nil, err
}

// clusterClient spreads its calls round-robin over nodes.
func clusterClient(nodes ...*clusterNode) *swf.Client {
	rr := &roundRobin{base: http.DefaultTransport.(*http.Transport).Clone()}
	for _, n := range nodes {
		rr.hosts = append(rr.hosts, n.addr)
	}
	return swf.New(swf.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String("http://" + nodes[0].addr),
		Credentials:      credentials.NewStaticCredentialsProvider("x", "y", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Transport: rr},
	})
}

// leaseWatch reads the cluster's shard leases straight from the database.
type leaseWatch struct {
	t    testing.TB
	conn *pgx.Conn
}

func watchLeases(t testing.TB, dbURL string) *leaseWatch {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Del("pool_max_conns") // the stores' setting; a plain connection refuses it
	u.RawQuery = q.Encode()
	conn, err := pgx.Connect(context.Background(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return &leaseWatch{t: t, conn: conn}
}

// holders counts the live leases of each node.
func (w *leaseWatch) holders() map[string]int {
	w.t.Helper()
	rows, err := w.conn.Query(context.Background(), `SELECT owner FROM shard_leases WHERE expires_at > now()`)
	if err != nil {
		w.t.Fatal(err)
	}
	owners, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		w.t.Fatal(err)
	}
	out := map[string]int{}
	for _, o := range owners {
		out[o]++
	}
	return out
}

// heldBy reports whether every shard is leased, by the given nodes only
// (each holding at least one).
func (w *leaseWatch) heldBy(nodes ...*clusterNode) bool {
	h := w.holders()
	total := 0
	for _, n := range nodes {
		if h[n.id] == 0 {
			return false
		}
		total += h[n.id]
	}
	return total == store.NumShards
}

// clusterRun runs the crash loop's mixed load (starts, decisions,
// heartbeats, completions, signals, cancels, timers, children) through c
// in three concurrent streams.
func clusterLoad(c *swf.Client, led *ledger, seed uint64) []*crashLoad {
	var loads []*crashLoad
	for round := range 3 {
		loads = append(loads, startLoad(c, led, seed+uint64(round), round, true))
	}
	return loads
}

// finishClusterLoad lets the load carry every run to its end, then checks
// the histories against the ledger: every acknowledged effect once, no
// task started twice, every timer and timeout fired once.
func finishClusterLoad(t *testing.T, c *swf.Client, led *ledger, loads []*crashLoad, since time.Time) {
	t.Helper()
	for _, ld := range loads {
		ld.stopStarting()
	}
	chk := &crashChecker{t: t, led: led, since: since, done: map[string]bool{}}
	waitFor(t, 120*time.Second, 500*time.Millisecond, "every run to close", func() (bool, error) {
		out, err := c.CountOpenWorkflowExecutions(context.Background(), &swf.CountOpenWorkflowExecutionsInput{
			Domain: aws.String(crashDomain), StartTimeFilter: &types.ExecutionTimeFilter{OldestDate: aws.Time(since)},
		})
		if err != nil {
			return false, nil // a node may be taking shards over: ask again
		}
		return out.Count == 0, nil
	})
	for _, ld := range loads {
		ld.stop(t)
	}
	chk.check(c, true)
	t.Logf("%d runs checked; %s", len(chk.done), led.summary())
}

// loadCluster waits for the nodes to hold every shard, registers the
// crash loop's types and starts its load through a round-robin client.
func loadCluster(t *testing.T, dbURL string, nodes ...*clusterNode) (*leaseWatch, *swf.Client, *ledger, []*crashLoad, time.Time) {
	t.Helper()
	w := watchLeases(t, dbURL)
	c := clusterClient(nodes...)
	registerWhenReady(t, c, w, nodes...)
	since := time.Now().Add(-time.Minute)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	led := newLedger()
	return w, c, led, clusterLoad(c, led, seed), since
}

// registerWhenReady registers the crash loop's types once the registry's
// shard has an owner.
func registerWhenReady(t *testing.T, c *swf.Client, w *leaseWatch, nodes ...*clusterNode) {
	t.Helper()
	waitFor(t, 30*time.Second, 100*time.Millisecond, "every shard to be leased to the nodes", func() (bool, error) {
		return w.heldBy(nodes...), nil
	})
	registerCrashTypes(t, c)
}

// TestClusterFailover: three nodes on one database, clients spread over
// them round-robin under mixed load; one node is killed with SIGKILL. The
// survivors take its shards over within the lease TTL and a tick, re-arm
// its deadlines and carry on; the checker then finds every acknowledged
// effect exactly once, no task started twice, and every timer and timeout
// fired exactly once, across the cluster.
func TestClusterFailover(t *testing.T) {
	skipIfShort(t)
	dbURL := pgtest.Schema(t)
	nodes := []*clusterNode{startClusterNode(t, dbURL), startClusterNode(t, dbURL), startClusterNode(t, dbURL)}
	w, c, led, loads, since := loadCluster(t, dbURL, nodes...)

	time.Sleep(time.Duration(2000+rand.IntN(1000)) * time.Millisecond)
	victim := nodes[1]
	before := w.holders()[victim.id]
	victim.kill()
	killed := time.Now()
	waitFor(t, 4*clusterTTL, 50*time.Millisecond, "the survivors to take every shard", func() (bool, error) {
		return w.heldBy(nodes[0], nodes[2]), nil
	})
	failover := time.Since(killed)
	t.Logf("failover: the killed node's %d shards were taken over %v after SIGKILL (lease TTL %v)", before, failover.Round(time.Millisecond), clusterTTL)
	if failover > 10*time.Second {
		t.Errorf("failover took %v, more than 10 s", failover)
	}
	time.Sleep(2 * time.Second) // load on the survivors
	finishClusterLoad(t, c, led, loads, since)
}

// pgProxy passes TCP connections to PostgreSQL through, until cut: then
// it closes every connection and refuses new ones, as a partition would
// look to the node behind it, until healed.
type pgProxy struct {
	t      *testing.T
	target string
	addr   string
	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]bool
}

func newPGProxy(t *testing.T, target string) *pgProxy {
	t.Helper()
	p := &pgProxy{t: t, target: target, conns: map[net.Conn]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.cut)
	return p
}

func (p *pgProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", p.target)
			if err != nil {
				in.Close()
				continue
			}
			p.mu.Lock()
			p.conns[in], p.conns[out] = true, true
			p.mu.Unlock()
			go func() { io.Copy(out, in); out.Close() }()
			go func() { io.Copy(in, out); in.Close() }()
		}
	}()
}

// cut closes the listener and every connection.
func (p *pgProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// heal listens again on the same address.
func (p *pgProxy) heal() {
	p.t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.serve(ln)
}

// viaProxy rewrites a database URL to go through the proxy.
func viaProxy(t *testing.T, dbURL string, p *pgProxy) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = p.addr
	return u.String()
}

// TestClusterPartition: one of three nodes reaches the database through a
// proxy the test cuts under mixed load. The node stops acting for its
// shards before its leases expire (its watchdog, then its fenced writes),
// the others take them over, and when the proxy heals the node rejoins
// and takes its share back; the checker then finds every acknowledged
// effect once and nothing done twice.
func TestClusterPartition(t *testing.T) {
	skipIfShort(t)
	dbURL := pgtest.Schema(t)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newPGProxy(t, u.Host)
	nodes := []*clusterNode{startClusterNode(t, dbURL), startClusterNode(t, dbURL), startClusterNode(t, viaProxy(t, dbURL, proxy))}
	w, c, led, loads, since := loadCluster(t, dbURL, nodes...)

	time.Sleep(2 * time.Second)
	cut := time.Now()
	proxy.cut()
	isolated := nodes[2]
	waitFor(t, 4*clusterTTL, 50*time.Millisecond, "the others to take the cut node's shards", func() (bool, error) {
		return w.heldBy(nodes[0], nodes[1]), nil
	})
	t.Logf("partition: the others hold every shard %v after the cut", time.Since(cut).Round(time.Millisecond))
	if !regexp.MustCompile(`not renewed in time|cannot renew shard leases in time`).MatchString(isolated.log.String()) {
		t.Errorf("the cut node did not stop acting for its shards on its own (no self-fencing in its log)")
	}
	time.Sleep(time.Second) // load while it is cut off
	proxy.heal()
	healed := time.Now()
	waitFor(t, 6*clusterTTL, 100*time.Millisecond, "the healed node to take its share back", func() (bool, error) {
		return w.heldBy(nodes...), nil
	})
	t.Logf("partition healed: the node holds shards again %v later", time.Since(healed).Round(time.Millisecond))
	time.Sleep(2 * time.Second)
	finishClusterLoad(t, c, led, loads, since)
}

// holder returns the node that holds shard's live lease, or "".
func (w *leaseWatch) holder(shard int32) string {
	w.t.Helper()
	var owner string
	err := w.conn.QueryRow(context.Background(), `SELECT owner FROM shard_leases WHERE shard = $1 AND expires_at > now()`, shard).Scan(&owner)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		w.t.Fatal(err)
	}
	return owner
}

// settle waits until the nodes hold every shard and no shard has moved
// for two ticks (a joining node takes its share a few shards a tick).
func (w *leaseWatch) settle(nodes ...*clusterNode) {
	w.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var last map[string]int
	for {
		if h := w.holders(); w.heldBy(nodes...) && fmt.Sprint(h) == fmt.Sprint(last) {
			return
		} else {
			last = h
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("the shards did not settle in 60 s: %v", last)
		}
		time.Sleep(2 * clusterTTL / 3)
	}
}

// TestClusterDrain: SIGTERM makes a node hand its shards over before it
// exits (0): the other node holds every shard well before the leases
// would have expired.
func TestClusterDrain(t *testing.T) {
	skipIfShort(t)
	dbURL := pgtest.Schema(t)
	nodes := []*clusterNode{startClusterNode(t, dbURL), startClusterNode(t, dbURL)}
	w := watchLeases(t, dbURL)
	w.settle(nodes...)
	leaving := nodes[1]
	held := w.holders()[leaving.id]
	stopped := time.Now()
	leaving.stop() // SIGTERM; fails the test unless it exits 0 within 20 s
	waitFor(t, 2*clusterTTL, 50*time.Millisecond, "the remaining node to hold every shard", func() (bool, error) {
		return w.heldBy(nodes[0]), nil
	})
	took := time.Since(stopped)
	t.Logf("drain: the leaving node's %d shards held by the other %v after SIGTERM (lease TTL %v)", held, took.Round(time.Millisecond), clusterTTL)
	if took >= clusterTTL {
		t.Errorf("the shards passed on only after %v, no sooner than their leases would have expired (%v): not handed over", took, clusterTTL)
	}
	if !strings.Contains(leaving.log.String(), "left the cluster: shards handed over") {
		t.Error("the leaving node did not log that it handed its shards over")
	}
}
