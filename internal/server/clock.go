package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/openswf/openswf/internal/auth"
	"github.com/openswf/openswf/internal/clock"
	"github.com/openswf/openswf/internal/engine"
	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/swf"
)

// ClockMode is how a server's clock moves.
type ClockMode string

const (
	// ClockReal is the wall clock (or Config.Clock, as given): the
	// default.
	ClockReal ClockMode = "real"
	// ClockManual starts at the real time and moves only when told, by
	// the clock endpoint (ClockPath; `swf clock advance`) or by
	// ClockControl.
	ClockManual ClockMode = "manual"
	// ClockAutoSkip runs with the real time and, whenever no decision or
	// activity task is scheduled or started in any open execution, jumps
	// to the next deadline (a timer, a timeout). It can be moved by hand
	// as ClockManual can.
	ClockAutoSkip ClockMode = "auto-skip"
)

// ParseClockMode reads a --clock value: real, manual or auto-skip.
func ParseClockMode(s string) (ClockMode, error) {
	switch m := ClockMode(s); m {
	case ClockReal, ClockManual, ClockAutoSkip:
		return m, nil
	case "":
		return ClockReal, nil
	}
	return "", fmt.Errorf("unknown clock %q: want real, manual or auto-skip", s)
}

// ClockPath is the path of openswf's clock endpoint (the SWF API is at
// "/"). GET answers the clock's mode and time; POST with {"advance": "10m"}
// (a Go duration, "2d" days, or a number of seconds) or {"set":
// "2026-01-02T15:04:05Z"} moves a manual or auto-skip clock forward and
// answers once every deadline it passed has fired and been stored. Without
// --auth it serves loopback callers only; with --auth, a request must be
// signed by a principal allowed every SWF action on every domain
// ("swf:*").
const ClockPath = "/openswf/clock"

// autoSkipTick is how often an auto-skip clock follows the real time and
// looks for a chance to jump.
const autoSkipTick = 5 * time.Millisecond

// ClockControl moves the clock of a server whose ClockMode is manual or
// auto-skip. Its moves are serialised: each one's deadlines have fired,
// and their effects are stored, before the next begins. While one runs,
// requests other than long polls wait (and then see the new time), so that
// none lands in the middle of it: a heartbeat sent while the clock jumps
// six minutes counts as sent after the jump.
type ClockControl struct {
	mode ClockMode
	fake *clock.Fake

	moveMu sync.Mutex   // serialises moves
	gate   sync.RWMutex // held to read by every request but long polls while it is served, to write by a move

	stop chan struct{} // closed to end the auto-skip loop
	done chan struct{} // closed when it has ended
}

// defaultClock is the clock of a server configured without one.
func defaultClock(mode ClockMode) clock.Clock {
	switch mode {
	case ClockManual, ClockAutoSkip:
		return clock.NewFake(time.Now().UTC().Truncate(time.Millisecond))
	}
	return clock.Real{}
}

// newClockControl checks cfg's clock mode; it returns nil for a real
// clock.
func newClockControl(cfg Config) (*ClockControl, error) {
	mode, err := ParseClockMode(string(cfg.ClockMode))
	if err != nil {
		return nil, err
	}
	if mode == ClockReal {
		return nil, nil
	}
	fake, ok := cfg.Clock.(*clock.Fake)
	if !ok {
		return nil, fmt.Errorf("a %s clock needs a *clock.Fake (or none), not %T", mode, cfg.Clock)
	}
	cfg.Log.Info("the clock is "+string(mode)+": "+ClockPath+" (swf clock) moves it", "now", stamp(fake.Now()))
	return &ClockControl{mode: mode, fake: fake}, nil
}

// signingClock is what signatures' times are checked against: a manual
// clock may be days ahead of the callers' clocks, which sign with theirs.
func signingClock(cfg Config) func() time.Time {
	if m, _ := ParseClockMode(string(cfg.ClockMode)); m != ClockReal {
		return time.Now
	}
	return cfg.Clock.Now
}

// Mode returns the clock's mode.
func (c *ClockControl) Mode() ClockMode { return c.mode }

// Now returns the server's time.
func (c *ClockControl) Now() time.Time { return c.fake.Now() }

// Advance moves the clock forward by d, firing every deadline it passes in
// deadline order as if the time had passed, and returns the new time once
// their effects are stored.
func (c *ClockControl) Advance(d time.Duration) (time.Time, error) {
	if d < 0 {
		return time.Time{}, fmt.Errorf("cannot advance the clock by %v: it only moves forward", d)
	}
	return c.move(func() { c.fake.Advance(d) }), nil
}

// Set moves the clock forward to t, as Advance does; a t before the
// clock's time is an error.
func (c *ClockControl) Set(t time.Time) (time.Time, error) {
	var err error
	now := c.move(func() {
		if t.Before(c.fake.Now()) {
			err = fmt.Errorf("cannot set the clock back to %s: it is %s and only moves forward", stamp(t), stamp(c.fake.Now()))
			return
		}
		c.fake.Set(t)
	})
	return now, err
}

