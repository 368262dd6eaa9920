package storetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/store"
)

// The cases in this file pin down what drivers built on different
// databases must agree on: filters, sort order and paging of listings,
// every byte of a record, and the order changes take effect in.

// listed runs a list and a count with the same parameters and returns the
// listed run ids, checking the count agrees.
func listed(t *testing.T, s store.Store, p store.ExecutionListParams) []string {
	t.Helper()
	ctx := context.Background()
	rows, err := s.ExecutionList(ctx, &p)
	if err != nil {
		t.Fatalf("list %+v: %v", p, err)
	}
	n, err := s.ExecutionCount(ctx, &p)
	if err != nil {
		t.Fatalf("count %+v: %v", p, err)
	}
	var ids []string
	for _, r := range rows {
		ids = append(ids, r.Info.Execution.RunId)
	}
	if p.Limit == 0 && n != len(ids) {
		t.Fatalf("%+v: count %d, but list gave %v", p, n, ids)
	}
	return ids
}

// Each filter of a listing, alone, with the count agreeing. The type, tag
// and close status live in a record that also holds a NUL (some databases
// cannot read such JSON), and one tag is itself a NUL-holding string.
func testListFilters(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	run := func(id, domain, wf, typ, ver string, startMin int, closeStatus shape.CloseStatus, closeMin int, tags ...string) *store.Execution {
		e := execution(id, wf, closeStatus == "")
		e.Domain = domain
		e.Info.WorkflowType = &shape.WorkflowType{Name: typ, Version: ver}
		e.Info.StartTimestamp = shape.TS(at(startMin))
		e.Info.TagList = tags
		e.LatestExecutionContext = "context with a NUL: \x00."
		if closeStatus != "" {
			e.Info.CloseStatus = closeStatus
			e.Info.CloseTimestamp = shape.TS(at(closeMin))
		}
		return e
	}
	nul := "nul\x00tag"
	apply(t, s, &store.Change{Executions: []*store.Execution{
		run("e1", "d", "w1", "wf", "1", 0, "", 0, "red", nul),
		run("e2", "d", "w2", "wf", "2", 1, "", 0, "blue"),
		run("e3", "d", "w1", "other", "1", 2, shape.CloseStatusCompleted, 3, "red"),
		run("e4", "d", "w3", "wf", "1", 4, shape.CloseStatusFailed, 5),
		run("e5", "d", "w4", "wf", "1", -60, shape.CloseStatusCompleted, -30),
		run("o1", "other", "w1", "wf", "1", 0, "", 0, "red"),
		run("o2", "other", "w1", "wf", "1", 0, shape.CloseStatusCompleted, 3, "red"),
	}})
	for _, c := range []struct {
		p    store.ExecutionListParams
		want []string
	}{
		{store.ExecutionListParams{Open: true}, []string{"e2", "e1"}},
		{store.ExecutionListParams{}, []string{"e4", "e3", "e5"}},
		{store.ExecutionListParams{Open: true, WorkflowID: "w1"}, []string{"e1"}},
		{store.ExecutionListParams{WorkflowID: "w1"}, []string{"e3"}},
		{store.ExecutionListParams{Open: true, TypeName: "wf"}, []string{"e2", "e1"}},
		{store.ExecutionListParams{Open: true, TypeName: "wf", TypeVersion: "1"}, []string{"e1"}},
		{store.ExecutionListParams{TypeName: "other"}, []string{"e3"}},
		{store.ExecutionListParams{Open: true, Tag: "red"}, []string{"e1"}},
		{store.ExecutionListParams{Open: true, Tag: nul}, []string{"e1"}},
		{store.ExecutionListParams{Open: true, Tag: "nul"}, nil},
		{store.ExecutionListParams{Tag: "red"}, []string{"e3"}},
		{store.ExecutionListParams{CloseStatus: string(shape.CloseStatusCompleted)}, []string{"e3", "e5"}},
		{store.ExecutionListParams{CloseStatus: string(shape.CloseStatusTerminated)}, nil},
		{store.ExecutionListParams{Open: true, StartFrom: at(0).Add(time.Second)}, []string{"e2"}},
		{store.ExecutionListParams{Open: true, StartTo: at(0)}, []string{"e1"}},
		{store.ExecutionListParams{Open: true, StartFrom: at(0), StartTo: at(1)}, []string{"e2", "e1"}},
		{store.ExecutionListParams{StartFrom: at(2), StartTo: at(4)}, []string{"e4", "e3"}},
		{store.ExecutionListParams{ByCloseTime: true, CloseFrom: at(4)}, []string{"e4"}},
		{store.ExecutionListParams{ByCloseTime: true, CloseTo: at(3)}, []string{"e3", "e5"}},
		{store.ExecutionListParams{ByCloseTime: true, ClosedAfter: at(0)}, []string{"e4", "e3"}},
		{store.ExecutionListParams{ClosedAfter: at(-30)}, []string{"e4", "e3", "e5"}},
		{store.ExecutionListParams{ClosedAfter: at(-29)}, []string{"e4", "e3"}},
	} {
		c.p.Domain = "d"
		if got := listed(t, s, c.p); !slices.Equal(got, c.want) {
			t.Errorf("%+v: got %v, want %v", c.p, got, c.want)
		}
	}
	ctx := context.Background()
	if _, err := s.ExecutionGet(ctx, &store.ExecutionGetParams{Domain: "other", RunID: "e1"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("run e1 of domain d asked for in domain other: got %v, want ErrNotFound", err)
	}
	if n, err := s.ExecutionCount(ctx, &store.ExecutionListParams{Domain: "none", Open: true}); err != nil || n != 0 {
		t.Errorf("count of a domain without runs: got %d, %v; want 0", n, err)
	}
}

// Listings sort by time, then run id in byte order (run ids are base64url:
// upper and lower case, '-' and '_'), newest first unless Reverse, and page
// from a cursor of the last row's time and run id.
func testListPaging(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	ids := []string{"A1", "a1", "_1", "-1", "b1", "B1", "0z", "Zz", "zZ", "aa"}
	var runs []*store.Execution
	for i, id := range ids {
		e := execution(id, "w"+id, false)
		// Pairs of runs share a start time; close times tie differently.
		e.Info.StartTimestamp = shape.TS(t0.Add(time.Duration(i/2) * time.Second))
		e.Info.CloseStatus = shape.CloseStatusCompleted
		e.Info.CloseTimestamp = shape.TS(t0.Add(time.Hour + time.Duration(i%3)*time.Second))
		runs = append(runs, e)
	}
	apply(t, s, &store.Change{Executions: runs})
	for _, byClose := range []bool{false, true} {
		for _, reverse := range []bool{false, true} {
			sortTime := func(e *store.Execution) int64 {
				if byClose {
					return e.Info.CloseTimestamp.UnixMilli()
				}
				return e.Info.StartTimestamp.UnixMilli()
			}
			want := slices.Clone(runs)
			slices.SortFunc(want, func(a, b *store.Execution) int {
				c := cmp.Or(cmp.Compare(sortTime(a), sortTime(b)), strings.Compare(a.Info.Execution.RunId, b.Info.Execution.RunId))
				if !reverse {
					c = -c
				}
				return c
			})
			var wantIDs []string
			for _, e := range want {
				wantIDs = append(wantIDs, e.Info.Execution.RunId)
			}
			p := store.ExecutionListParams{Domain: "d", ByCloseTime: byClose, Reverse: reverse, StartFrom: t0.Add(-time.Hour)}
			if byClose {
				p.StartFrom, p.CloseFrom = time.Time{}, t0
			}
			if got := listed(t, s, p); !slices.Equal(got, wantIDs) {
				t.Errorf("byClose %v reverse %v, one page: got %v, want %v", byClose, reverse, got, wantIDs)
			}
			var got []string
			for page := 0; page < 20; page++ {
				p.Limit = 3
				rows, err := s.ExecutionList(context.Background(), &p)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range rows {
					got = append(got, r.Info.Execution.RunId)
				}
				if len(rows) < p.Limit {
					break
				}
				last := rows[len(rows)-1]
				p.AfterTime, p.AfterRunID = sortTime(last), last.Info.Execution.RunId
			}
			if !slices.Equal(got, wantIDs) {
				t.Errorf("byClose %v reverse %v, pages of 3: got %v, want %v", byClose, reverse, got, wantIDs)
			}
		}
	}
}

// A heartbeat's details come back byte for byte (a NUL included), no
// details stay distinct from empty ones, and its time keeps nanoseconds.
// A heartbeat for an activity that is gone writes nothing.
func testHeartbeatDetails(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	apply(t, s, &store.Change{PutActivities: []*store.Activity{{RunID: "r1", ActivityID: "a1", ScheduledEventID: 5, Input: "in"}}})
	load := func() *store.Activity {
		t.Helper()
		snap, err := s.Load(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(snap.Activities) != 1 {
			t.Fatalf("got %d activities, want 1", len(snap.Activities))
		}
		return snap.Activities[0]
	}
	at := t0.Add(time.Second + 123456789*time.Nanosecond)
	for _, d := range []*string{ptr("50%"), ptr("a\x00b ✓ \U0001D11E"), ptr(""), nil, ptr(strings.Repeat("x", 2048))} {
		apply(t, s, &store.Change{Heartbeats: []store.Heartbeat{{RunID: "r1", ScheduledEventID: 5, At: at, Details: d}}})
		a := load()
		if !a.HeartbeatAt.Equal(at) {
			t.Errorf("got heartbeat time %v, want %v", a.HeartbeatAt, at)
		}
		switch {
		case d == nil && a.HeartbeatDetails != nil:
			t.Errorf("got details %q after a heartbeat without, want none", *a.HeartbeatDetails)
		case d != nil && (a.HeartbeatDetails == nil || *a.HeartbeatDetails != *d):
			t.Errorf("got details %v, want %q", a.HeartbeatDetails, *d)
		}
		at = at.Add(time.Nanosecond)
	}
	apply(t, s, &store.Change{Heartbeats: []store.Heartbeat{{RunID: "gone", ScheduledEventID: 5, At: at, Details: ptr("x")}}})
	if snap, _ := s.Load(context.Background()); len(snap.Activities) != 1 {
		t.Fatalf("got %d activities after a heartbeat for a missing one, want 1", len(snap.Activities))
	}
}

func ptr[T any](v T) *T { return &v }

// Records come back byte for byte, whatever the strings in them hold.
func testRecordBytes(t *testing.T, open Opener) {
	s := open(t)
	const odd = "NUL \x00, tab \t, quote \", backslash \\, <&>, é, ✓, \U0001D11E, \u2028"
	e := execution("r1", "w1", true)
	e.LatestExecutionContext = odd
	e.Info.TagList = []string{odd}
	marker := &shape.HistoryEvent{EventId: 1, EventType: shape.EventTypeMarkerRecorded, EventTimestamp: shape.TS(t0),
		MarkerRecordedEventAttributes: &shape.MarkerRecordedEventAttributes{MarkerName: "m", Details: odd, DecisionTaskCompletedEventId: 4}}
	apply(t, s, &store.Change{
		Executions:    []*store.Execution{e},
		Events:        []store.RunEvent{{RunID: "r1", Event: marker}},
		PutActivities: []*store.Activity{{RunID: "r1", ActivityID: "a1", ScheduledEventID: 5, Input: odd, Control: odd}},
		PutTimers:     []*store.Timer{{RunID: "r1", TimerID: "t1", StartedEventID: 6, FireAt: t0, Control: odd}},
	})
	s.Close()
	s = open(t)
	defer s.Close()
	ctx := context.Background()
	snap, err := s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Executions) != 1 || snap.Executions[0].LatestExecutionContext != odd || !slices.Equal(snap.Executions[0].Info.TagList, []string{odd}) {
		t.Errorf("got executions %+v, want r1 with its context and tag intact", snap.Executions)
	}
	if len(snap.Activities) != 1 || snap.Activities[0].Input != odd || snap.Activities[0].Control != odd {
		t.Errorf("got activities %+v, want a1 with its input and control intact", snap.Activities)
	}
	if len(snap.Timers) != 1 || snap.Timers[0].Control != odd {
		t.Errorf("got timers %+v, want t1 with its control intact", snap.Timers)
	}
	evs, err := s.Events(ctx, &store.EventsParams{RunID: "r1"})
	if err != nil || len(evs) != 1 || evs[0].MarkerRecordedEventAttributes == nil || evs[0].MarkerRecordedEventAttributes.Details != odd {
		t.Errorf("got events %+v, %v; want the marker with its details intact", evs, err)
	}
	got, err := s.ExecutionGet(ctx, &store.ExecutionGetParams{Domain: "d", RunID: "r1", WorkflowID: "w1"})
	if err != nil || got.LatestExecutionContext != odd {
		t.Errorf("ExecutionGet: got %v, %v; want r1 with its context intact", got, err)
	}
}

// Domains and types are replaced by a later write and deleted by key.
func testTypesAndDomains(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	dom := func(status shape.RegistrationStatus) *store.Domain {
		return &store.Domain{Info: shape.DomainInfo{Name: "d", Status: status}}
	}
	at := func(name string, status shape.RegistrationStatus) *store.ActivityType {
		return &store.ActivityType{Domain: "d", Info: shape.ActivityTypeInfo{ActivityType: &shape.ActivityType{Name: name, Version: "1"}, Status: status, CreationDate: shape.TS(t0)}}
	}
	wt := func(name string, status shape.RegistrationStatus) *store.WorkflowType {
		return &store.WorkflowType{Domain: "d", Info: shape.WorkflowTypeInfo{WorkflowType: &shape.WorkflowType{Name: name, Version: "1"}, Status: status, CreationDate: shape.TS(t0)}}
	}
	reg, dep := shape.RegistrationStatusRegistered, shape.RegistrationStatusDeprecated
	apply(t, s, &store.Change{Domains: []*store.Domain{dom(reg)}, ActivityTypes: []*store.ActivityType{at("a", reg), at("b", reg)}, WorkflowTypes: []*store.WorkflowType{wt("w", reg), wt("x", reg)}})
	apply(t, s, &store.Change{Domains: []*store.Domain{dom(dep)}, ActivityTypes: []*store.ActivityType{at("a", dep)}, WorkflowTypes: []*store.WorkflowType{wt("w", dep)},
		DelActivityTypes: []store.TypeKey{{Domain: "d", Name: "b", Version: "1"}}, DelWorkflowTypes: []store.TypeKey{{Domain: "d", Name: "x", Version: "1"}}})
	snap, err := s.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Domains) != 1 || snap.Domains[0].Info.Status != dep {
		t.Errorf("got domains %+v, want d deprecated", snap.Domains)
	}
	if len(snap.ActivityTypes) != 1 || snap.ActivityTypes[0].Info.ActivityType.Name != "a" || snap.ActivityTypes[0].Info.Status != dep {
		t.Errorf("got activity types %+v, want a deprecated", snap.ActivityTypes)
	}
	if len(snap.WorkflowTypes) != 1 || snap.WorkflowTypes[0].Info.WorkflowType.Name != "w" || snap.WorkflowTypes[0].Info.Status != dep {
		t.Errorf("got workflow types %+v, want w deprecated", snap.WorkflowTypes)
	}
}

