package fit

import (
	"fmt"
	"math"

	"github.com/portsim/portsim/strategies"
)

// Mixture weights of the likelihood models. They are chosen from what real
// captures hold, not fitted to the data: each keeps one surprising port
// from sinking a model that explains all the others, and each is small
// enough that a model which needs it often loses to one which does not.
const (
	// offModel is the share of a host's ports every model leaves to
	// something else (another application's socket, a port given by hand,
	// a middlebox rewrite), spread over all 65536 port numbers: a port a
	// model cannot produce, such as one outside its range, costs
	// ln(0.01/65536) ≈ -15.7 nats instead of -∞.
	offModel = 0.01
	// restartBase is the chance that a stateful model (cursor or counter)
	// lost its state before a port — a reboot, connections the capture
	// missed, a counter shared with an unseen destination — so that the
	// port is a fresh start, drawn as a stream's first port is.
	restartBase = 0.01
	// offWalk is the share of a walk's steps that are not the predicted
	// ones: a longer step past busy ports, a shorter one when the capture
	// holds attempts that did not advance the counter.
	offWalk = 0.05
	// tailSteps is the mean length, in steps, of a walk past its predicted
	// end (busy ports skipped).
	tailSteps = 4
	// otherParity is the share of a parity model's ports in the parity it
	// tries second (the kernel's second pass when the first is full).
	otherParity = 0.01
	// candidateWeight is the weight given to walking on from a port that
	// looked like a fresh start rather than from the last port the walk
	// explained: whether it was a restart (a re-salt: walk on from it) or
	// a stray port (ignore it) shows only with the next port.
	candidateWeight = 0.5
)

// portNumbers is how many port numbers offModel is spread over.
const portNumbers = 65536

// offDensity is offModel's share of one port number, in the units of a
// model's own probability (before the (1 - offModel) weight): a port a
// model gives less than this is not the model's.
const offDensity = offModel / portNumbers / (1 - offModel)

// mixOff is the probability of a port the model gives pm: the model's
// share plus the off-model share.
func mixOff(pm float64) float64 { return (1-offModel)*pm + offModel/portNumbers }

// logSum adds up logs of probabilities by multiplying them and taking
// the log of the product once it nears underflow: a log was most of a
// model's cost, a multiplication is nothing. Every probability is at
// least offModel/portNumbers (about 1.5e-7), so a product below flushBelow
// takes one more factor without underflowing.
type logSum struct {
	sum, prod float64
}

const flushBelow = 1e-200

func newLogSum() logSum { return logSum{prod: 1} }

func (l *logSum) add(p float64) {
	l.prod *= p
	if l.prod < flushBelow {
		l.sum += math.Log(l.prod)
		l.prod = 1
	}
}

// total is the sum of the logs.
func (l *logSum) total() float64 { return l.sum + math.Log(l.prod) }

// portModel is one candidate explanation of a host's ports.
type portModel interface {
	// logLik is the natural log of the probability of s's ports, each
	// predicted from the ones before it.
	logLik(s *hostSeries, st *fitScratch) float64
	// key identifies the model: two profiles whose models have equal keys
	// give every capture the same likelihood.
	key() string
	// params is key without the port space, and space the port space:
	// models with equal params over nearly the same space are told apart
	// by a port or two alone (see nearSpace).
	params() string
	space() portSpace
	// describe says in a few words what the model predicts.
	describe() string
}

// newModel is the likelihood model of a strategy's shape.
func newModel(sh strategies.Shape) (portModel, error) {
	sp := newPortSpace(sh)
	switch sh.Family {
	case strategies.Uniform:
		return &uniformModel{sp: sp}, nil
	case strategies.Cursor:
		return newCursorModel(sp, sh.Down, sh.MaxAdvance), nil
	case strategies.Counter:
		return newCounterModel(sp, sh.Step, sh.Counters, sh.MaxAdvance, sh.Resalt.Seconds()), nil
	}
	return nil, fmt.Errorf("no likelihood model for a shape of family %v", sh.Family)
}

