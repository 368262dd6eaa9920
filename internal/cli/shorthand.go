package cli

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/openswf/openswf/internal/shape"
)

// The AWS CLI's shorthand syntax (awscli/shorthand.py), for structures and
// lists of structures given on the command line:
//
//	--task-list name=mylist
//	--workflow-type name=wf,version=1
//	--tags key=a,value=b key=c,value=d
//	--execution-filter workflowId=w --type-filter '{name=wf, version=1}'
//
// The grammar, as aws implements it:
//
//	parameter     = keyval *("," keyval)
//	keyval        = key ["@"] "=" [values]
//	values        = csv-list / explicit-list / hash-literal
//	csv-list      = first-value *("," second-value)
//	explicit-list = "[" [value *("," value)] "]"
//	hash-literal  = "{" [key "=" value *("," key "=" value)] "}"
//	value         = quoted / unquoted, with "\," for a literal comma
//
// parseShorthand is purely syntactic: every value is a string, a list or a
// map. backCompat then converts scalars by the model (integers, booleans)
// and turns a single value given to a list member into a one-element list,
// as aws does.

// Character classes of awscli's _START_WORD, _FIRST_FOLLOW_CHARS and
// _SECOND_FOLLOW_CHARS, ranges byte for byte (Python's upper bound \uffff
// is widened to all of Unicode).
const (
	shStartWord    = `!#-&(-+\--<>-Z\\-z|-\x{10FFFF}`
	shFirstFollow  = `\s!#-&(-+\--\\^-|~-\x{10FFFF}`
	shSecondFollow = `\s!#-&(-+\--<>-\x{10FFFF}`
	shEscapedComma = `(\\,)`
)

var (
	shSingleQuoted = regexp.MustCompile(`^'(?:\\'|[^'])*'`)
	shDoubleQuoted = regexp.MustCompile(`^"(?:\\"|[^"])*"`)
	shFirstValue   = regexp.MustCompile(`^(` + shEscapedComma + `|[` + shStartWord + `])(` + shEscapedComma + `|[` + shFirstFollow + `])*`)
	shSecondValue  = regexp.MustCompile(`^(` + shEscapedComma + `|[` + shStartWord + `])(` + shEscapedComma + `|[` + shSecondFollow + `])*`)
)

// shorthandError is a syntax error, located with a caret as aws does.
type shorthandError struct {
	msg string
}

func (e *shorthandError) Error() string { return e.msg }

// errorLocation renders the input with a caret under index.
func errorLocation(value string, index int) string {
	consumed, remaining, spaces := value, "", index
	if i := strings.LastIndexByte(value[:index], '\n'); i >= 0 {
		spaces = index - i - 1
	}
	if i := strings.IndexByte(value[index:], '\n'); i >= 0 {
		consumed = value[:index+i]
		remaining = value[index+i:]
	}
	return consumed + "\n" + strings.Repeat(" ", spaces) + "^" + remaining
}

type shorthandParser struct {
	in string
	i  int
	// readFile resolves file:// values after "@=".
	readFile  func(string) (string, bool, error)
	resolveAt bool
}

// parseShorthand parses one shorthand word into a map.
func parseShorthand(s string, readFile func(string) (string, bool, error)) (map[string]any, error) {
	p := &shorthandParser{in: s, readFile: readFile}
	return p.parameter()
}

func (p *shorthandParser) syntaxErr(expected, actual string) error {
	return &shorthandError{fmt.Sprintf("Expected: '%s', received: '%s' for input:\n%s", expected, actual, errorLocation(p.in, p.i))}
}

func (p *shorthandParser) eof() bool { return p.i >= len(p.in) }

// current returns the byte at the cursor, or 0 at the end.
func (p *shorthandParser) current() byte {
	if p.eof() {
		return 0
	}
	return p.in[p.i]
}

func (p *shorthandParser) skipSpace() {
	for !p.eof() && strings.IndexByte(" \t\n\r\v\f", p.in[p.i]) >= 0 {
		p.i++
	}
}

