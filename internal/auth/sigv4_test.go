package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/smithy-go"
)

const (
	testKey    = "AKIDEXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	testBody   = `{"domain":"prod","taskList":{"name":"images"},"identity":"w-1"}`
	testTarget = "SimpleWorkflowService.PollForActivityTask"
)

// signTime is when the test requests are signed.
var signTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// testConfig is a credentials file with one principal, "worker", allowed
// everything.
const testConfig = `{
  "accountId": "123456789012",
  "principals": [{
    "name": "worker", "accessKeyId": "` + testKey + `", "secretAccessKey": "` + testSecret + `",
    "policies": [{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "swf:*", "Resource": "*"}}]
  }]
}`

func mustParse(tb testing.TB, doc string) *Config {
	tb.Helper()
	c, err := Parse([]byte(doc))
	if err != nil {
		tb.Fatalf("Parse: %v", err)
	}
	return c
}

// newRequest is a request as the SDK sends it for one SWF call, unsigned.
func newRequest(tb testing.TB, body string) *http.Request {
	tb.Helper()
	r := httptest.NewRequest(http.MethodPost, "http://swf.us-east-1.amazonaws.com/", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-amz-json-1.0")
	r.Header.Set("X-Amz-Target", testTarget)
	return r
}

type signOpts struct {
	key, secret, token, region, service string
	at                                  time.Time
}

func (o signOpts) withDefaults() signOpts {
	if o.key == "" {
		o.key = testKey
	}
	if o.secret == "" {
		o.secret = testSecret
	}
	if o.region == "" {
		o.region = "us-east-1"
	}
	if o.service == "" {
		o.service = "swf"
	}
	if o.at.IsZero() {
		o.at = signTime
	}
	return o
}

// sign signs r in place with aws-sdk-go-v2's signer, as a client would.
func sign(tb testing.TB, r *http.Request, body string, o signOpts) {
	tb.Helper()
	o = o.withDefaults()
	creds := aws.Credentials{AccessKeyID: o.key, SecretAccessKey: o.secret, SessionToken: o.token}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hashHex([]byte(body)), o.service, o.region, o.at); err != nil {
		tb.Fatalf("SignHTTP: %v", err)
	}
}

