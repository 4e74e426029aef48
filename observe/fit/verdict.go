package fit

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/internal/fielderr"
	"github.com/portsim/portsim/internal/format"
	"github.com/portsim/portsim/internal/seed"
	"github.com/portsim/portsim/observe/capture"
	"github.com/portsim/portsim/strategies"
	"gonum.org/v1/gonum/stat/distuv"
)

// DefaultAlpha is a verdict's family-wise significance level: a model is
// rejected when some check's p-value is below DefaultAlpha divided by the
// number of checks made (Bonferroni), so that a right model is rejected
// in at most about 1 run in 1000, and a wrong one, with the thousands of
// samples a probe makes, fails with p-values far below it.
const DefaultAlpha = 1e-3

// near is the distance, in ports, that counts as a small step: Linux's
// connect() moves +2..+16 between connections to one destination.
const near = 32

// The model is simulated until it has made about simTarget ports, in
// whole replicates of the observed sequence, at least minReplicates: the
// tests compare two samples, so a few times the observed count already
// gives nearly the power of comparing with exact probabilities.
const (
	simTarget     = 50000
	minReplicates = 4
	maxReplicates = 100
)

// bigBins is how many bins the steps beyond ±near fall into.
const bigBins = 32

// maxBuckets is the most buckets the range is cut into for uniformity.
const maxBuckets = 32

// maxPairDsts bounds the destinations the counters check compares in
// pairs: the first 16, as many as a probe makes at most.
const maxPairDsts = 16

// VerdictOptions are the host's rules and the model's seed.
type VerdictOptions struct {
	// Range is the kernel's ip_local_port_range; the model uses it.
	Range allocator.Range
	// Reserved are ports the model must not choose (ip_local_reserved_ports).
	Reserved []allocator.Range
	// Seed draws the model's keys and random numbers.
	Seed uint64
	// Alpha is the family-wise significance level; 0 means DefaultAlpha.
	Alpha float64
}

// Check is one test of observed ports against the model.
type Check struct {
	// Name is parity, steps, spread, starts or counters.
	Name string `json:"name"`
	// P is the p-value of the observed ports under the model: the chance
	// that the model's own ports would differ from its simulation at
	// least as much. 1 for a skipped check.
	P float64 `json:"p"`
	// Pass is P ≥ Alpha / (checks made).
	Pass bool `json:"pass"`
	// Skipped: there was too little data for this check (one destination,
	// a handful of start points).
	Skipped bool `json:"skipped,omitempty"`
	// Detail gives the numbers behind P, observed beside the model's.
	Detail string `json:"detail"`
	// Finding says in a phrase what a failing check found; empty when it
	// passes.
	Finding string `json:"finding,omitempty"`

	reason string // the finding, should the check fail
}

// Verdict says whether one kind's observed ports could come from a model.
type Verdict struct {
	Kind  allocator.Kind `json:"kind"`
	Model string         `json:"model"`
	// N is how many samples of Kind were judged.
	N     int  `json:"n"`
	Match bool `json:"match"`
	// P is the Bonferroni-adjusted p-value: the smallest check's P times
	// the number of checks made, at most 1. Match is P ≥ Alpha.
	P      float64 `json:"p"`
	Alpha  float64 `json:"alpha"`
	Checks []Check `json:"checks"`
	// Reason is the finding of the failing check with the smallest P;
	// empty on a match.
	Reason string `json:"reason,omitempty"`
}

// String is the verdict line: "connect: matches linux (p = 0.43)" or
// "bind: does not match linux-bind: even ports seen where odd were
// expected (p < 1e-300)".
func (v *Verdict) String() string {
	if v.Match {
		return fmt.Sprintf("%s: matches %s (%s)", v.Kind, v.Model, FormatP(v.P))
	}
	return fmt.Sprintf("%s: does not match %s: %s (%s)", v.Kind, v.Model, v.Reason, FormatP(v.P))
}

// FormatP writes a p-value for people: "p = 0.43", "p = 3.1e-07",
// "p < 1e-300".
func FormatP(p float64) string {
	switch {
	case p >= 0.01:
		return "p = " + strconv.FormatFloat(p, 'f', 2, 64)
	case p >= 1e-300:
		return "p = " + strconv.FormatFloat(p, 'e', 1, 64)
	}
	return "p < 1e-300"
}