// Changes submitted without waiting take effect in Submit order, however
// the driver batches them: the last write of a row wins, a heartbeat
// after a rewrite of its activity is kept, a delete after a put deletes.
func testSubmitOrder(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	var waits []<-chan error
	submit := func(c *store.Change) { waits = append(waits, s.Submit(c)) }
	e := execution("r1", "w1", true)
	act := &store.Activity{RunID: "r1", ActivityID: "a1", ScheduledEventID: 5, Input: "in"}
	gone := &store.Activity{RunID: "r1", ActivityID: "a2", ScheduledEventID: 7}
	submit(&store.Change{PutActivities: []*store.Activity{act, gone}, PutTimers: []*store.Timer{{RunID: "r1", TimerID: "t1", FireAt: t0}}})
	for i := int64(1); i <= 100; i++ {
		cp := *e
		cp.NextEventID = i
		submit(&store.Change{Executions: []*store.Execution{&cp}})
		submit(&store.Change{Heartbeats: []store.Heartbeat{{RunID: "r1", ScheduledEventID: 5, At: t0.Add(time.Duration(i) * time.Second), Details: ptr(fmt.Sprint(i))}}})
		if i == 50 {
			rewritten := *act
			rewritten.CancelRequestedEventID = 9
			submit(&store.Change{PutActivities: []*store.Activity{&rewritten}, DelActivities: []store.ActivityKey{{RunID: "r1", ScheduledEventID: 7}}, DelTimers: []store.TimerKey{{RunID: "r1", TimerID: "t1"}}})
		}
	}
	// Several heartbeats of one activity in a row, some in one change.
	submit(&store.Change{Heartbeats: []store.Heartbeat{
		{RunID: "r1", ScheduledEventID: 5, At: t0.Add(time.Hour), Details: ptr("101")},
		{RunID: "r1", ScheduledEventID: 5, At: t0.Add(2 * time.Hour), Details: ptr("102")},
	}})
	submit(&store.Change{Heartbeats: []store.Heartbeat{{RunID: "r1", ScheduledEventID: 5, At: t0.Add(3 * time.Hour), Details: ptr("last")}}})
	for _, w := range waits {
		if err := <-w; err != nil {
			t.Fatal(err)
		}
	}
	snap, err := s.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Executions) != 1 || snap.Executions[0].NextEventID != 100 {
		t.Fatalf("got executions %+v, want r1 as last written (NextEventID 100)", snap.Executions)
	}
	if len(snap.Timers) != 0 {
		t.Errorf("got timers %+v, want t1 deleted", snap.Timers)
	}
	if len(snap.Activities) != 1 {
		t.Fatalf("got %d activities, want a1 only", len(snap.Activities))
	}
	a := snap.Activities[0]
	if a.CancelRequestedEventID != 9 || a.HeartbeatDetails == nil || *a.HeartbeatDetails != "last" || !a.HeartbeatAt.Equal(t0.Add(3*time.Hour)) {
		t.Errorf("got activity %+v (details %v), want the rewrite and the last heartbeat", a, a.HeartbeatDetails)
	}
}

