package sim

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/internal/seed"
)

// ProbesHistOverflow is the length of StrategyResult.ProbesHist: bucket i
// counts attempts with i+1 probes, and the last bucket every attempt with
// ProbesHistOverflow probes or more. 64 probes already means the range is
// crowded for every strategy we model, so finer detail past it says little.
const ProbesHistOverflow = 64

// maxProbeIndex bounds the exact probe-count array: no strategy asks about
// more candidates than the 65536 ports, and an attempt that somehow did is
// counted there (its exact value still goes into the mean and the max).
const maxProbeIndex = 1 << 16

// usageBuckets is how many equal-width buckets PortUsage splits the range
// into (fewer when the range has fewer ports).
const usageBuckets = 64

// ReuseSampleMax bounds StrategyResult.ReuseSample: 4096 intervals (32 KiB
// a strategy) put the empirical CDF within 2.2 percentage points of the
// true one (DKW, 95 %), finer than the reuse chart can show, and keep
// results.json small.
const ReuseSampleMax = 4096

// collector turns one strategy's event stream into a StrategyResult. Its
// memory is fixed (a few arrays indexed by port, probe count or duration
// bucket) plus one lastClose entry per distinct 4-tuple ever closed (and a
// 512 KiB page for each of the first 256 destinations that closes 4096
// ports or more), one previous port per destination, the kept samples and
// at most ReuseSampleMax reuse intervals; it never grows with
// the number of allocations. Attempts and samples must arrive in
// simulated-time order; a close may come early, as soon as its time is
// known, since nothing asks for a 4-tuple's last close while it is open.
//
// Definitions where the vocabulary leaves room:
//   - An attempt is an allocation or a failure. Probe statistics, the
//     collision rate and Samples cover attempts, since a failure's probes
//     are the costliest the host pays.
//   - A 4-tuple is (protocol, local address index, port, destination
//     index), TCP for connect and bind, UDP for udp: a UDP socket on a
//     TCP connection's old 4-tuple is not a reuse of it.
//   - Predictability looks at every successful allocation whatever its
//     kind, as an observer at the destinations would.
//   - Everything that feeds a metric later (last close of each 4-tuple,
//     previous ports) is tracked from time 0; only the counting waits for
//     the warm-up. Samples and the Occupancy series start at time 0 too,
//     and a sample's Failures counts every failure since the one before.
type collector struct {
	byOcc    [OccupancyBins]OccupancyBin
	strategy string
	warmup   time.Duration
	duration time.Duration
	lo       uint16
	size     int    // ports in the range
	occMul   uint64 // OccupancyBins·(⌊2^42/size⌋ + 1): see usageShift
	nsrc     uint64 // local addresses, the radix of the tuple key
	dsts     int    // the scenario's destinations, to cap prevPort's growth

	attempts    int // all, from time 0: numbers Samples
	allocations int
	failures    int

	probeSum    int
	probeMax    int
	probeCounts []int // [p] attempts with p probes, clamped to maxProbeIndex; grown as needed
	collisions  int

	lastClose closeTable // by tupleKey
	host      HostRules
	reuses    int
	twReuses  int
	reuseMin  time.Duration
	reuseMax  time.Duration
	reuseFine []int // by hdrIndex, for quantiles
	reuseBins []int // by logBin, for ReuseHist
	// reuseKeep is a uniform sample of the reuse intervals (reservoir
	// sampling, Li's Algorithm L: once full, the reuse numbered reuseNext
	// replaces one at random, and the gaps between replacements are drawn
	// ahead, so most reuses cost a comparison), drawn from reuseRNG so that
	// a run repeats. Its seed is the scenario's alone: strategies that
	// reuse alike keep the same sample.
	reuseKeep []time.Duration
	reuseRNG  *rand.Rand
	reuseW    float64
	reuseNext int

	usage      [usageBuckets]int
	usageMul   uint64 // bucket = off·usageMul >> usageShift, see usageBucket
	usageN     int
	usageStart [usageBuckets + 1]int // offset of each bucket's first port
	usageShare [usageBuckets]float64 // non-reserved ports per bucket

	occupancy  []Sample
	failsSince int // failures since the previous sample
	occSum     int64
	estSum     int64
	occN       int

	prevPort    []uint16 // by destination; 0 means none yet (0 is never allocated)
	lastDst     int
	lastPort    uint16 // most recent allocation's port, to lastDst
	crossPort   uint16 // most recent port to a destination other than lastDst
	same, cross *deltaCounts

	keep    int
	samples []Alloc
}

