// Script tests pin the simulator's exact output, so that refactoring the
// field table (fields.go), the scenario value types (arrivals, lifetime,
// popularity, shares, strategy specs) or the strategy/profile resolution
// in engine.go can be shown to change nothing. Each file in
// testdata/script is a datadriven script (github.com/cockroachdb/datadriven)
// of these commands:
//
//	run [preset=NAME] [strategies=SPEC,...] [FIELD=VALUE ...]
//	    Runs the preset (default: DefaultScenario) with the fields set as
//	    the CLI sets them (Scenario.Set), and prints the results table:
//	    one column per strategy, one row per scalar metric of
//	    StrategyResult and its Host rules, and for each slice a digest
//	    (length, sums and an FNV-32a hash of its values as text), so any
//	    change to any number shows. The first attempts are kept as
//	    Samples and digested too, which pins the exact ports chosen.
//	scenario [preset=NAME] [FIELD=VALUE ...]
//	    Prints Scenario.Resolved() (every field's canonical text) and what
//	    Validate says of the scenario.
//	parse [preset=NAME]
//	    Input: one FIELD=VALUE a line (VALUE may be a Go-quoted string,
//	    for empty values and spaces). Each is set on a fresh copy of the
//	    scenario; prints the field's canonical value after it, any other
//	    field the setting changed, or the exact error text.
//	file [preset=NAME]
//	    Input: a YAML scenario file, applied with ParseFile. Prints the
//	    fields it changed, or the exact error text.
//	presets, fields
//	    Print the preset table and the field table (name, type, help).
//	vary
//	    Input: one --vary spec a line; prints its values or the error.
//	sweep [preset=NAME] [strategies=SPEC,...] [FIELD=VALUE ...]
//	    Input: one --vary spec a line. Sweeps the product on one job, on
//	    three and as three merged shards (they must agree), and prints a
//	    row per run (script_sweep_test.go).
//
// A field name that is not a field, a preset that does not exist, a
// setting the scenario refuses in run or scenario, or a run that fails
// fails the test. Floats are printed with 10 significant digits. The
// output does not depend on GOMAXPROCS (Run's strategies run in parallel
// but each result has its own slot).
//
// Regenerate the expected output after an intended change with
//
//	go test ./sim -run TestScript -rewrite
//
// and review the diff: every changed line is a changed result.
package sim_test

import (
	"context"
	"fmt"
	"hash"
	"hash/fnv"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/portsim/portsim/internal/format"
	"github.com/portsim/portsim/sim"
)

// keepSamples is how many allocation attempts per strategy a run keeps for
// the samples digest.
const keepSamples = 2000

func TestScript(t *testing.T) {
	datadriven.Walk(t, "testdata/script", func(t *testing.T, path string) {
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "run":
				return scriptRun(t, d)
			case "scenario":
				return scriptScenario(t, d)
			case "parse":
				return scriptParse(t, d)
			case "file":
				return scriptFile(t, d)
			case "presets":
				noArgs(t, d)
				return scriptPresets()
			case "fields":
				noArgs(t, d)
				return scriptFields()
			case "vary":
				return scriptVary(t, d)
			case "sweep":
				return scriptSweep(t, d)
			}
			d.Fatalf(t, "unknown command %q; want run, scenario, parse, file, presets, fields, vary or sweep", d.Cmd)
			return ""
		})
	})
}

func noArgs(t *testing.T, d *datadriven.TestData) {
	if len(d.CmdArgs) > 0 || d.Input != "" {
		d.Fatalf(t, "%s takes no arguments and no input", d.Cmd)
	}
}

// argVal is an argument's value; (a, b) lists are joined with commas.
func argVal(t *testing.T, d *datadriven.TestData, a datadriven.CmdArg) string {
	if len(a.Vals) == 0 {
		d.Fatalf(t, "argument %q has no value; want %s=VALUE", a.Key, a.Key)
	}
	return strings.Join(a.Vals, ",")
}

// baseScenario is the preset= argument's scenario (DefaultScenario when
// there is none, or it is "default").
func baseScenario(t *testing.T, d *datadriven.TestData) sim.Scenario {
	name := "default"
	n := 0
	for _, a := range d.CmdArgs {
		if a.Key == "preset" {
			name = argVal(t, d, a)
			n++
		}
	}
	if n > 1 {
		d.Fatalf(t, "preset is given %d times; want it at most once", n)
	}
	if name == "default" {
		return sim.DefaultScenario()
	}
	sc, err := sim.PresetScenario(name)
	if err != nil {
		d.Fatalf(t, "%v", err)
	}
	return sc
}

