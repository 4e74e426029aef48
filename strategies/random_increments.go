package strategies

import (
	"math/rand/v2"

	"github.com/portsim/portsim/allocator"
)

const streamRandomIncrements = 50

func init() {
	register(Info{
		Name:        "random-increments",
		Description: "RFC 6056 §3.3.5 Algorithm 5: one global counter advanced by a random 1 to N per try",
		Systems:     "NetBSD randinc",
		How:         "RFC 6056 Algorithm 5: one global counter advanced by a random 1 to N per try (N = 500 in the RFC): a smaller N reuses ports less often but is easier to guess.",
		Params: []Param{
			{Name: "N", Default: "500", Help: "largest increment; the RFC's 500 trades predictability (large N) against reuse cycle (small N); 1 is sequential"},
		},
		// Random steps can jump over the only free port again and again
		// within num tries; only N=1 is sure to visit every port.
		Exhaustive: false,
		Kind:       allocator.Connect,
		Range:      allocator.DynamicRange,
		build: func(seed uint64, p *Params) (allocator.Strategy, error) {
			return newRandomIncrements(seed, p.Int("N", 1, 1<<16)), nil
		},
	})
}

// RandomIncrements is RFC 6056 Algorithm 5, the Random-Increments Port
// Selection Algorithm: one counter, shared by every destination, moves
// forward by random() % N + 1 before each try, and the port is
// min + next_ephemeral % num. Successive ports are close (within N) but not
// guessable exactly; the whole range goes by about every 2·num/(N+1)
// allocations. Build it with New("random-increments", seed).
//
// next_ephemeral starts at random() % 65536, as in the RFC, and is a uint32
// (not a 16-bit value) so that steps stay 1 to N modulo num for every range
// size until it wraps at 2^32.
type RandomIncrements struct {
	N    int // largest increment
	rng  *rand.Rand
	next uint32 // next_ephemeral
}

func newRandomIncrements(seed uint64, n int) *RandomIncrements {
	rng := newRand(seed, streamRandomIncrements)
	return &RandomIncrements{N: n, rng: rng, next: uint32(rng.IntN(1 << 16))}
}

// Pick implements allocator.Strategy.
func (s *RandomIncrements) Pick(r *allocator.Request, usable func(uint16) bool) (uint16, int, error) {
	num := uint32(r.Size())
	if r.Trace != nil {
		r.Trace.Addf("counter", 0, "next_ephemeral = %d (global, shared by all destinations)", s.next)
	}
	before := s.next
	for probes := 1; probes <= int(num); probes++ {
		// The RFC's random() % N + 1, without the modulo bias.
		inc := uint32(s.rng.IntN(s.N)) + 1
		s.next += inc
		port := r.Lo + uint16(s.next%num)
		if r.Trace != nil {
			r.Trace.Addf("increment", port, "try %d: next_ephemeral += random() %% N + 1 = %d → %d; port = min + next_ephemeral %% num = %d + %d %% %d",
				probes, inc, s.next, r.Lo, s.next, num)
		}
		if usable(port) {
			if r.Trace != nil {
				r.Trace.Addf("update", port, "next_ephemeral %d → %d after %d tries", before, s.next, probes)
			}
			return port, probes, nil
		}
	}
	if r.Trace != nil {
		r.Trace.Addf("update", 0, "next_ephemeral %d → %d after %d tries, none usable", before, s.next, num)
	}
	return 0, int(num), allocator.ErrAddrNotAvail
}

// Shape is the strategy's likelihood shape: one cursor moved on by 1 to N per
// connection.
func (s *RandomIncrements) Shape(r allocator.Range) Shape {
	return Shape{Family: Cursor, Range: r, Ports: r.Size(), MaxAdvance: s.N}
}