// Judge compares obs, the attempts of one request kind in the order they
// were made, with a model: a strategy spec as strategies.New takes it, run over opt.Range on a table where every
// non-reserved port is free (the probe closes each socket before the
// next). The model is simulated on the very requests observed — the same
// destinations, in the same order, at the same times (shifted by a random
// phase, since the kernel's 10 s re-salt clock has an unknown one) — and
// each check compares a statistic of the observed ports with the same
// statistic of the simulated ones (two-sample chi-square, with sparse cells
// pooled and tested exactly):
//
//   - parity: ports of the low bound's parity and of the other (Linux
//     connect(): all even; bind(): odd; UDP: half and half);
//   - steps: the step from each port to the next one to the same
//     destination, ±near one by one, beyond in bins (connect(): +2..+16;
//     bind() and UDP: anywhere);
//   - spread: where ports fall in the range, in up to 32 buckets; for a
//     model whose steps are mostly small (a walk, such as connect()) only
//     the start points count: the first port to each destination and each
//     port after a step beyond ±near (a re-salt);
//   - starts: pairs of destinations whose first ports lie within near of
//     each other (unrelated destinations rarely do);
//   - counters: pairs of destinations whose ports move in lockstep, as
//     they do when one counter serves both (see pairState).
//
// Judge uses no randomness but the model's, drawn from opt.Seed, so the
// same attempts and seed give the same verdict.
func Judge(obs []capture.Attempt, kind allocator.Kind, model string, opt VerdictOptions) (*Verdict, error) {
	if err := checkKind(kind); err != nil {
		return nil, err
	}
	if err := opt.Range.Validate(); err != nil {
		return nil, &fielderr.Error{Field: "range", Value: opt.Range.String(), Err: err}
	}
	for _, r := range opt.Reserved {
		if err := r.Validate(); err != nil {
			return nil, &fielderr.Error{Field: "reserved", Value: r.String(), Err: err}
		}
	}
	alpha := opt.Alpha
	if alpha == 0 {
		alpha = DefaultAlpha
	}
	if !(alpha > 0 && alpha < 1) {
		return nil, &fielderr.Error{Field: "alpha", Value: strconv.FormatFloat(alpha, 'g', -1, 64), Err: fmt.Errorf("want a probability between 0 and 1")}
	}
	if _, err := strategies.New(model, opt.Seed); err != nil {
		return nil, &fielderr.Error{Field: "model", Value: strconv.Quote(model), Err: err}
	}
	if len(obs) == 0 {
		return nil, &fielderr.Error{Field: "kind", Value: kind.String(), Err: fmt.Errorf("no samples of this kind to judge")}
	}

	seq := newSequence(obs, opt.Range)
	reps := simTarget / len(obs)
	reps = min(max(reps, minReplicates), maxReplicates)
	sims := make([][]uint16, reps)
	usable := usableFunc(opt.Reserved)
	for r := range sims {
		var err error
		sims[r], err = simulate(obs, model, mix(opt.Seed, uint64(r)), phase(opt.Seed, uint64(r)), kind, opt.Range, usable)
		if err != nil {
			return nil, err
		}
	}

	o := seq.measure(seq.ports)
	var m measures
	for _, ports := range sims {
		m.add(seq.measure(ports))
	}

	v := &Verdict{Kind: kind, Model: model, N: len(obs), Alpha: alpha}
	walk := m.nearShare() >= 0.5
	v.Checks = []Check{
		parityCheck(o, &m, opt.Range),
		stepsCheck(o, &m, seq.ndst),
		spreadCheck(seq, o, sims, &m, walk),
		startsCheck(o, &m),
		countersCheck(o, &m),
	}

	tested := 0
	minP := 1.0
	for _, c := range v.Checks {
		if !c.Skipped {
			tested++
			minP = min(minP, c.P)
		}
	}
	v.P = 1
	if tested > 0 {
		v.P = min(1, minP*float64(tested))
	}
	v.Match = v.P >= alpha
	worst := -1
	for i := range v.Checks {
		c := &v.Checks[i]
		c.Pass = c.Skipped || c.P*float64(tested) >= alpha
		if !c.Pass {
			c.Finding = c.reason
			if worst < 0 || c.P < v.Checks[worst].P {
				worst = i
			}
		}
	}
	if worst >= 0 {
		v.Reason = v.Checks[worst].Finding
	}
	return v, nil
}