// buildScenario is baseScenario with every other argument set as a field,
// in order; "strategies" is the strategy field. Input is not allowed.
func buildScenario(t *testing.T, d *datadriven.TestData) sim.Scenario {
	if d.Input != "" {
		d.Fatalf(t, "%s takes no input", d.Cmd)
	}
	sc := baseScenario(t, d)
	for _, a := range d.CmdArgs {
		name := a.Key
		switch name {
		case "preset":
			continue
		case "strategies":
			name = "strategy"
		}
		if _, ok := sim.LookupField(name); !ok {
			d.Fatalf(t, "argument %q is not preset, strategies or a field (%s)", a.Key, strings.Join(sim.FieldNames(), ", "))
		}
		if err := sc.Set(name, argVal(t, d, a)); err != nil {
			d.Fatalf(t, "%v", err)
		}
	}
	return sc
}

// --- run ---

func scriptRun(t *testing.T, d *datadriven.TestData) string {
	sc := buildScenario(t, d)
	res, err := sim.Run(context.Background(), sc, sim.Options{KeepSamples: keepSamples})
	if err != nil {
		d.Fatalf(t, "run: %v", err)
	}
	if res.Schema != sim.Schema || res.Partial || len(res.Results) != len(sc.Strategies) {
		d.Fatalf(t, "run: schema %q, partial %v, %d results for %d strategies", res.Schema, res.Partial, len(res.Results), len(sc.Strategies))
	}
	rows := [][]string{{"strategy"}}
	add := func(name string, cell func(r *sim.StrategyResult) string) {
		row := []string{name}
		for i := range res.Results {
			row = append(row, cell(&res.Results[i]))
		}
		rows = append(rows, row)
	}
	for _, r := range res.Results {
		rows[0] = append(rows[0], r.Strategy)
	}
	add("host.range", func(r *sim.StrategyResult) string { return r.Host.Range.String() })
	add("host.usable-ports", func(r *sim.StrategyResult) string { return itoa(r.Host.UsablePorts) })
	add("host.time-wait-s", func(r *sim.StrategyResult) string { return ftoa(r.Host.TimeWaitSeconds) })
	add("host.tw-reuse", func(r *sim.StrategyResult) string { return r.Host.TWReuse })
	add("host.limit-rate", func(r *sim.StrategyResult) string { return ftoa(r.Host.LimitRate()) })
	add("allocations", func(r *sim.StrategyResult) string { return itoa(r.Allocations) })
	add("failures", func(r *sim.StrategyResult) string { return itoa(r.Failures) })
	add("failure-rate", func(r *sim.StrategyResult) string { return ftoa(r.FailureRate) })
	add("probes.mean", func(r *sim.StrategyResult) string { return ftoa(r.ProbesMean) })
	add("probes.p50", func(r *sim.StrategyResult) string { return itoa(r.ProbesP50) })
	add("probes.p99", func(r *sim.StrategyResult) string { return itoa(r.ProbesP99) })
	add("probes.max", func(r *sim.StrategyResult) string { return itoa(r.ProbesMax) })
	add("collision-rate", func(r *sim.StrategyResult) string { return ftoa(r.CollisionRate) })
	add("reuse.count", func(r *sim.StrategyResult) string { return itoa(r.ReuseCount) })
	add("reuse.min-s", func(r *sim.StrategyResult) string { return ftoa(r.ReuseMinSeconds) })
	add("reuse.p1-s", func(r *sim.StrategyResult) string { return ftoa(r.ReuseP1Seconds) })
	add("reuse.p50-s", func(r *sim.StrategyResult) string { return ftoa(r.ReuseP50Seconds) })
	// The kept sample: its size and its median, which moves with any change
	// in what it keeps.
	add("reuse.sample", func(r *sim.StrategyResult) string {
		if len(r.ReuseSample) == 0 {
			return "0"
		}
		return itoa(len(r.ReuseSample)) + "/" + ftoa(r.ReuseSample[len(r.ReuseSample)/2])
	})
	add("tw-reuses", func(r *sim.StrategyResult) string { return itoa(r.TWReuses) })
	add("occupancy.mean", func(r *sim.StrategyResult) string { return ftoa(r.OccupancyMean) })
	add("established.mean", func(r *sim.StrategyResult) string { return ftoa(r.EstablishedMean) })
	add("uniformity-p", func(r *sim.StrategyResult) string { return ftoa(r.UniformityP) })
	add("entropy.same-dst", func(r *sim.StrategyResult) string { return ftoa(r.EntropySameDst) })
	add("entropy.cross-dst", func(r *sim.StrategyResult) string { return ftoa(r.EntropyCrossDst) })
	add("guess.same-dst", func(r *sim.StrategyResult) string { return ftoa(r.GuessSameDst) })
	add("guess.cross-dst", func(r *sim.StrategyResult) string { return ftoa(r.GuessCrossDst) })
	add("pairs.same-dst", func(r *sim.StrategyResult) string { return itoa(r.PairsSameDst) })
	add("pairs.cross-dst", func(r *sim.StrategyResult) string { return itoa(r.PairsCrossDst) })
	addDigest := func(name string, d func(r *sim.StrategyResult) []kv) {
		for j, c := range d(&res.Results[0]) {
			add(name+"."+c.k, func(r *sim.StrategyResult) string { return d(r)[j].v })
		}
	}
	addDigest("probes-hist", func(r *sim.StrategyResult) []kv { return digestInts(r.ProbesHist) })
	addDigest("reuse-hist", func(r *sim.StrategyResult) []kv { return digestBuckets(r.ReuseHist) })
	addDigest("port-usage", func(r *sim.StrategyResult) []kv { return digestBuckets(r.PortUsage) })
	addDigest("occupancy", func(r *sim.StrategyResult) []kv { return digestOccupancy(r.Occupancy) })
	addDigest("by-occupancy", func(r *sim.StrategyResult) []kv { return digestByOccupancy(r.ByOccupancy) })
	addDigest("samples", func(r *sim.StrategyResult) []kv { return digestSamples(r.Samples, r.SamplesTruncated) })
	add("first-ports", func(r *sim.StrategyResult) string { return firstPorts(r.Samples, 4) })
	if res.Results[0].Gateway != nil {
		addGatewayRows(add, addDigest)
	}
	return format.Table(rows)
}

