// Package upgradetest checks that a database written by an earlier swf
// opens with this one and still works: the upgrade promise
// (docs/reliability.md, "Upgrades").
//
// Write drives a real server (internal/swftest) through a state with a bit
// of everything: domains in two regions, registered and deprecated types,
// open and closed runs, a started activity with heartbeat details, a
// scheduled activity no worker has taken, an open timer, a signal, a child
// workflow and tags. It returns a Fixture that records what the server
// answered about each run. Each store's tests save the database and the
// Fixture under testdata/upgrade/<name>/ once (TestMakeFixture, behind the
// -make-fixture flag), commit them, and from then on open a copy with the
// code of the day and call Check, which compares the answers with the
// recorded ones and carries every kind of pending work to its end.
//
// Fixtures are never remade: a database written by a release is what a
// later binary must open. The scenario below may grow for new fixtures;
// Check only relies on what the Fixture records, on the names and values
// declared here, and on the runs named in Runs.
package upgradetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/swftest"
)

// The names and values of the scenario. Check relies on them, so a value
// used by a committed fixture never changes.
const (
	US = "us-east-1"
	EU = "eu-west-1"

	// Domain is registered in both regions; DeprecatedDomain in US only,
	// then deprecated.
	Domain           = "upgrade"
	DeprecatedDomain = "upgrade-old"

	Deciders      = "deciders"       // decision task list of workflow type order
	ChildDeciders = "child-deciders" // of workflow type child
	Workers       = "workers"        // activity type charge
	Shipping      = "shipping"       // activity type ship

	// HeartbeatDetails are the details of the last heartbeat of activity
	// "hb" of run "parent", whose heartbeat timeout is HeartbeatTimeout.
	HeartbeatDetails = "fixture 42% ✓"
	HeartbeatTimeout = 300 * time.Second
	// TimerDelay is the delay of timer "t1" of run "parent".
	TimerDelay = 900 * time.Second
)

// Run roles: the keys of Fixture.Runs.
const (
	RunCompleted  = "completed"  // US; closed COMPLETED
	RunTerminated = "terminated" // US; closed TERMINATED
	RunParent     = "parent"     // US; open: activity "hb" started with a heartbeat, "waiting" scheduled, timer "t1", child, signal, tags
	RunChild      = "child"      // US; open child of parent, nothing pending
	RunEUOpen     = "eu-open"    // EU; open: activity "eu-act" started, its token in Tokens
	RunEUFailed   = "eu-failed"  // EU; closed FAILED
)

// Fixture describes a fixture database: how it was written and what the
// server answered about it just before it closed. It is saved as
// fixture.json beside the database.
type Fixture struct {
	// Note says what the fixture is and how it was made.
	Note string `json:"note"`
	// Store is "sqlite" or "postgres".
	Store string `json:"store"`
	// SchemaVersion is the schema version the database was written with.
	SchemaVersion int `json:"schemaVersion"`
	// WrittenBy is the commit of the swf that wrote it.
	WrittenBy string `json:"writtenBy"`
	// Clock is the server's clock when it closed; Check starts a minute later.
	Clock time.Time `json:"clock"`
	// Runs are the runs by role.
	Runs map[string]*Run `json:"runs"`
	// Tokens are task tokens a worker still holds, by activity id.
	Tokens map[string]string `json:"tokens"`
}

// Run is one run of the fixture and what the server said about it.
type Run struct {
	Region     string `json:"region"`
	Domain     string `json:"domain"`
	WorkflowID string `json:"workflowId"`
	RunID      string `json:"runId"`
	// Describe is DescribeWorkflowExecution's answer, History the whole
	// history, both as the SDK decoded them.
	Describe json.RawMessage `json:"describe"`
	History  json.RawMessage `json:"history"`
}

// Load reads the fixture.json in dir.
func Load(tb testing.TB, dir string) *Fixture {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "fixture.json"))
	if err != nil {
		tb.Fatal(err)
	}
	fx := new(Fixture)
	if err := json.Unmarshal(b, fx); err != nil {
		tb.Fatalf("%s/fixture.json: %v", dir, err)
	}
	return fx
}

// Save writes fx as dir/fixture.json.
func (fx *Fixture) Save(tb testing.TB, dir string) {
	tb.Helper()
	b, err := json.MarshalIndent(fx, "", "\t")
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "fixture.json"), append(b, '\n'), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// Dirs lists the fixture directories under root (testdata/upgrade), each
// a directory holding a fixture.json.
func Dirs(tb testing.TB, root string) []string {
	tb.Helper()
	matches, err := filepath.Glob(filepath.Join(root, "*", "fixture.json"))
	if err != nil {
		tb.Fatal(err)
	}
	if len(matches) == 0 {
		tb.Fatalf("no fixtures under %s, want at least one (testdata/README.md)", root)
	}
	var dirs []string
	for _, m := range matches {
		dirs = append(dirs, filepath.Dir(m))
	}
	return dirs
}

// NewDir returns root/v<version> (or root/name when name is set) for a new
// fixture, creating it; it fails if it exists, since fixtures are never
// remade.
func NewDir(tb testing.TB, root string, version int, name string) string {
	tb.Helper()
	if name == "" {
		name = fmt.Sprintf("v%d", version)
	}
	dir := filepath.Join(root, name)
	if _, err := os.Stat(dir); err == nil {
		tb.Fatalf("%s exists: a committed fixture is never remade; give the new one another name (-fixture-name)", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// client is a client of env that signs for region.
func client(env *swftest.Env, region string) *swf.Client {
	if region == US {
		return env.SWF
	}
	return swf.New(env.SWF.Options(), func(o *swf.Options) { o.Region = region })
}

// Write drives env (a fresh server) through the fixture's scenario and
// returns what it recorded; the caller closes env and saves its database.
func Write(tb testing.TB, env *swftest.Env) *Fixture {
	tb.Helper()
	ctx := swftest.Ctx(tb)
	us, eu := client(env, US), client(env, EU)
	tick := func() { env.Clock.Advance(time.Second) }
	must := func(what string, err error) {
		tb.Helper()
		if err != nil {
			tb.Fatalf("%s: %v", what, err)
		}
	}
	fx := &Fixture{Runs: map[string]*Run{}, Tokens: map[string]string{}}

	// Registrations.
	for _, c := range []*swf.Client{us, eu} {
		retention := map[*swf.Client]string{us: "30", eu: "7"}[c]
		_, err := c.RegisterDomain(ctx, &swf.RegisterDomainInput{Name: aws.String(Domain), WorkflowExecutionRetentionPeriodInDays: aws.String(retention),
			Description: aws.String("upgrade fixture in " + c.Options().Region)})
		must("RegisterDomain", err)
		registerTypes(tb, ctx, c, c == us)
	}
	_, err := us.RegisterDomain(ctx, &swf.RegisterDomainInput{Name: aws.String(DeprecatedDomain), WorkflowExecutionRetentionPeriodInDays: aws.String("1")})
	must("RegisterDomain "+DeprecatedDomain, err)
	_, err = us.DeprecateDomain(ctx, &swf.DeprecateDomainInput{Name: aws.String(DeprecatedDomain)})
	must("DeprecateDomain", err)
	tick()

	order := types.WorkflowType{Name: aws.String("order"), Version: aws.String("1")}
	child := types.WorkflowType{Name: aws.String("child"), Version: aws.String("1")}
	charge := types.ActivityType{Name: aws.String("charge"), Version: aws.String("1")}
	ship := types.ActivityType{Name: aws.String("ship"), Version: aws.String("1")}
	start := func(c *swf.Client, role, workflowID, input string, tags ...string) *Run {
		tb.Helper()
		out, err := c.StartWorkflowExecution(ctx, &swf.StartWorkflowExecutionInput{Domain: aws.String(Domain), WorkflowId: aws.String(workflowID),
			WorkflowType: &order, Input: aws.String(input), TagList: tags})
		must("StartWorkflowExecution "+workflowID, err)
		r := &Run{Region: c.Options().Region, Domain: Domain, WorkflowID: workflowID, RunID: aws.ToString(out.RunId)}
		fx.Runs[role] = r
		tick()
		return r
	}

	// Closed runs.
	start(us, RunCompleted, "order-completed", "héllo ✓", "done")
	decide(tb, ctx, us, pollDecision(tb, ctx, us, Deciders), swftest.CompleteWorkflow("result ✓"))
	tick()
	term := start(us, RunTerminated, "order-terminated", "to be terminated")
	_, err = us.TerminateWorkflowExecution(ctx, &swf.TerminateWorkflowExecutionInput{Domain: aws.String(Domain), WorkflowId: aws.String(term.WorkflowID),
		RunId: aws.String(term.RunID), Reason: aws.String("fixture"), Details: aws.String("terminated by the fixture")})
	must("TerminateWorkflowExecution", err)
	tick()

	// The parent: two activities (one started with a heartbeat, one only
	// scheduled), a timer, a child, a marker, a signal, tags.
	start(us, RunParent, "order-open", "parent input", "blue", "fixture")
	decide(tb, ctx, us, pollDecision(tb, ctx, us, Deciders),
		swftest.ScheduleActivity("hb", charge, swftest.Input("charge me"), swftest.Timeouts("", "", "", fmt.Sprint(HeartbeatTimeout.Seconds()))),
		swftest.ScheduleActivity("waiting", ship, swftest.Input("ship me"), swftest.Priority("5")),
		swftest.StartTimer("t1", fmt.Sprint(TimerDelay.Seconds())),
		types.Decision{
			DecisionType: types.DecisionTypeStartChildWorkflowExecution,
			StartChildWorkflowExecutionDecisionAttributes: &types.StartChildWorkflowExecutionDecisionAttributes{
				WorkflowId: aws.String("order-open-child"), WorkflowType: &child, Input: aws.String("child input"), TagList: []string{"child"},
			},
		},
		swftest.RecordMarker("fixture", "marker details"))
	tick()
	hb := pollActivity(tb, ctx, us, Workers)
	tick()
	_, err = us.RecordActivityTaskHeartbeat(ctx, &swf.RecordActivityTaskHeartbeatInput{TaskToken: hb.TaskToken, Details: aws.String(HeartbeatDetails)})
	must("RecordActivityTaskHeartbeat", err)
	tick()
	_, err = us.SignalWorkflowExecution(ctx, &swf.SignalWorkflowExecutionInput{Domain: aws.String(Domain), WorkflowId: aws.String("order-open"),
		SignalName: aws.String("poke"), Input: aws.String("ping")})
	must("SignalWorkflowExecution", err)
	tick()
	// The parent takes in the child's start and the signal; the child
	// records a marker. Neither has a decision task left.
	decide(tb, ctx, us, pollDecision(tb, ctx, us, Deciders))
	ct := pollDecision(tb, ctx, us, ChildDeciders)
	decide(tb, ctx, us, ct, swftest.RecordMarker("child", "child marker"))
	fx.Runs[RunChild] = &Run{Region: US, Domain: Domain, WorkflowID: "order-open-child", RunID: aws.ToString(ct.WorkflowExecution.RunId)}
	tick()

	// eu-west-1: an open run with a started activity whose token a worker
	// keeps, and a failed run.
	start(eu, RunEUOpen, "order-eu", "eu input")
	decide(tb, ctx, eu, pollDecision(tb, ctx, eu, Deciders), swftest.ScheduleActivity("eu-act", charge, swftest.Input("eu activity input")))
	tick()
	fx.Tokens["eu-act"] = aws.ToString(pollActivity(tb, ctx, eu, Workers).TaskToken)
	tick()
	start(eu, RunEUFailed, "order-eu-failed", "eu input 2", "failing")
	decide(tb, ctx, eu, pollDecision(tb, ctx, eu, Deciders), swftest.FailWorkflow("fixture reason", "fixture details"))
	tick()

	for _, r := range fx.Runs {
		r.Describe, r.History = observe(tb, ctx, client(env, r.Region), r)
	}
	fx.Clock = env.Clock.Now().UTC()
	return fx
}

func registerTypes(tb testing.TB, ctx context.Context, c *swf.Client, all bool) {
	tb.Helper()
	wf := func(name, version, taskList string) {
		tb.Helper()
		if _, err := c.RegisterWorkflowType(ctx, &swf.RegisterWorkflowTypeInput{
			Domain: aws.String(Domain), Name: aws.String(name), Version: aws.String(version), Description: aws.String("workflow " + name),
			DefaultTaskList: &types.TaskList{Name: aws.String(taskList)}, DefaultChildPolicy: types.ChildPolicyTerminate,
			DefaultExecutionStartToCloseTimeout: aws.String("2592000"), DefaultTaskStartToCloseTimeout: aws.String("3600"),
		}); err != nil {
			tb.Fatalf("RegisterWorkflowType %s: %v", name, err)
		}
	}
	act := func(name, taskList string) {
		tb.Helper()
		if _, err := c.RegisterActivityType(ctx, &swf.RegisterActivityTypeInput{
			Domain: aws.String(Domain), Name: aws.String(name), Version: aws.String("1"), Description: aws.String("activity " + name),
			DefaultTaskList:                   &types.TaskList{Name: aws.String(taskList)},
			DefaultTaskScheduleToStartTimeout: aws.String("NONE"), DefaultTaskScheduleToCloseTimeout: aws.String("NONE"),
			DefaultTaskStartToCloseTimeout: aws.String("NONE"), DefaultTaskHeartbeatTimeout: aws.String("NONE"),
		}); err != nil {
			tb.Fatalf("RegisterActivityType %s: %v", name, err)
		}
	}
	wf("order", "1", Deciders)
	act("charge", Workers)
	if !all {
		return
	}
	wf("child", "1", ChildDeciders)
	wf("order", "0", Deciders)
	act("ship", Shipping)
	act("refund", Workers)
	if _, err := c.DeprecateWorkflowType(ctx, &swf.DeprecateWorkflowTypeInput{Domain: aws.String(Domain),
		WorkflowType: &types.WorkflowType{Name: aws.String("order"), Version: aws.String("0")}}); err != nil {
		tb.Fatal(err)
	}
	if _, err := c.DeprecateActivityType(ctx, &swf.DeprecateActivityTypeInput{Domain: aws.String(Domain),
		ActivityType: &types.ActivityType{Name: aws.String("refund"), Version: aws.String("1")}}); err != nil {
		tb.Fatal(err)
	}
}

// observe returns a run's DescribeWorkflowExecution answer and whole
// history, as JSON.
func observe(tb testing.TB, ctx context.Context, c *swf.Client, r *Run) (describe, history json.RawMessage) {
	tb.Helper()
	exec := &types.WorkflowExecution{WorkflowId: aws.String(r.WorkflowID), RunId: aws.String(r.RunID)}
	d, err := c.DescribeWorkflowExecution(ctx, &swf.DescribeWorkflowExecutionInput{Domain: aws.String(r.Domain), Execution: exec})
	if err != nil {
		tb.Fatalf("DescribeWorkflowExecution %s in %s: %v", r.WorkflowID, r.Region, err)
	}
	var events []types.HistoryEvent
	p := swf.NewGetWorkflowExecutionHistoryPaginator(c, &swf.GetWorkflowExecutionHistoryInput{Domain: aws.String(r.Domain), Execution: exec})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			tb.Fatalf("GetWorkflowExecutionHistory %s in %s: %v", r.WorkflowID, r.Region, err)
		}
		events = append(events, page.Events...)
	}
	swftest.CheckHistory(tb, events)
	return marshal(tb, struct {
			ExecutionInfo               *types.WorkflowExecutionInfo
			ExecutionConfiguration      *types.WorkflowExecutionConfiguration
			OpenCounts                  *types.WorkflowExecutionOpenCounts
			LatestActivityTaskTimestamp *time.Time
			LatestExecutionContext      *string
		}{d.ExecutionInfo, d.ExecutionConfiguration, d.OpenCounts, d.LatestActivityTaskTimestamp, d.LatestExecutionContext}),
		marshal(tb, events)
}

// marshal encodes v as JSON without its null members (most of an SDK
// HistoryEvent's dozens of attribute members).
func marshal(tb testing.TB, v any) json.RawMessage {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	var tree any
	if err := json.Unmarshal(b, &tree); err != nil {
		tb.Fatal(err)
	}
	if b, err = json.Marshal(dropNulls(tree)); err != nil {
		tb.Fatal(err)
	}
	return b
}

func dropNulls(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if x == nil {
				delete(v, k)
			} else {
				v[k] = dropNulls(x)
			}
		}
	case []any:
		for i, x := range v {
			v[i] = dropNulls(x)
		}
	}
	return v
}

