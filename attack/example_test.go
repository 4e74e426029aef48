package attack_test

import (
	"context"
	"fmt"

	"github.com/portsim/portsim/attack"
	"github.com/portsim/portsim/sim"
)

// The counting side channel of RFC 6056 Algorithm 3: against Linux
// 4.6–5.11's one global hint, the attacker's server reads the number of
// connections the victim made in between exactly; against Linux 6.x's
// per-destination counters it does worse than guessing the average.
func Example() {
	sc, err := sim.PresetScenario("browser")
	if err != nil {
		panic(err)
	}
	sc.Strategies = []string{"profile:linux-4", "profile:linux"}
	c := attack.DefaultConfig()
	c.Samples = 100
	res, err := attack.Run(context.Background(), attack.Count, sc, c)
	if err != nil {
		panic(err)
	}
	for _, r := range res.Results {
		fmt.Printf("%-14s exact %3.0f%%, mean error %6.2f (guessing the average: %.2f)\n",
			r.Strategy, 100**r.Success, *r.EstimateError, *r.BaselineError)
	}
	// Output:
	// profile:linux-4 exact 100%, mean error   0.00 (guessing the average: 1.58)
	// profile:linux  exact   1%, mean error 167.34 (guessing the average: 1.58)
}
