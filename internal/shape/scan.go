package shape

import (
	"bytes"
	"unicode/utf16"
	"unicode/utf8"
)

// scanner reads a request body once, straight into the generated input
// structs (codecs_gen.go). It only ever accepts: any input it is not sure
// the reference decoder (decodeReference) would take the same way, it
// refuses, and Decode then runs the reference decoder, which words the
// error. So a refusal here needs no message, and rare forms (escaped
// member names, invalid UTF-8, duplicate members) may be refused freely.
type scanner struct {
	b     []byte
	i     int
	depth int // objects and arrays open around the cursor
}

// isSpace is JSON's whitespace, all that encoding/json skips.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (s *scanner) ws() {
	for s.i < len(s.b) && isSpace(s.b[s.i]) {
		s.i++
	}
}

// enter consumes the opening bracket c of an object or array.
func (s *scanner) enter(c byte) bool {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != c {
		return false
	}
	s.i++
	s.depth++
	return s.depth <= MaxNesting
}

// key reads the next member name of an object, after enter('{'). It
// returns end when the object closes. Names with escapes are refused:
// encoding/json unescapes them before matching, and no client sends them.
func (s *scanner) key(first bool) (name []byte, end, ok bool) {
	s.ws()
	if s.i >= len(s.b) {
		return nil, false, false
	}
	if s.b[s.i] == '}' {
		s.i++
		s.depth--
		return nil, true, true
	}
	if !first {
		if s.b[s.i] != ',' {
			return nil, false, false
		}
		s.i++
		s.ws()
	}
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, false, false
	}
	start := s.i + 1
	for j := start; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			s.i = j + 1
			s.ws()
			if s.i >= len(s.b) || s.b[s.i] != ':' {
				return nil, false, false
			}
			s.i++
			return s.b[start:j], false, true
		case c == '\\' || c < 0x20:
			return nil, false, false
		}
	}
	return nil, false, false
}

// next reports whether an array holds another element, after enter('[').
func (s *scanner) next(first bool) (more, ok bool) {
	s.ws()
	if s.i >= len(s.b) {
		return false, false
	}
	if s.b[s.i] == ']' {
		s.i++
		s.depth--
		return false, true
	}
	if first {
		return true, true
	}
	if s.b[s.i] != ',' {
		return false, false
	}
	s.i++
	return true, true
}

// null consumes a null literal if one comes next.
func (s *scanner) null() bool {
	s.ws()
	if bytes.HasPrefix(s.b[s.i:], []byte("null")) {
		s.i += 4
		return true
	}
	return false
}

// boolean reads true or false.
func (s *scanner) boolean() (v, ok bool) {
	s.ws()
	rest := s.b[s.i:]
	switch {
	case bytes.HasPrefix(rest, []byte("true")):
		s.i += 4
		return true, true
	case bytes.HasPrefix(rest, []byte("false")):
		s.i += 5
		return false, true
	}
	return false, false
}

// strBytes reads a string and returns its decoded bytes: a slice of the
// body when it holds no escapes, else a fresh copy. Invalid UTF-8, which
// encoding/json would replace, is refused.
func (s *scanner) strBytes() ([]byte, bool) {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, false
	}
	start := s.i + 1
	ascii := true
	for j := start; j < len(s.b); j++ {
		c := s.b[j]
		switch {
		case c == '"':
			s.i = j + 1
			v := s.b[start:j]
			return v, ascii || utf8.Valid(v)
		case c == '\\':
			return s.unescape(start)
		case c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false
}

// str is strBytes as a string.
func (s *scanner) str() (string, bool) {
	b, ok := s.strBytes()
	return string(b), ok
}

// unescape decodes the string that starts at start and holds an escape,
// as encoding/json does: a lone surrogate becomes U+FFFD.
func (s *scanner) unescape(start int) ([]byte, bool) {
	// The decoded string is never longer than its literal.
	s.i = start - 1
	if !s.skipString() {
		return nil, false
	}
	out := make([]byte, 0, s.i-1-start)
	for j := start; j < len(s.b); {
		c := s.b[j]
		switch {
		case c == '"':
			s.i = j + 1
			return out, utf8.Valid(out)
		case c < 0x20:
			return nil, false
		case c != '\\':
			out = append(out, c)
			j++
			continue
		}
		if j+1 >= len(s.b) {
			return nil, false
		}
		switch e := s.b[j+1]; e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(s.b[j+2:])
			if !ok {
				return nil, false
			}
			j += 6
			if utf16.IsSurrogate(r) {
				if len(s.b) >= j+6 && s.b[j] == '\\' && s.b[j+1] == 'u' {
					if r2, ok := hex4(s.b[j+2:]); ok {
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							out = utf8.AppendRune(out, d)
							j += 6
							continue
						}
					}
				}
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
			continue
		default:
			return nil, false
		}
		j += 2
	}
	return nil, false
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r*16 + rune(c)
	}
	return r, true
}

