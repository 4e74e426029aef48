package plots

import (
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"

	"github.com/portsim/portsim/sim"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The DNS-OARC porttest rating bands, in bits of source port entropy.
const (
	poorBelow  = 10
	greatAbove = 13.75
	maxBits    = 16 // log2 of 65536 ports
)

// Predictability is chart 8, "predictability", in two panels on one
// scale of bits. Left, the spread of each strategy's ports as the
// DNS-OARC porttest rates it, over its rating bands (POOR below 10 bits,
// GOOD to 13.75, GREAT above): log2 of their standard deviation × √12,
// the bits of an even range that wide (from StrategyResult.PortUsage).
// Right, the entropy of the next port given the previous one, to the same
// destination and to another (EntropySameDst, EntropyCrossDst): what one
// who saw a port faces. The two differ, and the caption says where.
func Predictability(res *sim.Result) *Chart {
	d := description{marks: []mark{bars, bands}, x: axis{label: "strategy"}, y: []axis{{label: "bits"}}}
	return build("predictability", "Predictability: spread of the ports and entropy of the next one", d, DefaultWidth, DefaultHeight, func(c *Chart) *figure {
		rs := results(res)
		spread := d.panel("spread of the ports (porttest)", 0)
		next := d.panel("entropy of the next port", 0)
		fig := &figure{title: c.Title, legend: newLegend(), grid: [][]*panel{{spread, next}}}
		spread.note = "the result has no strategies"
		next.note = spread.note
		if len(rs) == 0 {
			return fig
		}
		spread.Add(ratingBands{})

		wide := barSeries{half: 0.3, fill: bluishGreen}
		same := barSeries{offset: -0.19, half: 0.18, fill: blue}
		cross := barSeries{offset: 0.19, half: 0.18, fill: orange}
		names := make([]string, len(rs))
		var spreadLabels, nextLabels plotter.XYLabels
		minPairs := math.MaxInt
		var contrast []string
		for i, r := range rs {
			names[i] = r.Strategy
			sb, ok := spreadBits(r.PortUsage)
			addBar(spread, &wide, &spreadLabels, i, sb, ok)
			for _, b := range []struct {
				bars  *barSeries
				v     float64
				pairs int
			}{{&same, float64(r.EntropySameDst), r.PairsSameDst}, {&cross, float64(r.EntropyCrossDst), r.PairsCrossDst}} {
				ok := b.pairs > 0 && !math.IsNaN(b.v)
				addBar(next, b.bars, &nextLabels, i, b.v, ok)
				if ok {
					minPairs = min(minPairs, b.pairs)
				}
			}
			if v := float64(r.EntropySameDst); ok && sb > greatAbove && r.PairsSameDst > 0 && v < poorBelow {
				contrast = append(contrast, fmt.Sprintf("%s rates GREAT on spread (%.1f bits), yet its next port to the same destination carries %.1f bits: after one port, about %s guesses find the next", r.Strategy, sb, v, guesses(v)))
			}
		}
		spread.Add(&wide)
		next.Add(&same, &cross)
		for _, l := range []struct {
			pn     *panel
			labels plotter.XYLabels
		}{{spread, spreadLabels}, {next, nextLabels}} {
			if lb, err := plotter.NewLabels(l.labels); err == nil {
				for i := range lb.TextStyle {
					lb.TextStyle[i].Font = font.From(sans, tickSize)
					lb.TextStyle[i].XAlign = draw.XCenter
				}
				lb.Offset = vg.Point{Y: vg.Points(2)}
				l.pn.Add(lb)
			}
		}
		fig.legend.Add("spread of all ports", wide)
		fig.legend.Add("next port, same destination", same)
		fig.legend.Add("next port, another destination", cross)
		for _, pn := range []*panel{spread, next} {
			pn.NominalX(names...)
			pn.X.Min, pn.X.Max = -0.5, float64(len(rs))-0.5
			pn.Y.Min, pn.Y.Max = 0, math.Max(maxBits, pn.Y.Max)
			pn.Y.Tick.Marker = plot.ConstantTicks(bitTicks())
		}

		text := []string{
			"Each bar is one strategy's figure in bits, each bit halving a guesser's chance.",
			"The left panel is the spread of all the run's ports: log2 of their standard deviation × √12, the bits of an evenly used range that wide. That is what DNS-OARC's porttest rates, from about 26 ports of a resolver, against the bands behind the bars (POOR below 10 bits, GOOD up to 13.75, GREAT above); portsim analyze rates a capture the same way.",
			"The right panel is what one who saw a port faces: the entropy of the next port given the previous one, to the same destination (blue) and to another (orange). A spread says nothing about order, so the two can differ widely.",
		}
		if len(contrast) > 0 {
			text = append(text, upper(strings.Join(contrast, "; "))+".")
		}
		if minPairs < math.MaxInt && minPairs < 1<<maxBits {
			text = append(text, fmt.Sprintf("The entropies are estimated from the ports seen and cannot exceed log2 of their number (%.1f bits for the smallest sample, %d pairs), so a short run understates a random strategy; n/a marks a figure with no pairs to estimate it from, such as another destination when there is one.", math.Log2(float64(minPairs)), minPairs))
		}
		c.Caption = d.caption(text...)
		return fig
	})
}

// addBar adds strategy i's bar of v bits to b and its label, or an "n/a"
// label when there is no figure (ok false).
func addBar(pn *panel, b *barSeries, labels *plotter.XYLabels, i int, v float64, ok bool) {
	x := float64(i) + b.offset
	if !ok || !pn.keep(x, v) {
		labels.XYs = append(labels.XYs, plotter.XY{X: x, Y: 0})
		labels.Labels = append(labels.Labels, "n/a")
		return
	}
	v = math.Max(v, 0)
	b.xys = append(b.xys, plotter.XY{X: x, Y: v})
	labels.XYs = append(labels.XYs, plotter.XY{X: x, Y: v})
	labels.Labels = append(labels.Labels, strconv.FormatFloat(v, 'f', 1, 64))
	pn.n++
}

// spreadBits is porttest's measure of a spread of ports, log2(sd·√12), over
// the allocations counted in usage (each slice's ports taken as evenly
// spread over it); false with fewer than two allocations. A spread below
// one port counts as 0 bits.
func spreadBits(usage []sim.Bucket) (float64, bool) {
	n, sum := 0.0, 0.0
	for _, b := range usage {
		if b.Count > 0 && b.Hi >= b.Lo {
			n += float64(b.Count)
			sum += float64(b.Count) * (b.Lo + b.Hi) / 2
		}
	}
	if n < 2 {
		return 0, false
	}
	mean, v := sum/n, 0.0
	for _, b := range usage {
		if b.Count > 0 && b.Hi >= b.Lo {
			m, w := (b.Lo+b.Hi)/2, b.Hi-b.Lo
			v += float64(b.Count) * ((m-mean)*(m-mean) + w*w/12)
		}
	}
	sd := math.Sqrt(v / n)
	if sd*math.Sqrt(12) < 1 {
		return 0, true
	}
	return math.Log2(sd * math.Sqrt(12)), true
}

// guesses is 2^bits in words: "11", "2,900".
func guesses(bits float64) string {
	g := math.Exp2(bits)
	if g < 1000 {
		return strconv.FormatFloat(math.Round(g), 'f', 0, 64)
	}
	return strconv.FormatFloat(math.Round(g/100)*100, 'f', 0, 64)
}

func bitTicks() []plot.Tick {
	var ts []plot.Tick
	for v := 0; v <= maxBits; v += 2 {
		ts = append(ts, plot.Tick{Value: float64(v), Label: strconv.Itoa(v)})
	}
	return ts
}

// barSeries draws one bar per point, centred at X with half-width half in data
// units, so the bars fit their slot at any chart size.
type barSeries struct {
	xys    plotter.XYs
	offset float64 // from the group's centre, in data units
	half   float64
	fill   color.Color
}

func (b *barSeries) Plot(c draw.Canvas, p *plot.Plot) {
	tx, ty := p.Transforms(&c)
	for _, xy := range b.xys {
		pts := []vg.Point{{X: tx(xy.X - b.half), Y: ty(0)}, {X: tx(xy.X + b.half), Y: ty(0)}, {X: tx(xy.X + b.half), Y: ty(xy.Y)}, {X: tx(xy.X - b.half), Y: ty(xy.Y)}}
		c.FillPolygon(b.fill, c.ClipPolygonXY(pts))
		c.StrokeLines(draw.LineStyle{Color: black, Width: vg.Points(0.6)}, c.ClipLinesXY(append(pts, pts[0]))...)
	}
}

func (b *barSeries) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax, ymin, ymax = math.Inf(1), math.Inf(-1), 0, math.Inf(-1)
	for _, xy := range b.xys {
		xmin, xmax = math.Min(xmin, xy.X-b.half), math.Max(xmax, xy.X+b.half)
		ymax = math.Max(ymax, xy.Y)
	}
	return
}