// ModelSamples returns a copy of obs, the attempts of one request kind in
// the order they were made, each with its source port replaced by the one
// the model (a strategy spec) chooses for the same request — kind, source,
// destination, time since the first attempt — from a fresh model seeded
// with seed: what the kernel would have shown were it the model.
func ModelSamples(obs []capture.Attempt, kind allocator.Kind, spec string, seed uint64, rng allocator.Range, reserved []allocator.Range) ([]capture.Attempt, error) {
	if err := checkKind(kind); err != nil {
		return nil, err
	}
	if err := rng.Validate(); err != nil {
		return nil, &fielderr.Error{Field: "range", Value: rng.String(), Err: err}
	}
	if len(obs) == 0 {
		return nil, nil
	}
	ports, err := simulate(obs, spec, seed, 0, kind, rng, usableFunc(reserved))
	if err != nil {
		return nil, err
	}
	out := slices.Clone(obs)
	for i := range out {
		out[i].SrcPort = ports[i]
	}
	return out, nil
}

// checkKind refuses a kind that is none of allocator's.
func checkKind(k allocator.Kind) error {
	if k > allocator.UDP {
		return &fielderr.Error{Field: "kind", Value: strconv.Quote(k.String()), Err: errors.New("want connect, bind, udp")}
	}
	return nil
}

func usableFunc(reserved []allocator.Range) func(uint16) bool {
	if len(reserved) == 0 {
		return func(uint16) bool { return true }
	}
	var res [1 << 16]bool
	for _, r := range reserved {
		for p := int(r.Lo); p <= int(r.Hi); p++ {
			res[p] = true
		}
	}
	return func(p uint16) bool { return !res[p] }
}

// simulate runs the model over the observed requests and returns its ports.
func simulate(obs []capture.Attempt, spec string, seed uint64, phase time.Duration, k allocator.Kind, rng allocator.Range, usable func(uint16) bool) ([]uint16, error) {
	s, err := strategies.New(spec, seed)
	if err != nil {
		return nil, &fielderr.Error{Field: "model", Value: strconv.Quote(spec), Err: err}
	}
	ports := make([]uint16, len(obs))
	t0 := obs[0].Time
	for i, a := range obs {
		req := allocator.Request{
			Kind: k, Src: a.Src, Dst: netip.AddrPortFrom(a.Dst, a.DstPort),
			Now: phase + a.Time.Sub(t0), Lo: rng.Lo, Hi: rng.Hi,
		}
		p, _, err := s.Pick(&req, usable)
		if err != nil {
			return nil, fmt.Errorf("model %s found no port for sample %d: %w", spec, i+1, err)
		}
		ports[i] = p
	}
	return ports, nil
}

// mix derives replicate r's seed from the user's, so neighbouring seeds
// give unrelated models.
func mix(s, r uint64) uint64 { return seed.Mix64(s + (r+1)*0x9e3779b97f4a7c15) }

// phase is replicate r's clock offset, uniform over an hour: a whole
// number of any re-salt period a model may have, so its epoch boundaries
// fall at a uniformly random point as the kernel's (jiffies-based) do.
func phase(seed, r uint64) time.Duration {
	return time.Duration(mix(seed^0x5bd1e995, r) % uint64(time.Hour))
}

// sequence is the observed samples reduced to what the checks read.
type sequence struct {
	rng   allocator.Range
	size  int
	ports []uint16
	dst   []int32 // destination index, in order of first appearance
	ndst  int
}

func newSequence(obs []capture.Attempt, rng allocator.Range) *sequence {
	s := &sequence{rng: rng, size: rng.Size(), ports: make([]uint16, len(obs)), dst: make([]int32, len(obs))}
	ids := map[netip.AddrPort]int32{}
	for i, a := range obs {
		key := netip.AddrPortFrom(a.Dst, a.DstPort)
		id, ok := ids[key]
		if !ok {
			id = int32(len(ids))
			ids[key] = id
		}
		s.ports[i], s.dst[i] = a.SrcPort, id
	}
	s.ndst = len(ids)
	return s
}

// measure is one run's statistics: observed, or one model replicate.
type measure struct {
	parity [2]float64 // the low bound's parity, the other
	steps  []float64  // step cells: ±near one by one, then bigBins
	near   float64    // steps within ±near
	nsteps float64
	starts []uint16 // walk start points
	close  [2]float64
	lock   [2]float64
	small  map[int]float64 // steps within ±near, by value
	// cellOf and stepAt are each step's cell and the index of the sample
	// it leads to, in order, for counting rare steps as events.
	cellOf []uint8
	stepAt []int32
}