func (p *shorthandParser) expect(c byte, skipSpace bool) error {
	if skipSpace {
		p.skipSpace()
	}
	if p.eof() {
		return p.syntaxErr(string(c), "EOF")
	}
	if p.in[p.i] != c {
		return p.syntaxErr(string(c), string(p.in[p.i]))
	}
	p.i++
	if skipSpace {
		p.skipSpace()
	}
	return nil
}

func (p *shorthandParser) parameter() (map[string]any, error) {
	params := map[string]any{}
	k, v, err := p.keyval()
	if err != nil {
		return nil, err
	}
	params[k] = v
	last := p.i
	for !p.eof() {
		if err := p.expect(',', true); err != nil {
			return nil, err
		}
		k, v, err := p.keyval()
		if err != nil {
			return nil, err
		}
		if _, dup := params[k]; dup {
			return nil, &shorthandError{fmt.Sprintf("Second instance of key %q encountered for input:\n%s\nThis is often because there is a preceding \",\" instead of a space.", k, errorLocation(p.in, last+1))}
		}
		params[k] = v
		last = p.i
	}
	return params, nil
}

func (p *shorthandParser) keyval() (string, any, error) {
	k := p.key()
	p.resolveAt = false
	save := p.i
	if err := p.expect('@', true); err == nil {
		p.resolveAt = true
	} else {
		p.i = save
	}
	if err := p.expect('=', true); err != nil {
		return "", nil, err
	}
	v, err := p.values()
	return k, v, err
}

func (p *shorthandParser) key() string {
	start := p.i
	for !p.eof() {
		c := p.in[p.i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.#/:", c) >= 0) {
			break
		}
		p.i++
	}
	return p.in[start:p.i]
}

func (p *shorthandParser) values() (any, error) {
	switch {
	case p.eof():
		return "", nil
	case p.current() == '[':
		return p.explicitList()
	case p.current() == '{':
		return p.hashLiteral()
	default:
		return p.csvValue()
	}
}

func (p *shorthandParser) csvValue() (any, error) {
	first, err := p.firstValue()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.eof() || p.in[p.i] != ',' {
		return first, nil
	}
	if err := p.expect(',', true); err != nil {
		return nil, err
	}
	list := []any{first}
	for {
		cur, err := p.secondValue()
		if err == nil {
			p.skipSpace()
			if p.eof() {
				list = append(list, cur)
				break
			}
			err = p.expect(',', true)
			if err == nil {
				list = append(list, cur)
				continue
			}
		}
		// a=b,c=d: "c" was a key, not a second value. Back up to the
		// comma before it and let parameter() read the next keyval.
		if p.eof() {
			return nil, err
		}
		p.backtrackTo(',')
		break
	}
	if len(list) == 1 {
		return first, nil
	}
	return list, nil
}

func (p *shorthandParser) backtrackTo(c byte) {
	for p.i >= 0 && (p.i >= len(p.in) || p.in[p.i] != c) {
		p.i--
	}
}

func (p *shorthandParser) resolve(v string) (string, error) {
	if !p.resolveAt || p.readFile == nil {
		return v, nil
	}
	s, ok, err := p.readFile(v)
	if err != nil {
		return "", err
	}
	if ok {
		return s, nil
	}
	return v, nil
}

func (p *shorthandParser) value() (string, error) {
	m := shFirstValue.FindString(p.in[p.i:])
	if m == "" {
		return "", nil
	}
	p.i += len(m)
	return p.resolve(strings.TrimRight(strings.ReplaceAll(m, `\,`, ","), " \t\n\r\v\f"))
}

func (p *shorthandParser) explicitList() ([]any, error) {
	if err := p.expect('[', true); err != nil {
		return nil, err
	}
	values := []any{}
	for p.current() != ']' {
		if p.eof() {
			return nil, p.syntaxErr("]", "EOF")
		}
		v, err := p.explicitValues()
		if err != nil {
			return nil, err
		}
		values = append(values, v)
		p.skipSpace()
		if p.current() != ']' {
			if err := p.expect(',', false); err != nil {
				return nil, err
			}
			p.skipSpace()
		}
	}
	if err := p.expect(']', false); err != nil {
		return nil, err
	}
	return values, nil
}

