package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/openswf/openswf/internal/shape"
)

// object is a JSON object that keeps its keys in order: aws prints a
// response's members in the model's order (botocore builds its dicts by
// walking the output shape), and so do we.
type object struct {
	keys []string
	vals map[string]any
}

func newObject() *object { return &object{vals: map[string]any{}} }

func (o *object) set(k string, v any) {
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
}

func (o *object) get(k string) (any, bool) {
	v, ok := o.vals[k]
	return v, ok
}

func (o *object) del(k string) {
	if _, ok := o.vals[k]; !ok {
		return
	}
	delete(o.vals, k)
	for i, kk := range o.keys {
		if kk == k {
			o.keys = append(o.keys[:i:i], o.keys[i+1:]...)
			break
		}
	}
}

// shapeOutput arranges a decoded response by its shape: objects in model
// order (members the model does not know last, sorted) and timestamps,
// which the wire carries as epoch seconds, as ISO 8601 text in the local
// time zone, the AWS CLI v2 default (cli_timestamp_format = iso8601).
func shapeOutput(sh *shape.ShapeDef, v any) any {
	if sh == nil {
		return plainToOrdered(v)
	}
	switch sh.Type {
	case "structure":
		m, ok := v.(map[string]any)
		if !ok {
			return plainToOrdered(v)
		}
		o := newObject()
		for _, k := range orderedMembers(sh) {
			if mv, ok := m[k]; ok {
				o.set(k, shapeOutput(shape.LookupShape(sh.Members[k]), mv))
			}
		}
		var extra []string
		for k := range m {
			if _, ok := sh.Members[k]; !ok {
				extra = append(extra, k)
			}
		}
		sort.Strings(extra)
		for _, k := range extra {
			o.set(k, plainToOrdered(m[k]))
		}
		return o
	case "list":
		l, ok := v.([]any)
		if !ok {
			return plainToOrdered(v)
		}
		elem := shape.LookupShape(sh.Elem)
		out := make([]any, len(l))
		for i, e := range l {
			out[i] = shapeOutput(elem, e)
		}
		return out
	case "timestamp":
		if n, ok := v.(json.Number); ok {
			if f, err := strconv.ParseFloat(string(n), 64); err == nil {
				return isoTimestamp(epochTime(f))
			}
		}
	}
	return v
}

func epochTime(f float64) time.Time {
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(math.Round(frac*1e6))*1000)
}

// isoTimestamp renders t as Python's datetime.isoformat does: microseconds
// only when not zero, and a numeric UTC offset.
func isoTimestamp(t time.Time) string {
	t = t.In(time.Local)
	s := t.Format("2006-01-02T15:04:05")
	if us := t.Nanosecond() / 1000; us != 0 {
		s += fmt.Sprintf(".%06d", us)
	}
	return s + t.Format("-07:00")
}

// plainToOrdered turns maps into objects, keys sorted unless a structure
// of the model names them (see keyOrder).
func plainToOrdered(v any) any {
	switch x := v.(type) {
	case map[string]any:
		o := newObject()
		for _, k := range keyOrder(x) {
			o.set(k, plainToOrdered(x[k]))
		}
		return o
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plainToOrdered(e)
		}
		return out
	case *object:
		return x
	}
	return v
}

var (
	structsOnce sync.Once
	structs     []*shape.ShapeDef // every structure, fewest members first
)

// keyOrder orders the keys of a map that lost its order (a --query
// result): in the order of the smallest structure of the model that has
// all of them, else sorted.
func keyOrder(m map[string]any) []string {
	structsOnce.Do(func() {
		for _, sh := range shape.Model().Shapes {
			if sh.Type == "structure" && len(sh.Members) > 0 && !sh.Exception {
				structs = append(structs, sh)
			}
		}
		sort.Slice(structs, func(i, j int) bool {
			if len(structs[i].Members) != len(structs[j].Members) {
				return len(structs[i].Members) < len(structs[j].Members)
			}
			return structs[i].Name < structs[j].Name
		})
	})
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, sh := range structs {
		all := true
		for _, k := range keys {
			if _, ok := sh.Members[k]; !ok {
				all = false
				break
			}
		}
		if all {
			out := keys[:0:0]
			for _, k := range orderedMembers(sh) {
				if _, ok := m[k]; ok {
					out = append(out, k)
				}
			}
			return out
		}
	}
	return keys
}

// toPlain turns ordered values into what the JMESPath library searches:
// maps, slices, float64.
func toPlain(v any) any {
	switch x := v.(type) {
	case *object:
		m := make(map[string]any, len(x.keys))
		for _, k := range x.keys {
			m[k] = toPlain(x.vals[k])
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = toPlain(e)
		}
		return out
	case json.Number:
		if f, err := x.Float64(); err == nil {
			return f
		}
		return string(x)
	}
	return v
}

// writeJSON prints v as Python's json.dumps(v, indent=4,
// ensure_ascii=False) does, which is what aws prints.
func writeJSON(w io.Writer, v any) error {
	var b strings.Builder
	encodeJSON(&b, v, 0)
	b.WriteByte('\n')
	_, err := io.WriteString(w, b.String())
	return err
}

