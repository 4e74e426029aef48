package allocator

import (
	"fmt"
	"net/netip"
	"testing"
	"time"
)

// BenchmarkLifecycle is one connection's life in the table: allocate,
// close client-first, and its TIME_WAIT expiry, at a steady state of about
// 28k 4-tuples in TIME_WAIT to one destination.
// With close-at, the close is handed over at the allocation (CloseAt,
// 10 ms later), as the simulator does.
func BenchmarkLifecycle(b *testing.B) {
	for _, ahead := range []bool{false, true} {
		name := "close"
		if ahead {
			name = "close-at"
		}
		b.Run(name, func(b *testing.B) {
			tab, _ := NewTable(Config{Range: LinuxRange, TimeWait: time.Minute})
			s := &cycle{}
			r := req(Connect, src, dstA, 0)
			step := time.Minute / time.Duration(LinuxRange.Size()-100)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r.Now = time.Duration(i) * step
				a, err := tab.Allocate(r, s)
				if err != nil {
					b.Fatal(err)
				}
				if ahead {
					err = tab.CloseAt(a.Conn, ClientFirst, r.Now+10*time.Millisecond)
				} else {
					err = tab.Close(a.Conn, ClientFirst, r.Now)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkUsable is the question strategies ask, on a port shared by
// another destination's connection (a map look-up).
func BenchmarkUsable(b *testing.B) {
	tab, _ := NewTable(Config{Range: LinuxRange})
	// dstA has a 4-tuple elsewhere, so the question needs the map.
	if _, err := tab.Allocate(req(Connect, src, dstB, 0), take{40000}); err != nil {
		b.Fatal(err)
	}
	if _, err := tab.Allocate(req(Connect, src, dstA, 0), take{40001}); err != nil {
		b.Fatal(err)
	}
	if err := tab.prepare(&Request{Kind: Connect, Src: src, Dst: dstA}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if !tab.usable(40000) {
			b.Fatal("port should be usable")
		}
	}
}

func ExampleTable_Allocate() {
	tab, _ := NewTable(Config{Range: Range{Lo: 50000, Hi: 50009}, TimeWait: time.Minute})
	dst := netip.MustParseAddrPort("192.0.2.1:443")
	r := Request{Kind: Connect, Src: netip.MustParseAddr("10.0.0.1"), Dst: dst}
	a, _ := tab.Allocate(&r, take{50000})
	_ = tab.Close(a.Conn, ClientFirst, 0)
	// The same 4-tuple is in TIME_WAIT for a minute; the next port is used.
	b, _ := tab.Allocate(&r, take{50000, 50001})
	fmt.Println(a.Conn.Port, b.Conn.Port, b.Probes)
	// Output: 50000 50001 2
}
