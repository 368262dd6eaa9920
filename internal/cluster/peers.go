package cluster

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/openswf/openswf/internal/engine"
	"github.com/openswf/openswf/internal/swf"
)

// Node-to-node calls. Two kinds cross between nodes (docs/architecture.md,
// "Several nodes"):
//
//   - a client's call that reached a node which does not serve its shard
//     is forwarded, once and as it came (headers, signature and body), to
//     the owner, which checks the signature itself and answers; the
//     answer goes back as is (Forward);
//   - the engines' own calls (offer, withdraw and start a task, the
//     registry changed) go as JSON POSTs to /openswf/cluster/<call>,
//     signed with an HMAC of a secret derived from the token key kept in
//     the database: only a process that can read the database can make
//     them (Handler checks).

// RPCPath prefixes the node-to-node calls' paths.
const RPCPath = "/openswf/cluster/"

// Paths and headers of the node-to-node calls.
const (
	rpcPath         = RPCPath
	forwardedHeader = "X-Openswf-Forwarded-By"
	sigHeader       = "X-Openswf-Cluster-Signature"
	dateHeader      = "X-Openswf-Cluster-Date"
	nodeHeader      = "X-Openswf-Cluster-Node"
	// maxSkew is how far a call's date may be from the receiver's clock.
	maxSkew = 5 * time.Minute
)

// Place is where a shard is served: the node holding its lease, the
// address it advertises, and the lease's epoch.
type Place struct {
	Node  string
	Addr  string
	Epoch int64
}

// Directory maps each shard to its owner, as the leases table had it at
// the last tick (this node's own leases are always current).
type Directory struct {
	mu     sync.RWMutex
	owners map[int32]Place
}

// Lookup returns shard's owner.
func (d *Directory) Lookup(shard int32) (Place, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	o, ok := d.owners[shard]
	return o, ok
}

// set replaces the map and returns the shards whose owner or epoch
// changed.
func (d *Directory) set(owners map[int32]Place) []int32 {
	d.mu.Lock()
	defer d.mu.Unlock()
	var moved []int32
	for s, o := range owners {
		if d.owners[s] != o {
			moved = append(moved, s)
		}
	}
	for s := range d.owners {
		if _, ok := owners[s]; !ok {
			moved = append(moved, s)
		}
	}
	d.owners = owners
	return moved
}

// Peers implements engine.Peers over HTTP, and forwards clients' calls
// (wire.Forwarder).
type Peers struct {
	self   string
	dir    *Directory
	eng    *engine.Engine // this node's engine: calls for its own shards stay in process
	key    []byte
	scheme string
	client *http.Client
	log    *slog.Logger
	// extra is the nodes every registry change is told to besides the
	// shard owners (a node that owns no shard still serves calls).
	mu    sync.Mutex
	extra map[string]string

	// lookup reads the leases and nodes again when a call finds no owner
	// (a shard just moved): at most once per refreshEvery.
	lookup      Leases
	ttl         time.Duration
	refreshMu   sync.Mutex
	refreshedAt time.Time
}

// refreshEvery bounds how often a miss rereads the shard map; a call
// waiting for a shard to get an owner rereads it every refreshWait.
const (
	refreshEvery = 50 * time.Millisecond
	refreshWait  = 100 * time.Millisecond
)

// PeersConfig sets Peers up.
type PeersConfig struct {
	Self string
	// TokenKey is the store's secret (store.Store.Secret): the calls'
	// key is derived from it.
	TokenKey []byte
	// TLS, when set, makes the calls HTTPS with this client configuration.
	TLS *tls.Config
	Log *slog.Logger
}

// NewPeers builds the node-to-node client. SetEngine must be called
// before the first call.
func NewPeers(cfg PeersConfig) *Peers {
	mac := hmac.New(sha256.New, cfg.TokenKey)
	mac.Write([]byte("openswf cluster calls v1"))
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	scheme := "http"
	if cfg.TLS != nil {
		tr.TLSClientConfig = cfg.TLS
		scheme = "https"
	}
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	return &Peers{self: cfg.Self, dir: &Directory{}, key: mac.Sum(nil), scheme: scheme,
		client: &http.Client{Transport: tr}, log: log}
}

// SetEngine names this node's engine.
func (p *Peers) SetEngine(e *engine.Engine) { p.eng = e }

