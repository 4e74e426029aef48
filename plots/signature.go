package plots

import (
	"fmt"
	"image/color"
	"math"
	"sort"
	"strings"

	"github.com/portsim/portsim/sim"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// MaxScatterPoints bounds the points of one scatter panel. Past it a panel
// shows every k-th allocation, k the smallest that fits: deterministic,
// spread evenly over the run, and fast to draw.
const MaxScatterPoints = 20000

// topDestinations is how many destinations get their own colour in the
// port signature; the rest share grey.
const topDestinations = 6

// A PortSeries is what the port-signature chart draws in one panel: a
// run's allocations in order, each with the port it got, when, and to
// which destination. Samples gives a simulation result's; a probe or a
// capture adapts its own attempts.
//
// A PortSeries that also implements Truncater and reports true holds only
// the first allocations of a longer run, and the caption says so.
type PortSeries interface {
	// Name labels the panel: the strategy, or whose ports these are.
	Name() string
	// Len is the number of allocations.
	Len() int
	// Port is allocation i: its time in seconds from the start of the
	// run, the port it got (0 for a failure, which the chart skips) and
	// its destination's index, which picks its colour.
	Port(i int) (t float64, port uint16, dst int)
}

// Truncater is the optional capability of a PortSeries cut short.
type Truncater interface {
	Truncated() bool
}

// Samples returns each strategy's kept allocations in res
// (StrategyResult.Samples) as a PortSeries, in the order of res.Results;
// none for a nil result.
func Samples(res *sim.Result) []PortSeries {
	rs := results(res)
	out := make([]PortSeries, len(rs))
	for i := range rs {
		out[i] = samples{&rs[i]}
	}
	return out
}

// samples is a strategy's Samples as a PortSeries.
type samples struct{ r *sim.StrategyResult }

func (s samples) Name() string    { return s.r.Strategy }
func (s samples) Len() int        { return len(s.r.Samples) }
func (s samples) Truncated() bool { return s.r.SamplesTruncated }

func (s samples) Port(i int) (float64, uint16, int) {
	a := &s.r.Samples[i]
	return a.TimeSeconds, a.Port, a.Dst
}

// PortSignature is chart 1, "port-signature": source port against time,
// one panel per series on shared axes, a dot per allocation coloured by
// destination. Each strategy leaves its own pattern — sequential a
// sawtooth, random a cloud, hashed and linux a rising streak per
// destination. Failures (port 0) are skipped. A panel of more than
// rasterAbove dots draws them as one image (see dotLayer).
func PortSignature(series []PortSeries) *Chart {
	d := description{marks: []mark{dots}, x: axis{label: "time (s)"}, y: []axis{{label: "source port"}}, each: "strategy"}
	return build("port-signature", "Port signature: source port against time", d, DefaultWidth, gridHeight(len(series)), func(c *Chart) *figure {
		top := busiest(series)
		fig := &figure{title: c.Title, shareX: true, shareY: true, legend: newLegend()}

		var panels []*panel
		var thinned []string
		truncated := false
		for _, s := range series {
			pn := d.panel(s.Name(), 0)
			ok := 0
			for i := range s.Len() {
				if _, port, _ := s.Port(i); port != 0 {
					ok++
				}
			}
			k := stride(ok, MaxScatterPoints)
			if k > 1 {
				thinned = append(thinned, fmt.Sprintf("%s every %s", s.Name(), ordinal(k)))
			}
			if tr, ok := s.(Truncater); ok && tr.Truncated() {
				truncated = true
			}

			groups := make([]plotter.XYs, topDestinations+1) // the last is "other"
			n := 0
			for i := range s.Len() {
				t, port, dst := s.Port(i)
				if port == 0 {
					continue
				}
				n++
				if (n-1)%k != 0 {
					continue
				}
				if !pn.keep(t, float64(port)) {
					continue
				}
				g := topDestinations
				if j, ok := top[dst]; ok {
					g = j
				}
				groups[g] = append(groups[g], plotter.XY{X: t, Y: float64(port)})
			}
			// Grey first, so the coloured destinations sit on top.
			layer := &dotLayer{}
			for _, g := range append([]int{topDestinations}, seq(topDestinations)...) {
				if len(groups[g]) == 0 {
					continue
				}
				layer.groups = append(layer.groups, groups[g])
				layer.styles = append(layer.styles, dstGlyph(g, vg.Points(1.4)))
				pn.n += len(groups[g])
			}
			layer.raster = pn.n > rasterAbove
			if pn.n > 0 {
				pn.Add(layer)
			}
			pn.note = "no successful allocation kept"
			panels = append(panels, pn)
		}

		// One legend entry per destination class that appears anywhere, in
		// a fixed order so colours mean the same in every panel.
		dsts := make([]int, 0, len(top))
		for d := range top {
			dsts = append(dsts, d)
		}
		sort.Slice(dsts, func(a, b int) bool { return top[dsts[a]] < top[dsts[b]] })
		for _, d := range dsts {
			fig.legend.Add(fmt.Sprintf("destination %d", d), glyphThumb{dstGlyph(top[d], vg.Points(3.5))})
		}
		if others(series, top) {
			fig.legend.Add("other destinations", glyphThumb{dstGlyph(topDestinations, vg.Points(3.5))})
		}
		fig.grid = gridOf(panels, columns(len(panels)))

		text := []string{
			fmt.Sprintf("Each dot is one allocation, coloured and shaped by its destination (the %d busiest; grey for the rest); a failure has no port and no dot.", topDestinations),
			"A sequential cursor draws a sawtooth, climbing to the top of the range and starting again at the bottom (macOS); random choice an even cloud; a hashed scheme with a counter per destination (hashed, double-hash, linux) one rising streak of dots per destination, and linux's streaks jump elsewhere each time its hash is re-keyed, every 10 s.",
			"The plainer the pattern, the easier the next port is to guess.",
		}
		if truncated {
			text = append(text, "Only the first attempts of each run were kept, so the panels cover the start of the run.")
		}
		if len(thinned) > 0 {
			text = append(text, fmt.Sprintf("To stay readable and fast, panels with more than %d dots show every k-th allocation in order (%s).", MaxScatterPoints, strings.Join(thinned, ", ")))
		}
		c.Caption = d.caption(text...)
		return fig
	})
}

// rasterAbove is the most dots a panel draws as a shape each. Past it the
// dots are drawn into one image: in SVG (the report) tens of thousands of
// shapes make megabytes that a browser takes seconds to draw, while an
// image of them is a few tens of kilobytes and looks the same.
const rasterAbove = 2000

// rasterDPI is the resolution of such an image: half again the PNG
// output's, sharp enough on a high-density screen while the demo's report
// stays quick to draw (TestDemoReportInChromium).
const rasterDPI = 1.5 * DPI

// dotLayer draws groups of dots, each in its glyph style, in order, so a
// later group lies on top. With raster set it draws them into an image of
// the data area first and puts that on the canvas whatever its format.
type dotLayer struct {
	groups []plotter.XYs
	styles []draw.GlyphStyle
	raster bool
}

func (l *dotLayer) Plot(c draw.Canvas, p *plot.Plot) {
	tx, ty := p.Transforms(&c)
	dc, origin := c, vg.Point{}
	var img *vgimg.Canvas
	if l.raster {
		w, h := c.Max.X-c.Min.X, c.Max.Y-c.Min.Y
		if !(w > 0 && h > 0) {
			return
		}
		img = vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(rasterDPI), vgimg.UseBackgroundColor(color.Transparent))
		dc, origin = draw.New(img), c.Min
	}
	for i, g := range l.groups {
		for _, xy := range g {
			dc.DrawGlyph(l.styles[i], vg.Point{X: tx(xy.X) - origin.X, Y: ty(xy.Y) - origin.Y})
		}
	}
	if img != nil {
		c.DrawImage(c.Rectangle, img.Image())
	}
}

