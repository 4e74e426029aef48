package plots

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/plot/plotter"
)

// ref is a reference series.
type ref struct{ named }

func (ref) Reference() bool { return true }

func curve(name string, f func(g float64) float64, top float64) named {
	var xys plotter.XYs
	for g := 1.0; g <= top; g *= 2 {
		xys = append(xys, plotter.XY{X: g, Y: f(g)})
	}
	return named{xys, name}
}

// attackFixture is one chart of each attack, drawn from fixed figures.
func attackFixture() []*Chart {
	tracking := AttackTracking([]AttackSeries{
		named{plotter.XYs{{X: 256, Y: 12383}, {X: 1024, Y: 63120}, {X: 4096, Y: 680519}, {X: 16384, Y: 1613012}, {X: 65536, Y: 9205467}}, "this run (median)"},
		ref{named{plotter.XYs{{X: 256, Y: 40 * 256}, {X: 65536, Y: 40 * 65536}}, "paper: 40 × table size"}},
	})
	var exact, noisy, none plotter.XYs
	for i := range 60 {
		k := float64(i % 11)
		exact = append(exact, plotter.XY{X: k, Y: k})
		noisy = append(noisy, plotter.XY{X: k, Y: math.Max(0, k+float64(i%5)-2)})
		none = append(none, plotter.XY{X: k, Y: float64((i * 7919) % 9000)})
	}
	count := AttackCount([]AttackSeries{named{exact, "profile:linux-4"}, named{noisy, "random-increments"}, named{none, "profile:linux"}})
	seq := curve("profile:macos", func(g float64) float64 { return math.Min(1, 0.95+0.05*math.Log2(g)/4) }, 16384)
	lin := curve("profile:linux", func(g float64) float64 { return math.Min(1, g/28232) }, 28232)
	guess := AttackGuess([]AttackSeries{seq, lin}, 28232)
	dnsSeq := curve("profile:macos", func(g float64) float64 { return math.Min(1, 0.95*g/65536) }, 1<<20)
	dns := AttackGuessDNS([]AttackSeries{dnsSeq}, 28232, 1000)
	return []*Chart{tracking, count, guess, dns}
}

// TestAttackGolden draws the attack charts of fixed figures as PNG and
// compares them with testdata/NAME_golden.png (-update rewrites them).
func TestAttackGolden(t *testing.T) {
	for _, c := range attackFixture() {
		t.Run(c.Name, func(t *testing.T) { checkGolden(t, c) })
	}
}

// The attack charts draw a note, not a panic, for no data, nil series,
// zeros on log axes and non-finite points.
func TestAttackEdges(t *testing.T) {
	bad := named{plotter.XYs{{X: 0, Y: 0}, {X: math.NaN(), Y: 1}, {X: math.Inf(1), Y: 2}, {X: -1, Y: -1}}, "bad"}
	for _, tt := range []struct {
		name   string
		series []AttackSeries
	}{
		{"none", nil},
		{"nil series", []AttackSeries{nil}},
		{"bad points", []AttackSeries{bad}},
		{"empty", []AttackSeries{named{nil, "empty"}}},
	} {
		for _, c := range []*Chart{AttackTracking(tt.series), AttackCount(tt.series), AttackGuess(tt.series, 0), AttackGuessDNS(tt.series, 28232, 0)} {
			var buf bytes.Buffer
			if err := c.Render(&buf, "svg", DefaultWidth, DefaultHeight); err != nil {
				t.Errorf("%s %s: %v", tt.name, c.Name, err)
			}
			if c.err != nil || !strings.Contains(buf.String(), "<svg") {
				t.Errorf("%s %s: chart error %v", tt.name, c.Name, c.err)
			}
		}
	}
	// Estimates far above the truths are counted off the chart.
	c := AttackCount([]AttackSeries{named{plotter.XYs{{X: 3, Y: 3}, {X: 4, Y: 90000}}, "x"}})
	if !strings.Contains(c.Caption, "1 estimates above") {
		t.Errorf("caption %q; want it to say one estimate is off the chart", c.Caption)
	}
}