// presign builds a request from a URL presigned by aws-sdk-go-v2's signer,
// valid for expires seconds (none when 0).
func presign(tb testing.TB, body string, expires int, o signOpts) *http.Request {
	tb.Helper()
	o = o.withDefaults()
	r := newRequest(tb, body)
	if expires > 0 {
		r.URL.RawQuery = url.Values{"X-Amz-Expires": {fmt.Sprint(expires)}}.Encode()
	}
	creds := aws.Credentials{AccessKeyID: o.key, SecretAccessKey: o.secret}
	signedURL, headers, err := v4.NewSigner().PresignHTTP(context.Background(), creds, r, hashHex([]byte(body)), o.service, o.region, o.at)
	if err != nil {
		tb.Fatalf("PresignHTTP: %v", err)
	}
	out := httptest.NewRequest(http.MethodPost, signedURL, strings.NewReader(body))
	for k, v := range headers {
		if k != "Host" {
			out.Header[k] = v
		}
	}
	return out
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	cfg := mustParse(t, testConfig)
	const mismatch = msgSignatureInvalid

	tests := []struct {
		name string
		// build returns the request and the body the server read.
		build     func(t *testing.T) (*http.Request, string)
		now       time.Time // signTime when zero
		wantCode  string    // "" for success
		wantMsg   string    // exact message when set
		wantInMsg string    // a substring of the message when set
	}{
		{
			name: "OK",
			build: func(t *testing.T) (*http.Request, string) {
				r := newRequest(t, testBody)
				sign(t, r, testBody, signOpts{})
				return r, testBody
			},
		},
		{
			name: "OK_OtherRegion",
			build: func(t *testing.T) (*http.Request, string) {
				r := newRequest(t, testBody)
				sign(t, r, testBody, signOpts{region: "eu-west-1"})
				return r, testBody
			},
		},
		{
			name: "OK_EmptyBody",
			build: func(t *testing.T) (*http.Request, string) {
				r := newRequest(t, "")
				sign(t, r, "", signOpts{})
				return r, ""
			},
		},
		{
			name: "OK_14MinutesOld",
			build: func(t *testing.T) (*http.Request, string) {
				r := newRequest(t, testBody)
				sign(t, r, testBody, signOpts{})
				return r, testBody
			},
			now: signTime.Add(14 * time.Minute),
		},
		{
			name: "OK_14MinutesAhead",
			build: func(t *testing.T) (*http.Request, string) {
				r := newRequest(t, testBody)
				sign(t, r, testBody, signOpts{})
				return r, testBody
			},
			now: signTime.Add(-14 * time.Minute),
		},
		{
			// Headers added after signing (Go's transport adds
			// Accept-Encoding, proxies add X-Forwarded-*) are not signed
			// and do not matter.
			name: "OK_UnsignedHeadersAdded",
			build: func(t *testing.T) (*http.Request, string) {
				r := newRequest(t, testBody)
				sign(t, r, testBody, signOpts{})
				r.Header.Set("Accept-Encoding", "gzip")
				r.Header.Set("X-Forwarded-For", "10.0.0.1")
				return r, testBody
			},
		},
		{
			name: "OK_ContentSHA256Header",
			build: func(t *testing.T) (*http.Request, string) {
				r := newRequest(t, testBody)
				r.Header.Set("X-Amz-Content-Sha256", hashHex([]byte(testBody)))
				sign(t, r, testBody, signOpts{})
				return r, testBody
			},
		},
		{
			name: "OK_QueryString",
			build: func(t *testing.T) (*http.Request, string) {
				r := newRequest(t, testBody)
				r.URL.RawQuery = "b=two%20words&a=x%2Fy&a=x-y"
				sign(t, r, testBody, signOpts{})
				return r, testBody
			},
		},
		{
			name: "OK_EscapedPath",
			build: func(t *testing.T) (*http.Request, string) {
				r := httptest.NewRequest(http.MethodPost, "http://localhost:8080/some%20path/x~y", strings.NewReader(testBody))
				r.Header.Set("X-Amz-Target", testTarget)
				sign(t, r, testBody, signOpts{})
				return r, testBody
			},
		},
		{
			name: "ErrWrongSecret",
			build: func(t *testing.T) (*http.Request, string) {
				r := newRequest(t, testBody)
				sign(t, r, testBody, signOpts{secret: "not-the-secret"})
				return r, testBody
			},
			wantCode: CodeInvalidSignature,
			wantMsg:  mismatch,
		},
		{
			name: "ErrUnknownKey",
			build: func(t *testing.T) (*http.Request, string) {
				r := newRequest(t, testBody)
				sign(t, r, testBody, signOpts{key: "AKIDUNKNOWN"})
				return r, testBody
			},
			wantCode: CodeUnrecognizedClient,
			wantMsg:  "The security token included in the request is invalid.",
		},
		{
			name: "ErrExpired",
			build: func(t *testing.T) (*http.Request, string) {
				r := newRequest(t, testBody)
				sign(t, r, testBody, signOpts{})
				return r, testBody
			},
			now:      signTime.Add(17 * time.Minute),
			wantCode: CodeInvalidSignature,
			wantMsg:  "Signature expired: 20260101T000000Z is now earlier than 20260101T000200Z (20260101T001700Z - 15 min.)",
		},
		{
			name: "ErrFuture",
			build: func(t *testing.T) (*http.Request, string) {
				r := newRequest(t, testBody)
				sign(t, r, testBody, signOpts{})
				return r, testBody
			},
			now:      signTime.Add(-17 * time.Minute),
			wantCode: CodeInvalidSignature,
			wantMsg:  "Signature not yet current: 20260101T000000Z is still later than 20251231T235800Z (20251231T234300Z + 15 min.)",
		},
		{
			name: "ErrTamperedBody",
			build: func(t *testing.T) (*http.Request, string) {
				r := newRequest(t, testBody)
				sign(t, r, testBody, signOpts{})
				return r, strings.Replace(testBody, "prod", "test", 1)
			},
			wantCode: CodeInvalidSignature,
			wantMsg:  mismatch,
		},
		{
			name: "ErrTamperedBodyWithContentSHA256",
			build: func(t *testing.T) (*http.Request, string) {
				r := newRequest(t, testBody)
				r.Header.Set("X-Amz-Content-Sha256", hashHex([]byte(testBody)))
				sign(t, r, testBody, signOpts{})
				return r, strings.Replace(testBody, "prod", "test", 1)
			},
			wantCode: CodeInvalidSignature,
			wantMsg:  "The provided 'x-amz-content-sha256' header does not match what was computed.",
		},
		{
			name: "ErrTamperedSignedHeader",
			build: func(t *testing.T) (*http.Request, string) {
				r := newRequest(t, testBody)
				sign(t, r, testBody, signOpts{})
				r.Header.Set("X-Amz-Target", "SimpleWorkflowService.TerminateWorkflowExecution")
				return r, testBody
			},
			wantCode: CodeInvalidSignature,
			wantMsg:  mismatch,
		},
		{
			name: "ErrTamperedHost",
			build: func(t *testing.T) (*http.Request, string) {
				r := newRequest(t, testBody)
				sign(t, r, testBody, signOpts{})
				r.Host = "swf.internal:8080"
				return r, testBody
			},
			wantCode: CodeInvalidSignature,
			wantMsg:  mismatch,
		},
		{
			name: "ErrTamperedQuery",
			build: func(t *testing.T) (*http.Request, string) {
				r := newRequest(t, testBody)
				sign(t, r, testBody, signOpts{})
				r.URL.RawQuery = "extra=1"
				return r, testBody
			},
			wantCode: CodeInvalidSignature,
			wantMsg:  mismatch,
		},
		{
			name: "ErrMissingAuthorization",
			build: func(t *testing.T) (*http.Request, string) {
				return newRequest(t, testBody), testBody
			},
			wantCode: CodeMissingAuthenticationToken,
			wantMsg:  "Request is missing Authentication Token",
		},
		{
			name: "ErrNotSigV4Authorization",
			build: func(t *testing.T) (*http.Request, string) {
				r := newRequest(t, testBody)
				r.Header.Set("Authorization", "Basic d29ya2VyOnNlY3JldA==")
				return r, testBody
			},
			wantCode: CodeMissingAuthenticationToken,
		},
		{
			name: "ErrMalformedAuthorization",
			build: func(t *testing.T) (*http.Request, string) {
				r := newRequest(t, testBody)
				r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+testKey+"/20260101/us-east-1/swf/aws4_request")
				return r, testBody
			},
			wantCode: CodeIncompleteSignature,
			wantMsg: "Authorization header requires 'Signature' parameter. " +
				"Authorization header requires 'SignedHeaders' parameter. " +
				"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. " +
				"Authorization=AWS4-HMAC-SHA256 Credential=" + testKey + "/20260101/us-east-1/swf/aws4_request",
		},
		{
			name: "ErrMissingEqualSign",
			build: func(t *testing.T) (*http.Request, string) {
				r := newRequest(t, testBody)
				sign(t, r, testBody, signOpts{})
				r.Header.Set("Authorization", r.Header.Get("Authorization")+", Extra")
				return r, testBody
			},
			wantCode:  CodeIncompleteSignature,
			wantInMsg: "'Extra' not a valid key=value pair (missing equal-sign) in Authorization header",
		},
		{
			name: "ErrUnsupportedAlgorithm",
			build: func(t *testing.T) (*http.Request, string) {
				r := newRequest(t, testBody)
				sign(t, r, testBody, signOpts{})
				r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "SHA256", "SHA512", 1))
				return r, testBody
			},
			wantCode: CodeIncompleteSignature,
			wantMsg:  "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now).",
		},
		{
			name: "ErrCredentialParts",
			build: func(t *testing.T) (*http.Request, string) {
				r := newRequest(t, testBody)
				sign(t, r, testBody, signOpts{})
				r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/swf/aws4_request", "/swf", 1))
				return r, testBody
			},
			wantCode: CodeIncompleteSignature,
			wantMsg:  "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '" + testKey + "/20260101/us-east-1/swf'",
		},
		{
			name: "ErrWrongService",
			build: func(t *testing.T) (*http.Request, string) {
				r := newRequest(t, testBody)
				sign(t, r, testBody, signOpts{service: "dynamodb"})
				return r, testBody
			},
			wantCode: CodeInvalidSignature,
			wantMsg:  "Credential should be scoped to correct service: 'swf'.",
		},
		{
			name: "ErrScopeDate",
			build: func(t *testing.T) (*http.Request, string) {
				r := newRequest(t, testBody)
				sign(t, r, testBody, signOpts{})
				r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/20260101/", "/20251231/", 1))
				return r, testBody
			},
			wantCode: CodeInvalidSignature,
			wantMsg:  "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20251231' != '20260101', from '20260101T000000Z'.",
		},
		{
			name: "ErrHostNotSigned",
			build: func(t *testing.T) (*http.Request, string) {
				r := newRequest(t, testBody)
				sign(t, r, testBody, signOpts{})
				auth := r.Header.Get("Authorization")
				i := strings.Index(auth, "SignedHeaders=")
				j := strings.Index(auth, ", Signature=")
				r.Header.Set("Authorization", auth[:i]+"SignedHeaders=x-amz-date;x-amz-target"+auth[j:])
				return r, testBody
			},
			wantCode: CodeInvalidSignature,
			wantMsg:  "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
		},
		{
			name: "ErrBadDate",
			build: func(t *testing.T) (*http.Request, string) {
				r := newRequest(t, testBody)
				sign(t, r, testBody, signOpts{})
				r.Header.Set("X-Amz-Date", "2026-01-01")
				return r, testBody
			},
			wantCode: CodeIncompleteSignature,
			wantMsg:  "Date must be in ISO-8601 'basic format'. Got '2026-01-01'. See http://en.wikipedia.org/wiki/ISO_8601",
		},
		{
			// Without X-Amz-Date, the Date header gives the signing time.
			name: "ErrDateHeaderStale",
			build: func(t *testing.T) (*http.Request, string) {
				r := newRequest(t, testBody)
				sign(t, r, testBody, signOpts{})
				r.Header.Del("X-Amz-Date")
				r.Header.Set("Date", signTime.Format(http.TimeFormat))
				return r, testBody
			},
			now:       signTime.Add(time.Hour),
			wantCode:  CodeInvalidSignature,
			wantInMsg: "Signature expired: 20260101T000000Z is now earlier than",
		},
		{
			name: "ErrSessionToken",
			build: func(t *testing.T) (*http.Request, string) {
				r := newRequest(t, testBody)
				sign(t, r, testBody, signOpts{token: "FwoGZXIvYXdzEXAMPLE"})
				return r, testBody
			},
			wantCode: CodeUnrecognizedClient,
		},
		{
			name: "OK_Presigned",
			build: func(t *testing.T) (*http.Request, string) {
				return presign(t, testBody, 300, signOpts{}), testBody
			},
			now: signTime.Add(4 * time.Minute),
		},
		{
			name: "OK_PresignedWithoutExpires",
			build: func(t *testing.T) (*http.Request, string) {
				return presign(t, testBody, 0, signOpts{}), testBody
			},
			now: signTime.Add(10 * time.Minute),
		},
		{
			name: "ErrPresignedWrongSecret",
			build: func(t *testing.T) (*http.Request, string) {
				return presign(t, testBody, 300, signOpts{secret: "not-the-secret"}), testBody
			},
			wantCode: CodeInvalidSignature,
			wantMsg:  mismatch,
		},
		{
			name: "ErrPresignedExpired",
			build: func(t *testing.T) (*http.Request, string) {
				return presign(t, testBody, 60, signOpts{}), testBody
			},
			now:      signTime.Add(2 * time.Minute),
			wantCode: CodeInvalidSignature,
			wantMsg:  "Signature expired: 20260101T000000Z is now earlier than 20260101T000100Z (20260101T000200Z - 60 sec.)",
		},
		{
			name: "ErrPresignedTamperedQuery",
			build: func(t *testing.T) (*http.Request, string) {
				r := presign(t, testBody, 300, signOpts{})
				r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "X-Amz-Expires=300", "X-Amz-Expires=600", 1)
				return r, testBody
			},
			wantCode: CodeInvalidSignature,
			wantMsg:  mismatch,
		},
		{
			name: "ErrPresignedMissingParameter",
			build: func(t *testing.T) (*http.Request, string) {
				r := presign(t, testBody, 300, signOpts{})
				q := r.URL.Query()
				q.Del("X-Amz-Credential")
				r.URL.RawQuery = q.Encode()
				return r, testBody
			},
			wantCode: CodeIncompleteSignature,
			wantMsg:  "AWS query-string parameters must include 'X-Amz-Credential'. Re-examine the query-string parameters.",
		},
		{
			name: "ErrPresignedAndAuthorization",
			build: func(t *testing.T) (*http.Request, string) {
				r := presign(t, testBody, 300, signOpts{})
				r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=x")
				return r, testBody
			},
			wantCode:  CodeIncompleteSignature,
			wantInMsg: "Only one auth mechanism allowed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, body := tt.build(t)
			now := tt.now
			if now.IsZero() {
				now = signTime
			}
			p, err := cfg.Authenticate(r, []byte(body), now)
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("Authenticate: got error %v, want principal worker", err)
				}
				if p.Name() != "worker" {
					t.Fatalf("Authenticate: got principal %q, want worker", p.Name())
				}
				return
			}
			if p != nil {
				t.Fatalf("Authenticate: got principal %q, want error %s", p.Name(), tt.wantCode)
			}
			var ae *Error
			if !errors.As(err, &ae) {
				t.Fatalf("Authenticate: got error %v (%T), want *auth.Error", err, err)
			}
			if ae.Code != tt.wantCode {
				t.Errorf("Code: got %s, want %s (message %q)", ae.Code, tt.wantCode, ae.Message)
			}
			wantStatus := http.StatusBadRequest
			if tt.wantCode == CodeMissingAuthenticationToken {
				wantStatus = http.StatusForbidden
			}
			if ae.Status != wantStatus {
				t.Errorf("Status: got %d, want %d", ae.Status, wantStatus)
			}
			if tt.wantMsg != "" && ae.Message != tt.wantMsg {
				t.Errorf("Message:\n got %q\nwant %q", ae.Message, tt.wantMsg)
			}
			if tt.wantInMsg != "" && !strings.Contains(ae.Message, tt.wantInMsg) {
				t.Errorf("Message: got %q, want it to contain %q", ae.Message, tt.wantInMsg)
			}
		})
	}
}

