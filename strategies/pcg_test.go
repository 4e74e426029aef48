package strategies

import (
	"math/rand/v2"
	"testing"
)

// pcg draws what math/rand/v2's PCG draws from the same seeds, so that
// moving a strategy from one to the other changes no port.
func TestPCGIsRandPCG(t *testing.T) {
	for _, seeds := range [][2]uint64{{0, 0}, {1, 2}, {0xdeadbeef, 42}, pcgSeedsOf(7, linuxIncStream)} {
		want := rand.NewPCG(seeds[0], seeds[1])
		got := newPCG(seeds[0], seeds[1])
		for i := range 10_000 {
			if g, w := got.uint64(), want.Uint64(); g != w {
				t.Fatalf("seeds %v, draw %d: %#x; rand.PCG %#x", seeds, i, g, w)
			}
		}
	}
}

func pcgSeedsOf(s, n uint64) [2]uint64 {
	a, b := pcgSeeds(s, n)
	return [2]uint64{a, b}
}
