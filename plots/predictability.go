package plots

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

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

// Predictability is chart 8, "predictability": the entropy of the next
// port given the previous one — to the same destination and to another —
// per strategy as grouped bars, over the DNS-OARC porttest rating bands
// (POOR below 10 bits, GOOD to 13.75, GREAT above). It reads
// StrategyResult.EntropySameDst and EntropyCrossDst.
func Predictability(res *sim.Result) *Chart {
	return build("predictability", "Predictability: entropy of the next port", DefaultWidth, DefaultHeight, func(c *Chart) *figure {
		rs := results(res)
		pn := newPanel("", "strategy", "entropy of the next port (bits)", false, false)
		fig := &figure{title: c.Title, legend: newLegend(), grid: [][]*panel{{pn}}}
		pn.note = "the result has no strategies"
		if len(rs) == 0 {
			return fig
		}
		pn.Add(ratingBands{})

		same := bars{offset: -0.19, half: 0.18, fill: blue}
		cross := bars{offset: 0.19, half: 0.18, fill: orange}
		names := make([]string, len(rs))
		var labels plotter.XYLabels
		minPairs := math.MaxInt
		for i, r := range rs {
			names[i] = r.Strategy
			for _, b := range []struct {
				bars  *bars
				v     float64
				pairs int
			}{{&same, r.EntropySameDst, r.PairsSameDst}, {&cross, r.EntropyCrossDst, r.PairsCrossDst}} {
				x := float64(i) + b.bars.offset
				if !pn.keep(x, b.v) || b.pairs <= 0 {
					labels.XYs = append(labels.XYs, plotter.XY{X: x, Y: 0})
					labels.Labels = append(labels.Labels, "n/a")
					continue
				}
				v := math.Max(b.v, 0)
				b.bars.xys = append(b.bars.xys, plotter.XY{X: x, Y: v})
				labels.XYs = append(labels.XYs, plotter.XY{X: x, Y: v})
				labels.Labels = append(labels.Labels, strconv.FormatFloat(v, 'f', 1, 64))
				minPairs = min(minPairs, b.pairs)
				pn.n++
			}
		}
		pn.Add(&same, &cross)
		if l, err := plotter.NewLabels(labels); err == nil {
			for i := range l.TextStyle {
				l.TextStyle[i].Font = font.From(sans, tickSize)
				l.TextStyle[i].XAlign = draw.XCenter
			}
			l.Offset = vg.Point{Y: vg.Points(2)}
			pn.Add(l)
		}
		fig.legend.Add("same destination", same)
		fig.legend.Add("another destination", cross)
		pn.NominalX(names...)
		pn.X.Min, pn.X.Max = -0.5, float64(len(rs))-0.5
		pn.Y.Min, pn.Y.Max = 0, math.Max(maxBits, pn.Y.Max)
		pn.Y.Tick.Marker = plot.ConstantTicks(bitTicks())

		c.Caption = "For each strategy, the bars say how hard the next source port is to guess after seeing the previous one to the same destination (blue) or to another destination (orange), in bits: every extra bit halves an attacker's chance. " +
			"The background bands are the DNS-OARC porttest ratings: POOR below 10 bits, GOOD up to 13.75, GREAT above."
		if minPairs < math.MaxInt && minPairs < 1<<maxBits {
			c.Caption += fmt.Sprintf(" The bits are estimated from the ports seen and cannot exceed log2 of their number (%.1f bits for the smallest sample, %d pairs), so a short run understates a random strategy.", math.Log2(float64(minPairs)), minPairs)
		}
		return fig
	})
}

func bitTicks() []plot.Tick {
	var ts []plot.Tick
	for v := 0; v <= maxBits; v += 2 {
		ts = append(ts, plot.Tick{Value: float64(v), Label: strconv.Itoa(v)})
	}
	return ts
}

// bars draws one bar per point, centred at X with half-width half in data
// units, so the bars fit their slot at any chart size.
type bars struct {
	xys    plotter.XYs
	offset float64 // from the group's centre, in data units
	half   float64
	fill   color.Color
}

func (b *bars) Plot(c draw.Canvas, p *plot.Plot) {
	tx, ty := p.Transforms(&c)
	for _, xy := range b.xys {
		pts := []vg.Point{{X: tx(xy.X - b.half), Y: ty(0)}, {X: tx(xy.X + b.half), Y: ty(0)}, {X: tx(xy.X + b.half), Y: ty(xy.Y)}, {X: tx(xy.X - b.half), Y: ty(xy.Y)}}
		c.FillPolygon(b.fill, c.ClipPolygonXY(pts))
		c.StrokeLines(draw.LineStyle{Color: black, Width: vg.Points(0.6)}, c.ClipLinesXY(append(pts, pts[0]))...)
	}
}

func (b *bars) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax, ymin, ymax = math.Inf(1), math.Inf(-1), 0, math.Inf(-1)
	for _, xy := range b.xys {
		xmin, xmax = math.Min(xmin, xy.X-b.half), math.Max(xmax, xy.X+b.half)
		ymax = math.Max(ymax, xy.Y)
	}
	return
}

func (b bars) Thumbnail(c *draw.Canvas) {
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