// move runs f, which moves the fake clock, alone and with requests held
// back, and returns the time after it.
func (c *ClockControl) move(f func()) time.Time {
	c.moveMu.Lock()
	defer c.moveMu.Unlock()
	c.gate.Lock()
	defer c.gate.Unlock()
	f()
	return c.fake.Now()
}

// startAutoSkip runs the auto-skip loop, for an auto-skip clock, until
// close.
func (c *ClockControl) startAutoSkip(eng *engine.Engine) {
	if c == nil || c.mode != ClockAutoSkip {
		return
	}
	c.stop, c.done = make(chan struct{}), make(chan struct{})
	go c.autoSkip(eng)
}

// autoSkip follows the real time, and jumps to the engine's next deadline
// whenever it reports no task scheduled or started.
func (c *ClockControl) autoSkip(eng *engine.Engine) {
	defer close(c.done)
	tick := time.NewTicker(autoSkipTick)
	defer tick.Stop()
	last := time.Now()
	for {
		select {
		case <-c.stop:
			return
		case <-tick.C:
		}
		// The time flowing on needs no gate: calls and deadlines
		// interleave as they would with the real clock.
		c.moveMu.Lock()
		now := time.Now()
		c.fake.Advance(now.Sub(last))
		last = now
		c.moveMu.Unlock()
		if at, ok := eng.IdleUntil(); ok && at.After(c.fake.Now()) {
			c.move(func() {
				// Check again with calls held back: one may have
				// scheduled a task since.
				if at, ok := eng.IdleUntil(); ok {
					c.fake.Set(at)
				}
			})
		}
	}
}

// close ends the auto-skip loop, if any, and waits for it.
func (c *ClockControl) close() {
	if c == nil || c.stop == nil {
		return
	}
	select {
	case <-c.stop:
	default:
		close(c.stop)
	}
	<-c.done
}

// ClockControl returns the controls of a manual or auto-skip clock, nil
// for a real one.
func (s *Server) ClockControl() *ClockControl { return s.clock }

// withClock wraps the SWF handler: the clock endpoint at ClockPath, and,
// for a manual or auto-skip clock, the gate that keeps calls out of a move
// and the real-time bound on long polls.
func (s *Server) withClock(next http.Handler) http.Handler {
	c := s.clock
	pollBound := s.cfg.Limits.LongPollTimeout
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == ClockPath {
			s.serveClock(w, r)
			return
		}
		if c == nil {
			next.ServeHTTP(w, r)
			return
		}
		target := r.Header.Get("X-Amz-Target")
		if target == "" {
			target = r.URL.Query().Get("X-Amz-Target")
		}
		if strings.HasSuffix(target, ".PollForActivityTask") || strings.HasSuffix(target, ".PollForDecisionTask") {
			// A long poll waits on the server's clock, which may not
			// move for a long time: answer it empty after the
			// long-poll timeout of real time too, before the caller's
			// socket timeout (70 s) gives up on it. It does not take
			// the gate: it may wait for a minute, and a move must not.
			ctx, cancel := context.WithTimeout(r.Context(), pollBound)
			defer cancel()
			next.ServeHTTP(w, r.WithContext(ctx))
			return
		}
		c.gate.RLock()
		defer c.gate.RUnlock()
		next.ServeHTTP(w, r)
	})
}

// clockState is what the clock endpoint answers.
type clockState struct {
	Mode ClockMode `json:"mode"`
	// Now is the server's time in RFC 3339 (UTC, milliseconds);
	// EpochSeconds the same as SWF's timestamps spell it.
	Now          string  `json:"now"`
	EpochSeconds float64 `json:"epochSeconds"`
}

// clockMove is a POST to the clock endpoint: exactly one of its members.
type clockMove struct {
	Advance json.RawMessage `json:"advance"`
	Set     string          `json:"set"`
}

// maxClockBody bounds the clock endpoint's request bodies.
const maxClockBody = 64 << 10

