package attack

import (
	"time"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/strategies"
)

// model is what the attacker knows of the victim's algorithm — its
// strategy's shape (strategies.Shape), found by type assertion as package
// fit finds it — but not its secrets: keys, table contents, random draws.
type model struct {
	lo    uint16
	cycle int // ports a counter or cursor walks over before it comes round
	step  int // ports one advance moves
	down  bool
	// counters is how many counters a connection's destination may fall
	// on: the table's size, 1 for one shared counter or cursor, and 1 for
	// a uniform draw too (the attacker, reading it as one counter, learns
	// nothing).
	counters int
	resalt   time.Duration
	// Each connection moves its counter on by 1 to maxAdvance advances,
	// uniformly: mean and variance of that.
	maxAdvance     int
	mean, variance float64
}

type shaper interface {
	Shape(allocator.Range) strategies.Shape
}

// modelOf is the attacker's model of s over r.
func modelOf(s allocator.Strategy, r allocator.Range) model {
	sh := strategies.Shape{Family: strategies.Uniform, Range: r, Ports: r.Size()}
	if x, ok := s.(shaper); ok {
		sh = x.Shape(r)
	}
	m := model{lo: r.Lo, cycle: max(sh.Ports, 1), step: max(sh.Step, 1), down: sh.Down, counters: 1,
		resalt: sh.Resalt, maxAdvance: max(sh.MaxAdvance, 1)}
	if sh.Family == strategies.Counter {
		m.counters = max(sh.Counters, 1)
	}
	n := float64(m.maxAdvance)
	m.mean, m.variance = (n+1)/2, (n*n-1)/12
	return m
}

// exact reports whether every connection moves its counter by exactly one
// advance (no random increments).
func (m model) exact() bool { return m.maxAdvance == 1 }

// advance is how many advances took a counter from port p to port q,
// modulo its cycle.
func (m model) advance(p, q uint16) int {
	d := int(q) - int(p)
	if m.down {
		d = -d
	}
	d %= m.cycle
	if d < 0 {
		d += m.cycle
	}
	return d / m.step
}
