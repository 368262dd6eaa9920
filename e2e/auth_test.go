package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openswf/openswf/internal/auth"
)

// TestAWSCLIWithAuth runs `swf server --auth FILE` and drives it with the
// AWS CLI through configured profiles: the right secret works, a wrong one
// fails with AWS's message, and a principal is held to its policy.
func TestAWSCLIWithAuth(t *testing.T) {
	skipIfShort(t)
	t.Parallel()
	requireAWSCLI(t)
	dir := t.TempDir()
	creds := filepath.Join(dir, "credentials.json")
	// ExampleCredentials gives docs/security.md's worker and decider
	// policies to two principals; add an administrator to set things up.
	file := strings.Replace(auth.ExampleCredentials, `"principals": [`, `"principals": [
    {"name": "admin", "accessKeyId": "ADMINKEY", "secretAccessKey": "admin-secret",
     "policies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "swf:*", "Resource": "*"}]}]},`, 1)
	if err := os.WriteFile(creds, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, filepath.Join(dir, "data"), "--auth", creds)

	cli := newAWSCLI(t, srv.url)
	profiles := filepath.Join(dir, "aws-credentials")
	if err := os.WriteFile(profiles, []byte(`[admin]
aws_access_key_id = ADMINKEY
aws_secret_access_key = admin-secret
[wrong]
aws_access_key_id = ADMINKEY
aws_secret_access_key = not-the-secret
[worker]
aws_access_key_id = AKIAIOSFODNN7EXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
`), 0o600); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range cli.env {
		if !strings.HasPrefix(kv, "AWS_ACCESS_KEY_ID=") && !strings.HasPrefix(kv, "AWS_SECRET_ACCESS_KEY=") && !strings.HasPrefix(kv, "AWS_SHARED_CREDENTIALS_FILE=") {
			env = append(env, kv)
		}
	}
	cli.env = append(env, "AWS_SHARED_CREDENTIALS_FILE="+profiles)

	cli.run(nil, "register-domain", "--name", "prod", "--workflow-execution-retention-period-in-days", "1", "--profile", "admin")
	var domains struct {
		DomainInfos []struct{ Name string } `json:"domainInfos"`
	}
	cli.run(&domains, "list-domains", "--registration-status", "REGISTERED", "--profile", "admin")
	if len(domains.DomainInfos) != 1 || domains.DomainInfos[0].Name != "prod" {
		t.Fatalf("got %+v, want domain prod", domains)
	}
	_, err := cli.try("list-domains", "--registration-status", "REGISTERED", "--profile", "wrong")
	if err == nil || !strings.Contains(err.Error(), "An error occurred (InvalidSignatureException) when calling the ListDomains operation: The request signature we calculated does not match") {
		t.Fatalf("got %v, want the CLI's InvalidSignatureException message", err)
	}
	// The worker may poll in prod, but not list domains nor work elsewhere.
	cli.fault("OperationNotPermittedFault", "list-domains", "--registration-status", "REGISTERED", "--profile", "worker")
	cli.run(nil, "register-domain", "--name", "staging", "--workflow-execution-retention-period-in-days", "1", "--profile", "admin")
	cli.fault("OperationNotPermittedFault", "count-pending-activity-tasks", "--domain", "staging", "--task-list", "name=images", "--profile", "worker")
	cli.fault("OperationNotPermittedFault", "start-workflow-execution", "--domain", "prod", "--workflow-id", "w", "--workflow-type", "name=x,version=1", "--profile", "worker")
}

// TestUnsafeListenRefused: without --auth, a non-loopback address is refused
// unless --open says so.
func TestUnsafeListenRefused(t *testing.T) {
	skipIfShort(t)
	t.Parallel()
	out, err := runSwf(t, "server", "--listen", "0.0.0.0:0", "--data-dir", t.TempDir())
	if err == nil || !strings.Contains(out, "refusing to listen") {
		t.Fatalf("got %v:\n%s\nwant a refusal to listen beyond loopback without --auth", err, out)
	}
}
