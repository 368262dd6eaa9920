package shape

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// checkSameDecode fails unless Decode answers body exactly as the
// reference decoder does, and unless the generated decoder, when it
// accepts, returns the reference's value. It reports whether the generated
// decoder accepted.
func checkSameDecode(t *testing.T, op string, body []byte) bool {
	t.Helper()
	want, wantErr := decodeReference(op, body)
	fast, ok := decodeFast(op, body)
	if ok {
		if wantErr != nil {
			t.Fatalf("%s %q: the generated decoder accepts what the reference refuses: %v", op, body, wantErr)
		}
		if !reflect.DeepEqual(fast, want) {
			t.Fatalf("%s %q: generated decoder gave %#v, reference %#v", op, body, fast, want)
		}
	}
	got, gotErr := Decode(op, body)
	if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotErr, wantErr) {
		t.Fatalf("%s %q: Decode = %#v, %v; reference %#v, %v", op, body, got, gotErr, want, wantErr)
	}
	return ok
}

// fuzzSeeds reads the seed corpus of FuzzDecode: requests aws-sdk-go-v2
// sent during the conformance suite.
func fuzzSeeds(t *testing.T) (ops []string, bodies [][]byte) {
	t.Helper()
	files, err := filepath.Glob("testdata/fuzz/FuzzDecode/*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no seeds: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var vals []string
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			line := sc.Text()
			lit, ok := strings.CutPrefix(line, "string(")
			if !ok {
				lit, ok = strings.CutPrefix(line, "[]byte(")
			}
			if !ok {
				continue
			}
			v, err := strconv.Unquote(strings.TrimSuffix(lit, ")"))
			if err != nil {
				t.Fatalf("%s: %q: %v", f, line, err)
			}
			vals = append(vals, v)
		}
		if len(vals) != 2 {
			t.Fatalf("%s: %d values, want 2", f, len(vals))
		}
		ops, bodies = append(ops, vals[0]), append(bodies, []byte(vals[1]))
	}
	return ops, bodies
}

// TestDecodeMatchesReferenceOnSeeds runs both decoders over what the SDK
// sends. The generated one must accept every request the reference
// accepts there, or the fast path would be a slow one for real clients.
func TestDecodeMatchesReferenceOnSeeds(t *testing.T) {
	ops, bodies := fuzzSeeds(t)
	accepted := 0
	for i, op := range ops {
		ok := checkSameDecode(t, op, bodies[i])
		if _, err := decodeReference(op, bodies[i]); err == nil {
			if !ok {
				t.Errorf("%s %q: the reference accepts it but the generated decoder does not", op, bodies[i])
			}
			accepted++
		}
	}
	if accepted < len(ops)/2 {
		t.Errorf("only %d of %d seeds are accepted requests", accepted, len(ops))
	}
}

