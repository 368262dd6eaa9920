package auth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Policy is one compiled IAM policy document. It answers Allowed on its own,
// which is what tests and tools need; a principal's answer comes from all of
// its policies together (Principal.Allowed). Safe for concurrent use.
type Policy struct {
	statements []statement // Deny statements first; see evaluate
}

// ParsePolicy compiles an IAM policy document (JSON). It accepts what IAM
// accepts in an identity-based policy, minus what openswf cannot evaluate,
// and reports the first problem with the path of the element at fault
// (e.g. `Statement[1].Condition.StringEquals: ...`):
//
//   - Version: "2012-10-17" or "2008-10-17" (the default when absent);
//     Id: optional.
//   - Statement: one statement object or a non-empty list of them. Each has
//     Effect ("Allow" or "Deny"), exactly one of Action and NotAction, exactly
//     one of Resource and NotResource, and optionally Sid and Condition.
//     Principal and NotPrincipal belong to resource policies and are refused.
//   - Action: "*" or "service:name", name possibly with '*' and '?'. A literal
//     swf action must be an SWF operation or decision type, so that a typo
//     cannot silently disable a Deny. Actions compare case-insensitively.
//   - Resource: "*" or an ARN pattern; case-sensitive, wildcards per segment.
//   - Condition: the operators in the package documentation. Policy
//     variables (${...}) are refused in 2012-10-17 documents rather than taken
//     literally.
func ParsePolicy(doc []byte) (*Policy, error) {
	stmts, err := parsePolicyDocument(doc, "policy")
	if err != nil {
		return nil, err
	}
	return &Policy{statements: stmts}, nil
}

// Allowed reports whether the policy allows action on resource given ctx:
// some Allow statement applies and no Deny statement does.
func (p *Policy) Allowed(action, resource string, ctx Context) bool {
	if p == nil {
		return false
	}
	return evaluate(p.statements, action, resource, ctx)
}

// evaluate is IAM's evaluation logic for identity-based policies: an
// explicit Deny wins, then any Allow, and otherwise the default is deny.
// stmts holds every Deny statement before every Allow statement.
func evaluate(stmts []statement, action, resource string, ctx Context) bool {
	action = strings.ToLower(action)
	for i := range stmts {
		s := &stmts[i]
		if s.applies(action, resource, ctx) {
			return !s.deny
		}
	}
	return false
}

// sortStatements puts Deny statements before Allow statements, keeping
// their order otherwise, so that evaluate can stop at the first match.
func sortStatements(stmts []statement) []statement {
	out := make([]statement, 0, len(stmts))
	for _, s := range stmts {
		if s.deny {
			out = append(out, s)
		}
	}
	for _, s := range stmts {
		if !s.deny {
			out = append(out, s)
		}
	}
	return out
}

// statement is one compiled policy statement.
type statement struct {
	sid         string
	deny        bool
	notAction   bool
	actions     actionSet
	notResource bool
	resources   []arnPattern
	conditions  []condition
}

// applies reports whether the statement covers the request: action (lower
// case) is in its Action (or not in its NotAction), resource in its Resource
// (or not in its NotResource), and every condition holds.
func (s *statement) applies(action, resource string, ctx Context) bool {
	if s.actions.match(action) == s.notAction {
		return false
	}
	inResource := false
	for _, r := range s.resources {
		if r.match(resource) {
			inResource = true
			break
		}
	}
	if inResource == s.notResource {
		return false
	}
	for i := range s.conditions {
		if !s.conditions[i].eval(ctx) {
			return false
		}
	}
	return true
}

// actionSet is a compiled Action or NotAction list, lower-cased.
type actionSet struct {
	all   bool
	exact map[string]struct{}
	globs []glob
}

func (a *actionSet) match(action string) bool {
	if a.all {
		return true
	}
	if _, ok := a.exact[action]; ok {
		return true
	}
	for _, g := range a.globs {
		if g.match(action) {
			return true
		}
	}
	return false
}

// knownActions are the lower-cased names of every SWF action: the API's
// operations and the decision types of RespondDecisionTaskCompleted.
var knownActions = func() map[string]bool {
	names := []string{
		// Operations (model-2012-01-25.json).
		"CountClosedWorkflowExecutions", "CountOpenWorkflowExecutions", "CountPendingActivityTasks",
		"CountPendingDecisionTasks", "DeleteActivityType", "DeleteWorkflowType", "DeprecateActivityType",
		"DeprecateDomain", "DeprecateWorkflowType", "DescribeActivityType", "DescribeDomain",
		"DescribeWorkflowExecution", "DescribeWorkflowType", "GetWorkflowExecutionHistory",
		"ListActivityTypes", "ListClosedWorkflowExecutions", "ListDomains", "ListOpenWorkflowExecutions",
		"ListTagsForResource", "ListWorkflowTypes", "PollForActivityTask", "PollForDecisionTask",
		"RecordActivityTaskHeartbeat", "RegisterActivityType", "RegisterDomain", "RegisterWorkflowType",
		"RequestCancelWorkflowExecution", "RespondActivityTaskCanceled", "RespondActivityTaskCompleted",
		"RespondActivityTaskFailed", "RespondDecisionTaskCompleted", "SignalWorkflowExecution",
		"StartWorkflowExecution", "TagResource", "TerminateWorkflowExecution", "UndeprecateActivityType",
		"UndeprecateDomain", "UndeprecateWorkflowType", "UntagResource",
		// Decision types, authorized as a pseudo API.
		"ScheduleActivityTask", "RequestCancelActivityTask", "CompleteWorkflowExecution",
		"FailWorkflowExecution", "CancelWorkflowExecution", "ContinueAsNewWorkflowExecution",
		"RecordMarker", "StartTimer", "CancelTimer", "SignalExternalWorkflowExecution",
		"RequestCancelExternalWorkflowExecution", "StartChildWorkflowExecution", "ScheduleLambdaFunction",
	}
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m["swf:"+strings.ToLower(n)] = true
	}
	return m
}()

