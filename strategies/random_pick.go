package strategies

import (
	"math/rand/v2"

	"github.com/portsim/portsim/allocator"
)

const streamRandomPick = 20

func init() {
	register(Info{
		Name:        "random-pick",
		Description: "RFC 6056 §3.3.2 Algorithm 2: a fresh random port per try; may give up while ports are free",
		Systems:     "NetBSD random_pick",
		How:         "RFC 6056 Algorithm 2: a fresh random port on every try; it can give up while free ports remain.",
		Params: []Param{
			{Name: "tries", Default: "0", Help: "most ports tried per allocation; 0 means the range size, as in the RFC"},
		},
		Exhaustive: false, // random draws repeat ports and miss others
		Kind:       allocator.Connect,
		Range:      allocator.DynamicRange,
		build: func(seed uint64, p *Params) (allocator.Strategy, error) {
			return &RandomPick{
				Tries: p.Int("tries", 0, 1<<24),
				rng:   newRand(seed, streamRandomPick),
			}, nil
		},
	})
}

// RandomPick is RFC 6056 Algorithm 2, Another Simple Port Randomization:
// every try draws a new uniformly random port, independently of the ports
// already tried. Having no memory of them, it can give up — after Tries
// draws — while usable ports remain: with one free port among n and n tries
// it fails with probability (1-1/n)^n ≈ 1/e. Build it with
// New("random-pick", seed).
type RandomPick struct {
	Tries int // most tries per allocation; 0 (or less) means the range size
	rng   *rand.Rand
}

// Pick implements allocator.Strategy.
func (s *RandomPick) Pick(r *allocator.Request, usable func(uint16) bool) (uint16, int, error) {
	num := r.Size()
	tries := s.Tries
	if tries <= 0 {
		tries = num
	}
	for probes := 1; probes <= tries; probes++ {
		// The RFC's random() % num, without the modulo bias.
		off := s.rng.IntN(num)
		port := r.Lo + uint16(off)
		if r.Trace != nil {
			r.Trace.Addf("random", port, "try %d of %d: min + random() %% num = %d + %d (num %d)", probes, tries, r.Lo, off, num)
		}
		if usable(port) {
			if r.Trace != nil {
				r.Trace.Addf("chose", port, "after %d probes; no state is kept", probes)
			}
			return port, probes, nil
		}
	}
	if r.Trace != nil {
		r.Trace.Addf("fail", 0, "gave up after %d random tries (free ports may remain)", tries)
	}
	return 0, tries, allocator.ErrAddrNotAvail
}

// Shape is the strategy's likelihood shape: uniform over the range.
func (s *RandomPick) Shape(r allocator.Range) Shape {
	return Shape{Family: Uniform, Range: r, Ports: r.Size()}
}
