package console

import (
	"fmt"
	"html/template"
	"sort"
	"strings"
	"time"

	"github.com/openswf/openswf/internal/shape"
)

// span is one bar of the timeline: a task or timer from its start to its
// end (open ones run to the end of the chart), with the time it started
// running for tasks that wait on a task list first.
type span struct {
	row, label   string
	kind         string // activity, decision, timer
	id           string // activity id, timer id, or the scheduled event id
	start, run   time.Time
	end          time.Time
	state        string // open, completed, failed, timed-out, canceled, fired
	title        string
	scheduledID  int64
	hasRun, done bool
}

// mark is a point on the timeline: a signal, the close.
type mark struct {
	at    time.Time
	label string
	kind  string
}

// Geometry of the timeline, in SVG user units.
const (
	tlWidth  = 1000
	tlLabel  = 170 // the label column
	tlRow    = 22
	tlMargin = 28 // the axis at the top
)

// timeline draws the history as SVG: one row per activity and timer, one
// for decision tasks, one for signals, from the first event to end.
// Every bar carries data- attributes naming what it is and its state, so
// tests (and the curious) can find it.
func timeline(events []shape.HistoryEvent, end time.Time) template.HTML {
	if len(events) == 0 {
		return ""
	}
	t0 := events[0].EventTimestamp.Time
	if last := events[len(events)-1].EventTimestamp.Time; last.After(end) {
		end = last
	}
	var spans []*span
	byID := map[int64]*span{}
	var marks []mark
	for _, ev := range events {
		at := ev.EventTimestamp.Time
		switch {
		case ev.DecisionTaskScheduledEventAttributes != nil:
			s := &span{row: "decisions", label: "decision tasks", kind: "decision", id: fmt.Sprint(ev.EventId), start: at, state: "open", scheduledID: ev.EventId}
			spans = append(spans, s)
			byID[ev.EventId] = s
		case ev.DecisionTaskStartedEventAttributes != nil:
			if s := byID[ev.DecisionTaskStartedEventAttributes.ScheduledEventId]; s != nil {
				s.run, s.hasRun = at, true
			}
		case ev.DecisionTaskCompletedEventAttributes != nil:
			closeSpan(byID[ev.DecisionTaskCompletedEventAttributes.ScheduledEventId], at, "completed")
		case ev.DecisionTaskTimedOutEventAttributes != nil:
			closeSpan(byID[ev.DecisionTaskTimedOutEventAttributes.ScheduledEventId], at, "timed-out")
		case ev.ActivityTaskScheduledEventAttributes != nil:
			a := ev.ActivityTaskScheduledEventAttributes
			s := &span{row: "activity " + a.ActivityId, label: a.ActivityId, kind: "activity", id: a.ActivityId, start: at, state: "open", scheduledID: ev.EventId}
			if a.ActivityType != nil {
				s.title = a.ActivityType.Name + " " + a.ActivityType.Version
			}
			spans = append(spans, s)
			byID[ev.EventId] = s
		case ev.ActivityTaskStartedEventAttributes != nil:
			if s := byID[ev.ActivityTaskStartedEventAttributes.ScheduledEventId]; s != nil {
				s.run, s.hasRun = at, true
			}
		case ev.ActivityTaskCompletedEventAttributes != nil:
			closeSpan(byID[ev.ActivityTaskCompletedEventAttributes.ScheduledEventId], at, "completed")
		case ev.ActivityTaskFailedEventAttributes != nil:
			closeSpan(byID[ev.ActivityTaskFailedEventAttributes.ScheduledEventId], at, "failed")
		case ev.ActivityTaskTimedOutEventAttributes != nil:
			a := ev.ActivityTaskTimedOutEventAttributes
			if s := byID[a.ScheduledEventId]; s != nil {
				closeSpan(s, at, "timed-out")
				s.title += " — timed out (" + string(a.TimeoutType) + ")"
			}
		case ev.ActivityTaskCanceledEventAttributes != nil:
			closeSpan(byID[ev.ActivityTaskCanceledEventAttributes.ScheduledEventId], at, "canceled")
		case ev.TimerStartedEventAttributes != nil:
			a := ev.TimerStartedEventAttributes
			s := &span{row: "timer " + a.TimerId, label: "timer " + a.TimerId, kind: "timer", id: a.TimerId, start: at, state: "open", scheduledID: ev.EventId,
				title: "fires after " + a.StartToFireTimeout + " s"}
			spans = append(spans, s)
			byID[ev.EventId] = s
		case ev.TimerFiredEventAttributes != nil:
			closeSpan(byID[ev.TimerFiredEventAttributes.StartedEventId], at, "fired")
		case ev.TimerCanceledEventAttributes != nil:
			closeSpan(byID[ev.TimerCanceledEventAttributes.StartedEventId], at, "canceled")
		case ev.WorkflowExecutionSignaledEventAttributes != nil:
			marks = append(marks, mark{at: at, label: ev.WorkflowExecutionSignaledEventAttributes.SignalName, kind: "signal"})
		case strings.HasPrefix(string(ev.EventType), "WorkflowExecution") && ev.EventType != shape.EventTypeWorkflowExecutionStarted &&
			ev.EventType != shape.EventTypeWorkflowExecutionCancelRequested:
			marks = append(marks, mark{at: at, label: string(ev.EventType), kind: "close"})
		}
	}
	// Rows in order of first appearance.
	var rows []string
	rowOf := map[string]int{}
	addRow := func(name string) int {
		if i, ok := rowOf[name]; ok {
			return i
		}
		rowOf[name] = len(rows)
		rows = append(rows, name)
		return rowOf[name]
	}
	for _, s := range spans {
		addRow(s.row)
	}
	if len(marks) > 0 {
		addRow("events")
	}
	total := end.Sub(t0)
	if total <= 0 {
		total = time.Second
	}
	x := func(t time.Time) float64 {
		f := float64(t.Sub(t0)) / float64(total)
		if f < 0 {
			f = 0
		}
		if f > 1 {
			f = 1
		}
		return tlLabel + f*float64(tlWidth-tlLabel-10)
	}
	height := tlMargin + len(rows)*tlRow + 6
	var b strings.Builder
	esc := template.HTMLEscapeString
	fmt.Fprintf(&b, `<svg class="timeline" viewBox="0 0 %d %d" width="100%%" role="img" aria-label="timeline" data-start="%s" data-end="%s">`,
		tlWidth, height, esc(fmtTime(t0)), esc(fmtTime(end)))
	// Axis: the start, the middle and the end.
	for i := 0; i <= 4; i++ {
		t := t0.Add(total * time.Duration(i) / 4)
		xx := x(t)
		fmt.Fprintf(&b, `<line class="tick" x1="%.1f" y1="%d" x2="%.1f" y2="%d"/>`, xx, tlMargin-6, xx, height)
		anchor := "middle"
		if i == 4 {
			anchor = "end"
		} else if i == 0 {
			anchor = "start"
		}
		step := time.Second
		if total < 10*time.Second {
			step = 10 * time.Millisecond
		}
		fmt.Fprintf(&b, `<text class="axis" x="%.1f" y="14" text-anchor="%s">+%s</text>`, xx, anchor, esc(t.Sub(t0).Round(step).String()))
	}
	for i, name := range rows {
		y := tlMargin + i*tlRow
		label := name
		for _, s := range spans {
			if s.row == name {
				label = s.label
				break
			}
		}
		if name == "events" {
			label = "signals, close"
		}
		fmt.Fprintf(&b, `<text class="label" x="4" y="%d">%s</text>`, y+15, esc(shorten(label, 24)))
	}
	sort.SliceStable(spans, func(i, j int) bool { return spans[i].start.Before(spans[j].start) })
	for _, s := range spans {
		y := tlMargin + rowOf[s.row]*tlRow + 3
		stop := s.end
		if !s.done {
			stop = end
		}
		fmt.Fprintf(&b, `<g class="bar %s %s" data-kind="%s" data-id="%s" data-state="%s"`, s.kind, s.state, s.kind, esc(s.id), s.state)
		if s.kind == "activity" {
			fmt.Fprintf(&b, ` data-activity="%s"`, esc(s.id))
		}
		b.WriteString(">")
		title := fmt.Sprintf("%s %s: scheduled %s", s.kind, s.id, fmtTime(s.start))
		if s.hasRun {
			title += ", started " + fmtTime(s.run)
		}
		if s.done {
			title += ", " + s.state + " " + fmtTime(s.end)
		}
		if s.title != "" {
			title += " (" + s.title + ")"
		}
		fmt.Fprintf(&b, `<title>%s</title>`, esc(title))
		runAt := stop
		if s.hasRun {
			runAt = s.run
		}
		// Waiting on the task list, then running.
		fmt.Fprintf(&b, `<rect class="wait" x="%.1f" y="%d" width="%.1f" height="%d"/>`, x(s.start), y, maxf(x(runAt)-x(s.start), 1), tlRow-8)
		if s.hasRun || s.kind == "timer" {
			from := runAt
			if s.kind == "timer" {
				from = s.start
			}
			fmt.Fprintf(&b, `<rect class="run" x="%.1f" y="%d" width="%.1f" height="%d"/>`, x(from), y, maxf(x(stop)-x(from), 2), tlRow-8)
		}
		b.WriteString("</g>")
	}
	if len(marks) > 0 {
		y := tlMargin + rowOf["events"]*tlRow + tlRow/2
		for _, m := range marks {
			fmt.Fprintf(&b, `<g class="mark %s" data-kind="%s"><title>%s %s</title><circle cx="%.1f" cy="%d" r="5"/></g>`,
				m.kind, m.kind, esc(m.label), esc(fmtTime(m.at)), x(m.at), y)
		}
	}
	b.WriteString("</svg>")
	return template.HTML(b.String())
}

func closeSpan(s *span, at time.Time, state string) {
	if s == nil {
		return
	}
	s.end, s.state, s.done = at, state, true
}

func maxf(a, b float64) float64 {
	if a > b {
		return a
	}
	return b
}

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
