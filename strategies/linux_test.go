package strategies

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/portsim/portsim/allocator"
)

// Helpers are prefixed with linux: other strategies' tests share the package.

// Upper 0.999 quantiles of the chi-square distribution: a correct
// implementation fails one of these checks once in a thousand seeds, and the
// seeds are fixed.
const (
	linuxChi2df7  = 24.32
	linuxChi2df9  = 27.88
	linuxChi2df19 = 43.82
)

var linuxSrc = netip.MustParseAddr("10.0.0.1")

// linuxDst is the i-th of many distinct destinations.
func linuxDst(i int) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)}), 443)
}

func linuxTable(t testing.TB) *allocator.Table {
	t.Helper()
	tab, err := allocator.NewTable(allocator.Config{Range: allocator.LinuxRange, TimeWait: allocator.DefaultTimeWait})
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func linuxNew(t testing.TB, spec string, seed uint64) allocator.Strategy {
	t.Helper()
	s, err := New(spec, seed)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func linuxReq(kind allocator.Kind, dst netip.AddrPort, now time.Duration) *allocator.Request {
	return &allocator.Request{Kind: kind, Src: linuxSrc, Dst: dst, Now: now}
}

// linuxFake is a request on LinuxRange for calling Pick without a table.
func linuxFake(dst netip.AddrPort, now time.Duration) *allocator.Request {
	r := linuxReq(allocator.Connect, dst, now)
	r.Lo, r.Hi = allocator.LinuxRange.Lo, allocator.LinuxRange.Hi
	return r
}

func linuxAllFree(uint16) bool { return true }

func linuxPick(t testing.TB, s allocator.Strategy, r *allocator.Request, usable func(uint16) bool) uint16 {
	t.Helper()
	p, _, err := s.Pick(r, usable)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// linuxChi2 is Pearson's statistic of counts against a uniform expectation.
func linuxChi2(counts []int) float64 {
	total := 0
	for _, c := range counts {
		total += c
	}
	want := float64(total) / float64(len(counts))
	x := 0.0
	for _, c := range counts {
		d := float64(c) - want
		x += d * d / want
	}
	return x
}

// linuxBuckets counts ports into n equal slices of rg.
func linuxBuckets(ports []uint16, rg allocator.Range, n int) []int {
	counts := make([]int, n)
	for _, p := range ports {
		counts[(int(p)-int(rg.Lo))*n/rg.Size()]++
	}
	return counts
}

// linuxDelta is how far p is past prev, walking up with wrap over the
// 28232 ports of LinuxRange (an even count, so parity is kept).
func linuxDelta(prev, p uint16) int {
	n := allocator.LinuxRange.Size()
	return ((int(p)-int(prev))%n + n) % n
}

// fillPorts keeps kind-sockets to dst open on every port of the range that
// take says, so those ports are unusable for dst (and, for bind, for all).
func fillPorts(t testing.TB, tab *allocator.Table, kind allocator.Kind, dst netip.AddrPort, take func(uint16) bool) int {
	t.Helper()
	rg := tab.Config().Range
	n := 0
	for p := int(rg.Lo); p <= int(rg.Hi); p++ {
		if take(uint16(p)) {
			if _, err := tab.Allocate(linuxReq(kind, dst, 0), fixedPort(p)); err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
	return n
}

// To one destination with no collisions the ports are even and each is 2,
// 4, …, 16 above the last, uniformly; without random increments always 2.
func TestLinuxDeltas(t *testing.T) {
	tests := []struct {
		spec        string
		wantUniform bool
	}{
		{"linux", true},
		{"linux:table-order=8", true},
		{"linux:hint=on", true},
		{"linux:resalt=0", true},
		{"linux:increments=off", false},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			tab := linuxTable(t)
			s := linuxNew(t, tt.spec, 1)
			counts := make([]int, 8) // deltas 2, 4, …, 16
			var prev uint16
			for i := range 8001 {
				p, probes, err := tab.Pick(linuxReq(allocator.Connect, testDst, 0), s)
				if err != nil || probes != 1 {
					t.Fatalf("pick %d: port %d, %d probes, %v; want the first candidate", i, p, probes, err)
				}
				if p%2 != 0 {
					t.Fatalf("pick %d: odd port %d with every even port free", i, p)
				}
				if i > 0 {
					d := linuxDelta(prev, p)
					if d < 2 || d > 16 {
						t.Fatalf("pick %d: delta %d (%d -> %d); want 2..16", i, d, prev, p)
					}
					counts[d/2-1]++
				}
				prev = p
			}
			x := linuxChi2(counts)
			if tt.wantUniform && x > linuxChi2df7 {
				t.Errorf("deltas 2..16 counted %v: chi-square %.1f > %.1f; want uniform", counts, x, linuxChi2df7)
			}
			if !tt.wantUniform && x <= linuxChi2df7 {
				t.Errorf("deltas 2..16 counted %v: chi-square %.1f looks uniform; want a fixed step", counts, x)
			}
			if !tt.wantUniform {
				return
			}
			// The check has teeth: a variant whose step never reaches 16
			// (its draws folded into 14) fails it.
			mutated := append([]int(nil), counts...)
			mutated[6] += mutated[7]
			mutated[7] = 0
			if x := linuxChi2(mutated); x <= linuxChi2df7 {
				t.Errorf("mutated counts %v pass as uniform (chi-square %.1f)", mutated, x)
			}
		})
	}
}

// The port comes from the facts file's formula: index from the hash's low
// bits, offset from the counter there plus the hash's high 32 bits, modulo
// the even-rounded range, made even; the counter then grows by 2..16.
func TestLinuxFormula(t *testing.T) {
	for _, spec := range []string{"linux", "linux:table-order=8", "linux:hint=on", "linux:resalt=3s"} {
		t.Run(spec, func(t *testing.T) {
			s := linuxNew(t, spec, 5).(*Linux)
			lo := uint32(allocator.LinuxRange.Lo)
			remaining := uint32(allocator.LinuxRange.Size()) &^ 1
			for i := range 300 {
				now := time.Duration(i) * 97 * time.Millisecond
				dst := linuxDst(i % 50)
				var epoch uint32
				if s.resalt > 0 {
					epoch = uint32(now / s.resalt)
				}
				h := flowHash(s.key, linuxSrc, dst, epoch)
				counter := &s.hint
				offset := s.hint + uint32(h)
				if !s.useHint {
					counter = &s.perturb[uint32(h)&uint32(len(s.perturb)-1)]
					offset = *counter + uint32(h>>32)
				}
				before := *counter
				want := uint16(lo + offset%remaining&^1)
				if got := linuxPick(t, s, linuxFake(dst, now), linuxAllFree); got != want {
					t.Fatalf("pick %d to %v: port %d; formula says %d", i, dst, got, want)
				}
				if d := *counter - before; d < 2 || d > 16 || d%2 != 0 {
					t.Fatalf("pick %d: counter grew by %d; want 2, 4, …, 16", i, d)
				}
			}
		})
	}
}

// After a collision run the counter moves past the port found: i is the
// distance walked in ports (the kernel's loop variable), and it beats the
// random increment when larger, so the next pick is the very next candidate.
func TestLinuxCounterSkipsCollisions(t *testing.T) {
	tests := []struct {
		spec string
		step int
	}{
		{"linux", 2},
		{"linux:increments=off", 2},
		{"linux:table-order=8,resalt=0", 2},
		{"linux:hint=on", 2},
		{"linux:socket-range=on", 1},
	}
	const run = 200 // ports busy after the reference port
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			for seed := range uint64(20) {
				s := linuxNew(t, tt.spec, seed)
				r := linuxFake(testDst, 0)
				p0 := linuxPick(t, s, r, linuxAllFree)
				p1, probes, err := s.Pick(r, func(p uint16) bool { return linuxDelta(p0, p) >= run })
				if err != nil || linuxDelta(p0, p1) != run {
					t.Fatalf("seed %d: with %d..%d+%d busy got %d, %v; want %d past %d", seed, p0, p0, run, p1, err, run, p0)
				}
				if most := run / tt.step; probes > most {
					t.Fatalf("seed %d: %d probes; the start is at least one step past %d, so at most %d", seed, probes, p0, most)
				}
				if p2 := linuxPick(t, s, r, linuxAllFree); linuxDelta(p1, p2) != tt.step {
					t.Errorf("seed %d: after %d (found past a run of busy ports) came %d; want %d", seed, p1, p2, int(p1)+tt.step)
				}
			}
		})
	}
}

