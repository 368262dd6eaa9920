package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// setupStory registers a domain, an activity type and a workflow type, and
// starts an execution; it returns the run id.
func setupStory(t *testing.T, url, domain string) string {
	t.Helper()
	mustSWF(t, url, "register-domain", "--name", domain, "--workflow-execution-retention-period-in-days", "1")
	mustSWF(t, url, "register-activity-type", "--domain", domain, "--name", "work", "--activity-version", "1",
		"--default-task-list", "name=acts", "--default-task-start-to-close-timeout", "300",
		"--default-task-heartbeat-timeout", "60", "--default-task-schedule-to-start-timeout", "300",
		"--default-task-schedule-to-close-timeout", "600")
	mustSWF(t, url, "register-workflow-type", "--domain", domain, "--name", "flow", "--workflow-version", "1",
		"--default-task-list", "name=decisions", "--default-child-policy", "TERMINATE",
		"--default-execution-start-to-close-timeout", "3600", "--default-task-start-to-close-timeout", "30")
	runID := strings.TrimSpace(mustSWF(t, url, "start-workflow-execution", "--domain", domain, "--workflow-id", "w1",
		"--workflow-type", "name=flow,version=1", "--input", "hello", "--tag-list", "story", "cli",
		"--query", "runId", "--output", "text"))
	if runID == "" {
		t.Fatal("start-workflow-execution printed no runId")
	}
	return runID
}

// decide polls for a decision task and completes it with decisions (the
// words of --decisions), returning the task as printed.
func decide(t *testing.T, url, domain string, decisions ...string) map[string]any {
	t.Helper()
	out := mustSWF(t, url, "poll-for-decision-task", "--domain", domain, "--task-list", "name=decisions", "--identity", "decider")
	var task map[string]any
	if err := json.Unmarshal([]byte(out), &task); err != nil {
		t.Fatalf("poll-for-decision-task printed %q: %v", out, err)
	}
	tok, _ := task["taskToken"].(string)
	if tok == "" {
		t.Fatalf("no decision task: %s", out)
	}
	args := []string{"respond-decision-task-completed", "--task-token", tok}
	if len(decisions) > 0 {
		args = append(append(args, "--decisions"), decisions...)
	}
	if out := mustSWF(t, url, args...); out != "" {
		t.Fatalf("respond-decision-task-completed printed %q, want nothing", out)
	}
	return task
}

// TestHeartbeatStory is the walkthrough of the spec page: a worker
// heartbeats with --cli-input-json inline and from a file (a flag
// overriding the file), learns of the cancellation, and cancels; the task
// is then gone.
func TestHeartbeatStory(t *testing.T) {
	t.Parallel()
	url := startServer(t)
	const domain = "story"
	runID := setupStory(t, url, domain)

	// The decider schedules the activity, its decisions from a file.
	dir := t.TempDir()
	decisions := filepath.Join(dir, "decisions.json")
	if err := os.WriteFile(decisions, []byte(`[{"decisionType": "ScheduleActivityTask",
		"scheduleActivityTaskDecisionAttributes": {"activityType": {"name": "work", "version": "1"}, "activityId": "a1"}}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	task := decide(t, url, domain, "file://"+decisions)
	if got := task["workflowExecution"].(map[string]any)["runId"]; got != runID {
		t.Fatalf("decision task for run %v, want %s", got, runID)
	}

	// The worker takes the task.
	token := strings.TrimSpace(mustSWF(t, url, "poll-for-activity-task", "--domain", domain,
		"--task-list", "name=acts", "--identity", "worker", "--query", "taskToken", "--output", "text"))
	if token == "" || token == "None" {
		t.Fatal("poll-for-activity-task returned no task")
	}

	// Heartbeat, the input inline.
	inline := `{"taskToken": "` + token + `", "details": "10%"}`
	if got, want := mustSWF(t, url, "record-activity-task-heartbeat", "--cli-input-json", inline), "{\n    \"cancelRequested\": false\n}\n"; got != want {
		t.Fatalf("heartbeat printed %q, want %q", got, want)
	}

	// Heartbeat, the input from a file and --details overriding it: the
	// request sent (which --debug logs) carries the flag's value.
	hb := filepath.Join(dir, "heartbeat.json")
	if err := os.WriteFile(hb, []byte(`{"taskToken": "`+token+`", "details": "from the file"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	r := swfAt(t, url, "record-activity-task-heartbeat", "--cli-input-json", "file://"+hb, "--details", "50%", "--debug")
	if r.code != 0 || r.stdout != "{\n    \"cancelRequested\": false\n}\n" {
		t.Fatalf("heartbeat from file: %v", r)
	}
	if !strings.Contains(r.stderr, `"details":"50%"`) || strings.Contains(r.stderr, "from the file") {
		t.Fatalf("--details did not override the file's details; debug log:\n%s", r.stderr)
	}
	if strings.Contains(r.stderr, "Signature=") && !strings.Contains(r.stderr, "Signature=<redacted>") {
		t.Fatalf("debug log shows the signature:\n%s", r.stderr)
	}

	// The workflow is asked to cancel; the decider cancels the activity,
	// in shorthand this time.
	mustSWF(t, url, "request-cancel-workflow-execution", "--domain", domain, "--workflow-id", "w1", "--run-id", runID)
	decide(t, url, domain, "decisionType=RequestCancelActivityTask,requestCancelActivityTaskDecisionAttributes={activityId=a1}")

	// The next heartbeat learns of it.
	if got := mustSWF(t, url, "record-activity-task-heartbeat", "--task-token", token, "--details", "75%",
		"--query", "cancelRequested", "--output", "text"); got != "True\n" {
		t.Fatalf("heartbeat after the cancel request printed %q, want True", got)
	}
	mustSWF(t, url, "respond-activity-task-canceled", "--task-token", token, "--details", "stopped at 75%")

	// The task is closed: a heartbeat is refused as aws reports it.
	r = swfAt(t, url, "record-activity-task-heartbeat", "--task-token", token)
	wantExit(t, r, ExitServiceError, "\nAn error occurred (UnknownResourceFault) when calling the RecordActivityTaskHeartbeat operation: ")
	if r.stdout != "" {
		t.Fatalf("a failed call printed %q", r.stdout)
	}

	decide(t, url, domain, `[{"decisionType": "CancelWorkflowExecution", "cancelWorkflowExecutionDecisionAttributes": {"details": "done"}}]`)

	events := mustSWF(t, url, "get-workflow-execution-history", "--domain", domain,
		"--execution", "workflowId=w1,runId="+runID, "--query", "events[].eventType", "--output", "text")
	for _, want := range []string{"ActivityTaskScheduled", "ActivityTaskStarted", "ActivityTaskCancelRequested", "ActivityTaskCanceled", "WorkflowExecutionCanceled"} {
		if !strings.Contains(events, want) {
			t.Errorf("history lacks %s: %s", want, events)
		}
	}
	if strings.Contains(strings.ToLower(events), "heartbeat") {
		t.Errorf("heartbeats made history events: %s", events)
	}
	if got := mustSWF(t, url, "describe-workflow-execution", "--domain", domain, "--execution", "workflowId=w1,runId="+runID,
		"--query", "executionInfo.[executionStatus, closeStatus]", "--output", "text"); got != "CLOSED\tCANCELED\n" {
		t.Fatalf("execution ended %q, want CLOSED CANCELED", got)
	}
}
