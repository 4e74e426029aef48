package serve

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/internal/format"
	"github.com/portsim/portsim/plots"
	"github.com/portsim/portsim/report"
	"github.com/portsim/portsim/sim"
	"github.com/portsim/portsim/strategies"
)

// signaturePoints is about how many allocations per strategy the port
// signature shows: every k-th, k fixed by the scenario's expected
// arrivals, so the same scenario draws the same points. More would cost
// the page time (each point is an SVG path) without showing more.
const signaturePoints = 400

// runAnswer is GET /api/run's answer: everything the Explore and Ask tabs
// show for one scenario.
type runAnswer struct {
	// Query is the canonical query of the scenario, for the page's URL.
	Query    string      `json:"query"`
	Scenario []sim.Field `json:"scenario"`
	Columns  []column    `json:"columns"`
	Rows     [][]string  `json:"rows"` // one per strategy, a cell per column
	Capacity []capacity  `json:"capacity"`
	Charts   []chart     `json:"charts"`
	Why      why         `json:"why"`
	Findings []string    `json:"findings"`
	Timing   timing      `json:"timing"`
}

type column struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Help  string `json:"help"`
}

// columns are the results table's, in order; row fills them.
var columns = []column{
	{"strategy", "strategy", "the strategy or profile:NAME"},
	{"allocations", "allocations", "connections that got a port, after the warm-up"},
	{"failures", "failures", "attempts that found no usable port (EADDRNOTAVAIL)"},
	{"fail-rate", "fail %", "failures over attempts"},
	{"probes", "probes", "mean candidate ports asked per attempt"},
	{"probes-p99", "probes p99", "99th percentile of probes per attempt"},
	{"collisions", "collisions", "attempts whose first candidate was busy"},
	{"reuse-min", "reuse min", "shortest time from a 4-tuple's close to its next use"},
	{"tw-reuses", "TIME_WAIT reuses", "4-tuples taken while still in TIME_WAIT (tw-reuse)"},
	{"bits-same", "bits (same dst)", "entropy of the next port to the same destination"},
	{"bits-cross", "bits (other dst)", "entropy of the next port to another destination"},
	{"guess", "best guess", "how often the likeliest next port to the same destination is right"},
}

func row(r *sim.StrategyResult) []string {
	reuse := "—"
	if r.ReuseMinSeconds >= 0 {
		reuse = strconv.FormatFloat(r.ReuseMinSeconds, 'f', 1, 64) + " s"
	}
	return []string{
		r.Strategy,
		strconv.Itoa(r.Allocations),
		strconv.Itoa(r.Failures),
		percent(r.FailureRate),
		fixed(r.ProbesMean, 2),
		strconv.Itoa(r.ProbesP99),
		percent(r.CollisionRate),
		reuse,
		strconv.Itoa(r.TWReuses),
		fixed(r.EntropySameDst, 1),
		fixed(r.EntropyCrossDst, 1),
		percent(r.GuessSameDst),
	}
}

func fixed(x float64, prec int) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "—"
	}
	return strconv.FormatFloat(x, 'f', prec, 64)
}

func percent(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "—"
	}
	return format.Percent(x, 2)
}

// chart is one chart of package plots, drawn as SVG for inlining.
type chart struct {
	Name    string `json:"name"`
	Title   string `json:"title"`
	Caption string `json:"caption"`
	SVG     string `json:"svg"`
}

type timing struct {
	SimMS    float64 `json:"sim_ms"`
	ChartsMS float64 `json:"charts_ms"`
}

// handleRun answers GET /api/run: the query's scenario, run.
func (s *Server) handleRun(r *http.Request) (any, error) {
	q := r.URL.Query()
	sc, base, err := s.scenarioOf(q)
	if err != nil {
		return nil, err
	}
	why := uint16(defaultWhy)
	if v := q.Get(keyWhy); v != "" {
		p, err := strconv.ParseUint(v, 10, 16)
		if err != nil || p == 0 {
			return nil, badInput(keyWhy, "why: %q is not a port; want a whole number from 1 to 65535", v)
		}
		why = uint16(p)
	}
	ans, err := s.run(r.Context(), &sc, why)
	if err != nil {
		return nil, err
	}
	ans.Query = canonicalQuery(&sc, &base, q)
	return ans, nil
}

