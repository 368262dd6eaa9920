package conformance

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openswf/openswf/internal/swftest"
)

// TestAnswerKeysMatchAWS compares the raw JSON of our answers with the
// answers AWS itself sent (testdata/aws, one file per sample; SOURCES.md
// says where each comes from and what situation it shows). For each sample
// the test recreates the sample's situation against a fresh server, with the
// inputs the sample implies (tags, input, task lists, open or closed), and
// compares the SET OF KEY PATHS of the two answers, recursively: values
// (ids, times, tokens) are not compared, list elements are collapsed into
// "[]", and history events are compared per event type, for the event types
// both answers hold. SDKs forgive a missing or extra member; frameworks that
// read the JSON themselves do not.
//
// Every difference fails the test unless it is listed, with its reason, in
// olderThanModel (the sample predates or postdates a change of the model) or
// knownGaps (our answer is wrong and is to be fixed). An entry that no
// longer matches a difference fails the test too, so the lists only shrink.
//
// Operations whose AWS answer is empty (Content-Length: 0 in the API
// Reference examples and in the recorded TerminateWorkflowExecution answer)
// are checked on every call the situations make: our answer must have no
// key (see emptyAnswerOps).
func TestAnswerKeysMatchAWS(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "aws", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples in testdata/aws (%v)", err)
	}
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(filepath.Base(f), ".json"))
	}
	for name := range goldenSituations {
		if !slices.Contains(names, name) {
			t.Errorf("situation %s has no sample testdata/aws/%s.json", name, name)
		}
	}
	used := map[string]bool{}
	var usedMu sync.Mutex
	mark := func(k string) {
		usedMu.Lock()
		defer usedMu.Unlock()
		used[k] = true
	}
	t.Run("samples", func(t *testing.T) {
		for i, name := range names {
			file := files[i]
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				situation, ok := goldenSituations[name]
				if !ok {
					t.Fatalf("sample %s has no situation in goldenSituations", file)
				}
				raw, err := os.ReadFile(file)
				if err != nil {
					t.Fatalf("read %s: %v", file, err)
				}
				var sample map[string]any
				if err := json.Unmarshal(raw, &sample); err != nil {
					t.Fatalf("%s is not a JSON object: %v", file, err)
				}
				ours := situation(newGoldenWorld(t))
				for _, d := range compareKeys(name, sample, ours) {
					if why, ok := olderThanModel[d]; ok {
						mark(d)
						t.Logf("allowed %s (%s)", d, why)
						continue
					}
					if why, ok := knownGaps[d]; ok {
						mark(d)
						t.Logf("known gap %s (%s)", d, why)
						continue
					}
					t.Errorf("%s", describeDiff(d))
				}
			})
		}
	})
	if t.Failed() {
		return
	}
	for _, list := range []map[string]string{olderThanModel, knownGaps} {
		for k := range list {
			if !used[k] {
				t.Errorf("list entry %q matches no difference any more: delete it", k)
			}
		}
	}
}

// A difference is "<sample>|<sign><path>": "-" a key AWS sent that our answer
// lacks, "+" a key we sent that AWS's answer lacks, "!" an event type the
// sample holds that our recreated situation did not produce.
func describeDiff(d string) string {
	sample, rest, _ := strings.Cut(d, "|")
	switch rest[0] {
	case '-':
		return sample + ": AWS sends " + rest[1:] + ", we do not"
	case '+':
		return sample + ": we send " + rest[1:] + ", AWS does not"
	default:
		return sample + ": the sample has " + rest[1:] + " events, our history none (situation not recreated)"
	}
}

