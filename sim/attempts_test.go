package sim

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
)

// Options.Attempts hears of every allocation attempt of every strategy, in
// order, as Samples holds them, whatever KeepSamples; an error from it
// ends the run.
func TestOptionsAttempts(t *testing.T) {
	sc := scenario(t, "rate", "1000", "duration", "10s", "warmup", "0s", "destinations", "3", "range", "40000-40999",
		"time-wait", "5s", "kind", "connect=0.6,udp=0.4", "strategy", "linux", "strategy", "sequential")
	all, err := Run(context.Background(), sc, Options{KeepSamples: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	got := make([][]Alloc, len(sc.Strategies))
	res, err := Run(context.Background(), sc, Options{KeepSamples: 10, Attempts: func(i int) func(Alloc) error {
		return func(a Alloc) error {
			mu.Lock()
			defer mu.Unlock()
			got[i] = append(got[i], a)
			return nil
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	failures := 0
	for i, r := range all.Results {
		failures += r.Failures
		if !reflect.DeepEqual(got[i], r.Samples) {
			t.Errorf("%s: the hook heard %d attempts; want the %d samples", r.Strategy, len(got[i]), len(r.Samples))
		}
		if len(res.Results[i].Samples) != 10 {
			t.Errorf("%s: %d samples kept; want 10", r.Strategy, len(res.Results[i].Samples))
		}
	}
	if failures == 0 {
		t.Error("no failures; want a run that exhausts the range, failures heard too")
	}

	stop := errors.New("disk full")
	_, err = Run(context.Background(), sc, Options{Attempts: func(int) func(Alloc) error {
		return func(a Alloc) error {
			if a.N == 100 {
				return stop
			}
			return nil
		}
	}})
	if !errors.Is(err, stop) {
		t.Errorf("error %v; want the hook's", err)
	}
}
