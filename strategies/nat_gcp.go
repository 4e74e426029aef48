package strategies

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"time"

	"github.com/portsim/portsim/gateway"
)

// gcpTimeouts are Cloud NAT's defaults: TCP established idle 1200 s, TCP
// transitory 30 s (after a RST here), TIME_WAIT 120 s, UDP 30 s.
var gcpTimeouts = gateway.Timeouts{
	Established: 1200 * time.Second,
	Closing:     120 * time.Second,
	Reset:       30 * time.Second,
	UDP:         30 * time.Second,
}

func init() {
	registerNAT(NATInfo{
		Name:        "gcp-nat",
		Description: "Google Cloud NAT: each VM gets its own ports of the NAT addresses (64,512 each), min-ports of them (64 by default), or with dynamic allocation from min to max, doubling as it fills; endpoint-independent mapping on or off",
		How: "Cloud NAT gives every VM its own share of the NAT addresses' ports: with static allocation min-ports of them (64 unless set), so a VM holds at most that many connections to one destination (address, port, protocol) while other destinations reuse the same ports. " +
			"With dynamic port allocation a VM starts at min-ports (32 unless set) and its share doubles when it runs out, up to max-ports. Endpoint-independent mapping keeps a VM's source address and port on one NAT address and port for every destination, which can conflict with another mapping already there (ENDPOINT_INDEPENDENCE_CONFLICT); running out is OUT_OF_RESOURCES.",
		Params: append([]Param{
			{Name: "min-ports", Default: "0", Help: "ports a VM gets first; 0: 64, or 32 with dynamic=on"},
			{Name: "dynamic", Default: "off", Help: "on: dynamic port allocation, a VM's ports double from min-ports up to max-ports as it needs them"},
			{Name: "max-ports", Default: "65536", Help: "the most ports a VM gets with dynamic=on (a power of two above min-ports)"},
			{Name: "eim", Default: "off", Help: "on: endpoint-independent mapping (not with dynamic=on)"},
		}, timeoutParams(gcpTimeouts)...),
		Sources: []string{
			"Google Cloud NAT, ports and addresses: 64,512 ports per NAT IP address, minimum ports per VM 64 by default with static allocation, a port used once per destination 3-tuple (cloud.google.com/nat/docs/ports-and-addresses, read 2026-12-01)",
			"Compute Engine API RouterNat: enableDynamicPortAllocation (minPortsPerVm a power of two ≥ 32, default 32; maxPortsPerVm a power of two, default 65536; mutually exclusive with enableEndpointIndependentMapping); timeouts tcpEstablishedIdleTimeoutSec 1200, tcpTransitoryIdleTimeoutSec 30, tcpTimeWaitTimeoutSec 120, udpIdleTimeoutSec 30 (read 2026-12-01)",
			"Cloud NAT troubleshooting: dropped_sent_packets_count reasons OUT_OF_RESOURCES and ENDPOINT_INDEPENDENCE_CONFLICT (read 2026-12-01)",
		},
		Failures: map[gateway.Reason]string{gateway.Exhausted: "OUT_OF_RESOURCES", gateway.Conflict: "ENDPOINT_INDEPENDENCE_CONFLICT"},
		build:    buildGCP,
	})
}

