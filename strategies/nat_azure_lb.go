package strategies

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/gateway"
)

// azureLBPorts is Load Balancer's default SNAT pre-allocation: ports per
// VM by the backend pool's size, per frontend address.
var azureLBPorts = []struct{ upTo, ports int }{
	{50, 1024}, {100, 512}, {200, 256}, {400, 128}, {800, 64}, {1000, 32},
}

// azureLBRange is the 64,000 SNAT ports of a frontend address.
var azureLBRange = allocator.Range{Lo: 1024, Hi: 1024 + 64000 - 1}

// azureLBTimeouts: the idle timeout is 4 minutes by default (4 to 120 with
// outbound rules); the documentation says a port is released when its flow
// closes and gives no cool-down, so none is modelled.
var azureLBTimeouts = gateway.Timeouts{
	Established: 4 * time.Minute,
	UDP:         4 * time.Minute,
}

func init() {
	registerNAT(NATInfo{
		Name:        "azure-lb",
		Description: "Azure Load Balancer outbound SNAT (default allocation): each VM gets a fixed share of each frontend address's 64,000 ports by pool size (1-50 VMs: 1024 ... 801-1000: 32), reused across destinations",
		How: "Azure Load Balancer pre-allocates SNAT ports to every VM in the backend pool: 1024 each for up to 50 VMs, halving at 100, 200, 400 and 800 VMs down to 32 for up to 1000, on each frontend address. " +
			"A VM's port carries one connection per destination address and port (UDP: per destination address), so a VM runs out when it holds that many connections to one destination, while other destinations still work: SNAT port exhaustion.",
		Params: append([]Param{
			{Name: "ports", Default: "0", Help: "ports per VM per frontend address, as an outbound rule sets them; 0: the default table by pool size (the hosts)"},
		}, timeoutParams(azureLBTimeouts)...),
		Sources: []string{
			"Azure Load Balancer, SNAT for outbound connections: default port allocation table (pool size 1-50: 1,024 ... 801-1,000: 32), 64,000 ports per frontend IP, frontends multiply the ports, port reuse per destination IP and port, UDP port-restricted cone (learn.microsoft.com/azure/load-balancer/load-balancer-outbound-connections, read 2026-12-01)",
			"Azure Load Balancer TCP reset and idle timeout: 4 minutes by default, 4 to 120 with outbound rules (read 2026-12-01)",
		},
		Failures: map[gateway.Reason]string{gateway.Exhausted: "SNAT port exhaustion"},
		build: func(seed uint64, p *Params, env natEnv) (gateway.Policy, gateway.Config, error) {
			per := p.Int("ports", 0, azureLBRange.Size())
			if per == 0 {
				for _, t := range azureLBPorts {
					if env.hosts <= t.upTo {
						per = t.ports
						break
					}
				}
				if per == 0 {
					return nil, gateway.Config{}, fmt.Errorf("%d VMs is more than the default allocation's 1000; want ports=N (an outbound rule) or fewer hosts", env.hosts)
				}
			}
			if per*env.hosts > azureLBRange.Size() {
				return nil, gateway.Config{}, fmt.Errorf("ports=%d for %d VMs is %d ports, more than a frontend address's %d", per, env.hosts, per*env.hosts, azureLBRange.Size())
			}
			cfg := gateway.Config{
				Range:     azureLBRange,
				Mapping:   [2]gateway.Dependence{gateway.AddressPortDependent, gateway.AddressDependent},
				Filtering: [2]gateway.Dependence{gateway.AddressPortDependent, gateway.AddressPortDependent},
			}
			readTimeouts(p, &cfg)
			return &AzureLB{per: per, addrs: env.addrs, rng: newRand(seed, streamCloud)}, cfg, nil
		},
	})
}

// AzureLB is Load Balancer's default outbound SNAT: VM h holds ports
// [lo + h·per, lo + (h+1)·per) on every frontend address. Which of its
// ports a connection gets is not documented; the model starts at a random
// one and takes the first usable.
type AzureLB struct {
	per   int // ports per VM per frontend address
	addrs int
	rng   *rand.Rand
	segs  []segment
}

// Pick implements gateway.Policy.
func (a *AzureLB) Pick(r *gateway.Request, usable func(int, uint16) bool) (gateway.Endpoint, int, error) {
	a.segs = a.segs[:0]
	lo := uint16(int(r.Lo) + r.Host*a.per)
	for addr := range len(r.Addrs) {
		a.segs = append(a.segs, segment{addr: addr, lo: lo, n: a.per})
	}
	e, probes, ok := scanSegments(a.segs, a.rng.IntN(segmentsTotal(a.segs)), -1, usable)
	if !ok {
		return gateway.Endpoint{}, probes, gateway.ErrExhausted
	}
	return e, probes, nil
}

// Held is the ports VM h holds: its pre-allocation on every frontend.
func (a *AzureLB) Held(int) int { return a.per * a.addrs }
