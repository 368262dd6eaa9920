package bench

import (
	"fmt"
	"os"
	"time"
)

// loneFlushes is how many flushes measureFlush times.
const loneFlushes = 200

// measureFlush times lone flushes of the disk under dir: a 4 KiB write
// over a region written and flushed before, then its flush (fdatasync
// where there is one), one at a time. It is what one WAL flush costs with
// nothing else waiting, the unit of issue 18's single-client target
// (p50 within the ceiling's p50 plus one flush).
func measureFlush(dir string) (latency, error) {
	f, err := os.CreateTemp(dir, ".flush-probe-*")
	if err != nil {
		return latency{}, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	page := make([]byte, 4096)
	const pages = 64
	for i := range pages {
		if _, err := f.WriteAt(page, int64(i)*int64(len(page))); err != nil {
			return latency{}, err
		}
	}
	if err := f.Sync(); err != nil {
		return latency{}, err
	}
	var h hist
	for i := range loneFlushes {
		page[0] = byte(i)
		start := time.Now()
		if _, err := f.WriteAt(page, int64(i%pages)*int64(len(page))); err != nil {
			return latency{}, err
		}
		if err := datasync(f); err != nil {
			return latency{}, err
		}
		h.add(time.Since(start))
	}
	return h.summary(), nil
}

// flushNote measures lone flushes in a started or spawned server's data
// directory and says what they cost, for the report's notes.
func flushNote(t *target) string {
	if t.dataDir == "" {
		return ""
	}
	l, err := measureFlush(t.dataDir)
	if err != nil {
		return fmt.Sprintf("%s: lone flushes not measured: %v", t.Label, err)
	}
	return fmt.Sprintf("%s: a lone flush of its disk (4 KiB write + fdatasync, %d in a row): p50 %.3f ms, p99 %.3f ms",
		t.Label, l.Count, l.P50, l.P99)
}
