package bench

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// progress prints a line to stderr every couple of seconds while a long
// phase runs: how far it got, and its rate since the last line. A phase
// that ends before the first tick prints nothing. A nil *progress is
// valid and silent.
type progress struct {
	w     io.Writer
	label string
	unit  string
	total int64 // 0: unknown
	extra func() string

	n     atomic.Int64
	start time.Time
	stop  chan struct{}
	wg    sync.WaitGroup
}

const progressEvery = 2 * time.Second

func newProgress(o *Options, label, unit string, total int64, extra func() string) *progress {
	p := &progress{w: o.Stderr, label: label, unit: unit, total: total, extra: extra, start: time.Now(), stop: make(chan struct{})}
	if o.Quiet || o.Stderr == nil {
		return p
	}
	p.wg.Add(1)
	go p.loop()
	return p
}

func (p *progress) loop() {
	defer p.wg.Done()
	t := time.NewTicker(progressEvery)
	defer t.Stop()
	last, lastAt := int64(0), p.start
	for {
		select {
		case <-p.stop:
			return
		case now := <-t.C:
			n := p.n.Load()
			rate := float64(n-last) / now.Sub(lastAt).Seconds()
			last, lastAt = n, now
			line := fmt.Sprintf("%s: %5.0fs  %s %s", p.label, now.Sub(p.start).Seconds(), count(n), p.unit)
			if p.total > 0 {
				line += fmt.Sprintf(" of %s (%.0f%%)", count(p.total), 100*float64(n)/float64(p.total))
			}
			line += fmt.Sprintf("  %s/s", count(int64(rate)))
			if p.extra != nil {
				if s := p.extra(); s != "" {
					line += "  " + s
				}
			}
			fmt.Fprintln(p.w, line)
		}
	}
}

func (p *progress) set(n int64) {
	if p != nil {
		p.n.Store(n)
	}
}

func (p *progress) add(d int64) {
	if p != nil {
		p.n.Add(d)
	}
}

// done stops the ticker; call it once.
func (p *progress) done() {
	if p == nil {
		return
	}
	close(p.stop)
	p.wg.Wait()
}

// count formats n with thousands separators.
func count(n int64) string {
	s := fmt.Sprint(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}
