package auth

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// withPolicy is a credentials file with one principal holding policy.
func withPolicy(policy string) string {
	return `{"accountId": "123456789012", "principals": [{"name": "worker", "accessKeyId": "AKIDWORKER",
		"secretAccessKey": "secret-worker", "policies": [` + policy + `]}]}`
}

// withStatement is withPolicy of a policy holding statement.
func withStatement(statement string) string {
	return withPolicy(`{"Version": "2012-10-17", "Statement": ` + statement + `}`)
}

func TestParse(t *testing.T) {
	t.Parallel()
	const stmt = `"Effect": "Allow", "Action": "swf:*", "Resource": "*"`
	const p0 = `principals[0] ("worker").policies[0]`
	tests := []struct {
		name    string
		file    string
		wantErr string // "" for success; else a substring of the error
	}{
		{name: "OK", file: withStatement(`{` + stmt + `}`)},
		{name: "OK_StatementList", file: withStatement(`[{` + stmt + `}, {"Effect": "Deny", "Action": ["swf:A*", "swf:B*"], "Resource": ["*"]}]`)},
		{name: "OK_NoVersion", file: withPolicy(`{"Statement": {` + stmt + `}}`)},
		{name: "OK_NoPolicies", file: `{"accountId": "123456789012", "principals": [{"name": "n", "accessKeyId": "AKID", "secretAccessKey": "s"}]}`},
		{name: "OK_OtherService", file: withStatement(`{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"}`)},
		{name: "OK_SidAndId", file: withPolicy(`{"Version": "2012-10-17", "Id": "p", "Statement": [{"Sid": "A", ` + stmt + `}, {"Sid": "B", ` + stmt + `}]}`)},
		{name: "OK_ConditionJSONValues", file: withStatement(`{` + stmt + `, "Condition": {"NumericLessThan": {"k": 5}, "Bool": {"b": true}, "StringEquals": {"s": [1, "x"]}}}`)},

		{name: "ErrNotJSON", file: `{"accountId": `, wantErr: "credentials file"},
		{name: "ErrTrailingData", file: withStatement(`{`+stmt+`}`) + ` {}`, wantErr: "unexpected data after"},
		{name: "ErrMissingAccountID", file: `{"principals": [{"name": "n", "accessKeyId": "AKID", "secretAccessKey": "s"}]}`, wantErr: "accountId: missing"},
		{name: "ErrBadAccountID", file: `{"accountId": "1234-5678", "principals": []}`, wantErr: `accountId: "1234-5678" is not an account id`},
		{name: "ErrAccountIDNumber", file: `{"accountId": 123456789012, "principals": []}`, wantErr: "accountId: want string"},
		{name: "ErrEmptyPrincipals", file: `{"accountId": "123456789012", "principals": []}`, wantErr: "principals: empty"},
		{name: "ErrMissingPrincipals", file: `{"accountId": "123456789012"}`, wantErr: "principals: empty"},
		{name: "ErrUnknownField", file: `{"accountId": "123456789012", "principals": [{"name": "n", "accessKeyId": "AKID", "secretKey": "s"}]}`, wantErr: `unknown field "secretKey"`},
		{name: "ErrMissingName", file: `{"accountId": "123456789012", "principals": [{"accessKeyId": "AKID", "secretAccessKey": "s"}]}`, wantErr: "principals[0].name: missing"},
		{name: "ErrDuplicateName", file: `{"accountId": "123456789012", "principals": [
			{"name": "n", "accessKeyId": "AKID1", "secretAccessKey": "s"}, {"name": "n", "accessKeyId": "AKID2", "secretAccessKey": "s"}]}`,
			wantErr: `principals[1].name: "n" is also the name of principals[0]`},
		{name: "ErrDuplicateAccessKey", file: `{"accountId": "123456789012", "principals": [
			{"name": "a", "accessKeyId": "AKID", "secretAccessKey": "s"}, {"name": "b", "accessKeyId": "AKID", "secretAccessKey": "t"}]}`,
			wantErr: `principals[1] ("b").accessKeyId: "AKID" is also the access key of principal "a"`},
		{name: "ErrMissingAccessKey", file: `{"accountId": "123456789012", "principals": [{"name": "n", "secretAccessKey": "s"}]}`, wantErr: `principals[0] ("n").accessKeyId: missing`},
		{name: "ErrBadAccessKey", file: `{"accountId": "123456789012", "principals": [{"name": "n", "accessKeyId": "AK/ID", "secretAccessKey": "s"}]}`, wantErr: `accessKeyId: "AK/ID" is not an access key id`},
		{name: "ErrMissingSecret", file: `{"accountId": "123456789012", "principals": [{"name": "n", "accessKeyId": "AKID"}]}`, wantErr: `principals[0] ("n").secretAccessKey: missing`},
		{name: "ErrSecretSpace", file: `{"accountId": "123456789012", "principals": [{"name": "n", "accessKeyId": "AKID", "secretAccessKey": "s "}]}`, wantErr: "secretAccessKey: has leading or trailing space"},

		{name: "ErrPolicyNotObject", file: withPolicy(`"{\"Statement\": []}"`), wantErr: p0 + `: want a JSON object`},
		{name: "ErrPolicyUnknownElement", file: withPolicy(`{"Version": "2012-10-17", "Statment": []}`), wantErr: p0 + `: unknown element "Statment"`},
		{name: "ErrBadVersion", file: withPolicy(`{"Version": "2012-10-18", "Statement": {` + stmt + `}}`), wantErr: p0 + `.Version: "2012-10-18" is not a policy language version`},
		{name: "ErrVersionNotString", file: withPolicy(`{"Version": 2012, "Statement": {` + stmt + `}}`), wantErr: p0 + `.Version: want a string`},
		{name: "ErrMissingStatement", file: withPolicy(`{"Version": "2012-10-17"}`), wantErr: p0 + `: missing Statement`},
		{name: "ErrEmptyStatementList", file: withStatement(`[]`), wantErr: p0 + `.Statement: empty list`},
		{name: "ErrStatementNotObject", file: withStatement(`"Allow"`), wantErr: p0 + `.Statement: want a JSON object`},
		{name: "ErrStatementItemNotObject", file: withStatement(`[{` + stmt + `}, 7]`), wantErr: p0 + `.Statement[1]: want a JSON object`},
		{name: "ErrUnknownStatementElement", file: withStatement(`{"Efect": "Allow", "Action": "swf:*", "Resource": "*"}`), wantErr: p0 + `.Statement: unknown element "Efect"`},
		{name: "ErrDuplicateElement", file: withStatement(`{"Effect": "Deny", "Effect": "Allow", "Action": "swf:*", "Resource": "*"}`), wantErr: `element "Effect" appears twice`},
		{name: "ErrPrincipalElement", file: withStatement(`{` + stmt + `, "Principal": "*"}`), wantErr: p0 + `.Statement.Principal: not allowed`},
		{name: "ErrMissingEffect", file: withStatement(`{"Action": "swf:*", "Resource": "*"}`), wantErr: p0 + `.Statement: missing Effect`},
		{name: "ErrUnknownEffect", file: withStatement(`{"Effect": "allow", "Action": "swf:*", "Resource": "*"}`), wantErr: p0 + `.Statement.Effect: unknown effect "allow"; want "Allow" or "Deny"`},
		{name: "ErrEffectNotString", file: withStatement(`{"Effect": true, "Action": "swf:*", "Resource": "*"}`), wantErr: p0 + `.Statement.Effect: want "Allow" or "Deny", got true`},
		{name: "ErrMissingAction", file: withStatement(`{"Effect": "Allow", "Resource": "*"}`), wantErr: p0 + `.Statement: missing Action (or NotAction)`},
		{name: "ErrActionAndNotAction", file: withStatement(`{"Effect": "Allow", "Action": "swf:*", "NotAction": "swf:A*", "Resource": "*"}`), wantErr: `has both Action and NotAction`},
		{name: "ErrActionNumber", file: withStatement(`{"Effect": "Allow", "Action": 5, "Resource": "*"}`), wantErr: p0 + `.Statement.Action: want a string or a list of strings, got 5`},
		{name: "ErrActionListItem", file: withStatement(`{"Effect": "Allow", "Action": ["swf:*", {}], "Resource": "*"}`), wantErr: p0 + `.Statement.Action[1]: want a string`},
		{name: "ErrActionEmptyList", file: withStatement(`{"Effect": "Allow", "Action": [], "Resource": "*"}`), wantErr: p0 + `.Statement.Action: empty list`},
		{name: "ErrActionWithoutService", file: withStatement(`{"Effect": "Allow", "Action": "PollForActivityTask", "Resource": "*"}`), wantErr: `"PollForActivityTask" is not an action`},
		{name: "ErrUnknownSWFAction", file: withStatement(`{"Effect": "Deny", "Action": ["swf:PollForActivityTask", "swf:PollForActivityTasks"], "Resource": "*"}`), wantErr: p0 + `.Statement.Action[1]: unknown action "swf:PollForActivityTasks"`},
		{name: "ErrMissingResource", file: withStatement(`{"Effect": "Allow", "Action": "swf:*"}`), wantErr: p0 + `.Statement: missing Resource (or NotResource)`},
		{name: "ErrResourceAndNotResource", file: withStatement(`{"Effect": "Allow", "Action": "swf:*", "Resource": "*", "NotResource": "*"}`), wantErr: `has both Resource and NotResource`},
		{name: "ErrResourceNotARN", file: withStatement(`{"Effect": "Allow", "Action": "swf:*", "Resource": "prod"}`), wantErr: p0 + `.Statement.Resource: "prod" is not a resource`},
		{name: "ErrResourceShortARN", file: withStatement(`{"Effect": "Allow", "Action": "swf:*", "Resource": "arn:aws:swf"}`), wantErr: `"arn:aws:swf" is not a resource`},
		{name: "ErrResourceVariable", file: withStatement(`{"Effect": "Allow", "Action": "swf:*", "Resource": "arn:aws:swf:*:*:/domain/${aws:username}"}`), wantErr: `policy variables`},
		{name: "ErrDuplicateSid", file: withStatement(`[{"Sid": "A", ` + stmt + `}, {"Sid": "A", ` + stmt + `}]`), wantErr: p0 + `.Statement[1].Sid: "A" is used by an earlier statement`},

		{name: "ErrConditionNotObject", file: withStatement(`{` + stmt + `, "Condition": []}`), wantErr: p0 + `.Statement.Condition: want a JSON object`},
		{name: "ErrConditionUnknownOperator", file: withStatement(`{` + stmt + `, "Condition": {"StringEqual": {"k": "v"}}}`), wantErr: p0 + `.Statement.Condition.StringEqual: unknown condition operator "StringEqual"`},
		{name: "ErrConditionDateOperator", file: withStatement(`{` + stmt + `, "Condition": {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}}`), wantErr: `"DateLessThan" is not supported`},
		{name: "ErrConditionNullIfExists", file: withStatement(`{` + stmt + `, "Condition": {"ForAnyValue:Null": {"k": "true"}}}`), wantErr: `Null takes neither a set operator nor IfExists`},
		{name: "ErrConditionNoKeys", file: withStatement(`{` + stmt + `, "Condition": {"StringEquals": {}}}`), wantErr: `.Condition.StringEquals: no condition keys`},
		{name: "ErrConditionValueObject", file: withStatement(`{` + stmt + `, "Condition": {"StringEquals": {"k": {"a": 1}}}}`), wantErr: `.Condition.StringEquals["k"]: want a string, number or boolean`},
		{name: "ErrConditionEmptyValues", file: withStatement(`{` + stmt + `, "Condition": {"StringEquals": {"k": []}}}`), wantErr: `.Condition.StringEquals["k"]: empty list of values`},
		{name: "ErrConditionBool", file: withStatement(`{` + stmt + `, "Condition": {"Bool": {"k": "yes"}}}`), wantErr: `.Condition.Bool["k"]: "yes" is not a boolean`},
		{name: "ErrConditionNull", file: withStatement(`{` + stmt + `, "Condition": {"Null": {"k": "1"}}}`), wantErr: `"1" is not a boolean`},
		{name: "ErrConditionNumeric", file: withStatement(`{` + stmt + `, "Condition": {"NumericLessThan": {"k": ["1", "ten"]}}}`), wantErr: `.Condition.NumericLessThan["k"][1]: "ten" is not a number`},
		{name: "ErrConditionIP", file: withStatement(`{` + stmt + `, "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/33"}}}`), wantErr: `"10.0.0.0/33" is not an IP address or CIDR block`},
		{name: "ErrConditionArn", file: withStatement(`{` + stmt + `, "Condition": {"ArnLike": {"aws:SourceArn": "prod"}}}`), wantErr: `"prod" is not an ARN`},
		{name: "ErrConditionVariable", file: withStatement(`{` + stmt + `, "Condition": {"StringLike": {"swf:taskList.name": "${aws:username}-*"}}}`), wantErr: `policy variables`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Parse([]byte(tt.file))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Parse: got %v, want success", err)
				}
				if c.AccountID() != account {
					t.Fatalf("AccountID: got %q, want %q", c.AccountID(), account)
				}
				return
			}
			if err == nil {
				t.Fatalf("Parse: got success, want an error containing %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Parse:\n got %v\nwant an error containing %q", err, tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "auth: ") {
				t.Errorf("Parse: got %q, want it to start with \"auth: \"", err)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(dir, "ok.json")
		if err := os.WriteFile(path, []byte(ExampleCredentials), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := Load(path)
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if n := len(c.Principals()); n != 2 {
			t.Fatalf("Principals: got %d, want 2", n)
		}
	})
	t.Run("ErrNamesFile", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(dir, "bad.json")
		if err := os.WriteFile(path, []byte(`{"accountId": "1"}`), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "accountId") {
			t.Fatalf("Load: got %v, want an error naming %s and accountId", err, path)
		}
	})
	t.Run("ErrMissingFile", func(t *testing.T) {
		t.Parallel()
		if _, err := Load(filepath.Join(dir, "absent.json")); err == nil {
			t.Fatal("Load: got success, want an error")
		}
	})
}

