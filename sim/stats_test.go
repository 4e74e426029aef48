package sim

import (
	"math"
	"testing"
)

func TestEntropyBits(t *testing.T) {
	for _, tc := range []struct {
		name   string
		counts []int
		want   float64
	}{
		{"empty", nil, 0},
		{"all zero", []int{0, 0, 0}, 0},
		{"one value", []int{0, 7, 0}, 0},
		{"two equal", []int{3, 3}, 1},
		{"four equal, zeros between", []int{2, 0, 2, 0, 2, 2}, 2},
		{"eight equal", []int{5, 5, 5, 5, 5, 5, 5, 5}, 3},
		{"1:3", []int{1, 3}, 0.8112781244591328},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := entropyBits(tc.counts); math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("entropyBits(%v) = %v, want %v", tc.counts, got, tc.want)
			}
		})
	}
}

func TestModeShare(t *testing.T) {
	for _, tc := range []struct {
		counts []uint32
		want   float64
	}{
		{nil, 0},
		{[]uint32{0, 0}, 0},
		{[]uint32{4}, 1},
		{[]uint32{1, 3}, 0.75},
		{[]uint32{2, 2, 2, 2}, 0.25},
	} {
		if got := modeShare(tc.counts); got != tc.want {
			t.Errorf("modeShare(%v) = %v, want %v", tc.counts, got, tc.want)
		}
	}
}

func TestQuantileIndex(t *testing.T) {
	for _, tc := range []struct {
		name     string
		counts   []int
		num, den uint64
		want     int
	}{
		{"empty", []int{0, 0}, 1, 2, -1},
		{"single", []int{0, 0, 1}, 1, 2, 2},
		{"single p99", []int{0, 0, 1}, 99, 100, 2},
		{"single p1", []int{0, 0, 1}, 1, 100, 2},
		// Values 1,1,2,3: ranks ⌈2⌉=2 → 1, ⌈3.96⌉=4 → 3.
		{"p50 of 1,1,2,3", []int{0, 2, 1, 1}, 1, 2, 1},
		{"p99 of 1,1,2,3", []int{0, 2, 1, 1}, 99, 100, 3},
		// 50 ones and 50 twos: rank 50 is the last 1, rank 51 the first 2.
		{"p50 on the boundary", []int{0, 50, 50}, 1, 2, 1},
		{"p51 past the boundary", []int{0, 50, 50}, 51, 100, 2},
		// 100 values: p99 is rank 99; 101 values: rank ⌈99.99⌉ = 100.
		{"p99 of 98 ones and two nines", []int{0, 98, 0, 0, 0, 0, 0, 0, 0, 2}, 99, 100, 9},
		{"p99 of 99 ones and a nine", []int{0, 99, 0, 0, 0, 0, 0, 0, 0, 1}, 99, 100, 1},
		{"p99 of 99 ones and two nines", []int{0, 99, 0, 0, 0, 0, 0, 0, 0, 2}, 99, 100, 9},
		{"p99 of 100 ones and a nine", []int{0, 100, 0, 0, 0, 0, 0, 0, 0, 1}, 99, 100, 1},
		{"p0 is the minimum", []int{0, 0, 5, 5}, 0, 1, 2},
		{"p100 is the maximum", []int{0, 0, 5, 5}, 1, 1, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := quantileIndex(tc.counts, tc.num, tc.den); got != tc.want {
				t.Errorf("quantileIndex(%v, %d/%d) = %d, want %d", tc.counts, tc.num, tc.den, got, tc.want)
			}
		})
	}
}

func TestQuantileIndexHugeCounts(t *testing.T) {
	// n·num overflows 64 bits; the 128-bit product must not.
	counts := []uint64{math.MaxUint64 / 4, math.MaxUint64 / 4}
	if got := quantileIndex(counts, 99, 100); got != 1 {
		t.Errorf("p99 = %d, want 1", got)
	}
	if got := quantileIndex(counts, 1, 2); got != 0 {
		t.Errorf("p50 = %d, want 0", got)
	}
}

