package strategies

import (
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/gateway"
)

// Streams of the translators' random sources, apart from the strategies'.
const (
	streamNetfilter = 100 + iota*10
	streamNetfilterKey
	streamCloud
	streamBlocks
	streamRFC4787
)

// netfilterTimeouts are conntrack's defaults (nf_conntrack-sysctl.rst):
// established 5 days, TIME_WAIT 120 s, CLOSE 10 s after a RST, UDP 30 s,
// 120 s for a UDP stream.
var netfilterTimeouts = gateway.Timeouts{
	Established: 432000 * time.Second,
	Closing:     120 * time.Second,
	Reset:       10 * time.Second,
	UDP:         30 * time.Second,
	UDPStream:   120 * time.Second,
}

func init() {
	registerNAT(NATInfo{
		Name:        "netfilter",
		Description: "Linux SNAT/MASQUERADE (nf_nat): keep the host's port when the tuple is free, else search from a random offset, 128 tries then smaller rounds; random, random-fully; conntrack's confirm race",
		How: "Linux keeps a flow's own source port when nobody uses that public tuple yet. Otherwise it searches the allowed ports from an offset, at most 128 in a row, then 64, 32, 16 and 8 from new random offsets before it gives up. " +
			"Without --to-ports MASQUERADE keeps a port in its class: below 512, 512–1023 (mapped into 600–1023) or 1024 and up. A new mapping is confirmed only after the packet leaves the NAT hook, so two flows that choose the same tuple at once clash and the later one is dropped (insert_failed): " +
			"kept ports clash most, which is why Kubernetes moved to --random-fully.",
		Params: append([]Param{
			{Name: "random", Default: "off", Help: "off keeps the host's port when it can; on (--random) and fully (--random-fully) always search from a random offset", Choices: []string{"off", "on", "fully"}},
			{Name: "to-ports", Default: "", Help: "the --to-ports range LO-HI; empty: MASQUERADE's classes (1-511, 600-1023, 1024-65535 by the host's port)"},
			{Name: "persistent", Default: "off", Help: "on: choose the public address from the host's address alone, not the destination's too"},
			{Name: "offset", Default: "random", Help: "the search's start: random (kernels since commit 6ed5943f8735) or rover (before it: the last offset found, for --random a keyed hash of the addresses and port)", Choices: []string{"random", "rover"}},
			{Name: "attempts", Default: "128", Help: "tries before a new offset (commit a504b703bb1d); 0 searches the whole range as older kernels did"},
			{Name: "window", Default: "10us", Help: "conntrack's confirm window: how long a new mapping stays invisible to other CPUs' choices"},
		}, timeoutParams(netfilterTimeouts)...),
		Sources: []string{
			"net/netfilter/nf_nat_core.c get_unique_tuple, nf_nat_l4proto_unique_tuple, find_best_ips_proto (torvalds/linux, read 2026-12-01)",
			"commit 6ed5943f8735 netfilter: nat: remove l4 protocol port rovers (the search's start became random; before, the last offset used)",
			"commit a504b703bb1d netfilter: nat: limit port clash resolution attempts (128, then 64, 32, 16, 8 from new offsets)",
			"Documentation/networking/nf_conntrack-sysctl.rst (timeouts: TIME_WAIT 120 s, UDP 30 s, stream 120 s, established 432000 s)",
			"\"A reason for unexplained connection timeouts on Kubernetes/Docker\" (2018): insert_failed from the confirm race, fixed by --random-fully",
		},
		Failures: map[gateway.Reason]string{gateway.Exhausted: "insert_failed (no free tuple)", gateway.Clash: "insert_failed"},
		build:    buildNetfilter,
	})
}

func buildNetfilter(seed uint64, p *Params, _ natEnv) (gateway.Policy, gateway.Config, error) {
	n := &Netfilter{
		random:     p.Enum("random", "off", "on", "fully"),
		persistent: p.Bool("persistent"),
		rover:      p.Enum("offset", "random", "rover") == "rover",
		attempts:   p.Int("attempts", 0, 65535),
		rng:        newRand(seed, streamNetfilter),
		key:        newSipKey(seed, streamNetfilterKey),
	}
	cfg := gateway.Config{
		Range:     allPorts,
		Mapping:   [2]gateway.Dependence{gateway.AddressPortDependent, gateway.AddressPortDependent},
		Filtering: [2]gateway.Dependence{gateway.AddressPortDependent, gateway.AddressPortDependent},
		Timeouts:  netfilterTimeouts,
		Window:    natDuration(p, "window"),
	}
	if s := p.String("to-ports"); s != "" {
		r, err := allocator.ParseRange(s)
		if err != nil {
			p.fail("to-ports=%q: %v", s, err)
		} else {
			n.toPorts, cfg.Range = true, r
		}
	}
	readTimeouts(p, &cfg)
	return n, cfg, nil
}

