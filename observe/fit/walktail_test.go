package fit

import (
	"math"
	"testing"
)

// walkTail's table gives the very floats the formula does, for every step
// a walk can take and past them.
func TestWalkTailTable(t *testing.T) {
	for _, mean := range []float64{tailSteps, 250, 1.5} {
		tail := newWalkTail(mean)
		for _, umax := range []int{1, 8, 500} {
			for u := 1; u < portNumbers+100; u++ {
				want := 0.5 / float64(umax)
				if u > umax {
					want = 0
					if e := float64(u-umax-1) * tail.lnq; e >= -700 {
						want = 0.5 * -math.Expm1(tail.lnq) * math.Exp(e)
					}
				}
				if got := tail.prob(u, umax); math.Float64bits(got) != math.Float64bits(want) {
					t.Fatalf("mean %g: prob(%d, %d) = %v, want %v", mean, u, umax, got, want)
				}
			}
		}
	}
}
