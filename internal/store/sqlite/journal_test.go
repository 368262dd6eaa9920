package sqlite

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/openswf/openswf/internal/store"
)

var hbT0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// openActivities opens a store in dir with n started activities of run
// "r", scheduled event ids 1..n.
func openActivities(t *testing.T, dir string, n int) *Store {
	t.Helper()
	s := openStore(t, dir)
	c := &store.Change{}
	for i := 1; i <= n; i++ {
		c.PutActivities = append(c.PutActivities, &store.Activity{RunID: "r", ActivityID: strconv.Itoa(i), ScheduledEventID: int64(i)})
	}
	if err := store.Apply(s, c); err != nil {
		t.Fatal(err)
	}
	return s
}

func heartbeat(id int64, at time.Time, details *string) *store.Change {
	return &store.Change{Heartbeats: []store.Heartbeat{{RunID: "r", ScheduledEventID: id, At: at, Details: details}}}
}

// progress returns each activity's heartbeat as Load sees it.
func progress(t *testing.T, s *Store) map[int64]string {
	t.Helper()
	snap, err := s.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]string{}
	for _, a := range snap.Activities {
		d := "<nil>"
		if a.HeartbeatDetails != nil {
			d = *a.HeartbeatDetails
		}
		got[a.ScheduledEventID] = a.HeartbeatAt.Format(time.RFC3339Nano) + " " + d
	}
	return got
}

func want(at time.Time, d string) string { return at.Format(time.RFC3339Nano) + " " + d }

// Records decode to what was appended, details absent, empty or long.
func TestJournalRecordRoundTrip(t *testing.T) {
	empty, long := "", strings.Repeat("é", 1024)
	hbs := []store.Heartbeat{
		{RunID: "run-1", ScheduledEventID: 7, At: hbT0},
		{RunID: "run-2", ScheduledEventID: 1 << 40, At: hbT0.Add(time.Nanosecond), Details: &empty},
		{RunID: "", ScheduledEventID: 0, At: time.Unix(0, -5).UTC(), Details: &long},
	}
	var b []byte
	for _, h := range hbs {
		b = appendRecord(b, h)
	}
	r := bufio.NewReader(bytes.NewReader(b))
	for i, w := range hbs {
		h, err := readRecord(r)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if h.RunID != w.RunID || h.ScheduledEventID != w.ScheduledEventID || !h.At.Equal(w.At) || (h.Details == nil) != (w.Details == nil) || (h.Details != nil && *h.Details != *w.Details) {
			t.Fatalf("record %d = %+v, want %+v", i, h, w)
		}
	}
	if _, err := readRecord(r); err == nil {
		t.Fatal("read past the last record")
	}
	// A flipped bit, or a record cut short, is torn.
	for _, bad := range [][]byte{append([]byte{}, b[:len(b)-1]...), flip(b, 9)} {
		r := bufio.NewReader(bytes.NewReader(bad))
		var err error
		for err == nil {
			_, err = readRecord(r)
		}
		if err != errTorn {
			t.Fatalf("damaged journal read as %v, want errTorn", err)
		}
	}
}

func flip(b []byte, i int) []byte {
	c := append([]byte{}, b...)
	c[i] ^= 1
	return c
}

// Heartbeats go to the journal, Load sees the last one of each activity,
// and a clean close leaves no journal behind.
func TestJournalHoldsHeartbeatsUntilCheckpoint(t *testing.T) {
	dir := t.TempDir()
	s := openActivities(t, dir, 3)
	d := "step 2"
	for i, c := range []*store.Change{heartbeat(1, hbT0, nil), heartbeat(2, hbT0, ptr("step 1")), heartbeat(2, hbT0.Add(time.Second), &d)} {
		if err := store.Apply(s, c); err != nil {
			t.Fatalf("heartbeat %d: %v", i, err)
		}
	}
	if segs, _ := segments(dir); len(segs) != 1 {
		t.Fatalf("segments %v, want the one being written", segs)
	}
	got := progress(t, s)
	if got[1] != want(hbT0, "<nil>") || got[2] != want(hbT0.Add(time.Second), "step 2") || got[3] != want(time.Time{}, "<nil>") {
		t.Fatalf("progress %v", got)
	}
	if err := store.Apply(s, heartbeat(3, hbT0, ptr("after load"))); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if segs, _ := segments(dir); len(segs) != 0 {
		t.Fatalf("segments %v after a clean close, want none", segs)
	}
	s = openStore(t, dir)
	defer s.Close()
	if got := progress(t, s); got[3] != want(hbT0, "after load") {
		t.Fatalf("after a restart, progress %v", got)
	}
}

