package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awsswf "github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"
)

// The bench's fixed keys (newClient). The abuse scenario's server requires
// signatures and knows only these.
const (
	benchKeyID  = "AKIDOPENSWFBENCH"
	benchSecret = "openswf-bench-secret"
)

// writeAuthFile writes a credentials file (--auth) in dir that lets the
// bench's keys do anything, and returns its path.
func writeAuthFile(dir string) (string, error) {
	doc := map[string]any{
		"accountId": "123456789012",
		"principals": []any{map[string]any{
			"name": "bench", "accessKeyId": benchKeyID, "secretAccessKey": benchSecret,
			"policies": []any{map[string]any{
				"Version":   "2012-10-17",
				"Statement": []any{map[string]any{"Effect": "Allow", "Action": "swf:*", "Resource": "*"}},
			}},
		}},
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "bench-auth.json")
	return path, os.WriteFile(path, b, 0o600)
}

// abusers counts what each kind of abusive client did.
type abusers struct {
	mu       sync.Mutex
	outcomes map[string]map[string]int64 // kind -> outcome -> count
	held     map[string]time.Duration    // kind -> longest a connection lasted
	idleOpen atomic.Int64                // idle connections open now
	polling  atomic.Int64                // long polls in flight now
}

func (a *abusers) add(kind, outcome string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.outcomes == nil {
		a.outcomes, a.held = map[string]map[string]int64{}, map[string]time.Duration{}
	}
	if a.outcomes[kind] == nil {
		a.outcomes[kind] = map[string]int64{}
	}
	a.outcomes[kind][outcome]++
}

func (a *abusers) hold(kind string, d time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.held == nil {
		a.outcomes, a.held = map[string]map[string]int64{}, map[string]time.Duration{}
	}
	a.held[kind] = max(a.held[kind], d)
}

func (a *abusers) notes() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var kinds []string
	for k := range a.outcomes {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	var out []string
	for _, k := range kinds {
		var parts []string
		for o, n := range a.outcomes[k] {
			parts = append(parts, fmt.Sprintf("%s %s", count(n), o))
		}
		sort.Strings(parts)
		line := fmt.Sprintf("abuse %s: %s", k, strings.Join(parts, ", "))
		if d := a.held[k]; d > 0 {
			line += fmt.Sprintf("; longest connection %.1fs", d.Seconds())
		}
		out = append(out, line)
	}
	return out
}

