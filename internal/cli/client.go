package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"

	"github.com/openswf/openswf/internal/shape"
)

// DefaultEndpoint is where swf sends requests when neither --endpoint-url
// nor AWS_ENDPOINT_URL_SWF, AWS_ENDPOINT_URL or a profile's endpoint_url
// names another: the address `swf server` listens on by default.
const DefaultEndpoint = "http://127.0.0.1:7171"

// Defaults of the timeouts. A long poll holds its request for 60 s, so the
// read timeout must be longer; 70 s is what SWF's own workers use.
const (
	DefaultReadTimeout    = 70 * time.Second
	DefaultConnectTimeout = 60 * time.Second
)

// localRegion is the region used to sign for a local server when none is
// configured; openswf's own default region.
const localRegion = "us-east-1"

// dummyCredentials sign requests to a local server when no credentials are
// configured at all; openswf does not check keys yet.
var dummyCredentials = aws.Credentials{AccessKeyID: "openswf", SecretAccessKey: "openswf", Source: "swf-dummy"}

// retryBaseDelay scales the jittered exponential backoff between attempts
// (AWS "standard" retry mode: rand * base * 2^attempt, at most 20 s).
var retryBaseDelay = time.Second

// configError is a problem with the environment or configuration: no
// region, no credentials, an unknown profile. The exit code is 253.
type configError struct{ msg string }

func (e *configError) Error() string { return e.msg }

// serviceError is an error the service answered. The exit code is 254.
type serviceError struct {
	Code, Message, Op string
	Status            int
	Retries           int // attempts beyond the first, when retries ran out
}

func (e *serviceError) Error() string {
	retry := ""
	if e.Retries > 0 {
		retry = fmt.Sprintf(" (reached max retries: %d)", e.Retries)
	}
	msg := e.Message
	if msg == "" {
		msg = "Unknown"
	}
	return fmt.Sprintf("An error occurred (%s) when calling the %s operation%s: %s", e.Code, e.Op, retry, msg)
}

// connectError is a request that never got an answer. The exit code is 255.
type connectError struct {
	msg string
	err error
}

func (e *connectError) Error() string { return e.msg }
func (e *connectError) Unwrap() error { return e.err }

// client sends SWF requests: AWS JSON 1.0 over HTTP, signed with SigV4.
type client struct {
	endpoint    string
	region      string
	creds       aws.CredentialsProvider // nil: unsigned (--no-sign-request)
	credsLocal  bool                    // fall back to dummyCredentials
	http        *http.Client
	debug       func(format string, args ...any) // nil unless --debug
	maxAttempts int
	signer      *v4.Signer
}

// serviceEndpointSource is the SDK's own way to find AWS_ENDPOINT_URL_SWF
// and a profile's [services] section (internal/configsources, which the
// SDK does not export); EnvConfig and SharedConfig implement it.
type serviceEndpointSource interface {
	GetServiceBaseEndpoint(ctx context.Context, sdkID string) (string, bool, error)
}

type ignoreEndpointsSource interface {
	GetIgnoreConfiguredEndpoints(ctx context.Context) (bool, bool, error)
}

