package strategies

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/portsim/portsim/allocator"
)

// Tests of RFC 6056's five algorithms: random, random-pick, hashed,
// double-hash and random-increments. Statistical tests use fixed seeds and
// thresholds that the wrong algorithm fails.

var rfcSrc = netip.MustParseAddr("10.0.0.1")

// rfcDst is the i-th of a set of distinct destinations.
func rfcDst(i int) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 0, 2, byte(10 + i%200)}), uint16(443+i/200))
}

func rfcAllFree(uint16) bool { return true }

func rfcNew(t testing.TB, spec string, seed uint64) allocator.Strategy {
	t.Helper()
	s, err := New(spec, seed)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func rfcTable(t testing.TB, rg allocator.Range) *allocator.Table {
	t.Helper()
	tab, err := allocator.NewTable(allocator.Config{Range: rg, TimeWait: allocator.DefaultTimeWait})
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func rfcRequest(dst netip.AddrPort, rg allocator.Range) *allocator.Request {
	return &allocator.Request{Kind: allocator.Connect, Src: rfcSrc, Dst: dst, Lo: rg.Lo, Hi: rg.Hi}
}

// rfcAllocate takes a port for dst on tab, failing the test on error.
func rfcAllocate(t testing.TB, tab *allocator.Table, s allocator.Strategy, dst netip.AddrPort) allocator.Allocation {
	t.Helper()
	a, err := tab.Allocate(&allocator.Request{Kind: allocator.Connect, Src: rfcSrc, Dst: dst}, s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// rfcStep is how far p is above prev, modulo the range.
func rfcStep(prev, p uint16, rg allocator.Range) int {
	return ((int(p)-int(prev))%rg.Size() + rg.Size()) % rg.Size()
}

// chi2Crit63 is the 0.999 quantile of the chi-square distribution with 63
// degrees of freedom (64 buckets): a uniform sample exceeds it one time in
// a thousand.
const chi2Crit63 = 103.442

// rfcChi2 is the chi-square statistic of ports over 64 equal buckets of rg.
func rfcChi2(ports []uint16, rg allocator.Range) float64 {
	const buckets = 64
	var counts [buckets]int
	for _, p := range ports {
		counts[(int(p)-int(rg.Lo))*buckets/rg.Size()]++
	}
	want := float64(len(ports)) / buckets
	var x float64
	for _, c := range counts {
		x += (float64(c) - want) * (float64(c) - want) / want
	}
	return x
}

func TestRFC6056Info(t *testing.T) {
	tests := []struct {
		name       string
		exhaustive bool
		section    string
	}{
		{"random", true, "§3.3.1"},
		{"random-pick", false, "§3.3.2"},
		{"hashed", true, "§3.3.3"},
		{"double-hash", true, "§3.3.4"},
		{"random-increments", false, "§3.3.5"},
	}
	for _, tt := range tests {
		info, ok := Lookup(tt.name)
		if !ok {
			t.Fatalf("%s is not registered", tt.name)
		}
		if info.Exhaustive != tt.exhaustive || info.Kind != allocator.Connect || info.Range != allocator.DynamicRange {
			t.Errorf("%s: exhaustive %v kind %v range %v; want %v connect %v", tt.name, info.Exhaustive, info.Kind, info.Range, tt.exhaustive, allocator.DynamicRange)
		}
		if !strings.Contains(info.Description, "RFC 6056 "+tt.section) {
			t.Errorf("%s: description %q does not name RFC 6056 %s", tt.name, info.Description, tt.section)
		}
	}
}

// Algorithm 1's first probe is uniform over the range, whether successive
// picks of one strategy or the first pick of strategies with different
// seeds; the mutations show the test can tell.
func TestRandomStartUniform(t *testing.T) {
	rg := allocator.DynamicRange
	const n = 64 * 256
	firstPorts := func(name string) func() []uint16 {
		return func() []uint16 {
			s := rfcNew(t, name, 1)
			ports := make([]uint16, n)
			for i := range ports {
				p, _, err := s.Pick(rfcRequest(testDst, rg), rfcAllFree)
				if err != nil {
					t.Fatal(err)
				}
				ports[i] = p
			}
			return ports
		}
	}
	perSeed := func() []uint16 {
		ports := make([]uint16, n)
		for i := range ports {
			p, _, err := rfcNew(t, "random", uint64(i)).Pick(rfcRequest(testDst, rg), rfcAllFree)
			if err != nil {
				t.Fatal(err)
			}
			ports[i] = p
		}
		return ports
	}
	lowerHalf := func() []uint16 {
		ports := firstPorts("random")()
		for i, p := range ports {
			ports[i] = rg.Lo + (p-rg.Lo)/2
		}
		return ports
	}
	// The smaller of two draws: a plausible bias, a triangular density.
	minOfTwo := func() []uint16 {
		a, b := firstPorts("random")(), perSeed()
		for i := range a {
			a[i] = min(a[i], b[i])
		}
		return a
	}
	tests := []struct {
		name    string
		ports   func() []uint16
		uniform bool
	}{
		{"random successive picks", firstPorts("random"), true},
		{"random first pick per seed", perSeed, true},
		{"random-pick successive picks", firstPorts("random-pick"), true},
		{"mutation: lower half only", lowerHalf, false},
		{"mutation: min of two draws", minOfTwo, false},
	}
	for _, tt := range tests {
		x := rfcChi2(tt.ports(), rg)
		if got := x < chi2Crit63; got != tt.uniform {
			t.Errorf("%s: chi-square %.1f over 64 buckets (0.999 critical value %.1f); uniform = %v, want %v", tt.name, x, chi2Crit63, got, tt.uniform)
		}
	}
}

// Algorithm 1 probes upwards from its random start, one port at a time,
// wrapping from max to min, and tries every port once.
func TestRandomProbesUpwardWithWrap(t *testing.T) {
	rg := allocator.Range{Lo: 1000, Hi: 1063}
	for seed := uint64(0); seed < 50; seed++ {
		for _, free := range []uint16{1000, 1031, 1063} {
			s := rfcNew(t, "random", seed)
			var asked []uint16
			usable := func(p uint16) bool {
				asked = append(asked, p)
				return p == free
			}
			port, probes, err := s.Pick(rfcRequest(testDst, rg), usable)
			if err != nil || port != free {
				t.Fatalf("seed %d: got %d, %v; want %d", seed, port, err, free)
			}
			if want := rfcStep(asked[0], free, rg) + 1; probes != want {
				t.Errorf("seed %d: %d probes from %d to %d; want %d", seed, probes, asked[0], free, want)
			}
			for i := 1; i < len(asked); i++ {
				if rfcStep(asked[i-1], asked[i], rg) != 1 {
					t.Fatalf("seed %d: probe %d after %d; want +1 with wrap", seed, asked[i], asked[i-1])
				}
			}
		}
	}
}

// Algorithm 2 gives up while a port is free, about as often as
// (1 - free/num)^tries; the exhaustive Algorithm 1 never does.
func TestRandomPickGivesUpWhilePortsAreFree(t *testing.T) {
	small := allocator.Range{Lo: 1000, Hi: 1063}
	tests := []struct {
		spec     string
		rg       allocator.Range
		busy     func(p uint16) bool // ports taken by bind() sockets
		freeFrac float64
		tries    int
	}{
		{"random-pick", small, func(p uint16) bool { return p != 1030 }, 1.0 / 64, 64},
		{"random-pick:tries=32", small, func(p uint16) bool { return p != 1030 }, 1.0 / 64, 32},
		{"random-pick:tries=200", small, func(p uint16) bool { return p != 1030 }, 1.0 / 64, 200},
		{"random-pick:tries=5", small, func(p uint16) bool { return p%2 == 1 }, 0.5, 5},
		{"random", small, func(p uint16) bool { return p != 1030 }, 1.0 / 64, 0},
	}
	const seeds = 2000
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			tab := rfcTable(t, tt.rg)
			for p := int(tt.rg.Lo); p <= int(tt.rg.Hi); p++ {
				if tt.busy(uint16(p)) {
					bind := allocator.Request{Kind: allocator.Bind, Src: rfcSrc, Dst: testDst}
					if _, err := tab.Allocate(&bind, fixedPort(p)); err != nil {
						t.Fatal(err)
					}
				}
			}
			failures := 0
			for seed := uint64(0); seed < seeds; seed++ {
				_, probes, err := tab.Pick(&allocator.Request{Kind: allocator.Connect, Src: rfcSrc, Dst: testDst}, rfcNew(t, tt.spec, seed))
				if err != nil {
					if !errors.Is(err, allocator.ErrAddrNotAvail) {
						t.Fatal(err)
					}
					if probes != tt.tries {
						t.Errorf("seed %d: gave up after %d probes; want %d", seed, probes, tt.tries)
					}
					failures++
				}
			}
			want := 0.0 // an exhaustive strategy
			if tt.tries > 0 {
				want = math.Pow(1-tt.freeFrac, float64(tt.tries))
			}
			// Four and a half standard errors of the binomial count.
			slack := 4.5 * math.Sqrt(seeds*want*(1-want))
			if math.Abs(float64(failures)-seeds*want) > slack {
				t.Errorf("failed %d of %d times with a port free; want %.0f ± %.0f", failures, seeds, seeds*want, slack)
			}
			if want > 0.01 && failures == 0 {
				t.Errorf("never failed; Algorithm 2 should give up while a port is free")
			}
		})
	}
}

// Algorithm 3's next_ephemeral is one counter for every destination: with k
// destinations served in turn, each one's port advances by k per round (the
// leak Linux commit 190cc82489f4 describes). Algorithm 4 with one counter is
// the same; with destinations on different counters each advances by 1.
func TestPerDestinationStep(t *testing.T) {
	rg := allocator.DynamicRange
	const seed = 3
	// Destinations on distinct counters of the default double-hash table.
	dh := rfcNew(t, "double-hash", seed).(*DoubleHash)
	var distinct []netip.AddrPort
	used := map[int]bool{}
	for i := 0; len(distinct) < 3; i++ {
		if i == 1000 {
			t.Fatalf("1000 destinations reach only %d of the 10 counters", len(used))
		}
		d := rfcDst(i)
		_, g := flowHashPair(dh.keyF, dh.keyG, rfcSrc, d)
		if !used[dh.index(g)] {
			used[dh.index(g)] = true
			distinct = append(distinct, d)
		}
	}
	dsts := func(k int) []netip.AddrPort {
		var out []netip.AddrPort
		for i := range k {
			out = append(out, rfcDst(i))
		}
		return out
	}
	tests := []struct {
		spec string
		dsts []netip.AddrPort
		step int
	}{
		{"hashed", dsts(1), 1},
		{"hashed", dsts(2), 2},
		{"hashed", dsts(3), 3},
		{"double-hash:table-length=1", dsts(1), 1},
		{"double-hash:table-length=1", dsts(2), 2},
		{"double-hash:table-length=1", dsts(3), 3},
		{"double-hash", distinct[:2], 1},
		{"double-hash", distinct[:3], 1},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d", tt.spec, len(tt.dsts)), func(t *testing.T) {
			tab := rfcTable(t, rg)
			s := rfcNew(t, tt.spec, seed)
			last := map[netip.AddrPort]uint16{}
			for round := range 20 {
				for _, d := range tt.dsts {
					a := rfcAllocate(t, tab, s, d)
					if a.Probes != 1 {
						t.Fatalf("round %d: %d probes; want no collision", round, a.Probes)
					}
					p := a.Conn.Port
					if prev, ok := last[d]; ok && rfcStep(prev, p, rg) != tt.step {
						t.Fatalf("round %d, %v: port %d after %d, step %d; want %d", round, d, p, prev, rfcStep(prev, p, rg), tt.step)
					}
					last[d] = p
				}
			}
		})
	}
}