// portSpace is the set of ports a model draws fresh starts from.
type portSpace struct {
	lo, hi int
	// n is how many ports from lo a walk cycles through (Shape.Ports).
	n int
	// parity is the parity of the offset from lo that is tried first (0:
	// the low bound's parity, Linux connect(); 1: the other one, Linux
	// bind()), or -1 for no preference.
	parity int
	// first and second are start's probabilities of a port of the parity
	// tried first and of the other one (the same without a preference).
	first, second float64
}

// newPortSpace is the port space of a shape.
func newPortSpace(sh strategies.Shape) portSpace {
	parity := -1
	switch sh.First {
	case strategies.LowParity:
		parity = 0
	case strategies.OtherParity:
		parity = 1
	}
	sp := portSpace{lo: int(sh.Range.Lo), hi: int(sh.Range.Hi), n: sh.Ports, parity: parity}
	if sp.parity < 0 || sp.n < 2 {
		sp.first = 1 / float64(sp.n)
		sp.second = sp.first
	} else {
		half := float64(sp.n / 2)
		sp.first, sp.second = (1-otherParity)/half, otherParity/half
	}
	return sp
}

// start is the probability of port x as a fresh start: uniform over the
// space, or over the first parity with otherParity left to the other.
func (s portSpace) start(x int) float64 {
	off := x - s.lo
	if off < 0 || off >= s.n {
		return 0
	}
	if off&1 == s.parity || s.parity < 0 {
		return s.first
	}
	return s.second
}

// nearPorts is how many ports, at the two ends together, the spaces of
// two models with the same parameters may differ by and still count as
// one candidate: Linux's range lost its top port in 4.2 (32768-61000 to
// 32768-60999), pre-Vista Windows and OMNeT++ INET count from 1025 in
// ranges that end a port apart. Only those very ports could tell such
// models apart, and a capture rarely holds them; ranking both would split
// the posterior in two for every host of either.
const nearPorts = 2

// nearSpace reports whether a and b differ by at most nearPorts ports at
// their ends, with the same parity preference counted from the same low
// bound.
func nearSpace(a, b portSpace) bool {
	if a.parity != b.parity || (a.parity >= 0 && a.lo != b.lo) {
		return false
	}
	d := max(a.lo-b.lo, b.lo-a.lo) + max(a.hi-b.hi, b.hi-a.hi)
	return d <= nearPorts
}

func (s portSpace) String() string {
	switch s.parity {
	case 0:
		return fmt.Sprintf("%d-%d, ports of the low bound's parity first", s.lo, s.hi)
	case 1:
		return fmt.Sprintf("%d-%d, ports of the other parity than the low bound first", s.lo, s.hi)
	}
	return fmt.Sprintf("%d-%d", s.lo, s.hi)
}

// walkTail gives (prob) the probability of a walk of u steps when the
// model expected at most umax: half spread over 1..umax (fewer advances
// than attempts seen), half geometric past umax with ratio q = e^lnq (mean
// 1/(1-q)).
type walkTail struct {
	lnq  float64
	half float64 // 0.5·(1 - q), the geometric half's first term
	// exps[k] is e^(k·lnq) for the k a walk around the ports can take,
	// as far as it does not underflow.
	exps []float64
}

// newWalkTail is the walkTail for a mean tail of mean steps.
func newWalkTail(mean float64) walkTail {
	lnq := math.Log1p(-1 / mean)
	t := walkTail{lnq: lnq, half: 0.5 * -math.Expm1(lnq)}
	n := 0
	for n < portNumbers && float64(n)*lnq >= -700 {
		n++
	}
	t.exps = make([]float64, n)
	for k := range t.exps {
		t.exps[k] = math.Exp(float64(k) * lnq)
	}
	return t
}

func (t walkTail) prob(u, umax int) float64 {
	if u <= umax {
		return 0.5 / float64(umax)
	}
	if k := u - umax - 1; k < len(t.exps) {
		return t.half * t.exps[k]
	}
	e := float64(u-umax-1) * t.lnq
	if e < -700 {
		return 0 // e^e underflows; skip the exp
	}
	return t.half * math.Exp(e)
}

