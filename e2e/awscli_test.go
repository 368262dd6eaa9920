package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// awsCLI runs `aws swf ...` against one server.
type awsCLI struct {
	t   testing.TB
	url string
	env []string
}

// requireAWSCLI skips the test (fails it under CI=true) when the AWS CLI
// is not installed.
func requireAWSCLI(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("aws"); err != nil {
		missingTool(t, "the AWS CLI (aws) is not installed")
	}
}

// newAWSCLI returns the AWS CLI pointed at url.
func newAWSCLI(t testing.TB, url string) *awsCLI {
	return &awsCLI{t: t, url: url, env: toolEnv(t)}
}

// try runs `aws swf <args> --endpoint-url URL --output json` and returns its
// stdout, and its stderr on failure.
func (c *awsCLI) try(args ...string) (stdout []byte, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	argv := append([]string{"swf"}, args...)
	argv = append(argv, "--endpoint-url", c.url, "--output", "json")
	cmd := exec.CommandContext(ctx, "aws", argv...)
	cmd.Env = c.env
	cmd.WaitDelay = 5 * time.Second
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return out.Bytes(), fmt.Errorf("aws %s: %v: %s", strings.Join(args[:1], " "), err, strings.TrimSpace(errOut.String()))
	}
	return out.Bytes(), nil
}

// run runs an aws swf command that must succeed and decodes its JSON answer
// into out (nil: ignore the answer).
func (c *awsCLI) run(out any, args ...string) {
	c.t.Helper()
	stdout, err := c.try(args...)
	if err != nil {
		c.t.Fatal(err)
	}
	if out == nil || len(bytes.TrimSpace(stdout)) == 0 {
		return
	}
	if err := json.Unmarshal(stdout, out); err != nil {
		c.t.Fatalf("aws %s: decode answer: %v\n%s", args[0], err, stdout)
	}
}

// fault runs an aws swf command that must fail with the named fault.
func (c *awsCLI) fault(fault string, args ...string) {
	c.t.Helper()
	_, err := c.try(args...)
	if err == nil {
		c.t.Fatalf("aws %s succeeded, want %s", args[0], fault)
	}
	if !strings.Contains(err.Error(), fault) {
		c.t.Fatalf("got %v, want %s", err, fault)
	}
}

// history reads an execution's whole history (the CLI follows the pages).
func (c *awsCLI) history(domain, workflowID, runID string) []cliEvent {
	c.t.Helper()
	var h struct{ Events []cliEvent }
	c.run(&h, "get-workflow-execution-history", "--domain", domain,
		"--execution", "workflowId="+workflowID+",runId="+runID)
	return h.Events
}

// cliEvent is the part of a history event, as the CLI prints it, that
// these tests read.
type cliEvent struct {
	EventID        int64   `json:"eventId"`
	EventType      string  `json:"eventType"`
	EventTimestamp cliTime `json:"eventTimestamp"`

	ActivityTaskScheduled *struct {
		ActivityID       string `json:"activityId"`
		HeartbeatTimeout string `json:"heartbeatTimeout"`
	} `json:"activityTaskScheduledEventAttributes"`
	ActivityTaskStarted *struct {
		ScheduledEventID int64 `json:"scheduledEventId"`
	} `json:"activityTaskStartedEventAttributes"`
	ActivityTaskCancelRequested *struct {
		ActivityID                   string `json:"activityId"`
		DecisionTaskCompletedEventID int64  `json:"decisionTaskCompletedEventId"`
	} `json:"activityTaskCancelRequestedEventAttributes"`
	ActivityTaskCanceled *struct {
		Details                      *string `json:"details"`
		ScheduledEventID             int64   `json:"scheduledEventId"`
		StartedEventID               int64   `json:"startedEventId"`
		LatestCancelRequestedEventID int64   `json:"latestCancelRequestedEventId"`
	} `json:"activityTaskCanceledEventAttributes"`
	ActivityTaskTimedOut *struct {
		TimeoutType      string  `json:"timeoutType"`
		Details          *string `json:"details"`
		ScheduledEventID int64   `json:"scheduledEventId"`
		StartedEventID   int64   `json:"startedEventId"`
	} `json:"activityTaskTimedOutEventAttributes"`
	WorkflowExecutionSignaled *struct {
		SignalName string `json:"signalName"`
		Input      string `json:"input"`
	} `json:"workflowExecutionSignaledEventAttributes"`
}

// cliTime is a timestamp as the CLI prints it: the wire's epoch seconds
// (CLI v1's default) or an ISO 8601 string (v2's default).
type cliTime struct{ time.Time }

