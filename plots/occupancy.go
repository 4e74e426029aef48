package plots

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/portsim/portsim/sim"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// MaxAreaPoints bounds the vertices of one stacked area: past it the
// occupancy chart draws every k-th sample.
const MaxAreaPoints = 1500

// Occupancy is chart 6, "occupancy": sockets held over time, in two rows
// of panels on shared time axes. Top, open sockets and those in TIME_WAIT,
// stacked, with the sampling intervals that saw a failure marked along
// the top; bottom, the open sockets alone on their own scale, since beside
// thousands in TIME_WAIT they would not show. Strategies whose series are
// identical (the same workload and no failure leaves them so) share one
// column, titled with all their names. It reads StrategyResult.Occupancy.
func Occupancy(res *sim.Result) *Chart {
	d := description{marks: []mark{bands, lines}, x: axis{label: "time (s)"},
		y: []axis{{label: "sockets held"}, {label: "open sockets"}}, each: "strategy, or strategies whose series are identical"}
	return build("occupancy", "Occupancy over time", d, DefaultWidth, DefaultHeight, func(c *Chart) *figure {
		rs := results(res)
		fig := &figure{title: c.Title, shareX: true, shareY: true, rowY: true, legend: newLegend()}
		openFill, twFill := tint(blue, 0.55), tint(orange, 0.55)
		failSty := draw.LineStyle{Color: vermillion, Width: vg.Points(1.5)}
		fig.legend.Add("TIME_WAIT", areaThumb{twFill, orange})
		fig.legend.Add("open (established + UDP)", areaThumb{openFill, blue})
		fig.legend.Add("failures in interval", tickThumb{failSty})

		type series struct {
			names     []string
			open, top plotter.XYs
			fails     []float64
		}
		var groups []*series
		var thinned, empty []string
		for _, r := range rs {
			probe := d.panel("", 0)
			var ss []sim.Sample
			for _, s := range r.Occupancy {
				if probe.keep(s.TimeSeconds, 0) {
					ss = append(ss, s)
				}
			}
			if len(ss) < 2 {
				empty = append(empty, r.Strategy)
				continue
			}
			k := stride(len(ss), MaxAreaPoints)
			if k > 1 {
				thinned = append(thinned, fmt.Sprintf("%s every %s", r.Strategy, ordinal(k)))
			}
			cur := &series{names: []string{r.Strategy}}
			for i := 0; i < len(ss); i += k {
				s := ss[i]
				failed := false
				for _, t := range ss[i:min(i+k, len(ss))] { // a thinned-out failure still shows
					failed = failed || t.Failures > 0
				}
				if failed {
					cur.fails = append(cur.fails, s.TimeSeconds)
				}
				o := float64(max(s.Established, 0) + max(s.UDP, 0))
				cur.open = append(cur.open, plotter.XY{X: s.TimeSeconds, Y: o})
				cur.top = append(cur.top, plotter.XY{X: s.TimeSeconds, Y: o + float64(max(s.TimeWait, 0))})
			}
			if last := ss[len(ss)-1]; cur.open[len(cur.open)-1].X != last.TimeSeconds {
				o := float64(max(last.Established, 0) + max(last.UDP, 0))
				cur.open = append(cur.open, plotter.XY{X: last.TimeSeconds, Y: o})
				cur.top = append(cur.top, plotter.XY{X: last.TimeSeconds, Y: o + float64(max(last.TimeWait, 0))})
			}
			merged := false
			for _, g := range groups {
				if equalXYs(g.top, cur.top) && equalXYs(g.open, cur.open) && slices.Equal(g.fails, cur.fails) {
					g.names = append(g.names, r.Strategy)
					merged = true
					break
				}
			}
			if !merged {
				groups = append(groups, cur)
			}
		}

		// The ceiling on sockets held: the usable ports, when one range is
		// all there is to fill — one destination, or only bind and UDP,
		// which cannot share a port between destinations. With several
		// destinations connect() fills a range per destination, so the
		// total has no line; the caption says so.
		usable, dests := 0, 0
		for _, r := range rs {
			usable = max(usable, r.Host.UsablePorts)
		}
		if v, ok := field(res, "destinations"); ok {
			dests, _ = strconv.Atoi(v)
		}
		oneRange := usable > 0 && (dests == 1 || noConnect(res))
		limitDone := false

		var held, open []*panel
		for _, g := range groups {
			title := strings.Join(g.names, ", ")
			if len(g.names) > 1 {
				title += " (identical)"
			}
			top, bottom := d.panel(title, 0), d.panel("", 1)
			for _, pn := range []*panel{top, bottom} {
				addGrid(pn.Plot)
				pn.n += len(g.open)
				pn.Y.Min = 0
			}
			addBand(top, g.top, g.open, twFill, orange)
			addBand(top, g.open, nil, openFill, blue)
			if len(g.fails) > 0 {
				top.Add(&topTicks{xs: g.fails, LineStyle: failSty})
			}
			if oneRange {
				ref := plotter.XYs{{X: g.top[0].X, Y: float64(usable)}, {X: g.top[len(g.top)-1].X, Y: float64(usable)}}
				if line, err := plotter.NewLine(ref); err == nil {
					line.LineStyle = referenceStyle
					top.Add(line)
					if !limitDone {
						fig.legend.Add(fmt.Sprintf("usable ports (%d)", usable), line)
						limitDone = true
					}
				}
			}
			top.Y.Max = math.Max(top.Y.Max*1.08, 1) // headroom for the failure ticks
			addBand(bottom, g.open, nil, openFill, blue)
			bottom.Y.Max = math.Max(bottom.Y.Max*1.1, 1)
			held, open = append(held, top), append(open, bottom)
		}
		for _, name := range empty {
			pn := d.panel(name, 0)
			pn.note = "fewer than two samples"
			held, open = append(held, pn), append(open, nil)
		}
		if len(held) == 0 {
			pn := d.panel("", 0)
			pn.note = "the result has no strategies"
			held = append(held, pn)
		}
		fig.grid = [][]*panel{held}
		if len(groups) > 0 {
			fig.grid = append(fig.grid, open)
		}

		text := []string{
			"In the top row the bands are the sockets the client holds over the run: open connections (blue, bottom) with those waiting out TIME_WAIT stacked on top (orange); the top edge is the total that keeps ports from being reused towards the same destination.",
			"After a ramp as long as TIME_WAIT the total levels off at about rate × (lifetime + TIME_WAIT), by Little's law.",
			"The bottom row is the open band alone on its own scale: beside thousands of sockets in TIME_WAIT it would be a hairline.",
			"Short red lines along the top flag sampling intervals in which some connection found no free port.",
		}
		switch {
		case oneRange:
			text = append(text, fmt.Sprintf("The grey line is the range's %d usable ports: with one range to fill, new connections fail when the top edge meets it.", usable))
		case usable > 0 && dests > 1:
			text = append(text, fmt.Sprintf("Ports run out per destination, not in all: connect() can use each of the %d usable ports once towards each of the %d destinations, so the busiest destination fails first, at %d of its own sockets, while the total may stand higher.", usable, dests, usable))
		}
		if len(groups) < len(rs)-len(empty) {
			text = append(text, "Strategies with identical series share a column: on the same workload, sockets are held for as long whatever port each connection gets, until ports run out.")
		}
		if len(thinned) > 0 {
			text = append(text, fmt.Sprintf("Long series are thinned to at most %d points by keeping every k-th sample (%s); failure marks still cover every interval.", MaxAreaPoints, strings.Join(thinned, ", ")))
		}
		c.Caption = d.caption(text...)
		return fig
	})
}