// usageShift is the fixed point of usageMul = buckets·(⌊2^42/size⌋ + 1)
// (and of occMul, with OccupancyBins as the buckets),
// which has enough bits that off·usageMul >> 42 equals ⌊off·buckets/size⌋
// exactly for every off < size ≤ 65536 (the rounding error stays below
// 2^-20 while the fraction it could carry over is at most 1 − 2^-16): a
// multiply instead of a division on the hot path.
const usageShift = 42

func newCollector(sc *Scenario, strategy string, keepSamples int) *collector {
	c := &collector{
		strategy:    strategy,
		warmup:      sc.Warmup,
		duration:    sc.Duration,
		lo:          sc.Range.Lo,
		size:        sc.Range.Size(),
		nsrc:        uint64(max(len(sc.Srcs), 1)),
		dsts:        sc.Destinations,
		probeCounts: make([]int, 256),
		reuseMin:    math.MaxInt64,
		reuseFine:   make([]int, hdrLen),
		reuseBins:   make([]int, logBinCount),
		reuseRNG:    rand.New(rand.NewPCG(seed.Named(sc.Seed, "reuse-sample"), 0)),
		lastDst:     -1,
		same:        newDeltaCounts(),
		cross:       newDeltaCounts(),
		keep:        max(keepSamples, 0),
	}
	if c.nsrc > (1<<47)/MaxDestinations {
		panic(fmt.Sprintf("sim: %d local addresses are more than a 4-tuple key holds", len(sc.Srcs)))
	}
	if c.keep > 0 {
		c.samples = make([]Alloc, 0, min(c.keep, 1<<16))
	}
	if step := sc.sampleStep(); sc.Duration > 0 {
		c.occupancy = make([]Sample, 0, min(int(sc.Duration/step)+1, 1<<16))
	}
	if sc.Destinations > 0 {
		c.prevPort = make([]uint16, min(sc.Destinations, 1<<16))
	}

	inverse := (1<<usageShift)/uint64(c.size) + 1 // see usageShift
	c.occMul = OccupancyBins * inverse
	c.usageN = min(usageBuckets, c.size)
	c.usageMul = uint64(c.usageN) * inverse
	for i := range c.usageN + 1 {
		c.usageStart[i] = (i*c.size + c.usageN - 1) / c.usageN
	}
	var reserved [1 << 16 / 64]uint64
	for _, r := range sc.Reserved {
		for p := int(r.Lo); p <= int(r.Hi); p++ {
			reserved[p/64] |= 1 << (p % 64)
		}
	}
	usable := 0 // ports of the range not reserved
	for i := range c.usageN {
		n := 0
		for off := c.usageStart[i]; off < c.usageStart[i+1]; off++ {
			p := int(c.lo) + off
			if reserved[p/64]&(1<<(p%64)) == 0 {
				n++
			}
		}
		c.usageShare[i] = float64(n)
		usable += n
	}
	c.host = HostRules{Range: sc.Range, UsablePorts: usable, TimeWaitSeconds: sc.TimeWait.Seconds(), TWReuse: sc.TWReuse.String()}
	for i := range c.byOcc {
		c.byOcc[i].Lo = float64(i) / OccupancyBins
		c.byOcc[i].Hi = float64(i+1) / OccupancyBins
	}
	return c
}

// tupleKey packs a 4-tuple as port (16 bits), protocol (1 bit) and, above
// them, dst·nsrc + src: at most MaxDestinations·nsrc < 2^47, which
// newCollector checks.
func (c *collector) tupleKey(dst, src int, kind allocator.Kind, port uint16) uint64 {
	var proto uint64
	if kind == allocator.UDP {
		proto = 1
	}
	return (uint64(dst)*c.nsrc+uint64(src))<<17 | proto<<16 | uint64(port)
}

func (c *collector) usageBucket(port uint16) int {
	return int(uint64(port-c.lo) * c.usageMul >> usageShift)
}

// delta is (port − prev) mod the range size.
func (c *collector) delta(port, prev uint16) int {
	d := int(port) - int(prev)
	if d < 0 {
		d += c.size
	}
	return d
}

