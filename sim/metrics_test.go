package sim

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/portsim/portsim/allocator"
)

// ev is one event fed to a collector.
type ev struct {
	op     byte // 'a'llocated, 'f'ailed, 'c'losed, 's'ample
	t      time.Duration
	dst    int
	src    int
	kind   allocator.Kind
	port   uint16
	probes int
	tw     bool
	st     allocator.Stats
}

func alloc(t time.Duration, dst int, port uint16) ev {
	return ev{op: 'a', t: t, dst: dst, port: port, probes: 1}
}

func closeEv(t time.Duration, dst int, port uint16) ev {
	return ev{op: 'c', t: t, dst: dst, port: port}
}

func failEv(t time.Duration, probes int) ev { return ev{op: 'f', t: t, probes: probes} }

func sec(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// testScenario is a range of lo..hi, dsts destinations and two local
// addresses, an hour long.
func testScenario(lo, hi uint16, dsts int) *Scenario {
	return &Scenario{
		Duration:     time.Hour,
		Destinations: dsts,
		Srcs:         []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")},
		Range:        allocator.Range{Lo: lo, Hi: hi},
	}
}

func feed(c *collector, evs []ev) {
	for _, e := range evs {
		switch e.op {
		case 'a':
			c.allocated(e.t, e.dst, e.src, e.kind, e.port, e.probes, e.tw)
		case 'f':
			c.failed(e.t, e.dst, 0, e.kind, e.probes)
		case 'c':
			c.closed(e.t, e.dst, e.src, e.kind, e.port)
		case 's':
			c.sample(e.t, e.st)
		default:
			panic("bad op")
		}
	}
}

func run(sc *Scenario, keep int, evs []ev) StrategyResult {
	c := newCollector(sc, "test", keep)
	feed(c, evs)
	return c.result()
}

func near(got, want, tol float64) bool { return math.Abs(got-want) <= tol }

func TestCollectorPredictability(t *testing.T) {
	// seq hands out ports lo, lo+step, … to the destinations in dsts, in turn.
	seq := func(lo, hi uint16, n, step int, dsts ...int) []ev {
		var evs []ev
		size := int(hi) - int(lo) + 1
		for i := range n {
			p := uint16(int(lo) + (i*step)%size)
			evs = append(evs, alloc(time.Duration(i+1)*time.Millisecond, dsts[i%len(dsts)], p))
		}
		return evs
	}
	// cycle8 steps the port by 1, 2, …, 8 in turn to one destination, so
	// the same-destination delta takes 8 values equally often.
	cycle8 := func(n int) []ev {
		var evs []ev
		p := 1000
		for i := range n {
			evs = append(evs, alloc(time.Duration(i+1)*time.Millisecond, 0, uint16(p)))
			p = 1000 + (p-1000+i%8+1)%1000
		}
		return evs
	}
	type want struct {
		sameBits, crossBits   float64
		sameGuess, crossGuess float64
		samePairs, crossPairs int
	}
	for _, tc := range []struct {
		name   string
		hi     uint16 // the range is 1000..hi
		warmup time.Duration
		evs    []ev
		want   want
	}{
		{"sequential, one destination", 1999, 0, seq(1000, 1999, 100, 1, 0),
			want{0, 0, 1, 0, 99, 0}},
		{"sequential wraps modulo the range", 1009, 0, seq(1000, 1009, 100, 3, 0),
			want{0, 0, 1, 0, 99, 0}},
		{"8 equally likely deltas", 1999, 0, cycle8(8*50 + 1),
			want{3, 0, 0.125, 0, 400, 0}},
		// A global counter over two alternating destinations: each sees
		// steps of 2, and the other destination's port is always 1 behind.
		{"global counter, alternating", 1999, 0, seq(1000, 1999, 101, 1, 0, 1),
			want{0, 0, 1, 1, 99, 100}},
		// Destinations 0,0,1,1,0,0,…: the cross reference of the second of
		// a pair is the port before its partner, so deltas alternate 1, 2.
		// Each destination sees steps 1,3,1,…,1: 50 ones, 48 threes in all.
		{"cross reference skips the same destination", 1999, 0, seq(1000, 1999, 100, 1, 0, 0, 1, 1),
			want{0.9996995428565176, 1, 50.0 / 98, 0.5, 98, 98}},
		// Ports before the warm-up set the previous ports but are not
		// counted: 10 of 110 allocations are early, the 11th has a pair.
		{"warm-up", 1999, sec(0.0105), seq(1000, 1999, 110, 1, 0),
			want{0, 0, 1, 0, 100, 0}},
		{"no allocations", 1999, 0, nil, want{0, 0, 0, 0, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := testScenario(1000, tc.hi, 4)
			sc.Warmup = tc.warmup
			r := run(sc, 0, tc.evs)
			got := want{r.EntropySameDst, r.EntropyCrossDst, r.GuessSameDst, r.GuessCrossDst, r.PairsSameDst, r.PairsCrossDst}
			if !near(got.sameBits, tc.want.sameBits, 1e-9) || !near(got.crossBits, tc.want.crossBits, 1e-9) ||
				got.sameGuess != tc.want.sameGuess || got.crossGuess != tc.want.crossGuess ||
				got.samePairs != tc.want.samePairs || got.crossPairs != tc.want.crossPairs {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestCollectorRandomPortsHaveHighEntropy(t *testing.T) {
	// Uniform random ports over 1000 ports and 2e5 pairs: the plug-in
	// estimate is within a few hundredths of log2(1000) and no delta is
	// much more likely than 1/1000.
	sc := testScenario(1000, 1999, 10)
	c := newCollector(sc, "test", 0)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 200_000 {
		c.allocated(time.Duration(i), rng.IntN(10), 0, allocator.Connect, uint16(1000+rng.IntN(1000)), 1, false)
	}
	r := c.result()
	for _, h := range []float64{r.EntropySameDst, r.EntropyCrossDst} {
		if h < math.Log2(1000)-0.01 || h > math.Log2(1000) {
			t.Errorf("entropy %v bits, want just under %v", h, math.Log2(1000))
		}
	}
	if r.GuessSameDst > 0.0015 || r.GuessCrossDst > 0.0015 {
		t.Errorf("guess same %v cross %v, want about 0.001", r.GuessSameDst, r.GuessCrossDst)
	}
	if r.UniformityP < 1e-4 {
		t.Errorf("uniformity p %v for uniform ports", r.UniformityP)
	}
}

func TestCollectorReuse(t *testing.T) {
	type want struct {
		count, tw     int
		min, p1, p50  float64 // seconds
		binLo, binCnt float64 // the bin holding the minimum and its count
	}
	at := func(e ev, f func(*ev)) ev { f(&e); return e }
	hundred := func() []ev {
		// One tuple closed and reused with intervals 1, 2, …, 100 s.
		var evs []ev
		now := sec(1)
		for i := 1; i <= 100; i++ {
			evs = append(evs, alloc(now, 0, 1000), closeEv(now+sec(1), 0, 1000))
			now += sec(1) + sec(float64(i))
		}
		return append(evs, alloc(now, 0, 1000))
	}
	none := want{0, 0, -1, -1, -1, 0, 0}
	for _, tc := range []struct {
		name   string
		warmup time.Duration
		evs    []ev
		want   want
	}{
		{"closed at 10 s, reused at 70 s", 0,
			[]ev{alloc(sec(1), 0, 1000), closeEv(sec(10), 0, 1000), alloc(sec(70), 0, 1000)},
			want{1, 0, 60, 60, 60, 39.810717055, 1}},
		{"never closed is no reuse", 0,
			[]ev{alloc(sec(1), 0, 1000), alloc(sec(70), 1, 1000)}, none},
		{"another destination is another tuple", 0,
			[]ev{alloc(sec(1), 0, 1000), closeEv(sec(10), 0, 1000), alloc(sec(70), 1, 1000)}, none},
		{"another local address is another tuple", 0,
			[]ev{alloc(sec(1), 0, 1000), closeEv(sec(10), 0, 1000), at(alloc(sec(70), 0, 1000), func(e *ev) { e.src = 1 })}, none},
		{"UDP does not reuse a TCP tuple", 0,
			[]ev{alloc(sec(1), 0, 1000), closeEv(sec(10), 0, 1000), at(alloc(sec(70), 0, 1000), func(e *ev) { e.kind = allocator.UDP })}, none},
		{"bind reuses a connect tuple", 0,
			[]ev{alloc(sec(1), 0, 1000), closeEv(sec(10), 0, 1000), at(alloc(sec(70), 0, 1000), func(e *ev) { e.kind = allocator.Bind })},
			want{1, 0, 60, 60, 60, 39.810717055, 1}},
		{"the last close counts", 0,
			[]ev{alloc(sec(1), 0, 1000), closeEv(sec(10), 0, 1000), alloc(sec(20), 0, 1000), closeEv(sec(30), 0, 1000), alloc(sec(100), 0, 1000)},
			want{2, 0, 10, 10, 10, 10, 1}},
		{"reused at the instant of closing", 0,
			[]ev{alloc(sec(1), 0, 1000), closeEv(sec(10), 0, 1000), alloc(sec(10), 0, 1000)},
			want{1, 0, 0, 0, 0, 0, 1}},
		{"TIME_WAIT reuse", 0,
			[]ev{alloc(sec(1), 0, 1000), closeEv(sec(10), 0, 1000), at(alloc(sec(11), 0, 1000), func(e *ev) { e.tw = true })},
			want{1, 1, 1, 1, 1, 1, 1}},
		{"closed before the warm-up, reused after", sec(30),
			[]ev{alloc(sec(1), 0, 1000), closeEv(sec(10), 0, 1000), alloc(sec(70), 0, 1000)},
			want{1, 0, 60, 60, 60, 39.810717055, 1}},
		{"reused before the warm-up", sec(30),
			[]ev{alloc(sec(1), 0, 1000), closeEv(sec(10), 0, 1000), at(alloc(sec(20), 0, 1000), func(e *ev) { e.tw = true })}, none},
		// Nearest rank: p1 is the 1st of 100 intervals, p50 the 50th.
		{"intervals 1..100 s", 0, hundred(), want{100, 0, 1, 1, 50, 1, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := testScenario(1000, 1999, 4)
			sc.Warmup = tc.warmup
			r := run(sc, 0, tc.evs)
			// Quantiles come from buckets at most 0.8 % wide.
			if r.ReuseCount != tc.want.count || r.TWReuses != tc.want.tw || r.ReuseMinSeconds != tc.want.min ||
				!near(r.ReuseP1Seconds, tc.want.p1, math.Abs(0.004*tc.want.p1)) || !near(r.ReuseP50Seconds, tc.want.p50, math.Abs(0.004*tc.want.p50)) {
				t.Errorf("count %d tw %d min %v p1 %v p50 %v, want %+v", r.ReuseCount, r.TWReuses, r.ReuseMinSeconds, r.ReuseP1Seconds, r.ReuseP50Seconds, tc.want)
			}
			total := 0
			for _, b := range r.ReuseHist {
				total += b.Count
			}
			if total != tc.want.count {
				t.Errorf("ReuseHist holds %d, want %d", total, tc.want.count)
			}
			if len(r.ReuseSample) != tc.want.count || (tc.want.count > 0 && r.ReuseSample[0] != tc.want.min) {
				t.Errorf("ReuseSample %v, want all %d intervals from %v s", r.ReuseSample, tc.want.count, tc.want.min)
			}
			if tc.want.count > 0 {
				b := r.ReuseHist[logBin(int64(sec(r.ReuseMinSeconds)))]
				if !near(b.Lo, tc.want.binLo, 1e-9) || b.Count != int(tc.want.binCnt) {
					t.Errorf("the minimum's bin is %+v, want from %v s holding %v", b, tc.want.binLo, tc.want.binCnt)
				}
			}
		})
	}
}

// Past ReuseSampleMax intervals the sample stays that size, sorted, drawn
// from the whole run, and the same for the same seed.
func TestCollectorReuseSample(t *testing.T) {
	const n = 3 * ReuseSampleMax
	sample := func(seed uint64) []float64 {
		sc := testScenario(1000, 1999, 1)
		sc.Seed = seed
		c := newCollector(sc, "test", 0)
		for i := range n {
			c.reused(time.Duration(i+1) * time.Millisecond)
		}
		return c.result().ReuseSample
	}
	a, b, other := sample(1), sample(1), sample(2)
	if len(a) != ReuseSampleMax || !slices.IsSorted(a) {
		t.Fatalf("%d intervals kept (sorted %v), want %d sorted", len(a), slices.IsSorted(a), ReuseSampleMax)
	}
	if !slices.Equal(a, b) {
		t.Error("the same seed kept different samples")
	}
	if slices.Equal(a, other) {
		t.Error("another seed kept the same sample")
	}
	// Uniform over 1 ms to n ms: about a third past 2n/3 ms, not none as a
	// sample of the first intervals would have.
	late := 0
	for _, v := range a {
		if v > 2*n/3*0.001 {
			late++
		}
	}
	if late < ReuseSampleMax/4 || late > ReuseSampleMax*5/12 {
		t.Errorf("%d of %d kept intervals from the last third of the run; want about a third", late, ReuseSampleMax)
	}
}

func TestCollectorReuseHistLayout(t *testing.T) {
	// The layout depends on the scenario only: [0, 1 ms), then 5 a decade
	// up to the bin holding the hour, [2512 s, 3981 s): 33 bins from 1 ms.
	r := run(testScenario(1000, 1999, 1), 0, nil)
	if len(r.ReuseHist) != 1+33 {
		t.Fatalf("%d bins, want 34", len(r.ReuseHist))
	}
	if b := r.ReuseHist[0]; b.Lo != 0 || b.Hi != 0.001 {
		t.Errorf("first bin %+v", b)
	}
	last := r.ReuseHist[len(r.ReuseHist)-1]
	if last.Lo > 3600 || last.Hi <= 3600 {
		t.Errorf("last bin %+v does not hold the duration", last)
	}
	for i := 1; i < len(r.ReuseHist); i++ {
		if r.ReuseHist[i].Lo != r.ReuseHist[i-1].Hi {
			t.Errorf("bins %d and %d do not meet", i-1, i)
		}
	}
}

func TestCollectorProbes(t *testing.T) {
	probesOf := func(allocs []int, fails ...int) []ev {
		var evs []ev
		for i, p := range allocs {
			e := alloc(sec(float64(i+1)), 0, uint16(1000+i))
			e.probes = p
			evs = append(evs, e)
		}
		for _, p := range fails {
			evs = append(evs, failEv(sec(100), p))
		}
		return evs
	}
	n := func(v, times int) []int {
		s := make([]int, times)
		for i := range s {
			s[i] = v
		}
		return s
	}
	type want struct {
		allocs, fails  int
		failRate, mean float64
		p50, p99, max  int
		collisionRate  float64
		hist           map[int]int // index → count; others 0
	}
	for _, tc := range []struct {
		name   string
		warmup time.Duration
		evs    []ev
		want   want
	}{
		// Attempts 1,1,1,1,2,3,10 and a failure of 1000: rank 4 is 1, rank 8 is 1000.
		{"mixed with a failure", 0, probesOf([]int{1, 1, 1, 1, 2, 3, 10}, 1000),
			want{7, 1, 0.125, 1019.0 / 8, 1, 1000, 1000, 0.5, map[int]int{0: 4, 1: 1, 2: 1, 9: 1, 63: 1}}},
		{"half ones, half twos", 0, probesOf(append(n(1, 50), n(2, 50)...)),
			want{100, 0, 0, 1.5, 1, 2, 2, 0.5, map[int]int{0: 50, 1: 50}}},
		{"one in a hundred long", 0, probesOf(append(n(1, 98), 64, 65)),
			want{100, 0, 0, (98 + 64 + 65) / 100.0, 1, 64, 65, 0.02, map[int]int{0: 98, 63: 2}}},
		{"failures only", 0, probesOf(nil, 1000, 1000),
			want{0, 2, 1, 1000, 1000, 1000, 1000, 1, map[int]int{63: 2}}},
		// A failure that asked nothing still counts, in the first bucket.
		{"zero-probe failure", 0, probesOf([]int{1}, 0),
			want{1, 1, 0.5, 0.5, 0, 1, 1, 0.5, map[int]int{0: 2}}},
		{"warm-up excludes early attempts", sec(5.5), probesOf([]int{7, 7, 7, 7, 7, 1, 2}, 30),
			want{2, 1, 1.0 / 3, 11, 2, 30, 30, 2.0 / 3, map[int]int{0: 1, 1: 1, 29: 1}}},
		{"nothing", 0, nil, want{0, 0, 0, 0, 0, 0, 0, 0, nil}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := testScenario(1000, 1999, 1)
			sc.Warmup = tc.warmup
			r := run(sc, 0, tc.evs)
			w := tc.want
			if r.Allocations != w.allocs || r.Failures != w.fails || !near(r.FailureRate, w.failRate, 1e-12) ||
				!near(r.ProbesMean, w.mean, 1e-12) || r.ProbesP50 != w.p50 || r.ProbesP99 != w.p99 ||
				r.ProbesMax != w.max || !near(r.CollisionRate, w.collisionRate, 1e-12) {
				t.Errorf("allocs %d fails %d rate %v mean %v p50 %d p99 %d max %d coll %v\nwant %+v",
					r.Allocations, r.Failures, r.FailureRate, r.ProbesMean, r.ProbesP50, r.ProbesP99, r.ProbesMax, r.CollisionRate, w)
			}
			if len(r.ProbesHist) != ProbesHistOverflow {
				t.Fatalf("ProbesHist has %d buckets", len(r.ProbesHist))
			}
			for i, got := range r.ProbesHist {
				if got != w.hist[i] {
					t.Errorf("ProbesHist[%d] = %d, want %d", i, got, w.hist[i])
				}
			}
		})
	}
}

func TestCollectorOccupancy(t *testing.T) {
	sc := testScenario(1000, 1999, 1)
	sc.Warmup = sec(5)
	var evs []ev
	for i := range 10 {
		// Failures land between samples; the one at a sample's instant
		// comes before it (the engine's order) and counts in it.
		if i == 3 || i == 7 {
			evs = append(evs, failEv(sec(float64(i)-0.5), 1), failEv(sec(float64(i)), 1))
		}
		evs = append(evs, ev{op: 's', t: sec(float64(i)), st: allocator.Stats{Established: i, TimeWait: 2 * i, UDP: 1, BusyPorts: 99}})
	}
	r := run(sc, 0, evs)
	if len(r.Occupancy) != 10 {
		t.Fatalf("%d samples, want 10 (the warm-up's included)", len(r.Occupancy))
	}
	want := Sample{TimeSeconds: 7, Established: 7, TimeWait: 14, UDP: 1, Failures: 2}
	if r.Occupancy[7] != want || r.Occupancy[3].Failures != 2 || r.Occupancy[4].Failures != 0 {
		t.Errorf("samples %+v", r.Occupancy)
	}
	// After the warm-up: i = 5..9, established 7 on average, TIME_WAIT 14.
	if r.OccupancyMean != 7+14+1 || r.EstablishedMean != 7+1 {
		t.Errorf("OccupancyMean %v EstablishedMean %v, want 22 and 8", r.OccupancyMean, r.EstablishedMean)
	}
	if r.Failures != 2 {
		t.Errorf("Failures %d, want 2 (t=6.5 and t=7 are past the warm-up)", r.Failures)
	}
}

func TestCollectorPortUsage(t *testing.T) {
	// every allocates each non-reserved port of lo..hi k times.
	every := func(lo, hi uint16, k int, skip func(p int) bool) []ev {
		var evs []ev
		for range k {
			for p := int(lo); p <= int(hi); p++ {
				if skip == nil || !skip(p) {
					evs = append(evs, alloc(time.Second, 0, uint16(p)))
				}
			}
		}
		return evs
	}
	oneBucket := func(lo uint16, n int) []ev {
		var evs []ev
		for range n {
			evs = append(evs, alloc(time.Second, 0, lo))
		}
		return evs
	}
	firstHalf := func(p int) bool { return p < 33768 }
	for _, tc := range []struct {
		name     string
		lo, hi   uint16
		reserved []allocator.Range
		evs      []ev
		buckets  int
		pLo, pHi float64
	}{
		// 28232 ports do not split evenly: buckets of 441 and 442 ports,
		// each with 441 or 442 allocations, is an exact fit.
		{"linux range, every port once", 32768, 60999, nil, every(32768, 60999, 1, nil), 64, 0.999999, 1},
		{"all in one bucket", 32768, 60999, nil, oneBucket(40000, 6400), 64, 0, 1e-6},
		{"ten ports, ten buckets", 1000, 1009, nil, every(1000, 1009, 3, nil), 10, 1, 1},
		{"one port", 1000, 1000, nil, oneBucket(1000, 5), 1, 1, 1},
		{"no allocations", 1000, 1999, nil, nil, 64, 1, 1},
		// Half the range reserved: ports spread over the other half are
		// uniform, and the reserved buckets expect nothing.
		{"reserved half, used half", 32768, 34767, []allocator.Range{{Lo: 32768, Hi: 33767}}, every(32768, 34767, 3, firstHalf), 64, 0.99, 1},
		{"same ports, nothing reserved", 32768, 34767, nil, every(32768, 34767, 3, firstHalf), 64, 0, 1e-6},
		// A partly reserved bucket expects less; filling it fully is a misfit.
		{"partly reserved bucket over-used", 1000, 1639, []allocator.Range{{Lo: 1000, Hi: 1004}}, every(1000, 1639, 200, nil), 64, 0, 1e-6},
		{"partly reserved bucket fits", 1000, 1639, []allocator.Range{{Lo: 1000, Hi: 1004}, {Lo: 1002, Hi: 1003}}, every(1000, 1639, 20, func(p int) bool { return p <= 1004 }), 64, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := testScenario(tc.lo, tc.hi, 1)
			sc.Reserved = tc.reserved
			r := run(sc, 0, tc.evs)
			if len(r.PortUsage) != tc.buckets {
				t.Fatalf("%d buckets, want %d", len(r.PortUsage), tc.buckets)
			}
			total := 0
			for i, b := range r.PortUsage {
				total += b.Count
				if i > 0 && b.Lo != r.PortUsage[i-1].Hi {
					t.Errorf("buckets %d and %d do not meet", i-1, i)
				}
				if w := b.Hi - b.Lo; w != math.Floor(float64(sc.Range.Size())/float64(tc.buckets)) && w != math.Ceil(float64(sc.Range.Size())/float64(tc.buckets)) {
					t.Errorf("bucket %+v is %v wide", b, w)
				}
			}
			if r.PortUsage[0].Lo != float64(tc.lo) || r.PortUsage[len(r.PortUsage)-1].Hi != float64(tc.hi)+1 {
				t.Errorf("buckets span [%v, %v)", r.PortUsage[0].Lo, r.PortUsage[len(r.PortUsage)-1].Hi)
			}
			if total != len(tc.evs) {
				t.Errorf("buckets hold %d, want %d", total, len(tc.evs))
			}
			if r.UniformityP < tc.pLo || r.UniformityP > tc.pHi {
				t.Errorf("UniformityP %v, want in [%v, %v]", r.UniformityP, tc.pLo, tc.pHi)
			}
		})
	}
}

func TestBucketsMatchDivision(t *testing.T) {
	for _, size := range []int{1, 2, 3, 63, 64, 65, 127, 1000, 16384, 28232, 40000, 65534, 65535, 65536} {
		lo := uint16(1)
		if size == 65536 {
			lo = 0 // the multiply must hold for the largest size too
		}
		c := newCollector(&Scenario{Range: allocator.Range{Lo: lo, Hi: uint16(int(lo) + size - 1)}}, "test", 0)
		for off := range size {
			want := off * c.usageN / size
			if got := c.usageBucket(uint16(int(lo) + off)); got != want {
				t.Fatalf("size %d offset %d: bucket %d, want %d", size, off, got, want)
			}
		}
		// The occupancy bin uses the same multiply; past the range's size
		// (connects from several addresses) it stays in the last bin.
		for occ := range size + 100 {
			want := min(occ*OccupancyBins/size, OccupancyBins-1)
			if got := c.occBin(occ); got != want {
				t.Fatalf("size %d occupancy %d: bin %d, want %d", size, occ, got, want)
			}
		}
	}
}

func TestCollectorSamples(t *testing.T) {
	evs := []ev{
		alloc(sec(1), 3, 1000),
		failEv(sec(2), 1000),
		{op: 'a', t: sec(3), dst: 1, kind: allocator.UDP, port: 1500, probes: 4},
		closeEv(sec(4), 3, 1000),
		alloc(sec(5), 0, 1001),
	}
	all := []Alloc{
		{N: 1, TimeSeconds: 1, Dst: 3, Kind: "connect", Port: 1000, Probes: 1},
		{N: 2, TimeSeconds: 2, Dst: 0, Kind: "connect", Port: 0, Probes: 1000},
		{N: 3, TimeSeconds: 3, Dst: 1, Kind: "udp", Port: 1500, Probes: 4},
		{N: 4, TimeSeconds: 5, Dst: 0, Kind: "connect", Port: 1001, Probes: 1},
	}
	for _, tc := range []struct {
		keep      int
		want      []Alloc
		truncated bool
	}{
		{0, nil, true},
		{3, all[:3], true},
		{4, all, false},
		{100, all, false},
	} {
		sc := testScenario(1000, 1999, 4)
		sc.Warmup = sec(2.5) // samples start at time 0 regardless
		r := run(sc, tc.keep, evs)
		if len(r.Samples) != len(tc.want) || r.SamplesTruncated != tc.truncated {
			t.Errorf("keep %d: %d samples, truncated %v; want %d, %v", tc.keep, len(r.Samples), r.SamplesTruncated, len(tc.want), tc.truncated)
			continue
		}
		for i := range tc.want {
			if r.Samples[i] != tc.want[i] {
				t.Errorf("keep %d: sample %d = %+v, want %+v", tc.keep, i, r.Samples[i], tc.want[i])
			}
		}
	}
}

func TestCollectorMemoryBounded(t *testing.T) {
	sc := testScenario(1000, 1999, 10)
	c := newCollector(sc, "test", 0)
	now := time.Duration(0)
	for i := range 1_000_000 {
		dst := i % 10
		now += time.Millisecond
		c.allocated(now, dst, 0, allocator.Connect, 1000+uint16(dst), 1, false)
		now += time.Millisecond
		c.closed(now, dst, 0, allocator.Connect, 1000+uint16(dst))
	}
	if c.lastClose.n != 10 || len(c.lastClose.slots) != 1024 {
		t.Errorf("lastClose has %d entries in %d slots, want 10 in 1024", c.lastClose.n, len(c.lastClose.slots))
	}
	if len(c.prevPort) != 10 {
		t.Errorf("prevPort has %d entries, want 10", len(c.prevPort))
	}
	if cap(c.samples) != 0 || len(c.occupancy) != 0 {
		t.Errorf("samples or occupancy grew with allocations")
	}
	r := c.result()
	if r.ReuseCount != 1_000_000-10 || r.ReuseMinSeconds != 0.019 || r.ReuseP50Seconds != 0.019 {
		t.Errorf("reuse count %d min %v p50 %v", r.ReuseCount, r.ReuseMinSeconds, r.ReuseP50Seconds)
	}
}

func TestCollectorPrevPortGrowsToDestinations(t *testing.T) {
	// Without a known count, previous ports grow with the largest index
	// seen; with one, never past it.
	for _, tc := range []struct{ dsts, maxDst, wantLen int }{
		{0, 1000, 2048},
		{1 << 20, 100_000, 131072},
		{100_003, 100_002, 100_003},
	} {
		sc := testScenario(1000, 1999, tc.dsts)
		c := newCollector(sc, "test", 0)
		for d := 0; d <= tc.maxDst; d++ {
			c.allocated(time.Duration(d), d, 0, allocator.Connect, 1000, 1, false)
		}
		if len(c.prevPort) > tc.wantLen || len(c.prevPort) <= tc.maxDst {
			t.Errorf("dsts %d, max index %d: %d previous ports, want ≤ %d", tc.dsts, tc.maxDst, len(c.prevPort), tc.wantLen)
		}
	}
}

func TestDeltaCountsSpill(t *testing.T) {
	plain, spilled := newDeltaCounts(), newDeltaCounts()
	spilled.spillAt = 7
	rng := rand.New(rand.NewPCG(3, 4))
	for range 1000 {
		i := rng.IntN(5) * 1000
		plain.inc(i)
		spilled.inc(i)
	}
	if spilled.spill == nil {
		t.Fatal("never spilled")
	}
	n1, h1, g1 := plain.summary()
	n2, h2, g2 := spilled.summary()
	if n1 != 1000 || n1 != n2 || h1 != h2 || g1 != g2 {
		t.Errorf("plain %d %v %v, spilled %d %v %v", n1, h1, g1, n2, h2, g2)
	}
}

func TestCollectorResultEncodes(t *testing.T) {
	// JSON has no NaN or infinity: every float must be finite, with or
	// without data.
	for _, evs := range [][]ev{nil, {
		alloc(sec(1), 0, 1000), closeEv(sec(2), 0, 1000), alloc(sec(3), 0, 1000), failEv(sec(4), 1000),
		{op: 's', t: sec(5), st: allocator.Stats{Established: 1}},
	}} {
		sc := testScenario(1000, 1999, 1)
		sc.Duration = 0
		if _, err := json.Marshal(run(sc, 0, evs)); err != nil {
			t.Errorf("%d events: %v", len(evs), err)
		}
	}
}

// benchCollector has n random 4-tuples over the Linux range to dsts
// destinations, all closed once so that reuse lookups hit.
func benchCollector(n, dsts int) (*collector, []uint16, []int) {
	sc := testScenario(32768, 60999, dsts)
	rng := rand.New(rand.NewPCG(5, 6))
	ports := make([]uint16, n)
	dst := make([]int, n)
	for i := range ports {
		ports[i] = uint16(32768 + rng.IntN(28232))
		dst[i] = rng.IntN(dsts)
	}
	c := newCollector(sc, "bench", 0)
	for i := range n {
		c.closed(0, dst[i], 0, allocator.Connect, ports[i])
	}
	return c, ports, dst
}

// BenchmarkCollectorAllocated is the collector's share of one connection on
// the simulator's hot path: random ports past the warm-up, each a reuse.
// With 64k tuples the last-close table (2 MiB) misses the cache on every
// lookup, as a busy run's would.
func BenchmarkCollectorAllocated(b *testing.B) {
	for _, n := range []int{1 << 10, 1 << 16} {
		b.Run(fmt.Sprintf("tuples=%d", n), func(b *testing.B) {
			c, ports, dsts := benchCollector(n, 1000)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				j := i & (n - 1)
				c.allocated(time.Duration(i), dsts[j], 0, allocator.Connect, ports[j], 1+i&1, false)
			}
		})
	}
}

// BenchmarkCollectorClosed is the close half of a connection's lifecycle.
func BenchmarkCollectorClosed(b *testing.B) {
	for _, n := range []int{1 << 10, 1 << 16} {
		b.Run(fmt.Sprintf("tuples=%d", n), func(b *testing.B) {
			c, ports, dsts := benchCollector(n, 1000)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				j := i & (n - 1)
				c.closed(time.Duration(i), dsts[j], 0, allocator.Connect, ports[j])
			}
		})
	}
}

func TestCloseTableMatchesMap(t *testing.T) {
	// Keys shaped like tuple keys (few ports, many destinations) and plain
	// random ones, with lookups of keys present and absent, across growth.
	var ct closeTable
	want := map[uint64]time.Duration{}
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range 300_000 {
		var k uint64
		if i%2 == 0 {
			k = uint64(rng.IntN(5000))<<17 | uint64(rng.IntN(3))
		} else {
			k = rng.Uint64N(1 << 63)
		}
		if rng.IntN(2) == 0 {
			ct.set(k, time.Duration(i))
			want[k] = time.Duration(i)
			continue
		}
		got, ok := ct.get(k)
		if w, wok := want[k]; ok != wok || got != w {
			t.Fatalf("get(%#x) = %v, %v; want %v, %v", k, got, ok, w, wok)
		}
	}
	if ct.n != len(want) {
		t.Errorf("%d entries, want %d", ct.n, len(want))
	}
	for k, w := range want {
		if got, ok := ct.get(k); !ok || got != w {
			t.Fatalf("get(%#x) = %v, %v; want %v", k, got, ok, w)
		}
	}
	if 4*ct.n > 3*len(ct.slots) || 8*ct.n < 3*len(ct.slots) && len(ct.slots) > 1024 {
		t.Errorf("%d entries in %d slots", ct.n, len(ct.slots))
	}
}

// closeTable answers as a map would, whether a group's ports live in the
// hash slots or have moved to a dense page (groups below pagedGroups with
// pageAfter ports or more) or never can (groups above).
func TestCloseTablePagesMatchMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var tab closeTable
	want := map[uint64]time.Duration{}
	groups := []uint64{0, 1, 7, pagedGroups - 1, pagedGroups, 5000}
	for i := range 200_000 {
		g := groups[rng.IntN(len(groups))]
		key := g<<16 | uint64(rng.IntN(1<<14))
		if rng.IntN(3) == 0 {
			at := time.Duration(i)
			tab.set(key, at)
			want[key] = at
			continue
		}
		got, ok := tab.get(key)
		if w, wok := want[key]; ok != wok || got != w {
			t.Fatalf("op %d: get(%#x) = %v, %v; want %v, %v", i, key, got, ok, w, wok)
		}
	}
	for _, g := range groups {
		if paged := g < pagedGroups && tab.pages[g] != nil; paged != (g < pagedGroups) {
			t.Errorf("group %d: paged %v", g, paged)
		}
	}
}