// Destinations start at unrelated points spread over the range, and each
// then walks on by 2..16 on its own.
func TestLinuxDestinationsIndependent(t *testing.T) {
	tab := linuxTable(t)
	s := linuxNew(t, "linux", 2)
	var firsts []uint16
	for i := range 200 {
		r := linuxReq(allocator.Connect, linuxDst(i), 0)
		first, _, err := tab.Pick(r, s)
		if err != nil {
			t.Fatal(err)
		}
		second, _, err := tab.Pick(r, s)
		if err != nil {
			t.Fatal(err)
		}
		if d := linuxDelta(first, second); d < 2 || d > 16 {
			t.Errorf("destination %d: %d then %d; want a step of 2..16", i, first, second)
		}
		firsts = append(firsts, first)
	}
	counts := linuxBuckets(firsts, allocator.LinuxRange, 10)
	if x := linuxChi2(counts); x > linuxChi2df9 {
		t.Errorf("first ports of 200 destinations per tenth of the range %v: chi-square %.1f > %.1f", counts, x, linuxChi2df9)
	}
}

// The hash is re-salted when the clock crosses an epoch: the next port to
// the same destination lands anywhere, not 2..16 above the last.
func TestLinuxResalt(t *testing.T) {
	tests := []struct {
		spec     string
		t1, t2   time.Duration
		wantJump bool
	}{
		{"linux", 9900 * time.Millisecond, 10 * time.Second, true},
		{"linux", 9 * time.Second, 9900 * time.Millisecond, false},
		{"linux", 10 * time.Second, 19900 * time.Millisecond, false},
		{"linux:resalt=0", 9900 * time.Millisecond, 10 * time.Second, false},
		{"linux:resalt=1s", 9900 * time.Millisecond, 10 * time.Second, true},
		{"linux:resalt=1m", 9900 * time.Millisecond, 10 * time.Second, false},
		{"linux:hint=on", 9900 * time.Millisecond, 10 * time.Second, true},
	}
	const dests = 50
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%v-%v", tt.spec, tt.t1, tt.t2), func(t *testing.T) {
			s := linuxNew(t, tt.spec, 3)
			walked := 0
			for i := range dests {
				p1 := linuxPick(t, s, linuxFake(linuxDst(i), tt.t1), linuxAllFree)
				p2 := linuxPick(t, s, linuxFake(linuxDst(i), tt.t2), linuxAllFree)
				if d := linuxDelta(p1, p2); d >= 2 && d <= 16 {
					walked++
				}
			}
			// A jump lands 2..16 above by chance with probability 8/14116.
			if tt.wantJump && walked > 2 {
				t.Errorf("%d of %d destinations kept walking across the epoch; want a fresh start", walked, dests)
			}
			if !tt.wantJump && walked != dests {
				t.Errorf("%d of %d destinations kept walking; want all within an epoch", walked, dests)
			}
		})
	}
}

