package shape

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// EncodeOutput encodes the answer out as the wire sends it: the lists it
// always carries set (SendLists), then the generated encoder, which writes
// what json.Marshal would, without its reflection. It appends to b, which
// the caller may reuse once the body is written.
func EncodeOutput(b []byte, out any) ([]byte, error) {
	SendLists(out)
	if enc, ok := AppendOutput(b, out); ok {
		return enc, nil
	}
	// Not one of the model's answers: only a test sends such a thing.
	enc, err := json.Marshal(out)
	return append(b, enc...), err
}

// AppendHistoryEvent appends e's JSON, the bytes json.Marshal(e) gives,
// for code that encodes events to store or cache them (RawEvents must be
// exactly those bytes) without encoding/json's reflection.
func AppendHistoryEvent(b []byte, e *HistoryEvent) []byte {
	if e == nil {
		return append(b, "null"...)
	}
	return appendHistoryEvent(b, e)
}

// closeObject ends an object whose members were appended from start on,
// each after a comma: the first comma becomes the opening brace.
func closeObject(b []byte, start int) []byte {
	if len(b) == start {
		return append(b, "{}"...)
	}
	b[start] = '{'
	return append(b, '}')
}

// appendRawEvents appends stored events as a list, each as it was stored.
func appendRawEvents(b []byte, raw RawEvents) []byte {
	b = append(b, '[')
	for i, e := range raw {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, e...)
	}
	return append(b, ']')
}

// appendEpoch appends t as epoch seconds with up to three fraction digits,
// the wire's timestamp.
func appendEpoch(b []byte, t time.Time) []byte {
	ms := t.UnixMilli()
	if ms < 0 {
		b = append(b, '-')
		ms = -ms
	}
	b = strconv.AppendInt(b, ms/1000, 10)
	frac := ms % 1000
	if frac == 0 {
		return b
	}
	b = append(b, '.', byte('0'+frac/100))
	if frac%100 != 0 {
		b = append(b, byte('0'+frac/10%10))
		if frac%10 != 0 {
			b = append(b, byte('0'+frac%10))
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendString appends s quoted as encoding/json quotes it by default:
// <, > and & escaped for HTML, U+2028 and U+2029 escaped for JavaScript,
// invalid UTF-8 replaced by U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			b = appendEscaped(b, c)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendEscaped appends the escape encoding/json writes for the ASCII c.
func appendEscaped(b []byte, c byte) []byte {
	switch c {
	case '\\', '"':
		return append(b, '\\', c)
	case '\b':
		return append(b, '\\', 'b')
	case '\f':
		return append(b, '\\', 'f')
	case '\n':
		return append(b, '\\', 'n')
	case '\r':
		return append(b, '\\', 'r')
	case '\t':
		return append(b, '\\', 't')
	}
	return append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
}
