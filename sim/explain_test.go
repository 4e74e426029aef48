package sim

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/internal/fielderr"
	"github.com/portsim/portsim/strategies"
)

func ExamplePicks_All() {
	// Sequential on a two-port range, connections left open: the third
	// pick finds both ports taken.
	p, err := NewPicks(PickConfig{
		Spec: "sequential", Seed: 1, Count: 3, Interval: time.Second,
		Range: allocator.Range{Lo: 50000, Hi: 50001},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s, range %v, kind %v\n", p.Spec, p.Table.Range, p.Kind)
	var sum PickTotals
	for pk, err := range p.All() {
		if err != nil {
			fmt.Println(err)
			return
		}
		sum.Add(pk)
		if pk.Err != nil {
			fmt.Printf("#%d t=%v %v -> %v: %v after %d probes\n", pk.N, pk.At, pk.Src, pk.Dst, pk.Err, pk.Probes)
			continue
		}
		fmt.Printf("#%d t=%v %v -> %v: port %d\n", pk.N, pk.At, pk.Src, pk.Dst, pk.Port)
	}
	fmt.Printf("%+v\n", sum)
	// Output:
	// sequential, range 50000-50001, kind connect
	// #1 t=0s 10.0.0.1 -> 192.0.2.10:443: port 50000
	// #2 t=1s 10.0.0.1 -> 192.0.2.10:443: port 50001
	// #3 t=2s 10.0.0.1 -> 192.0.2.10:443: cannot assign requested address (EADDRNOTAVAIL) after 2 probes
	// {Picks:3 Failures:1 Probes:4 Collisions:2}
}

// picks runs c to the end.
func picks(t *testing.T, c PickConfig) (*Picks, []Pick) {
	t.Helper()
	p, err := NewPicks(c)
	if err != nil {
		t.Fatalf("NewPicks(%+v): %v", c, err)
	}
	var out []Pick
	for pk, err := range p.All() {
		if err != nil {
			t.Fatalf("pick: %v", err)
		}
		out = append(out, pk)
	}
	if len(out) != c.Count {
		t.Fatalf("%d picks, want %d", len(out), c.Count)
	}
	return p, out
}

func portsOf(ps []Pick) []uint16 {
	var out []uint16
	for _, pk := range ps {
		out = append(out, pk.Port)
	}
	return out
}

func TestPicksSequential(t *testing.T) {
	_, ps := picks(t, PickConfig{Spec: "sequential", Seed: 1, Count: 5, Interval: time.Second})
	if want := []uint16{49152, 49153, 49154, 49155, 49156}; !slices.Equal(portsOf(ps), want) {
		t.Errorf("ports %v, want %v", portsOf(ps), want)
	}
	for i, pk := range ps {
		if pk.N != i+1 || pk.At != time.Duration(i)*time.Second || pk.Probes != 1 || pk.Collisions != 0 || pk.Err != nil {
			t.Errorf("pick %d: %+v; want n=%d, at %ds, 1 probe, no collision, no error", i, pk, i+1, i)
		}
	}
}

// Reset leaves nothing behind, but sequential's cursor still moves on: the
// ports are the ones it picks with connections left open.
func TestPicksCloseSequentialStillAdvances(t *testing.T) {
	c := PickConfig{Spec: "sequential", Seed: 1, Count: 4, Interval: time.Second}
	_, open := picks(t, c)
	c.Close = true
	_, closed := picks(t, c)
	if !slices.Equal(portsOf(open), portsOf(closed)) {
		t.Errorf("Close: ports %v, without %v; sequential should not depend on it", portsOf(closed), portsOf(open))
	}
	for _, pk := range closed {
		if last := pk.Steps[len(pk.Steps)-1]; last.What != "close" || !strings.Contains(last.Detail, "TIME_WAIT") {
			t.Errorf("pick %d ends with %+v, want the close step", pk.N, last)
		}
	}
}

// In a two-port range, open connections use the range up and later picks
// fail (as picks, not an error); with Close the same ports come back.
func TestPicksCloseFreesPorts(t *testing.T) {
	c := PickConfig{Spec: "sequential", Seed: 1, Count: 4, Range: allocator.Range{Lo: 50000, Hi: 50001}}
	_, open := picks(t, c)
	if got, want := portsOf(open), []uint16{50000, 50001, 0, 0}; !slices.Equal(got, want) {
		t.Errorf("open: ports %v, want %v", got, want)
	}
	for _, pk := range open[2:] {
		if !errors.Is(pk.Err, allocator.ErrAddrNotAvail) || pk.Probes != 2 || pk.Collisions != 2 {
			t.Errorf("open: pick %d = %+v, want EADDRNOTAVAIL after 2 probes, 2 collisions", pk.N, pk)
		}
	}
	c.Close = true
	_, closed := picks(t, c)
	if got, want := portsOf(closed), []uint16{50000, 50001, 50000, 50001}; !slices.Equal(got, want) {
		t.Errorf("Close: ports %v, want %v", got, want)
	}
}

// Several destinations take turns, and a connect() port is shared across
// them (4-tuples differ), so sequential's cursor alone decides.
func TestPicksRoundRobin(t *testing.T) {
	dsts := []netip.AddrPort{
		netip.MustParseAddrPort("192.0.2.10:443"),
		netip.MustParseAddrPort("198.51.100.7:443"),
		netip.MustParseAddrPort("203.0.113.9:80"),
	}
	_, ps := picks(t, PickConfig{Spec: "sequential", Seed: 1, Count: 4, Dsts: dsts})
	for i, pk := range ps {
		if pk.Dst != dsts[i%3] || pk.Port != 49152+uint16(i) {
			t.Errorf("pick %d: port %d to %v, want %d to %v", pk.N, pk.Port, pk.Dst, 49152+i, dsts[i%3])
		}
	}
}

func TestPicksReservedAndKind(t *testing.T) {
	p, ps := picks(t, PickConfig{Spec: "sequential", Seed: 1, Count: 1, Kind: allocator.UDP, KindSet: true,
		Reserved: []allocator.Range{{Lo: 49152, Hi: 49153}}})
	pk := ps[0]
	if p.Kind != allocator.UDP || pk.Port != 49154 || pk.Probes != 3 || pk.Collisions != 2 {
		t.Errorf("kind %v, port %d after %d probes (%d collisions); want udp, 49154 after 3 (2)", p.Kind, pk.Port, pk.Probes, pk.Collisions)
	}
	if !strings.Contains(pk.Steps[1].Detail, "reserved") {
		t.Errorf("first probe says %q, want the reason 'reserved'", pk.Steps[1].Detail)
	}
}

func TestPicksAddresses(t *testing.T) {
	for _, c := range []struct {
		src      string
		dst      string
		wantSrc  string
		wantDsts string
	}{
		{"", "", "10.0.0.1", "192.0.2.10:443"},
		{"fd00::1", "", "fd00::1", "[2001:db8::10]:443"},
		{"", "[2001:db8::7]:80", "fd00::1", "[2001:db8::7]:80"},
		{"192.168.1.2", "198.51.100.1:53", "192.168.1.2", "198.51.100.1:53"},
	} {
		cfg := PickConfig{Spec: "sequential", Count: 1}
		if c.src != "" {
			cfg.Src = netip.MustParseAddr(c.src)
		}
		if c.dst != "" {
			cfg.Dsts = []netip.AddrPort{netip.MustParseAddrPort(c.dst)}
		}
		_, ps := picks(t, cfg)
		if got := ps[0].Src.String(); got != c.wantSrc || ps[0].Dst.String() != c.wantDsts {
			t.Errorf("src %q dst %q: %v -> %v, want %s -> %s", c.src, c.dst, got, ps[0].Dst, c.wantSrc, c.wantDsts)
		}
	}
}

// A profile runs its strategy for the kind under its own rules; a strategy
// asked for another path's kind runs as asked and names the kernel's.
func TestPicksResolve(t *testing.T) {
	for _, c := range []struct {
		cfg        PickConfig
		spec       string
		kind       allocator.Kind
		kernel     string
		firstPorts []uint16
	}{
		{PickConfig{Spec: "profile:ns3", Count: 2}, "profile:ns3 (sequential:start=49153)", allocator.Bind, "", []uint16{49153, 49154}},
		{PickConfig{Spec: "profile:macos", Count: 2, Close: true}, "profile:macos (sequential)", allocator.Connect, "", []uint16{49152, 49153}},
		{PickConfig{Spec: "profile:netbsd", Count: 2, Close: true}, "profile:netbsd (sequential:direction=down)", allocator.Connect, "", []uint16{65535, 65534}},
		{PickConfig{Spec: "linux", Kind: allocator.Bind, KindSet: true, Count: 1}, "linux", allocator.Bind, "linux-bind", nil},
		{PickConfig{Spec: "linux-bind", Count: 1}, "linux-bind", allocator.Bind, "", nil},
	} {
		p, ps := picks(t, c.cfg)
		if p.Spec != c.spec || p.Kind != c.kind || p.Kernel != c.kernel {
			t.Errorf("%s: spec %q kind %v kernel %q; want %q %v %q", c.cfg.Spec, p.Spec, p.Kind, p.Kernel, c.spec, c.kind, c.kernel)
		}
		if c.firstPorts != nil && !slices.Equal(portsOf(ps), c.firstPorts) {
			t.Errorf("%s: ports %v, want %v", c.cfg.Spec, portsOf(ps), c.firstPorts)
		}
	}
}

// All starts afresh each time: a new table and new strategies, the same
// picks. Stopping early stops the picks.
func TestPicksAllRepeats(t *testing.T) {
	p, first := picks(t, PickConfig{Spec: "random", Seed: 3, Count: 20, Range: allocator.Range{Lo: 50000, Hi: 50015}})
	var again []Pick
	for pk, err := range p.All() {
		if err != nil {
			t.Fatal(err)
		}
		again = append(again, pk)
	}
	if !slices.Equal(portsOf(first), portsOf(again)) {
		t.Errorf("second run %v, first %v", portsOf(again), portsOf(first))
	}
	n := 0
	for range p.All() {
		if n++; n == 2 {
			break
		}
	}
	if n != 2 {
		t.Errorf("%d picks after break at 2", n)
	}
}

func TestNewPicksErrors(t *testing.T) {
	v6 := netip.MustParseAddrPort("[2001:db8::1]:443")
	v4 := netip.MustParseAddrPort("192.0.2.1:443")
	for _, c := range []struct {
		cfg   PickConfig
		field string
		want  string
	}{
		{PickConfig{Spec: "nope", Count: 1}, "spec", "sequential"},
		{PickConfig{Spec: "sequential:bogus=1", Count: 1}, "spec", "bogus"},
		{PickConfig{Spec: "profile:beos", Count: 1}, "spec", "macos"},
		{PickConfig{Spec: "sequential", Count: -1}, "count", "negative"},
		{PickConfig{Spec: "profile:macos", Count: 1, Kind: 7, KindSet: true}, "kind", "connect, bind or udp"},
		{PickConfig{Spec: "sequential", Count: 1, Interval: -time.Second}, "interval", "negative"},
		{PickConfig{Spec: "sequential", Count: 10000, Interval: 1000 * time.Hour}, "interval", "overflows"},
		{PickConfig{Spec: "sequential", Count: 1, Range: allocator.Range{Lo: 60000, Hi: 50000}}, "range", "LO ≤ HI"},
		{PickConfig{Spec: "sequential", Count: 1, Reserved: []allocator.Range{{Lo: 0, Hi: 5}}}, "reserved", "1 to 65535"},
		{PickConfig{Spec: "sequential", Count: 1, Src: netip.MustParseAddr("fd00::1"), Dsts: []netip.AddrPort{v4}}, "src", "IPv6 but destination 192.0.2.1:443 is IPv4"},
		{PickConfig{Spec: "sequential", Count: 1, Dsts: []netip.AddrPort{v4, v6}}, "dst", "one IP family"},
	} {
		_, err := NewPicks(c.cfg)
		var fe *fielderr.Error
		if !errors.As(err, &fe) || fe.Field != c.field || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewPicks(%+v) = %v; want a %s error saying %q", c.cfg, err, c.field, c.want)
		}
	}
}

// Every registered strategy, whatever it is, runs traced, and its trace
// agrees with what it reported: one probe step per probe, the chosen port
// is the last usable probe, failures come only when nothing is free.
func TestPicksEveryStrategy(t *testing.T) {
	tiny := allocator.Range{Lo: 50000, Hi: 50003}
	for _, info := range strategies.All() {
		t.Run(info.Name, func(t *testing.T) {
			p, ps := picks(t, PickConfig{Spec: info.Name, Seed: 1, Count: 20, Interval: time.Second})
			checkTrace(t, p, ps)

			// A 4-port range: each port is picked once while connections stay
			// open; an exhaustive strategy fails exactly when all are taken.
			p, ps = picks(t, PickConfig{Spec: info.Name, Seed: 1, Count: 8, Interval: time.Second, Range: tiny})
			checkTrace(t, p, ps)
			var got []uint16
			for _, pk := range ps {
				if pk.Err == nil {
					got = append(got, pk.Port)
				}
			}
			sorted := slices.Clone(got)
			slices.Sort(sorted)
			if len(slices.Compact(sorted)) != len(got) {
				t.Errorf("open connections but a port was picked twice: %v", got)
			}
			if info.Exhaustive && len(got) != 4 {
				t.Errorf("exhaustive strategy picked %v from a 4-port range in 8 tries, want all 4", got)
			}

			p, ps = picks(t, PickConfig{Spec: info.Name, Seed: 1, Count: 8, Interval: time.Second, Range: tiny, Close: true})
			checkTrace(t, p, ps)
			for _, pk := range ps {
				if info.Exhaustive && pk.Err != nil {
					t.Errorf("Close leaves every port free, yet pick %d failed: %v", pk.N, pk.Err)
				}
			}

			// Any strategy serves any kind when asked.
			for k := allocator.Connect; k <= allocator.UDP; k++ {
				p, ps := picks(t, PickConfig{Spec: info.Name, Seed: 1, Count: 6, Kind: k, KindSet: true, Range: tiny})
				if p.Kind != k {
					t.Errorf("kind %v: runs as %v", k, p.Kind)
				}
				checkTrace(t, p, ps)
			}
		})
	}
}

func checkTrace(t *testing.T, p *Picks, ps []Pick) {
	t.Helper()
	for _, pk := range ps {
		probes, rejected, chose := 0, 0, 0
		var lastUsable uint16
		for _, s := range pk.Steps {
			switch s.What {
			case "probe":
				probes++
				if s.Usable == nil {
					t.Errorf("pick %d: probe step without usable: %+v", pk.N, s)
				} else if *s.Usable {
					lastUsable = s.Port
				} else {
					rejected++
				}
			case "chose":
				chose++
				if s.Port != pk.Port {
					t.Errorf("pick %d: chose step says %d, pick says %d", pk.N, s.Port, pk.Port)
				}
			}
		}
		if probes != pk.Probes {
			t.Errorf("pick %d: %d probe steps, but Probes = %d", pk.N, probes, pk.Probes)
		}
		if rejected != pk.Collisions {
			t.Errorf("pick %d: %d rejected probes, but Collisions = %d", pk.N, rejected, pk.Collisions)
		}
		if pk.Err != nil {
			if !errors.Is(pk.Err, allocator.ErrAddrNotAvail) || pk.Port != 0 || chose != 0 {
				t.Errorf("failed pick %d: %+v", pk.N, pk)
			}
			continue
		}
		if chose != 1 {
			t.Errorf("pick %d: %d chose steps, want 1", pk.N, chose)
		}
		if lastUsable != pk.Port {
			t.Errorf("pick %d: port %d, but the last usable probe was %d", pk.N, pk.Port, lastUsable)
		}
		if !p.Table.Range.Contains(pk.Port) {
			t.Errorf("pick %d: port %d outside %v", pk.N, pk.Port, p.Table.Range)
		}
	}
}
