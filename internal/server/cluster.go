package server

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/openswf/openswf/internal/cluster"
	"github.com/openswf/openswf/internal/store/postgres"
)

// DefaultLeaseTTL is how long a node's shard leases last unrenewed: its
// shards pass to the survivors within about this long of its death.
const DefaultLeaseTTL = 6 * time.Second

// ClusterConfig makes the server one node of several on one PostgreSQL
// database (docs/operations.md, "Running a cluster").
type ClusterConfig struct {
	// Advertise is the host:port the other nodes reach this one at;
	// empty means the listening address (with the host name for an
	// unspecified host such as 0.0.0.0).
	Advertise string
	// LeaseTTL is the shard leases' time to live (DefaultLeaseTTL).
	LeaseTTL time.Duration
}

// clusterPart is a running node's membership and peers.
type clusterPart struct {
	id    string
	peers *cluster.Peers
	node  *cluster.Node
	stop  context.CancelFunc
	done  chan struct{}
}

// newNodeID names this process in the cluster: a restarted process is a
// new node, so the id is drawn fresh.
func newNodeID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "node"
	}
	b := make([]byte, 4)
	rand.Read(b)
	return host + "-" + hex.EncodeToString(b)
}

// prepareCluster builds the node's peers, before the engine, which calls
// them. The store must be open.
func (s *Server) prepareCluster() error {
	c := s.cfg.Cluster
	if s.cfg.Database == "" {
		return errors.New("a cluster needs a PostgreSQL --database that every node shares")
	}
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = DefaultLeaseTTL
	}
	if c.LeaseTTL < 300*time.Millisecond {
		return fmt.Errorf("lease TTL %v: at least 300ms", c.LeaseTTL)
	}
	s.cfg.Cluster = c
	key, err := s.store.Secret(context.Background())
	if err != nil {
		return fmt.Errorf("read the cluster's secret: %w", err)
	}
	var tlsConf *tls.Config
	if s.cfg.TLSCertFile != "" {
		if tlsConf, err = peerTLS(s.cfg.TLSCertFile); err != nil {
			return err
		}
	}
	id := newNodeID()
	s.cluster = &clusterPart{id: id, peers: cluster.NewPeers(cluster.PeersConfig{Self: id, TokenKey: key, TLS: tlsConf, Log: s.cfg.Log})}
	return nil
}

// peerTLS trusts the system's roots and this node's own certificate, which
// nodes of one cluster usually share.
func peerTLS(certFile string) (*tls.Config, error) {
	pem, err := os.ReadFile(certFile)
	if err != nil {
		return nil, err
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	pool.AppendCertsFromPEM(pem)
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

// advertised is the address other nodes reach this one at.
func (s *Server) advertised() string {
	if a := s.cfg.Cluster.Advertise; a != "" {
		return a
	}
	host, port, err := net.SplitHostPort(s.Addr())
	if err != nil {
		return s.Addr()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		if h, err := os.Hostname(); err == nil {
			host = h
		}
	}
	return net.JoinHostPort(host, port)
}

// startCluster joins the cluster once the listener is bound: it routes
// node-to-node calls, takes a first share of the shards, then keeps
// ticking in the background.
func (s *Server) startCluster(api http.Handler) http.Handler {
	c := s.cluster
	c.peers.SetEngine(s.eng)
	c.node = cluster.New(cluster.Config{ID: c.id, Address: s.advertised(), LeaseTTL: s.cfg.Cluster.LeaseTTL,
		Log: s.cfg.Log, Peers: c.peers}, s.store.(*postgres.Store), s.eng)
	ctx, stop := context.WithCancel(context.Background())
	c.stop, c.done = stop, make(chan struct{})
	// Join before serving: the first tick registers the node, loads the
	// registry and takes the free shards.
	c.node.Tick(ctx)
	go func() {
		defer close(c.done)
		c.node.Run(ctx)
	}()
	s.cfg.Log.Info("joined the cluster", "node", c.id, "advertise", s.advertised(), "lease_ttl", s.cfg.Cluster.LeaseTTL)
	rpc := c.peers.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, cluster.RPCPath) {
			rpc.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
}

// drainCluster hands this node's shards to the others and leaves (the
// SIGTERM path), before the engine and the store close.
func (s *Server) drainCluster(ctx context.Context) error {
	c := s.cluster
	if c == nil || c.node == nil {
		return nil
	}
	c.stop()
	<-c.done
	if err := c.node.Drain(ctx); err != nil {
		return fmt.Errorf("drain: %w", err)
	}
	s.cfg.Log.Info("left the cluster: shards handed over", "node", c.id)
	return nil
}

// clusterReady is /readyz's check for a node: it holds its leases (or
// has none to hold) and renewed them within the TTL.
func (s *Server) clusterReady(ctx context.Context) error {
	if s.cluster == nil || s.cluster.node == nil {
		return nil
	}
	return s.cluster.node.Healthy()
}

// shardLost passes on the engine's word that it let a shard go.
func (s *Server) shardLost(shard int32) {
	if c := s.cluster; c != nil && c.node != nil {
		c.node.Lost(shard)
	}
}
