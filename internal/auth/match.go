package auth

import (
	"strings"
	"unicode/utf8"
)

// glob is an IAM wildcard pattern: '*' matches any run of characters,
// including none, and '?' exactly one character. There is no escape.
type glob struct {
	pattern string
	literal bool // no wildcard: a plain comparison
}

func compileGlob(pattern string) glob {
	return glob{pattern: pattern, literal: !strings.ContainsAny(pattern, "*?")}
}

func (g glob) match(s string) bool {
	if g.literal {
		return g.pattern == s
	}
	return wildcardMatch(g.pattern, s)
}

// wildcardMatch reports whether s matches pattern. It runs in O(len(p) ×
// len(s)) at worst and usually close to linear: on a mismatch it retries
// only from the most recent '*' (one character further along s), which is
// enough because a later '*' can absorb anything an earlier one could.
func wildcardMatch(p, s string) bool {
	px, sx := 0, 0
	starPx, starSx := -1, 0
	for px < len(p) || sx < len(s) {
		if px < len(p) {
			switch c := p[px]; c {
			case '*':
				starPx, starSx = px, sx
				px++
				continue
			case '?':
				if sx < len(s) {
					_, n := utf8.DecodeRuneInString(s[sx:])
					px++
					sx += n
					continue
				}
			default:
				if sx < len(s) && s[sx] == c {
					px++
					sx++
					continue
				}
			}
		}
		if starPx >= 0 && starSx < len(s) {
			_, n := utf8.DecodeRuneInString(s[starSx:])
			starSx += n
			px, sx = starPx+1, starSx
			continue
		}
		return false
	}
	return true
}

// arnPattern matches ARNs the way IAM does in Resource, NotResource and the
// Arn condition operators: "*" matches everything; otherwise the pattern and
// the ARN are compared colon-separated segment by segment
// (arn:partition:service:region:account:resource), each segment a glob. The
// resource segment is the rest of the ARN, so it may contain colons. As IAM
// documents, a '*' that ends a segment may also run across colons into the
// following segments, which is how "arn:aws:swf:*" covers every SWF ARN.
type arnPattern struct {
	any      bool
	segments []glob
}

func compileARN(pattern string) arnPattern {
	if pattern == "*" {
		return arnPattern{any: true}
	}
	parts := strings.SplitN(pattern, ":", 6)
	segs := make([]glob, len(parts))
	for i, p := range parts {
		segs[i] = compileGlob(p)
	}
	return arnPattern{segments: segs}
}

// validARNPattern reports whether pattern is "*" or looks like an ARN: "arn:"
// and either all six segments or a wildcard that can stand for the rest.
func validARNPattern(pattern string) bool {
	if pattern == "*" {
		return true
	}
	return strings.HasPrefix(pattern, "arn:") &&
		(strings.Count(pattern, ":") >= 5 || strings.Contains(pattern, "*"))
}

func (a arnPattern) match(arn string) bool {
	if a.any {
		return true
	}
	return matchSegments(a.segments, arn)
}

// matchSegments matches the rest of an ARN against the remaining segment
// patterns. The last pattern takes the whole rest; a pattern ending in '*'
// may take several segments. ARNs have at most a handful of colons, so the
// retries stay few.
func matchSegments(segs []glob, rest string) bool {
	seg := segs[0]
	if len(segs) == 1 {
		return seg.match(rest)
	}
	spans := strings.HasSuffix(seg.pattern, "*")
	for i := 0; i < len(rest); i++ {
		if rest[i] != ':' {
			continue
		}
		if seg.match(rest[:i]) && matchSegments(segs[1:], rest[i+1:]) {
			return true
		}
		if !spans {
			return false
		}
	}
	return false
}
