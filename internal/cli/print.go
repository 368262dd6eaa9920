package cli

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// printer prints a response in the chosen format, through --query.
type printer struct {
	inv           *invocation
	stdout        io.Writer
	profileOutput string
}

// format is --output, else AWS_DEFAULT_OUTPUT, else the profile's output
// setting, else json.
func (p *printer) format() string {
	if p.inv.g.output != "" {
		return p.inv.g.output
	}
	if v := os.Getenv("AWS_DEFAULT_OUTPUT"); v == "json" || v == "text" || v == "table" {
		return v
	}
	if v := p.profileOutput; v == "json" || v == "text" || v == "table" {
		return v
	}
	return defaultOutput
}

// print prints either a whole response or the pages of a paged one.
func (p *printer) print(resp any, pg *pages) int {
	c := p.inv.cmd
	format := p.format()
	if pg != nil && format == "text" {
		for _, page := range pg.textPages(c.Pager.ResultKey) {
			writeText(p.stdout, p.search(page))
		}
		return ExitOK
	}
	if pg != nil {
		resp = pg.fullResult(c.Pager.ResultKey)
	}
	if resp == nil {
		// An operation without output prints nothing.
		return ExitOK
	}
	v := p.search(resp)
	switch format {
	case "text":
		writeText(p.stdout, v)
	case "table":
		writeTable(p.stdout, c.Op.Name, v, terminalWidth(p.stdout))
	default:
		if o, ok := v.(*object); ok && len(o.keys) == 0 {
			return ExitOK // aws prints nothing for {}
		}
		writeJSON(p.stdout, v)
	}
	return ExitOK
}

// search applies --query, if any. The JMESPath library works on plain
// maps, which lose the order of keys; the result's maps are put back in
// order: a map that is one of the response's objects (the library hands
// those through untouched) in that object's order, a multi-select hash
// ({a: x, b: y}) in the expression's order.
func (p *printer) search(v any) any {
	if p.inv.query == nil {
		return v
	}
	origin := map[uintptr]*object{}
	r, err := p.inv.query.Search(toPlainTracked(v, origin))
	if err != nil {
		return nil
	}
	return reorder(r, origin, multiSelectKeys(p.inv.g.query))
}

// profileOutput reads the output setting of the profile in use from the
// AWS config file; the SDK's config loading does not keep it.
func profileOutput(g *globals) string {
	profile := g.profile
	if profile == "" {
		profile = os.Getenv("AWS_PROFILE")
	}
	if profile == "" {
		profile = "default"
	}
	path := os.Getenv("AWS_CONFIG_FILE")
	if path == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		path = filepath.Join(home, ".aws", "config")
	}
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	want := map[string]bool{"profile " + profile: true}
	if profile == "default" {
		want["default"] = true
	}
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' && strings.HasSuffix(line, "]") {
			in = want[strings.Join(strings.Fields(line[1:len(line)-1]), " ")]
			continue
		}
		if !in {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if ok && strings.TrimSpace(k) == "output" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
