package sim

import (
	"fmt"
	"strconv"
	"strings"
)

// Popularity is how destinations are chosen.
type Popularity struct {
	Zipf bool
	S    float64 // Zipf exponent, > 0: destination i is chosen with weight 1/(i+1)^S
}

const popularityWant = "uniform or zipf:S with S > 0, such as zipf:1.1"

// ParsePopularity reads uniform or zipf:S. The exponent is checked by
// Validate, not here.
func ParsePopularity(s string) (Popularity, error) {
	if s == "uniform" {
		return Popularity{}, nil
	}
	kind, arg, ok := strings.Cut(s, ":")
	if kind != "zipf" {
		return Popularity{}, wantf(popularityWant, "not a popularity")
	}
	if !ok {
		return Popularity{}, wantf(popularityWant, "zipf needs an exponent")
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(arg), 64)
	if err != nil {
		return Popularity{}, wantf(popularityWant, "exponent %q is not a number", arg)
	}
	return Popularity{Zipf: true, S: v}, nil
}

// String is the canonical text ParsePopularity reads back.
func (p Popularity) String() string {
	if !p.Zipf {
		return "uniform"
	}
	return "zipf:" + formatFloat(p.S)
}

// Validate checks that a Zipf exponent is finite and > 0, and that uniform
// has none.
func (p Popularity) Validate() error {
	switch {
	case p.Zipf && !(p.S > 0 && finite(p.S)):
		return fmt.Errorf("%q: exponent must be > 0; want %s", p.String(), popularityWant)
	case !p.Zipf && p.S != 0:
		return fmt.Errorf("uniform has an exponent (%s) set; want %s", formatFloat(p.S), popularityWant)
	}
	return nil
}
