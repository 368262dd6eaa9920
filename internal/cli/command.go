package cli

import (
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/openswf/openswf/internal/shape"
)

// argRenames are the only flags whose names are not derived from the model:
// the AWS CLI renames these members so that they do not clash with its
// global --version flag (awscli/customizations/argrename.py, the swf.*
// entries; `aws swf register-activity-type help` shows the result). Keys
// are "command.flag" as derived; values the flag aws uses instead.
var argRenames = map[string]string{
	"register-activity-type.version": "activity-version",
	"register-workflow-type.version": "workflow-version",
}

// paginators are the AWS CLI's paging rules for SWF (botocore's
// paginators-1.json for swf): which operations it pages through, and
// where the items and the token are. Our model has no paginators section,
// so this is the one other place, besides argRenames, that is not derived
// from it. For each of them aws hides --next-page-token and
// --maximum-page-size and offers --starting-token, --page-size and
// --max-items instead.
var paginators = map[string]*pager{
	"GetWorkflowExecutionHistory":  {ResultKey: "events"},
	"ListActivityTypes":            {ResultKey: "typeInfos"},
	"ListClosedWorkflowExecutions": {ResultKey: "executionInfos"},
	"ListDomains":                  {ResultKey: "domainInfos"},
	"ListOpenWorkflowExecutions":   {ResultKey: "executionInfos"},
	"ListWorkflowTypes":            {ResultKey: "typeInfos"},
	"PollForDecisionTask": {ResultKey: "events", NonAggregate: []string{
		"taskToken", "startedEventId", "workflowExecution", "workflowType", "previousStartedEventId",
	}},
}

// The members every paginator above uses for its token and page size.
const (
	tokenMember = "nextPageToken"
	limitMember = "maximumPageSize"
)

// pager says how an operation's output is paged.
type pager struct {
	ResultKey    string   // the list that is gathered across pages
	NonAggregate []string // members taken from the first page only
}

// command is one `swf <command>`: an operation of the model and its flags.
type command struct {
	Name   string // kebab-case, as `aws swf` names it
	Op     *shape.Operation
	Input  *shape.ShapeDef // nil when the operation takes no input
	Params []*param        // in the order aws lists them
	Pager  *pager          // nil when aws does not page the operation

	byFlag   map[string]*param // "task-token" -> param, also "no-reverse-order"
	byMember map[string]*param
}

// param is one input member and its flag.
type param struct {
	Member   string
	Flag     string // without the leading "--"
	Shape    *shape.ShapeDef
	Required bool
	Hidden   bool // a paging member that aws leaves out of help
}

// isBool reports whether the flag takes no value (--x / --no-x).
func (p *param) isBool() bool { return p.Shape.Type == "boolean" }

// isList reports whether the flag takes several values.
func (p *param) isList() bool { return p.Shape.Type == "list" }

var (
	commandsOnce sync.Once
	commandList  []*command
	commandIndex map[string]*command
)

// commands returns every command, sorted by name.
func commands() []*command {
	commandsOnce.Do(buildCommands)
	return commandList
}

// lookupCommand returns the command named name, or nil.
func lookupCommand(name string) *command {
	commandsOnce.Do(buildCommands)
	return commandIndex[name]
}

func buildCommands() {
	commandIndex = make(map[string]*command, len(shape.Operations))
	for _, op := range shape.Operations {
		c := &command{
			Name:     xformName(op.Name),
			Op:       op,
			Pager:    paginators[op.Name],
			byFlag:   map[string]*param{},
			byMember: map[string]*param{},
		}
		if op.Input != "" {
			c.Input = shape.LookupShape(op.Input)
		}
		if c.Input != nil {
			var renamed []*param
			for _, m := range orderedMembers(c.Input) {
				p := &param{
					Member:   m,
					Flag:     xformName(m),
					Shape:    shape.LookupShape(c.Input.Members[m]),
					Required: c.Input.IsRequired(m),
					Hidden:   c.Pager != nil && (m == tokenMember || m == limitMember),
				}
				if to, ok := argRenames[c.Name+"."+p.Flag]; ok {
					// argparse sees the renamed flag added last, so aws
					// lists it after the others.
					p.Flag = to
					renamed = append(renamed, p)
					continue
				}
				c.Params = append(c.Params, p)
			}
			c.Params = append(c.Params, renamed...)
		}
		for _, p := range c.Params {
			c.byFlag[p.Flag] = p
			if p.isBool() {
				c.byFlag["no-"+p.Flag] = p
			}
			c.byMember[p.Member] = p
		}
		commandList = append(commandList, c)
		commandIndex[c.Name] = c
	}
	sort.Slice(commandList, func(i, j int) bool { return commandList[i].Name < commandList[j].Name })
}

// orderedMembers returns a structure's members in the AWS model's order.
// Members the order table lacks (it comes from another copy of the model)
// follow, sorted; TestMemberOrder keeps that list empty.
func orderedMembers(sh *shape.ShapeDef) []string {
	order := memberOrder[sh.Name]
	out := make([]string, 0, len(sh.Members))
	seen := make(map[string]bool, len(sh.Members))
	for _, m := range order {
		if _, ok := sh.Members[m]; ok && !seen[m] {
			out = append(out, m)
			seen[m] = true
		}
	}
	for _, m := range sh.Order {
		if !seen[m] {
			out = append(out, m)
		}
	}
	return out
}

// botocore's xform_name(name, "-"), which names every command and flag.
var (
	specialCaseTransform = regexp.MustCompile(`[A-Z]{2,}s$`)
	firstCapRegex        = regexp.MustCompile(`(.)([A-Z][a-z]+)`)
	endCapRegex          = regexp.MustCompile(`([a-z0-9])([A-Z])`)
)

// xformName turns a CamelCase model name into the AWS CLI's kebab-case
// (RecordActivityTaskHeartbeat -> record-activity-task-heartbeat), with
// botocore's rules: a trailing plural acronym (ARNs) stays one word.
func xformName(name string) string {
	if strings.Contains(name, "-") {
		return name
	}
	if m := specialCaseTransform.FindString(name); m != "" {
		name = name[:len(name)-len(m)] + "-" + strings.ToLower(m)
	}
	s1 := firstCapRegex.ReplaceAllString(name, "${1}-${2}")
	return strings.ToLower(endCapRegex.ReplaceAllString(s1, "${1}-${2}"))
}