// TestAuthenticateSDKClient sends real calls with the aws-sdk-go-v2 SWF
// client to a server that authenticates them, so that every header the SDK
// and Go's transport put on the wire (User-Agent, amz-sdk-invocation-id,
// Accept-Encoding, ...) goes through the verifier.
func TestAuthenticateSDKClient(t *testing.T) {
	t.Parallel()
	cfg := mustParse(t, testConfig)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		if _, err := cfg.Authenticate(r, body, time.Now()); err != nil {
			var ae *Error
			errors.As(err, &ae)
			w.WriteHeader(ae.Status)
			fmt.Fprintf(w, `{"__type":"com.amazon.coral.service#%s","message":%q}`, ae.Code, ae.Message)
			return
		}
		io.WriteString(w, `{"cancelRequested":false}`)
	}))
	t.Cleanup(srv.Close)

	tests := []struct {
		name     string
		secret   string
		wantCode string
	}{
		{name: "OK", secret: testSecret},
		{name: "ErrWrongSecret", secret: "not-the-secret", wantCode: CodeInvalidSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			client := swf.New(swf.Options{
				Region:           "us-east-1",
				BaseEndpoint:     aws.String(srv.URL),
				Credentials:      aws.NewCredentialsCache(staticCredentials{testKey, tt.secret}),
				RetryMaxAttempts: 1,
			})
			_, err := client.RecordActivityTaskHeartbeat(context.Background(), &swf.RecordActivityTaskHeartbeatInput{
				TaskToken: aws.String("token"),
				Details:   aws.String("50%  done,  with   spaces"),
			})
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("RecordActivityTaskHeartbeat: %v", err)
				}
				return
			}
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("RecordActivityTaskHeartbeat: got %v, want API error %s", err, tt.wantCode)
			}
			if apiErr.ErrorCode() != tt.wantCode {
				t.Fatalf("error code: got %s, want %s", apiErr.ErrorCode(), tt.wantCode)
			}
		})
	}
}

