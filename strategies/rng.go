package strategies

import (
	"math/rand/v2"

	"github.com/portsim/portsim/internal/seed"
)

// Each word derived from a stream has its own purpose tag, so a random
// stream and a hash key never share a word, whatever their stream numbers.
const (
	purposePCG1 = iota + 1
	purposePCG2
	purposeKey0
	purposeKey1
)

// pcgSeeds are the two PCG seed words of stream n.
func pcgSeeds(s, n uint64) (uint64, uint64) {
	return seed.Word(s, n, purposePCG1), seed.Word(s, n, purposePCG2)
}

// newRand is a PCG source for stream n of seed s.
func newRand(s uint64, n uint64) *rand.Rand {
	return rand.New(rand.NewPCG(pcgSeeds(s, n)))
}

// sipKey is a 128-bit SipHash key (k0, k1).
type sipKey struct{ k0, k1 uint64 }

// newSipKey derives a hash key for stream n of seed s, like a per-boot
// secret.
func newSipKey(s uint64, n uint64) sipKey {
	return sipKey{seed.Word(s, n, purposeKey0), seed.Word(s, n, purposeKey1)}
}