// With every even port taken to the destination, the first pass fails and
// the odd pass starts one above where it began: slow, but it finds ports.
func TestLinuxSecondParityPass(t *testing.T) {
	tab := linuxTable(t)
	evens := fillPorts(t, tab, allocator.Connect, testDst, func(p uint16) bool { return p%2 == 0 })
	s := linuxNew(t, "linux", 4)

	tr := &allocator.Trace{}
	r := linuxReq(allocator.Connect, testDst, 0)
	r.Trace = tr
	a, err := tab.Allocate(r, s)
	if err != nil {
		t.Fatal(err)
	}
	if p := a.Conn.Port; p%2 != 1 || a.Probes <= evens {
		t.Fatalf("port %d after %d probes; want an odd port after all %d even ones", p, a.Probes, evens)
	}
	var probes []uint16
	passes := 0
	for _, st := range tr.Steps {
		switch st.What {
		case "probe":
			probes = append(probes, st.Port)
		case "pass":
			passes++
		}
	}
	if passes != 1 || len(probes) != a.Probes {
		t.Fatalf("trace has %d pass steps and %d probes; want 1 and %d", passes, len(probes), a.Probes)
	}
	if probes[evens] != probes[0]+1 {
		t.Errorf("second pass starts at %d; want %d, one above the first pass's start", probes[evens], probes[0]+1)
	}

	// Every later connect() pays the full even pass too, and the odd ports
	// walk on by 2..16.
	prev := a.Conn.Port
	for i := range 10 {
		a, err := tab.Allocate(linuxReq(allocator.Connect, testDst, 0), s)
		if err != nil {
			t.Fatal(err)
		}
		p := a.Conn.Port
		if p%2 != 1 || a.Probes <= evens {
			t.Fatalf("pick %d: port %d after %d probes", i, p, a.Probes)
		}
		if d := linuxDelta(prev, p); d < 2 || d > 16 {
			t.Errorf("pick %d: %d after %d; want a step of 2..16", i, p, prev)
		}
		prev = p
	}
}

