package conformance

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/openswf/openswf/internal/swftest"
)

// TestDomains covers RegisterDomain, DescribeDomain, ListDomains,
// DeprecateDomain and UndeprecateDomain (BEHAVIOR §7).
func TestDomains(t *testing.T) {
	t.Parallel()

	t.Run("RegisterDescribe", func(t *testing.T) {
		t.Parallel()
		env := swftest.Start(t)
		ctx := swftest.Ctx(t)
		if _, err := env.SWF.RegisterDomain(ctx, &swf.RegisterDomainInput{
			Name: aws.String("orders"), Description: aws.String("order processing"),
			WorkflowExecutionRetentionPeriodInDays: aws.String("7"),
		}); err != nil {
			t.Fatalf("RegisterDomain: %v", err)
		}
		out, err := env.SWF.DescribeDomain(ctx, &swf.DescribeDomainInput{Name: aws.String("orders")})
		if err != nil {
			t.Fatalf("DescribeDomain: %v", err)
		}
		info := out.DomainInfo
		if aws.ToString(info.Name) != "orders" || info.Status != types.RegistrationStatusRegistered || aws.ToString(info.Description) != "order processing" {
			t.Fatalf("got %q %s %q, want orders REGISTERED %q", aws.ToString(info.Name), info.Status, aws.ToString(info.Description), "order processing")
		}
		if got := aws.ToString(out.Configuration.WorkflowExecutionRetentionPeriodInDays); got != "7" {
			t.Fatalf("got retention %q, want 7", got)
		}
		if arn := aws.ToString(info.Arn); !strings.HasPrefix(arn, "arn:aws:swf:") || !strings.HasSuffix(arn, ":/domain/orders") {
			t.Errorf("got arn %q, want arn:aws:swf:<region>:<account>:/domain/orders", arn)
		}
	})

	t.Run("List", func(t *testing.T) {
		t.Parallel()
		env := swftest.Start(t)
		ctx := swftest.Ctx(t)
		for _, n := range []string{"d3", "d1", "d5", "d2", "d4", "x1", "x2"} {
			if _, err := env.SWF.RegisterDomain(ctx, &swf.RegisterDomainInput{Name: aws.String(n), WorkflowExecutionRetentionPeriodInDays: aws.String("1")}); err != nil {
				t.Fatalf("RegisterDomain %s: %v", n, err)
			}
		}
		for _, n := range []string{"x1", "x2"} {
			if _, err := env.SWF.DeprecateDomain(ctx, &swf.DeprecateDomainInput{Name: aws.String(n)}); err != nil {
				t.Fatalf("DeprecateDomain %s: %v", n, err)
			}
		}
		list := func(status types.RegistrationStatus, size int32, reverse bool) [][]string {
			var pages [][]string
			var next *string
			for {
				out, err := env.SWF.ListDomains(ctx, &swf.ListDomainsInput{
					RegistrationStatus: status, MaximumPageSize: size, ReverseOrder: reverse, NextPageToken: next,
				})
				if err != nil {
					t.Fatalf("ListDomains: %v", err)
				}
				var names []string
				for _, d := range out.DomainInfos {
					if d.Status != status {
						t.Fatalf("ListDomains %s listed %s with status %s", status, aws.ToString(d.Name), d.Status)
					}
					names = append(names, aws.ToString(d.Name))
				}
				pages = append(pages, names)
				if aws.ToString(out.NextPageToken) == "" || len(pages) > 10 {
					return pages
				}
				next = out.NextPageToken
			}
		}
		wantPages := func(got, want [][]string) {
			t.Helper()
			if !slices.EqualFunc(got, want, slices.Equal) {
				t.Fatalf("got pages %v, want %v", got, want)
			}
		}
		wantPages(list(types.RegistrationStatusRegistered, 2, false), [][]string{{"d1", "d2"}, {"d3", "d4"}, {"d5"}})
		wantPages(list(types.RegistrationStatusRegistered, 2, true), [][]string{{"d5", "d4"}, {"d3", "d2"}, {"d1"}})
		wantPages(list(types.RegistrationStatusRegistered, 0, false), [][]string{{"d1", "d2", "d3", "d4", "d5"}})
		wantPages(list(types.RegistrationStatusDeprecated, 1, false), [][]string{{"x1"}, {"x2"}})
	})

	t.Run("DeprecateUndeprecate", func(t *testing.T) {
		t.Parallel()
		env := swftest.Start(t)
		ctx := swftest.Ctx(t)
		d := env.Domain(t)
		status := func() types.RegistrationStatus {
			out, err := env.SWF.DescribeDomain(ctx, &swf.DescribeDomainInput{Name: aws.String(d)})
			if err != nil {
				t.Fatalf("DescribeDomain: %v", err)
			}
			return out.DomainInfo.Status
		}
		_, err := env.SWF.UndeprecateDomain(ctx, &swf.UndeprecateDomainInput{Name: aws.String(d)})
		swftest.Fault[*types.DomainAlreadyExistsFault](t, err)
		if _, err := env.SWF.DeprecateDomain(ctx, &swf.DeprecateDomainInput{Name: aws.String(d)}); err != nil {
			t.Fatalf("DeprecateDomain: %v", err)
		}
		if got := status(); got != types.RegistrationStatusDeprecated {
			t.Fatalf("after DeprecateDomain: got %s, want DEPRECATED", got)
		}
		_, err = env.SWF.DeprecateDomain(ctx, &swf.DeprecateDomainInput{Name: aws.String(d)})
		swftest.Fault[*types.DomainDeprecatedFault](t, err)
		// A deprecated name is still taken.
		_, err = env.SWF.RegisterDomain(ctx, &swf.RegisterDomainInput{Name: aws.String(d), WorkflowExecutionRetentionPeriodInDays: aws.String("1")})
		swftest.Fault[*types.DomainAlreadyExistsFault](t, err)
		if _, err := env.SWF.UndeprecateDomain(ctx, &swf.UndeprecateDomainInput{Name: aws.String(d)}); err != nil {
			t.Fatalf("UndeprecateDomain: %v", err)
		}
		if got := status(); got != types.RegistrationStatusRegistered {
			t.Fatalf("after UndeprecateDomain: got %s, want REGISTERED", got)
		}
		_, err = env.SWF.DeprecateDomain(ctx, &swf.DeprecateDomainInput{Name: aws.String("no-such-domain")})
		swftest.Fault[*types.UnknownResourceFault](t, err)
	})

	t.Run("Names", func(t *testing.T) {
		t.Parallel()
		env := swftest.Start(t)
		ctx := swftest.Ctx(t)
		bad := map[string]string{
			"colon": "a:b", "slash": "a/b", "pipe": "a|b", "leadingSpace": " ab", "trailingSpace": "ab ",
			"arn": "arn", "control": "a\x01b", "del": "a\x7fb", "c1control": "a\u0085b", "empty": "",
			"tooLong": strings.Repeat("n", 257),
		}
		for name, v := range bad {
			_, err := env.SWF.RegisterDomain(ctx, &swf.RegisterDomainInput{Name: aws.String(v), WorkflowExecutionRetentionPeriodInDays: aws.String("1")})
			if err == nil {
				t.Errorf("%s: RegisterDomain(%q) succeeded, want ValidationException", name, v)
				continue
			}
			if code := swftest.ErrorCode(err); code != "ValidationException" {
				t.Errorf("%s: RegisterDomain(%q): got %v, want ValidationException", name, v, err)
			}
		}
		for _, v := range []string{strings.Repeat("n", 256), "arn-like", "a b", "ÄÖÜ-ünïcødé"} {
			if _, err := env.SWF.RegisterDomain(ctx, &swf.RegisterDomainInput{Name: aws.String(v), WorkflowExecutionRetentionPeriodInDays: aws.String("1")}); err != nil {
				t.Errorf("RegisterDomain(%q): %v, want success", v, err)
			}
		}
		out, err := env.SWF.ListDomains(ctx, &swf.ListDomainsInput{RegistrationStatus: types.RegistrationStatusRegistered})
		if err != nil {
			t.Fatalf("ListDomains: %v", err)
		}
		if len(out.DomainInfos) != 4 {
			t.Fatalf("got %d domains, want the 4 valid ones", len(out.DomainInfos))
		}
	})

	t.Run("Retention", func(t *testing.T) {
		t.Parallel()
		env := swftest.Start(t)
		ctx := swftest.Ctx(t)
		for _, v := range []string{"0", "90", "NONE"} {
			if _, err := env.SWF.RegisterDomain(ctx, &swf.RegisterDomainInput{Name: aws.String(swftest.Unique("r")), WorkflowExecutionRetentionPeriodInDays: aws.String(v)}); err != nil {
				t.Errorf("retention %q: %v, want success", v, err)
			}
		}
		for _, v := range []string{"91", "-1", "x"} {
			_, err := env.SWF.RegisterDomain(ctx, &swf.RegisterDomainInput{Name: aws.String(swftest.Unique("r")), WorkflowExecutionRetentionPeriodInDays: aws.String(v)})
			if code := swftest.ErrorCode(err); code != "ValidationException" {
				t.Errorf("retention %q: got %v, want ValidationException", v, err)
			}
		}
	})

	t.Run("DeprecatedDomainRefusesNewWork", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ctx := swftest.Ctx(t)
		if _, err := b.env.SWF.DeprecateDomain(ctx, &swf.DeprecateDomainInput{Name: aws.String(b.domain)}); err != nil {
			t.Fatalf("DeprecateDomain: %v", err)
		}
		// BEHAVIOR §7 names no fault; the model lists none for a deprecated
		// domain on these operations, so any typed fault is accepted, and
		// nothing may be created.
		wantRefused := func(what string, err error) {
			t.Helper()
			if err == nil {
				t.Fatalf("%s in a deprecated domain succeeded, want a fault", what)
			}
			if code := swftest.ErrorCode(err); !strings.HasSuffix(code, "Fault") {
				t.Fatalf("%s in a deprecated domain: got %v, want a fault", what, err)
			}
		}
		_, err := b.env.SWF.StartWorkflowExecution(ctx, &swf.StartWorkflowExecutionInput{Domain: aws.String(b.domain), WorkflowId: aws.String("new"), WorkflowType: &b.wt})
		wantRefused("StartWorkflowExecution", err)
		_, err = b.env.SWF.RegisterActivityType(ctx, &swf.RegisterActivityTypeInput{Domain: aws.String(b.domain), Name: aws.String("new"), Version: aws.String("1")})
		wantRefused("RegisterActivityType", err)
		_, err = b.env.SWF.RegisterWorkflowType(ctx, &swf.RegisterWorkflowTypeInput{Domain: aws.String(b.domain), Name: aws.String("new"), Version: aws.String("1")})
		wantRefused("RegisterWorkflowType", err)
		_, err = b.env.SWF.DescribeActivityType(ctx, &swf.DescribeActivityTypeInput{Domain: aws.String(b.domain), ActivityType: &types.ActivityType{Name: aws.String("new"), Version: aws.String("1")}})
		swftest.Fault[*types.UnknownResourceFault](t, err)

		// The running execution goes on.
		task := b.startActivity(t, "a1")
		if _, err := b.env.SWF.RespondActivityTaskCompleted(ctx, &swf.RespondActivityTaskCompletedInput{TaskToken: task.TaskToken}); err != nil {
			t.Fatalf("RespondActivityTaskCompleted in a deprecated domain: %v", err)
		}
		b.decide(t, swftest.CompleteWorkflow("done"))
		if got := b.describe(t).ExecutionInfo.CloseStatus; got != types.CloseStatusCompleted {
			t.Fatalf("got close status %s, want COMPLETED", got)
		}
	})
}

