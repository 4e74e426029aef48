package serve

import (
	"fmt"
	"slices"
	"strings"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/sim"
	"github.com/portsim/portsim/strategies"
)

// why answers "why did my browser use source port P?" for the current
// scenario: which systems' ranges hold P, and what each strategy of the
// run did with it.
type why struct {
	Port uint16 `json:"port"`
	// Verdict sums it up in a sentence or two.
	Verdict    string        `json:"verdict"`
	Systems    []systemRange `json:"systems"`
	Strategies []whyRun      `json:"strategies"`
}

// systemRange is one range a system uses, from the strategies registry's
// profiles (as the report's ranges table).
type systemRange struct {
	System string `json:"system"`
	When   string `json:"when,omitempty"`
	Range  string `json:"range"`
	Holds  bool   `json:"holds"`
}

// whyRun is one strategy of the run and port P.
type whyRun struct {
	Strategy string `json:"strategy"`
	Range    string `json:"range"`
	Holds    bool   `json:"holds"`
	// Picks counts the attempts that got P; the first was at FirstS to
	// FirstDst.
	Picks    int     `json:"picks"`
	FirstS   float64 `json:"first_s,omitempty"`
	FirstDst string  `json:"first_dst,omitempty"`
	// How is how the strategy (or the profile's system) picks, the
	// registry's text.
	How string `json:"how"`
}

func answerWhy(res *sim.Result, series []*thinned, port uint16) why {
	w := why{Port: port, Systems: systemRanges(port)}
	for i := range res.Results {
		r, s := &res.Results[i], series[i]
		wr := whyRun{Strategy: r.Strategy, Range: r.Host.Range.String(), Holds: r.Host.Range.Contains(port),
			Picks: s.whyPicks, How: how(r.Strategy)}
		if s.whyPicks > 0 {
			wr.FirstS = s.whyFirst.TimeSeconds
			wr.FirstDst = fmt.Sprintf("destination %d", s.whyFirst.Dst+1)
		}
		w.Strategies = append(w.Strategies, wr)
	}
	w.Verdict = verdict(&w)
	return w
}

// verdict says who could have picked the port: the run's strategies that
// did, or could, and otherwise the systems whose ranges hold it.
func verdict(w *why) string {
	var picked, holds, systems []string
	for _, s := range w.Strategies {
		if s.Picks > 0 {
			picked = append(picked, s.Strategy+" "+times(s.Picks))
		}
		if s.Holds {
			holds = append(holds, s.Strategy)
		}
	}
	for _, s := range w.Systems {
		if s.Holds && !slices.Contains(systems, s.System) {
			systems = append(systems, s.System)
		}
	}
	elsewhere := fmt.Sprintf("No system here uses a range that holds %d.", w.Port)
	if len(systems) > 0 {
		elsewhere = fmt.Sprintf("Systems whose ranges hold it: %s.", strings.Join(systems, ", "))
	}
	switch {
	case len(picked) > 0:
		return fmt.Sprintf("In this run %d was picked by %s: the table below says when first. %s", w.Port, strings.Join(picked, ", "), elsewhere)
	case len(holds) > 0:
		return fmt.Sprintf("%d is in the range of %s, but this run never picked it: a longer run, a higher rate or another seed might. %s", w.Port, strings.Join(holds, ", "), elsewhere)
	}
	return fmt.Sprintf("No strategy of this scenario can pick %d: it lies outside their ranges, so a host that used it runs another system, has its range changed, or sits behind a NAT that rewrote the port. %s", w.Port, elsewhere)
}

func times(n int) string {
	if n == 1 {
		return "once"
	}
	return fmt.Sprintf("%d times", n)
}

// systemRanges is each system's ranges, once per system and range, and
// whether each holds port.
func systemRanges(port uint16) []systemRange {
	out := []systemRange{{System: "IANA dynamic ports (RFC 6335)", Range: allocator.DynamicRange.String(), Holds: allocator.DynamicRange.Contains(port)}}
	seen := map[string]bool{}
	add := func(system, when string, r allocator.Range) {
		if key := system + " " + r.String(); !seen[key] {
			seen[key] = true
			out = append(out, systemRange{System: system, When: when, Range: r.String(), Holds: r.Contains(port)})
		}
	}
	for _, p := range strategies.Profiles() {
		add(p.System, "", p.Range)
		for _, o := range p.OtherRanges {
			add(p.System, o.When, o.Range)
		}
	}
	return out
}

// how is the registry's text on how spec picks: the strategy's, or the
// profile's system's.
func how(spec string) string {
	if name, ok := strategies.IsProfileSpec(spec); ok {
		if p, err := strategies.LookupProfile(name); err == nil {
			return p.How
		}
		return ""
	}
	name, _, _ := strings.Cut(spec, ":")
	info, _ := strategies.Lookup(name)
	return info.How
}
