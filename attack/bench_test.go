package attack

import (
	"context"
	"testing"
)

// BenchmarkTracking256 is one visit of the tracking attack to a browser on
// Linux 5.12 (2^8 counters): about 12,000 victim connections, each
// through the socket table and the strategy, with the background traffic
// played in between. The target is seconds per run, not minutes.
func BenchmarkTracking256(b *testing.B) {
	sc := browser(b, "profile:linux-5.12")
	c := with(func(c *Config) { c.Budget = 100_000 })
	conns := 0
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		v, err := device(sc, sc.Strategies[0], play(sc.Seed, "victim", i))
		if err != nil {
			b.Fatal(err)
		}
		a := newTracker(context.Background(), v, c, false)
		if _, ok := a.visit(sc.Warmup, sc.Srcs[0]); !ok {
			b.Fatal("no ID")
		}
		conns += a.made
		v.Close()
	}
	b.ReportMetric(float64(conns)/float64(b.N), "connections/op")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(conns), "ns/connection")
}
