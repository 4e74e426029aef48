package sim

import (
	"fmt"
	"math/big"
	"net/netip"
	"slices"
)

// The hosts and public-ips fields, and the addresses they give.

// MaxHosts bounds the hosts field: Azure Load Balancer's default allocation
// goes up to 1000 VMs. Each host has its own socket tables.
const MaxHosts = 1024

// MaxPublicIPs bounds the public-ips field, above every product modelled
// (Azure NAT Gateway's 16).
const MaxPublicIPs = 64

// maxHostSources bounds hosts × src: the collector's 4-tuple keys hold a
// local address index below 2^47 / MaxDestinations.
const maxHostSources = 16384

// Public addresses: 203.0.113.0/24 (RFC 5737) from .1, 2001:db8:fffe::/48
// from ::1 with ipv6.
var (
	publicBase4 = netip.MustParseAddr("203.0.113.1")
	publicBase6 = netip.MustParseAddr("2001:db8:fffe::1")
)

// PublicAddrs are the gateway's public addresses, public-ips of them.
func (sc *Scenario) PublicAddrs() []netip.Addr {
	out := make([]netip.Addr, max(sc.PublicIPs, 1))
	for i := range out {
		out[i] = sc.PublicAddr(i)
	}
	return out
}

// PublicAddr is the gateway's public address i (from 0; below
// MaxPublicIPs): 203.0.113.1 + i, or 2001:db8:fffe::1 + i with ipv6.
func (sc *Scenario) PublicAddr(i int) netip.Addr {
	if sc.IPv6 {
		b := publicBase6.As16()
		b[15] += byte(i) // MaxPublicIPs keeps it in the last byte
		return netip.AddrFrom16(b)
	}
	b := publicBase4.As4()
	b[3] += byte(i)
	return netip.AddrFrom4(b)
}

// HostAddr is local address i of host h: src's address i for host 0, and
// for host h the same moved up by h times the span of src (its highest
// address less its lowest, plus one), so no two hosts share an address.
func (sc *Scenario) HostAddr(h, i int) netip.Addr {
	a := sc.Srcs[i]
	if h == 0 {
		return a
	}
	return addAddr(a, new(big.Int).Mul(big.NewInt(int64(h)), srcSpan(sc.Srcs)))
}

// srcSpan is the number of addresses from the lowest of as to the highest.
func srcSpan(as []netip.Addr) *big.Int {
	lo, hi := slices.MinFunc(as, netip.Addr.Compare), slices.MaxFunc(as, netip.Addr.Compare)
	span := new(big.Int).Sub(addrInt(hi), addrInt(lo))
	return span.Add(span, big.NewInt(1))
}

func addrInt(a netip.Addr) *big.Int {
	b := a.As16()
	if a.Is4() {
		b4 := a.As4()
		return new(big.Int).SetBytes(b4[:])
	}
	return new(big.Int).SetBytes(b[:])
}

// addAddr is a + n, or the zero Addr when that leaves a's family.
func addAddr(a netip.Addr, n *big.Int) netip.Addr {
	v := new(big.Int).Add(addrInt(a), n)
	if a.Is4() {
		if v.BitLen() > 32 {
			return netip.Addr{}
		}
		var b [4]byte
		v.FillBytes(b[:])
		return netip.AddrFrom4(b)
	}
	if v.BitLen() > 128 {
		return netip.Addr{}
	}
	var b [16]byte
	v.FillBytes(b[:])
	return netip.AddrFrom16(b)
}

// checkGatewayFields is the rules that join the gateway fields to each
// other and to src.
func (sc *Scenario) checkGatewayFields() []error {
	var errs []error
	if sc.Gateway == "" {
		if sc.Hosts > 1 {
			errs = append(errs, fmt.Errorf("hosts: %d hosts need a gateway in front of them; want gateway NAME, or hosts 1", sc.Hosts))
		}
		if sc.PublicIPs > 1 {
			errs = append(errs, fmt.Errorf("public-ips: %d public addresses need a gateway; want gateway NAME, or public-ips 1", sc.PublicIPs))
		}
		return errs
	}
	if _, err := newNAT(sc, 0); err != nil {
		errs = append(errs, fmt.Errorf("gateway: %q with %d hosts and %d public addresses: %w", string(sc.Gateway), sc.Hosts, sc.PublicIPs, err))
	}
	if n := sc.Hosts * len(sc.Srcs); n > maxHostSources {
		errs = append(errs, fmt.Errorf("hosts: %d hosts × %d src addresses is %d local addresses, over the limit of %d; want fewer hosts or src addresses", sc.Hosts, len(sc.Srcs), n, maxHostSources))
	}
	if len(sc.Srcs) > 0 && !sc.HostAddr(sc.Hosts-1, len(sc.Srcs)-1).IsValid() {
		errs = append(errs, fmt.Errorf("hosts: %d hosts from src %s run past the end of the address space; want lower src addresses or fewer hosts", sc.Hosts, formatAddrs(sc.Srcs)))
	}
	return errs
}