func buildGCP(seed uint64, p *Params, env natEnv) (gateway.Policy, gateway.Config, error) {
	g := &GCPNAT{dynamic: p.Bool("dynamic"), rng: newRand(seed, streamCloud), hosts: make([]blockHost, env.hosts)}
	eim := p.Bool("eim")
	min := p.Int("min-ports", 0, 65536)
	g.max = p.Int("max-ports", 2, 65536)
	if p.err != nil {
		return nil, gateway.Config{}, nil
	}
	switch {
	case min == 0 && g.dynamic:
		min = 32
	case min == 0:
		min = 64
	}
	if g.dynamic {
		if eim {
			return nil, gateway.Config{}, fmt.Errorf("dynamic=on and eim=on: Cloud NAT allows one or the other; want one of them off")
		}
		if min < 32 || bits.OnesCount(uint(min)) != 1 || bits.OnesCount(uint(g.max)) != 1 || g.max <= min {
			return nil, gateway.Config{}, fmt.Errorf("min-ports=%d, max-ports=%d; dynamic allocation wants powers of two, min-ports ≥ 32 and max-ports above it", min, g.max)
		}
	}
	if min > highPorts.Size() {
		return nil, gateway.Config{}, fmt.Errorf("min-ports=%d is more than a NAT address's %d ports", min, highPorts.Size())
	}
	if need := min * env.hosts; need > highPorts.Size()*env.addrs {
		return nil, gateway.Config{}, fmt.Errorf("%d VMs × min-ports=%d is %d ports, more than %d NAT addresses hold (%d each); want more public-ips", env.hosts, min, need, env.addrs, highPorts.Size())
	}
	g.min = min
	g.pool = newBlockPool(highPorts.Lo, highPorts.Size(), min, env.addrs)
	m := gateway.AddressPortDependent
	if eim {
		m = gateway.EndpointIndependent
	}
	cfg := gateway.Config{
		Range:     highPorts,
		Mapping:   [2]gateway.Dependence{m, m},
		Filtering: [2]gateway.Dependence{gateway.AddressPortDependent, gateway.AddressPortDependent},
	}
	readTimeouts(p, &cfg)
	return g, cfg, nil
}

// GCPNAT is Cloud NAT's per-VM port allocation, in blocks of min-ports
// ports: one block for static allocation; with dynamic allocation as many
// more as double the VM's share each time its ports run out. Which of its
// ports a connection gets is not documented; the model starts at a random
// one. Shares are not taken back when a VM's use falls.
type GCPNAT struct {
	min, max int
	dynamic  bool
	pool     *blockPool
	rng      *rand.Rand
	hosts    []blockHost
	segs     []segment
}

// Pick implements gateway.Policy.
func (g *GCPNAT) Pick(r *gateway.Request, usable func(int, uint16) bool) (gateway.Endpoint, int, error) {
	h := &g.hosts[r.Host]
	if len(h.blocks) == 0 && !g.grow(h, 1) {
		return gateway.Endpoint{}, 0, gateway.ErrExhausted
	}
	probes := 0
	for {
		g.segs = g.blockSegments(g.segs[:0], h)
		e, n, ok := scanSegments(g.segs, g.rng.IntN(segmentsTotal(g.segs)), -1, usable)
		probes += n
		if ok {
			return e, probes, nil
		}
		held := len(h.blocks) * g.min
		if !g.dynamic || 2*held > g.max || !g.grow(h, len(h.blocks)) {
			return gateway.Endpoint{}, probes, gateway.ErrExhausted
		}
	}
}

// grow gives host h n more blocks, on its address while it has room, else
// on the roomiest; it reports whether it got them all.
func (g *GCPNAT) grow(h *blockHost, n int) bool {
	for range n {
		a := h.addr
		if len(h.blocks) == 0 || g.pool.nfree[a] == 0 {
			a = g.pool.roomiest()
		}
		idx, ok := g.pool.take(a, false, nil)
		if !ok {
			return false
		}
		if len(h.blocks) == 0 {
			h.addr = a
		}
		h.blocks = append(h.blocks, heldBlock{index: idx + a*g.pool.per})
	}
	return true
}

// blockSegments lists host h's ports. A GCP host's blocks may lie on
// several addresses, so their index counts blocks across addresses.
func (g *GCPNAT) blockSegments(segs []segment, h *blockHost) []segment {
	for _, b := range h.blocks {
		a, idx := b.index/g.pool.per, b.index%g.pool.per
		segs = append(segs, segment{addr: a, lo: uint16(int(g.pool.lo) + idx*g.min), n: g.min})
	}
	return segs
}

// Held implements gateway.Holder.
func (g *GCPNAT) Held(h int) int { return len(g.hosts[h].blocks) * g.min }
