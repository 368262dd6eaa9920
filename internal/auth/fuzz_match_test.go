package auth

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// refMatchARN is how ARN patterns were matched before they were compiled
// to one glob: split the ARN at every colon that could end each segment
// and match the segments as globs, recursively. It is exact but, for
// segments ending in '*', takes time exponential in their number; the fuzz
// target keeps it as the reference for the compiled matcher.
func refMatchARN(pattern, arn string) bool {
	if pattern == "*" {
		return true
	}
	parts := strings.SplitN(pattern, ":", 6)
	segs := make([]glob, len(parts))
	for i, p := range parts {
		segs[i] = compileGlob(p)
	}
	return refMatchSegments(segs, arn)
}

func refMatchSegments(segs []glob, rest string) bool {
	seg := segs[0]
	if len(segs) == 1 {
		return seg.match(rest)
	}
	spans := strings.HasSuffix(seg.pattern, "*")
	for i := 0; i < len(rest); i++ {
		if rest[i] != ':' {
			continue
		}
		if seg.match(rest[:i]) && refMatchSegments(segs[1:], rest[i+1:]) {
			return true
		}
		if !spans {
			return false
		}
	}
	return false
}

// FuzzARNPattern checks the compiled ARN matcher (Resource, NotResource and
// the Arn condition operators) against the segment-by-segment reference,
// on patterns short enough to compile to one word and long enough not to.
// Patterns are valid UTF-8, as every string of a JSON policy is.
func FuzzARNPattern(f *testing.F) {
	for _, s := range [][2]string{
		{"arn:aws:swf:*:123456789012:/domain/prod", "arn:aws:swf:us-east-1:123456789012:/domain/prod"},
		{"arn:aws:swf:*", "arn:aws:swf:us-east-1:123456789012:/domain/a:b"},
		{"arn:aws:swf:us-*-1:*:/domain/*", "arn:aws:swf:us-east-1:1:/domain/"},
		{"arn:a?s:*:*:*:/domain/x*y", "arn:aws:swf:eu:west:1:/domain/x:y"},
		{"arn:*:*:*:*:/domain/x", "arn:aws:swf:" + strings.Repeat("a:", 5) + "zz"},
		{"arn:aws:swf:*:*:/domain/é?*", "arn:aws:swf:r:1:/domain/éé"},
		{"arn:aws:swf:**:?*:" + strings.Repeat("/domain/p*", 8), "arn:aws:swf:r::::/domain/p/domain/p"},
		{"arn:aws:swf:r:1:" + strings.Repeat("x", 70), "arn:aws:swf:r:1:" + strings.Repeat("x", 70)},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, arn string) {
		if !utf8.ValidString(pattern) {
			return
		}
		start := time.Now()
		got := compileARN(pattern).match(arn)
		if d := time.Since(start); d > maxEvalTime {
			t.Fatalf("matching %q against %q took %v", arn, pattern, d)
		}
		if len(arn) > 256 || strings.Count(arn, ":") > 10 || strings.Count(pattern, "*") > 12 {
			return // the reference would take too long
		}
		if want := refMatchARN(pattern, arn); got != want {
			t.Fatalf("pattern %q, ARN %q: got %v, want %v", pattern, arn, got, want)
		}
	})
}

// TestARNPatternManyColons is the regression test for a resource ARN with
// hundreds of colons (TagResource's resourceArn may have 1,600 characters):
// trying every split at its colons kept one policy evaluation busy for a
// second with "arn:aws:swf:*:*:/domain/prod", for hours with four
// spanning segments. Now every match is one pass.
func TestARNPatternManyColons(t *testing.T) {
	t.Parallel()
	arns := []string{
		"arn:aws:swf:" + strings.Repeat(":", 1588),
		"arn:aws:swf:" + strings.Repeat("a:", 794),
		"arn:aws:swf:us-east-1:123456789012:/domain/" + strings.Repeat(":x", 778),
	}
	for _, pattern := range []string{
		"arn:aws:swf:*:*:/domain/prod",
		"arn:aws:swf:*:123456789012:/domain/*",
		"arn:*:*:*:*:/domain/x",
		"arn:*:*:*:*:*x",
		"arn:*a*:*b*:*c*:*d*:*e" + strings.Repeat("?*", 40),
	} {
		p := compileARN(pattern)
		for _, arn := range arns {
			start := time.Now()
			got := p.match(arn)
			if d := time.Since(start); d > 100*time.Millisecond {
				t.Errorf("matching a %d-character ARN against %q took %v", len(arn), pattern, d)
			}
			want := pattern == "arn:aws:swf:*:123456789012:/domain/*" && strings.Contains(arn, "/domain/") ||
				pattern == "arn:*:*:*:*:*x" && strings.HasSuffix(arn, "x")
			if got != want {
				t.Errorf("pattern %q, ARN %.40q...: got %v, want %v", pattern, arn, got, want)
			}
		}
	}
}