// With every port taken to the destination the result is EADDRNOTAVAIL
// after asking about each port once; another destination is unaffected,
// since connect() shares ports across destinations.
func TestLinuxExhausted(t *testing.T) {
	for _, spec := range []string{"linux", "linux:socket-range=on", "linux:hint=on"} {
		t.Run(spec, func(t *testing.T) {
			tab := linuxTable(t)
			all := fillPorts(t, tab, allocator.Connect, testDst, func(uint16) bool { return true })
			s := linuxNew(t, spec, 5)
			_, err := tab.Allocate(linuxReq(allocator.Connect, testDst, 0), s)
			if !errors.Is(err, allocator.ErrAddrNotAvail) {
				t.Fatalf("error %v; want ErrAddrNotAvail", err)
			}
			var ae *allocator.AllocError
			if !errors.As(err, &ae) || ae.Probes != all {
				t.Fatalf("error %v; want %d probes", err, all)
			}
			other := netip.MustParseAddrPort("192.0.2.11:443")
			if a, err := tab.Allocate(linuxReq(allocator.Connect, other, 0), s); err != nil || a.Probes != 1 {
				t.Fatalf("another destination: %v after %d probes; want a port at once", err, a.Probes)
			}
		})
	}
}

// An odd-sized range is cut to an even count of candidates, so its top port
// is never tried by the parity scans (as in the kernel); IP_LOCAL_PORT_RANGE
// mode and UDP try it.
func TestLinuxOddSizedRange(t *testing.T) {
	const lo, hi = 1000, 1062 // 63 ports
	tests := []struct {
		spec       string
		kind       allocator.Kind
		wantFound  bool
		wantProbes int // when every port is busy
	}{
		{"linux", allocator.Connect, false, 62},
		{"linux:hint=on", allocator.Connect, false, 62},
		{"linux:socket-range=on", allocator.Connect, true, 63},
		{"linux-bind", allocator.Bind, false, 62},
		{"linux-udp", allocator.UDP, true, 63},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			for seed := range uint64(20) {
				s := linuxNew(t, tt.spec, seed)
				r := linuxReq(tt.kind, testDst, 0)
				r.Lo, r.Hi = lo, hi
				p, _, err := s.Pick(r, func(p uint16) bool { return p == hi })
				if found := err == nil && p == hi; found != tt.wantFound {
					t.Fatalf("seed %d: only %d free: got %d, %v; want found=%v", seed, hi, p, err, tt.wantFound)
				}
				_, probes, err := s.Pick(r, func(uint16) bool { return false })
				if !errors.Is(err, allocator.ErrAddrNotAvail) || probes != tt.wantProbes {
					t.Fatalf("seed %d: none free: %d probes, %v; want %d, ErrAddrNotAvail", seed, probes, err, tt.wantProbes)
				}
			}
		})
	}
}

// Kol, Klein and Gilad's observation: with 2^8 perturb entries destinations
// share counters often, so connecting to one moves another's sequence. Each
// probe destination j is picked, then 10 other destinations 8 times each
// (each adding at least 16 to its counter), then j again: j moved more
// than 16 only if it shares a counter with one of them.
func TestLinuxTableOrderSharing(t *testing.T) {
	const probesDests, others, rounds = 2000, 10, 8
	tests := []struct {
		spec     string
		min, max int // destinations that moved; expected 77, 0.3, all
	}{
		{"linux:table-order=8", 40, probesDests},
		{"linux", 0, 3},
		{"linux:hint=on", probesDests, probesDests},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			s := linuxNew(t, tt.spec, 6)
			moved := 0
			for j := range probesDests {
				dst := linuxDst(others + j)
				p1 := linuxPick(t, s, linuxFake(dst, 0), linuxAllFree)
				for k := range others * rounds {
					linuxPick(t, s, linuxFake(linuxDst(k%others), 0), linuxAllFree)
				}
				if linuxDelta(p1, linuxPick(t, s, linuxFake(dst, 0), linuxAllFree)) > 16 {
					moved++
				}
			}
			if moved < tt.min || moved > tt.max {
				t.Errorf("%d of %d destinations were moved by others; want %d to %d", moved, probesDests, tt.min, tt.max)
			}
		})
	}
}