// Algorithm 3 starts next_ephemeral at 0: a fresh strategy's first port to
// a destination is min + F % num, different for each destination.
func TestHashedOffsets(t *testing.T) {
	rg := allocator.DynamicRange
	seen := map[uint16]netip.AddrPort{}
	for i := range 8 {
		d := rfcDst(i * 37)
		s := rfcNew(t, "hashed", 5).(*Hashed)
		p, _, err := s.Pick(rfcRequest(d, rg), rfcAllFree)
		if err != nil {
			t.Fatal(err)
		}
		if want := rg.Lo + uint16(flowHash(s.key, rfcSrc, d, 0)%uint64(rg.Size())); p != want {
			t.Errorf("%v: first port %d; want min + F %% num = %d", d, p, want)
		}
		if other, ok := seen[p]; ok {
			t.Errorf("%v and %v: same first port %d", d, other, p)
		}
		seen[p] = d
	}
}

// The counter of Algorithms 3 and 4 advances once per try, not once per
// allocation: after k collisions the next pick starts k+1 further on; after
// a failed scan of num tries it is back where it was.
func TestCounterAdvancesPerTry(t *testing.T) {
	rg := allocator.Range{Lo: 1000, Hi: 1063}
	for _, spec := range []string{"hashed", "double-hash", "double-hash:table-length=1"} {
		for collisions := range 5 {
			s := rfcNew(t, spec, 9)
			first, _, _ := rfcNew(t, spec, 9).Pick(rfcRequest(testDst, rg), rfcAllFree)
			asked := 0
			p, probes, err := s.Pick(rfcRequest(testDst, rg), func(uint16) bool {
				asked++
				return asked > collisions
			})
			if err != nil || probes != collisions+1 || rfcStep(first, p, rg) != collisions {
				t.Fatalf("%s: got %d after %d probes (%v); want %d after %d", spec, p, probes, err, first+uint16(collisions), collisions+1)
			}
			next, _, _ := s.Pick(rfcRequest(testDst, rg), rfcAllFree)
			if rfcStep(p, next, rg) != 1 {
				t.Errorf("%s, %d collisions: next pick %d after %d; want +1", spec, collisions, next, p)
			}
		}
		s := rfcNew(t, spec, 9)
		before, _, _ := rfcNew(t, spec, 9).Pick(rfcRequest(testDst, rg), rfcAllFree)
		if _, probes, err := s.Pick(rfcRequest(testDst, rg), func(uint16) bool { return false }); !errors.Is(err, allocator.ErrAddrNotAvail) || probes != rg.Size() {
			t.Fatalf("%s: none free gave %v after %d probes; want ErrAddrNotAvail after %d", spec, err, probes, rg.Size())
		}
		if after, _, _ := s.Pick(rfcRequest(testDst, rg), rfcAllFree); after != before {
			t.Errorf("%s: after a failed scan the pick is %d; want %d (counter + num)", spec, after, before)
		}
	}
}

