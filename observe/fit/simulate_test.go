package fit_test

import (
	"context"
	"time"

	"github.com/portsim/portsim/observe/capture"
	"github.com/portsim/portsim/sim"
)

// simulate runs the default scenario with settings (field name, value
// pairs) on one worker, keeping up to 2^20 samples of its first strategy.
func simulate(ctx context.Context, settings ...string) (sim.Scenario, []sim.Alloc, error) {
	sc := sim.DefaultScenario()
	for i := 0; i+1 < len(settings); i += 2 {
		if err := sc.Set(settings[i], settings[i+1]); err != nil {
			return sc, nil, err
		}
	}
	if err := sc.Validate(); err != nil {
		return sc, nil, err
	}
	res, err := sim.Run(ctx, sc, sim.Options{KeepSamples: 1 << 20, Workers: 1})
	if err != nil {
		return sc, nil, err
	}
	return sc, res.Results[0].Samples, nil
}

// sampleAttempt is what a capture holds of s, from scriptEpoch: its SYN
// or datagram from the host's address and port, or behind a gateway from
// the public ones. ok is false for a failure, which sends nothing.
func sampleAttempt(sc *sim.Scenario, s sim.Alloc) (a capture.Attempt, ok bool) {
	if s.Port == 0 || sc.Gateway != "" && s.PublicPort == 0 {
		return a, false
	}
	proto := capture.TCP
	if s.Kind == "udp" {
		proto = capture.UDP
	}
	dst := sc.DstAddr(s.Dst)
	src, sport := sc.Srcs[s.Src], s.Port
	if sc.Gateway != "" {
		src, sport = sc.PublicAddr(s.PublicAddr), s.PublicPort
	}
	return capture.Attempt{
		Time:  scriptEpoch.Add(time.Duration(s.TimeSeconds * float64(time.Second))),
		Proto: proto, Src: src, SrcPort: sport, Dst: dst.Addr(), DstPort: dst.Port(),
	}, true
}
