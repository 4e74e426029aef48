package strategies

import (
	"fmt"
	"math"
	"math/bits"
	"net/netip"
	"time"

	"github.com/portsim/portsim/allocator"
)

func init() {
	register(Info{
		Name:        "linux",
		Description: "Linux 6.x TCP connect(): SipHash of the destination and a 10 s epoch, 2^16 perturb counters, even ports first with random +2..16 steps",
		How:         "Linux 6.x connect(): SipHash of the addresses, the destination port and a 10-second epoch picks one of 2^16 counters; even ports first, in steps of 2; after each pick that counter moves on by at least a random 2 to 16.",
		Params: []Param{
			{Name: "table-order", Default: "16", Help: "log2 of the table_perturb size, 0 to 20; 8 models 5.12-5.17.8 (with increments=off,resalt=0; CVE-2022-32296); ignored with hint=on"},
			{Name: "increments", Default: "on", Help: "after a pick advance the counter by at least a random 2..16 (5.17.9+); off advances it by exactly the distance walked plus 2"},
			{Name: "resalt", Default: "10s", Help: "re-salt period: the hash input time_epoch is the clock divided by it; 0 leaves the epoch out (before 5.17.9)"},
			{Name: "hint", Default: "off", Help: "on: one global hint counter for all destinations instead of the table (RFC 6056 Algorithm 3, Linux <= 5.11; use with increments=off,resalt=0 for a faithful 5.11)"},
			{Name: "socket-range", Default: "off", Help: "on: step 1, no parity preference, one pass over the whole range: the socket set IP_LOCAL_PORT_RANGE (6.8+), or, with hint=on,increments=off,resalt=0, a kernel before 4.2"},
		},
		Exhaustive: true,
		Kind:       allocator.Connect,
		Range:      allocator.LinuxRange,
		build: func(seed uint64, p *Params) (allocator.Strategy, error) {
			order := p.Int("table-order", 0, 20)
			increments := p.Bool("increments")
			resalt := linuxDuration(p, "resalt")
			hint := p.Bool("hint")
			socketRange := p.Bool("socket-range")
			return newLinux(seed, order, increments, resalt, hint, socketRange), nil
		},
	})
}

// linuxDuration reads a parameter as a Go duration ≥ 0 ("10s", "500ms",
// "0"). Params has no duration getter; this stays local to avoid clashing
// with one added later.
func linuxDuration(p *Params, name string) time.Duration {
	s := p.String(name)
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		p.fail("%s=%q; want a duration ≥ 0 such as 10s or 500ms", name, s)
		return 0
	}
	return d
}

// Linux is TCP connect() on an unbound socket as Linux 6.x chooses its
// port (__inet_hash_connect): a keyed hash of (saddr, daddr, dport,
// time_epoch) picks a perturbation counter and an offset; the scan walks the
// ports of the low bound's parity from there, then the other parity. Each
// destination sees its own slowly advancing sequence, +2..16 per connection.
// After a success the counter grows by the distance walked to the port (in
// ports, so a collision run carries it past the port found) or by the random
// increment when that is larger, plus one step.
//
// The range is cut to an even number of ports ("remaining"): with an
// odd-sized range the top port is never tried unless socket-range is on.
//
// The parameters are independent switches, one per kernel change:
// hint=on replaces the table (so table-order is ignored); increments and
// resalt apply in either mode; socket-range changes only the scan. Older
// kernels are approximately hint=on,increments=off,resalt=0 (≤ 5.11) and
// table-order=8,increments=off,resalt=0 (5.12–5.17.8; those also took index
// and offset from the same 32 hash bits, which is not modelled). IPv6 hashes
// the 38 bytes secure_ipv6_port_ephemeral does (flowHash's IPv6 layout).
type Linux struct {
	key         sipKey
	rng         pcg      // random increments; drawn inline, it is the hot path
	perturb     []uint32 // table_perturb; nil in hint mode
	mask        uint32   // len(perturb) - 1
	hint        uint32   // the global counter of hint mode; starts at 0 as the kernel's static does
	resalt      time.Duration
	increments  bool
	useHint     bool
	socketRange bool

	// The divisor of the last mod and its inverse, for Lemire's remainder
	// by multiplication: the range size rarely changes, and a division
	// was a sixth of a pick.
	modD uint32
	modM uint64

	// A one-entry memo of the hash and of the epoch: a client mostly talks
	// to one destination within one 10 s epoch, and SipHash and a 64-bit
	// division were a fifth of a load-tester pick.
	memo struct {
		ok       bool
		pair     uint64 // Request.Pair of src and dst, or 0
		src      netip.Addr
		dst      netip.AddrPort
		epoch    uint32
		hash     uint64
		from, to time.Duration // the clock's span of epoch
	}
}

