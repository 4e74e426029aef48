package sim

import (
	"math"
	"testing"

	"github.com/portsim/portsim/allocator"
)

func TestSharesText(t *testing.T) {
	for _, tc := range []textCase{
		{"connect", "connect"},
		{"bind=3", "bind"},
		{"udp=0.25", "udp"},
		{"connect=0.9,udp=0.1", "connect=0.9,udp=0.1"},
		{" connect = 0.9 , udp = 0.1 ", "connect=0.9,udp=0.1"},
		{"connect, bind", "connect=1,bind=1"},
		{"udp=1,bind=2,connect=1e-9", "udp=1,bind=2,connect=1e-09"},
	} {
		v, err := kindMix.Parse(tc.in)
		if err != nil {
			t.Errorf("kindMix.Parse(%q): %v", tc.in, err)
			continue
		}
		if err := kindMix.Validate(v); err != nil {
			t.Errorf("kindMix.Validate(%q): %v", tc.in, err)
		}
		if got := formatShares(v); got != tc.canonical {
			t.Errorf("formatShares(kindMix.Parse(%q)) = %q; want %q", tc.in, got, tc.canonical)
		}
		if again, err := kindMix.Parse(tc.canonical); err != nil || !same(again, v) {
			t.Errorf("kindMix.Parse(%q) = %v, %v; want %v", tc.canonical, again, err, v)
		}
	}
	for _, v := range [][]Share[allocator.CloseHow]{
		{{allocator.ClientFirst, 1}},
		{{allocator.Reset, 1}},
		{{allocator.ClientFirst, 0.8}, {allocator.Reset, 0.2}},
		{{allocator.Reset, 5}, {allocator.ServerFirst, 1e300}, {allocator.ClientFirst, math.SmallestNonzeroFloat64}},
	} {
		if err := closeMix.Validate(v); err != nil {
			t.Errorf("closeMix.Validate(%v): %v", v, err)
		}
		if got, err := closeMix.Parse(formatShares(v)); err != nil || !same(got, v) {
			t.Errorf("closeMix.Parse(%q) = %v, %v; want %v", formatShares(v), got, err, v)
		}
	}
}

func TestSharesErrors(t *testing.T) {
	parse := func(s string) error { _, err := kindMix.Parse(s); return err }
	testErrors(t, "kindMix.Parse", parse, []errorCase[string]{
		{"", "empty"},
		{" , ", "empty"},
		{"tcp", `"tcp" is not allowed`},
		{"CONNECT", `"CONNECT" is not allowed`},
		{"=1", `"" is not allowed`},
		{"connect=x", `weight "x" of connect is not a number`},
		{"connect=", `weight "" of connect is not a number`},
	})
	testErrors(t, "closeMix.Validate", closeMix.Validate, []errorCase[[]Share[allocator.CloseHow]]{
		{nil, "none given; want one of client, server, reset"},
		{[]Share[allocator.CloseHow]{{allocator.ClientFirst, 0}}, `"client": weight of client must be > 0`},
		{[]Share[allocator.CloseHow]{{allocator.ClientFirst, 1}, {allocator.Reset, math.NaN()}}, `"client=1,reset=NaN": weight of reset must be > 0`},
		{[]Share[allocator.CloseHow]{{allocator.ClientFirst, 1}, {allocator.ClientFirst, 2}}, `"client=1,client=2": client is listed twice`},
		{[]Share[allocator.CloseHow]{{allocator.Reset + 1, 1}}, "is not allowed"},
	})
}

// FuzzParseShares: parsing a mix does not panic, and a mix that validates
// prints as text that parses back to it. (A single share prints as its
// name alone, so a bad weight of a single share is not in its text.)
func FuzzParseShares(f *testing.F) {
	for _, s := range []string{"connect", "bind=3", "connect=0.9,udp=0.1", "client, reset=2", "server=0", "connect=NaN,udp=1", "tcp", "=1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fuzzShares(t, kindMix, s)
		fuzzShares(t, closeMix, s)
	})
}

func fuzzShares[T shareValue](t *testing.T, m mix[T], s string) {
	v, err := m.Parse(s)
	if err != nil || m.Validate(v) != nil {
		return
	}
	text := formatShares(v)
	again, err := m.Parse(text)
	if err != nil || !same(again, v) {
		t.Fatalf("Parse(%q) = %v, but Parse(%q) = %v, %v", s, v, text, again, err)
	}
}
