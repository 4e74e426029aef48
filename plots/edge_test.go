package plots

import (
	"bytes"
	"image/png"
	"math"
	"strings"
	"testing"

	"github.com/portsim/portsim/sim"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/recorder"
	"gonum.org/v1/plot/vg/vgimg"
)

var (
	nan = math.NaN()
	inf = math.Inf(1)
)

// edgeResults are inputs gonum/plot would panic on without the guard.
func edgeResults() map[string]*sim.Result {
	one := func(r sim.StrategyResult) *sim.Result {
		return &sim.Result{Scenario: []sim.Field{{Name: "time-wait", Value: "60s"}}, Results: []sim.StrategyResult{r}}
	}
	allZero := sim.StrategyResult{
		Strategy:    "zeros",
		ProbesHist:  make([]int, sim.ProbesHistOverflow),
		ReuseHist:   []sim.Bucket{{Lo: 0, Hi: 0.001}, {Lo: 0.001, Hi: 0.0016}},
		Occupancy:   []sim.Sample{{TimeSeconds: 0}, {TimeSeconds: 1}, {TimeSeconds: 2}},
		PortUsage:   []sim.Bucket{{Lo: 1024, Hi: 2048}, {Lo: 2048, Hi: 3072}},
		ByOccupancy: []sim.OccupancyBin{{Lo: 0, Hi: 0.02}, {Lo: 0.02, Hi: 0.04}},
		Samples:     []sim.Alloc{{N: 1, Port: 0}, {N: 2, Port: 0}},
	}
	single := sim.StrategyResult{
		Strategy:        "single",
		ProbesHist:      []int{5},
		ReuseHist:       []sim.Bucket{{Lo: 1, Hi: 1.58, Count: 3}},
		ReuseSample:     []float64{1.2, 1.2, 1.2},
		ReuseMinSeconds: 1.2,
		Occupancy:       []sim.Sample{{TimeSeconds: 3, Established: 2, TimeWait: 1, Failures: 1}},
		PortUsage:       []sim.Bucket{{Lo: 5000, Hi: 5001, Count: 1}},
		ByOccupancy:     []sim.OccupancyBin{{Lo: 0.5, Hi: 0.52, Attempts: 30, Collisions: 15, Probes: 60}},
		Samples:         []sim.Alloc{{N: 1, TimeSeconds: 2, Dst: 3, Port: 40000}},
		UniformityP:     1,
		EntropySameDst:  0, EntropyCrossDst: 0, PairsSameDst: 0, PairsCrossDst: 0,
	}
	constant := sim.StrategyResult{
		Strategy:    "constant",
		ProbesHist:  []int{0, 0, 7},
		ReuseHist:   []sim.Bucket{{Lo: 0, Hi: 0.001, Count: 4}},
		ReuseSample: []float64{0, 0, 0, 0},
		Occupancy:   []sim.Sample{{TimeSeconds: 1, Established: 5}, {TimeSeconds: 1, Established: 5}},
		PortUsage:   []sim.Bucket{{Lo: 10, Hi: 20, Count: 0}, {Lo: 20, Hi: 30, Count: 0}, {Lo: 30, Hi: 40, Count: 9}},
		Samples:     []sim.Alloc{{N: 1, TimeSeconds: 5, Port: 7}, {N: 2, TimeSeconds: 5, Port: 7}},
		ByOccupancy: []sim.OccupancyBin{
			{Lo: 0.1, Hi: 0.12, Attempts: 50, Collisions: 0, Probes: 50},
		},
		EntropySameDst: 16, EntropyCrossDst: 16, PairsSameDst: 1 << 20, PairsCrossDst: 1 << 20,
	}
	nans := sim.StrategyResult{
		Strategy:        "nan",
		FailureRate:     nan,
		ReuseMinSeconds: nan,
		ProbesHist:      []int{3, -2, 1},
		ReuseHist:       []sim.Bucket{{Lo: nan, Hi: nan, Count: 2}, {Lo: 1, Hi: nan, Count: 1}, {Lo: -1, Hi: 0, Count: 1}},
		ReuseSample:     []float64{nan, 1, -1, inf, -inf},
		Occupancy:       []sim.Sample{{TimeSeconds: nan, Established: 1}, {TimeSeconds: inf, TimeWait: 1}, {TimeSeconds: 1, Established: -5, Failures: -1}},
		PortUsage:       []sim.Bucket{{Lo: nan, Hi: 10, Count: 1}, {Lo: 10, Hi: nan, Count: 1}, {Lo: 20, Hi: 20, Count: 1}, {Lo: 30, Hi: 40, Count: -1}},
		UniformityP:     nan,
		EntropySameDst:  nan, EntropyCrossDst: inf, PairsSameDst: 5, PairsCrossDst: 5,
		ByOccupancy: []sim.OccupancyBin{
			{Lo: nan, Hi: nan, Attempts: 100, Collisions: 50, Probes: 200},
			{Lo: 0.2, Hi: 0.22, Attempts: 100, Collisions: -1, Probes: 0},
		},
		Samples: []sim.Alloc{{N: 1, TimeSeconds: nan, Port: 5}, {N: 2, TimeSeconds: inf, Port: 6}, {N: 3, TimeSeconds: -inf, Port: 7}},
	}
	huge := sim.StrategyResult{
		Strategy:        "huge",
		ProbesHist:      []int{math.MaxInt / 4, math.MaxInt / 4},
		ReuseHist:       []sim.Bucket{{Lo: 1e-300, Hi: 1e300, Count: 1}, {Lo: 1e300, Hi: math.MaxFloat64, Count: 1}},
		ReuseSample:     []float64{1e-300, 1e300, math.MaxFloat64},
		ReuseMinSeconds: 1e-300,
		Occupancy:       []sim.Sample{{TimeSeconds: -1e300, Established: math.MaxInt32}, {TimeSeconds: 1e300, TimeWait: math.MaxInt32}},
		PortUsage:       []sim.Bucket{{Lo: -1e300, Hi: 1e300, Count: math.MaxInt32}},
		EntropySameDst:  1e300, EntropyCrossDst: -1e300, PairsSameDst: 1, PairsCrossDst: 1,
		Samples: []sim.Alloc{{N: 1, TimeSeconds: -1e300, Port: 1}, {N: 2, TimeSeconds: 1e300, Port: 65535}},
	}
	return map[string]*sim.Result{
		"nil":           nil,
		"empty":         {},
		"scenario only": {Scenario: []sim.Field{{Name: "time-wait", Value: "1m"}}},
		"zero strategy": {Results: []sim.StrategyResult{{Strategy: "a"}, {}}},
		"all zero":      one(allZero),
		"single point":  one(single),
		"constant":      one(constant),
		"nan":           {Scenario: []sim.Field{{Name: "time-wait", Value: "bogus"}}, Results: []sim.StrategyResult{nans}},
		"huge":          {Scenario: []sim.Field{{Name: "time-wait", Value: "0s"}}, Results: []sim.StrategyResult{huge}},
		"mixed":         {Scenario: fixture().Scenario, Results: append(fixture().Results, nans, single, allZero, huge)},
		"many strategies": func() *sim.Result {
			r := fixture()
			for i := range 7 {
				s := r.Results[i%3]
				s.Strategy += strings.Repeat("!", i)
				r.Results = append(r.Results, s)
			}
			return r
		}(),
	}
}

