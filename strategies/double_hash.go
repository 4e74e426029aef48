package strategies

import (
	"encoding/binary"
	"math/bits"
	"net/netip"

	"github.com/portsim/portsim/allocator"
)

const (
	streamDoubleHashF     = 40 // key of F, the offset
	streamDoubleHashG     = 41 // key of G, the table index
	streamDoubleHashTable = 42 // the table's random fill
)

func init() {
	register(Info{
		Name:        "double-hash",
		Description: "RFC 6056 §3.3.4 Algorithm 4: keyed hash plus a counter from a table indexed by a second keyed hash",
		Systems:     "Linux 5.12–5.17.8 used 256 counters",
		How:         "RFC 6056 Algorithm 4: a second keyed hash picks one of a table of counters, so destinations mostly advance their own counter.",
		Params: []Param{
			{Name: "table-length", Default: "10", Help: "number of counters (TABLE_LENGTH); 10 is the RFC's example, Linux used 256 and now 65536; 1 makes it Algorithm 3"},
		},
		Exhaustive: true,
		Kind:       allocator.Connect,
		Range:      allocator.DynamicRange,
		build: func(seed uint64, p *Params) (allocator.Strategy, error) {
			return newDoubleHash(seed, p.Int("table-length", 1, 1<<20)), nil
		},
	})
}

// DoubleHash is RFC 6056 Algorithm 4, the Double-Hash Port Selection
// Algorithm: port = min + (F(flow, key1) + table[G(flow, key2) % length]) %
// num, and the chosen counter advances by one per try. Destinations whose G
// falls on different counters walk independently, so one destination's
// allocations no longer reveal themselves in another's ports (Algorithm 3's
// leak) — unless the two share a counter, which is what the Kol, Klein and
// Gilad device-tracking attack finds. Build it with New("double-hash", seed).
//
// The counters are filled with random() % 65536 as in the RFC, but are
// uint32 rather than the RFC's shorts, as in Linux: 2^16 is not a multiple
// of most range sizes, so a 16-bit wrap would jump the walk.
type DoubleHash struct {
	keyF, keyG sipKey
	table      []uint32
}

func newDoubleHash(seed uint64, length int) *DoubleHash {
	rng := newRand(seed, streamDoubleHashTable)
	table := make([]uint32, length)
	for i := range table {
		table[i] = uint32(rng.IntN(1 << 16))
	}
	return &DoubleHash{
		keyF:  newSipKey(seed, streamDoubleHashF),
		keyG:  newSipKey(seed, streamDoubleHashG),
		table: table,
	}
}

// index is the table entry G chooses for hash value g.
func (s *DoubleHash) index(g uint64) int { return int(g % uint64(len(s.table))) }

// Pick implements allocator.Strategy.
func (s *DoubleHash) Pick(r *allocator.Request, usable func(uint16) bool) (uint16, int, error) {
	f, g := flowHashPair(s.keyF, s.keyG, r.Src, r.Dst)
	off := f % uint64(r.Size())
	i := s.index(g)
	ctr := &s.table[i]
	if r.Trace != nil {
		traceHash(r.Trace, "F", s.keyF, r, f)
		traceHash(r.Trace, "G", s.keyG, r, g)
		r.Trace.Addf("index", 0, "index = G %% table-length = %#x %% %d = %d", g, len(s.table), i)
		r.Trace.Addf("offset", 0, "offset = F %% num = %#x %% %d = %d", f, r.Size(), off)
		traceCounter(r.Trace, r, off, "table[index]", *ctr)
	}
	before := *ctr
	port, probes, err := counterScan(r, off, ctr, usable)
	if r.Trace != nil {
		r.Trace.Addf("update", port, "table[%d] %d → %d (+%d, one per try; the other %d counters are unchanged)", i, before, *ctr, probes, len(s.table)-1)
	}
	return port, probes, err
}

// Shape is the strategy's likelihood shape: a per-destination offset plus one
// of the table's counters, +1 per connection.
func (s *DoubleHash) Shape(r allocator.Range) Shape {
	return Shape{Family: Counter, Range: r, Ports: r.Size(), Step: 1, MaxAdvance: 1, Counters: len(s.table)}
}

// flowHashPair returns flowHash(ka, src, dst, 0) and flowHash(kb, src, dst,
// 0). For IPv4 it runs the two SipHash-2-4 computations side by side over
// flowHash's 16-byte message: they share no data, so the CPU overlaps them
// and the pair costs little more than one hash (Pick's budget is 100 ns).
func flowHashPair(ka, kb sipKey, src netip.Addr, dst netip.AddrPort) (uint64, uint64) {
	daddr := dst.Addr()
	if !src.Is4() || !daddr.Is4() {
		return flowHash(ka, src, dst, 0), flowHash(kb, src, dst, 0)
	}
	s4, d4 := src.As4(), daddr.As4()
	// flowHash's message as little-endian words: saddr, daddr; dport's
	// network-order bytes, two zero bytes, extra = 0.
	m0 := uint64(binary.LittleEndian.Uint32(s4[:])) | uint64(binary.LittleEndian.Uint32(d4[:]))<<32
	m1 := uint64(bits.ReverseBytes16(dst.Port()))
	a0, a1, a2, a3 := ka.k0^0x736f6d6570736575, ka.k1^0x646f72616e646f6d, ka.k0^0x6c7967656e657261, ka.k1^0x7465646279746573
	b0, b1, b2, b3 := kb.k0^0x736f6d6570736575, kb.k1^0x646f72616e646f6d, kb.k0^0x6c7967656e657261, kb.k1^0x7465646279746573
	// Two message words, then the final word holding the length (16).
	for _, m := range [3]uint64{m0, m1, 16 << 56} {
		a3 ^= m
		b3 ^= m
		for range 2 {
			a0, a1, a2, a3 = sipRoundOf(a0, a1, a2, a3)
			b0, b1, b2, b3 = sipRoundOf(b0, b1, b2, b3)
		}
		a0 ^= m
		b0 ^= m
	}
	a2 ^= 0xff
	b2 ^= 0xff
	for range 4 {
		a0, a1, a2, a3 = sipRoundOf(a0, a1, a2, a3)
		b0, b1, b2, b3 = sipRoundOf(b0, b1, b2, b3)
	}
	return a0 ^ a1 ^ a2 ^ a3, b0 ^ b1 ^ b2 ^ b3
}

// sipRoundOf is one SipRound of SipHash.
func sipRoundOf(v0, v1, v2, v3 uint64) (uint64, uint64, uint64, uint64) {
	v0 += v1
	v1 = bits.RotateLeft64(v1, 13) ^ v0
	v0 = bits.RotateLeft64(v0, 32)
	v2 += v3
	v3 = bits.RotateLeft64(v3, 16) ^ v2
	v0 += v3
	v3 = bits.RotateLeft64(v3, 21) ^ v0
	v2 += v1
	v1 = bits.RotateLeft64(v1, 17) ^ v2
	v2 = bits.RotateLeft64(v2, 32)
	return v0, v1, v2, v3
}
