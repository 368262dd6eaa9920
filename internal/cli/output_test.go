package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jmespath/go-jmespath"

	"github.com/openswf/openswf/internal/shape"
)

// obj builds an ordered object from key, value pairs.
func obj(kv ...any) *object {
	o := newObject()
	for i := 0; i < len(kv); i += 2 {
		o.set(kv[i].(string), kv[i+1])
	}
	return o
}

func TestWriteJSON(t *testing.T) {
	t.Parallel()
	v := obj("a", "q\"b\\n\n\t\x01é<>&\u2028", "n", []any{}, "o", newObject(), "l", []any{json.Number("1"), true, nil})
	var b strings.Builder
	writeJSON(&b, v)
	// What Python's json.dumps(v, indent=4, ensure_ascii=False) prints.
	want := "{\n    \"a\": \"q\\\"b\\\\n\\n\\t\\u0001é<>&\u2028\",\n    \"n\": [],\n    \"o\": {},\n    \"l\": [\n        1,\n        true,\n        null\n    ]\n}\n"
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}
}

// describeDomain is a DescribeDomain answer as the wire carries it.
const describeDomain = `{"domainInfo": {"status": "REGISTERED", "name": "d1", "arn": "arn:aws:swf:us-east-1:123456789012:/domain/d1"},
	"configuration": {"workflowExecutionRetentionPeriodInDays": "1"}}`

func decodeShaped(t *testing.T, op, body string) any {
	t.Helper()
	var raw map[string]any
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		t.Fatal(err)
	}
	return shapeOutput(shape.LookupShape(shape.Operations[op].Output), raw)
}

// TestFormats compares the three formats with what aws printed for the
// same answer.
func TestFormats(t *testing.T) {
	t.Parallel()
	v := decodeShaped(t, "DescribeDomain", describeDomain)
	var b strings.Builder
	writeJSON(&b, v)
	wantJSON := `{
    "domainInfo": {
        "name": "d1",
        "status": "REGISTERED",
        "arn": "arn:aws:swf:us-east-1:123456789012:/domain/d1"
    },
    "configuration": {
        "workflowExecutionRetentionPeriodInDays": "1"
    }
}
`
	if b.String() != wantJSON {
		t.Errorf("json: got\n%s\nwant (model order)\n%s", b.String(), wantJSON)
	}
	b.Reset()
	writeText(&b, v)
	if want := "CONFIGURATION\t1\nDOMAININFO\tarn:aws:swf:us-east-1:123456789012:/domain/d1\td1\tREGISTERED\n"; b.String() != want {
		t.Errorf("text: got\n%q\nwant\n%q", b.String(), want)
	}
	b.Reset()
	writeTable(&b, "DescribeDomain", v, 80)
	wantTable := `---------------------------------------------------------------------------
|                             DescribeDomain                              |
+-------------------------------------------------------------------------+
||                             configuration                             ||
|+---------------------------------------------------------------+-------+|
||  workflowExecutionRetentionPeriodInDays                       |  1    ||
|+---------------------------------------------------------------+-------+|
||                              domainInfo                               ||
|+------------------------------------------------+-------+--------------+|
||                       arn                      | name  |   status     ||
|+------------------------------------------------+-------+--------------+|
||  arn:aws:swf:us-east-1:123456789012:/domain/d1 |  d1   |  REGISTERED  ||
|+------------------------------------------------+-------+--------------+|
`
	if b.String() != wantTable {
		t.Errorf("table: got\n%s\nwant\n%s", b.String(), wantTable)
	}
	// Narrower than the table: one-row sections turn vertical.
	b.Reset()
	writeTable(&b, "DescribeDomain", v, 40)
	if !strings.Contains(b.String(), "|  arn   |  arn:aws:swf:us-east-1:123456789012:/domain/d1") {
		t.Errorf("narrow table not vertical:\n%s", b.String())
	}
}

