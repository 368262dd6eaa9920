package wire

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
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