func (b barSeries) Thumbnail(c *draw.Canvas) {
	pts := rectPoints(c.Rectangle)
	c.FillPolygon(b.fill, pts)
	c.StrokeLines(draw.LineStyle{Color: black, Width: vg.Points(0.6)}, pts)
}

// ratingBands is the POOR / GOOD / GREAT backdrop. Each band is also named
// in words beside the plot, so the bands do not depend on colour.
type ratingBands struct{}

var bandsOf = []struct {
	lo, hi float64
	fill   color.Color
	label  string
}{
	{0, poorBelow, tint(vermillion, 0.82), "POOR\n< 10"},
	{poorBelow, greatAbove, tint(yellow, 0.55), "GOOD\n10–13.75"},
	{greatAbove, math.Inf(1), tint(bluishGreen, 0.78), "GREAT\n> 13.75"},
}

var bandLabel = text.Style{Color: color.Gray{0x33}, Font: font.From(sans, tickSize), XAlign: draw.XLeft, YAlign: draw.YCenter, Handler: plot.DefaultTextHandler}

// bandSpan is band b's part of the y range, or false when none shows.
func bandSpan(p *plot.Plot, i int) (lo, hi float64, ok bool) {
	b := bandsOf[i]
	lo, hi = math.Max(b.lo, p.Y.Min), math.Min(b.hi, p.Y.Max)
	return lo, hi, hi > lo
}