type staticCredentials struct{ key, secret string }

func (s staticCredentials) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: s.key, SecretAccessKey: s.secret, Source: "test"}, nil
}

// TestCanonicalRequest pins the canonicalisation on a request whose every
// part needs care: a path to escape twice, repeated and unsorted query
// parameters, header values with runs of spaces, a repeated header.
func TestCanonicalRequest(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest(http.MethodPost, "http://example.com:8080/a%20b/c?z=1&a=x%2Fy&a=x-y&sp=two%20words", strings.NewReader("x"))
	r.Header.Set("X-Amz-Date", "20260101T000000Z")
	r.Header.Set("X-Amz-Target", "  SimpleWorkflowService.Op   with  spaces ")
	r.Header.Add("X-Multi", "one")
	r.Header.Add("X-Multi", "two")
	query, _ := url.ParseQuery(r.URL.RawQuery)
	sig := signed{signedHeaders: "content-length;host;x-amz-date;x-amz-target;x-multi"}
	got := canonicalRequest(r, query, sig, hashHex([]byte("x")))
	want := "POST\n" +
		"/a%2520b/c\n" +
		"a=x%2Fy&a=x-y&sp=two%20words&z=1\n" +
		"content-length:1\n" +
		"host:example.com:8080\n" +
		"x-amz-date:20260101T000000Z\n" +
		"x-amz-target:SimpleWorkflowService.Op with spaces\n" +
		"x-multi:one,two\n" +
		"\n" +
		"content-length;host;x-amz-date;x-amz-target;x-multi\n" +
		hashHex([]byte("x"))
	if got != want {
		t.Fatalf("canonicalRequest:\n got %q\nwant %q", got, want)
	}
}

