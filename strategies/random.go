package strategies

import (
	"math/rand/v2"

	"github.com/portsim/portsim/allocator"
)

// streamRandomStart numbers the random stream of Algorithm 1's starts. Each
// RFC 6056 strategy, and each purpose within one, draws from its own stream
// (10, 20, … 50), so that changing one leaves the others' draws alone.
const streamRandomStart = 10

func init() {
	register(Info{
		Name:        "random",
		Description: "RFC 6056 §3.3.1 Algorithm 1: random start, linear probe +1 with wrap",
		Systems:     "FreeBSD, OpenBSD, macOS UDP, lwIP",
		How:         "RFC 6056 Algorithm 1: a random start in the range, then +1 until a usable port.",
		Exhaustive:  true,
		Kind:        allocator.Connect,
		Range:       allocator.DynamicRange,
		build: func(seed uint64, _ *Params) (allocator.Strategy, error) {
			return &Random{rng: newRand(seed, streamRandomStart)}, nil
		},
	})
}

// Random is RFC 6056 Algorithm 1, Simple Port Randomization: each allocation
// starts at a uniformly random port and probes upwards, wrapping from the
// high end to the low end, until it finds a usable port or has tried the
// whole range. It keeps no state between allocations but its random source,
// so it is unpredictable but reuses ports sooner than the hash-based
// algorithms. Build it with New("random", seed).
type Random struct {
	rng *rand.Rand
}

// Pick implements allocator.Strategy.
func (s *Random) Pick(r *allocator.Request, usable func(uint16) bool) (uint16, int, error) {
	num := r.Size()
	// The RFC writes random() % num; IntN is the same draw without the
	// modulo bias.
	start := s.rng.IntN(num)
	if r.Trace != nil {
		r.Trace.Addf("random", r.Lo+uint16(start), "next_ephemeral = min + random() %% num = %d + %d (num %d)", r.Lo, start, num)
	}
	port, probes, err := linearScan(r, start, usable)
	if r.Trace != nil {
		if err != nil {
			r.Trace.Addf("fail", 0, "all %d ports probed, none usable", probes)
		} else {
			r.Trace.Addf("chose", port, "after %d probes; no state is kept", probes)
		}
	}
	return port, probes, err
}

// Shape is the strategy's likelihood shape: at low occupancy the random start
// is the port, uniform over the range.
func (s *Random) Shape(r allocator.Range) Shape {
	return Shape{Family: Uniform, Range: r, Ports: r.Size()}
}
