package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsswf "github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/smithy-go"
)

// newClient is an aws-sdk-go-v2 SWF client for t: requests are signed
// (SigV4; fixed keys, or o.Profile's), as against Amazon SWF, and never
// retried, so that every failure is counted. The transport is the SDK's
// default but for its idle pool: the default keeps at most 10 idle
// connections per host, and with more concurrent callers than that it
// would open and close connections all the time and measure the TCP
// handshake. The target closes the idle connections before it stops its
// server.
//
// o.StockTransport keeps the SDK's pool as it is, to see what it costs.
func newClient(t *target, o *Options) *awsswf.Client {
	tr := awshttp.NewBuildableClient().GetTransport()
	if !o.StockTransport {
		tr.MaxIdleConns = 0
		tr.MaxIdleConnsPerHost = 4096
	}
	t.transports = append(t.transports, tr)
	creds := o.creds
	if creds == nil {
		creds = credentials.NewStaticCredentialsProvider("AKIDOPENSWFBENCH", "openswf-bench-secret", "")
	}
	urls := strings.Split(t.URL, ",")
	var rt http.RoundTripper = tr
	if len(urls) > 1 {
		rr := &roundRobin{base: tr}
		for _, u := range urls {
			rr.hosts = append(rr.hosts, strings.TrimPrefix(strings.TrimPrefix(u, "http://"), "https://"))
		}
		rt = rr
	}
	return awsswf.New(awsswf.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(urls[0]),
		Credentials:  creds,
		Retryer:      aws.NopRetryer{},
		HTTPClient:   &http.Client{Transport: rt},
	})
}

// roundRobin sends each request to the next node of a cluster, keeping
// the Host header the request was signed for.
type roundRobin struct {
	hosts []string
	next  atomic.Uint64
	base  http.RoundTripper
}

func (rr *roundRobin) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.URL.Host = rr.hosts[rr.next.Add(1)%uint64(len(rr.hosts))]
	if r.Host == "" {
		r.Host = req.URL.Host
	}
	return rr.base.RoundTrip(r)
}

// errKind names an error for the "errors by type" counts: the API error
// code the server sent (UnknownResourceFault, ThrottlingException, ...), or
// what went wrong on the way (timeout, connection, canceled).
func errKind(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case strings.Contains(err.Error(), "connection refused"):
		return "connection refused"
	case strings.Contains(err.Error(), "connection reset"), strings.Contains(err.Error(), "EOF"):
		return "connection reset"
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return "http " + http.StatusText(re.HTTPStatusCode())
	}
	return "other"
}

// errCounts counts errors by kind and keeps the first message of each, for
// the report. Safe for concurrent use.
type errCounts struct {
	mu    sync.Mutex // guards n, first
	n     map[string]int64
	first map[string]string
}

func (e *errCounts) add(err error) {
	k := errKind(err)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.n == nil {
		e.n, e.first = map[string]int64{}, map[string]string{}
	}
	e.n[k]++
	if _, ok := e.first[k]; !ok {
		msg := err.Error()
		if len(msg) > 300 {
			msg = msg[:300] + "..."
		}
		e.first[k] = msg
	}
}

func (e *errCounts) total() int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	var t int64
	for _, n := range e.n {
		t += n
	}
	return t
}

func (e *errCounts) snapshot() map[string]int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[string]int64, len(e.n))
	for k, v := range e.n {
		out[k] = v
	}
	return out
}

func (e *errCounts) examples() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for k, m := range e.first {
		out = append(out, k+": "+m)
	}
	sort.Strings(out)
	return out
}

// timed runs f and returns how long it took, on the monotonic clock.
func timed(f func() error) (time.Duration, error) {
	t := time.Now()
	err := f()
	return time.Since(t), err
}

// profileCredentials resolves what the AWS CLI would sign with for
// profile, and checks that there is something to sign with, so that a
// wrong profile fails before any set-up rather than as a run of errors.
func profileCredentials(ctx context.Context, profile string) (aws.CredentialsProvider, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithSharedConfigProfile(profile))
	if err != nil {
		return nil, fmt.Errorf("profile %s: %w", profile, err)
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return nil, fmt.Errorf("profile %s: no credentials: %w", profile, err)
	}
	return aws.NewCredentialsCache(cfg.Credentials), nil
}
