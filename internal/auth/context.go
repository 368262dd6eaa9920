package auth

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Context holds the condition keys of one authorization decision and their
// values, e.g. {"swf:activityType.name": {"resize"}}. A key that is absent,
// or present with no values, is missing: Null conditions see it as null,
// ...IfExists operators pass, ForAllValues passes, ForAnyValue fails,
// negated operators (StringNotEquals, ...) pass and the rest fail.
//
// Keys are looked up case-insensitively, as IAM treats condition key names;
// values are compared as each operator says. A nil Context has no keys.
type Context map[string][]string

// lookup returns the values of key, matching the key's name
// case-insensitively.
func (c Context) lookup(key string) []string {
	if v, ok := c[key]; ok {
		return v
	}
	for k, v := range c {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}

// Condition keys Amazon SWF defines (BEHAVIOR.md section 8). The engine fills
// in those its operation or decision takes, with the values that will
// actually be used: a task list left out of ScheduleActivityTask but
// defaulted by the activity type's registration is that default.
const (
	KeyActivityTypeName    = "swf:activityType.name"
	KeyActivityTypeVersion = "swf:activityType.version"
	KeyWorkflowTypeName    = "swf:workflowType.name"
	KeyWorkflowTypeVersion = "swf:workflowType.version"
	KeyTaskListName        = "swf:taskList.name"
	KeyDefaultTaskListName = "swf:defaultTaskList.name"
	KeyName                = "swf:name"    // RegisterActivityType, RegisterWorkflowType
	KeyVersion             = "swf:version" // RegisterActivityType, RegisterWorkflowType
	KeyTagFilterTag        = "swf:tagFilter.tag"
	KeyTypeFilterName      = "swf:typeFilter.name"
	KeyTypeFilterVersion   = "swf:typeFilter.version"
	KeyTagKeys             = "aws:TagKeys" // multivalued: every tag key of the request
)

// Global condition keys the wire layer can supply for every decision of a
// request through WithGlobalKeys.
const (
	KeySourceIP        = "aws:SourceIp"        // the client's address, for IpAddress
	KeySecureTransport = "aws:SecureTransport" // "true" over TLS, for Bool
	KeyUsername        = "aws:username"        // the principal's name
)

// KeyTagListMember is the key of the i'th tag (0..4) of a tagList,
// "swf:tagList.member.<i>".
func KeyTagListMember(i int) string { return "swf:tagList.member." + strconv.Itoa(i) }

// KeyRequestTag is the key of the request tag named k, "aws:RequestTag/<k>".
func KeyRequestTag(k string) string { return "aws:RequestTag/" + k }

// KeyResourceTag is the key of the resource (domain) tag named k,
// "aws:ResourceTag/<k>".
func KeyResourceTag(k string) string { return "aws:ResourceTag/" + k }

// ARN is the Amazon Resource Name of a domain, the resource every SWF
// action is authorized against: arn:aws:swf:<region>:<account>:/domain/<name>.
// For ListDomains, whose resource is all domains, pass "*" as the domain.
func ARN(region, account, domain string) string {
	return "arn:aws:swf:" + region + ":" + account + ":/domain/" + domain
}

// Authorizer answers whether a caller may perform action (e.g.
// "swf:ScheduleActivityTask") on resource (a domain ARN) given the condition
// keys in ctx. *Principal and *Policy implement it. Implementations must be
// safe for concurrent use.
type Authorizer interface {
	Allowed(action, resource string, ctx Context) bool
}

// AllowAll is the Authorizer of a server running without credentials (on
// loopback, or explicitly open): it allows everything. Attach it rather than
// nothing when the absence of a caller should mean "unrestricted", so that
// the engine never has to guess.
var AllowAll Authorizer = allowAll{}

type allowAll struct{}

func (allowAll) Allowed(string, string, Context) bool { return true }

// callKey keys the one context value that describes a call: who makes it
// and the region it is made to.
type callKey struct{}

type call struct {
	a      Authorizer
	region string
}

// allowAllCalls holds one shared *call per region for unchecked callers,
// so that attaching them costs a request nothing beyond the context; the
// number of regions kept is bounded, as callers name them.
var (
	allowAllCalls   sync.Map // region -> *call
	allowAllRegions atomic.Int32
)

const maxSharedRegions = 64

// WithCall returns a copy of ctx that carries the caller a (the engine
// checks each decision against it) and the region of the call.
func WithCall(ctx context.Context, a Authorizer, region string) context.Context {
	if a == AllowAll {
		if c, ok := allowAllCalls.Load(region); ok {
			return context.WithValue(ctx, callKey{}, c)
		}
		c := &call{a, region}
		if allowAllRegions.Add(1) <= maxSharedRegions {
			allowAllCalls.Store(region, c)
		}
		return context.WithValue(ctx, callKey{}, c)
	}
	return context.WithValue(ctx, callKey{}, &call{a, region})
}

func callOf(ctx context.Context) *call {
	c, _ := ctx.Value(callKey{}).(*call)
	return c
}

// WithPrincipal returns a copy of ctx that carries a, the authenticated
// caller, keeping the region ctx names.
func WithPrincipal(ctx context.Context, a Authorizer) context.Context {
	region, _ := RegionFrom(ctx)
	return WithCall(ctx, a, region)
}

// FromContext returns the caller attached by WithCall or WithPrincipal, and
// false if none was.
func FromContext(ctx context.Context) (Authorizer, bool) {
	if c := callOf(ctx); c != nil && c.a != nil {
		return c.a, true
	}
	return nil, false
}

// PrincipalName returns the name of the principal a answers for (the name
// in the credentials file), looking through WithGlobalKeys, or "" if a is
// no principal (AllowAll, a bare *Policy).
func PrincipalName(a Authorizer) string {
	switch a := a.(type) {
	case *Principal:
		if a != nil {
			return a.name
		}
	case globalKeys:
		return PrincipalName(a.a)
	}
	return ""
}

// WithGlobalKeys returns an Authorizer that adds keys (aws:SourceIp,
// aws:SecureTransport, ...) to the Context of every question before asking
// a. A key the question already has keeps its own values.
func WithGlobalKeys(a Authorizer, keys Context) Authorizer {
	if len(keys) == 0 {
		return a
	}
	return globalKeys{a: a, keys: keys}
}

type globalKeys struct {
	a    Authorizer
	keys Context
}

func (g globalKeys) Allowed(action, resource string, ctx Context) bool {
	merged := make(Context, len(ctx)+len(g.keys))
	for k, v := range g.keys {
		merged[k] = v
	}
	for k, v := range ctx {
		for gk := range g.keys {
			if gk != k && strings.EqualFold(gk, k) {
				delete(merged, gk)
			}
		}
		merged[k] = v
	}
	return g.a.Allowed(action, resource, merged)
}

// WithRegion returns a copy of ctx that records the region a call was made
// to (the region of its SigV4 credential scope), keeping its caller.
func WithRegion(ctx context.Context, region string) context.Context {
	var a Authorizer
	if c := callOf(ctx); c != nil {
		a = c.a
	}
	return WithCall(ctx, a, region)
}

// RegionFrom returns the region WithCall or WithRegion recorded, if any.
func RegionFrom(ctx context.Context) (string, bool) {
	if c := callOf(ctx); c != nil && c.region != "" {
		return c.region, true
	}
	return "", false
}

// CredentialRegion returns the region of a request's SigV4 credential scope
// (Authorization header or presigned X-Amz-Credential), without checking
// the signature; "" when the request names none or a malformed one. A
// server that checks signatures verifies the same scope in Authenticate.
func CredentialRegion(r *http.Request) string {
	var cred string
	if h := r.Header.Get("Authorization"); h != "" {
		// Read the header exactly as Authenticate does (parseSignature),
		// or a request could be served in another region than it signed.
		auth := strings.TrimSpace(h)
		if !strings.HasPrefix(auth, "AWS4-") {
			return ""
		}
		_, rest, _ := strings.Cut(auth, " ")
		cred = lastAuthParam(rest, "Credential")
	} else if r.URL.RawQuery != "" {
		cred = r.URL.Query().Get(queryCredential)
	}
	// keyid/date/region/service/aws4_request, without allocating: this
	// runs on every call.
	cred = strings.TrimSpace(cred)
	var parts [5]string
	for i := range 4 {
		var ok bool
		if parts[i], cred, ok = strings.Cut(cred, "/"); !ok {
			return ""
		}
	}
	if parts[4] = cred; strings.Contains(cred, "/") || !IsRegion(parts[2]) {
		return ""
	}
	return parts[2]
}

// lastAuthParam returns the value of the last key=value part of an
// Authorization header's parameters (after the algorithm) with the given
// key, the parts split at commas, spaces and tabs: what parseSignature's
// map holds for key, without allocating.
func lastAuthParam(params, key string) string {
	var value string
	for params != "" {
		i := strings.IndexFunc(params, isAuthParamSep)
		part := params
		if i >= 0 {
			part, params = params[:i], params[i+1:]
		} else {
			params = ""
		}
		if k, v, ok := strings.Cut(part, "="); ok && k == key {
			value = v
		}
	}
	return value
}

// isAuthParamSep reports whether r separates the parameters of an
// Authorization header.
func isAuthParamSep(r rune) bool { return r == ',' || r == ' ' || r == '\t' }