// Hint mode (Linux ≤ 5.11) has one counter for every destination: without
// random increments it grows by exactly 2 per connection anywhere, so a
// destination's step reveals how many connections the host made meanwhile.
func TestLinuxHintGlobalCounter(t *testing.T) {
	tests := []struct {
		spec      string
		between   int
		wantDelta int
	}{
		{"linux:hint=on,increments=off", 0, 2},
		{"linux:hint=on,increments=off", 1, 4},
		{"linux:hint=on,increments=off", 5, 12},
		{"linux:hint=on,increments=off", 100, 202},
		{"linux:increments=off", 100, 2}, // per-destination counters
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d", tt.spec, tt.between), func(t *testing.T) {
			s := linuxNew(t, tt.spec, 7)
			a := linuxDst(0)
			p1 := linuxPick(t, s, linuxFake(a, 0), linuxAllFree)
			for i := range tt.between {
				linuxPick(t, s, linuxFake(linuxDst(1+i), 0), linuxAllFree)
			}
			p2 := linuxPick(t, s, linuxFake(a, 0), linuxAllFree)
			if d := linuxDelta(p1, p2); d != tt.wantDelta {
				t.Errorf("%d then %d (step %d) with %d connections elsewhere; want step %d", p1, p2, d, tt.between, tt.wantDelta)
			}
			if l := s.(*Linux); l.useHint && int(l.hint) != 2*(tt.between+2) {
				t.Errorf("hint = %d after %d connections; want %d", l.hint, tt.between+2, 2*(tt.between+2))
			}
		})
	}
}

// With IP_LOCAL_PORT_RANGE the scan steps by 1 and prefers no parity: both
// parities appear and the steps to one destination are uniform over 1..8.
func TestLinuxSocketRange(t *testing.T) {
	tab := linuxTable(t)
	s := linuxNew(t, "linux:socket-range=on", 8)
	counts := make([]int, 8)
	odd := 0
	var prev uint16
	for i := range 8001 {
		p, _, err := tab.Pick(linuxReq(allocator.Connect, testDst, 0), s)
		if err != nil {
			t.Fatal(err)
		}
		odd += int(p % 2)
		if i > 0 {
			d := linuxDelta(prev, p)
			if d < 1 || d > 8 {
				t.Fatalf("pick %d: step %d; want 1..8", i, d)
			}
			counts[d-1]++
		}
		prev = p
	}
	if x := linuxChi2(counts); x > linuxChi2df7 {
		t.Errorf("steps 1..8 counted %v: chi-square %.1f > %.1f", counts, x, linuxChi2df7)
	}
	if odd < 3700 || odd > 4300 {
		t.Errorf("%d of 8001 ports odd; want about half", odd)
	}
}

func TestLinuxParamErrors(t *testing.T) {
	tests := []struct{ spec, want string }{
		{"linux:table-order=21", "table-order"},
		{"linux:table-order=x", "table-order"},
		{"linux:resalt=-1s", "resalt"},
		{"linux:resalt=10", "resalt"},
		{"linux:increments=maybe", "increments"},
		{"linux:hint=2", "hint"},
		{"linux:socket-range=", "socket-range"},
		{"linux-bind:hint=on", "unknown parameter"},
		{"linux-udp:hash-size=1000", "power of two"},
		{"linux-udp:hash-size=0", "hash-size"},
		{"linux-udp:hash-size=131072", "hash-size"},
	}
	for _, tt := range tests {
		if err := Validate(tt.spec); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate(%q) = %v; want an error naming %q", tt.spec, err, tt.want)
		}
	}
	for _, spec := range []string{"linux:table-order=0,resalt=0,hint=off", "linux:resalt=250ms", "linux-udp:hash-size=65536", "linux-udp:hash-size=1"} {
		if err := Validate(spec); err != nil {
			t.Errorf("Validate(%q) = %v", spec, err)
		}
	}
}

// A trace shows the hash inputs and value, the table slot and counter, the
// offset, each probe (from the table) and the update.
func TestLinuxTrace(t *testing.T) {
	tab := linuxTable(t)
	s := linuxNew(t, "linux", 9)
	tr := &allocator.Trace{}
	r := linuxReq(allocator.Connect, testDst, 25*time.Second)
	r.Trace = tr
	a, err := tab.Allocate(r, s)
	if err != nil {
		t.Fatal(err)
	}
	h := flowHash(s.(*Linux).key, linuxSrc, testDst, 2)
	var text strings.Builder
	for _, st := range tr.Steps {
		fmt.Fprintf(&text, "%s %d %s\n", st.What, st.Port, st.Detail)
	}
	for _, want := range []string{
		"hash 0 siphash-2-4(saddr=10.0.0.1, daddr=192.0.2.10, dport=443, epoch=2) = " + fmt.Sprintf("0x%016x", h),
		fmt.Sprintf("index 0 index = hash & 0xffff = %d", uint32(h)&0xffff),
		"counter 0 table_perturb[",
		"offset ",
		fmt.Sprintf("probe %d free", a.Conn.Port),
		"increment ",
		"update ",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("trace lacks %q:\n%s", want, &text)
		}
	}
	if tr.Probes() != a.Probes {
		t.Errorf("trace has %d probes; Allocate reported %d", tr.Probes(), a.Probes)
	}
}

