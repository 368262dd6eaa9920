// Package cli is `swf <command>`: the commands and flags of `aws swf`, from
// one Go binary. Commands, flags, types and limits are derived from the SWF
// model (package shape); only the AWS CLI's two flag renames, its paging
// rules and the member order the model lost are tables here.
//
// A command builds the request's JSON from --cli-input-json and the flags,
// checks it against the model, signs it with SigV4 and sends it to
// http://127.0.0.1:7171 (a local `swf server`) unless an endpoint is
// configured, then prints the answer as aws would: json, text or table,
// through --query. Exit codes are those of AWS CLI v2.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/jmespath/go-jmespath"

	"github.com/openswf/openswf/internal/shape"
)

// Exit codes, as AWS CLI v2 documents them (aws help return-codes).
const (
	ExitOK           = 0
	ExitInterrupted  = 130 // SIGINT
	ExitUsage        = 252 // bad command line or parameter value
	ExitConfig       = 253 // bad environment or configuration
	ExitServiceError = 254 // the service answered an error
	ExitGeneralError = 255 // anything else: no connection, a timeout
)

const (
	defaultOutput     = "json"
	defaultTableWidth = 80 // aws's width when stdout is no terminal
)

// Handles reports whether `swf name ...` is a client command: an
// operation's command, `completion`, or a global flag before the command
// (`swf --region us-west-2 list-domains ...`).
func Handles(name string) bool {
	if name == "completion" || lookupCommand(name) != nil {
		return true
	}
	if strings.HasPrefix(name, "--") {
		n, _, _ := strings.Cut(name[2:], "=")
		ok, _ := globalFlag(n)
		return ok
	}
	return false
}

// WriteHelp prints the list of commands and the global options, for
// `swf help`.
func WriteHelp(w io.Writer) { writeHelp(w) }

// globals are the options every command takes.
type globals struct {
	endpointURL    string
	region         string
	profile        string
	output         string
	query          string
	debug          bool
	readTimeout    time.Duration
	connectTimeout time.Duration
	noPaginate     bool
	noVerifySSL    bool
	noSignRequest  bool
	caBundle       string
	color          string
}

// usageError is a command line that could not be parsed; aws prints its
// usage before it. The exit code is 252.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// invocation is one parsed command line.
type invocation struct {
	cmd       *command
	g         globals
	help      bool
	skeleton  string // "", "input" or "output"
	inputJSON *string
	given     []*param            // flags given, in order
	words     map[*param][]string // their words
	bools     map[*param]bool
	paging    paging
	pagingSet []string           // paging flags given, for --no-paginate's error
	query     *jmespath.JMESPath // the compiled --query, if any
}

// Run runs `swf <args...>` for a client command and returns the exit code.
// args[0] is the command (or a global flag before it).
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	code := run(ctx, args, stdout, stderr)
	if ctx.Err() != nil && code != ExitOK {
		return ExitInterrupted
	}
	return code
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "completion" {
		if len(args) != 2 {
			fmt.Fprintln(stderr, "usage: swf completion bash|zsh")
			return ExitUsage
		}
		if err := writeCompletion(stdout, args[1]); err != nil {
			fmt.Fprintf(stderr, "swf: error: %v\n", err)
			return ExitUsage
		}
		return ExitOK
	}
	if len(args) > 0 && args[0] == "help" {
		if len(args) > 1 {
			c := lookupCommand(args[1])
			if c == nil {
				return usageFail(stderr, &usageError{fmt.Sprintf("argument command: Invalid choice: %q (run swf help for the commands)", args[1])})
			}
			writeCommandHelp(stdout, c)
			return ExitOK
		}
		writeHelp(stdout)
		return ExitOK
	}
	if rest, ok := clockArgs(args); ok {
		return RunClock(ctx, rest, stdout, stderr)
	}
	inv, err := parseArgs(args)
	if err != nil {
		return usageFail(stderr, err)
	}
	if inv.help {
		if inv.cmd == nil {
			writeHelp(stdout)
		} else {
			writeCommandHelp(stdout, inv.cmd)
		}
		return ExitOK
	}
	return execute(ctx, inv, stdout, stderr)
}

