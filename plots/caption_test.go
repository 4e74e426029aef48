package plots

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/portsim/portsim/sim"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

// markOf is the mark a plotter draws, or "" for one a caption need not
// name (grid lines, text labels).
func markOf(p plot.Plotter) mark {
	switch p := p.(type) {
	case *plotter.Scatter, *dotLayer:
		return dots
	case *plotter.Line:
		if p.StepStyle != plotter.NoStep {
			return steps
		}
		return lines
	case *vLine, *topTicks:
		return lines
	case *plotter.Polygon, ratingBands:
		return bands
	case *barSeries, *plotter.Histogram, *plotter.BarChart:
		return bars
	}
	return ""
}

// TestCaptions ties each chart's caption to what it draws: the caption
// opens with its description's axes, every panel has those axes, every
// mark drawn is one the description names and the caption's words name
// each of its marks and no other kind.
func TestCaptions(t *testing.T) {
	var charts []*Chart
	charts = append(charts, All(fixture())...)
	charts = append(charts, All(synthetic(3*MaxScatterPoints, 2))...)
	charts = append(charts, Capacity(sweepFixture()), GatewayPorts(GatewaySeriesOf(gatewayFixture())), GatewayCapacity(gatewaySweepFixture()))
	charts = append(charts, attackFixture()...)
	for _, c := range charts {
		t.Run(c.Name, func(t *testing.T) {
			if c.err != nil {
				t.Fatalf("building: %v", c.err)
			}
			d := c.desc
			if len(d.marks) == 0 || len(d.y) == 0 {
				t.Fatalf("no description")
			}
			if head := d.caption(); !strings.HasPrefix(c.Caption, head) {
				t.Errorf("caption does not open with its axes %q:\n%s", head, c.Caption)
			}
			named := map[mark]bool{}
			for _, m := range d.marks {
				named[m] = true
				if !regexp.MustCompile(`\b` + string(m) + `s?\b`).MatchString(strings.ToLower(c.Caption)) {
					t.Errorf("caption never names its %ss:\n%s", m, c.Caption)
				}
			}
			for _, m := range []mark{dots, lines, steps, bars, bands} {
				if !named[m] && regexp.MustCompile(`\b`+string(m)+`s?\b`).MatchString(strings.ToLower(c.Caption)) {
					t.Errorf("caption speaks of %ss, which the chart does not draw:\n%s", m, c.Caption)
				}
			}
			for r, row := range c.fig.grid {
				for _, pn := range row {
					if pn == nil {
						continue
					}
					y := d.y[min(r, len(d.y)-1)]
					if pn.X.Label.Text != d.x.label || pn.Y.Label.Text != y.label || pn.logX != d.x.log || pn.logY != y.log {
						t.Errorf("panel %q has axes %q/%q (log %v/%v); the description says %q/%q (log %v/%v)",
							pn.Title.Text, pn.X.Label.Text, pn.Y.Label.Text, pn.logX, pn.logY, d.x.label, y.label, d.x.log, y.log)
					}
					for _, p := range pn.drawn {
						if m := markOf(p); m != "" && !named[m] {
							t.Errorf("panel %q draws %ss (%s) that the description does not name", pn.Title.Text, m, fmt.Sprintf("%T", p))
						}
					}
				}
			}
		})
	}
}

// The reuse chart marks TIME_WAIT only where TCP leaves one, and keeps a
// TIME_WAIT far from the reuses off its axis.
func TestReuseTimeWait(t *testing.T) {
	for _, tc := range []struct {
		kind, tw string
		lines    int
		legend   string
	}{
		{"connect", "30s", 1, "TIME_WAIT (30 s)"},
		{"udp", "30s", 0, ""},
		{"udp=1,connect=1", "30s", 1, "TIME_WAIT"},
		{"connect", "8760h", 0, "off the chart"},
	} {
		res := fixture()
		for i := range res.Scenario {
			switch res.Scenario[i].Name {
			case "time-wait":
				res.Scenario[i].Value = tc.tw
			}
		}
		res.Scenario = append(res.Scenario, sim.Field{Name: "kind", Value: tc.kind})
		for i := range res.Results {
			res.Results[i].Host = sim.HostRules{} // use the scenario's TIME_WAIT
		}
		c := Reuse(res)
		n := 0
		for _, p := range c.fig.grid[0][0].drawn {
			if _, ok := p.(*vLine); ok {
				n++
			}
		}
		got := texts(t, c)
		if n != tc.lines || !strings.Contains(got, tc.legend) {
			t.Errorf("kind %s, time-wait %s: %d TIME_WAIT lines, legend %q; want %d and %q", tc.kind, tc.tw, n, got, tc.lines, tc.legend)
		}
	}
}

// Occupancy draws the usable ports as a ceiling for the total where one
// range is all there is to fill; with several destinations and connect()
// it draws the busiest destination's line against that ceiling, and the
// caption says that ports run out per destination.
func TestOccupancyLimit(t *testing.T) {
	for _, tc := range []struct {
		dests, kind string
		lines       int
		caption     string
	}{
		{"1", "connect", 3, "usable ports"},
		{"3", "bind", 3, "usable ports"},
		{"3", "connect", 4, "per destination"},
	} {
		res := fixture()
		res.Scenario = slices.DeleteFunc(res.Scenario, func(f sim.Field) bool { return f.Name == "destinations" })
		res.Scenario = append(res.Scenario, sim.Field{Name: "destinations", Value: tc.dests}, sim.Field{Name: "kind", Value: tc.kind})
		for i := range res.Results {
			res.Results[i].Host.UsablePorts = 1024
		}
		c := Occupancy(res)
		lines := 0
		for _, p := range c.fig.grid[0][0].drawn {
			if _, ok := p.(*plotter.Line); ok {
				lines++
			}
		}
		// Each band strokes its top edge: two lines, the ceiling and, per
		// destination, the busiest one's.
		if lines != tc.lines || !strings.Contains(c.Caption, tc.caption) {
			t.Errorf("%s destinations, %s: %d lines, caption %q", tc.dests, tc.kind, lines, c.Caption)
		}
	}
}

// Two strategies whose reuses are the same draw one line on top of the
// other; the legend says so rather than let the first vanish.
func TestReuseSameAs(t *testing.T) {
	res := fixture()
	if len(res.Results) < 2 {
		t.Fatal("the fixture needs two strategies")
	}
	res.Results[1].ReuseSample = slices.Clone(res.Results[0].ReuseSample)
	if len(res.Results[0].ReuseSample) == 0 {
		t.Fatal("the fixture's first strategy has no reuse sample")
	}
	want := res.Results[1].Strategy + " (same as " + res.Results[0].Strategy + ")"
	if got := texts(t, Reuse(res)); !strings.Contains(got, want) {
		t.Errorf("legend %q; want %q", got, want)
	}
}
