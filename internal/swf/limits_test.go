package swf

import (
	"strings"
	"testing"
)

func TestCheckName(t *testing.T) {
	t.Parallel()
	ok := []string{"a", "my-domain_1.x", strings.Repeat("n", 256), "ünïcode"}
	bad := map[string]string{
		"Empty": "", "Colon": "a:b", "Slash": "a/b", "Pipe": "a|b", "Leading": " a",
		"Trailing": "a ", "Control": "a\x01b", "C1Control": "a\u0085b", "Arn": "arn",
	}
	for _, v := range ok {
		if err := CheckName("name", v); err != nil {
			t.Errorf("%q: got %v, want nil", v, err)
		}
	}
	for name, v := range bad {
		err := CheckName("name", v)
		if err == nil {
			t.Errorf("%s: got nil, want a ValidationException", name)
			continue
		}
		if f, _ := err.(*Fault); f == nil || f.Name != ValidationException || !strings.Contains(f.Message, "name") {
			t.Errorf("%s: got %v, want a ValidationException naming the field", name, err)
		}
	}
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in        string
		allowNone bool
		want      int64
		ok        bool
	}{
		{"0", false, 0, true},
		{"300", false, 300, true},
		{"NONE", true, -1, true},
		{"NONE", false, 0, false},
		{"-1", true, 0, false},
		{"1.5", true, 0, false},
		{"abc", true, 0, false},
		{"31536000", false, 31536000, true},
		{"31536001", false, 0, false},
	}
	for _, tc := range tests {
		got, err := ParseDuration("f", tc.in, tc.allowNone, 31536000)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("%q (none %v): got %d, %v; want %d, ok %v", tc.in, tc.allowNone, got, err, tc.want, tc.ok)
		}
	}
}
