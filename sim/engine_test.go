package sim

import (
	"context"
	"encoding/json"
	"math"
	"reflect"
	"testing"
)

// scenario builds a scenario from the defaults and field settings.
func scenario(t testing.TB, settings ...string) Scenario {
	t.Helper()
	sc := DefaultScenario()
	for i := 0; i+1 < len(settings); i += 2 {
		if err := sc.Set(settings[i], settings[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	return sc
}

func simulate(t testing.TB, sc Scenario) *Result {
	t.Helper()
	res, err := Run(context.Background(), sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// Little's law: with no exhaustion, the mean number of open connections is
// the arrival rate times the mean lifetime.
func TestLittlesLaw(t *testing.T) {
	for _, lt := range []string{"exp:2s", "fixed:2s", "lognormal:2s,1"} {
		sc := scenario(t, "rate", "200", "lifetime", lt, "duration", "300s", "warmup", "30s",
			"destinations", "50", "close", "reset", "strategy", "random")
		r := simulate(t, sc).Results[0]
		want := 200 * 2.0
		if r.Failures != 0 || math.Abs(r.EstablishedMean-want)/want > 0.02 {
			t.Errorf("%s: mean open connections %.1f; want %.0f ± 2%% (failures %d)", lt, r.EstablishedMean, want, r.Failures)
		}
	}
}

// RFC 6056 Algorithm 1 starts at a uniformly random port, so the first
// candidate is busy with probability equal to the occupancy the arrival
// sees — by PASTA, the time-average occupancy.
func TestRandomCollisionMatchesOccupancy(t *testing.T) {
	for _, rate := range []string{"500", "1000", "1500"} {
		sc := scenario(t, "rate", rate, "lifetime", "exp:8s", "duration", "200s", "warmup", "40s",
			"destinations", "1", "close", "reset", "range", "49152-65535", "strategy", "random")
		r := simulate(t, sc).Results[0]
		rho := r.EstablishedMean / 16384
		if math.Abs(r.CollisionRate-rho) > 0.01 {
			t.Errorf("rate %s: collision rate %.4f; analytic value (occupancy) %.4f", rate, r.CollisionRate, rho)
		}
	}
}

// One destination, Linux defaults without tw_reuse: each closed 4-tuple
// waits 60 s, so the range sustains 28232 / 60 s ≈ 470 connections/s.
func TestExhaustionAtTimeWaitCapacity(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates 300 s of a saturated port range")
	}
	for _, tt := range []struct {
		rate     string
		failures bool
	}{{"400", false}, {"520", true}} {
		sc := scenario(t, "rate", tt.rate, "arrivals", "constant", "lifetime", "fixed:10ms", "duration", "300s",
			"destinations", "1", "close", "client", "time-wait", "60s", "tw-reuse", "off",
			"range", "32768-60999", "strategy", "linux")
		r := simulate(t, sc).Results[0]
		if got := r.Failures > 0; got != tt.failures {
			t.Errorf("rate %s/s: %d failures; want failures = %v", tt.rate, r.Failures, tt.failures)
		}
	}
}

// bind() before connect() owns each port exclusively, so 30 destinations
// share one pool; connect() shares ports across destinations by 4-tuple.
func TestBindBeforeConnectExhaustsFirst(t *testing.T) {
	base := []string{"rate", "600", "arrivals", "constant", "lifetime", "fixed:50ms", "duration", "120s",
		"destinations", "30", "close", "client", "time-wait", "60s", "tw-reuse", "off",
		"range", "32768-60999", "strategy", "linux"}
	bind := simulate(t, scenario(t, append(base, "kind", "bind")...)).Results[0]
	conn := simulate(t, scenario(t, append(base, "kind", "connect")...)).Results[0]
	if bind.Failures == 0 || conn.Failures != 0 {
		t.Errorf("at 600/s to 30 destinations: bind failures %d (want > 0), connect failures %d (want 0)",
			bind.Failures, conn.Failures)
	}
}

func TestDeterministic(t *testing.T) {
	sc := scenario(t, "duration", "20s", "rate", "300", "destinations", "5", "kind", "connect=0.8,bind=0.1,udp=0.1",
		"close", "client=0.7,server=0.2,reset=0.1", "strategy", "sequential,random,hashed,linux")
	a, _ := json.Marshal(simulate(t, sc))
	b, _ := json.Marshal(simulate(t, sc))
	if string(a) != string(b) {
		t.Fatal("the same scenario and seed gave different results")
	}
	// Results do not depend on how many strategies run at once.
	one, err := Run(context.Background(), sc, Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := json.Marshal(one)
	if string(a) != string(c) {
		t.Fatal("results depend on the worker count")
	}
}

// Adding a strategy leaves the others' results unchanged: the workload
// and each strategy's randomness come from their own seeds.
func TestAddingStrategyLeavesOthersUnchanged(t *testing.T) {
	two := scenario(t, "duration", "20s", "rate", "300", "strategy", "random,linux")
	three := scenario(t, "duration", "20s", "rate", "300", "strategy", "random,sequential,linux")
	a, b := simulate(t, two).Results, simulate(t, three).Results
	if !reflect.DeepEqual(a[0], b[0]) || !reflect.DeepEqual(a[1], b[2]) {
		t.Fatal("adding sequential changed random's or linux's results")
	}
	if a[0].Allocations+a[0].Failures != b[1].Allocations+b[1].Failures {
		t.Fatal("strategies did not see the same number of arrivals")
	}
}

func TestCancelGivesPartial(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := Run(ctx, scenario(t, "duration", "100s", "strategy", "linux"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Partial {
		t.Fatal("a cancelled run is not marked partial")
	}
}

func TestRunRejectsInvalidScenario(t *testing.T) {
	sc := DefaultScenario()
	sc.Strategies = []string{"no-such"}
	if _, err := Run(context.Background(), sc, Options{}); err == nil {
		t.Fatal("Run accepted an unknown strategy")
	}
}

// For random, the collision probability in each occupancy bin is the
// bin's occupancy (the analytic curve the collisions chart draws).
func TestCollisionsByOccupancyFollowAnalyticCurve(t *testing.T) {
	sc := scenario(t, "rate", "1500", "lifetime", "exp:8s", "duration", "120s", "warmup", "20s",
		"destinations", "1", "close", "reset", "range", "49152-65535", "strategy", "random")
	res := simulate(t, sc)
	checked := 0
	for _, b := range res.Results[0].ByOccupancy {
		if b.Attempts < 2000 {
			continue
		}
		mid := (b.Lo + b.Hi) / 2
		if p := float64(b.Collisions) / float64(b.Attempts); math.Abs(p-mid) > 0.03 {
			t.Errorf("random, occupancy %.2f-%.2f: collision probability %.3f; want about %.3f", b.Lo, b.Hi, p, mid)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no occupancy bin had enough attempts")
	}
}

// A reuse interval runs from the 4-tuple's close to its next use: one
// connection a second, each open for 0.5 s, cycling through four ports,
// reuses each 4-tuple 3.5 s after it closed. (The engine tells the
// collector of a close when the connection is made; this pins the time it
// passes.)
func TestReuseIntervalStartsAtClose(t *testing.T) {
	for _, close := range []string{"client", "reset"} {
		sc := scenario(t, "rate", "1", "arrivals", "constant", "lifetime", "fixed:500ms", "duration", "60s",
			"destinations", "1", "close", close, "time-wait", "2s", "range", "40000-40003", "strategy", "sequential")
		r := simulate(t, sc).Results[0]
		if r.Failures != 0 || r.ReuseCount != 60-4 || r.ReuseMinSeconds != 3.5 || r.ReuseP50Seconds != 3.5 {
			t.Errorf("close %s: %d failures, %d reuses, min %v s, p50 %v s; want 0, 56, 3.5, 3.5",
				close, r.Failures, r.ReuseCount, r.ReuseMinSeconds, r.ReuseP50Seconds)
		}
	}
}
