package plots

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/portsim/portsim/sim"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Capacity is chart 5, "capacity": the failure rate against the varied
// parameter of a sweep (usually the connection rate to one destination),
// one line per strategy and request kind. When the sweep varies "rate",
// the rate the range can sustain while every closed 4-tuple waits out
// TIME_WAIT (SweepRow.LimitRate) is marked. A sweep over a grid draws a
// family of curves (capacityFamily).
func Capacity(sw *sim.SweepResult) *Chart {
	if sw != nil && len(sw.More) > 0 {
		return capacityFamily(sw) // a grid: a line per value of the other fields
	}
	param := ""
	if sw != nil {
		param = sw.Param
	}
	title := "Capacity: failures against connection rate"
	if param != "rate" && param != "" {
		title = "Capacity: failures against " + param
	}
	var rows []sim.SweepRow
	if sw != nil {
		rows = sw.Rows
	}
	xLabel := sweptAxis(param, rows)
	d := description{
		marks: []mark{lines, dots},
		x:     axis{label: xLabel, log: logWorthy(rows)},
		y:     []axis{{label: "failure rate (share of attempts)"}},
	}
	return build("capacity", title, d, DefaultWidth, DefaultHeight, func(c *Chart) *figure {

		// Colour and marker follow the strategy, dashes the request kind.
		type key struct{ strategy, kind string }
		var keys []key
		lines := map[key]plotter.XYs{}
		strat, kinds := map[string]int{}, map[string]int{}
		for _, r := range rows {
			k := key{r.Strategy, r.Kind}
			if _, ok := lines[k]; !ok {
				keys = append(keys, k)
			}
			lines[k] = append(lines[k], plotter.XY{X: r.X, Y: r.FailureRate})
			if _, ok := strat[r.Strategy]; !ok {
				strat[r.Strategy] = len(strat)
			}
			if _, ok := kinds[r.Kind]; !ok {
				kinds[r.Kind] = len(kinds)
			}
		}

		pn := d.panel("", 0)
		addGrid(pn.Plot)
		legend := newLegend()

		limit := 0.0
		if param == "rate" {
			for _, r := range rows {
				if r.LimitRate > 0 && !math.IsInf(r.LimitRate, 0) {
					limit = r.LimitRate
					break
				}
			}
		}
		if limit > 0 {
			m := vline(limit, draw.LineStyle{Color: black, Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(5), vg.Points(3)}})
			pn.Add(m)
			legend.Add(fmt.Sprintf("range / TIME_WAIT (%s/s)", strconv.FormatFloat(limit, 'f', 0, 64)), m)
		}

		names, data := make([]string, len(keys)), make([]plotter.XYs, len(keys))
		for i, k := range keys {
			xys := pn.filter(lines[k])
			sort.SliceStable(xys, func(i, j int) bool { return xys[i].X < xys[j].X })
			names[i], data[i] = k.strategy, xys
			if len(kinds) > 1 {
				names[i] += " (" + k.kind + ")"
			}
		}
		same := sameAs(names, data)
		for i, k := range keys {
			sty := styleOf(strat[k.strategy])
			sty.line.Dashes = seriesDashes[kinds[k.kind]%len(seriesDashes)]
			pn.series(data[i], sty, legendName(names[i], same[i]), legend, true)
		}
		if pn.n > 0 {
			pn.Y.Min, pn.Y.Max = 0, math.Max(1, pn.Y.Max)
		}
		pn.note = "the sweep has no rows"

		each := "Each line is one strategy"
		if len(kinds) > 1 {
			each += " and request kind (dashes tell the kinds apart)"
		}
		text := []string{each + fmt.Sprintf(", with a dot per run: the share of its connection attempts that found no free port (EADDRNOTAVAIL) as %s grows.", describeParam(param))}
		if limit > 0 {
			text = append(text, fmt.Sprintf("The dashed vertical line is the most one destination can take when every closed connection holds its 4-tuple for TIME_WAIT: the usable ports over TIME_WAIT, here %s connections a second (28,232 / 60 s ≈ 470 on Linux's defaults).", strconv.FormatFloat(limit, 'f', 0, 64)),
				"Failures start near it for every strategy that searches the whole range; one that fails well before it wastes ports (random-pick may give up while ports are free), and one that keeps working past it must be reusing 4-tuples early.")
		} else {
			text = append(text, "The further right a line stays at zero, the more load the strategy sustains.")
		}
		c.Caption = d.caption(text...)
		return single(c, pn, legend)
	})
}

func describeParam(p string) string {
	switch p {
	case "rate", "":
		return "the connection rate"
	}
	return p
}

// isDurationParam reports whether the swept values are durations (their X
// is then in seconds).
func isDurationParam(rows []sim.SweepRow) bool {
	if len(rows) == 0 {
		return false
	}
	for _, r := range rows {
		if _, err := strconv.ParseFloat(r.Value, 64); err == nil {
			return false
		}
		if _, err := time.ParseDuration(r.Value); err != nil {
			return false
		}
	}
	return true
}

// logWorthy reports whether the swept values are positive and span enough
// (fifty-fold) that a log axis reads better.
func logWorthy(rows []sim.SweepRow) bool {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range rows {
		if math.IsNaN(r.X) || math.IsInf(r.X, 0) {
			continue
		}
		if r.X <= 0 {
			return false
		}
		lo, hi = math.Min(lo, r.X), math.Max(hi, r.X)
	}
	return hi >= 50*lo
}

// sweptAxis is the label of the axis a swept field runs along.
func sweptAxis(param string, rows []sim.SweepRow) string {
	switch {
	case param == "rate":
		return "connection rate (connections/s)"
	case isDurationParam(rows):
		return param + " (s)"
	case param == "":
		return "swept value"
	}
	return param
}
