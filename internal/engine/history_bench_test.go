package engine

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/openswf/openswf/internal/shape"
)

// Benchmarks of history reads (docs/benchmarks.md, issue 18): a decision
// task's history and GetWorkflowExecutionHistory of an open run with the
// 12 events of a typical second decision task, each encoded as the wire
// encodes it. Compare runs with benchstat:
//
//	go test -run '^$' -bench 'DecisionTaskHistory|GetWorkflowExecutionHistory|DecisionPoll' -count 6 ./internal/engine/

// BenchmarkDecisionTaskHistory is the read half of a decision poll: the
// history page of a started decision task, and its encoding.
func BenchmarkDecisionTaskHistory(b *testing.B) { benchDecisionTaskHistory(b, 0) }

// BenchmarkDecisionTaskHistoryStore is the same without the history
// cache: the raw events come from SQLite, as for a run restored at start.
func BenchmarkDecisionTaskHistoryStore(b *testing.B) { benchDecisionTaskHistory(b, -1) }

func benchDecisionTaskHistory(b *testing.B, cache int64) {
	e := histEngine(b, b.TempDir(), cache)
	we, dt := histRun(b, e, "bench", 12)
	ctx := context.Background()
	in := &shape.PollForDecisionTaskInput{Domain: histDomain, TaskList: &shape.TaskList{Name: histList}}
	b.ReportAllocs()
	for b.Loop() {
		task := &shape.DecisionTask{TaskToken: dt.TaskToken, StartedEventId: dt.StartedEventId, PreviousStartedEventId: dt.PreviousStartedEventId, WorkflowExecution: we, WorkflowType: dt.WorkflowType}
		task, err := e.fillDecisionTask(ctx, in, task)
		if err != nil {
			b.Fatal(err)
		}
		wireEncode(b, task)
	}
}

// BenchmarkGetWorkflowExecutionHistory reads an open run's whole history.
func BenchmarkGetWorkflowExecutionHistory(b *testing.B) {
	e := histEngine(b, b.TempDir(), 0)
	we, _ := histRun(b, e, "bench", 12)
	ctx := context.Background()
	in := &shape.GetWorkflowExecutionHistoryInput{Domain: histDomain, Execution: we}
	b.ReportAllocs()
	for b.Loop() {
		h, err := e.GetWorkflowExecutionHistory(ctx, in)
		if err != nil {
			b.Fatal(err)
		}
		wireEncode(b, h)
	}
}

// BenchmarkDecisionPoll is a whole decision round of one open run: a
// signal schedules a decision task, a poll starts it and reads its
// history, an empty answer completes it: three group commits, so its
// time is mostly the disk's; its allocations are the engine's.
func BenchmarkDecisionPoll(b *testing.B) {
	e := histEngine(b, b.TempDir(), 0)
	we, dt := histRun(b, e, "bench", 8)
	ctx := context.Background()
	complete := func(token string) {
		if err := e.RespondDecisionTaskCompleted(ctx, &shape.RespondDecisionTaskCompletedInput{TaskToken: token}); err != nil {
			b.Fatal(err)
		}
	}
	complete(dt.TaskToken)
	signal := &shape.SignalWorkflowExecutionInput{Domain: histDomain, WorkflowId: we.WorkflowId, SignalName: "s"}
	poll := &shape.PollForDecisionTaskInput{Domain: histDomain, TaskList: &shape.TaskList{Name: histList}, MaximumPageSize: 20, ReverseOrder: true}
	b.ReportAllocs()
	for b.Loop() {
		if err := e.SignalWorkflowExecution(ctx, signal); err != nil {
			b.Fatal(err)
		}
		task, err := e.PollForDecisionTask(ctx, poll)
		if err != nil || task == nil {
			b.Fatal(task, err)
		}
		wireEncode(b, task)
		complete(task.TaskToken)
	}
}

// wireEncode encodes an answer as the wire layer did when these
// benchmarks were written (encode.go, writeOutput).
func wireEncode(b *testing.B, out any) {
	shape.SendLists(out)
	if _, err := json.Marshal(out); err != nil {
		b.Fatal(err)
	}
}
