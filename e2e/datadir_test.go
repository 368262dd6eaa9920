package e2e

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"
)

// TestSecondServerRefused: a second `swf server` on a data directory that a
// running one owns must not start (two in-memory states over one database
// would hand out the same tasks and fire the same timers twice). It exits
// with a message that says why; the first keeps serving, and once it is
// killed the directory can be taken again.
func TestSecondServerRefused(t *testing.T) {
	skipIfShort(t)
	t.Parallel()
	dir := t.TempDir()
	first := startServer(t, dir)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, swfBinary, "server", "--listen", "127.0.0.1:0", "--data-dir", dir).CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("second server: %v, want exit status 1\n%s", err, out)
	}
	if !strings.Contains(string(out), "in use") || !strings.Contains(string(out), "another swf server") {
		t.Fatalf("second server said\n%s\nwant it to say the data directory is in use by another swf server", out)
	}
	if _, err := newClient(first.url).ListDomains(ctx, &swf.ListDomainsInput{RegistrationStatus: types.RegistrationStatusRegistered}); err != nil {
		t.Fatalf("the first server stopped serving: %v", err)
	}
	first.kill()
	startServer(t, dir)
}
