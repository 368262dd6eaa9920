package e2e

import (
	"context"
	"strings"
	"testing"

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

	out := serverRefuses(t, dir)
	if !strings.Contains(out, "in use") || !strings.Contains(out, "another swf server") {
		t.Fatalf("second server said\n%s\nwant it to say the data directory is in use by another swf server", out)
	}
	if _, err := newClient(first.url).ListDomains(context.Background(), &swf.ListDomainsInput{RegistrationStatus: types.RegistrationStatusRegistered}); err != nil {
		t.Fatalf("the first server stopped serving: %v", err)
	}
	first.kill()
	startServer(t, dir)
}
