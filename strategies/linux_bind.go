package strategies

import (
	"math/rand/v2"

	"github.com/portsim/portsim/allocator"
)

func init() {
	register(Info{
		Name:        "linux-bind",
		Description: "Linux TCP bind(ip, 0): uniformly random start forced odd, odd ports first (with an even low bound), step 2, then the other parity",
		How:         "Linux bind(ip, 0): a random odd start, odd ports first, in steps of 2; the port is then owned exclusively, not shared across destinations.",
		Exhaustive:  true,
		Kind:        allocator.Bind,
		Range:       allocator.LinuxRange,
		build: func(seed uint64, _ *Params) (allocator.Strategy, error) {
			return &LinuxBind{rng: newRand(seed, 0)}, nil
		},
	})
}

// LinuxBind is bind(ip, 0) before connect() as Linux chooses its port
// (inet_csk_find_open_port): a fresh random offset per call, forced odd so
// that bind() users take the parity connect() leaves alone; step 2 over the
// range cut to an even size, then a second pass one port below the start,
// over the other parity. It keeps no state between calls besides its random
// source. Exclusive ownership of the port is the table's rule for Bind. As
// for connect(), an odd-sized range's top port is never tried.
//
// Not modelled: SO_REUSEADDR sockets, which the kernel first confines to the
// lower half of the range and then the upper half.
type LinuxBind struct {
	rng *rand.Rand
}

// Pick implements allocator.Strategy.
func (s *LinuxBind) Pick(r *allocator.Request, usable func(uint16) bool) (uint16, int, error) {
	remaining := uint32(r.Size())
	if remaining > 1 {
		remaining &^= 1
	}
	offset := s.rng.Uint32N(remaining) | 1
	if r.Trace != nil {
		r.Trace.Addf("offset", uint16(uint32(r.Lo)+offset%remaining), "offset = random_below(%d) | 1 = %d", remaining, offset)
	}
	port, _, probes, ok := stepScan(r.Scan, uint32(r.Lo), remaining, offset, 2, usable)
	if !ok {
		// offset is odd, so offset-1 is the other parity: the kernel walks
		// it from just below where the first pass began.
		offset--
		if r.Trace != nil {
			r.Trace.Addf("pass", uint16(uint32(r.Lo)+offset), "first parity exhausted after %d probes; second pass from offset %d", probes, offset)
		}
		var n int
		port, _, n, ok = stepScan(r.Scan, uint32(r.Lo), remaining, offset, 2, usable)
		probes += n
	}
	if !ok {
		if r.Trace != nil {
			r.Trace.Addf("fail", 0, "no usable port among %d candidates: EADDRNOTAVAIL", probes)
		}
		return 0, probes, allocator.ErrAddrNotAvail
	}
	return port, probes, nil
}

// Shape is the strategy's likelihood shape: a fresh draw each call, odd
// offsets first, over the range cut to an even size.
func (s *LinuxBind) Shape(r allocator.Range) Shape {
	return Shape{Family: Uniform, Range: r, Ports: oneParity(r), First: OtherParity}
}