// Without a trace Pick allocates nothing, whatever the path taken.
func TestLinuxPickAllocsNothing(t *testing.T) {
	for _, spec := range []string{"linux", "linux:hint=on", "linux:socket-range=on", "linux-bind", "linux-udp"} {
		s := linuxNew(t, spec, 10)
		for _, usable := range []func(uint16) bool{linuxAllFree, func(p uint16) bool { return p%16 == 3 }, func(uint16) bool { return false }} {
			r := linuxFake(testDst, 0)
			if n := testing.AllocsPerRun(20, func() { s.Pick(r, usable) }); n != 0 {
				t.Errorf("%s: %v allocations per Pick", spec, n)
			}
		}
	}
}

// bind(0) takes odd ports (the parity opposite the low bound's), spread
// uniformly over the range. Sequential fails the same checks.
func TestLinuxBindOddUniform(t *testing.T) {
	tests := []struct {
		name        string
		wantOdd     bool
		wantUniform bool
	}{
		{"linux-bind", true, true},
		{"linux-udp", false, true},
		{"sequential", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, _ := Lookup(tt.name)
			kind := info.Kind
			tab := linuxTable(t)
			s := linuxNew(t, tt.name, 11)
			var ports []uint16
			odd := 0
			for range 8000 {
				p, _, err := tab.Pick(linuxReq(kind, testDst, 0), s)
				if err != nil {
					t.Fatal(err)
				}
				odd += int(p % 2)
				ports = append(ports, p)
			}
			if allOdd := odd == len(ports); allOdd != tt.wantOdd {
				t.Errorf("%d of %d ports odd; want all odd = %v", odd, len(ports), tt.wantOdd)
			}
			counts := linuxBuckets(ports, allocator.LinuxRange, 20)
			if x := linuxChi2(counts); (x <= linuxChi2df19) != tt.wantUniform {
				t.Errorf("ports per twentieth of the range %v: chi-square %.1f (0.999 critical value %.1f); want uniform = %v", counts, x, linuxChi2df19, tt.wantUniform)
			}
		})
	}
}

// The odd offset is relative to the low bound: with an odd low bound the
// first pass takes even ports.
func TestLinuxBindParityFollowsLowBound(t *testing.T) {
	s := linuxNew(t, "linux-bind", 12)
	for _, rg := range []allocator.Range{{Lo: 1000, Hi: 1063}, {Lo: 1001, Hi: 1064}} {
		r := linuxReq(allocator.Bind, testDst, 0)
		r.Lo, r.Hi = rg.Lo, rg.Hi
		for range 200 {
			if p := linuxPick(t, s, r, linuxAllFree); (p-rg.Lo)%2 != 1 {
				t.Fatalf("range %v: port %d has the low bound's parity", rg, p)
			}
		}
	}
}

// With every odd port bound, bind(0) scans them all, then takes an even
// port, starting one below where the odd pass began.
func TestLinuxBindSecondParity(t *testing.T) {
	tab := linuxTable(t)
	odds := fillPorts(t, tab, allocator.Bind, testDst, func(p uint16) bool { return p%2 == 1 })
	s := linuxNew(t, "linux-bind", 13)
	for i := range 5 {
		tr := &allocator.Trace{}
		r := linuxReq(allocator.Bind, testDst, 0)
		r.Trace = tr
		a, err := tab.Allocate(r, s)
		if err != nil {
			t.Fatal(err)
		}
		if p := a.Conn.Port; p%2 != 0 || a.Probes <= odds {
			t.Fatalf("bind %d: port %d after %d probes; want an even port after all %d odd ones", i, p, a.Probes, odds)
		}
		var probes []uint16
		for _, st := range tr.Steps {
			if st.What == "probe" {
				probes = append(probes, st.Port)
			}
		}
		if probes[odds] != probes[0]-1 {
			t.Errorf("bind %d: second pass starts at %d; want %d, one below the first pass's start", i, probes[odds], probes[0]-1)
		}
	}
	fillPorts(t, tab, allocator.Bind, testDst, func(p uint16) bool { return tab.Usable(linuxReq(allocator.Bind, testDst, 0), p) })
	_, err := tab.Allocate(linuxReq(allocator.Bind, testDst, 0), s)
	var ae *allocator.AllocError
	if !errors.Is(err, allocator.ErrAddrNotAvail) || !errors.As(err, &ae) || ae.Probes != allocator.LinuxRange.Size() {
		t.Errorf("full range: %v; want ErrAddrNotAvail after %d probes", err, allocator.LinuxRange.Size())
	}
}