// attempt records what every allocation and failure shares; it reports
// whether the attempt counts toward the metrics (is past the warm-up).
func (c *collector) attempt(now time.Duration, dst, src int, kind allocator.Kind, port uint16, probes int) bool {
	return c.attemptFast(now, probes) || c.attemptSlow(now, dst, src, kind, port, probes)
}

// attemptSlow is attempt when attemptFast declined it.
func (c *collector) attemptSlow(now time.Duration, dst, src int, kind allocator.Kind, port uint16, probes int) bool {
	c.attempts++
	if c.attempts <= c.keep {
		c.samples = append(c.samples, Alloc{N: c.attempts, TimeSeconds: now.Seconds(), Dst: dst, Src: src, Kind: kind.String(), Port: port, Probes: probes})
	}
	if now < c.warmup {
		return false
	}
	c.probeSum += probes
	c.probeMax = max(c.probeMax, probes)
	i := min(max(probes, 0), maxProbeIndex)
	if i >= len(c.probeCounts) {
		c.growProbes(i)
	}
	c.probeCounts[i]++
	return true
}

// attemptFast is attempt in the common case, small enough to inline: an
// attempt past the warm-up, not kept as a sample, with room for its probe
// count. It reports whether it was that case (and recorded it).
func (c *collector) attemptFast(now time.Duration, probes int) bool {
	if c.attempts < c.keep || now < c.warmup || uint(probes) >= uint(len(c.probeCounts)) {
		return false
	}
	c.attempts++
	c.probeSum += probes
	c.probeMax = max(c.probeMax, probes)
	c.probeCounts[probes]++
	return true
}

// allocated records a successful allocation of port to destination dst
// from local address src.
func (c *collector) allocated(now time.Duration, dst, src int, kind allocator.Kind, port uint16, probes int, twReuse bool) {
	c.allocatedUntil(now, dst, src, kind, port, probes, twReuse, -1)
}

// allocatedUntil is allocated followed by closed(closeAt, ...) when
// closeAt ≥ 0, with one lookup of the 4-tuple's last close where the two
// took two: the engine knows when a connection will close as it opens.
func (c *collector) allocatedUntil(now time.Duration, dst, src int, kind allocator.Kind, port uint16, probes int, twReuse bool, closeAt time.Duration) {
	counted := c.attemptFast(now, probes) || c.attemptSlow(now, dst, src, kind, port, probes)
	if dst >= len(c.prevPort) {
		c.growPrev(dst)
	}
	if counted {
		c.allocations++
		if probes > 1 {
			c.collisions++
		}
		if twReuse {
			c.twReuses++
		}
		c.usage[c.usageBucket(port)]++
		if prev := c.prevPort[dst]; prev != 0 {
			c.same.inc(c.delta(port, prev))
		}
		ref := c.crossPort
		if dst != c.lastDst {
			ref = c.lastPort
		}
		if ref != 0 {
			c.cross.inc(c.delta(port, ref))
		}
	}
	if counted || closeAt >= 0 {
		key := c.tupleKey(dst, src, kind, port)
		var at time.Duration
		var ok bool
		if p := c.lastClose.paged(key); p != nil && closeAt >= 0 {
			at, ok = swapPaged(p, closeAt) // swap's common case, inline
		} else if closeAt >= 0 {
			at, ok = c.lastClose.swap(key, closeAt)
		} else {
			at, ok = c.lastClose.get(key)
		}
		if ok && counted {
			c.reused(now - at)
		}
	}
	c.prevPort[dst] = port
	if dst != c.lastDst {
		c.crossPort, c.lastDst = c.lastPort, dst
	}
	c.lastPort = port
}

func (c *collector) reused(d time.Duration) {
	c.reuses++
	c.reuseMin = min(c.reuseMin, d)
	c.reuseMax = max(c.reuseMax, d)
	h := hdrIndex(uint64(d))
	c.reuseFine[h]++
	c.reuseBins[logBinOf(h, int64(d))]++
	if len(c.reuseKeep) < ReuseSampleMax || c.reuses == c.reuseNext {
		c.keepReuse(d)
	}
}

// keepReuse puts reuse interval d in the sample: appended while there is
// room, then in the place of one at random.
func (c *collector) keepReuse(d time.Duration) {
	if len(c.reuseKeep) < ReuseSampleMax {
		c.reuseKeep = append(c.reuseKeep, d)
		if len(c.reuseKeep) == ReuseSampleMax {
			c.reuseW = 1
			c.skipReuses()
		}
		return
	}
	c.reuseKeep[c.reuseRNG.IntN(ReuseSampleMax)] = d
	c.skipReuses()
}

