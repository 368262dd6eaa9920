package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/store"
	"github.com/openswf/openswf/internal/store/sqlite"
)

// benchStore opens an empty store in b.TempDir(). (The heartbeat
// benchmarks are storetest's, run by heartbeats_bench_test.go.)
func benchStore(b *testing.B) *sqlite.Store {
	b.Helper()
	s, err := sqlite.Open(b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkEventsDecisionTask reads a run's whole history of 9 events, as
// a decision task of a workflow with one timed-out activity does.
func BenchmarkEventsDecisionTask(b *testing.B) {
	s := benchStore(b)
	const runID = "run-events-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	now := time.Now().UTC().Truncate(time.Millisecond)
	c := &store.Change{}
	for i, typ := range []shape.EventType{
		shape.EventTypeWorkflowExecutionStarted, shape.EventTypeDecisionTaskScheduled, shape.EventTypeDecisionTaskStarted,
		shape.EventTypeDecisionTaskCompleted, shape.EventTypeActivityTaskScheduled, shape.EventTypeActivityTaskStarted,
		shape.EventTypeActivityTaskTimedOut, shape.EventTypeDecisionTaskScheduled, shape.EventTypeDecisionTaskStarted,
	} {
		ev := shape.HistoryEvent{EventId: int64(i + 1), EventType: typ, EventTimestamp: shape.TS(now)}
		c.Events = append(c.Events, store.RunEvent{RunID: runID, Event: &ev})
	}
	if err := store.Apply(s, c); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		evs, err := s.Events(ctx, &store.EventsParams{RunID: runID, Limit: 1001})
		if err != nil || len(evs) != 9 {
			b.Fatalf("got %d events, %v", len(evs), err)
		}
	}
}
