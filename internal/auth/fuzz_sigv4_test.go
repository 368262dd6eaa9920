package auth

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// The SigV4 fuzz targets. FuzzAuthenticate feeds Authenticate requests
// whose every part the client controls is arbitrary, starting from
// requests aws-sdk-go-v2's signer signed; FuzzAuthenticateSigned has the
// SDK sign requests of fuzzed content and checks both that they are
// accepted and that changing any signed byte gets them refused.

// checkAuthError checks that err, from Authenticate, is one AWS would send.
func checkAuthError(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var ae *Error
	if !errors.As(err, &ae) {
		t.Fatalf("Authenticate: got %T %v; want an *auth.Error", err, err)
	}
	want := map[string]int{
		CodeMissingAuthenticationToken: http.StatusForbidden,
		CodeIncompleteSignature:        http.StatusBadRequest,
		CodeUnrecognizedClient:         http.StatusBadRequest,
		CodeInvalidSignature:           http.StatusBadRequest,
	}
	if st, ok := want[ae.Code]; !ok || st != ae.Status || ae.Message == "" {
		t.Fatalf("Authenticate: got code %q, status %d, message %q", ae.Code, ae.Status, ae.Message)
	}
}

// Go's HTTP server refuses requests whose method, header values or Host
// are malformed before any handler sees them; these checks keep the fuzz
// targets to requests that can reach Authenticate.

func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

func validHost(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`"<>\^`+"`{|}", c) >= 0 {
			return false
		}
	}
	return true
}

// headerValue is a header value as the server reads it: Go's reader drops
// leading and trailing spaces and tabs.
func headerValue(s string) string { return strings.Trim(s, " \t") }

// signedSeeds are requests signed by aws-sdk-go-v2, as a server receives
// them: with the Authorization header, by an unknown access key, with a
// parameter given twice, presigned with and without X-Amz-Expires, in three
// regions.
func signedSeeds(tb testing.TB) []*http.Request {
	var out []*http.Request
	r := newRequest(tb, testBody)
	sign(tb, r, testBody, signOpts{})
	out = append(out, r)

	r = newRequest(tb, testBody)
	sign(tb, r, testBody, signOpts{region: "eu-west-1"})
	out = append(out, r)

	r = newRequest(tb, "")
	sign(tb, r, "", signOpts{key: "AKID_UNKNOWN"})
	out = append(out, r)

	// Parameters may repeat; the last one counts.
	r = newRequest(tb, testBody)
	sign(tb, r, testBody, signOpts{})
	a := r.Header.Get("Authorization")
	alg, params, _ := strings.Cut(a, " ")
	cred, _, _ := strings.Cut(params, ",")
	r.Header.Set("Authorization", alg+" "+cred+", "+params)
	out = append(out, r)

	out = append(out, presign(tb, testBody, 300, signOpts{}))
	out = append(out, presign(tb, "{}", 0, signOpts{region: "ap-south-2"}))
	return out
}