// TestDecodeMatchesReferenceByRule tries each rule the reference decoder
// applies, on both sides of it.
func TestDecodeMatchesReferenceByRule(t *testing.T) {
	tok := strings.Repeat("t", 10)
	hb := "RecordActivityTaskHeartbeat"
	poll := "PollForDecisionTask"
	list := "ListOpenWorkflowExecutions"
	rdtc := "RespondDecisionTaskCompleted"
	cases := []struct {
		op, body string
		fast     bool // the generated decoder should take it itself
	}{
		{hb, `{"taskToken":"` + tok + `"}`, true},
		{hb, `  {"taskToken":"` + tok + `"}` + "\n\t", true},
		{hb, "\u00a0{\"taskToken\":\"" + tok + "\"}\u2029", true},
		// required
		{hb, `{}`, false},
		{hb, ``, false},
		{hb, `{"taskToken":null}`, false},
		{hb, `{"details":null,"taskToken":"x"}`, true},
		// lengths, in characters
		{hb, `{"taskToken":""}`, false},
		{hb, `{"taskToken":"` + strings.Repeat("é", 1024) + `"}`, true},
		{hb, `{"taskToken":"` + strings.Repeat("é", 1025) + `"}`, false},
		{hb, `{"taskToken":"x","details":"` + strings.Repeat("a", 2049) + `"}`, false},
		// enums
		{poll, `{"domain":"d","taskList":{"name":"l"}}`, true},
		{list, `{"domain":"d","startTimeFilter":{"oldestDate":0},"closeStatusFilter":{"status":"COMPLETED"}}`, true},
		{"ListClosedWorkflowExecutions", `{"domain":"d","startTimeFilter":{"oldestDate":0},"closeStatusFilter":{"status":"COMPLETED"}}`, true},
		{"ListClosedWorkflowExecutions", `{"domain":"d","startTimeFilter":{"oldestDate":0},"closeStatusFilter":{"status":"completed"}}`, false},
		// ranges and numbers
		{poll, `{"domain":"d","taskList":{"name":"l"},"maximumPageSize":1000}`, true},
		{poll, `{"domain":"d","taskList":{"name":"l"},"maximumPageSize":1001}`, false},
		{poll, `{"domain":"d","taskList":{"name":"l"},"maximumPageSize":-1}`, false},
		{poll, `{"domain":"d","taskList":{"name":"l"},"maximumPageSize":-0}`, true},
		{poll, `{"domain":"d","taskList":{"name":"l"},"maximumPageSize":1.0}`, false},
		{poll, `{"domain":"d","taskList":{"name":"l"},"maximumPageSize":1e2}`, false},
		{poll, `{"domain":"d","taskList":{"name":"l"},"maximumPageSize":2147483648}`, false},
		{poll, `{"domain":"d","taskList":{"name":"l"},"maximumPageSize":"5"}`, false},
		{poll, `{"domain":"d","taskList":{"name":"l"},"maximumPageSize":01}`, false},
		{poll, `{"domain":"d","taskList":{"name":"l"},"reverseOrder":true}`, true},
		{poll, `{"domain":"d","taskList":{"name":"l"},"reverseOrder":"true"}`, false},
		{poll, `{"domain":"d","taskList":{"name":"l"},"reverseOrder":truex}`, false},
		{"RespondActivityTaskCompleted", `{"taskToken":"x","result":"` + strings.Repeat("r", 32768) + `"}`, true},
		// timestamps
		{list, `{"domain":"d","startTimeFilter":{"oldestDate":1.5e9,"latestDate":"2026-12-01T20:00:00.123+01:00"}}`, true},
		{list, `{"domain":"d","startTimeFilter":{"oldestDate":-1.0001}}`, true},
		{list, `{"domain":"d","startTimeFilter":{"oldestDate":1e400}}`, false},
		{list, `{"domain":"d","startTimeFilter":{"oldestDate":"yesterday"}}`, false},
		{list, `{"domain":"d","startTimeFilter":{"oldestDate":true}}`, false},
		{list, `{"domain":"d","startTimeFilter":{}}`, false},
		// unknown members, and names that differ only in case
		{hb, `{"taskToken":"x","extra":{"a":[1,2,{"b":null}],"c":"\u00e9\ud83d\ude00"},"more":[],"n":-1.5e-3,"t":true,"f":false,"z":null}`, true},
		{hb, `{"TaskToken":"x"}`, false},
		{hb, `{"taskToken":"x","TaskToken":"y"}`, true},
		{hb, `{"taskToken":"x","extra":"` + "\xff" + `"}`, true},
		{hb, `{"taskToken":"x","extra":[1,]}`, false},
		{hb, `{"taskToken":"x","extra":{"a" 1}}`, false},
		{hb, `{"taskToken":"x","extra":"\q"}`, false},
		// duplicate members: the last one counts
		{hb, `{"taskToken":"x","taskToken":"y"}`, false},
		{hb, `{"taskToken":"x","taskToken":null}`, false},
		{hb, `{"taskToken":"","taskToken":"y"}`, false},
		// escapes and UTF-8
		{hb, `{"taskToken":"a\"b\\c\/d\b\f\n\r\t\u00e9\u2028"}`, true},
		{hb, `{"taskToken":"\ud83d\ude00"}`, true},
		{hb, `{"taskToken":"\ud83d"}`, true},
		{hb, `{"taskToken":"\ud83d\u0041"}`, true},
		{hb, `{"taskToken":"\udc00\ud800"}`, true},
		{hb, `{"taskToken":"\u12"}`, false},
		{hb, "{\"taskToken\":\"\xff\xfe\"}", false},
		{hb, "{\"taskToken\":\"a\x01\"}", false},
		{hb, `{"task\u0054oken":"x"}`, false},
		// the shape of the body
		{hb, `{"taskToken":"x"} {}`, false},
		{hb, `{"taskToken":"x"`, false},
		{hb, `[]`, false},
		{hb, `null`, false},
		{hb, `"x"`, false},
		{hb, `{"taskToken":"x",}`, false},
		{hb, `{"taskToken":"x"}}`, false},
		{hb, `{"taskToken":["x"]}`, false},
		{poll, `{"domain":"d","taskList":"l"}`, false},
		{poll, `{"domain":"d","taskList":{"name":"l","x":{"y":1}}}`, true},
		// lists
		{rdtc, `{"taskToken":"x","decisions":[]}`, true},
		{rdtc, `{"taskToken":"x","decisions":[{"decisionType":"StartTimer","startTimerDecisionAttributes":{"timerId":"t","startToFireTimeout":"5"}}]}`, true},
		{rdtc, `{"taskToken":"x","decisions":[null]}`, false},
		{rdtc, `{"taskToken":"x","decisions":[{}]}`, false},
		{rdtc, `{"taskToken":"x","decisions":{}}`, false},
		{rdtc, `{"taskToken":"x","decisions":[{"decisionType":"Nope"}]}`, false},
		{"TagResource", `{"resourceArn":"arn","tags":[{"key":"k"}]}`, true},
		{"UntagResource", `{"resourceArn":"arn","tagKeys":["a","b"]}`, true},
		{"UntagResource", `{"resourceArn":"arn","tagKeys":["a",null]}`, false},
		{"UntagResource", `{"resourceArn":"arn","tagKeys":["a",1]}`, false},
		// nesting
		{hb, `{"taskToken":"x","deep":` + strings.Repeat("[", MaxNesting-1) + strings.Repeat("]", MaxNesting-1) + `}`, true},
		{hb, `{"taskToken":"x","deep":` + strings.Repeat("[", MaxNesting) + strings.Repeat("]", MaxNesting) + `}`, false},
		// operations
		{"NoSuchOperation", `{}`, false},
		{"", ``, false},
	}
	for _, c := range cases {
		if ok := checkSameDecode(t, c.op, []byte(c.body)); ok != c.fast {
			t.Errorf("%s %.80q: generated decoder accepted = %v, want %v", c.op, c.body, ok, c.fast)
		}
	}
}