// Moves of a stateful model's reference ports after a port.
const (
	moveNone  = iota // off the model: keep the state as it was
	moveWalk         // the walk went on: the port becomes the reference
	moveStart        // a fresh start (or a stray port): a candidate reference
)

// weighPort mixes the walk from the reference port (probability wp), the walk
// from the candidate port (wc, weight eta), and a fresh start (start, weight
// rho) into the model's probability of the port, and says how the state
// moves: to the component that explains the port best.
func weighPort(wp, wc, eta, rho, start float64) (pm float64, move int) {
	a := (1 - rho) * (1 - eta) * wp
	b := (1 - rho) * eta * wc
	c := rho * start
	pm = a + b + c
	switch w := max(a, b); {
	case w >= c && w >= offDensity:
		move = moveWalk
	case c >= offDensity:
		move = moveStart
	}
	return pm, move
}

// uniformModel draws every port afresh: RFC 6056 Algorithms 1 and 2 at
// low occupancy, Linux UDP, and Linux bind() (one parity first).
type uniformModel struct {
	sp portSpace
}

func (m *uniformModel) key() string      { return m.params() + " " + m.sp.String() }
func (m *uniformModel) params() string   { return "uniform" }
func (m *uniformModel) space() portSpace { return m.sp }

func (m *uniformModel) describe() string {
	switch m.sp.parity {
	case 1:
		return fmt.Sprintf("uniform over the ports at odd offsets from %d in %d-%d", m.sp.lo, m.sp.lo, m.sp.hi)
	case 0:
		return fmt.Sprintf("uniform over the ports at even offsets from %d in %d-%d", m.sp.lo, m.sp.lo, m.sp.hi)
	}
	return fmt.Sprintf("uniform over %d-%d", m.sp.lo, m.sp.hi)
}

func (m *uniformModel) logLik(s *hostSeries, _ *fitScratch) float64 {
	ll := newLogSum()
	for _, x := range s.ports {
		ll.add(mixOff(m.sp.start(int(x))))
	}
	return ll.total()
}

// cursorModel is one cursor for the whole host moving by 1..maxInc ports
// per connection, up or down, with wrap: sequential (maxInc 1; macOS TCP,
// ns-3, OMNeT++, NetBSD's bsd counting down) and RFC 6056 Algorithm 5
// (random increments up to N).
type cursorModel struct {
	sp     portSpace
	down   bool
	maxInc int
	tail   walkTail // a mean of max(tailSteps, maxInc/2) steps past maxInc
	adv    float64  // 1/maxInc: an advance's probability
}

func newCursorModel(sp portSpace, down bool, maxInc int) *cursorModel {
	return &cursorModel{sp: sp, down: down, maxInc: maxInc, tail: newWalkTail(max(tailSteps, float64(maxInc)/2)), adv: 1 / float64(maxInc)}
}

func (m *cursorModel) key() string      { return m.params() + " " + m.sp.String() }
func (m *cursorModel) space() portSpace { return m.sp }
func (m *cursorModel) params() string {
	return fmt.Sprintf("cursor down=%v inc=%d", m.down, m.maxInc)
}

func (m *cursorModel) describe() string {
	dir := "+"
	if m.down {
		dir = "-"
	}
	if m.maxInc == 1 {
		return fmt.Sprintf("one cursor for the host, %s1 per connection, over %d-%d", dir, m.sp.lo, m.sp.hi)
	}
	return fmt.Sprintf("one cursor for the host, %s1..%d at random per connection, over %d-%d", dir, m.maxInc, m.sp.lo, m.sp.hi)
}

// walk is the probability of port x after ref.
func (m *cursorModel) walk(x, ref int) float64 {
	if ref < 0 || x < m.sp.lo || x > m.sp.hi {
		return 0
	}
	u := x - ref
	if m.down {
		u = -u
	}
	if u >= m.sp.n || u <= -m.sp.n { // rare (x and ref lie in the space), and % is slow
		u %= m.sp.n
	}
	if u < 0 {
		u += m.sp.n
	}
	if u == 0 {
		return 0
	}
	adv := 0.0
	if u <= m.maxInc {
		adv = m.adv
	}
	return (1-offWalk)*adv + offWalk*m.tail.prob(u, m.maxInc)
}

