package engine

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/openswf/openswf/internal/shape"
)

// fuzzEpoch is when the seed tokens' runs started.
var fuzzEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// fuzzKey is the token key of the fuzz targets: any fixed key will do.
var fuzzKey = []byte("0123456789abcdef0123456789abcdef")

// tokenKinds are the kinds of token the codec seals.
var tokenKinds = []byte{tokenActivity, tokenDecision, tokenPage, tokenDecisionPage}

// seedTokens are tokens as the engine issues them: an activity and a
// decision task of a real run id, and the history page cursors.
func seedTokens() []token {
	run := newRunID(fuzzEpoch)
	return []token{
		{Kind: tokenActivity, Domain: "prod", RunID: run, ScheduledEventID: 5, Nonce: 0x1d2c3b4a59687766},
		{Kind: tokenDecision, Domain: "domain-1", RunID: run, ScheduledEventID: 2, Nonce: 1},
		{Kind: tokenPage, Domain: "d", RunID: run, ScheduledEventID: 100},
		{Kind: tokenDecisionPage, Domain: "d", RunID: run, ScheduledEventID: 1000, Nonce: 7<<1 | 1},
		{Kind: tokenActivity, Domain: strings.Repeat("d", 256), RunID: strings.Repeat("r", 64), ScheduledEventID: 1 << 40, Nonce: ^uint64(0)},
	}
}

// FuzzTaskTokenDecode feeds the task-token decoder arbitrary strings, as a
// caller's taskToken or nextPageToken. It must never panic, and it must
// accept only tokens the codec itself issues: anything it accepts encodes
// back to exactly the string it was given, so no two strings stand for the
// same token and nothing but the key's holder can make one.
func FuzzTaskTokenDecode(f *testing.F) {
	c := tokenCodec{key: fuzzKey}
	for _, tok := range seedTokens() {
		f.Add(c.encode(tok))
	}
	f.Add("")
	f.Add("AWEAAAAAAAAAAQUBZAFyAAAAAAAAAAAAAAAAAAAAAA")
	f.Fuzz(func(t *testing.T, s string) {
		for _, kind := range tokenKinds {
			tok, err := c.decode(s, kind)
			if err != nil {
				continue
			}
			if tok.Kind != kind {
				t.Fatalf("decode(%q, %q) gave a token of kind %q", s, kind, tok.Kind)
			}
			if again := c.encode(tok); again != s {
				t.Fatalf("decode(%q) accepted a token that encodes as %q", s, again)
			}
		}
	})
}

// FuzzTaskTokenRoundTrip encodes a token of fuzzed fields, checks that it
// decodes to the same token only under its own kind and key, and that
// changing any one of its characters (to any other byte) or cutting it
// short makes it refused.
func FuzzTaskTokenRoundTrip(f *testing.F) {
	for _, tok := range seedTokens() {
		f.Add(tok.Kind, tok.Domain, tok.RunID, tok.ScheduledEventID, tok.Nonce, uint16(3), byte(1))
	}
	c := tokenCodec{key: fuzzKey}
	other := tokenCodec{key: []byte("another key, another server.....")}
	f.Fuzz(func(t *testing.T, kind byte, domain, runID string, sched int64, nonce uint64, pos uint16, xor byte) {
		want := token{Kind: kind, Domain: domain, RunID: runID, ScheduledEventID: sched, Nonce: nonce}
		s := c.encode(want)
		got, err := c.decode(s, kind)
		if err != nil || got != want {
			t.Fatalf("encode(%+v) = %q decodes to %+v, %v", want, s, got, err)
		}
		if _, err := c.decode(s, kind+1); err == nil {
			t.Fatalf("token %q of kind %q accepted as kind %q", s, kind, kind+1)
		}
		if _, err := other.decode(s, kind); err == nil {
			t.Fatalf("token %q accepted under another key", s)
		}
		if xor == 0 {
			xor = 1
		}
		b := []byte(s)
		i := int(pos) % len(b)
		b[i] ^= xor
		if tok, err := c.decode(string(b), kind); err == nil {
			t.Fatalf("token %q with byte %d changed to %q accepted as %+v", s, i, b, tok)
		}
		if tok, err := c.decode(s[:i], kind); err == nil {
			t.Fatalf("token %q cut to %d characters accepted as %+v", s, i, tok)
		}
	})
}

