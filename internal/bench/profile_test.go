package bench

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openswf/openswf/internal/auth"
	"github.com/openswf/openswf/internal/server"
)

// A server started with --auth refuses the bench's fixed keys; with
// --profile the bench signs as that profile's principal and runs.
func TestProfileSignsForAuthServer(t *testing.T) {
	cfg, err := auth.Parse([]byte(`{"accountId": "123456789012", "principals": [
		{"name": "bench", "accessKeyId": "AKIDBENCHPROFILE", "secretAccessKey": "bench-profile-secret",
		 "policies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "swf:*", "Resource": "*"}]}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), Auth: cfg, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	defer srv.Close()

	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", write("credentials", "[bench]\naws_access_key_id = AKIDBENCHPROFILE\naws_secret_access_key = bench-profile-secret\n"))
	t.Setenv("AWS_CONFIG_FILE", write("config", "[profile bench]\nregion = us-east-1\n"))
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"} {
		t.Setenv(k, "")
	}

	run := func(profile string) (*Report, error) {
		o := Options{
			Scenario: "heartbeat", Targets: []string{srv.URL()}, Tasks: 4, Concurrency: []int{1},
			Duration: 300 * time.Millisecond, Warmup: -1, TempDir: t.TempDir(), Quiet: true,
			Stdout: io.Discard, Stderr: io.Discard, Profile: profile,
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return Run(ctx, o)
	}
	if _, err := run(""); err == nil || !strings.Contains(err.Error(), "UnrecognizedClientException") {
		t.Fatalf("fixed keys against an --auth server: got %v, want a refusal", err)
	}
	if _, err := run("missing"); err == nil || !strings.Contains(err.Error(), "profile missing") {
		t.Fatalf("unknown profile: got %v, want an error naming it", err)
	}
	rep, err := run("bench")
	if err != nil {
		t.Fatalf("with --profile bench: %v", err)
	}
	if r := rep.Results[0].Runs[0]; r.Count == 0 || len(r.Errors) > 0 {
		t.Fatalf("with --profile bench: %d calls, errors %v", r.Count, r.Errors)
	}
}