// FuzzAuthenticate gives Authenticate requests with an arbitrary method,
// request URI, Host, Authorization, X-Amz-Date, Date and
// X-Amz-Content-Sha256, and body. It must never panic; it must refuse with
// one of the four errors AWS uses, each with its status; and whatever it
// accepts must carry the signature aws-sdk-go-v2's signer computes for the
// parts it names, and be served in the region it was signed for.
func FuzzAuthenticate(f *testing.F) {
	cfg := mustParse(f, testConfig)
	for _, r := range signedSeeds(f) {
		body, _ := io.ReadAll(r.Body)
		f.Add(r.Method, r.URL.RequestURI(), r.Host, r.Header.Get("Authorization"), r.Header.Get("X-Amz-Date"),
			r.Header.Get("Date"), r.Header.Get("X-Amz-Content-Sha256"), string(body))
	}
	f.Add("POST", "/", "localhost", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/swf/aws4_request,SignedHeaders=host,Signature=00", "20260101T000000Z", "", "", "")
	f.Add("POST", "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20260101%2Fus-east-1%2Fswf%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=604800&X-Amz-SignedHeaders=host&X-Amz-Signature=00", "localhost", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, method, uri, host, authz, amzDate, date, sha, body string) {
		u, err := url.ParseRequestURI(uri)
		if err != nil || !validToken(method) || !validHost(host) {
			return // the server answers 400 before any handler runs
		}
		r := &http.Request{Method: method, URL: u, RequestURI: uri, Host: host, Proto: "HTTP/1.1",
			Header: http.Header{}, ContentLength: int64(len(body))}
		r.Header.Set("Content-Type", "application/x-amz-json-1.0")
		r.Header.Set("X-Amz-Target", testTarget)
		for _, h := range []struct{ name, value string }{
			{"Authorization", authz}, {"X-Amz-Date", amzDate}, {"Date", date}, {"X-Amz-Content-Sha256", sha},
		} {
			if !validHeaderValue(h.value) {
				return
			}
			if v := headerValue(h.value); v != "" {
				r.Header.Set(h.name, v)
			}
		}
		region := CredentialRegion(r)
		if region != "" && !IsRegion(region) {
			t.Fatalf("CredentialRegion = %q, not a region", region)
		}
		p, err := cfg.Authenticate(r, []byte(body), signTime)
		checkAuthError(t, err)
		if err != nil {
			return
		}
		if p == nil || p.Name() != "worker" {
			t.Fatalf("Authenticate accepted the request as %v", p)
		}
		sig, _, perr := parseSignature(r)
		if perr != nil || parseCredential(&sig) != nil {
			t.Fatalf("accepted a request whose signature does not parse: %v", perr)
		}
		if region != sig.region {
			t.Fatalf("signed for region %q, but CredentialRegion says %q (Authorization %q, query %q)", sig.region, region, authz, u.RawQuery)
		}
		if want, ok := sdkSignature(t, r, body, sig); ok && want != sig.signature {
			t.Fatalf("accepted signature %s; aws-sdk-go-v2 computes %s for the same signed parts", sig.signature, want)
		}
	})
}

// sdkSignature signs a copy of the accepted request r, holding only the
// headers its signature names, with aws-sdk-go-v2's signer at the same time
// and in the same scope, and returns that signature. ok is false when the
// SDK would sign other headers than the request names (it always signs
// X-Amz-Date, and Content-Length when positive), so that the signatures
// cannot be compared.
func sdkSignature(t *testing.T, r *http.Request, body string, sig signed) (string, bool) {
	t.Helper()
	u := *r.URL
	cp := &http.Request{Method: r.Method, URL: &u, Host: r.Host, Header: http.Header{}}
	ignored := map[string]bool{"authorization": true, "user-agent": true, "x-amzn-trace-id": true, "expect": true, "transfer-encoding": true}
	for _, name := range strings.Split(sig.signedHeaders, ";") {
		switch {
		case name != strings.ToLower(name) || ignored[name]:
			return "", false
		case name == "host", name == "x-amz-date" && !sig.presigned:
		case name == "content-length":
			cp.ContentLength = r.ContentLength
		default:
			cp.Header[http.CanonicalHeaderKey(name)] = r.Header.Values(name)
		}
	}
	creds := aws.Credentials{AccessKeyID: sig.accessKeyID, SecretAccessKey: testSecret}
	signer := v4.NewSigner()
	if !sig.presigned {
		if err := signer.SignHTTP(context.Background(), creds, cp, hashHex([]byte(body)), serviceName, sig.region, sig.time); err != nil {
			return "", false
		}
		got, _, err := parseSignature(cp)
		if err != nil || got.signedHeaders != sig.signedHeaders {
			return "", false
		}
		return got.signature, true
	}
	q := u.Query()
	for _, k := range []string{queryAlgorithm, queryCredential, queryDate, querySignedHeaders, querySignature} {
		q.Del(k)
	}
	u.RawQuery = q.Encode()
	signedURL, _, err := signer.PresignHTTP(context.Background(), creds, cp, hashHex([]byte(body)), serviceName, sig.region, sig.time)
	if err != nil {
		return "", false
	}
	su, err := url.Parse(signedURL)
	if err != nil || su.Query().Get(querySignedHeaders) != sig.signedHeaders {
		return "", false
	}
	return su.Query().Get(querySignature), true
}

