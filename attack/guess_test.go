package attack

import (
	"context"
	"math"
	"testing"

	"github.com/portsim/portsim/sim"
)

// One sequential cursor for TCP (macOS, Windows): the port after the one
// the attacker saw is nearly always the next one.
func TestGuessSequential(t *testing.T) {
	res, err := Run(context.Background(), Guess, browser(t, "profile:macos", "profile:windows"), with(func(c *Config) { c.Seeds = 2 }))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Results {
		if *r.Success < 0.9 {
			t.Errorf("%s: the first guess is right %v of the time; want at least 90%%", r.Strategy, *r.Success)
		}
	}
}

// Linux UDP draws each port afresh: g guesses do no better than g out of
// the range.
func TestGuessLinuxUDPBlind(t *testing.T) {
	sc, err := sim.PresetScenario("dns-resolver")
	if err != nil {
		t.Fatal(err)
	}
	sc.Strategies = []string{"linux-udp"}
	res, err := Run(context.Background(), Guess, sc, with(func(c *Config) { c.Seeds = 4; c.Samples = 50 }))
	if err != nil {
		t.Fatal(err)
	}
	r := res.Results[0]
	n := float64(4 * 50)
	for _, pt := range r.PSuccess {
		blind := pt[0] / float64(r.Ports)
		// Four standard errors of a blind guesser's share, and one lucky hit.
		if bound := blind + 4*math.Sqrt(blind*(1-blind)/n) + 1/n; pt[1] > bound {
			t.Errorf("%v guesses: success %v; want at most %v (blind: %v)", pt[0], pt[1], bound, blind)
		}
	}
	if *r.Success != 0 {
		t.Errorf("first guess right %v of the time; want 0 of 200 (a blind guess: 1 in %d)", *r.Success, r.Ports)
	}
}

// With g spoofed DNS answers the attacker covers every transaction ID of
// the g/65536 likeliest ports: the DNS curve at 65536·k answers is the
// port curve at k guesses, and one answer against a certain port is 1 in
// 65536.
func TestGuessDNSCurve(t *testing.T) {
	res, err := Run(context.Background(), Guess, browser(t, "profile:macos"), DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	r := res.Results[0]
	port := map[float64]float64{}
	for _, pt := range r.PSuccess {
		port[pt[0]] = pt[1]
	}
	checked := 0
	for _, pt := range r.PSuccessDNS {
		k := pt[0] / txids
		if p, ok := port[k]; ok && k == math.Trunc(k) {
			checked++
			if math.Abs(pt[1]-p) > 1e-12 {
				t.Errorf("%v answers: %v; want the port curve's %v at %v guesses", pt[0], pt[1], p, k)
			}
		}
	}
	if checked < 3 {
		t.Errorf("only %d DNS points fall on whole ports; want several to compare", checked)
	}
	if want := *r.Success / txids; math.Abs(r.PSuccessDNS[0][1]-want) > 1e-15 {
		t.Errorf("one answer: %v; want the first guess's chance over 65536, %v", r.PSuccessDNS[0][1], want)
	}
}
