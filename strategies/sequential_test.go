package strategies

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/portsim/portsim/allocator"
)

// sequential: 49152, 49153, … up the dynamic range, then wraps to the low
// end, skipping ports still taken and those reserved.
func TestSequentialCountsUpAndWraps(t *testing.T) {
	tab, err := allocator.NewTable(allocator.Config{
		Range:    allocator.Range{Lo: 65530, Hi: 65535},
		Reserved: []allocator.Range{{Lo: 65531, Hi: 65531}},
	})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := New("sequential", 1)
	src := netip.MustParseAddr("10.0.0.1")
	// Free the first two after the fourth: the wrap finds them again.
	got := allocateFreeing(t, tab, s, allocator.Connect, 8, 3, 2)
	want := []uint16{65530, 65532, 65533, 65534, 65535, 65530, 65532, 0}
	if !slices.Equal(got, want) {
		t.Fatalf("ports %v; want %v", got, want)
	}
	// From the RFC 6335 range's low end, by one.
	tab2, _ := allocator.NewTable(allocator.Config{Range: allocator.DynamicRange})
	s2, _ := New("sequential", 1)
	for i, want := range []uint16{49152, 49153, 49154, 49155} {
		a, err := tab2.Allocate(&allocator.Request{Kind: allocator.Connect, Src: src, Dst: testDst}, s2)
		if err != nil || a.Conn.Port != want {
			t.Fatalf("allocation %d: port %d, %v; want %d", i, a.Conn.Port, err, want)
		}
	}
}

// direction=down (NetBSD's "bsd"): 65535, 65534, … skipping taken and
// reserved ports, wrapping from the low end back to the high end.
func TestSequentialCountsDownAndWraps(t *testing.T) {
	tab, err := allocator.NewTable(allocator.Config{
		Range:    allocator.Range{Lo: 65530, Hi: 65535},
		Reserved: []allocator.Range{{Lo: 65533, Hi: 65533}},
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New("sequential:direction=down", 1)
	if err != nil {
		t.Fatal(err)
	}
	// Free the first after the third: the wrap finds it again.
	got := allocateFreeing(t, tab, s, allocator.Bind, 7, 2, 1)
	want := []uint16{65535, 65534, 65532, 65531, 65530, 65535, 0}
	if !slices.Equal(got, want) {
		t.Fatalf("ports %v; want %v", got, want)
	}
	if _, err := New("sequential:direction=sideways", 1); err == nil {
		t.Fatal("direction=sideways accepted")
	}
}

// allocateFreeing makes n requests of kind, a second apart, and resets the
// first free connections right after request number freeAfter (from 0). It
// returns the ports handed out, 0 for a failure.
func allocateFreeing(t *testing.T, tab *allocator.Table, s allocator.Strategy, kind allocator.Kind, n, freeAfter, free int) []uint16 {
	t.Helper()
	src := netip.MustParseAddr("10.0.0.1")
	var got []uint16
	var conns []allocator.Conn
	for i := range n {
		r := allocator.Request{Kind: kind, Src: src, Dst: testDst, Now: time.Duration(i) * time.Second}
		a, err := tab.Allocate(&r, s)
		if err != nil {
			got = append(got, 0)
			continue
		}
		got = append(got, a.Conn.Port)
		conns = append(conns, a.Conn)
		if i == freeAfter {
			for _, c := range conns[:free] {
				if err := tab.Close(c, allocator.Reset, r.Now); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return got
}
