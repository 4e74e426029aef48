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
// TIME_WAIT (SweepRow.LimitRate) is marked.
func Capacity(sw *sim.SweepResult) *Chart {
	param := ""
	if sw != nil {
		param = sw.Param
	}
	title := "Capacity: failures against connection rate"
	if param != "rate" && param != "" {
		title = "Capacity: failures against " + param
	}
	return build("capacity", title, DefaultWidth, DefaultHeight, func(c *Chart) *figure {
		var rows []sim.SweepRow
		if sw != nil {
			rows = sw.Rows
		}
		xLabel := param
		switch {
		case param == "rate":
			xLabel = "connection rate (connections/s)"
		case isDurationParam(rows):
			xLabel = param + " (s)"
		}

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

		pn := newPanel("", xLabel, "failure rate (share of attempts)", logWorthy(rows), false)
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

		for _, k := range keys {
			xys := pn.filter(lines[k])
			sort.SliceStable(xys, func(i, j int) bool { return xys[i].X < xys[j].X })
			name := k.strategy
			if len(kinds) > 1 {
				name += " (" + k.kind + ")"
			}
			sty := styleOf(strat[k.strategy])
			sty.line.Dashes = seriesDashes[kinds[k.kind]%len(seriesDashes)]
			pn.series(xys, sty, name, legend, true)
		}
		if pn.n > 0 {
			pn.Y.Min, pn.Y.Max = 0, math.Max(1, pn.Y.Max)
		}
		pn.note = "the sweep has no rows"

		c.Caption = "Each line shows, for one strategy"
		if len(kinds) > 1 {
			c.Caption += " and request kind (line dashes tell kinds apart)"
		}
		c.Caption += fmt.Sprintf(", the share of connection attempts that found no free port (EADDRNOTAVAIL) as %s grows. ", describeParam(param))
		if limit > 0 {
			c.Caption += "The dashed vertical line is the most one destination can take when every closed connection holds its port for TIME_WAIT: the usable ports divided by TIME_WAIT. " +
				"A strategy that fails well before that line wastes ports; one that keeps working past it must be reusing ports early."
		} else {
			c.Caption += "The further right a line stays at zero, the more load the strategy sustains."
		}
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