// serveClock is the clock endpoint.
func (s *Server) serveClock(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxClockBody+1))
	if err != nil {
		clockError(w, http.StatusBadRequest, swf.SerializationException, "cannot read the request body: "+err.Error())
		return
	}
	if len(body) > maxClockBody {
		clockError(w, http.StatusRequestEntityTooLarge, swf.ValidationException, "the request body is too large")
		return
	}
	if !s.clockAllowed(w, r, body) {
		return
	}
	c := s.clock
	switch r.Method {
	case http.MethodGet:
	case http.MethodPost:
		if c == nil {
			clockError(w, http.StatusBadRequest, swf.ValidationException,
				"the server's clock is real and cannot be moved: start it with --clock manual or --clock auto-skip")
			return
		}
		var m clockMove
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&m); err != nil {
			clockError(w, http.StatusBadRequest, swf.SerializationException, `want {"advance": "10m"} or {"set": "2006-01-02T15:04:05Z"}: `+err.Error())
			return
		}
		switch {
		case (len(m.Advance) > 0) == (m.Set != ""):
			err = errors.New(`give exactly one of "advance" and "set"`)
		case m.Set != "":
			var t time.Time
			if t, err = time.Parse(time.RFC3339Nano, m.Set); err != nil {
				err = fmt.Errorf("set: want an RFC 3339 time such as 2026-01-02T15:04:05Z, got %q", m.Set)
				break
			}
			_, err = c.Set(t)
		default:
			var d time.Duration
			if d, err = parseAdvance(m.Advance); err == nil {
				_, err = c.Advance(d)
			}
		}
		if err != nil {
			clockError(w, http.StatusBadRequest, swf.ValidationException, err.Error())
			return
		}
	default:
		w.Header().Set("Allow", "GET, POST")
		clockError(w, http.StatusMethodNotAllowed, swf.ValidationException, "the clock endpoint takes GET and POST")
		return
	}
	st := clockState{Mode: ClockReal}
	now := time.Now()
	if c != nil {
		st.Mode, now = c.mode, c.Now()
	}
	st.Now, st.EpochSeconds = stamp(now), float64(now.UnixMilli())/1000
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(st)
}

// clockAllowed answers whether the caller may use the clock endpoint, and
// answers the request itself when not: without --auth only loopback
// callers may; with it, a request signed by a principal allowed
// everything.
func (s *Server) clockAllowed(w http.ResponseWriter, r *http.Request, body []byte) bool {
	if s.cfg.Auth == nil {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			clockError(w, http.StatusForbidden, "AccessDeniedException",
				"the clock endpoint serves loopback callers only on a server without --auth")
			return false
		}
		return true
	}
	p, err := s.cfg.Auth.Authenticate(r, body, time.Now())
	if err != nil {
		var ae *auth.Error
		if errors.As(err, &ae) {
			clockError(w, ae.Status, ae.Code, ae.Message)
		} else {
			clockError(w, http.StatusInternalServerError, swf.InternalFailure, "cannot check the signature")
		}
		return false
	}
	region := auth.CredentialRegion(r)
	if region == "" {
		region = s.cfg.Region
	}
	if !allowedEverything(p, auth.ARN(region, s.cfg.AccountID, "*")) {
		clockError(w, http.StatusForbidden, "AccessDeniedException",
			fmt.Sprintf("principal %s may not use the clock endpoint: it needs swf:* on every domain", p.Name()))
		return false
	}
	return true
}

// allowedEverything reports whether a may perform "swf:*", and each SWF
// operation by name, on resource (every domain) without conditions: a
// clock move can time out any task in any domain, so it is for those who
// may already do anything.
func allowedEverything(a auth.Authorizer, resource string) bool {
	if !a.Allowed("swf:*", resource, nil) {
		return false
	}
	for op := range shape.Operations {
		if !a.Allowed("swf:"+op, resource, nil) {
			return false
		}
	}
	return true
}

// daysPrefix matches a leading whole number of days, "2d" in "2d12h".
var daysPrefix = regexp.MustCompile(`^(\d+)d`)

// parseAdvance reads the "advance" member: a Go duration ("90s", "1h30m"),
// with days allowed in front ("2d", "1d12h"), or a number of seconds (as
// SWF spells durations), in a string or not.
func parseAdvance(raw json.RawMessage) (time.Duration, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		var n float64
		if err := json.Unmarshal(raw, &n); err != nil {
			return 0, fmt.Errorf("advance: want a duration such as \"10m\" or a number of seconds, got %s", raw)
		}
		s = strconv.FormatFloat(n, 'f', -1, 64)
	}
	d, err := ParseAdvance(s)
	if err != nil {
		return 0, fmt.Errorf("advance: %w", err)
	}
	return d, nil
}

// ParseAdvance reads a duration to advance a clock by: a Go duration
// ("90s", "1h30m"), with days allowed in front ("2d", "1d12h"), or a
// number of seconds ("300").
func ParseAdvance(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		if n < 0 || n > float64(1<<62)/float64(time.Second) {
			return 0, fmt.Errorf("%q seconds is out of range", s)
		}
		return time.Duration(n * float64(time.Second)), nil
	}
	var days time.Duration
	if m := daysPrefix.FindStringSubmatch(s); m != nil {
		n, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil || n > 100_000 {
			return 0, fmt.Errorf("%q: too many days", s)
		}
		days, s = time.Duration(n)*24*time.Hour, s[len(m[0]):]
		if s == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("want a duration such as 10m, 1h30m, 2d or 300 (seconds), got %q", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("%v: the clock only moves forward", d)
	}
	return days + d, nil
}

// clockError answers the clock endpoint's error in the shape of an AWS
// JSON error, which swf clock (and any SDK-minded client) reads.
func clockError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("x-amzn-ErrorType", code)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}

// stamp spells a time the way the clock endpoint does.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }
