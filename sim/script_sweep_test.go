package sim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/portsim/portsim/sim"
)

// scriptVary is the vary command: each input line is a --vary spec,
// printed with its values (the first and last four of a long list) or
// the exact error.
func scriptVary(t *testing.T, d *datadriven.TestData) string {
	if len(d.CmdArgs) > 0 {
		d.Fatalf(t, "vary takes no arguments; want one --vary spec a line")
	}
	var b strings.Builder
	for _, spec := range strings.Split(strings.TrimSpace(d.Input), "\n") {
		g, err := sim.ParseVary(spec)
		if err != nil {
			fmt.Fprintf(&b, "%s -> error: %v\n", spec, err)
			continue
		}
		var values []string
		for _, p := range g.Points {
			values = append(values, fmt.Sprintf("%q", p[0]))
		}
		if n := len(values); n > 8 {
			values = append(append(values[:4:4], fmt.Sprintf("... (%d in all)", n)), values[n-4:]...)
		}
		fmt.Fprintf(&b, "%s -> %s: %s\n", spec, g.Fields[0], strings.Join(values, " "))
	}
	return b.String()
}

// scriptSweep is the sweep command: the scenario from the arguments, as
// run builds it, swept over the product of the input's --vary specs (one
// a line). It runs the sweep on one job, on three and as three shards
// merged, fails the test unless the three give the same rows, and prints
// the fields, the runs and a row per run: the point, kind, strategy,
// allocations, failures, mean probes and the range / TIME_WAIT limit.
func scriptSweep(t *testing.T, d *datadriven.TestData) string {
	args := *d
	args.Input = ""
	sw := sim.Sweep{Base: buildScenario(t, &args)}
	var grids []sim.Grid
	for _, spec := range strings.Split(strings.TrimSpace(d.Input), "\n") {
		g, err := sim.ParseVary(spec)
		if err != nil {
			d.Fatalf(t, "%v", err)
		}
		grids = append(grids, g)
	}
	g, err := sim.Product(grids...)
	if err != nil {
		d.Fatalf(t, "%v", err)
	}
	sw.Grid = g
	ctx := context.Background()
	rows := func(res *sim.SweepResult) string {
		b, err := json.Marshal(res)
		if err != nil {
			d.Fatalf(t, "%v", err)
		}
		return string(b)
	}
	one, err := sw.Run(ctx, sim.SweepOptions{Jobs: 1})
	if err != nil {
		d.Fatalf(t, "sweep: %v", err)
	}
	three, err := sw.Run(ctx, sim.SweepOptions{Jobs: 3})
	if err != nil {
		d.Fatalf(t, "sweep --jobs 3: %v", err)
	}
	if rows(three) != rows(one) {
		d.Fatalf(t, "sweep: 3 jobs give other rows than 1")
	}
	var parts []*sim.SweepPart
	for i := range 3 {
		sh := sim.Shard{Index: i, Count: 3}
		res, err := sw.Run(ctx, sim.SweepOptions{Shard: sh})
		if err != nil {
			d.Fatalf(t, "sweep shard %s: %v", sh, err)
		}
		b, _ := json.Marshal(sw.Part(res, sh))
		p, err := sim.ReadPart(sim.PartFile(sh), b)
		if err != nil {
			d.Fatalf(t, "%v", err)
		}
		parts = append(parts, p)
	}
	_, merged, err := sim.Merge(parts)
	if err != nil {
		d.Fatalf(t, "merge: %v", err)
	}
	if rows(merged) != rows(one) {
		d.Fatalf(t, "sweep: 3 shards merged give other rows than the sweep")
	}

	var b strings.Builder
	fmt.Fprintf(&b, "fields: %s\nruns: %d\n", strings.Join(one.Fields(), " "), sw.Runs())
	for _, r := range one.Rows {
		point := make([]string, len(one.Fields()))
		for i, f := range one.Fields() {
			point[i] = f + "=" + r.Values()[i]
		}
		fmt.Fprintf(&b, "%s | %s %s | allocs %d fails %d probes %s limit %s\n",
			strings.Join(point, " "), r.Kind, r.Strategy, r.Allocations, r.Failures, ftoa(r.ProbesMean), ftoa(r.LimitRate))
	}
	return b.String()
}
