package sim

import (
	"slices"
	"strings"
	"testing"
)

func TestSplitStrategies(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"random", []string{"random"}},
		{"sequential,random", []string{"sequential", "random"}},
		{"linux:table-order=8,increments=off", []string{"linux:table-order=8,increments=off"}},
		{"a,b:k=v,k2=v2,c,d:k=v", []string{"a", "b:k=v,k2=v2", "c", "d:k=v"}},
		{"a,k=v:w", []string{"a:k=v:w"}},                                          // '=' before ':' is a parameter
		{"a,,b,", []string{"a", "b"}},                                             // empty items dropped
		{"a, : ,b", []string{"a", "b"}},                                           // and empty specs
		{"profile :netbsd,algo=randinc", []string{"profile:netbsd:algo=randinc"}}, // spacing does not hide a profile
		{"k=v,a", []string{"k=v", "a"}},                                           // nothing to attach to: a bad spec, left for Validate
		{" a : k = v ", []string{"a:k=v"}},                                        // normalized
		{"linux:", []string{"linux"}},                                             // empty parameter list
		{"a:k=v,x,y", []string{"a:k=v", "x", "y"}},
	} {
		if got := SplitStrategies(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("SplitStrategies(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

// TestStrategiesText: the canonical text (the specs joined with commas)
// splits back into the same specs.
func TestStrategiesText(t *testing.T) {
	for _, tc := range []textCase{
		{"random", "random"},
		{" sequential , linux: table-order = 8 ,increments=off", "sequential,linux:table-order=8,increments=off"},
		{"linux,table-order=8", "linux:table-order=8"},
		{"profile:netbsd,algo=randinc,linux", "profile:netbsd:algo=randinc,linux"},
		{"profile:netbsd:algo=randinc,algo=hash", "profile:netbsd:algo=randinc,algo=hash"},
		{"linux:,random", "linux,random"},
	} {
		specs := SplitStrategies(tc.in)
		if err := checkStrategies(specs); err != nil {
			t.Errorf("checkStrategies(%q): %v", specs, err)
		}
		text := strings.Join(specs, ",")
		if text != tc.canonical {
			t.Errorf("SplitStrategies(%q) joined = %q; want %q", tc.in, text, tc.canonical)
		}
		if again := SplitStrategies(text); !slices.Equal(again, specs) {
			t.Errorf("SplitStrategies(%q) = %q; want %q", text, again, specs)
		}
	}
}

// TestSpecsOfItems: in a YAML list each item is a whole spec.
func TestSpecsOfItems(t *testing.T) {
	got := specsOfItems([]string{" linux : table-order = 8 , increments=off", "", " : ", "random"})
	if want := []string{"linux:table-order=8,increments=off", "random"}; !slices.Equal(got, want) {
		t.Errorf("specsOfItems = %q; want %q", got, want)
	}
}

func TestCheckStrategies(t *testing.T) {
	testErrors(t, "checkStrategies", checkStrategies, []errorCase[[]string]{
		{nil, "none given; want comma-separated strategy specs"},
		{[]string{"random", "nosuch"}, `"nosuch": unknown strategy "nosuch"; want one of sequential,`},
		{[]string{"linux:table-order=99"}, `"linux:table-order=99": strategy linux: table-order="99"`},
		{[]string{"profile:nope"}, `"profile:nope": unknown profile "nope"`},
		{[]string{"random", "random"}, `"random" is listed twice; want each spec once`},
	})
}

// FuzzSplitStrategies: splitting does not panic, and the specs joined with
// commas (the field's canonical text) split back into the same specs.
func FuzzSplitStrategies(f *testing.F) {
	for _, s := range []string{
		"random", "sequential,linux:table-order=8,increments=off,random", "linux,table-order=8",
		"profile:netbsd,algo=randinc", "k=v,a", " a : k = v ", "a,k=v:w", "linux:,=",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		specs := SplitStrategies(s)
		_ = checkStrategies(specs)
		text := strings.Join(specs, ",")
		if again := SplitStrategies(text); !slices.Equal(again, specs) {
			t.Fatalf("SplitStrategies(%q) = %q, but SplitStrategies(%q) = %q", s, specs, text, again)
		}
	})
}
