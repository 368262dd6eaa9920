package bench

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The flush floor answers each call once its record is in the file and
// flushed: after n concurrent calls the file holds n records, and every
// caller's record was covered by a flush begun after it was written.
func TestFlushFloorCommits(t *testing.T) {
	dir := t.TempDir()
	fl, err := newFlushFloor(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fl.close()
	const n = 64
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if err := fl.commit(); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if fl.flushed != n {
		t.Fatalf("%d records known flushed after %d answered calls", fl.flushed, n)
	}
	fi, err := os.Stat(filepath.Join(dir, "flush-floor.log"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != n*int64(len(floorRecord)) {
		t.Fatalf("file of %d bytes after %d calls, want %d", fi.Size(), n, n*len(floorRecord))
	}
}

// `swf bench ceiling flush` needs a directory, and then answers a
// heartbeat as the plain ceiling does.
func TestServeCeilingFlush(t *testing.T) {
	if err := ServeCeiling(context.Background(), kindFlush, "127.0.0.1:0", "", io.Discard); err == nil || !strings.Contains(err.Error(), "--dir") {
		t.Fatalf("flush ceiling without a directory: %v, want an error naming --dir", err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	served := make(chan error, 1)
	go func() { served <- ServeCeiling(ctx, kindFlush, "127.0.0.1:0", dir, pw) }()
	line := make([]byte, 256)
	k, _ := pr.Read(line)
	go io.Copy(io.Discard, pr)
	_, addr, ok := strings.Cut(strings.TrimSpace(string(line[:k])), "addr=")
	if !ok {
		t.Fatalf("no address in %q", line[:k])
	}
	resp, err := http.Post("http://"+addr, "application/x-amz-json-1.0", strings.NewReader(`{"taskToken":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != string(plainAnswer) {
		t.Fatalf("flush ceiling answered %d %s, want 200 %s", resp.StatusCode, body, plainAnswer)
	}
	if fi, err := os.Stat(filepath.Join(dir, "flush-floor.log")); err != nil || fi.Size() != int64(len(floorRecord)) {
		t.Fatalf("after one call the flush file is %v (%v), want one record", fi, err)
	}
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the flush ceiling did not stop")
	}
	pw.Close()
}
