package plots

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// This file is the guard every chart goes through. gonum/plot panics on a
// log axis that reaches zero, on ticks over an empty or inverted range,
// and on NaN in most plotters; simulation results can hold all of these
// (no reuse at all, one sample, a strategy that never collided). So:
//
//   - charts add points only through panel.keep, which drops non-finite
//     values and non-positive ones on a log axis;
//   - a panel that ends up with no points is replaced by a "no data" note;
//   - settle repairs every axis range (infinite, empty, inverted or
//     non-positive on a log scale) before anything is measured or drawn;
//   - a layout that leaves some panel no room (too many panels for the
//     size) draws a note instead of dividing by zero;
//   - Chart.Draw recovers from any panic that still slips through and
//     draws a note instead, and replays the drawing through safeCanvas,
//     which keeps non-finite coordinates away from the rasterizer.

// panel is one plot in a figure's grid. n counts the data points added to
// it — reference lines and backdrops do not count — so that a panel with
// none shows a note instead of empty axes.
type panel struct {
	*plot.Plot
	n          int
	logX, logY bool
	note       string         // why there is no data, shown when n == 0
	drawn      []plot.Plotter // what Add added, which TestCaptions reads
}

// Add adds ps to the plot and remembers them.
func (pn *panel) Add(ps ...plot.Plotter) {
	pn.drawn = append(pn.drawn, ps...)
	pn.Plot.Add(ps...)
}

func newPanel(title, xLabel, yLabel string, logX, logY bool) *panel {
	return &panel{Plot: newPlot(title, xLabel, yLabel), logX: logX, logY: logY}
}

// keep reports whether the panel can place (x, y).
func (pn *panel) keep(x, y float64) bool {
	if math.IsNaN(x) || math.IsInf(x, 0) || math.IsNaN(y) || math.IsInf(y, 0) {
		return false
	}
	return !(pn.logX && x <= 0) && !(pn.logY && y <= 0)
}

// filter drops, in place, the points the panel cannot place.
func (pn *panel) filter(xys plotter.XYs) plotter.XYs {
	out := xys[:0]
	for _, p := range xys {
		if pn.keep(p.X, p.Y) {
			out = append(out, p)
		}
	}
	return out
}

// series adds xys as a line (with markers, if asked) in style sty, naming
// it in legend when legend is not nil. It counts the points and adds
// nothing when none can be placed.
func (pn *panel) series(xys plotter.XYs, sty style, name string, legend *plot.Legend, markers bool) {
	xys = pn.filter(xys)
	if len(xys) == 0 {
		return
	}
	l, err := plotter.NewLine(xys)
	if err != nil {
		return // filter guarantees finite points; nothing else fails
	}
	l.LineStyle = sty.line
	pn.Add(l)
	thumbs := []plot.Thumbnailer{l}
	if markers || len(xys) == 1 { // a lone point has no line to show
		s, err := plotter.NewScatter(xys)
		if err == nil {
			s.GlyphStyle = sty.glyph
			pn.Add(s)
			thumbs = append(thumbs, s)
		}
	}
	pn.n += len(xys)
	if legend != nil && name != "" {
		legend.Add(name, thumbs...)
	}
}

// single is a figure of one panel under the chart's title, with a legend
// beside it (legends inside a panel always end up over some run's data).
func single(c *Chart, pn *panel, legend *plot.Legend) *figure {
	return &figure{title: c.Title, grid: [][]*panel{{pn}}, legend: legend}
}

// figure is what every chart builds: a grid of panels under a title, with
// an optional shared legend to their right. Drawing it applies the guards.
type figure struct {
	title          string
	grid           [][]*panel // row-major; nil cells stay blank
	legend         *plot.Legend
	shareX, shareY bool // one range for every panel with data
	rowY           bool // with shareY: one y range per row, not one for all
}

// gridOf lays panels out in rows of cols.
func gridOf(panels []*panel, cols int) [][]*panel {
	cols = max(cols, 1)
	var grid [][]*panel
	for i := 0; i < len(panels); i += cols {
		row := make([]*panel, cols)
		copy(row, panels[i:min(i+cols, len(panels))])
		grid = append(grid, row)
	}
	return grid
}

// columns is how many columns small multiples of n panels take: 1, 2, 2,
// 2, 3, 3, 3, … — square-ish, never wider than three.
func columns(n int) int {
	switch {
	case n <= 1:
		return 1
	case n <= 4:
		return 2
	default:
		return 3
	}
}

