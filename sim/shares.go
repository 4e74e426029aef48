package sim

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/portsim/portsim/allocator"
)

// Share is one weighted choice of a mix.
type Share[T any] struct {
	Value  T
	Weight float64
}

// shareValue is what a mix chooses among: a small enumeration that prints
// its name.
type shareValue interface {
	comparable
	fmt.Stringer
	~uint8
}

// A mix is what one weighted-choice field allows: how a value is read,
// the last valid value, and the allowed text for errors.
type mix[T shareValue] struct {
	value func(string) (T, error)
	last  T
	want  string
}

const sharesTail = ", or NAME=WEIGHT,... with weights > 0 such as "

var (
	kindMix = mix[allocator.Kind]{
		value: allocator.ParseKind, last: allocator.UDP,
		want: "one of connect, bind, udp" + sharesTail + "connect=0.9,udp=0.1",
	}
	closeMix = mix[allocator.CloseHow]{
		value: allocator.ParseCloseHow, last: allocator.Reset,
		want: "one of client, server, reset" + sharesTail + "client=0.8,reset=0.2",
	}
)

// Parse reads NAME or NAME=WEIGHT items; a bare NAME weighs 1. A single
// item is stored with weight 1, its only meaningful value. Weights are
// checked by Validate, not here.
func (m mix[T]) Parse(s string) ([]Share[T], error) {
	items := splitList(s)
	if len(items) == 0 {
		return nil, wantf(m.want, "empty")
	}
	out := make([]Share[T], 0, len(items))
	for _, item := range items {
		name, w, hasW := strings.Cut(item, "=")
		v, err := m.value(strings.TrimSpace(name))
		if err != nil {
			return nil, wantf(m.want, "%q is not allowed", strings.TrimSpace(name))
		}
		weight := 1.0
		if hasW {
			weight, err = strconv.ParseFloat(strings.TrimSpace(w), 64)
			if err != nil {
				return nil, wantf(m.want, "weight %q of %s is not a number", strings.TrimSpace(w), strings.TrimSpace(name))
			}
		}
		out = append(out, Share[T]{Value: v, Weight: weight})
	}
	if len(out) == 1 && out[0].Weight > 0 && finite(out[0].Weight) {
		out[0].Weight = 1
	}
	return out, nil
}

// Validate checks that there is a share, each value is allowed and listed
// once, and each weight is finite and > 0.
func (m mix[T]) Validate(shares []Share[T]) error {
	if len(shares) == 0 {
		return fmt.Errorf("none given; want %s", m.want)
	}
	seen := map[T]bool{}
	for _, s := range shares {
		switch {
		case s.Value > m.last:
			return fmt.Errorf("%v is not allowed; want %s", s.Value, m.want)
		case !(s.Weight > 0 && finite(s.Weight)):
			return fmt.Errorf("%q: weight of %v must be > 0; want %s", formatShares(shares), s.Value, m.want)
		case seen[s.Value]:
			return fmt.Errorf("%q: %v is listed twice; want %s", formatShares(shares), s.Value, m.want)
		}
		seen[s.Value] = true
	}
	return nil
}

// formatShares is the canonical text Parse reads back: a single share is
// its name alone, several are NAME=WEIGHT,...
func formatShares[T fmt.Stringer](shares []Share[T]) string {
	if len(shares) == 1 {
		return shares[0].Value.String()
	}
	parts := make([]string, len(shares))
	for i, s := range shares {
		parts[i] = s.Value.String() + "=" + formatFloat(s.Weight)
	}
	return strings.Join(parts, ",")
}
