package cli

import (
	"io"
	"math"
	"sort"
	"strings"
)

// The table format, ported from awscli's TableFormatter and MultiTable
// (awscli/formatter.py, awscli/table.py) without colour: a section per
// object, scalar members as columns sorted by key, nested objects and
// lists as indented sub-sections. Tables wider than the terminal turn
// single-row sections into key/value rows, as aws does.

type tableSection struct {
	title     string
	headers   []string
	rows      [][]string
	indent    int
	numCols   int
	maxWidths []int
}

func (s *tableSection) updateWidths(row []string) {
	if len(s.maxWidths) == 0 {
		for _, e := range row {
			s.maxWidths = append(s.maxWidths, textLength(e))
		}
		return
	}
	for i, e := range row {
		if i < len(s.maxWidths) {
			s.maxWidths[i] = max(s.maxWidths[i], textLength(e))
		}
	}
}

func (s *tableSection) addHeader(h []string) {
	s.updateWidths(h)
	if s.numCols == 0 {
		s.numCols = len(h)
	}
	s.headers = h
}

func (s *tableSection) addRow(row []any) {
	r := make([]string, len(row))
	for i, e := range row {
		r[i] = pyStr(e)
	}
	if s.numCols == 0 {
		s.numCols = len(r)
	}
	// aws raises on a ragged row; pad or cut instead.
	for len(r) < s.numCols {
		r = append(r, "")
	}
	r = r[:s.numCols]
	s.rows = append(s.rows, r)
	s.updateWidths(r)
}

// columnWidths scales the column widths to sum to maxWidth (0: unscaled).
func (s *tableSection) columnWidths(padding, maxWidth int) []int {
	un := make([]int, len(s.maxWidths))
	sum := 0
	for i, w := range s.maxWidths {
		un[i] = w + padding
		sum += un[i]
	}
	if maxWidth == 0 || len(un) == 0 {
		return un
	}
	scale := float64(maxWidth) / float64(sum)
	scaled := make([]int, len(un))
	total := 0
	for i, w := range un {
		scaled[i] = int(math.RoundToEven(scale * float64(w)))
		total += scaled[i]
	}
	off := total - maxWidth
	for off != 0 {
		if off > 0 {
			for i := 0; i < len(scaled) && off != 0; i++ {
				scaled[i]--
				off--
			}
		} else {
			for i := len(scaled) - 1; i >= 0 && off != 0; i-- {
				scaled[i]++
				off++
			}
		}
	}
	return scaled
}

func (s *tableSection) totalWidth(padding int, border bool, outer int) int {
	total := 0
	for _, w := range s.columnWidths(0, 0) {
		total += w + padding
	}
	if border {
		total += 2
	}
	total += 2 * outer
	return max(textLength(s.title)+2+2*outer, total)
}

type multiTable struct {
	sections []*tableSection
	cur      *tableSection
	width    int // the terminal's
}

func (t *multiTable) newSection(title string, indent int) {
	t.cur = &tableSection{title: title, indent: indent}
	t.sections = append(t.sections, t.cur)
}

func (t *multiTable) maxWidth() int {
	m := 0
	for _, s := range t.sections {
		m = max(m, s.totalWidth(4, true, s.indent))
	}
	return m
}

func (t *multiTable) render(w io.Writer) {
	var b strings.Builder
	mw := t.maxWidth()
	if mw > t.width {
		// Too wide: show each one-row section vertically.
		for i, s := range t.sections {
			if len(s.rows) == 1 && len(s.headers) > 0 {
				ns := &tableSection{title: s.title, indent: s.indent}
				for j, h := range s.headers {
					ns.addRow([]any{h, s.rows[0][j]})
				}
				t.sections[i] = ns
			}
		}
		mw = t.maxWidth()
	}
	b.WriteString(strings.Repeat("-", mw) + "\n")
	for _, s := range t.sections {
		renderSection(&b, s, mw)
	}
	io.WriteString(w, b.String())
}

func renderSection(b *strings.Builder, s *tableSection, maxWidth int) {
	line := func(text string) {
		b.WriteString(strings.Repeat("|", s.indent))
		b.WriteString(text)
		b.WriteString(strings.Repeat("|", s.indent))
		b.WriteByte('\n')
	}
	maxWidth -= s.indent * 2
	if s.title != "" {
		line(centerText(s.title, maxWidth, "|", "|"))
		if len(s.headers) == 0 && len(s.rows) == 0 {
			line("+" + strings.Repeat("-", maxWidth-2) + "+")
		}
	}
	lineBreak := func(widths []int) {
		var p strings.Builder
		for i, w := range widths {
			if i == 0 {
				p.WriteString("+" + strings.Repeat("-", w-2) + "+")
			} else {
				p.WriteString(strings.Repeat("-", w-1) + "+")
			}
		}
		line(p.String())
	}
	if len(s.headers) > 0 {
		widths := s.columnWidths(4, maxWidth)
		var cur strings.Builder
		for i, h := range s.headers {
			left := ""
			if i == 0 {
				left = "|"
			}
			cur.WriteString(centerText(h, widths[i], left, "|"))
		}
		lineBreak(widths)
		line(cur.String())
	}
	if len(s.rows) > 0 {
		widths := s.columnWidths(4, maxWidth)
		if len(widths) == 0 {
			return
		}
		lineBreak(widths)
		for _, row := range s.rows {
			var cur strings.Builder
			for i, e := range row {
				if i >= len(widths) {
					break
				}
				left := ""
				if i == 0 {
					left = "|"
				}
				cur.WriteString(alignLeft(e, widths[i], left, "|"))
			}
			line(cur.String())
		}
		lineBreak(widths)
	}
}