// skipReuses draws the number of the next reuse to enter the full sample
// (Algorithm L).
func (c *collector) skipReuses() {
	u := func() float64 { return 1 - c.reuseRNG.Float64() } // in (0, 1], for the logs
	c.reuseW *= math.Exp(math.Log(u()) / ReuseSampleMax)
	skip := math.Floor(math.Log(u()) / math.Log1p(-c.reuseW))
	c.reuseNext = c.reuses + int(min(skip, 1<<50)) + 1
}

// growProbes makes room for the count of attempts with i probes: few
// runs need the whole array, and clearing it was a share of a short run.
func (c *collector) growProbes(i int) {
	grown := make([]int, min(max(2*len(c.probeCounts), i+1), maxProbeIndex+1))
	copy(grown, c.probeCounts)
	c.probeCounts = grown
}

// growPrev makes room for destination dst's previous port; doubling keeps
// the amortized cost off the hot path.
func (c *collector) growPrev(dst int) {
	n := max(2*len(c.prevPort), 64)
	if dst < c.dsts {
		n = min(n, c.dsts)
	}
	n = max(n, dst+1)
	grown := make([]uint16, n)
	copy(grown, c.prevPort)
	c.prevPort = grown
}

// failed records an attempt that found no usable port.
func (c *collector) failed(now time.Duration, dst, src int, kind allocator.Kind, probes int) {
	c.failsSince++
	if c.attempt(now, dst, src, kind, 0, probes) {
		c.failures++
		c.collisions++
	}
}

// met records the occupancy an attempt met and how it went, for the
// collisions-versus-occupancy chart. Occupancy is over the range size.
func (c *collector) met(now time.Duration, occupied, probes int, failed bool) {
	if now < c.warmup {
		return
	}
	b := &c.byOcc[c.occBin(occupied)]
	b.Attempts++
	b.Probes += probes
	if failed || probes > 1 {
		b.Collisions++
	}
}

// occBin is ⌊occupied·OccupancyBins/size⌋, capped at the last bin: a
// connect() can meet more 4-tuples than the range has ports.
func (c *collector) occBin(occupied int) int {
	if occupied >= c.size {
		return OccupancyBins - 1
	}
	return int(uint64(max(occupied, 0)) * c.occMul >> usageShift)
}

// closed records the end of a socket: the moment its 4-tuple became free
// for a later reuse to be measured against.
func (c *collector) closed(now time.Duration, dst, src int, kind allocator.Kind, port uint16) {
	c.lastClose.set(c.tupleKey(dst, src, kind, port), now)
}

// sample records the table's state; samples come at a fixed step in time
// order.
func (c *collector) sample(now time.Duration, st allocator.Stats) {
	c.occupancy = append(c.occupancy, Sample{
		TimeSeconds: now.Seconds(),
		Established: st.Established,
		TimeWait:    st.TimeWait,
		UDP:         st.UDP,
		Failures:    c.failsSince,
		BusiestDst:  st.BusiestDst,
	})
	c.failsSince = 0
	if now < c.warmup {
		return
	}
	c.occSum += int64(st.Established + st.TimeWait + st.UDP)
	c.estSum += int64(st.Established + st.UDP)
	c.occN++
}