// FuzzPageToken checks the listings' nextPageToken: a token sealed for one
// query opens to its cursor for that query only; any changed character, a
// token cut short, or another query's token is refused; and opening an
// arbitrary string never panics and accepts only what seal would issue.
func FuzzPageToken(f *testing.F) {
	e := &Engine{tokens: tokenCodec{key: fuzzKey}}
	cursor := binary.AppendVarint(nil, fuzzEpoch.UnixMilli())
	cursor = append(cursor, newRunID(fuzzEpoch)...)
	issued := e.pager(&shape.ListDomainsInput{RegistrationStatus: "REGISTERED"}, "us-east-1").seal([]byte("domain-17"))
	f.Add("REGISTERED", "us-east-1", []byte("domain-17"), issued, uint16(0), byte(1))
	f.Add("DEPRECATED", "eu-west-1", cursor, "", uint16(40), byte(0x20))
	f.Add("", "", []byte{}, "AWwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", uint16(7), byte(0x80))
	f.Fuzz(func(t *testing.T, status, region string, cursor []byte, s string, pos uint16, xor byte) {
		in := &shape.ListDomainsInput{RegistrationStatus: shape.RegistrationStatus(status), MaximumPageSize: 10}
		pg := e.pager(in, region)
		// An arbitrary token: refused, or exactly what seal issues.
		if got, err := pg.open(s); err == nil && s != "" {
			if again := pg.seal(got); again != s {
				t.Fatalf("open(%q) accepted a token that seals as %q", s, again)
			}
		}
		if len(cursor) == 0 {
			return // seal never issues a token for an empty cursor
		}
		tok := pg.seal(cursor)
		// The page size and the token itself are not part of the query.
		in2 := *in
		in2.MaximumPageSize, in2.NextPageToken = 1000, tok
		got, err := e.pager(&in2, region).open(tok)
		if err != nil || !bytes.Equal(got, cursor) {
			t.Fatalf("seal(%q) = %q opens to %q, %v", cursor, tok, got, err)
		}
		if _, err := e.pager(in, region+"x").open(tok); err == nil {
			t.Fatalf("token %q of region %q accepted for region %q", tok, region, region+"x")
		}
		in3 := *in
		in3.ReverseOrder = true
		if _, err := e.pager(&in3, region).open(tok); err == nil {
			t.Fatalf("token %q accepted for another query", tok)
		}
		if xor == 0 {
			xor = 1
		}
		b := []byte(tok)
		i := int(pos) % len(b)
		b[i] ^= xor
		if c, err := pg.open(string(b)); err == nil {
			t.Fatalf("token %q with byte %d changed to %q opened to %q", tok, i, b, c)
		}
		if i > 0 {
			if c, err := pg.open(tok[:i]); err == nil {
				t.Fatalf("token %q cut to %d characters opened to %q", tok, i, c)
			}
		}
	})
}

// TestTokenLineBreaks is the regression test for what FuzzTaskTokenDecode
// found first (testdata/fuzz/FuzzTaskTokenDecode/614c86e9e5c37bc9): the
// base64 decoder skips CR and LF even in strict mode, so a token with line
// breaks added was accepted as the token without them. Task and page tokens
// now have one spelling each.
func TestTokenLineBreaks(t *testing.T) {
	t.Parallel()
	c := tokenCodec{key: fuzzKey}
	e := &Engine{tokens: c}
	pg := e.pager(&shape.ListDomainsInput{RegistrationStatus: "REGISTERED"}, "us-east-1")
	task := c.encode(seedTokens()[0])
	page := pg.seal([]byte("domain-17"))
	for _, brk := range []string{"\n", "\r", "\r\n"} {
		for _, at := range []int{0, 5, len(task)} {
			s := task[:at] + brk + task[at:]
			if tok, err := c.decode(s, tokenActivity); err == nil {
				t.Errorf("task token %q accepted as %+v", s, tok)
			}
		}
		s := page[:3] + brk + page[3:]
		if cur, err := pg.open(s); err == nil {
			t.Errorf("page token %q opened to %q", s, cur)
		}
	}
	if _, err := c.decode(task, tokenActivity); err != nil {
		t.Fatalf("the token itself: %v", err)
	}
	if _, err := pg.open(page); err != nil {
		t.Fatalf("the page token itself: %v", err)
	}
}