// signed is the step from a to b in the range taken as a circle, in
// (-size/2, size/2].
func (s *sequence) signed(a, b uint16) int { return circleStep(int(b)-int(a), s.size) }

func (s *sequence) stepCell(d int) int {
	if d >= -near && d <= near {
		return d + near
	}
	u := d
	if u < 0 {
		u += s.size
	}
	return 2*near + 1 + min(u*bigBins/s.size, bigBins-1)
}

func (s *sequence) measure(ports []uint16) *measure {
	m := &measure{steps: make([]float64, 2*near+1+bigBins), small: map[int]float64{}}
	lo := int(s.rng.Lo)
	last := make([]int32, s.ndst)
	for i := range last {
		last[i] = -1
	}
	first := make([]int32, 0, s.ndst)

	nd := min(s.ndst, maxPairDsts)
	pairs := make([]pairState, nd*nd)

	for i, p := range ports {
		m.parity[(int(p)-lo)&1]++
		b := s.dst[i]
		if prev := last[b]; prev >= 0 {
			d := s.signed(uint16(prev), p)
			cell := s.stepCell(d)
			m.steps[cell]++
			m.cellOf = append(m.cellOf, uint8(cell))
			m.stepAt = append(m.stepAt, int32(i))
			m.nsteps++
			if d >= -near && d <= near {
				m.near++
				m.small[d]++
			} else {
				m.starts = append(m.starts, p)
			}
		} else {
			first = append(first, int32(p))
			m.starts = append(m.starts, p)
		}
		if int(b) < nd {
			for a := 0; a < int(b); a++ {
				if last[a] >= 0 {
					pairs[a*nd+int(b)].add(s.signed(uint16(last[a]), p), s.size)
				}
			}
		}
		last[b] = int32(p)
	}
	for i := range first {
		for j := i + 1; j < len(first); j++ {
			d := s.signed(uint16(first[i]), uint16(first[j]))
			if d >= -near && d <= near {
				m.close[0]++
			} else {
				m.close[1]++
			}
		}
	}
	for a := 0; a < nd; a++ {
		for b := a + 1; b < nd; b++ {
			switch pairs[a*nd+b].locked() {
			case 1:
				m.lock[0]++
			case 0:
				m.lock[1]++
			}
		}
	}
	return m
}

// maxDrift bounds the change, between two rounds, of the difference
// between one destination's port and another's: beyond it the change is a
// jump (a re-salt, or a model that scatters ports), which breaks the chain.
const maxDrift = 256

// pairState follows D, the step from destination a's latest port to
// destination b's next one, round after round. If one counter serves both,
// D is a constant plus the increments made in between, fresh each round,
// so its changes x_t = D_t - D_(t-1) are differences of independent terms
// and have lag-1 autocorrelation -1/2. If each has its own counter, D is a
// random walk and its changes are independent: autocorrelation 0. The
// statistic does not depend on how many picks fall in between, nor on the
// size of the increments.
type pairState struct {
	haveD, haveX bool
	d, x         int
	n, lagN      float64 // changes seen; pairs of successive changes
	sum, sq, lag float64 // Σx, Σx², Σx_t·x_(t-1)
}

func (st *pairState) add(d, size int) {
	if st.haveD {
		x := d - st.d
		x = ((x % size) + size) % size
		if x > size/2 {
			x -= size
		}
		if x < -maxDrift || x > maxDrift {
			st.haveX = false
		} else {
			st.n++
			st.sum += float64(x)
			st.sq += float64(x) * float64(x)
			if st.haveX {
				st.lagN++
				st.lag += float64(x) * float64(st.x)
			}
			st.x, st.haveX = x, true
		}
	}
	st.d, st.haveD = d, true
}

// locked is 1 when the pair moves in lockstep (D's changes anticorrelated,
// or D constant), 0 when it does not, -1 when there are too few changes.
func (st *pairState) locked() int {
	if st.lagN < 5 {
		return -1
	}
	mean := st.sum / st.n
	v := st.sq/st.n - mean*mean
	if v < 1e-9 {
		return 1
	}
	if (st.lag/st.lagN-mean*mean)/v < -0.25 {
		return 1
	}
	return 0
}