// randomFiller fills generated structs with random values, including the
// ones encoding/json treats specially: strings to escape, zero values
// that omitempty leaves out, nil and empty lists.
type randomFiller struct{ r *rand.Rand }

var awkwardStrings = []string{"", "a", "<b>&amp;</b>", "line\nbreak\ttab\r\b\f\x00\x1f\x7f", `quote " back \ slash /`,
	"é漢字😀", "\u2028\u2029", "\xff\xfeinvalid\xc3", "\ufffd", strings.Repeat("long ", 40)}

func (f randomFiller) fill(v reflect.Value, depth int) {
	switch v.Kind() {
	case reflect.Pointer:
		if depth > 6 || f.r.IntN(4) == 0 {
			return
		}
		v.Set(reflect.New(v.Type().Elem()))
		f.fill(v.Elem(), depth+1)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[Timestamp]() {
			f.timestamp(v)
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).Name == "RawEvents" {
				continue
			}
			f.fill(v.Field(i), depth)
		}
	case reflect.Slice:
		switch f.r.IntN(4) {
		case 0:
			return // nil
		case 1:
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
			return
		}
		n := 1 + f.r.IntN(3)
		v.Set(reflect.MakeSlice(v.Type(), n, n))
		for i := 0; i < n; i++ {
			f.fill(v.Index(i), depth+1)
		}
	case reflect.String:
		if f.r.IntN(3) == 0 {
			v.SetString(awkwardStrings[f.r.IntN(len(awkwardStrings))])
		} else {
			v.SetString(strconv.Itoa(f.r.IntN(1000)))
		}
	case reflect.Int32, reflect.Int64:
		switch f.r.IntN(4) {
		case 0:
		case 1:
			v.SetInt(-f.r.Int64N(1 << 40))
		default:
			v.SetInt(f.r.Int64N(1 << 31))
		}
	case reflect.Bool:
		v.SetBool(f.r.IntN(2) == 0)
	}
}

