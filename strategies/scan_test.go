package strategies

import (
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/portsim/portsim/allocator"
)

// noScan hides the table's Scanner, so the strategy asks usable() for
// every candidate.
type noScan struct{ s allocator.Strategy }

func (n noScan) Pick(r *allocator.Request, usable func(uint16) bool) (uint16, int, error) {
	bare := *r // the request is lent: change a copy
	bare.Scan = nil
	return n.s.Pick(&bare, usable)
}

// The fast path must not change a single chosen port or probe count: run
// each strategy through a saturated workload with and without it.
func TestScanFastPathChangesNothing(t *testing.T) {
	dsts := []netip.AddrPort{
		netip.MustParseAddrPort("192.0.2.1:443"), netip.MustParseAddrPort("192.0.2.2:443"),
		netip.MustParseAddrPort("192.0.2.1:80"),
	}
	src := netip.MustParseAddr("10.0.0.1")
	for _, info := range All() {
		t.Run(info.Name, func(t *testing.T) {
			for seed := uint64(0); seed < 5; seed++ {
				type pick struct {
					port   uint16
					probes int
					failed bool
				}
				run := func(wrap bool) []pick {
					tab, err := allocator.NewTable(allocator.Config{
						Range: allocator.Range{Lo: 40000, Hi: 40599}, Reserved: []allocator.Range{{Lo: 40100, Hi: 40163}},
						TimeWait: 30 * time.Second,
					})
					if err != nil {
						t.Fatal(err)
					}
					s, _ := New(info.Name, seed)
					if wrap {
						s = noScan{s}
					}
					rng := rand.New(rand.NewPCG(seed, 3))
					var open []allocator.Conn
					var out []pick
					for i := range 3000 {
						now := time.Duration(i) * 20 * time.Millisecond
						r := allocator.Request{Kind: info.Kind, Src: src, Dst: dsts[rng.IntN(len(dsts))], Now: now}
						if rng.IntN(4) == 0 {
							r.Kind = allocator.Kind(rng.IntN(3))
						}
						a, err := tab.Allocate(&r, s)
						out = append(out, pick{a.Conn.Port, a.Probes, err != nil})
						if err == nil {
							open = append(open, a.Conn)
						}
						for len(open) > 400 {
							j := rng.IntN(len(open))
							if err := tab.Close(open[j], allocator.ClientFirst, now); err != nil {
								t.Fatal(err)
							}
							open = append(open[:j], open[j+1:]...)
						}
					}
					return out
				}
				fast, slow := run(false), run(true)
				for i := range fast {
					if fast[i] != slow[i] {
						t.Fatalf("seed %d pick %d: with Scan %+v, without %+v", seed, i, fast[i], slow[i])
					}
				}
			}
		})
	}
}
