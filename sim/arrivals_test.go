package sim

import (
	"math"
	"testing"
	"time"
)

func TestArrivalsText(t *testing.T) {
	testText(t, ParseArrivals, []textCase{
		{"poisson", "poisson"},
		{"constant", "constant"},
		{"onoff:2s/8s", "onoff:2s/8s"},
		{"onoff: 1m0s / 0 ", "onoff:1m/0s"},
		{"onoff:1500ms/1h0m0s", "onoff:1.5s/1h"},
		{"onoff:8760h/8760h", "onoff:8760h/8760h"},
	})
	testValues(t, ParseArrivals, []Arrivals{
		{Process: Poisson},
		{Process: Constant},
		{Process: OnOff, On: 1, Off: 0},
		{Process: OnOff, On: 90 * time.Second, Off: time.Hour + time.Nanosecond},
		{Process: OnOff, On: -time.Second, Off: -time.Minute}, // parses; Validate refuses
	})
}

func TestArrivalsErrors(t *testing.T) {
	parse := func(s string) error { _, err := ParseArrivals(s); return err }
	testErrors(t, "ParseArrivals", parse, []errorCase[string]{
		{"", "not an arrival process"},
		{"Poisson", "not an arrival process"},
		{"poisson:1", "not an arrival process"},
		{"onoff", "onoff needs ON/OFF"},
		{"onoff:2s", "onoff needs ON/OFF"},
		{"onoff:x/8s", `on period "x" is not a duration`},
		{"onoff:2s/", `off period "" is not a duration`},
	})
	testErrors(t, "Validate", Arrivals.Validate, []errorCase[Arrivals]{
		{Arrivals{Process: Poisson, On: 1}, `"poisson" has on/off periods set`},
		{Arrivals{Process: Constant, Off: 1}, `"constant" has on/off periods set`},
		{Arrivals{Process: OnOff}, `"onoff:0s/0s": on period must be > 0`},
		{Arrivals{Process: OnOff, On: 1, Off: -1}, `"onoff:1ns/-1ns": off period is negative`},
		{Arrivals{Process: OnOff, On: MaxDuration + 1, Off: 1}, "a period is over the limit of 8760h"},
		{Arrivals{Process: 3}, `"Process(3)" is not a process`},
	})
}

func TestCheckRate(t *testing.T) {
	for _, r := range []float64{MinRate, 0.5, 1, 1e9} {
		if err := checkRate(r); err != nil {
			t.Errorf("checkRate(%v) = %v", r, err)
		}
	}
	testErrors(t, "checkRate", checkRate, []errorCase[float64]{
		{0, "0 is not > 0; want a rate > 0 per second"},
		{-1, "-1 is negative"},
		{math.NaN(), "NaN is not a finite number"},
		{math.Inf(1), "+Inf is not a finite number"},
		{MinRate / 2, "below the smallest rate, 1e-06"},
	})
}

func FuzzParseArrivals(f *testing.F) {
	for _, s := range []string{"poisson", "constant", "onoff:2s/8s", "onoff: 1m / 0", "onoff:-1s/1h0m0s", "onoff", "onoff:x/y", "bursty"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fuzzText(t, ParseArrivals, s)
	})
}
