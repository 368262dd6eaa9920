package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Verification of AWS Signature Version 4, in functions named after the
// steps of the specification
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html):
// canonicalRequest, stringToSign, signingKey, signature.
//
// Why not re-sign a copy of the request with aws-sdk-go-v2's v4.Signer and
// compare? Because the SDK signer decides for itself which headers to sign:
// every header on the request except a fixed ignore list (User-Agent,
// Expect, X-Amzn-Trace-Id, ...), plus Content-Length whenever the length is
// positive, plus an X-Amz-Date it always adds. A verifier must instead sign
// exactly the client's SignedHeaders list, and that list differs from what
// the SDK would choose in ordinary cases: a client (or proxy) adds headers
// after signing (Go's transport adds Accept-Encoding, proxies add
// X-Forwarded-For), a client signs with a Date header rather than
// X-Amz-Date, a client signs a header the SDK ignores, or leaves out
// Content-Length. (The AWS CLI signs only content-type;host;x-amz-date;
// x-amz-target, and sends Content-Length, Accept-Encoding,
// amz-sdk-invocation-id and amz-sdk-request unsigned.) Trimming the copy's headers to the signed ones still leaves
// the last three cases wrong, and the helpers that would let us drive the
// SDK's canonicalisation directly live in an internal package. So the
// canonicalisation is done here, following the spec; the tests check it
// against requests signed and presigned by the SDK's signer.

const (
	algorithm   = "AWS4-HMAC-SHA256"
	serviceName = "swf"
	terminator  = "aws4_request"
	timeFormat  = "20060102T150405Z"
	dateFormat  = "20060102"

	// MaxSkew is how far a request's signing time may be from the server's
	// clock, either way, as AWS allows.
	MaxSkew = 15 * time.Minute
	// maxExpires is the longest X-Amz-Expires a presigned request may ask
	// for: seven days, as AWS allows.
	maxExpires = 7 * 24 * 60 * 60
)

// Query parameters of a presigned request.
const (
	queryAlgorithm     = "X-Amz-Algorithm"
	queryCredential    = "X-Amz-Credential"
	queryDate          = "X-Amz-Date"
	querySignedHeaders = "X-Amz-SignedHeaders"
	querySignature     = "X-Amz-Signature"
	queryExpires       = "X-Amz-Expires"
	querySecurityToken = "X-Amz-Security-Token"
)

// signed is what a request says about its own signature, from the
// Authorization header or the presigned query parameters.
type signed struct {
	presigned     bool
	algorithm     string
	credential    string
	signedHeaders string // as sent: lower-case names joined by ';'
	signature     string
	amzDate       string // the signing time as sent
	time          time.Time
	expires       int // seconds; presigned only, 0 when absent
	hasExpires    bool

	accessKeyID, date, region, service, term string // the credential's parts
}

