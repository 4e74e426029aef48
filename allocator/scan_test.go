package allocator

import (
	"math/bits"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"
)

// wantFull recomputes summary bit (parity, w) of b from its words.
func wantFull(b *bitset, parity, w int) bool {
	mask := uint64(evenBits) << parity
	return b.words[w]&mask == mask
}

func TestBitsetSummaryFollowsWords(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var b bitset
	// Ports from a few words, so that words fill and empty again.
	words := []uint16{0, 1, 63, 64, 500, 1023}
	sawFull := 0
	for i := range 200000 {
		p := words[rng.IntN(len(words))]<<6 | uint16(rng.IntN(64))
		// Phases of mostly setting and mostly clearing fill words and
		// empty them again.
		if setShare := 2 + 7*(i/5000%2); rng.IntN(10) < setShare {
			b.set(p)
		} else {
			b.clear(p)
		}
		if !b.has(p) == (b.words[p>>6]&(1<<(p&63)) != 0) {
			t.Fatalf("op %d: has(%d) disagrees with the word", i, p)
		}
		for parity := range 2 {
			w := int(p >> 6)
			if got := b.full[parity][w>>6]&(1<<(w&63)) != 0; got != wantFull(&b, parity, w) {
				t.Fatalf("op %d on port %d: full[%d] bit of word %d = %v; word is %016x", i, p, parity, w, got, b.words[w])
			} else if got {
				sawFull++
			}
		}
	}
	for w := range b.words {
		for parity := range 2 {
			if got := b.full[parity][w>>6]&(1<<(w&63)) != 0; got != wantFull(&b, parity, w) {
				t.Fatalf("word %d parity %d: summary %v, word %016x", w, parity, got, b.words[w])
			}
		}
	}
	var set [2]int
	for _, w := range b.words {
		set[0] += bits.OnesCount64(w & evenBits)
		set[1] += bits.OnesCount64(w &^ evenBits)
	}
	if b.n != set {
		t.Fatalf("counts say %v bits set (even, odd); the words hold %v", b.n, set)
	}
	if sawFull < 1000 {
		t.Fatal("no word ever filled: the test does not reach the summary")
	}
}

// portList hands out the ports of a list in order, skipping unusable ones.
type portList struct {
	ports []uint16
	next  int
}

func (s *portList) Pick(r *Request, usable func(uint16) bool) (uint16, int, error) {
	for s.next < len(s.ports) {
		p := s.ports[s.next]
		s.next++
		if usable(p) {
			return p, 1, nil
		}
	}
	return 0, 1, ErrAddrNotAvail
}

