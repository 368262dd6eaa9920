package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/openswf/openswf/internal/engine"
	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/swf"
)

// maxHistory bounds the events an execution page shows (the newest ones
// beyond it are cut, and the page says so).
const maxHistory = 2000

// pageSize is the executions listed per page.
const pageSize = 50

var funcs = template.FuncMap{
	"time":  fmtTime,
	"ts":    func(t shape.Timestamp) string { return fmtTime(t.Time) },
	"left":  timeLeft,
	"deref": func(s *string) string { return deref(s) },
	"execURL": func(domain, wid, rid string) string {
		return Path + "d/" + url.PathEscape(domain) + "/w/" + url.PathEscape(wid) + "/" + url.PathEscape(rid)
	},
	"domainURL": func(domain string) string { return Path + "d/" + url.PathEscape(domain) + "/" },
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05.000")
}

// timeLeft says how long until deadline at now: "" for none, "overdue"
// once passed.
func timeLeft(deadline, now time.Time) string {
	if deadline.IsZero() {
		return "—"
	}
	d := deadline.Sub(now)
	if d <= 0 {
		return "overdue"
	}
	return d.Truncate(time.Second).String()
}

func (c *Console) domains(w http.ResponseWriter, r *http.Request) {
	s, ctx := c.caller(w, r)
	if s == nil {
		return
	}
	var all []shape.DomainInfo
	for _, status := range []shape.RegistrationStatus{shape.RegistrationStatusRegistered, shape.RegistrationStatusDeprecated} {
		in := &shape.ListDomainsInput{RegistrationStatus: status, MaximumPageSize: 1000}
		var out *shape.DomainInfos
		if err := c.call(ctx, "ListDomains", in, func() (err error) { out, err = c.eng.ListDomains(ctx, in); return }); err != nil {
			c.fail(w, s, err)
			return
		}
		all = append(all, out.DomainInfos...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	c.render(w, http.StatusOK, "domains", s, all)
}

// executionsView is the executions page: the filters as given, the page
// of executions, and the link to the next page.
type executionsView struct {
	Domain                                              string
	Status, Type, Version, Tag, WorkflowID, CloseStatus string
	From, To                                            string
	Executions                                          []shape.WorkflowExecutionInfo
	Next                                                template.URL // "?" and the next page's query, or ""
	CloseStatuses                                       []string
}

func (c *Console) executions(w http.ResponseWriter, r *http.Request) {
	s, ctx := c.caller(w, r)
	if s == nil {
		return
	}
	q := r.URL.Query()
	v := executionsView{Domain: r.PathValue("domain"), Status: q.Get("status"), Type: q.Get("type"), Version: q.Get("version"),
		Tag: q.Get("tag"), WorkflowID: q.Get("workflowId"), CloseStatus: q.Get("closeStatus"), From: q.Get("from"), To: q.Get("to"),
		CloseStatuses: []string{"COMPLETED", "FAILED", "CANCELED", "TERMINATED", "CONTINUED_AS_NEW", "TIMED_OUT"}}
	if v.Status != "closed" {
		v.Status = "open"
	}
	tf := &shape.ExecutionTimeFilter{OldestDate: shape.TS(time.Unix(0, 0))}
	if t, ok := parseTime(v.From); ok {
		tf.OldestDate = shape.TS(t)
	}
	if t, ok := parseTime(v.To); ok {
		tf.LatestDate = shape.TS(t)
	}
	var typeFilter *shape.WorkflowTypeFilter
	if v.Type != "" {
		typeFilter = &shape.WorkflowTypeFilter{Name: v.Type, Version: v.Version}
	}
	var tagFilter *shape.TagFilter
	if v.Tag != "" {
		tagFilter = &shape.TagFilter{Tag: v.Tag}
	}
	var execFilter *shape.WorkflowExecutionFilter
	if v.WorkflowID != "" {
		execFilter = &shape.WorkflowExecutionFilter{WorkflowId: v.WorkflowID}
	}
	var out *shape.WorkflowExecutionInfos
	var err error
	if v.Status == "open" {
		in := &shape.ListOpenWorkflowExecutionsInput{Domain: v.Domain, StartTimeFilter: tf, TypeFilter: typeFilter, TagFilter: tagFilter,
			ExecutionFilter: execFilter, MaximumPageSize: pageSize, NextPageToken: q.Get("page")}
		err = c.call(ctx, "ListOpenWorkflowExecutions", in, func() (err error) { out, err = c.eng.ListOpenWorkflowExecutions(ctx, in); return })
	} else {
		in := &shape.ListClosedWorkflowExecutionsInput{Domain: v.Domain, StartTimeFilter: tf, TypeFilter: typeFilter, TagFilter: tagFilter,
			ExecutionFilter: execFilter, MaximumPageSize: pageSize, NextPageToken: q.Get("page")}
		if v.CloseStatus != "" {
			in.CloseStatusFilter = &shape.CloseStatusFilter{Status: shape.CloseStatus(v.CloseStatus)}
		}
		err = c.call(ctx, "ListClosedWorkflowExecutions", in, func() (err error) { out, err = c.eng.ListClosedWorkflowExecutions(ctx, in); return })
	}
	if err != nil {
		c.fail(w, s, err)
		return
	}
	v.Executions = out.ExecutionInfos
	if out.NextPageToken != "" {
		q.Set("page", out.NextPageToken)
		// Encode escapes every value, so the URL is safe as it is; as a
		// plain string the template would escape it a second time.
		v.Next = template.URL("?" + q.Encode())
	}
	c.render(w, http.StatusOK, "executions", s, v)
}

// parseTime reads a time filter: RFC 3339, a datetime-local field's
// "2006-01-02T15:04" (UTC), or a date.
func parseTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// taskListView is one row of the task lists page.
type taskListView struct {
	Name, Kind string
	Backlog    int32
	Truncated  bool
	Pollers    int
}

func (c *Console) taskLists(w http.ResponseWriter, r *http.Request) {
	s, ctx := c.caller(w, r)
	if s == nil {
		return
	}
	domain := r.PathValue("domain")
	// The busy lists come from the engine's Stats; each row is shown only
	// if the caller may count its tasks, and the count is the API's.
	var rows []taskListView
	for _, l := range c.eng.Stats().TaskLists {
		if l.Region != c.cfg.Region || l.Domain != domain {
			continue
		}
		row := taskListView{Name: l.Name, Kind: l.Kind, Pollers: l.Pollers}
		var count *shape.PendingTaskCount
		var err error
		if l.Kind == "activity" {
			in := &shape.CountPendingActivityTasksInput{Domain: domain, TaskList: &shape.TaskList{Name: l.Name}}
			err = c.call(ctx, "CountPendingActivityTasks", in, func() (err error) { count, err = c.eng.CountPendingActivityTasks(ctx, in); return })
		} else {
			in := &shape.CountPendingDecisionTasksInput{Domain: domain, TaskList: &shape.TaskList{Name: l.Name}}
			err = c.call(ctx, "CountPendingDecisionTasks", in, func() (err error) { count, err = c.eng.CountPendingDecisionTasks(ctx, in); return })
		}
		if err != nil {
			continue // not the caller's to see
		}
		row.Backlog, row.Truncated = count.Count, count.Truncated
		rows = append(rows, row)
	}
	c.render(w, http.StatusOK, "tasklists", s, map[string]any{"Domain": domain, "Lists": rows})
}

// executionView is an execution page; liveView is its part that the page
// reloads every second.
type executionView struct {
	Domain, WorkflowID, RunID string
	Live                      *liveView
	CanSignal, CanCancel      bool
	CanTerminate              bool
	Message                   string // the outcome of the last action
}

type liveView struct {
	Detail    *shape.WorkflowExecutionDetail
	Open      bool
	Now       time.Time
	Pending   []engine.PendingActivity
	Events    []eventRow
	Truncated bool
	Timeline  template.HTML
	Input     string
	Result    string
}

// eventRow is one history event in the table.
type eventRow struct {
	ID         int64
	Time       string
	Type       string
	Attributes string
}

// load reads what an execution page shows, through the engine's API
// methods (and PendingActivities, authorized as DescribeWorkflowExecution).
func (c *Console) load(ctx context.Context, domain, wid, rid string) (*liveView, error) {
	we := &shape.WorkflowExecution{WorkflowId: wid, RunId: rid}
	din := &shape.DescribeWorkflowExecutionInput{Domain: domain, Execution: we}
	v := &liveView{}
	if err := c.call(ctx, "DescribeWorkflowExecution", din, func() (err error) {
		if v.Detail, err = c.eng.DescribeWorkflowExecution(ctx, din); err != nil {
			return err
		}
		v.Pending, v.Now, err = c.eng.PendingActivities(ctx, din)
		return err
	}); err != nil {
		return nil, err
	}
	v.Open = v.Detail.ExecutionInfo.ExecutionStatus == shape.ExecutionStatusOpen
	var events []shape.HistoryEvent
	token := ""
	for {
		hin := &shape.GetWorkflowExecutionHistoryInput{Domain: domain, Execution: we, MaximumPageSize: 1000, NextPageToken: token}
		var h *shape.History
		if err := c.call(ctx, "GetWorkflowExecutionHistory", hin, func() (err error) { h, err = c.eng.GetWorkflowExecutionHistory(ctx, hin); return }); err != nil {
			return nil, err
		}
		page, err := h.RawEvents.Decode()
		if err != nil {
			return nil, err
		}
		events = append(events, page...)
		token = h.NextPageToken
		if token == "" {
			break
		}
		if len(events) >= maxHistory {
			v.Truncated = true
			break
		}
	}
	for _, ev := range events {
		v.Events = append(v.Events, eventRow{ID: ev.EventId, Time: fmtTime(ev.EventTimestamp.Time), Type: string(ev.EventType), Attributes: attributes(ev)})
		switch {
		case ev.WorkflowExecutionStartedEventAttributes != nil:
			v.Input = ev.WorkflowExecutionStartedEventAttributes.Input
		case ev.WorkflowExecutionCompletedEventAttributes != nil:
			v.Result = ev.WorkflowExecutionCompletedEventAttributes.Result
		}
	}
	end := v.Now
	if !v.Open && !v.Detail.ExecutionInfo.CloseTimestamp.IsZero() {
		end = v.Detail.ExecutionInfo.CloseTimestamp.Time
	}
	v.Timeline = timeline(events, end)
	return v, nil
}

// attributes is an event's attributes as compact JSON, as the API sends
// them.
func attributes(ev shape.HistoryEvent) string {
	b, err := json.Marshal(ev)
	if err != nil {
		return ""
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return ""
	}
	for k, v := range m {
		if strings.HasSuffix(k, "EventAttributes") {
			return string(v)
		}
	}
	return ""
}

func (c *Console) execution(w http.ResponseWriter, r *http.Request) {
	s, ctx := c.caller(w, r)
	if s == nil {
		return
	}
	domain, wid, rid := r.PathValue("domain"), r.PathValue("wid"), r.PathValue("rid")
	live, err := c.load(ctx, domain, wid, rid)
	if err != nil {
		if r.URL.Query().Get("live") != "" {
			// The page's script shows the status; the fault page is
			// for a whole page.
			status := http.StatusInternalServerError
			var f *swf.Fault
			if errors.As(err, &f) {
				switch f.Name {
				case swf.OperationNotPermittedFault:
					status = http.StatusForbidden
				case swf.UnknownResourceFault:
					status = http.StatusNotFound
				}
			}
			http.Error(w, http.StatusText(status), status)
			return
		}
		c.fail(w, s, err)
		return
	}
	if r.URL.Query().Get("live") != "" {
		c.render(w, http.StatusOK, "live", s, live)
		return
	}
	v := executionView{Domain: domain, WorkflowID: wid, RunID: rid, Live: live, Message: r.URL.Query().Get("done")}
	if live.Open {
		v.CanSignal = c.allowed(ctx, "SignalWorkflowExecution", &shape.SignalWorkflowExecutionInput{Domain: domain, WorkflowId: wid, RunId: rid, SignalName: "x"})
		v.CanCancel = c.allowed(ctx, "RequestCancelWorkflowExecution", &shape.RequestCancelWorkflowExecutionInput{Domain: domain, WorkflowId: wid, RunId: rid})
		v.CanTerminate = c.allowed(ctx, "TerminateWorkflowExecution", &shape.TerminateWorkflowExecutionInput{Domain: domain, WorkflowId: wid, RunId: rid})
	}
	c.render(w, http.StatusOK, "execution", s, v)
}

// actions are the POSTs an execution page makes, by the last path
// segment: the operation each one is.
var actions = map[string]string{
	"signal":    "SignalWorkflowExecution",
	"cancel":    "RequestCancelWorkflowExecution",
	"terminate": "TerminateWorkflowExecution",
}

// action runs signal, request cancel or terminate. The first POST (from
// the execution page) answers a confirmation page; the second, with
// confirm=yes, acts. Both must carry the session's CSRF token, and the
// operation goes through the caller's policies like an API call.
func (c *Console) action(w http.ResponseWriter, r *http.Request) {
	s, ctx := c.caller(w, r)
	if s == nil {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if !checkCSRF(s, r) {
		http.Error(w, "missing or wrong CSRF token: reload the page", http.StatusForbidden)
		return
	}
	name := r.PathValue("action")
	op := actions[name]
	if op == "" {
		http.NotFound(w, r)
		return
	}
	domain, wid, rid := r.PathValue("domain"), r.PathValue("wid"), r.PathValue("rid")
	form := map[string]string{}
	for _, k := range []string{"signalName", "input", "reason", "details"} {
		form[k] = r.PostFormValue(k)
	}
	if r.PostFormValue("confirm") != "yes" {
		c.render(w, http.StatusOK, "confirm", s, map[string]any{"Action": name, "Op": op, "Domain": domain, "WorkflowID": wid, "RunID": rid, "Form": form})
		return
	}
	var err error
	switch name {
	case "signal":
		in := &shape.SignalWorkflowExecutionInput{Domain: domain, WorkflowId: wid, RunId: rid, SignalName: form["signalName"], Input: form["input"]}
		if in.SignalName == "" {
			http.Error(w, "a signal needs a name", http.StatusBadRequest)
			return
		}
		err = c.call(ctx, op, in, func() error { return c.eng.SignalWorkflowExecution(ctx, in) })
	case "cancel":
		in := &shape.RequestCancelWorkflowExecutionInput{Domain: domain, WorkflowId: wid, RunId: rid}
		err = c.call(ctx, op, in, func() error { return c.eng.RequestCancelWorkflowExecution(ctx, in) })
	case "terminate":
		in := &shape.TerminateWorkflowExecutionInput{Domain: domain, WorkflowId: wid, RunId: rid, Reason: form["reason"], Details: form["details"]}
		err = c.call(ctx, op, in, func() error { return c.eng.TerminateWorkflowExecution(ctx, in) })
	}
	if err != nil {
		c.cfg.Log.Warn("console action refused", "op", op, "principal", s.name, "domain", domain, "workflow_id", wid, "err", err)
		c.fail(w, s, err)
		return
	}
	c.cfg.Log.Info("console action", "op", op, "principal", s.name, "domain", domain, "workflow_id", wid, "run_id", rid)
	back := Path + "d/" + url.PathEscape(domain) + "/w/" + url.PathEscape(wid) + "/" + url.PathEscape(rid) + "?done=" + url.QueryEscape(fmt.Sprintf("%s sent.", op))
	http.Redirect(w, r, back, http.StatusSeeOther)
}
