package engine

import (
	"strings"
	"testing"
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
