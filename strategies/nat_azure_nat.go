package strategies

import (
	"math/rand/v2"
	"time"

	"github.com/portsim/portsim/gateway"
)

// azureNATTimeouts: port reuse timers of 65 s after a FIN, 16 s after a
// RST and 65 s for UDP; a TCP idle timeout of 4 minutes (up to 120).
var azureNATTimeouts = gateway.Timeouts{
	Established: 4 * time.Minute,
	Closing:     65 * time.Second,
	Reset:       16 * time.Second,
	UDP:         65 * time.Second,
}

func init() {
	registerNAT(NATInfo{
		Name:        "azure-nat",
		Description: "Azure NAT Gateway: 64,512 ports per public address (up to 16) shared by every VM, chosen at random, at most 50,000 connections per address to one destination, ports cooled down 65 s after a FIN",
		How: "Azure NAT Gateway pools the 64,512 ports of each of its up to 16 addresses for every VM in its subnets and picks a free one at random for each connection. " +
			"A port may carry connections to different destinations at once; to the same destination it waits out a cool-down after each close (65 s after a FIN, 16 s after a RST). One address holds at most 50,000 connections to one destination. Running out is SNAT port exhaustion.",
		Params: append([]Param{
			{Name: "limit", Default: "50000", Help: "connections per public address to one destination"},
		}, timeoutParams(azureNATTimeouts)...),
		Sources: []string{
			"Azure NAT Gateway resource: 64,512 SNAT ports per public IP, up to 16 IPs, port reuse timers (TCP FIN 65 s, RST 16 s, UDP 65 s), TCP idle timeout 4 to 120 minutes, 50,000 concurrent connections per public IP to the same destination (learn.microsoft.com/azure/nat-gateway/nat-gateway-resource, read 2026-12-01)",
			"Azure Load Balancer, troubleshoot outbound connections: a NAT gateway selects ports at random from the available pool (read 2026-12-01)",
		},
		MaxAddrs: 16,
		Failures: map[gateway.Reason]string{gateway.Exhausted: "SNAT port exhaustion"},
		build: func(seed uint64, p *Params, _ natEnv) (gateway.Policy, gateway.Config, error) {
			cfg := gateway.Config{
				Range:     highPorts,
				Mapping:   [2]gateway.Dependence{gateway.AddressPortDependent, gateway.AddressPortDependent},
				Filtering: [2]gateway.Dependence{gateway.AddressPortDependent, gateway.AddressPortDependent},
				Limit:     p.Int("limit", 1, highPorts.Size()),
			}
			readTimeouts(p, &cfg)
			return &AzureNAT{rng: newRand(seed, streamCloud)}, cfg, nil
		},
	})
}

// AzureNAT is Azure NAT Gateway's port choice: a random port of the whole
// inventory, every address's ports in one pool, walking on from a busy one.
type AzureNAT struct {
	rng  *rand.Rand
	segs []segment
}

// Pick implements gateway.Policy.
func (a *AzureNAT) Pick(r *gateway.Request, usable func(int, uint16) bool) (gateway.Endpoint, int, error) {
	a.segs = a.segs[:0]
	for addr := range len(r.Addrs) {
		if r.Open(addr) {
			a.segs = append(a.segs, segment{addr: addr, lo: r.Lo, n: r.Size()})
		}
	}
	if len(a.segs) == 0 {
		return gateway.Endpoint{}, 0, gateway.ErrExhausted
	}
	e, probes, ok := scanSegments(a.segs, a.rng.IntN(segmentsTotal(a.segs)), -1, usable)
	if !ok {
		return gateway.Endpoint{}, probes, gateway.ErrExhausted
	}
	return e, probes, nil
}
