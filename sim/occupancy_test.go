package sim

import "testing"

// Ports run out per destination: with four destinations under Zipf
// popularity the busiest holds most sockets but fewer than the total, and
// connections fail when it reaches the usable ports times the local
// addresses. With one destination the busiest is the total.
func TestBusiestDestination(t *testing.T) {
	base := []string{"rate", "200", "arrivals", "constant", "lifetime", "fixed:10ms", "duration", "40s",
		"close", "client", "time-wait", "10s", "tw-reuse", "off", "range", "40000-40999", "reserved", "40000-40099",
		"strategy", "random"}
	for _, tc := range []struct {
		name     string
		settings []string
		limit    int // usable ports × local addresses
		failures bool
	}{
		{"one destination", []string{"destinations", "1"}, 900, true},
		{"four, zipf", []string{"destinations", "4", "popularity", "zipf:2"}, 900, true},
		{"four, zipf, two addresses", []string{"destinations", "4", "popularity", "zipf:2", "src", "10.0.0.1,10.0.0.2"}, 1800, false},
	} {
		r := simulate(t, scenario(t, append(base, tc.settings...)...)).Results[0]
		if got := r.Failures > 0; got != tc.failures {
			t.Errorf("%s: %d failures; want failures = %v", tc.name, r.Failures, tc.failures)
		}
		busiest, fullAtFailure := 0, true
		for _, s := range r.Occupancy {
			total := s.Established + s.TimeWait
			busiest = max(busiest, s.BusiestDst)
			switch one := tc.settings[1] == "1"; {
			case one && s.BusiestDst != total:
				t.Fatalf("%s at %gs: busiest destination %d; want the total %d", tc.name, s.TimeSeconds, s.BusiestDst, total)
			case !one && s.TimeSeconds >= 1 && s.BusiestDst >= total: // once every destination has had a connection
				t.Fatalf("%s at %gs: busiest destination %d; want less than the total %d", tc.name, s.TimeSeconds, s.BusiestDst, total)
			case s.BusiestDst > tc.limit:
				t.Fatalf("%s at %gs: busiest destination %d, over the limit %d", tc.name, s.TimeSeconds, s.BusiestDst, tc.limit)
			}
			// A failure in the interval means the busiest destination
			// was full at some instant in it; with arrivals every 5 ms and
			// 10 ms lifetimes it stays within a few sockets of the limit.
			if s.Failures > 0 && s.BusiestDst < tc.limit-4 {
				fullAtFailure = false
			}
		}
		if tc.failures && (busiest != tc.limit || !fullAtFailure) {
			t.Errorf("%s: busiest destination peaks at %d (full at every failure: %v); want the limit %d", tc.name, busiest, fullAtFailure, tc.limit)
		}
	}
}
