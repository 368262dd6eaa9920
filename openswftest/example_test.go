package openswftest_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/openswf/openswf/openswftest"
)

// A worker takes an activity task with a five-minute heartbeat timeout,
// heartbeats once and goes quiet. Advancing the server's clock by six
// minutes fires the timeout at once. (In a test, openswftest.Start(t)
// replaces New and the deferred Close.)
func Example() {
	srv, err := openswftest.New()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	ctx, c := context.Background(), srv.Client
	must := func(_ any, err error) {
		if err != nil {
			log.Fatal(err)
		}
	}

	must(c.RegisterDomain(ctx, &swf.RegisterDomainInput{Name: aws.String("demo"), WorkflowExecutionRetentionPeriodInDays: aws.String("1")}))
	must(c.RegisterWorkflowType(ctx, &swf.RegisterWorkflowTypeInput{Domain: aws.String("demo"), Name: aws.String("order"), Version: aws.String("1"),
		DefaultTaskList: &types.TaskList{Name: aws.String("decider")}, DefaultChildPolicy: types.ChildPolicyTerminate,
		DefaultExecutionStartToCloseTimeout: aws.String("3600"), DefaultTaskStartToCloseTimeout: aws.String("300")}))
	must(c.RegisterActivityType(ctx, &swf.RegisterActivityTypeInput{Domain: aws.String("demo"), Name: aws.String("charge"), Version: aws.String("1"),
		DefaultTaskList: &types.TaskList{Name: aws.String("workers")}, DefaultTaskHeartbeatTimeout: aws.String("300"),
		DefaultTaskScheduleToStartTimeout: aws.String("NONE"), DefaultTaskScheduleToCloseTimeout: aws.String("NONE"),
		DefaultTaskStartToCloseTimeout: aws.String("NONE")}))
	run, err := c.StartWorkflowExecution(ctx, &swf.StartWorkflowExecutionInput{Domain: aws.String("demo"), WorkflowId: aws.String("order-1"),
		WorkflowType: &types.WorkflowType{Name: aws.String("order"), Version: aws.String("1")}})
	if err != nil {
		log.Fatal(err)
	}

	// The decider schedules the activity; a worker takes it and heartbeats.
	dt, err := c.PollForDecisionTask(ctx, &swf.PollForDecisionTaskInput{Domain: aws.String("demo"), TaskList: &types.TaskList{Name: aws.String("decider")}})
	if err != nil {
		log.Fatal(err)
	}
	must(c.RespondDecisionTaskCompleted(ctx, &swf.RespondDecisionTaskCompletedInput{TaskToken: dt.TaskToken, Decisions: []types.Decision{{
		DecisionType: types.DecisionTypeScheduleActivityTask,
		ScheduleActivityTaskDecisionAttributes: &types.ScheduleActivityTaskDecisionAttributes{ActivityId: aws.String("charge-1"),
			ActivityType: &types.ActivityType{Name: aws.String("charge"), Version: aws.String("1")}},
	}}}))
	at, err := c.PollForActivityTask(ctx, &swf.PollForActivityTaskInput{Domain: aws.String("demo"), TaskList: &types.TaskList{Name: aws.String("workers")}})
	if err != nil {
		log.Fatal(err)
	}
	must(c.RecordActivityTaskHeartbeat(ctx, &swf.RecordActivityTaskHeartbeatInput{TaskToken: at.TaskToken, Details: aws.String("75%")}))

	// Six minutes pass in one call.
	srv.Advance(6 * time.Minute)

	h, err := c.GetWorkflowExecutionHistory(ctx, &swf.GetWorkflowExecutionHistoryInput{Domain: aws.String("demo"),
		Execution: &types.WorkflowExecution{WorkflowId: aws.String("order-1"), RunId: run.RunId}})
	if err != nil {
		log.Fatal(err)
	}
	for _, ev := range h.Events[len(h.Events)-2:] {
		fmt.Println(ev.EventType)
	}
	to := h.Events[len(h.Events)-2].ActivityTaskTimedOutEventAttributes
	fmt.Println(to.TimeoutType, aws.ToString(to.Details))
	// Output:
	// ActivityTaskTimedOut
	// DecisionTaskScheduled
	// HEARTBEAT 75%
}
