package sim

import (
	"iter"
	"net/netip"
	"time"

	"github.com/portsim/portsim/allocator"
)

// A Connection is one connection a scenario's workload asks for: when it
// opens, between which addresses, of what kind, and who closes it when.
type Connection struct {
	At       time.Duration
	Src      netip.Addr     // one of the scenario's Srcs, in turn
	Dst      netip.AddrPort // DstAddr(DstIndex)
	DstIndex int
	Kind     allocator.Kind
	Close    allocator.CloseHow
	Lifetime time.Duration
}

// Connections yields sc's workload in time order: the arrivals Run replays
// against every strategy, drawn from sc.Seed alone, for a caller that
// drives its own host (package attack plays an attacker beside them). sc
// must be valid (Validate); later changes to sc do not reach the sequence.
func (sc *Scenario) Connections() iter.Seq[Connection] {
	c := *sc
	return func(yield func(Connection) bool) {
		w := newWorkload(&c)
		dsts := newDstCache(&c)
		var a arrival
		for w.next(&a) {
			conn := Connection{
				At: a.at, Src: c.Srcs[a.src], Dst: dsts.addr(&c, a.dst), DstIndex: a.dst,
				Kind: a.kind, Close: a.close, Lifetime: a.lifetime,
			}
			if !yield(conn) {
				return
			}
		}
	}
}