// The counter is a uint32: a scan across its wrap goes on from
// (offset + 0) % num, the RFC formula's value for the wrapped counter, even
// where num does not divide 2^32.
func TestCounterWrap(t *testing.T) {
	rg := allocator.LinuxRange // 28232 does not divide 2^32
	s := rfcNew(t, "hashed", 2).(*Hashed)
	num := uint64(rg.Size())
	off := flowHash(s.key, rfcSrc, testDst, 0) % num
	s.next = math.MaxUint32 - 1
	var asked []uint16
	_, _, _ = s.Pick(rfcRequest(testDst, rg), func(p uint16) bool {
		asked = append(asked, p)
		return len(asked) == 4
	})
	want := []uint16{
		rg.Lo + uint16((off+math.MaxUint32-1)%num),
		rg.Lo + uint16((off+math.MaxUint32)%num),
		rg.Lo + uint16(off),
		rg.Lo + uint16((off+1)%num),
	}
	if !slices.Equal(asked, want) || s.next != 2 {
		t.Errorf("probes %v, counter %d; want %v, 2", asked, s.next, want)
	}

	// On a real table, whose Scanner walks consecutive ports, a pick gives
	// the port, probes and counter that asking usable() one by one gives,
	// whether or not the counter wraps during the scan.
	tab := rfcTable(t, rg)
	for _, p := range want[:3] {
		bind := allocator.Request{Kind: allocator.Bind, Src: rfcSrc, Dst: testDst}
		if _, err := tab.Allocate(&bind, fixedPort(p)); err != nil {
			t.Fatal(err)
		}
	}
	req := allocator.Request{Kind: allocator.Connect, Src: rfcSrc, Dst: testDst}
	for _, start := range []uint32{math.MaxUint32 - 1, math.MaxUint32, uint32(1<<32 - num), uint32(1<<32 - num - 1), 0} {
		s.next = start
		slow := *s
		wantPort, wantProbes, _ := slow.Pick(rfcRequest(testDst, rg), func(p uint16) bool { return tab.Usable(&req, p) })
		p, probes, err := tab.Pick(&req, s)
		if err != nil || p != wantPort || probes != wantProbes || s.next != slow.next {
			t.Errorf("counter %d: table pick %d after %d probes (%v), counter %d; one by one %d after %d, counter %d",
				start, p, probes, err, s.next, wantPort, wantProbes, slow.next)
		}
	}
}