// result summarizes everything recorded so far; it does not change the
// collector.
func (c *collector) result() StrategyResult {
	r := StrategyResult{
		ByOccupancy:     append([]OccupancyBin(nil), c.byOcc[:]...),
		Strategy:        c.strategy,
		Host:            c.host,
		Allocations:     c.allocations,
		Failures:        c.failures,
		ReuseCount:      c.reuses,
		ReuseMinSeconds: -1,
		ReuseP1Seconds:  -1,
		ReuseP50Seconds: -1,
		TWReuses:        c.twReuses,
		Occupancy:       c.occupancy,
		Samples:         c.samples,
		// Literally "more happened than was kept": true with keep 0 as soon
		// as anything happened.
		SamplesTruncated: c.attempts > c.keep,
	}
	if r.Occupancy == nil {
		r.Occupancy = []Sample{}
	}

	attempts := c.allocations + c.failures
	if attempts > 0 {
		r.FailureRate = float64(c.failures) / float64(attempts)
		r.ProbesMean = float64(c.probeSum) / float64(attempts)
		r.ProbesP50 = quantileIndex(c.probeCounts, 1, 2)
		r.ProbesP99 = quantileIndex(c.probeCounts, 99, 100)
		r.ProbesMax = c.probeMax
		r.CollisionRate = float64(c.collisions) / float64(attempts)
	}
	r.ProbesHist = make([]int, ProbesHistOverflow)
	for p, n := range c.probeCounts {
		r.ProbesHist[min(max(p, 1), ProbesHistOverflow)-1] += n
	}

	if c.reuses > 0 {
		r.ReuseMinSeconds = c.reuseMin.Seconds()
		r.ReuseP1Seconds = c.reuseQuantile(1, 100).Seconds()
		r.ReuseP50Seconds = c.reuseQuantile(1, 2).Seconds()
		r.ReuseSample = make([]float64, len(c.reuseKeep))
		for i, d := range c.reuseKeep {
			r.ReuseSample[i] = d.Seconds()
		}
		slices.Sort(r.ReuseSample)
	}
	// Bins up to the one holding the run's duration, so every strategy of a
	// scenario gets the same layout (no interval can be longer).
	top := logBin(int64(max(c.duration, c.reuseMax, 0)))
	r.ReuseHist = make([]Bucket, top+1)
	for b := range r.ReuseHist {
		lo, hi := logBinBounds(b)
		r.ReuseHist[b] = Bucket{Lo: lo, Hi: hi, Count: c.reuseBins[b]}
	}

	if c.occN > 0 {
		r.OccupancyMean = float64(c.occSum) / float64(c.occN)
		r.EstablishedMean = float64(c.estSum) / float64(c.occN)
	}

	r.PortUsage = make([]Bucket, c.usageN)
	obs := make([]int, c.usageN)
	for i := range c.usageN {
		r.PortUsage[i] = Bucket{
			Lo:    float64(int(c.lo) + c.usageStart[i]),
			Hi:    float64(int(c.lo) + c.usageStart[i+1]),
			Count: c.usage[i],
		}
		obs[i] = c.usage[i]
	}
	r.UniformityP = chiSquareUniformP(obs, c.usageShare[:c.usageN])

	r.PairsSameDst, r.EntropySameDst, r.GuessSameDst = c.same.summary()
	r.PairsCrossDst, r.EntropyCrossDst, r.GuessCrossDst = c.cross.summary()
	return r
}

// reuseQuantile is the num/den quantile of the reuse intervals: the middle
// of its histogram bucket (within 0.4 %), kept within the exact min and max
// so that a single interval, or a run of equal ones, comes out exact.
func (c *collector) reuseQuantile(num, den uint64) time.Duration {
	h := quantileIndex(c.reuseFine, num, den)
	lo, hi := hdrBounds(h)
	mid := time.Duration(lo + (hi-lo)/2)
	return min(max(mid, c.reuseMin), c.reuseMax)
}

// deltaCounts counts port deltas (0 to 65535) in 32 bits each, half the
// cache footprint of 64, which the hot path feels with random ports. Before
// any count could wrap, they are all moved into 64-bit spill counts.
type deltaCounts struct {
	lo      [1 << 16]uint32
	n       uint32 // increments since the last spill
	spillAt uint32 // spill when n reaches it; lower in tests
	spill   []uint64
}

func newDeltaCounts() *deltaCounts { return &deltaCounts{spillAt: math.MaxUint32} }

func (d *deltaCounts) inc(i int) {
	d.lo[i]++
	d.n++
	if d.n == d.spillAt {
		d.flush()
	}
}

func (d *deltaCounts) flush() {
	if d.spill == nil {
		d.spill = make([]uint64, len(d.lo))
	}
	for i, v := range d.lo {
		d.spill[i] += uint64(v)
	}
	d.lo = [1 << 16]uint32{}
	d.n = 0
}

// summary is the number of deltas, their entropy in bits and the share of
// the most common one.
func (d *deltaCounts) summary() (n int, bits, guess float64) {
	if d.spill == nil {
		for _, v := range d.lo {
			n += int(v)
		}
		return n, entropyBits(d.lo[:]), modeShare(d.lo[:])
	}
	all := make([]uint64, len(d.lo))
	for i, v := range d.lo {
		all[i] = d.spill[i] + uint64(v)
		n += int(all[i])
	}
	return n, entropyBits(all), modeShare(all)
}