func centerText(text string, length int, left, right string) string {
	tl := textLength(text)
	// Python's floor division and a negative repeat count (no spaces)
	// are kept, so odd widths come out as aws draws them.
	start := floorDiv(length, 2) - floorDiv(tl, 2) - 1
	out := left + strings.Repeat(" ", max(start, 0)) + text
	soFar := textLength(left) + start + tl
	rightSpaces := length - textLength(right) - soFar
	if rightSpaces < 0 {
		rightSpaces = 0
	}
	return out + strings.Repeat(" ", rightSpaces) + right
}

func alignLeft(text string, length int, left, right string) string {
	tl := textLength(text)
	padding := 2
	if length-(tl+2+textLength(left)+textLength(right)) < 0 {
		padding = 0
	}
	soFar := len(left) + padding + tl
	fill := length - soFar - len(right)
	if fill < 0 {
		fill = 0
	}
	return left + strings.Repeat(" ", padding) + text + strings.Repeat(" ", fill) + right
}

// textLength counts display columns: East Asian wide characters take two.
func textLength(s string) int {
	n := 0
	for _, r := range s {
		n++
		if isWide(r) {
			n++
		}
	}
	return n
}

func isWide(r rune) bool {
	return r >= 0x1100 && r <= 0x115F || r >= 0x2E80 && r <= 0xA4CF && r != 0x303F ||
		r >= 0xAC00 && r <= 0xD7A3 || r >= 0xF900 && r <= 0xFAFF || r >= 0xFE30 && r <= 0xFE4F ||
		r >= 0xFF00 && r <= 0xFF60 || r >= 0xFFE0 && r <= 0xFFE6 || r >= 0x1F300 && r <= 0x1F64F ||
		r >= 0x20000 && r <= 0x3FFFD
}

// writeTable prints v as aws's table format, titled with the operation.
func writeTable(w io.Writer, title string, v any, width int) {
	t := &multiTable{width: width}
	if buildTable(t, title, plainToOrdered(v), 0) {
		t.render(w)
	}
}

func buildTable(t *multiTable, title string, cur any, indent int) bool {
	if isEmpty(cur) {
		return false
	}
	if title != "" {
		t.newSection(title, indent)
	} else if t.cur == nil {
		t.newSection("", indent)
	}
	switch x := cur.(type) {
	case []any:
		if _, ok := x[0].(*object); ok {
			tableFromList(t, x, indent, title)
		} else {
			for _, item := range x {
				switch it := item.(type) {
				case []any:
					if allScalars(it) {
						t.cur.addRow(it)
					} else {
						buildTable(t, "", it, 0)
					}
				case *object:
					row := make([]any, len(it.keys))
					for i, k := range it.keys {
						row[i] = k
					}
					t.cur.addRow(row)
				default:
					t.cur.addRow([]any{item})
				}
			}
		}
	case *object:
		tableFromDict(t, x, indent)
	}
	return true
}

func allScalars(l []any) bool {
	for _, e := range l {
		if !isScalar(e) {
			return false
		}
	}
	return true
}

func groupScalarKeys(o *object) (headers, more []string) {
	for _, k := range o.keys {
		if isScalar(o.vals[k]) {
			headers = append(headers, k)
		} else {
			more = append(more, k)
		}
	}
	sort.Strings(headers)
	sort.Strings(more)
	return headers, more
}

func tableFromDict(t *multiTable, o *object, indent int) {
	headers, more := groupScalarKeys(o)
	if len(headers) == 1 {
		t.cur.addRow([]any{headers[0], o.vals[headers[0]]})
	} else if len(headers) > 0 {
		t.cur.addHeader(headers)
		row := make([]any, len(headers))
		for i, h := range headers {
			row[i] = o.vals[h]
		}
		t.cur.addRow(row)
	}
	for _, k := range more {
		buildTable(t, k, o.vals[k], indent+1)
	}
}

func tableFromList(t *multiTable, list []any, indent int, title string) {
	hs, ms := map[string]bool{}, map[string]bool{}
	for _, e := range list {
		if o, ok := e.(*object); ok {
			h, m := groupScalarKeys(o)
			for _, k := range h {
				hs[k] = true
			}
			for _, k := range m {
				ms[k] = true
			}
		}
	}
	headers, more := sortedKeys(hs), sortedKeys(ms)
	t.cur.addHeader(headers)
	for i, e := range list {
		o, ok := e.(*object)
		if !ok {
			continue
		}
		if i > 0 && len(more) > 0 {
			t.newSection(title, indent)
			t.cur.addHeader(headers)
		}
		row := make([]any, len(headers))
		for j, h := range headers {
			if v, ok := o.vals[h]; ok {
				row[j] = v
			} else {
				row[j] = ""
			}
		}
		t.cur.addRow(row)
		for _, k := range more {
			if v, ok := o.vals[k]; ok {
				buildTable(t, k, v, indent+1)
			}
		}
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
