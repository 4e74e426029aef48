package capture

import (
	"math/bits"
	"math/rand/v2"
)

// flowTable remembers flows, each by a 12-byte key — its protocol, both
// address indices and both ports — with the sequence number of its last
// SYN (TCP). It is an open-addressing table with linear probing, so that
// looking a flow up and adding it when it is new are one walk, and its
// 16-byte slots hold no pointers. It grows eightfold when three quarters
// full — moving every flow is a cache miss each, and growing by less moved
// as many flows as the capture has in all — up to the size that holds the
// most flows it is to remember (not a power of two, so that a full table
// takes 21 MiB for the default 2^20 flows, not 32).
type flowTable struct {
	slots []flowSlot
	n     int    // slots in use
	max   int    // the most slots
	seed  uint64 // keeps crafted captures from choosing collisions
}

type flowSlot struct {
	addrs uint64 // flowKey's: 0 marks an empty slot
	ports uint32
	isn   uint32
}

// flowKey packs a flow: udp<<63 | (src+1)<<32 | dst+1, never 0 since
// indices are below maxAddrs; and sport<<16 | dport.
type flowKey struct {
	addrs uint64
	ports uint32
}

func newFlowKey(proto Proto, src, dst uint32, sport, dport uint16) flowKey {
	k := flowKey{addrs: uint64(src+1)<<32 | uint64(dst+1), ports: uint32(sport)<<16 | uint32(dport)}
	if proto == UDP {
		k.addrs |= 1 << 63
	}
	return k
}

const flowMinSlots = 64

// newFlowTable makes a table for up to maxFlows flows.
func newFlowTable(maxFlows int) *flowTable {
	m := maxFlows/3*4 + 4 // maxFlows fill at most three quarters
	return &flowTable{slots: make([]flowSlot, min(flowMinSlots, m)), max: m, seed: rand.Uint64()}
}

func (t *flowTable) hash(k flowKey) uint64 {
	h := (k.addrs ^ t.seed) * 0x9e3779b97f4a7c15
	h ^= uint64(k.ports) * 0xc2b2ae3d27d4eb4f
	h ^= h >> 29
	h *= 0xbf58476d1ce4e5b9
	return h ^ h>>32
}

// find returns k's slot and true, or the empty slot k would take and
// false.
func (t *flowTable) find(k flowKey) (*flowSlot, bool) {
	i := t.index(k)
	for {
		s := &t.slots[i]
		if s.addrs == k.addrs && s.ports == k.ports {
			return s, true
		}
		if s.addrs == 0 {
			return s, false
		}
		if i++; i == uint64(len(t.slots)) {
			i = 0
		}
	}
}

// index is where k's walk starts: its hash's top bits, scaled to the
// length (hash·len / 2^64).
func (t *flowTable) index(k flowKey) uint64 {
	i, _ := bits.Mul64(t.hash(k), uint64(len(t.slots)))
	return i
}

// insert puts k with isn in the empty slot s that find gave, which is
// invalid afterwards: the table grows past three quarters full.
func (t *flowTable) insert(s *flowSlot, k flowKey, isn uint32) {
	*s = flowSlot{addrs: k.addrs, ports: k.ports, isn: isn}
	t.n++
	if 4*t.n > 3*len(t.slots) && len(t.slots) < t.max {
		t.grow()
	}
}

func (t *flowTable) grow() {
	old := t.slots
	t.slots = make([]flowSlot, min(8*len(old), t.max))
	for i := range old {
		if o := &old[i]; o.addrs != 0 {
			s, _ := t.find(flowKey{o.addrs, o.ports})
			*s = *o
		}
	}
}