func edgeSweeps() map[string]*sim.SweepResult {
	return map[string]*sim.SweepResult{
		"nil":    nil,
		"empty":  {Param: "rate"},
		"single": {Param: "rate", Rows: []sim.SweepRow{{Value: "5", X: 5, Strategy: "s", Kind: "connect", FailureRate: 0.5, LimitRate: 5}}},
		"zero":   {Param: "rate", Rows: []sim.SweepRow{{X: 1}, {X: 2}, {X: 3}}},
		"nan": {Param: "rate", Rows: []sim.SweepRow{
			{X: nan, FailureRate: 0.1, Strategy: "a", LimitRate: nan},
			{X: 1, FailureRate: nan, Strategy: "a", LimitRate: inf},
			{X: inf, FailureRate: -inf, Strategy: "b", LimitRate: -3},
		}},
		"durations": {Param: "time-wait", Rows: []sim.SweepRow{
			{Value: "1s", X: 1, Strategy: "a", FailureRate: 0, LimitRate: 100},
			{Value: "2m", X: 120, Strategy: "a", FailureRate: 0.5, LimitRate: 1},
		}},
		"unnamed": {Rows: []sim.SweepRow{{X: 0, FailureRate: 2}, {X: 0, FailureRate: 2}}},
	}
}

// TestEdgeCases draws every chart of every edge case in every format: no
// panic, no error, and no recovered panic either — the guard, not the
// last-resort recover, must handle them.
func TestEdgeCases(t *testing.T) {
	type named struct {
		name  string
		chart *Chart
	}
	var cases []named
	for name, res := range edgeResults() {
		for _, c := range All(res) {
			cases = append(cases, named{name + "/" + c.Name, c})
		}
	}
	for name, sw := range edgeSweeps() {
		cases = append(cases, named{"sweep " + name + "/capacity", Capacity(sw)})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.chart == nil {
				t.Fatal("nil chart")
			}
			if tc.chart.err != nil {
				t.Fatalf("building panicked: %v", tc.chart.err)
			}
			if err := tc.chart.Draw(draw.New(vgimg.New(DefaultWidth, DefaultHeight))); err != nil {
				t.Fatalf("drawing fell back to the recover: %v", err)
			}
			for _, f := range Formats {
				var buf bytes.Buffer
				if err := tc.chart.Render(&buf, f, DefaultWidth, DefaultHeight); err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				if buf.Len() == 0 {
					t.Fatalf("%s: empty output", f)
				}
			}
		})
	}
}

