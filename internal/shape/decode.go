package shape

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// UnknownOperationError is returned by Decode for an operation name that is
// not part of the model.
type UnknownOperationError struct{ Op string }

func (e *UnknownOperationError) Error() string { return "unknown operation: " + e.Op }

// SerializationError reports a body that is not valid JSON or whose members
// have the wrong JSON type.
type SerializationError struct{ Message string }

func (e *SerializationError) Error() string { return e.Message }

// ValidationError lists every constraint violation found in a request.
type ValidationError struct{ Messages []string }

func (e *ValidationError) Error() string {
	n := len(e.Messages)
	if n == 1 {
		return "1 validation error detected: " + e.Messages[0]
	}
	return fmt.Sprintf("%d validation errors detected: %s", n, strings.Join(e.Messages, "; "))
}

// maxValueChars bounds the echoed value in validation messages.
const maxValueChars = 64

// Decode validates body against the input shape of op and returns a pointer
// to the generated input struct (e.g. *PollForDecisionTaskInput).
//
// It returns *UnknownOperationError, *SerializationError or
// *ValidationError; the latter collects all constraint violations.
//
// The generated decoder reads the body once, straight into the struct.
// Whatever it does not accept goes to the reference decoder, which is
// what words the errors: a refused body costs two reads, an accepted one
// (nearly every call) one.
func Decode(op string, body []byte) (any, error) {
	if in, ok := decodeFast(op, body); ok {
		return in, nil
	}
	return decodeReference(op, body)
}

// decodeFast runs the generated decoder of op's input over body. It
// accepts only bodies that decodeReference accepts, and then returns the
// same value.
func decodeFast(op string, body []byte) (any, bool) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		body = []byte("{}")
	}
	s := scanner{b: body}
	in, ok := decodeInput(op, &s)
	return in, ok && s.end()
}

// decodeReference is the model walker: it parses body into generic JSON
// values, checks them against the model collecting every violation, and
// decodes the checked members into the input struct. It defines what
// Decode accepts and how it words a refusal.
func decodeReference(op string, body []byte) (any, error) {
	o, ok := Operations[op]
	if !ok {
		return nil, &UnknownOperationError{Op: op}
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		body = []byte("{}")
	}
	if depth := nesting(body); depth > MaxNesting {
		return nil, &SerializationError{Message: fmt.Sprintf("Malformed JSON request body: nested more than %d levels deep (the limit)", MaxNesting)}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &SerializationError{Message: "Malformed JSON request body: " + jsonErrText(err)}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &SerializationError{Message: "Malformed JSON request body: unexpected data after the top-level value"}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, &SerializationError{Message: "Unexpected value type for request body: expected an object"}
	}
	if o.Input == "" {
		return nil, nil
	}
	sh := LookupShape(o.Input)
	if sh == nil {
		return nil, fmt.Errorf("shape: operation %s: input shape %s missing from model", op, o.Input)
	}
	w := &walker{m: Model()}
	clean, err := w.structure(sh, obj, "")
	if err != nil {
		return nil, err
	}
	if len(w.msgs) > 0 {
		return nil, &ValidationError{Messages: w.msgs}
	}
	// Re-encode only the validated members, so the struct decoder (which
	// matches names case-insensitively) never sees unchecked data.
	buf, err := json.Marshal(clean)
	if err != nil {
		return nil, fmt.Errorf("shape: re-encode %s input: %w", op, err)
	}
	in := o.NewInput()
	if err := json.Unmarshal(buf, in); err != nil {
		return nil, &SerializationError{Message: "Unable to decode request: " + jsonErrText(err)}
	}
	return in, nil
}

// MaxNesting is how deep a request body's objects and arrays may nest.
// SWF's deepest input (a decision's attributes' task list) is 5 levels;
// the limit refuses bodies built to make decoding deep and slow before
// anything is decoded.
const MaxNesting = 64