// usageFail prints a command-line error the way aws does.
func usageFail(stderr io.Writer, err error) int {
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "%s\nswf: error: %s\n", usageText, ue.msg)
		return ExitUsage
	}
	fmt.Fprintf(stderr, "\n%v\n", err)
	return ExitUsage
}

// parseArgs reads the command line as aws's argparse set-up would: global
// options anywhere, --flag value or --flag=value, several words for a list
// flag, --x / --no-x for booleans.
func parseArgs(args []string) (*invocation, error) {
	inv := &invocation{
		g: globals{
			output:         "",
			readTimeout:    DefaultReadTimeout,
			connectTimeout: DefaultConnectTimeout,
		},
		words: map[*param][]string{},
		bools: map[*param]bool{},
	}
	var unknown []string
	var rest []string
	i := 0
	// Global options before the command.
	for i < len(args) && strings.HasPrefix(args[i], "-") {
		name, val, hasVal := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		if args[i] == "-h" || name == "help" {
			inv.help = true
			i++
			continue
		}
		ok, takes := globalFlag(name)
		if !ok {
			return nil, &usageError{"Unknown options: " + args[i]}
		}
		if takes && !hasVal {
			if i+1 >= len(args) {
				return nil, &usageError{fmt.Sprintf("argument --%s: expected one argument", name)}
			}
			val = args[i+1]
			i++
		}
		if err := inv.setGlobal(name, val); err != nil {
			return nil, err
		}
		i++
	}
	if i >= len(args) {
		if inv.help {
			return inv, nil
		}
		return nil, &usageError{"the following arguments are required: command"}
	}
	inv.cmd = lookupCommand(args[i])
	if inv.cmd == nil {
		return nil, &usageError{fmt.Sprintf("argument command: Invalid choice: %q (run swf help for the commands)", args[i])}
	}
	rest = args[i+1:]
	if len(rest) > 0 && rest[0] == "help" {
		inv.help = true
		return inv, nil
	}
	c := inv.cmd
	for j := 0; j < len(rest); j++ {
		tok := rest[j]
		if !strings.HasPrefix(tok, "--") {
			if tok == "-h" {
				inv.help = true
				continue
			}
			unknown = append(unknown, tok)
			continue
		}
		name, val, hasVal := strings.Cut(tok[2:], "=")
		// next returns the flag's single value.
		next := func() (string, error) {
			if hasVal {
				return val, nil
			}
			if j+1 >= len(rest) || strings.HasPrefix(rest[j+1], "--") {
				return "", &usageError{fmt.Sprintf("argument --%s: expected one argument", name)}
			}
			j++
			return rest[j], nil
		}
		if name == "help" {
			inv.help = true
			continue
		}
		if ok, takes := globalFlag(name); ok {
			v := val
			if takes {
				var err error
				if v, err = next(); err != nil {
					return nil, err
				}
			} else if hasVal {
				return nil, &usageError{fmt.Sprintf("argument --%s: ignored explicit argument '%s'", name, val)}
			}
			if err := inv.setGlobal(name, v); err != nil {
				return nil, err
			}
			continue
		}
		switch name {
		case "cli-input-json":
			v, err := next()
			if err != nil {
				return nil, err
			}
			inv.inputJSON = &v
			continue
		case "generate-cli-skeleton":
			v := "input"
			if hasVal {
				v = val
			} else if j+1 < len(rest) && !strings.HasPrefix(rest[j+1], "--") {
				j++
				v = rest[j]
			}
			if v != "input" && v != "output" {
				return nil, &usageError{fmt.Sprintf("argument --generate-cli-skeleton: Invalid choice: '%s', valid choices are: input | output", v)}
			}
			inv.skeleton = v
			continue
		}
		if c.Pager != nil {
			switch name {
			case "starting-token":
				v, err := next()
				if err != nil {
					return nil, err
				}
				t, err := decodePageToken(v)
				if err != nil {
					return nil, &paramError{Flag: name, Msg: err.Error()}
				}
				inv.paging.start = &t
				inv.pagingSet = append(inv.pagingSet, "--"+name)
				continue
			case "page-size", "max-items":
				v, err := next()
				if err != nil {
					return nil, err
				}
				n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				if err != nil {
					return nil, &paramError{Flag: name, Msg: fmt.Sprintf("expected an integer, got %q", v)}
				}
				if name == "page-size" {
					inv.paging.pageSize = &n
				} else {
					inv.paging.maxItems = &n
				}
				inv.pagingSet = append(inv.pagingSet, "--"+name)
				continue
			}
		}
		p := c.byFlag[name]
		if p == nil {
			unknown = append(unknown, tok)
			continue
		}
		if _, dup := inv.words[p]; !dup {
			if _, dupb := inv.bools[p]; !dupb {
				inv.given = append(inv.given, p)
			}
		}
		switch {
		case p.isBool():
			if hasVal {
				return nil, &usageError{fmt.Sprintf("argument --%s: ignored explicit argument '%s'", name, val)}
			}
			inv.bools[p] = name == p.Flag
		case p.isList():
			if hasVal {
				inv.words[p] = []string{val}
				continue
			}
			var ws []string
			for j+1 < len(rest) && !strings.HasPrefix(rest[j+1], "--") {
				j++
				ws = append(ws, rest[j])
			}
			if len(ws) == 0 {
				return nil, &usageError{fmt.Sprintf("argument --%s: expected at least one argument", name)}
			}
			inv.words[p] = ws
		default:
			v, err := next()
			if err != nil {
				return nil, err
			}
			inv.words[p] = []string{v}
		}
	}
	if inv.help {
		return inv, nil
	}
	if len(unknown) > 0 {
		return nil, &usageError{"Unknown options: " + strings.Join(unknown, ", ")}
	}
	return inv, nil
}