func (f *figure) draw(dc draw.Canvas) {
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())

	body := drawTitle(dc, f.title)

	grid := f.grid
	if len(grid) == 0 {
		grid = [][]*panel{{{Plot: newPlot("", "", "")}}}
	}
	f.share(grid)
	plots := make([][]*plot.Plot, len(grid))
	for j, row := range grid {
		plots[j] = make([]*plot.Plot, len(row))
		for i, pn := range row {
			switch {
			case pn == nil:
			case pn.n == 0:
				note := "no data"
				if pn.note != "" {
					note += "\n" + pn.note // two short lines fit a narrow panel
				}
				plots[j][i] = notePlot(pn.Title.Text, note)
			default:
				settle(&pn.X, pn.logX)
				settle(&pn.Y, pn.logY)
				plots[j][i] = pn.Plot
			}
		}
	}
	f.unlabelInner(grid, plots)

	if f.legend != nil && anyData(grid) {
		body = f.drawLegend(body)
	}

	rows, cols := len(plots), len(plots[0])
	tiles := draw.Tiles{
		Rows: rows, Cols: cols,
		PadX: vg.Points(14), PadY: vg.Points(10),
		PadTop: vg.Points(4), PadBottom: vg.Points(6),
		PadLeft: vg.Points(6), PadRight: vg.Points(10),
	}
	canvases := plot.Align(plots, tiles, body)
	if !roomy(plots, canvases) {
		// gonum's layout divides by zero when axes and titles leave a
		// panel no room, and the drawing would be illegible anyway.
		drawNote(body, "", fmt.Sprintf("not enough room for %d panels at this size; draw the chart larger", countPanels(plots)))
		return
	}
	for j, row := range plots {
		for i, p := range row {
			if p != nil {
				drawCentred(p, canvases[j][i])
			}
		}
	}
}

// drawCentred draws p on c with its title centred over its data area
// rather than over the whole panel, so that the titles of a row line up
// over their plots whether or not a panel shows its y axis's label.
func drawCentred(p *plot.Plot, c draw.Canvas) {
	title, sty := p.Title.Text, p.Title.TextStyle
	if title == "" {
		p.Draw(c)
		return
	}
	p.Title.TextStyle.Color = color.Transparent // keeps its room; drawn below
	p.Draw(c)
	p.Title.TextStyle = sty
	dc := p.DataCanvas(c)
	x := dc.Center().X
	c.FillText(sty, vg.Point{X: x, Y: c.Max.Y + sty.FontExtents().Descent}, title)
}

func anyData(grid [][]*panel) bool {
	for _, row := range grid {
		for _, pn := range row {
			if pn != nil && pn.n > 0 {
				return true
			}
		}
	}
	return false
}

// minData is the smallest data area, each way, worth drawing a panel in.
const minData = vg.Length(20)

// roomy reports whether every panel got a sane place and data area.
func roomy(plots [][]*plot.Plot, canvases [][]draw.Canvas) bool {
	ok := func(r vg.Rectangle, least vg.Length) bool {
		return finite(r.Min.X) && finite(r.Min.Y) && finite(r.Max.X) && finite(r.Max.Y) &&
			r.Max.X-r.Min.X >= least && r.Max.Y-r.Min.Y >= least
	}
	for j, row := range plots {
		for i, p := range row {
			if p == nil {
				continue
			}
			if !ok(canvases[j][i].Rectangle, minData) || !ok(p.DataCanvas(canvases[j][i]).Rectangle, minData) {
				return false
			}
		}
	}
	return true
}

func countPanels(plots [][]*plot.Plot) int {
	n := 0
	for _, row := range plots {
		for _, p := range row {
			if p != nil {
				n++
			}
		}
	}
	return n
}

// gridHeight is the default height of a chart of n small multiples: room
// for each row of panels to stay legible at 800 pixels wide.
func gridHeight(n int) vg.Length {
	rows := (max(n, 1) + columns(n) - 1) / columns(n)
	return max(DefaultHeight, vg.Inch+vg.Length(rows)*2.5*vg.Inch)
}

// share gives every panel with data the union of their ranges, so small
// multiples compare at a glance.
func (f *figure) share(grid [][]*panel) {
	if !f.shareX && !f.shareY {
		return
	}
	x0, x1, y0, y1 := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, row := range grid {
		for _, pn := range row {
			if pn == nil || pn.n == 0 {
				continue
			}
			x0, x1 = math.Min(x0, pn.X.Min), math.Max(x1, pn.X.Max)
			y0, y1 = math.Min(y0, pn.Y.Min), math.Max(y1, pn.Y.Max)
		}
	}
	for _, row := range grid {
		r0, r1 := y0, y1
		if f.rowY {
			r0, r1 = math.Inf(1), math.Inf(-1)
			for _, pn := range row {
				if pn != nil && pn.n > 0 {
					r0, r1 = math.Min(r0, pn.Y.Min), math.Max(r1, pn.Y.Max)
				}
			}
		}
		for _, pn := range row {
			if pn == nil || pn.n == 0 {
				continue
			}
			if f.shareX {
				pn.X.Min, pn.X.Max = x0, x1
			}
			if f.shareY {
				pn.Y.Min, pn.Y.Max = r0, r1
			}
		}
	}
}