// Streams of the strategy seed: each kind of secret or randomness draws from
// its own, so turning one feature off does not shift the others.
const (
	linuxKeyStream = iota
	linuxFillStream
	linuxIncStream
)

func newLinux(seed uint64, order int, increments bool, resalt time.Duration, hint, socketRange bool) *Linux {
	s := &Linux{
		key:         newSipKey(seed, linuxKeyStream),
		rng:         newPCG(pcgSeeds(seed, linuxIncStream)),
		resalt:      resalt,
		increments:  increments,
		useHint:     hint,
		socketRange: socketRange,
	}
	if resalt == 0 {
		// One epoch for ever: the memo's span is all time (Pick tests it).
		s.memo.from, s.memo.to = math.MinInt64, math.MaxInt64
	}
	if !hint {
		// The kernel fills the table with random bytes at first use; filling
		// it here from the seed is the same thing, deterministically.
		s.perturb = make([]uint32, 1<<order)
		s.mask = uint32(len(s.perturb) - 1)
		fill := newRand(seed, linuxFillStream)
		for i := range s.perturb {
			s.perturb[i] = fill.Uint32()
		}
	}
	return s
}

// Pick implements allocator.Strategy.
func (s *Linux) Pick(r *allocator.Request, usable func(uint16) bool) (uint16, int, error) {
	// The pair the table named last, in the same epoch, has the hash the
	// memo holds: tested here, where hash's call would cost more.
	h, epoch := s.memo.hash, s.memo.epoch
	if m := &s.memo; r.Pair != m.pair || r.Pair == 0 || r.Now < m.from || r.Now >= m.to {
		h, epoch = s.hash(r)
	}

	step := uint32(2)
	remaining := uint32(r.Size())
	if s.socketRange {
		step = 1
	} else if remaining > 1 {
		remaining &^= 1
	}

	// The counter is read and advanced in 32-bit arithmetic, wrapping as
	// the kernel's u32 does.
	var counter *uint32
	var index, sum uint32
	if s.useHint {
		counter = &s.hint
		sum = s.hint + uint32(h)
	} else {
		index = uint32(h) & s.mask
		counter = &s.perturb[index]
		sum = *counter + uint32(h>>32)
	}
	offset := s.mod(sum, remaining)
	if !s.socketRange {
		offset &^= 1 // first pass: the parity of the low bound
	}
	if r.Trace != nil {
		s.traceStart(r, h, epoch, index, sum, offset, remaining)
	}

	var (
		port   uint16
		i      uint32
		probes int
		ok     bool
	)
	for pass := 0; ; pass++ {
		var n int
		if sc := r.Scan; sc != nil && offset < remaining {
			// stepScan's common case, written out so that a pass costs
			// one call: ⌈remaining/step⌉ candidates, step being 1 or 2.
			port, n, ok = sc.Scan(r.Lo, int(remaining), int(offset), int(step), int(remaining+step-1)>>(step-1))
			i = uint32(n-1) * step
		} else {
			port, i, n, ok = stepScan(sc, uint32(r.Lo), remaining, offset, step, usable)
		}
		probes += n
		if ok || pass > 0 || s.socketRange || remaining <= 1 {
			break
		}
		offset++
		if r.Trace != nil {
			r.Trace.Addf("pass", uint16(uint32(r.Lo)+offset), "first parity exhausted after %d probes; second pass over the other parity from offset %d", probes, offset)
		}
	}
	if !ok {
		if r.Trace != nil {
			r.Trace.Addf("fail", 0, "no usable port among %d candidates: EADDRNOTAVAIL", probes)
		}
		return 0, probes, allocator.ErrAddrNotAvail
	}

	walked := i
	var drawn uint32
	if s.increments {
		// max() keeps the randomness when the walk was short and lets a
		// long walk carry the counter past the ports it found busy. The
		// top 3 bits of a uniform word are random_below(8), unbiased.
		drawn = uint32(s.rng.uint64()>>61) * step
		i = max(i, drawn)
	}
	before := *counter
	*counter += i + step
	if r.Trace != nil {
		s.traceUpdate(r, port, index, walked, drawn, i, step, before)
	}
	return port, probes, nil
}