// run simulates sc within the server's limits and draws what the page
// shows; why is the port the Ask tab asks about.
func (s *Server) run(ctx context.Context, sc *sim.Scenario, why uint16) (*runAnswer, error) {
	release, err := s.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()

	start := time.Now()
	series := make([]*thinned, len(sc.Strategies))
	stride := max(1, int(math.Ceil(arrivals(sc)/signaturePoints)))
	for i, spec := range sc.Strategies {
		series[i] = &thinned{name: spec, stride: stride, why: why}
	}
	rctx, cancel := context.WithTimeout(ctx, s.lim.Timeout)
	defer cancel()
	res, err := sim.Run(rctx, *sc, sim.Options{Attempts: func(i int) func(sim.Alloc) error { return series[i].add }})
	if err != nil {
		return nil, fieldError("scenario", err)
	}
	if res.Partial {
		if ctx.Err() != nil {
			return nil, busy("the request ended before the run did")
		}
		return nil, busy("the run took longer than this server's limit of %v; want a lower rate, a shorter duration or fewer strategies (portsim run has no such limit)", s.lim.Timeout)
	}
	simTime := time.Since(start)

	start = time.Now()
	charts, err := draw(res, series)
	if err != nil {
		return nil, err
	}
	ans := &runAnswer{
		Scenario: res.Scenario,
		Columns:  columns,
		Charts:   charts,
		Why:      answerWhy(res, series, why),
		Findings: report.Findings(res),
	}
	for i := range res.Results {
		r := &res.Results[i]
		ans.Rows = append(ans.Rows, row(r))
		ans.Capacity = append(ans.Capacity, capacityOf(sc, r))
	}
	ans.Timing = timing{SimMS: ms(simTime), ChartsMS: ms(time.Since(start))}
	return ans, nil
}

func ms(d time.Duration) float64 { return math.Round(float64(d.Microseconds())/100) / 10 }

