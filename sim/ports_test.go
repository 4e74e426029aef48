package sim

import (
	"slices"
	"testing"
)

func TestPortsText(t *testing.T) {
	for _, tc := range []textCase{
		{"443", "443"},
		{"80, 443,8443", "80,443,8443"},
		{"1,65535", "1,65535"},
		{"+443,0080", "443,80"},
		{"", ""},
	} {
		ps, err := parsePorts(tc.in)
		if err != nil {
			t.Errorf("parsePorts(%q): %v", tc.in, err)
			continue
		}
		if got := formatPorts(ps); got != tc.canonical {
			t.Errorf("formatPorts(parsePorts(%q)) = %q; want %q", tc.in, got, tc.canonical)
		}
		if again, err := parsePorts(tc.canonical); err != nil || !slices.Equal(again, ps) {
			t.Errorf("parsePorts(%q) = %v, %v; want %v", tc.canonical, again, err, ps)
		}
	}
}

func TestPortsErrors(t *testing.T) {
	parse := func(s string) error { _, err := parsePorts(s); return err }
	testErrors(t, "parsePorts", parse, []errorCase[string]{
		{"http", `"http" is not a port`},
		{"443,x", `"x" is not a port`},
		{"0", "0 is out of range"},
		{"65536", "65536 is out of range"},
		{"-1", "-1 is out of range"},
		{"443,,80", "an empty item between commas"},
		{" , ", "an empty item between commas"},
	})
	testErrors(t, "checkPorts", checkPorts, []errorCase[[]uint16]{
		{nil, "no ports"},
		{[]uint16{443, 0}, "0 is not a port"},
		{[]uint16{80, 443, 80}, "80 is listed twice"},
	})
	if err := checkPorts([]uint16{1, 443, 65535}); err != nil {
		t.Errorf("checkPorts: %v", err)
	}
}

func FuzzParsePorts(f *testing.F) {
	for _, s := range []string{"443", "80, 443,8443", "+443,0080", "", "0", "65536", "http", "443,443"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := parsePorts(s)
		if err != nil {
			return
		}
		_ = checkPorts(ps)
		if again, err := parsePorts(formatPorts(ps)); err != nil || !slices.Equal(again, ps) {
			t.Fatalf("parsePorts(%q) = %v, but parsePorts(%q) = %v, %v", s, ps, formatPorts(ps), again, err)
		}
	})
}
