package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/openswf/openswf/internal/shape"
)

// shorthandShapes are shapes the CLI reads from shorthand, by the kind of
// member they hold: strings, timestamps, a list of structures, decisions.
var shorthandShapes = []string{"WorkflowType", "ExecutionTimeFilter", "ResourceTagList", "TagFilter", "DecisionList", "TaskList"}

// fakeParamFile stands in for file:// in the fuzz targets, which must not
// read the machine's files (file:///dev/stdin would never end).
func fakeParamFile(v string) (string, bool, error) {
	if v == "file://x" {
		return "from a file", true, nil
	}
	return "", false, nil
}

// FuzzShorthand feeds the shorthand parser (--task-list name=l,
// --tags key=a,value=b) arbitrary text. It must never panic; a syntax
// error must show where the input went wrong; what it accepts is keys
// holding strings, lists and maps, which, converted by the model for each
// of a few shapes as aws converts them, must encode as JSON.
func FuzzShorthand(f *testing.F) {
	for _, s := range []string{
		"name=mylist", "name=wf,version=1", "a=b,c,e=f", "a=[b,c],d=e", "a={b={c=d}},e=[f,{g=h}]",
		`a="b,c=d",e=f`, `a='it\'s'`, `a=b\,c`, "key@=file://x", "name = wf , version = 1  ",
		"oldestDate=2024-05-01T12:00:00Z,latestDate=1732547885.5", "key=a,value=b", "tag=t",
		"decisionType=StartTimer,startTimerDecisionAttributes={timerId=t,startToFireTimeout=5}",
		"a=b;c=d,", "a=[b,c", "a={b=c", `a="b`, "a=b,a=c", "name",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseShorthand(s, fakeParamFile)
		if err != nil {
			var se *shorthandError
			if !errorsAs(err, &se) || !strings.Contains(se.msg, "for input:") {
				t.Fatalf("parseShorthand(%q): error %T %q does not show where", s, err, err)
			}
			return
		}
		checkShorthandValue(t, s, v)
		for _, name := range shorthandShapes {
			v, err := parseShorthand(s, fakeParamFile) // backCompat changes v in place
			if err != nil {
				t.Fatalf("parseShorthand(%q) failed the second time: %v", s, err)
			}
			conv := backCompat(shape.LookupShape(name), v)
			if _, err := json.Marshal(conv); err != nil {
				t.Fatalf("parseShorthand(%q) read as %s gives %#v, which does not encode: %v", s, name, conv, err)
			}
		}
	})
}

func errorsAs(err error, target **shorthandError) bool {
	se, ok := err.(*shorthandError)
	*target = se
	return ok
}

// checkShorthandValue checks that v holds only what shorthand makes.
func checkShorthandValue(t *testing.T, s string, v any) {
	t.Helper()
	switch x := v.(type) {
	case string:
	case []any:
		for _, e := range x {
			checkShorthandValue(t, s, e)
		}
	case map[string]any:
		for _, e := range x {
			checkShorthandValue(t, s, e)
		}
	default:
		t.Fatalf("parseShorthand(%q) made a %T", s, v)
	}
}

// fuzzFlags are flags the CLI parses beyond a plain string, one command
// each, with a --cli-input-json that completes the command's required
// members.
var fuzzFlags = []struct{ cmd, flag, input string }{
	{"start-workflow-execution", "--workflow-type", `{"domain":"d","workflowId":"w"}`},
	{"start-workflow-execution", "--tag-list", `{"domain":"d","workflowId":"w","workflowType":{"name":"n","version":"1"}}`},
	{"respond-decision-task-completed", "--decisions", `{"taskToken":"t"}`},
	{"list-open-workflow-executions", "--start-time-filter", `{"domain":"d"}`},
	{"list-closed-workflow-executions", "--close-time-filter", `{"domain":"d"}`},
	{"register-domain", "--tags", `{"name":"d","workflowExecutionRetentionPeriodInDays":"1"}`},
	{"poll-for-decision-task", "--task-list", `{"domain":"d"}`},
	{"list-domains", "--maximum-page-size", `{"registrationStatus":"REGISTERED"}`},
	{"count-closed-workflow-executions", "--close-status-filter", `{"domain":"d","startTimeFilter":{"oldestDate":0}}`},
	{"poll-for-decision-task", "--reverse-order", `{"domain":"d","taskList":{"name":"l"}}`},
}

