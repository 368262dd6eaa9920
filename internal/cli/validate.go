package cli

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/openswf/openswf/internal/shape"
)

// validationError lists what is wrong with a request before it is sent,
// each problem naming the flag it came from. The exit code is 252.
type validationError struct {
	Problems []string
}

func (e *validationError) Error() string {
	return "Parameter validation failed:\n" + strings.Join(e.Problems, "\n")
}

// validator checks a request against the model: types, required members,
// lengths, ranges and enums, the limits the service enforces. It reports
// every problem, in the order of the flags.
type validator struct {
	problems []string
}

func (v *validator) add(flag, path, format string, args ...any) {
	where := "--" + flag
	if path != "" {
		where += " " + path
	}
	v.problems = append(v.problems, where+": "+fmt.Sprintf(format, args...))
}

// validateInput checks the whole input of c. Missing required top-level
// members are reported by the caller, which words them as aws does.
func validateInput(c *command, in map[string]any) error {
	v := &validator{}
	var unknown []string
	for k := range in {
		if c.byMember[k] == nil {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sortStrings(unknown)
		names := make([]string, 0, len(c.Params))
		for _, p := range c.Params {
			names = append(names, p.Member)
		}
		for _, k := range unknown {
			v.problems = append(v.problems, fmt.Sprintf("Unknown parameter in input: %q, must be one of: %s", k, strings.Join(names, ", ")))
		}
	}
	for _, p := range c.Params {
		val, ok := in[p.Member]
		if !ok || val == nil {
			continue
		}
		v.value(p.Flag, "", p.Shape, val)
	}
	if len(v.problems) > 0 {
		return &validationError{Problems: v.problems}
	}
	return nil
}

func (v *validator) value(flag, path string, sh *shape.ShapeDef, val any) {
	switch sh.Type {
	case "structure":
		m, ok := val.(map[string]any)
		if !ok {
			v.add(flag, path, "expected a structure, got %s", jsonType(val))
			return
		}
		members := orderedMembers(sh)
		var unknown []string
		for k := range m {
			if _, ok := sh.Members[k]; !ok {
				unknown = append(unknown, k)
			}
		}
		sortStrings(unknown)
		for _, k := range unknown {
			v.add(flag, path, "unknown member %q, must be one of: %s", k, strings.Join(members, ", "))
		}
		for _, k := range members {
			mv, present := m[k]
			if !present || mv == nil {
				if sh.IsRequired(k) {
					v.add(flag, path, "missing required member %q", k)
				}
				continue
			}
			v.value(flag, joinMemberPath(path, k), shape.LookupShape(sh.Members[k]), mv)
		}
	case "list":
		l, ok := val.([]any)
		if !ok {
			v.add(flag, path, "expected a list, got %s", jsonType(val))
			return
		}
		v.count(flag, path, sh, len(l))
		elem := shape.LookupShape(sh.Elem)
		for i, e := range l {
			p := path + "[" + strconv.Itoa(i) + "]"
			if e == nil {
				v.add(flag, p, "null is not allowed in a list")
				continue
			}
			v.value(flag, p, elem, e)
		}
	case "string":
		s, ok := val.(string)
		if !ok {
			v.add(flag, path, "expected a string, got %s", jsonType(val))
			return
		}
		n := utf8.RuneCountInString(s)
		if sh.Min != nil && int64(n) < *sh.Min {
			v.add(flag, path, "length %d is less than the minimum %d", n, *sh.Min)
		}
		if sh.Max != nil && int64(n) > *sh.Max {
			v.add(flag, path, "length %d is more than the maximum %d", n, *sh.Max)
		}
		if len(sh.Enum) > 0 && !contains(sh.Enum, s) {
			v.add(flag, path, "%q is not one of %s", s, strings.Join(sh.Enum, ", "))
		}
	case "integer", "long":
		n, ok := val.(json.Number)
		if !ok {
			v.add(flag, path, "expected an integer, got %s", jsonType(val))
			return
		}
		bits := 64
		if sh.Type == "integer" {
			bits = 32
		}
		i, err := strconv.ParseInt(string(n), 10, bits)
		if err != nil {
			v.add(flag, path, "%s is not a %d-bit integer", n, bits)
			return
		}
		if sh.Min != nil && i < *sh.Min {
			v.add(flag, path, "value %d is less than the minimum %d", i, *sh.Min)
		}
		if sh.Max != nil && i > *sh.Max {
			v.add(flag, path, "value %d is more than the maximum %d", i, *sh.Max)
		}
	case "boolean":
		if _, ok := val.(bool); !ok {
			v.add(flag, path, "expected true or false, got %s", jsonType(val))
		}
	case "timestamp":
		switch t := val.(type) {
		case json.Number:
			if _, err := strconv.ParseFloat(string(t), 64); err != nil {
				v.add(flag, path, "invalid timestamp %s", t)
			}
		case string:
			if _, err := parseTimestamp(t); err != nil {
				v.add(flag, path, "%v", err)
			}
		default:
			v.add(flag, path, "expected a timestamp, got %s", jsonType(val))
		}
	}
}

// count checks a list's length.
func (v *validator) count(flag, path string, sh *shape.ShapeDef, n int) {
	items := func(n int) string {
		if n == 1 {
			return "1 item"
		}
		return strconv.Itoa(n) + " items"
	}
	if sh.Min != nil && int64(n) < *sh.Min {
		v.add(flag, path, "%s, fewer than the minimum %d", items(n), *sh.Min)
	}
	if sh.Max != nil && int64(n) > *sh.Max {
		v.add(flag, path, "%s, more than the maximum %d", items(n), *sh.Max)
	}
}

func joinMemberPath(path, member string) string {
	if path == "" {
		return member
	}
	return path + "." + member
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number, float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "a structure"
	}
	return fmt.Sprintf("%T", v)
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// normalizeTimestamps rewrites timestamps given as text into epoch
// seconds, the JSON protocol's form, after validation accepted them.
func normalizeTimestamps(sh *shape.ShapeDef, val any) any {
	switch sh.Type {
	case "structure":
		if m, ok := val.(map[string]any); ok {
			for k, mv := range m {
				if target, ok := sh.Members[k]; ok && mv != nil {
					m[k] = normalizeTimestamps(shape.LookupShape(target), mv)
				}
			}
		}
	case "list":
		if l, ok := val.([]any); ok {
			elem := shape.LookupShape(sh.Elem)
			for i := range l {
				if l[i] != nil {
					l[i] = normalizeTimestamps(elem, l[i])
				}
			}
		}
	case "timestamp":
		if s, ok := val.(string); ok {
			if n, err := parseTimestamp(s); err == nil {
				return n
			}
		}
	}
	return val
}