func pollDecision(tb testing.TB, ctx context.Context, c *swf.Client, taskList string) *swf.PollForDecisionTaskOutput {
	tb.Helper()
	ctx, cancel := context.WithTimeout(ctx, swftest.CallTimeout)
	defer cancel()
	out, err := c.PollForDecisionTask(ctx, &swf.PollForDecisionTaskInput{Domain: aws.String(Domain), TaskList: &types.TaskList{Name: aws.String(taskList)},
		Identity: aws.String("decider")})
	if err != nil || aws.ToString(out.TaskToken) == "" {
		tb.Fatalf("PollForDecisionTask %s in %s: got %v, want a task", taskList, c.Options().Region, err)
	}
	return out
}

func decide(tb testing.TB, ctx context.Context, c *swf.Client, task *swf.PollForDecisionTaskOutput, decisions ...types.Decision) {
	tb.Helper()
	if _, err := c.RespondDecisionTaskCompleted(ctx, &swf.RespondDecisionTaskCompletedInput{TaskToken: task.TaskToken, Decisions: decisions,
		ExecutionContext: aws.String("context of " + aws.ToString(task.WorkflowExecution.WorkflowId))}); err != nil {
		tb.Fatalf("RespondDecisionTaskCompleted %s: %v", aws.ToString(task.WorkflowExecution.WorkflowId), err)
	}
}

