package conformance

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/openswf/openswf/internal/swftest"
)

// TestWireFaults checks that each fault reaches the SDK as its typed error
// (BEHAVIOR §1: __type com.amazonaws.swf.base.model#<Fault>).
func TestWireFaults(t *testing.T) {
	t.Parallel()
	env := swftest.Start(t)

	t.Run("UnknownResourceFault", func(t *testing.T) {
		t.Parallel()
		ctx := swftest.Ctx(t)
		_, err := env.SWF.DescribeDomain(ctx, &swf.DescribeDomainInput{Name: aws.String("no-such-domain")})
		f := swftest.Fault[*types.UnknownResourceFault](t, err)
		if f.ErrorMessage() == "" {
			t.Errorf("UnknownResourceFault has no message, want one")
		}
	})
	t.Run("DomainAlreadyExistsFault", func(t *testing.T) {
		t.Parallel()
		ctx := swftest.Ctx(t)
		d := env.Domain(t)
		_, err := env.SWF.RegisterDomain(ctx, &swf.RegisterDomainInput{Name: aws.String(d), WorkflowExecutionRetentionPeriodInDays: aws.String("1")})
		swftest.Fault[*types.DomainAlreadyExistsFault](t, err)
	})
	t.Run("DomainDeprecatedFault", func(t *testing.T) {
		t.Parallel()
		ctx := swftest.Ctx(t)
		d := env.Domain(t)
		if _, err := env.SWF.DeprecateDomain(ctx, &swf.DeprecateDomainInput{Name: aws.String(d)}); err != nil {
			t.Fatalf("DeprecateDomain: %v", err)
		}
		_, err := env.SWF.DeprecateDomain(ctx, &swf.DeprecateDomainInput{Name: aws.String(d)})
		swftest.Fault[*types.DomainDeprecatedFault](t, err)
	})
	t.Run("TypeAlreadyExistsFault", func(t *testing.T) {
		t.Parallel()
		ctx := swftest.Ctx(t)
		d := env.Domain(t)
		env.ActivityType(t, d, "a")
		_, err := env.SWF.RegisterActivityType(ctx, &swf.RegisterActivityTypeInput{Domain: aws.String(d), Name: aws.String("a"), Version: aws.String("1")})
		swftest.Fault[*types.TypeAlreadyExistsFault](t, err)
	})
	t.Run("TypeDeprecatedFault", func(t *testing.T) {
		t.Parallel()
		ctx := swftest.Ctx(t)
		d := env.Domain(t)
		wt := env.WorkflowType(t, d)
		if _, err := env.SWF.DeprecateWorkflowType(ctx, &swf.DeprecateWorkflowTypeInput{Domain: aws.String(d), WorkflowType: &wt}); err != nil {
			t.Fatalf("DeprecateWorkflowType: %v", err)
		}
		_, err := env.SWF.StartWorkflowExecution(ctx, &swf.StartWorkflowExecutionInput{Domain: aws.String(d), WorkflowId: aws.String("w"), WorkflowType: &wt})
		swftest.Fault[*types.TypeDeprecatedFault](t, err)
	})
	t.Run("TypeNotDeprecatedFault", func(t *testing.T) {
		t.Parallel()
		ctx := swftest.Ctx(t)
		d := env.Domain(t)
		at := env.ActivityType(t, d, "a")
		_, err := env.SWF.DeleteActivityType(ctx, &swf.DeleteActivityTypeInput{Domain: aws.String(d), ActivityType: &at})
		swftest.Fault[*types.TypeNotDeprecatedFault](t, err)
	})
	t.Run("WorkflowExecutionAlreadyStartedFault", func(t *testing.T) {
		t.Parallel()
		ctx := swftest.Ctx(t)
		d := env.Domain(t)
		wt := env.WorkflowType(t, d)
		id, _ := env.Start(t, d, wt)
		_, err := env.SWF.StartWorkflowExecution(ctx, &swf.StartWorkflowExecutionInput{Domain: aws.String(d), WorkflowId: aws.String(id), WorkflowType: &wt})
		swftest.Fault[*types.WorkflowExecutionAlreadyStartedFault](t, err)
	})
	t.Run("DefaultUndefinedFault", func(t *testing.T) {
		t.Parallel()
		ctx := swftest.Ctx(t)
		d := env.Domain(t)
		wt := env.WorkflowType(t, d, func(in *swf.RegisterWorkflowTypeInput) { in.DefaultTaskList = nil })
		_, err := env.SWF.StartWorkflowExecution(ctx, &swf.StartWorkflowExecutionInput{Domain: aws.String(d), WorkflowId: aws.String("w"), WorkflowType: &wt})
		swftest.Fault[*types.DefaultUndefinedFault](t, err)
	})
	t.Run("ValidationException", func(t *testing.T) {
		t.Parallel()
		ctx := swftest.Ctx(t)
		_, err := env.SWF.RegisterDomain(ctx, &swf.RegisterDomainInput{Name: aws.String("a:b"), WorkflowExecutionRetentionPeriodInDays: aws.String("1")})
		swftest.WantCode(t, err, "ValidationException")
	})
}

