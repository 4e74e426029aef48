package strategies

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/portsim/portsim/gateway"
)

// cgnTimeouts are RFC 4787's and RFC 5382's floors for a carrier-grade
// NAT: UDP mappings kept at least 2 minutes (REQ-5), established TCP at
// least 2 hours 4 minutes (RFC 5382 REQ-5), TIME_WAIT's 4 minutes (2MSL).
var cgnTimeouts = gateway.Timeouts{
	Established: 7440 * time.Second,
	Closing:     240 * time.Second,
	Reset:       0,
	UDP:         120 * time.Second,
}

func init() {
	registerNAT(NATInfo{
		Name:        "port-block",
		Description: "port block allocation (CGN): each host gets blocks of public ports on one address, a block at a time, logged once per block instead of once per connection",
		How: "A carrier-grade NAT with port block allocation gives each subscriber a block of ports (say 128) on one public address the first time it needs one, and another block when those are busy, up to a limit; a block goes back when its ports are all free. " +
			"The NAT writes one log record per block rather than per connection, which is most of the saving, at the price of capping each subscriber and of ports that say which subscriber sent them.",
		Params: append([]Param{
			{Name: "block", Default: "128", Help: "ports per block"},
			{Name: "blocks", Default: "8", Help: "the most blocks one host holds at once"},
			{Name: "pick", Default: "random", Help: "which free block a host gets: random (harder to guess) or sequential (lowest first)", Choices: []string{"random", "sequential"}},
			{Name: "ports", Default: "random", Help: "which port of its blocks a connection gets: random or sequential (lowest first)", Choices: []string{"random", "sequential"}},
			{Name: "parity", Default: "off", Help: "on: keep the host's port parity (RFC 4787 REQ-4)"},
			{Name: "mapping", Default: "eim", Help: "eim, adm or apdm: which flows share a mapping", Choices: []string{"eim", "adm", "apdm"}},
			{Name: "filtering", Default: "eif", Help: "eif, adf or apdf: which replies a mapping lets in, and so how far a port is shared", Choices: []string{"eif", "adf", "apdf"}},
		}, timeoutParams(cgnTimeouts)...),
		Sources: []string{
			"RFC 6888 (requirements for CGNs): limit ports per subscriber (REQ-4), trade-off of utilisation, log volume and port guessing (§5) (read 2026-12-01)",
			"RFC 7422 §1 and RFC 7768 (port management, logging): port block allocation, one record per block (read 2026-12-01)",
			"RFC 4787 REQ-1 (endpoint-independent mapping), REQ-4 (port parity), REQ-5 (UDP mapping timer ≥ 2 min); RFC 5382 REQ-5 (established TCP ≥ 2 h 4 min) (read 2026-12-01)",
		},
		Failures: map[gateway.Reason]string{gateway.Exhausted: "port block exhausted"},
		build: func(seed uint64, p *Params, env natEnv) (gateway.Policy, gateway.Config, error) {
			size := p.Int("block", 1, highPorts.Size())
			pb := &PortBlock{
				pool:      newBlockPool(highPorts.Lo, highPorts.Size(), size, env.addrs),
				maxBlocks: p.Int("blocks", 1, highPorts.Size()),
				random:    p.Enum("pick", "random", "sequential") == "random",
				randPorts: portOrder(p, "random", "sequential") == "random",
				parity:    p.Bool("parity"),
				rng:       newRand(seed, streamBlocks),
				hosts:     make([]blockHost, env.hosts),
			}
			if pb.parity && size < 2 {
				return nil, gateway.Config{}, fmt.Errorf("parity=on needs blocks of 2 ports or more; block=%d", size)
			}
			cfg := gateway.Config{Range: highPorts}
			m, f := dependenceParam(p, "mapping", "m"), dependenceParam(p, "filtering", "f")
			cfg.Mapping = [2]gateway.Dependence{m, m}
			cfg.Filtering = [2]gateway.Dependence{f, f}
			readTimeouts(p, &cfg)
			return pb, cfg, nil
		},
	})
}

// PortBlock is port block allocation: each host's mappings come from the
// blocks it holds, all on one public address (paired pooling, RFC 4787
// REQ-2).
type PortBlock struct {
	pool      *blockPool
	maxBlocks int
	random    bool // a random free block, else the lowest
	randPorts bool // a random port of the blocks, else the lowest
	parity    bool
	rng       *rand.Rand
	hosts     []blockHost
	logs      int
	segs      []segment
}

// blockHost is what one host holds.
type blockHost struct {
	addr   int // its address, once it has a block
	blocks []heldBlock
}

type heldBlock struct {
	index int // on the host's address
	refs  int // live mappings
}

