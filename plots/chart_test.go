package plots

import (
	"bytes"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/portsim/portsim/sim"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/recorder"
)

func TestAllOrder(t *testing.T) {
	want := []string{"port-signature", "collisions", "probes", "reuse", "occupancy", "port-usage", "predictability"}
	cs := All(fixture())
	if len(cs) != len(want) {
		t.Fatalf("All returned %d charts; want %d", len(cs), len(want))
	}
	for i, c := range cs {
		if c.Name != want[i] {
			t.Errorf("chart %d is %q; want %q", i, c.Name, want[i])
		}
		if c.Title == "" || strings.Count(c.Caption, ". ") < 1 {
			t.Errorf("%s: title %q, caption %q; want both, the caption in sentences", c.Name, c.Title, c.Caption)
		}
	}
	if c := Capacity(sweepFixture()); c.Name != "capacity" {
		t.Errorf("Capacity is named %q", c.Name)
	}
}

// Thinning must be deterministic, say so in the caption, and keep each
// panel within MaxScatterPoints.
func TestSignatureDownsampling(t *testing.T) {
	res := synthetic(3*MaxScatterPoints+5, 1)
	c := PortSignature(Samples(res))
	if !strings.Contains(c.Caption, "every 4th") {
		t.Errorf("caption does not say how it thinned: %q", c.Caption)
	}
	pn := c.fig.grid[0][0]
	if pn.n > MaxScatterPoints || pn.n < MaxScatterPoints*3/4 {
		t.Errorf("panel has %d points; want at most %d and not far fewer", pn.n, MaxScatterPoints)
	}
	var a, b bytes.Buffer
	if err := c.Render(&a, "svg", DefaultWidth, DefaultHeight); err != nil {
		t.Fatal(err)
	}
	if err := PortSignature(Samples(res)).Render(&b, "svg", DefaultWidth, DefaultHeight); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("the same result drew two different SVGs")
	}
	if small := PortSignature(Samples(fixture())); strings.Contains(small.Caption, "k-th") {
		t.Errorf("a small run's caption mentions thinning: %q", small.Caption)
	}
}

func TestECDF(t *testing.T) {
	for _, tc := range []struct {
		name   string
		sample []float64
		want   [][2]float64
	}{
		{"a step at each value", []float64{0.5, 0.004, 0.5, 2}, [][2]float64{{0.004, 0}, {0.004, 0.25}, {0.5, 0.75}, {2, 1}}},
		{"one value", []float64{3}, [][2]float64{{3, 0}, {3, 1}}},
		{"zeros lift the start", []float64{0, 0, 1, 2}, [][2]float64{{1, 0.5}, {1, 0.75}, {2, 1}}},
		{"not numbers left out", []float64{math.NaN(), -1, math.Inf(1), 1}, [][2]float64{{1, 0}, {1, 1}}},
		{"only zeros", []float64{0, 0}, nil},
		{"none", nil, nil},
	} {
		got := ecdf(tc.sample)
		if len(got) != len(tc.want) {
			t.Errorf("%s: ecdf = %v; want %v", tc.name, got, tc.want)
			continue
		}
		for i, w := range tc.want {
			if got[i].X != w[0] || got[i].Y != w[1] {
				t.Errorf("%s: point %d = %v; want %v", tc.name, i, got[i], w)
			}
		}
	}
}

// Corners closer than a thousandth of the log axis merge into the last of
// their run; those further apart stay.
func TestMergeSteps(t *testing.T) {
	xys := plotter.XYs{{X: 1, Y: 0}, {X: 1, Y: 0.1}, {X: 1.001, Y: 0.2}, {X: 1.002, Y: 0.3}, {X: 2, Y: 0.5}, {X: 10, Y: 1}}
	got := mergeSteps(xys, 1, 10)
	want := plotter.XYs{{X: 1, Y: 0}, {X: 1.002, Y: 0.3}, {X: 2, Y: 0.5}, {X: 10, Y: 1}}
	if !slices.Equal(got, want) {
		t.Errorf("mergeSteps = %v; want %v", got, want)
	}
	// A line of many steps keeps at most about stepsAcross of them.
	many := ecdf(func() []float64 {
		var s []float64
		for i := range 4096 {
			s = append(s, math.Pow(10, float64(i)/1024))
		}
		return s
	}())
	if n := len(mergeSteps(many, 1, 1e4)); n > stepsAcross+2 {
		t.Errorf("%d corners kept of %d; want at most %d", n, len(many), stepsAcross+2)
	}
}

func TestTimeWait(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want float64
		ok   bool
	}{{"1m", 60, true}, {" 500ms ", 0.5, true}, {"0s", 0, true}, {"sixty", 0, false}} {
		res := fixture()
		res.Scenario = []sim.Field{{Name: "time-wait", Value: tc.v}}
		got, ok := timeWait(res)
		if got != tc.want || ok != tc.ok {
			t.Errorf("timeWait(%q) = %g, %v; want %g, %v", tc.v, got, ok, tc.want, tc.ok)
		}
	}
	if _, ok := timeWait(nil); ok {
		t.Error("timeWait(nil) found a TIME_WAIT")
	}
}

func TestCapacityLimitMarker(t *testing.T) {
	if got := texts(t, Capacity(sweepFixture())); !strings.Contains(got, "range / TIME_WAIT (34/s)") {
		t.Errorf("no limit marker in %q", got)
	}
	sw := sweepFixture()
	sw.Param = "time-wait" // the limit is a rate: meaningless on a time axis
	if got := texts(t, Capacity(sw)); strings.Contains(got, "range / TIME_WAIT") {
		t.Errorf("limit marker on a %s sweep: %q", sw.Param, got)
	}
}

