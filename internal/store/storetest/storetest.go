// Package storetest is the conformance suite every store driver runs: it
// writes through Submit, reopens, and checks what comes back.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/store"
)

// Opener opens the driver's store at the same place each time it is called
// with the same t, so a test can close and reopen it.
type Opener func(t testing.TB) store.Store

// Exercise runs the whole suite against the driver open returns.
func Exercise(t *testing.T, open Opener) {
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, open) })
	t.Run("HeartbeatKeepsData", func(t *testing.T) { testHeartbeat(t, open) })
	t.Run("EventsPaging", func(t *testing.T) { testEvents(t, open) })
	t.Run("RawEvents", func(t *testing.T) { testRawEvents(t, open) })
	t.Run("ConcurrentSubmits", func(t *testing.T) { testConcurrent(t, open) })
	t.Run("FailedChangeLeavesNothing", func(t *testing.T) { testFailedChange(t, open) })
	t.Run("Secret", func(t *testing.T) { testSecret(t, open) })
	t.Run("PurgeClosed", func(t *testing.T) { testPurge(t, open) })
	t.Run("OpenThenClosed", func(t *testing.T) { testOpenThenClosed(t, open) })
	t.Run("ListFilters", func(t *testing.T) { testListFilters(t, open) })
	t.Run("ListPaging", func(t *testing.T) { testListPaging(t, open) })
	t.Run("HeartbeatDetails", func(t *testing.T) { testHeartbeatDetails(t, open) })
	t.Run("RecordBytes", func(t *testing.T) { testRecordBytes(t, open) })
	t.Run("TypesAndDomains", func(t *testing.T) { testTypesAndDomains(t, open) })
	t.Run("SubmitOrder", func(t *testing.T) { testSubmitOrder(t, open) })
	t.Run("FailedAmongOthers", func(t *testing.T) { testFailedAmongOthers(t, open) })
	t.Run("SubmitAfterClose", func(t *testing.T) { testSubmitAfterClose(t, open) })
	t.Run("EventsWhole", func(t *testing.T) { testEventsWhole(t, open) })
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC)

func execution(runID, wfID string, open bool) *store.Execution {
	status := shape.ExecutionStatusOpen
	if !open {
		status = shape.ExecutionStatusClosed
	}
	return &store.Execution{
		Domain: "d",
		Info: shape.WorkflowExecutionInfo{
			Execution:       &shape.WorkflowExecution{WorkflowId: wfID, RunId: runID},
			WorkflowType:    &shape.WorkflowType{Name: "wf", Version: "1"},
			StartTimestamp:  shape.TS(t0),
			ExecutionStatus: status,
		},
		Config:      shape.WorkflowExecutionConfiguration{TaskList: &shape.TaskList{Name: "tl"}, ChildPolicy: shape.ChildPolicyTerminate},
		NextEventID: 3,
		ExpiresAt:   t0.Add(time.Hour),
	}
}

func event(id int64, typ shape.EventType) store.RunEvent {
	return store.RunEvent{RunID: "r1", Event: &shape.HistoryEvent{EventId: id, EventType: typ, EventTimestamp: shape.TS(t0)}}
}

func apply(t testing.TB, s store.Store, c *store.Change) {
	t.Helper()
	if err := store.Apply(s, c); err != nil {
		t.Fatalf("apply: %v", err)
	}
}