// draw renders the run's charts as SVG, in plots.All's order, the port
// signature from the thinned series; charts are independent, so they are
// drawn in parallel.
func draw(res *sim.Result, series []*thinned) ([]chart, error) {
	cs := plots.All(res)
	for i, c := range cs {
		if c.Name == "port-signature" {
			ps := make([]plots.PortSeries, len(series))
			for j, s := range series {
				ps[j] = s
			}
			cs[i] = plots.PortSignature(ps)
			if k := series[0].stride; k > 1 {
				cs[i].Caption += fmt.Sprintf(" Here every %s allocation of each strategy is shown.", ordinal(k))
			}
		}
	}
	out := make([]chart, len(cs))
	errs := make([]error, len(cs))
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Go(func() {
			var buf bytes.Buffer
			w, h := c.Width, c.Height
			if w == 0 {
				w, h = plots.DefaultWidth, plots.DefaultHeight
			}
			if err := c.Render(&buf, "svg", w, h); err != nil {
				errs[i] = fmt.Errorf("chart %s: %w", c.Name, err)
				return
			}
			// Inline SVG needs no XML prolog; the page's innerHTML would
			// make it a comment.
			svg := buf.Bytes()
			if at := bytes.Index(svg, []byte("<svg")); at > 0 {
				svg = svg[at:]
			}
			out[i] = chart{Name: c.Name, Title: c.Title, Caption: c.Caption, SVG: string(svg)}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func ordinal(k int) string {
	suffix := "th"
	switch {
	case k%100 >= 11 && k%100 <= 13:
	case k%10 == 1:
		suffix = "st"
	case k%10 == 2:
		suffix = "nd"
	case k%10 == 3:
		suffix = "rd"
	}
	return strconv.Itoa(k) + suffix
}

// thinned is one strategy's allocations, every stride-th kept, for the
// port signature (it is a plots.PortSeries), and what the run did with the
// port why.
type thinned struct {
	name   string
	stride int
	n      int // attempts seen
	t      []float64
	port   []uint16
	dst    []int32

	why      uint16
	whyPicks int
	whyFirst sim.Alloc
}

func (s *thinned) add(a sim.Alloc) error {
	if a.Port == s.why && a.Port != 0 {
		if s.whyPicks == 0 {
			s.whyFirst = a
		}
		s.whyPicks++
	}
	if s.n%s.stride == 0 {
		s.t = append(s.t, a.TimeSeconds)
		s.port = append(s.port, a.Port)
		s.dst = append(s.dst, int32(a.Dst))
	}
	s.n++
	return nil
}

func (s *thinned) Name() string { return s.name }
func (s *thinned) Len() int     { return len(s.t) }
func (s *thinned) Port(i int) (float64, uint16, int) {
	return s.t[i], s.port[i], int(s.dst[i])
}

// capacity is one strategy's gauge: the rate the scenario asks against the
// rate its busiest port pool sustains.
type capacity struct {
	Strategy string `json:"strategy"`
	// Rate is the scenario's rate field; Limit the rate at which the
	// busiest pool's ports are all held (0: no limit, nothing is held).
	Rate  float64 `json:"rate"`
	Limit float64 `json:"limit"`
	Over  bool    `json:"over"`
	// Failures and FailureRate are what the run saw.
	Failures    int     `json:"failures"`
	FailureRate float64 `json:"failure_rate"`
	// Text says it in a sentence, for the gauge and the Ask tab.
	Text string `json:"text"`
}

// capacityOf estimates, by Little's law, the rate at which the busiest
// pool of ports fills: a connect() to the busiest destination holds its
// 4-tuple for its lifetime plus, when this side closes, TIME_WAIT; a
// bind() holds its port against every destination; UDP holds its port
// while open. Each local address (and host) has its own pools.
func capacityOf(sc *sim.Scenario, r *sim.StrategyResult) capacity {
	c := capacity{Strategy: r.Strategy, Rate: sc.Arrivals.Rate, Failures: r.Failures, FailureRate: r.FailureRate}
	life := sc.Lifetime.Mean.Seconds()
	tw := r.Host.TimeWaitSeconds
	client := shareOf(sc.Close, allocator.ClientFirst)
	conn, bind, udp := shareOf(sc.Kinds, allocator.Connect), shareOf(sc.Kinds, allocator.Bind), shareOf(sc.Kinds, allocator.UDP)
	if exclusiveConnect(r.Strategy) {
		conn, bind = 0, bind+conn
	}
	top := busiestShare(sc)
	held := (bind + conn*top) * (life + client*tw) // TCP ports per connection/s
	pool := "the busiest destination's"
	if bind > 0 {
		pool = "the host's" // a bound port is owned against every destination
	}
	if u := udp * life; u > held {
		held, pool = u, "the host's UDP"
	}
	if a := sc.Arrivals; a.Process == sim.OnOff {
		held *= a.On.Seconds() / (a.On + a.Off).Seconds()
	}
	held /= float64(len(sc.Srcs) * sc.Hosts)
	usable := r.Host.UsablePorts
	if held <= 0 {
		c.Text = fmt.Sprintf("%s: no port stays held, so no rate fills its %d usable ports.", r.Strategy, usable)
		return c
	}
	c.Limit = float64(usable) / held
	c.Over = c.Rate > c.Limit
	c.Text = fmt.Sprintf("%s: about %s connections/s fill %s %d usable ports (each held %s open + %s in TIME_WAIT); this scenario asks %s/s, %s of that",
		r.Strategy, rate(c.Limit), pool, usable, secs(life), secs(client*tw), rate(c.Rate), format.Percent(c.Rate/c.Limit, 0))
	if r.Failures > 0 {
		c.Text += fmt.Sprintf(", and %d attempts (%s) failed with EADDRNOTAVAIL.", r.Failures, percent(r.FailureRate))
	} else {
		c.Text += ", and no attempt failed."
	}
	return c
}

func rate(x float64) string {
	if x >= 100 {
		return strconv.FormatFloat(math.Round(x), 'f', 0, 64)
	}
	return strconv.FormatFloat(x, 'g', 3, 64)
}

func secs(x float64) string { return strconv.FormatFloat(x, 'g', 3, 64) + " s" }

// shareOf is the weight of v in a mix, over the total.
func shareOf[T comparable](mix []sim.Share[T], v T) float64 {
	in, total := 0.0, 0.0
	for _, s := range mix {
		total += s.Weight
		if s.Value == v {
			in += s.Weight
		}
	}
	if total <= 0 {
		return 0
	}
	return in / total
}

// busiestShare is the share of connections that go to the most popular
// destination: 1/n for uniform, 1/H(n, s) for Zipf.
func busiestShare(sc *sim.Scenario) float64 {
	n := sc.Destinations
	if !sc.Popularity.Zipf {
		return 1 / float64(n)
	}
	// Sum the first terms; past them the sum is close to its integral.
	const exact = 10000
	h, e := 0.0, -sc.Popularity.S
	for i := min(n, exact); i >= 1; i-- { // smallest terms first
		h += math.Pow(float64(i), e)
	}
	if n > exact {
		a, b := exact+0.5, float64(n)+0.5
		if e == -1 {
			h += math.Log(b / a)
		} else {
			h += (math.Pow(b, e+1) - math.Pow(a, e+1)) / (e + 1)
		}
	}
	return 1 / h
}

// exclusiveConnect reports whether spec is a profile whose connect()
// owns its port against every destination (ns-3, OMNeT++ INET).
func exclusiveConnect(spec string) bool {
	name, ok := strategies.IsProfileSpec(spec)
	if !ok {
		return false
	}
	p, err := strategies.LookupProfile(name)
	return err == nil && p.ExclusiveConnect
}
