package auth

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

const account = "123456789012"

var (
	arnProd   = ARN("us-east-1", account, "prod")
	arnTest   = ARN("us-east-1", account, "test")
	arnProdEU = ARN("eu-west-1", account, "prod-eu")
	arnProdUS = ARN("us-east-1", account, "prod-us-1")
	arnOther  = ARN("us-east-1", "210987654321", "prod-eu")
	arnAll    = ARN("us-east-1", account, "*") // ListDomains
)

func mustPolicy(tb testing.TB, doc string) *Policy {
	tb.Helper()
	p, err := ParsePolicy([]byte(doc))
	if err != nil {
		tb.Fatalf("ParsePolicy: %v\n%s", err, doc)
	}
	return p
}

// question is one call of Allowed and its expected answer.
type question struct {
	action, resource string
	ctx              Context
	want             bool
}

func ask(t *testing.T, a Authorizer, qs []question) {
	t.Helper()
	for _, q := range qs {
		if got := a.Allowed(q.action, q.resource, q.ctx); got != q.want {
			t.Errorf("Allowed(%q, %q, %v): got %v, want %v", q.action, q.resource, q.ctx, got, q.want)
		}
	}
}

func TestPolicyElements(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		policy    string
		questions []question
	}{
		{
			name:   "Allow",
			policy: `{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "swf:PollForActivityTask", "Resource": "` + arnProd + `"}}`,
			questions: []question{
				{"swf:PollForActivityTask", arnProd, nil, true},
				{"swf:PollForActivityTask", arnTest, nil, false},
				{"swf:PollForDecisionTask", arnProd, nil, false},
			},
		},
		{
			name:   "DefaultDeny",
			policy: `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}`,
			questions: []question{
				{"swf:PollForActivityTask", arnProd, nil, false},
				{"swf:ListDomains", arnAll, nil, false},
			},
		},
		{
			name: "DenyBeatsAllow",
			policy: `{"Version": "2012-10-17", "Statement": [
				{"Effect": "Allow", "Action": "swf:*", "Resource": "*"},
				{"Effect": "Deny", "Action": "swf:TerminateWorkflowExecution", "Resource": "` + arnProd + `"}]}`,
			questions: []question{
				{"swf:TerminateWorkflowExecution", arnProd, nil, false},
				{"swf:TerminateWorkflowExecution", arnTest, nil, true},
				{"swf:PollForActivityTask", arnProd, nil, true},
			},
		},
		{
			name: "DenyBeatsAllowWrittenFirst",
			policy: `{"Version": "2012-10-17", "Statement": [
				{"Effect": "Deny", "Action": "swf:*", "Resource": "` + arnProd + `"},
				{"Effect": "Allow", "Action": "swf:PollForActivityTask", "Resource": "*"}]}`,
			questions: []question{
				{"swf:PollForActivityTask", arnProd, nil, false},
				{"swf:PollForActivityTask", arnTest, nil, true},
			},
		},
		{
			name:   "ActionCaseInsensitive",
			policy: `{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "SWF:pollforactivitytask", "Resource": "*"}}`,
			questions: []question{
				{"swf:PollForActivityTask", arnProd, nil, true},
				{"SWF:POLLFORACTIVITYTASK", arnProd, nil, true},
			},
		},
		{
			name:   "ResourceCaseSensitive",
			policy: `{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "swf:*", "Resource": "arn:aws:swf:us-east-1:123456789012:/domain/Prod"}}`,
			questions: []question{
				{"swf:PollForActivityTask", arnProd, nil, false},
				{"swf:PollForActivityTask", ARN("us-east-1", account, "Prod"), nil, true},
			},
		},
		{
			name:   "NotAction",
			policy: `{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "NotAction": ["swf:Terminate*", "swf:Delete*"], "Resource": "*"}}`,
			questions: []question{
				{"swf:PollForActivityTask", arnProd, nil, true},
				{"swf:TerminateWorkflowExecution", arnProd, nil, false},
				{"swf:DeleteActivityType", arnProd, nil, false},
			},
		},
		{
			name: "DenyNotAction",
			policy: `{"Version": "2012-10-17", "Statement": [
				{"Effect": "Allow", "Action": "swf:*", "Resource": "*"},
				{"Effect": "Deny", "NotAction": "swf:Poll*", "Resource": "` + arnProd + `"}]}`,
			questions: []question{
				{"swf:PollForDecisionTask", arnProd, nil, true},
				{"swf:RecordActivityTaskHeartbeat", arnProd, nil, false},
				{"swf:RecordActivityTaskHeartbeat", arnTest, nil, true},
			},
		},
		{
			name:   "NotResource",
			policy: `{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "swf:*", "NotResource": "` + arnProd + `"}}`,
			questions: []question{
				{"swf:PollForActivityTask", arnTest, nil, true},
				{"swf:PollForActivityTask", arnProd, nil, false},
			},
		},
		{
			name: "DenyNotResource",
			policy: `{"Version": "2012-10-17", "Statement": [
				{"Effect": "Allow", "Action": "swf:*", "Resource": "*"},
				{"Effect": "Deny", "Action": "swf:*", "NotResource": ["arn:aws:swf:*:123456789012:/domain/prod-*"]}]}`,
			questions: []question{
				{"swf:StartWorkflowExecution", arnProdEU, nil, true},
				{"swf:StartWorkflowExecution", arnTest, nil, false},
			},
		},
		{
			name:   "WildcardActionPrefix",
			policy: `{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "swf:Poll*", "Resource": "*"}}`,
			questions: []question{
				{"swf:PollForActivityTask", arnProd, nil, true},
				{"swf:PollForDecisionTask", arnProd, nil, true},
				{"swf:RecordActivityTaskHeartbeat", arnProd, nil, false},
			},
		},
		{
			name:   "WildcardActionService",
			policy: `{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "swf:*", "Resource": "*"}}`,
			questions: []question{
				{"swf:PollForActivityTask", arnProd, nil, true},
				{"swf:ScheduleActivityTask", arnProd, nil, true},
				{"s3:GetObject", arnProd, nil, false},
			},
		},
		{
			name:   "WildcardActionAll",
			policy: `{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}`,
			questions: []question{
				{"swf:PollForActivityTask", arnProd, nil, true},
				{"s3:GetObject", "arn:aws:s3:::bucket", nil, true},
			},
		},
		{
			name:   "WildcardActionSingleCharacter",
			policy: `{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "swf:RespondActivityTask?a*", "Resource": "*"}}`,
			questions: []question{
				{"swf:RespondActivityTaskCanceled", arnProd, nil, true},
				{"swf:RespondActivityTaskFailed", arnProd, nil, true},
				{"swf:RespondActivityTaskCompleted", arnProd, nil, false},
			},
		},
		{
			name:   "WildcardResourceDomainPrefix",
			policy: `{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "swf:*", "Resource": "arn:aws:swf:*:123456789012:/domain/prod-*"}}`,
			questions: []question{
				{"swf:PollForActivityTask", arnProdEU, nil, true},
				{"swf:PollForActivityTask", arnProdUS, nil, true},
				{"swf:PollForActivityTask", arnProd, nil, false},
				{"swf:PollForActivityTask", arnTest, nil, false},
				{"swf:PollForActivityTask", arnOther, nil, false},
			},
		},
		{
			name:   "WildcardResourceSingleCharacter",
			policy: `{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "swf:*", "Resource": "arn:aws:swf:us-east-1:123456789012:/domain/prod-??"}}`,
			questions: []question{
				{"swf:PollForActivityTask", ARN("us-east-1", account, "prod-eu"), nil, true},
				{"swf:PollForActivityTask", ARN("us-east-1", account, "prod-eur"), nil, false},
				{"swf:PollForActivityTask", ARN("eu-west-1", account, "prod-eu"), nil, false},
			},
		},
		{
			// A '*' inside a segment stays within it; one that ends a
			// segment may run on across colons, as IAM documents.
			name: "WildcardResourceSegments",
			policy: `{"Version": "2012-10-17", "Statement": [
				{"Effect": "Allow", "Action": "swf:PollForActivityTask", "Resource": "arn:aws:swf:us-*1:/domain/prod"},
				{"Effect": "Allow", "Action": "swf:PollForDecisionTask", "Resource": "arn:aws:swf:*:/domain/prod"}]}`,
			questions: []question{
				{"swf:PollForActivityTask", arnProd, nil, false},
				{"swf:PollForDecisionTask", arnProd, nil, true},
				{"swf:PollForDecisionTask", arnTest, nil, false},
			},
		},
		{
			name:   "WildcardResourceShortPattern",
			policy: `{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "swf:*", "Resource": "arn:aws:swf:*"}}`,
			questions: []question{
				{"swf:PollForActivityTask", arnProd, nil, true},
				{"swf:PollForActivityTask", arnOther, nil, true},
				{"swf:PollForActivityTask", "arn:aws:s3:::bucket", nil, false},
			},
		},
		{
			name:   "ListDomainsResource",
			policy: `{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "swf:ListDomains", "Resource": "arn:aws:swf:*:123456789012:/domain/*"}}`,
			questions: []question{
				{"swf:ListDomains", arnAll, nil, true},
			},
		},
		{
			name:   "ListDomainsNeedsAllDomains",
			policy: `{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "swf:ListDomains", "Resource": "` + arnProd + `"}}`,
			questions: []question{
				{"swf:ListDomains", arnAll, nil, false},
			},
		},
		{
			name: "DecisionPseudoAPI",
			policy: `{"Version": "2012-10-17", "Statement": [
				{"Effect": "Allow", "Action": ["swf:RespondDecisionTaskCompleted", "swf:StartTimer", "swf:CompleteWorkflowExecution"], "Resource": "` + arnProd + `"}]}`,
			questions: []question{
				{"swf:RespondDecisionTaskCompleted", arnProd, nil, true},
				{"swf:StartTimer", arnProd, nil, true},
				{"swf:CompleteWorkflowExecution", arnProd, nil, true},
				{"swf:ScheduleActivityTask", arnProd, nil, false},
			},
		},
		{
			name:   "Version2008",
			policy: `{"Version": "2008-10-17", "Statement": {"Effect": "Allow", "Action": "swf:*", "Resource": "arn:aws:swf:*:123456789012:/domain/${x}"}}`,
			questions: []question{
				{"swf:PollForActivityTask", ARN("us-east-1", account, "${x}"), nil, true},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ask(t, mustPolicy(t, tt.policy), tt.questions)
		})
	}
}

