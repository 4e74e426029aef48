package allocator

import (
	"math/rand/v2"
	"testing"
	"time"
)

// The index agrees with a map through adds, removals, tombstone rebuilds
// and slot numbers past minSlotBits, which narrow the fingerprints.
func TestTupleIndexMatchesMap(t *testing.T) {
	var s slots
	var x tupleIndex
	want := map[tupleKey]int32{}
	rng := rand.New(rand.NewPCG(1, 2))
	key := func() tupleKey { return makeKey(int32(rng.IntN(64)), rng.IntN(2), uint16(rng.IntN(512))) }
	for step := range 400_000 {
		if step == 200_000 { // hand out slots past 2^minSlotBits
			for s.n < 1<<minSlotBits+10 {
				s.alloc(0, slotFree)
			}
		}
		k := key()
		if i, ok := want[k]; ok {
			c, j := s.at(i)
			if got := x.find(&s, k); got < 0 || int32(x.cells[got]&x.slotMask())-1 != i {
				t.Fatalf("step %d: find(%x) = cell %d; want slot %d", step, k, got, i)
			}
			x.remove(x.find(&s, k))
			c.tag[j] &^= tagIndexed
			s.release(i)
			delete(want, k)
			continue
		}
		if x.find(&s, k) >= 0 {
			t.Fatalf("step %d: find(%x) found a key never listed", step, k)
		}
		i, _ := s.alloc(k, slotEstablished)
		x.add(&s, k, i)
		c, j := s.at(i)
		c.tag[j] |= tagIndexed
		want[k] = i
	}
	if x.live != len(want) {
		t.Fatalf("index holds %d; want %d", x.live, len(want))
	}
}

// The TIME_WAIT queue is first in, first out across its chunks, however
// pushes and pops interleave.
func TestSlotQueueIsFIFO(t *testing.T) {
	var q slotQueue
	rng := rand.New(rand.NewPCG(3, 4))
	next, want := int32(0), int32(0)
	for range 100_000 {
		if rng.IntN(5) < 3 || q.n == 0 {
			q.push(next)
			next++
			continue
		}
		if got := q.front(); got != want {
			t.Fatalf("front = %d; want %d", got, want)
		}
		q.pop()
		want++
	}
	if q.n != int(next-want) {
		t.Fatalf("n = %d; want %d", q.n, next-want)
	}
}

// tw_reuse moves a listed 4-tuple to a new slot; a slot number past what
// the index's cells held must widen them, not spill into the fingerprint.
func TestTWReuseIntoWideSlot(t *testing.T) {
	tab := newTable(t, Config{TimeWait: time.Minute, TWReuse: TWReuseOn})
	a, _ := tab.Allocate(req(Connect, src, dstA, 0), take{1000})
	if _, err := tab.Allocate(req(Connect, src, dstB, 0), take{1000}); err != nil { // port 1000 shared: both listed
		t.Fatal(err)
	}
	_ = tab.Close(a.Conn, ClientFirst, 0)
	for tab.slots.n < 1<<minSlotBits { // the next slot's number needs a wider cell
		tab.slots.alloc(0, slotFree)
	}
	b, err := tab.Allocate(req(Connect, src, dstA, 2*time.Second), take{1000})
	if err != nil || !b.TWReuse {
		t.Fatalf("Allocate = %+v, %v; want the TIME_WAIT 4-tuple reused", b, err)
	}
	if tab.Usable(req(Connect, src, dstA, 2*time.Second), 1000) {
		t.Fatal("the reused 4-tuple is not found")
	}
	if err := tab.Close(b.Conn, Reset, 3*time.Second); err != nil {
		t.Fatal(err)
	}
	if !tab.Usable(req(Connect, src, dstA, 3*time.Second), 1000) {
		t.Fatal("the closed 4-tuple is still listed")
	}
}