// UDP asks about every port of the range exactly once before giving up, so
// a single free port anywhere is found, for any hash table size.
func TestLinuxUDPCoversEveryPort(t *testing.T) {
	ranges := []allocator.Range{allocator.LinuxRange, {Lo: 1000, Hi: 1062}, {Lo: 65000, Hi: 65535}, {Lo: 1, Hi: 65535}}
	for _, size := range []int{1, 256, 4096, 65536} {
		for _, rg := range ranges {
			t.Run(fmt.Sprintf("hash-size=%d/%v", size, rg), func(t *testing.T) {
				s := linuxNew(t, fmt.Sprintf("linux-udp:hash-size=%d", size), uint64(size))
				r := linuxReq(allocator.UDP, testDst, 0)
				r.Lo, r.Hi = rg.Lo, rg.Hi
				asked := make(map[uint16]int)
				_, probes, err := s.Pick(r, func(p uint16) bool { asked[p]++; return false })
				if !errors.Is(err, allocator.ErrAddrNotAvail) || probes != rg.Size() || len(asked) != rg.Size() {
					t.Fatalf("none free: %v after %d probes over %d distinct ports; want %d each once", err, probes, len(asked), rg.Size())
				}
				for p, n := range asked {
					if !rg.Contains(p) || n != 1 {
						t.Fatalf("port %d asked %d times", p, n)
					}
				}
				mid := rg.Lo + uint16(rg.Size()*2/3)
				for _, free := range []uint16{rg.Lo, rg.Hi, mid, mid + 1} {
					if p, _, err := s.Pick(r, func(p uint16) bool { return p == free }); err != nil || p != free {
						t.Fatalf("only %d free: got %d, %v", free, p, err)
					}
				}
			})
		}
	}
}

// UDP walks one hash slot (ports congruent modulo the table size) before
// moving to the next, not a linear probe.
func TestLinuxUDPWalksSlots(t *testing.T) {
	const size = 256
	s := linuxNew(t, fmt.Sprintf("linux-udp:hash-size=%d", size), 14)
	r := linuxReq(allocator.UDP, testDst, 0)
	rg := allocator.LinuxRange
	r.Lo, r.Hi = rg.Lo, rg.Hi
	for range 20 {
		var asked []uint16
		s.Pick(r, func(p uint16) bool { asked = append(asked, p); return false })
		first := asked[0] % size
		inSlot := 0 // ports of the range in first's slot
		for p := int(rg.Lo); p <= int(rg.Hi); p++ {
			if p%size == int(first) {
				inSlot++
			}
		}
		for k, p := range asked[:inSlot] {
			if p%size != first {
				t.Fatalf("probe %d: port %d left slot %d before it was done", k, p, first)
			}
		}
		if next := asked[inSlot] % size; next != (first+1)%size {
			t.Fatalf("after slot %d the walk went to slot %d; want %d", first, next, (first+1)%size)
		}
	}
}

func TestLinuxUDPUniform(t *testing.T) {
	tab := linuxTable(t)
	s := linuxNew(t, "linux-udp", 15)
	var ports []uint16
	odd := 0
	for range 8000 {
		p, probes, err := tab.Pick(linuxReq(allocator.UDP, testDst, 0), s)
		if err != nil || probes != 1 {
			t.Fatalf("port %d after %d probes, %v; want the first candidate", p, probes, err)
		}
		odd += int(p % 2)
		ports = append(ports, p)
	}
	counts := linuxBuckets(ports, allocator.LinuxRange, 20)
	if x := linuxChi2(counts); x > linuxChi2df19 {
		t.Errorf("ports per twentieth of the range %v: chi-square %.1f > %.1f", counts, x, linuxChi2df19)
	}
	if odd < 3750 || odd > 4250 {
		t.Errorf("%d of 8000 ports odd; want about half", odd)
	}
}

// ExampleLinux shows connect() to one destination walking up by 2..16 over
// even ports, and another destination starting elsewhere.
func ExampleLinux() {
	tab, _ := allocator.NewTable(allocator.Config{Range: allocator.LinuxRange, TimeWait: allocator.DefaultTimeWait})
	s, _ := New("linux", 1)
	for _, dst := range []string{"192.0.2.1:443", "192.0.2.1:443", "192.0.2.1:443", "198.51.100.7:80"} {
		a, _ := tab.Allocate(&allocator.Request{
			Kind: allocator.Connect,
			Src:  netip.MustParseAddr("10.0.0.1"),
			Dst:  netip.MustParseAddrPort(dst),
		}, s)
		fmt.Println(dst, a.Conn.Port)
	}
	// Output:
	// 192.0.2.1:443 57902
	// 192.0.2.1:443 57906
	// 192.0.2.1:443 57908
	// 198.51.100.7:80 42434
}