// nesting returns how deep body's objects and arrays nest, counting
// brackets outside strings, and stops counting once past MaxNesting. It
// does not check the JSON is well formed: the decoder does that after.
func nesting(body []byte) int {
	depth, deepest, inString, escaped := 0, 0, false, false
	for _, c := range body {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			if depth > deepest {
				deepest = depth
				if deepest > MaxNesting {
					return deepest
				}
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}

func jsonErrText(err error) string {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of input"
	}
	return err.Error()
}

type walker struct {
	m    *ServiceModel
	msgs []string
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func typeErr(path, want string) error {
	return &SerializationError{Message: fmt.Sprintf("Unexpected value type for '%s': expected %s", path, want)}
}

func (w *walker) violation(value, path, constraint string) {
	w.msgs = append(w.msgs, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: Member must %s", value, path, constraint))
}

// quoted renders a value for a validation message, shortened if long.
func quoted(s string) string {
	if utf8.RuneCountInString(s) > maxValueChars {
		n := 0
		for i := range s {
			if n == maxValueChars {
				s = s[:i] + "..."
				break
			}
			n++
		}
	}
	return "'" + s + "'"
}

// structure checks obj against a structure shape and returns a copy holding
// only the known, non-null members.
func (w *walker) structure(sh *ShapeDef, obj map[string]any, path string) (map[string]any, error) {
	out := make(map[string]any, len(obj))
	for _, name := range sh.Order {
		p := joinPath(path, name)
		v, present := obj[name]
		if !present || v == nil {
			if sh.IsRequired(name) {
				w.violation("null", p, "not be null")
			}
			continue
		}
		cv, err := w.value(w.m.Shapes[sh.Members[name]], v, p)
		if err != nil {
			return nil, err
		}
		out[name] = cv
	}
	return out, nil
}

func (w *walker) value(sh *ShapeDef, v any, path string) (any, error) {
	switch sh.Type {
	case "structure":
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, typeErr(path, "an object")
		}
		return w.structure(sh, obj, path)

	case "list":
		list, ok := v.([]any)
		if !ok {
			return nil, typeErr(path, "a list")
		}
		w.checkLength(sh, len(list), func() string { return listText(list) }, path)
		elem := w.m.Shapes[sh.Elem]
		out := make([]any, len(list))
		for i, e := range list {
			p := path + "." + strconv.Itoa(i+1) + ".member"
			if e == nil {
				w.violation("null", p, "not be null")
				continue
			}
			ce, err := w.value(elem, e, p)
			if err != nil {
				return nil, err
			}
			out[i] = ce
		}
		return out, nil

	case "string":
		s, ok := v.(string)
		if !ok {
			return nil, typeErr(path, "a string")
		}
		w.checkLength(sh, utf8.RuneCountInString(s), func() string { return s }, path)
		if len(sh.Enum) > 0 {
			found := false
			for _, e := range sh.Enum {
				if s == e {
					found = true
					break
				}
			}
			if !found {
				w.violation(quoted(s), path, "satisfy enum value set: ["+strings.Join(sh.Enum, ", ")+"]")
			}
		}
		return s, nil

	case "integer", "long":
		n, ok := v.(json.Number)
		if !ok {
			return nil, &SerializationError{Message: fmt.Sprintf("Value for '%s' must be an integer", path)}
		}
		bits := 64
		if sh.Type == "integer" {
			bits = 32
		}
		i, err := strconv.ParseInt(string(n), 10, bits)
		if err != nil {
			if errors.Is(err, strconv.ErrRange) {
				return nil, &SerializationError{Message: fmt.Sprintf("Value for '%s' is out of range for a %d-bit integer", path, bits)}
			}
			return nil, &SerializationError{Message: fmt.Sprintf("Value for '%s' must be an integer", path)}
		}
		txt := quoted(strconv.FormatInt(i, 10))
		if sh.Min != nil && i < *sh.Min {
			w.violation(txt, path, "have value greater than or equal to "+strconv.FormatInt(*sh.Min, 10))
		}
		if sh.Max != nil && i > *sh.Max {
			w.violation(txt, path, "have value less than or equal to "+strconv.FormatInt(*sh.Max, 10))
		}
		return json.Number(strconv.FormatInt(i, 10)), nil

	case "boolean":
		b, ok := v.(bool)
		if !ok {
			return nil, typeErr(path, "a boolean")
		}
		return b, nil

	case "timestamp":
		switch t := v.(type) {
		case json.Number:
			if _, err := parseEpoch(string(t)); err != nil {
				return nil, &SerializationError{Message: fmt.Sprintf("Value for '%s' must be a valid timestamp", path)}
			}
			return t, nil
		case string:
			if _, err := parseTimeString(t); err != nil {
				return nil, &SerializationError{Message: fmt.Sprintf("Value for '%s' must be a valid timestamp", path)}
			}
			return t, nil
		default:
			return nil, typeErr(path, "a timestamp")
		}
	}
	return nil, fmt.Errorf("shape: %s: unsupported shape type %q", sh.Name, sh.Type)
}

// checkLength applies min/max length constraints; text renders the value
// only when a message is needed.
func (w *walker) checkLength(sh *ShapeDef, n int, text func() string, path string) {
	if sh.Min != nil && int64(n) < *sh.Min {
		w.violation(quoted(text()), path, "have length greater than or equal to "+strconv.FormatInt(*sh.Min, 10))
	}
	if sh.Max != nil && int64(n) > *sh.Max {
		w.violation(quoted(text()), path, "have length less than or equal to "+strconv.FormatInt(*sh.Max, 10))
	}
}

// listText renders a list the way Java's List.toString does.
func listText(list []any) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, e := range list {
		if i > 0 {
			b.WriteString(", ")
		}
		if b.Len() > 4*maxValueChars {
			b.WriteString("...")
			break
		}
		switch x := e.(type) {
		case nil:
			b.WriteString("null")
		case string:
			b.WriteString(x)
		case json.Number:
			b.WriteString(string(x))
		case bool:
			b.WriteString(strconv.FormatBool(x))
		case map[string]any:
			b.WriteString("{...}")
		case []any:
			b.WriteString("[...]")
		}
	}
	b.WriteByte(']')
	return b.String()
}