// wireRequest sends r through HTTP/1.1's wire format and reads it back as
// the server does, with its body.
func wireRequest(t *testing.T, r *http.Request) (*http.Request, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		t.Fatalf("write request: %v", err)
	}
	sr, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		t.Fatalf("read back request %q: %v", buf.String(), err)
	}
	body, err := io.ReadAll(sr.Body)
	if err != nil {
		t.Fatalf("read back body: %v", err)
	}
	return sr, body
}

// FuzzAuthenticateSigned has aws-sdk-go-v2's signer sign (or presign) a
// request with a fuzzed path, query, X-Amz-Target, extra header, body and
// region, sends it through the HTTP wire format, and checks that
// Authenticate accepts it at any time within the allowed window and only
// then, and serves it in the region it was signed for. It then changes one
// byte of one part the signature covers (method, path and query, Host, a
// signed header, body, Authorization, X-Amz-Date): unless the change
// leaves the request the same as far as SigV4 is concerned (a run of
// spaces in a header value, the case of a percent-escape's hex digits,
// ...), the request must be refused. A header that is not signed may be
// added freely.
func FuzzAuthenticateSigned(f *testing.F) {
	cfg := mustParse(f, testConfig)
	f.Add(false, "/", "", testTarget, "X-Trace", "a  b", testBody, "us-east-1", uint32(0), int16(0), uint8(0), uint16(0), byte(1))
	f.Add(true, "/", "", testTarget, "", "", testBody, "eu-west-1", uint32(300), int16(-900), uint8(1), uint16(200), byte(0x20))
	f.Add(false, "/a%20b/c", "z=1&a=x%2Fy&a=x-y", "SimpleWorkflowService.RecordActivityTaskHeartbeat", "X-Multi", " one, two ", "{}", "us-gov-west-1", uint32(0), int16(900), uint8(3), uint16(7), byte(0x80))
	f.Add(true, "/", "X-Amz-Target="+testTarget, "", "X-Empty", "", "", "ap-south-2", uint32(604800), int16(17), uint8(5), uint16(64), byte(0x7f))
	f.Fuzz(func(t *testing.T, presigned bool, path, query, target, hname, hvalue, body, region string, expires uint32, skew int16, part uint8, pos uint16, xor byte) {
		if !IsRegion(region) {
			region = "us-east-1"
		}
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		u, err := url.Parse("http://swf.us-east-1.amazonaws.com" + path)
		if err != nil || u.Path == "" || strings.Contains(path, "?") || strings.Contains(path, "#") {
			return
		}
		if _, err := url.ParseQuery(query); err != nil || strings.Contains(query, "#") {
			return
		}
		u.RawQuery = query
		r, err := http.NewRequest(http.MethodPost, u.String(), strings.NewReader(body))
		if err != nil {
			return
		}
		r.Header.Set("Content-Type", "application/x-amz-json-1.0")
		if validHeaderValue(target) {
			r.Header.Set("X-Amz-Target", target)
		}
		if validToken(hname) && validHeaderValue(hvalue) && len(hname) < 64 {
			hname = "X-Fuzz-" + hname // not a header with a meaning to HTTP or to SigV4
			r.Header.Set(hname, hvalue)
		}
		creds := aws.Credentials{AccessKeyID: testKey, SecretAccessKey: testSecret}
		payload := hashHex([]byte(body))
		expires %= maxExpires + 1
		if presigned {
			if expires > 0 {
				q := r.URL.Query()
				q.Set(queryExpires, fmt.Sprint(expires))
				r.URL.RawQuery = q.Encode()
			}
			signedURL, headers, err := v4.NewSigner().PresignHTTP(context.Background(), creds, r, payload, serviceName, region, signTime)
			if err != nil {
				t.Fatalf("PresignHTTP: %v", err)
			}
			pr, err := http.NewRequest(http.MethodPost, signedURL, strings.NewReader(body))
			if err != nil {
				t.Fatalf("presigned URL %q: %v", signedURL, err)
			}
			for k, v := range headers {
				if k != "Host" {
					pr.Header[k] = v
				}
			}
			r = pr
		} else if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, payload, serviceName, region, signTime); err != nil {
			t.Fatalf("SignHTTP: %v", err)
		}
		sr, got := wireRequest(t, r)
		if string(got) != body {
			t.Fatalf("body %q came back as %q", body, got)
		}

		// Within the window it is accepted; outside, refused.
		delta := time.Duration(skew%1000) * time.Second
		now := signTime.Add(delta)
		valid := delta >= -MaxSkew && delta <= MaxSkew
		if presigned && expires > 0 {
			valid = delta >= -MaxSkew && delta <= time.Duration(expires)*time.Second
		}
		p, err := cfg.Authenticate(sr, got, now)
		checkAuthError(t, err)
		if valid && err != nil {
			t.Fatalf("a request aws-sdk-go-v2 signed, at %v from its signing time, was refused: %v\n%s", delta, err, dump(sr))
		}
		if !valid && err == nil {
			t.Fatalf("a request signed %v away from now (expires %d) was accepted", delta, expires)
		}
		if !valid {
			return
		}
		if p.Name() != "worker" {
			t.Fatalf("accepted as %v", p)
		}
		if got := CredentialRegion(sr); got != region {
			t.Fatalf("signed for %q, but CredentialRegion says %q", region, got)
		}

		// Now change one byte of one signed part.
		tr, tbody, neutral, ok := tamper(sr, got, part, pos, xor)
		if !ok {
			return
		}
		_, err = cfg.Authenticate(tr, tbody, now)
		checkAuthError(t, err)
		if err == nil && !neutral {
			t.Fatalf("accepted after a change to a signed part (part %d, byte %d, xor %#x):\nbefore:\n%s\nafter:\n%s", part%8, pos, xor, dump(sr), dump(tr))
		}
	})
}