// addGatewayRows adds a row per figure of StrategyResult.Gateway, for runs
// behind a gateway.
func addGatewayRows(add func(string, func(*sim.StrategyResult) string), addDigest func(string, func(*sim.StrategyResult) []kv)) {
	g := func(f func(g *sim.GatewayResult) string) func(*sim.StrategyResult) string {
		return func(r *sim.StrategyResult) string { return f(r.Gateway) }
	}
	add("gw.policy", g(func(g *sim.GatewayResult) string { return g.Policy }))
	add("gw.hosts", g(func(g *sim.GatewayResult) string { return itoa(g.Hosts) }))
	add("gw.public-ips", g(func(g *sim.GatewayResult) string { return itoa(g.PublicIPs) }))
	add("gw.range", g(func(g *sim.GatewayResult) string { return g.Range.String() }))
	add("gw.limit", g(func(g *sim.GatewayResult) string { return itoa(g.Limit) }))
	add("gw.mapping", g(func(g *sim.GatewayResult) string { return g.Mapping }))
	add("gw.filtering", g(func(g *sim.GatewayResult) string { return g.Filtering }))
	add("gw.holds-s", g(func(g *sim.GatewayResult) string {
		return strings.Join([]string{ftoa(g.ClosingSeconds), ftoa(g.ResetSeconds), ftoa(g.UDPSeconds), ftoa(g.EstablishedSeconds)}, "/")
	}))
	add("gw.window-s", g(func(g *sim.GatewayResult) string { return ftoa(g.WindowSeconds) }))
	add("gw.allocations", g(func(g *sim.GatewayResult) string { return itoa(g.Allocations) }))
	add("gw.failures", g(func(g *sim.GatewayResult) string { return itoa(g.Failures) }))
	add("gw.failure-name", g(func(g *sim.GatewayResult) string { return g.FailureName }))
	add("gw.failure-rate", g(func(g *sim.GatewayResult) string { return ftoa(g.FailureRate) }))
	add("gw.insert-failed", g(func(g *sim.GatewayResult) string { return itoa(g.InsertFailed) }))
	add("gw.conflicts", g(func(g *sim.GatewayResult) string { return itoa(g.Conflicts) }))
	add("gw.mappings", g(func(g *sim.GatewayResult) string { return itoa(g.Mappings) }))
	add("gw.probes-mean", g(func(g *sim.GatewayResult) string { return ftoa(g.ProbesMean) }))
	add("gw.preserved", g(func(g *sim.GatewayResult) string { return ftoa(g.Preserved) }))
	add("gw.log-records", g(func(g *sim.GatewayResult) string { return itoa(g.LogRecords) }))
	add("gw.log-records-per-mapping", g(func(g *sim.GatewayResult) string { return itoa(g.LogRecordsPerMapping) }))
	add("gw.idle-timeouts", g(func(g *sim.GatewayResult) string { return itoa(g.IdleTimeouts) }))
	add("gw.ports-in-use-max", g(func(g *sim.GatewayResult) string { return joinInts(g.PortsInUseMax) }))
	add("gw.host-flows-max", g(func(g *sim.GatewayResult) string { return itoa(g.HostFlowsMax) }))
	add("gw.host-flows-mean", g(func(g *sim.GatewayResult) string { return ftoa(g.HostFlowsMean) }))
	add("gw.host-held-max", g(func(g *sim.GatewayResult) string { return itoa(g.HostHeldMax) }))
	add("gw.busiest-max", g(func(g *sim.GatewayResult) string { return itoa(g.BusiestMax) }))
	add("gw.busiest-share", g(func(g *sim.GatewayResult) string { return ftoa(g.BusiestShare) }))
	add("gw.entropy.same-dst", g(func(g *sim.GatewayResult) string { return ftoa(g.EntropySameDst) }))
	add("gw.entropy.cross-dst", g(func(g *sim.GatewayResult) string { return ftoa(g.EntropyCrossDst) }))
	add("gw.guess.same-dst", g(func(g *sim.GatewayResult) string { return ftoa(g.GuessSameDst) }))
	add("gw.pairs.same-dst", g(func(g *sim.GatewayResult) string { return itoa(g.PairsSameDst) }))
	addDigest("gw.series", func(r *sim.StrategyResult) []kv { return digestGatewaySeries(r.Gateway.Series) })
	addDigest("gw.samples", func(r *sim.StrategyResult) []kv { return digestPublic(r.Samples) })
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = itoa(n)
	}
	return strings.Join(s, ",")
}

