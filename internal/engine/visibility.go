package engine

import (
	"context"
	"encoding/binary"
	"strings"
	"time"
	"unicode"

	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/store"
	"github.com/openswf/openswf/internal/swf"
)

// listQuery is what the four list and count operations have in common.
type listQuery struct {
	domain      string
	open        bool
	start       *shape.ExecutionTimeFilter
	close       *shape.ExecutionTimeFilter
	execution   *shape.WorkflowExecutionFilter
	typ         *shape.WorkflowTypeFilter
	tag         *shape.TagFilter
	closeStatus *shape.CloseStatusFilter
}

// params checks the filter rules and builds the store query.
func (e *Engine) params(q listQuery) (*store.ExecutionListParams, error) {
	if err := e.domainExists(q.domain); err != nil {
		return nil, err
	}
	// AWS names the filters given by their shapes, in this order (one
	// message from AWS shows [WorkflowTypeFilter, CloseStatusFilter]), and
	// checks them before the time filters (as moto does).
	var given []string
	for _, f := range []struct {
		set  bool
		name string
	}{
		{q.execution != nil, "WorkflowExecutionFilter"},
		{q.typ != nil, "WorkflowTypeFilter"},
		{q.tag != nil, "TagFilter"},
		{q.closeStatus != nil, "CloseStatusFilter"},
	} {
		if f.set {
			given = append(given, f.name)
		}
	}
	if len(given) > 1 {
		return nil, swf.Invalid("Cannot specify more than one exclusive filters in the same query: [%s]", strings.Join(given, ", "))
	}
	if !q.open && q.start != nil && q.close != nil {
		return nil, swf.Invalid("Cannot specify both a startTimeFilter and a closeTimeFilter")
	}
	if !q.open && q.start == nil && q.close == nil {
		return nil, swf.Invalid("Must specify time filter")
	}
	p := &store.ExecutionListParams{Domain: q.domain, Open: q.open}
	if !q.open {
		p.ClosedAfter = e.retentionCutoff(q.domain)
	}
	if f := q.start; f != nil {
		p.StartFrom, p.StartTo = f.OldestDate.Time, f.LatestDate.Time
	}
	if f := q.close; f != nil {
		p.CloseFrom, p.CloseTo, p.ByCloseTime = f.OldestDate.Time, f.LatestDate.Time, true
	}
	if q.execution != nil {
		p.WorkflowID = q.execution.WorkflowId
	}
	if q.typ != nil {
		p.TypeName, p.TypeVersion = q.typ.Name, q.typ.Version
	}
	if q.tag != nil {
		p.Tag = q.tag.Tag
	}
	if q.closeStatus != nil {
		p.CloseStatus = string(q.closeStatus.Status)
	}
	return p, nil
}

func (e *Engine) list(ctx context.Context, q listQuery, pg pager, token string, size int32, reverse bool) (*shape.WorkflowExecutionInfos, error) {
	p, err := e.params(q)
	if err != nil {
		return nil, err
	}
	p.Reverse = reverse
	if token != "" {
		if p.AfterTime, p.AfterRunID, err = decodeListCursor(pg, token); err != nil {
			return nil, err
		}
	}
	limit := int(size)
	if limit <= 0 {
		limit = e.lim.ListDefaultPageSize
	}
	p.Limit = limit + 1
	rows, err := e.st.ExecutionList(ctx, p)
	if err != nil {
		return nil, err
	}
	out := &shape.WorkflowExecutionInfos{ExecutionInfos: []shape.WorkflowExecutionInfo{}}
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		at := last.Info.StartTimestamp.UnixMilli()
		if p.ByCloseTime {
			at = last.Info.CloseTimestamp.UnixMilli()
		}
		out.NextPageToken = pg.seal(append(binary.AppendVarint(nil, at), last.Info.Execution.RunId...))
	}
	for _, r := range rows {
		out.ExecutionInfos = append(out.ExecutionInfos, r.Info)
	}
	return out, nil
}

// decodeListCursor opens an execution listing's token: the last row's
// sort time (a varint) and run id.
func decodeListCursor(pg pager, token string) (int64, string, error) {
	b, err := pg.open(token)
	if err != nil {
		return 0, "", err
	}
	if at, n := binary.Varint(b); n > 0 && len(b) > n {
		return at, string(b[n:]), nil
	}
	return 0, "", errPageToken() // sealed by us, so never reached unless the layout changes
}

