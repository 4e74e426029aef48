package strategies

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portsim/portsim/allocator"
)

// Every strategy the docs promise must be registered.
func TestRegistryComplete(t *testing.T) {
	for _, name := range order {
		info, ok := Lookup(name)
		if !ok {
			t.Errorf("strategy %q is not registered", name)
			continue
		}
		if info.Description == "" {
			t.Errorf("strategy %q has no description", name)
		}
		for _, p := range info.Params {
			if p.Help == "" {
				t.Errorf("strategy %q parameter %q has no help", name, p.Name)
			}
		}
	}
}

// fakeTable is an availability policy over a range, as netstack3's
// port_alloc tests use: it answers usable() and counts the probes.
type fakeTable struct {
	name   string
	lo, hi uint16
	free   func(p uint16) bool
}

func fakeTables(lo, hi uint16, seed uint64) []fakeTable {
	rng := rand.New(rand.NewPCG(seed, 7))
	one := lo + uint16(rng.IntN(int(hi-lo)+1))
	busy := make(map[uint16]bool)
	for p := int(lo); p <= int(hi); p++ {
		busy[uint16(p)] = rng.IntN(10) < 9
	}
	return []fakeTable{
		{"all-free", lo, hi, func(uint16) bool { return true }},
		{"none-free", lo, hi, func(uint16) bool { return false }},
		{"only-one", lo, hi, func(p uint16) bool { return p == one }},
		{"only-even", lo, hi, func(p uint16) bool { return p%2 == 0 }},
		{"only-odd", lo, hi, func(p uint16) bool { return p%2 == 1 }},
		{"90%-busy", lo, hi, func(p uint16) bool { return !busy[p] }},
	}
}

func anyFree(f fakeTable) bool {
	for p := int(f.lo); p <= int(f.hi); p++ {
		if f.free(uint16(p)) {
			return true
		}
	}
	return false
}

var testDst = netip.MustParseAddrPort("192.0.2.10:443")

func testRequest(info Info, lo, hi uint16, now time.Duration) *allocator.Request {
	return &allocator.Request{
		Kind: info.Kind, Src: netip.MustParseAddr("10.0.0.1"), Dst: testDst,
		Now: now, Lo: lo, Hi: hi,
	}
}

func TestInvariantsOnFakeTables(t *testing.T) {
	ranges := []allocator.Range{{Lo: 49152, Hi: 65535}, {Lo: 1000, Hi: 1063}, {Lo: 40000, Hi: 40001}}
	for _, info := range All() {
		t.Run(info.Name, func(t *testing.T) {
			for seed := uint64(0); seed < 100; seed++ {
				for _, rg := range ranges {
					for _, f := range fakeTables(rg.Lo, rg.Hi, seed) {
						checkPickOnFake(t, info, seed, f)
					}
				}
			}
		})
	}
}

func checkPickOnFake(t *testing.T, info Info, seed uint64, f fakeTable) {
	t.Helper()
	s, err := New(info.Name, seed)
	if err != nil {
		t.Fatal(err)
	}
	// Several picks in a row, so state carried between picks is exercised.
	for i := range 3 {
		asked := 0
		usable := func(p uint16) bool {
			asked++
			if p < f.lo || p > f.hi {
				t.Fatalf("seed %d %s: asked about port %d outside %d-%d", seed, f.name, p, f.lo, f.hi)
			}
			return f.free(p)
		}
		r := testRequest(info, f.lo, f.hi, time.Duration(i)*time.Second)
		port, probes, err := s.Pick(r, usable)
		if probes != asked {
			t.Fatalf("seed %d %s: reported %d probes, asked %d", seed, f.name, probes, asked)
		}
		if err != nil {
			if !errors.Is(err, allocator.ErrAddrNotAvail) {
				t.Fatalf("seed %d %s: error %v does not match ErrAddrNotAvail", seed, f.name, err)
			}
			if info.Exhaustive && anyFree(f) {
				t.Fatalf("seed %d %s: exhaustive strategy failed while a port was free", seed, f.name)
			}
			continue
		}
		if port < f.lo || port > f.hi {
			t.Fatalf("seed %d %s: port %d outside %d-%d", seed, f.name, port, f.lo, f.hi)
		}
		if !f.free(port) {
			t.Fatalf("seed %d %s: port %d is not usable", seed, f.name, port)
		}
	}
}

