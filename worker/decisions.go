package worker

import (
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"
)

// The functions below build one decision each, named after its decision
// type. They take the members a decision requires (an empty optional
// string is left out), and then options that set the rest directly on the
// attributes, for example:
//
//	worker.ScheduleActivityTask("charge-1", worker.ActivityType("charge", "1"), orderID,
//		func(a *types.ScheduleActivityTaskDecisionAttributes) { a.HeartbeatTimeout = worker.Seconds(5 * time.Minute) })

// ActivityType names an activity type.
func ActivityType(name, version string) *types.ActivityType {
	return &types.ActivityType{Name: aws.String(name), Version: aws.String(version)}
}

// WorkflowType names a workflow type.
func WorkflowType(name, version string) *types.WorkflowType {
	return &types.WorkflowType{Name: aws.String(name), Version: aws.String(version)}
}

// Seconds spells d as SWF durations are spelled: whole seconds, rounded
// up, so that a timeout is never shorter than asked. Zero or less is
// "NONE" (no timeout), which a timer's startToFireTimeout does not take.
func Seconds(d time.Duration) *string {
	if d <= 0 {
		return aws.String("NONE")
	}
	return aws.String(strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10))
}

// ScheduleActivityTask schedules activity id of type typ with input.
func ScheduleActivityTask(id string, typ *types.ActivityType, input string, opts ...func(*types.ScheduleActivityTaskDecisionAttributes)) types.Decision {
	a := &types.ScheduleActivityTaskDecisionAttributes{ActivityId: aws.String(id), ActivityType: typ, Input: optional(input)}
	apply(a, opts)
	return types.Decision{DecisionType: types.DecisionTypeScheduleActivityTask, ScheduleActivityTaskDecisionAttributes: a}
}

// RequestCancelActivityTask asks to cancel activity id: a task not yet
// started is canceled at once; a started one learns it from its next
// heartbeat.
func RequestCancelActivityTask(id string) types.Decision {
	return types.Decision{
		DecisionType: types.DecisionTypeRequestCancelActivityTask,
		RequestCancelActivityTaskDecisionAttributes: &types.RequestCancelActivityTaskDecisionAttributes{ActivityId: aws.String(id)},
	}
}

// CompleteWorkflowExecution closes the execution as completed with result.
func CompleteWorkflowExecution(result string) types.Decision {
	return types.Decision{
		DecisionType: types.DecisionTypeCompleteWorkflowExecution,
		CompleteWorkflowExecutionDecisionAttributes: &types.CompleteWorkflowExecutionDecisionAttributes{Result: optional(result)},
	}
}

// FailWorkflowExecution closes the execution as failed.
func FailWorkflowExecution(reason, details string) types.Decision {
	return types.Decision{
		DecisionType: types.DecisionTypeFailWorkflowExecution,
		FailWorkflowExecutionDecisionAttributes: &types.FailWorkflowExecutionDecisionAttributes{
			Reason: optional(truncate(reason, maxReason)), Details: optional(details),
		},
	}
}

// CancelWorkflowExecution closes the execution as canceled, as its
// cancellation was requested.
func CancelWorkflowExecution(details string) types.Decision {
	return types.Decision{
		DecisionType: types.DecisionTypeCancelWorkflowExecution,
		CancelWorkflowExecutionDecisionAttributes: &types.CancelWorkflowExecutionDecisionAttributes{Details: optional(details)},
	}
}

// ContinueAsNewWorkflowExecution closes the execution and starts a new run
// of the same workflow id with input.
func ContinueAsNewWorkflowExecution(input string, opts ...func(*types.ContinueAsNewWorkflowExecutionDecisionAttributes)) types.Decision {
	a := &types.ContinueAsNewWorkflowExecutionDecisionAttributes{Input: optional(input)}
	apply(a, opts)
	return types.Decision{DecisionType: types.DecisionTypeContinueAsNewWorkflowExecution, ContinueAsNewWorkflowExecutionDecisionAttributes: a}
}

