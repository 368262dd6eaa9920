package engine

import (
	"math"
	"slices"
	"sort"
	"time"
	"unique"

	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/store"
)

// actState is an open activity task in memory: what its store.Activity
// row holds, packed, and its place on its task list until it starts.
//
// The server holds every open task, a million of them at the scale it is
// built for (docs/benchmarks.md, "scale"), so each byte here is a
// megabyte there, and twice that in RSS once the collector's headroom is
// counted. Hence: times are Unix milliseconds (the engine keeps every time
// to the millisecond), event ids and timeouts are 32 bits (a history
// holds at most MaxHistoryEvents; a timeout is at most a year), the run id
// is the run's, and the names many tasks share (type, task list, worker
// identity) are interned handles rather than a copy each. A store.Activity
// is built only to be written or shown (record).
type actState struct {
	p        *pending // on its task list until started; nil after
	details  *string  // the last heartbeat's details; nil: none
	typ      unique.Handle[shape.ActivityType]
	list     unique.Handle[string]
	identity unique.Handle[string] // the zero handle until started

	// text is the activity id, input and control, one string: one
	// allocation and one header instead of three of each.
	text            string
	idLen, inputLen int32

	scheduledAt, startedAt, heartbeatAt int64 // Unix ms; 0: not yet
	nonce                               uint64

	scheduledID, startedID, cancelRequestedID int32 // startedID 0: not started
	priority                                  int32
	// Timeouts in seconds; 0 means NONE.
	scheduleToStart, scheduleToClose, startToClose, heartbeat int32
}

// newActState packs a stored activity.
func newActState(a *store.Activity) *actState {
	s := &actState{
		details:     a.HeartbeatDetails,
		typ:         unique.Make(a.ActivityType),
		list:        unique.Make(a.TaskList),
		scheduledAt: unixMS(a.ScheduledAt), startedAt: unixMS(a.StartedAt), heartbeatAt: unixMS(a.HeartbeatAt),
		nonce:       a.Nonce,
		scheduledID: int32(a.ScheduledEventID), startedID: int32(a.StartedEventID), cancelRequestedID: int32(a.CancelRequestedEventID),
		priority:        a.Priority,
		scheduleToStart: secs32(a.ScheduleToStart), scheduleToClose: secs32(a.ScheduleToClose),
		startToClose: secs32(a.StartToClose), heartbeat: secs32(a.Heartbeat),
	}
	if a.Identity != "" {
		s.identity = unique.Make(a.Identity)
	}
	s.setText(a.ActivityID, a.Input, a.Control)
	return s
}

func (s *actState) setText(id, input, control string) {
	s.text = id + input + control
	s.idLen, s.inputLen = int32(len(id)), int32(len(input))
}

func (s *actState) activityID() string { return s.text[:s.idLen] }
func (s *actState) input() string      { return s.text[s.idLen : s.idLen+s.inputLen] }
func (s *actState) control() string    { return s.text[s.idLen+s.inputLen:] }

// record unpacks s into the store's record of it, a fresh one each call.
func (s *actState) record(runID string) *store.Activity {
	return &store.Activity{
		RunID: runID, ActivityID: s.activityID(), ActivityType: s.typ.Value(),
		ScheduledEventID: int64(s.scheduledID), ScheduledAt: msTime(s.scheduledAt),
		StartedEventID: int64(s.startedID), StartedAt: msTime(s.startedAt), Identity: s.identityName(),
		Input: s.input(), Control: s.control(), TaskList: s.list.Value(), Priority: s.priority,
		ScheduleToStart: int64(s.scheduleToStart), ScheduleToClose: int64(s.scheduleToClose),
		StartToClose: int64(s.startToClose), Heartbeat: int64(s.heartbeat),
		CancelRequestedEventID: int64(s.cancelRequestedID), Nonce: s.nonce,
		HeartbeatAt: msTime(s.heartbeatAt), HeartbeatDetails: s.details,
	}
}

func (s *actState) identityName() string {
	if s.identity == (unique.Handle[string]{}) {
		return ""
	}
	return s.identity.Value()
}

func (s *actState) started() bool { return s.startedID != 0 }

// deadlines lists the deadlines the activity in its current state has.
func (s *actState) deadlines(runID string) []deadline {
	var ds []deadline
	base := deadline{runID: runID, eventID: int64(s.scheduledID), nonce: s.nonce}
	scheduled := msTime(s.scheduledAt)
	if s.scheduleToClose > 0 {
		d := base
		d.kind, d.at = tActivityScheduleToClose, scheduled.Add(seconds(int64(s.scheduleToClose)))
		ds = append(ds, d)
	}
	if !s.started() {
		if s.scheduleToStart > 0 {
			d := base
			d.kind, d.at = tActivityScheduleToStart, scheduled.Add(seconds(int64(s.scheduleToStart)))
			ds = append(ds, d)
		}
		return ds
	}
	if s.startToClose > 0 {
		d := base
		d.kind, d.at = tActivityStartToClose, msTime(s.startedAt).Add(seconds(int64(s.startToClose)))
		ds = append(ds, d)
	}
	if s.heartbeat > 0 {
		d := base
		d.kind, d.at = tActivityHeartbeat, s.heartbeatDeadline()
		ds = append(ds, d)
	}
	return ds
}

// heartbeatDeadline is derived, never stored: the heartbeat clock runs from
// the start or the last heartbeat, whichever is later.
func (s *actState) heartbeatDeadline() time.Time {
	return msTime(max(s.startedAt, s.heartbeatAt)).Add(seconds(int64(s.heartbeat)))
}

// unixMS is t in Unix milliseconds, 0 for the zero time.
func unixMS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// msTime is the UTC time of Unix milliseconds ms, the zero time for 0.
func msTime(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// secs32 packs a timeout in seconds. Past 68 years it stays at 68 years;
// the service allows a year at most.
func secs32(n int64) int32 { return int32(min(n, math.MaxInt32)) }

// actSet is a run's open activities in order of their scheduled event
// ids: a slice, 8 bytes a task, where the two maps it replaces (by
// scheduled event id and by activity id) took about 60. A task is found
// by its scheduled event id (every task-token call) in log n steps; by
// activity id (a decision scheduling or canceling one) in a walk over the
// run's open activities, at most MaxOpenActivities.
type actSet []*actState

// get returns the open activity scheduled by event id, or nil.
func (as actSet) get(id int64) *actState {
	i, ok := as.find(id)
	if !ok {
		return nil
	}
	return as[i]
}

func (as actSet) find(id int64) (int, bool) {
	i := sort.Search(len(as), func(i int) bool { return int64(as[i].scheduledID) >= id })
	return i, i < len(as) && int64(as[i].scheduledID) == id
}

// withID returns the open activity with this activity id, or nil.
func (as actSet) withID(activityID string) *actState {
	for _, s := range as {
		if s.activityID() == activityID {
			return s
		}
	}
	return nil
}

// add puts s in its place: last, unless it is restored out of order.
func (as *actSet) add(s *actState) {
	i, ok := as.find(int64(s.scheduledID))
	if ok {
		(*as)[i] = s
		return
	}
	*as = slices.Insert(*as, i, s)
}

// remove takes s out, if it is there.
func (as *actSet) remove(s *actState) {
	if i, ok := as.find(int64(s.scheduledID)); ok {
		*as = slices.Delete(*as, i, i+1)
	}
}
