package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/openswf/openswf/internal/shape"
)

func TestShorthand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     map[string]any
	}{
		{"OneKey", "name=mylist", map[string]any{"name": "mylist"}},
		{"TwoKeys", "name=wf,version=1", map[string]any{"name": "wf", "version": "1"}},
		{"Spaces", "name = wf , version = 1", map[string]any{"name": "wf", "version": "1"}},
		{"CSVList", "a=b,c,d", map[string]any{"a": []any{"b", "c", "d"}}},
		{"CSVListThenKey", "a=b,c,e=f", map[string]any{"a": []any{"b", "c"}, "e": "f"}},
		{"ExplicitList", "a=[b,c],d=e", map[string]any{"a": []any{"b", "c"}, "d": "e"}},
		{"EmptyList", "a=[]", map[string]any{"a": []any{}}},
		{"Hash", "a={b=c,d=e}", map[string]any{"a": map[string]any{"b": "c", "d": "e"}}},
		{"NestedHash", "a={b={c=d}},e=[f,{g=h}]", map[string]any{"a": map[string]any{"b": map[string]any{"c": "d"}}, "e": []any{"f", map[string]any{"g": "h"}}}},
		{"Empty", "a=", map[string]any{"a": ""}},
		{"DoubleQuoted", `a="b,c=d",e=f`, map[string]any{"a": "b,c=d", "e": "f"}},
		{"SingleQuoted", `a='it\'s'`, map[string]any{"a": "it's"}},
		{"EscapedComma", `a=b\,c`, map[string]any{"a": "b,c"}},
		{"Equals", "a=b=c", map[string]any{"a": "b=c"}},
		{"Colon", "arn=arn:aws:swf:us-east-1:1:/domain/d", map[string]any{"arn": "arn:aws:swf:us-east-1:1:/domain/d"}},
		{"KeyChars", "a.b-c_d/e#f:g=h", map[string]any{"a.b-c_d/e#f:g": "h"}},
		{"TrailingSpace", "a=b  ", map[string]any{"a": "b"}},
		{"Unicode", "name=ünïcødé,v=日本", map[string]any{"name": "ünïcødé", "v": "日本"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseShorthand(tt.in, nil)
			if err != nil {
				t.Fatalf("parseShorthand(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("parseShorthand(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
}

func TestShorthandErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"NoEquals", "name", "Expected: '=', received: 'EOF' for input:\nname\n    ^"},
		{"DuplicateKey", "a=b,a=c", "Second instance of key \"a\" encountered for input:\na=b,a=c\n    ^\nThis is often"},
		// As awscli words them (its caret line aside: it prints a
		// placeholder there).
		{"BadSeparator", "a=b;c=d,", "Expected: '<second>', received: '<none>'"},
		{"UnclosedList", "a=[b,c", "Expected: ',', received: 'EOF'"},
		{"UnclosedHash", "a={b=c", "Expected: ',', received: 'EOF'"},
		{"UnclosedQuote", `a="b`, "Expected: '<double quoted>'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseShorthand(tt.in, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("parseShorthand(%q): got error %v, want one containing %q", tt.in, err, tt.want)
			}
		})
	}
}

func TestShorthandParamFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "v.txt")
	if err := os.WriteFile(path, []byte("from file"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := parseShorthand("a@=file://"+path+",b=file://x", readParamFile)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"a": "from file", "b": "file://x"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v, want %#v (only @= reads files)", got, want)
	}
}

// paramOf returns the param of a command's flag.
func paramOf(t *testing.T, cmd, flag string) *param {
	t.Helper()
	c := lookupCommand(cmd)
	if c == nil || c.byFlag[flag] == nil {
		t.Fatalf("no --%s in %s", flag, cmd)
	}
	return c.byFlag[flag]
}

