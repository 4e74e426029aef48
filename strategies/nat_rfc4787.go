package strategies

import (
	"math/rand/v2"

	"github.com/portsim/portsim/gateway"
)

func init() {
	registerNAT(NATInfo{
		Name:        "rfc4787",
		Description: "a NAT as RFC 4787 recommends: endpoint-independent mapping, paired address pooling, port parity kept, the host's own port kept when free; mapping and filtering behaviours are parameters",
		How: "RFC 4787 asks a NAT to keep one public endpoint per inside endpoint whatever the destination (endpoint-independent mapping), to keep a host on one public address (paired pooling) and to keep a port's parity. " +
			"Filtering decides which replies come in: endpoint-independent filtering lets anyone reach a mapping, so its port is the mapping's alone; address-and-port-dependent filtering admits only the destinations it sent to, so a port can serve mappings to different destinations.",
		Params: append([]Param{
			{Name: "ports", Default: "preserve", Help: "preserve (the host's port when free, else a random one), random, or sequential (lowest first)", Choices: []string{"preserve", "random", "sequential"}},
			{Name: "parity", Default: "on", Help: "on: keep the host's port parity (REQ-4)"},
			{Name: "mapping", Default: "eim", Help: "eim, adm or apdm: which flows share a mapping (REQ-1: eim)", Choices: []string{"eim", "adm", "apdm"}},
			{Name: "filtering", Default: "eif", Help: "eif, adf or apdf: which replies a mapping lets in (REQ-8: eif for transparency, adf to be strict)", Choices: []string{"eif", "adf", "apdf"}},
		}, timeoutParams(cgnTimeouts)...),
		Sources: []string{
			"RFC 4787 (NAT behavioral requirements for unicast UDP): REQ-1 endpoint-independent mapping, REQ-2 paired pooling, REQ-4 port parity, REQ-5 mapping timer ≥ 2 min, REQ-8 filtering (read 2026-12-01)",
			"RFC 5382 (the same for TCP): REQ-5 established idle timeout ≥ 2 h 4 min (read 2026-12-01)",
		},
		Failures: map[gateway.Reason]string{gateway.Exhausted: "no free port", gateway.Conflict: "mapping conflict"},
		build: func(seed uint64, p *Params, _ natEnv) (gateway.Policy, gateway.Config, error) {
			n := &RFC4787{
				ports:  portOrder(p, "preserve", "random", "sequential"),
				parity: p.Bool("parity"),
				rng:    newRand(seed, streamRFC4787),
			}
			cfg := gateway.Config{Range: highPorts}
			m, f := dependenceParam(p, "mapping", "m"), dependenceParam(p, "filtering", "f")
			cfg.Mapping = [2]gateway.Dependence{m, m}
			cfg.Filtering = [2]gateway.Dependence{f, f}
			readTimeouts(p, &cfg)
			return n, cfg, nil
		},
	})
}

// RFC4787 is a NAT following RFC 4787's recommendations: host h always
// maps to address h mod addresses (paired pooling).
type RFC4787 struct {
	ports  string
	parity bool
	rng    *rand.Rand
	seg    [1]segment
}

// Pick implements gateway.Policy.
func (n *RFC4787) Pick(r *gateway.Request, usable func(int, uint16) bool) (gateway.Endpoint, int, error) {
	addr := r.Host % len(r.Addrs)
	probes := 0
	if n.ports == "preserve" {
		if p := r.Inside.Port(); p >= r.Lo && p <= r.Hi {
			probes++
			if usable(addr, p) {
				return gateway.Endpoint{Addr: addr, Port: p}, probes, nil
			}
		}
	}
	n.seg[0] = segment{addr: addr, lo: r.Lo, n: r.Size()}
	start := 0
	if n.ports != "sequential" {
		start = n.rng.IntN(r.Size())
	}
	e, k, ok := scanSegments(n.seg[:], start, parityOf(n.parity, r.Inside), usable)
	probes += k
	if !ok {
		return gateway.Endpoint{}, probes, gateway.ErrExhausted
	}
	return e, probes, nil
}