func testRoundTrip(t *testing.T, open Opener) {
	s := open(t)
	details := "50%"
	apply(t, s, &store.Change{
		Domains:       []*store.Domain{{Info: shape.DomainInfo{Name: "d", Status: shape.RegistrationStatusRegistered}, Config: shape.DomainConfiguration{WorkflowExecutionRetentionPeriodInDays: "1"}}},
		ActivityTypes: []*store.ActivityType{{Domain: "d", Info: shape.ActivityTypeInfo{ActivityType: &shape.ActivityType{Name: "a", Version: "1"}, Status: shape.RegistrationStatusRegistered, CreationDate: shape.TS(t0)}}},
		WorkflowTypes: []*store.WorkflowType{{Domain: "d", Info: shape.WorkflowTypeInfo{WorkflowType: &shape.WorkflowType{Name: "wf", Version: "1"}, Status: shape.RegistrationStatusRegistered, CreationDate: shape.TS(t0)}}},
		Executions:    []*store.Execution{execution("r1", "w1", true), execution("r2", "w2", false)},
		Events:        []store.RunEvent{event(1, shape.EventTypeWorkflowExecutionStarted), event(2, shape.EventTypeDecisionTaskScheduled)},
		PutActivities: []*store.Activity{{RunID: "r1", ActivityID: "a1", ScheduledEventID: 5, ScheduledAt: t0, Input: "in", Heartbeat: 30}},
		PutTimers:     []*store.Timer{{RunID: "r1", TimerID: "t1", StartedEventID: 6, FireAt: t0.Add(time.Minute)}},
	})
	apply(t, s, &store.Change{Heartbeats: []store.Heartbeat{{RunID: "r1", ScheduledEventID: 5, At: t0.Add(time.Second), Details: &details}}})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t)
	defer s.Close()
	snap, err := s.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := len(snap.Domains) + len(snap.ActivityTypes) + len(snap.WorkflowTypes); got != 3 {
		t.Fatalf("got %d domains and types, want 3", got)
	}
	if len(snap.Executions) != 1 || snap.Executions[0].Info.Execution.RunId != "r1" {
		t.Fatalf("got open executions %+v, want r1 only", snap.Executions)
	}
	if got := snap.Executions[0].ExpiresAt; !got.Equal(t0.Add(time.Hour)) {
		t.Fatalf("got ExpiresAt %v, want %v", got, t0.Add(time.Hour))
	}
	if len(snap.Activities) != 1 {
		t.Fatalf("got %d activities, want 1", len(snap.Activities))
	}
	a := snap.Activities[0]
	if a.Input != "in" || a.HeartbeatDetails == nil || *a.HeartbeatDetails != "50%" || !a.HeartbeatAt.Equal(t0.Add(time.Second)) {
		t.Fatalf("got activity %+v (details %v), want input, heartbeat details and time kept", a, a.HeartbeatDetails)
	}
	if len(snap.Timers) != 1 || !snap.Timers[0].FireAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("got timers %+v, want t1", snap.Timers)
	}
	closed, err := s.ExecutionGet(context.Background(), &store.ExecutionGetParams{Domain: "d", RunID: "r2"})
	if err != nil || closed.Info.ExecutionStatus != shape.ExecutionStatusClosed {
		t.Fatalf("got %v, %v; want the closed run r2", closed, err)
	}
	if _, err := s.ExecutionGet(context.Background(), &store.ExecutionGetParams{Domain: "d", RunID: "r2", WorkflowID: "other"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("got %v, want ErrNotFound for a workflow id that does not match", err)
	}
	apply(t, s, &store.Change{DelActivities: []store.ActivityKey{{RunID: "r1", ScheduledEventID: 5}}, DelTimers: []store.TimerKey{{RunID: "r1", TimerID: "t1"}}})
	snap, _ = s.Load(context.Background())
	if len(snap.Activities)+len(snap.Timers) != 0 {
		t.Fatalf("got %d activities and %d timers after delete, want none", len(snap.Activities), len(snap.Timers))
	}
}

// A heartbeat writes only progress; a later rewrite of the activity (e.g.
// a cancel request) must not lose it.
func testHeartbeat(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	a := &store.Activity{RunID: "r1", ActivityID: "a1", ScheduledEventID: 5, Input: "big input"}
	apply(t, s, &store.Change{PutActivities: []*store.Activity{a}})
	d := "x"
	apply(t, s, &store.Change{Heartbeats: []store.Heartbeat{{RunID: "r1", ScheduledEventID: 5, At: t0, Details: &d}}})
	b := *a
	b.CancelRequestedEventID = 9
	apply(t, s, &store.Change{PutActivities: []*store.Activity{&b}})
	snap, err := s.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := snap.Activities[0]
	if got.CancelRequestedEventID != 9 || got.HeartbeatDetails == nil || *got.HeartbeatDetails != "x" {
		t.Fatalf("got %+v, want cancel request and heartbeat details both kept", got)
	}
}

