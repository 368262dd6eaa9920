package e2e

import (
	"context"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/openswf/openswf/internal/store/postgres/pgtest"
)

// TestREADMECluster runs the README's three-node block in bash, with the
// test's own database schema and free ports, the built binary in place of
// `go run ./cmd/swf`, and checks that a domain registered through the
// first node is seen through the third, and a workflow started through
// the second has its decision task at the first.
func TestREADMECluster(t *testing.T) {
	skipIfShort(t)
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "<!-- cluster:")
	if !ok {
		t.Fatal("README.md has no <!-- cluster: --> block")
	}
	block := fences(after)[0]
	if block.lang != "sh" || strings.Count(block.body, "\n") != 4 {
		t.Fatalf("the README's cluster block is not four sh lines:\n%s", block.body)
	}
	ports := []string{freePort(t), freePort(t), freePort(t)}
	script := block.body
	script = strings.Replace(script, "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", pgtest.Schema(t), 1)
	script = strings.ReplaceAll(script, "go run ./cmd/swf", swfBinary)
	for i, p := range []string{"7171", "7172", "7173"} {
		script = strings.Replace(script, "127.0.0.1:"+p, "127.0.0.1:"+ports[i], 1)
	}
	cmd := exec.Command("bash", "-c", script+"wait\n")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // the nodes are its jobs: signal them as a group
	out := newProcLog()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Error("the README's nodes did not stop within 20 s of SIGTERM")
		}
		if t.Failed() {
			t.Logf("the nodes' output:\n%s", out.String())
		}
	})
	clients := make([]*swf.Client, 3)
	for i, p := range ports {
		clients[i] = newClient("http://127.0.0.1:" + p)
	}
	ctx := context.Background()
	// Every node first: a node that has not joined yet cannot be asked
	// whether it sees the domain (it would refuse the connection).
	waitFor(t, 30*time.Second, 100*time.Millisecond, "the three nodes to answer", func() (bool, error) {
		for _, c := range clients {
			if _, err := c.ListDomains(ctx, &swf.ListDomainsInput{RegistrationStatus: types.RegistrationStatusRegistered}); err != nil {
				return false, nil
			}
		}
		return true, nil
	})
	waitFor(t, 30*time.Second, 100*time.Millisecond, "the three nodes to share the shards", func() (bool, error) {
		_, err := clients[0].RegisterDomain(ctx, &swf.RegisterDomainInput{Name: aws.String("readme"), WorkflowExecutionRetentionPeriodInDays: aws.String("1")})
		return err == nil, nil
	})
	if _, err := clients[2].DescribeDomain(ctx, &swf.DescribeDomainInput{Name: aws.String("readme")}); err != nil {
		t.Fatalf("the domain registered through the first node, through the third: %v", err)
	}
	storyThroughNodes(t, clients)
}

// freePort returns a TCP port free on loopback now.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// storyThroughNodes registers a workflow type through the second node,
// starts a run through it, and takes its decision task through the first:
// whichever nodes own the run and the task list.
func storyThroughNodes(t *testing.T, clients []*swf.Client) {
	t.Helper()
	ctx := context.Background()
	if _, err := clients[1].RegisterWorkflowType(ctx, &swf.RegisterWorkflowTypeInput{
		Domain: aws.String("readme"), Name: aws.String("wf"), Version: aws.String("1"),
		DefaultTaskList: &types.TaskList{Name: aws.String("deciders")}, DefaultChildPolicy: types.ChildPolicyTerminate,
		DefaultExecutionStartToCloseTimeout: aws.String("600"), DefaultTaskStartToCloseTimeout: aws.String("60"),
	}); err != nil {
		t.Fatal(err)
	}
	run, err := clients[1].StartWorkflowExecution(ctx, &swf.StartWorkflowExecutionInput{
		Domain: aws.String("readme"), WorkflowId: aws.String("order-1"),
		WorkflowType: &types.WorkflowType{Name: aws.String("wf"), Version: aws.String("1")},
	})
	if err != nil {
		t.Fatal(err)
	}
	task, err := clients[0].PollForDecisionTask(ctx, &swf.PollForDecisionTaskInput{Domain: aws.String("readme"), TaskList: &types.TaskList{Name: aws.String("deciders")}})
	if err != nil {
		t.Fatal(err)
	}
	if task.WorkflowExecution == nil || aws.ToString(task.WorkflowExecution.RunId) != aws.ToString(run.RunId) {
		t.Fatalf("decision task through the first node: %+v, want the run started through the second", task.WorkflowExecution)
	}
	if _, err := clients[2].RespondDecisionTaskCompleted(ctx, &swf.RespondDecisionTaskCompletedInput{TaskToken: task.TaskToken, Decisions: []types.Decision{{
		DecisionType: types.DecisionTypeCompleteWorkflowExecution,
	}}}); err != nil {
		t.Fatalf("completing the decision task through the third node: %v", err)
	}
}