// olderThanModel lists the differences that come from the sample, not from
// our answer: members the model gained after the sample was written (we
// send them, as AWS does today) and members AWS sent then or sends outside
// the model (no SDK reads them).
var olderThanModel = map[string]string{
	// DomainInfo.arn came with domain tagging (aws-sdk-go v1.20.15,
	// 2019-07-03); the examples were captured in January 2012.
	"DescribeDomain|+domainInfo.arn": "DomainInfo.arn added to the model 2019-07",
	"ListDomains|+domainInfos[].arn": "DomainInfo.arn added to the model 2019-07",
	// openLambdaFunctions came with Lambda tasks (2015); every answer
	// recorded from AWS since (simpleflow cassettes 2016-2023, the
	// DescribeWorkflowExecution.* samples here) has it, 0 or not.
	"DescribeWorkflowExecution|+openCounts.openLambdaFunctions": "openLambdaFunctions added to the model 2015; 2012 sample",
	// DecisionTaskScheduledEventAttributes.scheduleToStartTimeout came with
	// the task list override of August 2023 (aws-sdk-go v1.44.322,
	// 2023-08-11); AWS writes it ("NONE" by default) in every
	// DecisionTaskScheduled since: GetWorkflowExecutionHistory.failed-activity
	// (recorded 2023-07-20 in us-east-1, as the feature rolled out) has it.
	// The 2012 examples and the 2017 recordings predate it.
	"GetWorkflowExecutionHistory|+events[eventType=DecisionTaskScheduled].decisionTaskScheduledEventAttributes.scheduleToStartTimeout":                  "added to the model 2023-08; 2012 sample",
	"PollForDecisionTask|+events[eventType=DecisionTaskScheduled].decisionTaskScheduledEventAttributes.scheduleToStartTimeout":                          "added to the model 2023-08; 2012 sample",
	"GetWorkflowExecutionHistory.child|+events[eventType=DecisionTaskScheduled].decisionTaskScheduledEventAttributes.scheduleToStartTimeout":            "added to the model 2023-08; recorded 2017",
	"GetWorkflowExecutionHistory.cancel-requested|+events[eventType=DecisionTaskScheduled].decisionTaskScheduledEventAttributes.scheduleToStartTimeout": "added to the model 2023-08; recorded 2017",
	"GetWorkflowExecutionHistory.signals|+events[eventType=DecisionTaskScheduled].decisionTaskScheduledEventAttributes.scheduleToStartTimeout":          "added to the model 2023-08; recorded 2017",
	"GetWorkflowExecutionHistory.timers|+events[eventType=DecisionTaskScheduled].decisionTaskScheduledEventAttributes.scheduleToStartTimeout":           "added to the model 2023-08; recorded 2017",
	// ActivityTaskTimedOutEventAttributes.latestHeartbeatRecordedEventId
	// is in the 2012 example but not in today's model (the current API
	// Reference page dropped it from the same example).
	"GetWorkflowExecutionHistory|-events[eventType=ActivityTaskTimedOut].activityTaskTimedOutEventAttributes.latestHeartbeatRecordedEventId": "member removed from the model",
	// AWS sends these two in DescribeWorkflowExecution since at least
	// 2023, but they are in no version of the model: SDKs drop them.
	"DescribeWorkflowExecution.closed-failed|-executionInfo.reopenGenerationId": "not in the service model (model-2012-01-25.json); SDKs drop it",
	"DescribeWorkflowExecution.closed-failed|-executionInfo.reopenable":         "not in the service model (model-2012-01-25.json); SDKs drop it",
}

// knownGaps lists differences where our answer is wrong. Each is reported;
// delete the entry when the server is fixed.
var knownGaps = map[string]string{}

// compareKeys returns the differences between the key paths of AWS's sample
// and of our answer, sorted.
func compareKeys(name string, sample, ours map[string]any) []string {
	sp, op := keyPaths(sample), keyPaths(ours)
	sTypes, oTypes := eventTypesOf(sample), eventTypesOf(ours)
	var diffs []string
	for typ := range sTypes {
		if !oTypes[typ] {
			diffs = append(diffs, name+"|!"+typ)
		}
	}
	// Paths under an event type only one side holds are not compared.
	comparable := func(p string) bool {
		typ, ok := eventTypeOfPath(p)
		return !ok || (sTypes[typ] && oTypes[typ])
	}
	for p := range sp {
		if !op[p] && comparable(p) {
			diffs = append(diffs, name+"|-"+p)
		}
	}
	for p := range op {
		if !sp[p] && comparable(p) {
			diffs = append(diffs, name+"|+"+p)
		}
	}
	sort.Strings(diffs)
	return diffs
}

// keyPaths lists the key paths of an answer: "a.b" for member b of member
// a, "a[].b" for member b of the elements of list a, and, in the events list
// of a history or decision task, "events[eventType=T].x" for member x of the
// events of type T.
func keyPaths(v map[string]any) map[string]bool {
	out := map[string]bool{}
	walkKeys("", v, out)
	return out
}

