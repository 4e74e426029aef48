package fit

import (
	"fmt"
	"math"
	"net/netip"
	"strings"
	"time"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/internal/format"
	"github.com/portsim/portsim/internal/seed"
	"github.com/portsim/portsim/strategies"
	"gonum.org/v1/gonum/stat/distuv"
)

// The goodness-of-fit check: the posteriors only compare the candidates
// with one another, so the best of them is checked on its own. Its
// strategy is run on the host's very requests (the same destinations, in
// the same order, at the same times) checkReplicates times, and a few
// statistics of the observed ports are compared with the same statistics
// of the model's: where a statistic differs both significantly and by a
// margin that matters, no model explains the ports.
const (
	// checkAttempts is the most attempts checked: a host's first ones, so
	// that a huge host costs no more than a small one.
	checkAttempts   = 2000
	checkReplicates = 20
	// checkAlpha is each statistic's significance level.
	checkAlpha = 1e-3
	// checkShare is the margin by which an observed share must differ
	// from the model's: a few stray ports (other applications, a port set
	// by hand) move a share by a few hundredths, a wrong model by tenths.
	checkShare = 0.1
	// checkBits is the margin, in bits per attempt, by which the observed
	// ports must be more surprising to the model than its own: a share of
	// strays up to about 5% costs less.
	checkBits = 1
)

// A FitCheck is the goodness-of-fit check of the best model: the model
// run on the host's own requests, its statistics beside the observed
// ones.
type FitCheck struct {
	// Model is the fit checked, by name.
	Model string `json:"model"`
	// Attempts is how many attempts were checked (the host's first ones,
	// and its last on a large host); Replicates how many runs of the
	// model they were compared with.
	Attempts   int `json:"attempts"`
	Replicates int `json:"replicates"`
	// Pass: no statistic differs from the model's by both a significant
	// amount and the margin.
	Pass  bool      `json:"pass"`
	Stats []FitStat `json:"stats"`
	// Finding says what the failing statistic that is furthest off found;
	// empty on a pass.
	Finding string `json:"finding,omitempty"`
}

// FitStat is one statistic of the check.
type FitStat struct {
	// Name is parity (the share of ports at even offsets from the model
	// range's low bound), steps (of the steps between successive ports
	// to one destination, the share within ±32), cursor (the same for
	// successive ports of the host, whatever the destination), outside
	// (the share of ports outside the model's range), surprise (bits
	// per attempt under the model) or, for a nearly uniform model,
	// application (the bits under the model beside those of an
	// application's own uniform choice; see applicationStat).
	Name     string  `json:"name"`
	Observed float64 `json:"observed"`
	// Model is the statistic over the model's runs.
	Model float64 `json:"model"`
	// P is the chance that the model's own ports would be at least as far
	// off; Pass is P ≥ checkAlpha or a difference within the margin.
	P    float64 `json:"p"`
	Pass bool    `json:"pass"`

	finding string
}

// seriesStats are the check's counts over one series of ports.
type seriesStats struct {
	even, outside, n        int
	stepsNear, steps        int
	cursorNear, cursorSteps int
}

func measureSeries(s *hostSeries, rng allocator.Range, st *fitScratch) seriesStats {
	var m seriesStats
	st.reset(s.streams)
	lo, hi := int(rng.Lo), int(rng.Hi)
	prev := -1
	for i, p := range s.ports {
		x := int(p)
		m.n++
		if (x-lo)&1 == 0 {
			m.even++
		}
		if x < lo || x > hi {
			m.outside++
		}
		if prev >= 0 {
			if d := x - prev; d != 0 {
				m.cursorSteps++
				if d >= -near && d <= near {
					m.cursorNear++
				}
			}
		}
		prev = x
		k := s.stream[i]
		if last := st.prev[k]; last >= 0 {
			if d := x - int(last); d != 0 {
				m.steps++
				if d >= -near && d <= near {
					m.stepsNear++
				}
			}
		}
		st.prev[k] = int32(x)
	}
	return m
}

// checkFit runs the best candidate's strategy on s's requests (its first
// checkAttempts) and compares. host seeds the runs, so that the same
// capture gives the same check.
//
// A host of more than twice checkAttempts is checked on its last ones
// too, as a host under load (its ports busy, its walks longer) may fit
// only while it was quiet; the check fails if either fails.
func checkFit(s *hostSeries, best *Fit, host netip.Addr, st *fitScratch) *FitCheck {
	hs := seed.Named(seed.Mix64(addrHash(host)), "fit/check")
	n := min(len(s.ports), checkAttempts)
	first := checkWindow(&hostSeries{ports: s.ports[:n], secs: s.secs[:n], stream: s.stream[:n], streams: s.streams}, best, hs, st)
	if len(s.ports) <= 2*checkAttempts || first == nil || !first.Pass {
		return first
	}
	from := len(s.ports) - checkAttempts
	last := checkWindow(&hostSeries{ports: s.ports[from:], secs: s.secs[from:], stream: s.stream[from:], streams: s.streams}, best, hs, st)
	if last == nil || last.Pass {
		first.Attempts *= 2
		return first
	}
	last.Attempts *= 2
	last.Finding = fmt.Sprintf("in the last %d attempts, %s", checkAttempts, last.Finding)
	return last
}