func digestGatewaySeries(ss []sim.GatewaySample) []kv {
	g := newDigest()
	var flows, fails, ins int
	for _, s := range ss {
		g.add(ftoa(s.TimeSeconds), joinInts(s.PortsInUse), itoa(s.Flows), itoa(s.HostMax), itoa(s.Busiest), itoa(s.Failures), itoa(s.InsertFailed))
		flows, fails, ins = flows+s.Flows, fails+s.Failures, ins+s.InsertFailed
	}
	return []kv{{"len", itoa(len(ss))}, {"flows-sum", itoa(flows)}, {"failures-sum", itoa(fails)}, {"insert-failed-sum", itoa(ins)}, {"fnv", g.String()}}
}

// digestPublic covers the gateway's part of the kept attempts: each one's
// host and public endpoint.
func digestPublic(as []sim.Alloc) []kv {
	g, ports := newDigest(), 0
	for _, a := range as {
		g.add(itoa(a.Host), itoa(a.PublicAddr), itoa(int(a.PublicPort)))
		ports += int(a.PublicPort)
	}
	return []kv{{"public-port-sum", itoa(ports)}, {"fnv", g.String()}}
}

func itoa(n int) string { return strconv.Itoa(n) }

// ftoa prints a float with 10 significant digits: exact enough to show
// any real change, and stable against last-bit differences.
func ftoa(f float64) string {
	if f == 0 {
		return "0" // and -0
	}
	return strconv.FormatFloat(f, 'g', 10, 64)
}

// digest is an FNV-32a hash of values written as text, so a last-bit
// difference that ftoa hides does not show either.
type digest struct{ h hash.Hash32 }