// TestSignatureSpecExample checks signingKey and signature against the
// worked example of the SigV4 documentation (IAM user guide, "Examples of
// how to derive a signing key").
func TestSignatureSpecExample(t *testing.T) {
	t.Parallel()
	key := signingKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam")
	const want = "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
	if got := fmt.Sprintf("%x", key); got != want {
		t.Fatalf("signingKey: got %s, want %s", got, want)
	}
}

func BenchmarkAuthenticate(b *testing.B) {
	cfg := mustParse(b, testConfig)
	r := newRequest(b, testBody)
	sign(b, r, testBody, signOpts{})
	body := []byte(testBody)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cfg.Authenticate(r, body, signTime); err != nil {
			b.Fatal(err)
		}
	}
}

// TestAWSCLI runs the AWS CLI, which signs with botocore rather than the Go
// SDK, against a server that authenticates with ExampleCredentials: the
// right secret gets through and a wrong one gets AWS's message. It is
// skipped when the CLI is not installed, and with -short.
func TestAWSCLI(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs the AWS CLI")
	}
	aws, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the AWS CLI is not installed")
	}
	cfg := mustParse(t, ExampleCredentials)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		if _, err := cfg.Authenticate(r, body, time.Now()); err != nil {
			var ae *Error
			errors.As(err, &ae)
			w.WriteHeader(ae.Status)
			fmt.Fprintf(w, `{"__type":"com.amazon.coral.service#%s","message":%q}`, ae.Code, ae.Message)
			return
		}
		io.WriteString(w, `{"domainInfos":[]}`)
	}))
	t.Cleanup(srv.Close)

	tests := []struct {
		name    string
		secret  string
		wantOut string
		wantErr bool
	}{
		{name: "OK", secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", wantOut: `"domainInfos": []`},
		{name: "ErrWrongSecret", secret: "wrong", wantErr: true,
			wantOut: "An error occurred (InvalidSignatureException) when calling the ListDomains operation: " + msgSignatureInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(aws, "swf", "list-domains", "--registration-status", "REGISTERED",
				"--endpoint-url", srv.URL, "--region", "eu-west-1", "--output", "json")
			for _, kv := range os.Environ() { // none of the user's AWS settings
				if !strings.HasPrefix(kv, "AWS_") {
					cmd.Env = append(cmd.Env, kv)
				}
			}
			cmd.Env = append(cmd.Env,
				"AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY="+tt.secret,
				"AWS_CONFIG_FILE="+os.DevNull, "AWS_SHARED_CREDENTIALS_FILE="+os.DevNull, "AWS_MAX_ATTEMPTS=1")
			out, err := cmd.CombinedOutput()
			if (err != nil) != tt.wantErr {
				t.Fatalf("aws swf list-domains: got error %v, want error %v\n%s", err, tt.wantErr, out)
			}
			if !strings.Contains(string(out), tt.wantOut) {
				t.Fatalf("aws swf list-domains: got\n%s\nwant it to contain %q", out, tt.wantOut)
			}
		})
	}
}

func TestCredentialRegion(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ header, query, want string }{
		{"AWS4-HMAC-SHA256 Credential=AKID/20261201/eu-west-1/swf/aws4_request, SignedHeaders=host, Signature=abc", "", "eu-west-1"},
		{"AWS4-HMAC-SHA256 Credential=AKID/20261201/us-gov-west-1/swf/aws4_request,SignedHeaders=host", "", "us-gov-west-1"},
		{"", "X-Amz-Credential=AKID%2F20261201%2Fap-south-2%2Fswf%2Faws4_request", "ap-south-2"},
		{"", "", ""},
		{"AWS4-HMAC-SHA256 Credential=AKID/20261201/EU_WEST/swf/aws4_request", "", ""},
		{"AWS4-HMAC-SHA256 Credential=AKID/eu-west-1/swf", "", ""},
		{"Basic dXNlcjpwYXNz", "", ""},
	} {
		r := httptest.NewRequest(http.MethodPost, "/?"+tc.query, nil)
		if tc.header != "" {
			r.Header.Set("Authorization", tc.header)
		}
		if got := CredentialRegion(r); got != tc.want {
			t.Errorf("header %q query %q: got %q, want %q", tc.header, tc.query, got, tc.want)
		}
	}
}
