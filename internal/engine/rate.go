package engine

import (
	"sync"
	"time"
)

// scheduleRate enforces AWS's cap on how fast activity tasks may be
// scheduled on one task list: a token bucket per (domain, task list) that
// refills at the limit per second and holds at most one second's worth.
type scheduleRate struct {
	mu      sync.Mutex // guards buckets
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// allow takes one token for key at now, reporting false when none is left.
// A limit of 0 or less means no limit.
func (s *scheduleRate) allow(key string, now time.Time, limit int) bool {
	if limit <= 0 {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.buckets == nil {
		s.buckets = map[string]*bucket{}
	}
	b := s.buckets[key]
	if b == nil {
		b = &bucket{tokens: float64(limit), at: now}
		s.buckets[key] = b
	}
	if now.After(b.at) {
		b.tokens = min(float64(limit), b.tokens+now.Sub(b.at).Seconds()*float64(limit))
		b.at = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
