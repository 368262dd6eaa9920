package auth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// opKind is the comparison a condition operator makes between one value from
// the request context and one value from the policy.
type opKind int

const (
	opStringEquals opKind = iota
	opStringEqualsIgnoreCase
	opStringLike
	opNumericEquals
	opNumericLessThan
	opNumericLessThanEquals
	opNumericGreaterThan
	opNumericGreaterThanEquals
	opBool
	opArnLike // ArnEquals and ArnLike are the same test in IAM
	opIPAddress
	opNull
)

// operators maps each supported operator name (without a set prefix or the
// IfExists suffix) to its comparison and whether it is negated. A negated
// operator is true when no policy value matches (NOR), as IAM defines it.
var operators = map[string]struct {
	kind   opKind
	negate bool
}{
	"StringEquals":              {opStringEquals, false},
	"StringNotEquals":           {opStringEquals, true},
	"StringEqualsIgnoreCase":    {opStringEqualsIgnoreCase, false},
	"StringNotEqualsIgnoreCase": {opStringEqualsIgnoreCase, true},
	"StringLike":                {opStringLike, false},
	"StringNotLike":             {opStringLike, true},
	"NumericEquals":             {opNumericEquals, false},
	"NumericNotEquals":          {opNumericEquals, true},
	"NumericLessThan":           {opNumericLessThan, false},
	"NumericLessThanEquals":     {opNumericLessThanEquals, false},
	"NumericGreaterThan":        {opNumericGreaterThan, false},
	"NumericGreaterThanEquals":  {opNumericGreaterThanEquals, false},
	"Bool":                      {opBool, false},
	"ArnEquals":                 {opArnLike, false},
	"ArnLike":                   {opArnLike, false},
	"ArnNotEquals":              {opArnLike, true},
	"ArnNotLike":                {opArnLike, true},
	"IpAddress":                 {opIPAddress, false},
	"NotIpAddress":              {opIPAddress, true},
	"Null":                      {opNull, false},
}

// setKind is the set operator prefixed to a condition operator, if any.
type setKind int

const (
	setNone setKind = iota
	setForAnyValue
	setForAllValues
)

// condition is one key under one operator of a statement's Condition
// block, compiled: its policy values parsed once into the form the
// operator compares.
type condition struct {
	key      string
	kind     opKind
	negate   bool
	ifExists bool
	set      setKind

	strs     []string // StringEquals; lower-cased for IgnoreCase; "true"/"false" for Bool
	globs    []glob   // StringLike
	arns     []arnPattern
	nums     []float64
	prefixes []netip.Prefix
	null     []bool // Null: true means "the key must be missing"
}

// eval reports whether the condition holds for ctx.
func (c *condition) eval(ctx Context) bool {
	values := ctx.lookup(c.key)
	missing := len(values) == 0
	if c.kind == opNull {
		for _, wantMissing := range c.null {
			if wantMissing == missing {
				return true
			}
		}
		return false
	}
	if missing {
		switch {
		case c.ifExists:
			return true
		case c.set == setForAllValues:
			return true // vacuously: every one of no values matches
		case c.set == setForAnyValue:
			return false
		default:
			return c.negate
		}
	}
	switch c.set {
	case setForAnyValue:
		for _, v := range values {
			if c.match(v) != c.negate {
				return true
			}
		}
		return false
	case setForAllValues:
		for _, v := range values {
			if c.match(v) == c.negate {
				return false
			}
		}
		return true
	default:
		// A single-valued key has one value; should a caller pass several
		// without a set operator, the positive operators need one of them to
		// match and the negated ones need none to.
		for _, v := range values {
			if c.match(v) {
				return !c.negate
			}
		}
		return c.negate
	}
}

// match reports whether the context value v matches any of the policy's
// values under the (un-negated) operator.
func (c *condition) match(v string) bool {
	switch c.kind {
	case opStringEquals:
		for _, s := range c.strs {
			if s == v {
				return true
			}
		}
	case opStringEqualsIgnoreCase:
		for _, s := range c.strs {
			if strings.EqualFold(s, v) {
				return true
			}
		}
	case opBool:
		for _, s := range c.strs {
			if strings.EqualFold(s, v) {
				return true
			}
		}
	case opStringLike:
		for _, g := range c.globs {
			if g.match(v) {
				return true
			}
		}
	case opArnLike:
		for _, a := range c.arns {
			if a.match(v) {
				return true
			}
		}
	case opIPAddress:
		addr, err := netip.ParseAddr(v)
		if err != nil {
			return false
		}
		addr = addr.Unmap()
		for _, p := range c.prefixes {
			if p.Contains(addr) {
				return true
			}
		}
	case opNumericEquals, opNumericLessThan, opNumericLessThanEquals,
		opNumericGreaterThan, opNumericGreaterThanEquals:
		x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return false
		}
		for _, n := range c.nums {
			if compareNumber(c.kind, x, n) {
				return true
			}
		}
	}
	return false
}

func compareNumber(kind opKind, x, n float64) bool {
	switch kind {
	case opNumericEquals:
		return x == n
	case opNumericLessThan:
		return x < n
	case opNumericLessThanEquals:
		return x <= n
	case opNumericGreaterThan:
		return x > n
	case opNumericGreaterThanEquals:
		return x >= n
	}
	return false
}