// Pick implements gateway.Policy.
func (b *PortBlock) Pick(r *gateway.Request, usable func(int, uint16) bool) (gateway.Endpoint, int, error) {
	h := &b.hosts[r.Host]
	parity := parityOf(b.parity, r.Inside)
	probes := 0
	if len(h.blocks) > 0 {
		b.segs = b.pool.segments(b.segs[:0], h.addr, h.blocks)
		e, n, ok := scanSegments(b.segs, b.start(b.segs), parity, usable)
		probes += n
		if ok {
			b.take(h, e)
			return e, probes, nil
		}
	}
	if len(h.blocks) >= b.maxBlocks {
		return gateway.Endpoint{}, probes, gateway.ErrExhausted
	}
	if len(h.blocks) == 0 {
		h.addr = b.pool.roomiest()
	}
	idx, ok := b.pool.take(h.addr, b.random, b.rng)
	if !ok {
		return gateway.Endpoint{}, probes, gateway.ErrExhausted
	}
	b.logs++
	h.blocks = append(h.blocks, heldBlock{index: idx})
	b.segs = b.pool.segments(b.segs[:0], h.addr, h.blocks[len(h.blocks)-1:])
	e, n, ok := scanSegments(b.segs, b.start(b.segs), parity, usable)
	probes += n
	if !ok {
		return gateway.Endpoint{}, probes, gateway.ErrExhausted
	}
	b.take(h, e)
	return e, probes, nil
}

// start is where a scan of segs begins: random, or the lowest port.
func (b *PortBlock) start(segs []segment) int {
	if !b.randPorts {
		return 0
	}
	return b.rng.IntN(segmentsTotal(segs))
}

func (b *PortBlock) take(h *blockHost, e gateway.Endpoint) {
	idx := b.pool.index(e.Port)
	for i := range h.blocks {
		if h.blocks[i].index == idx {
			h.blocks[i].refs++
			return
		}
	}
}

// Release implements gateway.Releaser: a block whose mappings have all
// ended goes back to the pool.
func (b *PortBlock) Release(host int, _ gateway.Proto, e gateway.Endpoint) {
	h := &b.hosts[host]
	idx := b.pool.index(e.Port)
	for i := range h.blocks {
		if h.blocks[i].index != idx {
			continue
		}
		if h.blocks[i].refs--; h.blocks[i].refs == 0 {
			b.pool.give(h.addr, idx)
			h.blocks = append(h.blocks[:i], h.blocks[i+1:]...)
		}
		return
	}
}

// LogRecords implements gateway.Logger: one record per block allocated.
func (b *PortBlock) LogRecords() int { return b.logs }

// Held implements gateway.Holder.
func (b *PortBlock) Held(h int) int { return len(b.hosts[h].blocks) * b.pool.size }

// blockPool cuts each public address's ports into blocks of size ports and
// hands them out.
type blockPool struct {
	lo    uint16
	size  int
	per   int      // blocks per address
	used  [][]bool // by address, by block
	nfree []int    // free blocks by address
}

func newBlockPool(lo uint16, ports, size, addrs int) *blockPool {
	p := &blockPool{lo: lo, size: size, per: ports / size, used: make([][]bool, addrs), nfree: make([]int, addrs)}
	for a := range addrs {
		p.used[a] = make([]bool, p.per)
		p.nfree[a] = p.per
	}
	return p
}

// roomiest is the address with the most free blocks, the lowest on a tie.
func (p *blockPool) roomiest() int {
	best := 0
	for a, n := range p.nfree {
		if n > p.nfree[best] {
			best = a
		}
	}
	return best
}

// take hands out a free block of address a: a random one, or the lowest.
func (p *blockPool) take(a int, random bool, rng *rand.Rand) (int, bool) {
	if p.nfree[a] == 0 {
		return 0, false
	}
	start := 0
	if random {
		start = rng.IntN(p.per)
	}
	for i := range p.per {
		idx := (start + i) % p.per
		if !p.used[a][idx] {
			p.used[a][idx] = true
			p.nfree[a]--
			return idx, true
		}
	}
	return 0, false
}

func (p *blockPool) give(a, idx int) {
	p.used[a][idx] = false
	p.nfree[a]++
}

// index is the block holding port.
func (p *blockPool) index(port uint16) int { return (int(port) - int(p.lo)) / p.size }

// segments appends the ports of blocks on address a to segs.
func (p *blockPool) segments(segs []segment, a int, blocks []heldBlock) []segment {
	for _, b := range blocks {
		segs = append(segs, segment{addr: a, lo: uint16(int(p.lo) + b.index*p.size), n: p.size})
	}
	return segs
}
