package cli

import (
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/openswf/openswf/internal/shape"
)

func TestXformName(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"RecordActivityTaskHeartbeat", "record-activity-task-heartbeat"},
		{"taskToken", "task-token"},
		{"workflowExecutionRetentionPeriodInDays", "workflow-execution-retention-period-in-days"},
		{"resourceArn", "resource-arn"},
		{"tagList", "tag-list"},
		{"ListTagsForResource", "list-tags-for-resource"},
		{"DescribeDomainARNs", "describe-domain-arns"},
		{"already-kebab", "already-kebab"},
		{"startAtPreviousStartedEvent", "start-at-previous-started-event"},
		{"executionStartToCloseTimeout", "execution-start-to-close-timeout"},
	}
	for _, tt := range tests {
		if got := xformName(tt.in); got != tt.want {
			t.Errorf("xformName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestMemberOrder checks that the order table names exactly the members
// of every structure of our model, so it cannot drift from it.
func TestMemberOrder(t *testing.T) {
	t.Parallel()
	for name, sh := range shape.Model().Shapes {
		if sh.Type != "structure" || len(sh.Members) == 0 {
			continue
		}
		got := append([]string(nil), memberOrder[name]...)
		sort.Strings(got)
		if strings.Join(got, ",") != strings.Join(sh.Order, ",") {
			t.Errorf("memberOrder[%s] = %v, want the members %v", name, memberOrder[name], sh.Order)
		}
	}
	for name := range memberOrder {
		if sh := shape.LookupShape(name); sh == nil || sh.Type != "structure" {
			t.Errorf("memberOrder has %s, which is no structure of the model", name)
		}
	}
}

func TestCommands(t *testing.T) {
	t.Parallel()
	if got, want := len(commands()), len(shape.Operations); got != want {
		t.Fatalf("got %d commands, want one per operation (%d)", got, want)
	}
	for _, c := range commands() {
		if descriptions[c.Op.Name] == "" {
			t.Errorf("%s has no description", c.Op.Name)
		}
		if !Handles(c.Name) {
			t.Errorf("Handles(%q) = false", c.Name)
		}
		seen := map[string]bool{}
		for _, p := range c.Params {
			if seen[p.Flag] {
				t.Errorf("%s: flag --%s twice", c.Name, p.Flag)
			}
			seen[p.Flag] = true
			if ok, _ := globalFlag(p.Flag); ok {
				t.Errorf("%s: --%s clashes with a global flag", c.Name, p.Flag)
			}
		}
	}
	for from := range argRenames {
		cmd, _, _ := strings.Cut(from, ".")
		if lookupCommand(cmd) == nil {
			t.Errorf("argRenames names %s, which is no command", cmd)
		}
	}
	for op := range paginators {
		if shape.Operations[op] == nil {
			t.Errorf("paginators names %s, which is no operation", op)
		}
	}
	if descriptions["NoSuchOperation"] != "" || len(descriptions) != len(shape.Operations) {
		t.Errorf("descriptions has %d entries, want %d", len(descriptions), len(shape.Operations))
	}
	for _, name := range []string{"completion", "--region", "--endpoint-url=x"} {
		if !Handles(name) {
			t.Errorf("Handles(%q) = false", name)
		}
	}
	for _, name := range []string{"server", "bogus", "--bogus", "version"} {
		if Handles(name) {
			t.Errorf("Handles(%q) = true", name)
		}
	}
}

// awsCLI returns the path of the AWS CLI. Without it the comparisons skip,
// except under CI=true, where they are required.
func awsCLI(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("aws is not installed, and CI requires the comparison with it: %v", err)
		}
		t.Skip("aws is not installed")
	}
	// A pyenv shim costs a second a run and serialises runs; call the
	// script it stands for.
	if strings.Contains(p, "/.pyenv/shims/") {
		if out, err := exec.Command("pyenv", "which", "aws").Output(); err == nil {
			if real := strings.TrimSpace(string(out)); real != "" {
				return real
			}
		}
	}
	return p
}

// awsSem bounds the aws processes running at once: each is a Python
// start-up.
var awsSem = make(chan struct{}, runtime.NumCPU())

// runAWS runs `aws swf args...` with a region and nothing else configured.
func runAWS(t *testing.T, aws string, args ...string) string {
	t.Helper()
	awsSem <- struct{}{}
	defer func() { <-awsSem }()
	cmd := exec.Command(aws, append([]string{"swf"}, args...)...)
	cmd.Env = append(os.Environ(), "AWS_DEFAULT_REGION=us-east-1", "PAGER=cat", "MANPAGER=cat", "AWS_PAGER=")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("aws swf %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String()
}

var (
	enumOnce   sync.Once
	enumValues map[string]bool
)

// normalizeEnums replaces every enum value in a skeleton with a
// placeholder: aws picks an enum's value at random (botocore's
// ArgumentGenerator uses random.choice), so only the rest can match.
func normalizeEnums(s string) string {
	enumOnce.Do(func() {
		enumValues = map[string]bool{}
		for _, sh := range shape.Model().Shapes {
			for _, e := range sh.Enum {
				enumValues[e] = true
			}
		}
	})
	return regexp.MustCompile(`"[A-Za-z_]+"`).ReplaceAllStringFunc(s, func(q string) string {
		if enumValues[q[1:len(q)-1]] {
			return `"<enum>"`
		}
		return q
	})
}

// dummyArgs gives every flag of c a value aws can parse, so that one aws
// run both prints the skeleton and shows that aws knows each of our flags
// (it refuses unknown ones).
func dummyArgs(c *command) []string {
	var args []string
	for _, p := range c.Params {
		switch sh := p.Shape; sh.Type {
		case "boolean":
			args = append(args, "--no-"+p.Flag, "--"+p.Flag)
		case "structure":
			args = append(args, "--"+p.Flag, "{}")
		case "list":
			if shape.LookupShape(sh.Elem).Type == "structure" {
				args = append(args, "--"+p.Flag, "[]")
			} else {
				args = append(args, "--"+p.Flag, "x")
			}
		case "integer", "long", "timestamp":
			args = append(args, "--"+p.Flag, "1")
		default:
			v := "x"
			if len(sh.Enum) > 0 {
				v = sh.Enum[0]
			}
			args = append(args, "--"+p.Flag, v)
		}
	}
	return args
}

// TestSkeletonsMatchAWS compares `swf X --generate-cli-skeleton input`
// with `aws swf X --generate-cli-skeleton input` for every operation, byte
// for byte but for the enum values aws chooses at random. aws is given
// all our flags on the way, which it would refuse if it lacked one.
func TestSkeletonsMatchAWS(t *testing.T) {
	t.Parallel()
	aws := awsCLI(t)
	for _, c := range commands() {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			want := runAWS(t, aws, append([]string{c.Name, "--generate-cli-skeleton", "input"}, dummyArgs(c)...)...)
			r := runCLI(t, c.Name, "--generate-cli-skeleton", "input")
			if r.code != 0 {
				t.Fatalf("swf: %v", r)
			}
			if got := r.stdout; normalizeEnums(got) != normalizeEnums(want) {
				t.Fatalf("skeletons differ\nswf:\n%s\naws:\n%s", got, want)
			}
			// With no value, input is meant.
			if r2 := runCLI(t, c.Name, "--generate-cli-skeleton"); r2.stdout != r.stdout {
				t.Fatalf("--generate-cli-skeleton without a value: got %q, want %q", r2.stdout, r.stdout)
			}
		})
	}
}

