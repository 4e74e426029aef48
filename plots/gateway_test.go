package plots

import (
	"math"
	"strings"
	"testing"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/sim"
)

// gatewayFixture is a hand-built run behind a gateway with two public
// addresses: the busiest destination climbs to its limit and stays.
func gatewayFixture() *sim.Result {
	res := &sim.Result{Schema: sim.Schema}
	for _, name := range []string{"linux", "random"} {
		g := &sim.GatewayResult{Policy: "aws-nat", PublicIPs: 2, Limit: 500, Range: allocator.Range{Lo: 1024, Hi: 65535}}
		for i := range 120 {
			busy := min(10*i, 500)
			g.Series = append(g.Series, sim.GatewaySample{TimeSeconds: float64(i), PortsInUse: []int{busy + i, busy/2 + 3*i}, Busiest: busy})
		}
		res.Results = append(res.Results, sim.StrategyResult{Strategy: name, Gateway: g})
	}
	return res
}

// gatewaySweepFixture sweeps public addresses at 1000 offered per second
// with a 60 s hold and 20,000 connections per address and destination.
func gatewaySweepFixture() *sim.SweepResult {
	sw := &sim.SweepResult{Schema: sim.SweepSchema, Param: "public-ips"}
	for _, ips := range []int{1, 2, 3, 4} {
		carried := math.Min(1000, float64(ips)*20000/60)
		for _, s := range []string{"linux", "random"} {
			sw.Rows = append(sw.Rows, sim.SweepRow{Value: itoaPlain(ips), X: float64(ips), Kind: "connect", Strategy: s,
				Gateway: &sim.SweepGateway{Policy: "aws-nat", PublicIPs: ips, Allocations: int(carried * 60), Limit: 20000,
					Seconds: 60, OfferedRate: 1000, ClosingSeconds: 60, Ports: 64512}})
		}
	}
	return sw
}

func itoaPlain(n int) string { return string(rune('0' + n)) }

// TestGatewayGolden compares the gateway charts with their golden images.
func TestGatewayGolden(t *testing.T) {
	for _, c := range []*Chart{GatewayPorts(GatewaySeriesOf(gatewayFixture())), GatewayCapacity(gatewaySweepFixture())} {
		t.Run(c.Name, func(t *testing.T) { checkGolden(t, c) })
	}
}

// TestGatewayChartsEdges: no gateway, no rows, no samples: a note, never
// a panic.
func TestGatewayChartsEdges(t *testing.T) {
	empty := &sim.Result{Results: []sim.StrategyResult{{Strategy: "linux", Gateway: &sim.GatewayResult{PublicIPs: 1}}}}
	for _, c := range []*Chart{
		GatewayPorts(nil),
		GatewayPorts(GatewaySeriesOf(nil)),
		GatewayPorts(GatewaySeriesOf(empty)),
		GatewayCapacity(nil),
		GatewayCapacity(&sim.SweepResult{Param: "public-ips", Rows: []sim.SweepRow{{Value: "1", X: 1}}}),
		GatewayCapacity(&sim.SweepResult{Param: "gateway", Rows: []sim.SweepRow{{Value: "aws-nat", X: math.NaN(), Gateway: &sim.SweepGateway{}}}}),
	} {
		if c.err != nil {
			t.Fatalf("%s: building panicked: %v", c.Name, c.err)
		}
		if got := texts(t, c); !strings.Contains(got, c.Title) {
			t.Errorf("%s draws %q; want its title", c.Name, got)
		}
	}
	if n := len(GatewaySeriesOf(fixture())); n != 0 {
		t.Errorf("a run without a gateway has %d gateway series", n)
	}
}