func (m *cursorModel) logLik(s *hostSeries, _ *fitScratch) float64 {
	prev, cand := -1, -1
	ll := newLogSum()
	for _, p := range s.ports {
		x := int(p)
		start := m.sp.start(x)
		if prev < 0 {
			ll.add(mixOff(start))
			if start >= offDensity {
				prev = x
			}
			continue
		}
		eta := 0.0
		if cand >= 0 {
			eta = candidateWeight
		}
		pm, move := weighPort(m.walk(x, prev), m.walk(x, cand), eta, restartBase, start)
		ll.add(mixOff(pm))
		switch move {
		case moveWalk:
			prev, cand = x, -1
		case moveStart:
			cand = x
		}
	}
	return ll.total()
}

// counterModel is RFC 6056's hash-based family: each destination (address
// and port) has its own offset, and a counter added to it advances with
// every connection that uses it. table is how many counters there are: 1 is
// one counter for the host (Algorithm 3: Linux ≤ 5.11, NetBSD hash), more is
// a table indexed by another hash (Algorithm 4: NetBSD doublehash with 8,
// Linux 5.12 with 256, Linux 6.x with 65536). A connection advances its
// counter by step·1 (step·1..inc with Linux 6.x's random increments), so
// successive ports to one destination differ by that plus the advances of
// the other destinations sharing the counter. Linux 6.x also re-salts the
// hash every resalt seconds: a new offset and counter, a fresh start.
type counterModel struct {
	sp     portSpace
	step   int
	table  int
	inc    int
	resalt float64 // seconds; 0: never
	lnStay float64 // ln(1 - 1/table): one other destination misses the counter
	units  int     // steps around the space: sp.n/step
	anyAdv float64 // 1/(units-1): a step's probability when any is possible
}

func newCounterModel(sp portSpace, step, table, inc int, resalt float64) *counterModel {
	m := &counterModel{sp: sp, step: step, table: table, inc: inc, resalt: resalt, lnStay: math.Log1p(-1 / float64(table))}
	m.units = sp.n / step
	m.anyAdv = 1 / float64(m.units-1)
	return m
}

// counterTail is the counter models' walkTail.
var counterTail = newWalkTail(tailSteps)

func (m *counterModel) key() string      { return m.params() + " " + m.sp.String() }
func (m *counterModel) space() portSpace { return m.sp }
func (m *counterModel) params() string {
	return fmt.Sprintf("counter step=%d table=%d inc=%d resalt=%g", m.step, m.table, m.inc, m.resalt)
}

func (m *counterModel) describe() string {
	var b string
	switch {
	case m.table == 1:
		b = "per-destination offset plus one counter for the host"
	default:
		b = fmt.Sprintf("per-destination offset plus one of %d counters", m.table)
	}
	if m.inc > 1 {
		b += fmt.Sprintf(", +%d..%d per connection", m.step, m.step*m.inc)
	} else {
		b += fmt.Sprintf(", +%d per connection", m.step)
	}
	if m.step == 2 {
		b += ", one parity"
	}
	if m.resalt > 0 {
		b += fmt.Sprintf(", re-salted every %gs", m.resalt)
	}
	return b + fmt.Sprintf(", over %d-%d", m.sp.lo, m.sp.hi)
}

