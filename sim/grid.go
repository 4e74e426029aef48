package sim

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Bounds on a sweep's size, each point being a whole simulation per
// strategy: values of one --vary, points of a grid, and runs (points ×
// kinds × strategies).
const (
	maxSweepValues = 1000
	MaxSweepPoints = 100_000
	MaxSweepRuns   = 1_000_000
)

// A Grid is the points a sweep runs: the fields it varies and, for each
// point, their values in Fields' order, as the fields spell them.
type Grid struct {
	Fields []string
	Points [][]string
}

// ParseVary reads one field's values as a one-field grid:
// FIELD=START:STOP:STEP (numbers or durations, STOP included),
// FIELD=V1,V2,... or, for values that hold commas themselves,
// FIELD=V1;V2;... (dst-port=80,443;8080). A gateway's specs split as
// strategy specs do: gateway=aws-nat,gcp-nat:dynamic=on,max-ports=256 is
// two values.
func ParseVary(spec string) (Grid, error) {
	field, list, ok := strings.Cut(spec, "=")
	field = strings.TrimSpace(field)
	if !ok || field == "" || list == "" {
		return Grid{}, fmt.Errorf("%q: want FIELD=START:STOP:STEP, FIELD=V1,V2,... or FIELD=V1;V2;...", spec)
	}
	if err := checkVaryField(field); err != nil {
		return Grid{}, fmt.Errorf("%q: %w", spec, err)
	}
	var values []string
	parts := strings.Split(list, ":")
	switch {
	case strings.Contains(list, ";"):
		values = splitOn(list, ";")
	case field == "gateway":
		// Gateway specs hold commas of their own, as strategy specs do.
		values = SplitStrategies(list)
	case len(parts) == 3:
		var err error
		if values, err = steps(parts[0], parts[1], parts[2]); err != nil {
			return Grid{}, fmt.Errorf("%q: %w", spec, err)
		}
	default:
		values = splitList(list)
	}
	if len(values) == 0 {
		return Grid{}, fmt.Errorf("%q: no values", spec)
	}
	if len(values) > maxSweepValues {
		return Grid{}, fmt.Errorf("%q: %d values; want at most %d", spec, len(values), maxSweepValues)
	}
	g := Grid{Fields: []string{field}, Points: make([][]string, len(values))}
	for i, v := range values {
		g.Points[i] = []string{v}
	}
	return g, nil
}

// checkVaryField says whether a sweep may vary the field: any scenario
// field but the name, and the strategies, which are a sweep's rows.
func checkVaryField(field string) error {
	switch field {
	case "strategy", "profile":
		return fmt.Errorf("%q: the strategies are a sweep's rows already; give each with --strategy or --profile", field)
	case "name":
		return fmt.Errorf("%q is not a field a sweep can vary; want one of the others: %s", field, strings.Join(varyFields(), ", "))
	}
	if _, known := LookupField(field); !known {
		return fmt.Errorf("%q is not a field a sweep can vary; want one of %s", field, strings.Join(varyFields(), ", "))
	}
	return nil
}

func varyFields() []string {
	var out []string
	for _, f := range FieldNames() {
		if f != "name" && f != "strategy" {
			out = append(out, f)
		}
	}
	return out
}

// steps expands START:STOP:STEP over numbers or durations. Values are
// rounded to 15 significant digits, so 0.1:0.3:0.1 ends at 0.3 and not
// 0.30000000000000004.
func steps(start, stop, step string) ([]string, error) {
	a, errA := strconv.ParseFloat(start, 64)
	b, errB := strconv.ParseFloat(stop, 64)
	s, errS := strconv.ParseFloat(step, 64)
	format := func(x float64) string {
		x, _ = strconv.ParseFloat(strconv.FormatFloat(x, 'g', 15, 64), 64)
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	if errA != nil || errB != nil || errS != nil {
		da, errA := time.ParseDuration(start)
		db, errB := time.ParseDuration(stop)
		ds, errS := time.ParseDuration(step)
		if errA != nil || errB != nil || errS != nil {
			return nil, fmt.Errorf("START:STOP:STEP must be three numbers or three durations")
		}
		a, b, s = float64(da), float64(db), float64(ds)
		format = func(x float64) string { return time.Duration(math.Round(x)).String() }
	}
	for _, x := range []float64{a, b, s} {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("START, STOP and STEP must be finite numbers")
		}
	}
	if s <= 0 || b < a {
		return nil, fmt.Errorf("want START ≤ STOP and STEP > 0")
	}
	// Count in floating point first: (b-a)/s may overflow an int, or be
	// infinite.
	count := math.Floor((b-a)/s+1e-9) + 1
	if !(count <= maxSweepValues) {
		n := "about " + strconv.FormatFloat(count, 'g', 3, 64)
		if math.IsInf(count, 0) {
			n = "too many"
		}
		return nil, fmt.Errorf("%s values; want at most %d (a larger STEP or a narrower range)", n, maxSweepValues)
	}
	out := make([]string, int(count))
	for i := range out {
		out[i] = format(a + float64(i)*s)
		if i > 0 && out[i] == out[i-1] {
			return nil, fmt.Errorf("STEP %s is too small to change %s at this precision; want a larger STEP", step, out[i])
		}
	}
	return out, nil
}

// Product is the cartesian product of grids: each point of the first with
// each point of the second, and so on, the first grid's points changing
// slowest, as nested loops would. A field may be in one grid only.
func Product(grids ...Grid) (Grid, error) {
	out := Grid{Points: [][]string{{}}}
	for _, g := range grids {
		for _, f := range g.Fields {
			if slices.Contains(out.Fields, f) {
				return Grid{}, fmt.Errorf("%s: varied twice; want each field in one --vary or --vary-file", f)
			}
		}
		if len(g.Points) == 0 {
			return Grid{}, fmt.Errorf("%s: no points", strings.Join(g.Fields, ", "))
		}
		if n := len(out.Points); n > MaxSweepPoints/len(g.Points) {
			return Grid{}, fmt.Errorf("the grid has over %d points (%d × %d); want at most %d", MaxSweepPoints, n, len(g.Points), MaxSweepPoints)
		}
		next := make([][]string, 0, len(out.Points)*len(g.Points))
		for _, p := range out.Points {
			for _, q := range g.Points {
				next = append(next, append(append(make([]string, 0, len(p)+len(q)), p...), q...))
			}
		}
		out.Fields = append(out.Fields, g.Fields...)
		out.Points = next
	}
	if len(out.Fields) == 0 {
		return Grid{}, fmt.Errorf("no field varied; want --vary FIELD=... or --vary-file FILE")
	}
	return out, nil
}

// sweepX is a value's position on a chart's axis: the number, or a
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
