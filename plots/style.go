package plots

import (
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The Okabe–Ito palette: eight colours that stay distinct under the common
// forms of colour blindness.
var (
	black         = color.NRGBA{0x00, 0x00, 0x00, 0xff}
	orange        = color.NRGBA{0xe6, 0x9f, 0x00, 0xff}
	skyBlue       = color.NRGBA{0x56, 0xb4, 0xe9, 0xff}
	bluishGreen   = color.NRGBA{0x00, 0x9e, 0x73, 0xff}
	yellow        = color.NRGBA{0xf0, 0xe4, 0x42, 0xff}
	blue          = color.NRGBA{0x00, 0x72, 0xb2, 0xff}
	vermillion    = color.NRGBA{0xd5, 0x5e, 0x00, 0xff}
	reddishPurple = color.NRGBA{0xcc, 0x79, 0xa7, 0xff}

	grey      = color.NRGBA{0xa0, 0xa0, 0xa0, 0xff}
	lightGrey = color.NRGBA{0xdd, 0xdd, 0xdd, 0xff}
)

// seriesColors is the order series take colours in. Yellow comes last: it
// is hard to see as a thin line on white.
var seriesColors = []color.NRGBA{blue, vermillion, bluishGreen, reddishPurple, orange, skyBlue, black, yellow}

// Colour alone never tells series apart: each also gets its own dash
// pattern and marker shape, so a chart survives greyscale printing too.
var seriesDashes = [][]vg.Length{
	nil,
	{vg.Points(6), vg.Points(3)},
	{vg.Points(1.5), vg.Points(2.5)},
	{vg.Points(6), vg.Points(2), vg.Points(1.5), vg.Points(2)},
	{vg.Points(10), vg.Points(3)},
	{vg.Points(3), vg.Points(3)},
}

// Filled shapes first: they stay visible at the small sizes of a dense
// scatter.
var seriesGlyphs = []draw.GlyphDrawer{
	draw.CircleGlyph{}, draw.PyramidGlyph{}, draw.BoxGlyph{}, draw.CrossGlyph{},
	draw.PlusGlyph{}, draw.RingGlyph{}, draw.TriangleGlyph{}, draw.SquareGlyph{},
}

func seriesColor(i int) color.Color { return seriesColors[i%len(seriesColors)] }

// lineStyle is series i's line: its colour and dash pattern.
func lineStyle(i int) draw.LineStyle {
	return draw.LineStyle{Color: seriesColor(i), Width: vg.Points(1.8), Dashes: seriesDashes[i%len(seriesDashes)]}
}

// glyphStyle is series i's marker: its colour and shape.
func glyphStyle(i int, r vg.Length) draw.GlyphStyle {
	return draw.GlyphStyle{Color: seriesColor(i), Radius: r, Shape: seriesGlyphs[i%len(seriesGlyphs)]}
}

// style is how one series looks.
type style struct {
	line  draw.LineStyle
	glyph draw.GlyphStyle
}

// styleOf is series i's style.
func styleOf(i int) style { return style{lineStyle(i), glyphStyle(i, vg.Points(3))} }

// Text sizes, chosen to read well at 100 dpi, 800 pixels wide.
var (
	// No bold: gonum/plot v0.17's PDF backend registers every font as
	// regular and then fails to find a bold one ("undefined font").
	sans      = font.Font{Typeface: "Liberation", Variant: "Sans"}
	titleSize = vg.Points(16)
	panelSize = vg.Points(12)
	labelSize = vg.Points(12)
	tickSize  = vg.Points(10)
	legendSz  = vg.Points(11)
	noteSize  = vg.Points(12)
)

func textStyle(f font.Font, size vg.Length) text.Style {
	return text.Style{
		Color:   color.Black,
		Font:    font.From(f, size),
		XAlign:  draw.XCenter,
		YAlign:  draw.YCenter,
		Handler: plot.DefaultTextHandler,
	}
}

// newPlot is a plot in the house style: sans-serif text, light grid, and
// the given panel title and axis labels (with their units).
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = font.From(sans, panelSize)
	p.Title.Padding = vg.Points(4)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sans, labelSize)
		a.Tick.Label.Font = font.From(sans, tickSize)
		a.Tick.Length = vg.Points(5)
		a.Padding = vg.Points(3)
	}
	p.X.Tick.Marker = linearTicks{}
	p.Y.Tick.Marker = linearTicks{}
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	return p
}