// condPolicy allows everything under one Condition block.
func condPolicy(cond string) string {
	return `{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "swf:*", "Resource": "*", "Condition": ` + cond + `}}`
}

func TestPolicyConditions(t *testing.T) {
	t.Parallel()
	const name = "swf:activityType.name"
	one := func(k, v string) Context { return Context{k: {v}} }
	tags := func(v ...string) Context { return Context{"aws:TagKeys": v} }

	tests := []struct {
		name  string
		cond  string
		cases []struct {
			ctx  Context
			want bool
		}
	}{}
	add := func(name, cond string, pairs ...any) {
		tc := struct {
			name  string
			cond  string
			cases []struct {
				ctx  Context
				want bool
			}
		}{name: name, cond: cond}
		for i := 0; i < len(pairs); i += 2 {
			tc.cases = append(tc.cases, struct {
				ctx  Context
				want bool
			}{pairs[i].(Context), pairs[i+1].(bool)})
		}
		tests = append(tests, tc)
	}

	add("StringEquals", `{"StringEquals": {"swf:activityType.name": "resize"}}`,
		one(name, "resize"), true, one(name, "Resize"), false, one(name, "crop"), false, Context{}, false)
	add("StringEqualsValuesOR", `{"StringEquals": {"swf:activityType.name": ["resize", "crop"]}}`,
		one(name, "crop"), true, one(name, "rotate"), false)
	add("StringEqualsKeyNameCaseInsensitive", `{"StringEquals": {"swf:activityType.name": "resize"}}`,
		one("SWF:ActivityType.Name", "resize"), true)
	add("StringEqualsNoWildcards", `{"StringEquals": {"swf:activityType.name": "res*"}}`,
		one(name, "resize"), false, one(name, "res*"), true)
	add("StringNotEquals", `{"StringNotEquals": {"swf:activityType.name": ["resize", "crop"]}}`,
		one(name, "resize"), false, one(name, "crop"), false, one(name, "rotate"), true, Context{}, true)
	add("StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase": {"swf:activityType.name": "resize"}}`,
		one(name, "ReSiZe"), true, one(name, "crop"), false)
	add("StringNotEqualsIgnoreCase", `{"StringNotEqualsIgnoreCase": {"swf:activityType.name": "resize"}}`,
		one(name, "RESIZE"), false, one(name, "crop"), true)
	add("StringLike", `{"StringLike": {"swf:activityType.name": ["img-*", "v?"]}}`,
		one(name, "img-resize"), true, one(name, "IMG-resize"), false, one(name, "v1"), true, one(name, "v10"), false, Context{}, false)
	add("StringNotLike", `{"StringNotLike": {"swf:activityType.name": "img-*"}}`,
		one(name, "img-crop"), false, one(name, "doc-crop"), true, Context{}, true)
	add("StringEqualsIfExists", `{"StringEqualsIfExists": {"swf:taskList.name": "images"}}`,
		one("swf:taskList.name", "images"), true, one("swf:taskList.name", "other"), false, Context{}, true)
	add("StringNotLikeIfExists", `{"StringNotLikeIfExists": {"swf:taskList.name": "secret-*"}}`,
		one("swf:taskList.name", "secret-1"), false, one("swf:taskList.name", "public"), true, Context{}, true)
	add("KeysAND", `{"StringEquals": {"swf:activityType.name": "resize", "swf:taskList.name": "images"}}`,
		Context{name: {"resize"}, "swf:taskList.name": {"images"}}, true,
		Context{name: {"resize"}, "swf:taskList.name": {"other"}}, false,
		one(name, "resize"), false)
	add("OperatorsAND", `{"StringEquals": {"swf:activityType.name": "resize"}, "StringLike": {"swf:activityType.version": "2.*"}}`,
		Context{name: {"resize"}, "swf:activityType.version": {"2.1"}}, true,
		Context{name: {"resize"}, "swf:activityType.version": {"1.0"}}, false)
	add("MultipleValuesWithoutSetOperator", `{"StringEquals": {"swf:activityType.name": "resize"}}`,
		Context{name: {"crop", "resize"}}, true)
	add("NegatedMultipleValuesWithoutSetOperator", `{"StringNotEquals": {"swf:activityType.name": "resize"}}`,
		Context{name: {"crop", "resize"}}, false)

	add("NumericEquals", `{"NumericEquals": {"swf:n": 10}}`,
		one("swf:n", "10"), true, one("swf:n", "10.0"), true, one("swf:n", "11"), false, one("swf:n", "ten"), false, Context{}, false)
	add("NumericNotEquals", `{"NumericNotEquals": {"swf:n": "10"}}`,
		one("swf:n", "10"), false, one("swf:n", "11"), true, Context{}, true)
	add("NumericLessThan", `{"NumericLessThan": {"swf:n": "10"}}`,
		one("swf:n", "9.5"), true, one("swf:n", "10"), false)
	add("NumericLessThanEquals", `{"NumericLessThanEquals": {"swf:n": "10"}}`,
		one("swf:n", "10"), true, one("swf:n", "11"), false)
	add("NumericGreaterThan", `{"NumericGreaterThan": {"swf:n": "10"}}`,
		one("swf:n", "11"), true, one("swf:n", "10"), false)
	add("NumericGreaterThanEquals", `{"NumericGreaterThanEquals": {"swf:n": "-1.5"}}`,
		one("swf:n", "-1.5"), true, one("swf:n", "-2"), false)
	add("NumericLessThanIfExists", `{"NumericLessThanIfExists": {"swf:n": "10"}}`,
		Context{}, true, one("swf:n", "20"), false)

	add("Bool", `{"Bool": {"aws:SecureTransport": "true"}}`,
		one("aws:SecureTransport", "true"), true, one("aws:SecureTransport", "TRUE"), true,
		one("aws:SecureTransport", "false"), false, Context{}, false)
	add("BoolJSONValue", `{"Bool": {"aws:SecureTransport": false}}`,
		one("aws:SecureTransport", "false"), true, one("aws:SecureTransport", "true"), false)
	add("BoolIfExists", `{"BoolIfExists": {"aws:SecureTransport": "true"}}`,
		Context{}, true, one("aws:SecureTransport", "false"), false)

	add("ArnEquals", `{"ArnEquals": {"aws:SourceArn": "`+arnProd+`"}}`,
		one("aws:SourceArn", arnProd), true, one("aws:SourceArn", arnTest), false, one("aws:SourceArn", "not-an-arn"), false)
	add("ArnLike", `{"ArnLike": {"aws:SourceArn": "arn:aws:swf:*:123456789012:/domain/prod*"}}`,
		one("aws:SourceArn", arnProdEU), true, one("aws:SourceArn", arnOther), false)
	add("ArnNotEquals", `{"ArnNotEquals": {"aws:SourceArn": "`+arnProd+`"}}`,
		one("aws:SourceArn", arnProd), false, one("aws:SourceArn", arnTest), true, Context{}, true)
	add("ArnNotLike", `{"ArnNotLike": {"aws:SourceArn": "arn:aws:swf:*:*:/domain/prod*"}}`,
		one("aws:SourceArn", arnOther), false, one("aws:SourceArn", arnTest), true)
	add("ArnLikeIfExists", `{"ArnLikeIfExists": {"aws:SourceArn": "arn:aws:swf:*:*:/domain/prod"}}`,
		Context{}, true, one("aws:SourceArn", arnTest), false)

	add("IpAddress", `{"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.1.1", "2001:db8::/32"]}}`,
		one("aws:SourceIp", "10.1.2.3"), true, one("aws:SourceIp", "192.168.1.1"), true,
		one("aws:SourceIp", "192.168.1.2"), false, one("aws:SourceIp", "::ffff:10.0.0.1"), true,
		one("aws:SourceIp", "2001:db8::1"), true, one("aws:SourceIp", "garbage"), false, Context{}, false)
	add("NotIpAddress", `{"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}`,
		one("aws:SourceIp", "8.8.8.8"), true, one("aws:SourceIp", "10.0.0.1"), false, Context{}, true)

	add("NullTrue", `{"Null": {"swf:taskList.name": "true"}}`,
		Context{}, true, Context{"swf:taskList.name": {}}, true, one("swf:taskList.name", "images"), false)
	add("NullFalse", `{"Null": {"swf:taskList.name": "false"}}`,
		Context{}, false, one("swf:taskList.name", "images"), true)

	add("ForAnyValueStringEquals", `{"ForAnyValue:StringEquals": {"aws:TagKeys": ["env", "team"]}}`,
		tags("env", "x"), true, tags("x", "y"), false, Context{}, false)
	add("ForAllValuesStringEquals", `{"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}}`,
		tags("env"), true, tags("env", "team"), true, tags("env", "x"), false, Context{}, true)
	add("ForAllValuesStringNotLike", `{"ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}}`,
		tags("key1:legal"), false, tags("key1:hr", "key1:personnel"), false, tags("key2:audit"), true, Context{}, true)
	add("ForAnyValueStringNotEquals", `{"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["env", "team"]}}`,
		tags("env", "x"), true, tags("env"), false, Context{}, false)
	add("ForAnyValueStringLike", `{"ForAnyValue:StringLike": {"swf:tagList.member.0": "prio-*"}}`,
		one("swf:tagList.member.0", "prio-high"), true, one("swf:tagList.member.0", "other"), false)
	add("ForAnyValueIfExists", `{"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": "env"}}`,
		Context{}, true, tags("x"), false)
	add("ForAllValuesWithNullGuard", `{"ForAllValues:StringEquals": {"aws:TagKeys": "env"}, "Null": {"aws:TagKeys": "false"}}`,
		Context{}, false, tags("env"), true)

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := mustPolicy(t, condPolicy(tt.cond))
			for _, c := range tt.cases {
				if got := p.Allowed("swf:PollForActivityTask", arnProd, c.ctx); got != c.want {
					t.Errorf("%s with %v: got %v, want %v", tt.cond, c.ctx, got, c.want)
				}
			}
		})
	}
}

