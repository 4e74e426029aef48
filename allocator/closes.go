package allocator

import (
	"time"

	"github.com/portsim/portsim/internal/minheap"
)

// PendingClose is a close to run later: socket Conn closes at At, the
// way How says, ordered by (At, Seq) — at one instant, in the order
// scheduled. CloseAt keeps its bind and UDP closes so; a caller that
// closes as it goes (Close) may keep its own in a heap of them.
type PendingClose struct {
	At   time.Duration
	Seq  uint64
	Conn Conn
	How  CloseHow
}

// Before orders closes by time, then by the order they were scheduled in.
func (e PendingClose) Before(o PendingClose) bool {
	return e.At < o.At || e.At == o.At && e.Seq < o.Seq
}

// closeQueue orders scheduled closes by (at, seq). Closes scheduled no
// earlier than the last one queued — all of them when lifetimes are
// fixed, as a load tester's are — go to a FIFO in O(1); the rest to a
// heap. Pop takes the smaller of the two heads, so the order is the
// heap's alone.
type closeQueue struct {
	fifo []PendingClose
	head int // fifo[head:] are queued
	heap []PendingClose
}

func (q *closeQueue) push(e PendingClose) {
	if n := len(q.fifo); n == q.head || !e.Before(q.fifo[n-1]) {
		if q.head > 1024 && 2*q.head > n { // reuse the consumed front
			q.fifo = q.fifo[:copy(q.fifo, q.fifo[q.head:])]
			q.head = 0
		}
		q.fifo = append(q.fifo, e)
		return
	}
	minheap.Push(&q.heap, e)
}

// next is the time of the first close queued, or noExpiry.
func (q *closeQueue) next() time.Duration {
	f, h := q.head < len(q.fifo), len(q.heap) > 0
	switch {
	case f && (!h || q.fifo[q.head].Before(q.heap[0])):
		return q.fifo[q.head].At
	case h:
		return q.heap[0].At
	}
	return noExpiry
}

func (q *closeQueue) pop() PendingClose {
	if q.head < len(q.fifo) && (len(q.heap) == 0 || q.fifo[q.head].Before(q.heap[0])) {
		q.head++
		return q.fifo[q.head-1]
	}
	return minheap.Pop(&q.heap)
}

// instants is a queue of times: a ring while they come in order, and a
// heap for the rest.
type instants struct {
	ring []time.Duration // a power of two long
	head int
	tail int // (head + n) mod len(ring)
	n    int
	last time.Duration // the ring's last
	heap []instant
}

type instant time.Duration

func (a instant) Before(b instant) bool { return a < b }

// push is small enough to inline: the common case is a store.
func (q *instants) push(at time.Duration) {
	if q.n == len(q.ring) || at < q.last && q.n > 0 {
		q.pushSlow(at)
		return
	}
	q.ring[q.tail&(len(q.ring)-1)] = at
	q.tail++
	q.n++
	q.last = at
}

func (q *instants) pushSlow(at time.Duration) {
	if q.n > 0 && at < q.last {
		minheap.Push(&q.heap, instant(at))
		return
	}
	q.grow()
	q.push(at)
}

func (q *instants) grow() {
	ring := make([]time.Duration, max(2*len(q.ring), 1024))
	for i := range q.n {
		ring[i] = q.ring[(q.head+i)&(len(q.ring)-1)]
	}
	q.ring, q.head, q.tail = ring, 0, q.n
}

// popDue removes the first time if it is no later than now and reports
// whether it did.
func (q *instants) popDue(now time.Duration) bool {
	if len(q.heap) > 0 && (q.n == 0 || time.Duration(q.heap[0]) < q.ring[q.head]) {
		if time.Duration(q.heap[0]) > now {
			return false
		}
		minheap.Pop(&q.heap)
		return true
	}
	if q.n == 0 || q.ring[q.head] > now {
		return false
	}
	q.head = (q.head + 1) & (len(q.ring) - 1)
	q.n--
	return true
}

// next is the first time queued, or noExpiry.
func (q *instants) next() time.Duration {
	at := noExpiry
	if q.n > 0 {
		at = q.ring[q.head]
	}
	if len(q.heap) > 0 {
		at = min(at, time.Duration(q.heap[0]))
	}
	return at
}