// Directory is the shard map the peers route by.
func (p *Peers) Directory() *Directory { return p.dir }

// setNodes records the live nodes' addresses (every node hears of
// registry changes, whether it owns shards or not).
func (p *Peers) setNodes(nodes map[string]string) {
	p.mu.Lock()
	p.extra = nodes
	p.mu.Unlock()
}

var errNoOwner = errors.New("no node serves the shard")

// route returns shard's owner, or nil when it is this node. A shard
// without one, or whose lease ended, is looked up again in the database:
// it may have just moved.
func (p *Peers) route(shard int32) (*Place, error) {
	o, ok := p.dir.Lookup(shard)
	if !ok {
		p.refresh(false)
		if o, ok = p.dir.Lookup(shard); !ok {
			return nil, errNoOwner
		}
	}
	if o.Node == p.self {
		return nil, nil
	}
	return &o, nil
}

// refresh reads the shard map from the database (rate limited unless
// forced) and replaces the directory with it, as the node's tick does,
// telling the engine which shards moved.
func (p *Peers) refresh(force bool) {
	if p.lookup == nil {
		return
	}
	p.refreshMu.Lock()
	defer p.refreshMu.Unlock()
	if !force && time.Since(p.refreshedAt) < refreshEvery {
		return
	}
	p.refreshedAt = time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	nodes, err := p.lookup.LiveNodes(ctx, p.ttl)
	if err != nil {
		return
	}
	rows, err := p.lookup.Leases(ctx)
	if err != nil {
		return
	}
	addr := map[string]string{}
	for _, n := range nodes {
		addr[n.ID] = n.Address
	}
	owners := map[int32]Place{}
	for _, r := range rows {
		if a, ok := addr[r.Owner]; ok && r.Live {
			owners[r.Shard] = Place{Node: r.Owner, Addr: a, Epoch: r.Epoch}
		}
	}
	if moved := p.dir.set(owners); len(moved) > 0 && p.eng != nil {
		go p.eng.Reconcile(moved)
	}
}

// onOwner runs local if this node serves shard, else the call name with
// in at the shard's owner, whose answer it decodes.
func onOwner[T any](ctx context.Context, p *Peers, shard int32, name string, in any, local func() (T, error)) (T, error) {
	var out T
	o, err := p.route(shard)
	switch {
	case err != nil:
		return out, err
	case o == nil:
		return local()
	}
	err = p.call(ctx, o.Addr, name, in, &out)
	return out, err
}

type none struct{}

// Offer implements engine.Peers.
func (p *Peers) Offer(ctx context.Context, shard int32, offers []engine.TaskOffer) error {
	_, err := onOwner(ctx, p, shard, "offer", offers, func() (none, error) { return none{}, p.eng.OfferTask(offers) })
	return err
}

// Withdraw implements engine.Peers.
func (p *Peers) Withdraw(ctx context.Context, shard int32, offer engine.TaskOffer) error {
	_, err := onOwner(ctx, p, shard, "withdraw", offer, func() (none, error) { p.eng.WithdrawTask(offer); return none{}, nil })
	return err
}

// Start implements engine.Peers.
func (p *Peers) Start(ctx context.Context, shard int32, r engine.StartRequest) (*engine.StartAnswer, error) {
	return onOwner(ctx, p, shard, "start", r, func() (*engine.StartAnswer, error) { return p.eng.StartTask(ctx, r) })
}

