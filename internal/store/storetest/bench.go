package storetest

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openswf/openswf/internal/store"
)

// BenchmarkHeartbeats measures the heartbeat path of a driver, the same way
// for every driver so they can be compared: heartbeat changes submitted one
// at a time (each its own commit), then from many goroutines at once over
// 1024 activities, each waiting for its commit as a heartbeat call does
// (the driver batches them into shared commits).
func BenchmarkHeartbeats(b *testing.B, open Opener) {
	b.Run("serial", func(b *testing.B) {
		s, keys := heartbeatStore(b, open, 1)
		defer s.Close()
		details := "progress"
		b.ReportAllocs()
		for b.Loop() {
			if err := store.Apply(s, heartbeatChange(keys[0], &details)); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, par := range []int{8, 32} {
		b.Run(fmt.Sprintf("goroutines=%dxGOMAXPROCS", par), func(b *testing.B) {
			s, keys := heartbeatStore(b, open, 1024)
			defer s.Close()
			details := "progress"
			var next atomic.Int64
			b.ReportAllocs()
			b.SetParallelism(par)
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					k := keys[next.Add(1)%int64(len(keys))]
					if err := store.Apply(s, heartbeatChange(k, &details)); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "changes/s")
		})
	}
}

// heartbeatStore opens the store with n started activities.
func heartbeatStore(b *testing.B, open Opener, n int) (store.Store, []store.ActivityKey) {
	b.Helper()
	s := open(b)
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
		s.Close()
		b.Fatal(err)
	}
	return s, keys
}

func heartbeatChange(k store.ActivityKey, details *string) *store.Change {
	return &store.Change{Heartbeats: []store.Heartbeat{{RunID: k.RunID, ScheduledEventID: k.ScheduledEventID, At: time.Now().UTC(), Details: details}}}
}
