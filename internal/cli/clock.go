package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/jmespath/go-jmespath"
)

// clockPath is openswf's clock endpoint (server.ClockPath), which `swf
// clock` calls; it is not part of the SWF API.
const clockPath = "/openswf/clock"

const clockUsage = `usage: swf [options] clock <command>

Show or move the clock of an openswf server started with --clock manual (or
auto-skip). Moving it fires every timer and timeout it passes, in order, and
answers once their effects are stored.

Commands:
  show              print the server's clock: its mode and time
  advance DURATION  move it forward: 10m, 1h30m, 2d, 1d12h, or seconds (300)
  set TIME          move it forward to TIME (RFC 3339: 2026-01-02T15:04:05Z)

The global options apply (--endpoint-url, --region, --profile, --output,
--query, --debug, ...; swf help lists them).
`

// RunClock is `swf clock ...` (args after "clock") and returns the exit
// code, as Run does.
func RunClock(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	inv := &invocation{g: globals{readTimeout: DefaultReadTimeout, connectTimeout: DefaultConnectTimeout}}
	var words []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "-h" || a == "--help" || a == "help" {
			fmt.Fprint(stdout, clockUsage)
			return ExitOK
		}
		if !strings.HasPrefix(a, "--") {
			words = append(words, a)
			continue
		}
		name, val, hasVal := strings.Cut(a[2:], "=")
		ok, takes := globalFlag(name)
		if !ok {
			return clockUsageFail(stderr, "Unknown options: "+a)
		}
		if takes && !hasVal {
			if i+1 >= len(args) {
				return clockUsageFail(stderr, fmt.Sprintf("argument --%s: expected one argument", name))
			}
			i++
			val = args[i]
		}
		if err := inv.setGlobal(name, val); err != nil {
			var ue *usageError
			if errors.As(err, &ue) {
				return clockUsageFail(stderr, ue.msg)
			}
			fmt.Fprintf(stderr, "\n%v\n", err)
			return ExitUsage
		}
	}
	if inv.g.query != "" {
		q, err := jmespath.Compile(inv.g.query)
		if err != nil {
			return clockUsageFail(stderr, fmt.Sprintf("argument --query: Bad value for --query %s: %v", inv.g.query, err))
		}
		inv.query = q
	}

	var op, method string
	var body []byte
	switch {
	case len(words) == 1 && words[0] == "show":
		op, method = "ShowClock", http.MethodGet
	case len(words) == 2 && words[0] == "advance":
		op, method = "AdvanceClock", http.MethodPost
		body, _ = json.Marshal(map[string]string{"advance": words[1]})
	case len(words) == 2 && words[0] == "set":
		op, method = "SetClock", http.MethodPost
		body, _ = json.Marshal(map[string]string{"set": words[1]})
	case len(words) == 0:
		return clockUsageFail(stderr, "the following arguments are required: show, advance DURATION or set TIME")
	default:
		return clockUsageFail(stderr, fmt.Sprintf("unknown clock command %q: want show, advance DURATION or set TIME", strings.Join(words, " ")))
	}

	var debug func(string, ...any)
	if inv.g.debug {
		debug = func(format string, args ...any) {
			fmt.Fprintf(stderr, "%s - swf - DEBUG - %s\n", time.Now().Format("2006-01-02 15:04:05,000"), fmt.Sprintf(format, args...))
		}
	}
	cl, err := newClient(ctx, &inv.g, debug)
	if err != nil {
		fmt.Fprintf(stderr, "\n%v\n", err)
		return exitCode(err)
	}
	out, err := cl.clock(ctx, op, method, body)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return ExitInterrupted
		}
		fmt.Fprintf(stderr, "\n%v\n", err)
		return exitCode(err)
	}
	p := &printer{inv: inv, stdout: stdout, profileOutput: profileOutput(&inv.g)}
	v := p.search(out)
	switch p.format() {
	case "text":
		writeText(stdout, v)
	case "table":
		writeTable(stdout, op, v, terminalWidth(stdout))
	default:
		writeJSON(stdout, v)
	}
	return ExitOK
}

// clockArgs reports whether args, global options first, are a `clock`
// command, and returns them without the word "clock".
func clockArgs(args []string) ([]string, bool) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "clock" {
			return append(append([]string(nil), args[:i]...), args[i+1:]...), true
		}
		if !strings.HasPrefix(a, "--") {
			return nil, false
		}
		name, _, hasVal := strings.Cut(a[2:], "=")
		if ok, takes := globalFlag(name); !ok {
			return nil, false
		} else if takes && !hasVal {
			i++ // its value
		}
	}
	return nil, false
}

func clockUsageFail(stderr io.Writer, msg string) int {
	fmt.Fprintf(stderr, "%s\nswf: error: %s\n", clockUsage, msg)
	return ExitUsage
}

// clock makes one call to the clock endpoint, signed as SWF calls are. It
// does not retry: an advance made twice moves the clock twice.
func (c *client) clock(ctx context.Context, op, method string, body []byte) (*object, error) {
	creds, sign, err := c.credentials(ctx)
	if err != nil {
		return nil, err
	}
	url := strings.TrimRight(c.endpoint, "/") + clockPath
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return nil, &connectError{msg: err.Error(), err: err}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", "openswf-cli")
	if sign {
		sum := sha256.Sum256(body)
		if err := c.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "swf", c.region, time.Now().UTC()); err != nil {
			return nil, &connectError{msg: "Unable to sign the request: " + err.Error(), err: err}
		}
	}
	if c.debug != nil {
		c.debug("request: %s %s body: %s", method, url, body)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, &connectError{msg: fmt.Sprintf("Read timeout on endpoint URL: %q", url), err: err}
		}
		return nil, &connectError{msg: fmt.Sprintf("Could not connect to the endpoint URL: %q", url), err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, &connectError{msg: fmt.Sprintf("Connection was closed before we received a valid response from endpoint URL: %q", url), err: err}
	}
	if c.debug != nil {
		c.debug("response: %d body: %s", resp.StatusCode, bytes.TrimSpace(data))
	}
	if resp.StatusCode == http.StatusNotFound {
		return nil, &serviceError{Code: "NotFound", Op: op, Status: resp.StatusCode,
			Message: "the endpoint has no clock to show or move: is it an openswf server (swf server --clock manual)?"}
	}
	if resp.StatusCode/100 != 2 {
		return nil, parseServiceError(op, resp.StatusCode, data)
	}
	var st struct {
		Mode         string  `json:"mode"`
		Now          string  `json:"now"`
		EpochSeconds float64 `json:"epochSeconds"`
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, &connectError{msg: fmt.Sprintf("Unable to parse the response of %s: %v", op, err), err: err}
	}
	o := newObject()
	o.set("mode", st.Mode)
	o.set("now", st.Now)
	o.set("epochSeconds", st.EpochSeconds)
	return o, nil
}
