package conformance

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	awsv1 "github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/awserr"
	credsv1 "github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/request"
	"github.com/aws/aws-sdk-go/aws/session"
	swfv1 "github.com/aws/aws-sdk-go/service/swf"

	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/swftest"
)

// Every answer the conformance tests receive is recorded (TestMain installs
// a swftest.Recorder) and, once they have run, read again with aws-sdk-go
// v1, whose output structs hold a pointer for every member: a member the
// server leaves out is a nil pointer, and the frameworks built on v1
// dereference the members AWS always sends without a nil check. So every
// member the model marks required, or shape.AlwaysSent lists, must be there
// wherever its parent structure is, and every fault must reach v1 with its
// code and message.

// sdkv1Violation is one answer that v1 reads differently from AWS's.
type sdkv1Violation struct {
	op   string
	path string // where, e.g. events[3].workflowExecutionStartedEventAttributes.parentInitiatedEventId
	what string // what is wrong; "" for a missing member
}

// sdkv1Report reads every exchange with aws-sdk-go v1 and returns a
// description of what v1 finds wrong, de-duplicated by operation and path
// pattern, or "" if nothing is.
func sdkv1Report(xs []swftest.Exchange) string {
	type group struct {
		op, pattern, what, example string
		n                          int
	}
	groups := map[string]*group{}
	for _, x := range xs {
		for _, v := range sdkv1Check(x) {
			pattern := indexRE.ReplaceAllString(v.path, "[]")
			key := v.op + "\x00" + pattern + "\x00" + v.what
			g := groups[key]
			if g == nil {
				g = &group{op: v.op, pattern: pattern, what: v.what, example: v.path}
				groups[key] = g
			}
			g.n++
		}
	}
	if len(groups) == 0 {
		return ""
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "aws-sdk-go v1 reads the %d recorded answers differently from AWS's answers (members the model requires or shape.AlwaysSent lists must be there; faults must keep their code and message):\n", len(xs))
	for _, k := range keys {
		g := groups[k]
		what := g.what
		if what == "" {
			what = "missing (nil in v1)"
		}
		fmt.Fprintf(&b, "  %s: %s: %s, %d time(s)", g.op, g.pattern, what, g.n)
		if g.example != g.pattern {
			fmt.Fprintf(&b, ", e.g. %s", g.example)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

var indexRE = regexp.MustCompile(`\[\d+\]`)

// sdkv1Check reads one exchange with aws-sdk-go v1 and returns what is
// wrong with it. Answers to requests for operations the model does not have
// are only checked if they are faults.
func sdkv1Check(x swftest.Exchange) []sdkv1Violation {
	op, known := shape.Operations[x.Operation]
	if !known && x.Status == http.StatusOK {
		return nil
	}
	if !known {
		op = shape.Operations["DescribeDomain"] // any operation decodes a fault
	}
	out, err := sdkv1Decode(op.Name, x.Status, x.Body)
	name := x.Operation
	if name == "" {
		name = "(no X-Amz-Target)"
	}
	if x.Status == http.StatusOK {
		if err != nil {
			return []sdkv1Violation{{op: name, path: "(body)", what: fmt.Sprintf("v1 cannot read the answer: %v", err)}}
		}
		if op.Output == "" {
			return nil
		}
		var vs []sdkv1Violation
		missing := func(path string) { vs = append(vs, sdkv1Violation{op: name, path: path}) }
		sdkv1Walk(reflect.ValueOf(out), op.Output, "", emptyPoll(out), missing)
		return vs
	}
	return sdkv1CheckFault(name, x, err)
}

// sdkv1CheckFault checks that v1 reads a fault with the code of its __type
// and its message.
func sdkv1CheckFault(name string, x swftest.Exchange, err error) []sdkv1Violation {
	fault := func(format string, a ...any) []sdkv1Violation {
		return []sdkv1Violation{{op: name, path: fmt.Sprintf("HTTP %d", x.Status), what: fmt.Sprintf(format, a...)}}
	}
	var body struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	if json.Unmarshal(x.Body, &body) != nil || body.Type == "" {
		return fault("the fault has no JSON __type: %.200q", x.Body)
	}
	code := body.Type[strings.LastIndex(body.Type, "#")+1:]
	var ae awserr.Error
	if !errors.As(err, &ae) {
		return fault("v1 got %v (%T), want an awserr.Error %s", err, err, code)
	}
	if ae.Code() != code {
		return fault("v1 reads code %q (%v), want %q", ae.Code(), ae, code)
	}
	if ae.Message() != body.Message {
		return fault("v1 reads %s with message %q, want %q", code, ae.Message(), body.Message)
	}
	var rf awserr.RequestFailure
	if !errors.As(err, &rf) || rf.StatusCode() != x.Status {
		return fault("v1 error %v carries no status %d", err, x.Status)
	}
	return nil
}

// emptyPoll returns, for the answer to a long poll that handed out no task,
// the members it must still carry (AWS sends startedEventId 0, and
// previousStartedEventId 0 to deciders); nil for any other answer.
func emptyPoll(out any) []string {
	switch o := out.(type) {
	case *swfv1.PollForDecisionTaskOutput:
		if awsv1.StringValue(o.TaskToken) == "" {
			return []string{"previousStartedEventId", "startedEventId"}
		}
	case *swfv1.PollForActivityTaskOutput:
		if awsv1.StringValue(o.TaskToken) == "" {
			return []string{"startedEventId"}
		}
	}
	return nil
}

// sdkv1Walk checks the v1 value v of model shape shapeName, found at path:
// every member the model requires or shape.AlwaysSent lists must be non-nil,
// and present structures (also inside lists) are checked in turn. only, if
// not nil, replaces the members to check at this level and stops the walk
// there (an empty poll).
func sdkv1Walk(v reflect.Value, shapeName, path string, only []string, missing func(path string)) {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	def := shape.LookupShape(shapeName)
	if def == nil {
		return
	}
	switch def.Type {
	case "list":
		if v.Kind() != reflect.Slice {
			return
		}
		for i := 0; i < v.Len(); i++ {
			sdkv1Walk(v.Index(i), def.Elem, fmt.Sprintf("%s[%d]", path, i), nil, missing)
		}
	case "structure":
		if v.Kind() != reflect.Struct {
			return
		}
		fields := v1Fields(v.Type())
		need := map[string]bool{}
		if only != nil {
			for _, m := range only {
				need[m] = true
			}
		} else {
			for _, m := range def.Required {
				need[m] = true
			}
			for _, m := range shape.AlwaysSent[shapeName] {
				need[m] = true
			}
		}
		for _, m := range def.Order {
			sub := m
			if path != "" {
				sub = path + "." + m
			}
			i, ok := fields[m]
			if !ok {
				// A member newer than v1's model: v1 cannot read it
				// whether or not it is sent.
				continue
			}
			f := v.Field(i)
			isNil := false
			switch f.Kind() {
			case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
				isNil = f.IsNil()
			}
			if isNil {
				if need[m] {
					missing(sub)
				}
				continue
			}
			if only == nil {
				sdkv1Walk(f, def.Members[m], sub, nil, missing)
			}
		}
	}
}

var v1FieldCache sync.Map // reflect.Type -> map[string]int

// v1Fields maps the JSON names (locationName tags) of a v1 struct's fields
// to their indexes.
func v1Fields(t reflect.Type) map[string]int {
	if m, ok := v1FieldCache.Load(t); ok {
		return m.(map[string]int)
	}
	m := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		if name := t.Field(i).Tag.Get("locationName"); name != "" {
			m[name] = i
		}
	}
	v1FieldCache.Store(t, m)
	return m
}

var (
	v1DecoderOnce sync.Once
	v1Decoder     *swfv1.SWF
	v1DecoderErr  error
)

// sdkv1Decode runs the answer (status, body) to operation op through
// aws-sdk-go v1's whole response pipeline (UnmarshalMeta, ValidateResponse,
// Unmarshal or UnmarshalError), as if v1 had sent an empty request and got
// it back, and returns the output struct and the error v1 reports.
func sdkv1Decode(op string, status int, body []byte) (any, error) {
	v1DecoderOnce.Do(func() {
		sess, err := session.NewSessionWithOptions(session.Options{
			Config: awsv1.Config{
				Region:                 awsv1.String("us-east-1"),
				Endpoint:               awsv1.String("http://127.0.0.1:1"),
				DisableSSL:             awsv1.Bool(true),
				Credentials:            credsv1.NewStaticCredentials("AKID", "SECRET", ""),
				MaxRetries:             awsv1.Int(0),
				DisableParamValidation: awsv1.Bool(true),
			},
			SharedConfigState: session.SharedConfigDisable,
		})
		if err != nil {
			v1DecoderErr = fmt.Errorf("aws-sdk-go v1 session: %w", err)
			return
		}
		v1Decoder = swfv1.New(sess)
	})
	if v1DecoderErr != nil {
		return nil, v1DecoderErr
	}
	m := reflect.ValueOf(v1Decoder).MethodByName(op + "Request")
	if !m.IsValid() {
		return nil, fmt.Errorf("aws-sdk-go v1 has no operation %s", op)
	}
	res := m.Call([]reflect.Value{reflect.New(m.Type().In(0).Elem())})
	req := res[0].Interface().(*request.Request)
	req.Handlers.Send.Clear()
	req.Handlers.Send.PushBack(func(r *request.Request) {
		r.HTTPResponse = &http.Response{
			Status:        fmt.Sprintf("%d %s", status, http.StatusText(status)),
			StatusCode:    status,
			Header:        http.Header{"Content-Type": {"application/x-amz-json-1.0"}},
			Body:          io.NopCloser(bytes.NewReader(body)),
			ContentLength: int64(len(body)),
		}
	})
	err := req.Send()
	return res[1].Interface(), err
}

// TestSDKv1Checker: the check TestMain runs over the recorded answers finds
// what v1 would dereference as nil, in nested structures and lists, and
// passes a complete answer.
func TestSDKv1Checker(t *testing.T) {
	t.Parallel()
	complete := `{"taskToken":"t","startedEventId":3,"previousStartedEventId":0,
		"workflowExecution":{"workflowId":"w","runId":"r"},"workflowType":{"name":"n","version":"1"},
		"events":[{"eventId":1,"eventTimestamp":1767225600,"eventType":"WorkflowExecutionStarted",
		  "workflowExecutionStartedEventAttributes":{"childPolicy":"TERMINATE","taskList":{"name":"d"},
		  "workflowType":{"name":"n","version":"1"},"parentInitiatedEventId":0}}]}`
	if vs := sdkv1Check(swftest.Exchange{Operation: "PollForDecisionTask", Status: 200, Body: []byte(complete)}); len(vs) != 0 {
		t.Errorf("complete decision task: got violations %+v, want none", vs)
	}

	var stripped map[string]any
	if err := json.Unmarshal([]byte(complete), &stripped); err != nil {
		t.Fatal(err)
	}
	delete(stripped, "previousStartedEventId")
	ev := stripped["events"].([]any)[0].(map[string]any)
	attrs := ev["workflowExecutionStartedEventAttributes"].(map[string]any)
	delete(attrs, "parentInitiatedEventId")
	delete(attrs["taskList"].(map[string]any), "name")
	ev2 := map[string]any{"eventId": 2, "eventType": "DecisionTaskScheduled",
		"decisionTaskScheduledEventAttributes": map[string]any{"taskList": map[string]any{"name": "d"}}}
	stripped["events"] = append(stripped["events"].([]any), ev2)
	body, _ := json.Marshal(stripped)
	got := map[string]bool{}
	for _, v := range sdkv1Check(swftest.Exchange{Operation: "PollForDecisionTask", Status: 200, Body: body}) {
		got[v.path] = true
	}
	want := map[string]bool{
		"previousStartedEventId": true,
		"events[0].workflowExecutionStartedEventAttributes.parentInitiatedEventId": true,
		"events[0].workflowExecutionStartedEventAttributes.taskList.name":          true,
		"events[1].eventTimestamp": true,
		"events[1].decisionTaskScheduledEventAttributes.startToCloseTimeout": false,
	}
	for p, w := range want {
		if got[p] != w {
			t.Errorf("stripped decision task: violation at %s is %v, want %v (got %v)", p, got[p], w, got)
		}
	}
	report := sdkv1Report([]swftest.Exchange{{Operation: "PollForDecisionTask", Status: 200, Body: body}})
	if !strings.Contains(report, "events[].workflowExecutionStartedEventAttributes.parentInitiatedEventId") {
		t.Errorf("report does not show the path pattern:\n%s", report)
	}

	for body, want := range map[string][]string{
		`{"previousStartedEventId":0,"startedEventId":0}`: nil,
		`{"startedEventId":0}`:                            {"previousStartedEventId"},
		`{}`:                                              {"previousStartedEventId", "startedEventId"},
	} {
		var got []string
		for _, v := range sdkv1Check(swftest.Exchange{Operation: "PollForDecisionTask", Status: 200, Body: []byte(body)}) {
			got = append(got, v.path)
		}
		sort.Strings(got)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("empty decision poll %s: got violations %v, want %v", body, got, want)
		}
	}
	if vs := sdkv1Check(swftest.Exchange{Operation: "PollForActivityTask", Status: 200, Body: []byte(`{}`)}); len(vs) != 1 || vs[0].path != "startedEventId" {
		t.Errorf("empty activity poll {}: got violations %+v, want startedEventId", vs)
	}

	fault := `{"__type":"com.amazonaws.swf.base.model#UnknownResourceFault","message":"Unknown domain: d"}`
	if vs := sdkv1Check(swftest.Exchange{Operation: "DescribeDomain", Status: 400, Body: []byte(fault)}); len(vs) != 0 {
		t.Errorf("fault: got violations %+v, want none", vs)
	}
	if vs := sdkv1Check(swftest.Exchange{Operation: "DescribeDomain", Status: 400, Body: []byte(`{"message":"x"}`)}); len(vs) != 1 {
		t.Errorf("fault without __type: got violations %+v, want one", vs)
	}
}