func walkKeys(prefix string, v any, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, w := range x {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			out[p] = true
			walkKeys(p, w, out)
		}
	case []any:
		for _, e := range x {
			ev, isObj := e.(map[string]any)
			typ, _ := ev["eventType"].(string)
			if prefix == "events" && isObj && typ != "" {
				walkKeys("events[eventType="+typ+"]", ev, out)
				continue
			}
			walkKeys(prefix+"[]", e, out)
		}
	}
}

func eventTypesOf(v map[string]any) map[string]bool {
	out := map[string]bool{}
	events, _ := v["events"].([]any)
	for _, e := range events {
		if ev, ok := e.(map[string]any); ok {
			if typ, ok := ev["eventType"].(string); ok {
				out[typ] = true
			}
		}
	}
	return out
}

func eventTypeOfPath(p string) (string, bool) {
	rest, ok := strings.CutPrefix(p, "events[eventType=")
	if !ok {
		return "", false
	}
	typ, _, ok := strings.Cut(rest, "]")
	return typ, ok
}

// emptyAnswerOps are the operations whose AWS answer has no body at all:
// the API Reference examples of each answer "Content-Length: 0", and the
// TerminateWorkflowExecution answer recorded from AWS in simpleflow's
// test_simpleflow_workflow_terminate.yaml is ” with content-length 0.
var emptyAnswerOps = map[string]bool{
	"RegisterDomain": true, "RegisterWorkflowType": true, "RegisterActivityType": true,
	"DeprecateDomain": true, "DeprecateWorkflowType": true, "DeprecateActivityType": true,
	"RequestCancelWorkflowExecution": true, "SignalWorkflowExecution": true,
	"TerminateWorkflowExecution": true, "RespondDecisionTaskCompleted": true,
	"RespondActivityTaskCompleted": true, "RespondActivityTaskFailed": true,
	"RespondActivityTaskCanceled": true,
}

// M is a JSON object for a raw request.
type M = map[string]any

// goldenWorld is one server with the domain of the examples, talked to only
// with raw JSON, so that every request says exactly what the sample's
// request said and nothing more.
type goldenWorld struct {
	t   *testing.T
	env *swftest.Env
}

// The names of the API Reference examples (captured in January 2012).
const (
	exDomain    = "867530901"
	exWorkflow  = "20110927-T-1"
	exDecisions = "specialTaskList"
	exInput     = "arbitrary-string-that-is-meaningful-to-the-workflow"
	exTaskList  = "mainTaskList"
)

var (
	exWorkflowType = M{"name": "customerOrderWorkflow", "version": "1.0"}
	exActivityType = M{"name": "activityVerify", "version": "1.0"}
	exTags         = []string{"music purchase", "digital", "ricoh-the-dog"}
)

func newGoldenWorld(t *testing.T) *goldenWorld {
	w := &goldenWorld{t: t, env: swftest.Start(t)}
	// The RegisterDomain example.
	w.call("RegisterDomain", M{"name": exDomain, "description": "music", "workflowExecutionRetentionPeriodInDays": "60"})
	return w
}

// call sends op with body and returns the decoded answer, failing unless it
// is 200. An operation AWS answers with an empty body must answer no key.
func (w *goldenWorld) call(op string, body M) map[string]any {
	w.t.Helper()
	res := w.env.Raw(w.t, op, swftest.JSON(w.t, body))
	if res.Status != 200 {
		w.t.Fatalf("%s: HTTP %d %s", op, res.Status, res.Body)
	}
	if emptyAnswerOps[op] && len(res.JSON) != 0 {
		w.t.Errorf("%s: answered %s; AWS answers an empty body, no key", op, res.Body)
	}
	if res.JSON == nil && len(strings.TrimSpace(string(res.Body))) != 0 {
		w.t.Fatalf("%s: answer %q is not a JSON object", op, res.Body)
	}
	return res.JSON
}

