package plots

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// An AttackSeries is what an attack chart draws for one strategy (or one
// reference figure): gonum's XYer, with a name for the legend. A series
// that also implements Referencer and reports true is a published or
// theoretical figure, drawn as a grey dashed line without markers.
type AttackSeries interface {
	plotter.XYer
	Name() string
}

// Referencer is the optional capability of an AttackSeries that is a
// reference rather than a measurement.
type Referencer interface {
	Reference() bool
}

func isReference(s AttackSeries) bool {
	r, ok := s.(Referencer)
	return ok && r.Reference()
}

// referenceStyle is how reference lines look: grey, dashed, no markers.
var referenceStyle = draw.LineStyle{Color: grey, Width: vg.Points(1.5), Dashes: []vg.Length{vg.Points(5), vg.Points(3)}}

// points copies s's points.
func points(s AttackSeries) plotter.XYs {
	xys := make(plotter.XYs, s.Len())
	for i := range xys {
		xys[i].X, xys[i].Y = s.XY(i)
	}
	return xys
}

// attackLines adds each series to pn: references dashed and grey,
// measurements in their own style with markers (lines too when lines).
func attackLines(pn *panel, series []AttackSeries, legend *plot.Legend, lines bool) {
	i := 0
	for _, s := range series {
		if s == nil {
			continue
		}
		xys := pn.filter(points(s))
		if isReference(s) {
			if l, err := plotter.NewLine(xys); err == nil && len(xys) > 0 {
				l.LineStyle = referenceStyle
				pn.Add(l)
				legend.Add(s.Name(), l)
			}
			continue
		}
		sty := styleOf(i)
		i++
		if lines {
			pn.series(xys, sty, s.Name(), legend, true)
			continue
		}
		if len(xys) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(xys)
		if err != nil {
			continue
		}
		sc.GlyphStyle = sty.glyph
		pn.Add(sc)
		pn.n += len(xys)
		legend.Add(s.Name(), sc)
	}
}

// AttackTracking is the tracking attack's cost, "attack-tracking": the
// victim connections the attacker needed for an ID against the number of
// counters in the victim's table, log-log, one point per strategy that
// gave an ID, with any reference series (the paper's figures) dashed.
func AttackTracking(series []AttackSeries) *Chart {
	d := description{
		marks: []mark{lines, dots},
		x:     axis{label: "counters in the perturbation table", log: true},
		y:     []axis{{label: "victim connections until an ID", log: true}},
	}
	return build("attack-tracking", "Tracking: connections needed against the table's size", d, DefaultWidth, DefaultHeight, func(c *Chart) *figure {
		pn := d.panel("", 0)
		addGrid(pn.Plot)
		legend := newLegend()
		attackLines(pn, series, legend, true)
		pn.note = "no strategy gave an ID"
		c.Caption = d.caption(
			"Each dot is how many connections the attacker's web page had the victim make before it had a device ID, joined by a line per strategy across table sizes; a strategy that gave no ID within the attacker's budget has no dot.",
			"The attack has to find a witness for every counter and watch them all, so a larger table costs more than proportionally; a grey dashed line is a published figure to compare with (the paper's 40 connections per counter).",
			"The kernel's fix relies on this: at 65,536 counters the attack needs millions of connections, too many to make unnoticed and to finish before the 10-second re-keying.",
		)
		return single(c, pn, legend)
	})
}

// AttackCount is the counting attack, "attack-count": the attacker's
// estimate of the connections the victim made in between against the
// truth, one set of points per strategy, with the diagonal of an exact
// estimate. Estimates far above the truths are left off the chart, and
// the caption says how many.
func AttackCount(series []AttackSeries) *Chart {
	d := description{
		marks: []mark{dots, lines},
		x:     axis{label: "connections the victim made in between"},
		y:     []axis{{label: "the attacker's estimate"}},
	}
	return build("attack-count", "Counting: the attacker's estimate against the truth", d, DefaultWidth, DefaultHeight, func(c *Chart) *figure {
		pn := d.panel("", 0)
		addGrid(pn.Plot)
		legend := newLegend()
		top := 0.0
		for _, s := range series {
			if s == nil || isReference(s) {
				continue
			}
			for _, p := range points(s) {
				if !math.IsInf(p.X, 0) && !math.IsNaN(p.X) {
					top = math.Max(top, p.X)
				}
			}
		}
		ceiling := math.Max(10, 2*top)
		diag, _ := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: ceiling, Y: ceiling}})
		diag.LineStyle = referenceStyle
		pn.Add(diag)
		legend.Add("exact", diag)
		off := 0
		var kept []AttackSeries
		for _, s := range series {
			if s == nil || isReference(s) {
				kept = append(kept, s)
				continue
			}
			var xys plotter.XYs
			for _, p := range points(s) {
				if p.Y > ceiling {
					off++
					continue
				}
				xys = append(xys, p)
			}
			kept = append(kept, named{xys, s.Name()})
		}
		attackLines(pn, kept, legend, false)
		if pn.n > 0 {
			pn.X.Min, pn.X.Max = 0, ceiling
			pn.Y.Min, pn.Y.Max = 0, ceiling
		}
		pn.note = "no estimates"
		text := []string{
			"Each dot is one reading: how many connections the victim really made between two of the attacker's, and how many the attacker worked out from the two ports it saw.",
			"Dots on the dashed diagonal line are exact: one counter shared by every connection gives the count away. Dots scattered anywhere else mean the ports say nothing about the count.",
		}
		if off > 0 {
			text = append(text, fmt.Sprintf("%d estimates above %s are off the chart.", off, tickLabel(ceiling)))
		}
		c.Caption = d.caption(text...)
		return single(c, pn, legend)
	})
}