func newDigest() *digest { return &digest{h: fnv.New32a()} }

func (g *digest) add(parts ...string) {
	for _, p := range parts {
		io.WriteString(g.h, p)
		g.h.Write([]byte{0})
	}
	g.h.Write([]byte{'\n'})
}

func (g *digest) String() string { return fmt.Sprintf("#%08x", g.h.Sum32()) }

// kv is one figure of a digest: a row of the results table.
type kv struct{ k, v string }

func digestInts(v []int) []kv {
	g, sum, last := newDigest(), 0, -1
	for i, n := range v {
		g.add(itoa(n))
		sum += n
		if n != 0 {
			last = i
		}
	}
	return []kv{{"len", itoa(len(v))}, {"sum", itoa(sum)}, {"last-nonzero", itoa(last + 1)}, {"fnv", g.String()}}
}

func digestBuckets(bs []sim.Bucket) []kv {
	g, sum, nonzero := newDigest(), 0, 0
	for _, b := range bs {
		g.add(ftoa(b.Lo), ftoa(b.Hi), itoa(b.Count))
		sum += b.Count
		if b.Count != 0 {
			nonzero++
		}
	}
	return []kv{{"len", itoa(len(bs))}, {"sum", itoa(sum)}, {"nonzero", itoa(nonzero)}, {"fnv", g.String()}}
}

func digestOccupancy(ss []sim.Sample) []kv {
	g := newDigest()
	var est, tw, udp, fail, busiest int
	for _, s := range ss {
		g.add(ftoa(s.TimeSeconds), itoa(s.Established), itoa(s.TimeWait), itoa(s.UDP), itoa(s.Failures), itoa(s.BusiestDst))
		est, tw, udp, fail = est+s.Established, tw+s.TimeWait, udp+s.UDP, fail+s.Failures
		busiest = max(busiest, s.BusiestDst)
	}
	return []kv{{"len", itoa(len(ss))}, {"established-sum", itoa(est)}, {"time-wait-sum", itoa(tw)},
		{"udp-sum", itoa(udp)}, {"failures-sum", itoa(fail)}, {"busiest-dst-max", itoa(busiest)}, {"fnv", g.String()}}
}

func digestByOccupancy(bs []sim.OccupancyBin) []kv {
	g := newDigest()
	var att, col, probes int
	for _, b := range bs {
		g.add(ftoa(b.Lo), ftoa(b.Hi), itoa(b.Attempts), itoa(b.Collisions), itoa(b.Probes))
		att, col, probes = att+b.Attempts, col+b.Collisions, probes+b.Probes
	}
	return []kv{{"len", itoa(len(bs))}, {"attempts", itoa(att)}, {"collisions", itoa(col)},
		{"probes", itoa(probes)}, {"fnv", g.String()}}
}

// digestSamples covers every field of the kept attempts: the ports chosen,
// in order.
func digestSamples(as []sim.Alloc, truncated bool) []kv {
	g, ports := newDigest(), 0
	for _, a := range as {
		g.add(itoa(a.N), ftoa(a.TimeSeconds), itoa(a.Dst), itoa(a.Src), a.Kind, itoa(int(a.Port)), itoa(a.Probes))
		ports += int(a.Port)
	}
	return []kv{{"len", itoa(len(as))}, {"truncated", strconv.FormatBool(truncated)}, {"port-sum", itoa(ports)}, {"fnv", g.String()}}
}

func firstPorts(as []sim.Alloc, n int) string {
	var ps []string
	for _, a := range as[:min(n, len(as))] {
		ps = append(ps, itoa(int(a.Port)))
	}
	return strings.Join(ps, ",")
}

// --- scenario ---

func scriptScenario(t *testing.T, d *datadriven.TestData) string {
	sc := buildScenario(t, d)
	var b strings.Builder
	for _, f := range sc.Resolved() {
		fmt.Fprintf(&b, "%s=%s\n", f.Name, f.Value)
	}
	writeErr(&b, "validate", sc.Validate())
	return b.String()
}

// writeErr writes "what: ok" or the error, one line of it a line.
func writeErr(b *strings.Builder, what string, err error) {
	if err == nil {
		fmt.Fprintf(b, "%s: ok\n", what)
		return
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		fmt.Fprintf(b, "%s: error: %s\n", what, line)
	}
}

// --- parse ---