// setGlobal records a global option.
func (inv *invocation) setGlobal(name, val string) error {
	g := &inv.g
	seconds := func() (time.Duration, error) {
		n, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil || n < 0 {
			return 0, &paramError{Flag: name, Msg: fmt.Sprintf("expected a number of seconds, got %q", val)}
		}
		return time.Duration(n * float64(time.Second)), nil
	}
	var err error
	switch name {
	case "debug":
		g.debug = true
	case "endpoint-url":
		g.endpointURL = val
	case "no-verify-ssl":
		g.noVerifySSL = true
	case "no-paginate":
		g.noPaginate = true
	case "output":
		if val != "json" && val != "text" && val != "table" {
			return &usageError{fmt.Sprintf("argument --output: Invalid choice: '%s', valid choices are: json | text | table", val)}
		}
		g.output = val
	case "query":
		g.query = val
	case "profile":
		g.profile = val
	case "region":
		g.region = val
	case "no-sign-request":
		g.noSignRequest = true
	case "ca-bundle":
		g.caBundle = val
	case "cli-read-timeout":
		g.readTimeout, err = seconds()
	case "cli-connect-timeout":
		g.connectTimeout, err = seconds()
	case "color":
		if val != "on" && val != "off" && val != "auto" {
			return &usageError{fmt.Sprintf("argument --color: Invalid choice: '%s', valid choices are: on | off | auto", val)}
		}
		g.color = val
	}
	return err
}

// buildInput merges --cli-input-json and the flags into the request.
func buildInput(inv *invocation) (map[string]any, error) {
	in := map[string]any{}
	if inv.inputJSON != nil {
		raw := *inv.inputJSON
		s, ok, err := readParamFile(raw)
		if err != nil {
			return nil, &paramError{Flag: "cli-input-json", Msg: err.Error()}
		}
		if ok {
			raw = s
		}
		v, err := decodeJSON(raw)
		if err != nil {
			return nil, &paramError{Flag: "cli-input-json", Msg: fmt.Sprintf("Invalid JSON: %v\nJSON received: %s", err, raw)}
		}
		obj, isObj := v.(map[string]any)
		if !isObj {
			return nil, &paramError{Flag: "cli-input-json", Msg: fmt.Sprintf("Invalid JSON: expected an object\nJSON received: %s", raw)}
		}
		for k, v := range obj {
			if v != nil {
				in[k] = v
			}
		}
	}
	for _, p := range inv.given {
		if b, ok := inv.bools[p]; ok {
			in[p.Member] = b
			continue
		}
		v, err := parseParam(p, inv.words[p])
		if err != nil {
			return nil, err
		}
		in[p.Member] = v
	}
	return in, nil
}

