package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestEveryCommand runs each of the 39 commands against a running server,
// in an order that makes each meaningful. A command must succeed, or get
// UnknownOperationException from a server that does not implement its
// operation yet; nothing else.
func TestEveryCommand(t *testing.T) {
	t.Parallel()
	url := startServer(t)
	const d = "every"
	ran := map[string]bool{}
	var arn, runID, decisionToken string
	actTokens := map[string]string{}

	call := func(cmd string, args ...string) string {
		t.Helper()
		ran[cmd] = true
		r := swfAt(t, url, append([]string{cmd}, args...)...)
		if r.code == 0 {
			return r.stdout
		}
		op := lookupCommand(cmd).Op.Name
		unsupported := fmt.Sprintf("\nAn error occurred (UnknownOperationException) when calling the %s operation: Operation %s is not supported by this server yet\n", op, op)
		if r.code == ExitServiceError && r.stderr == unsupported {
			t.Logf("%s: not implemented by the server yet", cmd)
			return ""
		}
		t.Fatalf("swf %s %s: %v", cmd, strings.Join(args, " "), r)
		return ""
	}
	field := func(out, key string) string {
		t.Helper()
		var m map[string]any
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatalf("output %q: %v", out, err)
		}
		s, _ := m[key].(string)
		return s
	}

	call("register-domain", "--name", d, "--workflow-execution-retention-period-in-days", "1", "--description", "every command", "--tags", "key=team,value=swf")
	arn = strings.TrimSpace(call("describe-domain", "--name", d, "--query", "domainInfo.arn", "--output", "text"))
	call("list-domains", "--registration-status", "REGISTERED")
	call("tag-resource", "--resource-arn", arn, "--tags", "key=env,value=test", "key=tier,value=1")
	call("list-tags-for-resource", "--resource-arn", arn)
	call("untag-resource", "--resource-arn", arn, "--tag-keys", "env", "tier")
	call("register-activity-type", "--domain", d, "--name", "act", "--activity-version", "1",
		"--default-task-list", "name=acts", "--default-task-start-to-close-timeout", "300",
		"--default-task-heartbeat-timeout", "NONE", "--default-task-schedule-to-start-timeout", "300",
		"--default-task-schedule-to-close-timeout", "600", "--default-task-priority", "0", "--description", "an activity")
	call("register-workflow-type", "--domain", d, "--name", "flow", "--workflow-version", "1",
		"--default-task-list", "name=decisions", "--default-child-policy", "TERMINATE",
		"--default-execution-start-to-close-timeout", "3600", "--default-task-start-to-close-timeout", "30")
	call("describe-activity-type", "--domain", d, "--activity-type", "name=act,version=1")
	call("describe-workflow-type", "--domain", d, "--workflow-type", "name=flow,version=1")
	call("list-activity-types", "--domain", d, "--registration-status", "REGISTERED", "--reverse-order")
	call("list-workflow-types", "--domain", d, "--registration-status", "REGISTERED", "--no-reverse-order")

	runID = field(call("start-workflow-execution", "--domain", d, "--workflow-id", "w1", "--workflow-type", "name=flow,version=1",
		"--tag-list", "a", "b", "--input", "in", "--child-policy", "ABANDON"), "runId")
	call("start-workflow-execution", "--domain", d, "--workflow-id", "w2", "--workflow-type", "name=flow,version=1")
	filter := []string{"--start-time-filter", "oldestDate=2000-01-01T00:00:00Z"}
	call("count-open-workflow-executions", append([]string{"--domain", d}, filter...)...)
	call("list-open-workflow-executions", append([]string{"--domain", d, "--type-filter", "name=flow"}, filter...)...)
	call("count-pending-decision-tasks", "--domain", d, "--task-list", "name=decisions")
	call("describe-workflow-execution", "--domain", d, "--execution", "workflowId=w1,runId="+runID)
	call("signal-workflow-execution", "--domain", d, "--workflow-id", "w1", "--signal-name", "go", "--input", "now")

	// A decider schedules three activities, one for each way to end one.
	out := call("poll-for-decision-task", "--domain", d, "--task-list", "name=decisions", "--identity", "decider", "--reverse-order")
	decisionToken = field(out, "taskToken")
	if decisionToken == "" {
		t.Fatalf("no decision task: %s", out)
	}
	var decisions []string
	for _, id := range []string{"done", "failed", "canceled"} {
		decisions = append(decisions, "decisionType=ScheduleActivityTask,scheduleActivityTaskDecisionAttributes={activityType={name=act,version=1},activityId="+id+"}")
	}
	call("respond-decision-task-completed", append([]string{"--task-token", decisionToken, "--execution-context", "ctx", "--decisions"}, decisions...)...)
	call("count-pending-activity-tasks", "--domain", d, "--task-list", "name=acts")
	for range 3 {
		out := call("poll-for-activity-task", "--domain", d, "--task-list", "name=acts", "--identity", "worker")
		actTokens[field(out, "activityId")] = field(out, "taskToken")
	}
	call("record-activity-task-heartbeat", "--task-token", actTokens["done"], "--details", "half")
	call("respond-activity-task-completed", "--task-token", actTokens["done"], "--result", "ok")
	call("respond-activity-task-failed", "--task-token", actTokens["failed"], "--reason", "broken", "--details", "stack")
	call("respond-activity-task-canceled", "--task-token", actTokens["canceled"], "--details", "stopped")
	call("get-workflow-execution-history", "--domain", d, "--execution", "workflowId=w1,runId="+runID, "--reverse-order")

	call("request-cancel-workflow-execution", "--domain", d, "--workflow-id", "w2")
	call("terminate-workflow-execution", "--domain", d, "--workflow-id", "w1", "--reason", "test", "--details", "over", "--child-policy", "TERMINATE")
	call("count-closed-workflow-executions", append([]string{"--domain", d, "--close-status-filter", "status=TERMINATED"}, filter...)...)
	call("list-closed-workflow-executions", append([]string{"--domain", d, "--execution-filter", "workflowId=w1"}, filter...)...)

	call("deprecate-activity-type", "--domain", d, "--activity-type", "name=act,version=1")
	call("undeprecate-activity-type", "--domain", d, "--activity-type", "name=act,version=1")
	call("deprecate-activity-type", "--domain", d, "--activity-type", "name=act,version=1")
	call("delete-activity-type", "--domain", d, "--activity-type", "name=act,version=1")
	call("deprecate-workflow-type", "--domain", d, "--workflow-type", "name=flow,version=1")
	call("undeprecate-workflow-type", "--domain", d, "--workflow-type", "name=flow,version=1")
	call("deprecate-workflow-type", "--domain", d, "--workflow-type", "name=flow,version=1")
	call("delete-workflow-type", "--domain", d, "--workflow-type", "name=flow,version=1")
	call("deprecate-domain", "--name", d)
	call("undeprecate-domain", "--name", d)

	for _, c := range commands() {
		if !ran[c.Name] {
			t.Errorf("%s was not run", c.Name)
		}
	}
}

