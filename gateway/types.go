package gateway

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/portsim/portsim/allocator"
)

// Proto is a flow's transport protocol; TCP and UDP ports are separate
// inventories on every gateway modelled.
type Proto uint8

const (
	TCP Proto = iota
	UDP
)

func (p Proto) String() string {
	switch p {
	case TCP:
		return "tcp"
	case UDP:
		return "udp"
	}
	return fmt.Sprintf("Proto(%d)", uint8(p))
}

// ProtoOf is the protocol of a host's request kind: UDP for udp, else TCP.
func ProtoOf(k allocator.Kind) Proto {
	if k == allocator.UDP {
		return UDP
	}
	return TCP
}

// Dependence is how much of the destination a mapping or a filter looks
// at (RFC 4787 §4.1 and §5).
type Dependence uint8

const (
	// EndpointIndependent: the destination does not matter.
	EndpointIndependent Dependence = iota
	// AddressDependent: the destination's address matters, not its port.
	AddressDependent
	// AddressPortDependent: the destination's address and port matter.
	AddressPortDependent
)

var dependenceNames = [...]string{
	EndpointIndependent:  "endpoint-independent",
	AddressDependent:     "address-dependent",
	AddressPortDependent: "address-and-port-dependent",
}

func (d Dependence) String() string {
	if int(d) < len(dependenceNames) {
		return dependenceNames[d]
	}
	return fmt.Sprintf("Dependence(%d)", uint8(d))
}

// MarshalText writes the dependence's name.
func (d Dependence) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// key is the part of dst that d looks at: nothing, the address, or both.
func (d Dependence) key(dst netip.AddrPort) netip.AddrPort {
	switch d {
	case EndpointIndependent:
		return netip.AddrPort{}
	case AddressDependent:
		return netip.AddrPortFrom(dst.Addr(), 0)
	}
	return dst
}

// StreamAfter is how long a UDP flow must last before Timeouts.UDPStream
// applies to it: conntrack extends a replied UDP entry that is still
// active two seconds after its first packet.
const StreamAfter = 2 * time.Second

// Timeouts are how long a gateway keeps a flow's mapping, by protocol and
// state.
type Timeouts struct {
	// Established is how long an open TCP flow may stay silent; it matters
	// only for idle flows (Config.Idle).
	Established time.Duration `json:"established"`
	// Closing is the hold after a FIN close: conntrack's TIME_WAIT, a
	// cloud's port reuse timer.
	Closing time.Duration `json:"closing"`
	// Reset is the hold after a RST.
	Reset time.Duration `json:"reset"`
	// UDP is the hold after a UDP flow's last datagram, and how long an
	// idle UDP flow may stay silent.
	UDP time.Duration `json:"udp"`
	// UDPStream, when not 0, replaces UDP for flows that lasted
	// StreamAfter or more.
	UDPStream time.Duration `json:"udp_stream,omitempty"`
}

// hold is how long a flow of protocol p that lasted life and closed as how
// keeps its mapping after it ends.
func (t Timeouts) hold(p Proto, how allocator.CloseHow, life time.Duration) time.Duration {
	if p == UDP {
		if t.UDPStream > 0 && life >= StreamAfter {
			return t.UDPStream
		}
		return t.UDP
	}
	if how == allocator.Reset {
		return t.Reset
	}
	return t.Closing
}

// idle is how long an open flow of protocol p may stay silent.
func (t Timeouts) idle(p Proto) time.Duration {
	if p == UDP {
		return t.UDP
	}
	return t.Established
}

// MaxAddrs bounds Config.Addrs, far above any product modelled (Azure's 16).
const MaxAddrs = 256

// Config is a gateway's rules. A policy's preset supplies most of them;
// the scenario supplies the addresses and the number of hosts.
type Config struct {
	Addrs []netip.Addr // public addresses, one family, each once
	Hosts int          // internal hosts, numbered from 0
	// Range is the public ports mappings may use.
	Range allocator.Range
	// Mapping is which flows of an inside endpoint share a mapping, and
	// Filtering which flows a public endpoint must tell apart, per Proto.
	Mapping, Filtering [2]Dependence
	// Limit caps the flows (open and held) one public address holds to one
	// destination (address, port and protocol); 0 means no cap.
	Limit    int
	Timeouts Timeouts
	// Window is how long a new mapping stays unconfirmed, invisible to
	// other flows' choices.
	Window time.Duration
	// Idle makes open flows silent: a TCP flow open longer than
	// Timeouts.Established, a UDP flow longer than Timeouts.UDP, loses its
	// mapping then (an idle timeout). Otherwise open flows keep their
	// mappings, as flows with traffic or keepalives do.
	Idle bool
}