func testEvents(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	var evs []store.RunEvent
	for i := int64(1); i <= 10; i++ {
		evs = append(evs, event(i, shape.EventTypeMarkerRecorded))
	}
	apply(t, s, &store.Change{Events: evs})
	ctx := context.Background()
	page, err := s.Events(ctx, &store.EventsParams{RunID: "r1", AfterID: 3, Limit: 4})
	if err != nil || len(page) != 4 || page[0].EventId != 4 || page[3].EventId != 7 {
		t.Fatalf("got %v, %v; want events 4..7", ids(page), err)
	}
	page, _ = s.Events(ctx, &store.EventsParams{RunID: "r1", Reverse: true, Limit: 3})
	if len(page) != 3 || page[0].EventId != 10 || page[2].EventId != 8 {
		t.Fatalf("got %v, want 10, 9, 8", ids(page))
	}
	page, _ = s.Events(ctx, &store.EventsParams{RunID: "r1", Reverse: true, BeforeID: 3})
	if len(page) != 2 || page[0].EventId != 2 {
		t.Fatalf("got %v, want 2, 1", ids(page))
	}
	if err := store.Apply(s, &store.Change{Events: []store.RunEvent{event(5, shape.EventTypeMarkerRecorded)}}); err == nil {
		t.Fatal("got no error appending a duplicate event id, want one")
	}
}

func ids(evs []shape.HistoryEvent) []int64 {
	var out []int64
	for _, e := range evs {
		out = append(out, e.EventId)
	}
	return out
}

// Many concurrent submits (which the driver batches) all land, each once.
func testConcurrent(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	const writers, each = 16, 50
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				run := fmt.Sprintf("r%d", w)
				errs <- <-s.Submit(&store.Change{Events: []store.RunEvent{{RunID: run, Event: &shape.HistoryEvent{EventId: int64(i + 1), EventType: shape.EventTypeMarkerRecorded, EventTimestamp: shape.TS(t0)}}}})
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for w := 0; w < writers; w++ {
		evs, err := s.Events(context.Background(), &store.EventsParams{RunID: fmt.Sprintf("r%d", w)})
		if err != nil || len(evs) != each {
			t.Fatalf("run r%d: got %d events (%v), want %d", w, len(evs), err, each)
		}
	}
}

