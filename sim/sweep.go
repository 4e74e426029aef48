package sim

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// maxSweepValues bounds a sweep: each value is a whole simulation.
const maxSweepValues = 1000

// ParseVary reads a sweep specification, FIELD=START:STOP:STEP (numbers or
// durations, STOP included) or FIELD=V1,V2,..., into the field name and its
// values as the field spells them.
func ParseVary(spec string) (field string, values []string, err error) {
	field, list, ok := strings.Cut(spec, "=")
	field = strings.TrimSpace(field)
	if !ok || field == "" || list == "" {
		return "", nil, fmt.Errorf("%q: want FIELD=START:STOP:STEP or FIELD=V1,V2,...", spec)
	}
	if _, known := LookupField(field); !known || field == "strategy" || field == "name" {
		return "", nil, fmt.Errorf("%q: %q is not a field a sweep can vary; want one of %s", spec, field, strings.Join(FieldNames(), ", "))
	}
	parts := strings.Split(list, ":")
	if field == "gateway" {
		// Gateway specs hold commas of their own, as strategy specs do.
		values = SplitStrategies(list)
		if len(values) == 0 {
			return "", nil, fmt.Errorf("%q: no values", spec)
		}
		return field, values, nil
	}
	if len(parts) != 3 {
		for _, v := range strings.Split(list, ",") {
			if v = strings.TrimSpace(v); v != "" {
				values = append(values, v)
			}
		}
		if len(values) == 0 {
			return "", nil, fmt.Errorf("%q: no values", spec)
		}
		return field, values, nil
	}
	values, err = steps(parts[0], parts[1], parts[2])
	if err != nil {
		return "", nil, fmt.Errorf("%q: %w", spec, err)
	}
	return field, values, nil
}

// steps expands START:STOP:STEP over numbers or durations.
func steps(start, stop, step string) ([]string, error) {
	a, errA := strconv.ParseFloat(start, 64)
	b, errB := strconv.ParseFloat(stop, 64)
	s, errS := strconv.ParseFloat(step, 64)
	format := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	if errA != nil || errB != nil || errS != nil {
		da, errA := time.ParseDuration(start)
		db, errB := time.ParseDuration(stop)
		ds, errS := time.ParseDuration(step)
		if errA != nil || errB != nil || errS != nil {
			return nil, fmt.Errorf("START:STOP:STEP must be three numbers or three durations")
		}
		a, b, s = float64(da), float64(db), float64(ds)
		format = func(x float64) string { return time.Duration(x).String() }
	}
	if s <= 0 || b < a || math.IsNaN(a+b+s) {
		return nil, fmt.Errorf("want START ≤ STOP and STEP > 0")
	}
	n := int(math.Floor((b-a)/s+1e-9)) + 1
	if n > maxSweepValues {
		return nil, fmt.Errorf("%d values; want at most %d", n, maxSweepValues)
	}
	out := make([]string, n)
	for i := range out {
		out[i] = format(a + float64(i)*s)
	}
	return out, nil
}

// Sweep runs base once for each value of field (and once per kind in
// kinds, when given), with every strategy of base. Rows come in value,
// then kind, then strategy order. Every point is checked, as CheckSweep
// does, before the first runs.
func Sweep(ctx context.Context, base Scenario, field string, values, kinds []string, opts Options) (*SweepResult, error) {
	if err := CheckSweep(base, field, values, kinds); err != nil {
		return nil, err
	}
	if len(kinds) == 0 {
		kinds = []string{base.Get("kind")}
	}
	out := &SweepResult{Schema: SweepSchema, Param: field, Scenario: base.Resolved()}
	for _, v := range values {
		for _, k := range kinds {
			sc, err := sweepPoint(base, field, v, k)
			if err != nil {
				return nil, err
			}
			res, err := Run(ctx, sc, opts)
			if err != nil {
				return nil, err
			}
			x := sweepX(sc.Get(field))
			for _, r := range res.Results {
				row := SweepRow{
					Value: sc.Get(field), X: x, Kind: sc.Get("kind"), Strategy: r.Strategy,
					Allocations: r.Allocations, Failures: r.Failures, FailureRate: r.FailureRate,
					ProbesMean: r.ProbesMean, LimitRate: r.Host.LimitRate(),
				}
				if g := r.Gateway; g != nil {
					row.Gateway = &SweepGateway{Policy: g.Policy, PublicIPs: g.PublicIPs, Allocations: g.Allocations, Failures: g.Failures,
						FailureName: g.FailureName, FailureRate: g.FailureRate, InsertFailed: g.InsertFailed, Conflicts: g.Conflicts,
						BusiestMax: g.BusiestMax, Limit: g.Limit, Seconds: (sc.Duration - sc.Warmup).Seconds(), OfferedRate: sc.offeredRate(),
						ClosingSeconds: g.ClosingSeconds, Ports: g.Range.Size()}
				}
				out.Rows = append(out.Rows, row)
			}
			if res.Partial {
				out.Partial = true
				return out, nil
			}
		}
	}
	return out, nil
}

// CheckSweep checks every point of a sweep — base with each kind and each
// value of field, as Sweep would run it — so that a bad value fails at
// once rather than after minutes of simulation. An error names the field
// and the value.
func CheckSweep(base Scenario, field string, values, kinds []string) error {
	if len(values) > maxSweepValues {
		return fmt.Errorf("%d values; want at most %d", len(values), maxSweepValues)
	}
	if len(kinds) == 0 {
		kinds = []string{base.Get("kind")}
	}
	for _, v := range values {
		for _, k := range kinds {
			if _, err := sweepPoint(base, field, v, k); err != nil {
				return err
			}
		}
	}
	return nil
}

// sweepPoint is base with kind and field set, validated.
func sweepPoint(base Scenario, field, value, kind string) (Scenario, error) {
	sc := base
	if err := sc.Set("kind", kind); err != nil {
		return sc, err
	}
	if err := sc.Set(field, value); err != nil {
		return sc, err // it names the field and the value
	}
	if err := sc.Validate(); err != nil {
		return sc, fmt.Errorf("%s=%s: %w", field, value, err)
	}
	return sc, nil
}

// sweepX is a value's position on a chart's x axis: the number, or a
// duration in seconds; NaN when it is neither.
func sweepX(v string) float64 {
	if x, err := strconv.ParseFloat(v, 64); err == nil {
		return x
	}
	if d, err := time.ParseDuration(v); err == nil {
		return d.Seconds()
	}
	return math.NaN()
}

// offeredRate is the new connections per second the arrivals bring on
// average: the rate, times the share of time an on/off process is on.
func (sc *Scenario) offeredRate() float64 {
	r := sc.Arrivals.Rate
	if a := sc.Arrivals; a.Process == OnOff {
		r *= a.On.Seconds() / (a.On + a.Off).Seconds()
	}
	return r
}