// A range held mostly in TIME_WAIT by one destination, with a few free,
// bound and shared ports, is where Scan skips whole runs of full words:
// it must agree with asking usable() for each candidate, for every kind,
// step and window.
func TestScanAgreesOnMostlyFullRange(t *testing.T) {
	src := netip.MustParseAddr("10.0.0.1")
	busyDst := netip.MustParseAddrPort("192.0.2.1:80")
	otherDst := netip.MustParseAddrPort("192.0.2.2:80")
	settled := 0 // whole-range scans settled by counts alone
	for seed := uint64(0); seed < 8; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		cfg := Config{Range: Range{Lo: 1024, Hi: 65535}, TimeWait: time.Minute}
		if seed/4 == 1 { // seeds 4-7: every mode again on Linux's range with reserved ports
			cfg.Range = LinuxRange
			cfg.Reserved = []Range{{Lo: 40000, Hi: 40999}}
		}
		tab, err := NewTable(cfg)
		if err != nil {
			t.Fatal(err)
		}
		// Every port to busyDst, closed client-first, except holes: a
		// sprinkle, and odd ports in some words so parity matters (mode 0);
		// the odd ones only, so every even port is held (mode 1); none
		// (mode 2); one even port (mode 3). Modes 1 and 2 are where counts
		// alone settle a scan, mode 3 where they must not.
		var ports []uint16
		oneHole := int(cfg.Range.Lo) + 2*rng.IntN(cfg.Range.Size()/2)
		for p := int(cfg.Range.Lo); p <= int(cfg.Range.Hi); p++ {
			oddHole := (p>>6)%7 == 3 && p%2 == 1
			switch seed % 4 {
			case 0:
				if rng.IntN(400) == 0 || oddHole {
					continue
				}
			case 1:
				if oddHole {
					continue
				}
			case 3:
				if p == oneHole {
					continue
				}
			}
			ports = append(ports, uint16(p))
		}
		s := &portList{ports: ports}
		for {
			a, err := tab.Allocate(&Request{Kind: Connect, Src: src, Dst: busyDst}, s)
			if err != nil {
				break
			}
			if err := tab.Close(a.Conn, ClientFirst, 0); err != nil {
				t.Fatal(err)
			}
		}
		// A few bound ports and connections to another destination.
		for range 50 {
			p := cfg.Range.Lo + uint16(rng.IntN(cfg.Range.Size()))
			kind := Bind
			if rng.IntN(2) == 0 {
				kind = Connect
			}
			tab.Allocate(&Request{Kind: kind, Src: src, Dst: otherDst}, &portList{ports: []uint16{p}})
		}
		for _, r := range []Request{
			{Kind: Connect, Src: src, Dst: busyDst},
			{Kind: Connect, Src: src, Dst: otherDst},
			{Kind: Bind, Src: src, Dst: busyDst},
			{Kind: UDP, Src: src, Dst: busyDst},
		} {
			if err := tab.prepare(&r); err != nil {
				t.Fatal(err)
			}
			for range 300 {
				size := 1 + rng.IntN(cfg.Range.Size())
				lo := cfg.Range.Lo + uint16(rng.IntN(cfg.Range.Size()-size+1))
				step := 1 + rng.IntN(3)
				pos := rng.IntN(size)
				n := rng.IntN(size/step + 2)
				checkScanWindow(t, tab, lo, size, pos, step, n)
			}
			// Windows reaching past either end of the range, whose ports
			// there are unusable.
			for range 60 {
				lo := max(int(cfg.Range.Lo)-1-rng.IntN(300), 1)
				size := 2 + rng.IntN(600)
				if rng.IntN(2) == 0 {
					lo = int(cfg.Range.Hi) - rng.IntN(300)
				}
				size = min(size, 1<<16-lo)
				step := 1 + rng.IntN(3)
				checkScanWindow(t, tab, uint16(lo), size, rng.IntN(size), step, rng.IntN(size/step+2))
			}
			// Full passes over the whole range, as Linux and the RFC 6056
			// scans make, and over parts of it.
			for _, step := range []int{1, 2} {
				for i := range 40 {
					lo, size := cfg.Range.Lo, cfg.Range.Size()
					if i%2 == 1 {
						size = 2 + rng.IntN(size-2)
						lo += uint16(rng.IntN(cfg.Range.Size() - size + 1))
					}
					pos := rng.IntN(size)
					n := size / step
					if c := tab.dstBits[max(tab.curDst, 0)]; tab.curDst >= 0 && c != nil && tab.fullPassIsBusy(c[0], lo, size, pos, step, n) {
						settled++
					}
					checkScanWindow(t, tab, lo, size, pos, step, n)
				}
			}
		}
	}
	if settled == 0 {
		t.Fatal("no whole-range scan was settled by counts: the test misses that path")
	}
}

// checkScanWindow compares one Scan with asking usable() one by one.
func checkScanWindow(t *testing.T, tab *Table, lo uint16, size, pos, step, n int) {
	t.Helper()
	wantPort, wantN, wantOK := uint16(0), n, false
	q := pos
	for i := 0; i < n; i++ {
		p := lo + uint16(q)
		if tab.usable(p) {
			wantPort, wantN, wantOK = p, i+1, true
			break
		}
		q += step
		if q >= size {
			q -= size
		}
	}
	port, got, ok := tab.Scan(lo, size, pos, step, n)
	if port != wantPort || got != wantN || ok != wantOK {
		t.Fatalf("%v to dst id %d: Scan(lo %d, size %d, pos %d, step %d, n %d) = %d, %d, %v; one by one: %d, %d, %v",
			tab.curKind, tab.curDst, lo, size, pos, step, n, port, got, ok, wantPort, wantN, wantOK)
	}
}
