package sim

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"
)

// BenchmarkSimulate runs the load-tester preset (one destination, 400
// connections/s closed by the client, so TIME_WAIT fills most of the range)
// with one strategy per sub-benchmark, at the preset's duration and ten
// times it. It reports simulated connection lifecycles per second of wall
// time on one core, and the live heap after the run: flat memory means
// the 10x run's heap matches the 1x run's.
func BenchmarkSimulate(b *testing.B) {
	for _, strategy := range []string{"sequential", "linux"} {
		for _, scale := range []int{1, 10} {
			b.Run(fmt.Sprintf("%s/%dx", strategy, scale), func(b *testing.B) {
				sc, err := PresetScenario("load-tester")
				if err != nil {
					b.Fatal(err)
				}
				sc.Strategies = []string{strategy}
				sc.Duration *= time.Duration(scale)
				sc.Warmup = 0
				var lifecycles int
				var heap uint64
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					res, err := Run(context.Background(), sc, Options{Workers: 1})
					if err != nil {
						b.Fatal(err)
					}
					r := res.Results[0]
					lifecycles += r.Allocations + r.Failures
					if i == 0 {
						var ms runtime.MemStats
						runtime.ReadMemStats(&ms)
						heap = ms.HeapInuse
					}
				}
				b.ReportMetric(float64(lifecycles)/b.Elapsed().Seconds(), "lifecycles/s")
				b.ReportMetric(float64(heap)/(1<<20), "heap-MiB")
			})
		}
	}
}

// BenchmarkLiveTimeWait holds about 10 M connections in TIME_WAIT at once
// (170k connections/s for 62 s to 4096 destinations, each closed by the
// client after 1 ms, TIME_WAIT 60 s) and reports the live heap of the run
// per socket held — the memory MaxOpenSockets budgets — measured a second
// after TIME_WAIT first fills.
func BenchmarkLiveTimeWait(b *testing.B) {
	sc := DefaultScenario()
	sc.Strategies = []string{"linux"}
	sc.Duration, sc.SampleStep = 62*time.Second, time.Second
	sc.Arrivals = Arrivals{Process: Poisson, Rate: 170_000}
	sc.Lifetime = Lifetime{Dist: Fixed, Mean: time.Millisecond}
	sc.Destinations = 4096
	mark := 61 * time.Second
	for i := 0; i < b.N; i++ {
		var before, at runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		measured := false
		progress := func(_ string, reached, _ time.Duration) {
			if !measured && reached >= mark {
				measured = true
				runtime.GC()
				runtime.ReadMemStats(&at)
			}
		}
		res, err := Run(context.Background(), sc, Options{Workers: 1, Progress: progress})
		if err != nil {
			b.Fatal(err)
		}
		if !measured {
			b.Fatal("the run never reached the mark")
		}
		var held int
		for _, s := range res.Results[0].Occupancy {
			if s.TimeSeconds == mark.Seconds() {
				held = s.Established + s.TimeWait
			}
		}
		if held < 9_500_000 {
			b.Fatalf("%d sockets held at %v; want about 10 M", held, mark)
		}
		b.ReportMetric(float64(int64(at.HeapAlloc)-int64(before.HeapAlloc))/float64(held), "B/conn")
		b.ReportMetric(float64(held), "conns")
	}
}
