package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsswf "github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"
)

// With a certificate and key the server speaks HTTPS, and an SDK client
// that trusts the certificate works against it.
func TestTLS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certPEM, keyPEM := selfSigned(t)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Listen: "127.0.0.1:0", DataDir: filepath.Join(dir, "data"), TLSCertFile: certFile, TLSKeyFile: keyFile,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	serve(t, srv)
	if !strings.HasPrefix(srv.URL(), "https://") {
		t.Fatalf("got URL %s, want https", srv.URL())
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	client := awsswf.New(awsswf.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL()), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		HTTPClient:  &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}},
	})
	if _, err := client.ListDomains(t.Context(), &awsswf.ListDomainsInput{RegistrationStatus: types.RegistrationStatusRegistered}); err != nil {
		t.Fatalf("ListDomains over TLS: %v", err)
	}
	// Plain HTTP to the TLS port is refused.
	resp, err := http.Post("http://"+srv.Addr(), "application/x-amz-json-1.0", strings.NewReader("{}"))
	if err == nil {
		defer resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatal("got 200 over plain HTTP, want the TLS server to refuse it")
		}
	}
}

func TestTLSNeedsBothFiles(t *testing.T) {
	t.Parallel()
	_, err := New(Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), TLSCertFile: "cert.pem"})
	if err == nil || !strings.Contains(err.Error(), "certificate and a key") {
		t.Fatalf("got %v, want an error asking for both files", err)
	}
}

func TestNonLoopbackNeedsAuthOrOpen(t *testing.T) {
	t.Parallel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	_, err := New(Config{Listen: "0.0.0.0:0", DataDir: t.TempDir(), Log: quiet})
	if err == nil || !strings.Contains(err.Error(), "refusing to listen") {
		t.Fatalf("got %v, want a refusal without --auth", err)
	}
	srv, err := New(Config{Listen: "0.0.0.0:0", DataDir: t.TempDir(), Open: true, Log: quiet})
	if err != nil {
		t.Fatalf("got %v with Open, want the server to start", err)
	}
	srv.Close()
}

func selfSigned(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "openswf test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}