func TestParseParam(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	details := write("details.txt", "line 1\nline 2\n")
	typeJSON := write("type.json", `{"name": "wf", "version": "2"}`)
	tagsJSON := write("tags.json", `[{"key": "k", "value": "v"}]`)

	tests := []struct {
		name, cmd, flag string
		words           []string
		want            string // JSON
	}{
		{"String", "record-activity-task-heartbeat", "details", []string{"50%"}, `"50%"`},
		{"StringFromFile", "record-activity-task-heartbeat", "details", []string{"file://" + details}, `"line 1\nline 2\n"`},
		{"Integer", "list-domains", "maximum-page-size", []string{"10"}, `10`},
		{"Struct", "poll-for-activity-task", "task-list", []string{"name=mylist"}, `{"name":"mylist"}`},
		{"StructJSON", "poll-for-activity-task", "task-list", []string{` {"name": "mylist"}`}, `{"name":"mylist"}`},
		{"StructTwoMembers", "start-workflow-execution", "workflow-type", []string{"name=wf,version=1"}, `{"name":"wf","version":"1"}`},
		{"StructFromFile", "start-workflow-execution", "workflow-type", []string{"file://" + typeJSON}, `{"name":"wf","version":"2"}`},
		{"ListOfStrings", "start-workflow-execution", "tag-list", []string{"a", "b", "c"}, `["a","b","c"]`},
		{"ListOfStringsJSON", "start-workflow-execution", "tag-list", []string{`["a","b"]`}, `["a","b"]`},
		{"ListOfStructs", "register-domain", "tags", []string{"key=a,value=b", "key=c,value=d"}, `[{"key":"a","value":"b"},{"key":"c","value":"d"}]`},
		{"ListOfStructsJSON", "register-domain", "tags", []string{`[{"key":"a"}]`}, `[{"key":"a"}]`},
		{"ListOfStructsEachJSON", "register-domain", "tags", []string{`{"key":"a"}`, "key=b"}, `[{"key":"a"},{"key":"b"}]`},
		{"ListOfStructsFromFile", "register-domain", "tags", []string{"file://" + tagsJSON}, `[{"key":"k","value":"v"}]`},
		{"ListOfStrings1", "untag-resource", "tag-keys", []string{"k"}, `["k"]`},
		{"Timestamp", "list-open-workflow-executions", "start-time-filter", []string{"oldestDate=2024-05-01T00:00:00Z,latestDate=1714521600.5"}, `{"latestDate":1714521600.5,"oldestDate":1714521600}`},
		{"NestedShorthand", "count-open-workflow-executions", "type-filter", []string{"name=wf"}, `{"name":"wf"}`},
		{"DecisionsJSON", "respond-decision-task-completed", "decisions", []string{`[{"decisionType":"CompleteWorkflowExecution","completeWorkflowExecutionDecisionAttributes":{"result":"ok"}}]`},
			`[{"completeWorkflowExecutionDecisionAttributes":{"result":"ok"},"decisionType":"CompleteWorkflowExecution"}]`},
		{"DecisionsShorthand", "respond-decision-task-completed", "decisions", []string{`decisionType=StartTimer,startTimerDecisionAttributes={timerId=t1,startToFireTimeout=5}`},
			`[{"decisionType":"StartTimer","startTimerDecisionAttributes":{"startToFireTimeout":"5","timerId":"t1"}}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := paramOf(t, tt.cmd, tt.flag)
			v, err := parseParam(p, tt.words)
			if err != nil {
				t.Fatalf("parseParam: %v", err)
			}
			v = normalizeTimestamps(p.Shape, v)
			got, _ := json.Marshal(v)
			if string(got) != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestParseParamErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, cmd, flag string
		words           []string
		want            string
	}{
		{"NotAnInteger", "list-domains", "maximum-page-size", []string{"ten"}, `Error parsing parameter '--maximum-page-size': expected an integer, got "ten"`},
		{"BadJSON", "poll-for-activity-task", "task-list", []string{`{"name": }`}, "Error parsing parameter '--task-list': Invalid JSON:"},
		{"BadShorthand", "poll-for-activity-task", "task-list", []string{"name"}, "Error parsing parameter '--task-list': Expected: '='"},
		{"MissingFile", "record-activity-task-heartbeat", "details", []string{"file:///no/such/file"}, "Unable to load paramfile file:///no/such/file"},
		{"BadTimestamp", "list-open-workflow-executions", "start-time-filter", []string{"oldestDate=yesterday"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, err := parseParam(paramOf(t, tt.cmd, tt.flag), tt.words)
			if tt.want == "" {
				// Left to validation, which names the member.
				c := lookupCommand(tt.cmd)
				err = validateInput(c, map[string]any{c.byFlag[tt.flag].Member: v})
				tt.want = `--start-time-filter oldestDate: invalid timestamp "yesterday"`
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestBackCompat(t *testing.T) {
	t.Parallel()
	sh := shape.LookupShape("RegisterDomainInput")
	got := backCompat(sh, map[string]any{
		"name":                                   "d",
		"workflowExecutionRetentionPeriodInDays": "3",
		"tags":                                   map[string]any{"key": "k"}, // one value for a list
	})
	b, _ := json.Marshal(got)
	if want := `{"name":"d","tags":[{"key":"k"}],"workflowExecutionRetentionPeriodInDays":"3"}`; string(b) != want {
		t.Fatalf("got %s, want %s", b, want)
	}
	sh = shape.LookupShape("ListDomainsInput")
	got = backCompat(sh, map[string]any{"maximumPageSize": "7", "reverseOrder": "TRUE"})
	b, _ = json.Marshal(got)
	if want := `{"maximumPageSize":7,"reverseOrder":true}`; string(b) != want {
		t.Fatalf("got %s, want %s", b, want)
	}
}
