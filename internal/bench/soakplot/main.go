// Command soakplot draws the samples of `swf bench soak --samples-out
// FILE` as a PNG: one panel per figure (server RSS, database size, open
// files, threads, goroutines when known, workflows a second) against
// minutes. The standard library only, with a 3x5 pixel font, so that it
// runs anywhere Go does:
//
//	go run ./internal/bench/soakplot soak.csv soak.png
package main

import (
	"encoding/csv"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"strconv"
	"strings"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: soakplot SAMPLES.csv OUT.png")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "soakplot:", err)
		os.Exit(1)
	}
}

// series is one panel: a column of the CSV, scaled.
type series struct {
	title  string
	column string
	scale  float64
}

var panels = []series{
	{"SERVER RSS MIB", "rss_bytes", 1.0 / (1 << 20)},
	{"DATABASE MIB (DATA DIR)", "db_bytes", 1.0 / (1 << 20)},
	{"OPEN FILES", "open_files", 1},
	{"THREADS", "threads", 1},
	{"GOROUTINES", "goroutines", 1},
	{"WORKFLOWS/S", "per_s", 1},
}

func run(in, out string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		return err
	}
	if len(rows) < 3 {
		return fmt.Errorf("%s: want a header and at least two samples", in)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	num := func(r []string, name string) float64 {
		i, ok := col[name]
		if !ok || i >= len(r) {
			return math.NaN()
		}
		v, err := strconv.ParseFloat(r[i], 64)
		if err != nil {
			return math.NaN()
		}
		return v
	}
	var xs []float64
	for _, r := range rows[1:] {
		xs = append(xs, num(r, "t_s")/60)
	}
	var shown []series
	var ys [][]float64
	for _, p := range panels {
		var y []float64
		known := false
		for _, r := range rows[1:] {
			v := num(r, p.column)
			if v < 0 || math.IsNaN(v) {
				v = math.NaN()
			} else {
				known = true
				v *= p.scale
			}
			y = append(y, v)
		}
		if known {
			shown, ys = append(shown, p), append(ys, y)
		}
	}

	const (
		w, panelH, top, left, right, gap = 900, 150, 10, 70, 20, 40
	)
	h := top + len(shown)*(panelH+gap)
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	fill(img, img.Bounds(), color.White)
	grey, ink, blue := color.RGBA{0xcc, 0xcc, 0xcc, 0xff}, color.Black, color.RGBA{0x1f, 0x5f, 0xbf, 0xff}
	xmax := xs[len(xs)-1]
	for i, p := range shown {
		y0 := top + i*(panelH+gap) + 14
		plot := image.Rect(left, y0, w-right, y0+panelH-14)
		lo, hi := 0.0, 0.0
		for _, v := range ys[i] {
			if !math.IsNaN(v) {
				hi = math.Max(hi, v)
			}
		}
		if hi == 0 {
			hi = 1
		}
		hi *= 1.1
		text(img, left, y0-12, p.title, ink, 2)
		// Axes, grid at quarters, labels.
		for q := 0; q <= 4; q++ {
			yy := plot.Max.Y - q*plot.Dy()/4
			hline(img, plot.Min.X, plot.Max.X, yy, grey)
			text(img, 2, yy-5, short(lo+(hi-lo)*float64(q)/4), ink, 2)
		}
		for m := 0.0; m <= xmax; m += tick(xmax) {
			xx := plot.Min.X + int(m/xmax*float64(plot.Dx()))
			vline(img, xx, plot.Min.Y, plot.Max.Y, grey)
			text(img, xx-4, plot.Max.Y+4, short(m), ink, 2)
		}
		if i == len(shown)-1 {
			text(img, w/2-40, plot.Max.Y+18, "MINUTES", ink, 2)
		}
		// The curve.
		px, py := -1, -1
		for j, v := range ys[i] {
			if math.IsNaN(v) {
				px = -1
				continue
			}
			x := plot.Min.X + int(xs[j]/xmax*float64(plot.Dx()))
			y := plot.Max.Y - int((v-lo)/(hi-lo)*float64(plot.Dy()))
			if px >= 0 {
				line(img, px, py, x, y, blue)
			}
			fill(img, image.Rect(x-1, y-1, x+2, y+2), blue)
			px, py = x, y
		}
	}
	o, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := png.Encode(o, img); err != nil {
		o.Close()
		return err
	}
	return o.Close()
}

// tick is a round step for about 6 to 15 marks over 0..max.
func tick(max float64) float64 {
	for _, s := range []float64{0.5, 1, 2, 5, 10, 15, 30, 60, 120} {
		if max/s <= 15 {
			return s
		}
	}
	return max / 10
}