// exampleTypes registers the workflow and activity types of the
// RegisterWorkflowType and RegisterActivityType examples.
func (w *goldenWorld) exampleTypes() {
	w.call("RegisterWorkflowType", M{
		"domain": exDomain, "name": "customerOrderWorkflow", "version": "1.0",
		"description": "Handle customer orders", "defaultTaskStartToCloseTimeout": "600",
		"defaultExecutionStartToCloseTimeout": "3600", "defaultTaskList": M{"name": exTaskList},
		"defaultChildPolicy": "TERMINATE",
	})
	w.call("RegisterActivityType", M{
		"domain": exDomain, "name": "activityVerify", "version": "1.0",
		"description": "Verify the customer credit card", "defaultTaskStartToCloseTimeout": "600",
		"defaultTaskHeartbeatTimeout": "120", "defaultTaskList": M{"name": exTaskList},
		"defaultTaskScheduleToStartTimeout": "300", "defaultTaskScheduleToCloseTimeout": "900",
	})
}

// exampleStart starts workflowID as the executions of the examples were:
// task list, input, tags, both timeouts and the child policy given.
func (w *goldenWorld) exampleStart(workflowID string) string {
	out := w.call("StartWorkflowExecution", M{
		"domain": exDomain, "workflowId": workflowID, "workflowType": exWorkflowType,
		"taskList": M{"name": exDecisions}, "input": exInput,
		"executionStartToCloseTimeout": "3600", "tagList": exTags,
		"taskStartToCloseTimeout": "600", "childPolicy": "TERMINATE",
	})
	return out["runId"].(string)
}

// pollDecision takes a decision task that must be there.
func (w *goldenWorld) pollDecision(taskList, identity string, extra M) map[string]any {
	w.t.Helper()
	body := M{"domain": exDomain, "taskList": M{"name": taskList}, "identity": identity}
	for k, v := range extra {
		body[k] = v
	}
	out := w.call("PollForDecisionTask", body)
	if _, ok := out["taskToken"].(string); !ok {
		w.t.Fatalf("PollForDecisionTask %s: no task", taskList)
	}
	return out
}

// pollActivity takes an activity task that must be there.
func (w *goldenWorld) pollActivity(taskList, identity string) map[string]any {
	w.t.Helper()
	out := w.call("PollForActivityTask", M{"domain": exDomain, "taskList": M{"name": taskList}, "identity": identity})
	if _, ok := out["taskToken"].(string); !ok {
		w.t.Fatalf("PollForActivityTask %s: no task", taskList)
	}
	return out
}

func (w *goldenWorld) decide(task map[string]any, executionContext string, decisions ...M) {
	w.t.Helper()
	body := M{"taskToken": task["taskToken"], "decisions": decisions}
	if decisions == nil {
		body["decisions"] = []M{}
	}
	if executionContext != "" {
		body["executionContext"] = executionContext
	}
	w.call("RespondDecisionTaskCompleted", body)
}

// exampleSchedule is the decision of the RespondDecisionTaskCompleted
// example; taskList "" leaves the type's default.
func exampleSchedule(taskList string) M {
	a := M{
		"activityType": exActivityType, "activityId": "verification-27",
		"control": "digital music", "input": "5634-0056-4367-0923,12/12,437",
		"scheduleToCloseTimeout": "900", "scheduleToStartTimeout": "300",
		"startToCloseTimeout": "600", "heartbeatTimeout": "120",
	}
	if taskList != "" {
		a["taskList"] = M{"name": taskList}
	}
	return M{"decisionType": "ScheduleActivityTask", "scheduleActivityTaskDecisionAttributes": a}
}

func (w *goldenWorld) history(workflowID, runID string, extra M) map[string]any {
	body := M{"domain": exDomain, "execution": M{"workflowId": workflowID, "runId": runID}}
	for k, v := range extra {
		body[k] = v
	}
	return w.call("GetWorkflowExecutionHistory", body)
}

func (w *goldenWorld) describe(workflowID, runID string) map[string]any {
	return w.call("DescribeWorkflowExecution", M{"domain": exDomain, "execution": M{"workflowId": workflowID, "runId": runID}})
}

// timeFilter spans the whole test: from a day before the fake clock's start
// to a month after it.
func timeFilter() M {
	return M{
		"oldestDate": float64(swftest.Epoch.Add(-24 * time.Hour).Unix()),
		"latestDate": float64(swftest.Epoch.Add(30 * 24 * time.Hour).Unix()),
	}
}

// timedOutExamples runs three executions of the examples' workflow to their
// execution timeout, as in the ListClosedWorkflowExecutions example (three
// TIMED_OUT runs of 20110927-T-1, tags given).
func (w *goldenWorld) timedOutExamples() {
	w.exampleTypes()
	for range 3 {
		w.exampleStart(exWorkflow)
		w.env.Clock.Advance(3601 * time.Second)
	}
}

