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
