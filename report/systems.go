package report

import (
	"fmt"
	"strings"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/strategies"
)

// The opening section's tables, built from the strategies registry: each
// strategy's How and Systems, each profile's ranges and How. The registry's
// texts are plain; the template escapes them.

type rangeView struct {
	Who   string
	Range string
	Size  string
	Fits  bool // holds examplePort
	Note  string
}

type strategyView struct {
	Name, How, Systems string
}

type systemView struct {
	Title       string
	Profile     string // the profile's name, for --profile
	Range       string // the default; the ranges table has the others
	How         string
	Model       []modelView
	Approximate bool
}

// modelView is one strategy spec of a profile and the request kinds it
// serves ("" when it serves them all).
type modelView struct{ Spec, Kinds string }

func newRangeView(who string, r allocator.Range, note string) rangeView {
	return rangeView{
		Who:   who,
		Range: formatRange(r),
		Size:  thousands(r.Size()),
		Fits:  r.Contains(examplePort),
		Note:  note,
	}
}

func formatRange(r allocator.Range) string { return fmt.Sprintf("%d–%d", r.Lo, r.Hi) }

// rangeRows is RFC 6335's range, then each system's range and its other
// ranges, once per system (Linux's versions share one range).
func rangeRows(profiles []strategies.Profile) []rangeView {
	rows := []rangeView{newRangeView(dynamicRange.Who, allocator.DynamicRange, dynamicRange.Note)}
	seen := map[string]bool{}
	for _, p := range profiles {
		if key := p.System + " " + p.Range.String(); !seen[key] {
			seen[key] = true
			rows = append(rows, newRangeView(p.System, p.Range, p.RangeNote))
		}
		for _, o := range p.OtherRanges {
			if key := p.System + " " + o.Range.String(); !seen[key] {
				seen[key] = true
				rows = append(rows, newRangeView(p.System+" "+o.When, o.Range, ""))
			}
		}
	}
	return rows
}

func strategyRows(all []strategies.Info) []strategyView {
	rows := make([]strategyView, len(all))
	for i, info := range all {
		rows[i] = strategyView{Name: info.Name, How: info.How, Systems: info.Systems}
	}
	return rows
}

// systemRows is one row per profile: what the system does and the
// strategies that model it.
func systemRows(profiles []strategies.Profile) []systemView {
	rows := make([]systemView, len(profiles))
	for i, p := range profiles {
		rows[i] = systemView{Title: p.Title(), Profile: p.Name, Range: formatRange(p.Range), How: p.How,
			Model: models(p), Approximate: p.Approximate}
	}
	return rows
}

// models groups a profile's kinds by the spec that serves them, in kind
// order: macOS is sequential (connect, bind), random (udp).
func models(p strategies.Profile) []modelView {
	var specs []string
	kinds := map[string][]string{}
	for k := allocator.Connect; k <= allocator.UDP; k++ {
		spec := p.For(k)
		if kinds[spec] == nil {
			specs = append(specs, spec)
		}
		kinds[spec] = append(kinds[spec], k.String())
	}
	out := make([]modelView, len(specs))
	for i, spec := range specs {
		out[i].Spec = spec
		if len(specs) > 1 {
			out[i].Kinds = strings.Join(kinds[spec], ", ")
		}
	}
	return out
}