func (ratingBands) Plot(c draw.Canvas, p *plot.Plot) {
	_, ty := p.Transforms(&c)
	for i, b := range bandsOf {
		lo, hi, ok := bandSpan(p, i)
		if !ok {
			continue
		}
		c.FillPolygon(b.fill, rectPoints(vg.Rectangle{Min: vg.Point{X: c.Min.X, Y: ty(lo)}, Max: vg.Point{X: c.Max.X, Y: ty(hi)}}))
		c.FillText(bandLabel, vg.Point{X: c.Max.X + bandGap, Y: ty((lo + hi) / 2)}, b.label)
	}
}

const bandGap = vg.Length(4)

// GlyphBoxes makes the plot leave room at its right for the band names.
func (ratingBands) GlyphBoxes(p *plot.Plot) []plot.GlyphBox {
	var boxes []plot.GlyphBox
	for i, b := range bandsOf {
		lo, hi, ok := bandSpan(p, i)
		if !ok {
			continue
		}
		r := bandLabel.Rectangle(b.label)
		h := r.Max.Y - r.Min.Y
		boxes = append(boxes, plot.GlyphBox{
			X: 1, Y: p.Y.Norm((lo + hi) / 2),
			Rectangle: vg.Rectangle{Min: vg.Point{Y: -h / 2}, Max: vg.Point{X: bandGap + r.Max.X - r.Min.X, Y: h / 2}},
		})
	}
	return boxes
}