func (ct *cliTime) UnmarshalJSON(b []byte) error {
	var secs float64
	if err := json.Unmarshal(b, &secs); err == nil {
		whole, frac := math.Modf(secs)
		ct.Time = time.Unix(int64(whole), int64(math.Round(frac*1000))*int64(time.Millisecond))
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("timestamp %s: neither a number nor a string", b)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return err
	}
	ct.Time = t
	return nil
}

// find returns the events of one type.
func find(events []cliEvent, eventType string) []cliEvent {
	var out []cliEvent
	for _, ev := range events {
		if ev.EventType == eventType {
			out = append(out, ev)
		}
	}
	return out
}

func cliEventIDs(events []cliEvent) []int64 {
	ids := make([]int64, len(events))
	for i, ev := range events {
		ids[i] = ev.EventID
	}
	return ids
}

// pollAnswer is the part of a PollForDecisionTask or PollForActivityTask
// answer the story reads.
type pollAnswer struct {
	TaskToken      string     `json:"taskToken"`
	ActivityID     string     `json:"activityId"`
	Input          string     `json:"input"`
	StartedEventID int64      `json:"startedEventId"`
	Events         []cliEvent `json:"events"`
}

type heartbeatAnswer struct {
	CancelRequested *bool `json:"cancelRequested"`
}

// heartbeat records a heartbeat and checks the cancelRequested answer.
func (c *awsCLI) heartbeat(token, details string, wantCancel bool) {
	c.t.Helper()
	var hb heartbeatAnswer
	c.run(&hb, "record-activity-task-heartbeat", "--task-token", token, "--details", details)
	checkCancelRequested(c.t, hb, details, wantCancel)
}

func checkCancelRequested(t testing.TB, hb heartbeatAnswer, details string, want bool) {
	t.Helper()
	if hb.CancelRequested == nil {
		t.Fatalf("heartbeat %q: answer has no cancelRequested", details)
	}
	if *hb.CancelRequested != want {
		t.Fatalf("heartbeat %q: got cancelRequested %v, want %v", details, *hb.CancelRequested, want)
	}
}