// On a real table with reserved ports and connections that stay open, no
// strategy hands out a reserved port, a port twice to one destination, or a
// port outside the range; exhaustive ones fill the range completely.
func TestInvariantsOnRealTable(t *testing.T) {
	rg := allocator.Range{Lo: 20000, Hi: 20255}
	reserved := []allocator.Range{{Lo: 20000, Hi: 20009}, {Lo: 20100, Hi: 20100}, {Lo: 20255, Hi: 20255}}
	nReserved := 12
	for _, info := range All() {
		t.Run(info.Name, func(t *testing.T) {
			for seed := uint64(0); seed < 100; seed++ {
				tab, err := allocator.NewTable(allocator.Config{Range: rg, Reserved: reserved, TimeWait: time.Minute})
				if err != nil {
					t.Fatal(err)
				}
				s, err := New(info.Name, seed)
				if err != nil {
					t.Fatal(err)
				}
				seen := map[uint16]bool{}
				var failures int
				for i := 0; i < rg.Size(); i++ {
					a, err := tab.Allocate(testRequest(info, 0, 0, time.Duration(i)*time.Millisecond), s)
					if err != nil {
						failures++
						continue
					}
					p := a.Conn.Port
					if !rg.Contains(p) || tab.Reserved(p) || seen[p] {
						t.Fatalf("seed %d: bad port %d (reserved %v, repeated %v)", seed, p, tab.Reserved(p), seen[p])
					}
					seen[p] = true
				}
				if info.Exhaustive && len(seen) != rg.Size()-nReserved {
					t.Fatalf("seed %d: exhaustive strategy took %d of %d usable ports", seed, len(seen), rg.Size()-nReserved)
				}
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	for _, info := range All() {
		t.Run(info.Name, func(t *testing.T) {
			run := func(seed uint64) []uint16 {
				tab, _ := allocator.NewTable(allocator.Config{Range: allocator.LinuxRange})
				s, _ := New(info.Name, seed)
				var ports []uint16
				for i := range 200 {
					r := testRequest(info, 0, 0, time.Duration(i)*100*time.Millisecond)
					r.Dst = netip.AddrPortFrom(testDst.Addr(), uint16(443+i%3))
					a, err := tab.Allocate(r, s)
					if err != nil {
						t.Fatal(err)
					}
					ports = append(ports, a.Conn.Port)
				}
				return ports
			}
			a, b, c := run(1), run(1), run(2)
			if !slices.Equal(a, b) {
				t.Fatal("same seed gave different ports")
			}
			if info.Name != "sequential" && slices.Equal(a, c) {
				t.Fatal("different seeds gave the same ports")
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct{ spec, want string }{
		{"nope", `unknown strategy "nope"`},
		{"sequential:bogus=1", `unknown parameter "bogus"`},
		{"sequential:start", `has no value`},
		{"sequential:start=x", `start="x"; want a whole number`},
	}
	for _, tt := range tests {
		_, err := New(tt.spec, 1)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%q) = %v; want error containing %q", tt.spec, err, tt.want)
		}
	}
}

func ExampleNew() {
	tab, _ := allocator.NewTable(allocator.Config{Range: allocator.DynamicRange})
	s, _ := New("sequential", 1)
	for range 3 {
		a, _ := tab.Allocate(&allocator.Request{
			Kind: allocator.Connect,
			Src:  netip.MustParseAddr("10.0.0.1"),
			Dst:  netip.MustParseAddrPort("192.0.2.1:443"),
		}, s)
		fmt.Println(a.Conn.Port)
	}
	// Output:
	// 49152
	// 49153
	// 49154
}
