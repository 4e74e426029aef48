package allocator

import "math/bits"

// bitset has one bit per port.
type bitset [1 << 16 / 64]uint64

func (b *bitset) set(p uint16)      { b[p>>6] |= 1 << (p & 63) }
func (b *bitset) clear(p uint16)    { b[p>>6] &^= 1 << (p & 63) }
func (b *bitset) has(p uint16) bool { return b[p>>6]&(1<<(p&63)) != 0 }

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
	if step < 1 || size < 1 || pos < 0 || pos >= size || int(lo)+size-1 > 65535 {
		panic("allocator: Scan called with an invalid window")
	}
	// Bitsets whose set bits are certainly unusable for this request.
	sp := t.curSpace
	a := &t.reserved
	b := &sp.owned
	var c *bitset
	switch t.cur.Kind {
	case Connect:
		reusable := t.cfg.TWReuse == TWReuseOn || (t.cfg.TWReuse == TWReuseLoopback && t.curLoop)
		if t.curDst >= 0 && !reusable {
			if bs := t.dstBits[t.curDst]; bs != nil && t.curLocal < len(bs) {
				c = bs[t.curLocal]
			}
		}
	default:
		b = &sp.busy // bind and UDP need the port unused altogether
	}
	var parity uint64 = ^uint64(0)
	if step == 2 {
		parity = 0x5555555555555555 // every other bit, from the candidate's own
	}
	q := pos
	for i := 0; i < n; {
		p := uint16(int(lo) + q)
		w := a[p>>6] | b[p>>6]
		if c != nil {
			w |= c[p>>6]
		}
		off := uint(p & 63)
		if (w>>off)&1 == 0 {
			// Not provably busy: the table's rule decides.
			i++
			if t.verdict(p) <= reasonTWReusable {
				return p, i, true
			}
			q += step
			if q >= size {
				q -= size
			}
			continue
		}
		// Skip the run of provably busy candidates in this word, stopping
		// at the word's end, the window's end and the scan's end.
		limit := 64 - int(off)
		if wrap := size - q; wrap < limit {
			limit = wrap
		}
		skip := 1 // candidates skipped; the current one is busy
		if step <= 2 {
			// Bit offset of the next candidate not provably busy; the
			// shift brings in zeros, so it is at most the word's end.
			k := bits.TrailingZeros64(^w >> off & parity)
			if k > limit {
				k = limit
			}
			skip = (k + step - 1) / step
		}
		if rest := n - i; skip > rest {
			skip = rest
		}
		i += skip
		q += skip * step
		if q >= size {
			q -= size
		}
	}
	return 0, n, false
}