func (p *shorthandParser) explicitValues() (any, error) {
	switch p.current() {
	case '[':
		return p.explicitList()
	case '{':
		return p.hashLiteral()
	default:
		return p.firstValue()
	}
}

func (p *shorthandParser) hashLiteral() (map[string]any, error) {
	if err := p.expect('{', true); err != nil {
		return nil, err
	}
	kv := map[string]any{}
	for p.current() != '}' {
		if p.eof() {
			return nil, p.syntaxErr("}", "EOF")
		}
		k := p.key()
		p.resolveAt = false
		save := p.i
		if err := p.expect('@', true); err == nil {
			p.resolveAt = true
		} else {
			p.i = save
		}
		if err := p.expect('=', true); err != nil {
			return nil, err
		}
		v, err := p.explicitValues()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.current() != '}' {
			if err := p.expect(',', false); err != nil {
				return nil, err
			}
			p.skipSpace()
		}
		kv[k] = v
	}
	if err := p.expect('}', false); err != nil {
		return nil, err
	}
	return kv, nil
}

func (p *shorthandParser) firstValue() (string, error) {
	switch p.current() {
	case '\'':
		return p.quoted(shSingleQuoted, '\'')
	case '"':
		return p.quoted(shDoubleQuoted, '"')
	}
	return p.value()
}

func (p *shorthandParser) secondValue() (string, error) {
	switch p.current() {
	case '\'':
		return p.quoted(shSingleQuoted, '\'')
	case '"':
		return p.quoted(shDoubleQuoted, '"')
	}
	m := shSecondValue.FindString(p.in[p.i:])
	if m == "" {
		return "", p.syntaxErr("<second>", "<none>")
	}
	p.i += len(m)
	return p.resolve(strings.TrimRight(strings.ReplaceAll(m, `\,`, ","), " \t\n\r\v\f"))
}

func (p *shorthandParser) quoted(re *regexp.Regexp, q byte) (string, error) {
	m := re.FindString(p.in[p.i:])
	if m == "" {
		name := "singled quoted"
		if q == '"' {
			name = "double quoted"
		}
		return "", p.syntaxErr("<"+name+">", "<none>")
	}
	p.i += len(m)
	v := m[1 : len(m)-1]
	v = strings.ReplaceAll(v, `\`+string(q), string(q))
	v = strings.ReplaceAll(v, `\\`, `\`)
	return p.resolve(v)
}

// backCompat converts a parsed shorthand value by the model, as awscli's
// BackCompatVisitor does: integers and booleans from their text, and a
// single value where a list is expected into a one-element list. Values it
// cannot convert are left for validation to report.
func backCompat(sh *shape.ShapeDef, v any) any {
	if v == nil || sh == nil {
		return v
	}
	switch sh.Type {
	case "structure":
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		for k, mv := range m {
			if target, ok := sh.Members[k]; ok {
				m[k] = backCompat(shape.LookupShape(target), mv)
			}
		}
		return m
	case "list":
		l, ok := v.([]any)
		if !ok {
			return []any{backCompat(shape.LookupShape(sh.Elem), v)}
		}
		elem := shape.LookupShape(sh.Elem)
		for i := range l {
			l[i] = backCompat(elem, l[i])
		}
		return l
	case "integer", "long":
		if s, ok := v.(string); ok {
			if n, ok := parseInteger(s); ok {
				return n
			}
		}
		return v
	case "boolean":
		if s, ok := v.(string); ok {
			switch strings.ToLower(s) {
			case "true":
				return true
			case "false":
				return false
			}
		}
		return v
	case "timestamp":
		if s, ok := v.(string); ok {
			if n, err := parseTimestamp(s); err == nil {
				return n
			}
		}
		return v
	}
	return v
}