func (e *Engine) count(ctx context.Context, q listQuery) (*shape.WorkflowExecutionCount, error) {
	p, err := e.params(q)
	if err != nil {
		return nil, err
	}
	n, err := e.st.ExecutionCount(ctx, p)
	if err != nil {
		return nil, err
	}
	return &shape.WorkflowExecutionCount{Count: int32(n)}, nil
}

// ListOpenWorkflowExecutions lists a domain's open executions.
func (e *Engine) ListOpenWorkflowExecutions(ctx context.Context, in *shape.ListOpenWorkflowExecutionsInput) (*shape.WorkflowExecutionInfos, error) {
	return e.list(ctx, listQuery{domain: in.Domain, open: true, start: in.StartTimeFilter, execution: in.ExecutionFilter, typ: in.TypeFilter, tag: in.TagFilter},
		e.pager(in, ""), in.NextPageToken, in.MaximumPageSize, in.ReverseOrder)
}

// ListClosedWorkflowExecutions lists a domain's closed executions still
// within its retention period.
func (e *Engine) ListClosedWorkflowExecutions(ctx context.Context, in *shape.ListClosedWorkflowExecutionsInput) (*shape.WorkflowExecutionInfos, error) {
	return e.list(ctx, listQuery{domain: in.Domain, start: in.StartTimeFilter, close: in.CloseTimeFilter, execution: in.ExecutionFilter, typ: in.TypeFilter, tag: in.TagFilter, closeStatus: in.CloseStatusFilter},
		e.pager(in, ""), in.NextPageToken, in.MaximumPageSize, in.ReverseOrder)
}

// CountOpenWorkflowExecutions counts a domain's open executions.
func (e *Engine) CountOpenWorkflowExecutions(ctx context.Context, in *shape.CountOpenWorkflowExecutionsInput) (*shape.WorkflowExecutionCount, error) {
	return e.count(ctx, listQuery{domain: in.Domain, open: true, start: in.StartTimeFilter, execution: in.ExecutionFilter, typ: in.TypeFilter, tag: in.TagFilter})
}

// CountClosedWorkflowExecutions counts a domain's closed executions.
func (e *Engine) CountClosedWorkflowExecutions(ctx context.Context, in *shape.CountClosedWorkflowExecutionsInput) (*shape.WorkflowExecutionCount, error) {
	return e.count(ctx, listQuery{domain: in.Domain, start: in.StartTimeFilter, close: in.CloseTimeFilter, execution: in.ExecutionFilter, typ: in.TypeFilter, tag: in.TagFilter, closeStatus: in.CloseStatusFilter})
}

// retentionCutoff is the oldest close time still visible in a domain. With
// retention NONE or 0, AWS keeps nothing once an execution closes.
func (e *Engine) retentionCutoff(domain string) time.Time {
	e.regMu.RLock()
	d := e.domains[domain]
	e.regMu.RUnlock()
	now := e.clk.Now()
	if d == nil {
		return now
	}
	days := durationOf(d.Config.WorkflowExecutionRetentionPeriodInDays)
	return now.Add(-time.Duration(days) * 24 * time.Hour)
}

// defaultSweepInterval is how often closed executions past retention are
// deleted, unless Config.SweepInterval says otherwise. Reads hide them at
// once whatever the sweep's timing.
const defaultSweepInterval = time.Hour

func (e *Engine) sweep() {
	select {
	case <-e.drain:
		return // shutting down: the store may be closed
	default:
	}
	e.regMu.RLock()
	var c store.Change
	for name := range e.domains {
		c.PurgeClosed = append(c.PurgeClosed, store.Purge{Domain: name})
	}
	e.regMu.RUnlock()
	for i := range c.PurgeClosed {
		c.PurgeClosed[i].ClosedBefore = e.retentionCutoff(c.PurgeClosed[i].Domain)
	}
	if err := store.Apply(e.st, &c); err != nil {
		e.log.Error("retention sweep failed", "err", err)
	}
	e.scheduleSweep()
}