// TestPolicyConditionInDeny checks a common shape: an Allow narrowed by a
// Deny with a negated IfExists condition.
func TestPolicyConditionInDeny(t *testing.T) {
	t.Parallel()
	p := mustPolicy(t, `{"Version": "2012-10-17", "Statement": [
		{"Effect": "Allow", "Action": "swf:*", "Resource": "*"},
		{"Effect": "Deny", "Action": "swf:ScheduleActivityTask", "Resource": "*",
		 "Condition": {"StringNotEqualsIfExists": {"swf:taskList.name": "images"}}}]}`)
	ask(t, p, []question{
		{"swf:ScheduleActivityTask", arnProd, Context{KeyTaskListName: {"images"}}, true},
		{"swf:ScheduleActivityTask", arnProd, Context{KeyTaskListName: {"secrets"}}, false},
		// IfExists makes a missing key pass the condition, so the Deny
		// applies too: the trap IAM's documentation warns about.
		{"swf:ScheduleActivityTask", arnProd, nil, false},
		{"swf:StartTimer", arnProd, Context{KeyTaskListName: {"secrets"}}, true},
	})
}

func TestPrincipal(t *testing.T) {
	t.Parallel()
	cfg := mustParse(t, `{"accountId": "123456789012", "principals": [
		{"name": "ops", "accessKeyId": "AKIDOPS", "secretAccessKey": "s3cr3t-value",
		 "policies": [
			{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "swf:*", "Resource": "*"}},
			{"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "swf:Terminate*", "Resource": "`+arnProd+`"}}]},
		{"name": "nobody", "accessKeyId": "AKIDNOBODY", "secretAccessKey": "another-secret"}]}`)
	ps := cfg.Principals()
	if len(ps) != 2 || ps[0].Name() != "ops" || ps[1].Name() != "nobody" {
		t.Fatalf("Principals: got %v, want [ops nobody]", ps)
	}
	if cfg.AccountID() != account {
		t.Errorf("AccountID: got %q, want %q", cfg.AccountID(), account)
	}
	if ps[0].AccessKeyID() != "AKIDOPS" {
		t.Errorf("AccessKeyID: got %q, want AKIDOPS", ps[0].AccessKeyID())
	}

	t.Run("DenyInOnePolicyBeatsAllowInAnother", func(t *testing.T) {
		t.Parallel()
		ask(t, ps[0], []question{
			{"swf:TerminateWorkflowExecution", arnProd, nil, false},
			{"swf:TerminateWorkflowExecution", arnTest, nil, true},
			{"swf:StartWorkflowExecution", arnProd, nil, true},
		})
	})
	t.Run("NoPoliciesAllowsNothing", func(t *testing.T) {
		t.Parallel()
		ask(t, ps[1], []question{{"swf:ListDomains", arnAll, nil, false}})
	})
	t.Run("NilAllowsNothing", func(t *testing.T) {
		t.Parallel()
		var p *Principal
		ask(t, p, []question{{"swf:ListDomains", arnAll, nil, false}})
	})
	t.Run("PrintingHidesSecret", func(t *testing.T) {
		t.Parallel()
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			if s := fmt.Sprintf(verb, ps[0]); strings.Contains(s, "s3cr3t") {
				t.Errorf("Sprintf(%q): got %q, which shows the secret", verb, s)
			}
		}
	})
}