// execute builds, checks and sends the request, and prints the answer.
func execute(ctx context.Context, inv *invocation, stdout, stderr io.Writer) int {
	c := inv.cmd
	fail := func(code int, err error) int {
		if errors.Is(err, context.Canceled) {
			return ExitInterrupted // Ctrl-C: nothing to explain
		}
		fmt.Fprintf(stderr, "\n%v\n", err)
		return code
	}
	if inv.skeleton == "input" {
		writeJSON(stdout, inputSkeleton(c))
		return ExitOK
	}
	if inv.g.query != "" {
		q, err := jmespath.Compile(inv.g.query)
		if err != nil {
			return fail(ExitUsage, &paramError{Flag: "query", Msg: fmt.Sprintf("Bad value for --query %s: %v", inv.g.query, err)})
		}
		inv.query = q
	}
	in, err := buildInput(inv)
	if err != nil {
		return fail(ExitUsage, err)
	}
	var missing []string
	for _, p := range c.Params {
		if p.Required {
			if v, ok := in[p.Member]; !ok || v == nil {
				missing = append(missing, "--"+p.Flag)
			}
		}
	}
	if len(missing) > 0 {
		return usageFail(stderr, &usageError{"the following arguments are required: " + strings.Join(missing, ", ")})
	}
	if err := validateInput(c, in); err != nil {
		return fail(ExitUsage, err)
	}
	if c.Input != nil {
		normalizeTimestamps(c.Input, in)
	}
	body, err := json.Marshal(in)
	if err != nil {
		return fail(ExitGeneralError, err)
	}
	// The server's own validator has the last word before anything is
	// sent, so that what it would refuse is refused here.
	if _, err := shape.Decode(c.Op.Name, body); err != nil {
		return fail(ExitUsage, &validationError{Problems: []string{err.Error()}})
	}

	paginated := c.Pager != nil && !inv.g.noPaginate
	if c.Pager != nil {
		_, tok := in[tokenMember]
		_, lim := in[limitMember]
		if tok || lim {
			// Paging by hand, as aws: one call, the user's token.
			paginated = false
		}
		if !paginated && len(inv.pagingSet) > 0 {
			// botocore's PaginationError, which AWS CLI v2 exits with as a
			// general error.
			return fail(ExitGeneralError, fmt.Errorf("Error during pagination: Cannot specify --no-paginate along with pagination arguments: %s", strings.Join(inv.pagingSet, ", ")))
		}
	}
	if inv.paging.maxItems != nil && *inv.paging.maxItems <= 0 {
		fmt.Fprintln(stderr, "warning: Non-positive values for --max-items may result in undefined behavior.")
	}

	out := &printer{inv: inv, stdout: stdout, profileOutput: profileOutput(&inv.g)}
	if inv.skeleton == "output" {
		return out.print(outputSkeleton(c), nil)
	}

	var debug func(string, ...any)
	if inv.g.debug {
		debug = func(format string, args ...any) {
			fmt.Fprintf(stderr, "%s - swf - DEBUG - %s\n", time.Now().Format("2006-01-02 15:04:05,000"), fmt.Sprintf(format, args...))
		}
	}
	cl, err := newClient(ctx, &inv.g, debug)
	if err != nil {
		return fail(exitCode(err), err)
	}
	if paginated {
		pg, err := paginate(ctx, cl, c, in, inv.paging)
		if err != nil {
			return fail(exitCode(err), err)
		}
		return out.print(nil, pg)
	}
	raw, err := cl.call(ctx, c.Op.Name, body)
	if err != nil {
		return fail(exitCode(err), err)
	}
	var resp any = newObject()
	if c.Op.Output != "" {
		resp = shapeOutput(shape.LookupShape(c.Op.Output), raw)
	}
	return out.print(resp, nil)
}

// exitCode maps an error to the AWS CLI v2 exit code.
func exitCode(err error) int {
	var (
		se *serviceError
		ce *configError
		pe *paramError
		ve *validationError
		ue *usageError
	)
	switch {
	case errors.As(err, &se):
		return ExitServiceError
	case errors.As(err, &ce):
		return ExitConfig
	case errors.As(err, &pe), errors.As(err, &ve), errors.As(err, &ue):
		return ExitUsage
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	}
	return ExitGeneralError
}