// Netfilter is Linux's source NAT: SNAT and MASQUERADE, nf_nat's
// get_unique_tuple. Build it with NewNAT("netfilter", ...).
type Netfilter struct {
	random     string // off, on (--random) or fully (--random-fully)
	persistent bool
	rover      bool // the old kernels' search start
	attempts   int  // before a new offset; 0: the whole range
	toPorts    bool
	rng        *rand.Rand
	key        sipKey
	rovers     [2]uint16 // the old per-protocol rover
}

// Pick implements gateway.Policy.
func (n *Netfilter) Pick(r *gateway.Request, usable func(int, uint16) bool) (gateway.Endpoint, int, error) {
	probes := 0
	if n.random == "off" {
		// An inside endpoint already mapped keeps its public endpoint
		// (find_appropriate_src), else its own port (port preservation).
		if r.HasPrior {
			probes++
			if n.inRange(r, r.Prior.Port) && usable(r.Prior.Addr, r.Prior.Port) {
				return r.Prior, probes, nil
			}
		}
	}
	addr := n.addr(r)
	lo, size := n.portRange(r)
	if n.random == "off" {
		if p := r.Inside.Port(); int(p) >= lo && int(p) < lo+size {
			probes++
			if usable(addr, p) {
				return gateway.Endpoint{Addr: addr, Port: p}, probes, nil
			}
		}
	}
	off := n.offset(r, addr)
	attempts := size
	if n.attempts > 0 && attempts > n.attempts {
		attempts = n.attempts
	}
	for {
		for range attempts {
			port := uint16(lo + int(off)%size)
			probes++
			if usable(addr, port) {
				if n.rover && n.random == "off" {
					n.rovers[r.Proto] = off
				}
				return gateway.Endpoint{Addr: addr, Port: port}, probes, nil
			}
			off++ // a 16-bit offset, as the kernel's: it wraps at 65536
		}
		if attempts >= size || attempts < 16 {
			return gateway.Endpoint{}, probes, gateway.ErrExhausted
		}
		attempts /= 2
		off = uint16(n.rng.Uint32())
	}
}

// inRange reports whether a public port is one this rule may give: in
// --to-ports, else in the host's port's class.
func (n *Netfilter) inRange(r *gateway.Request, port uint16) bool {
	lo, size := n.portRange(r)
	return int(port) >= lo && int(port) < lo+size
}

// portRange is the ports a flow may get: --to-ports, or the class of the
// host's own port (below 512, 512 to 1023, 1024 and up) as the kernel
// applies it when no range is given.
func (n *Netfilter) portRange(r *gateway.Request) (lo, size int) {
	if n.toPorts {
		return int(r.Lo), r.Size()
	}
	switch p := r.Inside.Port(); {
	case p < 512:
		return 1, 511
	case p < 1024:
		return 600, 1023 - 600 + 1
	}
	return 1024, 65535 - 1024 + 1
}

// addr is the public address: the only one, or a fixed hash of the host's
// and the destination's addresses (the host's alone when persistent), so a
// server sees a host from one address.
func (n *Netfilter) addr(r *gateway.Request) int {
	if len(r.Addrs) == 1 {
		return 0
	}
	var dst netip.Addr // persistent: the host's address alone
	if !n.persistent {
		dst = r.Dst.Addr()
	}
	return scaleHash(addrHash(r.Inside.Addr(), dst), len(r.Addrs))
}

// offset is where the search starts: a fresh random 16-bit value; on the
// old kernels the protocol's rover, or for --random a keyed hash of the
// public address and the destination.
func (n *Netfilter) offset(r *gateway.Request, addr int) uint16 {
	if !n.rover || n.random == "fully" {
		return uint16(n.rng.Uint32())
	}
	if n.random == "on" {
		return uint16(flowHash(n.key, r.Addrs[addr], r.Dst, 0))
	}
	return n.rovers[r.Proto]
}
