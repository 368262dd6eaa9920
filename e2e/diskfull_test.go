package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"
)

// smallFS mounts a tmpfs of size bytes on a new directory and unmounts it
// at the end of the test. Mounting needs root (or CAP_SYS_ADMIN): without
// it the test skips, and fails under CI=true.
func smallFS(t *testing.T, size int) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		missingTool(t, "mount -t tmpfs (a small file system to fill; needs root): %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// fill writes a file at path until the file system is full, then gives
// room bytes back.
func fill(t *testing.T, path string, room int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill %s: %v", path, err)
			}
			st, err := f.Stat()
			if err == nil {
				err = f.Truncate(max(0, st.Size()-room))
			}
			if err != nil {
				t.Fatal(err)
			}
			return
		}
	}
}

// TestDiskFull runs swf server on a small file system and fills it. The
// call whose write fails gets a 503 ServiceUnavailableException saying that
// storage failed and why; from then on every call gets one; the server
// exits 70 by itself. Once there is room again, a restart serves the same
// state: every acknowledged signal is in the history once, the refused one
// is not, and new calls work.
func TestDiskFull(t *testing.T) {
	skipIfShort(t)
	t.Parallel()
	fs := smallFS(t, 4<<20)
	dataDir := filepath.Join(fs, "data")
	srv := startServer(t, dataDir)
	c := newClient(srv.url)
	ctx := context.Background()
	registerCrashTypes(t, c)
	run, err := c.StartWorkflowExecution(ctx, &swf.StartWorkflowExecutionInput{
		Domain: aws.String(crashDomain), WorkflowId: aws.String("full"),
		WorkflowType: &types.WorkflowType{Name: aws.String("loop"), Version: aws.String("1")},
	})
	if err != nil {
		t.Fatal(err)
	}
	fill(t, filepath.Join(fs, "filler"), 256<<10)

	// Signals of 30 KB each, until one is refused: the first few fit in
	// the room left, then SQLite cannot grow its WAL.
	signal := func(c *swf.Client, n int) error {
		_, err := c.SignalWorkflowExecution(ctx, &swf.SignalWorkflowExecutionInput{
			Domain: aws.String(crashDomain), WorkflowId: aws.String("full"), SignalName: aws.String("s"),
			Input: aws.String(fmt.Sprintf("%06d", n) + strings.Repeat("x", 30000)),
		})
		return err
	}
	acked := 0
	for ; ; acked++ {
		err = signal(c, acked)
		if err != nil {
			break
		}
		if acked == 500 {
			t.Fatal("500 signals of 30 KB fit on a 4 MiB file system that was full")
		}
	}
	refused := acked
	if acked == 0 {
		t.Error("no signal was acknowledged before the disk was full: nothing to check survives")
	}
	wantStorageFault(t, err, "database or disk is full")
	t.Logf("%d signals acknowledged, then: %v", acked, err)
	// Until it is gone, the server refuses everything, reads included.
	if _, err := c.DescribeWorkflowExecution(ctx, &swf.DescribeWorkflowExecutionInput{
		Domain: aws.String(crashDomain), Execution: &types.WorkflowExecution{WorkflowId: aws.String("full"), RunId: run.RunId},
	}); err != nil && isFault(err) {
		wantStorageFault(t, err, "")
	} else if err == nil {
		t.Error("DescribeWorkflowExecution answered after storage failed")
	}

	select {
	case <-srv.exited:
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not stop within 30 s of the failed write")
	}
	srv.killed = true // it ended itself: its exit status is checked here
	var exit *exec.ExitError
	if !errors.As(srv.waitErr, &exit) || exit.ExitCode() != 70 {
		t.Fatalf("the server exited with %v, want exit status 70", srv.waitErr)
	}
	if !strings.Contains(srv.log.String(), "stopping because storage failed") {
		t.Errorf("the server's log does not say it stopped because storage failed:\n%s", srv.log)
	}

	// The fault clears; the restarted server has what it acknowledged.
	if err := os.Remove(filepath.Join(fs, "filler")); err != nil {
		t.Fatal(err)
	}
	srv2 := startServer(t, dataDir)
	c = newClient(srv2.url)
	if err := signal(c, refused+1); err != nil {
		t.Fatalf("after the restart, a signal: %v", err)
	}
	events, err := history(ctx, c, crashDomain, &types.WorkflowExecution{WorkflowId: aws.String("full"), RunId: run.RunId})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range wellFormed(events) {
		t.Error(p)
	}
	seen := map[int]int{}
	for _, ev := range eventsOf(events, types.EventTypeWorkflowExecutionSignaled) {
		var n int
		fmt.Sscanf(aws.ToString(ev.WorkflowExecutionSignaledEventAttributes.Input)[:6], "%d", &n)
		seen[n]++
	}
	for n := range acked {
		if seen[n] != 1 {
			t.Errorf("acknowledged signal %d is in the history %d times, want once", n, seen[n])
		}
	}
	if seen[refused] != 0 {
		t.Errorf("the signal refused when the disk was full is in the history %d times, want none", seen[refused])
	}
	if seen[refused+1] != 1 {
		t.Errorf("the signal after the restart is in the history %d times, want once", seen[refused+1])
	}
}

// wantStorageFault checks that err is swf's answer to a failed write: a
// 503 ServiceUnavailableException whose message says storage failed (and
// why, when why is not empty).
func wantStorageFault(t *testing.T, err error, why string) {
	t.Helper()
	var code interface {
		ErrorCode() string
		ErrorMessage() string
	}
	var status interface{ HTTPStatusCode() int }
	if !errors.As(err, &code) || code.ErrorCode() != "ServiceUnavailableException" || !errors.As(err, &status) || status.HTTPStatusCode() != 503 {
		t.Fatalf("got %v, want a 503 ServiceUnavailableException", err)
	}
	if msg := code.ErrorMessage(); !strings.Contains(msg, "storage failed") || !strings.Contains(msg, why) {
		t.Fatalf("the fault says %q; want it to say storage failed, and %q", msg, why)
	}
}
