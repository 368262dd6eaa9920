// Command order is an example of package worker: an order workflow whose
// decider charges the order with a heartbeating, cancellable activity.
//
// Run `swf server` in one shell and `go run ./examples/order` in another:
// it registers the domain "orders" and its types, runs a decider and an
// activity worker, starts one order and prints how it ended. The tests in
// order_test.go run the same code against openswftest, where the clock is
// theirs: a cancellation, and a five-minute heartbeat timeout, take
// milliseconds.
package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/openswf/openswf/worker"
)

// The workflow's names.
const (
	workflowName = "order"
	activityName = "charge"
	version      = "1"
	decisionList = "order-decisions"
	activityList = "order-activities"
	chargeID     = "charge"
)

// register registers domain (retention one day), the workflow type and
// the activity type, unless they are already. The charge activity must
// heartbeat at least every heartbeatTimeout seconds.
func register(ctx context.Context, c *swf.Client, domain, heartbeatTimeout string) error {
	var exists *types.DomainAlreadyExistsFault
	if _, err := c.RegisterDomain(ctx, &swf.RegisterDomainInput{
		Name: aws.String(domain), WorkflowExecutionRetentionPeriodInDays: aws.String("1"),
	}); err != nil && !errors.As(err, &exists) {
		return err
	}
	var typeExists *types.TypeAlreadyExistsFault
	if _, err := c.RegisterWorkflowType(ctx, &swf.RegisterWorkflowTypeInput{
		Domain: aws.String(domain), Name: aws.String(workflowName), Version: aws.String(version),
		DefaultTaskList:                     &types.TaskList{Name: aws.String(decisionList)},
		DefaultChildPolicy:                  types.ChildPolicyTerminate,
		DefaultExecutionStartToCloseTimeout: aws.String("3600"),
		DefaultTaskStartToCloseTimeout:      aws.String("60"),
	}); err != nil && !errors.As(err, &typeExists) {
		return err
	}
	if _, err := c.RegisterActivityType(ctx, &swf.RegisterActivityTypeInput{
		Domain: aws.String(domain), Name: aws.String(activityName), Version: aws.String(version),
		DefaultTaskList:                   &types.TaskList{Name: aws.String(activityList)},
		DefaultTaskHeartbeatTimeout:       aws.String(heartbeatTimeout),
		DefaultTaskScheduleToStartTimeout: aws.String("NONE"),
		DefaultTaskScheduleToCloseTimeout: aws.String("NONE"),
		DefaultTaskStartToCloseTimeout:    aws.String("NONE"),
	}); err != nil && !errors.As(err, &typeExists) {
		return err
	}
	return nil
}

// decide is the order's decider. It charges the order (the workflow's
// input) and completes with the charge's result; it fails if the charge
// fails or times out. Asked to cancel the order (RequestCancelWorkflow-
// Execution), it asks the charge to cancel, and cancels the order once
// the charge is canceled.
func decide(ctx context.Context, t *worker.DecisionTask) ([]types.Decision, error) {
	var decisions []types.Decision
	for _, ev := range t.New {
		switch ev.EventType {
		case types.EventTypeWorkflowExecutionStarted:
			order := aws.ToString(ev.WorkflowExecutionStartedEventAttributes.Input)
			decisions = append(decisions, worker.ScheduleActivityTask(chargeID, worker.ActivityType(activityName, version), order))
		case types.EventTypeWorkflowExecutionCancelRequested:
			decisions = append(decisions, worker.RequestCancelActivityTask(chargeID))
		case types.EventTypeActivityTaskCompleted:
			return []types.Decision{worker.CompleteWorkflowExecution(aws.ToString(ev.ActivityTaskCompletedEventAttributes.Result))}, nil
		case types.EventTypeActivityTaskFailed:
			a := ev.ActivityTaskFailedEventAttributes
			return []types.Decision{worker.FailWorkflowExecution("charge failed: "+aws.ToString(a.Reason), aws.ToString(a.Details))}, nil
		case types.EventTypeActivityTaskTimedOut:
			a := ev.ActivityTaskTimedOutEventAttributes
			return []types.Decision{worker.FailWorkflowExecution(fmt.Sprintf("charge timed out (%s)", a.TimeoutType), aws.ToString(a.Details))}, nil
		case types.EventTypeActivityTaskCanceled:
			return []types.Decision{worker.CancelWorkflowExecution("canceled at " + aws.ToString(ev.ActivityTaskCanceledEventAttributes.Details))}, nil
		}
	}
	return decisions, nil
}

// charger is the charge activity: it charges an order in steps, reporting
// its progress after each, and stops when its task is canceled.
type charger struct {
	steps int
	// step charges one step of order; it must return when ctx ends.
	step func(ctx context.Context, order string, i int) error
}

func (c charger) charge(ctx context.Context, t *worker.ActivityTask) (string, error) {
	for i := range c.steps {
		t.Progress(fmt.Sprintf("%d%%", 100*i/c.steps))
		if err := c.step(ctx, t.Input, i); err != nil {
			return "", err
		}
	}
	return "charged " + t.Input, nil
}
