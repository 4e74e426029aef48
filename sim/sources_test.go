package sim

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestAddrsText(t *testing.T) {
	for _, tc := range []textCase{
		{"10.0.0.1", "10.0.0.1"},
		{" 10.0.0.1 , 10.0.0.2 ", "10.0.0.1,10.0.0.2"},
		{"2001:DB8:0:0::1", "2001:db8::1"},
		{"fe80::1%eth0", "fe80::1%eth0"},       // parses; checkSrcs refuses
		{"::ffff:10.0.0.1", "::ffff:10.0.0.1"}, // likewise
		{"", ""},
	} {
		as, err := parseAddrs(tc.in)
		if err != nil {
			t.Errorf("parseAddrs(%q): %v", tc.in, err)
			continue
		}
		if got := formatAddrs(as); got != tc.canonical {
			t.Errorf("formatAddrs(parseAddrs(%q)) = %q; want %q", tc.in, got, tc.canonical)
		}
		if again, err := parseAddrs(tc.canonical); err != nil || !slices.Equal(again, as) {
			t.Errorf("parseAddrs(%q) = %v, %v; want %v", tc.canonical, again, err, as)
		}
	}
}

func TestAddrsErrors(t *testing.T) {
	parse := func(s string) error { _, err := parseAddrs(s); return err }
	testErrors(t, "parseAddrs", parse, []errorCase[string]{
		{"10.0.0.256", `"10.0.0.256" is not an IP address`},
		{"10.0.0.1,host", `"host" is not an IP address`},
		{"10.0.0.1:80", `"10.0.0.1:80" is not an IP address`},
	})
	addrs := func(s string) []netip.Addr {
		var as []netip.Addr
		for _, a := range strings.Split(s, ",") {
			as = append(as, netip.MustParseAddr(a))
		}
		return as
	}
	testErrors(t, "checkSrcs", checkSrcs, []errorCase[[]netip.Addr]{
		{nil, "no addresses"},
		{[]netip.Addr{{}}, "an address is empty"},
		{addrs("fe80::1%eth0"), "fe80::1%eth0 has a zone"},
		{addrs("::ffff:10.0.0.1"), "is an IPv4-mapped IPv6 address"},
		{addrs("0.0.0.0"), "0.0.0.0 cannot be a local address"},
		{addrs("ff02::1"), "ff02::1 cannot be a local address"},
		{addrs("10.0.0.1,fd00::1"), "10.0.0.1 and fd00::1 are of different families"},
		{addrs("10.0.0.1,10.0.0.1"), "10.0.0.1 is listed twice"},
		{addrs(manyAddrs(MaxSources + 1)), "65 addresses is over the limit of 64"},
	})
	for _, s := range []string{"10.0.0.1", "fd00::1,fd00::2", "127.0.0.1", manyAddrs(MaxSources)} {
		if err := checkSrcs(addrs(s)); err != nil {
			t.Errorf("checkSrcs(%s): %v", s, err)
		}
	}
}

func FuzzParseAddrs(f *testing.F) {
	for _, s := range []string{"10.0.0.1", "10.0.0.1, 10.0.0.2", "fd00::1", "fe80::1%eth0", "::ffff:1.2.3.4", "", "10.0.0.256", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		as, err := parseAddrs(s)
		if err != nil {
			return
		}
		_ = checkSrcs(as)
		if again, err := parseAddrs(formatAddrs(as)); err != nil || !slices.Equal(again, as) {
			t.Fatalf("parseAddrs(%q) = %v, but parseAddrs(%q) = %v, %v", s, as, formatAddrs(as), again, err)
		}
	})
}
