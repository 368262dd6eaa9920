package sqlite_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/store"
	"github.com/openswf/openswf/internal/store/sqlite"
)

// benchStore opens a store in b.TempDir() holding n open activities.
func benchStore(b *testing.B, n int) (*sqlite.Store, []store.ActivityKey) {
	b.Helper()
	s, err := sqlite.Open(b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	now := time.Now().UTC().Truncate(time.Millisecond)
	c := &store.Change{}
	keys := make([]store.ActivityKey, n)
	for i := range keys {
		a := &store.Activity{
			RunID: fmt.Sprintf("run-%06d-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", i), ActivityID: "a", ScheduledEventID: 5,
			ScheduledAt: now, StartedEventID: 6, StartedAt: now, TaskList: "list", Heartbeat: 3600, Nonce: uint64(i),
		}
		c.PutActivities = append(c.PutActivities, a)
		keys[i] = store.ActivityKey{RunID: a.RunID, ScheduledEventID: a.ScheduledEventID}
	}
	if err := store.Apply(s, c); err != nil {
		b.Fatal(err)
	}
	return s, keys
}

func heartbeatChange(k store.ActivityKey, details *string) *store.Change {
	return &store.Change{Heartbeats: []store.Heartbeat{{RunID: k.RunID, ScheduledEventID: k.ScheduledEventID, At: time.Now().UTC(), Details: details}}}
}

// BenchmarkSubmitHeartbeat is one heartbeat change at a time: each is its
// own transaction and WAL fsync.
func BenchmarkSubmitHeartbeat(b *testing.B) {
	s, keys := benchStore(b, 1)
	details := "progress"
	b.ReportAllocs()
	for b.Loop() {
		if err := store.Apply(s, heartbeatChange(keys[0], &details)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSubmitHeartbeatParallel submits heartbeat changes for 1024
// activities from many goroutines, each waiting for its commit, as
// concurrent heartbeats do: the writer batches them into shared commits.
func BenchmarkSubmitHeartbeatParallel(b *testing.B) {
	for _, par := range []int{8, 32} {
		b.Run(fmt.Sprintf("goroutines=%dxGOMAXPROCS", par), func(b *testing.B) {
			s, keys := benchStore(b, 1024)
			details := "progress"
			var next atomic.Int64
			b.ReportAllocs()
			b.SetParallelism(par)
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					k := keys[next.Add(1)%int64(len(keys))]
					if err := store.Apply(s, heartbeatChange(k, &details)); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "changes/s")
		})
	}
}

// BenchmarkEventsDecisionTask reads a run's whole history of 9 events, as
// a decision task of a workflow with one timed-out activity does.
func BenchmarkEventsDecisionTask(b *testing.B) {
	s, _ := benchStore(b, 0)
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
