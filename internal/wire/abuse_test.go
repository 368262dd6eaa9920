package wire

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/openswf/openswf/internal/auth"
	"github.com/openswf/openswf/internal/swf"
)

// TestBadSignatureRefusedFirst: with signatures required, a request
// whose signature fails is refused as such before its body is decoded or
// the engine is called, whatever the body holds; the same bodies signed
// correctly get the body's own fault. A flood of bad signatures costs the
// body read, one SHA-256 and the HMAC chain, nothing more.
func TestBadSignatureRefusedFirst(t *testing.T) {
	t.Parallel()
	creds, err := auth.Parse([]byte(`{"accountId": "123456789012", "principals": [{"name": "w", "accessKeyId": "AKID",
		"secretAccessKey": "SECRET", "policies": [{"Statement": {"Effect": "Allow", "Action": "swf:*", "Resource": "*"}}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	b := setup(t, swf.DefaultLimits())
	b.handler.(*Handler).RequireSignatures(creds, time.Now)
	sign := func(body, key, secret string) *http.Request {
		r := request("DescribeDomain", body)
		sum := sha256.Sum256([]byte(body))
		if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: key, SecretAccessKey: secret},
			r, hex.EncodeToString(sum[:]), "swf", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		return r
	}
	nested := `{"name":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`
	for name, body := range map[string]string{"nested 10,000 deep": nested, "not JSON": `{"name":`} {
		for who, key := range map[string][2]string{
			"wrong secret": {"AKID", "not-the-secret"},
			"unknown key":  {"AKIDUNKNOWN", "SECRET"},
		} {
			a := b.do(t, sign(body, key[0], key[1]))
			if a.Status != http.StatusBadRequest && a.Status != http.StatusForbidden || !strings.Contains(a.Type, "Signature") && !strings.Contains(a.Type, "UnrecognizedClient") {
				t.Errorf("%s, %s: got %d %s (%q), want the signature refused", name, who, a.Status, a.Type, a.Msg)
			}
		}
		a := b.do(t, sign(body, "AKID", "SECRET"))
		if !strings.HasSuffix(a.Type, "SerializationException") {
			t.Errorf("%s, signed: got %d %s (%q), want SerializationException", name, a.Status, a.Type, a.Msg)
		}
	}
	if n := b.eng.calls.Load(); n != 0 {
		t.Fatalf("got %d engine calls, want 0", n)
	}
}

// TestFaultLinesBounded: a flood of bad requests writes at most
// faultLinesPerSecond WARN lines a second, and the next line written says
// how many were left out, so that lines written plus left out count every
// fault.
func TestFaultLinesBounded(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	eng := &fakeEngine{}
	h, err := New(eng, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn})), swf.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	b := &testBundle{eng: eng, handler: h, log: logs}
	const flood = 500
	start := time.Now()
	for range flood {
		b.call(t, "DescribeDomain", `{"name":`)
	}
	if time.Since(start) > 900*time.Millisecond {
		t.Skip("the flood took most of a second: too slow a machine to count lines per second")
	}
	time.Sleep(time.Until(time.Unix(time.Now().Unix()+1, 0)))
	b.call(t, "DescribeDomain", `{"name":`)
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) > 2*faultLinesPerSecond+1 {
		t.Fatalf("%d faults wrote %d lines, want at most %d a second", flood+1, len(lines), faultLinesPerSecond)
	}
	if last := lines[len(lines)-1]; !strings.Contains(last, "fault_lines_left_out=") {
		t.Fatalf("the line after the flood does not say how many were left out: %s", last)
	}
	// A flood across a second's end is said in two lines.
	left := 0
	for _, line := range lines {
		if _, after, ok := strings.Cut(line, "fault_lines_left_out="); ok {
			n, err := strconv.Atoi(strings.Fields(after + " ")[0])
			if err != nil {
				t.Fatalf("fault_lines_left_out is not a number: %s", line)
			}
			left += n
		}
	}
	if got := len(lines) + left; got != flood+1 {
		t.Errorf("%d lines written + %d left out = %d, want every one of the %d faults", len(lines), left, got, flood+1)
	}
}

// TestLineLimiter: faultLinesPerSecond lines a second pass; the first to
// pass after some were left out says how many, across seconds.
func TestLineLimiter(t *testing.T) {
	var l lineLimiter
	t0 := time.Unix(1000, 0)
	for i := range faultLinesPerSecond {
		if ok, dropped := l.allow(t0.Add(time.Duration(i) * time.Millisecond)); !ok || dropped != 0 {
			t.Fatalf("line %d: got %v, %d left out; want it written", i, ok, dropped)
		}
	}
	for range 5 {
		if ok, _ := l.allow(t0.Add(900 * time.Millisecond)); ok {
			t.Fatalf("line %d of a second passed", faultLinesPerSecond+1)
		}
	}
	if ok, dropped := l.allow(t0.Add(time.Second)); !ok || dropped != 5 {
		t.Fatalf("first line of the next second: got %v, %d left out; want it written, saying 5", ok, dropped)
	}
	if ok, dropped := l.allow(t0.Add(time.Second + time.Millisecond)); !ok || dropped != 0 {
		t.Fatalf("second line of the next second: got %v, %d left out; want it written, saying nothing", ok, dropped)
	}
}
