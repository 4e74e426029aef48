package main

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

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
			seed := fs.String("seed", "1", "workload and strategy `SEED`")
			return func(e *env, args []string) error {
				if len(args) > 0 {
					return usagef("unexpected argument %q; demo takes only flags", args[0])
				}
				sc, err := demoScenario(*seed)
				if err != nil {
					return &usageError{err: err}
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
				for _, f := range findings(res, &sc) {
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
				if err := writeReport(page, []*sim.Result{res}, nil); err != nil {
					return fmt.Errorf("--out: %w", err)
				}
				dir := strings.TrimRight(*out, "/")
				fmt.Fprintf(e.stdout, "\nWrote results, %d charts and the report to %s/:\n  open %s\n", len(paths), dir, page)
				return nil
			}
		},
	})
}

// describeScenario says in one sentence what is simulated.
func describeScenario(sc *sim.Scenario) string {
	return fmt.Sprintf("%s arrivals at %g/s for %s, lifetime %s, %d destination(s) (%s) on port %s, closed by %s, TIME_WAIT %s, range %s",
		sc.Get("arrivals"), sc.Arrivals.Rate, sc.Get("duration"), sc.Get("lifetime"), sc.Destinations,
		sc.Get("popularity"), sc.Get("dst-port"), sc.Get("close"), sc.Get("time-wait"), sc.Get("range"))
}

// findings turns a result into a few plain sentences, each comparing the
// strategies on one question a reader would ask.
func findings(res *sim.Result, sc *sim.Scenario) []string {
	rs := res.Results
	var out []string

	// How soon is a 4-tuple used again?
	byReuse := sortedBy(rs, func(r sim.StrategyResult) float64 {
		if r.ReuseMinSeconds < 0 {
			return 1e18
		}
		return r.ReuseMinSeconds
	})
	var parts []string
	for _, r := range byReuse {
		if r.ReuseMinSeconds < 0 {
			parts = append(parts, fmt.Sprintf("%s never", r.Strategy))
		} else {
			parts = append(parts, fmt.Sprintf("%s after %.1f s", r.Strategy, r.ReuseMinSeconds))
		}
	}
	out = append(out, fmt.Sprintf("Soonest reuse of a 4-tuple: %s (TIME_WAIT is %s, so nothing can come sooner without tw_reuse).",
		strings.Join(parts, "; "), sc.Get("time-wait")))

	// Did anyone run out?
	var failed []string
	for _, r := range rs {
		if r.Failures > 0 {
			failed = append(failed, fmt.Sprintf("%s failed %d times (%.2f%%)", r.Strategy, r.Failures, 100*r.FailureRate))
		}
	}
	if len(failed) > 0 {
		out = append(out, "Port exhaustion (EADDRNOTAVAIL): "+strings.Join(failed, "; ")+".")
	} else {
		out = append(out, "No strategy ran out of ports: every connection got one (EADDRNOTAVAIL never happened).")
	}

	// Who works hardest to find a port?
	byProbes := sortedBy(rs, func(r sim.StrategyResult) float64 { return -r.ProbesMean })
	parts = parts[:0]
	for _, r := range byProbes {
		parts = append(parts, fmt.Sprintf("%s %.2f (%.1f%% of picks collided)", r.Strategy, r.ProbesMean, 100*r.CollisionRate))
	}
	out = append(out, "Ports probed per connection, most first: "+strings.Join(parts, "; ")+
		". A collision is a candidate whose 4-tuple was still open or in TIME_WAIT.")

	// How guessable is the next port?
	byGuess := sortedBy(rs, func(r sim.StrategyResult) float64 { return -r.GuessSameDst })
	parts = parts[:0]
	for _, r := range byGuess {
		parts = append(parts, fmt.Sprintf("%s %.1f%% (%.1f bits)", r.Strategy, 100*r.GuessSameDst, r.EntropySameDst))
	}
	out = append(out, "Knowing one port, an observer guesses the next port to the same server right: "+
		strings.Join(parts, "; ")+". More bits, harder to guess.")
	return out
}

func sortedBy(rs []sim.StrategyResult, key func(sim.StrategyResult) float64) []sim.StrategyResult {
	out := append([]sim.StrategyResult(nil), rs...)
	sort.SliceStable(out, func(i, j int) bool { return key(out[i]) < key(out[j]) })
	return out
}
