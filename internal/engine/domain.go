package engine

import (
	"context"
	"sort"
	"strconv"

	"github.com/openswf/openswf/internal/auth"
	"github.com/openswf/openswf/internal/shape"
	"github.com/openswf/openswf/internal/store"
	"github.com/openswf/openswf/internal/swf"
)

// RegisterDomain creates a domain. in.Name is the domain key (Scope).
// Faults: DomainAlreadyExistsFault, LimitExceededFault, ValidationException.
func (e *Engine) RegisterDomain(ctx context.Context, in *shape.RegisterDomainInput) error {
	region, name := splitDomainKey(in.Name)
	if err := swf.CheckName("name", name); err != nil {
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
	if err := e.lockRegistry(); err != nil {
		return err
	}
	defer e.regMu.Unlock()
	if _, ok := e.domains[in.Name]; ok {
		return swf.NewFault(swf.DomainAlreadyExistsFault, "%s", name)
	}
	if e.countDomainsLocked(region) >= e.lim.MaxDomains {
		return swf.NewFault(swf.LimitExceededFault, "this account may have at most %d domains in %s", e.lim.MaxDomains, region)
	}
	d := &store.Domain{
		Info: shape.DomainInfo{
			Name: in.Name, Description: in.Description, Status: shape.RegistrationStatusRegistered,
			Arn: e.domainARN(in.Name),
		},
		Config: shape.DomainConfiguration{WorkflowExecutionRetentionPeriodInDays: in.WorkflowExecutionRetentionPeriodInDays},
		Tags:   in.Tags,
	}
	if err := e.applyRegistry(&store.Change{Domains: []*store.Domain{d}}); err != nil {
		return err
	}
	e.domains[in.Name] = d
	return nil
}

// domainARN is the ARN of the domain with this key, in its region.
func (e *Engine) domainARN(key string) string {
	region, name := splitDomainKey(key)
	return auth.ARN(region, e.cfg.AccountID, name)
}

// countDomainsLocked counts the domains of a region (the quota is per
// region, as on AWS). e.regMu must be held.
func (e *Engine) countDomainsLocked(region string) int {
	n := 0
	for key := range e.domains {
		if r, _ := splitDomainKey(key); r == region {
			n++
		}
	}
	return n
}

// shownInfo is a domain's information as callers see it: its name and
// its region's ARN, not the key it is kept under.
func (e *Engine) shownInfo(d *store.Domain) shape.DomainInfo {
	info := d.Info
	info.Name, info.Arn = domainName(d.Info.Name), e.domainARN(d.Info.Name)
	return info
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
	info, cfg := e.shownInfo(d), d.Config
	return &shape.DomainDetail{DomainInfo: &info, Configuration: &cfg}, nil
}

func unknownDomain(key string) error { return swf.Unknown("Unknown domain: %s", domainName(key)) }

// DeprecateDomain stops new executions and types in a domain.
func (e *Engine) DeprecateDomain(ctx context.Context, in *shape.DeprecateDomainInput) error {
	return e.setDomainStatus(in.Name, shape.RegistrationStatusDeprecated)
}

// UndeprecateDomain makes a deprecated domain usable again.
func (e *Engine) UndeprecateDomain(ctx context.Context, in *shape.UndeprecateDomainInput) error {
	return e.setDomainStatus(in.Name, shape.RegistrationStatusRegistered)
}

func (e *Engine) setDomainStatus(name string, to shape.RegistrationStatus) error {
	if err := e.lockRegistry(); err != nil {
		return err
	}
	defer e.regMu.Unlock()
	d, ok := e.domains[name]
	if !ok {
		return unknownDomain(name)
	}
	if d.Info.Status == to {
		if to == shape.RegistrationStatusDeprecated {
			return swf.NewFault(swf.DomainDeprecatedFault, "%s", domainName(name))
		}
		return swf.NewFault(swf.DomainAlreadyExistsFault, "%s", domainName(name))
	}
	cp := *d
	cp.Info.Status = to
	if err := e.applyRegistry(&store.Change{Domains: []*store.Domain{&cp}}); err != nil {
		return err
	}
	e.domains[name] = &cp
	return nil
}

// ListDomains lists domains of one status by name, paged.
func (e *Engine) ListDomains(ctx context.Context, in *shape.ListDomainsInput) (*shape.DomainInfos, error) {
	region := e.region(ctx)
	e.regMu.RLock()
	var all []shape.DomainInfo
	for key, d := range e.domains {
		if r, _ := splitDomainKey(key); r == region && d.Info.Status == in.RegistrationStatus {
			all = append(all, e.shownInfo(d))
		}
	}
	e.regMu.RUnlock()
	keys := func(i int) string { return all[i].Name }
	page, next, err := pageOf(len(all), keys, func(i, j int) { all[i], all[j] = all[j], all[i] }, e.pager(in, region), in.NextPageToken, in.MaximumPageSize, in.ReverseOrder, e.lim.ListDefaultPageSize)
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
		return nil, swf.Unknown("Domain is deprecated: %s", domainName(name))
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
