package plots

import (
	"io"
	"testing"
)

// BenchmarkAll builds and draws every chart of a run with a million
// allocation samples over four strategies: the budget is 5 s an op.
func BenchmarkAll(b *testing.B) {
	res := synthetic(1_000_000, 4)
	for _, format := range Formats[:2] {
		b.Run(format, func(b *testing.B) {
			for b.Loop() {
				for _, c := range All(res) {
					if err := c.Render(io.Discard, format, DefaultWidth, DefaultHeight); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// BenchmarkPortSignature is the costliest chart alone.
func BenchmarkPortSignature(b *testing.B) {
	res := synthetic(1_000_000, 4)
	for b.Loop() {
		if err := PortSignature(Samples(res)).Render(io.Discard, "png", DefaultWidth, DefaultHeight); err != nil {
			b.Fatal(err)
		}
	}
}
