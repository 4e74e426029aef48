package report

import (
	"testing"

	"github.com/portsim/portsim/sim"
)

func TestFindings(t *testing.T) {
	res := &sim.Result{
		Scenario: []sim.Field{{Name: "rate", Value: "300"}, {Name: "time-wait", Value: "1m"}},
		Results: []sim.StrategyResult{
			{Strategy: "sequential", ReuseMinSeconds: 92.46, ProbesMean: 1, CollisionRate: 0, GuessSameDst: 0.995, EntropySameDst: 0.04},
			{Strategy: "random", ReuseMinSeconds: 60.04, Failures: 3, FailureRate: 0.000123, ProbesMean: 1.2345, CollisionRate: 0.0761, GuessSameDst: 0.0001, EntropySameDst: 14.6},
			{Strategy: "never", ReuseMinSeconds: -1, ProbesMean: 1.2345, CollisionRate: 0.5},
		},
	}
	want := []string{
		"Soonest reuse of a 4-tuple: random after 60.0 s; sequential after 92.5 s; never never (TIME_WAIT is 1m, so nothing can come sooner without tw_reuse).",
		"Port exhaustion (EADDRNOTAVAIL): random failed 3 times (0.01%).",
		"Ports probed per connection, most first: random 1.23 (7.6% of picks collided); never 1.23 (50.0% of picks collided); sequential 1.00 (0.0% of picks collided). A collision is a candidate whose 4-tuple was still open or in TIME_WAIT.",
		"Knowing one port, an observer guesses the next port to the same server right: sequential 99.5% (0.0 bits); random 0.0% (14.6 bits); never 0.0% (0.0 bits). More bits, harder to guess.",
	}
	got := Findings(res)
	if len(got) != len(want) {
		t.Fatalf("%d findings, want %d:\n%q", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("finding %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}

	res.Results[1].Failures = 0
	if got := Findings(res)[1]; got != "No strategy ran out of ports: every connection got one (EADDRNOTAVAIL never happened)." {
		t.Errorf("no failures: %s", got)
	}
}
