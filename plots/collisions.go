package plots

import (
	"fmt"
	"math"
	"strings"

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
// occupancy the attempt met, one line per strategy with a dot per
// occupancy bin. The analytic curve of RFC 6056 Algorithm 1 (random),
// P(collision) = occupancy, is drawn for reference. It reads
// StrategyResult.ByOccupancy.
func Collisions(res *sim.Result) *Chart {
	d := description{
		marks: []mark{lines, dots},
		x:     axis{label: "occupancy (share of the range in use)"},
		y:     []axis{{label: "P(first candidate busy)"}, {label: "probes per attempt", log: true}},
	}
	return build("collisions", "Collisions against occupancy", d, DefaultWidth, 6*vg.Inch, func(c *Chart) *figure {
		prob := d.panel("collision probability", 0)
		probes := d.panel("mean probes", 1)
		fig := &figure{title: c.Title, shareX: true, legend: newLegend(), grid: [][]*panel{{prob}, {probes}}}
		addGrid(prob.Plot)
		addGrid(probes.Plot)

		// The reference first, under the data.
		ref, _ := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 1}})
		ref.LineStyle = draw.LineStyle{Color: grey, Width: vg.Points(1.5), Dashes: []vg.Length{vg.Points(2), vg.Points(3)}}
		prob.Add(ref)
		fig.legend.Add("theory for random", ref)

		rs := results(res)
		ps, ms := make([]plotter.XYs, len(rs)), make([]plotter.XYs, len(rs))
		names := make([]string, len(rs))
		linux := false
		for i, r := range rs {
			names[i] = r.Strategy
			linux = linux || strings.HasPrefix(r.Strategy, "linux") || r.Strategy == "profile:linux"
			for _, b := range r.ByOccupancy {
				if b.Attempts < MinBinAttempts {
					continue
				}
				x := (b.Lo + b.Hi) / 2
				n := float64(b.Attempts)
				ps[i] = append(ps[i], plotter.XY{X: x, Y: float64(b.Collisions) / n})
				ms[i] = append(ms[i], plotter.XY{X: x, Y: float64(b.Probes) / n})
			}
		}
		both := make([]plotter.XYs, len(rs))
		for i := range rs {
			both[i] = append(append(plotter.XYs{}, ps[i]...), ms[i]...)
		}
		same := sameAs(names, both)
		for i := range rs {
			prob.series(ps[i], styleOf(i), legendName(names[i], same[i]), fig.legend, true)
			probes.series(ms[i], styleOf(i), "", nil, true)
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

		text := []string{
			"Occupancy is what an attempt competed with: its destination's 4-tuples open or in TIME_WAIT (for connect), or the ports in use (for bind and UDP), over the range's size.",
			fmt.Sprintf("Each line is one strategy, with a dot per group of attempts that met the same occupancy; groups of fewer than %d attempts are left out as too noisy.", MinBinAttempts),
			"The grey dashed diagonal is a purely random first pick, whose chance of finding its port busy equals the share in use; a line below it means the strategy walks past recently used ports.",
		}
		if linux {
			text = append(text, "linux runs above the diagonal because it tries the even half of the range first, which fills twice as fast.")
		}
		c.Caption = d.caption(text...)
		return fig
	})
}
