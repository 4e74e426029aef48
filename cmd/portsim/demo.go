package main

import (
	"fmt"
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

func init() {
	register(&command{
		name:    "demo",
		summary: "compare the main strategies on a built-in teaching scenario",
		args:    "[--out DIR] [--seed N]",
		about: `Demo simulates a busy client — 300 new HTTPS connections a second to three
servers, one of them hot, each closed by the client after about 200 ms so
its 4-tuple waits 60 s in TIME_WAIT — once with each of sequential, random,
hashed and linux, on the same workload. It prints the comparison table and
a few findings in plain words, and writes into --out: results.json,
timeseries.csv, allocations.csv, a PNG of each chart, and report.html, a
self-contained page that explains every chart.

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
				paths, err := saveCharts(*out, "png", charts([]*sim.Result{res}, nil))
				if err != nil {
					return fmt.Errorf("--out: %w", err)
				}
				page := filepath.Join(*out, "report.html")
				if err := writeReport(page, &inputs{results: []*sim.Result{res}}); err != nil {
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