// measures sums the model replicates.
type measures struct {
	measure
	reps []*measure
}

func (m *measures) add(r *measure) {
	if m.steps == nil {
		m.steps = make([]float64, len(r.steps))
		m.small = map[int]float64{}
	}
	for i := range m.parity {
		m.parity[i] += r.parity[i]
		m.close[i] += r.close[i]
		m.lock[i] += r.lock[i]
	}
	for i, c := range r.steps {
		m.steps[i] += c
	}
	for d, c := range r.small {
		m.small[d] += c
	}
	m.near += r.near
	m.nsteps += r.nsteps
	m.reps = append(m.reps, r)
}

func (m *measure) nearShare() float64 {
	if m.nsteps == 0 {
		return 0
	}
	return m.near / m.nsteps
}

// compare tests whether observed and simulated counts over the same cells
// come from one distribution. Cells in which the smaller sample would
// expect fewer than 5 are pooled; the common cells get a chi-square test of
// homogeneity, the pool an exact conditional binomial test of its share
// (which copes with the model putting nothing where the kernel put a few).
// With both, the smaller p-value is doubled.
func compare(obs, sim []float64) float64 { return compareCells(obs, sim, nil) }

// compareCells is compare, with the pool's counts optionally replaced by
// events(rare), the number of independent events behind the rare cells'
// counts in each sample (see stepEvents). The pool is then always tested
// on its own, never as a chi-square cell, since clustered counts would
// overstate the evidence there too.
func compareCells(obs, sim []float64, events func(rare []bool) (o, s float64)) float64 {
	var nO, nS float64
	for i := range obs {
		nO += obs[i]
		nS += sim[i]
	}
	if nO == 0 || nS == 0 {
		return 1
	}
	small := min(nO, nS) / (nO + nS)
	rare := make([]bool, len(obs))
	var common [][2]float64
	var rO, rS float64
	for i := range obs {
		if (obs[i]+sim[i])*small >= 5 {
			common = append(common, [2]float64{obs[i], sim[i]})
		} else {
			rare[i] = true
			rO += obs[i]
			rS += sim[i]
		}
	}
	if events != nil {
		if rO+rS > 0 {
			rO, rS = events(rare)
		}
	} else if (rO+rS)*small >= 5 {
		common = append(common, [2]float64{rO, rS})
		rO, rS = 0, 0
	}
	pChi, pPool := -1.0, -1.0
	if len(common) >= 2 {
		var cO, cS float64
		for _, c := range common {
			cO += c[0]
			cS += c[1]
		}
		if cO > 0 && cS > 0 {
			f := cO / (cO + cS)
			stat := 0.0
			for _, c := range common {
				t := c[0] + c[1]
				eO, eS := t*f, t*(1-f)
				stat += (c[0]-eO)*(c[0]-eO)/eO + (c[1]-eS)*(c[1]-eS)/eS
			}
			pChi = distuv.ChiSquared{K: float64(len(common) - 1)}.Survival(stat)
		}
	}
	if t := rO + rS; t > 0 {
		b := distuv.Binomial{N: t, P: nO / (nO + nS)}
		lower := b.CDF(rO)
		upper := 1.0
		if rO > 0 {
			upper = b.Survival(rO - 1)
		}
		pPool = min(1, 2*min(lower, upper))
	}
	switch {
	case pChi < 0 && pPool < 0:
		return 1
	case pChi < 0:
		return clampP(pPool)
	case pPool < 0:
		return clampP(pChi)
	}
	return clampP(min(1, 2*min(pChi, pPool)))
}

// stepEvents counts the steps that fall in rare cells as events: rare
// steps fewer than ndst samples apart are one event. A re-salt moves every
// destination's start at one instant, so with ndst destinations taken in
// turn it shows as up to ndst rare steps in a row; counted one by one they
// would make one 10-second boundary look like ndst unlikely surprises.
func stepEvents(m *measure, rare []bool, ndst int) float64 {
	n := 0.0
	last := int32(-1 << 30)
	for i, c := range m.cellOf {
		if !rare[c] {
			continue
		}
		if at := m.stepAt[i]; at-last >= int32(ndst) {
			n++
			last = at
		}
	}
	return n
}

func clampP(p float64) float64 {
	if math.IsNaN(p) || p < 0 {
		return 0
	}
	return min(p, 1)
}