func scriptParse(t *testing.T, d *datadriven.TestData) string {
	for _, a := range d.CmdArgs {
		if a.Key != "preset" {
			d.Fatalf(t, "parse takes only preset=NAME, not %q", a.Key)
		}
	}
	base := baseScenario(t, d)
	var b strings.Builder
	for _, line := range strings.Split(d.Input, "\n") {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			d.Fatalf(t, "parse: %q; want FIELD=VALUE", line)
		}
		if strings.HasPrefix(value, `"`) {
			v, err := strconv.Unquote(value)
			if err != nil {
				d.Fatalf(t, "parse: %q: bad quoted value: %v", line, err)
			}
			value = v
		}
		sc := cloneScenario(base)
		before := sc.Resolved()
		err := sc.Set(name, value)
		switch {
		case err != nil:
			fmt.Fprintf(&b, "%s -> error: %s\n", line, err)
			// On error Set leaves the scenario as it was.
			for _, f := range changedFields(before, sc.Resolved()) {
				fmt.Fprintf(&b, "  but %s changed to %s\n", f.Name, f.Value)
			}
		default:
			fmt.Fprintf(&b, "%s -> %s", line, sc.Get(name))
			for _, f := range changedFields(before, sc.Resolved()) {
				if f.Name != name {
					fmt.Fprintf(&b, " [also %s=%s]", f.Name, f.Value)
				}
			}
			b.WriteByte('\n')
			// Set must leave a value that sets back to itself.
			again := cloneScenario(sc)
			if err := again.Set(name, sc.Get(name)); err != nil || again.Get(name) != sc.Get(name) {
				fmt.Fprintf(&b, "  round trip: %q -> %q, %v\n", sc.Get(name), again.Get(name), err)
			}
		}
	}
	return b.String()
}

// changedFields lists the fields of after whose values differ from
// before's, or that before leaves out (Resolved omits the gateway's fields
// without a gateway), in after's order.
func changedFields(before, after []sim.Field) []sim.Field {
	was := map[string]string{}
	for _, f := range before {
		was[f.Name] = f.Value
	}
	var out []sim.Field
	for _, f := range after {
		if v, ok := was[f.Name]; !ok || v != f.Value {
			out = append(out, f)
		}
	}
	return out
}

// cloneScenario copies sc's slices too, so settings on the copy cannot
// reach the original (Set assigns fresh slices, but this does not rely on
// it).
func cloneScenario(sc sim.Scenario) sim.Scenario {
	c := sc
	c.DstPorts = append(c.DstPorts[:0:0], sc.DstPorts...)
	c.Srcs = append(c.Srcs[:0:0], sc.Srcs...)
	c.Kinds = append(c.Kinds[:0:0], sc.Kinds...)
	c.Close = append(c.Close[:0:0], sc.Close...)
	c.Reserved = append(c.Reserved[:0:0], sc.Reserved...)
	c.Strategies = append(c.Strategies[:0:0], sc.Strategies...)
	return c
}

// --- file ---

func scriptFile(t *testing.T, d *datadriven.TestData) string {
	for _, a := range d.CmdArgs {
		if a.Key != "preset" {
			d.Fatalf(t, "file takes only preset=NAME, not %q", a.Key)
		}
	}
	sc := baseScenario(t, d)
	before := sc.Resolved()
	err := sim.ParseFile("scenario.yaml", []byte(d.Input), &sc)
	var b strings.Builder
	if err != nil {
		writeErr(&b, "file", err)
		return b.String()
	}
	changed := false
	for _, f := range changedFields(before, sc.Resolved()) {
		fmt.Fprintf(&b, "%s=%s\n", f.Name, f.Value)
		changed = true
	}
	if !changed {
		b.WriteString("no change\n")
	}
	writeErr(&b, "validate", sc.Validate())
	return b.String()
}

// --- tables ---

func scriptPresets() string {
	var b strings.Builder
	for _, p := range sim.Presets() {
		fmt.Fprintf(&b, "%s: %s\n", p.Name, p.Description)
	}
	return b.String()
}

func scriptFields() string {
	var b strings.Builder
	for _, f := range sim.Fields() {
		fmt.Fprintf(&b, "%s (%s): %s\n", f.Name, f.Type, f.Help)
	}
	return b.String()
}