// tamper returns a copy of r (and body) with one byte changed in one part.
// neutral reports that the change leaves every part the same as SigV4
// canonicalises it, so the request may still be accepted; ok is false
// when the changed request could not reach a handler at all.
func tamper(r *http.Request, body []byte, part uint8, pos uint16, xor byte) (out *http.Request, outBody []byte, neutral, ok bool) {
	if xor == 0 {
		xor = 1
	}
	flip := func(s string) string {
		if s == "" {
			return string([]byte{xor})
		}
		b := []byte(s)
		b[int(pos)%len(b)] ^= xor
		return string(b)
	}
	c := r.Clone(context.Background())
	outBody = bytes.Clone(body)
	switch part % 8 {
	case 0: // method
		c.Method = flip(c.Method)
		return c, outBody, false, validToken(c.Method)
	case 1: // request URI: path and query
		uri := flip(c.RequestURI)
		u, err := url.ParseRequestURI(uri)
		if err != nil || u.Host != "" {
			return nil, nil, false, false
		}
		c.RequestURI, c.URL = uri, u
		return c, outBody, u.EscapedPath() == r.URL.EscapedPath() && sameQuery(u.RawQuery, r.URL.RawQuery), true
	case 2: // Host
		c.Host = flip(c.Host)
		return c, outBody, false, validHost(c.Host)
	case 3: // a signed header other than Host
		var names []string
		for name := range c.Header {
			if name != "Authorization" && isSigned(r, name) {
				names = append(names, name)
			}
		}
		if len(names) == 0 {
			return nil, nil, false, false
		}
		slices.Sort(names)
		name := names[int(pos)%len(names)]
		old := c.Header.Get(name)
		v := flip(old)
		if !validHeaderValue(v) {
			return nil, nil, false, false
		}
		c.Header.Set(name, headerValue(v))
		return c, outBody, foldSpaces(v) == foldSpaces(old), true
	case 4: // body
		if len(outBody) == 0 {
			outBody = []byte{xor}
		} else {
			outBody[int(pos)%len(outBody)] ^= xor
		}
		return c, outBody, false, true
	case 5: // Authorization
		old := c.Header.Get("Authorization")
		if old == "" {
			return nil, nil, false, false
		}
		v := flip(old)
		if !validHeaderValue(v) {
			return nil, nil, false, false
		}
		c.Header.Set("Authorization", headerValue(v))
		sep := func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }
		return c, outBody, slices.Equal(strings.FieldsFunc(v, sep), strings.FieldsFunc(old, sep)), true
	case 6: // X-Amz-Date
		old := c.Header.Get("X-Amz-Date")
		if old == "" {
			return nil, nil, false, false
		}
		v := flip(old)
		if !validHeaderValue(v) {
			return nil, nil, false, false
		}
		c.Header.Set("X-Amz-Date", headerValue(v))
		t1, err1 := time.Parse(timeFormat, old)
		t2, err2 := time.Parse(timeFormat, headerValue(v))
		return c, outBody, err1 == nil && err2 == nil && t1.Equal(t2), true
	default: // a header nobody signed: no change as far as SigV4 goes
		c.Header.Set("X-Unsigned-Fuzz", fmt.Sprintf("%d-%d", pos, xor))
		return c, outBody, true, true
	}
}