func pollActivity(tb testing.TB, ctx context.Context, c *swf.Client, taskList string) *swf.PollForActivityTaskOutput {
	tb.Helper()
	ctx, cancel := context.WithTimeout(ctx, swftest.CallTimeout)
	defer cancel()
	out, err := c.PollForActivityTask(ctx, &swf.PollForActivityTaskInput{Domain: aws.String(Domain), TaskList: &types.TaskList{Name: aws.String(taskList)},
		Identity: aws.String("worker")})
	if err != nil || aws.ToString(out.TaskToken) == "" {
		tb.Fatalf("PollForActivityTask %s in %s: got %v, want a task", taskList, c.Options().Region, err)
	}
	return out
}

// StartAt is when Check expects the server's clock to start: a minute
// after the fixture's, before any of its deadlines.
func (fx *Fixture) StartAt() time.Time { return fx.Clock.Add(time.Minute) }

// Check verifies, through the API of env (a server started on a copy of
// the fixture's database, its clock at fx.StartAt()), that everything the
// fixture holds is there and that its pending work carries on: the
// answers about each run are the recorded ones, listings and task lists
// are rebuilt, a worker's token still works, the heartbeat timeout fires
// with the recorded details, the timer fires, and deciders get their
// tasks.
func Check(t *testing.T, env *swftest.Env, fx *Fixture) {
	t.Helper()
	ctx := swftest.Ctx(t)
	us, eu := client(env, US), client(env, EU)
	run := func(role string) *Run {
		t.Helper()
		r := fx.Runs[role]
		if r == nil {
			t.Fatalf("the fixture has no run %q", role)
		}
		return r
	}

	eventsAsSent(t, env, fx)

	// Registrations, per region.
	wantNames(t, "us-east-1 registered domains", domains(t, ctx, us, types.RegistrationStatusRegistered), Domain)
	wantNames(t, "us-east-1 deprecated domains", domains(t, ctx, us, types.RegistrationStatusDeprecated), DeprecatedDomain)
	wantNames(t, "eu-west-1 registered domains", domains(t, ctx, eu, types.RegistrationStatusRegistered), Domain)
	wantNames(t, "eu-west-1 deprecated domains", domains(t, ctx, eu, types.RegistrationStatusDeprecated))
	for c, retention := range map[*swf.Client]string{us: "30", eu: "7"} {
		d, err := c.DescribeDomain(ctx, &swf.DescribeDomainInput{Name: aws.String(Domain)})
		if err != nil {
			t.Fatal(err)
		}
		if got := aws.ToString(d.Configuration.WorkflowExecutionRetentionPeriodInDays); got != retention ||
			aws.ToString(d.DomainInfo.Description) != "upgrade fixture in "+c.Options().Region {
			t.Errorf("%s: domain %s has retention %s and description %q, want %s and the fixture's", c.Options().Region, Domain, got,
				aws.ToString(d.DomainInfo.Description), retention)
		}
		_, err = c.RegisterDomain(ctx, &swf.RegisterDomainInput{Name: aws.String(Domain), WorkflowExecutionRetentionPeriodInDays: aws.String("1")})
		swftest.WantCode(t, err, "DomainAlreadyExistsFault")
	}
	wantNames(t, "us-east-1 registered workflow types", workflowTypes(t, ctx, us, types.RegistrationStatusRegistered), "child/1", "order/1")
	wantNames(t, "us-east-1 deprecated workflow types", workflowTypes(t, ctx, us, types.RegistrationStatusDeprecated), "order/0")
	wantNames(t, "us-east-1 registered activity types", activityTypes(t, ctx, us, types.RegistrationStatusRegistered), "charge/1", "ship/1")
	wantNames(t, "us-east-1 deprecated activity types", activityTypes(t, ctx, us, types.RegistrationStatusDeprecated), "refund/1")
	wantNames(t, "eu-west-1 registered workflow types", workflowTypes(t, ctx, eu, types.RegistrationStatusRegistered), "order/1")
	wantNames(t, "eu-west-1 registered activity types", activityTypes(t, ctx, eu, types.RegistrationStatusRegistered), "charge/1")
	at, err := us.DescribeActivityType(ctx, &swf.DescribeActivityTypeInput{Domain: aws.String(Domain), ActivityType: &types.ActivityType{Name: aws.String("ship"), Version: aws.String("1")}})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(at.Configuration.DefaultTaskList.Name); got != Shipping {
		t.Errorf("activity type ship has default task list %q, want %q", got, Shipping)
	}

	// Every run answers as it did when the fixture was written.
	roles := make([]string, 0, len(fx.Runs))
	for role := range fx.Runs {
		roles = append(roles, role)
	}
	slices.Sort(roles)
	for _, role := range roles {
		r := fx.Runs[role]
		describe, history := observe(t, ctx, client(env, r.Region), r)
		sameJSON(t, role+": DescribeWorkflowExecution", r.Describe, describe)
		sameJSON(t, role+": history", r.History, history)
	}
	if t.Failed() {
		t.FailNow()
	}

	// Listings: each region's open and closed runs are the fixture's.
	parent := run(RunParent)
	wantNames(t, "us-east-1 open runs tagged blue", openRuns(t, ctx, us, "blue"), parent.WorkflowID)
	for _, c := range []*swf.Client{us, eu} {
		var open, closed []string
		for _, r := range fx.Runs {
			var d struct{ ExecutionInfo types.WorkflowExecutionInfo }
			if err := json.Unmarshal(r.Describe, &d); err != nil {
				t.Fatal(err)
			}
			switch {
			case r.Region != c.Options().Region:
			case d.ExecutionInfo.ExecutionStatus == types.ExecutionStatusOpen:
				open = append(open, r.WorkflowID)
			default:
				closed = append(closed, r.WorkflowID+"/"+string(d.ExecutionInfo.CloseStatus))
			}
		}
		slices.Sort(open)
		slices.Sort(closed)
		wantNames(t, c.Options().Region+" open runs", openRuns(t, ctx, c, ""), open...)
		wantNames(t, c.Options().Region+" closed runs", closedRuns(t, ctx, c), closed...)
	}
	_, err = us.StartWorkflowExecution(ctx, &swf.StartWorkflowExecutionInput{Domain: aws.String(Domain), WorkflowId: aws.String(parent.WorkflowID),
		WorkflowType: &types.WorkflowType{Name: aws.String("order"), Version: aws.String("1")}})
	swftest.Fault[*types.WorkflowExecutionAlreadyStartedFault](t, err)

	// Task lists: the scheduled activity is handed out; nothing else waits.
	if n := pendingActivities(t, ctx, us, Shipping); n != 1 {
		t.Errorf("us-east-1 %s has %d pending activity tasks, want 1", Shipping, n)
	}
	for _, c := range []*swf.Client{us, eu} {
		for _, list := range []string{Deciders, ChildDeciders} {
			out, err := c.CountPendingDecisionTasks(ctx, &swf.CountPendingDecisionTasksInput{Domain: aws.String(Domain), TaskList: &types.TaskList{Name: aws.String(list)}})
			if err != nil || out.Count != 0 {
				t.Errorf("%s: %s has %v pending decision tasks (%v), want 0", c.Options().Region, list, out, err)
			}
		}
	}
	waiting := pollActivity(t, ctx, us, Shipping)
	if aws.ToString(waiting.ActivityId) != "waiting" || aws.ToString(waiting.Input) != "ship me" || aws.ToString(waiting.WorkflowExecution.RunId) != parent.RunID {
		t.Errorf("got activity %q with input %q of run %s, want waiting with %q of %s", aws.ToString(waiting.ActivityId), aws.ToString(waiting.Input),
			aws.ToString(waiting.WorkflowExecution.RunId), "ship me", parent.RunID)
	}

	// A worker's token from before the upgrade still works.
	euOpen := run(RunEUOpen)
	if _, err := eu.RespondActivityTaskCompleted(ctx, &swf.RespondActivityTaskCompletedInput{TaskToken: aws.String(fx.Tokens["eu-act"]), Result: aws.String("eu done")}); err != nil {
		t.Fatalf("RespondActivityTaskCompleted with the fixture's token: %v", err)
	}
	dt := pollDecision(t, ctx, eu, Deciders)
	if got := aws.ToString(dt.WorkflowExecution.RunId); got != euOpen.RunID {
		t.Fatalf("eu-west-1 decision task of run %s, want %s", got, euOpen.RunID)
	}
	done := swftest.Last(t, dt.Events, types.EventTypeActivityTaskCompleted).ActivityTaskCompletedEventAttributes
	if aws.ToString(done.Result) != "eu done" {
		t.Errorf("ActivityTaskCompleted result %q, want %q", aws.ToString(done.Result), "eu done")
	}
	decide(t, ctx, eu, dt, swftest.CompleteWorkflow("eu complete"))
	wantStatus(t, ctx, eu, euOpen, types.CloseStatusCompleted)

	// Deadlines: nothing is due yet; the heartbeat timeout fires with the
	// recorded details, then the timer, and the decider gets a task.
	events := history(t, ctx, us, parent)
	if n := swftest.Count(events, types.EventTypeActivityTaskTimedOut) + swftest.Count(events, types.EventTypeTimerFired); n != 0 {
		t.Fatalf("parent history %v: a deadline fired before it was due", swftest.Types(events))
	}
	env.Clock.Advance(HeartbeatTimeout)
	events = history(t, ctx, us, parent)
	to := swftest.Last(t, events, types.EventTypeActivityTaskTimedOut).ActivityTaskTimedOutEventAttributes
	if to.TimeoutType != types.ActivityTaskTimeoutTypeHeartbeat || aws.ToString(to.Details) != HeartbeatDetails {
		t.Errorf("ActivityTaskTimedOut %s with details %q, want HEARTBEAT with %q", to.TimeoutType, aws.ToString(to.Details), HeartbeatDetails)
	}
	if sched := events[to.ScheduledEventId-1].ActivityTaskScheduledEventAttributes; sched == nil || aws.ToString(sched.ActivityId) != "hb" {
		t.Errorf("the timed-out activity's scheduled event %d is %s, want activity hb's", to.ScheduledEventId, events[to.ScheduledEventId-1].EventType)
	}
	if swftest.Count(events, types.EventTypeTimerFired) != 0 {
		t.Fatalf("timer t1 fired %v after the fixture, before its %v", HeartbeatTimeout+time.Minute, TimerDelay)
	}
	env.Clock.Advance(TimerDelay - HeartbeatTimeout)
	dt = pollDecision(t, ctx, us, Deciders)
	if got := aws.ToString(dt.WorkflowExecution.RunId); got != parent.RunID {
		t.Fatalf("decision task of run %s, want the parent %s", got, parent.RunID)
	}
	fired := swftest.Last(t, dt.Events, types.EventTypeTimerFired).TimerFiredEventAttributes
	if aws.ToString(fired.TimerId) != "t1" {
		t.Errorf("timer %q fired, want t1", aws.ToString(fired.TimerId))
	}
	swftest.Last(t, dt.Events, types.EventTypeActivityTaskTimedOut)
	// The parent completes; its child policy (TERMINATE) reaches the child.
	decide(t, ctx, us, dt, swftest.CompleteWorkflow("parent done"))
	wantStatus(t, ctx, us, parent, types.CloseStatusCompleted)
	wantStatus(t, ctx, us, run(RunChild), types.CloseStatusTerminated)

	// A closed run's workflow id starts a new run.
	completed := run(RunCompleted)
	out, err := us.StartWorkflowExecution(ctx, &swf.StartWorkflowExecutionInput{Domain: aws.String(Domain), WorkflowId: aws.String(completed.WorkflowID),
		WorkflowType: &types.WorkflowType{Name: aws.String("order"), Version: aws.String("1")}})
	if err != nil || aws.ToString(out.RunId) == completed.RunID {
		t.Fatalf("start %s again: got %v, %v; want a new run", completed.WorkflowID, out, err)
	}
}

