package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/swf"
	"github.com/aws/aws-sdk-go-v2/service/swf/types"

	"github.com/openswf/openswf/worker"
)

func main() {
	endpoint := flag.String("endpoint-url", "http://127.0.0.1:7171", "the SWF endpoint: a local `swf server`")
	domain := flag.String("domain", "orders", "the domain to register and run in")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	c := swf.New(swf.Options{
		Region:       "us-east-1",
		BaseEndpoint: endpoint,
		Credentials:  credentials.NewStaticCredentialsProvider("any", "key", ""), // a local server takes any
	})
	step := func(ctx context.Context, order string, i int) error {
		select {
		case <-time.After(200 * time.Millisecond): // the work of one step
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	cfg := config{domain: *domain, order: fmt.Sprintf("order-%d", time.Now().Unix()), charger: charger{steps: 10, step: step}, grace: time.Second}
	if err := run(ctx, c, cfg, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// config is what run needs besides a client.
type config struct {
	domain, order string
	charger       charger
	// grace is the workers' ShutdownGrace: how long, once the order is
	// over, their polls in flight may still answer.
	grace time.Duration
	// heartbeat, when set, is the charge worker's HeartbeatInterval;
	// otherwise a third of the type's heartbeat timeout.
	heartbeat time.Duration
	log       *slog.Logger // nil: slog.Default()
}

// run registers the workflow, runs a decider and a charge worker, starts
// the order and waits for it to close, printing how it ended.
func run(ctx context.Context, c *swf.Client, cfg config, out io.Writer) error {
	domain, order := cfg.domain, cfg.order
	if err := register(ctx, c, domain, "15"); err != nil {
		return err
	}
	defer startWorkers(ctx, c, cfg)()
	start, err := c.StartWorkflowExecution(ctx, &swf.StartWorkflowExecutionInput{
		Domain: aws.String(domain), WorkflowId: aws.String(order), Input: aws.String(order),
		WorkflowType: worker.WorkflowType(workflowName, version),
	})
	if err != nil {
		return err
	}
	info, err := awaitClose(ctx, c, domain, &types.WorkflowExecution{WorkflowId: aws.String(order), RunId: start.RunId})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s: %s\n", order, info.CloseStatus)
	return nil
}

// awaitClose waits for the execution to close and returns its info.
func awaitClose(ctx context.Context, c *swf.Client, domain string, we *types.WorkflowExecution) (*types.WorkflowExecutionInfo, error) {
	for {
		d, err := c.DescribeWorkflowExecution(ctx, &swf.DescribeWorkflowExecutionInput{Domain: aws.String(domain), Execution: we})
		if err != nil {
			return nil, err
		}
		if d.ExecutionInfo.ExecutionStatus == types.ExecutionStatusClosed {
			return d.ExecutionInfo, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// startWorkers runs the order's decider and a charge worker until the
// returned function is called; it returns once they have stopped.
func startWorkers(ctx context.Context, c *swf.Client, cfg config) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	decider := worker.NewDecider(c, worker.DeciderOptions{
		Domain: cfg.domain, TaskList: decisionList, ShutdownGrace: cfg.grace, Logger: cfg.log,
	}, decide)
	charges := worker.NewActivityWorker(c, worker.ActivityWorkerOptions{
		Domain: cfg.domain, TaskList: activityList, ShutdownGrace: cfg.grace, HeartbeatInterval: cfg.heartbeat, Logger: cfg.log,
	})
	charges.Handle(activityName, version, cfg.charger.charge)
	done := make(chan error, 2)
	go func() { done <- decider.Run(ctx) }()
	go func() { done <- charges.Run(ctx) }()
	return func() { cancel(); <-done; <-done }
}
