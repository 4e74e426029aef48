package sim

import (
	"testing"

	"github.com/portsim/portsim/strategies"
)

// A profile brings its own range: every port falls inside it whatever the
// scenario's range says.
func TestProfilesUseTheirOwnRange(t *testing.T) {
	for _, p := range strategies.Profiles() {
		sc := scenario(t, "rate", "50", "duration", "20s", "warmup", "0s", "destinations", "5",
			"kind", "connect=0.6,bind=0.2,udp=0.2", "close", "reset", "range", "40000-40100",
			"strategy", "profile:"+p.Name)
		res, err := Run(t.Context(), sc, Options{KeepSamples: 2000})
		if err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		r := res.Results[0]
		if r.Allocations < 800 || r.Failures != 0 {
			t.Errorf("%s: %d allocations, %d failures", p.Name, r.Allocations, r.Failures)
		}
		for _, s := range r.Samples {
			if s.Port < p.Range.Lo || s.Port > p.Range.Hi {
				t.Fatalf("%s: port %d outside %v", p.Name, s.Port, p.Range)
			}
		}
	}
}

// macOS's TCP connect() and bind() share one cursor: with every connection
// reset before the next, successive TCP ports climb by exactly one across
// both kinds.
func TestProfileKindsShareOneCursor(t *testing.T) {
	sc := scenario(t, "rate", "20", "arrivals", "constant", "lifetime", "fixed:10ms", "duration", "30s",
		"warmup", "0s", "destinations", "3", "kind", "connect=0.5,bind=0.5", "close", "reset",
		"strategy", "profile:macos")
	res, err := Run(t.Context(), sc, Options{KeepSamples: 1000})
	if err != nil {
		t.Fatal(err)
	}
	s := res.Results[0].Samples
	kinds := map[string]bool{}
	for i := 1; i < len(s); i++ {
		kinds[s[i].Kind] = true
		if s[i].Port != s[i-1].Port+1 {
			t.Fatalf("allocation %d (%s): port %d after %d; want one cursor for both kinds", i, s[i].Kind, s[i].Port, s[i-1].Port)
		}
	}
	if !kinds["connect"] || !kinds["bind"] {
		t.Fatalf("kinds seen %v; want connect and bind", kinds)
	}
}

// ns-3 and OMNeT++ INET check the local port alone, so connect() to many
// destinations cannot share a port: OMNeT's 3977 ports run out under a
// load that the same sequential counter, sharing ports by 4-tuple, carries.
func TestExclusiveConnectProfilesRunOut(t *testing.T) {
	load := []string{"rate", "50", "arrivals", "constant", "lifetime", "fixed:1s", "duration", "120s",
		"warmup", "0s", "destinations", "10", "close", "client"}
	omnet := scenario(t, append(load, "strategy", "profile:omnet-inet")...)
	shared := scenario(t, append(load, "strategy", "sequential:start=1025", "range", "1024-5000", "time-wait", "240s")...)
	if r := simulate(t, omnet).Results[0]; r.Failures == 0 {
		t.Errorf("omnet-inet: no failures with %d TIME_WAIT ports needed; want exhaustion", 50*120)
	}
	if r := simulate(t, shared).Results[0]; r.Failures != 0 {
		t.Errorf("sequential sharing ports by 4-tuple: %d failures; want none", r.Failures)
	}
}

func TestProfileSpecsInStrategyList(t *testing.T) {
	got := SplitStrategies("random,profile:netbsd,algo=randinc,profile:macos")
	want := []string{"random", "profile:netbsd:algo=randinc", "profile:macos"}
	if len(got) != len(want) {
		t.Fatalf("%q; want %q", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%q; want %q", got, want)
		}
	}
	sc := DefaultScenario()
	if err := sc.Set("strategy", "profile:beos"); err == nil {
		t.Error("profile:beos accepted")
	}
}