// Authenticate verifies the AWS Signature Version 4 of r, whose body the
// caller has already read into body (the body itself is not read), at time
// now, and returns the principal that signed it. Both the Authorization
// header and the presigned query-string form are accepted; the service in
// the credential scope must be "swf" and the region may be any (it is part
// of what is signed). The signing time must be within MaxSkew of now, or,
// for a presigned request with X-Amz-Expires, not older than that many
// seconds. An x-amz-content-sha256 header, when present, must be the hash
// of body.
//
// The Host the signature covers is r.Host as received: a proxy in front of
// the server must pass the client's Host through unchanged (or the caller
// must put it back in r.Host before calling). The path and query are
// r.URL's, as received.
//
// On failure the error is an *Error with the code, message and status AWS
// uses: MissingAuthenticationTokenException (403) when there is no signature
// at all, IncompleteSignatureException for a malformed one,
// UnrecognizedClientException for an unknown access key, and
// InvalidSignatureException for a wrong scope, a stale or future date, or a
// signature that does not verify.
func (c *Config) Authenticate(r *http.Request, body []byte, now time.Time) (*Principal, error) {
	sig, query, err := parseSignature(r)
	if err != nil {
		return nil, err
	}
	if err := checkTime(sig, now); err != nil {
		return nil, err
	}
	if !hasSignedHeader(sig.signedHeaders, "host") {
		return nil, errInvalid("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	}
	if sig.algorithm != algorithm {
		return nil, errIncomplete(fmt.Sprintf("Unsupported AWS 'algorithm': '%s' (only %s for now).", sig.algorithm, algorithm))
	}
	if err := parseCredential(&sig); err != nil {
		return nil, err
	}
	p, ok := c.byKey[sig.accessKeyID]
	if !ok {
		return nil, errUnrecognized()
	}
	payloadHash := hashHex(body)
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" && h != payloadHash {
		return nil, errInvalid("The provided 'x-amz-content-sha256' header does not match what was computed.")
	}
	creq := canonicalRequest(r, query, sig, payloadHash)
	sts := stringToSign(sig, creq)
	want := signature(p.signingKey(sig.date, sig.region), sts)
	if !hmac.Equal([]byte(want), []byte(sig.signature)) {
		return nil, errInvalid(msgSignatureInvalid)
	}
	// openswf issues no temporary credentials, so any session token is one
	// it cannot vouch for.
	if r.Header.Get("X-Amz-Security-Token") != "" || query.Get(querySecurityToken) != "" {
		return nil, errUnrecognized()
	}
	return p, nil
}

// parseSignature finds the request's signature, in the Authorization header
// or in the query string, and checks that it has every part. It returns the
// parsed query too (presigned requests sign it without X-Amz-Signature).
func parseSignature(r *http.Request) (signed, url.Values, error) {
	var sig signed
	auths := r.Header.Values("Authorization")
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		if len(auths) == 0 {
			return sig, nil, errMissingToken()
		}
		return sig, nil, errIncomplete("The query string is malformed: " + err.Error())
	}
	_, presigned := query[queryAlgorithm]
	if !presigned {
		_, presigned = query[querySignature]
	}
	switch {
	case len(auths) == 0 && !presigned:
		return sig, nil, errMissingToken()
	case len(auths) > 0 && presigned:
		return sig, nil, errIncomplete("Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter " +
			"or the Authorization header should be specified.")
	case len(auths) > 1:
		return sig, nil, errIncomplete("The request has more than one Authorization header.")
	case presigned:
		return parseQuerySignature(r, query)
	}
	auth := strings.TrimSpace(auths[0])
	// AWS answers a request whose Authorization is not a SigV4 one at all
	// (e.g. "Basic ...") as if it had none.
	if !strings.HasPrefix(auth, "AWS4-") {
		return sig, nil, errMissingToken()
	}
	alg, rest, _ := strings.Cut(auth, " ")
	sig.algorithm = alg
	params := map[string]string{}
	for _, part := range strings.FieldsFunc(rest, isAuthParamSep) {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return sig, nil, errIncomplete(fmt.Sprintf("'%s' not a valid key=value pair (missing equal-sign) in Authorization header: '%s'.", part, auth))
		}
		params[k] = v
	}
	sig.credential = params["Credential"]
	sig.signedHeaders = params["SignedHeaders"]
	sig.signature = params["Signature"]
	sig.amzDate = r.Header.Get("X-Amz-Date")
	useDate := false
	if sig.amzDate == "" {
		sig.amzDate, useDate = r.Header.Get("Date"), true
	}
	var missing []string
	for _, p := range []struct{ name, value string }{
		{"Credential", sig.credential}, {"Signature", sig.signature}, {"SignedHeaders", sig.signedHeaders},
	} {
		if p.value == "" {
			missing = append(missing, "Authorization header requires '"+p.name+"' parameter.")
		}
	}
	if sig.amzDate == "" {
		missing = append(missing, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	if len(missing) > 0 {
		return sig, nil, errIncomplete(strings.Join(missing, " ") + " Authorization=" + auth)
	}
	if err := parseTime(&sig, useDate); err != nil {
		return sig, nil, err
	}
	return sig, query, nil
}

func parseQuerySignature(r *http.Request, query url.Values) (signed, url.Values, error) {
	sig := signed{presigned: true}
	sig.algorithm = query.Get(queryAlgorithm)
	sig.credential = query.Get(queryCredential)
	sig.amzDate = query.Get(queryDate)
	sig.signedHeaders = query.Get(querySignedHeaders)
	sig.signature = query.Get(querySignature)
	var missing []string
	for _, p := range []struct{ name, value string }{
		{queryAlgorithm, sig.algorithm}, {queryCredential, sig.credential}, {querySignature, sig.signature},
		{querySignedHeaders, sig.signedHeaders}, {queryDate, sig.amzDate},
	} {
		if p.value == "" {
			missing = append(missing, "AWS query-string parameters must include '"+p.name+"'.")
		}
	}
	if len(missing) > 0 {
		return sig, nil, errIncomplete(strings.Join(missing, " ") + " Re-examine the query-string parameters.")
	}
	if e, ok := query[queryExpires]; ok {
		n, err := strconv.Atoi(firstOf(e))
		if err != nil || n < 0 {
			return sig, nil, errIncomplete(fmt.Sprintf("X-Amz-Expires must be a non-negative number of seconds, not '%s'.", firstOf(e)))
		}
		if n > maxExpires {
			return sig, nil, errIncomplete(fmt.Sprintf("X-Amz-Expires must be less than a week (in seconds) that is %d.", maxExpires))
		}
		sig.expires, sig.hasExpires = n, true
	}
	if err := parseTime(&sig, false); err != nil {
		return sig, nil, err
	}
	return sig, query, nil
}

func firstOf(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// parseTime reads the signing time: ISO 8601 basic format from X-Amz-Date,
// or an HTTP date from Date (which the string to sign then carries in the
// basic format).
func parseTime(sig *signed, httpDate bool) error {
	var t time.Time
	var err error
	if httpDate {
		t, err = http.ParseTime(sig.amzDate)
	} else {
		t, err = time.Parse(timeFormat, sig.amzDate)
	}
	if err != nil {
		return errIncomplete(fmt.Sprintf("Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", sig.amzDate))
	}
	sig.time = t.UTC()
	sig.amzDate = sig.time.Format(timeFormat)
	return nil
}

// checkTime refuses a signing time too far from now: more than MaxSkew in
// the past (or, for a presigned request with X-Amz-Expires, more than that
// many seconds) or more than MaxSkew in the future. The messages are AWS's.
func checkTime(sig signed, now time.Time) error {
	now = now.UTC().Truncate(time.Second)
	t := sig.time
	if sig.hasExpires {
		limit := now.Add(-time.Duration(sig.expires) * time.Second)
		if t.Before(limit) {
			return errInvalid(fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - %d sec.)",
				sig.amzDate, limit.Format(timeFormat), now.Format(timeFormat), sig.expires))
		}
	} else if limit := now.Add(-MaxSkew); t.Before(limit) {
		return errInvalid(fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - 15 min.)",
			sig.amzDate, limit.Format(timeFormat), now.Format(timeFormat)))
	}
	if limit := now.Add(MaxSkew); t.After(limit) {
		return errInvalid(fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + 15 min.)",
			sig.amzDate, limit.Format(timeFormat), now.Format(timeFormat)))
	}
	return nil
}