// FuzzCLIInput runs `swf <command> --cli-input-json <json> <flag> <value>
// --generate-cli-skeleton output`, which parses, merges and validates
// everything, as a call would, and prints a sample answer instead of
// calling the service. The value is split into words at line breaks, as
// a list flag takes several. The command must never panic; it either
// succeeds, printing JSON, or fails with the usage exit code (252) and a
// message that names the flag, --cli-input-json, or the parameter at
// fault. Anything else (a general error, 255) is a value the CLI took
// but could not send.
func FuzzCLIInput(f *testing.F) {
	for i, ff := range fuzzFlags {
		values := map[string]string{
			"--workflow-type":       "name=wf,version=1",
			"--tag-list":            "a\nb",
			"--decisions":           `[{"decisionType":"StartTimer","startTimerDecisionAttributes":{"timerId":"t","startToFireTimeout":"5"}}]`,
			"--start-time-filter":   "oldestDate=2024-05-01T12:00:00Z,latestDate=1732547885.5",
			"--close-time-filter":   `{"oldestDate": "2024-05-01"}`,
			"--tags":                "key=a,value=b\nkey=c",
			"--task-list":           "name=l",
			"--maximum-page-size":   "10",
			"--close-status-filter": "status=COMPLETED",
			"--reverse-order":       "",
		}
		f.Add(uint8(i), ff.input, values[ff.flag])
	}
	f.Add(uint8(0), `{"domain":"d","workflowId":"w","unknown":1}`, "{name=wf}")
	f.Add(uint8(3), `[]`, "oldestDate=0x10")
	f.Fuzz(func(t *testing.T, which uint8, input, value string) {
		if strings.Contains(input, "file") || strings.Contains(value, "file") {
			return // file:// reads the machine's files: not for fuzzing
		}
		ff := fuzzFlags[int(which)%len(fuzzFlags)]
		args := []string{ff.cmd}
		if input != "" {
			args = append(args, "--cli-input-json", input)
		}
		args = append(args, ff.flag)
		if value != "" {
			args = append(args, strings.Split(value, "\n")...)
		}
		args = append(args, "--generate-cli-skeleton", "output")
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), args, &stdout, &stderr)
		switch code {
		case ExitOK:
			if out := bytes.TrimSpace(stdout.Bytes()); len(out) > 0 && !json.Valid(out) { // nothing, for no output
				t.Fatalf("%q: exit 0 with output %q", args, stdout.String())
			}
		case ExitUsage:
			msg := stderr.String()
			if !strings.Contains(msg, ff.flag) && !strings.Contains(msg, "--cli-input-json") &&
				!strings.Contains(msg, "Parameter validation failed") && !strings.Contains(msg, "arguments are required") &&
				!strings.Contains(msg, "argument --") && !strings.Contains(msg, "Unknown options") {
				t.Fatalf("%q: exit %d with a message that names no flag or parameter: %q", args, code, msg)
			}
		default:
			t.Fatalf("%q: exit %d: %s", args, code, stderr.String())
		}
	})
}

// TestNumbersSentAsJSON is the regression test for what FuzzShorthand and
// FuzzCLIInput found within seconds (testdata/fuzz/FuzzShorthand/69ad85bebf2a781a,
// testdata/fuzz/FuzzCLIInput/380a3a430da6adaa): an integer or timestamp
// that Go's parsers accept but JSON does not spell ("00", "+5") was passed
// on as is, and encoding the request failed with a general error (255)
// that named no flag. Such values are now sent as JSON numbers, as aws
// (Python's int() and float()) reads them; hexadecimal, which Python does
// not read, is refused as a bad parameter.
func TestNumbersSentAsJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string // the request's JSON; "" for a usage error
	}{
		{[]string{"list-domains", "--registration-status", "REGISTERED", "--maximum-page-size", "00"}, `"maximumPageSize":0`},
		{[]string{"list-domains", "--registration-status", "REGISTERED", "--maximum-page-size", " +007 "}, `"maximumPageSize":7`},
		{[]string{"list-open-workflow-executions", "--domain", "d", "--start-time-filter", "oldestDate=00"}, `"oldestDate":0`},
		{[]string{"list-open-workflow-executions", "--domain", "d", "--start-time-filter", "oldestDate=+5,latestDate=.5"}, `"latestDate":0.5,"oldestDate":5`},
		{[]string{"list-open-workflow-executions", "--domain", "d", "--start-time-filter", "oldestDate=1732547885.123456789"}, `"oldestDate":1732547885.123456789`},
		{[]string{"list-open-workflow-executions", "--domain", "d", "--start-time-filter", "oldestDate=5."}, `"oldestDate":5`},
		{[]string{"list-open-workflow-executions", "--domain", "d", "--start-time-filter", "oldestDate=0x1p4"}, ""},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append(tt.args, "--generate-cli-skeleton", "output"), &stdout, &stderr)
		if tt.want == "" {
			if code != ExitUsage || !strings.Contains(stderr.String(), "--start-time-filter") {
				t.Errorf("%q: got exit %d, %q; want a usage error naming the flag", tt.args, code, stderr.String())
			}
			continue
		}
		if code != ExitOK {
			t.Errorf("%q: exit %d: %s", tt.args, code, stderr.String())
			continue
		}
		in, err := buildRequest(tt.args)
		if err != nil {
			t.Errorf("%q: %v", tt.args, err)
			continue
		}
		if !strings.Contains(in, tt.want) {
			t.Errorf("%q: request %s, want it to hold %s", tt.args, in, tt.want)
		}
	}
}

// buildRequest parses a command line and returns the request's JSON, as
// execute would send it.
func buildRequest(args []string) (string, error) {
	inv, err := parseArgs(args)
	if err != nil {
		return "", err
	}
	in, err := buildInput(inv)
	if err != nil {
		return "", err
	}
	if err := validateInput(inv.cmd, in); err != nil {
		return "", err
	}
	normalizeTimestamps(inv.cmd.Input, in)
	b, err := json.Marshal(in)
	return string(b), err
}
