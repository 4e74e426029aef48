package sim

import (
	"context"
	"testing"
	"time"
)

// MeasureScenarioSpeed times the start of any scenario, one over the
// arrival limit too, in a fraction of a second.
func TestMeasureScenarioSpeed(t *testing.T) {
	sc := DefaultScenario()
	sc.Arrivals.Rate, sc.Duration = 1e7, 1000*time.Second // 1e10 arrivals
	if sc.Validate() == nil {
		t.Fatal("the scenario is within the limit; want one over it")
	}
	start := time.Now()
	speed, err := MeasureScenarioSpeed(context.Background(), sc)
	if err != nil || speed <= 0 {
		t.Fatalf("speed %v, %v", speed, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	if got := sc.ExpectedArrivals(); got != 1e10 {
		t.Errorf("ExpectedArrivals %v; want 1e10", got)
	}
}