const (
	validationType = "com.amazon.coral.validate#ValidationException"
	modelNS        = "com.amazonaws.swf.base.model#"
)

// TestWireValidation sends requests the SDK would not send and checks the
// answers (BEHAVIOR §1).
func TestWireValidation(t *testing.T) {
	t.Parallel()
	env := swftest.Start(t)

	wantError := func(t *testing.T, res *swftest.RawResponse, status int, typeSuffix string) {
		t.Helper()
		if res.Status != status {
			t.Fatalf("got status %d (%s), want %d", res.Status, res.Body, status)
		}
		if !strings.HasSuffix(res.Type(), typeSuffix) {
			t.Fatalf("got __type %q (%s), want one ending %q", res.Type(), res.Body, typeSuffix)
		}
		if res.Header.Get("x-amzn-RequestId") == "" {
			t.Fatalf("error answer has no x-amzn-RequestId, want one")
		}
	}

	t.Run("DetailsTooLong", func(t *testing.T) {
		t.Parallel()
		res := env.Raw(t, "RecordActivityTaskHeartbeat", swftest.JSON(t, map[string]string{
			"taskToken": "token", "details": strings.Repeat("x", 2049),
		}))
		wantError(t, res, http.StatusBadRequest, "#ValidationException")
		if res.Type() != validationType {
			t.Errorf("got __type %q, want %q", res.Type(), validationType)
		}
		if msg := res.Message(); !contains(msg, "details") || !contains(msg, "2048") {
			t.Errorf("got message %q, want it to name details and 2048", msg)
		}
	})
	t.Run("DetailsAtLimit", func(t *testing.T) {
		t.Parallel()
		// 2048 characters pass validation; the made-up token then fails.
		res := env.Raw(t, "RecordActivityTaskHeartbeat", swftest.JSON(t, map[string]string{
			"taskToken": "token", "details": strings.Repeat("é", 2048),
		}))
		wantError(t, res, http.StatusBadRequest, "#UnknownResourceFault")
		if res.Type() != modelNS+"UnknownResourceFault" {
			t.Errorf("got __type %q, want %q", res.Type(), modelNS+"UnknownResourceFault")
		}
	})
	t.Run("MissingTaskToken", func(t *testing.T) {
		t.Parallel()
		res := env.Raw(t, "RecordActivityTaskHeartbeat", []byte(`{"details":"x"}`))
		wantError(t, res, http.StatusBadRequest, "#ValidationException")
		if msg := res.Message(); !contains(msg, "taskToken") {
			t.Errorf("got message %q, want it to name taskToken", msg)
		}
	})
	t.Run("TaskTokenTooLong", func(t *testing.T) {
		t.Parallel()
		res := env.Raw(t, "RecordActivityTaskHeartbeat", swftest.JSON(t, map[string]string{"taskToken": strings.Repeat("A", 1025)}))
		wantError(t, res, http.StatusBadRequest, "#ValidationException")
		if msg := res.Message(); !contains(msg, "taskToken") || !contains(msg, "1024") {
			t.Errorf("got message %q, want it to name taskToken and 1024", msg)
		}
	})
	t.Run("UnknownOperation", func(t *testing.T) {
		t.Parallel()
		res := env.Raw(t, "NoSuchOperation", []byte(`{}`))
		wantError(t, res, http.StatusBadRequest, "#UnknownOperationException")
	})
	t.Run("MissingTarget", func(t *testing.T) {
		t.Parallel()
		res := env.Raw(t, "", []byte(`{}`))
		wantError(t, res, http.StatusBadRequest, "#UnknownOperationException")
	})
	t.Run("MalformedJSON", func(t *testing.T) {
		t.Parallel()
		res := env.Raw(t, "RecordActivityTaskHeartbeat", []byte(`{"taskToken":`))
		wantError(t, res, http.StatusBadRequest, "#SerializationException")
	})
	t.Run("WrongJSONType", func(t *testing.T) {
		t.Parallel()
		res := env.Raw(t, "RecordActivityTaskHeartbeat", []byte(`{"taskToken":5}`))
		wantError(t, res, http.StatusBadRequest, "#SerializationException")
	})
	t.Run("NotAnObject", func(t *testing.T) {
		t.Parallel()
		res := env.Raw(t, "RecordActivityTaskHeartbeat", []byte(`["taskToken"]`))
		wantError(t, res, http.StatusBadRequest, "#SerializationException")
	})
	t.Run("BodyOverOneMiB", func(t *testing.T) {
		t.Parallel()
		d := env.Domain(t)
		// A RegisterDomain whose description alone is over 1 MiB: the
		// request is refused before it is decoded, and no domain appears.
		body := swftest.JSON(t, map[string]string{
			"name": d + "-big", "workflowExecutionRetentionPeriodInDays": "1",
			"description": strings.Repeat("x", 1<<20),
		})
		res := env.Raw(t, "RegisterDomain", body)
		if res.Status < 400 || res.Status > 499 {
			t.Fatalf("got status %d, want a 4xx for a %d-byte body", res.Status, len(body))
		}
		if res.Type() == "" || res.Header.Get("x-amzn-RequestId") == "" {
			t.Fatalf("got __type %q, request id %q; want both", res.Type(), res.Header.Get("x-amzn-RequestId"))
		}
		t.Logf("over-size body answered %d %s", res.Status, res.Type())
		_, err := env.SWF.DescribeDomain(swftest.Ctx(t), &swf.DescribeDomainInput{Name: aws.String(d + "-big")})
		swftest.Fault[*types.UnknownResourceFault](t, err)
	})
	t.Run("RequestID", func(t *testing.T) {
		t.Parallel()
		d := env.Domain(t)
		ok1 := env.Raw(t, "DescribeDomain", swftest.JSON(t, map[string]string{"name": d}))
		ok2 := env.Raw(t, "DescribeDomain", swftest.JSON(t, map[string]string{"name": d}))
		if ok1.Status != http.StatusOK {
			t.Fatalf("DescribeDomain: got %d (%s), want 200", ok1.Status, ok1.Body)
		}
		id1, id2 := ok1.Header.Get("x-amzn-RequestId"), ok2.Header.Get("x-amzn-RequestId")
		if id1 == "" || id2 == "" || id1 == id2 {
			t.Fatalf("got request ids %q and %q, want two different ones", id1, id2)
		}
		if ct := ok1.Header.Get("Content-Type"); ct != "application/x-amz-json-1.0" {
			t.Errorf("got Content-Type %q, want application/x-amz-json-1.0", ct)
		}
	})
}

