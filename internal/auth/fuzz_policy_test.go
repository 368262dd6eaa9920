package auth

import (
	"strings"
	"testing"
	"time"
)

// maxEvalTime bounds one policy evaluation in the fuzz targets. A real one
// takes microseconds; anything near this is a caller able to make the
// server spin on a single request.
const maxEvalTime = time.Second

// FuzzParse feeds Parse, which reads the --auth credentials file, arbitrary
// bytes. It must never panic; a refused file gets an error that starts with
// "auth: " and says what is wrong; an accepted one has a 12-digit account
// and at least one principal, each of which can answer a policy question.
func FuzzParse(f *testing.F) {
	f.Add([]byte(testConfig))
	f.Add([]byte(ExampleCredentials))
	f.Add([]byte(withPolicy(ExampleWorkerPolicy)))
	f.Add([]byte(withPolicy(ExampleDeciderPolicy)))
	f.Add([]byte(withStatement(`[{"Effect": "Allow", "Action": "swf:*", "Resource": "*"}, {"Effect": "Deny", "Action": ["swf:A*", "swf:B*"], "Resource": ["*"]}]`)))
	f.Add([]byte(withStatement(`{"Effect": "Allow", "Action": "swf:*", "Resource": "*", "Condition": {"NumericLessThan": {"k": 5}, "Bool": {"b": true}, "StringEquals": {"s": [1, "x"]}}}`)))
	f.Add([]byte(`{"accountId": "123456789012", "principals": [{"name": "n", "accessKeyId": "AKID", "secretAccessKey": "s"}]}`))
	f.Add([]byte(`{"accountId": 123456789012, "principals": [{"name": "n", "accessKeyId": "AK/ID", "secretKey": "s "}]} {}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			if c != nil {
				t.Fatalf("Parse returned both a config and %v", err)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "auth: ") || len(msg) < len("auth: x") {
				t.Fatalf("Parse error %q does not say what is wrong", msg)
			}
			return
		}
		if !isAccountID(c.AccountID()) {
			t.Fatalf("accepted account id %q", c.AccountID())
		}
		ps := c.Principals()
		if len(ps) == 0 {
			t.Fatal("accepted a file without principals")
		}
		for _, p := range ps {
			if p.Name() == "" || !isAccessKeyID(p.AccessKeyID()) {
				t.Fatalf("accepted principal %q with access key %q", p.Name(), p.AccessKeyID())
			}
			for _, q := range []struct{ action, resource string }{
				{"swf:PollForActivityTask", ARN("us-east-1", c.AccountID(), "prod")},
				{"swf:ListDomains", ARN("eu-west-1", c.AccountID(), "*")},
				{"swf:ScheduleActivityTask", "arn:aws:swf:us-east-1:" + c.AccountID() + ":/domain/a:b:c"},
			} {
				start := time.Now()
				p.Allowed(q.action, q.resource, Context{KeyActivityTypeName: {"resize"}, KeySourceIP: {"10.0.0.1"}, KeyTagKeys: {"a", "b"}})
				if d := time.Since(start); d > maxEvalTime {
					t.Fatalf("Allowed(%q, %q) took %v", q.action, q.resource, d)
				}
			}
		}
	})
}

// FuzzAllowed compiles a fuzzed policy and, if it is accepted, asks it a
// fuzzed question: an action, a resource, and one condition key with one
// or more values (split at commas). Evaluation must never panic, must take
// a bounded time, must give the same answer twice, and must not depend on
// the case of the action or of the condition key's name (IAM compares both
// without regard to case). A refused policy gets an error naming the
// element at fault.
func FuzzAllowed(f *testing.F) {
	deny := `{"Version": "2012-10-17", "Statement": [
		{"Effect": "Allow", "Action": "swf:*", "Resource": "arn:aws:swf:*:123456789012:/domain/*"},
		{"Effect": "Deny", "NotAction": ["swf:Poll*", "swf:?ecord*"], "NotResource": "arn:aws:swf:us-*:*:/domain/prod-*",
		 "Condition": {"ForAnyValue:StringLike": {"aws:TagKeys": ["secret-*", "x?"]}, "NumericLessThanIfExists": {"n": 5}}}]}`
	conds := `{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {
		"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "::1"]}, "Bool": {"aws:SecureTransport": "true"},
		"ArnLike": {"k": "arn:aws:swf:*:*:/domain/*"}, "Null": {"swf:taskList.name": "false"},
		"ForAllValues:StringEqualsIgnoreCase": {"aws:TagKeys": ["A", "b"]}, "StringNotEquals": {"aws:username": "mallory"}}}}`
	f.Add([]byte(ExampleWorkerPolicy), "swf:RecordActivityTaskHeartbeat", ARN("us-east-1", account, "prod"), KeyActivityTypeName, "resize")
	f.Add([]byte(ExampleDeciderPolicy), "swf:ScheduleActivityTask", ARN("eu-west-1", account, "prod"), KeyActivityTypeName, "resize")
	f.Add([]byte(deny), "swf:TagResource", ARN("us-east-1", account, "prod-eu:x:y"), KeyTagKeys, "secret-1,x2")
	f.Add([]byte(conds), "swf:ListDomains", ARN("us-east-1", account, "*"), KeySourceIP, "10.1.2.3")
	f.Add([]byte(conds), "swf:StartTimer", "arn:aws:swf:us-east-1:123456789012:/domain/"+strings.Repeat("a:", 20), "K", "arn:aws:swf:eu-west-1:1:/domain/d")
	f.Add([]byte(`{"Statement": {"Effect": "Deny", "Action": "swf:*", "Resource": "arn:*:*:*:*:/domain/x"}}`), "swf:TagResource", "arn:aws:swf:"+strings.Repeat(":", 40), "", "")
	f.Fuzz(func(t *testing.T, doc []byte, action, resource, key, value string) {
		p, err := ParsePolicy(doc)
		if err != nil {
			if p != nil {
				t.Fatalf("ParsePolicy returned both a policy and %v", err)
			}
			if !strings.HasPrefix(err.Error(), "policy") {
				t.Fatalf("ParsePolicy error %q does not name the element at fault", err)
			}
			return
		}
		ctx := Context{key: strings.Split(value, ",")}
		start := time.Now()
		got := p.Allowed(action, resource, ctx)
		if d := time.Since(start); d > maxEvalTime {
			t.Fatalf("Allowed(%q, %q, %q) took %v", action, resource, ctx, d)
		}
		if again := p.Allowed(action, resource, ctx); again != got {
			t.Fatalf("Allowed(%q, %q, %q) answered %v, then %v", action, resource, ctx, got, again)
		}
		if isASCII(action) {
			if other := p.Allowed(strings.ToUpper(action), resource, ctx); other != got {
				t.Fatalf("Allowed(%q) = %v but Allowed(%q) = %v", action, got, strings.ToUpper(action), other)
			}
		}
		if isASCII(key) {
			upper := Context{strings.ToUpper(key): ctx[key]}
			if other := p.Allowed(action, resource, upper); other != got {
				t.Fatalf("key %q: %v; key %q: %v", key, got, strings.ToUpper(key), other)
			}
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
