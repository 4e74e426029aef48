package strategies

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/portsim/portsim/allocator"
)

// fixedPort is a strategy that takes one given port, used to fill tables.
type fixedPort uint16

func (f fixedPort) Pick(r *allocator.Request, usable func(uint16) bool) (uint16, int, error) {
	if usable(uint16(f)) {
		return uint16(f), 1, nil
	}
	return 0, 1, allocator.ErrAddrNotAvail
}

// occupiedTable returns a table on Linux's default range where the given
// share of ports is in use by kind-requests to one destination, at random
// positions (fixed seed).
func occupiedTable(tb testing.TB, kind allocator.Kind, occupancy float64) (*allocator.Table, allocator.Request) {
	tab, err := allocator.NewTable(allocator.Config{Range: allocator.LinuxRange, TimeWait: allocator.DefaultTimeWait})
	if err != nil {
		tb.Fatal(err)
	}
	req := allocator.Request{
		Kind: kind,
		Src:  netip.MustParseAddr("10.0.0.1"),
		Dst:  netip.MustParseAddrPort("192.0.2.10:443"),
	}
	rg := allocator.LinuxRange
	ports := make([]uint16, 0, rg.Size())
	for p := int(rg.Lo); p <= int(rg.Hi); p++ {
		ports = append(ports, uint16(p))
	}
	rng := rand.New(rand.NewPCG(42, 42))
	rng.Shuffle(len(ports), func(i, j int) { ports[i], ports[j] = ports[j], ports[i] })
	for _, p := range ports[:int(occupancy*float64(len(ports)))] {
		if _, err := tab.Allocate(&req, fixedPort(p)); err != nil {
			tb.Fatal(err)
		}
	}
	return tab, req
}

// BenchmarkPick measures one Pick (strategy plus table look-ups) at several
// occupancies. Target: under 100 ns and 0 allocs at 50 %.
func BenchmarkPick(b *testing.B) {
	for _, info := range All() {
		for _, occ := range []float64{0, 0.5, 0.9, 0.99} {
			b.Run(fmt.Sprintf("%s/%d%%", info.Name, int(occ*100)), func(b *testing.B) {
				tab, req := occupiedTable(b, info.Kind, occ)
				s, err := New(info.Name, 1)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if _, _, err := tab.Pick(&req, s); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
