package strategies

import "math/rand/v2"

// Mix64 is SplitMix64's finaliser: it spreads a word so that nearby
// inputs give unrelated outputs. Every seed portsim derives (per strategy,
// per stream, per model replicate) goes through it.
func Mix64(x uint64) uint64 {
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// splitmix64 spreads a seed into independent-looking words, so that one
// strategy seed yields separate streams (hash keys, table fill, increments).
func splitmix64(x uint64) uint64 { return Mix64(x + 0x9e3779b97f4a7c15) }

// Each word derived from a stream has its own purpose tag, so a random
// stream and a hash key never share a word, whatever their stream numbers.
const (
	purposePCG1 = iota + 1
	purposePCG2
	purposeKey0
	purposeKey1
)

// subSeed derives word purpose of stream n of a strategy seeded with seed.
func subSeed(seed, n, purpose uint64) uint64 {
	return splitmix64(seed ^ splitmix64(n<<8|purpose))
}

// pcgSeeds are the two PCG seed words of stream n.
func pcgSeeds(seed, n uint64) (uint64, uint64) {
	return subSeed(seed, n, purposePCG1), subSeed(seed, n, purposePCG2)
}

// newRand is a PCG source for stream n of seed.
func newRand(seed uint64, n uint64) *rand.Rand {
	return rand.New(rand.NewPCG(pcgSeeds(seed, n)))
}

// sipKey is a 128-bit SipHash key (k0, k1).
type sipKey struct{ k0, k1 uint64 }

// newSipKey derives a hash key for stream n of seed, like a per-boot secret.
func newSipKey(seed uint64, n uint64) sipKey {
	return sipKey{subSeed(seed, n, purposeKey0), subSeed(seed, n, purposeKey1)}
}
