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

// A GatewaySeries is a gateway's state over one run, sample by sample, in
// time order: what the gateway-ports chart draws for one strategy.
type GatewaySeries interface {
	Name() string
	Len() int
	Time(i int) float64 // seconds
	Addrs() int         // public addresses
	// PortsInUse is the public ports address a carried at sample i.
	PortsInUse(i, a int) int
	// Busiest is the most connections one address held to one destination
	// at sample i; Limit is the cap on it (0: none but the ports).
	Busiest(i int) int
	Limit() int
}

// GatewaySeriesOf is each strategy's gateway series in res, none when the
// run had no gateway.
func GatewaySeriesOf(res *sim.Result) []GatewaySeries {
	var out []GatewaySeries
	for _, r := range results(res) {
		if r.Gateway != nil {
			out = append(out, gatewayResult{r.Strategy, r.Gateway})
		}
	}
	return out
}

type gatewayResult struct {
	name string
	g    *sim.GatewayResult
}

func (s gatewayResult) Name() string            { return s.name }
func (s gatewayResult) Len() int                { return len(s.g.Series) }
func (s gatewayResult) Time(i int) float64      { return s.g.Series[i].TimeSeconds }
func (s gatewayResult) Addrs() int              { return s.g.PublicIPs }
func (s gatewayResult) Busiest(i int) int       { return s.g.Series[i].Busiest }
func (s gatewayResult) Limit() int              { return s.g.Limit }
func (s gatewayResult) PortsInUse(i, a int) int { return s.g.Series[i].PortsInUse[a] }

// GatewayPorts is the gateway-ports chart: the public ports in use on each
// public address over time, one panel per strategy, with the busiest
// destination's connections and their limit. It draws a note when no
// series is given.
func GatewayPorts(series []GatewaySeries) *Chart {
	d := description{marks: []mark{lines}, x: axis{label: "time (s)"}, y: []axis{{label: "ports / connections"}}, each: "strategy on the hosts"}
	return build("gateway-ports", "Gateway: public ports in use over time", d, DefaultWidth, gridHeight(max(len(series), 1)), func(c *Chart) *figure {
		fig := &figure{title: c.Title, shareX: true, shareY: true, legend: newLegend()}
		busySty := style{line: draw.LineStyle{Color: black, Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(2), vg.Points(2)}}}
		limitSty := referenceStyle
		var panels []*panel
		var thinned []string
		legendDone := map[string]bool{}
		limit := 0
		for _, s := range series {
			pn := d.panel(s.Name(), 0)
			pn.note = "no samples"
			panels = append(panels, pn)
			n := s.Len()
			if n == 0 {
				continue
			}
			k := stride(n, MaxAreaPoints)
			if k > 1 {
				thinned = append(thinned, fmt.Sprintf("%s every %s", s.Name(), ordinal(k)))
			}
			addGrid(pn.Plot)
			for a := range s.Addrs() {
				var xys plotter.XYs
				for i := 0; i < n; i += k {
					xys = append(xys, plotter.XY{X: s.Time(i), Y: float64(s.PortsInUse(i, a))})
				}
				name := fmt.Sprintf("ports in use, address %d", a+1)
				var lg = fig.legend
				if legendDone[name] {
					lg = nil
				}
				legendDone[name] = true
				pn.series(xys, styleOf(a), name, lg, false)
			}
			var busy plotter.XYs
			for i := 0; i < n; i += k {
				busy = append(busy, plotter.XY{X: s.Time(i), Y: float64(s.Busiest(i))})
			}
			lg := fig.legend
			if legendDone["busiest"] {
				lg = nil
			}
			legendDone["busiest"] = true
			pn.series(busy, busySty, "busiest destination", lg, false)
			if l := s.Limit(); l > 0 {
				limit = l
				ref := plotter.XYs{{X: s.Time(0), Y: float64(l)}, {X: s.Time(n - 1), Y: float64(l)}}
				if line, err := plotter.NewLine(pn.filter(ref)); err == nil {
					line.LineStyle = limitSty
					pn.Add(line)
					if !legendDone["limit"] {
						fig.legend.Add(fmt.Sprintf("per-destination limit (%d)", l), line)
						legendDone["limit"] = true
					}
				}
			}
			pn.Y.Min = 0
		}
		if len(panels) == 0 {
			pn := d.panel("", 0)
			pn.note = "the run has no gateway"
			panels = append(panels, pn)
		}
		fig.grid = gridOf(panels, columns(len(panels)))
		text := []string{"The solid lines are the public ports the gateway has in use on each of its addresses over the run; the dotted line is the connections one address holds to its busiest destination."}
		if limit > 0 {
			text = append(text, fmt.Sprintf("A public port can carry one connection to each destination at a time, so the busiest destination runs out first: when the dotted line meets the grey limit line (%d per address), new connections to that destination fail while the solid lines still have room for everyone else.", limit))
		} else {
			text = append(text, "A public port can carry one connection to each destination at a time, so the busiest destination runs out first: when the dotted line reaches an address's ports, new connections to that destination fail while other destinations still get ports.")
		}
		if len(thinned) > 0 {
			text = append(text, fmt.Sprintf("Long series are thinned to at most %d points (%s).", MaxAreaPoints, strings.Join(thinned, ", ")))
		}
		c.Caption = d.caption(text...)
		return fig
	})
}

