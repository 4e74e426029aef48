package allocator

import "math/bits"

// bitset has one bit per port, and a summary of its 64-port words: bit w
// of full[0] says every even port of word w is set, of full[1] every odd
// one. A scan passes a run of full words 64 words (4096 ports) at a time,
// which is what a range mostly held in TIME_WAIT needs.
type bitset struct {
	words [1 << 16 / 64]uint64
	full  [2][1 << 16 / 64 / 64]uint64
	n     [2]int // bits set, of even and of odd ports
}

// evenBits marks the even bit positions of a word; shifted left by one,
// the odd ones. Ports and bit positions share parity since 64 is even.
const evenBits = 0x5555555555555555

func (b *bitset) set(p uint16) {
	w, bit, parity := p>>6, uint64(1)<<(p&63), p&1
	if b.words[w]&bit == 0 {
		b.n[parity]++
	}
	b.words[w] |= bit
	if mask := uint64(evenBits) << parity; b.words[w]&mask == mask {
		b.full[parity][w>>6] |= 1 << (w & 63)
	}
}

// clear leaves a clear bit alone, as a port's owned bit is whenever a
// 4-tuple goes: its word's summary bit is clear already.
func (b *bitset) clear(p uint16) {
	w, bit, parity := p>>6, uint64(1)<<(p&63), p&1
	if b.words[w]&bit == 0 {
		return
	}
	b.n[parity]--
	b.words[w] &^= bit
	b.full[parity][w>>6] &^= 1 << (w & 63)
}

func (b *bitset) has(p uint16) bool { return b.words[p>>6]&(1<<(p&63)) != 0 }

// Scanner is an optional capability a table offers strategies, found in
// Request.Scan: it examines a run of evenly spaced candidates at once. The
// candidates are the ports lo + (pos + i*step) taken modulo size into the
// window [lo, lo+size) — a position at or past size wraps to position-size,
// as Linux's "port -= remaining" does — for i from 0 to n-1. It returns the
// first usable one and how many candidates were examined up to and
// including it (or n, when none is usable).
//
// A scan gives exactly the port and probe count that asking usable() for
// each candidate in turn would: it only skips candidates it can prove
// unusable, and asks the table's own rule for the rest.
type Scanner interface {
	Scan(lo uint16, size, pos, step, n int) (port uint16, examined int, ok bool)
}

// Scan implements Scanner for the request being picked.
func (t *Table) Scan(lo uint16, size, pos, step, n int) (uint16, int, bool) {
	if step < 1 || size < 1 || uint(pos) >= uint(size) || int(lo)+size > 1<<16 {
		panic("allocator: Scan called with an invalid window")
	}
	// Bitsets whose set bits are certainly unusable for this request; c
	// may be nil.
	c := t.scanDst
	if c != nil && t.fullPassIsBusy(c, lo, size, pos, step, n) {
		return 0, n, false
	}
	a, b := &t.reserved, t.scanBusy
	var parity uint64 = ^uint64(0)
	if step == 2 {
		parity = evenBits // every other bit, from the candidate's own
	}
	q := pos
	for i := 0; i < n; {
		p := uint16(int(lo) + q)
		wi := p >> 6
		w := a.words[wi] | b.words[wi]
		if c != nil {
			w |= c.words[wi]
		}
		off := uint(p & 63)
		if (w>>off)&1 == 0 {
			// Not provably busy: the table's rule decides. A port in the
			// range with no 4-tuple is free, the bits having ruled out
			// the reserved and owned (or, for bind and UDP, busy) ones.
			i++
			if p >= t.cfg.Range.Lo && p <= t.cfg.Range.Hi && t.curSpace.ports[p].tuples == 0 || t.verdict(p) <= reasonTWReusable {
				t.approved = int32(p)
				return p, i, true
			}
			q += step
			if q >= size {
				q -= size
			}
			continue
		}
		// Skip provably busy candidates: those left in this word, and if
		// that is all of them, the run of full words after it. Either
		// stops at the window's end and the scan's end.
		dist := 1 // ports to the next candidate that may be usable
		if step <= 2 {
			// Bit offset of the next candidate not provably busy; the
			// shift brings in zeros, so it is 64 when there is none.
			dist = bits.TrailingZeros64(^w >> off & parity)
			if rest := 64 - int(off); dist >= rest {
				next := (int(wi) + 1 + fullRun(int(wi)+1, int(p&1), step, a, b, c)) << 6
				if step == 2 {
					next += int(p & 1)
				}
				dist = next - int(p)
			}
		}
		dist = max(1, min(dist, size-q)) // 1 when a step larger than the window overshoots
		skip := dist                     // candidates passed: ⌈dist/step⌉, without a division
		switch {
		case step == 2:
			skip = (dist + 1) >> 1
		case step > 2:
			skip = 1 // dist is 1: only the current candidate is known busy
		}
		skip = min(skip, n-i)
		i += skip
		q += skip * step
		if q >= size {
			q -= size
		}
	}
	return 0, n, false
}

// fullPassIsBusy reports, from counts alone, that every candidate of a
// scan is in c, a destination's bitset: the scan covers the whole range (a
// linux pass over one parity, or a full pass with step 1) and c has as
// many ports of the candidates' parity as there are candidates. c holds
// ports of the range only, so the counts can match only if every one is
// set. This answers Linux's first pass, which fails on a range held in
// TIME_WAIT, without walking it.
func (t *Table) fullPassIsBusy(c *bitset, lo uint16, size, pos, step, n int) bool {
	if lo != t.cfg.Range.Lo || size < t.rangeSize {
		return false
	}
	if step == 2 { // one parity, size/2 candidates
		half := size >> 1
		return size&1 == 0 && n >= half && c.n[(int(lo)+pos)&1] >= half
	}
	return step == 1 && n >= size && c.n[0]+c.n[1] >= size
}

// fullRun counts the words from word wi on that are full for the
// candidates of a scan with this step (1: every port; 2: the ports of
// this parity) in at least one of the bitsets; c may be nil. A word is
// full if one bitset alone covers it, which is the common case (one
// destination's TIME_WAITs), and always a sound reason to skip it.
func fullRun(wi, parity, step int, a, b, c *bitset) int {
	run := 0
	shift := uint(wi & 63)
	for j := wi >> 6; j < len(a.full[0]); j++ {
		f := fullWord(j, parity, step, a) | fullWord(j, parity, step, b)
		if c != nil {
			f |= fullWord(j, parity, step, c)
		}
		// The shift brings in zeros, so the count stops at the word's end.
		n := bits.TrailingZeros64(^(f >> shift))
		run += n
		if n < 64-int(shift) {
			break
		}
		shift = 0
	}
	return run
}

// fullWord is summary word j of s for the scan's candidates.
func fullWord(j, parity, step int, s *bitset) uint64 {
	if step == 1 {
		return s.full[0][j] & s.full[1][j]
	}
	return s.full[parity][j]
}
