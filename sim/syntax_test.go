package sim

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portsim/portsim/internal/format"
)

// textCase is a text a value type accepts and the canonical text String
// prints for it.
type textCase struct{ in, canonical string }

// same is field-by-field equality that takes NaN as equal to NaN (and
// tells -0 from 0): a value's String must keep exactly what Parse read.
func same(a, b any) bool { return fmt.Sprintf("%#v", a) == fmt.Sprintf("%#v", b) }

// value is what a scenario value type offers besides its parser.
type value interface {
	String() string
	Validate() error
}

// testText checks each case: in parses to a valid value that prints as
// canonical, and canonical parses back to the same value.
func testText[T value](t *testing.T, parse func(string) (T, error), cases []textCase) {
	t.Helper()
	for _, tc := range cases {
		v, err := parse(tc.in)
		if err != nil {
			t.Errorf("parse(%q): %v", tc.in, err)
			continue
		}
		if err := v.Validate(); err != nil {
			t.Errorf("parse(%q).Validate(): %v", tc.in, err)
		}
		if got := v.String(); got != tc.canonical {
			t.Errorf("parse(%q).String() = %q; want %q", tc.in, got, tc.canonical)
		}
		if again, err := parse(tc.canonical); err != nil || !same(again, v) {
			t.Errorf("parse(%q) = %#v, %v; want %#v", tc.canonical, again, err, v)
		}
	}
}

// testValues checks that each value's String parses back to the value.
func testValues[T value](t *testing.T, parse func(string) (T, error), vs []T) {
	t.Helper()
	for _, v := range vs {
		got, err := parse(v.String())
		if err != nil || !same(got, v) {
			t.Errorf("parse(%q) = %#v, %v; want %#v", v.String(), got, err, v)
		}
	}
}

// errorCase is a text or value a value type refuses, and a part of the
// error.
type errorCase[T any] struct {
	v    T
	want string
}

// testErrors checks that each case fails with an error that contains its
// want and says what is allowed.
func testErrors[T any](t *testing.T, name string, check func(T) error, cases []errorCase[T]) {
	t.Helper()
	for _, tc := range cases {
		err := check(tc.v)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "; want ") {
			t.Errorf("%s(%#v) = %v; want an error containing %q and what is allowed", name, tc.v, err, tc.want)
		}
	}
}

// fuzzText is a parser's fuzz property: parse does not panic, Validate
// does not panic on what it returns, and the value's String parses back
// to the same value.
func fuzzText[T value](t *testing.T, parse func(string) (T, error), s string) {
	v, err := parse(s)
	if err != nil {
		return
	}
	_ = v.Validate()
	again, err := parse(v.String())
	if err != nil {
		t.Fatalf("parse(%q) = %#v, but parse(%q): %v", s, v, v.String(), err)
	}
	if !same(again, v) {
		t.Fatalf("parse(%q) = %#v, but parse(%q) = %#v", s, v, v.String(), again)
	}
}

func TestDurationText(t *testing.T) {
	for _, tc := range []textCase{
		{"0", "0s"},
		{"0s", "0s"},
		{"1500ms", "1.5s"},
		{"90s", "1m30s"},
		{"60m", "1h"},
		{"1h0m0s", "1h"},
		{"1h0m1s", "1h0m1s"},
		{"10m0s", "10m"},
		{"1h10m", "1h10m"},
		{"8760h", "8760h"},
		{"-2m", "-2m"},
		{"1ns", "1ns"},
		{"1.5µs", "1.5µs"},
	} {
		d, err := parseDuration(tc.in, "x")
		if err != nil {
			t.Errorf("parseDuration(%q): %v", tc.in, err)
			continue
		}
		if got := format.Duration(d); got != tc.canonical {
			t.Errorf("format.Duration(%q) = %q; want %q", tc.in, got, tc.canonical)
		}
		if again, err := parseDuration(tc.canonical, "x"); err != nil || again != d {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", tc.canonical, again, err, d)
		}
	}
}

func TestDurationErrors(t *testing.T) {
	const want = "a duration"
	for _, tc := range []struct{ in, want string }{
		{"60", "has no unit; want a duration"},
		{"1.5", "has no unit"},
		{"1d", "not a duration"},
		{"", "not a duration"},
		{"soon", "not a duration"},
	} {
		if _, err := parseDuration(tc.in, want); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parseDuration(%q) = %v; want an error containing %q", tc.in, err, tc.want)
		}
	}
	for _, tc := range []struct {
		d      time.Duration
		zeroOK bool
		want   string // "" for no error
	}{
		{0, true, ""},
		{0, false, "0s is not > 0; want a duration"},
		{-time.Second, true, "-1s is negative; want a duration"},
		{MaxDuration, false, ""},
		{MaxDuration + 1, true, "8760h0m0.000000001s is over the limit of 8760h; want a duration"},
	} {
		err := checkDuration(tc.d, tc.zeroOK, want)
		if (err == nil) != (tc.want == "") || err != nil && err.Error() != tc.want {
			t.Errorf("checkDuration(%v, %v) = %v; want %q", tc.d, tc.zeroOK, err, tc.want)
		}
	}
}

func TestParseBool(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"true", true}, {"TRUE", true}, {"1", true}, {"yes", true}, {"On", true}, {"t", true},
		{"false", false}, {"0", false}, {"no", false}, {"OFF", false}, {"F", false},
	} {
		if got, err := parseBool(tc.in); err != nil || got != tc.want {
			t.Errorf("parseBool(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "maybe", "y", "2"} {
		if _, err := parseBool(in); err == nil || err.Error() != "not a boolean; want true or false" {
			t.Errorf("parseBool(%q) = %v; want not a boolean", in, err)
		}
	}
}

func TestSplitList(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{" , ,", nil},
		{"a", []string{"a"}},
		{" a , b ,,c", []string{"a", "b", "c"}},
	} {
		if got := splitList(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("splitList(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"rate", "rate", 0},
		{"rat", "rate", 1},
		{"rate", "Rate", 1},
		{"strategies", "strategy", 3},
		{"", "seed", 4},
		{"kitten", "sitting", 3},
	} {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d; want %d", tc.a, tc.b, got, tc.want)
		}
		if got := editDistance(tc.b, tc.a); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d; want %d (symmetric)", tc.b, tc.a, got, tc.want)
		}
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"0", "60s", "1h0m0s", "-1.5m", "60", "1d", "9223372036854775807ns", "-2562047h47m16.854775808s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDuration(s, "x")
		if err != nil {
			return
		}
		_ = checkDuration(d, false, "x")
		again, err := parseDuration(format.Duration(d), "x")
		if err != nil || again != d {
			t.Fatalf("parseDuration(%q) = %v, but parseDuration(%q) = %v, %v", s, d, format.Duration(d), again, err)
		}
	})
}

func FuzzParseBool(f *testing.F) {
	for _, s := range []string{"true", "no", "On", "1", "maybe", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseBool(s)
		if err != nil {
			return
		}
		if again, err := parseBool(fmt.Sprint(v)); err != nil || again != v {
			t.Fatalf("parseBool(%q) = %v, but parseBool(%q) = %v, %v", s, v, fmt.Sprint(v), again, err)
		}
	})
}