func ptr(s string) *string { return &s }

// Full segments are checkpointed into SQLite and deleted while the store
// runs; the last heartbeat of each activity wins across segments.
func TestJournalRotatesAndCheckpoints(t *testing.T) {
	dir := t.TempDir()
	s := openActivities(t, dir, 10)
	defer s.Close()
	s.hbj.limit = 200 // a few records a segment
	var last [11]string
	for i := range 300 {
		id := int64(1 + i%10)
		d := fmt.Sprintf("beat %d", i)
		if err := store.Apply(s, heartbeat(id, hbT0.Add(time.Duration(i)*time.Millisecond), &d)); err != nil {
			t.Fatal(err)
		}
		last[id] = want(hbT0.Add(time.Duration(i)*time.Millisecond), d)
	}
	got := progress(t, s) // waits for every checkpoint
	for id := int64(1); id <= 10; id++ {
		if got[id] != last[id] {
			t.Fatalf("activity %d: %q, want %q", id, got[id], last[id])
		}
	}
	if segs, _ := segments(dir); len(segs) != 1 {
		t.Fatalf("segments %v after the checkpoints, want only the one being written", segs)
	}
}

// A torn record at the end of the last segment is where the writer died
// before flushing, so nobody was told it was durable: it is skipped. A
// damaged record in a segment followed by another means the disk lost
// data that was answered: the store refuses to open.
func TestJournalTornTailAndDamage(t *testing.T) {
	dir := t.TempDir()
	s := openActivities(t, dir, 2)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	seg := func(n uint64, hbs ...store.Heartbeat) []byte {
		var b []byte
		for _, h := range hbs {
			b = appendRecord(b, h)
		}
		if err := os.WriteFile(filepath.Join(dir, segmentName(n)), b, 0o644); err != nil {
			t.Fatal(err)
		}
		return b
	}
	one, two := "one", "two"
	seg(1, store.Heartbeat{RunID: "r", ScheduledEventID: 1, At: hbT0, Details: &one})
	b := seg(2, store.Heartbeat{RunID: "r", ScheduledEventID: 2, At: hbT0, Details: &two})
	torn := appendRecord(nil, store.Heartbeat{RunID: "r", ScheduledEventID: 1, At: hbT0.Add(time.Hour)})
	if err := os.WriteFile(filepath.Join(dir, segmentName(2)), append(b, torn[:len(torn)-3]...), 0o644); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir)
	got := progress(t, s)
	if got[1] != want(hbT0, "one") || got[2] != want(hbT0, "two") {
		t.Fatalf("progress %v, want both segments and not the torn record", got)
	}
	s.Close()

	b = seg(5, store.Heartbeat{RunID: "r", ScheduledEventID: 1, At: hbT0, Details: &one}, store.Heartbeat{RunID: "r", ScheduledEventID: 2, At: hbT0})
	os.WriteFile(filepath.Join(dir, segmentName(5)), flip(b, 9), 0o644)
	seg(6, store.Heartbeat{RunID: "r", ScheduledEventID: 2, At: hbT0})
	if err := openErr(t, dir); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("open with a damaged segment: %v, want it refused as damaged", err)
	}
}