// TestEmptyPoll shows a long poll that ends without a task, printed as
// aws prints it: PollForDecisionTask is paged, so the non-aggregate
// members appear, null where the answer had none.
func TestEmptyPoll(t *testing.T) {
	t.Parallel()
	url := startServer(t)
	mustSWF(t, url, "register-domain", "--name", "quiet", "--workflow-execution-retention-period-in-days", "1")
	out := mustSWF(t, url, "poll-for-activity-task", "--domain", "quiet", "--task-list", "name=none")
	// The server answers an empty poll with startedEventId 0 and no
	// token, as AWS does; aws prints what came.
	if out != "{\n    \"startedEventId\": 0\n}\n" {
		t.Errorf("empty activity poll printed %q", out)
	}
	out = mustSWF(t, url, "poll-for-decision-task", "--domain", "quiet", "--task-list", "name=none")
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("empty decision poll printed %q: %v", out, err)
	}
	if tok, ok := got["taskToken"]; !ok || tok != nil {
		t.Errorf("empty decision poll: taskToken %v, want null\n%s", tok, out)
	}
	if got := mustSWF(t, url, "poll-for-decision-task", "--domain", "quiet", "--task-list", "name=none", "--query", "taskToken", "--output", "text"); got != "None\n" {
		t.Errorf("taskToken of an empty poll as text: %q, want None", got)
	}
}