// named is a plain AttackSeries.
type named struct {
	plotter.XYs
	name string
}

func (n named) Name() string { return n.name }

// AttackGuess is the guessing attack, "attack-guess": the chance that the
// victim's next port is among the attacker's first g guesses, against g,
// log-log, one line per strategy, with the line of blind guessing among
// ports ports.
func AttackGuess(series []AttackSeries, ports int) *Chart {
	d := description{
		marks: []mark{lines, dots},
		x:     axis{label: "guesses (ports tried)", log: true},
		y:     []axis{{label: "P(success)", log: true}},
	}
	return build("attack-guess", "Guessing the next port: success against guesses", d, DefaultWidth, DefaultHeight, func(c *Chart) *figure {
		pn := guessPanel(d, series, float64(ports), "blind guessing")
		c.Caption = d.caption(
			"Each line, with a dot per number of guesses, is one strategy: the chance that the port of the victim's next connection is among the attacker's first guesses.",
			"The attacker has seen one earlier port and knows the algorithm; it guesses the moves it saw most often on devices of its own.",
			fmt.Sprintf("The grey dashed line is guessing blind among %d ports: a strategy on it gives nothing away; a line at the top left means one or two guesses suffice, and lets an off-path attacker forge packets that match.", ports),
		)
		return single(c, pn.panel, pn.legend)
	})
}

// AttackGuessDNS is the guessing attack against a DNS query,
// "attack-guess-dns": the chance that one of g spoofed answers matches
// both the port and the 16-bit transaction ID, against g, log-log, with
// blind guessing among ports × 65536 pairs and the Kaminsky window
// (window answers before the real one arrives) marked.
func AttackGuessDNS(series []AttackSeries, ports, window int) *Chart {
	d := description{
		marks: []mark{lines, dots},
		x:     axis{label: "spoofed answers", log: true},
		y:     []axis{{label: "P(success)", log: true}},
	}
	return build("attack-guess-dns", "Poisoning a DNS answer: success against spoofed answers", d, DefaultWidth, DefaultHeight, func(c *Chart) *figure {
		pn := guessPanel(d, series, float64(ports)*65536, "blind guessing")
		if window > 0 {
			m := vline(float64(window), draw.LineStyle{Color: black, Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(2), vg.Points(2)}})
			pn.Add(m)
			pn.legend.Add(fmt.Sprintf("one race (%d answers)", window), m)
		}
		c.Caption = d.caption(
			"A forged DNS answer is accepted only if it matches the query's source port and its 16-bit transaction ID, so each spoofed answer is one guess at the pair.",
			"Each line, with a dot per number of answers, is one strategy: the chance that one of so many answers matches; the grey dashed line is guessing blind.",
			"The dotted vertical line is how many answers fit in one race, before the real one arrives (Kaminsky's window); an attacker repeats the race with a new query as often as it likes, so what counts is how far up a line is at the race.",
			"Random ports multiply the attacker's work by the size of the range: that is what stopped Kaminsky's attack in 2008.",
		)
		return single(c, pn.panel, pn.legend)
	})
}

// guessFig is a panel of success against guesses and its legend.
type guessFig struct {
	*panel
	legend *plot.Legend
}

// guessPanel is d's log-log panel of success against guesses, the line of
// blind guessing over [1, space] first, under the data.
func guessPanel(d description, series []AttackSeries, space float64, blind string) guessFig {
	pn := d.panel("", 0)
	addGrid(pn.Plot)
	legend := newLegend()
	if space >= 1 {
		var xys plotter.XYs
		for g := 1.0; g < space; g *= 2 {
			xys = append(xys, plotter.XY{X: g, Y: g / space})
		}
		xys = append(xys, plotter.XY{X: space, Y: 1})
		if l, err := plotter.NewLine(xys); err == nil {
			l.LineStyle = referenceStyle
			pn.Add(l)
			legend.Add(blind, l)
		}
	}
	attackLines(pn, series, legend, true)
	if pn.n > 0 {
		pn.Y.Max = 1
	}
	pn.note = "no guesses"
	return guessFig{pn, legend}
}