func TestTextLists(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"Scalar", "x", "x\n"},
		{"Bool", true, "True\n"},
		{"Null", nil, "None\n"},
		{"ScalarList", []any{"a", json.Number("1")}, "a\t1\n"},
		{"NamedScalarList", obj("tagList", []any{"a", "b"}), "TAGLIST\ta\nTAGLIST\tb\n"},
		{"ListOfObjects", obj("typeInfos", []any{obj("status", "REGISTERED", "activityType", obj("name", "a", "version", "1"))}),
			"TYPEINFOS\tREGISTERED\nACTIVITYTYPE\ta\t1\n"},
		{"RaggedObjects", []any{obj("a", "1", "b", "2"), obj("a", "3")}, "1\t2\n3\t\n"},
	}
	for _, tt := range tests {
		var b strings.Builder
		writeText(&b, tt.v)
		if b.String() != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, b.String(), tt.want)
		}
	}
}

func TestTimestamps(t *testing.T) {
	t.Parallel()
	if got, want := isoTimestamp(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC).In(time.UTC)), time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC).In(time.Local).Format("2006-01-02T15:04:05-07:00"); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	v := decodeShaped(t, "DescribeWorkflowExecution", `{"executionInfo": {"startTimestamp": 1714564800.123}}`)
	ts, _ := v.(*object).vals["executionInfo"].(*object).get("startTimestamp")
	s, _ := ts.(string)
	if !strings.Contains(s, ".123000") || !strings.HasPrefix(s, time.Unix(1714564800, 0).In(time.Local).Format("2006-01-02T15:04:05")) {
		t.Errorf("got %q, want ISO 8601 with microseconds in local time", ts)
	}
	for in, want := range map[string]string{
		"2024-05-01T12:00:00Z":      "1714564800",
		"2024-05-01T12:00:00.5Z":    "1714564800.5",
		"2024-05-01T12:00:00":       "1714564800",
		"2024-05-01T14:00:00+02:00": "1714564800",
		"2024-05-01":                "1714521600",
		"1714564800":                "1714564800",
		"1714564800.25":             "1714564800.25",
	} {
		got, err := parseTimestamp(in)
		if err != nil || string(got) != want {
			t.Errorf("parseTimestamp(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
}

// TestQueryOrder checks that --query results keep the response's order,
// and a multi-select hash the expression's.
func TestQueryOrder(t *testing.T) {
	t.Parallel()
	v := decodeShaped(t, "DescribeDomain", describeDomain)
	for expr, want := range map[string]string{
		"domainInfo":                                   "{\n    \"name\": \"d1\",\n    \"status\": \"REGISTERED\",\n    \"arn\": \"arn:aws:swf:us-east-1:123456789012:/domain/d1\"\n}\n",
		"{z: domainInfo.name, a: configuration}":       "{\n    \"z\": \"d1\",\n    \"a\": {\n        \"workflowExecutionRetentionPeriodInDays\": \"1\"\n    }\n}\n",
		`{"b c": domainInfo.status, a: ` + "`1`" + `}`: "{\n    \"b c\": \"REGISTERED\",\n    \"a\": 1\n}\n",
		"length(domainInfo.name)":                      "2\n",
	} {
		q := jmespath.MustCompile(expr)
		p := &printer{inv: &invocation{query: q, g: globals{query: expr}}}
		var b strings.Builder
		writeJSON(&b, p.search(v))
		if b.String() != want {
			t.Errorf("--query %s: got\n%s\nwant\n%s", expr, b.String(), want)
		}
	}
}

func TestSkeletonOutput(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	writeJSON(&b, outputSkeleton(lookupCommand("describe-workflow-execution")))
	// The start of what aws prints for the same.
	for _, want := range []string{
		"{\n    \"executionInfo\": {\n        \"execution\": {\n            \"workflowId\": \"workflowId\",",
		"\"startTimestamp\": \"1970-01-01T00:00:00\",",
		"\"tagList\": [\n            \"Tag\"\n        ],\n        \"cancelRequested\": true\n",
		"\"openLambdaFunctions\": 0\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output skeleton lacks %q:\n%s", want, b.String())
		}
	}
	if outputSkeleton(lookupCommand("deprecate-domain")) != nil {
		t.Error("deprecate-domain has no output, but got a skeleton")
	}
}