// addBand fills the area between upper and lower (the x axis when lower is
// nil; otherwise lower has upper's x values) and strokes its top edge.
func addBand(pn *panel, upper, lower plotter.XYs, fill, edge color.Color) {
	ring := make(plotter.XYs, 0, 2*len(upper)+2)
	ring = append(ring, upper...)
	if lower == nil {
		ring = append(ring, plotter.XY{X: upper[len(upper)-1].X, Y: 0}, plotter.XY{X: upper[0].X, Y: 0})
	} else {
		for i := len(lower) - 1; i >= 0; i-- {
			ring = append(ring, lower[i])
		}
	}
	poly, err := plotter.NewPolygon(ring)
	if err != nil {
		return
	}
	poly.Color = fill
	poly.LineStyle.Width = 0
	pn.Add(poly)
	if l, err := plotter.NewLine(upper); err == nil {
		l.LineStyle = draw.LineStyle{Color: edge, Width: vg.Points(0.8)}
		pn.Add(l)
	}
}

// tint mixes c with white: f = 0 is c, 1 is white.
func tint(c color.NRGBA, f float64) color.NRGBA {
	mix := func(v uint8) uint8 { return uint8(float64(v) + (255-float64(v))*f + 0.5) }
	return color.NRGBA{mix(c.R), mix(c.G), mix(c.B), 0xff}
}

// topTicks marks x values with short vertical ticks along the top edge of
// the data area, whatever the y range.
type topTicks struct {
	xs []float64
	draw.LineStyle
}

func (t *topTicks) Plot(c draw.Canvas, p *plot.Plot) {
	tx, _ := p.Transforms(&c)
	h := vg.Points(7)
	for _, x := range t.xs {
		px := tx(x)
		if px < c.Min.X || px > c.Max.X {
			continue
		}
		c.StrokeLine2(t.LineStyle, px, c.Max.Y-h, px, c.Max.Y)
	}
}

type tickThumb struct{ draw.LineStyle }

func (t tickThumb) Thumbnail(c *draw.Canvas) {
	x := (c.Min.X + c.Max.X) / 2
	c.StrokeLine2(t.LineStyle, x, c.Min.Y, x, c.Max.Y)
}

type areaThumb struct{ fill, edge color.Color }

func (a areaThumb) Thumbnail(c *draw.Canvas) {
	pts := rectPoints(c.Rectangle)
	c.FillPolygon(a.fill, pts)
	c.StrokeLines(draw.LineStyle{Color: a.edge, Width: vg.Points(0.8)}, pts)
}

// noConnect reports whether the run made no connect() requests: bind and
// UDP ports cannot be shared between destinations.
func noConnect(res *sim.Result) bool {
	v, ok := field(res, "kind")
	if !ok {
		return false
	}
	for _, item := range strings.Split(v, ",") {
		name, w, _ := strings.Cut(strings.TrimSpace(item), "=")
		if name == "connect" && w != "0" {
			return false
		}
	}
	return true
}