// parsePolicyDocument compiles one policy document found at path.
func parsePolicyDocument(raw []byte, path string) ([]statement, error) {
	doc, err := decodeObject(raw, path)
	if err != nil {
		return nil, err
	}
	for k := range doc {
		switch k {
		case "Version", "Id", "Statement":
		default:
			return nil, fmt.Errorf("%s: unknown element %q (a policy has Version, Id and Statement)", path, k)
		}
	}
	version := "2008-10-17"
	if v, ok := doc["Version"]; ok {
		if err := json.Unmarshal(v, &version); err != nil {
			return nil, fmt.Errorf("%s.Version: want a string, got %s", path, abbreviate(v))
		}
		if version != "2012-10-17" && version != "2008-10-17" {
			return nil, fmt.Errorf("%s.Version: %q is not a policy language version; want \"2012-10-17\"", path, version)
		}
	}
	if v, ok := doc["Id"]; ok {
		var id string
		if err := json.Unmarshal(v, &id); err != nil {
			return nil, fmt.Errorf("%s.Id: want a string, got %s", path, abbreviate(v))
		}
	}
	rawStmts, ok := doc["Statement"]
	if !ok {
		return nil, fmt.Errorf("%s: missing Statement", path)
	}
	var list []json.RawMessage
	listed := false
	if t := bytes.TrimSpace(rawStmts); len(t) > 0 && t[0] == '[' {
		listed = true
		if err := json.Unmarshal(t, &list); err != nil {
			return nil, fmt.Errorf("%s.Statement: %v", path, err)
		}
		if len(list) == 0 {
			return nil, fmt.Errorf("%s.Statement: empty list; want at least one statement", path)
		}
	} else {
		list = []json.RawMessage{rawStmts}
	}
	variables := version == "2012-10-17"
	sids := map[string]bool{}
	stmts := make([]statement, 0, len(list))
	for i, r := range list {
		spath := path + ".Statement"
		if listed {
			spath += "[" + strconv.Itoa(i) + "]"
		}
		s, err := parseStatement(r, spath, variables)
		if err != nil {
			return nil, err
		}
		if s.sid != "" {
			if sids[s.sid] {
				return nil, fmt.Errorf("%s.Sid: %q is used by an earlier statement; Sids must be unique", spath, s.sid)
			}
			sids[s.sid] = true
		}
		stmts = append(stmts, s)
	}
	return sortStatements(stmts), nil
}

func parseStatement(raw json.RawMessage, path string, variables bool) (statement, error) {
	var s statement
	elems, err := decodeObject(raw, path)
	if err != nil {
		return s, err
	}
	for k := range elems {
		switch k {
		case "Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition":
		case "Principal", "NotPrincipal":
			return s, fmt.Errorf("%s.%s: not allowed in a principal's own (identity-based) policy", path, k)
		default:
			return s, fmt.Errorf("%s: unknown element %q (a statement has Sid, Effect, Action or NotAction, "+
				"Resource or NotResource, and Condition)", path, k)
		}
	}
	if v, ok := elems["Sid"]; ok {
		if err := json.Unmarshal(v, &s.sid); err != nil {
			return s, fmt.Errorf("%s.Sid: want a string, got %s", path, abbreviate(v))
		}
	}

	v, ok := elems["Effect"]
	if !ok {
		return s, fmt.Errorf("%s: missing Effect (\"Allow\" or \"Deny\")", path)
	}
	var effect string
	if err := json.Unmarshal(v, &effect); err != nil {
		return s, fmt.Errorf("%s.Effect: want \"Allow\" or \"Deny\", got %s", path, abbreviate(v))
	}
	switch effect {
	case "Allow":
	case "Deny":
		s.deny = true
	default:
		return s, fmt.Errorf("%s.Effect: unknown effect %q; want \"Allow\" or \"Deny\"", path, effect)
	}

	actionKey, err := exactlyOne(elems, path, "Action", "NotAction")
	if err != nil {
		return s, err
	}
	s.notAction = actionKey == "NotAction"
	if s.actions, err = parseActions(elems[actionKey], path+"."+actionKey); err != nil {
		return s, err
	}

	resourceKey, err := exactlyOne(elems, path, "Resource", "NotResource")
	if err != nil {
		return s, err
	}
	s.notResource = resourceKey == "NotResource"
	if s.resources, err = parseResources(elems[resourceKey], path+"."+resourceKey, variables); err != nil {
		return s, err
	}

	if v, ok := elems["Condition"]; ok {
		if s.conditions, err = parseConditionBlock(v, path+".Condition", variables); err != nil {
			return s, err
		}
	}
	return s, nil
}