func short(v float64) string {
	switch {
	case v >= 10000:
		return strconv.FormatFloat(v/1000, 'f', 0, 64) + "K"
	case v >= 100 || v == math.Trunc(v):
		return strconv.FormatFloat(v, 'f', 0, 64)
	default:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
}

func fill(img *image.RGBA, r image.Rectangle, c color.Color) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.Set(x, y, c)
		}
	}
}

func hline(img *image.RGBA, x0, x1, y int, c color.Color) {
	for x := x0; x <= x1; x++ {
		img.Set(x, y, c)
	}
}

func vline(img *image.RGBA, x, y0, y1 int, c color.Color) {
	for y := y0; y <= y1; y++ {
		img.Set(x, y, c)
	}
}

// line draws from (x0,y0) to (x1,y1), two pixels thick (Bresenham).
func line(img *image.RGBA, x0, y0, x1, y1 int, c color.Color) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	e := dx + dy
	for {
		img.Set(x0, y0, c)
		img.Set(x0, y0+1, c)
		if x0 == x1 && y0 == y1 {
			return
		}
		if e2 := 2 * e; e2 >= dy {
			e += dy
			x0 += sx
		} else {
			e += dx
			y0 += sy
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sign(v int) int {
	switch {
	case v < 0:
		return -1
	case v > 0:
		return 1
	}
	return 0
}

// font is 3x5 pixels a glyph, row by row.
var font = map[rune][5]string{
	'0': {"###", "#.#", "#.#", "#.#", "###"}, '1': {".#.", "##.", ".#.", ".#.", "###"},
	'2': {"###", "..#", "###", "#..", "###"}, '3': {"###", "..#", ".##", "..#", "###"},
	'4': {"#.#", "#.#", "###", "..#", "..#"}, '5': {"###", "#..", "###", "..#", "###"},
	'6': {"###", "#..", "###", "#.#", "###"}, '7': {"###", "..#", ".#.", ".#.", ".#."},
	'8': {"###", "#.#", "###", "#.#", "###"}, '9': {"###", "#.#", "###", "..#", "###"},
	'.': {"...", "...", "...", "...", ".#."}, '/': {"..#", "..#", ".#.", "#..", "#.."},
	'(': {".#.", "#..", "#..", "#..", ".#."}, ')': {".#.", "..#", "..#", "..#", ".#."},
	' ': {"...", "...", "...", "...", "..."}, '-': {"...", "...", "###", "...", "..."},
	'A': {".#.", "#.#", "###", "#.#", "#.#"}, 'B': {"##.", "#.#", "##.", "#.#", "##."},
	'C': {".##", "#..", "#..", "#..", ".##"}, 'D': {"##.", "#.#", "#.#", "#.#", "##."},
	'E': {"###", "#..", "##.", "#..", "###"}, 'F': {"###", "#..", "##.", "#..", "#.."},
	'G': {".##", "#..", "#.#", "#.#", ".##"}, 'H': {"#.#", "#.#", "###", "#.#", "#.#"},
	'I': {"###", ".#.", ".#.", ".#.", "###"}, 'K': {"#.#", "#.#", "##.", "#.#", "#.#"},
	'L': {"#..", "#..", "#..", "#..", "###"}, 'M': {"#.#", "###", "###", "#.#", "#.#"},
	'N': {"##.", "#.#", "#.#", "#.#", "#.#"}, 'O': {".#.", "#.#", "#.#", "#.#", ".#."},
	'P': {"##.", "#.#", "##.", "#..", "#.."}, 'R': {"##.", "#.#", "##.", "#.#", "#.#"},
	'S': {".##", "#..", ".#.", "..#", "##."}, 'T': {"###", ".#.", ".#.", ".#.", ".#."},
	'U': {"#.#", "#.#", "#.#", "#.#", "###"}, 'W': {"#.#", "#.#", "###", "###", "#.#"},
	'V': {"#.#", "#.#", "#.#", "#.#", ".#."}, 'Y': {"#.#", "#.#", ".#.", ".#.", ".#."},
	'X': {"#.#", "#.#", ".#.", "#.#", "#.#"}, 'Q': {".#.", "#.#", "#.#", "##.", ".##"},
	'J': {"..#", "..#", "..#", "#.#", ".#."}, 'Z': {"###", "..#", ".#.", "#..", "###"},
	'%': {"#.#", "..#", ".#.", "#..", "#.#"}, ':': {"...", ".#.", "...", ".#.", "..."},
}

// text writes s at (x, y), each font pixel scale pixels square.
func text(img *image.RGBA, x, y int, s string, c color.Color, scale int) {
	for _, r := range strings.ToUpper(s) {
		g, ok := font[r]
		if !ok {
			g = font['-']
		}
		for row, bits := range g {
			for col, b := range bits {
				if b == '#' {
					fill(img, image.Rect(x+col*scale, y+row*scale, x+(col+1)*scale, y+(row+1)*scale), c)
				}
			}
		}
		x += 4 * scale
	}
}
