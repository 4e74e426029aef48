package plots

import (
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/portsim/portsim/sim"
)

// fixture is a small, fixed result for the golden images: built by hand
// (not by running sim) so that the images change only when the charts do.
// It has something for every chart to show: three strategies with their
// typical port patterns, eight destinations (two of them grey), a failure,
// a strategy that never reuses, and one that never collides.
func fixture() *sim.Result {
	names := []string{"sequential", "random", "hashed"}
	res := &sim.Result{
		Schema:   sim.Schema,
		Scenario: []sim.Field{{Name: "time-wait", Value: "30s"}, {Name: "range", Value: "1024-2047"}, {Name: "destinations", Value: "8"}},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for s, name := range names {
		r := sim.StrategyResult{Strategy: name, Host: sim.HostRules{UsablePorts: 1024}}

		next := map[int]int{}
		for i := range 600 {
			dst := []int{0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 0}[i%12]
			var port int
			switch name {
			case "sequential":
				port = 1024 + (i*3)%1024
			case "random":
				port = 1024 + rng.IntN(1024)
			case "hashed":
				port = 1024 + (dst*137+next[dst]*2)%1024
				next[dst]++
			}
			if name == "random" && i%97 == 50 {
				port = 0 // a failure: not drawn
			}
			r.Samples = append(r.Samples, sim.Alloc{N: i + 1, TimeSeconds: float64(i) * 0.1, Dst: dst, Kind: "connect", Port: uint16(port), Probes: 1})
		}

		for b := range sim.OccupancyBins {
			lo := float64(b) / sim.OccupancyBins
			bin := sim.OccupancyBin{Lo: lo, Hi: lo + 1.0/sim.OccupancyBins}
			switch {
			case b < 25:
				bin.Attempts = 200
			case b < 30:
				bin.Attempts = 10 // too few: left out
			}
			mid := (bin.Lo + bin.Hi) / 2
			bin.Collisions = int(math.Round(float64(bin.Attempts) * mid * float64(s) / 2))
			bin.Probes = bin.Attempts + int(float64(bin.Collisions)*(1+mid*4))
			r.ByOccupancy = append(r.ByOccupancy, bin)
		}

		r.ProbesHist = make([]int, sim.ProbesHistOverflow)
		switch name {
		case "sequential":
			r.ProbesHist[0] = 600
		case "random":
			for i := range 12 {
				r.ProbesHist[i] = int(600 * 0.7 * math.Pow(0.3, float64(i)))
			}
		case "hashed":
			for i := range 40 {
				r.ProbesHist[i] = int(400 / math.Pow(float64(i+1), 1.5))
			}
			r.ProbesHist[63] = 3
		}

		for k := 0; k < 27; k++ {
			lo, hi := 0.0, 1e-3
			if k > 0 {
				lo, hi = 1e-3*math.Pow(10, float64(k-1)/5), 1e-3*math.Pow(10, float64(k)/5)
			}
			b := sim.Bucket{Lo: lo, Hi: hi}
			switch {
			case name == "sequential" && k == 24:
				b.Count = 90
			case name == "sequential" && k == 25:
				b.Count = 10
			case name == "random" && k >= 20 && k <= 25:
				b.Count = []int{5, 10, 30, 40, 20, 5}[k-20]
			}
			r.ReuseHist = append(r.ReuseHist, b)
			// The sample: sequential reuses each bin's middle interval,
			// random intervals spread evenly (on the log scale) over it.
			for j := range b.Count {
				at := (float64(j) + 0.5) / float64(b.Count)
				if name == "sequential" {
					at = 0.5
				}
				r.ReuseSample = append(r.ReuseSample, b.Lo*math.Pow(b.Hi/b.Lo, at))
			}
		}
		r.ReuseMinSeconds = -1
		if name == "random" {
			r.ReuseMinSeconds = 7.2
		}

		for t := range 60 {
			smp := sim.Sample{
				TimeSeconds: float64(t),
				Established: 40 + int(10*math.Sin(float64(t)/5)),
				TimeWait:    min(t, 30) * (12 + 4*s),
				UDP:         5,
			}
			smp.BusiestDst = (smp.Established + smp.TimeWait) / 3 // destination 0 gets 4 connections in 12
			if name == "random" && (t == 45 || t == 52) {
				smp.Failures = 2
			}
			r.Occupancy = append(r.Occupancy, smp)
		}

		for b := range 16 {
			lo := 1024 + 64*b
			n := 40
			switch name {
			case "sequential":
				n = 40 + 20*b/8
			case "random":
				n = 36 + rng.IntN(9)
			case "hashed":
				n = 30 + (b*7)%20
			}
			r.PortUsage = append(r.PortUsage, sim.Bucket{Lo: float64(lo), Hi: float64(lo + 64), Count: n})
		}
		r.UniformityP = []float64{0.00001, 0.43, 0.02}[s]
		r.EntropySameDst = []float64{0, 9.2, 1}[s]
		r.EntropyCrossDst = []float64{0.5, 9.2, 9.0}[s]
		r.PairsSameDst, r.PairsCrossDst = 592, 599
		res.Results = append(res.Results, r)
	}
	return res
}

// sweepFixture is a small, fixed rate sweep: two strategies, two kinds.
func sweepFixture() *sim.SweepResult {
	sw := &sim.SweepResult{Schema: sim.SweepSchema, Param: "rate"}
	for _, x := range []float64{10, 20, 30, 40, 60, 80} {
		for _, kind := range []string{"connect", "bind"} {
			for s, strat := range []string{"sequential", "random"} {
				knee := 45.0
				if kind == "bind" {
					knee = 30
				}
				fr := math.Max(0, (x-knee)/x) * (1 - 0.2*float64(s))
				sw.Rows = append(sw.Rows, sim.SweepRow{
					Value: strconv.FormatFloat(x, 'g', -1, 64), X: x, Kind: kind, Strategy: strat,
					Allocations: 1000, Failures: int(fr * 1000), FailureRate: fr, ProbesMean: 1,
					LimitRate: 1024.0 / 30,
				})
			}
		}
	}
	return sw
}

// synthetic is a large result shaped like a busy run, for the benchmark:
// n samples spread over strategies, with full-size histograms and series.
func synthetic(n, strategies int) *sim.Result {
	res := fixture()
	base := res.Results[1]
	res.Results = nil
	rng := rand.New(rand.NewPCG(3, 4))
	per := n / strategies
	for s := range strategies {
		r := base
		r.Strategy = []string{"sequential", "random", "hashed", "linux", "double-hash", "random-pick"}[s%6]
		r.Samples = make([]sim.Alloc, per)
		for i := range r.Samples {
			r.Samples[i] = sim.Alloc{N: i + 1, TimeSeconds: float64(i) / 1000, Dst: rng.IntN(50), Kind: "connect", Port: uint16(32768 + rng.IntN(28232)), Probes: 1}
		}
		r.Occupancy = make([]sim.Sample, 500)
		for i := range r.Occupancy {
			r.Occupancy[i] = sim.Sample{TimeSeconds: float64(i) * 2, Established: 100 + rng.IntN(50), TimeWait: min(i, 30) * 400, Failures: rng.IntN(50) / 49}
		}
		r.PortUsage = make([]sim.Bucket, 64)
		for i := range r.PortUsage {
			lo := 32768 + i*441
			r.PortUsage[i] = sim.Bucket{Lo: float64(lo), Hi: float64(lo + 441), Count: per/64 + rng.IntN(100)}
		}
		res.Results = append(res.Results, r)
	}
	return res
}
