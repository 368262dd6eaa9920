package cli

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
)

// toPlainTracked is toPlain that also records, for each map it makes,
// the object it came from.
func toPlainTracked(v any, origin map[uintptr]*object) any {
	switch x := v.(type) {
	case *object:
		m := make(map[string]any, len(x.keys))
		for _, k := range x.keys {
			m[k] = toPlainTracked(x.vals[k], origin)
		}
		origin[reflect.ValueOf(m).Pointer()] = x
		return m
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = toPlainTracked(e, origin)
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

// reorder turns a JMESPath result back into ordered values.
func reorder(v any, origin map[uintptr]*object, hashes [][]string) any {
	switch x := v.(type) {
	case map[string]any:
		var keys []string
		if o := origin[reflect.ValueOf(x).Pointer()]; o != nil {
			for _, k := range o.keys {
				if _, ok := x[k]; ok {
					keys = append(keys, k)
				}
			}
		}
		if len(keys) != len(x) {
			keys = nil
			for _, h := range hashes {
				if sameKeys(h, x) {
					keys = h
					break
				}
			}
		}
		if keys == nil {
			keys = keyOrder(x)
		}
		o := newObject()
		for _, k := range keys {
			o.set(k, reorder(x[k], origin, hashes))
		}
		return o
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = reorder(e, origin, hashes)
		}
		return out
	}
	return v
}

func sameKeys(keys []string, m map[string]any) bool {
	if len(keys) != len(m) {
		return false
	}
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			return false
		}
	}
	return true
}

// multiSelectKeys finds the keys of each multi-select hash in a JMESPath
// expression, in order: "{id: eventId, type: eventType}" gives [id type].
// It only needs to skip the expression's quoted parts correctly; a
// malformed expression has already been refused by the compiler.
func multiSelectKeys(expr string) [][]string {
	type frame struct {
		hash   bool
		keys   []string
		expect bool // a key may come next
	}
	var stack []*frame
	var out [][]string
	i := 0
	for i < len(expr) {
		c := expr[i]
		top := (*frame)(nil)
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch {
		case c == '"' || c == '\'' || c == '`':
			j := i + 1
			for j < len(expr) && expr[j] != c {
				if expr[j] == '\\' {
					j++
				}
				j++
			}
			if c == '"' && top != nil && top.hash && top.expect {
				var name string
				if err := json.Unmarshal([]byte(expr[i:min(j+1, len(expr))]), &name); err == nil {
					top.keys = append(top.keys, name)
					top.expect = false
				}
			}
			i = j + 1
			continue
		case c == '{':
			stack = append(stack, &frame{hash: true, expect: true})
		case c == '[' || c == '(':
			stack = append(stack, &frame{})
		case c == '}' || c == ']' || c == ')':
			if top != nil {
				if top.hash && len(top.keys) > 0 {
					out = append(out, top.keys)
				}
				stack = stack[:len(stack)-1]
			}
		case c == ',':
			if top != nil && top.hash {
				top.expect = true
			}
		case isIdentStart(c):
			j := i
			for j < len(expr) && isIdentChar(expr[j]) {
				j++
			}
			if top != nil && top.hash && top.expect {
				top.keys = append(top.keys, expr[i:j])
				top.expect = false
			}
			i = j
			continue
		}
		i++
	}
	// Inner hashes close first; the order of the lists does not matter
	// but duplicates of one key set should resolve the same way.
	sort.SliceStable(out, func(a, b int) bool { return strings.Join(out[a], ",") < strings.Join(out[b], ",") })
	return out
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentChar(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }
