package plots

import (
	"fmt"
	"math"

	"github.com/portsim/portsim/sim"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// MinBinAttempts is the fewest attempts an occupancy bin needs to be
// drawn: below it a bin's collision probability is mostly noise.
const MinBinAttempts = 20

// Collisions is chart 2, "collisions": the probability that an attempt's
// first candidate is busy, and the mean number of probes, against the
// occupancy the attempt met, one line per strategy. The analytic curve of
// RFC 6056 Algorithm 1 (random), P(collision) = occupancy, is drawn for
// reference. It reads StrategyResult.ByOccupancy.
func Collisions(res *sim.Result) *Chart {
	return build("collisions", "Collisions against occupancy", DefaultWidth, 6*vg.Inch, func(c *Chart) *figure {
		const occLabel = "occupancy (share of the range in use)"
		prob := newPanel("collision probability", occLabel, "P(first candidate busy)", false, false)
		probes := newPanel("mean probes", occLabel, "probes per attempt", false, true)
		fig := &figure{title: c.Title, shareX: true, legend: newLegend(), grid: [][]*panel{{prob}, {probes}}}
		addGrid(prob.Plot)
		addGrid(probes.Plot)

		// The reference first, under the data.
		ref, _ := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
		ref.LineStyle = draw.LineStyle{Color: grey, Width: vg.Points(1.5), Dashes: []vg.Length{vg.Points(2), vg.Points(3)}}
		prob.Add(ref)
		fig.legend.Add("theory for random", ref)

		for i, r := range results(res) {
			var p, m plotter.XYs
			for _, b := range r.ByOccupancy {
				if b.Attempts < MinBinAttempts {
					continue
				}
				x := (b.Lo + b.Hi) / 2
				n := float64(b.Attempts)
				p = append(p, plotter.XY{X: x, Y: float64(b.Collisions) / n})
				m = append(m, plotter.XY{X: x, Y: float64(b.Probes) / n})
			}
			prob.series(p, styleOf(i), r.Strategy, fig.legend, true)
			probes.series(m, styleOf(i), "", nil, true)
		}
		// Probability and occupancy are shares: show all of [0, 1] so
		// charts of different runs compare.
		if prob.n > 0 {
			prob.X.Min, prob.X.Max = 0, 1
			prob.Y.Min, prob.Y.Max = 0, 1
		}
		if probes.n > 0 {
			probes.X.Min, probes.X.Max = 0, 1
			probes.Y.Min = math.Min(probes.Y.Min, 1) // one probe, the floor, stays in view
		}
		prob.note = fmt.Sprintf("every occupancy bin has fewer than %d attempts", MinBinAttempts)
		probes.note = prob.note

		c.Caption = "Each line shows, for attempts grouped by how full the port range was at the time (across), " +
			"how often the first port tried was already busy (top) and how many ports were tried on average (bottom, log scale). " +
			"The grey dashed diagonal is the theory for a purely random first pick: the chance of a collision equals the share in use. " +
			fmt.Sprintf("Occupancy groups with fewer than %d attempts are left out as too noisy.", MinBinAttempts)
		return fig
	})
}