// newLegend is a free-standing legend in the house style, drawn beside a
// grid of panels.
func newLegend() *plot.Legend {
	l := plot.NewLegend()
	l.TextStyle.Font = font.From(sans, legendSz)
	l.ThumbnailWidth = vg.Points(28)
	l.Padding = vg.Points(3)
	l.Top, l.Left = true, true
	return &l
}

// addGrid puts a light grid behind whatever is added next.
func addGrid(p *plot.Plot) {
	g := plotter.NewGrid()
	g.Vertical.Color = lightGrey
	g.Horizontal.Color = lightGrey
	g.Vertical.Width = vg.Points(0.5)
	g.Horizontal.Width = vg.Points(0.5)
	p.Add(g)
}

// logTicks labels each decade of a log axis in plain numbers (0.001, 1,
// 1000) rather than plot.LogTicks' "1e+03", and adds 2 and 5 when the
// axis spans too few decades to show two labels.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0) || !(hi > lo) || math.IsInf(hi, 0) {
		return nil
	}
	first := math.Floor(math.Log10(lo))
	last := math.Ceil(math.Log10(hi))
	if last-first > 30 { // absurd ranges: label every few decades
		return []plot.Tick{{Value: lo, Label: tickLabel(lo)}, {Value: hi, Label: tickLabel(hi)}}
	}
	// Enough labels to read a value off any axis, few enough not to
	// collide at its crowded end: every mark over less than a decade,
	// then 1-2-3-5, 1-2-5, and decades alone.
	labelled := func(m int) bool { return m == 1 }
	switch span := math.Log10(hi / lo); {
	case span <= 0.7:
		labelled = func(int) bool { return true }
	case span <= 1.5:
		labelled = func(m int) bool { return m == 1 || m == 2 || m == 3 || m == 5 }
	case span <= 2.5:
		labelled = func(m int) bool { return m == 1 || m == 2 || m == 5 }
	}
	var ticks []plot.Tick
	for e := first; e <= last; e++ {
		dec := math.Pow(10, e)
		for m := 1; m < 10; m++ {
			v := dec * float64(m)
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			t := plot.Tick{Value: v}
			if labelled(m) {
				t.Label = tickLabel(v)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// tickLabel writes v briefly: plain decimals for everyday magnitudes and
// a short exponent ("1e7") otherwise.
func tickLabel(v float64) string {
	a := math.Abs(v)
	if a == 0 || (a >= 1e-4 && a < 1e6) {
		return strconv.FormatFloat(v, 'g', 6, 64)
	}
	e := math.Floor(math.Log10(a))
	return strconv.FormatFloat(v/math.Pow(10, e), 'g', 3, 64) + "e" + strconv.Itoa(int(e))
}

// linearTicks are plot.DefaultTicks labelled without trailing zeros
// ("25", not "25.00").
type linearTicks struct{}

func (linearTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = tickLabel(ts[i].Value)
		}
	}
	return ts
}

// unlabelled keeps another ticker's marks but drops their labels: inner
// panels of a grid with shared axes need the marks, not the numbers.
type unlabelled struct{ plot.Ticker }

func (u unlabelled) Ticks(lo, hi float64) []plot.Tick {
	ts := u.Ticker.Ticks(lo, hi)
	out := make([]plot.Tick, len(ts))
	for i, t := range ts {
		out[i] = plot.Tick{Value: t.Value}
	}
	return out
}