// A change that fails (here: a duplicate event id) is written not at all,
// and does not fail the changes batched with it.
func testFailedChange(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	apply(t, s, &store.Change{Events: []store.RunEvent{event(1, shape.EventTypeMarkerRecorded)}})
	bad := s.Submit(&store.Change{
		Executions: []*store.Execution{execution("r9", "w9", true)},
		Events:     []store.RunEvent{event(1, shape.EventTypeMarkerRecorded)},
	})
	good := s.Submit(&store.Change{Events: []store.RunEvent{event(2, shape.EventTypeMarkerRecorded)}})
	if err := <-bad; err == nil {
		t.Fatal("got no error for a duplicate event, want one")
	}
	if err := <-good; err != nil {
		t.Fatalf("got %v for the good change, want nil", err)
	}
	if _, err := s.ExecutionGet(context.Background(), &store.ExecutionGetParams{Domain: "d", RunID: "r9"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("got %v, want the failed change's execution absent", err)
	}
}

func testSecret(t *testing.T, open Opener) {
	s := open(t)
	k1, err := s.Secret(context.Background())
	if err != nil || len(k1) < 16 {
		t.Fatalf("got key %x, %v; want a key", k1, err)
	}
	s.Close()
	s = open(t)
	defer s.Close()
	k2, _ := s.Secret(context.Background())
	if string(k1) != string(k2) {
		t.Fatal("got a new key after reopening, want the same key")
	}
}

// Purging removes closed executions that closed before the cut-off, with
// their history, and nothing else.
func testPurge(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	old, recent, running := execution("old", "w1", false), execution("recent", "w2", false), execution("r1", "w3", true)
	old.Info.CloseTimestamp = shape.TS(t0.Add(time.Hour))
	recent.Info.CloseTimestamp = shape.TS(t0.Add(3 * time.Hour))
	ev := func(run string) store.RunEvent {
		return store.RunEvent{RunID: run, Event: &shape.HistoryEvent{EventId: 1, EventType: shape.EventTypeWorkflowExecutionStarted, EventTimestamp: shape.TS(t0)}}
	}
	apply(t, s, &store.Change{Executions: []*store.Execution{old, recent, running}, Events: []store.RunEvent{ev("old"), ev("recent"), ev("r1")}})
	apply(t, s, &store.Change{PurgeClosed: []store.Purge{{Domain: "d", ClosedBefore: t0.Add(2 * time.Hour)}}})
	ctx := context.Background()
	for run, want := range map[string]bool{"old": false, "recent": true, "r1": true} {
		_, err := s.ExecutionGet(ctx, &store.ExecutionGetParams{Domain: "d", RunID: run})
		evs, _ := s.Events(ctx, &store.EventsParams{RunID: run})
		if got := err == nil && len(evs) == 1; got != want {
			t.Errorf("%s: got kept %v (err %v, %d events), want kept %v", run, got, err, len(evs), want)
		}
	}
}

// A run written open, rewritten while open, then closed moves from the open
// listing to the closed one, found by its close time.
func testOpenThenClosed(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	ctx := context.Background()
	e := execution("r1", "w1", true)
	apply(t, s, &store.Change{Executions: []*store.Execution{e}})
	e.NextEventID = 7
	apply(t, s, &store.Change{Executions: []*store.Execution{e}})
	count := func(p store.ExecutionListParams) int {
		t.Helper()
		p.Domain = "d"
		n, err := s.ExecutionCount(ctx, &p)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if o, c := count(store.ExecutionListParams{Open: true}), count(store.ExecutionListParams{}); o != 1 || c != 0 {
		t.Fatalf("while open: %d open, %d closed; want 1, 0", o, c)
	}
	closed := *e
	closed.Info.ExecutionStatus = shape.ExecutionStatusClosed
	closed.Info.CloseStatus = shape.CloseStatusCompleted
	closed.Info.CloseTimestamp = shape.TS(t0.Add(time.Minute))
	apply(t, s, &store.Change{Executions: []*store.Execution{&closed}})
	if o, c := count(store.ExecutionListParams{Open: true}), count(store.ExecutionListParams{}); o != 0 || c != 1 {
		t.Fatalf("after closing: %d open, %d closed; want 0, 1", o, c)
	}
	list, err := s.ExecutionList(ctx, &store.ExecutionListParams{Domain: "d", ByCloseTime: true, CloseFrom: t0, CloseTo: t0.Add(time.Hour), Limit: 10})
	if err != nil || len(list) != 1 || list[0].NextEventID != 7 || !list[0].Info.CloseTimestamp.Equal(t0.Add(time.Minute)) {
		t.Fatalf("closed by close time: got %d runs, %v; want r1 with its last data and close time", len(list), err)
	}
}

// testRawEvents: a raw page is each event's JSON exactly as encoding the
// event gives it (clients receive these bytes as they are), Data given
// with an event is what is stored, and UpTo bounds a forward page.
func testRawEvents(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	var evs []store.RunEvent
	for i := int64(1); i <= 6; i++ {
		evs = append(evs, event(i, shape.EventTypeMarkerRecorded))
	}
	// HTML characters, a non-ASCII one and a zero that AWS always sends.
	evs[1].Event.MarkerRecordedEventAttributes = &shape.MarkerRecordedEventAttributes{MarkerName: "<a&b>", Details: "✓"}
	evs[2].Event.WorkflowExecutionSignaledEventAttributes = &shape.WorkflowExecutionSignaledEventAttributes{SignalName: "s"}
	pre, err := json.Marshal(evs[3].Event)
	if err != nil {
		t.Fatal(err)
	}
	evs[3].Data = pre
	apply(t, s, &store.Change{Events: evs})
	ctx := context.Background()
	raw, err := s.RawEvents(ctx, &store.EventsParams{RunID: "r1", AfterID: 1, UpTo: 4})
	if err != nil || len(raw) != 3 {
		t.Fatalf("got %d events, %v; want 2..4", len(raw), err)
	}
	for i, b := range raw {
		want, _ := json.Marshal(evs[i+1].Event)
		if string(b) != string(want) {
			t.Errorf("event %d stored as\n%s\nwant\n%s", i+2, b, want)
		}
	}
	if raw, _ := s.RawEvents(ctx, &store.EventsParams{RunID: "r1", Reverse: true, Limit: 2}); len(raw) != 2 {
		t.Fatalf("got %d events, want 6, 5", len(raw))
	}
	if raw, err := s.RawEvents(ctx, &store.EventsParams{RunID: "none"}); err != nil || raw == nil || len(raw) != 0 {
		t.Fatalf("got %v, %v; want an empty page, not nil", raw, err)
	}
}
