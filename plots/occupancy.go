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
// the top, and, where connect() spreads over several destinations, the
// busiest destination's sockets as a line against its ceiling; bottom, the
// open sockets alone on their own scale, since beside thousands in
// TIME_WAIT they would not show. Strategies whose series are identical
// (the same workload and no failure leaves them so) share one column,
// titled with all their names. It reads StrategyResult.Occupancy.
func Occupancy(res *sim.Result) *Chart {
	d := description{marks: []mark{bands, lines}, x: axis{label: "time (s)"},
		y: []axis{{label: "sockets held"}, {label: "open sockets"}}, each: "strategy, or strategies whose series are identical"}
	return build("occupancy", "Occupancy over time", d, DefaultWidth, DefaultHeight, func(c *Chart) *figure {
		rs := results(res)
		fig := &figure{title: c.Title, shareX: true, shareY: true, rowY: true, legend: newLegend()}
		openFill, twFill := tint(blue, 0.55), tint(orange, 0.55)
		failSty := draw.LineStyle{Color: vermillion, Width: vg.Points(1.5)}
		busiestSty := draw.LineStyle{Color: black, Width: vg.Points(1.2)}
		fig.legend.Add("TIME_WAIT", areaThumb{twFill, orange})
		fig.legend.Add("open (established + UDP)", areaThumb{openFill, blue})
		fig.legend.Add("failures in interval", tickThumb{failSty})

		// Where the ceiling is. Bind and UDP sockets own their port on
		// their address, so do connect() sockets with one destination:
		// one range per local address (of every host behind a gateway) is
		// all there is to fill, and the total meets it. With several
		// destinations connect() fills a range per destination, so the
		// busiest one meets its ceiling first, while the total may stand
		// higher: its line is drawn against that.
		usable, dests, addrs, hosts := 0, 1, 1, 1
		for _, r := range rs {
			usable = max(usable, r.Host.UsablePorts)
		}
		if v, ok := field(res, "destinations"); ok {
			dests, _ = strconv.Atoi(v)
		}
		if v, ok := field(res, "src"); ok && strings.TrimSpace(v) != "" {
			addrs = len(strings.Split(v, ","))
		}
		if v, ok := field(res, "hosts"); ok {
			hosts, _ = strconv.Atoi(v)
		}
		perDst := dests > 1 && !noConnect(res)
		oneRange := usable > 0 && !perDst
		limit := usable * max(addrs, 1) // one destination's, on one host
		if oneRange {
			limit *= max(hosts, 1)
		}
		if perDst {
			fig.legend.Add("busiest destination", &plotter.Line{LineStyle: busiestSty})
		}

		var groups []*occupancySeries
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
			cur := &occupancySeries{names: []string{r.Strategy}}
			for i := 0; i < len(ss); i += k {
				s := ss[i]
				failed := false
				for _, t := range ss[i:min(i+k, len(ss))] { // a thinned-out failure still shows
					failed = failed || t.Failures > 0
				}
				if failed {
					cur.fails = append(cur.fails, s.TimeSeconds)
				}
				cur.add(s)
			}
			if last := ss[len(ss)-1]; cur.open[len(cur.open)-1].X != last.TimeSeconds {
				cur.add(last)
			}
			merged := false
			for _, g := range groups {
				if equalXYs(g.top, cur.top) && equalXYs(g.open, cur.open) && equalXYs(g.busiest, cur.busiest) && slices.Equal(g.fails, cur.fails) {
					g.names = append(g.names, r.Strategy)
					merged = true
					break
				}
			}
			if !merged {
				groups = append(groups, cur)
			}
		}

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
			if limit > 0 {
				ref := plotter.XYs{{X: g.top[0].X, Y: float64(limit)}, {X: g.top[len(g.top)-1].X, Y: float64(limit)}}
				if line, err := plotter.NewLine(ref); err == nil {
					line.LineStyle = referenceStyle
					top.Add(line)
					if !limitDone {
						label := "usable ports (%d)"
						if perDst {
							label = "usable ports per destination (%d)"
						}
						fig.legend.Add(fmt.Sprintf(label, limit), line)
						limitDone = true
					}
				}
			}
			if perDst { // over the ceiling, which it runs along when full
				if line, err := plotter.NewLine(g.busiest); err == nil {
					line.LineStyle = busiestSty
					top.Add(line)
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
			text = append(text, fmt.Sprintf("The grey line is the %d usable ports%s: with one range to fill, new connections fail when the top edge meets it.", limit, rangeWords(usable, addrs, hosts)))
		case perDst:
			where := ""
			if hosts > 1 {
				where = ", on the busiest host"
			}
			text = append(text, fmt.Sprintf("Ports run out per destination, not in all: connect() can use each usable port once towards each of the %d destinations, so the black line follows the busiest destination's sockets (connect() only, open and in TIME_WAIT%s).", dests, where))
			if limit > 0 {
				text = append(text, fmt.Sprintf("Connections to it fail when that line meets the grey one, its %d usable ports%s, while the total may stand higher.", limit, rangeWords(usable, addrs, 1)))
			}
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

// occupancySeries is what one column of the chart draws: the open
// sockets, the total held (open and TIME_WAIT), the busiest destination's
// and the times of the intervals with failures.
type occupancySeries struct {
	names              []string
	open, top, busiest plotter.XYs
	fails              []float64
}

// add appends sample s to the series.
func (g *occupancySeries) add(s sim.Sample) {
	o := float64(max(s.Established, 0) + max(s.UDP, 0))
	g.open = append(g.open, plotter.XY{X: s.TimeSeconds, Y: o})
	g.top = append(g.top, plotter.XY{X: s.TimeSeconds, Y: o + float64(max(s.TimeWait, 0))})
	g.busiest = append(g.busiest, plotter.XY{X: s.TimeSeconds, Y: float64(max(s.BusiestDst, 0))})
}

// rangeWords is how a ceiling of usable ports on each of addrs local
// addresses of each of hosts hosts is made up: "" for one of each.
func rangeWords(usable, addrs, hosts int) string {
	var parts []string
	if addrs > 1 {
		parts = append(parts, fmt.Sprintf("%d local addresses", addrs))
	}
	if hosts > 1 {
		parts = append(parts, fmt.Sprintf("%d hosts", hosts))
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d on each of %s)", usable, strings.Join(parts, " of "))
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
	return onlyKinds(res, func(kind string) bool { return kind != "connect" })
}
