package attack

import (
	"context"
	"testing"
)

// One global hint (Linux 4.6–5.11): the port difference counts the
// connections in between exactly. Per-destination counters (Linux 6.x):
// the estimate is no better than guessing the average.
func TestCount(t *testing.T) {
	res, err := Run(context.Background(), Count, browser(t, "profile:linux-4", "profile:linux"), with(func(c *Config) { c.Seeds = 2 }))
	if err != nil {
		t.Fatal(err)
	}
	hint, linux := res.Results[0], res.Results[1]
	if *hint.EstimateError != 0 || *hint.Success != 1 {
		t.Errorf("linux-4: mean error %v, exact %v; want 0 and 1", *hint.EstimateError, *hint.Success)
	}
	moved := 0
	for _, e := range hint.Estimates {
		if e[0] > 0 {
			moved++
		}
	}
	if moved < len(hint.Estimates)/2 {
		t.Errorf("linux-4: %d of %d intervals had connections in between; want most, or the test shows nothing", moved, len(hint.Estimates))
	}
	if *linux.EstimateError < *linux.BaselineError {
		t.Errorf("linux: mean error %v, below guessing the average (%v); want no better than guessing", *linux.EstimateError, *linux.BaselineError)
	}
}
