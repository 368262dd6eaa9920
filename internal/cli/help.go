package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/openswf/openswf/internal/shape"
)

// descriptions says in a line what each operation does. The model carries
// no documentation, so these are our own words; TestDescriptions checks
// that every operation has one.
var descriptions = map[string]string{
	"CountClosedWorkflowExecutions":  "Count the closed workflow executions of a domain that match a filter.",
	"CountOpenWorkflowExecutions":    "Count the open workflow executions of a domain that match a filter.",
	"CountPendingActivityTasks":      "Count the activity tasks waiting in a task list.",
	"CountPendingDecisionTasks":      "Count the decision tasks waiting in a task list.",
	"DeleteActivityType":             "Delete a deprecated activity type for good.",
	"DeleteWorkflowType":             "Delete a deprecated workflow type for good.",
	"DeprecateActivityType":          "Deprecate an activity type: no new tasks of it can be scheduled.",
	"DeprecateDomain":                "Deprecate a domain: no new executions or types can be started or registered in it.",
	"DeprecateWorkflowType":          "Deprecate a workflow type: no new executions of it can be started.",
	"DescribeActivityType":           "Show an activity type's registration and default settings.",
	"DescribeDomain":                 "Show a domain's registration and retention period.",
	"DescribeWorkflowExecution":      "Show a workflow execution's state, settings and open counts.",
	"DescribeWorkflowType":           "Show a workflow type's registration and default settings.",
	"GetWorkflowExecutionHistory":    "List the history events of a workflow execution.",
	"ListActivityTypes":              "List the activity types of a domain.",
	"ListClosedWorkflowExecutions":   "List the closed workflow executions of a domain that match a filter.",
	"ListDomains":                    "List the domains with a registration status.",
	"ListOpenWorkflowExecutions":     "List the open workflow executions of a domain that match a filter.",
	"ListTagsForResource":            "List the tags of a domain.",
	"ListWorkflowTypes":              "List the workflow types of a domain.",
	"PollForActivityTask":            "Wait (up to 60 s) for an activity task from a task list; used by activity workers.",
	"PollForDecisionTask":            "Wait (up to 60 s) for a decision task from a task list, with the execution's history; used by deciders.",
	"RecordActivityTaskHeartbeat":    "Report that an activity task is still making progress, and learn whether its cancellation was requested.",
	"RegisterActivityType":           "Register a new activity type, with its default timeouts and task list.",
	"RegisterDomain":                 "Register a new domain, the namespace of types and executions.",
	"RegisterWorkflowType":           "Register a new workflow type, with its default timeouts, task list and child policy.",
	"RequestCancelWorkflowExecution": "Ask a workflow execution to cancel itself; its decider decides what to do.",
	"RespondActivityTaskCanceled":    "Report that an activity task was canceled, as its cancellation requested.",
	"RespondActivityTaskCompleted":   "Report that an activity task completed, with its result.",
	"RespondActivityTaskFailed":      "Report that an activity task failed, with a reason and details.",
	"RespondDecisionTaskCompleted":   "Complete a decision task with the decider's decisions.",
	"SignalWorkflowExecution":        "Send a signal, with input, to an open workflow execution.",
	"StartWorkflowExecution":         "Start a workflow execution of a registered workflow type.",
	"TagResource":                    "Add tags to a domain.",
	"TerminateWorkflowExecution":     "End a workflow execution at once, without its decider's say.",
	"UndeprecateActivityType":        "Make a deprecated activity type usable again.",
	"UndeprecateDomain":              "Make a deprecated domain usable again.",
	"UndeprecateWorkflowType":        "Make a deprecated workflow type usable again.",
	"UntagResource":                  "Remove tags from a domain.",
}

// globalFlags are the options every command takes, as aws has them.
var globalFlags = []struct {
	name, arg, help string
}{
	{"debug", "", "Log each request and response to stderr."},
	{"endpoint-url", "URL", "Send requests to URL (default: AWS_ENDPOINT_URL_SWF, AWS_ENDPOINT_URL, the profile's endpoint_url, else " + DefaultEndpoint + ")."},
	{"no-verify-ssl", "", "Do not verify the server's TLS certificate."},
	{"no-paginate", "", "Make one call only, instead of following nextPageToken to the end."},
	{"output", "json|text|table", "Output format (default: json, or the profile's output)."},
	{"query", "JMESPATH", "Print only what this JMESPath expression selects from the response."},
	{"profile", "NAME", "Use this profile of ~/.aws/config and ~/.aws/credentials."},
	{"region", "REGION", "Region to sign requests for (default: AWS_REGION, the profile's, else us-east-1 for a local server)."},
	{"no-sign-request", "", "Send requests unsigned."},
	{"ca-bundle", "FILE", "Verify TLS certificates with the CA certificates in FILE."},
	{"cli-read-timeout", "SECONDS", "Wait at most SECONDS for an answer; 0 waits forever (default 70: long polls last 60)."},
	{"cli-connect-timeout", "SECONDS", "Wait at most SECONDS to connect; 0 waits forever (default 60)."},
	{"color", "on|off|auto", "Accepted for compatibility; output is never coloured."},
}

