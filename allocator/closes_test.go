package allocator

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"
)

// The close queue pops in (at, seq) order whether closes went to its FIFO
// (scheduled in order) or its heap, interleaving pushes and pops.
func TestCloseQueueOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var q closeQueue
	var seq uint64
	var now time.Duration
	var got []PendingClose
	for i := range 50_000 {
		if rng.IntN(3) > 0 {
			seq++
			life := time.Duration(100) // fixed: FIFO
			if rng.IntN(2) == 0 {
				life = time.Duration(rng.IntN(300)) // anything: heap or FIFO
			}
			q.push(PendingClose{At: now + life, Seq: seq, Conn: Conn{Port: uint16(i)}})
		} else if next := q.next(); next != noExpiry {
			ev := q.pop()
			if ev.At != next {
				t.Fatalf("pop %v after next said %v", ev, next)
			}
			now = ev.At
			got = append(got, ev)
		}
		now += time.Duration(rng.IntN(3))
	}
	for q.next() != noExpiry {
		got = append(got, q.pop())
	}
	if int(seq) != len(got) {
		t.Fatalf("%d closes out, %d in", len(got), seq)
	}
	for i := 1; i < len(got); i++ {
		if got[i].Before(got[i-1]) { // closes are never scheduled before the last one popped
			t.Fatalf("close %d %v popped after %v", i, got[i], got[i-1])
		}
	}
}

// A table given its closes ahead (CloseAt) is the table closed at each
// close's time (Close): the same ports, counts and verdicts after every
// request, for every kind and close side, with fixed and random
// lifetimes, and with closes at the instant of a request (they come
// first, so tw_reuse without a delay may take the 4-tuple then).
func TestCloseAtIsClose(t *testing.T) {
	for _, tt := range []struct {
		fixed bool
		delay time.Duration
	}{{true, 3}, {false, 3}, {true, 0}, {false, 0}} {
		fixed := tt.fixed
		rng := rand.New(rand.NewPCG(7, 8))
		cfg := Config{Range: Range{Lo: 1000, Hi: 1063}, TimeWait: 40, TWReuse: TWReuseOn, TWReuseDelay: tt.delay}
		ahead, now := newTable(t, cfg), newTable(t, cfg)
		type pending struct {
			at, seq time.Duration
			conn    Conn
			how     CloseHow
		}
		var closes []pending // for now, in (at, seq) order
		for i := range 20_000 {
			clock := time.Duration(i / 2) // two requests an instant
			// Close what is due on the table closed as it goes.
			for len(closes) > 0 && closes[0].at <= clock {
				c := closes[0]
				closes = closes[1:]
				if err := now.Close(c.conn, c.how, c.at); err != nil {
					t.Fatal(err)
				}
			}
			kind := Kind(rng.IntN(3))
			dst := []netip.AddrPort{dstA, dstB, dstA2}[rng.IntN(3)]
			ports := make(take, 64)
			for j, k := range rng.Perm(64) {
				ports[j] = uint16(1000 + k)
			}
			a1, err1 := ahead.Allocate(req(kind, src, dst, clock), ports)
			a2, err2 := now.Allocate(req(kind, src, dst, clock), ports)
			// Slot numbers differ: the tables free slots in another order.
			c1, c2 := a1.Conn, a2.Conn
			a1.Conn.ref, a1.Conn.gen, a2.Conn.ref, a2.Conn.gen = 0, 0, 0, 0
			if a1 != a2 || (err1 == nil) != (err2 == nil) {
				t.Fatalf("request %d (%v at %v): CloseAt gave %+v, %v; Close gave %+v, %v", i, kind, clock, a1, err1, a2, err2)
			}
			// Counts now and then, so that TIME_WAITs expire unread too.
			if i%97 == 0 || i == 19_999 {
				if s1, s2 := ahead.Stats(), now.Stats(); s1 != s2 {
					t.Fatalf("request %d: stats %+v with CloseAt, %+v with Close", i, s1, s2)
				}
			}
			if err1 != nil {
				continue
			}
			life := time.Duration(17)
			if !fixed {
				life = time.Duration(rng.IntN(40))
			}
			how := CloseHow(rng.IntN(3))
			if err := ahead.CloseAt(c1, how, clock+life); err != nil {
				t.Fatal(err)
			}
			c := pending{at: clock + life, seq: time.Duration(i), conn: c2, how: how}
			at, _ := slices.BinarySearchFunc(closes, c, func(x, y pending) int {
				if x.at != y.at {
					return int(x.at - y.at)
				}
				return int(x.seq - y.seq)
			})
			closes = slices.Insert(closes, at, c)
		}
	}
}

// A connect() socket whose close is scheduled is the table's: Close
// refuses it, and so does a second CloseAt, and it closes on time.
func TestCloseAtOwnsTheClose(t *testing.T) {
	tab := newTable(t, Config{})
	a, err := tab.Allocate(req(Connect, src, dstA, 0), take{1000})
	if err != nil {
		t.Fatal(err)
	}
	if err := tab.CloseAt(a.Conn, Reset, 10); err != nil {
		t.Fatal(err)
	}
	if tab.Close(a.Conn, Reset, 5) == nil || tab.CloseAt(a.Conn, Reset, 5) == nil {
		t.Error("Close or CloseAt took a socket whose close is scheduled")
	}
	tab.Advance(9)
	if st := tab.Stats(); st.Established != 1 || tab.Usable(req(Connect, src, dstA, 9), 1000) {
		t.Errorf("before its close: %+v, port 1000 usable; want it open", st)
	}
	tab.Advance(10)
	if st := tab.Stats(); st.Established != 0 || !tab.Usable(req(Connect, src, dstA, 10), 1000) {
		t.Errorf("at its close: %+v, port 1000 unusable; want it free", st)
	}
}

// instants pops its times in order, past the ring's growth and wrap and
// with times out of order in the heap.
func TestInstantsOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var q instants
	var want []time.Duration // sorted
	var now time.Duration
	for i := range 200_000 {
		if i%50_000 < 30_000 { // phases that fill the ring, then drain it
			at := now + time.Duration(rng.IntN(5000))
			if rng.IntN(4) > 0 { // in order: the ring, short-lived at first so that it wraps before it grows
				at = now + 5000
				if i < 5000 {
					at = now + 50
				}
			}
			q.push(at)
			k, _ := slices.BinarySearch(want, at+1) // after equal times
			want = slices.Insert(want, k, at)
		}
		now += time.Duration(rng.IntN(2))
		for q.popDue(now) {
			if len(want) == 0 || want[0] > now {
				t.Fatalf("step %d: popped a time at %v; due %v", i, now, want[:min(len(want), 1)])
			}
			want = want[1:]
		}
		if len(want) > 0 && want[0] <= now || q.next() != append(want, noExpiry)[0] {
			t.Fatalf("step %d: next %v, want %v at %v", i, q.next(), append(want, noExpiry)[0], now)
		}
	}
	if len(q.ring) < 8192 {
		t.Errorf("the ring grew to %d; want the test to make it grow past 4096", len(q.ring))
	}
}