// TestRejectedRequestChangesNothing checks that a heartbeat refused for its
// too-long details neither replaces the stored details nor resets the
// heartbeat clock nor records anything (BEHAVIOR §1, §3).
func TestRejectedRequestChangesNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	task := b.startActivity(t, "a1", swftest.Timeouts("", "", "", "10"))
	token := aws.ToString(task.TaskToken)

	b.env.Clock.Advance(5 * time.Second)
	b.env.Heartbeat(t, token, "first") // heartbeat deadline: 15 s
	before := b.history(t)

	b.env.Clock.Advance(5 * time.Second)
	res := b.env.Raw(t, "RecordActivityTaskHeartbeat", swftest.JSON(t, map[string]string{
		"taskToken": token, "details": strings.Repeat("y", 2049),
	}))
	if res.Type() != validationType {
		t.Fatalf("too-long details: got %d %s, want %s", res.Status, res.Body, validationType)
	}
	_, err := b.env.TryHeartbeat(token, strings.Repeat("z", 2049))
	swftest.WantCode(t, err, "ValidationException")
	wantSame(t, before, b.history(t))

	// Had the rejected heartbeats counted, the deadline would be 20 s.
	b.env.Clock.Advance(5500 * time.Millisecond)
	events := b.history(t)
	ev := swftest.Last(t, events, types.EventTypeActivityTaskTimedOut)
	a := ev.ActivityTaskTimedOutEventAttributes
	if a.TimeoutType != types.ActivityTaskTimeoutTypeHeartbeat || aws.ToString(a.Details) != "first" {
		t.Fatalf("timed out %s with details %q, want HEARTBEAT with %q", a.TimeoutType, aws.ToString(a.Details), "first")
	}
}
