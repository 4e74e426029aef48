package attack

import (
	"errors"
	"fmt"
	"iter"
	"net/netip"
	"time"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/internal/minheap"
	"github.com/portsim/portsim/internal/seed"
	"github.com/portsim/portsim/sim"
	"github.com/portsim/portsim/strategies"
)

// A victim is one device: the strategies its kernel runs (keyed by its own
// seed), its socket table, and its scenario's background traffic, played
// up to whatever time the attacker's next connection is made. Connections
// go straight to the table, untraced: an attack makes millions.
type victim struct {
	host   *strategies.Host
	tab    *allocator.Table
	next   func() (sim.Connection, bool)
	stop   func()
	bg     sim.Connection // the next background arrival, when more
	more   bool
	closes []allocator.PendingClose // a plain heap: background traffic is light beside an attack's
	seq    uint64
	req    allocator.Request

	// made counts the background connections that got a port, per
	// strategy instance that served them: what a counter shared with the
	// attacker's own connections saw.
	made map[allocator.Strategy]int
}

// newVictim is device on sc: spec's host, its strategies keyed from
// device as the simulator keys them from a scenario seed, and sc's
// workload (drawn from sc.Seed) as its background. Close releases it.
func newVictim(sc *sim.Scenario, spec string, device uint64) (*victim, error) {
	h, err := strategies.Resolve(spec, func(k allocator.Kind) uint64 {
		return seed.Named(device, fmt.Sprint(spec, "/", k))
	}, sc.TableConfig())
	if err != nil {
		return nil, err
	}
	tab, err := allocator.NewTable(h.Config)
	if err != nil {
		return nil, err
	}
	v := &victim{host: h, tab: tab, made: map[allocator.Strategy]int{}}
	v.next, v.stop = iter.Pull(sc.Connections())
	v.bg, v.more = v.next()
	return v, nil
}

// Close stops the background workload.
func (v *victim) Close() { v.stop() }

// strategy is the strategy serving requests of kind k.
func (v *victim) strategy(k allocator.Kind) allocator.Strategy {
	return v.host.Strategies[v.host.Serve(k)]
}

// play runs the background up to and including time t: closes first at
// equal times, then arrivals, as the simulator orders them.
func (v *victim) play(t time.Duration) error {
	for {
		tc := time.Duration(1<<63 - 1)
		if len(v.closes) > 0 {
			tc = v.closes[0].At
		}
		switch {
		case tc <= t && (!v.more || tc <= v.bg.At):
			ev := minheap.Pop(&v.closes)
			if err := v.tab.Close(ev.Conn, ev.How, ev.At); err != nil {
				return err
			}
		case v.more && v.bg.At <= t:
			c := v.bg
			a, ok, err := v.allocate(c.At, c.Src, c.Dst, c.Kind)
			if err != nil {
				return err
			}
			if ok {
				v.made[v.strategy(c.Kind)]++
				v.seq++
				minheap.Push(&v.closes, allocator.PendingClose{At: c.At + c.Lifetime, Seq: v.seq, Conn: a.Conn, How: c.Close})
			}
			v.bg, v.more = v.next()
		default:
			return nil
		}
	}
}

// connect is one connection of the attacker's making at time t, after the
// background up to t: it gets a port and is reset at once (the attacker's
// server answers a SYN with a reset; a loopback port with no listener
// refuses), so it holds nothing afterwards. ok is false when no port was
// free (EADDRNOTAVAIL).
func (v *victim) connect(t time.Duration, src netip.Addr, dst netip.AddrPort, k allocator.Kind) (uint16, bool, error) {
	if err := v.play(t); err != nil {
		return 0, false, err
	}
	a, ok, err := v.allocate(t, src, dst, k)
	if !ok || err != nil {
		return 0, false, err
	}
	return a.Conn.Port, true, v.tab.Close(a.Conn, allocator.Reset, t)
}

func (v *victim) allocate(t time.Duration, src netip.Addr, dst netip.AddrPort, k allocator.Kind) (allocator.Allocation, bool, error) {
	kind := v.host.Serve(k)
	r := &v.req
	r.Kind, r.Src, r.Dst, r.Now = kind, src, dst, t
	a, err := v.tab.Allocate(r, v.host.Strategies[kind])
	switch {
	case err == nil:
		return a, true, nil
	case errors.Is(err, allocator.ErrAddrNotAvail):
		return a, false, nil
	}
	return a, false, err
}
