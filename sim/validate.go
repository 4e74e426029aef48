package sim

import (
	"errors"
	"fmt"
	"time"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/internal/format"
	"github.com/portsim/portsim/strategies"
)

// Limits that keep a scenario from hanging the engine or exhausting memory.
// They are far above anything the questions portsim answers need.
const (
	// MaxDuration bounds every duration field: a year of simulated time.
	MaxDuration = 365 * 24 * time.Hour
	// MinRate is the smallest arrival rate (per second); below it the gap
	// between arrivals could overflow the simulated clock.
	MinRate = 1e-6
	// MaxArrivals bounds rate × duration (× the on share for onoff).
	MaxArrivals = 1e9
	// MaxOpenSockets bounds the sockets expected to be held at once
	// (established plus TIME_WAIT): what 2 GiB holds per strategy at the
	// 64 bytes a held socket costs (BenchmarkLiveTimeWait measures it).
	MaxOpenSockets = 32e6
	// MaxSamples bounds duration / sample-step.
	MaxSamples = 100_000
	// MaxSources bounds src: the table keeps 1 MiB of port state per local
	// address.
	MaxSources = 64
)

// clockLimit is how far the simulated clock may safely run, in seconds: well
// inside time.Duration's 292 years, so no arrival time overflows.
const clockLimit = 200 * 365.25 * 24 * 3600

// expGapMax is a bound on math/rand/v2's ExpFloat64 (its ziggurat tail
// gives at most about 44.4), in mean gaps.
const expGapMax = 50

// Validate reports every problem with sc, each naming its field: first each
// field's own rules (as Set checks them), then, when those pass, the rules
// that join fields and the limits that keep a run from hanging or
// exhausting memory. It returns nil for a runnable scenario.
func (sc *Scenario) Validate() error {
	var errs []error
	for i := range fields {
		if err := fields[i].runCheck(sc); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...) // the joint rules would repeat these
	}
	return errors.Join(sc.crossChecks()...)
}

func (sc *Scenario) crossChecks() []error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if sc.Warmup >= sc.Duration {
		add("warmup: %s is not less than duration %s; want a warm-up shorter than the run", format.Duration(sc.Warmup), format.Duration(sc.Duration))
	}
	if len(sc.Srcs) > 0 && sc.Srcs[0].Is6() != sc.IPv6 {
		fam, want := "IPv4", "IPv6"
		if sc.Srcs[0].Is6() {
			fam, want = "IPv6", "IPv4"
		}
		add("src: %s is %s but ipv6 is %v; want %s source addresses, or change ipv6", formatAddrs(sc.Srcs), fam, sc.IPv6, want)
	}

	var kinds []allocator.Kind
	for _, k := range sc.Kinds {
		if k.Weight > 0 {
			kinds = append(kinds, k.Value)
		}
	}
	for _, spec := range sc.Strategies {
		if err := strategies.CheckKinds(spec, kinds); err != nil {
			add("strategy: %v", err)
		}
	}

	// Sizes. onShare is the fraction of time arrivals run.
	dur := sc.Duration.Seconds()
	rate := sc.Arrivals.Rate
	onShare := 1.0
	if a := sc.Arrivals; a.Process == OnOff {
		onShare = a.On.Seconds() / (a.On + a.Off).Seconds()
	}
	if n := rate * dur * onShare; n > MaxArrivals {
		add("rate: %s per second for duration %s is about %.3g arrivals, over the limit of %.0e; want a lower rate or a shorter duration",
			formatFloat(rate), format.Duration(sc.Duration), n, float64(MaxArrivals))
	}
	if a := sc.Arrivals; a.Process == OnOff {
		// The last gap, stretched by the off periods, must stay on the clock.
		period := (a.On + a.Off).Seconds()
		wall := (dur*onShare+a.On.Seconds()+expGapMax/rate)/onShare + period
		if wall > clockLimit {
			add("arrivals: %q at rate %s could put an arrival %.3g years out, past the simulated clock's limit; want a longer on period, a shorter off period or a higher rate",
				a.String(), formatFloat(rate), wall/(365.25*24*3600))
		}
	}
	errs = append(errs, sc.checkGatewayFields()...)
	if held := sc.heldSockets(); held > MaxOpenSockets {
		add("rate: %s per second with lifetime %s and time-wait %s holds about %.3g sockets at once, over the limit of %.3g; want a lower rate or shorter lifetimes or time-wait",
			formatFloat(rate), sc.Lifetime.String(), format.Duration(sc.TimeWait), held, float64(MaxOpenSockets))
	}
	if sc.SampleStep > 0 {
		if n := sc.Duration / sc.SampleStep; n > MaxSamples {
			add("sample-step: %s over duration %s is %d samples, over the limit of %d; want a step of at least %s",
				format.Duration(sc.SampleStep), format.Duration(sc.Duration), n, MaxSamples, format.Duration((sc.Duration+MaxSamples-1)/MaxSamples))
		}
	}
	return errs
}

// heldSockets estimates the sockets open at once, established plus
// TIME_WAIT, by Little's law, capped by what the port space can hold.
func (sc *Scenario) heldSockets() float64 {
	// Only TCP closed by the client leaves a TIME_WAIT behind.
	twShare := share(sc.Close, func(c allocator.CloseHow) bool { return c == allocator.ClientFirst }) *
		share(sc.Kinds, func(k allocator.Kind) bool { return k != allocator.UDP })
	onShare := 1.0
	if a := sc.Arrivals; a.Process == OnOff {
		onShare = a.On.Seconds() / (a.On + a.Off).Seconds()
	}
	held := sc.Arrivals.Rate * onShare *
		(min(sc.Lifetime.Mean, sc.Duration).Seconds() + twShare*min(sc.TimeWait, sc.Duration).Seconds())
	// connect() shares ports across destinations; bind() and UDP cannot
	// exceed one range per local address.
	capacity := float64(sc.Range.Size()) * float64(len(sc.Srcs)) * float64(sc.Destinations+2)
	return min(held, capacity)
}

// share is the weight of the shares that match, over the total.
func share[T any](shares []Share[T], match func(T) bool) float64 {
	in, total := 0.0, 0.0
	for _, s := range shares {
		total += s.Weight
		if match(s.Value) {
			in += s.Weight
		}
	}
	if total <= 0 {
		return 0
	}
	return in / total
}
