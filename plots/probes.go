package plots

import (
	"fmt"

	"github.com/portsim/portsim/sim"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Probes is chart 3, "probes": the complementary CDF of probes per attempt,
// P(probes ≥ k), on log-log axes, one line per strategy. It reads
// StrategyResult.ProbesHist, whose last bucket holds every longer attempt.
func Probes(res *sim.Result) *Chart {
	return build("probes", "Probes per allocation attempt", DefaultWidth, DefaultHeight, func(c *Chart) *figure {
		pn := newPanel("", "k (ports tried in one attempt)", "P(probes ≥ k)", true, true)
		addGrid(pn.Plot)
		legend := newLegend()
		overflow := 0
		for i, r := range results(res) {
			total := 0
			for _, n := range r.ProbesHist {
				total += max(n, 0)
			}
			if total == 0 {
				continue
			}
			overflow = max(overflow, len(r.ProbesHist))
			// Bucket j holds attempts with j+1 probes, so the tail sum from j
			// is P(probes ≥ j+1). Zero tails (no attempt that long) cannot
			// go on a log axis; keep filters them.
			xys := make(plotter.XYs, 0, len(r.ProbesHist))
			tail := total
			for j, n := range r.ProbesHist {
				xys = append(xys, plotter.XY{X: float64(j + 1), Y: float64(tail) / float64(total)})
				tail -= max(n, 0)
			}
			name := r.Strategy
			if tail := total - max(r.ProbesHist[0], 0); tail == 0 {
				name += " (always 1)" // a lone point in the corner is easy to miss
			}
			pn.series(xys, styleOf(i), name, legend, true)
		}
		if pn.n > 0 {
			pn.X.Min = 1
		}
		// Keep the points at k = 1, P = 1 off the axis lines.
		pn.X.Padding, pn.Y.Padding = vg.Points(8), vg.Points(8)
		fig := single(c, pn, legend)
		c.Caption = "Each line shows, for one strategy, the share of allocation attempts that had to try at least k ports before finding a free one (both axes logarithmic). " +
			"A line that drops straight down after k = 1 means almost every first pick was free; a long, flat tail means some attempts scanned far through a crowded range."
		if overflow > 0 {
			c.Caption += fmt.Sprintf(" The last point, k = %d, counts every attempt with %d or more probes.", overflow, overflow)
		}
		return fig
	})
}