// RegistryChanged implements engine.Peers: every other live
// node reloads the registry, all at once.
func (p *Peers) RegistryChanged(ctx context.Context) error {
	// The live nodes of the last tick (every shard owner is one), and
	// those the database knows now.
	addrs := map[string]string{}
	p.mu.Lock()
	for id, a := range p.extra {
		if id != p.self {
			addrs[id] = a
		}
	}
	p.mu.Unlock()
	if p.lookup != nil {
		// Every node that has heartbeated by now: a node reloads right
		// after its heartbeat, so none misses this change.
		if nodes, err := p.lookup.LiveNodes(ctx, p.ttl); err == nil {
			for _, n := range nodes {
				if n.ID != p.self {
					addrs[n.ID] = n.Address
				}
			}
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, 0, len(addrs))
	var mu sync.Mutex
	for id, addr := range addrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.call(ctx, addr, "registry", struct{}{}, nil); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("node %s: %w", id, err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Deliver implements engine.Peers.
func (p *Peers) Deliver(ctx context.Context, shard int32, d engine.Delivery) (*engine.DeliveryOutcome, error) {
	return onOwner(ctx, p, shard, "deliver", d, func() (*engine.DeliveryOutcome, error) { return p.eng.DeliverTransfer(ctx, d) })
}

// ChildClosed implements engine.Peers.
func (p *Peers) ChildClosed(ctx context.Context, shard int32, c engine.ChildClose) error {
	_, err := onOwner(ctx, p, shard, "child-closed", c, func() (none, error) { return none{}, p.eng.ChildClosedHere(c) })
	return err
}

// ApplyChildPolicy implements engine.Peers.
func (p *Peers) ApplyChildPolicy(ctx context.Context, shard int32, a engine.ChildPolicyOrder) error {
	_, err := onOwner(ctx, p, shard, "child-policy", a, func() (none, error) { return none{}, p.eng.ApplyChildPolicyHere(a) })
	return err
}

// rpcError is a call's refusal, as its JSON answer carries it.
type rpcError struct {
	Fault   string `json:"fault,omitempty"`
	Message string `json:"message"`
	Shard   *int32 `json:"shard,omitempty"` // a NotOwner
}

// call POSTs in to addr's /openswf/cluster/name, signed, and decodes the
// answer into out (if not nil).
func (p *Peers) call(ctx context.Context, addr, name string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.scheme+"://"+addr+rpcPath+name, bytes.NewReader(body))
	if err != nil {
		return err
	}
	date := time.Now().UTC().Format(time.RFC3339Nano)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(dateHeader, date)
	req.Header.Set(nodeHeader, p.self)
	req.Header.Set(sigHeader, p.sign(name, date, body))
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var re rpcError
		if json.Unmarshal(data, &re) != nil || re.Message == "" {
			return fmt.Errorf("%s at %s: %s", name, addr, resp.Status)
		}
		f := &swf.Fault{Name: re.Fault, Message: re.Message}
		if re.Shard != nil {
			return &swf.NotOwner{Shard: *re.Shard, Fault: f}
		}
		return f
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(data, out)
}

func (p *Peers) sign(name, date string, body []byte) string {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte(name + "\n" + date + "\n"))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Handler answers the node-to-node calls under /openswf/cluster/.
func (p *Peers) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, rpcPath)
		body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
		if err != nil || r.Method != http.MethodPost {
			rpcFail(w, http.StatusBadRequest, errors.New("a cluster call is a POST with a body"))
			return
		}
		if err := p.verify(r, name, body); err != nil {
			rpcFail(w, http.StatusForbidden, err)
			return
		}
		out, err := p.serve(r.Context(), name, body)
		if err != nil {
			rpcFail(w, http.StatusConflict, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(out)
	})
}

func (p *Peers) verify(r *http.Request, name string, body []byte) error {
	date := r.Header.Get(dateHeader)
	t, err := time.Parse(time.RFC3339Nano, date)
	if err != nil {
		return errors.New("cluster call without a valid " + dateHeader)
	}
	if d := time.Since(t); d > maxSkew || d < -maxSkew {
		return fmt.Errorf("cluster call dated %s: more than %v from this node's clock", date, maxSkew)
	}
	want := p.sign(name, date, body)
	if !hmac.Equal([]byte(want), []byte(r.Header.Get(sigHeader))) {
		return errors.New("cluster call with a wrong signature: the caller does not share this cluster's database")
	}
	return nil
}

func (p *Peers) serve(ctx context.Context, name string, body []byte) (any, error) {
	e := p.eng
	switch name {
	case "offer":
		return answer(body, func(o []engine.TaskOffer) (none, error) { return none{}, e.OfferTask(o) })
	case "withdraw":
		return answer(body, func(o engine.TaskOffer) (none, error) { e.WithdrawTask(o); return none{}, nil })
	case "start":
		return answer(body, func(r engine.StartRequest) (*engine.StartAnswer, error) { return e.StartTask(ctx, r) })
	case "registry":
		return none{}, e.ReloadRegistry(ctx)
	case "deliver":
		return answer(body, func(d engine.Delivery) (*engine.DeliveryOutcome, error) { return e.DeliverTransfer(ctx, d) })
	case "child-closed":
		return answer(body, func(c engine.ChildClose) (none, error) { return none{}, e.ChildClosedHere(c) })
	case "child-policy":
		return answer(body, func(a engine.ChildPolicyOrder) (none, error) { return none{}, e.ApplyChildPolicyHere(a) })
	}
	return nil, fmt.Errorf("unknown cluster call %q", name)
}