func encodeJSON(b *strings.Builder, v any, depth int) {
	nl := func(d int) {
		b.WriteByte('\n')
		b.WriteString(strings.Repeat("    ", d))
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case string:
		quotePython(b, x)
	case json.Number:
		b.WriteString(string(x))
	case float64:
		b.WriteString(pyFloat(x))
	case int:
		b.WriteString(strconv.Itoa(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case *object:
		if len(x.keys) == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteByte('{')
		for i, k := range x.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			nl(depth + 1)
			quotePython(b, k)
			b.WriteString(": ")
			encodeJSON(b, x.vals[k], depth+1)
		}
		nl(depth)
		b.WriteByte('}')
	case map[string]any:
		encodeJSON(b, plainToOrdered(x), depth)
	case []any:
		if len(x) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			nl(depth + 1)
			encodeJSON(b, e, depth+1)
		}
		nl(depth)
		b.WriteByte(']')
	default:
		fmt.Fprintf(b, "%v", x)
	}
}

// quotePython quotes s as Python's json module does with ensure_ascii off:
// only the quote, the backslash and control characters are escaped.
func quotePython(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			if r < 0x20 {
				fmt.Fprintf(b, `\u%04x`, r)
			} else if r == utf8.RuneError {
				b.WriteString(`\ufffd`)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}

// pyFloat renders a float as Python would print the number it stands for:
// whole numbers (JMESPath's numbers are all floats here, the service's are
// all integers) without a fraction.
func pyFloat(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e16 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// pyStr is Python's str() of a value, which the text and table formats
// print.
func pyStr(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case string:
		return x
	case json.Number:
		return string(x)
	case float64:
		return pyFloat(x)
	case *object, []any, map[string]any:
		var b strings.Builder
		encodeJSON(&b, x, 0)
		return b.String()
	}
	return fmt.Sprint(v)
}

func isScalar(v any) bool {
	switch v.(type) {
	case *object, []any, map[string]any:
		return false
	}
	return true
}

// isEmpty is Python's "not value" for what can appear in a response.
func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case bool:
		return !x
	case string:
		return x == ""
	case json.Number:
		f, _ := x.Float64()
		return f == 0
	case float64:
		return x == 0
	case *object:
		return len(x.keys) == 0
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// writeText prints v as aws's text format does (awscli/text.py): a line
// per object, its scalar values tab-separated in key order, nested
// objects and lists on lines of their own headed by their upper-cased key.
func writeText(w io.Writer, v any) {
	var b strings.Builder
	formatText(&b, plainToOrdered(v), "", nil)
	io.WriteString(w, b.String())
}

func formatText(b *strings.Builder, item any, identifier string, scalarKeys []string) {
	switch x := item.(type) {
	case *object:
		formatTextDict(b, x, identifier, scalarKeys)
	case []any:
		formatTextList(b, x, identifier)
	default:
		b.WriteString(pyStr(x))
		b.WriteByte('\n')
	}
}

func formatTextList(b *strings.Builder, item []any, identifier string) {
	if len(item) == 0 {
		return
	}
	anyDict, anyList := false, false
	for _, e := range item {
		switch e.(type) {
		case *object:
			anyDict = true
		case []any:
			anyList = true
		}
	}
	switch {
	case anyDict:
		keys := allScalarKeys(item)
		for _, e := range item {
			formatText(b, e, identifier, keys)
		}
	case anyList:
		var scalars, others []any
		for _, e := range item {
			if isScalar(e) {
				scalars = append(scalars, e)
			} else {
				others = append(others, e)
			}
		}
		if len(scalars) > 0 {
			formatScalarList(b, scalars, identifier)
		}
		for _, e := range others {
			formatText(b, e, identifier, nil)
		}
	default:
		formatScalarList(b, item, identifier)
	}
}

func formatScalarList(b *strings.Builder, elems []any, identifier string) {
	if identifier != "" {
		for _, e := range elems {
			b.WriteString(strings.ToUpper(identifier) + "\t" + pyStr(e) + "\n")
		}
		return
	}
	parts := make([]string, len(elems))
	for i, e := range elems {
		parts[i] = pyStr(e)
	}
	b.WriteString(strings.Join(parts, "\t") + "\n")
}

func formatTextDict(b *strings.Builder, item *object, identifier string, scalarKeys []string) {
	var scalars []string
	type pair struct {
		k string
		v any
	}
	var nonScalars []pair
	if scalarKeys == nil {
		keys := append([]string(nil), item.keys...)
		sort.Strings(keys)
		for _, k := range keys {
			v := item.vals[k]
			if isScalar(v) {
				scalars = append(scalars, pyStr(v))
			} else {
				nonScalars = append(nonScalars, pair{k, v})
			}
		}
	} else {
		in := map[string]bool{}
		for _, k := range scalarKeys {
			in[k] = true
			v, ok := item.vals[k]
			if !ok {
				scalars = append(scalars, "")
			} else {
				scalars = append(scalars, pyStr(v))
			}
		}
		var rest []string
		for _, k := range item.keys {
			if !in[k] {
				rest = append(rest, k)
			}
		}
		sort.Strings(rest)
		for _, k := range rest {
			nonScalars = append(nonScalars, pair{k, item.vals[k]})
		}
	}
	if len(scalars) > 0 {
		if identifier != "" {
			scalars = append([]string{strings.ToUpper(identifier)}, scalars...)
		}
		b.WriteString(strings.Join(scalars, "\t") + "\n")
	}
	for _, p := range nonScalars {
		formatText(b, p.v, p.k, nil)
	}
}

func allScalarKeys(list []any) []string {
	seen := map[string]bool{}
	for _, e := range list {
		if o, ok := e.(*object); ok {
			for _, k := range o.keys {
				if isScalar(o.vals[k]) {
					seen[k] = true
				}
			}
		}
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