// Simpleflow's integration tests (the recorded answers of the *.<situation>
// samples) run workflow type example/example, registered with four defaults
// and no description, and give the task list, child policy and input when
// they start an execution.
const (
	sfWorkflowID = "test-simpleflow-workflow"
	sfTaskList   = "test-simpleflow-workflow-7b8bdb3dab084b9ea9a468b2182513c6"
	sfIdentity   = `{"hostname":"zeb-Precision-T3610","pid":26933,"user":"zeb"}`
)

var sfWorkflowType = M{"name": "example", "version": "example"}

func (w *goldenWorld) sfTypes() {
	for _, name := range []string{"example", "tests.integration.workflow.ChainTestWorkflow"} {
		w.call("RegisterWorkflowType", M{
			"domain": exDomain, "name": name, "version": "example",
			"defaultChildPolicy": "TERMINATE", "defaultExecutionStartToCloseTimeout": "300",
			"defaultTaskList": M{"name": "None"}, "defaultTaskStartToCloseTimeout": "300",
		})
	}
	w.call("RegisterActivityType", M{"domain": exDomain, "name": "tests.integration.workflow.pingpong_activity", "version": "example"})
}

func (w *goldenWorld) sfStart(input string) string {
	out := w.call("StartWorkflowExecution", M{
		"domain": exDomain, "workflowId": sfWorkflowID, "workflowType": sfWorkflowType,
		"taskList": M{"name": sfTaskList}, "childPolicy": "TERMINATE", "input": input,
	})
	return out["runId"].(string)
}

// sfSchedule is the ScheduleActivityTask decision simpleflow sends: every
// timeout, the task list and the input given, no control, no priority.
func sfSchedule(id string) M {
	return M{"decisionType": "ScheduleActivityTask", "scheduleActivityTaskDecisionAttributes": M{
		"activityId": id, "activityType": M{"name": "tests.integration.workflow.pingpong_activity", "version": "example"},
		"heartbeatTimeout": "300", "scheduleToCloseTimeout": "300", "scheduleToStartTimeout": "300",
		"startToCloseTimeout": "300", "taskList": M{"name": sfTaskList}, "input": `{"args":["ab",5242880],"kwargs":{}}`,
	}}
}

// sfFailedActivity is test_failing_activity.yaml: the activity fails with a
// reason and no details, then the decider fails the workflow with both.
func (w *goldenWorld) sfFailedActivity() string {
	w.sfTypes()
	runID := w.sfStart(`{"args":[],"kwargs":{}}`)
	w.decide(w.pollDecision(sfTaskList, sfIdentity, nil), "", sfSchedule("activity-1"))
	task := w.pollActivity(sfTaskList, sfIdentity)
	w.call("RespondActivityTaskFailed", M{"taskToken": task["taskToken"], "reason": "JumboTooLargeError: Message too long (10485762 chars)"})
	w.decide(w.pollDecision(sfTaskList, sfIdentity, nil), "", M{
		"decisionType": "FailWorkflowExecution",
		"failWorkflowExecutionDecisionAttributes": M{"reason": "Cannot replay the workflow", "details": "Traceback: ..."},
	})
	return runID
}

// sfCancelRequested is test_cancel_requested.yaml: an activity is started,
// the execution's cancellation is requested through the API, and the decider
// cancels the workflow (no details) while the activity is still open.
func (w *goldenWorld) sfCancelRequested() string {
	w.sfTypes()
	runID := w.sfStart(`{"args":[true],"kwargs":{}}`)
	w.decide(w.pollDecision(sfTaskList, sfIdentity, nil), "", sfSchedule("activity-1"))
	w.pollActivity(sfTaskList, sfIdentity)
	w.call("RequestCancelWorkflowExecution", M{"domain": exDomain, "workflowId": sfWorkflowID, "runId": runID})
	w.decide(w.pollDecision(sfTaskList, sfIdentity, nil), "", M{
		"decisionType": "CancelWorkflowExecution", "cancelWorkflowExecutionDecisionAttributes": M{},
	})
	return runID
}

func timer(id, seconds string) M {
	return M{"decisionType": "StartTimer", "startTimerDecisionAttributes": M{"timerId": id, "startToFireTimeout": seconds}}
}

