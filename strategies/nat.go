package strategies

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/dchest/siphash"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/gateway"
	"github.com/portsim/portsim/internal/format"
)

// NATInfo describes a registered translation policy: a NAT, a cloud NAT
// gateway or a load balancer's outbound SNAT, as a preset of gateway rules
// and a gateway.Policy. Its texts are written once, here, for every place
// that shows them.
type NATInfo struct {
	Name string `json:"name"`
	// Description says in one line what the translator does.
	Description string `json:"description"`
	// How tells how it picks public ports and what limits it, in a few
	// sentences for a reader new to the subject.
	How    string  `json:"how"`
	Params []Param `json:"params"`
	// Sources are where the facts come from, each with the date it was
	// read.
	Sources []string `json:"sources"`
	// MaxAddrs is the most public addresses the product takes; 0 means
	// gateway.MaxAddrs.
	MaxAddrs int `json:"max_addrs,omitempty"`
	// Failures names each failure reason as the product's metrics and
	// logs do; a reason without a name is shown by its own.
	Failures map[gateway.Reason]string `json:"-"`

	build func(seed uint64, p *Params, env natEnv) (gateway.Policy, gateway.Config, error)
}

// FailureName is the product's name for failures of reason r.
func (i NATInfo) FailureName(r gateway.Reason) string {
	if n := i.Failures[r]; n != "" {
		return n
	}
	return r.String()
}

// natEnv is what a policy is built for: how many hosts and public
// addresses.
type natEnv struct{ hosts, addrs int }

// A NAT is a translation policy a spec resolved to: the policy and the
// gateway rules it runs under, its addresses and hosts filled in.
type NAT struct {
	Info   NATInfo
	Spec   string
	Policy gateway.Policy
	Config gateway.Config
}

// natOrder is the order translation policies are listed in: Linux first,
// the RFC models, then the clouds.
var natOrder = []string{
	"netfilter", "rfc4787", "port-block", "deterministic",
	"aws-nat", "azure-lb", "azure-nat", "gcp-nat",
}

var natRegistry = map[string]NATInfo{}

func registerNAT(info NATInfo) {
	if _, dup := natRegistry[info.Name]; dup {
		panic("strategies: NAT " + info.Name + " registered twice")
	}
	if _, dup := registry[info.Name]; dup {
		panic("strategies: NAT " + info.Name + " has a strategy's name")
	}
	natRegistry[info.Name] = info
}

// NATs lists the translation policies in their documented order.
func NATs() []NATInfo {
	out := make([]NATInfo, 0, len(natRegistry))
	seen := map[string]bool{}
	for _, name := range natOrder {
		if info, ok := natRegistry[name]; ok {
			out = append(out, info)
			seen[name] = true
		}
	}
	var rest []string
	for name := range natRegistry {
		if !seen[name] {
			rest = append(rest, name)
		}
	}
	sort.Strings(rest)
	for _, name := range rest {
		out = append(out, natRegistry[name])
	}
	return out
}

// NATNames lists the translation policies' names in order.
func NATNames() []string {
	all := NATs()
	names := make([]string, len(all))
	for i, info := range all {
		names[i] = info.Name
	}
	return names
}

// LookupNAT finds a translation policy by name.
func LookupNAT(name string) (NATInfo, bool) {
	info, ok := natRegistry[name]
	return info, ok
}

// NewNAT builds the translator spec names, "name" or
// "name:key=value,...", for hosts internal hosts behind the public
// addresses addrs, its randomness drawn from seed.
func NewNAT(spec string, seed uint64, hosts int, addrs []netip.Addr) (*NAT, error) {
	name, args, _ := strings.Cut(spec, ":")
	info, ok := natRegistry[name]
	if !ok {
		return nil, fmt.Errorf("unknown gateway %q; want one of %s", name, strings.Join(NATNames(), ", "))
	}
	if max := info.maxAddrs(); len(addrs) > max {
		return nil, fmt.Errorf("gateway %s: %d public addresses; it takes at most %d", name, len(addrs), max)
	}
	p, err := parseParams(Info{Name: name, Params: info.Params}, args)
	if err != nil {
		return nil, fmt.Errorf("gateway %s: %s", name, strings.TrimPrefix(err.Error(), "strategy "+name+": "))
	}
	pol, cfg, err := info.build(seed, p, natEnv{hosts: hosts, addrs: len(addrs)})
	if err == nil {
		err = p.err
	}
	if err != nil {
		return nil, fmt.Errorf("gateway %s: %w", name, err)
	}
	cfg.Addrs, cfg.Hosts = addrs, hosts
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("gateway %s: %w", name, err)
	}
	return &NAT{Info: info, Spec: spec, Policy: pol, Config: cfg}, nil
}

// ValidateNAT checks a spec for hosts hosts and addrs public addresses
// without keeping the translator.
func ValidateNAT(spec string, hosts, addrs int) error {
	as := make([]netip.Addr, addrs)
	for i := range as {
		as[i] = netip.AddrFrom4([4]byte{203, 0, byte(i >> 8), byte(i)})
	}
	_, err := NewNAT(spec, 0, hosts, as)
	return err
}