// newClient resolves endpoint, region and credentials from the flags, the
// environment and ~/.aws, as the AWS CLI does.
func newClient(ctx context.Context, g *globals, debug func(string, ...any)) (*client, error) {
	load := func(noIMDS bool) (aws.Config, error) {
		var opts []func(*config.LoadOptions) error
		if g.profile != "" {
			opts = append(opts, config.WithSharedConfigProfile(g.profile))
		}
		if g.region != "" {
			opts = append(opts, config.WithRegion(g.region))
		}
		if noIMDS {
			// A local server needs no instance credentials, and the
			// metadata service is not somewhere to send requests to
			// from a laptop or a test.
			opts = append(opts, config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
		}
		return config.LoadDefaultConfig(ctx, opts...)
	}
	endpoint := g.endpointURL
	cfg, err := load(endpoint == "" || isLoopback(endpoint))
	if err != nil {
		var pe config.SharedConfigProfileNotExistError
		if errors.As(err, &pe) {
			return nil, &configError{fmt.Sprintf("The config profile (%s) could not be found", pe.Profile)}
		}
		return nil, &configError{"Unable to load the AWS configuration: " + err.Error()}
	}
	if endpoint == "" {
		endpoint = configuredEndpoint(ctx, cfg)
		if endpoint != "" && !isLoopback(endpoint) {
			// Found only now: reload with instance credentials allowed.
			if cfg, err = load(false); err != nil {
				return nil, &configError{"Unable to load the AWS configuration: " + err.Error()}
			}
		}
	}
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, &paramError{Flag: "endpoint-url", Msg: fmt.Sprintf("Invalid endpoint: %s", endpoint)}
	}
	local := isLoopback(endpoint)

	region := cfg.Region
	if region == "" {
		if !local {
			return nil, &configError{`You must specify a region. You can also configure your region by running "aws configure".`}
		}
		region = localRegion
	}

	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: g.connectTimeout, KeepAlive: 30 * time.Second}).DialContext
	tr.ResponseHeaderTimeout = g.readTimeout
	caBundle := g.caBundle
	if caBundle == "" {
		caBundle = os.Getenv("AWS_CA_BUNDLE")
	}
	if u.Scheme != "https" {
		caBundle = "" // not needed, so not read
	}
	if g.noVerifySSL || caBundle != "" {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: g.noVerifySSL}
		if caBundle != "" {
			pem, err := os.ReadFile(caBundle)
			if err != nil {
				return nil, &configError{fmt.Sprintf("Unable to read the CA bundle %s: %v", caBundle, err)}
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, &configError{fmt.Sprintf("No certificates found in the CA bundle %s", caBundle)}
			}
			tr.TLSClientConfig.RootCAs = pool
		}
	}

	c := &client{
		endpoint:    endpoint,
		region:      region,
		credsLocal:  local,
		http:        &http.Client{Transport: tr},
		debug:       debug,
		maxAttempts: 3,
		signer:      v4.NewSigner(),
	}
	if cfg.RetryMaxAttempts > 0 {
		c.maxAttempts = cfg.RetryMaxAttempts
	}
	if !g.noSignRequest {
		c.creds = cfg.Credentials
	}
	if debug != nil {
		debug("endpoint %s, region %s, max attempts %d", endpoint, region, c.maxAttempts)
	}
	return c, nil
}

// configuredEndpoint is AWS_ENDPOINT_URL_SWF or a profile's services
// section, then AWS_ENDPOINT_URL or a profile's endpoint_url; all ignored
// under AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true.
func configuredEndpoint(ctx context.Context, cfg aws.Config) string {
	for _, src := range cfg.ConfigSources {
		if p, ok := src.(ignoreEndpointsSource); ok {
			if v, found, err := p.GetIgnoreConfiguredEndpoints(ctx); err == nil && found {
				if v {
					return ""
				}
				break
			}
		}
	}
	for _, src := range cfg.ConfigSources {
		if p, ok := src.(serviceEndpointSource); ok {
			if v, found, err := p.GetServiceBaseEndpoint(ctx, "SWF"); err == nil && found && v != "" {
				return v
			}
		}
	}
	if cfg.BaseEndpoint != nil {
		return *cfg.BaseEndpoint
	}
	return ""
}

// isLoopback reports whether the endpoint is on this machine.
func isLoopback(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// credentials returns what to sign with; ok is false for unsigned
// requests.
func (c *client) credentials(ctx context.Context) (aws.Credentials, bool, error) {
	if c.creds == nil {
		return aws.Credentials{}, false, nil
	}
	creds, err := c.creds.Retrieve(ctx)
	if err != nil {
		if c.credsLocal {
			if c.debug != nil {
				c.debug("no credentials configured (%v); signing with dummy credentials for the local server", err)
			}
			return dummyCredentials, true, nil
		}
		return aws.Credentials{}, false, &configError{`Unable to locate credentials. You can configure credentials by running "aws configure".`}
	}
	return creds, true, nil
}

// call sends one operation and returns the decoded response body. Errors
// are *serviceError, *connectError, *configError or ctx's.
func (c *client) call(ctx context.Context, op string, body []byte) (map[string]any, error) {
	creds, sign, err := c.credentials(ctx)
	if err != nil {
		return nil, err
	}
	var lastErr error
	for attempt := 0; attempt < c.maxAttempts; attempt++ {
		if attempt > 0 {
			d := time.Duration(rand.Float64() * float64(retryBaseDelay) * float64(int(1)<<min(attempt-1, 5)))
			d = min(d, 20*time.Second)
			if c.debug != nil {
				c.debug("retrying %s in %v (attempt %d of %d): %v", op, d, attempt+1, c.maxAttempts, lastErr)
			}
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(d):
			}
		}
		out, retryable, err := c.send(ctx, op, body, creds, sign)
		if err == nil {
			return out, nil
		}
		lastErr = err
		if !retryable || ctx.Err() != nil {
			return nil, err
		}
	}
	var se *serviceError
	if errors.As(lastErr, &se) && c.maxAttempts > 1 {
		se.Retries = c.maxAttempts - 1
	}
	return nil, lastErr
}