// Validate reports the first problem with c.
func (c *Config) Validate() error {
	if len(c.Addrs) == 0 || len(c.Addrs) > MaxAddrs {
		return fmt.Errorf("gateway: %d public addresses; want 1 to %d", len(c.Addrs), MaxAddrs)
	}
	seen := map[netip.Addr]bool{}
	for _, a := range c.Addrs {
		if !a.IsValid() || a.Is4() != c.Addrs[0].Is4() || seen[a] {
			return fmt.Errorf("gateway: public address %v is invalid, of another family or listed twice", a)
		}
		seen[a] = true
	}
	if c.Hosts < 1 {
		return fmt.Errorf("gateway: %d hosts; want at least 1", c.Hosts)
	}
	if err := c.Range.Validate(); err != nil {
		return fmt.Errorf("gateway: range: %w", err)
	}
	for p := range 2 {
		if c.Mapping[p] > AddressPortDependent || c.Filtering[p] > AddressPortDependent {
			return fmt.Errorf("gateway: %v mapping %v or filtering %v is not a dependence", Proto(p), c.Mapping[p], c.Filtering[p])
		}
	}
	t := c.Timeouts
	if c.Limit < 0 || c.Window < 0 || t.Established < 0 || t.Closing < 0 || t.Reset < 0 || t.UDP < 0 || t.UDPStream < 0 {
		return fmt.Errorf("gateway: a limit, window or timeout is negative")
	}
	return nil
}

// Endpoint is a public endpoint: an address, by its index in Config.Addrs,
// and a port.
type Endpoint struct {
	Addr int
	Port uint16
}

// Outbound is a new flow's first packet as it reaches the gateway.
type Outbound struct {
	Proto  Proto
	Host   int            // the sending host, 0 to Config.Hosts-1
	Inside netip.AddrPort // the host's address and the port it chose
	Dst    netip.AddrPort
	Now    time.Duration
	// Life is how long the flow will stay open; only idle flows
	// (Config.Idle) need it.
	Life time.Duration
}

// Request is what a policy is asked: a public endpoint for a new mapping.
// It is lent for the call.
type Request struct {
	Proto  Proto
	Host   int
	Inside netip.AddrPort
	Dst    netip.AddrPort
	Now    time.Duration
	Addrs  []netip.Addr // the public addresses, lent; a policy answers with an index
	Lo, Hi uint16       // Config.Range
	// Prior is the public endpoint of a live mapping of the same inside
	// endpoint (to another destination), when HasPrior: netfilter keeps
	// an inside endpoint on its public endpoint when it can.
	Prior    Endpoint
	HasPrior bool

	g *Gateway
}

// Size is the number of ports in [Lo, Hi].
func (r *Request) Size() int { return int(r.Hi) - int(r.Lo) + 1 }

// Open reports whether public address a may take another flow to r.Dst:
// it holds fewer than Config.Limit flows there.
func (r *Request) Open(a int) bool { return r.g.open(a) }

// Load is how many flows public address a holds to r.Dst.
func (r *Request) Load(a int) int { return r.g.load(a) }

// Policy chooses the public endpoint of new mappings. Implementations own
// their state and randomness and are not safe for concurrent use.
type Policy interface {
	// Pick returns a public endpoint for r, asking usable for each
	// candidate in the order the policy would; probes is how many it
	// asked. When none is usable it returns an error matching
	// ErrExhausted. Pick never returns an endpoint usable said no to.
	Pick(r *Request, usable func(addr int, port uint16) bool) (e Endpoint, probes int, err error)
}

// A Releaser hears when a mapping it chose ends, after its last flow's
// hold: a block policy gives a block back when its ports are all free.
type Releaser interface {
	Release(host int, p Proto, e Endpoint)
}

// A Logger counts the log records its mappings needed so far: one per
// block for port block allocation, none for a formula. The gateway counts
// one record per new mapping for a policy that is not a Logger.
type Logger interface {
	LogRecords() int
}

// A Holder reports the public ports host h holds now, used or not: its
// blocks or its pre-allocation.
type Holder interface {
	Held(h int) int
}

// ErrExhausted is the failure to find a usable public endpoint.
var ErrExhausted = errors.New("no usable public port")

// Reason is why a translation failed.
type Reason uint8

const (
	// Exhausted: no usable public endpoint (ports or the per-destination
	// limit ran out): ErrorPortAllocation, SNAT port exhaustion,
	// OUT_OF_RESOURCES.
	Exhausted Reason = iota
	// Clash: the flow chose a public tuple another flow had chosen inside
	// the confirm window and lost: conntrack's insert_failed.
	Clash
	// Conflict: the inside endpoint's mapping cannot reach this
	// destination, its public tuple there being another mapping's:
	// ENDPOINT_INDEPENDENCE_CONFLICT.
	Conflict
	reasons
)

var reasonNames = [...]string{Exhausted: "exhausted", Clash: "insert_failed", Conflict: "conflict"}

func (r Reason) String() string {
	if r < reasons {
		return reasonNames[r]
	}
	return fmt.Sprintf("Reason(%d)", uint8(r))
}

// Error is a failed translation.
type Error struct {
	Reason Reason
	Probes int
	Err    error // what the policy returned, for Exhausted
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("gateway: %v after %d probes: %v", e.Reason, e.Probes, e.Err)
	}
	return fmt.Sprintf("gateway: %v after %d probes", e.Reason, e.Probes)
}

func (e *Error) Unwrap() error { return e.Err }