func history(tb testing.TB, ctx context.Context, c *swf.Client, r *Run) []types.HistoryEvent {
	tb.Helper()
	_, h := observe(tb, ctx, c, r)
	var events []types.HistoryEvent
	if err := json.Unmarshal(h, &events); err != nil {
		tb.Fatal(err)
	}
	return events
}

// wantStatus waits for run r to close with status want: a child policy
// reaches the child in a write of its own after the parent's.
func wantStatus(tb testing.TB, ctx context.Context, c *swf.Client, r *Run, want types.CloseStatus) {
	tb.Helper()
	var got types.CloseStatus
	swftest.WaitFor(tb, fmt.Sprintf("%s to close %s", r.WorkflowID, want), func() bool {
		d, err := c.DescribeWorkflowExecution(ctx, &swf.DescribeWorkflowExecutionInput{Domain: aws.String(r.Domain),
			Execution: &types.WorkflowExecution{WorkflowId: aws.String(r.WorkflowID), RunId: aws.String(r.RunID)}})
		if err != nil {
			tb.Fatal(err)
		}
		got = d.ExecutionInfo.CloseStatus
		return got == want
	})
}

// sameJSON fails unless two recorded answers are equal, naming the first
// member where they differ.
func sameJSON(tb testing.TB, what string, want, got json.RawMessage) {
	tb.Helper()
	var w, g any
	if err := json.Unmarshal(want, &w); err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		tb.Fatal(err)
	}
	if d := diff("$", w, g); d != "" {
		tb.Errorf("%s differs from the fixture's: %s", what, d)
	}
}