// A heartbeat answered is durable: a child process answers heartbeats
// and is killed (SIGKILL) without closing anything; the heartbeats are
// there when the data directory is opened again.
func TestJournalHeartbeatsSurviveKill(t *testing.T) {
	if dir := os.Getenv("SWF_JOURNAL_CHILD"); dir != "" {
		journalChild(dir)
		return
	}
	dir := t.TempDir()
	s := openActivities(t, dir, 5)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestJournalHeartbeatsSurviveKill$")
	cmd.Env = append(os.Environ(), "SWF_JOURNAL_CHILD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	answered := map[int64]string{}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 3 && f[0] == "answered" {
			id, _ := strconv.ParseInt(f[1], 10, 64)
			answered[id] = f[2]
			if len(answered) == 5 && f[2] >= "beat-0100" {
				break
			}
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if len(answered) < 5 {
		t.Fatalf("the child answered %v before dying", answered)
	}
	s = openStore(t, dir)
	defer s.Close()
	got := progress(t, s)
	for id, d := range answered {
		// The child may have got further than it printed: at least
		// the printed beat, never an older one.
		g := got[id][strings.LastIndex(got[id], " ")+1:]
		if g < d {
			t.Errorf("activity %d: %q after the kill, want %q or later", id, g, d)
		}
	}
}

// journalChild heartbeats the five activities in dir for ever, printing
// each answered heartbeat.
func journalChild(dir string) {
	s, err := Open(dir, quiet)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	for i := 0; ; i++ {
		id := int64(1 + i%5)
		d := fmt.Sprintf("beat-%04d", i)
		if err := store.Apply(s, heartbeat(id, hbT0.Add(time.Duration(i)*time.Second), &d)); err != nil {
			fmt.Println("heartbeat:", err)
			os.Exit(1)
		}
		fmt.Printf("answered %d %s\n", id, d)
	}
}

// A heartbeat is answered only after its segment was flushed.
func TestJournalAnsweredAfterFlush(t *testing.T) {
	s := openActivities(t, t.TempDir(), 1)
	defer s.Close()
	rec := &recordingSyncer{}
	s.hbj.sync, s.hbj.here = rec, rec // read only after the submit below
	for i := range 3 {
		if err := store.Apply(s, heartbeat(1, hbT0, nil)); err != nil {
			t.Fatal(err)
		}
		if got := rec.count(); got != i+1 {
			t.Fatalf("after %d answered heartbeats, %d flushes", i+1, got)
		}
	}
	if f := rec.flushed[0]; !strings.HasPrefix(f, "heartbeats-") {
		t.Fatalf("flushed %q, want the journal's segment", f)
	}
	rec.err = fmt.Errorf("disk on fire")
	if err := store.Apply(s, heartbeat(1, hbT0, nil)); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("heartbeat whose flush failed: %v, want the flush's error", err)
	}
	if err := store.Apply(s, heartbeat(1, hbT0, nil)); err == nil {
		t.Fatal("a heartbeat after a failed flush was answered as durable")
	}
}

// Concurrent heartbeats over many small segments: batches of several
// activities, a rotation after most of them, and every segment
// checkpointed in order, so each activity ends with its last heartbeat.
func TestJournalConcurrentFlushesCheckpointInOrder(t *testing.T) {
	dir := t.TempDir()
	const acts, beats = 16, 60
	s := openActivities(t, dir, acts)
	defer s.Close()
	s.hbj.limit = 300
	var wg sync.WaitGroup
	for a := int64(1); a <= acts; a++ {
		wg.Go(func() {
			for i := range beats {
				d := fmt.Sprintf("a%d-%03d", a, i)
				c := heartbeat(a, hbT0.Add(time.Duration(i)*time.Second), &d)
				var err error
				if a%2 == 0 { // half wait as the engine does, taking turns at flushing
					err = s.WaitHeartbeats(s.Submit(c))
				} else {
					err = store.Apply(s, c)
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	got := progress(t, s)
	for a := int64(1); a <= acts; a++ {
		if w := want(hbT0.Add((beats-1)*time.Second), fmt.Sprintf("a%d-%03d", a, beats-1)); got[a] != w {
			t.Fatalf("activity %d: %q, want %q", a, got[a], w)
		}
	}
	if segs, _ := segments(dir); len(segs) != 1 {
		t.Fatalf("segments %v after the checkpoints, want only the one being written", segs)
	}
}

// A caller waiting alone flushes its heartbeat in its own goroutine, with
// the blocking syncer, instead of waking the flusher and being woken by
// it; either way each answered heartbeat was flushed once.
func TestJournalLoneWaiterFlushesItself(t *testing.T) {
	s := openActivities(t, t.TempDir(), 1)
	defer s.Close()
	parked, here := &recordingSyncer{}, &recordingSyncer{}
	s.hbj.sync, s.hbj.here = parked, here // read only after the submits below
	const n = 50
	for i := range n {
		d := strconv.Itoa(i)
		if err := s.WaitHeartbeats(s.Submit(heartbeat(1, hbT0, &d))); err != nil {
			t.Fatal(err)
		}
		if got := parked.count() + here.count(); got != i+1 {
			t.Fatalf("after %d answered heartbeats, %d flushes", i+1, got)
		}
	}
	if here.count() == 0 {
		t.Fatalf("none of %d lone heartbeats was flushed by its own caller", n)
	}
	here.err = fmt.Errorf("disk on fire")
	parked.err = here.err
	if err := s.WaitHeartbeats(s.Submit(heartbeat(1, hbT0, nil))); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("a lone heartbeat whose flush failed: %v, want the flush's error", err)
	}
}
