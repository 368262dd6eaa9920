// Package clock is the only way openswf code reads the time or waits.
//
// Production code uses Real; tests use Fake and move time forward with
// Advance, so a five-minute heartbeat timeout takes one call instead of five
// minutes.
package clock

import (
	"sort"
	"sync"
	"time"
)

// Clock tells the time and schedules callbacks.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f in its own goroutine once d has passed.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc call.
type Timer interface {
	// Stop prevents the call if it has not started; it reports whether it did.
	Stop() bool
}

// Real is the wall clock.
type Real struct{}

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// AfterFunc wraps time.AfterFunc.
func (Real) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// Fake is a manual clock for tests. Callbacks due at or before the new time
// run (synchronously, in deadline order) before Advance returns, so a test
// that advances past a timeout can read the result right away.
type Fake struct {
	mu      sync.Mutex // guards now, waiters, seq
	now     time.Time
	waiters []*fakeTimer
	seq     int
}

// NewFake returns a Fake clock set to start.
func NewFake(start time.Time) *Fake { return &Fake{now: start} }

type fakeTimer struct {
	c   *Fake
	at  time.Time
	seq int
	f   func()
}

// Now returns the fake time.
func (c *Fake) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc registers f to run when the fake time reaches now+d. A
// non-positive d runs f at once in its own goroutine, as the real clock does.
func (c *Fake) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &fakeTimer{c: c, at: c.now.Add(d), seq: c.seq, f: f}
	if d <= 0 {
		go f()
		return t
	}
	c.waiters = append(c.waiters, t)
	return t
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	for i, w := range t.c.waiters {
		if w == t {
			t.c.waiters = append(t.c.waiters[:i], t.c.waiters[i+1:]...)
			return true
		}
	}
	return false
}

// Advance moves the clock forward by d, running every callback that falls due.
func (c *Fake) Advance(d time.Duration) {
	c.mu.Lock()
	target := c.now.Add(d)
	c.mu.Unlock()
	c.runUntil(target)
}

// Set moves the clock to t (never backwards).
func (c *Fake) Set(t time.Time) { c.runUntil(t) }

// AdvanceToNext moves the clock to the earliest pending callback and runs it;
// it reports false when nothing is pending.
func (c *Fake) AdvanceToNext() bool {
	c.mu.Lock()
	if len(c.waiters) == 0 {
		c.mu.Unlock()
		return false
	}
	c.sortLocked()
	at := c.waiters[0].at
	c.mu.Unlock()
	c.runUntil(at)
	return true
}

// Pending reports how many callbacks are waiting.
func (c *Fake) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.waiters)
}

func (c *Fake) sortLocked() {
	sort.Slice(c.waiters, func(i, j int) bool {
		if !c.waiters[i].at.Equal(c.waiters[j].at) {
			return c.waiters[i].at.Before(c.waiters[j].at)
		}
		return c.waiters[i].seq < c.waiters[j].seq
	})
}

func (c *Fake) runUntil(target time.Time) {
	for {
		c.mu.Lock()
		c.sortLocked()
		if len(c.waiters) == 0 || c.waiters[0].at.After(target) {
			if target.After(c.now) {
				c.now = target
			}
			c.mu.Unlock()
			return
		}
		w := c.waiters[0]
		c.waiters = c.waiters[1:]
		if w.at.After(c.now) {
			c.now = w.at
		}
		c.mu.Unlock()
		w.f()
	}
}