// TestTypes covers the activity and workflow type life cycle (BEHAVIOR §7).
func TestTypes(t *testing.T) {
	t.Parallel()

	t.Run("ActivityTypeLifeCycle", func(t *testing.T) {
		t.Parallel()
		env := swftest.Start(t)
		ctx := swftest.Ctx(t)
		d := env.Domain(t)
		at := env.ActivityType(t, d, "resize", swftest.ActivityDefaults("images"), func(in *swf.RegisterActivityTypeInput) {
			in.Description = aws.String("resize images")
			in.DefaultTaskHeartbeatTimeout = aws.String("30")
			in.DefaultTaskPriority = aws.String("7")
		})
		out, err := env.SWF.DescribeActivityType(ctx, &swf.DescribeActivityTypeInput{Domain: aws.String(d), ActivityType: &at})
		if err != nil {
			t.Fatalf("DescribeActivityType: %v", err)
		}
		cfg := out.Configuration
		if out.TypeInfo.Status != types.RegistrationStatusRegistered || aws.ToString(out.TypeInfo.Description) != "resize images" || out.TypeInfo.CreationDate == nil {
			t.Fatalf("got info %+v, want REGISTERED, description and creation date", out.TypeInfo)
		}
		if aws.ToString(cfg.DefaultTaskHeartbeatTimeout) != "30" || aws.ToString(cfg.DefaultTaskList.Name) != "images" ||
			aws.ToString(cfg.DefaultTaskPriority) != "7" || aws.ToString(cfg.DefaultTaskStartToCloseTimeout) != "NONE" {
			t.Fatalf("got configuration %+v, want the registered defaults", cfg)
		}
		_, err = env.SWF.DeleteActivityType(ctx, &swf.DeleteActivityTypeInput{Domain: aws.String(d), ActivityType: &at})
		swftest.Fault[*types.TypeNotDeprecatedFault](t, err)
		_, err = env.SWF.UndeprecateActivityType(ctx, &swf.UndeprecateActivityTypeInput{Domain: aws.String(d), ActivityType: &at})
		swftest.Fault[*types.TypeAlreadyExistsFault](t, err)
		if _, err := env.SWF.DeprecateActivityType(ctx, &swf.DeprecateActivityTypeInput{Domain: aws.String(d), ActivityType: &at}); err != nil {
			t.Fatalf("DeprecateActivityType: %v", err)
		}
		_, err = env.SWF.DeprecateActivityType(ctx, &swf.DeprecateActivityTypeInput{Domain: aws.String(d), ActivityType: &at})
		swftest.Fault[*types.TypeDeprecatedFault](t, err)
		out, err = env.SWF.DescribeActivityType(ctx, &swf.DescribeActivityTypeInput{Domain: aws.String(d), ActivityType: &at})
		if err != nil {
			t.Fatalf("DescribeActivityType: %v", err)
		}
		if out.TypeInfo.Status != types.RegistrationStatusDeprecated || out.TypeInfo.DeprecationDate == nil {
			t.Fatalf("got status %s, deprecation date %v; want DEPRECATED with a date", out.TypeInfo.Status, out.TypeInfo.DeprecationDate)
		}
		// Registering the same name and version again is refused while
		// the deprecated type exists.
		_, err = env.SWF.RegisterActivityType(ctx, &swf.RegisterActivityTypeInput{Domain: aws.String(d), Name: at.Name, Version: at.Version})
		swftest.Fault[*types.TypeAlreadyExistsFault](t, err)
		if _, err := env.SWF.UndeprecateActivityType(ctx, &swf.UndeprecateActivityTypeInput{Domain: aws.String(d), ActivityType: &at}); err != nil {
			t.Fatalf("UndeprecateActivityType: %v", err)
		}
		if _, err := env.SWF.DeprecateActivityType(ctx, &swf.DeprecateActivityTypeInput{Domain: aws.String(d), ActivityType: &at}); err != nil {
			t.Fatalf("DeprecateActivityType: %v", err)
		}
		if _, err := env.SWF.DeleteActivityType(ctx, &swf.DeleteActivityTypeInput{Domain: aws.String(d), ActivityType: &at}); err != nil {
			t.Fatalf("DeleteActivityType: %v", err)
		}
		_, err = env.SWF.DescribeActivityType(ctx, &swf.DescribeActivityTypeInput{Domain: aws.String(d), ActivityType: &at})
		swftest.Fault[*types.UnknownResourceFault](t, err)
		_, err = env.SWF.DeprecateActivityType(ctx, &swf.DeprecateActivityTypeInput{Domain: aws.String(d), ActivityType: &at})
		swftest.Fault[*types.UnknownResourceFault](t, err)
	})

	t.Run("WorkflowTypeLifeCycle", func(t *testing.T) {
		t.Parallel()
		env := swftest.Start(t)
		ctx := swftest.Ctx(t)
		d := env.Domain(t)
		wt := env.WorkflowType(t, d)
		out, err := env.SWF.DescribeWorkflowType(ctx, &swf.DescribeWorkflowTypeInput{Domain: aws.String(d), WorkflowType: &wt})
		if err != nil {
			t.Fatalf("DescribeWorkflowType: %v", err)
		}
		if cfg := out.Configuration; cfg.DefaultChildPolicy != types.ChildPolicyTerminate || aws.ToString(cfg.DefaultExecutionStartToCloseTimeout) != "86400" {
			t.Fatalf("got configuration %+v, want the registered defaults", cfg)
		}
		_, err = env.SWF.DeleteWorkflowType(ctx, &swf.DeleteWorkflowTypeInput{Domain: aws.String(d), WorkflowType: &wt})
		swftest.Fault[*types.TypeNotDeprecatedFault](t, err)
		_, err = env.SWF.UndeprecateWorkflowType(ctx, &swf.UndeprecateWorkflowTypeInput{Domain: aws.String(d), WorkflowType: &wt})
		swftest.Fault[*types.TypeAlreadyExistsFault](t, err)
		if _, err := env.SWF.DeprecateWorkflowType(ctx, &swf.DeprecateWorkflowTypeInput{Domain: aws.String(d), WorkflowType: &wt}); err != nil {
			t.Fatalf("DeprecateWorkflowType: %v", err)
		}
		_, err = env.SWF.DeprecateWorkflowType(ctx, &swf.DeprecateWorkflowTypeInput{Domain: aws.String(d), WorkflowType: &wt})
		swftest.Fault[*types.TypeDeprecatedFault](t, err)
		if _, err := env.SWF.DeleteWorkflowType(ctx, &swf.DeleteWorkflowTypeInput{Domain: aws.String(d), WorkflowType: &wt}); err != nil {
			t.Fatalf("DeleteWorkflowType: %v", err)
		}
		_, err = env.SWF.DescribeWorkflowType(ctx, &swf.DescribeWorkflowTypeInput{Domain: aws.String(d), WorkflowType: &wt})
		swftest.Fault[*types.UnknownResourceFault](t, err)
	})

	t.Run("UnknownDomain", func(t *testing.T) {
		t.Parallel()
		env := swftest.Start(t)
		ctx := swftest.Ctx(t)
		_, err := env.SWF.RegisterActivityType(ctx, &swf.RegisterActivityTypeInput{Domain: aws.String("no-such-domain"), Name: aws.String("a"), Version: aws.String("1")})
		swftest.Fault[*types.UnknownResourceFault](t, err)
		_, err = env.SWF.ListActivityTypes(ctx, &swf.ListActivityTypesInput{Domain: aws.String("no-such-domain"), RegistrationStatus: types.RegistrationStatusRegistered})
		swftest.Fault[*types.UnknownResourceFault](t, err)
	})

	t.Run("ListActivityTypes", func(t *testing.T) {
		t.Parallel()
		env := swftest.Start(t)
		ctx := swftest.Ctx(t)
		d := env.Domain(t)
		for _, n := range []string{"c", "a", "e", "b", "d", "z"} {
			env.ActivityType(t, d, n)
		}
		if _, err := env.SWF.DeprecateActivityType(ctx, &swf.DeprecateActivityTypeInput{Domain: aws.String(d), ActivityType: &types.ActivityType{Name: aws.String("z"), Version: aws.String("1")}}); err != nil {
			t.Fatalf("DeprecateActivityType: %v", err)
		}
		list := func(status types.RegistrationStatus, size int32, reverse bool) [][]string {
			var pages [][]string
			var next *string
			for len(pages) < 10 {
				out, err := env.SWF.ListActivityTypes(ctx, &swf.ListActivityTypesInput{
					Domain: aws.String(d), RegistrationStatus: status, MaximumPageSize: size, ReverseOrder: reverse, NextPageToken: next,
				})
				if err != nil {
					t.Fatalf("ListActivityTypes: %v", err)
				}
				var names []string
				for _, ti := range out.TypeInfos {
					names = append(names, aws.ToString(ti.ActivityType.Name))
				}
				pages = append(pages, names)
				if aws.ToString(out.NextPageToken) == "" {
					break
				}
				next = out.NextPageToken
			}
			return pages
		}
		want := func(got, want [][]string) {
			t.Helper()
			if !slices.EqualFunc(got, want, slices.Equal) {
				t.Fatalf("got pages %v, want %v", got, want)
			}
		}
		want(list(types.RegistrationStatusRegistered, 2, false), [][]string{{"a", "b"}, {"c", "d"}, {"e"}})
		want(list(types.RegistrationStatusRegistered, 3, true), [][]string{{"e", "d", "c"}, {"b", "a"}})
		want(list(types.RegistrationStatusDeprecated, 0, false), [][]string{{"z"}})
	})

	t.Run("ListWorkflowTypes", func(t *testing.T) {
		t.Parallel()
		env := swftest.Start(t)
		ctx := swftest.Ctx(t)
		d := env.Domain(t)
		for _, v := range []string{"2", "1", "3"} {
			env.WorkflowType(t, d, func(in *swf.RegisterWorkflowTypeInput) { in.Name, in.Version = aws.String("flow"), aws.String(v) })
		}
		env.WorkflowType(t, d, func(in *swf.RegisterWorkflowTypeInput) { in.Name = aws.String("other") })
		out, err := env.SWF.ListWorkflowTypes(ctx, &swf.ListWorkflowTypesInput{
			Domain: aws.String(d), RegistrationStatus: types.RegistrationStatusRegistered, Name: aws.String("flow"), MaximumPageSize: 2,
		})
		if err != nil {
			t.Fatalf("ListWorkflowTypes: %v", err)
		}
		var got []string
		for _, ti := range out.TypeInfos {
			got = append(got, aws.ToString(ti.WorkflowType.Name)+"/"+aws.ToString(ti.WorkflowType.Version))
		}
		if !slices.Equal(got, []string{"flow/1", "flow/2"}) || aws.ToString(out.NextPageToken) == "" {
			t.Fatalf("got %v (next %q), want [flow/1 flow/2] and a next page", got, aws.ToString(out.NextPageToken))
		}
		out, err = env.SWF.ListWorkflowTypes(ctx, &swf.ListWorkflowTypesInput{
			Domain: aws.String(d), RegistrationStatus: types.RegistrationStatusRegistered, Name: aws.String("flow"), MaximumPageSize: 2, NextPageToken: out.NextPageToken,
		})
		if err != nil {
			t.Fatalf("ListWorkflowTypes page 2: %v", err)
		}
		if len(out.TypeInfos) != 1 || aws.ToString(out.TypeInfos[0].WorkflowType.Version) != "3" || aws.ToString(out.NextPageToken) != "" {
			t.Fatalf("page 2: got %d types (next %q), want only flow/3", len(out.TypeInfos), aws.ToString(out.NextPageToken))
		}
	})
}