// texts is every string a chart draws.
func texts(t *testing.T, c *Chart) string {
	t.Helper()
	rec := &recorder.Canvas{}
	if err := c.Draw(draw.NewCanvas(rec, DefaultWidth, DefaultHeight)); err != nil {
		t.Fatalf("%s: %v", c.Name, err)
	}
	return recordedTexts(rec)
}

func recordedTexts(rec *recorder.Canvas) string {
	var b strings.Builder
	for _, a := range rec.Actions {
		if s, ok := a.(*recorder.FillString); ok {
			b.WriteString(s.String)
			b.WriteString("\n")
		}
	}
	return b.String()
}

func TestEmptyChartsSayNoData(t *testing.T) {
	for name, res := range map[string]*sim.Result{"nil": nil, "empty": {}} {
		for _, c := range append(All(res), Capacity(nil)) {
			if got := texts(t, c); !strings.Contains(got, "no data") || !strings.Contains(got, c.Title) {
				t.Errorf("%s %s draws %q; want its title and a no data note", name, c.Name, got)
			}
		}
	}
}

// Panels without data say why, and the others still draw.
func TestPanelNotes(t *testing.T) {
	res := fixture()
	res.Results = append(res.Results, sim.StrategyResult{Strategy: "idle"})
	want := map[string]string{
		"port-signature": "no data\nno successful allocation kept",
		"occupancy":      "no data\nfewer than two samples",
		"port-usage":     "no data\nnothing allocated",
		"reuse":          "idle: no reuse",
	}
	for _, c := range All(res) {
		got := texts(t, c)
		if w, ok := want[c.Name]; ok && !strings.Contains(got, w) {
			t.Errorf("%s: no %q in %q", c.Name, w, got)
		}
		if strings.Count(got, "sequential") == 0 {
			t.Errorf("%s: the strategies with data are missing: %q", c.Name, got)
		}
	}
}

// The guard must keep out what a log axis cannot show, and settle must
// leave every axis drawable.
func TestSettle(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		log    bool
	}{
		{inf, -inf, false}, {inf, -inf, true}, {0, 0, false}, {5, 5, false}, {0, 0, true},
		{-3, 10, true}, {-3, -1, true}, {7, 7, true}, {nan, 1, false}, {2, 1, false}, {1e-300, 1e300, true},
	} {
		var pn = newPanel("", "", "", tc.log, tc.log)
		pn.X.Min, pn.X.Max = tc.lo, tc.hi
		settle(&pn.X, tc.log)
		lo, hi := pn.X.Min, pn.X.Max
		if !(lo < hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) || (tc.log && lo <= 0) {
			t.Errorf("settle(%g, %g, log %v) = %g, %g", tc.lo, tc.hi, tc.log, lo, hi)
		}
		if len(pn.X.Tick.Marker.Ticks(lo, hi)) == 0 && !tc.log {
			t.Errorf("settle(%g, %g): no ticks", tc.lo, tc.hi)
		}
	}
	pn := newPanel("", "", "", true, false)
	for _, p := range [][2]float64{{0, 1}, {-1, 1}, {nan, 1}, {1, nan}, {inf, 1}} {
		if pn.keep(p[0], p[1]) {
			t.Errorf("log-x panel keeps (%g, %g)", p[0], p[1])
		}
	}
	if !pn.keep(1e-9, -5) {
		t.Error("log-x panel drops (1e-9, -5)")
	}
}

func TestPNGSize(t *testing.T) {
	var buf bytes.Buffer
	if err := Probes(fixture()).Render(&buf, "png", DefaultWidth, DefaultHeight); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 800 || b.Dy() != 500 {
		t.Errorf("default PNG is %v; want 800 × 500", b.Size())
	}
}
