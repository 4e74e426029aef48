package strategies

import (
	"fmt"
	"time"

	"github.com/portsim/portsim/allocator"
)

// A Shape is what a strategy's ports look like to an observer who knows the
// algorithm but not its secrets (keys, random draws, table contents): the
// family of likelihood model that explains them and that model's
// parameters, read from the strategy's own. Each strategy says its shape
// with a method
//
//	Shape(r allocator.Range) Shape
//
// which a user finds by type assertion; package fit builds its models from
// it. A shape describes a quiet host: at high occupancy collisions stretch
// walks and bend uniform draws, which the models leave to their mixtures.
type Shape struct {
	Family Family
	// Range is the range the ports come from, and Ports how many ports
	// from Range.Lo the strategy draws from and walks over: Range's size,
	// cut to an even number by a walk in steps of 2 (Linux never tries the
	// top port of an odd-sized range).
	Range allocator.Range
	Ports int
	// First is the parity of the offset from Range.Lo a strategy tries
	// first, AnyParity when it has no preference.
	First Parity

	// Down says a Cursor counts down.
	Down bool
	// Step is how many ports one advance of a Counter moves: 1, or 2 for
	// a walk over one parity.
	Step int
	// MaxAdvance is the most advances (of Step ports for a Counter, of
	// one port for a Cursor) a connection moves the cursor or counter on
	// by: each connection moves it by 1 to MaxAdvance, at random; 1 is
	// exactly one.
	MaxAdvance int
	// Counters is how many counters a Counter shape has: 1 for one shared
	// by the host (RFC 6056 Algorithm 3), more for a table that a second
	// hash indexes (Algorithm 4).
	Counters int
	// Resalt is how often a Counter's hash is re-keyed, giving each
	// destination a fresh offset and counter; 0 for never.
	Resalt time.Duration
}

// A Family is a kind of likelihood model.
type Family uint8

const (
	// Uniform draws every port afresh (from the First parity, if any).
	Uniform Family = iota + 1
	// Cursor is one cursor for the host, moved on by every connection.
	Cursor
	// Counter gives each destination (address and port) its own offset
	// plus a counter that the connections using it move on.
	Counter
)

func (f Family) String() string {
	switch f {
	case Uniform:
		return "uniform"
	case Cursor:
		return "cursor"
	case Counter:
		return "counter"
	}
	return fmt.Sprintf("Family(%d)", uint8(f))
}

// Parity is which ports a strategy tries first, by the parity of their
// offset from the range's low bound.
type Parity uint8

const (
	AnyParity   Parity = iota // no preference
	LowParity                 // the low bound's parity (Linux connect())
	OtherParity               // the other parity (Linux bind())
)

// oneParity is the number of ports a walk in steps of 2 covers in r: its
// size cut to an even number (Linux's "remaining"), unless it is 1.
func oneParity(r allocator.Range) int {
	n := r.Size()
	if n > 1 {
		n &^= 1
	}
	return n
}
