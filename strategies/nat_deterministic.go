package strategies

import (
	"fmt"
	"math/rand/v2"

	"github.com/portsim/portsim/gateway"
)

func init() {
	registerNAT(NATInfo{
		Name:        "deterministic",
		Description: "deterministic NAT (RFC 7422): host i always gets the same port range on the same address, 64,512 / ⌈hosts / addresses⌉ ports, by formula, so nothing needs logging",
		How: "Deterministic NAT divides each public address's 64,512 ports among the hosts that share it: with 64 hosts per address each gets 1008 ports, with 1024 hosts 63. " +
			"Host i always maps into the same range of the same address, so an abuse report (address, port, time) is traced back by the formula alone, with no per-connection log; the price is a hard cap per host and ports that name the host.",
		Params: append([]Param{
			{Name: "ports", Default: "random", Help: "which port of its range a connection gets: random or sequential (lowest first)", Choices: []string{"random", "sequential"}},
			{Name: "parity", Default: "off", Help: "on: keep the host's port parity (RFC 4787 REQ-4)"},
			{Name: "mapping", Default: "eim", Help: "eim, adm or apdm: which flows share a mapping", Choices: []string{"eim", "adm", "apdm"}},
			{Name: "filtering", Default: "eif", Help: "eif, adf or apdf: which replies a mapping lets in, and so how far a port is shared", Choices: []string{"eif", "adf", "apdf"}},
		}, timeoutParams(cgnTimeouts)...),
		Sources: []string{
			"RFC 7422 (deterministic address mapping to reduce logging in CGN): a fixed port range per subscriber computed from the subscriber's address (read 2026-12-01)",
			"RFC 4787 REQ-1, REQ-4; RFC 6888 REQ-4 (read 2026-12-01)",
		},
		Failures: map[gateway.Reason]string{gateway.Exhausted: "port range exhausted"},
		build: func(seed uint64, p *Params, env natEnv) (gateway.Policy, gateway.Config, error) {
			ratio := (env.hosts + env.addrs - 1) / env.addrs
			d := &Deterministic{
				ratio:     ratio,
				size:      highPorts.Size() / ratio,
				randPorts: portOrder(p, "random", "sequential") == "random",
				parity:    p.Bool("parity"),
				rng:       newRand(seed, streamBlocks),
			}
			if d.parity && d.size < 2 {
				return nil, gateway.Config{}, fmt.Errorf("parity=on leaves %d hosts per address one port each; want fewer hosts or more public-ips", ratio)
			}
			cfg := gateway.Config{Range: highPorts}
			m, f := dependenceParam(p, "mapping", "m"), dependenceParam(p, "filtering", "f")
			cfg.Mapping = [2]gateway.Dependence{m, m}
			cfg.Filtering = [2]gateway.Dependence{f, f}
			readTimeouts(p, &cfg)
			return d, cfg, nil
		},
	})
}

// Deterministic is RFC 7422's mapping: host i shares address ⌊i / ratio⌋
// with ratio − 1 others and owns ports [1024 + (i mod ratio)·size, +size).
type Deterministic struct {
	ratio, size int
	randPorts   bool
	parity      bool
	rng         *rand.Rand
	seg         [1]segment
}

// Pick implements gateway.Policy.
func (d *Deterministic) Pick(r *gateway.Request, usable func(int, uint16) bool) (gateway.Endpoint, int, error) {
	d.seg[0] = d.block(r.Host)
	start := 0
	if d.randPorts {
		start = d.rng.IntN(d.size)
	}
	e, probes, ok := scanSegments(d.seg[:], start, parityOf(d.parity, r.Inside), usable)
	if !ok {
		return gateway.Endpoint{}, probes, gateway.ErrExhausted
	}
	return e, probes, nil
}

// block is host h's range.
func (d *Deterministic) block(h int) segment {
	return segment{addr: h / d.ratio, lo: uint16(int(highPorts.Lo) + (h%d.ratio)*d.size), n: d.size}
}

// LogRecords implements gateway.Logger: the formula is the log.
func (d *Deterministic) LogRecords() int { return 0 }

// Held implements gateway.Holder.
func (d *Deterministic) Held(int) int { return d.size }