func TestAuthorizerContext(t *testing.T) {
	t.Parallel()
	p := mustPolicy(t, condPolicy(`{"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}, "StringEqualsIfExists": {"swf:taskList.name": "images"}}`))

	t.Run("NoneAttached", func(t *testing.T) {
		t.Parallel()
		if a, ok := FromContext(context.Background()); ok {
			t.Fatalf("FromContext: got %v, want none", a)
		}
	})
	t.Run("Attached", func(t *testing.T) {
		t.Parallel()
		ctx := WithPrincipal(context.Background(), AllowAll)
		a, ok := FromContext(ctx)
		if !ok || !a.Allowed("swf:DeprecateDomain", arnProd, nil) {
			t.Fatalf("FromContext: got %v, %v; want AllowAll", a, ok)
		}
	})
	t.Run("GlobalKeys", func(t *testing.T) {
		t.Parallel()
		inside := WithGlobalKeys(p, Context{KeySourceIP: {"10.1.1.1"}})
		outside := WithGlobalKeys(p, Context{KeySourceIP: {"8.8.8.8"}})
		ask(t, inside, []question{
			{"swf:PollForActivityTask", arnProd, Context{KeyTaskListName: {"images"}}, true},
			{"swf:PollForActivityTask", arnProd, Context{KeyTaskListName: {"other"}}, false},
			// The question's own value of a key wins over the global one.
			{"swf:PollForActivityTask", arnProd, Context{"AWS:SOURCEIP": {"8.8.8.8"}}, false},
		})
		ask(t, outside, []question{{"swf:PollForActivityTask", arnProd, nil, false}})
	})
}

