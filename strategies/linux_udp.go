package strategies

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"strconv"

	"github.com/portsim/portsim/allocator"
)

func init() {
	register(Info{
		Name:        "linux-udp",
		Description: "Linux UDP (udp_lib_get_port): random start, walk by an odd multiple of the UDP hash table size so every port is covered; no hash, no parity",
		How:         "Linux UDP: a random start, then a stride that reaches every port; the first free one wins, with no hash and no parity.",
		Params: []Param{
			{Name: "hash-size", Default: strconv.Itoa(defaultUDPHashSize), Help: "UDP hash table slots, a power of two from 1 to 65536; the kernel sizes it from RAM at boot (256 on small VMs, 4096 on about 8 GiB, 16384 on large servers; dmesg: UDP hash table entries)"},
		},
		Exhaustive: true,
		Kind:       allocator.UDP,
		Range:      allocator.LinuxRange,
		build: func(seed uint64, p *Params) (allocator.Strategy, error) {
			size := p.Int("hash-size", 1, 1<<16)
			if bits.OnesCount(uint(size)) != 1 {
				p.fail("hash-size=%d; want a power of two from 1 to 65536", size)
			}
			return &LinuxUDP{rng: newRand(seed, 0), size: uint32(size)}, nil
		},
	})
}

// defaultUDPHashSize is linux-udp's hash-size when none is given: the
// kernel's choice on about 8 GiB of RAM.
const defaultUDPHashSize = 4096

// LinuxSpecs is the strategy spec serving each request kind on a Linux
// host whose UDP hash table has udpHashEntries slots
// (net.ipv4.udp_hash_entries; 0 when unknown): the linux profile's specs,
// linux-udp given the table's size when it is a size linux-udp takes and
// not its default.
func LinuxSpecs(udpHashEntries int) [3]string {
	p, err := LookupProfile("linux")
	if err != nil {
		panic("strategies: " + err.Error())
	}
	specs := p.Strategies
	if udpHashEntries != defaultUDPHashSize {
		if spec := fmt.Sprintf("%s:hash-size=%d", specs[allocator.UDP], udpHashEntries); Validate(spec) == nil {
			specs[allocator.UDP] = spec
		}
	}
	return specs
}

// LinuxUDP is a UDP socket's automatic port as Linux chooses it
// (udp_lib_get_port). One 32-bit random draw gives both the start, first,
// scaled into the range, and the stride, an odd multiple of the hash table
// size taken modulo 2^16. Walking a 16-bit port number by that stride visits
// every number that falls in first's hash slot (the same value modulo the
// table size) before returning to first; then the walk moves to the next
// slot, first+1, for as many slots as the table has, so all 65536 numbers
// are visited once. Numbers outside the range are skipped without a probe.
// Nothing is kept between calls, and parity plays no part.
type LinuxUDP struct {
	rng  *rand.Rand
	size uint32 // hash table slots, a power of two
}

// Pick implements allocator.Strategy.
func (s *LinuxUDP) Pick(r *allocator.Request, usable func(uint16) bool) (uint16, int, error) {
	lo, hi := r.Lo, r.Hi
	remaining := uint64(r.Size())
	rnd := s.rng.Uint32()
	first := lo + uint16((uint64(rnd)*remaining)>>32) // reciprocal_scale
	stride := uint16((rnd | 1) * s.size)              // 32-bit product, then a 16-bit port step
	last := first + uint16(s.size)                    // wraps to first when the table has 65536 slots
	if r.Trace != nil {
		r.Trace.Addf("random", first, "rand = %#08x; first = %d + rand*%d>>32 = %d; stride = (rand|1)*%d mod 65536 = %d", rnd, lo, remaining, first, s.size, stride)
	}
	probes := 0
	for {
		skipped := 0
		snum := first
		for {
			if lo <= snum && snum <= hi {
				probes++
				if usable(snum) {
					return snum, probes, nil
				}
			} else {
				skipped++
			}
			snum += stride
			if snum == first {
				break
			}
		}
		if r.Trace != nil {
			r.Trace.Addf("slot", first, "no usable port ≡ %d mod %d; %d numbers outside the range skipped; next slot", uint32(first)&(s.size-1), s.size, skipped)
		}
		first++
		if first == last {
			break
		}
	}
	if r.Trace != nil {
		r.Trace.Addf("fail", 0, "no usable port among %d candidates: EADDRNOTAVAIL", probes)
	}
	return 0, probes, allocator.ErrAddrNotAvail
}

// Shape is the strategy's likelihood shape: at low occupancy the random start
// is the port, uniform over the range; the stride shows only in collisions.
func (s *LinuxUDP) Shape(r allocator.Range) Shape {
	return Shape{Family: Uniform, Range: r, Ports: r.Size()}
}
