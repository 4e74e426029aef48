package strategies

import (
	"math/rand/v2"
	"time"

	"github.com/portsim/portsim/gateway"
)

// awsTimeouts: the NAT gateway drops a connection idle for 350 s. After a
// close, a port to the same destination is held 60 s: the documentation's
// "about 55,000 connections per minute" to one destination is its 55,000
// connections, each port freed a minute after its close (55,000 / 60 s ≈
// 917/s, "approximately 900 connections per second").
var awsTimeouts = gateway.Timeouts{
	Established: 350 * time.Second,
	Closing:     60 * time.Second,
	Reset:       60 * time.Second,
	UDP:         350 * time.Second,
}

func init() {
	registerNAT(NATInfo{
		Name:        "aws-nat",
		Description: "AWS NAT Gateway: ports 1024-65535, at most 55,000 connections to one destination per public address, a port held a minute after a close (~900 new connections/s to one destination), up to 8 addresses",
		How: "An AWS NAT gateway gives each connection a port from 1024-65535 of one of its addresses, but holds at most 55,000 connections to any one destination (address, port and protocol) per address; connections to other destinations do not count. " +
			"A closed connection's port stays reserved for that destination for about a minute, so short connections to one destination top out near 55,000 a minute, about 900 a second. Each secondary address adds another 55,000. Failures show as the ErrorPortAllocation metric.",
		Params: append([]Param{
			{Name: "limit", Default: "55000", Help: "connections per public address to one destination"},
		}, timeoutParams(awsTimeouts)...),
		Sources: []string{
			"AWS VPC User Guide, NAT gateway basics: 55,000 simultaneous connections to each unique destination, approximately 900 connections per second (about 55,000 per minute), ports 1024-65535, ErrorPortAllocation (docs.aws.amazon.com/vpc/latest/userguide/nat-gateway-basics.html, read 2026-12-01)",
			"AWS re:Post knowledge center, troubleshoot NAT gateway connectivity: up to eight IPv4 addresses, one primary and seven secondary, each adding ports (read 2026-12-01)",
			"AWS VPC User Guide, troubleshoot NAT gateways: a connection idle for 350 seconds or more times out (read 2026-12-01)",
			"the 60 s hold after a close is derived: 55,000 connections per minute to one destination, not documented as a timer",
		},
		MaxAddrs: 8,
		Failures: map[gateway.Reason]string{gateway.Exhausted: "ErrorPortAllocation"},
		build: func(seed uint64, p *Params, _ natEnv) (gateway.Policy, gateway.Config, error) {
			cfg := gateway.Config{
				Range:     highPorts,
				Mapping:   [2]gateway.Dependence{gateway.AddressPortDependent, gateway.AddressPortDependent},
				Filtering: [2]gateway.Dependence{gateway.AddressPortDependent, gateway.AddressPortDependent},
				Limit:     p.Int("limit", 1, highPorts.Size()),
			}
			readTimeouts(p, &cfg)
			return &AWSNAT{rng: newRand(seed, streamCloud)}, cfg, nil
		},
	})
}

// AWSNAT is an AWS NAT gateway's port choice. AWS does not document how
// it picks; the model takes the address holding fewest connections to the
// destination, so that addresses fill evenly, and a random port on it.
type AWSNAT struct {
	rng   *rand.Rand
	order []int
	segs  []segment
}

// Pick implements gateway.Policy.
func (a *AWSNAT) Pick(r *gateway.Request, usable func(int, uint16) bool) (gateway.Endpoint, int, error) {
	a.order = leastLoaded(a.order, r)
	a.segs = a.segs[:0]
	for _, addr := range a.order {
		a.segs = append(a.segs, segment{addr: addr, lo: r.Lo, n: r.Size()})
	}
	if len(a.segs) == 0 {
		return gateway.Endpoint{}, 0, gateway.ErrExhausted
	}
	e, probes, ok := scanSegments(a.segs, a.rng.IntN(r.Size()), -1, usable)
	if !ok {
		return gateway.Endpoint{}, probes, gateway.ErrExhausted
	}
	return e, probes, nil
}

// leastLoaded lists the addresses open to r.Dst, fewest flows there
// first, ties by index, reusing order's storage.
func leastLoaded(order []int, r *gateway.Request) []int {
	order = order[:0]
	for a := range len(r.Addrs) {
		if r.Open(a) {
			order = append(order, a)
		}
	}
	// Insertion sort: there are at most a few addresses.
	for i := 1; i < len(order); i++ {
		for j := i; j > 0 && r.Load(order[j]) < r.Load(order[j-1]); j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
	return order
}
