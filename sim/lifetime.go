package sim

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/portsim/portsim/internal/format"
)

// LifetimeDist is the shape of connection lifetimes.
type LifetimeDist uint8

const (
	Fixed       LifetimeDist = iota // always Mean
	Exponential                     // memoryless with mean Mean
	LogNormal                       // mean Mean, σ of the underlying normal Sigma
)

// Lifetime describes how long a connection stays open.
type Lifetime struct {
	Dist  LifetimeDist
	Mean  time.Duration
	Sigma float64 // LogNormal only
}

const lifetimeWant = "fixed:D, exp:D or lognormal:D,SIGMA"

// ParseLifetime reads fixed:D, exp:D (exponential with mean D) or
// lognormal:D,SIGMA (mean D, σ of the log). Values are checked by
// Validate, not here.
func ParseLifetime(s string) (Lifetime, error) {
	kind, arg, ok := strings.Cut(s, ":")
	if !ok {
		return Lifetime{}, wantf(lifetimeWant, "no distribution and mean")
	}
	var l Lifetime
	switch kind {
	case "fixed":
		l.Dist = Fixed
	case "exp":
		l.Dist = Exponential
	case "lognormal":
		l.Dist = LogNormal
		var sigma string
		arg, sigma, ok = strings.Cut(arg, ",")
		if !ok {
			return Lifetime{}, wantf(lifetimeWant, "lognormal needs a mean and a sigma")
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(sigma), 64)
		if err != nil {
			return Lifetime{}, wantf(lifetimeWant, "sigma %q is not a number", sigma)
		}
		l.Sigma = v
	default:
		return Lifetime{}, wantf(lifetimeWant, "%q is not a distribution", kind)
	}
	d, err := time.ParseDuration(strings.TrimSpace(arg))
	if err != nil {
		return Lifetime{}, wantf(lifetimeWant, "mean %q is not a duration", arg)
	}
	l.Mean = d
	return l, nil
}

// String is the canonical text ParseLifetime reads back.
func (l Lifetime) String() string {
	switch l.Dist {
	case Fixed:
		return "fixed:" + format.Duration(l.Mean)
	case Exponential:
		return "exp:" + format.Duration(l.Mean)
	case LogNormal:
		return "lognormal:" + format.Duration(l.Mean) + "," + formatFloat(l.Sigma)
	}
	return fmt.Sprintf("LifetimeDist(%d):%s", l.Dist, format.Duration(l.Mean))
}

// MaxSigma bounds a lognormal's σ. At σ = 10 the median lifetime is
// e^-50 of the mean already; larger σ only overflow (σ = 1e308 made
// lifetimes of -2562047h).
const MaxSigma = 10

// Validate checks the distribution, 0 < Mean ≤ MaxDuration, and that
// Sigma is in (0, MaxSigma] for lognormal and unset otherwise.
func (l Lifetime) Validate() error {
	v := l.String()
	switch {
	case l.Dist > LogNormal:
		return fmt.Errorf("%q is not a distribution; want %s", v, lifetimeWant)
	case l.Mean <= 0:
		return fmt.Errorf("%q: mean must be > 0; want %s", v, lifetimeWant)
	case l.Mean > MaxDuration:
		return fmt.Errorf("%q: mean is over the limit of %s; want %s", v, format.Duration(MaxDuration), lifetimeWant)
	case l.Dist == LogNormal && !(l.Sigma > 0 && finite(l.Sigma)):
		return fmt.Errorf("%q: sigma must be > 0 (fixed:D has none); want %s", v, lifetimeWant)
	case l.Dist == LogNormal && l.Sigma > MaxSigma:
		return fmt.Errorf("%q: sigma is over the limit of %d; want %s", v, MaxSigma, lifetimeWant)
	case l.Dist != LogNormal && l.Sigma != 0:
		return fmt.Errorf("%q has a sigma set; only lognormal takes one; want %s", v, lifetimeWant)
	}
	return nil
}
