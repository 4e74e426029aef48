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
	var got []closing
	for i := range 50_000 {
		if rng.IntN(3) > 0 {
			seq++
			life := time.Duration(100) // fixed: FIFO
			if rng.IntN(2) == 0 {
				life = time.Duration(rng.IntN(300)) // anything: heap or FIFO
			}
			q.push(closing{at: now + life, seq: seq, conn: Conn{Port: uint16(i)}})
		} else if next := q.next(); next != noExpiry {
			ev := q.pop()
			if ev.at != next {
				t.Fatalf("pop %v after next said %v", ev, next)
			}
			now = ev.at
			got = append(got, ev)
		}
		now += time.Duration(rng.IntN(3))
	}
	for q.len() > 0 {
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
// first).
func TestCloseAtIsClose(t *testing.T) {
	for _, fixed := range []bool{true, false} {
		rng := rand.New(rand.NewPCG(7, 8))
		cfg := Config{Range: Range{Lo: 1000, Hi: 1063}, TimeWait: 40, TWReuse: TWReuseOn, TWReuseDelay: 3}
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
			if a1 != a2 || (err1 == nil) != (err2 == nil) {
				t.Fatalf("request %d (%v at %v): CloseAt gave %+v, %v; Close gave %+v, %v", i, kind, clock, a1, err1, a2, err2)
			}
			if s1, s2 := ahead.Stats(), now.Stats(); s1 != s2 {
				t.Fatalf("request %d: stats %+v with CloseAt, %+v with Close", i, s1, s2)
			}
			if err1 != nil {
				continue
			}
			life := time.Duration(17)
			if !fixed {
				life = time.Duration(rng.IntN(40))
			}
			how := CloseHow(rng.IntN(3))
			ahead.CloseAt(a1.Conn, how, clock+life)
			c := pending{at: clock + life, seq: time.Duration(i), conn: a2.Conn, how: how}
			at, _ := slices.BinarySearchFunc(closes, c, func(x, y pending) int {
				if x.at != y.at {
					return int(x.at - y.at)
				}
				return int(x.seq - y.seq)
			})
			closes = slices.Insert(closes, at, c)
		}
		if ahead.ScheduledCloses() != len(closes) {
			t.Errorf("fixed %v: %d closes scheduled; want %d", fixed, ahead.ScheduledCloses(), len(closes))
		}
	}
}

// A close scheduled for a socket that Close ended first does nothing, even
// when the slot was handed out again.
func TestCloseAtAfterClose(t *testing.T) {
	tab := newTable(t, Config{})
	a, err := tab.Allocate(req(Connect, src, dstA, 0), take{1000})
	if err != nil {
		t.Fatal(err)
	}
	tab.CloseAt(a.Conn, Reset, 10)
	if err := tab.Close(a.Conn, Reset, 5); err != nil {
		t.Fatal(err)
	}
	b, err := tab.Allocate(req(Connect, src, dstA, 6), take{1000})
	if err != nil {
		t.Fatal(err)
	}
	tab.Advance(10)
	if st := tab.Stats(); st.Established != 1 || tab.Usable(req(Connect, src, dstA, 10), b.Conn.Port) {
		t.Errorf("after the stale close: %+v, port %d usable %v; want 1 established, port held", st, b.Conn.Port, true)
	}
}