// globalFlag returns the global flag named name, and whether it takes a
// value.
func globalFlag(name string) (ok, takesValue bool) {
	for _, g := range globalFlags {
		if g.name == name {
			return true, g.arg != ""
		}
	}
	return false, false
}

const usageText = `usage: swf [options] <command> [parameters]
To see help text, you can run:

  swf help
  swf <command> help
`

// writeHelp is `swf help`: every command and the global options.
func writeHelp(w io.Writer) {
	var b strings.Builder
	b.WriteString("Amazon SWF commands (the same as `aws swf`), sent to " + DefaultEndpoint + " unless configured otherwise:\n\n")
	width := 0
	for _, c := range commands() {
		width = max(width, len(c.Name))
	}
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-*s  %s\n", width, c.Name, descriptions[c.Op.Name])
	}
	b.WriteString("\n  completion bash|zsh  print a shell completion script\n")
	b.WriteString("\nGlobal options:\n\n")
	writeGlobalOptions(&b)
	b.WriteString("\nRun `swf <command> help` for a command's parameters.\n")
	io.WriteString(w, b.String())
}

func writeGlobalOptions(b *strings.Builder) {
	for _, g := range globalFlags {
		name := "--" + g.name
		if g.arg != "" {
			name += " " + g.arg
		}
		fmt.Fprintf(b, "  %s\n      %s\n", name, g.help)
	}
}

// writeCommandHelp is `swf <command> help`.
func writeCommandHelp(w io.Writer, c *command) {
	var b strings.Builder
	fmt.Fprintf(&b, "NAME\n  swf %s\n\nDESCRIPTION\n  %s\n", c.Name, descriptions[c.Op.Name])
	if c.Pager != nil {
		fmt.Fprintf(&b, "\n  %s is a paginated operation: it calls the service until there are no more\n"+
			"  pages (see --no-paginate, --max-items, --starting-token, --page-size).\n", c.Name)
	}
	b.WriteString("\nSYNOPSIS\n  swf " + c.Name + "\n")
	for _, p := range c.Params {
		if p.Hidden {
			continue
		}
		s := "--" + p.Flag + " <value>"
		if p.isBool() {
			s = "--" + p.Flag + " | --no-" + p.Flag
		}
		if !p.Required || p.isBool() {
			s = "[" + s + "]"
		}
		b.WriteString("    " + s + "\n")
	}
	b.WriteString("    [--cli-input-json <value>]\n")
	if c.Pager != nil {
		b.WriteString("    [--starting-token <value>]\n    [--page-size <value>]\n    [--max-items <value>]\n")
	}
	b.WriteString("    [--generate-cli-skeleton [input|output]]\n    [global options]\n")

	b.WriteString("\nOPTIONS\n")
	if len(c.Params) == 0 {
		b.WriteString("  None\n")
	}
	for _, p := range c.Params {
		if p.Hidden {
			continue
		}
		req := "optional"
		if p.Required {
			req = "required"
		}
		fmt.Fprintf(&b, "  --%s (%s, %s)\n", p.Flag, typeName(p.Shape), req)
		for _, l := range constraintLines(p.Shape) {
			b.WriteString("      " + l + "\n")
		}
		switch p.Shape.Type {
		case "boolean":
			fmt.Fprintf(&b, "      Give --%s for true, --no-%s for false.\n", p.Flag, p.Flag)
		case "structure", "list":
			if sh := shorthandExample(p.Shape); sh != "" {
				b.WriteString("      Shorthand syntax:\n        " + sh + "\n")
			}
			b.WriteString("      JSON syntax:\n")
			for _, l := range strings.Split(jsonSyntax(p.Shape, 0), "\n") {
				b.WriteString("        " + l + "\n")
			}
		}
	}
	b.WriteString("  --cli-input-json (string)\n      The input as JSON, inline or file://path, in the form --generate-cli-skeleton prints;\n      flags given as well override its members.\n")
	if c.Pager != nil {
		b.WriteString("  --starting-token (string)\n      Resume from the NextToken a previous --max-items listing printed.\n")
		b.WriteString("  --page-size (integer)\n      Items to ask for in each call; does not change how many are printed.\n")
		b.WriteString("  --max-items (integer)\n      Print at most this many items, and a NextToken to resume from.\n")
	}
	b.WriteString("  --generate-cli-skeleton (string)\n      Print a JSON skeleton without calling the service: `input` (the default) for\n      --cli-input-json, `output` for a sample response, after checking the other flags.\n")
	b.WriteString("\nGLOBAL OPTIONS\n")
	writeGlobalOptions(&b)
	if c.Op.Output != "" {
		b.WriteString("\nOUTPUT\n")
		out := shape.LookupShape(c.Op.Output)
		for _, m := range orderedMembers(out) {
			fmt.Fprintf(&b, "  %s (%s)\n", m, typeName(shape.LookupShape(out.Members[m])))
		}
	}
	io.WriteString(w, b.String())
}

