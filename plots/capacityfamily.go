package plots

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/portsim/portsim/sim"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// MaxFamilyCurves bounds the curves of a grid's capacity chart: past a
// dozen colours a legend stops telling lines apart.
const MaxFamilyCurves = 12

// capacityFamily is the capacity chart of a sweep over a grid (Capacity
// draws it when the sweep varies more than one field): the failure rate
// against the first field varied, one panel per strategy (and request
// kind), and in each a family of curves, one per value of the other
// fields — rate × destinations gives a curve per destination count.
// When the first field is the rate, each curve's range / TIME_WAIT limit
// is a dashed vertical line in its colour (the first's, when curves share
// it).
func capacityFamily(sw *sim.SweepResult) *Chart {
	param, rows := sw.Param, sw.Rows
	others := strings.Join(sw.More, ", ")

	// Panels by strategy and kind, curves by the other fields' values,
	// each in order of first appearance.
	type panelKey struct{ strategy, kind string }
	var panelKeys []panelKey
	var curves []string
	panelOf, curveOf := map[panelKey]int{}, map[string]int{}
	kinds := map[string]bool{}
	rowPanel, rowCurve := make([]int, len(rows)), make([]int, len(rows))
	for i, r := range rows {
		k := panelKey{r.Strategy, r.Kind}
		if _, ok := panelOf[k]; !ok {
			panelOf[k] = len(panelKeys)
			panelKeys = append(panelKeys, k)
		}
		kinds[r.Kind] = true
		c := curveName(sw.More, r.More)
		if _, ok := curveOf[c]; !ok {
			curveOf[c] = len(curves)
			curves = append(curves, c)
		}
		rowPanel[i], rowCurve[i] = panelOf[k], curveOf[c]
	}
	shown := min(len(curves), MaxFamilyCurves)

	xLabel := sweptAxis(param, rows)
	each := "strategy"
	if len(kinds) > 1 {
		each = "strategy and request kind"
	}
	d := description{
		marks: []mark{lines, dots},
		x:     axis{label: xLabel, log: logWorthy(rows)},
		y:     []axis{{label: "failure rate (share of attempts)"}},
		each:  each,
	}
	title := "Capacity: failures against " + describeParam(param) + ", a line per " + others
	return build("capacity", title, d, DefaultWidth, gridHeight(max(len(panelKeys), 1)), func(c *Chart) *figure {
		fig := &figure{title: c.Title, shareX: true, shareY: true, legend: newLegend()}
		data := make([][]plotter.XYs, len(panelKeys))
		limits := make([][]float64, len(panelKeys))
		for i := range data {
			data[i] = make([]plotter.XYs, shown)
			limits[i] = make([]float64, shown)
		}
		for i, r := range rows {
			p, ci := rowPanel[i], rowCurve[i]
			if ci >= shown {
				continue
			}
			data[p][ci] = append(data[p][ci], plotter.XY{X: r.X, Y: r.FailureRate})
			if param == "rate" && r.LimitRate > 0 && !math.IsInf(r.LimitRate, 0) {
				limits[p][ci] = r.LimitRate
			}
		}
		inLegend := make([]bool, shown)
		limitShown := false
		var panels []*panel
		for p, k := range panelKeys {
			name := k.strategy
			if len(kinds) > 1 {
				name += " (" + k.kind + ")"
			}
			pn := d.panel(name, 0)
			pn.note = "no runs"
			addGrid(pn.Plot)
			drawn := map[float64]bool{} // a limit curves share is drawn once, in the first one's colour
			for ci := range shown {
				xys := pn.filter(data[p][ci])
				sort.SliceStable(xys, func(i, j int) bool { return xys[i].X < xys[j].X })
				lg := fig.legend
				if inLegend[ci] || len(xys) == 0 {
					lg = nil
				}
				inLegend[ci] = inLegend[ci] || lg != nil
				pn.series(xys, styleOf(ci), curves[ci], lg, true)
				if l := limits[p][ci]; l > 0 && len(xys) > 0 && !drawn[l] {
					drawn[l] = true
					pn.Add(vline(l, draw.LineStyle{Color: seriesColor(ci), Width: vg.Points(1), Dashes: []vg.Length{vg.Points(5), vg.Points(3)}}))
					limitShown = true
				}
			}
			if pn.n > 0 {
				pn.Y.Min, pn.Y.Max = 0, math.Max(1, pn.Y.Max)
			}
			panels = append(panels, pn)
		}
		if len(panels) == 0 {
			pn := d.panel("", 0)
			pn.note = "the sweep has no rows"
			panels = append(panels, pn)
		}
		fig.grid = gridOf(panels, columns(len(panels)))

		text := []string{fmt.Sprintf("Each line is one value of %s, with a dot per run: the share of its connection attempts that found no free port (EADDRNOTAVAIL) as %s grows.", others, describeParam(param))}
		if shown < len(curves) {
			text = append(text, fmt.Sprintf("The grid has %d values of %s; the first %d are drawn.", len(curves), others, shown))
		}
		if limitShown {
			text = append(text, "A dashed vertical line in a line's colour (the first's, where lines share it) is the most one destination can take at its settings when every closed connection holds its 4-tuple for TIME_WAIT (the usable ports over TIME_WAIT): failures start near it for every strategy that searches the whole range.")
		}
		text = append(text, "Where the lines part, the field they stand for moves the capacity; where they lie on one another, it does not.")
		c.Caption = d.caption(text...)
		return fig
	})
}

// curveName names one curve of a family by the other fields' values:
// "destinations=4" or "destinations=4, time-wait=30s".
func curveName(fields, values []string) string {
	parts := make([]string, len(fields))
	for i, f := range fields {
		v := ""
		if i < len(values) {
			v = values[i]
		}
		parts[i] = f + "=" + v
	}
	return strings.Join(parts, ", ")
}
