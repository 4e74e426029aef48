package allocator

import (
	"time"

	"github.com/portsim/portsim/internal/minheap"
)

// closing is a socket whose close CloseAt scheduled, ordered by (at, seq).
// Four fields in 32 bytes, so the compiler keeps one in registers.
type closing struct {
	at   time.Duration
	seq  uint64
	conn Conn
	how  CloseHow
}

func (e closing) Before(o closing) bool {
	return e.at < o.at || e.at == o.at && e.seq < o.seq
}

// closeQueue orders scheduled closes by (at, seq). Closes scheduled no
// earlier than the last one queued — all of them when lifetimes are
// fixed, as a load tester's are — go to a FIFO in O(1); the rest to a
// heap. Pop takes the smaller of the two heads, so the order is the
// heap's alone.
type closeQueue struct {
	fifo []closing
	head int // fifo[head:] are queued
	heap []closing
}

func (q *closeQueue) push(e closing) {
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
		return q.fifo[q.head].at
	case h:
		return q.heap[0].at
	}
	return noExpiry
}

func (q *closeQueue) pop() closing {
	if q.head < len(q.fifo) && (len(q.heap) == 0 || q.fifo[q.head].Before(q.heap[0])) {
		q.head++
		return q.fifo[q.head-1]
	}
	return minheap.Pop(&q.heap)
}

func (q *closeQueue) len() int { return len(q.fifo) - q.head + len(q.heap) }

// CloseAt schedules Close(c, how, at): the table runs it when its clock
// reaches at, ahead of a request made at that instant, and closes
// scheduled for one instant run in the order they were scheduled. A
// simulation that knows each socket's lifetime when it opens hands the
// close over here rather than keeping a queue of its own, and the table
// runs its closes and TIME_WAIT expiries in one pass. A close scheduled
// before the clock runs at the next Advance, at the clock; one whose
// socket is no longer open when it runs (closed already by Close) does
// nothing.
func (t *Table) CloseAt(c Conn, how CloseHow, at time.Duration) {
	t.closeSeq++
	t.closing.push(closing{at: at, seq: t.closeSeq, conn: c, how: how})
	t.nextClose = min(t.nextClose, at)
}

// ScheduledCloses is how many closes CloseAt queued that have not run.
func (t *Table) ScheduledCloses() int { return t.closing.len() }

// closeDue runs the scheduled closes due by now, in order.
func (t *Table) closeDue(now time.Duration) {
	for {
		e := t.closing.pop()
		_ = t.Close(e.conn, e.how, e.at) // an error: the socket was closed already
		if t.nextClose = t.closing.next(); t.nextClose > now {
			return
		}
	}
}