func share(c [2]float64) float64 {
	if c[0]+c[1] == 0 {
		return 0
	}
	return c[0] / (c[0] + c[1])
}

func parityName(lo uint16, same bool) string {
	if (lo%2 == 0) == same {
		return "even"
	}
	return "odd"
}

func parityCheck(o *measure, m *measures, rng allocator.Range) Check {
	c := Check{Name: "parity", P: compare(o.parity[:], m.parity[:])}
	same, other := parityName(rng.Lo, true), parityName(rng.Lo, false)
	oShare, mShare := share(o.parity), share(m.parity)
	c.Detail = fmt.Sprintf("%s %s of %d ports (model %s)", format.Percent(oShare, 1), same, int(o.parity[0]+o.parity[1]), format.Percent(mShare, 1))
	switch {
	case mShare > 0.99 && oShare < mShare:
		c.reason = fmt.Sprintf("%s ports seen where %s were expected (%d of %d)", other, same, int(o.parity[1]), int(o.parity[0]+o.parity[1]))
	case mShare < 0.01 && oShare > mShare:
		c.reason = fmt.Sprintf("%s ports seen where %s were expected (%d of %d)", same, other, int(o.parity[0]), int(o.parity[0]+o.parity[1]))
	case oShare > 0.99 || oShare < 0.01:
		only := same
		if oShare < 0.01 {
			only = other
		}
		c.reason = fmt.Sprintf("only %s ports seen where both parities were expected (model %s %s)", only, format.Percent(mShare, 1), same)
	default:
		c.reason = fmt.Sprintf("%s of ports are %s where the model has %s", format.Percent(oShare, 1), same, format.Percent(mShare, 1))
	}
	return c
}

// topSteps lists the commonest small steps, "+4 13%, +10 12%, ...".
func topSteps(small map[int]float64, total float64, n int) string {
	type kv struct {
		d int
		c float64
	}
	var all []kv
	for d, c := range small {
		all = append(all, kv{d, c})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].c != all[j].c {
			return all[i].c > all[j].c
		}
		return all[i].d < all[j].d
	})
	var parts []string
	for _, e := range all[:min(n, len(all))] {
		parts = append(parts, fmt.Sprintf("%+d %s", e.d, format.Percent(e.c/total, 1)))
	}
	if len(parts) == 0 {
		return "none within ±" + strconv.Itoa(near)
	}
	return strings.Join(parts, ", ")
}

// stepSet describes the steps a model makes at least 1% of the time:
// "+2, +4, …, +16" for an arithmetic run, else a list.
func stepSet(small map[int]float64, total float64) string {
	var ds []int
	for d, c := range small {
		if c/total >= 0.01 {
			ds = append(ds, d)
		}
	}
	sort.Ints(ds)
	switch {
	case len(ds) == 0:
		return "steps spread over the range"
	case len(ds) >= 4:
		k := ds[1] - ds[0]
		run := true
		for i := 2; i < len(ds); i++ {
			run = run && ds[i]-ds[i-1] == k
		}
		if run {
			return fmt.Sprintf("%+d, %+d, …, %+d", ds[0], ds[1], ds[len(ds)-1])
		}
	}
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = fmt.Sprintf("%+d", d)
	}
	return strings.Join(parts, ", ")
}

func stepsCheck(o *measure, m *measures, ndst int) Check {
	c := Check{Name: "steps"}
	if o.nsteps == 0 {
		c.P, c.Skipped = 1, true
		c.Detail = "one port per destination: no steps to compare"
		return c
	}
	c.P = compareCells(o.steps, m.steps, func(rare []bool) (float64, float64) {
		eS := 0.0
		for _, r := range m.reps {
			eS += stepEvents(r, rare, ndst)
		}
		return stepEvents(o, rare, ndst), eS
	})
	oNear, mNear := o.nearShare(), m.nearShare()
	c.Detail = fmt.Sprintf("%d steps to the same destination, %s within ±%d (model %s); most common %s (model %s)",
		int(o.nsteps), format.Percent(oNear, 1), near, format.Percent(mNear, 1), topSteps(o.small, o.nsteps, 3), topSteps(m.small, m.nsteps, 3))
	switch {
	case mNear >= 0.5 && oNear < 0.1:
		c.reason = fmt.Sprintf("successive ports to one destination jump across the range (%s within ±%d) where the model steps %s", format.Percent(oNear, 1), near, stepSet(m.small, m.nsteps))
	case mNear < 0.1 && oNear >= 0.5:
		c.reason = fmt.Sprintf("successive ports to one destination take small steps (most often %s) where the model's are spread over the range", topSteps(o.small, o.nsteps, 3))
	default:
		c.reason = fmt.Sprintf("steps between successive ports to one destination differ from the model's (most often %s; model %s)", topSteps(o.small, o.nsteps, 3), stepSet(m.small, m.nsteps))
	}
	return c
}

