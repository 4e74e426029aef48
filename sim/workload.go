package sim

import (
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/portsim/portsim/allocator"
)

// arrival is one connection the workload asks for.
type arrival struct {
	at       time.Duration
	dst      int
	src      int
	kind     allocator.Kind
	close    allocator.CloseHow
	lifetime time.Duration
}

// workload draws arrivals from the scenario's seed alone, so every strategy
// sees the same arrivals, destinations and lifetimes (common random
// numbers). Every arrival makes the same draws whether or not its
// allocation succeeds. A choice with one option (one destination, one
// kind, one close side) draws nothing: three wasted draws were a tenth of
// a load-tester run.
type workload struct {
	sc      *Scenario
	rng     *rand.Rand
	n       int
	src     int     // local address of the next arrival: round robin
	gap     float64 // mean seconds between arrivals, 1/rate: a multiply, not a division
	active  float64 // seconds of "on" time elapsed (OnOff); plain time otherwise
	zipfCDF []float64
	kindCDF []float64
	closeCD []float64
	end     float64 // the scenario's duration in seconds
	fixed   bool    // lifetimes are fixed: each is life
	life    time.Duration
}

func newWorkload(sc *Scenario) *workload {
	w := &workload{
		sc:      sc,
		rng:     rand.New(rand.NewPCG(sc.Seed, 0x776f726b6c6f6164)), // "workload"
		kindCDF: cdf(sc.Kinds),
		closeCD: cdf(sc.Close),
		gap:     1 / sc.Arrivals.Rate,
		end:     sc.Duration.Seconds(),
	}
	if sc.Lifetime.Dist == Fixed { // drawn once: it draws nothing
		w.fixed, w.life = true, w.lifetime()
	}
	if sc.Popularity.Zipf && sc.Destinations > 1 {
		w.zipfCDF = make([]float64, sc.Destinations)
		sum := 0.0
		for i := range w.zipfCDF {
			sum += 1 / math.Pow(float64(i+1), sc.Popularity.S)
			w.zipfCDF[i] = sum
		}
		for i := range w.zipfCDF {
			w.zipfCDF[i] /= sum
		}
	}
	return w
}

func cdf[T any](shares []Share[T]) []float64 {
	out := make([]float64, len(shares))
	sum := 0.0
	for i, s := range shares {
		sum += s.Weight
		out[i] = sum
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}

func pick(cdf []float64, u float64) int {
	for i, c := range cdf {
		if u < c {
			return i
		}
	}
	return len(cdf) - 1
}

// next fills in the next arrival, or returns false when arrivals have
// ended. It writes through a pointer: an arrival returned by value is
// built on the stack and copied, a measurable stall per connection.
func (w *workload) next(a *arrival) bool {
	sc := w.sc
	var t float64 // seconds
	switch sc.Arrivals.Process {
	case Constant:
		t = float64(w.n) / sc.Arrivals.Rate
	default:
		w.active += w.rng.ExpFloat64() * w.gap
		t = w.active
		if sc.Arrivals.Process == OnOff {
			on, off := sc.Arrivals.On.Seconds(), sc.Arrivals.Off.Seconds()
			cycles := math.Floor(t / on)
			t = cycles*(on+off) + (t - cycles*on)
		}
	}
	// Compare in seconds before converting: a huge gap would overflow
	// time.Duration into a negative time that never ends the run.
	if t >= w.end {
		return false
	}
	a.at = time.Duration(t * float64(time.Second))
	switch {
	case sc.Destinations == 1:
		a.dst = 0
	case w.zipfCDF != nil:
		u := w.rng.Float64()
		a.dst = sort.SearchFloat64s(w.zipfCDF, u)
		if a.dst >= len(w.zipfCDF) {
			a.dst = len(w.zipfCDF) - 1
		}
	default:
		a.dst = w.rng.IntN(sc.Destinations)
	}
	a.src = w.src
	if w.src++; w.src == len(sc.Srcs) {
		w.src = 0
	}
	a.kind = sc.Kinds[0].Value
	if len(sc.Kinds) > 1 {
		a.kind = sc.Kinds[pick(w.kindCDF, w.rng.Float64())].Value
	}
	a.close = sc.Close[0].Value
	if len(sc.Close) > 1 {
		a.close = sc.Close[pick(w.closeCD, w.rng.Float64())].Value
	}
	if a.lifetime = w.life; !w.fixed {
		a.lifetime = w.lifetime()
	}
	w.n++
	return true
}

func (w *workload) lifetime() time.Duration {
	lt := w.sc.Lifetime
	mean := float64(lt.Mean)
	var d float64
	switch lt.Dist {
	case Exponential:
		d = w.rng.ExpFloat64() * mean
	case LogNormal:
		mu := math.Log(mean) - lt.Sigma*lt.Sigma/2
		d = math.Exp(mu + lt.Sigma*w.rng.NormFloat64())
	default:
		d = mean
	}
	// Validate bounds the parameters; this bounds the draw, so that no
	// rounding at the extremes gives a negative lifetime or one that
	// overflows the clock.
	switch {
	case !(d >= 0): // NaN too
		d = 0
	case d > float64(MaxDuration):
		d = float64(MaxDuration)
	}
	return time.Duration(d)
}
