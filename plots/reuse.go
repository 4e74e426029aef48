package plots

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/portsim/portsim/sim"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Reuse is chart 4, "reuse": the empirical CDF of the reuse interval — the
// time from a 4-tuple's close to its next use — as a step line on a log
// time axis fitted to the data, one per strategy, with the hosts'
// TIME_WAIT marked where TCP leaves one (not for UDP alone). It reads
// StrategyResult.ReuseSample and the "time-wait" and "kind" scenario fields.
func Reuse(res *sim.Result) *Chart {
	d := description{
		marks: []mark{steps, lines},
		x:     axis{label: "time from close to reuse (s)", log: true},
		y:     []axis{{label: "share of reuses within that time"}},
	}
	return build("reuse", "Reuse interval of a 4-tuple", d, DefaultWidth, DefaultHeight, func(c *Chart) *figure {
		pn := d.panel("", 0)
		addGrid(pn.Plot)
		legend := newLegend()
		pn.X.Padding = vg.Points(10) // keep a TIME_WAIT line at the edge off the axis

		var never []string
		rs := results(res)
		cdfs := make([]plotter.XYs, len(rs))
		xmin, xmax := math.Inf(1), math.Inf(-1)
		for i, r := range rs {
			cdfs[i] = pn.filter(ecdf(r.ReuseSample))
			if n := len(cdfs[i]); n > 0 {
				xmin, xmax = math.Min(xmin, cdfs[i][0].X), math.Max(xmax, cdfs[i][n-1].X)
			}
		}
		names := make([]string, len(rs))
		curves := make([]plotter.XYs, len(rs))
		for i, r := range rs {
			names[i], curves[i] = r.Strategy, mergeSteps(cdfs[i], xmin, xmax)
		}
		same := sameAs(names, curves)
		for i, r := range rs {
			xys := curves[i]
			if len(xys) == 0 {
				if r.ReuseCount > 0 { // a file written before samples were kept
					legend.Add(r.Strategy + ": reuses not sampled")
					continue
				}
				never = append(never, r.Strategy)
				legend.Add(r.Strategy + ": no reuse") // absent lines are easy to miss
				continue
			}
			l, err := plotter.NewLine(xys)
			if err != nil {
				continue
			}
			l.LineStyle = styleOf(i).line
			l.StepStyle = plotter.PostStep
			pn.Add(l)
			legend.Add(legendName(r.Strategy, same[i]), l)
			pn.n += len(xys)
		}
		if pn.n > 0 {
			pn.Y.Min, pn.Y.Max = 0, 1
		}
		pn.note = "no 4-tuple was used twice"

		// TIME_WAIT lines within a factor of two of the data; one further
		// off would stretch the axis over empty decades, so the legend
		// says where it is instead.
		tws := timeWaits(res)
		udpOnly := udpOnly(res)
		if udpOnly {
			tws = nil
		}
		shown := 0
		for i, tw := range tws {
			label := fmt.Sprintf("TIME_WAIT (%s)", seconds(tw.seconds))
			if len(tws) > 1 {
				label = fmt.Sprintf("TIME_WAIT %s: %s", seconds(tw.seconds), strings.Join(tw.who, ", "))
			}
			if pn.n > 0 && (tw.seconds < xmin/2 || tw.seconds > 2*xmax) {
				legend.Add(label + ", off the chart")
				continue
			}
			dashes := []vg.Length{vg.Points(5), vg.Points(3)}
			if i > 0 {
				dashes = []vg.Length{vg.Points(1), vg.Points(3)} // another profile's TIME_WAIT
			}
			m := vline(tw.seconds, draw.LineStyle{Color: black, Width: vg.Points(1.2), Dashes: dashes})
			pn.Add(m)
			legend.Add(label, m)
			shown++
		}

		text := []string{"Each step line is one strategy: the share of its reused 4-tuples (same source port to the same destination) that came back within a given time of being closed. " +
			fmt.Sprintf("A line steps up at each interval measured and is flat where none came back; past %d reuses a strategy's line is drawn from that many of them, picked at random (the same for the same seed).", sim.ReuseSampleMax),
			"A line far to the left means ports are handed out again soon after use, which risks a late packet from the old connection being taken for the new one."}
		switch {
		case udpOnly:
			text = append(text, "UDP leaves no TIME_WAIT behind, so none is marked: a UDP port is free again as soon as its socket closes.")
		case shown > 1:
			text = append(text, "The dashed lines mark each host's TIME_WAIT (profiles bring their own), before which a closed 4-tuple may not be reused without tw_reuse.")
		case shown == 1:
			text = append(text, "The dashed line marks TIME_WAIT, before which a closed 4-tuple may not be reused without tw_reuse.")
		case len(tws) > 0:
			text = append(text, "TIME_WAIT lies off the time axis, which is fitted to the reuses (the legend gives its value).")
		default:
			text = append(text, "The scenario has no TIME_WAIT to mark.")
		}
		if len(never) > 0 {
			text = append(text, fmt.Sprintf("No reuse at all: %s.", strings.Join(never, ", ")))
		}
		c.Caption = d.caption(text...)
		return single(c, pn, legend)
	})
}

// udpOnly reports whether the run's requests were all UDP, which leaves
// no TIME_WAIT behind.
func udpOnly(res *sim.Result) bool {
	return onlyKinds(res, func(kind string) bool { return kind == "udp" })
}