// checkWindow checks best on the attempts of obs.
func checkWindow(obs *hostSeries, best *Fit, hs uint64, st *fitScratch) *FitCheck {
	c := best.cand
	n := len(obs.ports)
	fc := &FitCheck{Model: best.Name, Attempts: n, Replicates: checkReplicates, Pass: true}

	om := measureSeries(obs, c.rng, st)
	oBits := -c.model.logLik(obs, st) / math.Ln2 / float64(n)

	var sm seriesStats
	bits := make([]float64, 0, checkReplicates)
	sim := &hostSeries{ports: make([]uint16, n), secs: obs.secs, stream: obs.stream, streams: obs.streams}
	// One strategy serves every run, each to destinations of its own and
	// an hour (plus a random phase) after the last: independent runs, as
	// a host's connections to other servers at other times are, without
	// building a strategy (Linux's table of 2^16 counters) per run.
	strat, err := strategies.New(c.strategy, hs)
	if err != nil {
		panic("fit: " + err.Error()) // candidates' specs were checked when built
	}
	req := &allocator.Request{Kind: c.kind, Src: netip.AddrFrom4([4]byte{10, 0, 0, 1}), Lo: c.rng.Lo, Hi: c.rng.Hi}
	for r := range checkReplicates {
		start := time.Duration(r)*time.Hour + time.Duration(seed.Word(hs, uint64(r), 0)%uint64(time.Hour))
		if !simulateSeries(sim, strat, req, r, start) {
			// The model failed to place a port (it cannot happen on a
			// free table); nothing to compare with.
			return nil
		}
		m := measureSeries(sim, c.rng, st)
		sm.even += m.even
		sm.outside += m.outside
		sm.n += m.n
		sm.stepsNear += m.stepsNear
		sm.steps += m.steps
		sm.cursorNear += m.cursorNear
		sm.cursorSteps += m.cursorSteps
		bits = append(bits, -c.model.logLik(sim, st)/math.Ln2/float64(n))
	}

	lowParity := parityName(c.rng.Lo, true)
	surprise := surpriseStat(oBits, bits)
	fc.Stats = []FitStat{
		shareStat("parity", om.even, om.n, sm.even, sm.n, func(o, m string) string {
			return fmt.Sprintf("%s of ports at %s offsets from %d where the model has %s", o, lowParity, c.rng.Lo, m)
		}),
		shareStat("steps", om.stepsNear, om.steps, sm.stepsNear, sm.steps, func(o, m string) string {
			return fmt.Sprintf("%s of steps to one destination within ±%d where the model has %s", o, near, m)
		}),
		shareStat("cursor", om.cursorNear, om.cursorSteps, sm.cursorNear, sm.cursorSteps, func(o, m string) string {
			return fmt.Sprintf("%s of the host's successive ports within ±%d of each other where the model has %s", o, near, m)
		}),
		shareStat("outside", om.outside, om.n, sm.outside, sm.n, func(o, m string) string {
			return fmt.Sprintf("%s of ports outside %v where the model has %s", o, c.rng, m)
		}),
		surprise,
	}
	// The surprise statistic's Model is the mean of the model's runs.
	if a, ok := applicationStat(obs, oBits, surprise.Model); ok {
		fc.Stats = append(fc.Stats, a)
	}
	worst := -1.0
	for i := range fc.Stats {
		f := &fc.Stats[i]
		if f.Pass {
			continue
		}
		fc.Pass = false
		if d := f.distance(); d > worst {
			worst, fc.Finding = d, f.finding
		}
	}
	return fc
}

// distance is how far off the observed statistic is, shares and bits on
// one scale: 16 bits per attempt (a port drawn from all 65536) count as a
// whole share.
func (f *FitStat) distance() float64 {
	d := math.Abs(f.Observed - f.Model)
	if f.Name == "surprise" || f.Name == "application" {
		d /= 16
	}
	return d
}

// shareStat compares an observed share, k of n, with the model's, ks of
// ns: a binomial test of k against the model's share (kept off 0 and 1 by
// half a count each way, since the model's runs are finite).
func shareStat(name string, k, n, ks, ns int, say func(o, m string) string) FitStat {
	f := FitStat{Name: name, P: 1, Pass: true}
	if n == 0 || ns == 0 {
		return f
	}
	f.Observed = float64(k) / float64(n)
	f.Model = float64(ks) / float64(ns)
	p := (float64(ks) + 0.5) / (float64(ns) + 1)
	b := distuv.Binomial{N: float64(n), P: p}
	lower, upper := b.CDF(float64(k)), 1.0
	if k > 0 {
		upper = b.Survival(float64(k) - 1)
	}
	f.P = clampP(min(1, 2*min(lower, upper)))
	f.Pass = f.P >= checkAlpha || math.Abs(f.Observed-f.Model) <= checkShare
	f.finding = say(format.Percent(f.Observed, 1), format.Percent(f.Model, 1))
	return f
}

