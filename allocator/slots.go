package allocator

import (
	"math/bits"
	"time"

	"github.com/portsim/portsim/internal/minheap"
)

// slotState is what a slot holds.
type slotState uint8

const (
	slotFree slotState = iota
	slotEstablished
	slotTimeWait
	// slotDead is a TIME_WAIT 4-tuple that tw_reuse moved to a new slot:
	// the slot waits, holding nothing, for its place in the TIME_WAIT
	// queue to come round, so each queued slot is queued exactly once.
	slotDead
	// slotBindTimeWait is a bind() socket's port held in TIME_WAIT; its
	// key has the local address and the port, destination 0.
	slotBindTimeWait
	// slotClosingTW is an established 4-tuple whose close CloseAt
	// scheduled, client first: open until expiry − TimeWait, in
	// TIME_WAIT from then until expiry. Its close is no event: the
	// slot's state follows the clock, and only its expiry is queued.
	slotClosingTW
	// slotClosingFree is an established 4-tuple whose close CloseAt
	// scheduled with nothing kept (server first, reset, or no TIME_WAIT):
	// open until expiry, gone then.
	slotClosingFree
)

// A slot's tag packs its state, whether its 4-tuple is in the index, and
// its generation, bumped each time the slot is handed out so that a stale
// Conn is refused.
const (
	tagStateBits = 3
	tagStateMask = 1<<tagStateBits - 1
	tagIndexed   = 1 << tagStateBits // listed in the index; a tuple alone on its port need not be
	tagGenShift  = tagStateBits + 1
)

func tagState(tag uint32) slotState { return slotState(tag & tagStateMask) }
func tagGen(tag uint32) uint32      { return tag >> tagGenShift }

// nextGen is the generation after g; 0 is never used, so the zero Conn
// matches no slot.
func nextGen(g uint32) uint32 {
	if g = (g + 1) & (1<<(32-tagGenShift) - 1); g == 0 {
		g = 1
	}
	return g
}

// chunkShift sets the slots per chunk (4096, 80 KiB).
const (
	chunkShift = 12
	chunkLen   = 1 << chunkShift
)

// slotChunk is a run of slots, field by field: 20 bytes a slot, with no
// padding, and a question about one field reads only that field's line.
type slotChunk struct {
	key    [chunkLen]tupleKey
	expiry [chunkLen]time.Duration // TIME_WAIT ends then
	tag    [chunkLen]uint32
}

// slots is the table's connection store: connect() 4-tuples, established
// or in TIME_WAIT, and bind() ports in TIME_WAIT, reached by a stable
// index (a Conn's ref, a TIME_WAIT queue entry, the tuple index). It grows
// a chunk at a time, so it never copies and holds at most one chunk more
// than its high-water mark; a free slot's key links the free list.
type slots struct {
	chunks []*slotChunk
	n      int32 // slots ever handed out
	free   int32 // first free slot plus one; 0 when none
}

// at returns slot i's chunk and its place there.
func (s *slots) at(i int32) (*slotChunk, int) {
	return s.chunks[i>>chunkShift], int(i & (chunkLen - 1))
}

// alloc hands out a slot in state st with key k and a new generation,
// which it returns with the slot.
func (s *slots) alloc(k tupleKey, st slotState) (int32, uint32) {
	i := s.free - 1
	if i < 0 {
		i = s.n
		if int(i>>chunkShift) == len(s.chunks) {
			s.chunks = append(s.chunks, new(slotChunk))
		}
		s.n++
	}
	c, j := s.at(i)
	if s.free > 0 {
		s.free = int32(c.key[j])
	}
	c.key[j] = k
	gen := nextGen(tagGen(c.tag[j]))
	c.tag[j] = gen<<tagGenShift | uint32(st)
	return i, gen
}

// release frees slot i; its generation stays, for the next alloc to bump.
func (s *slots) release(i int32) {
	c, j := s.at(i)
	s.releaseAt(c, j, i)
}

// releaseAt is release of slot i, at place j of chunk c.
func (s *slots) releaseAt(c *slotChunk, j int, i int32) {
	c.tag[j] &^= tagStateMask | tagIndexed
	c.key[j] = tupleKey(s.free)
	s.free = i + 1
}