// RecordMarker records a marker in the history, for the decider's own
// later use.
func RecordMarker(name, details string) types.Decision {
	return types.Decision{
		DecisionType:                   types.DecisionTypeRecordMarker,
		RecordMarkerDecisionAttributes: &types.RecordMarkerDecisionAttributes{MarkerName: aws.String(name), Details: optional(details)},
	}
}

// StartTimer starts timer id, which fires after d (rounded up to whole
// seconds, at least one).
func StartTimer(id string, d time.Duration, opts ...func(*types.StartTimerDecisionAttributes)) types.Decision {
	a := &types.StartTimerDecisionAttributes{TimerId: aws.String(id), StartToFireTimeout: Seconds(max(d, time.Second))}
	apply(a, opts)
	return types.Decision{DecisionType: types.DecisionTypeStartTimer, StartTimerDecisionAttributes: a}
}

// CancelTimer cancels timer id.
func CancelTimer(id string) types.Decision {
	return types.Decision{
		DecisionType:                  types.DecisionTypeCancelTimer,
		CancelTimerDecisionAttributes: &types.CancelTimerDecisionAttributes{TimerId: aws.String(id)},
	}
}

// SignalExternalWorkflowExecution signals the open run of workflowID (runID
// "" for whichever is open).
func SignalExternalWorkflowExecution(workflowID, runID, signalName, input string, opts ...func(*types.SignalExternalWorkflowExecutionDecisionAttributes)) types.Decision {
	a := &types.SignalExternalWorkflowExecutionDecisionAttributes{
		WorkflowId: aws.String(workflowID), RunId: optional(runID), SignalName: aws.String(signalName), Input: optional(input),
	}
	apply(a, opts)
	return types.Decision{DecisionType: types.DecisionTypeSignalExternalWorkflowExecution, SignalExternalWorkflowExecutionDecisionAttributes: a}
}

// RequestCancelExternalWorkflowExecution asks another execution to cancel
// (runID "" for whichever run of workflowID is open).
func RequestCancelExternalWorkflowExecution(workflowID, runID string, opts ...func(*types.RequestCancelExternalWorkflowExecutionDecisionAttributes)) types.Decision {
	a := &types.RequestCancelExternalWorkflowExecutionDecisionAttributes{WorkflowId: aws.String(workflowID), RunId: optional(runID)}
	apply(a, opts)
	return types.Decision{DecisionType: types.DecisionTypeRequestCancelExternalWorkflowExecution, RequestCancelExternalWorkflowExecutionDecisionAttributes: a}
}

// StartChildWorkflowExecution starts a child execution of typ with
// workflowID and input.
func StartChildWorkflowExecution(workflowID string, typ *types.WorkflowType, input string, opts ...func(*types.StartChildWorkflowExecutionDecisionAttributes)) types.Decision {
	a := &types.StartChildWorkflowExecutionDecisionAttributes{WorkflowId: aws.String(workflowID), WorkflowType: typ, Input: optional(input)}
	apply(a, opts)
	return types.Decision{DecisionType: types.DecisionTypeStartChildWorkflowExecution, StartChildWorkflowExecutionDecisionAttributes: a}
}

// ScheduleLambdaFunction schedules AWS Lambda function name as id. (openswf
// has no Lambda: it fails the decision with ScheduleLambdaFunctionFailed.)
func ScheduleLambdaFunction(id, name, input string, opts ...func(*types.ScheduleLambdaFunctionDecisionAttributes)) types.Decision {
	a := &types.ScheduleLambdaFunctionDecisionAttributes{Id: aws.String(id), Name: aws.String(name), Input: optional(input)}
	apply(a, opts)
	return types.Decision{DecisionType: types.DecisionTypeScheduleLambdaFunction, ScheduleLambdaFunctionDecisionAttributes: a}
}

func apply[T any](a *T, opts []func(*T)) {
	for _, o := range opts {
		o(a)
	}
}