// diff describes the first difference between two decoded JSON values, ""
// if there is none.
func diff(path string, want, got any) string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			break
		}
		keys := make([]string, 0, len(w)+len(g))
		for k := range w {
			keys = append(keys, k)
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			if d := diff(path+"."+k, w[k], g[k]); d != "" {
				return d
			}
		}
		return ""
	case []any:
		g, ok := got.([]any)
		if !ok {
			break
		}
		for i := range min(len(w), len(g)) {
			if d := diff(fmt.Sprintf("%s[%d]", path, i), w[i], g[i]); d != "" {
				return d
			}
		}
		if len(w) != len(g) {
			return fmt.Sprintf("%s: got %d elements, want %d", path, len(g), len(w))
		}
		return ""
	default:
		if want == got {
			return ""
		}
	}
	return fmt.Sprintf("%s: got %s, want %s", path, short(got), short(want))
}

func short(v any) string {
	if v == nil {
		return "nothing"
	}
	b, _ := json.Marshal(v)
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}

func wantNames(tb testing.TB, what string, got []string, want ...string) {
	tb.Helper()
	slices.Sort(got)
	if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
		tb.Errorf("%s: got %q, want %q", what, got, want)
	}
}

func domains(tb testing.TB, ctx context.Context, c *swf.Client, status types.RegistrationStatus) []string {
	tb.Helper()
	var names []string
	p := swf.NewListDomainsPaginator(c, &swf.ListDomainsInput{RegistrationStatus: status})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			tb.Fatal(err)
		}
		for _, d := range page.DomainInfos {
			names = append(names, aws.ToString(d.Name))
		}
	}
	return names
}

