package sim

import (
	"net/netip"
	"time"

	"github.com/portsim/portsim/allocator"
)

// Scenario is a fully resolved workload and host: everything needed to
// reproduce a run. Field names follow the CLI flags and file fields.
type Scenario struct {
	Name     string
	Seed     uint64
	Duration time.Duration // arrivals stop then
	Warmup   time.Duration // metrics ignore allocations before this

	Arrivals     Arrivals
	Lifetime     Lifetime
	Destinations int
	Popularity   Popularity
	DstPorts     []uint16
	IPv6         bool         // destinations (and default sources) are IPv6
	Srcs         []netip.Addr // local addresses, used round-robin

	Kinds []Share[allocator.Kind]
	Close []Share[allocator.CloseHow]

	TimeWait     time.Duration
	TWReuse      allocator.TWReuse
	TWReuseDelay time.Duration
	Range        allocator.Range
	Reserved     []allocator.Range

	Strategies []string // strategy specs, "name[:k=v,…]"

	// Hosts is how many internal hosts run each strategy, each with its
	// own tables and seeds; arrivals go to them in turn. More than one
	// needs a Gateway.
	Hosts int
	// Gateway is the translator in front of the hosts, "" for none.
	Gateway GatewaySpec
	// PublicIPs is how many public addresses the gateway has.
	PublicIPs int

	// SampleStep is how often occupancy is sampled; 0 picks Duration/500.
	SampleStep time.Duration
}

// DstAddr is destination i's address: 198.18.0.0/15 (RFC 2544's
// benchmarking range) for the first 131072, then 100.64.0.0/10; IPv6 uses
// 2001:db8:ffff::/48.
func (sc *Scenario) DstAddr(i int) netip.AddrPort {
	port := sc.DstPorts[i%len(sc.DstPorts)]
	if sc.IPv6 {
		b := v6Base
		b[12], b[13], b[14], b[15] = byte(i>>24), byte(i>>16), byte(i>>8), byte(i)
		return netip.AddrPortFrom(netip.AddrFrom16(b), port)
	}
	var base uint32 = 198<<24 | 18<<16
	n := uint32(i)
	if i >= 1<<17 {
		base, n = 100<<24|64<<16, uint32(i-1<<17)
	}
	v := base + n
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), port)
}

var v6Base = netip.MustParseAddr("2001:db8:ffff::").As16()

// MaxDestinations is how many distinct destination addresses DstAddr has.
const MaxDestinations = 1<<17 + 1<<22

func (sc *Scenario) sampleStep() time.Duration {
	if sc.SampleStep > 0 {
		return sc.SampleStep
	}
	step := sc.Duration / 500
	if step < time.Millisecond {
		step = time.Millisecond
	}
	return step
}

// TableConfig is the host's port rules for this scenario.
func (sc *Scenario) TableConfig() allocator.Config {
	return allocator.Config{
		Range:        sc.Range,
		Reserved:     sc.Reserved,
		TimeWait:     sc.TimeWait,
		TWReuse:      sc.TWReuse,
		TWReuseDelay: sc.TWReuseDelay,
	}
}
