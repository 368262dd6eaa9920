package conformance

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/openswf/openswf/internal/auth"
	"github.com/openswf/openswf/internal/server"
	"github.com/openswf/openswf/internal/swftest"
)

// inRegion returns a client like c that signs for region.
func inRegion(c *swf.Client, region string) *swf.Client {
	return swf.New(c.Options(), func(o *swf.Options) { o.Region = region })
}

// TestRegions: the region a call is signed for selects its domains, as on
// AWS. The same domain name lives separately in two regions; ARNs name the
// caller's region; lists, tokens and tags of one region mean nothing in
// another; and the data keeps its region across a restart.
func TestRegions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := swftest.Start(t, swftest.WithDataDir(dir))
	ctx := swftest.Ctx(t)
	us, eu := env.SWF, inRegion(env.SWF, "eu-west-1")
	name := swftest.Unique("regional")
	onlyUS := swftest.Unique("only-us")
	for _, c := range []*swf.Client{us, eu} {
		if _, err := c.RegisterDomain(ctx, &swf.RegisterDomainInput{Name: aws.String(name), WorkflowExecutionRetentionPeriodInDays: aws.String("1")}); err != nil {
			t.Fatalf("register %s in %s: %v", name, c.Options().Region, err)
		}
	}
	if _, err := us.RegisterDomain(ctx, &swf.RegisterDomainInput{Name: aws.String(onlyUS), WorkflowExecutionRetentionPeriodInDays: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	_, err := eu.RegisterDomain(ctx, &swf.RegisterDomainInput{Name: aws.String(name), WorkflowExecutionRetentionPeriodInDays: aws.String("1")})
	if msg := swftest.WantCode(t, err, "DomainAlreadyExistsFault"); msg != name {
		t.Errorf("DomainAlreadyExistsFault message %q, want AWS's: the domain name %q", msg, name)
	}

	checkDomains := func(t *testing.T) {
		t.Helper()
		for region, c := range map[string]*swf.Client{"us-east-1": us, "eu-west-1": eu} {
			out, err := c.DescribeDomain(ctx, &swf.DescribeDomainInput{Name: aws.String(name)})
			if err != nil {
				t.Fatalf("%s: describe: %v", region, err)
			}
			wantARN := "arn:aws:swf:" + region + ":" + server.DefaultAccountID + ":/domain/" + name
			if got := aws.ToString(out.DomainInfo.Arn); got != wantARN || aws.ToString(out.DomainInfo.Name) != name {
				t.Errorf("%s: domain %q with ARN %q, want %q with %q", region, aws.ToString(out.DomainInfo.Name), got, name, wantARN)
			}
			list, err := c.ListDomains(ctx, &swf.ListDomainsInput{RegistrationStatus: types.RegistrationStatusRegistered})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, d := range list.DomainInfos {
				names = append(names, aws.ToString(d.Name))
				if !strings.Contains(aws.ToString(d.Arn), ":"+region+":") {
					t.Errorf("%s: ListDomains gave %s", region, aws.ToString(d.Arn))
				}
			}
			if has := contains(strings.Join(names, ","), onlyUS); has != (region == "us-east-1") {
				t.Errorf("%s: ListDomains %v; %s is in us-east-1 only", region, names, onlyUS)
			}
		}
		_, err := eu.DescribeDomain(ctx, &swf.DescribeDomainInput{Name: aws.String(onlyUS)})
		if msg := swftest.WantCode(t, err, "UnknownResourceFault"); msg != "Unknown domain: "+onlyUS {
			t.Errorf("unknown domain message %q, want %q", msg, "Unknown domain: "+onlyUS)
		}
	}
	checkDomains(t)

	// Work in eu-west-1 stays there: its tokens and ARNs are unknown in us-east-1.
	// The env's helpers call env.SWF: point it at eu-west-1 while they act there.
	setClient := func(c *swf.Client) { env.SWF = c }
	setClient(eu)
	euWT := env.WorkflowType(t, name)
	env.ActivityType(t, name, "act", swftest.ActivityDefaults(actList))
	wfID, runID := env.Start(t, name, euWT)
	if _, err := us.DescribeWorkflowExecution(ctx, &swf.DescribeWorkflowExecutionInput{Domain: aws.String(name), Execution: &types.WorkflowExecution{WorkflowId: aws.String(wfID), RunId: aws.String(runID)}}); swftest.ErrorCode(err) != "UnknownResourceFault" {
		t.Errorf("us-east-1 described eu-west-1's run: %v", err)
	}
	if out, err := us.CountPendingDecisionTasks(ctx, &swf.CountPendingDecisionTasksInput{Domain: aws.String(name), TaskList: &types.TaskList{Name: aws.String(swftest.DecisionTaskList)}}); err != nil || out.Count != 0 {
		t.Errorf("us-east-1 sees eu-west-1's decision tasks: %+v, %v", out, err)
	}
	task := env.PollDecision(t, name, swftest.DecisionTaskList)
	_, err = us.RespondDecisionTaskCompleted(ctx, &swf.RespondDecisionTaskCompletedInput{TaskToken: task.TaskToken})
	swftest.WantCode(t, err, "UnknownResourceFault")
	env.Decide(t, aws.ToString(task.TaskToken), swftest.ScheduleActivity("a1", types.ActivityType{Name: aws.String("act"), Version: aws.String("1")}))
	act := env.PollActivity(t, name, actList)
	_, err = us.RecordActivityTaskHeartbeat(ctx, &swf.RecordActivityTaskHeartbeatInput{TaskToken: act.TaskToken})
	swftest.WantCode(t, err, "UnknownResourceFault")
	if env.Heartbeat(t, aws.ToString(act.TaskToken), "") {
		t.Error("eu-west-1 heartbeat: cancelRequested is true, want false")
	}
	setClient(us)
	euARN := "arn:aws:swf:eu-west-1:" + server.DefaultAccountID + ":/domain/" + name
	_, err = us.TagResource(ctx, &swf.TagResourceInput{ResourceArn: aws.String(euARN), Tags: []types.ResourceTag{{Key: aws.String("k")}}})
	swftest.WantCode(t, err, "UnknownResourceFault")
	if _, err := eu.TagResource(ctx, &swf.TagResourceInput{ResourceArn: aws.String(euARN), Tags: []types.ResourceTag{{Key: aws.String("k")}}}); err != nil {
		t.Fatalf("tag in eu-west-1: %v", err)
	}
	// A page token of one region's listing is not another's.
	env.ActivityType(t, name, "act", swftest.ActivityDefaults(actList))
	env.ActivityType(t, name, "act2", swftest.ActivityDefaults(actList))
	setClient(eu)
	env.ActivityType(t, name, "act2", swftest.ActivityDefaults(actList))
	setClient(us)
	page, err := eu.ListActivityTypes(ctx, &swf.ListActivityTypesInput{Domain: aws.String(name), RegistrationStatus: types.RegistrationStatusRegistered, MaximumPageSize: 1})
	if err != nil || page.NextPageToken == nil {
		t.Fatalf("eu page: %v, %v", page, err)
	}
	_, err = us.ListActivityTypes(ctx, &swf.ListActivityTypesInput{Domain: aws.String(name), RegistrationStatus: types.RegistrationStatusRegistered, MaximumPageSize: 1, NextPageToken: page.NextPageToken})
	swftest.WantCode(t, err, "ValidationException")

	// Everything keeps its region across a restart.
	env.Close(t)
	env = swftest.Start(t, swftest.WithDataDir(dir))
	us, eu = env.SWF, inRegion(env.SWF, "eu-west-1")
	checkDomains(t)
	tags, err := eu.ListTagsForResource(ctx, &swf.ListTagsForResourceInput{ResourceArn: aws.String(euARN)})
	if err != nil || len(tags.Tags) != 1 {
		t.Fatalf("eu tags after restart: %+v, %v", tags, err)
	}
	if _, err := eu.DescribeWorkflowExecution(ctx, &swf.DescribeWorkflowExecutionInput{Domain: aws.String(name), Execution: &types.WorkflowExecution{WorkflowId: aws.String(wfID), RunId: aws.String(runID)}}); err != nil {
		t.Fatalf("eu run after restart: %v", err)
	}
}

// TestUnsignedRegion: a call that names no region (unsigned) is in the
// server's region, us-east-1 unless --region says otherwise.
func TestUnsignedRegion(t *testing.T) {
	t.Parallel()
	for _, region := range []string{"", "ap-south-2"} {
		env := swftest.Start(t, swftest.WithRegion(region))
		name := swftest.Unique("unsigned")
		env.Raw(t, "RegisterDomain", swftest.JSON(t, map[string]string{"name": name, "workflowExecutionRetentionPeriodInDays": "1"}))
		want := region
		if want == "" {
			want = "us-east-1"
		}
		for r, c := range map[string]*swf.Client{"us-east-1": env.SWF, "ap-south-2": inRegion(env.SWF, "ap-south-2")} {
			out, err := c.DescribeDomain(swftest.Ctx(t), &swf.DescribeDomainInput{Name: aws.String(name)})
			if r != want {
				swftest.WantCode(t, err, "UnknownResourceFault")
				continue
			}
			if err != nil || !strings.Contains(aws.ToString(out.DomainInfo.Arn), ":"+want+":") {
				t.Errorf("server region %q: domain in %s: %+v, %v", region, r, out, err)
			}
		}
	}
}

// TestRegionPolicies: an IAM policy written for one region's ARNs allows
// calls signed for that region only.
func TestRegionPolicies(t *testing.T) {
	t.Parallel()
	creds, err := auth.Parse([]byte(`{
  "accountId": "123456789012",
  "principals": [
    {"name": "admin", "accessKeyId": "AKID", "secretAccessKey": "SECRET",
     "policies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "swf:*", "Resource": "*"}]}]},
    {"name": "eu-only", "accessKeyId": "EU", "secretAccessKey": "eu-secret",
     "policies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "swf:*", "Resource": "arn:aws:swf:eu-west-1:123456789012:/domain/*"}]}]}
  ]
}`))
	if err != nil {
		t.Fatal(err)
	}
	env := swftest.Start(t, swftest.WithAuth(creds), swftest.WithClockAt(time.Now()))
	ctx := swftest.Ctx(t)
	euOnly := swftest.NewClientAs(env.URL, "EU", "eu-secret")
	for _, region := range []string{"us-east-1", "eu-west-1"} {
		if _, err := inRegion(env.SWF, region).RegisterDomain(ctx, &swf.RegisterDomainInput{Name: aws.String("d"), WorkflowExecutionRetentionPeriodInDays: aws.String("1")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := inRegion(euOnly, "eu-west-1").DescribeDomain(ctx, &swf.DescribeDomainInput{Name: aws.String("d")}); err != nil {
		t.Errorf("eu-west-1 call under an eu-west-1 policy: %v", err)
	}
	_, err = euOnly.DescribeDomain(ctx, &swf.DescribeDomainInput{Name: aws.String("d")})
	if msg := swftest.WantCode(t, err, "OperationNotPermittedFault"); !contains(msg, "arn:aws:swf:us-east-1:123456789012:/domain/d") {
		t.Errorf("denial %q does not name the us-east-1 ARN", msg)
	}
	if _, err := inRegion(euOnly, "eu-west-1").ListDomains(ctx, &swf.ListDomainsInput{RegistrationStatus: types.RegistrationStatusRegistered}); err != nil {
		t.Errorf("ListDomains in eu-west-1: %v", err)
	}
	_, err = euOnly.ListDomains(ctx, &swf.ListDomainsInput{RegistrationStatus: types.RegistrationStatusRegistered})
	swftest.WantCode(t, err, "OperationNotPermittedFault")
}