func workflowTypes(tb testing.TB, ctx context.Context, c *swf.Client, status types.RegistrationStatus) []string {
	tb.Helper()
	var names []string
	p := swf.NewListWorkflowTypesPaginator(c, &swf.ListWorkflowTypesInput{Domain: aws.String(Domain), RegistrationStatus: status})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			tb.Fatal(err)
		}
		for _, ti := range page.TypeInfos {
			names = append(names, aws.ToString(ti.WorkflowType.Name)+"/"+aws.ToString(ti.WorkflowType.Version))
		}
	}
	return names
}

func activityTypes(tb testing.TB, ctx context.Context, c *swf.Client, status types.RegistrationStatus) []string {
	tb.Helper()
	var names []string
	p := swf.NewListActivityTypesPaginator(c, &swf.ListActivityTypesInput{Domain: aws.String(Domain), RegistrationStatus: status})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			tb.Fatal(err)
		}
		for _, ti := range page.TypeInfos {
			names = append(names, aws.ToString(ti.ActivityType.Name)+"/"+aws.ToString(ti.ActivityType.Version))
		}
	}
	return names
}

// since is early enough for every run of a fixture.
var since = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

func openRuns(tb testing.TB, ctx context.Context, c *swf.Client, tag string) []string {
	tb.Helper()
	in := &swf.ListOpenWorkflowExecutionsInput{Domain: aws.String(Domain), StartTimeFilter: &types.ExecutionTimeFilter{OldestDate: aws.Time(since)}}
	if tag != "" {
		in.TagFilter = &types.TagFilter{Tag: aws.String(tag)}
	}
	var ids []string
	p := swf.NewListOpenWorkflowExecutionsPaginator(c, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			tb.Fatal(err)
		}
		for _, e := range page.ExecutionInfos {
			ids = append(ids, aws.ToString(e.Execution.WorkflowId))
		}
	}
	return ids
}

