package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/openswf/openswf/internal/shape"
)

// paramError is a value the command line got wrong; aws words these
// "Error parsing parameter '--flag': ...". The exit code is 252.
type paramError struct {
	Flag string
	Msg  string
}

func (e *paramError) Error() string {
	return fmt.Sprintf("Error parsing parameter '--%s': %s", e.Flag, e.Msg)
}

// readParamFile resolves the AWS CLI's file:// and fileb:// prefixes: the
// value is the file's contents. ok is false for any other value.
func readParamFile(v string) (s string, ok bool, err error) {
	var path string
	switch {
	case strings.HasPrefix(v, "file://"):
		path = v[len("file://"):]
	case strings.HasPrefix(v, "fileb://"):
		path = v[len("fileb://"):]
	default:
		return "", false, nil
	}
	path = os.ExpandEnv(path)
	if strings.HasPrefix(path, "~/") {
		if home, herr := os.UserHomeDir(); herr == nil {
			path = filepath.Join(home, path[2:])
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", false, fmt.Errorf("Unable to load paramfile %s: %v", v, err)
	}
	return string(data), true, nil
}

// decodeJSON decodes one JSON value, keeping numbers as json.Number.
func decodeJSON(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("extra data after the JSON value")
	}
	return v, nil
}

func looksLikeJSON(s string, open byte) bool {
	t := strings.TrimSpace(s)
	return t != "" && t[0] == open
}

// parseParam turns the words given to a flag into the member's value. For
// list members words holds every word that followed the flag; for others
// exactly one.
func parseParam(p *param, words []string) (any, error) {
	perr := func(msg string) error { return &paramError{Flag: p.Flag, Msg: msg} }
	resolve := func(w string) (string, error) {
		s, ok, err := readParamFile(w)
		if err != nil {
			return "", perr(err.Error())
		}
		if ok {
			return s, nil
		}
		return w, nil
	}
	switch p.Shape.Type {
	case "structure":
		w, err := resolve(words[0])
		if err != nil {
			return nil, err
		}
		return parseComplex(p.Shape, w, perr)
	case "list":
		elem := shape.LookupShape(p.Shape.Elem)
		if len(words) == 1 {
			w, err := resolve(words[0])
			if err != nil {
				return nil, err
			}
			if looksLikeJSON(w, '[') {
				v, err := decodeJSON(w)
				if err != nil {
					return nil, perr(fmt.Sprintf("Invalid JSON: %v\nJSON received: %s", err, w))
				}
				return v, nil
			}
		}
		out := make([]any, 0, len(words))
		for _, word := range words {
			w, err := resolve(word)
			if err != nil {
				return nil, err
			}
			var v any
			if elem.Type == "structure" {
				v, err = parseComplex(elem, w, perr)
			} else {
				v, err = parseScalar(elem, w, perr)
			}
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	default:
		w, err := resolve(words[0])
		if err != nil {
			return nil, err
		}
		return parseScalar(p.Shape, w, perr)
	}
}

// parseComplex reads a structure from JSON or shorthand.
func parseComplex(sh *shape.ShapeDef, w string, perr func(string) error) (any, error) {
	if looksLikeJSON(w, '{') || looksLikeJSON(w, '[') {
		v, err := decodeJSON(w)
		if err != nil {
			return nil, perr(fmt.Sprintf("Invalid JSON: %v\nJSON received: %s", err, w))
		}
		return v, nil
	}
	v, err := parseShorthand(w, readParamFile)
	if err != nil {
		return nil, perr(err.Error())
	}
	return backCompat(sh, v), nil
}

// parseScalar converts one word to a scalar of the shape's type.
func parseScalar(sh *shape.ShapeDef, w string, perr func(string) error) (any, error) {
	switch sh.Type {
	case "integer", "long":
		n, ok := parseInteger(w)
		if !ok {
			return nil, perr(fmt.Sprintf("expected an integer, got %q", w))
		}
		return n, nil
	case "boolean":
		switch strings.ToLower(strings.TrimSpace(w)) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, perr(fmt.Sprintf("expected true or false, got %q", w))
	case "timestamp":
		n, err := parseTimestamp(w)
		if err != nil {
			return nil, perr(err.Error())
		}
		return n, nil
	}
	return w, nil
}

// Timestamp layouts accepted on the command line, as aws accepts them:
// ISO 8601 (with or without a zone, UTC if none) or seconds since the epoch.
var timestampLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02",
}

// parseInteger reads an integer as Python's int() does (surrounding
// space, a sign, leading zeros: " +007") and returns it as a JSON number.
func parseInteger(s string) (json.Number, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return "", false
	}
	return json.Number(strconv.FormatInt(n, 10)), true
}

// parseTimestamp reads a timestamp and returns it as the JSON protocol
// sends it, seconds since the epoch. Numbers are read as Python's float()
// reads them ("+5", "05", ".5" and "5." too, but no hexadecimal) and sent
// as they were written when that is valid JSON, so that no digit is lost.
func parseTimestamp(s string) (json.Number, error) {
	t := strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(t, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) && !strings.ContainsAny(t, "xX") {
		if isJSONNumber(t) {
			return json.Number(t), nil
		}
		return json.Number(strconv.FormatFloat(f, 'f', -1, 64)), nil
	}
	for _, layout := range timestampLayouts {
		if tm, err := time.Parse(layout, t); err == nil {
			return epochNumber(tm), nil
		}
	}
	return "", fmt.Errorf("invalid timestamp %q: use ISO 8601 (2024-05-01T12:00:00Z) or seconds since the epoch", s)
}

// isJSONNumber reports whether s is a number as JSON writes them.
func isJSONNumber(s string) bool {
	var n json.Number
	return s != "" && (s[0] == '-' || s[0] >= '0' && s[0] <= '9') && json.Unmarshal([]byte(s), &n) == nil
}

// epochNumber renders t as epoch seconds with up to millisecond precision.
func epochNumber(t time.Time) json.Number {
	ms := t.UnixMilli()
	if ms%1000 == 0 {
		return json.Number(strconv.FormatInt(ms/1000, 10))
	}
	return json.Number(strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64))
}

// compactJSON is for --debug: the request body on one line.
func compactJSON(b []byte) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return string(b)
	}
	return buf.String()
}
