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

// walkScanner is the Scanner contract done the slow way: it asks usable
// for each candidate in turn, as the loops do without a Scanner.
type walkScanner struct{ usable func(uint16) bool }

func (w walkScanner) Scan(lo uint16, size, pos, step, n int) (uint16, int, bool) {
	for i := range n {
		if p := lo + uint16(pos); w.usable(p) {
			return p, i + 1, true
		}
		if pos += step; pos >= size {
			pos -= size
		}
	}
	return 0, n, false
}

// Each shared loop asks for the candidates its algorithm names, in order,
// and hands the table's Scanner a walk that gives the same port, probes
// and state: over random windows, starts, steps, counters (some about to
// wrap at 2^32) and busy sets.
func TestScanLoopsScannerPath(t *testing.T) {
	type result struct {
		port   uint16
		i      uint32 // stepScan's distance walked
		ctr    uint32 // counterScan's counter after the scan
		probes int
		ok     bool
	}
	type loop struct {
		name string
		// run scans r from the case's start; want is the j-th candidate.
		run  func(r *allocator.Request, usable func(uint16) bool) result
		want func(j int) (port uint16, more bool)
	}
	rng := rand.New(rand.NewPCG(6056, 1))
	for trial := range 3000 {
		size := 1 + rng.IntN(200)
		lo := uint16(1 + rng.IntN(65535-size+1))
		start := rng.IntN(size)
		step := 1 + rng.IntN(3)
		ctr0 := rng.Uint32()
		if rng.IntN(3) == 0 {
			ctr0 = -uint32(rng.IntN(2 * size)) // wraps during some scans
		}
		loops := []loop{
			{"linearScan", func(r *allocator.Request, usable func(uint16) bool) result {
				port, probes, err := linearScan(r, start, usable)
				return result{port: port, probes: probes, ok: err == nil}
			}, func(j int) (uint16, bool) { return lo + uint16((start+j)%size), j < size }},
			{"stepScan", func(r *allocator.Request, usable func(uint16) bool) result {
				port, i, probes, ok := stepScan(r.Scan, uint32(lo), uint32(size), uint32(start), uint32(step), usable)
				return result{port: port, i: i, probes: probes, ok: ok}
			}, func(j int) (uint16, bool) { return lo + uint16((start+j*step)%size), j*step < size }},
			{"counterScan", func(r *allocator.Request, usable func(uint16) bool) result {
				ctr := ctr0
				port, probes, err := counterScan(r, uint64(start), &ctr, usable)
				return result{port: port, ctr: ctr, probes: probes, ok: err == nil}
			}, func(j int) (uint16, bool) {
				return lo + uint16((uint64(start)+uint64(ctr0+uint32(j)))%uint64(size)), j < size
			}},
		}
		busy := make([]bool, size)
		density := rng.Float64()
		for i := range busy {
			busy[i] = rng.Float64() < density
		}
		for _, l := range loops {
			var asked []uint16
			usable := func(p uint16) bool {
				asked = append(asked, p)
				return !busy[p-lo]
			}
			r := &allocator.Request{Lo: lo, Hi: lo + uint16(size-1)}
			slow := l.run(r, usable)
			for j, p := range asked {
				if want, more := l.want(j); !more || p != want {
					t.Fatalf("trial %d %s (lo %d size %d start %d step %d counter %d): candidate %d is %d; want %d (in the walk: %v)",
						trial, l.name, lo, size, start, step, ctr0, j, p, want, more)
				}
			}
			if _, more := l.want(len(asked)); !slow.ok && more {
				t.Fatalf("trial %d %s: gave up after %d candidates; the walk has more", trial, l.name, len(asked))
			}
			free := func(p uint16) bool { return !busy[p-lo] }
			r.Scan = walkScanner{free}
			calls := 0
			fast := l.run(r, func(p uint16) bool { calls++; return free(p) })
			// counterScan walks itself when its counter wraps mid-scan.
			walks := l.name == "counterScan" && uint64(ctr0)+uint64(size) > 1<<32
			if fast != slow || calls > 0 && !walks {
				t.Fatalf("trial %d %s (lo %d size %d start %d step %d counter %d): with a Scanner %+v (and %d usable calls), without %+v",
					trial, l.name, lo, size, start, step, ctr0, fast, calls, slow)
			}
		}
	}
}