func TestPValue(t *testing.T) {
	for p, want := range map[float64]string{0.43: "= 0.430", 1e-9: "< 0.001", nan: "n/a", -1: "n/a", 1: "= 1.000"} {
		if got := pValue(p); got != want {
			t.Errorf("pValue(%g) = %q; want %q", p, got, want)
		}
	}
}

func TestTickLabels(t *testing.T) {
	for v, want := range map[float64]string{0.001: "0.001", 1: "1", 25: "25", 60000: "60000", 1e7: "1e7", 2e-5: "2e-5", 0: "0", 0.30000000000000004: "0.3"} {
		if got := tickLabel(v); got != want {
			t.Errorf("tickLabel(%g) = %q; want %q", v, got, want)
		}
	}
	labels := func(lo, hi float64) []string {
		var out []string
		for _, tk := range (logTicks{}).Ticks(lo, hi) {
			if tk.Label != "" {
				out = append(out, tk.Label)
			}
		}
		return out
	}
	if got := strings.Join(labels(1, 64), " "); got != "1 2 5 10 20 50" {
		t.Errorf("log ticks 1-64 labelled %q", got)
	}
	if got := strings.Join(labels(0.001, 1000), " "); got != "0.001 0.01 0.1 1 10 100 1000" {
		t.Errorf("log ticks 0.001-1000 labelled %q", got)
	}
	if got := labels(0, 1); got != nil {
		t.Errorf("log ticks from 0: %q", got)
	}
}

func TestRenderErrors(t *testing.T) {
	c := Probes(fixture())
	var buf bytes.Buffer
	if err := c.Render(&buf, "gif", DefaultWidth, DefaultHeight); err == nil || !strings.Contains(err.Error(), `"gif"`) || !strings.Contains(err.Error(), "png, svg, pdf") {
		t.Errorf("Render gif: %v; want an error naming gif and the formats", err)
	}
	for _, size := range [][2]vg.Length{{0, 1}, {1, -1}, {vg.Length(nan), 1}, {1000 * vg.Inch, 1}} {
		if err := c.Render(&buf, "png", size[0], size[1]); err == nil {
			t.Errorf("Render at %v: no error", size)
		}
	}
	// Tiny, but legal: drawn as a note, not a panic.
	if err := c.Render(&buf, "png", vg.Inch, vg.Inch/2); err != nil {
		t.Errorf("Render tiny: %v", err)
	}
	if got := texts(t, c); !strings.Contains(got, "P(probes ≥ k)") {
		t.Errorf("probes chart draws %q", got)
	}
}

func TestSave(t *testing.T) {
	dir := t.TempDir()
	c := Predictability(fixture())
	for _, ext := range []string{".png", ".svg", ".pdf", ".PNG"} {
		path := filepath.Join(dir, "chart"+ext)
		if err := c.Save(path); err != nil {
			t.Fatalf("Save(%s): %v", path, err)
		}
		b, err := os.ReadFile(path)
		if err != nil || len(b) == 0 {
			t.Fatalf("Save(%s) wrote %d bytes, %v", path, len(b), err)
		}
		if strings.EqualFold(ext, ".png") {
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if w := img.Bounds().Dx(); w != 800 {
				t.Errorf("PNG is %d px wide; want 800", w)
			}
		}
	}
	for _, name := range []string{"chart.gif", "chart"} {
		err := c.Save(filepath.Join(dir, name))
		if err == nil || !strings.Contains(err.Error(), ".png, .svg, .pdf") {
			t.Errorf("Save(%s): %v; want an error naming the extensions", name, err)
		}
	}
	if err := c.Save(filepath.Join(dir, "missing", "x.png")); err == nil {
		t.Error("Save into a missing directory: no error")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

// panicky is a plotter that fails while drawing.
type panicky struct{}

func (panicky) Plot(draw.Canvas, *plot.Plot) { panic("boom") }

// The last resort: a panic while building or drawing becomes a note, and
// nothing drawn before the panic is left under it.
func TestRecover(t *testing.T) {
	drawing := build("x", "Broken", description{}, 0, 0, func(c *Chart) *figure {
		pn := newPanel("", "", "", false, false)
		pn.series(plotter.XYs{{X: 1, Y: 1}, {X: 2, Y: 2}}, styleOf(0), "line", nil, false)
		pn.Add(panicky{})
		return single(c, pn, nil)
	})
	building := build("y", "Broken too", description{}, 0, 0, func(*Chart) *figure { panic("bang") })
	for _, c := range []*Chart{drawing, building, nil} {
		rec := &recorder.Canvas{}
		err := c.Draw(draw.NewCanvas(rec, DefaultWidth, DefaultHeight))
		if err == nil {
			t.Errorf("%v: Draw reported no error", c)
		}
		got := recordedTexts(rec)
		if !strings.Contains(got, "could not draw") && !strings.Contains(got, "no chart") {
			t.Errorf("Draw drew %q; want a note", got)
		}
		if strings.Contains(got, "line") {
			t.Errorf("the half-drawn chart is under the note: %q", got)
		}
		var buf bytes.Buffer
		if err := c.Render(&buf, "png", DefaultWidth, DefaultHeight); err != nil || buf.Len() == 0 {
			t.Errorf("Render: %v, %d bytes", err, buf.Len())
		}
	}
}

func TestZeroChart(t *testing.T) {
	var c Chart
	if got := texts(t, &c); !strings.Contains(got, "no data") {
		t.Errorf("zero Chart draws %q", got)
	}
}