// surpriseStat compares the observed bits per attempt with the model's
// runs': a one-sided z-test on their spread (the observed ports can only
// fail by being more surprising).
func surpriseStat(obs float64, runs []float64) FitStat {
	var mean, sq float64
	for _, b := range runs {
		mean += b
	}
	mean /= float64(len(runs))
	for _, b := range runs {
		sq += (b - mean) * (b - mean)
	}
	sd := math.Sqrt(sq / float64(len(runs)-1))
	f := FitStat{Name: "surprise", Observed: obs, Model: mean, P: 1}
	switch {
	case obs <= mean:
	case sd > 0:
		f.P = distuv.UnitNormal.Survival((obs - mean) / sd)
	default:
		f.P = 0
	}
	f.Pass = f.P >= checkAlpha || obs-mean <= checkBits
	f.finding = fmt.Sprintf("%.1f bits per attempt where the model's own ports cost %.1f", obs, mean)
	return f
}

// An application may choose its ports itself, and then the kernel chose
// nothing: DNS resolvers (Android's bionic, dnsmasq, Unbound, BIND) draw
// each query's port uniformly from all unprivileged ports, 1024-65535. A
// model that is itself nearly uniform (its own ports cost at least
// appNearBits fewer bits than such a draw) must explain the host's ports
// better than that rival does, by the odds a verdict needs: on a handful
// of ports FreeBSD's 10000-65535 or OpenBSD's 1024-49151 cannot be told
// from a resolver's choice (an Android phone's DNS queries read as
// FreeBSD's at 1.00 before this check).
const (
	appLo       = 1024
	appNearBits = 2
)

// applicationStat compares the ports' log-likelihood under the best
// model (obsBits per attempt) with a uniform draw over appLo-65535 (each
// with the off-model share every model has); it is made only for a
// nearly uniform model (mean is its own ports' bits per attempt, over its
// runs). Its P is the rival's posterior against the model, both equally
// likely beforehand.
func applicationStat(obs *hostSeries, obsBits, mean float64) (FitStat, bool) {
	uniform := math.Log2(portNumbers - appLo)
	if mean < uniform-appNearBits {
		return FitStat{}, false
	}
	l := newLogSum()
	for _, p := range obs.ports {
		pm := 0.0
		if p >= appLo {
			pm = 1.0 / (portNumbers - appLo)
		}
		l.add(mixOff(pm))
	}
	n := float64(len(obs.ports))
	appBits := -l.total() / math.Ln2 / n
	// The model's log-likelihood less the rival's, in nats.
	lead := (appBits - obsBits) * math.Ln2 * n
	f := FitStat{Name: "application", Observed: obsBits, Model: appBits, P: 1 / (1 + math.Exp(lead))}
	f.Pass = 1-f.P >= DecisivePosterior
	f.finding = fmt.Sprintf("an application's own choice over %d-65535, as DNS resolvers make, explains the ports as well (%.1f bits per attempt, the model %.1f)", appLo, appBits, obsBits)
	return f, true
}

// simulateSeries fills s.ports with the ports strat picks for s's
// requests, run r of a check, on a free table: each destination an
// address of run r's own, the times from start.
func simulateSeries(s *hostSeries, strat allocator.Strategy, req *allocator.Request, r int, start time.Duration) bool {
	free := func(uint16) bool { return true }
	for i := range s.ports {
		k := s.stream[i]
		req.Dst = netip.AddrPortFrom(netip.AddrFrom4([4]byte{byte(100 + r), byte(k >> 16), byte(k >> 8), byte(k)}), 443)
		req.Now = start + time.Duration(s.secs[i]*float64(time.Second))
		req.Trace = nil
		p, _, err := strat.Pick(req, free)
		if err != nil {
			return false
		}
		s.ports[i] = p
	}
	return true
}

// addrHash folds an address into 64 bits.
func addrHash(a netip.Addr) uint64 {
	b := a.As16()
	var h uint64
	for _, x := range b {
		h = h*131 + uint64(x)
	}
	return h
}

// String is the check in one line: "fits (parity, steps, ... within the
// model's)" or the finding.
func (fc *FitCheck) String() string {
	if fc.Pass {
		names := make([]string, len(fc.Stats))
		for i, f := range fc.Stats {
			names[i] = f.Name
		}
		return fmt.Sprintf("%s checked on %s against %d runs: %s like the model's", fc.Model, format.Plural(fc.Attempts, "attempt"), fc.Replicates, strings.Join(names, ", "))
	}
	return fc.Finding
}
