package swftest

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"
)

// ScheduleActivity is a ScheduleActivityTask decision for activity id of
// type at, with the options applied to its attributes (task list, timeouts,
// priority, input).
func ScheduleActivity(id string, at types.ActivityType, opts ...func(*types.ScheduleActivityTaskDecisionAttributes)) types.Decision {
	a := &types.ScheduleActivityTaskDecisionAttributes{ActivityId: aws.String(id), ActivityType: &at}
	for _, o := range opts {
		o(a)
	}
	return types.Decision{DecisionType: types.DecisionTypeScheduleActivityTask, ScheduleActivityTaskDecisionAttributes: a}
}

// Timeouts sets an activity's four timeouts (a number of seconds or
// "NONE"; "" leaves the type's default).
func Timeouts(scheduleToStart, scheduleToClose, startToClose, heartbeat string) func(*types.ScheduleActivityTaskDecisionAttributes) {
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return aws.String(s)
	}
	return func(a *types.ScheduleActivityTaskDecisionAttributes) {
		a.ScheduleToStartTimeout = opt(scheduleToStart)
		a.ScheduleToCloseTimeout = opt(scheduleToClose)
		a.StartToCloseTimeout = opt(startToClose)
		a.HeartbeatTimeout = opt(heartbeat)
	}
}

// OnTaskList sends the activity to task list name.
func OnTaskList(name string) func(*types.ScheduleActivityTaskDecisionAttributes) {
	return func(a *types.ScheduleActivityTaskDecisionAttributes) {
		a.TaskList = &types.TaskList{Name: aws.String(name)}
	}
}

// Priority sets the activity's task priority.
func Priority(p string) func(*types.ScheduleActivityTaskDecisionAttributes) {
	return func(a *types.ScheduleActivityTaskDecisionAttributes) { a.TaskPriority = aws.String(p) }
}

// Input sets the activity's input.
func Input(s string) func(*types.ScheduleActivityTaskDecisionAttributes) {
	return func(a *types.ScheduleActivityTaskDecisionAttributes) { a.Input = aws.String(s) }
}

// RequestCancelActivity is a RequestCancelActivityTask decision.
func RequestCancelActivity(id string) types.Decision {
	return types.Decision{
		DecisionType: types.DecisionTypeRequestCancelActivityTask,
		RequestCancelActivityTaskDecisionAttributes: &types.RequestCancelActivityTaskDecisionAttributes{ActivityId: aws.String(id)},
	}
}

// StartTimer is a StartTimer decision firing after seconds (a number as a
// string).
func StartTimer(id, seconds string) types.Decision {
	return types.Decision{
		DecisionType:                 types.DecisionTypeStartTimer,
		StartTimerDecisionAttributes: &types.StartTimerDecisionAttributes{TimerId: aws.String(id), StartToFireTimeout: aws.String(seconds)},
	}
}

// CancelTimer is a CancelTimer decision.
func CancelTimer(id string) types.Decision {
	return types.Decision{
		DecisionType:                  types.DecisionTypeCancelTimer,
		CancelTimerDecisionAttributes: &types.CancelTimerDecisionAttributes{TimerId: aws.String(id)},
	}
}

// RecordMarker is a RecordMarker decision.
func RecordMarker(name, details string) types.Decision {
	return types.Decision{
		DecisionType:                   types.DecisionTypeRecordMarker,
		RecordMarkerDecisionAttributes: &types.RecordMarkerDecisionAttributes{MarkerName: aws.String(name), Details: aws.String(details)},
	}
}

// CompleteWorkflow is a CompleteWorkflowExecution decision.
func CompleteWorkflow(result string) types.Decision {
	return types.Decision{
		DecisionType: types.DecisionTypeCompleteWorkflowExecution,
		CompleteWorkflowExecutionDecisionAttributes: &types.CompleteWorkflowExecutionDecisionAttributes{Result: aws.String(result)},
	}
}

// FailWorkflow is a FailWorkflowExecution decision.
func FailWorkflow(reason, details string) types.Decision {
	return types.Decision{
		DecisionType:                            types.DecisionTypeFailWorkflowExecution,
		FailWorkflowExecutionDecisionAttributes: &types.FailWorkflowExecutionDecisionAttributes{Reason: aws.String(reason), Details: aws.String(details)},
	}
}

// CancelWorkflow is a CancelWorkflowExecution decision.
func CancelWorkflow(details string) types.Decision {
	return types.Decision{
		DecisionType: types.DecisionTypeCancelWorkflowExecution,
		CancelWorkflowExecutionDecisionAttributes: &types.CancelWorkflowExecutionDecisionAttributes{Details: aws.String(details)},
	}
}