func (e *Engine) scheduleSweep() {
	select {
	case <-e.drain:
		return
	default:
	}
	e.clk.AfterFunc(e.cfg.SweepInterval, e.sweep)
}

// domainOfARN returns the key of the domain an ARN names, if it is one of
// ours in the call's region.
func (e *Engine) domainOfARN(ctx context.Context, arn string) (string, error) {
	region := e.region(ctx)
	prefix := "arn:aws:swf:" + region + ":" + e.cfg.AccountID + ":/domain/"
	if !strings.HasPrefix(arn, prefix) || len(arn) == len(prefix) {
		return "", swf.Unknown("Unknown resource: %s", arn)
	}
	return domainKey(region, arn[len(prefix):]), nil
}

// maxDomainTags is the most tags a domain may have.
const maxDomainTags = 50

// TagResource adds or replaces tags of a domain.
func (e *Engine) TagResource(ctx context.Context, in *shape.TagResourceInput) error {
	for i, t := range in.Tags {
		if err := checkTag(i, t.Key, t.Value); err != nil {
			return err
		}
	}
	return e.retag(ctx, in.ResourceArn, func(tags []shape.ResourceTag) ([]shape.ResourceTag, error) {
		for _, t := range in.Tags {
			tags = setTag(tags, t)
		}
		if len(tags) > maxDomainTags {
			return nil, swf.NewFault(swf.TooManyTagsFault, "a domain may have at most %d tags; this would make %d", maxDomainTags, len(tags))
		}
		return tags, nil
	})
}

// UntagResource removes tags of a domain by key.
func (e *Engine) UntagResource(ctx context.Context, in *shape.UntagResourceInput) error {
	return e.retag(ctx, in.ResourceArn, func(tags []shape.ResourceTag) ([]shape.ResourceTag, error) {
		var out []shape.ResourceTag
		for _, t := range tags {
			keep := true
			for _, k := range in.TagKeys {
				keep = keep && t.Key != k
			}
			if keep {
				out = append(out, t)
			}
		}
		return out, nil
	})
}

// ListTagsForResource lists a domain's tags.
func (e *Engine) ListTagsForResource(ctx context.Context, in *shape.ListTagsForResourceInput) (*shape.ListTagsForResourceOutput, error) {
	name, err := e.domainOfARN(ctx, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	e.regMu.RLock()
	defer e.regMu.RUnlock()
	d := e.domains[name]
	if d == nil {
		return nil, swf.Unknown("Unknown resource: %s", in.ResourceArn)
	}
	return &shape.ListTagsForResourceOutput{Tags: append([]shape.ResourceTag{}, d.Tags...)}, nil
}

func (e *Engine) retag(ctx context.Context, arn string, f func([]shape.ResourceTag) ([]shape.ResourceTag, error)) error {
	name, err := e.domainOfARN(ctx, arn)
	if err != nil {
		return err
	}
	if err := e.lockRegistry(); err != nil {
		return err
	}
	defer e.regMu.Unlock()
	d := e.domains[name]
	if d == nil {
		return swf.Unknown("Unknown resource: %s", arn)
	}
	tags, err := f(append([]shape.ResourceTag{}, d.Tags...))
	if err != nil {
		return err
	}
	cp := *d
	cp.Tags = tags
	if err := e.applyRegistry(&store.Change{Domains: []*store.Domain{&cp}}); err != nil {
		return err
	}
	e.domains[name] = &cp
	return nil
}

func setTag(tags []shape.ResourceTag, t shape.ResourceTag) []shape.ResourceTag {
	for i := range tags {
		if tags[i].Key == t.Key {
			tags[i] = t
			return tags
		}
	}
	return append(tags, t)
}

// checkTag applies AWS's tag character rule: unicode letters, digits,
// white space and _ . : / = + - @.
func checkTag(i int, key, value string) error {
	for _, s := range []string{key, value} {
		for _, r := range s {
			if !(isLetterOrDigit(r) || r == ' ' || r == '\t' || strings.ContainsRune("_.:/=+-@", r)) {
				return swf.Invalid("tags.%d: '%c' is not allowed in a tag; use letters, digits, white space or _ . : / = + - @", i+1, r)
			}
		}
	}
	return nil
}

func isLetterOrDigit(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