// closeTable maps a 4-tuple key to its last close time. It is an
// open-addressing hash table with linear probing rather than a Go map: a
// lookup usually touches one cache line where a map touches three or four
// (directory, control word, slot), and with as many tuples as a busy host
// has, those misses were most of the collector's time. It grows by
// doubling and never shrinks, so it holds at most one slot per distinct
// 4-tuple ever closed, times the load factor.
type closeTable struct {
	slots []closeSlot // a power of two long; key 0 marks an empty slot
	n     int
	shift uint // 64 − log2(len(slots)), for Fibonacci hashing

	// Busy 4-tuple groups (one destination, source and protocol; the first
	// pagedGroups of them) move to a dense page indexed by port once they
	// have closed pageAfter distinct ports. Strategies hand out nearby
	// ports in a row (a cursor, a per-destination walk), which a page keeps
	// on nearby cache lines where the hash scatters them.
	pages  [pagedGroups]*closePage
	counts [pagedGroups]int32 // distinct ports per group in slots
}

// closePage holds a group's last close time per port, plus one: 0 means
// never closed. 512 KiB, so only groups with many ports get one.
type closePage [1 << 16]time.Duration

const (
	pagedGroups = 256
	pageAfter   = 4096
)

type closeSlot struct {
	key uint64 // tupleKey + 1, so that 0 can mean empty
	at  time.Duration
}

// index is the home slot of stored key k: the multiplication spreads the
// structured key (port in the low bits) over the top bits.
func (t *closeTable) index(k uint64) int { return int((k * 0x9e3779b97f4a7c15) >> t.shift) }

func (t *closeTable) get(key uint64) (time.Duration, bool) {
	if g := key >> 16; g < pagedGroups && t.pages[g] != nil {
		if v := t.pages[g][key&0xffff]; v != 0 {
			return v - 1, true
		}
		return 0, false
	}
	if t.n == 0 {
		return 0, false
	}
	k := key + 1
	mask := len(t.slots) - 1
	for i := t.index(k); ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.key == k {
			return s.at, true
		}
		if s.key == 0 {
			return 0, false
		}
	}
}

// paged returns key's place in its group's page (last close plus one, 0
// for never), or nil when the group has none. Small enough to inline.
func (t *closeTable) paged(key uint64) *time.Duration {
	if g := key >> 16; g < pagedGroups && t.pages[g] != nil {
		return &t.pages[g][key&0xffff]
	}
	return nil
}

// swapPaged is swap on a page's place.
func swapPaged(p *time.Duration, at time.Duration) (time.Duration, bool) {
	old := *p
	*p = at + 1
	return old - 1, old != 0
}

func (t *closeTable) set(key uint64, at time.Duration) { t.swap(key, at) }

// swap sets key's last close to at and returns the one before, if any:
// one probe of the page or the hash slots.
func (t *closeTable) swap(key uint64, at time.Duration) (time.Duration, bool) {
	if p := t.paged(key); p != nil {
		return swapPaged(p, at)
	}
	old, had := t.setSlot(key, at)
	if g := key >> 16; !had && g < pagedGroups {
		if t.counts[g]++; t.counts[g] == pageAfter {
			// The group's slots stay behind, unread: get asks the page first.
			p := new(closePage)
			for _, s := range t.slots {
				if s.key != 0 && (s.key-1)>>16 == g {
					p[(s.key-1)&0xffff] = s.at + 1
				}
			}
			t.pages[g] = p
		}
	}
	return old, had
}

// setSlot stores key in the hash slots and returns the time it replaced,
// if it was there.
func (t *closeTable) setSlot(key uint64, at time.Duration) (time.Duration, bool) {
	if 4*(t.n+1) > 3*len(t.slots) {
		t.grow()
	}
	k := key + 1
	mask := len(t.slots) - 1
	for i := t.index(k); ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.key == k {
			old := s.at
			s.at = at
			return old, true
		}
		if s.key == 0 {
			*s = closeSlot{k, at}
			t.n++
			return 0, false
		}
	}
}

func (t *closeTable) grow() {
	old := t.slots
	n := max(2*len(old), 1024)
	t.slots = make([]closeSlot, n)
	t.shift = uint(64 - bits.Len(uint(n-1)))
	mask := n - 1
	for _, s := range old {
		if s.key == 0 {
			continue
		}
		i := t.index(s.key)
		for t.slots[i].key != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = s
	}
}
