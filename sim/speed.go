package sim

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
)

// ExpectedArrivals is the number of arrivals sc brings in all, on
// average: rate × duration, times the on share for onoff. Validate bounds
// it by MaxArrivals.
func (sc *Scenario) ExpectedArrivals() float64 {
	return sc.offeredRate() * sc.Duration.Seconds()
}

// MeasureScenarioSpeed times the start of sc with its first strategy,
// without warm-up or samples, and returns arrivals simulated per second
// of wall time by one worker. It times two pieces, about 25,000 and
// 125,000 arrivals, and takes the speed from their difference, so that
// the table's setup does not count as arrivals' time. sc need not pass
// Validate's size limits: only its start is run. Later arrivals may be
// slower than these, when the table fills up.
func MeasureScenarioSpeed(ctx context.Context, sc Scenario) (float64, error) {
	if len(sc.Strategies) == 0 {
		return 0, fmt.Errorf("no strategy to time")
	}
	sc.Strategies = sc.Strategies[:1]
	sc.Warmup, sc.SampleStep = 0, 0
	n1, t1, err := timePiece(ctx, sc, 25_000)
	if err != nil {
		return 0, err
	}
	n2, t2, err := timePiece(ctx, sc, 125_000)
	switch {
	case err != nil:
		return 0, err
	case n2 > n1 && t2 > t1:
		return float64(n2-n1) / (t2 - t1), nil
	case t2 > 0 && n2 > 0:
		return float64(n2) / t2, nil
	}
	return 0, fmt.Errorf("no arrivals to time")
}

// timePiece runs sc's first arrivals, about n of them, and returns how
// many it made and the seconds it took.
func timePiece(ctx context.Context, sc Scenario, n float64) (int64, float64, error) {
	if rate := sc.offeredRate(); rate*sc.Duration.Seconds() > n {
		sc.Duration = max(time.Duration(n/rate*float64(time.Second)), time.Millisecond)
	}
	var made atomic.Int64
	start := time.Now()
	_, err := Run(ctx, sc, Options{Workers: 1, Attempts: func(int) func(Alloc) error {
		return func(Alloc) error { made.Add(1); return nil }
	}})
	return made.Load(), time.Since(start).Seconds(), err
}