func TestChiSquareUniformP(t *testing.T) {
	ones := func(n int) []float64 {
		s := make([]float64, n)
		for i := range s {
			s[i] = 1
		}
		return s
	}
	allInOne := make([]int, 64)
	allInOne[7] = 6400
	uniform := make([]int, 64)
	for i := range uniform {
		uniform[i] = 100
	}
	for _, tc := range []struct {
		name     string
		observed []int
		shares   []float64
		lo, hi   float64 // want lo ≤ p ≤ hi
	}{
		{"exactly uniform", uniform, ones(64), 1, 1},
		{"all in one bucket", allInOne, ones(64), 0, 1e-6},
		// Pearson statistic (10−15)²/15·2 = 10/3 on 1 degree of freedom.
		{"known value", []int{10, 20}, []float64{1, 1}, 0.0678, 0.0679},
		// The same counts are a perfect fit to shares 1:2, unnormalized.
		{"unequal shares fit", []int{10, 20}, []float64{0.5, 1}, 1, 1},
		{"zero share bin left out", []int{0, 50, 50}, []float64{0, 1, 1}, 1, 1},
		{"count where none is expected", []int{1, 50, 50}, []float64{0, 1, 1}, 0, 0},
		{"one bin", []int{9}, []float64{1}, 1, 1},
		{"one bin of positive share", []int{0, 9}, []float64{0, 1}, 1, 1},
		{"no observations", []int{0, 0, 0}, ones(3), 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := chiSquareUniformP(tc.observed, tc.shares)
			if p < tc.lo || p > tc.hi {
				t.Errorf("p = %v, want in [%v, %v]", p, tc.lo, tc.hi)
			}
		})
	}
}

func TestHDRBuckets(t *testing.T) {
	// Buckets tile the uint64 line without gaps or overlaps.
	prevHi := uint64(0)
	for h := range hdrLen {
		lo, hi := hdrBounds(h)
		if h > 0 && lo != prevHi+1 {
			t.Fatalf("bucket %d starts at %d, previous ended at %d", h, lo, prevHi)
		}
		if hi < lo {
			t.Fatalf("bucket %d: [%d, %d]", h, lo, hi)
		}
		// Relative width bounds the quantile error.
		if lo > 0 && float64(hi-lo)/float64(lo) > 1.0/hdrSub {
			t.Fatalf("bucket %d: [%d, %d] wider than 1/%d", h, lo, hi, hdrSub)
		}
		prevHi = hi
	}
	if prevHi != math.MaxUint64 {
		t.Fatalf("last bucket ends at %d, want MaxUint64", prevHi)
	}
	for _, v := range []uint64{0, 1, 255, 256, 257, 511, 512, 1e6, 6e10, 1 << 62, math.MaxInt64, math.MaxUint64} {
		h := hdrIndex(v)
		if lo, hi := hdrBounds(h); v < lo || v > hi {
			t.Errorf("hdrIndex(%d) = %d, bucket [%d, %d]", v, h, lo, hi)
		}
	}
}

func TestLogBin(t *testing.T) {
	if logEdges[0] != 1e6 || logEdges[5] != 1e7 || logEdges[20] != 1e10 || logEdges[1] != 1584893 {
		t.Fatalf("edges start %v", logEdges[:6])
	}
	vals := []int64{0, 1, 999_999, math.MaxInt64, 60e9}
	for _, e := range logEdges {
		vals = append(vals, e-1, e, e+1)
	}
	for _, v := range vals {
		want := logBinSearch(v)
		if got := logBin(v); got != want {
			t.Errorf("logBin(%d) = %d, want %d", v, got, want)
		}
		if want >= logBinCount {
			t.Errorf("logBin(%d) = %d, past the last bin", v, want)
		}
		if v > 1<<53 {
			continue // seconds as float64 no longer resolve the edges
		}
		lo, hi := logBinBounds(want)
		if s := float64(v) / 1e9; s < lo || s >= hi {
			t.Errorf("%d ns in bin %d = [%v, %v)", v, want, lo, hi)
		}
	}
	for _, tc := range []struct {
		ns     int64
		lo, hi float64
	}{
		{0, 0, 0.001},
		{999_999, 0, 0.001},
		{1e6, 0.001, 0.001584893},
		{10e9, 10, 15.848931925},
		{60e9, 39.810717055, 63.095734448},
	} {
		lo, hi := logBinBounds(logBin(tc.ns))
		if lo != tc.lo || hi != tc.hi {
			t.Errorf("%d ns: bin [%v, %v), want [%v, %v)", tc.ns, lo, hi, tc.lo, tc.hi)
		}
	}
}