// Shape is the strategy's likelihood shape: a per-destination offset plus
// a counter from the table (or the one hint), in steps of 2 over the
// low bound's parity (of 1 over the whole range with socket-range), moved
// on by 1 to 8 steps per connection with increments (random_below(8), then
// one step) and by one step without; re-salted every resalt.
func (s *Linux) Shape(r allocator.Range) Shape {
	sh := Shape{Family: Counter, Range: r, Ports: oneParity(r), First: LowParity, Step: 2, MaxAdvance: 1, Counters: len(s.perturb), Resalt: s.resalt}
	if s.socketRange {
		sh.Ports, sh.First, sh.Step = r.Size(), AnyParity, 1
	}
	if s.useHint {
		sh.Counters = 1
	}
	if s.increments {
		sh.MaxAdvance = 8
	}
	return sh
}

// mod is sum % d (d ≥ 1), computed as Lemire, Kaser and Kurz's "faster
// remainder by direct computation" with the inverse of d kept.
func (s *Linux) mod(sum, d uint32) uint32 {
	if d != s.modD {
		s.modD, s.modM = d, ^uint64(0)/uint64(d)+1
	}
	hi, _ := bits.Mul64(s.modM*uint64(sum), uint64(d))
	return uint32(hi)
}

// hash is flowHash of r's addresses and its time epoch, the clock divided
// by the re-salt period and truncated to 32 bits as jiffies/period is (0
// when re-salting is off).
func (s *Linux) hash(r *allocator.Request) (uint64, uint32) {
	m := &s.memo
	var epoch uint32
	switch {
	case s.resalt == 0: // one epoch, whose span newLinux set
	case m.ok && r.Now >= m.from && r.Now < m.to:
		epoch = m.epoch
	default:
		n := r.Now / s.resalt
		epoch = uint32(n)
		m.from, m.to = n*s.resalt, (n+1)*s.resalt
		if r.Now < 0 { // division truncates towards zero: no span to keep
			m.from, m.to = 0, 0
		}
	}
	// Pick asks only when the pair or the epoch may have changed.
	same := m.ok && epoch == m.epoch && r.Src == m.src && r.Dst == m.dst
	if !same {
		m.hash = flowHash(s.key, r.Src, r.Dst, epoch)
		m.ok, m.src, m.dst, m.epoch = true, r.Src, r.Dst, epoch
	}
	m.pair = r.Pair
	return m.hash, epoch
}

func (s *Linux) traceStart(r *allocator.Request, h uint64, epoch, index, sum, offset, remaining uint32) {
	r.Trace.Addf("hash", 0, "siphash-2-4(saddr=%v, daddr=%v, dport=%d, epoch=%d) = 0x%016x", r.Src, r.Dst.Addr(), r.Dst.Port(), epoch, h)
	var terms string
	if s.useHint {
		r.Trace.Addf("counter", 0, "global hint = %d", s.hint)
		terms = fmt.Sprintf("hint %d + hash&0xffffffff %d", s.hint, uint32(h))
	} else {
		r.Trace.Addf("index", 0, "index = hash & %#x = %d", s.mask, index)
		r.Trace.Addf("counter", 0, "table_perturb[%d] = %d", index, s.perturb[index])
		terms = fmt.Sprintf("table_perturb[%d] %d + hash>>32 %d", index, s.perturb[index], uint32(h>>32))
	}
	how := "made even"
	if s.socketRange {
		how = "socket range: either parity"
	}
	r.Trace.Addf("offset", uint16(uint32(r.Lo)+offset), "offset = (%s) mod 2^32 = %d; mod remaining %d = %d; %s: %d; first candidate %d",
		terms, sum, remaining, sum%remaining, how, offset, uint32(r.Lo)+offset)
}

func (s *Linux) traceUpdate(r *allocator.Request, port uint16, index, walked, drawn, i, step, before uint32) {
	if s.increments {
		r.Trace.Addf("increment", port, "walked %d; drawn random_below(8)*%d = %d; i = max(walked, drawn) = %d", walked, step, drawn, i)
	} else {
		r.Trace.Addf("increment", port, "walked %d; no random increment; i = %d", walked, i)
	}
	name := fmt.Sprintf("table_perturb[%d]", index)
	if s.useHint {
		name = "hint"
	}
	r.Trace.Addf("update", port, "%s = %d + %d + %d = %d", name, before, i, step, before+i+step)
}