// runAbuse measures healthy heartbeaters quiet, then again while abusive
// clients run in this process: idle connections, long polls, clients that
// send their headers or their body a byte a second, oversized and deeply
// nested bodies, and requests with bad signatures. A started or spawned
// server requires signatures (the bench's keys), so that the bad ones are
// checked. Reported: heartbeat latency quiet and under abuse, the
// server's RSS and open files before, at the peak, and after, and what
// happened to each kind of abuser.
func runAbuse(ctx context.Context, t *target, o *Options, res *Result) error {
	if t.synthetic() {
		return errNoop
	}
	if t.Kind == kindURL {
		res.Notes = append(res.Notes, "an external server: bad signatures are refused only if it requires signatures (--auth)")
	}
	raiseFileLimit(max(o.IdleConns, 0) + max(o.LongPolls, 0) + 2*max(o.SlowClients, 0) + 1024)
	c := newClient(t, o)
	tokens, err := heartbeatTokens(ctx, c, t, o, res, "abuse")
	if err != nil {
		return err
	}
	// The long polls wait in a domain of their own.
	pollDomain := fmt.Sprintf("bench-abuse-polls-%d", time.Now().UnixNano())
	if _, err := c.RegisterDomain(ctx, &awsswf.RegisterDomainInput{Name: aws.String(pollDomain), WorkflowExecutionRetentionPeriodInDays: aws.String("1")}); err != nil {
		return fmt.Errorf("register domain %s: %w", pollDomain, err)
	}
	conc := o.Concurrency[0]
	measure := func(name string) *RunResult {
		run := hammer(ctx, c, tokens, hammerConfig{
			conc: conc, dur: o.Duration, warmup: o.Warmup, rate: o.Rate, details: details(o.DetailsBytes),
			label: fmt.Sprintf("%s heartbeat %s c=%d", t.Label, name, conc), pid: t.pid, o: o,
		})
		run.Name = name
		return run
	}
	before, _ := t.memoryOf()
	filesBefore := openFiles(t.pid)
	quiet := measure("quiet")
	res.Runs = append(res.Runs, quiet)
	if ctx.Err() != nil {
		return ctx.Err()
	}

	// The abusers run until the abuse run ends.
	actx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var ab abusers
	startAbuse(actx, &wg, &ab, t, o, pollDomain)
	// Let the idle connections and the long polls build up (bounded).
	ramp := time.Now()
	for time.Since(ramp) < o.AbuseRamp && ctx.Err() == nil &&
		(ab.idleOpen.Load() < int64(o.IdleConns)*9/10 || ab.polling.Load() < int64(o.LongPolls)*9/10) {
		sleepCtx(ctx, 100*time.Millisecond)
	}
	res.Notes = append(res.Notes, fmt.Sprintf("abuse ramped up in %.1fs to %d idle connections and %d long polls open (client side)",
		time.Since(ramp).Seconds(), ab.idleOpen.Load(), ab.polling.Load()))
	var (
		peak      memory
		peakFiles int
		peakMu    sync.Mutex
		sampled   = make(chan struct{})
	)
	go func() {
		defer close(sampled)
		for actx.Err() == nil {
			m, _ := t.memoryOf()
			f := openFiles(t.pid)
			peakMu.Lock()
			peak.RSS, peakFiles = max(peak.RSS, m.RSS), max(peakFiles, f)
			peakMu.Unlock()
			sleepCtx(actx, 500*time.Millisecond)
		}
	}()
	abused := measure("abuse")
	res.Runs = append(res.Runs, abused)
	stop()
	wg.Wait()
	<-sampled
	quiet.MemoryAfter = &before
	abused.MemoryAfter = &memory{RSS: peak.RSS}

	// Quiet again: how far apart two quiet runs are says how much of the
	// difference is the machine's noise (other processes share it).
	res.Runs = append(res.Runs, measure("quiet again"))
	after, _ := t.memoryOf()
	abused.MemoryAfter.HWM = after.HWM
	res.Notes = append(res.Notes, ab.notes()...)
	ab.mu.Lock()
	res.Abuse = ab.outcomes
	ab.mu.Unlock()
	res.Notes = append(res.Notes, fmt.Sprintf("server RSS %.1f MiB before, %.1f MiB at the peak of the abuse (sampled every 0.5s), %.1f MiB after; peak RSS of its life %.1f MiB",
		mib(before.RSS), mib(peak.RSS), mib(after.RSS), mib(after.HWM)))
	res.Notes = append(res.Notes, fmt.Sprintf("server open files %d before, %d at the peak, %d after", filesBefore, peakFiles, openFiles(t.pid)))
	if again := res.Runs[len(res.Runs)-1]; quiet.Latency != nil && abused.Latency != nil && again.Latency != nil && quiet.Latency.P99 > 0 && quiet.Latency.P50 > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("heartbeat p99 under abuse / quiet = %.2f (quiet again / quiet = %.2f); p50 %.2f (%.2f)",
			abused.Latency.P99/quiet.Latency.P99, again.Latency.P99/quiet.Latency.P99, abused.Latency.P50/quiet.Latency.P50, again.Latency.P50/quiet.Latency.P50))
	}
	return nil
}

// openFiles counts /proc/PID/fd; -1 when unknown.
func openFiles(pid int) int {
	if pid == 0 {
		return -1
	}
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return -1
	}
	return len(ents)
}