// exactlyOne returns which of a and b elems has, and an error unless it has
// exactly one of them.
func exactlyOne(elems map[string]json.RawMessage, path, a, b string) (string, error) {
	_, hasA := elems[a]
	_, hasB := elems[b]
	switch {
	case hasA && hasB:
		return "", fmt.Errorf("%s: has both %s and %s; want one of them", path, a, b)
	case hasA:
		return a, nil
	case hasB:
		return b, nil
	}
	return "", fmt.Errorf("%s: missing %s (or %s)", path, a, b)
}

func parseActions(raw json.RawMessage, path string) (actionSet, error) {
	var set actionSet
	list, err := stringOrList(raw, path)
	if err != nil {
		return set, err
	}
	for i, a := range list {
		apath := indexPath(path, i, len(list))
		if a == "*" {
			set.all = true
			continue
		}
		service, name, ok := strings.Cut(a, ":")
		if !ok || service == "" || name == "" || strings.ContainsAny(service, "*?") {
			return set, fmt.Errorf("%s: %q is not an action; want \"swf:<Operation or DecisionType>\" (wildcards * and ? allowed) or \"*\"", apath, a)
		}
		lower := strings.ToLower(a)
		g := compileGlob(lower)
		if g.literal {
			if strings.EqualFold(service, "swf") && !knownActions[lower] {
				return set, fmt.Errorf("%s: unknown action %q; SWF actions are its operations (swf:PollForActivityTask, ...) and decision types (swf:ScheduleActivityTask, ...)", apath, a)
			}
			if set.exact == nil {
				set.exact = map[string]struct{}{}
			}
			set.exact[lower] = struct{}{}
			continue
		}
		set.globs = append(set.globs, g)
	}
	return set, nil
}

func parseResources(raw json.RawMessage, path string, variables bool) ([]arnPattern, error) {
	list, err := stringOrList(raw, path)
	if err != nil {
		return nil, err
	}
	out := make([]arnPattern, 0, len(list))
	for i, r := range list {
		rpath := indexPath(path, i, len(list))
		if variables && strings.Contains(r, "${") {
			return nil, fmt.Errorf("%s: policy variables (%q) are not supported by openswf", rpath, r)
		}
		if !validARNPattern(r) {
			return nil, fmt.Errorf("%s: %q is not a resource; want \"*\" or an ARN such as "+
				"\"arn:aws:swf:*:123456789012:/domain/prod\"", rpath, r)
		}
		out = append(out, compileARN(r))
	}
	return out, nil
}

func indexPath(path string, i, n int) string {
	if n == 1 {
		return path
	}
	return path + "[" + strconv.Itoa(i) + "]"
}

// stringOrList decodes a policy element that is one string or a non-empty
// list of strings.
func stringOrList(raw json.RawMessage, path string) ([]string, error) {
	t := bytes.TrimSpace(raw)
	if len(t) > 0 && t[0] == '"' {
		var s string
		if err := json.Unmarshal(t, &s); err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		return []string{s}, nil
	}
	if len(t) > 0 && t[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(t, &list); err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		if len(list) == 0 {
			return nil, fmt.Errorf("%s: empty list", path)
		}
		out := make([]string, len(list))
		for i, item := range list {
			if err := json.Unmarshal(item, &out[i]); err != nil {
				return nil, fmt.Errorf("%s[%d]: want a string, got %s", path, i, abbreviate(item))
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s: want a string or a list of strings, got %s", path, abbreviate(raw))
}

// decodeObject decodes a JSON object into its members, refusing anything
// else and duplicate member names (which encoding/json would silently
// resolve to the last one: {"Effect": "Deny", "Effect": "Allow"}).
func decodeObject(raw []byte, path string) (map[string]json.RawMessage, error) {
	if !json.Valid(raw) {
		var v any
		err := json.Unmarshal(raw, &v)
		return nil, fmt.Errorf("%s: invalid JSON: %v", path, err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("%s: want a JSON object, got %s", path, abbreviate(raw))
	}
	m := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		key := tok.(string) // inside an object, More means a member name comes next
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("%s.%s: %v", path, key, err)
		}
		if _, dup := m[key]; dup {
			return nil, fmt.Errorf("%s: element %q appears twice", path, key)
		}
		m[key] = v
	}
	return m, nil
}

// abbreviate shows a JSON value in an error message, cut short if long.
func abbreviate(raw []byte) string {
	s := string(bytes.TrimSpace(raw))
	if s == "" {
		return "nothing"
	}
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return s
}
