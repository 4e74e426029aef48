package plots

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"gonum.org/v1/plot/plotter"
)

// mark is a kind of drawing a chart makes of its data. A caption names
// each of its chart's marks in these words, and no other mark's.
type mark string

const (
	dots  mark = "dot"  // a point per datum: a scatter
	lines mark = "line" // lines through points, reference lines and ticks
	steps mark = "step" // a line that jumps at each datum: an empirical CDF
	bars  mark = "bar"  // bars from zero, histograms
	bands mark = "band" // filled areas
)

// axis is one axis of a chart's panels: its label (the unit in brackets)
// and whether it is logarithmic.
type axis struct {
	label string
	log   bool
}

// description is how a chart draws its data: its marks and its axes. The
// chart's panels are made from it (panel) and its caption opens with its
// words (caption), so that the text under a chart cannot describe another
// one; TestCaptions holds every chart to both.
type description struct {
	marks []mark
	x     axis
	// y is the vertical axis of each row of panels, top to bottom.
	y []axis
	// each says what one panel stands for when there are several, as
	// "strategy" in "one panel per strategy".
	each string
}

// panel is a new panel in row row of the description's grid, titled title.
func (d description) panel(title string, row int) *panel {
	y := d.y[min(row, len(d.y)-1)]
	return newPanel(title, d.x.label, y.label, d.x.log, y.log)
}

// caption is the chart's caption: a sentence naming the axes, then text,
// the chart's own sentences on its marks and how to read them.
func (d description) caption(text ...string) string {
	var b strings.Builder
	if d.each != "" {
		b.WriteString("One panel per " + d.each + ". ")
	}
	var ups []string
	for i, y := range d.y {
		s := y.label + logWords(y)
		if len(d.y) > 1 {
			s += []string{" in the top panel", " in the bottom one"}[min(i, 1)]
		}
		ups = append(ups, s)
	}
	b.WriteString(upper(strings.Join(ups, ", ")))
	b.WriteString(" up, against " + d.x.label + logWords(d.x) + " across.")
	for _, t := range text {
		if t != "" {
			b.WriteString(" " + t)
		}
	}
	return b.String()
}

func logWords(a axis) string {
	if a.log {
		return " (log scale)"
	}
	return ""
}

func upper(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// sameAs says, for each series, which earlier one it coincides with ("" if
// none): drawn on top of it, the earlier one would vanish without a word,
// so the legend says "(same as NAME)". Series coincide when every point
// is equal, to within a part in a billion.
func sameAs(names []string, data []plotter.XYs) []string {
	out := make([]string, len(data))
	for i := range data {
		for j := range i {
			if out[j] == "" && equalXYs(data[i], data[j]) {
				out[i] = names[j]
				break
			}
		}
	}
	return out
}

func equalXYs(a, b plotter.XYs) bool {
	if len(a) != len(b) || len(a) == 0 {
		return false
	}
	near := func(x, y float64) bool { return math.Abs(x-y) <= 1e-9*math.Max(math.Abs(x), math.Abs(y)) }
	for i := range a {
		if !near(a[i].X, b[i].X) || !near(a[i].Y, b[i].Y) {
			return false
		}
	}
	return true
}

// legendName is a series' legend entry: its name, and what it coincides
// with (see sameAs).
func legendName(name, same string) string {
	if same == "" {
		return name
	}
	return name + " (same as " + same + ")"
}