func (f randomFiller) timestamp(v reflect.Value) {
	var t time.Time
	switch f.r.IntN(4) {
	case 0: // zero
	case 1:
		t = time.UnixMilli(-f.r.Int64N(1 << 41))
	default:
		t = time.UnixMilli(f.r.Int64N(1 << 42)).Add(time.Duration(f.r.IntN(1000)) * time.Microsecond)
	}
	v.Set(reflect.ValueOf(Timestamp{t}))
}

// rawEvents gives a decision task or history its events as the store
// would keep them: each encoded by encoding/json.
func (f randomFiller) rawEvents(t *testing.T, out any) {
	var raw *RawEvents
	switch o := out.(type) {
	case *DecisionTask:
		raw = &o.RawEvents
	case *History:
		raw = &o.RawEvents
	default:
		return
	}
	if f.r.IntN(2) == 0 {
		return
	}
	*raw = RawEvents{}
	for range f.r.IntN(4) {
		var e HistoryEvent
		f.fill(reflect.ValueOf(&e).Elem(), 1)
		b, err := json.Marshal(&e)
		if err != nil {
			t.Fatal(err)
		}
		*raw = append(*raw, b)
	}
}

// checkSameEncode fails unless the generated encoder writes out as
// json.Marshal does after SendLists, the wire's encoding before it.
func checkSameEncode(t *testing.T, out any) {
	t.Helper()
	SendLists(out)
	want, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := EncodeOutput([]byte("prefix"), out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got[len("prefix"):], want) || string(got[:len("prefix")]) != "prefix" {
		t.Fatalf("%T:\ngenerated %s\njson      %s", out, got, want)
	}
}

func outputOps() []*Operation {
	var ops []*Operation
	for _, name := range sortedOps() {
		if op := Operations[name]; op.NewOutput != nil {
			ops = append(ops, op)
		}
	}
	return ops
}

func sortedOps() []string {
	names := make([]string, 0, len(Operations))
	for n := range Operations {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// TestEncodeMatchesJSON compares the two encodings over random answers of
// every operation, their zero values and nil pointers.
func TestEncodeMatchesJSON(t *testing.T) {
	f := randomFiller{rand.New(rand.NewPCG(1, 2))}
	for _, op := range outputOps() {
		checkSameEncode(t, op.NewOutput())
		nilOut := reflect.Zero(reflect.TypeOf(op.NewOutput())).Interface()
		if got, ok := AppendOutput(nil, nilOut); !ok || string(got) != "null" {
			t.Errorf("%s: nil answer encodes as %s, %v", op.Name, got, ok)
		}
		for range 300 {
			out := op.NewOutput()
			f.fill(reflect.ValueOf(out).Elem(), 0)
			f.rawEvents(t, out)
			checkSameEncode(t, out)
		}
	}
}

// FuzzEncode is TestEncodeMatchesJSON with the random answers chosen by
// the fuzzer's seeds.
func FuzzEncode(f *testing.F) {
	f.Add(uint64(1), uint64(2))
	ops := outputOps()
	f.Fuzz(func(t *testing.T, a, b uint64) {
		r := randomFiller{rand.New(rand.NewPCG(a, b))}
		out := ops[r.r.IntN(len(ops))].NewOutput()
		r.fill(reflect.ValueOf(out).Elem(), 0)
		r.rawEvents(t, out)
		checkSameEncode(t, out)
	})
}

// TestAppendHistoryEventMatchesJSON checks the event encoder offered to
// the code that stores events against json.Marshal, over random events.
func TestAppendHistoryEventMatchesJSON(t *testing.T) {
	f := randomFiller{rand.New(rand.NewPCG(3, 4))}
	if got := AppendHistoryEvent(nil, nil); string(got) != "null" {
		t.Errorf("nil event: %s", got)
	}
	for range 2000 {
		var e HistoryEvent
		f.fill(reflect.ValueOf(&e).Elem(), 0)
		want, err := json.Marshal(&e)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendHistoryEvent(nil, &e); !bytes.Equal(got, want) {
			t.Fatalf("generated %s\njson      %s", got, want)
		}
	}
}
