package plots

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/portsim/portsim/sim"
)

// gridFixture is a rate × destinations × time-wait sweep of two
// strategies: the knee moves with the destinations and the limit with
// TIME_WAIT.
func gridFixture(dests []int) *sim.SweepResult {
	sw := &sim.SweepResult{Schema: sim.SweepSchema, Param: "rate", More: []string{"destinations", "time-wait"}}
	for _, x := range []float64{100, 200, 400, 800} {
		for _, d := range dests {
			for _, tw := range []float64{30, 60} {
				for s, strat := range []string{"linux", "random"} {
					knee := 470 * 60 / tw * float64(d)
					fr := math.Max(0, (x-knee)/x) * (1 - 0.2*float64(s))
					sw.Rows = append(sw.Rows, sim.SweepRow{
						Value: strconv.FormatFloat(x, 'g', -1, 64), X: x,
						More: []string{strconv.Itoa(d), strconv.FormatFloat(tw, 'g', -1, 64) + "s"},
						Kind: "connect", Strategy: strat, FailureRate: fr, ProbesMean: 1, LimitRate: 28232 / tw,
					})
				}
			}
		}
	}
	return sw
}

// A grid's capacity chart: a panel per strategy, a line per value of the
// other fields named in the legend, each curve's limit in the caption's
// words; past MaxFamilyCurves the caption says how many were left out.
func TestCapacityFamily(t *testing.T) {
	c := Capacity(gridFixture([]int{1, 4}))
	got := texts(t, c)
	for _, want := range []string{"linux", "random", "destinations=1, time-wait=30s", "destinations=4, time-wait=60s", "a line per destinations, time-wait"} {
		if !strings.Contains(got, want) {
			t.Errorf("the chart lacks %q:\n%s", want, got)
		}
	}
	if c.Name != "capacity" || !strings.Contains(c.Caption, "Each line is one value of destinations, time-wait") || !strings.Contains(c.Caption, "dashed vertical line in a line's colour") {
		t.Errorf("%s: caption %q", c.Name, c.Caption)
	}
	var buf bytes.Buffer
	if err := c.Render(&buf, "svg", c.Width, c.Height); err != nil || buf.Len() == 0 {
		t.Fatalf("svg: %v", err)
	}
	many := Capacity(gridFixture([]int{1, 2, 3, 4, 5, 6, 7}))
	if !strings.Contains(many.Caption, "The grid has 14 values of destinations, time-wait; the first 12 are drawn.") {
		t.Errorf("14 curves: caption %q", many.Caption)
	}
	texts(t, many)

	// A grid without rows, or with a time axis, still draws.
	empty := Capacity(&sim.SweepResult{Param: "time-wait", More: []string{"rate"}})
	if got := texts(t, empty); !strings.Contains(got, "no data") {
		t.Errorf("an empty grid draws %q", got)
	}
}

// On a grid, the gateway's capacity has a line per strategy and value of
// the other fields, not one zig-zag through all of them.
func TestGatewayCapacityGrid(t *testing.T) {
	sw := &sim.SweepResult{Schema: sim.SweepSchema, Param: "rate", More: []string{"public-ips"}}
	for _, ips := range []int{1, 2} {
		for _, x := range []float64{500, 1000, 2000} {
			sw.Rows = append(sw.Rows, sim.SweepRow{Value: strconv.FormatFloat(x, 'g', -1, 64), X: x, More: []string{strconv.Itoa(ips)},
				Kind: "connect", Strategy: "linux", Gateway: &sim.SweepGateway{Policy: "aws-nat", PublicIPs: ips, Allocations: int(x) * 10,
					Seconds: 10, OfferedRate: x, ClosingSeconds: 60, Limit: 55000}})
		}
	}
	got := texts(t, GatewayCapacity(sw))
	for _, want := range []string{"linux, public-ips=1", "linux, public-ips=2"} {
		if !strings.Contains(got, want) {
			t.Errorf("gateway-capacity lacks %q:\n%s", want, got)
		}
	}
}