// tupleIndex finds the slot of a 4-tuple that shares its port: open
// addressing with linear probing over cells of four bytes, at a load of
// 5/16 to 5/8 (7/8 with tombstones), where a Go map took 20 to 40 bytes an
// entry. A cell holds
// the slot plus one in its low slotBits bits and, above them, a
// fingerprint of the key, so a probe reads a slot's key (a cache miss at
// scale) only when the fingerprint matches. Removal leaves a tombstone:
// moving later cells back would read their keys. The cells are rebuilt
// from the slots when tombstones crowd them or slot numbers outgrow
// slotBits.
type tupleIndex struct {
	cells    []uint32 // a power of two long
	live     int      // cells holding a slot
	used     int      // live and tombstones
	shift    uint     // 64 − log2(len(cells))
	slotBits uint
}

// A cell is empty (0), a tombstone (slot part all ones, no fingerprint),
// or live.
const minSlotBits = 20

func (x *tupleIndex) slotMask() uint32 { return 1<<x.slotBits - 1 }

// hash gives k's home cell and fingerprint: the multiplication spreads
// the structured key (port in the low bits) over the top bits, the home
// takes the top ones and the fingerprint those just below.
func (x *tupleIndex) hash(k tupleKey) (home int, fp uint32) {
	h := uint64(k) * 0x9e3779b97f4a7c15
	fpBits := 32 - x.slotBits
	return int(h >> x.shift), uint32(h>>(x.shift-fpBits)) & (1<<fpBits - 1)
}

// find returns the cell holding k, or -1.
func (x *tupleIndex) find(s *slots, k tupleKey) int {
	if x.live == 0 {
		return -1
	}
	mask, sm := len(x.cells)-1, x.slotMask()
	i, fp := x.hash(k)
	for ; ; i = (i + 1) & mask {
		v := x.cells[i]
		if v == 0 {
			return -1
		}
		if v>>x.slotBits == fp && v != sm {
			if c, j := s.at(int32(v&sm) - 1); c.key[j] == k {
				return i
			}
		}
	}
}

// cell is what stores slot i, whose key is k.
func (x *tupleIndex) cell(k tupleKey, i int32) uint32 {
	_, fp := x.hash(k)
	return fp<<x.slotBits | uint32(i+1)
}

// add lists slot i, whose key k is not listed (and whose slot is not yet
// marked tagIndexed, so a rebuild here leaves it to this call).
func (x *tupleIndex) add(s *slots, k tupleKey, i int32) {
	x.fit(s, i)
	if 8*(x.used+1) > 7*len(x.cells) {
		n := max(len(x.cells), 256)
		if 8*(x.live+1) > 5*n {
			n *= 2
		}
		x.rebuild(s, n)
	}
	mask, sm := len(x.cells)-1, x.slotMask()
	h, _ := x.hash(k)
	for x.cells[h] != 0 && x.cells[h] != sm {
		h = (h + 1) & mask
	}
	if x.cells[h] == 0 {
		x.used++
	}
	x.cells[h] = x.cell(k, i)
	x.live++
}

// fit makes room in a cell for slot number i: when it does not fit, the
// slot part widens and the cells are rebuilt.
func (x *tupleIndex) fit(s *slots, i int32) {
	if uint32(i+2) > x.slotMask() {
		x.slotBits = max(minSlotBits, uint(bits.Len32(uint32(i+2))))
		x.rebuild(s, max(len(x.cells), 256))
	}
}

// remove leaves a tombstone in cell i.
func (x *tupleIndex) remove(i int) {
	x.cells[i] = x.slotMask()
	x.live--
}

// rebuild lists every slot marked tagIndexed afresh in n cells, reading
// the slots in order. The cells are at least an eighth of the slots, so
// that the rebuilds' passes cost each add or removal a few slots at most,
// however few 4-tuples share ports.
func (x *tupleIndex) rebuild(s *slots, n int) {
	for n < int(s.n)/8 {
		n *= 2
	}
	x.slotBits = max(x.slotBits, minSlotBits)
	x.cells = make([]uint32, n)
	x.shift = uint(64 - bits.Len(uint(n-1)))
	x.live, x.used = 0, 0
	mask := n - 1
	for i := int32(0); i < s.n; i++ {
		c, j := s.at(i)
		if c.tag[j]&tagIndexed == 0 {
			continue
		}
		h, _ := x.hash(c.key[j])
		for x.cells[h] != 0 {
			h = (h + 1) & mask
		}
		x.cells[h] = x.cell(c.key[j], i)
		x.live++
	}
	x.used = x.live
}

