package plots

import (
	"fmt"
	"math"

	"github.com/portsim/portsim/sim"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// PortUsage is chart 7, "port-usage": how allocations spread across the
// port range, one histogram panel per strategy on shared axes, with the
// chi-square p-value against uniform in each panel's title. It reads
// StrategyResult.PortUsage and UniformityP.
func PortUsage(res *sim.Result) *Chart {
	d := description{marks: []mark{bars, lines}, x: axis{label: "source port"}, y: []axis{{label: "allocations per port"}}, each: "strategy"}
	return build("port-usage", "Port usage across the range", d, DefaultWidth, gridHeight(len(results(res))), func(c *Chart) *figure {
		rs := results(res)
		fig := &figure{title: c.Title, shareX: true, shareY: true, legend: newLegend()}
		evenSty := draw.LineStyle{Color: black, Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(5), vg.Points(3)}}
		var panels []*panel
		legendDone := false
		for i, r := range rs {
			pn := d.panel(fmt.Sprintf("%s (p %s)", r.Strategy, pValue(float64(r.UniformityP))), 0)
			pn.note = "nothing allocated"
			panels = append(panels, pn)

			var bins []plotter.HistogramBin
			total, lo, hi := 0.0, math.Inf(1), math.Inf(-1)
			for _, b := range r.PortUsage {
				w := b.Hi - b.Lo
				if !(w > 0) || !pn.keep(b.Lo, b.Hi) || b.Count < 0 {
					continue
				}
				bins = append(bins, plotter.HistogramBin{Min: b.Lo, Max: b.Hi, Weight: float64(b.Count) / w})
				total += float64(b.Count)
				lo, hi = math.Min(lo, b.Lo), math.Max(hi, b.Hi)
			}
			if total == 0 {
				continue
			}
			addGrid(pn.Plot)
			h := &plotter.Histogram{Bins: bins, Width: (hi - lo) / float64(len(bins)), FillColor: tint(seriesColors[i%len(seriesColors)], 0.35)}
			h.LineStyle = draw.LineStyle{Color: seriesColor(i), Width: vg.Points(0.5)}
			pn.Add(h)
			even, _ := plotter.NewLine(plotter.XYs{{X: lo, Y: total / (hi - lo)}, {X: hi, Y: total / (hi - lo)}})
			even.LineStyle = evenSty
			pn.Add(even)
			if !legendDone {
				fig.legend.Add("if spread evenly", even)
				legendDone = true
			}
			pn.n += len(bins)
			pn.Y.Min = 0
			_, _, _, top := h.DataRange()
			pn.Y.Max = 1.15 * math.Max(top, total/(hi-lo)) // room above the tallest bar
		}
		fig.grid = gridOf(panels, columns(len(panels)))
		c.Caption = d.caption(
			"Each bar is an equal slice of the port range, as tall as the allocations it received per port; the dashed line is the height every bar would have if the strategy spread its choices evenly.",
			"Bars far from the line show parts of the range a strategy favours or never reached before the run ended; a gap is reserved ports.",
			"The p-value in each panel's title is a chi-square test of the counts against an even spread: below 0.01 the unevenness is very unlikely to be chance (it does not say how large it is); \"n/a\" means there was nothing to test.",
		)
		return fig
	})
}

// pValue writes a p-value for a panel title.
func pValue(p float64) string {
	switch {
	case math.IsNaN(p) || p < 0 || p > 1:
		return "n/a"
	case p < 0.001:
		return "< 0.001"
	}
	return fmt.Sprintf("= %.3f", p)
}
