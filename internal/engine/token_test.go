package engine

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

func TestTokenRoundTrip(t *testing.T) {
	t.Parallel()
	c := tokenCodec{key: []byte("0123456789abcdef0123456789abcdef")}
	tests := []token{
		{Kind: tokenActivity, Domain: "d", RunID: "r", ScheduledEventID: 5, Nonce: 42},
		{Kind: tokenDecision, Domain: strings.Repeat("d", 256), RunID: strings.Repeat("r", 64), ScheduledEventID: 1 << 40, Nonce: ^uint64(0)},
	}
	for _, want := range tests {
		s := c.encode(want)
		if len(s) > 1024 {
			t.Fatalf("got a %d-character token, want at most 1024", len(s))
		}
		got, err := c.decode(s, want.Kind)
		if err != nil || got != want {
			t.Fatalf("got %+v, %v; want %+v", got, err, want)
		}
	}
}

func TestTokenRefused(t *testing.T) {
	t.Parallel()
	c := tokenCodec{key: []byte("0123456789abcdef0123456789abcdef")}
	good := c.encode(token{Kind: tokenActivity, Domain: "d", RunID: "run", ScheduledEventID: 5, Nonce: 42})
	other := tokenCodec{key: []byte("another key, another server......")}
	tests := map[string]string{
		"Empty":         "",
		"NotBase64":     "!!!",
		"Short":         good[:10],
		"Truncated":     good[:len(good)-1],
		"OtherKey":      other.encode(token{Kind: tokenActivity, Domain: "d", RunID: "run", ScheduledEventID: 5, Nonce: 42}),
		"DecisionToken": c.encode(token{Kind: tokenDecision, Domain: "d", RunID: "run", ScheduledEventID: 5, Nonce: 42}),
	}
	// Every single-character change is refused.
	for i := range good {
		b := []byte(good)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		tests["Flip"+string(rune('0'+i%10))+"_"+strings.Repeat("x", i/10)] = string(b)
	}
	for name, s := range tests {
		if _, err := c.decode(s, tokenActivity); err == nil {
			t.Errorf("%s: got a decoded token, want it refused", name)
		}
	}
}

// Run ids are 43 base64url characters and sort by start time, so the
// store keeps runs of the same moment together.
func TestRunIDsSortByStartTime(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	prev := ""
	seen := map[string]bool{}
	for i := range 2000 {
		id := newRunID(t0.Add(time.Duration(i/2) * time.Millisecond))
		if len(id) != 43 {
			t.Fatalf("run id %q has %d characters, want 43", id, len(id))
		}
		if _, err := base64.RawURLEncoding.DecodeString(id); err != nil {
			t.Fatalf("run id %q is not base64url: %v", id, err)
		}
		if seen[id] {
			t.Fatalf("run id %q returned twice", id)
		}
		seen[id] = true
		if i%2 == 0 && id[:9] <= prev[:min(9, len(prev))] {
			t.Fatalf("run id %q of a later millisecond sorts before %q", id, prev)
		}
		prev = id
	}
	if a, b := newRunID(t0.Add(-time.Millisecond)), newRunID(t0); a >= b {
		t.Fatalf("%q sorts after %q", a, b)
	}
}

// TestTokenVersions: a task token names its run's shard (version 2), and
// a version 1 token, issued before, is still accepted, without one.
func TestTokenVersions(t *testing.T) {
	c := tokenCodec{key: []byte("0123456789abcdef0123456789abcdef")}
	for _, want := range []token{
		{Kind: tokenActivity, Domain: "d", RunID: "r", ScheduledEventID: 5, Nonce: 9, Shard: 17},
		{Kind: tokenActivity, Domain: "d", RunID: "r", ScheduledEventID: 5, Nonce: 9, Shard: noShard},
	} {
		s := c.encode(want)
		raw, err := decodeTokenString(s)
		if err != nil {
			t.Fatal(err)
		}
		wantVersion := byte(tokenVersion2)
		if want.Shard == noShard {
			wantVersion = tokenVersion
		}
		if raw[0] != wantVersion {
			t.Errorf("token with shard %d is version %d, want %d", want.Shard, raw[0], wantVersion)
		}
		got, err := c.decode(s, tokenActivity)
		if err != nil || got != want {
			t.Errorf("decode(encode(%+v)) = %+v, %v", want, got, err)
		}
	}
}