// startAbuse starts every kind of abuser; they stop when ctx ends.
func startAbuse(ctx context.Context, wg *sync.WaitGroup, ab *abusers, t *target, o *Options, pollDomain string) {
	host := strings.TrimPrefix(strings.TrimPrefix(t.URL, "http://"), "https://")
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	spawn := func(n int, f func(i int)) {
		for i := range max(n, 0) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				f(i)
			}()
		}
	}
	// Idle: connect, send nothing, reconnect when the server hangs up.
	// The dials are spread over the first seconds.
	spawn(o.IdleConns, func(i int) {
		sleepCtx(ctx, time.Duration(i)*time.Millisecond/2)
		buf := make([]byte, 1)
		for ctx.Err() == nil {
			c, err := dialer.DialContext(ctx, "tcp", host)
			if err != nil {
				if ctx.Err() == nil {
					ab.add("idle", "dial failed")
					sleepCtx(ctx, time.Second)
				}
				continue
			}
			ab.idleOpen.Add(1)
			t0 := time.Now()
			done := closeOnDone(ctx, c)
			_, err = c.Read(buf)
			done()
			ab.idleOpen.Add(-1)
			if ctx.Err() == nil {
				ab.add("idle", "connections closed by the server")
				ab.hold("idle", time.Since(t0))
			}
		}
	})
	// Long polls on ten task lists of their own (the server allows 1,000
	// waiting pollers per task list), each answered empty after a minute.
	pollClient := newAbuseClient(t, o, o.LongPolls)
	spawn(o.LongPolls, func(i int) {
		sleepCtx(ctx, time.Duration(i)*time.Millisecond)
		in := &awsswf.PollForActivityTaskInput{Domain: aws.String(pollDomain), TaskList: &types.TaskList{Name: aws.String(fmt.Sprintf("abuse-%d", i%10))}}
		for ctx.Err() == nil {
			ab.polling.Add(1)
			_, err := pollClient.PollForActivityTask(ctx, in)
			ab.polling.Add(-1)
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				ab.add("long poll", errKind(err))
				sleepCtx(ctx, time.Second)
			} else {
				ab.add("long poll", "answered")
			}
		}
	})
	// Slow headers and slow bodies: a byte a second until cut off.
	slow := func(kind, head string) func(int) {
		return func(i int) {
			sleepCtx(ctx, time.Duration(i)*10*time.Millisecond)
			for ctx.Err() == nil {
				c, err := dialer.DialContext(ctx, "tcp", host)
				if err != nil {
					if ctx.Err() == nil {
						ab.add(kind, "dial failed")
						sleepCtx(ctx, time.Second)
					}
					continue
				}
				t0 := time.Now()
				done := closeOnDone(ctx, c)
				answered := make(chan string, 1)
				go func() {
					resp, err := http.ReadResponse(bufio.NewReader(c), nil)
					if err != nil {
						answered <- "cut off without an answer"
						return
					}
					resp.Body.Close()
					answered <- fmt.Sprintf("cut off with %d", resp.StatusCode)
				}()
				_, err = io.WriteString(c, head)
				var outcome string
				for err == nil && outcome == "" {
					select {
					case outcome = <-answered:
					case <-time.After(time.Second):
						_, err = c.Write([]byte("x"))
					case <-ctx.Done():
						outcome = "stopped"
					}
				}
				if outcome == "" {
					select {
					case outcome = <-answered:
					case <-time.After(5 * time.Second):
						outcome = "write failed"
					}
				}
				done()
				if ctx.Err() == nil {
					ab.add(kind, outcome)
					ab.hold(kind, time.Since(t0))
				}
			}
		}
	}
	spawn(o.SlowClients, slow("slow headers", "POST / HTTP/1.1\r\nHost: "+host+"\r\nX-Amz-Target: SimpleWorkflowService.ListDomains\r\nX-Slow-"))
	spawn(o.SlowClients, slow("slow body", "POST / HTTP/1.1\r\nHost: "+host+"\r\nX-Amz-Target: SimpleWorkflowService.ListDomains\r\nContent-Length: 100000\r\n\r\n{\"registrationStatus\":\""))

	// Floods: oversized and deeply nested bodies, signed with the right
	// key (an insider's mistake or malice: the signature holds, the body
	// is refused), and bad signatures (wrong secret, unknown key).
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 30 * time.Second}
	flood := func(kind string, next func(n int) (*http.Request, error)) func(int) {
		// The flooders of a kind share a pace: on one machine, a flood
		// as fast as the client can send would measure the client's
		// competition with the server for the CPU, not the server.
		pace := time.NewTicker(time.Duration(float64(time.Second) / o.FloodRate))
		context.AfterFunc(ctx, pace.Stop)
		return func(int) {
			for n := 0; ctx.Err() == nil; n++ {
				select {
				case <-pace.C:
				case <-ctx.Done():
					return
				}
				req, err := next(n)
				if err != nil {
					ab.add(kind, "could not build: "+err.Error())
					return
				}
				resp, err := hc.Do(req.WithContext(ctx))
				if err != nil {
					if ctx.Err() == nil {
						ab.add(kind, errKind(err))
					}
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				ab.add(kind, fmt.Sprintf("answered %d", resp.StatusCode))
			}
		}
	}
	big := newPayload(bytes.Repeat([]byte("a"), 2<<20))
	nested := newPayload([]byte(`{"name":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`))
	spawn(o.Flooders, flood("oversized or nested", func(n int) (*http.Request, error) {
		switch n % 3 {
		case 0: // a Content-Length over the limit: refused before reading
			return signedRequest(t.URL, "DescribeDomain", big, benchKeyID, benchSecret)
		case 1: // no Content-Length: read up to the limit, then refused
			req, err := signedRequest(t.URL, "DescribeDomain", big, benchKeyID, benchSecret)
			if err == nil {
				req.ContentLength = -1
				req.Body = io.NopCloser(bytes.NewReader(big.body))
			}
			return req, err
		default:
			return signedRequest(t.URL, "DescribeDomain", nested, benchKeyID, benchSecret)
		}
	}))
	hb := newPayload([]byte(`{"taskToken":"` + syntheticToken() + `"}`))
	spawn(o.Flooders, flood("bad signatures", func(n int) (*http.Request, error) {
		if n%2 == 0 {
			return signedRequest(t.URL, "RecordActivityTaskHeartbeat", hb, benchKeyID, "not-the-secret")
		}
		return signedRequest(t.URL, "RecordActivityTaskHeartbeat", hb, "AKIDUNKNOWN", benchSecret)
	}))
}

// closeOnDone closes c when ctx ends; call the returned func once done
// with c (it closes c too).
func closeOnDone(ctx context.Context, c net.Conn) func() {
	stop := context.AfterFunc(ctx, func() { c.Close() })
	return func() {
		stop()
		c.Close()
	}
}

// payload is a request body with its SHA-256, hashed once: hashing a
// 2 MiB body for every request of a flood would cost this process (which
// shares the machine with the server) more than the server's refusal.
type payload struct {
	body []byte
	hash string
}

func newPayload(body []byte) payload {
	sum := sha256.Sum256(body)
	return payload{body, hex.EncodeToString(sum[:])}
}

// signedRequest is an SWF call signed with SigV4 for the given keys.
func signedRequest(url, op string, p payload, keyID, secret string) (*http.Request, error) {
	body := p.body
	req, err := http.NewRequest(http.MethodPost, url+"/", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-Amz-Target", "SimpleWorkflowService."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	err = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret},
		req, p.hash, "swf", "us-east-1", time.Now())
	return req, err
}

// newAbuseClient is an SDK client for n concurrent callers: its own
// connection pool, as large.
func newAbuseClient(t *target, o *Options, n int) *awsswf.Client {
	c := newClient(t, o)
	tr := t.transports[len(t.transports)-1]
	tr.MaxIdleConnsPerHost = max(n, tr.MaxIdleConnsPerHost)
	return c
}
