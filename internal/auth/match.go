package auth

import (
	"math/bits"
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
//
// Put another way, the pattern is one glob, its segments joined by literal
// colons, in which the wildcards of a segment that ends in '*' (and of the
// last segment) match any character while those of other segments match
// anything but a colon. It is compiled to that glob and matched in one pass
// over the ARN, keeping the set of pattern positions reached: time
// proportional to the ARN's length times the pattern's, whatever the ARN.
// (Trying every way to split the ARN at its colons instead takes time that
// grows with the number of colons to the power of the spanning segments: a
// caller's 1,600-character resourceArn of colons kept one evaluation of
// "arn:aws:swf:*:*:/domain/prod" busy for a second, and of
// "arn:*:*:*:*:/domain/x" for hours.)
type arnPattern struct {
	any  bool
	prog []arnOp
	// small is set for patterns of fewer than 64 positions, which match
	// with one machine word for the set (Shift-And): bit p stands for
	// position p, and these masks for the positions of each kind.
	small           bool
	ascii           *[128]uint64     // literal ASCII characters, by character
	other           map[int32]uint64 // other literal characters
	one, oneColon   uint64           // '?'; those that may match ':'
	star, starColon uint64           // '*'; those that may match ':'
	stars           int              // the longest run of '*' in the pattern
}

// arnOp is one position of a compiled ARN pattern.
type arnOp struct {
	kind  byte // opLiteral, opOne ('?') or opAny ('*')
	colon bool // opOne, opAny: may match ':'
	unit  int32
}

const (
	opLiteral = iota
	opOne
	opAny
)

// unitAt returns the character of s at byte offset i and its length: the
// rune, or for a byte that does not start valid UTF-8, a negative value of
// its own, so that it equals only itself. '?' and '*' match one such unit,
// as glob does.
func unitAt(s string, i int) (int32, int) {
	r, n := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError && n == 1 {
		return -1 - int32(s[i]), 1
	}
	return r, n
}

func compileARN(pattern string) arnPattern {
	if pattern == "*" {
		return arnPattern{any: true}
	}
	parts := strings.SplitN(pattern, ":", 6)
	var prog []arnOp
	for i, part := range parts {
		if i > 0 {
			prog = append(prog, arnOp{kind: opLiteral, unit: ':'})
		}
		colon := i == len(parts)-1 || strings.HasSuffix(part, "*")
		for j := 0; j < len(part); {
			u, n := unitAt(part, j)
			switch u {
			case '*':
				prog = append(prog, arnOp{kind: opAny, colon: colon})
			case '?':
				prog = append(prog, arnOp{kind: opOne, colon: colon})
			default:
				prog = append(prog, arnOp{kind: opLiteral, unit: u})
			}
			j += n
		}
	}
	a := arnPattern{prog: prog}
	if len(prog) < 64 {
		a.small, a.ascii = true, new([128]uint64)
		for p, op := range prog {
			bit := uint64(1) << p
			switch {
			case op.kind == opOne:
				a.one |= bit
				if op.colon {
					a.oneColon |= bit
				}
			case op.kind == opAny:
				a.star |= bit
				if op.colon {
					a.starColon |= bit
				}
				run := 1
				for q := p - 1; q >= 0 && prog[q].kind == opAny; q-- {
					run++
				}
				a.stars = max(a.stars, run)
			case op.unit >= 0 && op.unit < 128:
				a.ascii[op.unit] |= bit
			default:
				if a.other == nil {
					a.other = map[int32]uint64{}
				}
				a.other[op.unit] |= bit
			}
		}
	}
	return a
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
	if a.small {
		return a.matchSmall(arn)
	}
	n := len(a.prog)
	words := n/64 + 1 // one bit per position, and one for the end
	cur, next := make([]uint64, words), make([]uint64, words)
	cur[0] = 1
	a.skipStars(cur)
	for i := 0; i < len(arn); {
		u, size := unitAt(arn, i)
		i += size
		clear(next)
		live := false
		for w, word := range cur {
			for word != 0 {
				p := w*64 + bits.TrailingZeros64(word)
				word &= word - 1
				if p == n {
					continue // the end of the pattern, and more ARN to match
				}
				op := a.prog[p]
				switch {
				case op.kind == opLiteral && op.unit == u,
					op.kind == opOne && (op.colon || u != ':'):
					next[(p+1)/64] |= 1 << ((p + 1) % 64)
					live = true
				case op.kind == opAny && (op.colon || u != ':'):
					next[p/64] |= 1 << (p % 64)
					live = true
				}
			}
		}
		if !live {
			return false
		}
		a.skipStars(next)
		cur, next = next, cur
	}
	return cur[n/64]&(1<<(n%64)) != 0
}

// skipStars adds to set the positions reached by letting each '*' in it
// match nothing.
func (a arnPattern) skipStars(set []uint64) {
	for p, op := range a.prog {
		if op.kind == opAny && set[p/64]&(1<<(p%64)) != 0 {
			set[(p+1)/64] |= 1 << ((p + 1) % 64)
		}
	}
}

// matchSmall is match for a small pattern: per character of the ARN, a
// few operations on one word.
func (a arnPattern) matchSmall(arn string) bool {
	cur := a.skipStarsSmall(1)
	for i := 0; i < len(arn); {
		var lit uint64
		u := int32(arn[i])
		if u < utf8.RuneSelf {
			lit = a.ascii[u]
			i++
		} else {
			var size int
			u, size = unitAt(arn, i)
			lit = a.other[u]
			i += size
		}
		one, star := a.one, a.star
		if u == ':' {
			one, star = a.oneColon, a.starColon
		}
		cur = (cur&(lit|one))<<1 | cur&star
		if cur == 0 {
			return false
		}
		cur = a.skipStarsSmall(cur)
	}
	return cur&(1<<len(a.prog)) != 0
}

// skipStarsSmall is skipStars for a small pattern's set: one step per '*'
// of the longest run of them.
func (a arnPattern) skipStarsSmall(set uint64) uint64 {
	for range a.stars {
		set |= (set & a.star) << 1
	}
	return set
}