// walk is the probability of port x when the destination's reference port
// was ref, between which the model counted others attempts from the host
// to kd other destinations.
func (m *counterModel) walk(x, ref, others, kd int, st *fitScratch) float64 {
	if ref < 0 {
		return 0
	}
	off := x - m.sp.lo
	if off < 0 || off >= m.sp.n {
		return 0
	}
	d := x - ref
	if d >= m.sp.n || d <= -m.sp.n { // rare (x and ref lie in the space), and % is slow
		d %= m.sp.n
	}
	if d < 0 {
		d += m.sp.n
	}
	if d == 0 {
		return 0
	}
	u, units := d, m.units
	if m.step != 1 {
		if d%m.step != 0 {
			return 0
		}
		u = d / m.step
	}
	adv, umax := 0.0, m.inc
	c := others + 1 // connections that may have advanced the counter, this one included
	if m.table == 1 {
		// Every connection advanced the one counter: by exactly c steps
		// (c..inc·c with random increments, taken as uniform).
		lo, hi := c, c*m.inc
		if lo <= u && u <= hi {
			adv = 1 / float64(hi-lo+1)
		}
		umax = hi
	} else {
		// No other destination shares the counter with probability z;
		// otherwise an unknown share of the others' connections advanced it.
		z := st.stay(m.lnStay, kd)
		if u <= m.inc {
			adv = z / float64(m.inc)
		}
		if others > 0 && z < 1 {
			hi := c * m.inc
			if u >= 2 && u <= hi {
				adv += (1 - z) / float64(hi-1)
			}
			umax = hi
		}
	}
	if umax >= units {
		// So many connections in between that any step is possible.
		return m.anyAdv
	}
	return (1-offWalk)*adv + offWalk*counterTail.prob(u, umax)
}

func (m *counterModel) logLik(s *hostSeries, st *fitScratch) float64 {
	st.reset(s.streams)
	ll := newLogSum()
	counted := int32(0) // attempts the model took as its own: they advanced a counter
	seen := 0           // destinations seen so far
	for i, p := range s.ports {
		x, k := int(p), s.stream[i]
		start := m.sp.start(x)
		if st.prev[k] < 0 {
			if st.last[k] < 0 {
				seen++
			}
			st.last[k] = s.secs[i]
			ll.add(mixOff(start))
			if start >= offDensity {
				st.prev[k], st.prevN[k] = int32(x), counted
				counted++
			}
			continue
		}
		rho := restartBase
		if m.resalt > 0 {
			// An epoch boundary falls in a gap g with probability g/resalt.
			r := min((s.secs[i]-st.last[k])/m.resalt, 1)
			rho += (1 - restartBase) * max(r, 0)
		}
		st.last[k] = s.secs[i]
		others := int(counted - 1 - st.prevN[k])
		wp := m.walk(x, int(st.prev[k]), others, min(others, seen-1), st)
		eta, wc := 0.0, 0.0
		if st.cand[k] >= 0 {
			eta = candidateWeight
			others := int(counted - 1 - st.candN[k])
			wc = m.walk(x, int(st.cand[k]), others, min(others, seen-1), st)
		}
		pm, move := weighPort(wp, wc, eta, rho, start)
		ll.add(mixOff(pm))
		switch move {
		case moveWalk:
			st.prev[k], st.prevN[k], st.cand[k] = int32(x), counted, -1
			counted++
		case moveStart:
			st.cand[k], st.candN[k] = int32(x), counted
			counted++
		}
	}
	return ll.total()
}

// fitScratch is per-destination state, reused across models and hosts.
type fitScratch struct {
	prev, cand   []int32 // reference and candidate ports; -1: none
	prevN, candN []int32 // the model's attempt count when each was seen
	last         []float64
	// stays[k] is e^(k·stayLn), kept by stay for the model at hand.
	stays  []float64
	stayLn float64
}

// stay is e^(kd·lnStay), the chance that kd other destinations all miss a
// counter (1 for none), computed once per model and kd.
func (st *fitScratch) stay(lnStay float64, kd int) float64 {
	if kd <= 0 {
		return 1
	}
	if st.stayLn != lnStay || len(st.stays) == 0 {
		st.stayLn, st.stays = lnStay, append(st.stays[:0], 1)
	}
	for k := len(st.stays); k <= kd; k++ {
		st.stays = append(st.stays, math.Exp(float64(k)*lnStay))
	}
	return st.stays[kd]
}

func (st *fitScratch) reset(n int) {
	if cap(st.prev) < n {
		st.prev, st.cand = make([]int32, n), make([]int32, n)
		st.prevN, st.candN = make([]int32, n), make([]int32, n)
		st.last = make([]float64, n)
	}
	st.prev, st.cand = st.prev[:n], st.cand[:n]
	st.prevN, st.candN = st.prevN[:n], st.candN[:n]
	st.last = st.last[:n]
	for i := range n {
		st.prev[i], st.cand[i], st.last[i] = -1, -1, -1
	}
}