// parseCredential splits the credential into access key, date, region,
// service and terminator, and checks the scope: service swf, terminator
// aws4_request, a region, and the date of the signing time.
func parseCredential(sig *signed) error {
	parts := strings.Split(sig.credential, "/")
	if len(parts) != 5 {
		return errIncomplete(fmt.Sprintf("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'", sig.credential))
	}
	sig.accessKeyID, sig.date, sig.region, sig.service, sig.term = parts[0], parts[1], parts[2], parts[3], parts[4]
	var problems []string
	if !IsRegion(sig.region) {
		problems = append(problems, fmt.Sprintf("Credential should be scoped to a valid region, not '%s'.", sig.region))
	}
	if sig.service != serviceName {
		problems = append(problems, "Credential should be scoped to correct service: '"+serviceName+"'.")
	}
	if sig.term != terminator {
		problems = append(problems, fmt.Sprintf("Credential should be scoped with a valid terminator: '%s', not '%s'.", terminator, sig.term))
	}
	if want := sig.time.Format(dateFormat); sig.date != want {
		problems = append(problems, fmt.Sprintf("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.", sig.date, want, sig.amzDate))
	}
	if len(problems) > 0 {
		return errInvalid(strings.Join(problems, " "))
	}
	return nil
}

// IsRegion accepts any plausible region name (lower-case letters, digits
// and dashes): openswf serves every region, but the name is signed.
func IsRegion(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func hasSignedHeader(list, name string) bool {
	for _, h := range strings.Split(list, ";") {
		if strings.EqualFold(strings.TrimSpace(h), name) {
			return true
		}
	}
	return false
}

// canonicalRequest is step 1 of the spec:
//
//	HTTPMethod \n CanonicalURI \n CanonicalQueryString \n
//	CanonicalHeaders \n SignedHeaders \n HashedPayload
//
// CanonicalHeaders lists exactly the headers the client named in
// SignedHeaders, in that order, each value trimmed with inner runs of spaces
// folded to one and repeated headers joined by commas. A presigned request's
// query is signed without X-Amz-Signature.
func canonicalRequest(r *http.Request, query url.Values, sig signed, payloadHash string) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(canonicalURI(r.URL))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(query, sig.presigned))
	b.WriteByte('\n')
	for _, name := range strings.Split(sig.signedHeaders, ";") {
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(canonicalHeaderValue(r, strings.ToLower(name)))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(sig.signedHeaders)
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

// canonicalURI is the URI-encoded path, encoded once more (every service
// but S3 signs the path escaped twice), "/" when empty.
func canonicalURI(u *url.URL) string {
	path := u.EscapedPath()
	if path == "" {
		return "/"
	}
	return uriEncode(path, false)
}

// canonicalQuery is the query's parameters, names and values URI-encoded,
// sorted by name and then value (after encoding), joined with '&'.
func canonicalQuery(query url.Values, presigned bool) string {
	type pair struct{ k, v string }
	var pairs []pair
	for k, vs := range query {
		if presigned && k == querySignature {
			continue
		}
		ek := uriEncode(k, true)
		for _, v := range vs {
			pairs = append(pairs, pair{ek, uriEncode(v, true)})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// uriEncode percent-encodes every byte but the unreserved characters
// (A-Z a-z 0-9 - . _ ~), with upper-case hex, and '/' too when slash is set.
func uriEncode(s string, slash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || (c == '/' && !slash) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// canonicalHeaderValue is the canonical value of the signed header name.
// Go's server moves three headers out of r.Header: Host into r.Host,
// Content-Length (also) into r.ContentLength, Transfer-Encoding into
// r.TransferEncoding; they are read back from there.
func canonicalHeaderValue(r *http.Request, name string) string {
	var values []string
	switch name {
	case "host":
		host := r.Host
		if host == "" {
			host = r.URL.Host
		}
		values = []string{host}
	default:
		values = r.Header.Values(name)
		if len(values) == 0 {
			switch name {
			case "content-length":
				if r.ContentLength >= 0 {
					values = []string{strconv.FormatInt(r.ContentLength, 10)}
				}
			case "transfer-encoding":
				values = r.TransferEncoding
			}
		}
	}
	var b strings.Builder
	for i, v := range values { // values may be r.Header's own slice: not modified
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(foldSpaces(v))
	}
	return b.String()
}

// foldSpaces trims v and replaces each inner run of spaces with one space.
func foldSpaces(v string) string {
	v = strings.TrimSpace(v)
	if !strings.Contains(v, "  ") {
		return v
	}
	var b strings.Builder
	space := false
	for i := 0; i < len(v); i++ {
		if v[i] == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// stringToSign is step 2: the algorithm, the signing time, the credential
// scope and the hash of the canonical request, one per line.
func stringToSign(sig signed, canonicalRequest string) string {
	return algorithm + "\n" +
		sig.amzDate + "\n" +
		sig.date + "/" + sig.region + "/" + sig.service + "/" + sig.term + "\n" +
		hashHex([]byte(canonicalRequest))
}

// signingKey is step 3: the secret, HMAC'd with the date, region, service
// and terminator in turn.
func signingKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, terminator)
}

// signingKey returns the principal's signing key for date and region. The
// last one derived is kept: a client signs every request of a day in one
// region with the same key, so the four HMACs are paid about once a day.
func (p *Principal) signingKey(date, region string) []byte {
	if k := p.lastKey.Load(); k != nil && k.date == date && k.region == region {
		return k.key
	}
	k := &derivedKey{date: date, region: region, key: signingKey(p.secret, date, region, serviceName)}
	p.lastKey.Store(k)
	return k.key
}

// derivedKey is a signing key and the scope it was derived for.
type derivedKey struct {
	date, region string
	key          []byte
}

// signature is step 4: the hex HMAC of the string to sign with the signing
// key.
func signature(key []byte, stringToSign string) string {
	return hex.EncodeToString(hmacSHA256(key, stringToSign))
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

func hashHex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