func closedRuns(tb testing.TB, ctx context.Context, c *swf.Client) []string {
	tb.Helper()
	var ids []string
	p := swf.NewListClosedWorkflowExecutionsPaginator(c, &swf.ListClosedWorkflowExecutionsInput{Domain: aws.String(Domain),
		StartTimeFilter: &types.ExecutionTimeFilter{OldestDate: aws.Time(since)}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			tb.Fatal(err)
		}
		for _, e := range page.ExecutionInfos {
			ids = append(ids, aws.ToString(e.Execution.WorkflowId)+"/"+string(e.CloseStatus))
		}
	}
	return ids
}

func pendingActivities(tb testing.TB, ctx context.Context, c *swf.Client, taskList string) int32 {
	tb.Helper()
	out, err := c.CountPendingActivityTasks(ctx, &swf.CountPendingActivityTasksInput{Domain: aws.String(Domain), TaskList: &types.TaskList{Name: aws.String(taskList)}})
	if err != nil {
		tb.Fatal(err)
	}
	return out.Count
}

// eventsAsSent checks that the history events of the fixture's runs in
// US (the region of unsigned calls) go out exactly as encoding them anew
// would give them: the server sends stored events as they are (shape.
// RawEvents), where it used to decode and encode each, so the rows an
// earlier swf wrote must already be in the wire's form.
func eventsAsSent(t *testing.T, env *swftest.Env, fx *Fixture) {
	t.Helper()
	for role, r := range fx.Runs {
		if r.Region != US {
			continue
		}
		in, _ := json.Marshal(map[string]any{"domain": r.Domain, "maximumPageSize": 1000,
			"execution": map[string]string{"workflowId": r.WorkflowID, "runId": r.RunID}})
		res := env.Raw(t, "GetWorkflowExecutionHistory", in)
		var page struct{ Events []json.RawMessage }
		if err := json.Unmarshal(res.Body, &page); err != nil || res.Status != 200 || len(page.Events) == 0 {
			t.Fatalf("%s: history: %d %s", role, res.Status, res.Body)
		}
		for _, raw := range page.Events {
			var ev shape.HistoryEvent
			if err := json.Unmarshal(raw, &ev); err != nil {
				t.Fatalf("%s: %v", role, err)
			}
			if again, _ := json.Marshal(&ev); !bytes.Equal(again, raw) {
				t.Errorf("%s: event sent as\n%s\nbut encodes as\n%s", role, raw, again)
			}
		}
	}
}