func (i NATInfo) maxAddrs() int {
	if i.MaxAddrs > 0 {
		return i.MaxAddrs
	}
	return gateway.MaxAddrs
}

// timeoutParams are the parameters every translator takes for its
// timeouts, with its product's defaults.
func timeoutParams(t gateway.Timeouts) []Param {
	return []Param{
		{Name: "closing", Default: format.Duration(t.Closing), Help: "how long a public tuple is held after a FIN close"},
		{Name: "reset", Default: format.Duration(t.Reset), Help: "how long it is held after a RST"},
		{Name: "udp", Default: format.Duration(t.UDP), Help: "how long a UDP mapping is held after its last datagram"},
		{Name: "established", Default: format.Duration(t.Established), Help: "how long an open TCP flow may stay silent (with idle=on)"},
		{Name: "idle", Default: "off", Help: "on: open flows send nothing, and lose their mappings at the idle timeouts (established, udp)"},
	}
}

// readTimeouts applies the timeout parameters to cfg.
func readTimeouts(p *Params, cfg *gateway.Config) {
	t := &cfg.Timeouts
	t.Closing = natDuration(p, "closing")
	t.Reset = natDuration(p, "reset")
	t.UDP = natDuration(p, "udp")
	t.Established = natDuration(p, "established")
	cfg.Idle = p.Bool("idle")
}

// natDuration reads a duration parameter ≥ 0.
func natDuration(p *Params, name string) time.Duration {
	s := p.String(name)
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		p.fail("%s=%q; want a duration ≥ 0 such as 60s or 10us", name, s)
		return 0
	}
	return d
}

// dependenceParam reads a mapping or filtering behaviour: eim, adm or
// apdm for a mapping, eif, adf or apdf for a filtering.
func dependenceParam(p *Params, name, suffix string) gateway.Dependence {
	v := p.Enum(name, "ei"+suffix, "ad"+suffix, "apd"+suffix)
	switch v {
	case "ad" + suffix:
		return gateway.AddressDependent
	case "apd" + suffix:
		return gateway.AddressPortDependent
	}
	return gateway.EndpointIndependent
}

// The ranges translators use: every port, or the ports above the
// well-known ones.
var (
	allPorts  = allocator.Range{Lo: 1, Hi: 65535}
	highPorts = allocator.Range{Lo: 1024, Hi: 65535}
)

// TranslatorRanges are the ranges the NAT policies here hand public ports
// out from, all but every port itself: the ports above the well-known
// ones, and Azure Load Balancer's 64,000, both from 1024. observe/fit
// reads the ports a capture outside a translator shows against them.
func TranslatorRanges() []allocator.Range { return []allocator.Range{highPorts, azureLBRange} }

// segment is a run of public ports on one address: part of the ports a
// policy may choose among.
type segment struct {
	addr int
	lo   uint16
	n    int
}

// scanSegments asks the ports of segs in turn, from index start of their
// concatenation (0 ≤ start < their total), +1 with wrap, each once. With
// parity 0 or 1 only ports of that parity are asked. It returns the first
// usable endpoint and the number asked.
func scanSegments(segs []segment, start, parity int, usable func(int, uint16) bool) (gateway.Endpoint, int, bool) {
	total := 0
	for _, s := range segs {
		total += s.n
	}
	if total == 0 {
		return gateway.Endpoint{}, 0, false
	}
	// Find the segment holding start.
	si, off := 0, start
	for off >= segs[si].n {
		off -= segs[si].n
		si++
	}
	probes := 0
	for range total {
		s := segs[si]
		port := uint16(int(s.lo) + off)
		if parity < 0 || int(port)&1 == parity {
			probes++
			if usable(s.addr, port) {
				return gateway.Endpoint{Addr: s.addr, Port: port}, probes, true
			}
		}
		if off++; off == s.n {
			off = 0
			if si++; si == len(segs) {
				si = 0
			}
		}
	}
	return gateway.Endpoint{}, probes, false
}

// segmentsTotal is the number of ports in segs.
func segmentsTotal(segs []segment) int {
	n := 0
	for _, s := range segs {
		n += s.n
	}
	return n
}

// addrHash is a fixed (unkeyed) hash of two addresses, so that a choice
// made from it is the same across reboots, as netfilter's choice of a
// source address is.
func addrHash(a, b netip.Addr) uint32 {
	var buf [32]byte
	a16, b16 := a.As16(), b.As16()
	copy(buf[:16], a16[:])
	copy(buf[16:], b16[:])
	return uint32(siphash.Hash(0, 0, buf[:]))
}

// scaleHash maps a 32-bit hash onto [0, n) by multiplication, as the
// kernel's reciprocal_scale does.
func scaleHash(h uint32, n int) int { return int(uint64(h) * uint64(n) >> 32) }

// parityOf is the parity a policy that preserves it keeps: the inside
// port's, or -1 when it does not.
func parityOf(preserve bool, inside netip.AddrPort) int {
	if !preserve {
		return -1
	}
	return int(inside.Port() & 1)
}

// portOrder reads the ports parameter of the RFC models: how a port is
// chosen among a host's.
func portOrder(p *Params, allowed ...string) string { return p.Enum("ports", allowed...) }
