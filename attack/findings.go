package attack

import (
	"fmt"
	"math"
	"strings"

	"github.com/portsim/portsim/internal/format"
)

// Findings says in a plain sentence per strategy what the attack got,
// and for tracking how that compares with the paper.
func Findings(res *Result) []string {
	var out []string
	for _, r := range res.Results {
		switch res.Attack {
		case Tracking:
			out = append(out, trackingFinding(res, r))
		case Count:
			if r.EstimateError == nil {
				out = append(out, r.Strategy+": no readings.")
				continue
			}
			verdict := "no better than guessing the average"
			switch {
			case *r.EstimateError == 0:
				verdict = "exact: the ports give the count away"
			case *r.EstimateError < *r.BaselineError:
				verdict = "better than guessing the average, but not exact"
			}
			out = append(out, fmt.Sprintf("%s: the estimate of the connections in between was right %s of the time, off by %.2f on average (guessing the average: %.2f) — %s.",
				r.Strategy, format.Percent(*r.Success, 0), *r.EstimateError, *r.BaselineError, verdict))
		case Guess:
			if r.Success == nil {
				out = append(out, r.Strategy+": no guesses.")
				continue
			}
			s := fmt.Sprintf("%s: the first guess at the next port was right %s of the time (blind: 1 in %d)", r.Strategy, percent(*r.Success), r.Ports)
			if g, ok := guessesFor(r.PSuccess, 0.5); ok {
				s += fmt.Sprintf("; %s gave an even chance", format.Plural(g, "guess"))
			}
			out = append(out, s+fmt.Sprintf("; a DNS answer forged within one race of %s spoofed answers would be taken %s of the time.", settingOf(res, "window"), percent(*r.PWindow)))
		}
	}
	return out
}

func trackingFinding(res *Result, r StrategyResult) string {
	if r.Found == nil || *r.Found == 0 {
		return fmt.Sprintf("%s: no device ID within %s connections a visit (%s).", r.Strategy, grouped(r.Budget), format.Plural(r.Counters, "counter"))
	}
	s := fmt.Sprintf("%s: a web page found a device ID in %s of the plays, after a median %s connections (%.1f simulated seconds); it was the same on a second visit in %s, from another network in %s, and another device's differed in %s.",
		r.Strategy, format.Percent(*r.Found, 0), grouped(*r.Connections), *r.Seconds,
		format.Percent(*r.IDStable, 0), format.Percent(*r.IDMoved, 0), format.Percent(*r.IDDistinct, 0))
	if r.Counters == 1 {
		return s + " Every device gives the same ID: one counter for all, so there is nothing to tell them apart."
	}
	return s + fmt.Sprintf(" The paper's figure for %d counters: about %s (%d per counter).", r.Counters, grouped(PaperConnections(r.Counters)), PaperConnectionsPerCounter)
}

func settingOf(res *Result, name string) string {
	for _, f := range res.Settings {
		if f.Name == name {
			return f.Value
		}
	}
	return "?"
}

// guessesFor is the fewest guesses on the curve that reach p.
func guessesFor(curve [][2]float64, p float64) (int, bool) {
	for _, pt := range curve {
		if pt[1] >= p {
			return int(pt[0]), true
		}
	}
	return 0, false
}

// percent shows small chances as such ("0.0017%") rather than "0%".
func percent(x float64) string {
	if x > 0 && x < 0.01 {
		return format.Percent(x, max(1, int(math.Ceil(-math.Log10(x*100)))+1))
	}
	return format.Percent(x, 1)
}

// grouped writes n with thousands separated by commas.
func grouped(n int) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
