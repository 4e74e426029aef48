package fit

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// summarize takes steps around the range when it knows it (probe) and as
// plain differences when it does not (Analyze); both medians come from
// the same sorted steps.
func TestSummarize(t *testing.T) {
	nine := 9.0 // a variable, so that 1 - 8/nine rounds as the code's does
	for _, c := range []struct {
		name  string
		ports []uint16
		dst   []int32
		ndst  int
		size  int
		want  Summary
	}{
		{"empty", nil, nil, 0, 0, Summary{TopSteps: []StepShare{}}},
		{"one port", []uint16{40001}, []int32{0}, 1, 0,
			Summary{Count: 1, Dsts: 1, Odd: 1, TopSteps: []StepShare{}}},
		{"wrap around a range of 100", []uint16{198, 100, 102}, []int32{0, 0, 0}, 1, 100,
			Summary{Count: 3, Dsts: 1, Even: 1, Steps: 2, NearShare: 1, SmallEven: 1, MedianAbs: 2, UpperMedianAbs: 2,
				TopSteps: []StepShare{{2, 1}}}},
		{"the same, plain", []uint16{198, 100, 102}, []int32{0, 0, 0}, 1, 0,
			Summary{Count: 3, Dsts: 1, Even: 1, Steps: 2, NearShare: 0.5, SmallEven: 0.5, MedianAbs: 50, UpperMedianAbs: 98,
				TopSteps: []StepShare{{2, 0.5}}}},
		{"per destination", []uint16{10, 500, 11, 502}, []int32{0, 1, 0, 1}, 2, 0,
			Summary{Count: 4, Dsts: 2, Even: 0.75, Odd: 0.25, Steps: 2, NearShare: 1, SmallEven: 0.5, PlusOne: 0.5,
				MedianAbs: 1.5, UpperMedianAbs: 2, TopSteps: []StepShare{{1, 0.5}, {2, 0.5}}}},
		// Steps +4 +4 +4 +2 +2 +1 -1 +34.
		{"top three, commonest first", []uint16{0, 4, 8, 12, 14, 16, 17, 16, 50}, []int32{0, 0, 0, 0, 0, 0, 0, 0, 0}, 1, 0,
			Summary{Count: 9, Dsts: 1, Even: 8 / nine, Odd: 1 - 8/nine, Steps: 8, NearShare: 7.0 / 8, SmallEven: 5.0 / 8, PlusOne: 1.0 / 8,
				MedianAbs: 3, UpperMedianAbs: 4, TopSteps: []StepShare{{4, 3.0 / 8}, {2, 2.0 / 8}, {-1, 1.0 / 8}}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := summarize(c.ports, c.dst, c.ndst, c.size); !reflect.DeepEqual(got, c.want) {
				t.Errorf("summarize:\n got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

// middle counts long inputs and sorts short ones; both give what sorting
// gives, at lengths around the switch and with values at the extremes.
func TestMiddle(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 2, 3, 4095, 4096, 4097, 10000, 10001} {
		for _, spread := range []int{1, 3, 1 << 16} {
			v := make([]uint16, n)
			for i := range v {
				v[i] = uint16(r.IntN(spread))
				if spread == 1<<16 && i%7 == 0 {
					v[i] = 65535
				}
			}
			s := slices.Clone(v)
			slices.Sort(s)
			lo, hi := middle(v)
			if lo != int(s[(n-1)/2]) || hi != int(s[n/2]) {
				t.Errorf("n %d, values below %d: middle %d, %d; sorted %d, %d", n, spread, lo, hi, s[(n-1)/2], s[n/2])
			}
		}
	}
}