func TestKeys(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ got, want string }{
		{ARN("us-east-1", account, "prod"), "arn:aws:swf:us-east-1:123456789012:/domain/prod"},
		{KeyTagListMember(3), "swf:tagList.member.3"},
		{KeyRequestTag("env"), "aws:RequestTag/env"},
		{KeyResourceTag("env"), "aws:ResourceTag/env"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestWildcardMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"", "a", false},
		{"*", "", true},
		{"*", "anything", true},
		{"a*", "a", true},
		{"a*c", "abbbc", true},
		{"a*c", "abbbd", false},
		{"*c*", "abcd", true},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"a?c", "añc", true}, // '?' is one character, not one byte
		{"**a", "ba", true},
		{"*a*b*c*", "xxaxxbxxcxx", true},
		{"*a*b*c*", "xxaxxcxxbxx", false},
		{"?", "", false},
		{"a*b?d", "axxbxxbcd", true},
	}
	for _, tt := range tests {
		if got := wildcardMatch(tt.pattern, tt.s); got != tt.want {
			t.Errorf("wildcardMatch(%q, %q): got %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func BenchmarkAllowed(b *testing.B) {
	cfg := mustParse(b, ExampleCredentials)
	decider := cfg.Principals()[1]
	ctx := Context{KeyActivityTypeName: {"resize"}, KeyTaskListName: {"images"}}
	b.ReportAllocs()
	for b.Loop() {
		if !decider.Allowed("swf:ScheduleActivityTask", arnProd, ctx) {
			b.Fatal("denied")
		}
	}
}
