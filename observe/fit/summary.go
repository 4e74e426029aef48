package fit

import (
	"slices"
	"sort"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/observe/capture"
)

// Summary describes a host's ports, model aside: their parity and the
// steps between successive ports to one destination (address and port),
// which is where Linux's connect() (+2..+16) and a cursor (+1) show.
// HostReport carries one for each host; 'portsim probe' reports one per
// request kind. Its JSON is the probe report's: the fields tagged "-"
// appear in Analyze's report only, under names of their own.
type Summary struct {
	// Count is how many ports; Dsts how many distinct destinations.
	Count int `json:"count"`
	Dsts  int `json:"destinations"`
	// Even and Odd are the shares of even and odd ports.
	Even float64 `json:"even"`
	Odd  float64 `json:"odd"`
	// Steps counts steps between successive ports to one destination.
	Steps int `json:"steps"`
	// NearShare is the share of steps within ±32.
	NearShare float64 `json:"near_share"`
	// SmallEven is the share of steps of +2, +4, …, +16 (Linux 6.x's
	// connect() with no collisions), PlusOne of exactly +1.
	SmallEven float64 `json:"-"`
	PlusOne   float64 `json:"-"`
	// MedianAbs is the median absolute step, the mean of the middle two
	// for an even number of steps; UpperMedianAbs is the upper of the
	// two, the whole number the probe report gives.
	MedianAbs      float64 `json:"-"`
	UpperMedianAbs int     `json:"median_abs_step"`
	// TopSteps are the commonest steps within ±32, up to 3, commonest
	// first.
	TopSteps []StepShare `json:"top_steps"`
}

// StepShare is one step value and the share of steps that took it.
type StepShare struct {
	Step  int     `json:"step"`
	Share float64 `json:"share"`
}

// Summarize describes obs, one host's attempts in the order they were
// made, with steps taken around the port range rng as a circle (so -2 is
// 2 below, and a wrap from the top to the bottom of the range is a small
// step); use 1-65535 when the host's range is unknown.
func Summarize(obs []capture.Attempt, rng allocator.Range) Summary {
	if len(obs) == 0 || rng.Validate() != nil {
		return Summary{TopSteps: []StepShare{}}
	}
	seq := newSequence(obs, rng)
	return summarize(seq.ports, seq.dst, seq.ndst, seq.size)
}

// summarize describes ports, each sent to destination dst[i] of ndst, with
// steps around a circle of size ports, or as plain differences with size 0
// (Analyze, which does not know the host's range).
func summarize(ports []uint16, dst []int32, ndst, size int) Summary {
	sum := Summary{Count: len(ports), Dsts: ndst, TopSteps: []StepShare{}}
	if len(ports) == 0 {
		return sum
	}
	last := make([]int32, ndst) // each destination's latest port; -1 before its first
	for i := range last {
		last[i] = -1
	}
	abs := make([]uint16, 0, len(ports)) // |steps|: at most 65535
	var nearCounts [2*near + 1]int
	even, smallEven, plusOne := 0, 0, 0
	for i, p := range ports {
		if p%2 == 0 {
			even++
		}
		b := dst[i]
		if prev := last[b]; prev >= 0 {
			d := int(p) - int(prev)
			if size > 0 {
				d = circleStep(d, size)
			}
			abs = append(abs, uint16(max(d, -d)))
			if d >= -near && d <= near {
				nearCounts[d+near]++
			}
			if d >= 2 && d <= 16 && d%2 == 0 {
				smallEven++
			}
			if d == 1 {
				plusOne++
			}
		}
		last[b] = int32(p)
	}
	sum.Even = float64(even) / float64(len(ports))
	sum.Odd = 1 - sum.Even
	n := len(abs)
	sum.Steps = n
	if n == 0 {
		return sum
	}
	lo, hi := middle(abs)
	sum.MedianAbs = float64(lo+hi) / 2
	sum.UpperMedianAbs = hi
	sum.SmallEven = float64(smallEven) / float64(n)
	sum.PlusOne = float64(plusOne) / float64(n)
	nearN := 0
	for i, c := range nearCounts {
		if c > 0 {
			nearN += c
			sum.TopSteps = append(sum.TopSteps, StepShare{i - near, float64(c) / float64(n)})
		}
	}
	sum.NearShare = float64(nearN) / float64(n)
	sort.SliceStable(sum.TopSteps, func(i, j int) bool { return sum.TopSteps[i].Share > sum.TopSteps[j].Share })
	sum.TopSteps = sum.TopSteps[:min(3, len(sum.TopSteps))]
	return sum
}

// middle is the (n-1)/2'th and the n/2'th smallest of v, n = len(v) > 0:
// the two middle values, or the middle one twice. Long inputs are counted
// rather than sorted: a host can have millions of steps.
func middle(v []uint16) (lo, hi int) {
	n := len(v)
	if n < 1<<12 {
		slices.Sort(v)
		return int(v[(n-1)/2]), int(v[n/2])
	}
	counts := make([]int32, 1<<16)
	for _, x := range v {
		counts[x]++
	}
	lo = -1
	seen := 0 // values below x
	for x, c := range counts {
		seen += int(c)
		if lo < 0 && seen > (n-1)/2 {
			lo = x
		}
		if seen > n/2 {
			return lo, x
		}
	}
	panic("fit: middle: unreachable")
}

// circleStep is a step of d ports taken around a circle of size ports,
// in (-size/2, size/2].
func circleStep(d, size int) int {
	d %= size
	if d < 0 {
		d += size
	}
	if d > size/2 {
		d -= size
	}
	return d
}
