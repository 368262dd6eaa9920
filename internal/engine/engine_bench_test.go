package engine

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openswf/openswf/internal/clock"
	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/store/sqlite"
)

// Benchmarks of the heartbeat's hot path (docs/benchmarks.md). Compare
// runs with benchstat:
//
//	go test -run '^$' -bench . -count 10 ./internal/engine/ > new.txt

func benchToken() token {
	return token{Kind: tokenActivity, Domain: "bench-heartbeat-domain", RunID: newRunID(time.Now()), ScheduledEventID: 5, Nonce: newNonce()}
}

func BenchmarkTokenEncode(b *testing.B) {
	c := newTokenCodec(make([]byte, 32))
	t := benchToken()
	b.ReportAllocs()
	for b.Loop() {
		c.encode(t)
	}
}

// BenchmarkTokenDecode is decode and verify (base64url, HMAC-SHA256), what
// every task-token call pays before any lookup.
func BenchmarkTokenDecode(b *testing.B) {
	c := newTokenCodec(make([]byte, 32))
	s := c.encode(benchToken())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.decode(s, tokenActivity); err != nil {
			b.Fatal(err)
		}
	}
}

// benchEngine is an engine on a real SQLite store in b.TempDir() with n
// workflow executions of one started activity task each; it returns their
// task tokens.
func benchEngine(b *testing.B, n int) (*Engine, []string) {
	b.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := sqlite.Open(b.TempDir(), log)
	if err != nil {
		b.Fatal(err)
	}
	e, err := New(Config{Clock: clock.Real{}, Store: st, Log: log})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := e.Start(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		e.Close()
		st.Close()
	})
	const domain, list = "bench", "bench-list"
	must := func(err error) {
		b.Helper()
		if err != nil {
			b.Fatal(err)
		}
	}
	wt, at := &shape.WorkflowType{Name: "w", Version: "1"}, &shape.ActivityType{Name: "a", Version: "1"}
	must(e.RegisterDomain(ctx, &shape.RegisterDomainInput{Name: domain, WorkflowExecutionRetentionPeriodInDays: "1"}))
	must(e.RegisterWorkflowType(ctx, &shape.RegisterWorkflowTypeInput{Domain: domain, Name: wt.Name, Version: wt.Version}))
	must(e.RegisterActivityType(ctx, &shape.RegisterActivityTypeInput{Domain: domain, Name: at.Name, Version: at.Version}))
	tokens := make([]string, n)
	for i := range tokens {
		_, err := e.StartWorkflowExecution(ctx, &shape.StartWorkflowExecutionInput{
			Domain: domain, WorkflowId: fmt.Sprint("wf-", i), WorkflowType: wt, TaskList: &shape.TaskList{Name: list},
			ExecutionStartToCloseTimeout: "3600", TaskStartToCloseTimeout: "60", ChildPolicy: shape.ChildPolicyTerminate,
		})
		must(err)
		dt, err := e.PollForDecisionTask(ctx, &shape.PollForDecisionTaskInput{Domain: domain, TaskList: &shape.TaskList{Name: list}})
		must(err)
		must(e.RespondDecisionTaskCompleted(ctx, &shape.RespondDecisionTaskCompletedInput{
			TaskToken: dt.TaskToken,
			Decisions: []shape.Decision{{
				DecisionType: shape.DecisionTypeScheduleActivityTask,
				ScheduleActivityTaskDecisionAttributes: &shape.ScheduleActivityTaskDecisionAttributes{
					ActivityId: "a", ActivityType: at, TaskList: &shape.TaskList{Name: list},
					HeartbeatTimeout: "3600", ScheduleToStartTimeout: "NONE", ScheduleToCloseTimeout: "NONE", StartToCloseTimeout: "NONE",
				},
			}},
		}))
		task, err := e.PollForActivityTask(ctx, &shape.PollForActivityTaskInput{Domain: domain, TaskList: &shape.TaskList{Name: list}})
		must(err)
		tokens[i] = task.TaskToken
	}
	return e, tokens
}

// BenchmarkHeartbeat is one RecordActivityTaskHeartbeat through the engine
// at a time: token check, state update, and a group commit of one change
// (one WAL fsync each).
//
// Each heartbeat's details differ: the heartbeat time is kept to the
// millisecond, and SQLite writes no page, and so syncs nothing, for an
// UPDATE that stores what the row already holds, so identical heartbeats
// within a millisecond would measure a path real workers rarely take.
func BenchmarkHeartbeat(b *testing.B) {
	e, tokens := benchEngine(b, 1)
	ctx := context.Background()
	in := &shape.RecordActivityTaskHeartbeatInput{TaskToken: tokens[0]}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		in.Details = strconv.Itoa(i)
		if _, err := e.RecordActivityTaskHeartbeat(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHeartbeatParallel heartbeats 64 tasks of 64 executions from
// 8×GOMAXPROCS goroutines; concurrent heartbeats share group commits.
func BenchmarkHeartbeatParallel(b *testing.B) {
	e, tokens := benchEngine(b, 64)
	ctx := context.Background()
	var next atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(8)
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		in := &shape.RecordActivityTaskHeartbeatInput{}
		for pb.Next() {
			n := next.Add(1)
			in.TaskToken, in.Details = tokens[n%int64(len(tokens))], strconv.FormatInt(n, 10)
			if _, err := e.RecordActivityTaskHeartbeat(ctx, in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "heartbeats/s")
}