// CloseAt schedules Close(c, how, at): the socket closes when the table's
// clock reaches at, ahead of a request made at that instant, and closes
// scheduled for one instant take effect in the order scheduled; a time
// before the clock is taken as the clock. A simulation that knows each
// socket's lifetime when it opens hands the close over here rather than
// keeping a queue of its own. A connect() socket's close is then no event:
// its slot is marked with the time it ends and queued once, for its
// expiry, and its state follows the clock, open and then TIME_WAIT.
//
// A socket whose close is scheduled is the table's to close: Close
// refuses a connect() socket's handle then, and must not be given a bind()
// or UDP one (the table keeps no record of those sockets but their port,
// so a stale handle would close whoever holds the port by then). CloseAt
// refuses a handle that is not open, as Close does.
func (t *Table) CloseAt(c Conn, how CloseHow, at time.Duration) error {
	at = max(at, t.now)
	if c.Kind != Connect {
		if !t.isOpen(c) {
			return c.notOpen()
		}
		t.closeSeq++
		t.closing.push(PendingClose{At: at, Seq: t.closeSeq, Conn: c, How: how})
		t.nextClose = min(t.nextClose, at)
		return nil
	}
	if uint32(c.ref) >= uint32(t.slots.n) {
		return c.notOpen()
	}
	sc, j := t.slots.at(c.ref)
	tag := sc.tag[j]
	if tagState(tag) != slotEstablished || tagGen(tag) != c.gen || sc.key[j].port() != c.Port {
		return c.notOpen()
	}
	st, expiry := slotClosingFree, at
	keepTW := how == ClientFirst && t.cfg.TimeWait > 0
	if keepTW {
		st, expiry = slotClosingTW, at+t.cfg.TimeWait
	}
	sc.tag[j] = tag&^tagStateMask | uint32(st)
	sc.expiry[j] = expiry
	t.nextExpiry = min(t.nextExpiry, expiry)
	if q := &t.exp; expiry >= q.last || q.fifo.n == 0 {
		q.fifo.push(c.ref) // expiryQueue.push's common case, inline
		q.last = expiry
	} else {
		q.pushHeap(c.ref, expiry)
		if keepTW {
			// At at it enters TIME_WAIT, which only the counts hear of:
			// from the FIFO's counting cursor (countClosed), or, queued
			// out of order, from closeTimes.
			t.closeTimes.push(at)
			t.nextClose = min(t.nextClose, at)
		}
	}
	return nil
}

// countClosed brings the counts up to the clock for the 4-tuples queued
// in the expiry FIFO whose scheduled close (client first) has come: they
// are in TIME_WAIT now. The FIFO is in expiry order, and such a tuple's
// close is its expiry less TimeWait, so those whose close has come are a
// prefix of it: a cursor walks it, each slot once, when the counts are
// read (Stats, a tw_reuse) rather than on every request. expireDue counts
// a slot the cursor has not reached as it pops it.
func (t *Table) countClosed() {
	q := &t.exp.fifo
	horizon := t.now + t.cfg.TimeWait // a close at or before now expires by then
	closed := 0
	end := t.exp.popped + q.n
walk:
	for t.exp.counted < end {
		// One FIFO chunk at a time, from the cursor's place in it.
		off := q.head + (t.exp.counted - t.exp.popped)
		chunk := q.chunks[off>>chunkShift][off&(chunkLen-1):]
		chunk = chunk[:min(len(chunk), end-t.exp.counted)]
		for _, i := range chunk {
			c, j := t.slots.at(i)
			if c.expiry[j] > horizon {
				break walk
			}
			if tagState(c.tag[j]) == slotClosingTW {
				closed++
			}
			t.exp.counted++
		}
	}
	t.stats.Established -= closed
	t.stats.TimeWait += closed
}

// isOpen reports whether bind or UDP handle c is open.
func (t *Table) isOpen(c Conn) bool {
	if c.ref < 0 || int(c.ref) >= len(t.spaces) {
		return false
	}
	proto := protoTCP
	if c.Kind == UDP {
		proto = protoUDP
	}
	sp := t.spaces[c.ref][proto]
	return sp != nil && sp.ports[c.Port].owner == ownerSocket
}

// closeDue runs the scheduled closes due by now, in order; a connect()
// socket entering TIME_WAIT moves in the counts only.
func (t *Table) closeDue(now time.Duration) {
	q := &t.closeTimes
	n := 0
	if len(q.heap) == 0 { // the ring alone, as when lifetimes are fixed
		mask := len(q.ring) - 1
		for q.n > 0 && q.ring[q.head] <= now {
			q.head = (q.head + 1) & mask
			q.n--
			n++
		}
	} else {
		for q.popDue(now) {
			n++
		}
	}
	t.stats.Established -= n
	t.stats.TimeWait += n
	for t.closing.next() <= now {
		e := t.closing.pop()
		_ = t.Close(e.Conn, e.How, e.At) // an error: the socket was closed already
	}
	t.nextClose = min(t.closing.next(), t.closeTimes.next())
}
