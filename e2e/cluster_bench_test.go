package e2e

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/openswf/openswf/internal/engine"
	"github.com/openswf/openswf/internal/store"
	"github.com/openswf/openswf/internal/store/postgres/pgtest"
)

// BenchmarkClusterWake measures how long a long poll waiting on one node
// takes to receive a decision task scheduled by a run another node owns:
// from the moment StartWorkflowExecution is answered to the moment the
// poll is. Two `swf server --cluster` processes on one database; each
// iteration starts a run whose shard the node that is not the task list's
// home holds, so the task crosses nodes (offer, then start at the run's
// owner). It reports p50 and p99 in ms.
//
//	go test ./e2e -run '^$' -bench ClusterWake -benchtime 300x
func BenchmarkClusterWake(b *testing.B) {
	dbURL := pgtest.Schema(b)
	nodes := []*clusterNode{startClusterNode(b, dbURL), startClusterNode(b, dbURL)}
	w := watchLeases(b, dbURL)
	ctx := context.Background()
	const domain, list = "wake", "deciders"
	clients := map[string]*swf.Client{}
	for _, n := range nodes {
		clients[n.id] = newClient(n.url)
	}
	w.settle(nodes...)
	home := w.holder(engine.TaskListShard(domain, list, true))
	other := nodes[0].id
	if other == home {
		other = nodes[1].id
	}
	c := clients[home]
	if _, err := c.RegisterDomain(ctx, &swf.RegisterDomainInput{Name: aws.String(domain), WorkflowExecutionRetentionPeriodInDays: aws.String("1")}); err != nil {
		b.Fatal(err)
	}
	if _, err := c.RegisterWorkflowType(ctx, &swf.RegisterWorkflowTypeInput{
		Domain: aws.String(domain), Name: aws.String("wf"), Version: aws.String("1"),
		DefaultTaskList: &types.TaskList{Name: aws.String(list)}, DefaultChildPolicy: types.ChildPolicyTerminate,
		DefaultExecutionStartToCloseTimeout: aws.String("600"), DefaultTaskStartToCloseTimeout: aws.String("60"),
	}); err != nil {
		b.Fatal(err)
	}
	// Workflow ids whose runs the other node owns.
	var ids []string
	for i := 0; len(ids) < b.N; i++ {
		id := fmt.Sprintf("wake-%d", i)
		if w.holder(store.ShardOf(domain, id)) == other {
			ids = append(ids, id)
		}
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for _, id := range ids {
		polled := make(chan time.Time, 1)
		var task *swf.PollForDecisionTaskOutput
		var pollErr error
		go func() {
			task, pollErr = clients[home].PollForDecisionTask(ctx, &swf.PollForDecisionTaskInput{Domain: aws.String(domain), TaskList: &types.TaskList{Name: aws.String(list)}})
			polled <- time.Now()
		}()
		time.Sleep(5 * time.Millisecond) // the poll is waiting
		if _, err := clients[other].StartWorkflowExecution(ctx, &swf.StartWorkflowExecutionInput{
			Domain: aws.String(domain), WorkflowId: aws.String(id), WorkflowType: &types.WorkflowType{Name: aws.String("wf"), Version: aws.String("1")},
		}); err != nil {
			b.Fatal(err)
		}
		started := time.Now()
		at := <-polled
		if pollErr != nil || task.TaskToken == nil {
			b.Fatalf("poll: %v (task %v)", pollErr, task != nil && task.TaskToken != nil)
		}
		lat = append(lat, at.Sub(started))
		if _, err := clients[other].RespondDecisionTaskCompleted(ctx, &swf.RespondDecisionTaskCompletedInput{TaskToken: task.TaskToken,
			Decisions: []types.Decision{{DecisionType: types.DecisionTypeCompleteWorkflowExecution}}}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1e6 }
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1])/1e6, "max-ms")
}
