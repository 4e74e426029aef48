package seed

import "hash/fnv"

// Mix64 is SplitMix64's finaliser: it spreads a word so that nearby inputs
// give unrelated outputs.
func Mix64(x uint64) uint64 {
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// gamma is SplitMix64's increment, 2^64 over the golden ratio, made odd.
const gamma = 0x9e3779b97f4a7c15

// split is one SplitMix64 step from state x: the generator's next output.
func split(x uint64) uint64 { return Mix64(x + gamma) }

// Named is the seed of the component called name under parent: Mix64 of
// parent XOR the 64-bit FNV-1a hash of name. It depends on the name alone,
// not on which other components exist.
func Named(parent uint64, name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return Mix64(parent ^ h.Sum64())
}

// Word is word purpose of stream n under parent. A component tags each use
// of a stream's words with its own purpose (below 256), so a random source
// and a hash key never share a word, whatever their stream numbers.
func Word(parent, stream, purpose uint64) uint64 {
	return split(parent ^ split(stream<<8|purpose))
}
