package probe

import (
	"net/netip"
	"testing"
)

// FuzzCheckLoopback: an address passes only if it is loopback, and comes
// back unmapped and without a zone.
func FuzzCheckLoopback(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "127.255.255.255", "::1", "::ffff:127.0.0.1", "::1%eth0", "0.0.0.0", "::",
		"128.0.0.1", "126.255.255.255", "::2", "fe80::1", "10.0.0.1", "::ffff:10.0.0.1", "64:ff9b::7f00:1", "::127.0.0.1", "2002:7f00:1::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return
		}
		got, err := CheckLoopback(a)
		loop := a.Unmap().IsLoopback()
		if (err == nil) != loop {
			t.Fatalf("%v: error %v, loopback %v", a, err, loop)
		}
		if err == nil && (!got.IsLoopback() || got.Zone() != "" || got.Is4In6()) {
			t.Fatalf("%v came back as %v", a, got)
		}
	})
}
