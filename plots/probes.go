package plots

import (
	"fmt"
	"math"
	"strconv"

	"github.com/portsim/portsim/sim"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Probes is chart 3, "probes": the complementary CDF of probes per attempt,
// P(probes ≥ k), on log-log axes, one line per strategy with a dot per k.
// It reads StrategyResult.ProbesHist, whose last bucket holds every longer
// attempt: its point is labelled "≥ k" on the axis.
func Probes(res *sim.Result) *Chart {
	d := description{
		marks: []mark{lines, dots},
		x:     axis{label: "k (ports tried in one attempt)", log: true},
		y:     []axis{{label: "P(probes ≥ k)", log: true}},
	}
	return build("probes", "Probes per allocation attempt", d, DefaultWidth, DefaultHeight, func(c *Chart) *figure {
		pn := d.panel("", 0)
		addGrid(pn.Plot)
		legend := newLegend()
		overflow := 0
		rs := results(res)
		var names []string
		var data []plotter.XYs
		var idx []int
		for i, r := range rs {
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
			names, data, idx = append(names, name), append(data, pn.filter(xys)), append(idx, i)
		}
		same := sameAs(names, data)
		for j, xys := range data {
			pn.series(xys, styleOf(idx[j]), legendName(names[j], same[j]), legend, true)
		}
		if pn.n > 0 {
			pn.X.Min = 1
			if overflow > 1 {
				pn.X.Max = math.Max(pn.X.Max, float64(overflow))
				pn.X.Tick.Marker = lastAtLeast{logTicks{}, float64(overflow)}
			}
		}
		// Keep the points at k = 1, P = 1 off the axis lines.
		pn.X.Padding, pn.Y.Padding = vg.Points(8), vg.Points(8)
		fig := single(c, pn, legend)
		text := []string{
			"Each line is one strategy, with a dot per k: the share of its attempts that tried at least k ports before finding a free one.",
			"A line that drops straight down after k = 1 means almost every first pick was free; a long, flat tail means some attempts scanned far through a crowded range, and with linux a shoulder appears once the even ports are full and the scan goes on to the odd ones.",
		}
		if overflow > 0 {
			text = append(text, fmt.Sprintf("The last dot, at k ≥ %d, counts every attempt with %d probes or more, failures (a scan of the whole range) among them.", overflow, overflow))
		}
		c.Caption = d.caption(text...)
		return fig
	})
}

// lastAtLeast is a log axis's ticks with the last bucket's mark labelled
// "≥ k": its point stands for k probes and more. Labels that would crowd
// it (within a fifth of a decade) are dropped.
type lastAtLeast struct {
	plot.Ticker
	k float64
}

func (t lastAtLeast) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for _, tk := range t.Ticker.Ticks(lo, hi) {
		if tk.Label != "" && math.Abs(math.Log10(tk.Value/t.k)) < 0.2 {
			tk.Label = ""
		}
		out = append(out, tk)
	}
	return append(out, plot.Tick{Value: t.k, Label: "≥ " + strconv.Itoa(int(t.k))})
}