// A failed change among others submitted together leaves no trace, the
// others all land, and the store goes on working.
func testFailedAmongOthers(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	apply(t, s, &store.Change{
		Events:        []store.RunEvent{event(1, shape.EventTypeMarkerRecorded)},
		PutActivities: []*store.Activity{{RunID: "r1", ActivityID: "a1", ScheduledEventID: 5}},
	})
	hb := func(d string) *store.Change {
		return &store.Change{Heartbeats: []store.Heartbeat{{RunID: "r1", ScheduledEventID: 5, At: t0, Details: ptr(d)}}}
	}
	before := []<-chan error{s.Submit(hb("1")), s.Submit(&store.Change{Executions: []*store.Execution{execution("ok1", "w1", true)}}), s.Submit(hb("2"))}
	bad := s.Submit(&store.Change{
		Executions:    []*store.Execution{execution("bad", "w9", true)},
		PutActivities: []*store.Activity{{RunID: "bad", ActivityID: "a9", ScheduledEventID: 5}},
		Events:        []store.RunEvent{event(1, shape.EventTypeMarkerRecorded)},
	})
	after := []<-chan error{s.Submit(hb("3")), s.Submit(&store.Change{Executions: []*store.Execution{execution("ok2", "w2", true)}, Events: []store.RunEvent{event(2, shape.EventTypeMarkerRecorded)}}), s.Submit(hb("4"))}
	if err := <-bad; err == nil {
		t.Fatal("got no error for a duplicate event, want one")
	}
	for _, w := range append(before, after...) {
		if err := <-w; err != nil {
			t.Fatalf("got %v for a good change, want nil", err)
		}
	}
	snap, err := s.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var runs []string
	for _, e := range snap.Executions {
		runs = append(runs, e.Info.Execution.RunId)
	}
	slices.Sort(runs)
	if !slices.Equal(runs, []string{"ok1", "ok2"}) {
		t.Errorf("got open runs %v, want ok1 and ok2", runs)
	}
	if len(snap.Activities) != 1 || *snap.Activities[0].HeartbeatDetails != "4" {
		t.Errorf("got activities %+v, want a1 with the last heartbeat", snap.Activities)
	}
	if evs, _ := s.Events(context.Background(), &store.EventsParams{RunID: "r1"}); len(evs) != 2 {
		t.Errorf("got %d events of r1, want 2", len(evs))
	}
	apply(t, s, hb("5"))
}