// Algorithm 4: one destination's allocations move another's sequence only
// when G puts both on the same counter.
func TestDoubleHashCountersIndependent(t *testing.T) {
	rg := allocator.DynamicRange
	const seed, moves = 11, 5
	a := rfcDst(0)
	probe := rfcNew(t, "double-hash", seed).(*DoubleHash)
	indexOf := func(d netip.AddrPort) int {
		_, g := flowHashPair(probe.keyF, probe.keyG, rfcSrc, d)
		return probe.index(g)
	}
	var same, other netip.AddrPort
	for i := 1; !same.IsValid() || !other.IsValid(); i++ {
		if i == 1000 {
			t.Fatal("no destination found on the same and on another counter")
		}
		switch d := rfcDst(i); {
		case indexOf(d) == indexOf(a) && !same.IsValid():
			same = d
		case indexOf(d) != indexOf(a) && !other.IsValid():
			other = d
		}
	}
	tests := []struct {
		name  string
		spec  string
		b     netip.AddrPort
		shift int
	}{
		{"different counter", "double-hash", other, 0},
		{"same counter", "double-hash", same, moves},
		{"table-length=1", "double-hash:table-length=1", other, moves},
		{"hashed", "hashed", other, moves},
	}
	for _, tt := range tests {
		// b's first port from a fresh strategy, then from one that first
		// made `moves` allocations to a.
		before := rfcAllocate(t, rfcTable(t, rg), rfcNew(t, tt.spec, seed), tt.b).Conn.Port
		tab, s := rfcTable(t, rg), rfcNew(t, tt.spec, seed)
		for range moves {
			rfcAllocate(t, tab, s, a)
		}
		after := rfcAllocate(t, tab, s, tt.b).Conn.Port
		if got := rfcStep(before, after, rg); got != tt.shift {
			t.Errorf("%s: %d allocations to %v moved %v's port by %d (%d → %d); want %d", tt.name, moves, a, tt.b, got, before, after, tt.shift)
		}
	}
}

