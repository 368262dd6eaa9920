package conformance

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/openswf/openswf/internal/swftest"
)

// TestPageTokens: a listing's nextPageToken is taken back only by the same
// query. A token we never issued, one from another operation, or one
// replayed with other filters is a ValidationException, never a cursor that
// answers an empty page as if the list had ended. A different page size is
// allowed.
func TestPageTokens(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := swftest.Ctx(t)
	for _, v := range []string{"2", "3"} {
		b.env.ActivityType(t, b.domain, "act", swftest.ActivityDefaults(actList), func(in *swf.RegisterActivityTypeInput) { in.Version = aws.String(v) })
		b.env.WorkflowType(t, b.domain, func(in *swf.RegisterWorkflowTypeInput) { in.Name, in.Version = aws.String("flow"), aws.String(v) })
	}
	b.env.Domain(t)
	b.env.Start(t, b.domain, b.wt)
	since := &types.ExecutionTimeFilter{OldestDate: aws.Time(time.Unix(0, 0))}

	// One call per listing; each returns its next page's token for in, or
	// the fault. The calls ask for one item a page so that a token exists.
	type call func(token *string, change func(any)) (*string, error)
	listings := map[string]call{
		"ListDomains": func(tok *string, change func(any)) (*string, error) {
			in := &swf.ListDomainsInput{RegistrationStatus: types.RegistrationStatusRegistered, MaximumPageSize: 1, NextPageToken: tok}
			change(in)
			out, err := b.env.SWF.ListDomains(ctx, in)
			if err != nil {
				return nil, err
			}
			return out.NextPageToken, nil
		},
		"ListActivityTypes": func(tok *string, change func(any)) (*string, error) {
			in := &swf.ListActivityTypesInput{Domain: aws.String(b.domain), RegistrationStatus: types.RegistrationStatusRegistered, MaximumPageSize: 1, NextPageToken: tok}
			change(in)
			out, err := b.env.SWF.ListActivityTypes(ctx, in)
			if err != nil {
				return nil, err
			}
			return out.NextPageToken, nil
		},
		"ListWorkflowTypes": func(tok *string, change func(any)) (*string, error) {
			in := &swf.ListWorkflowTypesInput{Domain: aws.String(b.domain), RegistrationStatus: types.RegistrationStatusRegistered, MaximumPageSize: 1, NextPageToken: tok}
			change(in)
			out, err := b.env.SWF.ListWorkflowTypes(ctx, in)
			if err != nil {
				return nil, err
			}
			return out.NextPageToken, nil
		},
		"ListOpenWorkflowExecutions": func(tok *string, change func(any)) (*string, error) {
			in := &swf.ListOpenWorkflowExecutionsInput{Domain: aws.String(b.domain), StartTimeFilter: since, MaximumPageSize: 1, NextPageToken: tok}
			change(in)
			out, err := b.env.SWF.ListOpenWorkflowExecutions(ctx, in)
			if err != nil {
				return nil, err
			}
			return out.NextPageToken, nil
		},
		"GetWorkflowExecutionHistory": func(tok *string, change func(any)) (*string, error) {
			in := &swf.GetWorkflowExecutionHistoryInput{Domain: aws.String(b.domain), Execution: b.execution(), MaximumPageSize: 1, NextPageToken: tok}
			change(in)
			out, err := b.env.SWF.GetWorkflowExecutionHistory(ctx, in)
			if err != nil {
				return nil, err
			}
			return out.NextPageToken, nil
		},
	}
	same := func(any) {}
	// Changes of the query that a token must not survive, by listing.
	otherQuery := map[string][]func(any){
		"ListDomains": {
			func(in any) { in.(*swf.ListDomainsInput).ReverseOrder = true },
			func(in any) { in.(*swf.ListDomainsInput).RegistrationStatus = types.RegistrationStatusDeprecated },
		},
		"ListActivityTypes": {
			func(in any) { in.(*swf.ListActivityTypesInput).ReverseOrder = true },
			func(in any) { in.(*swf.ListActivityTypesInput).Name = aws.String("act") },
		},
		"ListWorkflowTypes": {
			func(in any) { in.(*swf.ListWorkflowTypesInput).ReverseOrder = true },
			func(in any) { in.(*swf.ListWorkflowTypesInput).Name = aws.String("flow") },
		},
		"ListOpenWorkflowExecutions": {
			func(in any) { in.(*swf.ListOpenWorkflowExecutionsInput).ReverseOrder = true },
			func(in any) {
				in.(*swf.ListOpenWorkflowExecutionsInput).StartTimeFilter = &types.ExecutionTimeFilter{OldestDate: aws.Time(time.Unix(1, 0))}
			},
		},
		"GetWorkflowExecutionHistory": {
			func(in any) { in.(*swf.GetWorkflowExecutionHistoryInput).ReverseOrder = true },
		},
	}
	forged := []string{
		base64.RawURLEncoding.EncodeToString([]byte("flow\x001")), // the old, unsealed cursor format
		base64.RawURLEncoding.EncodeToString(make([]byte, 40)),
		"not-a-token",
	}
	tokens := map[string]*string{}
	for name, list := range listings {
		tok, err := list(nil, same)
		if err != nil || aws.ToString(tok) == "" {
			t.Fatalf("%s: first page: token %q, err %v; want a next page", name, aws.ToString(tok), err)
		}
		tokens[name] = tok
		if _, err := list(tok, func(in any) { setPageSize(in, 5) }); err != nil {
			t.Errorf("%s: the token with another page size: %v", name, err)
		}
		for i, change := range otherQuery[name] {
			_, err := list(tok, change)
			swftest.WantCode(t, err, "ValidationException")
			if t.Failed() {
				t.Fatalf("%s: change %d of the query kept the token", name, i)
			}
		}
		for _, f := range forged {
			_, err := list(aws.String(f), same)
			if msg := swftest.WantCode(t, err, "ValidationException"); !contains(msg, "nextPageToken") {
				t.Errorf("%s: forged token %q: message %q does not name nextPageToken", name, f, msg)
			}
		}
	}
	// A token is bound to its operation.
	for name, list := range listings {
		for other, tok := range tokens {
			if other == name {
				continue
			}
			if _, err := list(tok, same); swftest.ErrorCode(err) != "ValidationException" {
				t.Errorf("%s took a token of %s: err %v", name, other, err)
			}
		}
	}
}

func setPageSize(in any, n int32) {
	switch in := in.(type) {
	case *swf.ListDomainsInput:
		in.MaximumPageSize = n
	case *swf.ListActivityTypesInput:
		in.MaximumPageSize = n
	case *swf.ListWorkflowTypesInput:
		in.MaximumPageSize = n
	case *swf.ListOpenWorkflowExecutionsInput:
		in.MaximumPageSize = n
	case *swf.GetWorkflowExecutionHistoryInput:
		in.MaximumPageSize = n
	}
}