// unlabelInner drops the axis labels and tick numbers of a shared axis
// where the panel below (or to the left) already shows them.
func (f *figure) unlabelInner(grid [][]*panel, plots [][]*plot.Plot) {
	hasData := func(j, i int) bool {
		return j < len(grid) && i >= 0 && grid[j][i] != nil && grid[j][i].n > 0
	}
	for j, row := range grid {
		for i := range row {
			if !hasData(j, i) {
				continue
			}
			p := plots[j][i]
			if f.shareX && hasData(j+1, i) {
				p.X.Label.Text = ""
				p.X.Tick.Marker = unlabelled{p.X.Tick.Marker}
			}
			if f.shareY && hasData(j, i-1) {
				p.Y.Label.Text = ""
				p.Y.Tick.Marker = unlabelled{p.Y.Tick.Marker}
			}
		}
	}
}

// drawLegend draws the shared legend at the right of c and returns what
// is left for the panels.
func (f *figure) drawLegend(c draw.Canvas) draw.Canvas {
	r := f.legend.Rectangle(c)
	w := r.Max.X - r.Min.X
	if w <= 0 {
		return c
	}
	pad := vg.Points(8)
	w = min(w, (c.Max.X-c.Min.X)/2) // a very long name must not crowd out the panels
	lc := c
	lc.Min.X = c.Max.X - w - pad
	lc.Max.Y -= vg.Points(26) // level with the top of the first panel's axes
	f.legend.Draw(lc)
	c.Max.X = lc.Min.X
	return c
}

// settle makes an axis range drawable: finite, not empty, and positive on
// a log scale. It also installs the log scale and its ticks.
func settle(a *plot.Axis, log bool) {
	lo, hi := a.Min, a.Max
	if math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) || lo > hi {
		lo, hi = 0, 1
		if log {
			lo, hi = 1, 10
		}
	}
	if log {
		if hi <= 0 {
			lo, hi = 1, 10
		} else if lo <= 0 {
			lo = hi / 1000
		}
		if lo == hi {
			lo, hi = lo/math.Sqrt(10), hi*math.Sqrt(10)
		}
		a.Scale = plot.LogScale{}
		if _, ok := a.Tick.Marker.(linearTicks); ok {
			a.Tick.Marker = logTicks{}
		}
	} else if lo == hi {
		d := math.Abs(lo) / 10
		if d == 0 {
			d = 1
		}
		lo, hi = lo-d, hi+d
	}
	a.Min, a.Max = lo, hi
}

// notePlot is a panel with nothing to plot: its title and a note in a
// light frame where the data would be.
func notePlot(title, msg string) *plot.Plot {
	p := newPlot(title, "", "")
	p.HideAxes()
	p.Add(note{msg})
	return p
}

type note struct{ msg string }

func (n note) Plot(c draw.Canvas, _ *plot.Plot) {
	c.StrokeLines(draw.LineStyle{Color: lightGrey, Width: vg.Points(1)}, rectPoints(c.Rectangle))
	sty := textStyle(sans, tickSize) // panels can be narrow
	sty.Color = color.Gray{0x55}
	c.FillText(sty, c.Center(), n.msg)
}

func rectPoints(r vg.Rectangle) []vg.Point {
	return []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}, r.Min}
}

// drawTitle draws a chart title across the top of c and returns the rest.
func drawTitle(c draw.Canvas, title string) draw.Canvas {
	if title == "" {
		return c
	}
	sty := textStyle(sans, titleSize)
	sty.YAlign = draw.YTop
	top := vg.Points(6)
	c.FillText(sty, vg.Point{X: c.Center().X, Y: c.Max.Y - top}, title)
	c.Max.Y -= top + sty.Rectangle(title).Size().Y + vg.Points(4)
	return c
}

// drawNote fills c with a titled note: what a chart that could not be
// drawn shows instead.
func drawNote(c draw.Canvas, title, msg string) {
	c.SetColor(color.White)
	c.Fill(c.Rectangle.Path())
	body := drawTitle(c, title)
	if r := []rune(msg); len(r) > 110 { // one line at 800 px
		msg = string(r[:109]) + "…"
	}
	sty := textStyle(sans, noteSize)
	sty.Color = color.Gray{0x55}
	body.FillText(sty, body.Center(), msg)
}
