package fit_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portsim/portsim/observe/capture"
	"github.com/portsim/portsim/observe/fit"
	"github.com/portsim/portsim/strategies"
)

// calibrationSizes are the attempts per simulated capture: the first 20,
// 30, 50 and 100 attempts of one run.
var calibrationSizes = []int{20, 30, 50, 100}

// calibrationRun is one simulated host: every profile spec, connect() or
// UDP, with a workload drawn from the seed.
type calibrationRun struct {
	spec, kind string
	seed       uint64
}

// calibrationCell counts the verdicts on the captures of one size (and
// one profile spec, or all).
type calibrationCell struct {
	captures, given, right int
	osGiven, osRight       int // OS verdicts decided, and right (by profile)
}

func (c calibrationCell) share() string {
	if c.given == 0 {
		return "-"
	}
	return strconv.FormatFloat(100*float64(c.right)/float64(c.given), 'f', 1, 64) + "%"
}

// TestCalibration measures how often a verdict is right when Analyze gives
// one (a best fit with posterior ≥ DecisivePosterior that passes its
// goodness-of-fit check): on simulated captures of 20, 30, 50 and 100
// attempts from every profile spec, connect() and UDP, over many seeds
// and workloads, at least 90% of the verdicts must name the profile that
// made the ports (as the best fit or one of its equivalents). The attempts
// carry their profile's SYN shape (IP fields only for UDP; none for the
// simulators), a random 0 to 19 routers away, so the OS verdicts are
// measured too: at least 90% of the decided ones must name the profile.
// -short runs 8 seeds, the full test 30; -v prints the tables.
func TestCalibration(t *testing.T) {
	seeds := 30
	if testing.Short() {
		seeds = 8
	}
	var runs []calibrationRun
	for s := range seeds {
		for _, spec := range strategies.ProfileSpecs() {
			for _, kind := range []string{"connect", "udp"} {
				runs = append(runs, calibrationRun{spec, kind, uint64(1000 + s)})
			}
		}
	}
	bySize := map[int]*calibrationCell{}
	osBySize := map[int]*calibrationCell{}
	bySpec := map[string]*calibrationCell{}
	wrong := map[string]int{}
	for _, n := range calibrationSizes {
		bySize[n], osBySize[n] = &calibrationCell{}, &calibrationCell{}
	}
	start := time.Now()
	for _, run := range runs {
		atts := calibrationCapture(t, run, calibrationSizes[len(calibrationSizes)-1])
		for _, n := range calibrationSizes {
			reps := fit.Analyze(capture.NewAttempts(atts[:min(n, len(atts))]), fit.AnalyzeOptions{})
			if len(reps) != 1 {
				t.Fatalf("%v: %d reports; want 1", run, len(reps))
			}
			r := &reps[0]
			key := fmt.Sprintf("%s %s", run.spec, run.kind)
			if bySpec[key] == nil {
				bySpec[key] = &calibrationCell{}
			}
			for _, c := range []*calibrationCell{bySize[n], bySpec[key]} {
				c.captures++
				if r.Decided() {
					c.given++
					if names(r.Best(), run.spec) {
						c.right++
					}
				}
			}
			if r.Decided() && !names(r.Best(), run.spec) {
				wrong[fmt.Sprintf("%s (%s) as %s", run.spec, run.kind, r.Best().Name)]++
			}
			name, _, _ := strings.Cut(run.spec, ":")
			c := osBySize[n]
			c.captures++
			if r.OS.Decided {
				c.given++
				bySpec[key].osGiven++
				if r.OS.Profile == name {
					c.right++
					bySpec[key].osRight++
				} else {
					wrong[fmt.Sprintf("%s (%s) as OS %s", run.spec, run.kind, r.OS.Profile)]++
				}
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "calibration: %d simulated hosts (%d profile specs × connect, udp × %d seeds), prefixes of %v attempts, %v\n",
		len(runs), len(strategies.ProfileSpecs()), seeds, calibrationSizes, time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(&b, "| attempts | captures | verdicts (posterior ≥ %.1f, fit passes) | right | right share |\n| --- | --- | --- | --- | --- |\n", fit.DecisivePosterior)
	for _, n := range calibrationSizes {
		c := bySize[n]
		fmt.Fprintf(&b, "| %d | %d | %d | %d | %s |\n", n, c.captures, c.given, c.right, c.share())
		if c.given > 0 && float64(c.right) < 0.9*float64(c.given) {
			t.Errorf("%d attempts: %d of %d verdicts right (%s); want at least 90%%", n, c.right, c.given, c.share())
		}
	}
	fmt.Fprintf(&b, "\n| attempts | captures | OS verdicts decided | right | right share |\n| --- | --- | --- | --- | --- |\n")
	for _, n := range calibrationSizes {
		c := osBySize[n]
		fmt.Fprintf(&b, "| %d | %d | %d | %d | %s |\n", n, c.captures, c.given, c.right, c.share())
		if c.given > 0 && float64(c.right) < 0.9*float64(c.given) {
			t.Errorf("%d attempts: %d of %d OS verdicts right (%s); want at least 90%%", n, c.right, c.given, c.share())
		}
	}
	fmt.Fprintf(&b, "\n| profile, kind | captures | verdicts | right | OS decided | right |\n| --- | --- | --- | --- | --- | --- |\n")
	keys := make([]string, 0, len(bySpec))
	for k := range bySpec {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		c := bySpec[k]
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d |\n", k, c.captures, c.given, c.right, c.osGiven, c.osRight)
	}
	if len(wrong) > 0 {
		b.WriteString("\nwrong verdicts:\n")
		ws := make([]string, 0, len(wrong))
		for w := range wrong {
			ws = append(ws, w)
		}
		slices.Sort(ws)
		for _, w := range ws {
			fmt.Fprintf(&b, "  %d× %s\n", wrong[w], w)
		}
	}
	t.Log("\n" + b.String())
}

// names reports whether fit f stands for profile spec.
func names(f *fit.Fit, spec string) bool {
	for _, l := range f.Profiles {
		if p, _, _ := strings.Cut(l, " ("); p == spec {
			return true
		}
	}
	return false
}

// calibrationCapture simulates run's first n attempts, with a workload
// drawn from its seed: 1 to 20 destinations, uniform or Zipf popularity,
// 1 to 100 connections a second, each reset after about 100 ms.
func calibrationCapture(t *testing.T, run calibrationRun, n int) []capture.Attempt {
	t.Helper()
	rng := rand.New(rand.NewPCG(run.seed, 0x5eed))
	dsts := []string{"1", "2", "3", "5", "10", "20"}[rng.IntN(6)]
	pop := []string{"uniform", "zipf:1"}[rng.IntN(2)]
	rate := []float64{1, 5, 20, 100}[rng.IntN(4)]
	secs := int(2*float64(n)/rate) + 10
	sc, samples, err := simulate(t.Context(),
		"rate", strconv.FormatFloat(rate, 'g', -1, 64), "duration", strconv.Itoa(secs)+"s", "warmup", "0s",
		"destinations", dsts, "popularity", pop, "lifetime", "exp:100ms", "close", "reset",
		"kind", run.kind, "seed", strconv.FormatUint(run.seed, 10), "strategy", "profile:"+run.spec,
	)
	if err != nil {
		t.Fatal(err)
	}
	p, err := strategies.LookupProfile(run.spec)
	if err != nil {
		t.Fatal(err)
	}
	hops := uint8(rng.IntN(20))
	var out []capture.Attempt
	for _, s := range samples {
		a, ok := sampleAttempt(&sc, s)
		if !ok {
			continue
		}
		if sig := p.Stack; sig.Known() {
			a.HasStack, a.IPID = true, uint16(rng.Uint32())
			a.Stack = capture.Stack{TTL: sig.TTL - hops, DF: sig.DF, WScale: -1}
			if a.Proto == capture.TCP && sig.Options != "" {
				a.Stack.Window, a.Stack.MSS, a.Stack.WScale, a.Stack.Options = sig.WindowFor(1460), 1460, sig.WScale, sig.Options
			}
		}
		out = append(out, a)
		if len(out) == n {
			break
		}
	}
	if len(out) < n {
		t.Fatalf("%v: %d attempts; want %d", run, len(out), n)
	}
	return out
}