// awsGlobals are the options aws lists in every synopsis.
var awsGlobals = map[string]bool{
	"--debug": true, "--endpoint-url": true, "--no-verify-ssl": true, "--no-paginate": true,
	"--output": true, "--query": true, "--profile": true, "--region": true, "--version": true,
	"--color": true, "--no-sign-request": true, "--ca-bundle": true, "--cli-read-timeout": true,
	"--cli-connect-timeout": true, "--v2-debug": true,
	"--cli-input-json": true, "--generate-cli-skeleton": true,
	"--starting-token": true, "--page-size": true, "--max-items": true,
}

var overstrike = regexp.MustCompile(".\b")

// TestFlagsMatchAWS compares the flags of a few commands, in order, with
// the synopsis of `aws swf X help`: the two renamed ones, paged ones
// (their paging members hidden) and ones with booleans (--x | --no-x).
// TestSkeletonsMatchAWS has shown aws accepts every flag of every command;
// this shows, where our tables matter, that we have each of aws's and in
// its order. It also checks that our global options are aws's.
func TestFlagsMatchAWS(t *testing.T) {
	t.Parallel()
	aws := awsCLI(t)
	for _, g := range globalFlags {
		if !awsGlobals["--"+g.name] {
			t.Errorf("global --%s is not an aws option", g.name)
		}
	}
	flagRE := regexp.MustCompile(`--[a-z0-9-]+`)
	for _, name := range []string{
		"register-activity-type", "register-workflow-type", "poll-for-decision-task",
		"list-closed-workflow-executions", "count-pending-activity-tasks",
	} {
		c := lookupCommand(name)
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			help := overstrike.ReplaceAllString(runAWS(t, aws, c.Name, "help"), "")
			start := strings.Index(help, "SYNOPSIS")
			end := strings.Index(help, "OPTIONS")
			if start < 0 || end < start {
				t.Fatalf("no synopsis in aws help:\n%s", help)
			}
			var want []string
			for _, f := range flagRE.FindAllString(help[start:end], -1) {
				if !awsGlobals[f] {
					want = append(want, f)
				}
			}
			var got []string
			for _, p := range c.Params {
				if p.Hidden {
					continue
				}
				got = append(got, "--"+p.Flag)
				if p.isBool() {
					got = append(got, "--no-"+p.Flag)
				}
			}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Fatalf("flags differ\nswf: %v\naws: %v", got, want)
			}
			paged := strings.Contains(help[start:end], "--starting-token")
			if paged != (c.Pager != nil) {
				t.Fatalf("aws pages %s: %v; we do: %v", c.Name, paged, c.Pager != nil)
			}
		})
	}
}
