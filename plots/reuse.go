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
// StrategyResult.ReuseHist and the "time-wait" and "kind" scenario fields.
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
		xmin, xmax := math.Inf(1), math.Inf(-1)
		for i, r := range results(res) {
			xys := pn.filter(reuseCDF(r.ReuseHist, r.ReuseMinSeconds))
			if len(xys) == 0 {
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
			legend.Add(r.Strategy, l)
			pn.n += len(xys)
			xmin, xmax = math.Min(xmin, xys[0].X), math.Max(xmax, xys[len(xys)-1].X)
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
			"Times are counted in bins five to a decade, so a line steps up at the end of each bin that holds reuses and is flat where none came back.",
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
	v, ok := field(res, "kind")
	if !ok {
		return false
	}
	for _, item := range strings.Split(v, ",") {
		name, w, _ := strings.Cut(strings.TrimSpace(item), "=")
		if name != "udp" && w != "0" {
			return false
		}
	}
	return true
}

// reuseCDF turns histogram buckets into CDF points at each bucket's upper
// edge, starting from 0 at the exact shortest interval (min, when it falls
// in the first non-empty bucket) or else that bucket's lower edge. It is
// empty when no bucket counts anything.
func reuseCDF(hist []sim.Bucket, min float64) plotter.XYs {
	total := 0
	for _, b := range hist {
		total += max(b.Count, 0)
	}
	if total == 0 {
		return nil
	}
	var xys plotter.XYs
	cum := 0
	for _, b := range hist {
		n := max(b.Count, 0)
		if len(xys) == 0 {
			if n == 0 {
				continue
			}
			lo := b.Lo
			if min >= b.Lo && min < b.Hi && min > 0 {
				lo = min // without it the line would start up to a bin too early
			} else if !(lo > 0) { // the first bucket starts at 0, which a log axis cannot show
				lo = b.Hi / 10
			}
			xys = append(xys, plotter.XY{X: lo, Y: 0})
		}
		cum += n
		hi := b.Hi
		if hi > 1e6*b.Lo && b.Lo > 0 { // the open-ended last bucket reports a huge bound
			hi = b.Lo * math.Pow(10, 0.2)
		}
		xys = append(xys, plotter.XY{X: hi, Y: float64(cum) / float64(total)})
		if cum == total {
			break
		}
	}
	return xys
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