// table-length sets the number of counters G chooses among, and the table
// starts with random 16-bit values.
func TestDoubleHashTableLength(t *testing.T) {
	for _, length := range []int{1, 10, 256} {
		s := rfcNew(t, fmt.Sprintf("double-hash:table-length=%d", length), 4).(*DoubleHash)
		if len(s.table) != length {
			t.Fatalf("table-length=%d: table has %d counters", length, len(s.table))
		}
		hit := map[int]bool{}
		for i := range 20 * length {
			_, g := flowHashPair(s.keyF, s.keyG, rfcSrc, rfcDst(i))
			hit[s.index(g)] = true
		}
		if len(hit) != length {
			t.Errorf("table-length=%d: destinations reached %d counters", length, len(hit))
		}
		distinct := map[uint32]bool{}
		for _, c := range s.table {
			if c >= 1<<16 {
				t.Errorf("table-length=%d: counter %d; want random() %% 65536", length, c)
			}
			distinct[c] = true
		}
		if length == 256 && len(distinct) < 250 {
			t.Errorf("table-length=256: only %d distinct initial counters; want a random fill", len(distinct))
		}
	}
}

// F and G use independent keys, and flowHashPair is two flowHash calls.
func TestFlowHashPair(t *testing.T) {
	s := rfcNew(t, "double-hash", 8).(*DoubleHash)
	if s.keyF == s.keyG {
		t.Fatal("F and G share a key")
	}
	srcs := []netip.Addr{rfcSrc, netip.MustParseAddr("2001:db8::1")}
	dsts := []netip.AddrPort{testDst, netip.MustParseAddrPort("[2001:db8::2]:443"), netip.MustParseAddrPort("127.0.0.1:65535")}
	for _, src := range srcs {
		for _, dst := range dsts {
			if src.Is4() != dst.Addr().Is4() {
				continue
			}
			for i := range 50 {
				dst := netip.AddrPortFrom(dst.Addr(), dst.Port()-uint16(i*1311))
				f, g := flowHashPair(s.keyF, s.keyG, src, dst)
				if wf, wg := flowHash(s.keyF, src, dst, 0), flowHash(s.keyG, src, dst, 0); f != wf || g != wg {
					t.Fatalf("%v -> %v: pair %#x %#x; flowHash %#x %#x", src, dst, f, g, wf, wg)
				}
			}
		}
	}
}

