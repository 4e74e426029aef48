package sim

import (
	"context"
	"testing"
)

// BenchmarkSimulateGateway runs the gateway presets with one strategy, and
// reports simulated connection lifecycles per second of wall time.
func BenchmarkSimulateGateway(b *testing.B) {
	for _, name := range []string{"aws-nat-fleet", "azure-lb-pool", "k8s-node", "gcp-nat-api"} {
		b.Run(name, func(b *testing.B) {
			sc, err := PresetScenario(name)
			if err != nil {
				b.Fatal(err)
			}
			sc.Strategies = []string{"linux"}
			var lifecycles int
			for i := 0; i < b.N; i++ {
				res, err := Run(context.Background(), sc, Options{Workers: 1})
				if err != nil {
					b.Fatal(err)
				}
				r := res.Results[0]
				lifecycles += r.Allocations + r.Failures
			}
			b.ReportMetric(float64(lifecycles)/b.Elapsed().Seconds(), "lifecycles/s")
		})
	}
}
