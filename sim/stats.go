package sim

import (
	"math"
	"math/bits"
	"sort"

	"gonum.org/v1/gonum/stat/distuv"
)

// Small, pure statistics helpers behind the collector. They work on count
// arrays so that metrics cost memory proportional to the value range, never
// to the run's length.

// counter is any integer type a count array may hold.
type counter interface {
	~int | ~int64 | ~uint32 | ~uint64
}

// entropyBits is the Shannon entropy, in bits, of the empirical
// distribution given by counts (the plug-in estimator). It is 0 for an
// empty or single-valued distribution and never exceeds log2 of the total
// count, so it underestimates a high-entropy source seen only a few times.
func entropyBits[T counter](counts []T) float64 {
	// H = log2 N − (1/N) Σ c·log2 c, which needs one pass and no division
	// per bin.
	var n, s float64
	for _, c := range counts {
		if c == 0 {
			continue
		}
		f := float64(c)
		n += f
		s += f * math.Log2(f)
	}
	if n == 0 {
		return 0
	}
	h := math.Log2(n) - s/n
	if h < 0 { // rounding when one value holds everything
		h = 0
	}
	return h
}

// modeShare is the frequency of the most common value: the chance that the
// best single guess is right. It is 0 when counts is empty.
func modeShare[T counter](counts []T) float64 {
	var n, top uint64
	for _, c := range counts {
		n += uint64(c)
		top = max(top, uint64(c))
	}
	if n == 0 {
		return 0
	}
	return float64(top) / float64(n)
}

// quantileIndex is the num/den quantile of the distribution whose value i
// has counts[i] occurrences, by nearest rank: the smallest i such that at
// least ⌈n·num/den⌉ values are ≤ i (at least one). Integer arithmetic
// keeps p50 and p99 exact. It returns -1 when counts is empty.
func quantileIndex[T counter](counts []T, num, den uint64) int {
	var n uint64
	for _, c := range counts {
		n += uint64(c)
	}
	if n == 0 {
		return -1
	}
	hi, lo := bits.Mul64(n, num)
	q, r := bits.Div64(hi, lo, den) // n·num can exceed 64 bits; the quotient cannot
	rank := q
	if r != 0 {
		rank++
	}
	rank = max(rank, 1)
	var cum uint64
	for i, c := range counts {
		cum += uint64(c)
		if cum >= rank {
			return i
		}
	}
	return len(counts) - 1
}

// chiSquareUniformP is the p-value of Pearson's chi-square goodness-of-fit
// test of observed against a distribution proportional to expectedShares
// (which need not sum to 1). Bins with no expected share are left out of the
// statistic and the degrees of freedom; a count in such a bin is impossible
// under the hypothesis, so the p-value is 0. With fewer than two bins of
// positive share, or no observations, there is nothing to test: 1.
func chiSquareUniformP(observed []int, expectedShares []float64) float64 {
	if len(observed) != len(expectedShares) {
		panic("sim: chiSquareUniformP: observed and expectedShares differ in length")
	}
	var n, total float64
	bins := 0
	for i, o := range observed {
		if expectedShares[i] > 0 {
			total += expectedShares[i]
			bins++
		} else if o > 0 {
			return 0
		}
		n += float64(o)
	}
	if bins < 2 || n == 0 {
		return 1
	}
	var stat float64
	for i, o := range observed {
		if expectedShares[i] <= 0 {
			continue
		}
		e := n * expectedShares[i] / total
		d := float64(o) - e
		stat += d * d / e
	}
	return distuv.ChiSquared{K: float64(bins - 1)}.Survival(stat)
}

// Durations are counted in a log-linear ("HDR") histogram of nanoseconds:
// values below 2·hdrSub exactly, larger ones in hdrSub sub-buckets per
// octave, so a bucket is at most 1/hdrSub (0.8 %) wide relative to its
// values. That bounds the error of quantiles taken from it, in fixed memory.
const (
	hdrSubBits = 7
	hdrSub     = 1 << hdrSubBits
	hdrLen     = (64-hdrSubBits-1)*hdrSub + 2*hdrSub
)

// hdrIndex is the bucket of v.
func hdrIndex(v uint64) int {
	if v < 2*hdrSub {
		return int(v)
	}
	shift := bits.Len64(v) - hdrSubBits - 1
	return shift*hdrSub + int(v>>shift)
}

// hdrBounds are the smallest and largest values of bucket h.
func hdrBounds(h int) (lo, hi uint64) {
	if h < 2*hdrSub {
		return uint64(h), uint64(h)
	}
	shift := h/hdrSub - 1
	m := uint64(h - shift*hdrSub)
	lo = m << shift
	return lo, lo + (1 << shift) - 1
}

// Reuse intervals are reported in log-spaced bins, logBinsPerDecade per
// decade from 1 ms: bin 0 is [0, 1 ms), bin j is [logEdges[j-1],
// logEdges[j]), and the last bin is open above. The edges are whole
// nanoseconds, so a value on an edge falls in the bin it starts, exactly.
const logBinsPerDecade = 5

// logEdges are 1 ms × 10^(k/5) in nanoseconds, for every k that fits an int64.
var logEdges = func() []int64 {
	var e []int64
	for k := 0; ; k++ {
		var v float64
		if k%logBinsPerDecade == 0 {
			v = 1e6 * math.Pow10(k/logBinsPerDecade) // exact
		} else {
			v = math.Round(1e6 * math.Pow(10, float64(k)/logBinsPerDecade))
		}
		if v >= math.MaxInt64 {
			return e
		}
		e = append(e, int64(v))
	}
}()

// logBinCount is the number of reuse bins, the open-ended last included.
var logBinCount = len(logEdges) + 1

// logBinSearch is logBin by binary search, for building the table.
func logBinSearch(v int64) int {
	return sort.Search(len(logEdges), func(i int) bool { return logEdges[i] > v })
}

// The log bin of v is read from its HDR bucket: a bucket is far narrower
// than a bin, so it holds at most one edge, and one comparison with that
// edge settles values on either side. This keeps the hot path free of
// logarithms and searches.
var hdrLogBin, hdrLogEdge = func() ([]uint8, []uint64) {
	bin := make([]uint8, hdrLen)
	edge := make([]uint64, hdrLen)
	for h := range hdrLen {
		lo, hi := hdrBounds(h)
		if lo > math.MaxInt64 {
			lo = math.MaxInt64
		}
		hi = min(hi, math.MaxInt64)
		b := logBinSearch(int64(lo))
		bin[h] = uint8(b)
		edge[h] = math.MaxUint64 // above every duration: no edge inside
		if b < len(logEdges) && logEdges[b] <= int64(hi) {
			edge[h] = uint64(logEdges[b])
		}
	}
	return bin, edge
}()

// logBin is the reuse bin of a duration of v ≥ 0 nanoseconds.
func logBin(v int64) int { return logBinOf(hdrIndex(uint64(v)), v) }

// logBinOf is logBin(v) for v in HDR bucket h.
func logBinOf(h int, v int64) int {
	b := int(hdrLogBin[h])
	if uint64(v) >= hdrLogEdge[h] {
		b++
	}
	return b
}

// logBinBounds are bin b's bounds in seconds; the open-ended last bin
// reports the largest duration as its upper bound, since JSON has no
// infinity.
func logBinBounds(b int) (lo, hi float64) {
	lon, hin := int64(0), int64(math.MaxInt64)
	if b > 0 {
		lon = logEdges[b-1]
	}
	if b < len(logEdges) {
		hin = logEdges[b]
	}
	return float64(lon) / 1e9, float64(hin) / 1e9
}
