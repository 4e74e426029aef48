package sim

import (
	"encoding/json"
	"strings"
	"testing"
)

// A figure with no data (Has false) is null in JSON and reads back as
// none; one with data is a plain number in the unit its name says.
func TestStrategyResultJSONNoValue(t *testing.T) {
	none := StrategyResult{Strategy: "x", ReuseMinSeconds: -1, ReuseP1Seconds: -1, ReuseP50Seconds: -1, UniformityP: 1}
	some := StrategyResult{Strategy: "y", Allocations: 90, Failures: 10, FailureRate: 0.1, ReuseCount: 3, ReuseMinSeconds: 60,
		ReuseP1Seconds: 60, ReuseP50Seconds: 61, PairsSameDst: 5, EntropySameDst: 3, GuessSameDst: 0.5, UniformityP: 0.4}
	for _, tc := range []struct {
		r          StrategyResult
		nulls, not []string
	}{
		{none, []string{`"failure_rate":null`, `"uniformity_p":null`, `"reuse_min_seconds":null`, `"entropy_same_dst_bits":null`, `"entropy_cross_dst_bits":null`, `"guess_same_dst":null`}, nil},
		{some, []string{`"entropy_cross_dst_bits":null`, `"guess_cross_dst":null`},
			[]string{`"failure_rate":0.1,`, `"reuse_min_seconds":60,`, `"entropy_same_dst_bits":3,`, `"uniformity_p":0.4,`}},
	} {
		b, err := json.Marshal(tc.r)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range append(tc.nulls, tc.not...) {
			if !strings.Contains(string(b), s) {
				t.Errorf("%s: JSON lacks %s: %s", tc.r.Strategy, s, b)
			}
		}
		var back StrategyResult
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		want := tc.r
		if !want.Has("uniformity_p") {
			want.UniformityP = 0
		}
		if back.FailureRate != want.FailureRate || back.ReuseMinSeconds != want.ReuseMinSeconds || back.UniformityP != want.UniformityP ||
			back.EntropySameDst != want.EntropySameDst || back.Allocations != want.Allocations {
			t.Errorf("%s: read back %+v; want %+v", tc.r.Strategy, back, want)
		}
	}
}