// slotQueue is a FIFO of slots, the in-order part of the expiry queue.
// It is a list of chunks, so it holds at most two chunks more than its
// length and never copies.
type slotQueue struct {
	chunks []*[chunkLen]int32
	head   int // the first entry's place in chunks[0]
	tail   int // the next entry's place in the last chunk
	n      int
	spare  *[chunkLen]int32 // a consumed chunk, for the next one needed
}

func (q *slotQueue) push(i int32) {
	if q.tail == chunkLen || len(q.chunks) == 0 {
		q.addChunk()
	}
	q.chunks[len(q.chunks)-1][q.tail] = i
	q.tail++
	q.n++
}

func (q *slotQueue) addChunk() {
	c := q.spare
	if c == nil {
		c = new([chunkLen]int32)
	}
	q.spare = nil
	q.chunks = append(q.chunks, c)
	q.tail = 0
}

func (q *slotQueue) front() int32 { return q.chunks[0][q.head] }

func (q *slotQueue) pop() {
	q.head++
	q.n--
	if q.head == chunkLen {
		q.spare = q.chunks[0]
		q.chunks[0] = nil
		q.chunks = q.chunks[1:]
		q.head = 0
	}
}

// expiryQueue holds the slots that will expire — TIME_WAITs, dead slots
// and 4-tuples whose close is scheduled — in expiry order. A slot that
// expires no earlier than the FIFO's last goes there in O(1): every slot,
// when TIME_WAIT has one duration and lifetimes are fixed or closes come
// as they happen. The rest go to a heap. A queued slot stays allocated
// until popped, so the FIFO reads a slot's expiry from the slot.
type expiryQueue struct {
	fifo slotQueue
	last time.Duration // expiry of the FIFO's last slot
	heap []expiring
	// FIFO places, counted from the first slot ever queued: slots popped,
	// and slots the counting cursor has passed (Table.countClosed).
	popped, counted int
}

// expiring is a slot queued out of order, with its expiry.
type expiring struct {
	at   time.Duration
	slot int32
}

func (e expiring) Before(o expiring) bool { return e.at < o.at }

// push queues slot i, which expires at expiry.
func (q *expiryQueue) push(i int32, expiry time.Duration) {
	if expiry < q.last && q.fifo.n > 0 {
		q.pushHeap(i, expiry)
		return
	}
	q.fifo.push(i)
	q.last = expiry
}

// pushHeap queues slot i out of order: it expires before the FIFO's last.
func (q *expiryQueue) pushHeap(i int32, expiry time.Duration) {
	minheap.Push(&q.heap, expiring{expiry, i})
}

// popDue removes and returns the slot that expires first if it expires by
// now, with whether it came from the FIFO uncounted (popFIFO); otherwise
// it returns -1 and the first expiry (noExpiry when the queue is empty).
// Ties between the FIFO and the heap go to the FIFO.
func (q *expiryQueue) popDue(s *slots, now time.Duration) (int32, time.Duration, bool) {
	at, i := noExpiry, int32(-1)
	if q.fifo.n > 0 {
		i = q.fifo.front()
		c, j := s.at(i)
		at = c.expiry[j]
	}
	if len(q.heap) > 0 && q.heap[0].at < at {
		if at = q.heap[0].at; at > now {
			return -1, at, false
		}
		return minheap.Pop(&q.heap).slot, at, false
	}
	if at > now {
		return -1, at, false
	}
	return i, at, q.popFIFO()
}

// popFIFO pops the FIFO's front, keeping the counting cursor at or past
// the front; it reports whether the cursor had not reached the slot.
func (q *expiryQueue) popFIFO() (uncounted bool) {
	q.fifo.pop()
	uncounted = q.counted == q.popped
	q.popped++
	if uncounted {
		q.counted++
	}
	return uncounted
}
