package sim

import (
	"fmt"
	"strings"
	"time"

	"github.com/portsim/portsim/internal/format"
)

// Process is how connections arrive.
type Process uint8

const (
	Poisson  Process = iota // exponential gaps at Rate
	Constant                // one every 1/Rate
	OnOff                   // Poisson at Rate during On, silent during Off, repeating
)

// Arrivals describes the arrival process.
type Arrivals struct {
	Process Process
	Rate    float64       // connections per second (during On for OnOff)
	On, Off time.Duration // OnOff only
}

const arrivalsWant = "poisson, constant or onoff:ON/OFF with durations ON > 0 and OFF ≥ 0, such as onoff:2s/8s"

// ParseArrivals reads the process as String prints it: poisson, constant or
// onoff:ON/OFF. The rate is a field of its own, so the result's Rate is 0.
// Values are checked by Validate, not here.
func ParseArrivals(s string) (Arrivals, error) {
	kind, arg, hasArg := strings.Cut(s, ":")
	switch {
	case s == "poisson":
		return Arrivals{Process: Poisson}, nil
	case s == "constant":
		return Arrivals{Process: Constant}, nil
	case kind == "onoff" && hasArg:
		onS, offS, ok := strings.Cut(arg, "/")
		if !ok {
			return Arrivals{}, wantf(arrivalsWant, "onoff needs ON/OFF")
		}
		on, err := time.ParseDuration(strings.TrimSpace(onS))
		if err != nil {
			return Arrivals{}, wantf(arrivalsWant, "on period %q is not a duration", onS)
		}
		off, err := time.ParseDuration(strings.TrimSpace(offS))
		if err != nil {
			return Arrivals{}, wantf(arrivalsWant, "off period %q is not a duration", offS)
		}
		return Arrivals{Process: OnOff, On: on, Off: off}, nil
	case kind == "onoff":
		return Arrivals{}, wantf(arrivalsWant, "onoff needs ON/OFF")
	}
	return Arrivals{}, wantf(arrivalsWant, "not an arrival process")
}

// String is the process without the rate, as ParseArrivals reads it.
func (a Arrivals) String() string {
	switch a.Process {
	case Poisson:
		return "poisson"
	case Constant:
		return "constant"
	case OnOff:
		return "onoff:" + format.Duration(a.On) + "/" + format.Duration(a.Off)
	}
	return fmt.Sprintf("Process(%d)", a.Process)
}

// Validate checks the process and its periods; checkRate checks the rate.
func (a Arrivals) Validate() error {
	v := a.String()
	switch a.Process {
	case Poisson, Constant:
		if a.On != 0 || a.Off != 0 {
			return fmt.Errorf("%q has on/off periods set; want %s", v, arrivalsWant)
		}
	case OnOff:
		switch {
		case a.On <= 0:
			return fmt.Errorf("%q: on period must be > 0; want %s", v, arrivalsWant)
		case a.Off < 0:
			return fmt.Errorf("%q: off period is negative; want %s", v, arrivalsWant)
		case a.On > MaxDuration || a.Off > MaxDuration:
			return fmt.Errorf("%q: a period is over the limit of %s; want %s", v, format.Duration(MaxDuration), arrivalsWant)
		}
	default:
		return fmt.Errorf("%q is not a process; want %s", v, arrivalsWant)
	}
	return nil
}

const rateWant = "a rate > 0 per second"

// checkRate checks an arrival rate: finite, > 0 and at least MinRate.
func checkRate(r float64) error {
	switch {
	case !finite(r):
		return fmt.Errorf("%s is not a finite number; want %s", formatFloat(r), rateWant)
	case r < 0:
		return fmt.Errorf("%s is negative; want %s", formatFloat(r), rateWant)
	case r == 0:
		return fmt.Errorf("0 is not > 0; want %s", rateWant)
	case r < MinRate:
		return fmt.Errorf("%s is below the smallest rate, %s; want %s, at least %s", formatFloat(r), formatFloat(MinRate), rateWant, formatFloat(MinRate))
	}
	return nil
}
