package shape

import (
	"errors"
	"strings"
	"testing"
)

// TestNestingLimit: a body nested deeper than MaxNesting is a
// SerializationError naming the limit, however the depth is built; at the
// limit, and with brackets inside strings, it decodes as before.
func TestNestingLimit(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	for name, body := range map[string]string{
		"arrays past the limit":    `{"domain":"d","x":` + deep(MaxNesting) + `}`,
		"objects 10,000 deep":      strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000),
		"unclosed, 1 MiB":          strings.Repeat("[", 1<<20),
		"escaped quote then depth": `{"domain":"d\"","x":` + deep(MaxNesting) + `}`,
	} {
		_, err := Decode("DescribeDomain", []byte(body))
		var se *SerializationError
		if !errors.As(err, &se) || !strings.Contains(se.Message, "nested more than 64 levels deep") {
			t.Errorf("%s: got %v, want a SerializationError naming the limit of %d levels", name, err, MaxNesting)
		}
	}
	for name, body := range map[string]string{
		"at the limit":       `{"domain":"d","x":` + deep(MaxNesting-1) + `}`,
		"brackets in string": `{"domain":"` + strings.Repeat("[{", 100) + `"}`,
	} {
		in, err := Decode("DescribeDomain", []byte(body))
		if err != nil {
			// An unknown member is ignored; the domain name may be refused
			// by its pattern, but not as too deep.
			if strings.Contains(err.Error(), "nested") {
				t.Errorf("%s: got %v, want no nesting error", name, err)
			}
			continue
		}
		if in == nil {
			t.Errorf("%s: no input", name)
		}
	}
}
