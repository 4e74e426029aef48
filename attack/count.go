package attack

import (
	"context"
	"math"
	"time"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/sim"
)

// The counting attack: RFC 6056 Algorithm 3's side channel (§3.3.3; Linux
// commit 190cc82489f4 names it when moving away from it). One counter,
// shared by every destination, moves on with each connection the host
// makes, so the attacker's own server, seeing two connections from the
// victim, reads from the difference of their ports how many the victim
// made to anyone in between. The attacker knows the algorithm's shape: the
// counter's step and how far one connection moves it on average, and it
// subtracts its own connection. The estimate is exact for one shared
// counter moved one step a connection (Linux 4.6–5.11's hint, a
// sequential cursor), noisy where each connection adds a random amount,
// and worthless where the attacker's destination has a counter of its own.

// maxEstimates bounds the (true, estimated) pairs a result keeps for its
// chart.
const maxEstimates = 500

// estimate is one reading: the connections the victim made between two of
// the attacker's, and what the attacker made of the ports.
type estimate struct{ truth, guess int }

// count plays the counting attack on spec, with seeds s: one connection to
// the attacker's server every c.Interval from the warm-up on.
func count(ctx context.Context, sc sim.Scenario, spec string, c Config, s playSeeds) ([]estimate, error) {
	v, err := device(sc, spec, s)
	if err != nil {
		return nil, err
	}
	defer v.Close()
	ours := v.strategy(allocator.Connect)
	m := modelOf(ours, v.host.Config.Range)
	dst := attackerDst(0, sc.IPv6)
	src := sc.Srcs[0]

	var (
		out        []estimate
		prev       uint16
		prevOK     bool
		prevMade   int
		lastSample = sc.Warmup + time.Duration(c.Samples)*c.Interval
	)
	for t := sc.Warmup; t <= lastSample; t += c.Interval {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p, ok, err := v.connect(t, src, dst, allocator.Connect)
		if err != nil {
			return nil, err
		}
		// Only connections served by the attacker's own strategy move
		// its counter: a profile's UDP does not move TCP's.
		made := v.made[ours]
		if ok && prevOK {
			adv := float64(m.advance(prev, p))
			out = append(out, estimate{truth: made - prevMade, guess: max(0, int(math.Round(adv/m.mean))-1)})
		}
		prev, prevOK, prevMade = p, ok, made
	}
	return out, nil
}

// countResult sums a strategy's plays: the mean absolute error of the
// estimates, beside that of guessing each play's average.
func countResult(runs []any) StrategyResult {
	var sr StrategyResult
	var n, exact int
	var errSum, baseSum float64
	for _, x := range runs {
		es := x.([]estimate)
		mean := 0.0
		for _, e := range es {
			mean += float64(e.truth)
		}
		if len(es) > 0 {
			mean = math.Round(mean / float64(len(es)))
		}
		for _, e := range es {
			n++
			if e.guess == e.truth {
				exact++
			}
			errSum += math.Abs(float64(e.guess - e.truth))
			baseSum += math.Abs(float64(e.truth) - mean)
			if len(sr.Estimates) < maxEstimates {
				sr.Estimates = append(sr.Estimates, [2]float64{float64(e.truth), float64(e.guess)})
			}
		}
	}
	if n > 0 {
		sr.Success = ptr(float64(exact) / float64(n))
		sr.EstimateError = ptr(errSum / float64(n))
		sr.BaselineError = ptr(baseSum / float64(n))
	}
	return sr
}