// send makes one attempt.
func (c *client) send(ctx context.Context, op string, body []byte, creds aws.Credentials, sign bool) (map[string]any, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, false, &connectError{msg: err.Error(), err: err}
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", shape.TargetPrefix+"."+op)
	req.Header.Set("User-Agent", "openswf-cli")
	if sign {
		sum := sha256.Sum256(body)
		if err := c.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "swf", c.region, time.Now().UTC()); err != nil {
			return nil, false, &connectError{msg: "Unable to sign the request: " + err.Error(), err: err}
		}
	}
	if c.debug != nil {
		c.debug("request: POST %s X-Amz-Target: %s Authorization: %s body: %s",
			c.endpoint, req.Header.Get("X-Amz-Target"), redactAuth(req.Header.Get("Authorization")), compactJSON(body))
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, true, &connectError{msg: fmt.Sprintf("Read timeout on endpoint URL: %q", c.endpoint), err: err}
		}
		return nil, true, &connectError{msg: fmt.Sprintf("Could not connect to the endpoint URL: %q", c.endpoint), err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		return nil, true, &connectError{msg: fmt.Sprintf("Connection was closed before we received a valid response from endpoint URL: %q", c.endpoint), err: err}
	}
	if c.debug != nil {
		c.debug("response: %d x-amzn-RequestId: %s body: %s", resp.StatusCode, resp.Header.Get("x-amzn-RequestId"), compactJSON(data))
	}
	if resp.StatusCode/100 != 2 {
		se := parseServiceError(op, resp.StatusCode, data)
		return nil, retryableError(se), se
	}
	out := map[string]any{}
	if len(bytes.TrimSpace(data)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&out); err != nil {
			return nil, false, &connectError{msg: fmt.Sprintf("Unable to parse the response of %s: %v", op, err), err: err}
		}
	}
	return out, false, nil
}

// parseServiceError reads an AWS JSON error body, whose __type may carry a
// namespace (com.amazonaws.swf.base.model#UnknownResourceFault) and, from
// some services, a ":url" suffix; aws shows the bare name.
func parseServiceError(op string, status int, data []byte) *serviceError {
	var body map[string]any
	_ = json.Unmarshal(data, &body)
	str := func(k string) string {
		s, _ := body[k].(string)
		return s
	}
	code := str("__type")
	if code == "" {
		code = str("code")
	}
	if i := strings.LastIndexByte(code, '#'); i >= 0 {
		code = code[i+1:]
	}
	if i := strings.IndexByte(code, ':'); i >= 0 {
		code = code[:i]
	}
	if code == "" {
		code = fmt.Sprint(status)
	}
	msg := str("message")
	if msg == "" {
		msg = str("Message")
	}
	if msg == "" && body == nil {
		msg = http.StatusText(status)
	}
	return &serviceError{Code: code, Message: msg, Op: op, Status: status}
}

// retryableError follows the AWS standard retry mode: throttling, and
// server-side failures.
func retryableError(e *serviceError) bool {
	switch e.Code {
	case "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
		"TooManyRequestsException", "RequestLimitExceeded", "LimitExceededException",
		"RequestThrottled", "SlowDown", "PriorRequestNotComplete", "TransactionInProgressException",
		"RequestTimeout", "RequestTimeoutException", "InternalFailure", "ServiceUnavailable":
		return true
	}
	switch e.Status {
	case 500, 502, 503, 504:
		return true
	}
	return false
}

// redactAuth keeps the credential scope of an Authorization header and
// drops the signature.
func redactAuth(h string) string {
	if i := strings.Index(h, "Signature="); i >= 0 {
		return h[:i] + "Signature=<redacted>"
	}
	return h
}