// A store that is closed answers a Submit with an error, at once.
func testSubmitAfterClose(t *testing.T, open Opener) {
	s := open(t)
	apply(t, s, &store.Change{Domains: []*store.Domain{{Info: shape.DomainInfo{Name: "d"}}}})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.Submit(&store.Change{Domains: []*store.Domain{{Info: shape.DomainInfo{Name: "e"}}}}):
		if err == nil {
			t.Fatal("got nil for a Submit after Close, want an error")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a Submit after Close did not answer")
	}
}

// Events without a limit are the whole history; a run without events has
// an empty one.
func testEventsWhole(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	var evs []store.RunEvent
	for i := int64(1); i <= 1200; i++ {
		evs = append(evs, event(i, shape.EventTypeMarkerRecorded))
	}
	apply(t, s, &store.Change{Events: evs})
	ctx := context.Background()
	all, err := s.Events(ctx, &store.EventsParams{RunID: "r1"})
	if err != nil || len(all) != 1200 || all[0].EventId != 1 || all[1199].EventId != 1200 {
		t.Fatalf("got %d events (%v), want 1..1200", len(all), err)
	}
	back, err := s.Events(ctx, &store.EventsParams{RunID: "r1", Reverse: true})
	if err != nil || len(back) != 1200 || back[0].EventId != 1200 {
		t.Fatalf("reverse: got %d events (%v), want 1200..1", len(back), err)
	}
	none, err := s.Events(ctx, &store.EventsParams{RunID: "nothing", Limit: 10})
	if err != nil || len(none) != 0 {
		t.Fatalf("got %v, %v for a run without events, want none", ids(none), err)
	}
}