// onlyKinds reports whether every request kind the run drew (its scenario's
// kind field, "connect=0.8,bind=0.2" or "udp") satisfies ok; false when the
// result does not say.
func onlyKinds(res *sim.Result, ok func(kind string) bool) bool {
	v, found := field(res, "kind")
	if !found {
		return false
	}
	for _, item := range strings.Split(v, ",") {
		name, w, _ := strings.Cut(strings.TrimSpace(item), "=")
		if w != "0" && !ok(name) {
			return false
		}
	}
	return true
}

// ecdf is the empirical CDF of sample as the corners of a post-step line:
// it rises at each distinct positive value by that value's share. Values
// that are not numbers ≥ 0 are left out; zeros, which a log axis cannot
// show, lift the line's start. It is empty when no value is positive.
func ecdf(sample []float64) plotter.XYs {
	xs := make([]float64, 0, len(sample))
	for _, v := range sample {
		if v >= 0 && !math.IsInf(v, 1) {
			xs = append(xs, v)
		}
	}
	slices.Sort(xs)
	zeros, _ := slices.BinarySearch(xs, math.SmallestNonzeroFloat64)
	if zeros == len(xs) {
		return nil
	}
	n := float64(len(xs))
	xys := plotter.XYs{{X: xs[zeros], Y: float64(zeros) / n}}
	for i := zeros; i < len(xs); i++ {
		if i+1 < len(xs) && xs[i+1] == xs[i] {
			continue // one step for equal values
		}
		xys = append(xys, plotter.XY{X: xs[i], Y: float64(i+1) / n})
	}
	return xys
}

// stepsAcross is how many steps a reuse line keeps at most across its log
// axis: more than the chart has pixels there, so merging the rest changes
// nothing one can see but the size of an SVG (the demo's reuse chart, four
// lines of up to 4096 steps, took 423 kB; merged, 40 kB).
const stepsAcross = 1000

// mergeSteps thins a post-step line on a log x axis from lo to hi: corners
// within 1/stepsAcross of the axis from the first corner of their run merge
// into the run's last, so the line rises there at once, at most that far
// right of where it rose in steps.
func mergeSteps(xys plotter.XYs, lo, hi float64) plotter.XYs {
	if len(xys) < 3 || !(hi > lo) {
		return xys
	}
	width := math.Log(hi/lo) / stepsAcross
	out := append(plotter.XYs(nil), xys[:2]...) // the start and the first rise
	start := xys[1].X
	for _, p := range xys[2:] {
		if math.Log(p.X/start) < width {
			out[len(out)-1] = p
			continue
		}
		out = append(out, p)
		start = p.X
	}
	return out
}

// twMark is one TIME_WAIT to mark and the strategies whose host had it.
type twMark struct {
	seconds float64
	who     []string
}

// timeWaits are the distinct positive TIME_WAITs of the strategies' hosts,
// in order of first use: a profile brings its own. Results saved before
// hosts were recorded fall back to the scenario's field.
func timeWaits(res *sim.Result) []twMark {
	var out []twMark
	recorded := false
	for _, r := range results(res) {
		if r.Host.Range.Lo == 0 {
			continue // saved before hosts were recorded
		}
		recorded = true
		tw := r.Host.TimeWaitSeconds
		if tw <= 0 {
			continue
		}
		i := slices.IndexFunc(out, func(m twMark) bool { return m.seconds == tw })
		if i < 0 {
			i = len(out)
			out = append(out, twMark{seconds: tw})
		}
		out[i].who = append(out[i].who, r.Strategy)
	}
	if !recorded {
		if tw, ok := timeWait(res); ok && tw > 0 {
			out = append(out, twMark{seconds: tw})
		}
	}
	return out
}

// timeWait is the scenario's TIME_WAIT in seconds, if it names one.
func timeWait(res *sim.Result) (float64, bool) {
	v, ok := field(res, "time-wait")
	if !ok {
		return 0, false
	}
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil {
		return 0, false
	}
	return d.Seconds(), true
}

func field(res *sim.Result, name string) (string, bool) {
	if res == nil {
		return "", false
	}
	for _, f := range res.Scenario {
		if f.Name == name {
			return f.Value, true
		}
	}
	return "", false
}

// seconds writes a duration given in seconds briefly: "60 s", "0.5 s".
func seconds(s float64) string {
	return strconv.FormatFloat(s, 'g', 4, 64) + " s"
}

// vLine is a vertical reference line across the whole panel at x. It
// widens the x range to include x but leaves the y range to the data.
type vLine struct {
	x float64
	draw.LineStyle
}

func vline(x float64, sty draw.LineStyle) *vLine { return &vLine{x: x, LineStyle: sty} }

func (v *vLine) Plot(c draw.Canvas, p *plot.Plot) {
	if math.IsNaN(v.x) || math.IsInf(v.x, 0) || (isLog(p.X) && v.x <= 0) {
		return
	}
	tx, _ := p.Transforms(&c)
	x := tx(v.x)
	if x < c.Min.X || x > c.Max.X {
		return
	}
	c.StrokeLine2(v.LineStyle, x, c.Min.Y, x, c.Max.Y)
}

func (v *vLine) DataRange() (xmin, xmax, ymin, ymax float64) {
	if math.IsNaN(v.x) || math.IsInf(v.x, 0) {
		return math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	}
	return v.x, v.x, math.Inf(1), math.Inf(-1)
}

func (v *vLine) Thumbnail(c *draw.Canvas) {
	x := (c.Min.X + c.Max.X) / 2
	c.StrokeLine2(v.LineStyle, x, c.Min.Y, x, c.Max.Y)
}

func isLog(a plot.Axis) bool {
	_, ok := a.Scale.(plot.LogScale)
	return ok
}