// ExampleLinux_Pick shows a trace: the hash, the perturb counter, the
// offset, the probes, and the state update. The first candidate is a
// reserved port, so the scan steps on by 2 and the counter moves past it.
func ExampleLinux_Pick() {
	tab, _ := allocator.NewTable(allocator.Config{
		Range:    allocator.LinuxRange,
		Reserved: []allocator.Range{{Lo: 53614, Hi: 53614}},
		TimeWait: allocator.DefaultTimeWait,
	})
	s, _ := New("linux", 1)
	r := allocator.Request{
		Kind:  allocator.Connect,
		Src:   netip.MustParseAddr("10.0.0.1"),
		Dst:   netip.MustParseAddrPort("192.0.2.1:443"),
		Now:   12 * time.Second,
		Trace: &allocator.Trace{},
	}
	tab.Allocate(&r, s)
	for _, st := range r.Trace.Steps {
		fmt.Printf("%-9s %5d  %s\n", st.What, st.Port, st.Detail)
	}
	// Output:
	// hash          0  siphash-2-4(saddr=10.0.0.1, daddr=192.0.2.1, dport=443, epoch=1) = 0x457216f32efaea88
	// index         0  index = hash & 0xffff = 60040
	// counter       0  table_perturb[60040] = 2049100932
	// offset    53614  offset = (table_perturb[60040] 2049100932 + hash>>32 1165104883) mod 2^32 = 3214205815; mod remaining 28232 = 20847; made even: 20846; first candidate 53614
	// probe     53614  reserved (ip_local_reserved_ports)
	// probe     53616  free
	// increment 53616  walked 2; drawn random_below(8)*2 = 2; i = max(walked, drawn) = 2
	// update    53616  table_perturb[60040] = 2049100932 + 2 + 2 = 2049100936
	// update    53616  table records connect 10.0.0.1:53616 -> 192.0.2.1:443
}

// The memo of the last hash and epoch must give what computing them afresh
// gives, whatever the order of destinations and times (including a clock
// that steps back, which Table.Advance allows callers to pass).
func TestLinuxHashMemoMatchesFreshHash(t *testing.T) {
	dsts := []netip.AddrPort{testDst, netip.MustParseAddrPort("192.0.2.7:443"), netip.MustParseAddrPort("192.0.2.7:80")}
	srcs := []netip.Addr{linuxSrc, netip.MustParseAddr("10.0.0.2")}
	for _, spec := range []string{"linux", "linux:resalt=0", "linux:resalt=250ms"} {
		s := linuxNew(t, spec, 3).(*Linux)
		rng := rand.New(rand.NewPCG(5, 6))
		now := time.Duration(0)
		for i := range 20000 {
			switch rng.IntN(10) {
			case 0:
				now -= time.Duration(rng.IntN(20)) * time.Second
			case 1, 2:
				now += time.Duration(rng.IntN(20)) * time.Second
			default:
				now += time.Duration(rng.IntN(50)) * time.Millisecond
			}
			r := &allocator.Request{Src: srcs[rng.IntN(len(srcs))], Dst: dsts[rng.IntN(len(dsts))], Now: now}
			var epoch uint32
			if s.resalt > 0 {
				epoch = uint32(now / s.resalt)
			}
			want := flowHash(s.key, r.Src, r.Dst, epoch)
			if got, gotEpoch := s.hash(r); got != want || gotEpoch != epoch {
				t.Fatalf("%s request %d at %v: memo gave hash %#x epoch %d; fresh %#x epoch %d", spec, i, now, got, gotEpoch, want, epoch)
			}
		}
	}
}

func TestLinuxModMatchesRemainder(t *testing.T) {
	s := &Linux{}
	rng := rand.New(rand.NewPCG(1, 1))
	divisors := []uint32{1, 2, 3, 7, 28232, 28231, 32768, 64511, 65535, 65536, 1 << 31, 1<<32 - 1}
	for range 200000 {
		d := divisors[rng.IntN(len(divisors))]
		if rng.IntN(4) == 0 {
			d = 1 + rng.Uint32N(1<<32-1)
		}
		sum := rng.Uint32()
		if rng.IntN(8) == 0 {
			sum = []uint32{0, 1, d - 1, d, 1<<32 - 1}[rng.IntN(5)]
		}
		if got, want := s.mod(sum, d), sum%d; got != want {
			t.Fatalf("mod(%d, %d) = %d; want %d", sum, d, got, want)
		}
	}
}
