package sim

import (
	"math"
	"testing"
)

func TestPopularityText(t *testing.T) {
	testText(t, ParsePopularity, []textCase{
		{"uniform", "uniform"},
		{"zipf:1.1", "zipf:1.1"},
		{"zipf: 1.0 ", "zipf:1"},
		{"zipf:1e-3", "zipf:0.001"},
		{"zipf:0x1p-2", "zipf:0.25"},
	})
	testValues(t, ParsePopularity, []Popularity{
		{},
		{Zipf: true, S: 0.5},
		{Zipf: true, S: math.MaxFloat64},
		{Zipf: true, S: math.Copysign(0, -1)}, // parses; Validate refuses
		{Zipf: true, S: math.NaN()},
	})
}

func TestPopularityErrors(t *testing.T) {
	parse := func(s string) error { _, err := ParsePopularity(s); return err }
	testErrors(t, "ParsePopularity", parse, []errorCase[string]{
		{"", "not a popularity"},
		{"Uniform", "not a popularity"},
		{"pareto:1", "not a popularity"},
		{"zipf", "zipf needs an exponent"},
		{"zipf:x", `exponent "x" is not a number`},
	})
	testErrors(t, "Validate", Popularity.Validate, []errorCase[Popularity]{
		{Popularity{Zipf: true}, `"zipf:0": exponent must be > 0`},
		{Popularity{Zipf: true, S: -1}, `"zipf:-1": exponent must be > 0`},
		{Popularity{Zipf: true, S: math.Inf(1)}, `"zipf:+Inf": exponent must be > 0`},
		{Popularity{S: 2}, "uniform has an exponent (2) set"},
	})
}

func FuzzParsePopularity(f *testing.F) {
	for _, s := range []string{"uniform", "zipf:1.1", "zipf: -0", "zipf:NaN", "zipf", "zipf:x", "pareto:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fuzzText(t, ParsePopularity, s)
	})
}