func complete(result string) M {
	return M{"decisionType": "CompleteWorkflowExecution", "completeWorkflowExecutionDecisionAttributes": M{"result": result}}
}

func marker(name string) M {
	return M{"decisionType": "RecordMarker", "recordMarkerDecisionAttributes": M{"markerName": name}}
}

// goldenSituations recreates, for each sample, the situation of AWS's
// answer and returns our answer to the same request.
var goldenSituations = map[string]func(w *goldenWorld) map[string]any{
	// API Reference examples, January 2012.
	"CountClosedWorkflowExecutions": func(w *goldenWorld) map[string]any {
		w.timedOutExamples()
		return w.call("CountClosedWorkflowExecutions", M{"domain": exDomain, "closeTimeFilter": timeFilter(), "closeStatusFilter": M{"status": "TIMED_OUT"}})
	},
	"CountOpenWorkflowExecutions": func(w *goldenWorld) map[string]any {
		w.exampleTypes()
		w.exampleStart(exWorkflow)
		return w.call("CountOpenWorkflowExecutions", M{"domain": exDomain, "startTimeFilter": timeFilter(), "tagFilter": M{"tag": "ricoh-the-dog"}})
	},
	"CountPendingActivityTasks": func(w *goldenWorld) map[string]any {
		w.exampleTypes()
		w.exampleStart(exWorkflow)
		w.decide(w.pollDecision(exDecisions, "Decider01", nil), "Black Friday", exampleSchedule(exDecisions))
		return w.call("CountPendingActivityTasks", M{"domain": exDomain, "taskList": M{"name": exDecisions}})
	},
	"CountPendingDecisionTasks": func(w *goldenWorld) map[string]any {
		w.exampleTypes()
		w.exampleStart(exWorkflow)
		w.exampleStart("20110927-T-2")
		return w.call("CountPendingDecisionTasks", M{"domain": exDomain, "taskList": M{"name": exDecisions}})
	},
	"DescribeActivityType": func(w *goldenWorld) map[string]any {
		w.exampleTypes()
		return w.call("DescribeActivityType", M{"domain": exDomain, "activityType": exActivityType})
	},
	"DescribeDomain": func(w *goldenWorld) map[string]any {
		return w.call("DescribeDomain", M{"name": exDomain})
	},
	"DescribeWorkflowExecution": func(w *goldenWorld) map[string]any {
		// Open, its first decision task scheduled and not yet taken (the
		// PollForDecisionTask example takes it four minutes later).
		w.exampleTypes()
		runID := w.exampleStart(exWorkflow)
		return w.describe(exWorkflow, runID)
	},
	"DescribeWorkflowType": func(w *goldenWorld) map[string]any {
		w.exampleTypes()
		return w.call("DescribeWorkflowType", M{"domain": exDomain, "workflowType": exWorkflowType})
	},
	"GetWorkflowExecutionHistory": func(w *goldenWorld) map[string]any {
		// The page (newest first, 10 events) shows: the first decision
		// task timed out (START_TO_CLOSE), the second one scheduled the
		// RespondDecisionTaskCompleted example's activity with execution
		// context "Black Friday", the activity timed out SCHEDULE_TO_START,
		// and the execution timed out with a decision task scheduled.
		w.exampleTypes()
		runID := w.exampleStart(exWorkflow)
		w.pollDecision(exDecisions, "Decider01", nil)
		w.env.Clock.Advance(600 * time.Second)
		w.decide(w.pollDecision(exDecisions, "Decider01", nil), "Black Friday", exampleSchedule(exDecisions))
		w.env.Clock.Advance(300 * time.Second)
		w.env.Clock.Advance(3600 * time.Second)
		return w.history(exWorkflow, runID, M{"maximumPageSize": 10, "reverseOrder": true})
	},
	"ListActivityTypes": func(w *goldenWorld) map[string]any {
		w.exampleTypes()
		return w.call("ListActivityTypes", M{"domain": exDomain, "registrationStatus": "REGISTERED", "maximumPageSize": 50, "reverseOrder": false})
	},
	"ListClosedWorkflowExecutions": func(w *goldenWorld) map[string]any {
		w.timedOutExamples()
		return w.call("ListClosedWorkflowExecutions", M{"domain": exDomain, "closeTimeFilter": timeFilter(), "tagFilter": M{"tag": "ricoh-the-dog"}})
	},
	"ListDomains": func(w *goldenWorld) map[string]any {
		return w.call("ListDomains", M{"registrationStatus": "REGISTERED", "maximumPageSize": 50, "reverseOrder": false})
	},
	"ListOpenWorkflowExecutions": func(w *goldenWorld) map[string]any {
		w.exampleTypes()
		w.exampleStart(exWorkflow)
		return w.call("ListOpenWorkflowExecutions", M{"domain": exDomain, "startTimeFilter": timeFilter(), "tagFilter": M{"tag": "music purchase"}})
	},
	"ListWorkflowTypes": func(w *goldenWorld) map[string]any {
		w.exampleTypes()
		return w.call("ListWorkflowTypes", M{"domain": exDomain, "registrationStatus": "REGISTERED", "maximumPageSize": 50, "reverseOrder": true})
	},
	"PollForActivityTask": func(w *goldenWorld) map[string]any {
		w.exampleTypes()
		w.exampleStart(exWorkflow)
		w.decide(w.pollDecision(exDecisions, "Decider01", nil), "Black Friday", exampleSchedule(""))
		return w.pollActivity(exTaskList, "VerifyCreditCardWorker01")
	},
	"PollForDecisionTask": func(w *goldenWorld) map[string]any {
		w.exampleTypes()
		w.exampleStart(exWorkflow)
		return w.pollDecision(exDecisions, "Decider01", M{"maximumPageSize": 50, "reverseOrder": true})
	},
	"RecordActivityTaskHeartbeat": func(w *goldenWorld) map[string]any {
		w.exampleTypes()
		w.exampleStart(exWorkflow)
		w.decide(w.pollDecision(exDecisions, "Decider01", nil), "Black Friday", exampleSchedule(""))
		task := w.pollActivity(exTaskList, "VerifyCreditCardWorker01")
		return w.call("RecordActivityTaskHeartbeat", M{"taskToken": task["taskToken"], "details": "starting task"})
	},
	"StartWorkflowExecution": func(w *goldenWorld) map[string]any {
		w.exampleTypes()
		return w.call("StartWorkflowExecution", M{
			"domain": exDomain, "workflowId": exWorkflow, "workflowType": exWorkflowType,
			"taskList": M{"name": exDecisions}, "input": exInput,
			"executionStartToCloseTimeout": "1800", "tagList": exTags,
			"taskStartToCloseTimeout": "600", "childPolicy": "TERMINATE",
		})
	},

	// Answers recorded from AWS by simpleflow's integration tests.
	"DescribeWorkflowType.no-description": func(w *goldenWorld) map[string]any {
		w.sfTypes()
		return w.call("DescribeWorkflowType", M{"domain": exDomain, "workflowType": sfWorkflowType})
	},
	"StartWorkflowExecution.simpleflow": func(w *goldenWorld) map[string]any {
		w.sfTypes()
		return w.call("StartWorkflowExecution", M{
			"domain": exDomain, "workflowId": sfWorkflowID, "workflowType": sfWorkflowType,
			"taskList": M{"name": sfTaskList}, "childPolicy": "TERMINATE", "input": `{"args":[],"kwargs":{}}`,
		})
	},
	"DescribeWorkflowExecution.open-no-tags": func(w *goldenWorld) map[string]any {
		w.sfTypes()
		runID := w.sfStart(`{"args":[false]}`)
		return w.describe(sfWorkflowID, runID)
	},
	"DescribeWorkflowExecution.closed-failed": func(w *goldenWorld) map[string]any {
		runID := w.sfFailedActivity()
		return w.describe(sfWorkflowID, runID)
	},
	"GetWorkflowExecutionHistory.failed-activity": func(w *goldenWorld) map[string]any {
		runID := w.sfFailedActivity()
		return w.history(sfWorkflowID, runID, nil)
	},
	"DescribeWorkflowExecution.closed-canceled": func(w *goldenWorld) map[string]any {
		runID := w.sfCancelRequested()
		return w.describe(sfWorkflowID, runID)
	},
	"GetWorkflowExecutionHistory.cancel-requested": func(w *goldenWorld) map[string]any {
		runID := w.sfCancelRequested()
		return w.history(sfWorkflowID, runID, nil)
	},
	"GetWorkflowExecutionHistory.signals": func(w *goldenWorld) map[string]any {
		// test_signal_played_twice.yaml: the workflow signals itself twice
		// (input and runId given), records a marker (no details) and
		// starts a 0-second wake-up timer; then completes.
		w.sfTypes()
		runID := w.sfStart(`{"args":[false]}`)
		signal := func(n string) M {
			return M{"decisionType": "SignalExternalWorkflowExecution", "signalExternalWorkflowExecutionDecisionAttributes": M{
				"workflowId": sfWorkflowID, "runId": runID, "signalName": "signal", "input": `{"args":[` + n + `],"kwargs":{}}`,
			}}
		}
		w.decide(w.pollDecision(sfTaskList, sfIdentity, nil), "", signal("1"), signal("2"), marker("marker 1"), timer("_simpleflow_wake_up_timer", "0"))
		w.env.Clock.Advance(time.Second)
		w.decide(w.pollDecision(sfTaskList, sfIdentity, nil), "", complete("null"))
		return w.history(sfWorkflowID, runID, nil)
	},
	"GetWorkflowExecutionHistory.child": func(w *goldenWorld) map[string]any {
		// test_child_workflow.yaml: the parent starts a child with a
		// workflow id, type, task list and input (the rest from the
		// child type's defaults), the child completes with a result.
		w.sfTypes()
		runID := w.sfStart(`{"args":[],"kwargs":{}}`)
		const childList = "child-decisions"
		w.decide(w.pollDecision(sfTaskList, sfIdentity, nil), "", M{
			"decisionType": "StartChildWorkflowExecution", "startChildWorkflowExecutionDecisionAttributes": M{
				"workflowId": "workflow-chaintest-1", "input": `{"args":[4],"kwargs":{}}`,
				"workflowType": M{"name": "tests.integration.workflow.ChainTestWorkflow", "version": "example"},
				"taskList":     M{"name": childList},
			},
		})
		w.decide(w.pollDecision(sfTaskList, sfIdentity, nil), "")
		w.decide(w.pollDecision(childList, sfIdentity, nil), "", complete("[5,10]"))
		w.decide(w.pollDecision(sfTaskList, sfIdentity, nil), "", complete("[[5,10]]"))
		return w.history(sfWorkflowID, runID, nil)
	},
	"GetWorkflowExecutionHistory.timers": func(w *goldenWorld) map[string]any {
		// test_timer_and_cancel.yaml: two timers, one fires, the other is
		// canceled, a 0-second timer fires, the workflow completes.
		w.sfTypes()
		runID := w.sfStart(`{"args":[],"kwargs":{}}`)
		w.decide(w.pollDecision(sfTaskList, sfIdentity, nil), "", timer("timer 2", "120"), timer("timer 1", "2"))
		w.env.Clock.Advance(2 * time.Second)
		w.decide(w.pollDecision(sfTaskList, sfIdentity, nil), "",
			M{"decisionType": "CancelTimer", "cancelTimerDecisionAttributes": M{"timerId": "timer 2"}},
			timer("_simpleflow_wake_up_timer", "0"))
		w.env.Clock.Advance(time.Second)
		w.decide(w.pollDecision(sfTaskList, sfIdentity, nil), "", complete("null"))
		return w.history(sfWorkflowID, runID, nil)
	},
	"ListOpenWorkflowExecutions.no-tags": func(w *goldenWorld) map[string]any {
		// test_simpleflow_workflow_terminate.yaml: start without tags,
		// list by workflow id, then terminate (AWS answers an empty body).
		w.sfTypes()
		out := w.call("StartWorkflowExecution", M{
			"domain": exDomain, "workflowId": sfWorkflowID, "workflowType": sfWorkflowType,
			"taskList": M{"name": "test"}, "childPolicy": "TERMINATE", "executionStartToCloseTimeout": "300",
			"input": "null", "taskStartToCloseTimeout": "30",
		})
		list := w.call("ListOpenWorkflowExecutions", M{
			"domain": exDomain, "startTimeFilter": M{"oldestDate": timeFilter()["oldestDate"]},
			"executionFilter": M{"workflowId": sfWorkflowID},
		})
		w.call("TerminateWorkflowExecution", M{"domain": exDomain, "workflowId": sfWorkflowID, "runId": out["runId"]})
		return list
	},
}
