package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/portsim/portsim/internal/format"
	"github.com/portsim/portsim/report"
	"github.com/portsim/portsim/sim"
	"github.com/spf13/pflag"
)

// demoSettings is the built-in teaching scenario: a busy client (an API
// gateway, say) opening short HTTPS connections to three servers, one of
// them hot, and closing them itself, so every 4-tuple waits out TIME_WAIT.
// It is small enough to run in a few seconds and busy enough that the
// strategies differ in reuse, collisions and predictability.
var demoSettings = [][2]string{
	{"name", "demo"},
	{"duration", "120s"},
	{"rate", "300"},
	{"arrivals", "poisson"},
	{"lifetime", "exp:200ms"},
	{"destinations", "3"},
	{"popularity", "zipf:1.5"},
	{"dst-port", "443"},
	{"close", "client"},
	{"time-wait", "60s"},
	{"tw-reuse", "off"},
	{"range", "32768-60999"},
}

func demoScenario(seed string) (sim.Scenario, error) {
	sc := sim.DefaultScenario()
	for _, kv := range append(demoSettings, [2]string{"seed", seed}) {
		if err := sc.Set(kv[0], kv[1]); err != nil {
			return sc, err
		}
	}
	sc.Strategies = append([]string(nil), compareStrategies...)
	return sc, sc.Validate()
}

// demoSweep is the demo's capacity question, "how many connections a second
// to one server before EADDRNOTAVAIL?": the demo's client and strategies
// with one destination, over rates around the range's limit (471/s:
// 28,232 ports over 60 s of TIME_WAIT), long enough to fill TIME_WAIT.
func demoSweep(sc sim.Scenario) (*sim.Sweep, error) {
	for _, kv := range [][2]string{{"destinations", "1"}, {"duration", "90s"}, {"warmup", "0s"}} {
		if err := sc.Set(kv[0], kv[1]); err != nil {
			return nil, err
		}
	}
	g, err := sim.ParseVary("rate=200:1000:200")
	if err != nil {
		return nil, err
	}
	sw := &sim.Sweep{Base: sc, Grid: g}
	return sw, sw.Check()
}

func init() {
	register(&command{
		name:    "demo",
		summary: "compare the main strategies on a built-in teaching scenario",
		args:    "[--out DIR] [--seed N]",
		about: `Demo simulates a busy client — 300 new HTTPS connections a second to three
servers, one of them hot, each closed by the client after about 200 ms so
its 4-tuple waits 60 s in TIME_WAIT — once with each of sequential, random,
hashed and linux, on the same workload. It prints the comparison table and
a few findings in plain words. Then it asks how many connections a second
one server takes before EADDRNOTAVAIL: the same client and strategies with
one destination at 200 to 1000 a second (a small sweep), and says where
each first fails. It writes into --out: results.json, timeseries.csv,
allocations.csv, a PNG of each chart (the capacity curve among them), and
report.html, a self-contained page that explains every chart.

To vary it, use 'portsim compare' with the same flags as 'portsim run'.`,
		examples: `portsim demo
portsim demo --out /tmp/portsim --seed 7`,
		setup: func(fs *pflag.FlagSet) action {
			out := fs.String("out", "portsim-out", "write results into `DIR`")
			seed := fs.String("seed", "1", "seed of the workload and the strategies, a whole number `N`")
			return func(e *env, args []string) error {
				if len(args) > 0 {
					return usagef("unexpected argument %q; demo takes only flags", args[0])
				}
				if err := checkOutputs(outDirs("out", *out)); err != nil {
					return err
				}
				sc, err := demoScenario(*seed)
				if err != nil {
					return flagError("seed", err)
				}
				fmt.Fprintf(e.stdout, "Scenario: %s\n\n", describeScenario(&sc))
				res, err := simulate(e, sc, sim.Options{KeepSamples: 100000})
				if err != nil {
					return err
				}
				if err := writeTable(e.stdout, res); err != nil {
					return err
				}
				fmt.Fprintln(e.stdout, "\nFindings:")
				for _, f := range report.Findings(res) {
					fmt.Fprintf(e.stdout, "  - %s\n", f)
				}
				if _, err := writeOutDir(*out, res); err != nil {
					return fmt.Errorf("--out: %w", err)
				}
				var sweeps []*sim.SweepResult
				if !res.Partial {
					sw, err := demoSweep(sc)
					if err != nil {
						return err
					}
					fmt.Fprintf(e.stdout, "\nCapacity to one server: the same client and strategies with one destination, at rates %s/s for 90 s ...\n",
						strings.Join(sweepValues(sw), ", "))
					swr, err := sw.Run(context.Background(), sim.SweepOptions{})
					if err != nil {
						return err
					}
					writeDemoCapacity(e.stdout, swr)
					sweeps = append(sweeps, swr)
				}
				paths, err := saveCharts(*out, "png", charts([]*sim.Result{res}, sweeps))
				if err != nil {
					return fmt.Errorf("--out: %w", err)
				}
				page := filepath.Join(*out, "report.html")
				if err := writeReport(page, &inputs{results: []*sim.Result{res}, sweeps: sweeps}); err != nil {
					return fmt.Errorf("--out: %w", err)
				}
				dir := strings.TrimRight(*out, "/")
				fmt.Fprintf(e.stdout, "\nWrote results, %d charts and the report to %s/:\n  open %s\n", len(paths), dir, page)
				return interrupted(res.Partial)
			}
		},
	})
}

// describeScenario says in one sentence what is simulated.
func describeScenario(sc *sim.Scenario) string {
	return fmt.Sprintf("%s arrivals at %g/s for %s, lifetime %s, %s (%s) on port %s, closed by %s, TIME_WAIT %s, range %s",
		sc.Get("arrivals"), sc.Arrivals.Rate, sc.Get("duration"), sc.Get("lifetime"), format.Plural(sc.Destinations, "destination"),
		sc.Get("popularity"), sc.Get("dst-port"), sc.Get("close"), sc.Get("time-wait"), sc.Get("range"))
}

// sweepValues are a one-field sweep's values, in order.
func sweepValues(sw *sim.Sweep) []string {
	var vs []string
	for _, p := range sw.Grid.Points {
		vs = append(vs, p[0])
	}
	return vs
}

// writeDemoCapacity says, per strategy, the highest rate of the sweep that
// no request failed at, and the first that did.
func writeDemoCapacity(w io.Writer, sw *sim.SweepResult) {
	type span struct{ ok, failed string }
	var order []string
	by := map[string]*span{}
	for _, r := range sw.Rows {
		s, seen := by[r.Strategy]
		if !seen {
			s = &span{}
			by[r.Strategy] = s
			order = append(order, r.Strategy)
		}
		switch {
		case r.Failures == 0 && s.failed == "":
			s.ok = r.Value
		case r.Failures > 0 && s.failed == "":
			s.failed = fmt.Sprintf("%s/s (%s refused)", r.Value, format.Percent(r.FailureRate, 1))
		}
	}
	for _, name := range order {
		s := by[name]
		line := "  - " + name + ": "
		switch {
		case s.failed == "":
			line += "no failure up to " + s.ok + "/s"
		case s.ok == "":
			line += "failures from " + s.failed
		default:
			line += "no failure at " + s.ok + "/s; failures from " + s.failed
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintln(w, "  (the capacity chart and the report show the curve)")
}