// typeName names a shape's type as aws's help does.
func typeName(sh *shape.ShapeDef) string {
	switch sh.Type {
	case "list":
		return "list of " + typeName(shape.LookupShape(sh.Elem))
	case "timestamp":
		return "timestamp"
	}
	return sh.Type
}

// constraintLines lists a shape's limits from the model.
func constraintLines(sh *shape.ShapeDef) []string {
	var out []string
	unit := "length"
	switch sh.Type {
	case "integer", "long":
		unit = "value"
	case "list":
		unit = "items"
	}
	switch {
	case sh.Min != nil && sh.Max != nil:
		out = append(out, fmt.Sprintf("Constraints: %s %d to %d", unit, *sh.Min, *sh.Max))
	case sh.Min != nil:
		out = append(out, fmt.Sprintf("Constraints: %s at least %d", unit, *sh.Min))
	case sh.Max != nil:
		out = append(out, fmt.Sprintf("Constraints: %s at most %d", unit, *sh.Max))
	}
	if len(sh.Enum) > 0 {
		out = append(out, "Possible values: "+strings.Join(sh.Enum, ", "))
	}
	if sh.Type == "timestamp" {
		out = append(out, "Format: ISO 8601 (2024-05-01T12:00:00Z) or seconds since the epoch")
	}
	return out
}

// shorthandExample shows the shorthand form of a structure or a list of
// structures or scalars, as aws's help does.
func shorthandExample(sh *shape.ShapeDef) string {
	switch sh.Type {
	case "structure":
		parts := structShorthand(sh)
		if parts == "" {
			return ""
		}
		return parts
	case "list":
		elem := shape.LookupShape(sh.Elem)
		if elem.Type == "structure" {
			s := structShorthand(elem)
			if s == "" {
				return ""
			}
			return s + " " + s + " ..."
		}
		return elem.Type + " " + elem.Type + " ..."
	}
	return ""
}

func structShorthand(sh *shape.ShapeDef) string {
	var parts []string
	for _, m := range orderedMembers(sh) {
		msh := shape.LookupShape(sh.Members[m])
		switch msh.Type {
		case "structure", "list":
			return "" // nested: JSON only, in our help
		}
		parts = append(parts, m+"="+msh.Type)
	}
	return strings.Join(parts, ",")
}

// jsonSyntax renders a shape as aws's "JSON Syntax" help block.
func jsonSyntax(sh *shape.ShapeDef, depth int) string {
	ind := strings.Repeat("  ", depth)
	switch sh.Type {
	case "structure":
		var b strings.Builder
		b.WriteString("{\n")
		ms := orderedMembers(sh)
		for i, m := range ms {
			b.WriteString(ind + "  " + fmt.Sprintf("%q: ", m) + jsonSyntax(shape.LookupShape(sh.Members[m]), depth+1))
			if i < len(ms)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(ind + "}")
		return b.String()
	case "list":
		return "[" + jsonSyntax(shape.LookupShape(sh.Elem), depth) + ", ...]"
	case "string":
		if len(sh.Enum) > 0 {
			return `"` + strings.Join(sh.Enum, `"|"`) + `"`
		}
		return `"string"`
	case "boolean":
		return "true|false"
	}
	return sh.Type
}

// sortStrings sorts in place; a name for the call sites' sake.
func sortStrings(s []string) { sort.Strings(s) }