// answer decodes a node call's body as In and runs f on it.
func answer[In, Out any](body []byte, f func(In) (Out, error)) (any, error) {
	var in In
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, err
	}
	return f(in)
}

func rpcFail(w http.ResponseWriter, status int, err error) {
	re := rpcError{Message: err.Error()}
	var no *swf.NotOwner
	var f *swf.Fault
	switch {
	case errors.As(err, &no):
		re.Fault, re.Message, re.Shard = no.Fault.Name, no.Fault.Message, &no.Shard
	case errors.As(err, &f):
		re.Fault, re.Message = f.Name, f.Message
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(re)
}

// hopHeaders are not passed on by a proxy (RFC 9110, 7.6.1), nor the
// ones the forwarded request sets itself.
var hopHeaders = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Connection": true, "Te": true, "Trailer": true,
	"Transfer-Encoding": true, "Upgrade": true, "Content-Length": true,
	// The body passes on decoded: the signature covers what was decoded.
	"Content-Encoding": true,
}

// Forward passes a client's call for shard, which this node does not
// serve, to the shard's owner and copies its answer back; it reports
// whether it did. A call that was forwarded already is not forwarded
// again (the caller answers the retryable fault), nor is one whose owner
// is unknown or unreachable.
func (p *Peers) Forward(w http.ResponseWriter, r *http.Request, body []byte, shard int32) (int, bool, error) {
	if r.Header.Get(forwardedHeader) != "" {
		return 0, false, nil
	}
	var resp *http.Response
	tried, reread := "", false
	// A shard being handed over has no owner for up to a tick: the call
	// waits for the next one (reading the map again every refreshWait)
	// rather than failing, for at most half a lease.
	waitUntil := time.Now().Add(p.ttl / 2)
	for {
		o, err := p.route(shard)
		if err != nil && time.Now().Before(waitUntil) && r.Context().Err() == nil {
			time.Sleep(refreshWait)
			p.refresh(true)
			continue
		}
		if err == nil && o == nil && !reread {
			// The map says this node, which just gave the shard up:
			// read it again, once.
			p.refresh(true)
			reread = true
			continue
		}
		if err != nil || o == nil || o.Node == tried {
			return 0, false, nil
		}
		tried = o.Node
		resp, err = p.forwardTo(r, body, o.Addr)
		// The owner moved (it answers that it is not the owner), or died
		// (its port refuses connections): nothing was done, so the call
		// may go to the owner the database names now, once.
		moved := err == nil && resp.StatusCode == http.StatusServiceUnavailable
		if err == nil && !moved {
			break
		}
		if err != nil && !errors.Is(err, syscall.ECONNREFUSED) {
			if r.Context().Err() != nil {
				return 0, false, nil // the client left: no one to answer
			}
			// The call may have reached the owner: only the client may
			// try it again.
			return 0, false, fmt.Errorf("forward to %s (%s): %w", o.Node, o.Addr, err)
		}
		if moved {
			resp.Body.Close()
		}
		p.refresh(true)
	}
	defer resp.Body.Close()
	h := w.Header()
	for k, vs := range resp.Header {
		if !hopHeaders[k] {
			h[k] = vs
		}
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
	return resp.StatusCode, true, nil
}

// HandoverWait is how long a client's call for a shard no other node
// serves may wait for this node to finish taking it, or for the map to
// name its owner: half a lease, as Forward waits. A call forwarded here
// does not wait: the node it came through waits, and asks again.
func (p *Peers) HandoverWait(r *http.Request) time.Duration {
	if r.Header.Get(forwardedHeader) != "" {
		return 0
	}
	return p.ttl / 2
}

// forwardTo sends a client's call, as it came, to addr.
func (p *Peers) forwardTo(r *http.Request, body []byte, addr string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, p.scheme+"://"+addr+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, vs := range r.Header {
		if !hopHeaders[k] {
			req.Header[k] = vs
		}
	}
	req.Host = r.Host // the signature covers it
	req.Header.Set(forwardedHeader, p.self)
	return p.client.Do(req)
}