// Algorithm 5: without collisions successive ports are 1 to N apart
// (modulo the range), every step from 1 to N occurs, and the mean step is
// (N+1)/2. N=1 is a sequential walk. The Linux range, whose size does not
// divide 2^16, catches a 16-bit counter's wrap.
func TestRandomIncrementsSteps(t *testing.T) {
	tests := []struct {
		n     int
		rg    allocator.Range
		picks int
	}{
		{500, allocator.DynamicRange, 200000},
		{500, allocator.LinuxRange, 200000},
		{7, allocator.DynamicRange, 20000},
		{1, allocator.LinuxRange, 70000},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("N=%d/%v", tt.n, tt.rg), func(t *testing.T) {
			s := rfcNew(t, fmt.Sprintf("random-increments:N=%d", tt.n), 6)
			prev, _, _ := s.Pick(rfcRequest(testDst, tt.rg), rfcAllFree)
			seen := make([]bool, tt.n+1)
			var sum float64
			for range tt.picks {
				p, probes, err := s.Pick(rfcRequest(testDst, tt.rg), rfcAllFree)
				if err != nil || probes != 1 {
					t.Fatalf("got %d probes, %v", probes, err)
				}
				d := rfcStep(prev, p, tt.rg)
				if d < 1 || d > tt.n {
					t.Fatalf("port %d after %d: step %d; want 1 to %d", p, prev, d, tt.n)
				}
				seen[d] = true
				sum += float64(d)
				prev = p
			}
			if i := slices.Index(seen[1:], false); i >= 0 {
				t.Errorf("step %d never occurred", i+1)
			}
			mean, want := sum/float64(tt.picks), float64(tt.n+1)/2
			// The mean of uniform 1..N has standard error sqrt((N²-1)/12/picks).
			se := math.Sqrt(float64(tt.n*tt.n-1) / 12 / float64(tt.picks))
			if math.Abs(mean-want) > 4*se+1e-9 {
				t.Errorf("mean step %.3f; want %.3f ± %.3f", mean, want, 4*se)
			}
		})
	}
}

// Algorithm 5 is not exhaustive: random steps skip the one free port in
// num tries about as often as random picks do; N=1 never misses it.
func TestRandomIncrementsCanMissFreePort(t *testing.T) {
	rg := allocator.Range{Lo: 1000, Hi: 1063}
	only := func(p uint16) bool { return p == 1030 }
	for _, tt := range []struct {
		spec     string
		min, max int
	}{
		{"random-increments", 600, 900}, // (63/64)^64 ≈ 0.366 of 2000
		{"random-increments:N=1", 0, 0},
	} {
		failures := 0
		for seed := uint64(0); seed < 2000; seed++ {
			if _, _, err := rfcNew(t, tt.spec, seed).Pick(rfcRequest(testDst, rg), only); err != nil {
				failures++
			}
		}
		if failures < tt.min || failures > tt.max {
			t.Errorf("%s: missed the free port %d times of 2000; want %d to %d", tt.spec, failures, tt.min, tt.max)
		}
	}
}

func TestRFC6056BadParams(t *testing.T) {
	tests := []struct{ spec, want string }{
		{"double-hash:table-length=0", `table-length="0"`},
		{"double-hash:table-length=ten", `table-length="ten"`},
		{"double-hash:table-length=1048577", `table-length="1048577"`},
		{"random-increments:N=0", `N="0"`},
		{"random-increments:N=-5", `N="-5"`},
		{"random-increments:N=65537", `N="65537"`},
		{"random-pick:tries=-1", `tries="-1"`},
		{"random-pick:tries=many", `tries="many"`},
		{"hashed:table-length=10", `unknown parameter "table-length"`},
		{"random:N=5", `unknown parameter "N"`},
	}
	for _, tt := range tests {
		_, err := New(tt.spec, 1)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%q) = %v; want an error containing %q", tt.spec, err, tt.want)
		}
	}
	for _, spec := range []string{"double-hash:table-length=1", "random-increments:N=1", "random-pick:tries=0", "random-pick:tries=1"} {
		if _, err := New(spec, 1); err != nil {
			t.Errorf("New(%q): %v", spec, err)
		}
	}
}

