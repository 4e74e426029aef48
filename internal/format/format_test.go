package format

import (
	"math"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	for _, tc := range []struct {
		x            float64
		digits       int
		want, number string
	}{
		{0.1234, 1, "12.3%", "12.3"},
		{0.1234, 2, "12.34%", "12.34"},
		{0.00049, 1, "0.0%", "0.0"},
		{0, 2, "0.00%", "0.00"},
		{1, 1, "100.0%", "100.0"},
		{0.5, 0, "50%", "50"},
		{-0.25, 1, "-25.0%", "-25.0"},
		{math.NaN(), 1, "NaN%", "NaN"},
	} {
		if got := Percent(tc.x, tc.digits); got != tc.want {
			t.Errorf("Percent(%v, %d) = %q, want %q", tc.x, tc.digits, got, tc.want)
		}
		if got := PercentNumber(tc.x, tc.digits); got != tc.number {
			t.Errorf("PercentNumber(%v, %d) = %q, want %q", tc.x, tc.digits, got, tc.number)
		}
	}
}

func TestDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{1500 * time.Millisecond, "1.5s"},
		{time.Minute, "1m"},
		{90 * time.Second, "1m30s"},
		{10 * time.Minute, "10m"},
		{time.Hour, "1h"},
		{time.Hour + time.Second, "1h0m1s"},
		{time.Hour + time.Minute, "1h1m"},
		{8760 * time.Hour, "8760h"},
		{-time.Minute, "-1m"},
		{250 * time.Microsecond, "250µs"},
	} {
		got := Duration(tc.d)
		if got != tc.want {
			t.Errorf("Duration(%v) = %q, want %q", tc.d, got, tc.want)
		}
		if back, err := time.ParseDuration(got); err != nil || back != tc.d {
			t.Errorf("time.ParseDuration(%q) = %v, %v; want %v", got, back, err, tc.d)
		}
	}
}

func TestPlural(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{{0, "0 probes"}, {1, "1 probe"}, {2, "2 probes"}, {-1, "-1 probes"}} {
		if got := Plural(tc.n, "probe"); got != tc.want {
			t.Errorf("Plural(%d, probe) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

func FuzzDuration(f *testing.F) {
	for _, d := range []int64{0, 1, int64(time.Minute), int64(time.Hour), math.MaxInt64, math.MinInt64} {
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, n int64) {
		d := time.Duration(n)
		if back, err := time.ParseDuration(Duration(d)); err != nil || back != d {
			t.Errorf("Duration(%d) = %q parses to %v, %v", n, Duration(d), back, err)
		}
	})
}