// GatewayCapacity is the gateway-capacity chart of a sweep whose runs had
// a gateway: the new connections per second the gateway carried against
// the swept value (public addresses, hosts, the rate), one line per
// strategy, with the rate offered and what one destination can take when
// every closed connection holds its port (public addresses × connections
// per address, over the hold).
func GatewayCapacity(sw *sim.SweepResult) *Chart {
	param := ""
	if sw != nil {
		param = sw.Param
	}
	title := "Gateway capacity against " + param
	if param == "" {
		title = "Gateway capacity"
	}
	xLabel := param
	switch param {
	case "public-ips":
		xLabel = "public addresses"
	case "rate":
		xLabel = "connections offered per second"
	case "":
		xLabel = "swept value"
	}
	d := description{
		marks: []mark{lines, dots},
		x:     axis{label: xLabel},
		y:     []axis{{label: "connections per second through the gateway"}},
	}
	return build("gateway-capacity", title, d, DefaultWidth, DefaultHeight, func(c *Chart) *figure {
		var rows []sim.SweepRow
		if sw != nil {
			for _, r := range sw.Rows {
				if r.Gateway != nil {
					rows = append(rows, r)
				}
			}
		}
		pn := d.panel("", 0)
		pn.note = "the sweep has no gateway rows"
		addGrid(pn.Plot)
		legend := newLegend()

		var order []string
		lines := map[string]plotter.XYs{}
		var offered, limits plotter.XYs
		policy := ""
		for _, r := range rows {
			key := r.Strategy
			if len(sw.More) > 0 { // a grid: a line per strategy and value of the other fields
				key += ", " + curveName(sw.More, r.More)
			}
			if _, ok := lines[key]; !ok {
				order = append(order, key)
			}
			lines[key] = append(lines[key], plotter.XY{X: r.X, Y: r.Gateway.Rate()})
			offered = append(offered, plotter.XY{X: r.X, Y: r.Gateway.OfferedRate})
			if l := r.Gateway.LimitRate(); l > 0 {
				limits = append(limits, plotter.XY{X: r.X, Y: l})
			}
			policy = r.Gateway.Policy
		}
		byX := func(xys plotter.XYs) plotter.XYs {
			xys = pn.filter(xys)
			sort.SliceStable(xys, func(i, j int) bool { return xys[i].X < xys[j].X })
			return dedupX(xys)
		}
		if xys := byX(limits); len(xys) > 0 {
			if l, err := plotter.NewLine(xys); err == nil {
				l.LineStyle = referenceStyle
				pn.Add(l)
				legend.Add("one destination's ceiling", l)
			}
		}
		if xys := byX(offered); len(xys) > 0 {
			if l, err := plotter.NewLine(xys); err == nil {
				l.LineStyle = draw.LineStyle{Color: black, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(2), vg.Points(2)}}
				pn.Add(l)
				legend.Add("offered", l)
			}
		}
		data := make([]plotter.XYs, len(order))
		for i, s := range order {
			data[i] = pn.filter(lines[s])
			sort.SliceStable(data[i], func(a, b int) bool { return data[i][a].X < data[i][b].X })
		}
		same := sameAs(order, data)
		for i, s := range order {
			pn.series(data[i], styleOf(i), legendName(s, same[i]), legend, true)
		}
		if pn.n > 0 {
			pn.Y.Min = 0
			pn.Y.Max = math.Max(pn.Y.Max*1.05, 1)
		}
		c.Caption = d.caption(
			"Each line is one strategy on the hosts, with a dot per run: how many new connections per second got through the gateway"+policyNote(policy)+" as "+describeParam(param)+" changes; the dotted line is what was offered.",
			"The grey line is the ceiling for one destination: every closed connection keeps its public port for that destination for the gateway's hold, so each public address carries at most its connections per destination over the hold, whatever the number of hosts.",
			"Where a strategy's line leaves the offered rate, flows are refused; more public addresses raise the ceiling, more hosts do not.",
		)
		return single(c, pn, legend)
	})
}

// policyNote names the gateway in a caption.
func policyNote(p string) string {
	if p == "" {
		return ""
	}
	return " (" + p + ")"
}

// dedupX keeps the first point of each x in sorted xys.
func dedupX(xys plotter.XYs) plotter.XYs {
	out := xys[:0]
	for i, p := range xys {
		if i == 0 || p.X != out[len(out)-1].X {
			out = append(out, p)
		}
	}
	return out
}
