package allocator

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"
)

// refSocket is a socket in the naive reference model.
type refSocket struct {
	conn     Conn
	tuple    Tuple // the handle carries only the port; the model needs the addresses
	timeWait bool
	expiry   time.Duration
	closedAt time.Duration
}

// refModel answers usable() by scanning every socket: slow and obviously
// right, the oracle for the table's fast paths.
type refModel struct {
	cfg   Config
	socks []*refSocket
	now   time.Duration
}

func (m *refModel) advance(now time.Duration) {
	m.now = now
	kept := m.socks[:0]
	for _, s := range m.socks {
		if !s.timeWait || s.expiry > now {
			kept = append(kept, s)
		}
	}
	m.socks = kept
}

// busiestDst counts the connect() sockets, open or in TIME_WAIT, to each
// destination and returns the largest count.
func (m *refModel) busiestDst() int {
	n := map[netip.AddrPort]int{}
	most := 0
	for _, s := range m.socks {
		if s.conn.Kind == Connect {
			n[s.tuple.Dst]++
			most = max(most, n[s.tuple.Dst])
		}
	}
	return most
}

func (m *refModel) usable(r Request, p uint16) bool {
	if !m.cfg.Range.Contains(p) {
		return false
	}
	for _, rr := range m.cfg.Reserved {
		if rr.Contains(p) {
			return false
		}
	}
	loop := r.Src.IsLoopback() && r.Dst.Addr().IsLoopback()
	for _, s := range m.socks {
		t := s.tuple
		if t.Src != r.Src || t.SrcPort != p || (s.conn.Kind == UDP) != (r.Kind == UDP) {
			continue
		}
		switch {
		case r.Kind == UDP, s.conn.Kind == Bind, r.Kind == Bind:
			return false // exclusive owners, or bind needing the port unused
		case t.Dst != r.Dst:
			continue // connect users share a port across destinations
		case !s.timeWait:
			return false
		}
		reuse := m.cfg.TWReuse == TWReuseOn || (m.cfg.TWReuse == TWReuseLoopback && loop)
		if !reuse || m.now-s.closedAt < m.cfg.TWReuseDelay {
			return false
		}
	}
	return true
}

// randomPort proposes uniformly random candidates from a small range.
type randomPort struct{ rng *rand.Rand }

func (s randomPort) Pick(r *Request, usable func(uint16) bool) (uint16, int, error) {
	for i := 1; i <= 8; i++ {
		p := r.Lo + uint16(s.rng.IntN(r.Size()))
		if usable(p) {
			return p, i, nil
		}
	}
	return 0, 8, ErrAddrNotAvail
}

func TestTableMatchesReferenceModel(t *testing.T) {
	for _, threshold := range []int32{bitsThreshold, 2} {
		saved := bitsThreshold
		bitsThreshold = threshold
		t.Run(fmt.Sprintf("bits-from-%d", threshold), testAgainstReference)
		bitsThreshold = saved
	}
}

func testAgainstReference(t *testing.T) {
	srcs := []netip.Addr{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("127.0.0.1")}
	dsts := []netip.AddrPort{
		netip.MustParseAddrPort("192.0.2.1:443"), netip.MustParseAddrPort("192.0.2.2:443"),
		netip.MustParseAddrPort("192.0.2.1:80"), netip.MustParseAddrPort("127.0.0.9:80"),
	}
	for seed := uint64(0); seed < 30; seed++ {
		rng := rand.New(rand.NewPCG(seed, 99))
		cfg := Config{
			Range:        Range{Lo: 5000, Hi: 5011},
			Reserved:     []Range{{Lo: 5003, Hi: 5003}},
			TimeWait:     time.Duration(1+rng.IntN(5)) * time.Second,
			TWReuse:      TWReuse(rng.IntN(3)),
			TWReuseDelay: time.Duration(rng.IntN(2000)) * time.Millisecond,
		}
		tab, err := NewTable(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ref := &refModel{cfg: cfg}
		strat := randomPort{rand.New(rand.NewPCG(seed, 1))}
		var open []*refSocket
		var prev Request
		now := time.Duration(0)
		for step := 0; step < 3000; step++ {
			now += time.Duration(rng.IntN(300)) * time.Millisecond
			tab.Advance(now)
			ref.advance(now)
			r := &Request{Kind: Kind(rng.IntN(3)), Src: srcs[rng.IntN(2)], Dst: dsts[rng.IntN(len(dsts))], Now: now}
			if r.Src.IsLoopback() != r.Dst.Addr().IsLoopback() && rng.IntN(2) == 0 {
				r.Dst = dsts[3]
			}
			if step > 0 && rng.IntN(2) == 0 {
				// The same addresses and kind again, as a run asks: what
				// the table worked out for them must follow its changes.
				r.Kind, r.Src, r.Dst = prev.Kind, prev.Src, prev.Dst
			}
			prev = *r
			// Every answer must agree with the oracle.
			for p := uint16(4999); p <= 5012; p++ {
				if got, want := tab.Usable(r, p), ref.usable(*r, p); got != want {
					t.Fatalf("seed %d step %d: Usable(%v %v->%v, %d) = %v; reference says %v",
						seed, step, r.Kind, r.Src, r.Dst, p, got, want)
				}
			}
			checkScan(t, tab, *r, rng)
			if got, want := tab.Stats().BusiestDst, ref.busiestDst(); got != want {
				t.Fatalf("seed %d step %d: BusiestDst = %d; reference says %d", seed, step, got, want)
			}
			if rng.IntN(3) > 0 || len(open) == 0 {
				a, err := tab.Allocate(r, strat)
				if err != nil {
					continue
				}
				tuple := Tuple{Src: r.Src, SrcPort: a.Conn.Port, Dst: r.Dst}
				if a.TWReuse {
					for i, s := range ref.socks { // the reused TIME_WAIT entry leaves
						if s.timeWait && s.tuple == tuple {
							ref.socks = append(ref.socks[:i], ref.socks[i+1:]...)
							// Its handle was closed once; it must not close
							// the connection that now has its 4-tuple.
							if err := tab.Close(s.conn, Reset, now); err == nil {
								t.Fatalf("seed %d step %d: the closed handle of a 4-tuple reused from TIME_WAIT closed its new connection", seed, step)
							}
							break
						}
					}
				}
				s := &refSocket{conn: a.Conn, tuple: tuple}
				ref.socks = append(ref.socks, s)
				open = append(open, s)
				continue
			}
			i := rng.IntN(len(open))
			s := open[i]
			open = append(open[:i], open[i+1:]...)
			how := CloseHow(rng.IntN(3))
			if err := tab.Close(s.conn, how, now); err != nil {
				t.Fatalf("seed %d step %d: %v", seed, step, err)
			}
			if how == ClientFirst && s.conn.Kind != UDP {
				s.timeWait, s.closedAt, s.expiry = true, now, now+cfg.TimeWait
			} else {
				for j, x := range ref.socks {
					if x == s {
						ref.socks = append(ref.socks[:j], ref.socks[j+1:]...)
						break
					}
				}
			}
		}
	}
}

// checkScan compares Table.Scan with asking usable() candidate by
// candidate, over random windows of the small test range.
func checkScan(t *testing.T, tab *Table, r Request, rng *rand.Rand) {
	t.Helper()
	if err := tab.prepare(&r); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		step := 1 + rng.IntN(3)
		size := 1 + rng.IntN(12)
		lo := uint16(5000)
		pos := rng.IntN(size)
		n := rng.IntN(2*size + 1)
		checkScanWindow(t, tab, lo, size, pos, step, n)
	}
}
