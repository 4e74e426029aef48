package sim

import (
	"fmt"
	"net/netip"
	"strings"
)

// The src field's text: a list of local addresses.

// Default local addresses, one per family (RFC 1918 and RFC 4193).
var (
	defaultSrc4 = netip.MustParseAddr("10.0.0.1")
	defaultSrc6 = netip.MustParseAddr("fd00::1")
)

func defaultSrc(ipv6 bool) netip.Addr {
	if ipv6 {
		return defaultSrc6
	}
	return defaultSrc4
}

const srcWant = "IPv4 or IPv6 addresses of one family, comma-separated, such as 10.0.0.1,10.0.0.2"

// parseAddrs reads a comma list of IP addresses; empty means none (the src
// field then takes its family's default).
func parseAddrs(s string) ([]netip.Addr, error) {
	items := splitList(s)
	if len(items) == 0 {
		return nil, nil
	}
	addrs := make([]netip.Addr, 0, len(items))
	for _, item := range items {
		a, err := netip.ParseAddr(item)
		if err != nil {
			return nil, wantf(srcWant, "%q is not an IP address", item)
		}
		addrs = append(addrs, a)
	}
	return addrs, nil
}

// formatAddrs is the canonical text parseAddrs reads back.
func formatAddrs(as []netip.Addr) string {
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = a.String()
	}
	return strings.Join(parts, ",")
}

// checkSrcs checks local addresses: at least one, at most MaxSources, of
// one family, each usable as a connection's local end and listed once.
func checkSrcs(as []netip.Addr) error {
	if len(as) == 0 {
		return fmt.Errorf("no addresses; want %s", srcWant)
	}
	if len(as) > MaxSources {
		return fmt.Errorf("%d addresses is over the limit of %d; want %s", len(as), MaxSources, srcWant)
	}
	seen := map[netip.Addr]bool{}
	for _, a := range as {
		switch {
		case !a.IsValid():
			return fmt.Errorf("an address is empty; want %s", srcWant)
		case a.Zone() != "":
			return fmt.Errorf("%s has a zone; want %s, without zones", a, srcWant)
		case a.Is4In6():
			return fmt.Errorf("%s is an IPv4-mapped IPv6 address; want %s (write the IPv4 address)", a, srcWant)
		case a.IsUnspecified() || a.IsMulticast():
			return fmt.Errorf("%s cannot be a local address of a connection; want %s", a, srcWant)
		case a.Is6() != as[0].Is6():
			return fmt.Errorf("%s and %s are of different families; want %s", as[0], a, srcWant)
		case seen[a]:
			return fmt.Errorf("%s is listed twice; want %s", a, srcWant)
		}
		seen[a] = true
	}
	return nil
}