// TestHeartbeatStoryAWSCLI tells the heartbeat story with the AWS CLI, as a
// user would: a decider schedules an activity, the worker heartbeats, the
// decider (woken by a signal) asks to cancel it, the next heartbeat answers
// cancelRequested true and the worker cancels; a second activity stops
// heartbeating and times out with its last details at the right time.
func TestHeartbeatStoryAWSCLI(t *testing.T) {
	skipIfShort(t)
	t.Parallel()
	requireAWSCLI(t)
	srv := startServer(t, t.TempDir())
	cli := newAWSCLI(t, srv.url)

	const (
		domain  = "cli-story"
		decider = "deciders"
		workers = "workers"
		// The activity type's default heartbeat timeout: long enough that a
		// loaded machine (CI runs many packages at once) starting the next
		// aws process does not make the heartbeat after a poll late.
		hbSecs   = 15
		wfID     = "order-1"
		actType  = "name=charge,version=1"
		wantInfo = "charge card 4242"
	)
	hbTimeout := hbSecs * time.Second

	cli.run(nil, "register-domain", "--name", domain, "--workflow-execution-retention-period-in-days", "1")
	cli.run(nil, "register-workflow-type", "--domain", domain, "--name", "order", "--workflow-version", "1",
		"--default-task-list", "name="+decider, "--default-child-policy", "TERMINATE",
		"--default-execution-start-to-close-timeout", "600", "--default-task-start-to-close-timeout", "60")
	cli.run(nil, "register-activity-type", "--domain", domain, "--name", "charge", "--activity-version", "1",
		"--default-task-list", "name="+workers, "--default-task-heartbeat-timeout", fmt.Sprint(hbSecs),
		"--default-task-schedule-to-start-timeout", "60", "--default-task-start-to-close-timeout", "300",
		"--default-task-schedule-to-close-timeout", "360")

	var started struct{ RunID string }
	cli.run(&started, "start-workflow-execution", "--domain", domain, "--workflow-id", wfID,
		"--workflow-type", "name=order,version=1", "--input", "order 1")
	if started.RunID == "" {
		t.Fatal("start-workflow-execution answered no runId")
	}
	runID := started.RunID

	// pollDecision takes the next decision task and checks it shows the
	// event that caused it.
	pollDecision := func(wantEvent string) pollAnswer {
		t.Helper()
		var dt pollAnswer
		cli.run(&dt, "poll-for-decision-task", "--domain", domain, "--task-list", "name="+decider, "--identity", "decider-1")
		if dt.TaskToken == "" {
			t.Fatalf("poll-for-decision-task waiting for %s: no task", wantEvent)
		}
		if len(find(dt.Events, wantEvent)) == 0 {
			t.Fatalf("decision task has no %s event: %+v", wantEvent, dt.Events)
		}
		return dt
	}
	decide := func(dt pollAnswer, decisions string) {
		t.Helper()
		cli.run(nil, "respond-decision-task-completed", "--task-token", dt.TaskToken, "--decisions", decisions)
	}
	pollActivity := func(wantID string) pollAnswer {
		t.Helper()
		var at pollAnswer
		cli.run(&at, "poll-for-activity-task", "--domain", domain, "--task-list", "name="+workers, "--identity", "worker-1")
		if at.TaskToken == "" || at.ActivityID != wantID {
			t.Fatalf("poll-for-activity-task: got activity %q (token %q), want %s", at.ActivityID, at.TaskToken, wantID)
		}
		return at
	}

	// The first activity gets a long heartbeat timeout in its decision: the
	// CLI is slow to start, and this part of the story is about
	// cancellation, not about timing out.
	dt := pollDecision("WorkflowExecutionStarted")
	decide(dt, `[{"decisionType":"ScheduleActivityTask","scheduleActivityTaskDecisionAttributes":{
		"activityId":"charge-1","activityType":{"name":"charge","version":"1"},
		"heartbeatTimeout":"120","input":"`+wantInfo+`"}}]`)
	at := pollActivity("charge-1")
	if at.Input != wantInfo {
		t.Errorf("activity input: got %q, want %q", at.Input, wantInfo)
	}
	cli.heartbeat(at.TaskToken, "10%", false)

	// The same call from a --cli-input-json document.
	input, err := json.Marshal(map[string]string{"taskToken": at.TaskToken, "details": "20%"})
	if err != nil {
		t.Fatal(err)
	}
	var hb heartbeatAnswer
	cli.run(&hb, "record-activity-task-heartbeat", "--cli-input-json", string(input))
	checkCancelRequested(t, hb, "20% (--cli-input-json)", false)

	// The decider needs a decision task to cancel the activity: a signal
	// gives it one.
	cli.run(nil, "signal-workflow-execution", "--domain", domain, "--workflow-id", wfID, "--run-id", runID,
		"--signal-name", "customer-cancelled", "--input", "changed my mind")
	dt = pollDecision("WorkflowExecutionSignaled")
	if sig := find(dt.Events, "WorkflowExecutionSignaled")[0].WorkflowExecutionSignaled; sig == nil ||
		sig.SignalName != "customer-cancelled" || sig.Input != "changed my mind" {
		t.Errorf("signal event attributes: got %+v, want customer-cancelled / changed my mind", sig)
	}
	decide(dt, `[{"decisionType":"RequestCancelActivityTask","requestCancelActivityTaskDecisionAttributes":{"activityId":"charge-1"}}]`)

	cli.heartbeat(at.TaskToken, "30%", true)
	cli.run(nil, "respond-activity-task-canceled", "--task-token", at.TaskToken, "--details", "stopped at 30%")
	// The task is closed: its token is dead.
	cli.fault("UnknownResourceFault", "record-activity-task-heartbeat", "--task-token", at.TaskToken, "--details", "40%")

	events := cli.history(domain, wfID, runID)
	checkEventIDs(t, "history after cancel", cliEventIDs(events))
	reqs := find(events, "ActivityTaskCancelRequested")
	canc := find(events, "ActivityTaskCanceled")
	if len(reqs) != 1 || len(canc) != 1 {
		t.Fatalf("got %d ActivityTaskCancelRequested and %d ActivityTaskCanceled events, want 1 and 1", len(reqs), len(canc))
	}
	if a := reqs[0].ActivityTaskCancelRequested; a == nil || a.ActivityID != "charge-1" || a.DecisionTaskCompletedEventID == 0 {
		t.Errorf("ActivityTaskCancelRequested attributes: got %+v, want activityId charge-1 and its decision", a)
	}
	sched := find(events, "ActivityTaskScheduled")
	if len(sched) != 1 {
		t.Fatalf("got %d ActivityTaskScheduled events, want 1", len(sched))
	}
	if a := sched[0].ActivityTaskScheduled; a == nil || a.HeartbeatTimeout != "120" {
		t.Errorf("ActivityTaskScheduled: got %+v, want the decision's heartbeatTimeout 120", a)
	}
	c := canc[0].ActivityTaskCanceled
	switch {
	case c == nil || c.Details == nil || *c.Details != "stopped at 30%":
		t.Errorf("ActivityTaskCanceled: got %+v, want details %q", c, "stopped at 30%")
	case c.LatestCancelRequestedEventID != reqs[0].EventID:
		t.Errorf("ActivityTaskCanceled.latestCancelRequestedEventId: got %d, want %d", c.LatestCancelRequestedEventID, reqs[0].EventID)
	case c.ScheduledEventID != sched[0].EventID || c.StartedEventID != at.StartedEventID:
		t.Errorf("ActivityTaskCanceled: got scheduled/started %d/%d, want %d/%d", c.ScheduledEventID, c.StartedEventID, sched[0].EventID, at.StartedEventID)
	}

	// Second activity: the type's default heartbeat timeout, one heartbeat
	// with "75%", then silence until it times out.
	dt = pollDecision("ActivityTaskCanceled")
	decide(dt, `[{"decisionType":"ScheduleActivityTask","scheduleActivityTaskDecisionAttributes":{
		"activityId":"charge-2","activityType":{"name":"charge","version":"1"}}}]`)
	at = pollActivity("charge-2")
	cli.heartbeat(at.TaskToken, "50%", false)
	lastSent := time.Now()
	cli.heartbeat(at.TaskToken, "75%", false)
	lastAcked := time.Now()

	var timedOut cliEvent
	waitFor(t, 15*time.Second, 200*time.Millisecond, "ActivityTaskTimedOut", func() (bool, error) {
		events = cli.history(domain, wfID, runID)
		if got := find(events, "ActivityTaskTimedOut"); len(got) > 0 {
			timedOut = got[0]
			return true, nil
		}
		return false, nil
	})
	seen := time.Now()
	a := timedOut.ActivityTaskTimedOut
	if a == nil || a.TimeoutType != "HEARTBEAT" || a.Details == nil || *a.Details != "75%" {
		t.Fatalf("ActivityTaskTimedOut attributes: got %+v, want HEARTBEAT with details 75%%", a)
	}
	if a.StartedEventID != at.StartedEventID {
		t.Errorf("ActivityTaskTimedOut.startedEventId: got %d, want %d", a.StartedEventID, at.StartedEventID)
	}
	// The server received the last heartbeat between lastSent and
	// lastAcked; the clock restarts there. Event timestamps have
	// milliseconds.
	at0 := timedOut.EventTimestamp.Time
	if earliest := lastSent.Truncate(time.Millisecond).Add(hbTimeout); at0.Before(earliest) {
		t.Errorf("ActivityTaskTimedOut at %v, %v after the last heartbeat was sent: want at least the %v heartbeat timeout",
			at0.Format(time.RFC3339Nano), at0.Sub(lastSent), hbTimeout)
	}
	if latest := lastAcked.Add(hbTimeout + 3*time.Second); at0.After(latest) {
		t.Errorf("ActivityTaskTimedOut at %v, %v after the last heartbeat was answered: want within %v + 3s",
			at0.Format(time.RFC3339Nano), at0.Sub(lastAcked), hbTimeout)
	}
	t.Logf("heartbeat timeout %v: timed out %v after the last heartbeat was answered; the CLI saw it %v after",
		hbTimeout, at0.Sub(lastAcked).Round(time.Millisecond), seen.Sub(lastAcked).Round(time.Millisecond))
	cli.fault("UnknownResourceFault", "record-activity-task-heartbeat", "--task-token", at.TaskToken, "--details", "80%")

	// The decider sees the timeout and closes the workflow.
	dt = pollDecision("ActivityTaskTimedOut")
	decide(dt, `[{"decisionType":"CompleteWorkflowExecution","completeWorkflowExecutionDecisionAttributes":{"result":"gave up"}}]`)
	var desc struct {
		ExecutionInfo struct {
			ExecutionStatus string `json:"executionStatus"`
			CloseStatus     string `json:"closeStatus"`
		} `json:"executionInfo"`
	}
	cli.run(&desc, "describe-workflow-execution", "--domain", domain, "--execution", "workflowId="+wfID+",runId="+runID)
	if desc.ExecutionInfo.ExecutionStatus != "CLOSED" || desc.ExecutionInfo.CloseStatus != "COMPLETED" {
		t.Errorf("describe-workflow-execution: got %s/%s, want CLOSED/COMPLETED", desc.ExecutionInfo.ExecutionStatus, desc.ExecutionInfo.CloseStatus)
	}
	events = cli.history(domain, wfID, runID)
	checkEventIDs(t, "final history", cliEventIDs(events))
	for _, et := range []string{"ActivityTaskCanceled", "ActivityTaskTimedOut", "WorkflowExecutionCompleted"} {
		if n := len(find(events, et)); n != 1 {
			t.Errorf("final history has %d %s events, want 1", n, et)
		}
	}
}