// isSigned reports whether the request's signature covers header name.
func isSigned(r *http.Request, name string) bool {
	list := r.URL.Query().Get(querySignedHeaders)
	if a := r.Header.Get("Authorization"); a != "" {
		_, after, _ := strings.Cut(a, "SignedHeaders=")
		list, _, _ = strings.Cut(after, ",")
	}
	return slices.Contains(strings.Split(list, ";"), strings.ToLower(name))
}

// sameQuery reports whether two query strings hold the same parameters and
// values, in any order and however escaped.
func sameQuery(a, b string) bool {
	qa, err1 := url.ParseQuery(a)
	qb, err2 := url.ParseQuery(b)
	if err1 != nil || err2 != nil || len(qa) != len(qb) {
		return false
	}
	for k, va := range qa {
		vb, ok := qb[k]
		if !ok {
			return false
		}
		va, vb = slices.Sorted(slices.Values(va)), slices.Sorted(slices.Values(vb))
		if !slices.Equal(va, vb) {
			return false
		}
	}
	return true
}

// dump renders a request for a failure message.
func dump(r *http.Request) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\nHost: %s\n", r.Method, r.RequestURI, r.Host)
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range r.Header {
			if !yield(k) {
				return
			}
		}
	}) {
		for _, v := range r.Header[k] {
			fmt.Fprintf(&b, "%s: %q\n", k, v)
		}
	}
	return b.String()
}

// TestCredentialRegionAsSigned is the regression test for what
// FuzzAuthenticate found (testdata/fuzz/FuzzAuthenticate/ad137a22b43e6202):
// CredentialRegion took the first "Credential=" of the Authorization header
// while Authenticate verifies the last Credential parameter, so a signed
// request could name another region (or none, the server's) before the one
// it signed for and be served there. Both now read the header alike.
func TestCredentialRegionAsSigned(t *testing.T) {
	t.Parallel()
	cfg := mustParse(t, testConfig)
	for _, prefix := range []string{
		"Credential=, ",
		"Credential=AKIDEXAMPLE/20260101/eu-west-1/swf/aws4_request, ",
		"Credential=AKIDEXAMPLE/20260101/eu-west-1/swf/aws4_request\t",
		"SignedHeaders=Credential=AKIDEXAMPLE/20260101/eu-west-1/swf/aws4_request, ",
	} {
		r := newRequest(t, testBody)
		sign(t, r, testBody, signOpts{region: "ap-south-2"})
		alg, params, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		r.Header.Set("Authorization", alg+" "+prefix+params)
		if _, err := cfg.Authenticate(r, []byte(testBody), signTime); err != nil {
			t.Fatalf("%q: %v", r.Header.Get("Authorization"), err)
		}
		if got := CredentialRegion(r); got != "ap-south-2" {
			t.Errorf("%q: CredentialRegion = %q, want ap-south-2, the region it was signed for", r.Header.Get("Authorization"), got)
		}
	}
}
