package strategies

import "math/bits"

// pcg is PCG-DXSM (a 128-bit LCG with the "double xorshift multiply"
// output, O'Neill's PCG family), the generator math/rand/v2's PCG is: the
// same seeds give the same words. It exists so that a hot path draws a
// word inline, where a call to rand.PCG.Uint64 cost twice the draw.
type pcg struct{ hi, lo uint64 }

// The LCG's multiplier and increment, and the output's multiplier: PCG's
// published 128-bit constants.
const (
	pcgMulHi    = 0x2360ed051fc65da4
	pcgMulLo    = 0x4385df649fccf645
	pcgIncHi    = 0x5851f42d4c957f2d
	pcgIncLo    = 0x14057b7ef767814f
	pcgCheapMul = 0xda942042e4dd58b5
)

func newPCG(seed1, seed2 uint64) pcg { return pcg{seed1, seed2} }

func (p *pcg) uint64() uint64 {
	hi, lo := bits.Mul64(p.lo, pcgMulLo)
	hi += p.hi*pcgMulLo + p.lo*pcgMulHi
	lo, c := bits.Add64(lo, pcgIncLo, 0)
	hi, _ = bits.Add64(hi, pcgIncHi, c)
	p.hi, p.lo = hi, lo
	hi ^= hi >> 32
	hi *= pcgCheapMul
	hi ^= hi >> 48
	return hi * (lo | 1)
}
