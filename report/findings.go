package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/portsim/portsim/internal/format"
	"github.com/portsim/portsim/sim"
)

// Findings turns a run into a few plain sentences, each comparing the
// strategies on one question a reader would ask: how soon a 4-tuple comes
// back, whether anyone ran out of ports, who probes most, and how
// guessable the next port is. 'portsim demo' prints them under its table.
func Findings(res *sim.Result) []string {
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
		strings.Join(parts, "; "), scenarioField(res, "time-wait")))

	// Did anyone run out?
	var failed []string
	for _, r := range rs {
		if r.Failures > 0 {
			failed = append(failed, fmt.Sprintf("%s failed %d times (%s)", r.Strategy, r.Failures, format.Percent(r.FailureRate, 2)))
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
		parts = append(parts, fmt.Sprintf("%s %.2f (%s of picks collided)", r.Strategy, r.ProbesMean, format.Percent(r.CollisionRate, 1)))
	}
	out = append(out, "Ports probed per connection, most first: "+strings.Join(parts, "; ")+
		". A collision is a candidate whose 4-tuple was still open or in TIME_WAIT.")

	// How guessable is the next port?
	byGuess := sortedBy(rs, func(r sim.StrategyResult) float64 { return -r.GuessSameDst })
	parts = parts[:0]
	for _, r := range byGuess {
		parts = append(parts, fmt.Sprintf("%s %s (%.1f bits)", r.Strategy, format.Percent(r.GuessSameDst, 1), r.EntropySameDst))
	}
	out = append(out, "Knowing one port, an observer guesses the next port to the same server right: "+
		strings.Join(parts, "; ")+". More bits, harder to guess.")
	return out
}

// sortedBy is rs in ascending order of key, ties in rs's order.
func sortedBy(rs []sim.StrategyResult, key func(sim.StrategyResult) float64) []sim.StrategyResult {
	out := append([]sim.StrategyResult(nil), rs...)
	sort.SliceStable(out, func(i, j int) bool { return key(out[i]) < key(out[j]) })
	return out
}

// scenarioField is the value of the resolved scenario's field name.
func scenarioField(res *sim.Result, name string) string {
	for _, f := range res.Scenario {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}