// A trace names each step and leaves the choice unchanged.
func TestRFC6056Trace(t *testing.T) {
	rg := allocator.DynamicRange
	tests := []struct {
		spec  string
		steps []string // in this order, other steps between
	}{
		{"random", []string{"random", "probe", "chose"}},
		{"random-pick", []string{"random", "probe", "chose"}},
		{"hashed", []string{"hash", "offset", "counter", "probe", "update"}},
		{"double-hash", []string{"hash", "hash", "index", "offset", "counter", "probe", "update"}},
		{"random-increments", []string{"counter", "increment", "probe", "update"}},
	}
	for _, tt := range tests {
		plain, traced := rfcTable(t, rg), rfcTable(t, rg)
		sp, st := rfcNew(t, tt.spec, 12), rfcNew(t, tt.spec, 12)
		for i := range 30 {
			want := rfcAllocate(t, plain, sp, testDst)
			tr := &allocator.Trace{}
			got, err := traced.Allocate(&allocator.Request{Kind: allocator.Connect, Src: rfcSrc, Dst: testDst, Trace: tr}, st)
			if err != nil || got.Conn.Port != want.Conn.Port || got.Probes != want.Probes {
				t.Fatalf("%s pick %d: traced %d (%d probes, %v), untraced %d (%d probes)", tt.spec, i, got.Conn.Port, got.Probes, err, want.Conn.Port, want.Probes)
			}
			if tr.Probes() != got.Probes {
				t.Errorf("%s: trace has %d probes; pick made %d", tt.spec, tr.Probes(), got.Probes)
			}
			var what []string
			for _, s := range tr.Steps {
				what = append(what, s.What)
				if s.Detail == "" {
					t.Errorf("%s: step %q has no detail", tt.spec, s.What)
				}
			}
			j := 0
			for _, w := range what {
				if j < len(tt.steps) && w == tt.steps[j] {
					j++
				}
			}
			if j != len(tt.steps) {
				t.Fatalf("%s: steps %v; want %v in order", tt.spec, what, tt.steps)
			}
		}
	}
}

func TestRFC6056PickAllocatesNothing(t *testing.T) {
	rg := allocator.DynamicRange
	busy := func(p uint16) bool { return p%3 != 0 }
	for _, spec := range []string{"random", "random-pick", "hashed", "double-hash", "random-increments"} {
		s := rfcNew(t, spec, 1)
		r := rfcRequest(testDst, rg)
		if n := testing.AllocsPerRun(1000, func() { _, _, _ = s.Pick(r, busy) }); n != 0 {
			t.Errorf("%s: %v allocations per Pick; want 0", spec, n)
		}
	}
}

// Algorithm 3 to two destinations in turn: each one's ports climb by two,
// because every allocation moves the one global counter.
func ExampleHashed() {
	tab, _ := allocator.NewTable(allocator.Config{Range: allocator.DynamicRange, TimeWait: allocator.DefaultTimeWait})
	s, _ := New("hashed", 1)
	web := netip.MustParseAddrPort("192.0.2.1:443")
	dns := netip.MustParseAddrPort("198.51.100.53:53")
	for range 3 {
		for _, dst := range []netip.AddrPort{web, dns} {
			a, _ := tab.Allocate(&allocator.Request{Kind: allocator.Connect, Src: netip.MustParseAddr("10.0.0.1"), Dst: dst}, s)
			fmt.Println(dst, a.Conn.Port)
		}
	}
	// Output:
	// 192.0.2.1:443 53077
	// 198.51.100.53:53 55950
	// 192.0.2.1:443 53079
	// 198.51.100.53:53 55952
	// 192.0.2.1:443 53081
	// 198.51.100.53:53 55954
}