// number reads a JSON number and returns its text; integer reports that it
// has neither a fraction nor an exponent.
func (s *scanner) number() (text []byte, integer, ok bool) {
	s.ws()
	start, j := s.i, s.i
	if j < len(s.b) && s.b[j] == '-' {
		j++
	}
	switch {
	case j < len(s.b) && s.b[j] == '0':
		j++
	case j < len(s.b) && '1' <= s.b[j] && s.b[j] <= '9':
		j = digits(s.b, j)
	default:
		return nil, false, false
	}
	integer = true
	if j < len(s.b) && s.b[j] == '.' {
		integer = false
		k := digits(s.b, j+1)
		if k == j+1 {
			return nil, false, false
		}
		j = k
	}
	if j < len(s.b) && (s.b[j] == 'e' || s.b[j] == 'E') {
		integer = false
		j++
		if j < len(s.b) && (s.b[j] == '+' || s.b[j] == '-') {
			j++
		}
		k := digits(s.b, j)
		if k == j {
			return nil, false, false
		}
		j = k
	}
	s.i = j
	return s.b[start:j], integer, true
}

func digits(b []byte, j int) int {
	for j < len(b) && '0' <= b[j] && b[j] <= '9' {
		j++
	}
	return j
}

// integer reads a JSON integer that fits in bits, as strconv.ParseInt
// would take it; fractions and exponents are refused, as the reference
// decoder refuses them.
func (s *scanner) integer(bits uint) (int64, bool) {
	text, isInt, ok := s.number()
	if !ok || !isInt {
		return 0, false
	}
	neg := text[0] == '-'
	if neg {
		text = text[1:]
	}
	limit := uint64(1) << (bits - 1) // the magnitude of the smallest value
	var n uint64
	for _, c := range text {
		if n > limit/10 {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
		if n > limit {
			return 0, false
		}
	}
	if neg {
		return -int64(n), true
	}
	if n == limit {
		return 0, false
	}
	return int64(n), true
}

// timestamp reads epoch seconds or an RFC 3339 string, as Timestamp's
// UnmarshalJSON does.
func (s *scanner) timestamp() (Timestamp, bool) {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '"' {
		str, ok := s.str()
		if !ok {
			return Timestamp{}, false
		}
		t, err := parseTimeString(str)
		return Timestamp{t}, err == nil
	}
	text, _, ok := s.number()
	if !ok {
		return Timestamp{}, false
	}
	t, err := parseEpoch(string(text))
	return Timestamp{t}, err == nil
}

// skip reads over a value of a member the model does not know, checking
// only that it is well formed.
func (s *scanner) skip() bool {
	s.ws()
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '{':
		return s.skipObject()
	case c == '[':
		return s.skipArray()
	case c == '"':
		return s.skipString()
	case c == 't':
		_, ok := s.boolean()
		return ok
	case c == 'f':
		_, ok := s.boolean()
		return ok
	case c == 'n':
		return s.null()
	default:
		_, _, ok := s.number()
		return ok
	}
}

func (s *scanner) skipObject() bool {
	if !s.enter('{') {
		return false
	}
	for first := true; ; first = false {
		s.ws()
		if s.i < len(s.b) && s.b[s.i] == '}' {
			s.i++
			s.depth--
			return true
		}
		if !first {
			if s.i >= len(s.b) || s.b[s.i] != ',' {
				return false
			}
			s.i++
		}
		if !s.skipString() {
			return false
		}
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return false
		}
		s.i++
		if !s.skip() {
			return false
		}
	}
}

func (s *scanner) skipArray() bool {
	if !s.enter('[') {
		return false
	}
	for first := true; ; first = false {
		more, ok := s.next(first)
		if !ok {
			return false
		}
		if !more {
			return true
		}
		if !s.skip() {
			return false
		}
	}
}

// skipString reads over a string, checking its escapes; its bytes need
// not be valid UTF-8, which encoding/json accepts too.
func (s *scanner) skipString() bool {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return false
	}
	for j := s.i + 1; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			s.i = j + 1
			return true
		case c < 0x20:
			return false
		case c == '\\':
			if j+1 >= len(s.b) {
				return false
			}
			switch s.b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j++
			case 'u':
				if _, ok := hex4(s.b[j+2:]); !ok {
					return false
				}
				j += 5
			default:
				return false
			}
		}
	}
	return false
}

// end reports whether nothing but whitespace follows the top-level value.
func (s *scanner) end() bool {
	s.ws()
	return s.i == len(s.b)
}

// runes counts the characters of a valid UTF-8 string.
func runes(b []byte) int { return utf8.RuneCount(b) }
