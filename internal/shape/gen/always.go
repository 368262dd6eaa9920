package main

import (
	"fmt"
	"strconv"
	"strings"
)

// parseAlwaysSent reads the always-sent table: one "Shape.member evidence"
// line per member, # comments and blank lines ignored. Every entry must
// name an optional member of a structure that an answer can carry; a
// required member is sent anyway, so listing one is a mistake.
func parseAlwaysSent(m *model, table []byte) (map[string]map[string]bool, error) {
	reachable := outputShapes(m)
	always := map[string]map[string]bool{}
	for i, line := range strings.Split(string(table), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 2 {
			return nil, fmt.Errorf("line %d: want \"Shape.member evidence\", got %q", i+1, line)
		}
		shapeName, member, ok := strings.Cut(fields[0], ".")
		if !ok {
			return nil, fmt.Errorf("line %d: %q is not Shape.member", i+1, fields[0])
		}
		sh, ok := m.Shapes[shapeName]
		if !ok || sh.Type != "structure" {
			return nil, fmt.Errorf("line %d: %s is not a structure of the model", i+1, shapeName)
		}
		if _, ok := sh.Members[member]; !ok {
			return nil, fmt.Errorf("line %d: %s has no member %s", i+1, shapeName, member)
		}
		for _, r := range sh.Required {
			if r == member {
				return nil, fmt.Errorf("line %d: %s.%s is required by the model already", i+1, shapeName, member)
			}
		}
		if !reachable[shapeName] {
			return nil, fmt.Errorf("line %d: no answer carries %s", i+1, shapeName)
		}
		if always[shapeName][member] {
			return nil, fmt.Errorf("line %d: %s.%s is listed twice", i+1, shapeName, member)
		}
		if always[shapeName] == nil {
			always[shapeName] = map[string]bool{}
		}
		always[shapeName][member] = true
	}
	return always, nil
}

// outputShapes returns every structure an operation's answer can contain.
func outputShapes(m *model) map[string]bool {
	return reachable(m, func(op operation) *shapeRef { return op.Output })
}

// reachable returns every shape reachable from the shape side names in
// each operation (its input or its output).
func reachable(m *model, side func(operation) *shapeRef) map[string]bool {
	seen := map[string]bool{}
	var walk func(name string)
	walk = func(name string) {
		if seen[name] {
			return
		}
		seen[name] = true
		sh := m.Shapes[name]
		for _, ref := range sh.Members {
			walk(ref.Shape)
		}
		if sh.Member != nil {
			walk(sh.Member.Shape)
		}
	}
	for _, op := range m.Operations {
		if ref := side(op); ref != nil {
			walk(ref.Shape)
		}
	}
	return seen
}

// alwaysSentVar writes the table as a Go map, for tests that check answers
// against it.
func (g *generator) alwaysSentVar() {
	g.p("\n// AlwaysSent lists, by shape, the members (JSON names) that answers carry\n")
	g.p("// even when zero, beyond the model's required ones (always_sent.txt).\n")
	g.p("var AlwaysSent = map[string][]string{\n")
	for _, name := range sortedKeys(g.always) {
		var quoted []string
		for _, mn := range sortedKeys(g.always[name]) {
			quoted = append(quoted, strconv.Quote(mn))
		}
		g.p("\t%s: {%s},\n", strconv.Quote(name), strings.Join(quoted, ", "))
	}
	g.p("}\n")
}

// sendLists writes SendLists, which gives an answer's required and
// always-sent lists a value so that they encode as [] rather than null or
// nothing. Such lists sit only at the top of answers today; one deeper down
// would need a walk through the answer, so the generator refuses it rather
// than leave it unfilled.
func (g *generator) sendLists() error {
	outputs := map[string]bool{}
	for _, op := range g.m.Operations {
		if op.Output != nil {
			outputs[op.Output.Shape] = true
		}
	}
	fills := map[string][]string{} // output shape -> list members to fill
	for name := range outputShapes(g.m) {
		sh := g.m.Shapes[name]
		if sh.Type != "structure" {
			continue
		}
		required := map[string]bool{}
		for _, r := range sh.Required {
			required[r] = true
		}
		for _, mn := range sortedKeys(sh.Members) {
			if g.m.Shapes[sh.Members[mn].Shape].Type != "list" || !(required[mn] || g.always[name][mn]) {
				continue
			}
			if !outputs[name] {
				return fmt.Errorf("%s.%s: a list always sent inside an answer's member is not supported", name, mn)
			}
			fills[name] = append(fills[name], mn)
		}
	}
	g.p("\n// SendLists sets the nil lists that the answer out always carries to\n")
	g.p("// empty ones, so they encode as []. Other values are left alone.\n")
	g.p("func SendLists(out any) {\n")
	g.p("\tswitch o := out.(type) {\n")
	for _, name := range sortedKeys(fills) {
		g.p("\tcase *%s:\n", name)
		for _, mn := range fills[name] {
			field := exportName(mn)
			typ, err := g.goType(g.m.Shapes[name].Members[mn].Shape, false)
			if err != nil {
				return err
			}
			g.p("\t\tif o.%s == nil {\n\t\t\to.%s = %s{}\n\t\t}\n", field, field, typ)
		}
	}
	g.p("\t}\n}\n")
	return nil
}