func TestPrincipalName(t *testing.T) {
	c, err := Parse([]byte(withStatement(`[{"Effect": "Allow", "Action": "swf:*", "Resource": "*"}]`)))
	if err != nil {
		t.Fatal(err)
	}
	p := c.Principals()[0]
	var none *Principal
	for _, tc := range []struct {
		a    Authorizer
		want string
	}{
		{p, "worker"},
		{WithGlobalKeys(p, Context{"aws:SecureTransport": {"false"}}), "worker"},
		{AllowAll, ""},
		{none, ""},
	} {
		if got := PrincipalName(tc.a); got != tc.want {
			t.Errorf("PrincipalName(%#v) = %q, want %q", tc.a, got, tc.want)
		}
	}
}

// TestCallContext: the caller and the region travel together in one
// context value; an unchecked caller costs one allocation per call.
func TestCallContext(t *testing.T) {
	ctx := WithRegion(WithPrincipal(context.Background(), AllowAll), "eu-west-1")
	if a, ok := FromContext(ctx); !ok || a != AllowAll {
		t.Fatalf("caller %v, %v after WithRegion; want AllowAll", a, ok)
	}
	if r, ok := RegionFrom(ctx); !ok || r != "eu-west-1" {
		t.Fatalf("region %q, %v; want eu-west-1", r, ok)
	}
	if r, ok := RegionFrom(WithPrincipal(ctx, AllowAll)); !ok || r != "eu-west-1" {
		t.Fatalf("WithPrincipal dropped the region: %q, %v", r, ok)
	}
	if _, ok := FromContext(WithRegion(context.Background(), "us-east-1")); ok {
		t.Fatal("a region alone made a caller")
	}
	if _, ok := RegionFrom(WithCall(context.Background(), AllowAll, "")); ok {
		t.Fatal("an empty region was reported")
	}
	base := context.Background()
	if n := testing.AllocsPerRun(100, func() { _ = WithCall(base, AllowAll, "us-east-1") }); n != 1 {
		t.Fatalf("WithCall(AllowAll) allocates %v times, want 1", n)
	}
}