func (l *dotLayer) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax, ymin, ymax = math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, g := range l.groups {
		for _, xy := range g {
			xmin, xmax = math.Min(xmin, xy.X), math.Max(xmax, xy.X)
			ymin, ymax = math.Min(ymin, xy.Y), math.Max(ymax, xy.Y)
		}
	}
	return
}

// busiest picks the destinations with the most successful allocations
// over all series (ties to the lower index) and numbers them in index
// order: that number is their colour, the same in every panel.
func busiest(series []PortSeries) map[int]int {
	count := map[int]int{}
	for _, s := range series {
		for i := range s.Len() {
			if _, port, dst := s.Port(i); port != 0 {
				count[dst]++
			}
		}
	}
	dsts := make([]int, 0, len(count))
	for d := range count {
		dsts = append(dsts, d)
	}
	sort.Slice(dsts, func(i, j int) bool {
		if count[dsts[i]] != count[dsts[j]] {
			return count[dsts[i]] > count[dsts[j]]
		}
		return dsts[i] < dsts[j]
	})
	dsts = dsts[:min(len(dsts), topDestinations)]
	sort.Ints(dsts)
	top := map[int]int{}
	for i, d := range dsts {
		top[d] = i
	}
	return top
}

func others(series []PortSeries, top map[int]int) bool {
	for _, s := range series {
		for i := range s.Len() {
			if _, port, dst := s.Port(i); port != 0 {
				if _, ok := top[dst]; !ok {
					return true
				}
			}
		}
	}
	return false
}

// dstGlyph is destination class g's marker; class topDestinations is grey.
func dstGlyph(g int, r vg.Length) draw.GlyphStyle {
	if g >= topDestinations {
		return draw.GlyphStyle{Color: grey, Radius: r, Shape: draw.CircleGlyph{}}
	}
	return glyphStyle(g, r)
}

// glyphThumb is a legend thumbnail of a marker alone, so that the legend
// can show a class no panel happens to draw and at a legible size.
type glyphThumb struct{ draw.GlyphStyle }

func (g glyphThumb) Thumbnail(c *draw.Canvas) { c.DrawGlyph(g.GlyphStyle, c.Center()) }

// stride is the smallest k such that every k-th of n items is at most
// limit items.
func stride(n, limit int) int {
	if n <= limit || limit <= 0 {
		return 1
	}
	return (n + limit - 1) / limit
}

func ordinal(k int) string {
	switch {
	case k%100 >= 11 && k%100 <= 13:
		return fmt.Sprintf("%dth", k)
	case k%10 == 1:
		return fmt.Sprintf("%dst", k)
	case k%10 == 2:
		return fmt.Sprintf("%dnd", k)
	case k%10 == 3:
		return fmt.Sprintf("%drd", k)
	}
	return fmt.Sprintf("%dth", k)
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// results is res's strategies, or none for a nil result.
func results(res *sim.Result) []sim.StrategyResult {
	if res == nil {
		return nil
	}
	return res.Results
}