// parseConditionBlock compiles a statement's Condition element: an object
// of operators, each an object of condition keys, each one value or a list.
// Every key under every operator must hold (AND); the values of one key are
// alternatives (OR, or NOR for a negated operator).
func parseConditionBlock(raw json.RawMessage, path string, variables bool) ([]condition, error) {
	ops, err := decodeObject(raw, path)
	if err != nil {
		return nil, err
	}
	var out []condition
	for _, opName := range sortedKeys(ops) {
		opPath := path + "." + opName
		keys, err := decodeObject(ops[opName], opPath)
		if err != nil {
			return nil, err
		}
		if len(keys) == 0 {
			return nil, fmt.Errorf("%s: no condition keys", opPath)
		}
		for _, key := range sortedKeys(keys) {
			c, err := parseCondition(opName, key, keys[key], opPath, variables)
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
	}
	return out, nil
}

func parseCondition(opName, key string, raw json.RawMessage, opPath string, variables bool) (condition, error) {
	c := condition{key: key}
	name := opName
	switch {
	case strings.HasPrefix(name, "ForAnyValue:"):
		c.set, name = setForAnyValue, strings.TrimPrefix(name, "ForAnyValue:")
	case strings.HasPrefix(name, "ForAllValues:"):
		c.set, name = setForAllValues, strings.TrimPrefix(name, "ForAllValues:")
	}
	if base, ok := strings.CutSuffix(name, "IfExists"); ok && base != "Null" {
		c.ifExists, name = true, base
	}
	op, ok := operators[name]
	if !ok {
		if strings.HasPrefix(name, "Date") || strings.HasPrefix(name, "Binary") {
			return c, fmt.Errorf("%s: condition operator %q is not supported by openswf", opPath, opName)
		}
		return c, fmt.Errorf("%s: unknown condition operator %q; want one of %s, optionally with the "+
			"IfExists suffix and a ForAnyValue: or ForAllValues: prefix", opPath, opName, strings.Join(sortedKeys(operators), ", "))
	}
	c.kind, c.negate = op.kind, op.negate
	if c.kind == opNull && (c.set != setNone || c.ifExists) {
		return c, fmt.Errorf("%s: Null takes neither a set operator nor IfExists", opPath)
	}
	path := opPath + "[" + strconv.Quote(key) + "]"
	if key == "" {
		return c, fmt.Errorf("%s: empty condition key", path)
	}
	values, err := decodeConditionValues(raw, path)
	if err != nil {
		return c, err
	}
	for i, v := range values {
		vpath := path
		if len(values) > 1 {
			vpath = fmt.Sprintf("%s[%d]", path, i)
		}
		if variables && strings.Contains(v, "${") {
			return c, fmt.Errorf("%s: policy variables (%q) are not supported by openswf", vpath, v)
		}
		switch c.kind {
		case opStringEquals:
			c.strs = append(c.strs, v)
		case opStringEqualsIgnoreCase:
			c.strs = append(c.strs, v)
		case opStringLike:
			c.globs = append(c.globs, compileGlob(v))
		case opArnLike:
			if !validARNPattern(v) {
				return c, fmt.Errorf("%s: %q is not an ARN (want \"arn:...\" with six colon-separated parts, or \"*\")", vpath, v)
			}
			c.arns = append(c.arns, compileARN(v))
		case opBool, opNull:
			lv := strings.ToLower(v)
			if lv != "true" && lv != "false" {
				return c, fmt.Errorf("%s: %q is not a boolean; want \"true\" or \"false\"", vpath, v)
			}
			b := lv == "true"
			if c.kind == opNull {
				c.null = append(c.null, b)
			} else {
				c.strs = append(c.strs, strconv.FormatBool(b))
			}
		case opIPAddress:
			p, err := parsePrefix(v)
			if err != nil {
				return c, fmt.Errorf("%s: %q is not an IP address or CIDR block", vpath, v)
			}
			c.prefixes = append(c.prefixes, p)
		default: // numeric
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return c, fmt.Errorf("%s: %q is not a number", vpath, v)
			}
			c.nums = append(c.nums, n)
		}
	}
	return c, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return p, err
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// decodeConditionValues reads one condition value or a non-empty list of
// them. Like IAM, it accepts JSON numbers and booleans as well as strings and
// compares them by their text.
func decodeConditionValues(raw json.RawMessage, path string) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		if len(items) == 0 {
			return nil, fmt.Errorf("%s: empty list of values", path)
		}
		out := make([]string, len(items))
		for i, item := range items {
			v, err := scalarText(item)
			if err != nil {
				return nil, fmt.Errorf("%s[%d]: %v", path, i, err)
			}
			out[i] = v
		}
		return out, nil
	}
	v, err := scalarText(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return []string{v}, nil
}

func scalarText(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", fmt.Errorf("missing value")
	}
	switch raw[0] {
	case '"':
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	case 't', 'f':
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return "", err
		}
		return strconv.FormatBool(b), nil
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return "", err
		}
		return n.String(), nil
	}
	return "", fmt.Errorf("want a string, number or boolean, got %s", abbreviate(raw))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
