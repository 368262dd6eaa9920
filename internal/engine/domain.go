package engine

import (
	"context"
	"sort"
	"strconv"

	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/store"
	"github.com/openswf/openswf/internal/swf"
)

// RegisterDomain creates a domain.
// Faults: DomainAlreadyExistsFault, LimitExceededFault, ValidationException.
func (e *Engine) RegisterDomain(ctx context.Context, in *shape.RegisterDomainInput) error {
	if err := swf.CheckName("name", in.Name); err != nil {
		return err
	}
	if err := e.checkRetention(in.WorkflowExecutionRetentionPeriodInDays); err != nil {
		return err
	}
	if len(in.Tags) > maxDomainTags {
		return swf.NewFault(swf.TooManyTagsFault, "a domain may have at most %d tags; %d given", maxDomainTags, len(in.Tags))
	}
	for i, t := range in.Tags {
		if err := checkTag(i, t.Key, t.Value); err != nil {
			return err
		}
	}
	e.regMu.Lock()
	defer e.regMu.Unlock()
	if _, ok := e.domains[in.Name]; ok {
		return swf.NewFault(swf.DomainAlreadyExistsFault, "Domain already exists: %s", in.Name)
	}
	if len(e.domains) >= e.lim.MaxDomains {
		return swf.NewFault(swf.LimitExceededFault, "this account may have at most %d domains", e.lim.MaxDomains)
	}
	d := &store.Domain{
		Info: shape.DomainInfo{
			Name: in.Name, Description: in.Description, Status: shape.RegistrationStatusRegistered,
			Arn: e.domainARN(in.Name),
		},
		Config: shape.DomainConfiguration{WorkflowExecutionRetentionPeriodInDays: in.WorkflowExecutionRetentionPeriodInDays},
		Tags:   in.Tags,
	}
	if err := store.Apply(e.st, &store.Change{Domains: []*store.Domain{d}}); err != nil {
		return err
	}
	e.domains[in.Name] = d
	return nil
}

func (e *Engine) domainARN(name string) string {
	return "arn:aws:swf:" + e.cfg.Region + ":" + e.cfg.AccountID + ":/domain/" + name
}

func (e *Engine) checkRetention(v string) error {
	if v == swf.None {
		return nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > e.lim.MaxRetentionDays {
		return swf.Invalid("workflowExecutionRetentionPeriodInDays: '%s' must be NONE or a whole number of days from 0 to %d", v, e.lim.MaxRetentionDays)
	}
	return nil
}

// DescribeDomain returns a domain's information and configuration.
func (e *Engine) DescribeDomain(ctx context.Context, in *shape.DescribeDomainInput) (*shape.DomainDetail, error) {
	e.regMu.RLock()
	defer e.regMu.RUnlock()
	d, ok := e.domains[in.Name]
	if !ok {
		return nil, unknownDomain(in.Name)
	}
	info, cfg := d.Info, d.Config
	return &shape.DomainDetail{DomainInfo: &info, Configuration: &cfg}, nil
}

func unknownDomain(name string) error { return swf.Unknown("Unknown domain: %s", name) }

// DeprecateDomain stops new executions and types in a domain.
func (e *Engine) DeprecateDomain(ctx context.Context, in *shape.DeprecateDomainInput) error {
	return e.setDomainStatus(in.Name, shape.RegistrationStatusDeprecated)
}

// UndeprecateDomain makes a deprecated domain usable again.
func (e *Engine) UndeprecateDomain(ctx context.Context, in *shape.UndeprecateDomainInput) error {
	return e.setDomainStatus(in.Name, shape.RegistrationStatusRegistered)
}

func (e *Engine) setDomainStatus(name string, to shape.RegistrationStatus) error {
	e.regMu.Lock()
	defer e.regMu.Unlock()
	d, ok := e.domains[name]
	if !ok {
		return unknownDomain(name)
	}
	if d.Info.Status == to {
		if to == shape.RegistrationStatusDeprecated {
			return swf.NewFault(swf.DomainDeprecatedFault, "Domain is already deprecated: %s", name)
		}
		return swf.NewFault(swf.DomainAlreadyExistsFault, "Domain is already registered: %s", name)
	}
	cp := *d
	cp.Info.Status = to
	if err := store.Apply(e.st, &store.Change{Domains: []*store.Domain{&cp}}); err != nil {
		return err
	}
	e.domains[name] = &cp
	return nil
}

// ListDomains lists domains of one status by name, paged.
func (e *Engine) ListDomains(ctx context.Context, in *shape.ListDomainsInput) (*shape.DomainInfos, error) {
	e.regMu.RLock()
	var all []shape.DomainInfo
	for _, d := range e.domains {
		if d.Info.Status == in.RegistrationStatus {
			all = append(all, d.Info)
		}
	}
	e.regMu.RUnlock()
	keys := func(i int) string { return all[i].Name }
	page, next, err := pageOf(len(all), keys, func(i, j int) { all[i], all[j] = all[j], all[i] }, e.pager(in, ""), in.NextPageToken, in.MaximumPageSize, in.ReverseOrder, e.lim.ListDefaultPageSize)
	if err != nil {
		return nil, err
	}
	out := &shape.DomainInfos{DomainInfos: []shape.DomainInfo{}, NextPageToken: next}
	for _, i := range page {
		out.DomainInfos = append(out.DomainInfos, all[i])
	}
	return out, nil
}

// pageOf sorts n items by key (swap moves them), then returns the indexes
// of the page after the cursor token and the token of the next page.
func pageOf(n int, key func(int) string, swap func(i, j int), pg pager, token string, size int32, reverse bool, def int) ([]int, string, error) {
	sort.Sort(sorter{n: n, less: func(i, j int) bool {
		if reverse {
			return key(i) > key(j)
		}
		return key(i) < key(j)
	}, swap: swap})
	cursor, err := pg.open(token)
	if err != nil {
		return nil, "", err
	}
	after := string(cursor)
	limit := int(size)
	if limit <= 0 {
		limit = def
	}
	var page []int
	for i := 0; i < n; i++ {
		k := key(i)
		if after != "" && ((!reverse && k <= after) || (reverse && k >= after)) {
			continue
		}
		if len(page) == limit {
			return page, pg.seal([]byte(key(page[len(page)-1]))), nil
		}
		page = append(page, i)
	}
	return page, "", nil
}

type sorter struct {
	n    int
	less func(i, j int) bool
	swap func(i, j int)
}

func (s sorter) Len() int           { return s.n }
func (s sorter) Less(i, j int) bool { return s.less(i, j) }
func (s sorter) Swap(i, j int)      { s.swap(i, j) }

// usableDomain returns a registered domain, or the fault for a missing or
// deprecated one. e.regMu must be held.
func (e *Engine) usableDomainLocked(name string) (*store.Domain, error) {
	d, ok := e.domains[name]
	if !ok {
		return nil, unknownDomain(name)
	}
	if d.Info.Status != shape.RegistrationStatusRegistered {
		// The model lists no DomainDeprecatedFault for the operations that
		// create things in a domain; AWS answers as for an unknown domain.
		return nil, swf.Unknown("Domain is deprecated: %s", name)
	}
	return d, nil
}

func (e *Engine) domainExists(name string) error {
	e.regMu.RLock()
	defer e.regMu.RUnlock()
	if _, ok := e.domains[name]; !ok {
		return unknownDomain(name)
	}
	return nil
}