// spreadCheck compares where ports fall in the range: all ports for a
// model that scatters them, the start points for one that walks.
func spreadCheck(seq *sequence, o *measure, sims [][]uint16, m *measures, walk bool) Check {
	c := Check{Name: "spread"}
	oUnits := seq.ports
	what := "ports"
	if walk {
		oUnits, what = o.starts, "start points"
	}
	n := len(oUnits)
	buckets := min(maxBuckets, n/10)
	if buckets < 2 {
		c.P, c.Skipped = 1, true
		c.Detail = fmt.Sprintf("%d %s: too few to test (want at least 20)", n, what)
		return c
	}
	hist := func(ports []uint16, h []float64) {
		for _, p := range ports {
			if !seq.rng.Contains(p) {
				h[buckets]++ // outside the range: a cell of its own
				continue
			}
			h[int(p-seq.rng.Lo)*buckets/seq.size]++
		}
	}
	oh := make([]float64, buckets+1)
	mh := make([]float64, buckets+1)
	hist(oUnits, oh)
	for r, ports := range sims {
		units := ports
		if walk {
			units = m.reps[r].starts
		}
		hist(units, mh)
	}
	c.P = compare(oh, mh)
	lo, hi := math.Inf(1), 0.0
	for _, x := range oh[:buckets] {
		lo, hi = min(lo, x), max(hi, x)
	}
	c.Detail = fmt.Sprintf("%d %s in %d buckets of %v: %s to %s per bucket, %d outside the range (model %s each)",
		n, what, buckets, seq.rng, format.Percent(lo/float64(n), 1), format.Percent(hi/float64(n), 1), int(oh[buckets]), format.Percent(1/float64(buckets), 1))
	c.reason = what + " are not spread over the range as the model spreads them"
	if oh[buckets] > 0 {
		c.reason = fmt.Sprintf("%d %s fall outside the range %v", int(oh[buckets]), what, seq.rng)
	}
	return c
}

func startsCheck(o *measure, m *measures) Check {
	c := Check{Name: "starts"}
	pairs := int(o.close[0] + o.close[1])
	if pairs == 0 {
		c.P, c.Skipped = 1, true
		c.Detail = "one destination: no pairs to compare"
		return c
	}
	c.P = compare(o.close[:], m.close[:])
	c.Detail = fmt.Sprintf("%d of %d destination pairs have first ports within %d of each other (model %s)", int(o.close[0]), pairs, near, format.Percent(share(m.close), 1))
	if share(o.close) > share(m.close) {
		c.reason = fmt.Sprintf("first ports to different destinations lie close together (%d of %d pairs within %d)", int(o.close[0]), pairs, near)
	} else {
		c.reason = fmt.Sprintf("first ports to different destinations lie apart (%d of %d pairs within %d) where the model's lie together", int(o.close[0]), pairs, near)
	}
	return c
}

func countersCheck(o *measure, m *measures) Check {
	c := Check{Name: "counters"}
	pairs := int(o.lock[0] + o.lock[1])
	if pairs == 0 {
		c.P, c.Skipped = 1, true
		c.Detail = "no pair of destinations with 7 interleaved ports a walk apart: nothing to compare"
		return c
	}
	c.P = compare(o.lock[:], m.lock[:])
	c.Detail = fmt.Sprintf("%d of %d destination pairs move in lockstep (model %s)", int(o.lock[0]), pairs, format.Percent(share(m.lock), 1))
	if share(o.lock) > share(m.lock) {
		c.reason = fmt.Sprintf("ports to different destinations move in lockstep (%d of %d pairs), as if one counter served them all", int(o.lock[0]), pairs)
	} else {
		c.reason = fmt.Sprintf("ports to different destinations move independently (%d of %d pairs in lockstep) where the model's share a counter", int(o.lock[0]), pairs)
	}
	return c
}
