package engine

import (
	"context"
	"reflect"
	"strings"
	"sync"

	"github.com/openswf/openswf/internal/auth"
	"github.com/openswf/openswf/internal/shape"
)

// Regions. As on AWS, each region has its own domains, and so its own
// types, executions and task lists: the region is the one a call is signed
// for (its SigV4 credential scope), or the server's --region for a call
// that names none. The engine keeps one namespace by naming each domain
// with a key that holds its region:
//
//	us-east-1, name without '/'  ->  name              (as stored before regions existed)
//	otherwise                    ->  region + "/" + name
//
// A valid domain name never holds '/', and a region never does, so the key
// splits back at its first '/'. A name with '/' (invalid, refused by
// RegisterDomain) is always prefixed, so it can never name a us-east-1 or
// another region's domain.
const bareRegion = "us-east-1"

func domainKey(region, name string) string {
	if region == bareRegion && !strings.Contains(name, "/") {
		return name
	}
	return region + "/" + name
}

// splitDomainKey returns the region and the name of a domain key.
func splitDomainKey(key string) (region, name string) {
	if r, n, ok := strings.Cut(key, "/"); ok {
		return r, n
	}
	return bareRegion, key
}

// domainName is the name a domain key shows callers.
func domainName(key string) string {
	_, name := splitDomainKey(key)
	return name
}

// region is the region of the call: the one the wire layer recorded, else
// the server's own.
func (e *Engine) region(ctx context.Context) string {
	if r, ok := auth.RegionFrom(ctx); ok && r != "" {
		return r
	}
	return e.cfg.Region
}

// inRegion reports whether a domain key belongs to the call's region. A
// task token names its domain; one carried to another region is unknown
// there, as it would be on AWS.
func (e *Engine) inRegion(ctx context.Context, key string) bool {
	r, _ := splitDomainKey(key)
	return r == e.region(ctx)
}

// Scope turns the domain name of a call's input into the domain key of the
// call's region, in place. The wire layer calls it on every decoded input
// before Authorize and the operation; from then on the engine deals in
// keys only, and shows callers names (domainName) and ARNs (domainARN).
// Inputs without a domain are left alone.
func (e *Engine) Scope(ctx context.Context, in any) {
	f := domainField(in)
	if f == nil {
		return
	}
	*f = domainKey(e.region(ctx), *f)
}

// domainField returns the member of in that names a domain: Name for the
// domain operations, Domain for the others; nil when there is none.
func domainField(in any) *string {
	switch in := in.(type) {
	case *shape.RegisterDomainInput:
		return &in.Name
	case *shape.DescribeDomainInput:
		return &in.Name
	case *shape.DeprecateDomainInput:
		return &in.Name
	case *shape.UndeprecateDomainInput:
		return &in.Name
	}
	v := reflect.ValueOf(in)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	i := domainIndex(v.Elem().Type())
	if i < 0 {
		return nil
	}
	return v.Elem().Field(i).Addr().Interface().(*string)
}

var domainIndexes sync.Map // reflect.Type -> index of its Domain string field, or -1

func domainIndex(t reflect.Type) int {
	if i, ok := domainIndexes.Load(t); ok {
		return i.(int)
	}
	i := -1
	if f, ok := t.FieldByName("Domain"); ok && f.Type.Kind() == reflect.String && len(f.Index) == 1 {
		i = f.Index[0]
	}
	domainIndexes.Store(t, i)
	return i
}
