package fit_test

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portsim/portsim/observe/capture"
	"github.com/portsim/portsim/observe/fit"
	"github.com/portsim/portsim/sim"
	"github.com/portsim/portsim/strategies"
)

// epoch is where simulated time 0 lands in the attempts made from a run.
var epoch = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// simRun simulates a workload and returns its allocations as attempts, in
// the order made: settings are scenario field, value pairs over a base of
// 2,000 connections (20/s for 100 s) to 5 destinations with Zipf
// popularity, each reset after about 100 ms.
func simRun(t testing.TB, settings ...string) []capture.Attempt {
	t.Helper()
	sc := sim.DefaultScenario()
	base := []string{"rate", "20", "duration", "100s", "warmup", "0s", "destinations", "5",
		"popularity", "zipf:1", "lifetime", "exp:100ms", "close", "reset", "kind", "connect", "seed", "7"}
	all := append(base, settings...)
	for i := 0; i+1 < len(all); i += 2 {
		if err := sc.Set(all[i], all[i+1]); err != nil {
			t.Fatalf("%s=%s: %v", all[i], all[i+1], err)
		}
	}
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	res, err := sim.Run(t.Context(), sc, sim.Options{KeepSamples: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	var out []capture.Attempt
	for _, s := range res.Results[0].Samples {
		if s.Port == 0 {
			continue // a failure sends nothing
		}
		proto := capture.TCP
		if s.Kind == "udp" {
			proto = capture.UDP
		}
		dst := sc.DstAddr(s.Dst)
		out = append(out, capture.Attempt{
			Time:    epoch.Add(time.Duration(s.TimeSeconds * float64(time.Second))),
			Proto:   proto,
			Src:     sc.Srcs[s.Src],
			SrcPort: s.Port,
			Dst:     dst.Addr(),
			DstPort: dst.Port(),
		})
	}
	return out
}

// onlyReport analyzes attempts from one host and protocol.
func onlyReport(t testing.TB, attempts []capture.Attempt) fit.HostReport {
	t.Helper()
	reps := fit.Analyze(capture.NewAttempts(attempts), fit.AnalyzeOptions{})
	if len(reps) != 1 {
		t.Fatalf("%d reports; want 1", len(reps))
	}
	return reps[0]
}

// explains reports whether f's model stands for label ("linux (connect)").
func explains(f *fit.Fit, label string) bool { return slices.Contains(f.Profiles, label) }

func summary(r *fit.HostReport) string {
	var b strings.Builder
	for i := range min(len(r.Fits), 4) {
		f := &r.Fits[i]
		fmt.Fprintf(&b, "\n  %s  ll %.1f  p %s", f.Name, f.LogLikelihood, fit.FormatPosterior(f.Posterior))
	}
	return b.String()
}

// roundTrips are the acceptance runs: each profile's ports, simulated, must
// be explained best by that profile's model with posterior ≥ 0.9.
func roundTrips() []struct{ profile, kind string } {
	var out []struct{ profile, kind string }
	add := func(p, k string) { out = append(out, struct{ profile, kind string }{p, k}) }
	for _, p := range strategies.Profiles() {
		add(p.Name, "connect")
		if p.Name == "netbsd" {
			for _, a := range []string{"random_start", "random_pick", "hash", "doublehash", "randinc"} {
				add("netbsd:algo="+a, "connect")
			}
		}
	}
	// The bind() and UDP strategies that differ from connect()'s.
	for _, p := range []string{"linux", "linux-5.12", "linux-4"} {
		add(p, "bind")
		add(p, "udp")
	}
	add("macos", "udp")
	add("windows", "udp")
	add("freebsd", "udp")
	add("netbsd:algo=hash", "udp")
	return out
}

func TestRoundTripEveryProfile(t *testing.T) {
	for _, c := range roundTrips() {
		name := c.profile + " " + c.kind
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			atts := simRun(t, "kind", c.kind, "strategy", "profile:"+c.profile)
			if len(atts) < 1900 {
				t.Fatalf("%d attempts; want about 2000", len(atts))
			}
			r := onlyReport(t, atts)
			label := fmt.Sprintf("%s (%s)", c.profile, c.kind)
			best := r.Best()
			if best == nil || !explains(best, label) || best.Posterior < 0.9 {
				t.Fatalf("want %s best with posterior ≥ 0.9; got %s", label, summary(&r))
			}
			t.Logf("best %s %s; runner-up %s %s, %.0f nats behind", best.Name, fit.FormatPosterior(best.Posterior),
				r.Fits[1].Name, fit.FormatPosterior(r.Fits[1].Posterior), best.LogLikelihood-r.Fits[1].LogLikelihood)
		})
	}
}

// The Linux generations differ only in how the port to one destination
// moves on, which several destinations and uniform popularity bring out:
// each must leave the other two with almost nothing.
func TestLinuxGenerationsToldApart(t *testing.T) {
	gens := []string{"linux", "linux-5.12", "linux-4"}
	for _, truth := range gens {
		atts := simRun(t, "destinations", "20", "popularity", "uniform", "strategy", "profile:"+truth, "seed", "11")
		r := onlyReport(t, atts)
		for i := range r.Fits {
			f := &r.Fits[i]
			for _, other := range gens {
				if other != truth && explains(f, other+" (connect)") && f.Posterior > 1e-6 {
					t.Errorf("%s ports: %s has posterior %s; want ≤ 1e-6%s", truth, f.Name, fit.FormatPosterior(f.Posterior), summary(&r))
				}
			}
		}
		if b := r.Best(); !explains(b, truth+" (connect)") {
			t.Errorf("%s ports: best %s%s", truth, b.Name, summary(&r))
		}
	}
}

// Random ports are not called sequential, hashed or Linux: every stateful
// model must trail the uniform one by far.
func TestRandomPortsAreNotCalledStateful(t *testing.T) {
	for _, profile := range []string{"freebsd", "openbsd", "netbsd:algo=random_start"} {
		r := onlyReport(t, simRun(t, "strategy", "profile:"+profile, "seed", "3"))
		best := r.Best()
		for i := 1; i < len(r.Fits); i++ {
			f := &r.Fits[i]
			if f.Strategy == "random" || f.Strategy == "random-pick" {
				continue
			}
			// Thousands of nats for a range mismatch; a stateful model on the
			// right range still pays about ln(1/restartBase) per port.
			if gap := best.LogLikelihood - f.LogLikelihood; gap < 1000 {
				t.Errorf("%s: %s only %.0f nats behind %s; want ≥ 1000", profile, f.Name, gap, best.Name)
			}
		}
	}
}

// Sequential ports are not called random: the cursor models explain each
// port in about 0.1 bits, a uniform one needs 14.
func TestSequentialPortsAreNotCalledRandom(t *testing.T) {
	r := onlyReport(t, simRun(t, "strategy", "profile:macos", "close", "client", "lifetime", "exp:2s"))
	if b := r.Best(); !explains(b, "macos (connect)") || b.BitsPerAttempt > 0.5 {
		t.Fatalf("best %s at %.2f bits/attempt; want macos (connect) under 0.5%s", b.Name, b.BitsPerAttempt, summary(&r))
	}
	for _, f := range r.Fits {
		if f.Strategy == "random" && f.Posterior > 1e-100 {
			t.Errorf("%s: posterior %g; want ≤ 1e-100", f.Name, f.Posterior)
		}
	}
}

func TestRatingBands(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	cases := []struct {
		lo, width int // uniform ports: std dev width/√12, spread log2(width) bits
		want      fit.Rating
	}{
		{40000, 64, fit.RatingPoor},     // 6 bits: a small sequential run
		{40000, 700, fit.RatingPoor},    // 9.5 bits
		{32768, 2048, fit.RatingGood},   // 11 bits
		{50000, 8000, fit.RatingGood},   // 13 bits
		{32768, 28232, fit.RatingGreat}, // 14.8 bits: Linux's range
		{1024, 64512, fit.RatingGreat},  // 16 bits: everything above 1023
	}
	for _, c := range cases {
		var atts []capture.Attempt
		for i := range 500 {
			atts = append(atts, capture.Attempt{Time: epoch.Add(time.Duration(i) * time.Millisecond), Proto: capture.UDP,
				Src: netip.MustParseAddr("192.0.2.1"), SrcPort: uint16(c.lo + rng.IntN(c.width)),
				Dst: netip.MustParseAddr("198.51.100.53"), DstPort: 53})
		}
		r := onlyReport(t, atts)
		if r.Rating != c.want || math.Abs(r.Bits-math.Log2(float64(c.width))) > 0.15 {
			t.Errorf("uniform over %d ports: %.2f bits (std dev %.0f), %s; want %.2f bits, %s",
				c.width, r.Bits, r.StdDev, r.Rating, math.Log2(float64(c.width)), c.want)
		}
	}
	// The porttest's boundaries: 296 and 3980 are the std devs of 10 and
	// 13.75 bits, to the unit.
	bands := []struct {
		sd   float64
		want fit.Rating
	}{{0, fit.RatingPoor}, {295, fit.RatingPoor}, {296, fit.RatingGood}, {3976, fit.RatingGood}, {3980, fit.RatingGreat}, {20000, fit.RatingGreat}}
	for _, b := range bands {
		if got := fit.RateBits(fit.SpreadBits(b.sd)); got != b.want {
			t.Errorf("std dev %g: %.4f bits, %s; want %s", b.sd, fit.SpreadBits(b.sd), got, b.want)
		}
	}
}

// Another application's ports, 5% of the host's and drawn at random from
// the same range, to the same destinations or others: Linux still wins.
func TestLinuxWithOtherApplicationsPorts(t *testing.T) {
	atts := simRun(t, "strategy", "profile:linux")
	rng := rand.New(rand.NewPCG(9, 9))
	var mixed []capture.Attempt
	for _, a := range atts {
		mixed = append(mixed, a)
		if rng.Float64() < 0.05 {
			b := a
			b.Time = a.Time.Add(time.Microsecond)
			b.SrcPort = uint16(32768 + rng.IntN(28232))
			if rng.IntN(2) == 0 {
				b.Dst = netip.AddrFrom4([4]byte{203, 0, 113, byte(rng.IntN(256))})
			}
			mixed = append(mixed, b)
		}
	}
	if extra := len(mixed) - len(atts); extra < 70 {
		t.Fatalf("only %d stray ports mixed in", extra)
	}
	r := onlyReport(t, mixed)
	if b := r.Best(); !explains(b, "linux (connect)") || b.Posterior < 0.9 {
		t.Fatalf("best %s%s", b.Name, summary(&r))
	}
}

// A capture that starts mid-stream (the walks already under way) or ends
// early still tells Linux, and the models do not need the run's first
// ports.
func TestCaptureStartsMidStream(t *testing.T) {
	for _, c := range []struct{ profile, kind string }{{"linux", "connect"}, {"linux-4", "connect"}, {"macos", "connect"}, {"netbsd:algo=doublehash", "connect"}} {
		atts := simRun(t, "strategy", "profile:"+c.profile)
		mid := atts[len(atts)/2 : len(atts)/2+300]
		r := onlyReport(t, mid)
		label := c.profile + " (" + c.kind + ")"
		if b := r.Best(); !explains(b, label) || b.Posterior < 0.9 {
			t.Errorf("%s, 300 attempts from the middle: %s", label, summary(&r))
		}
	}
}

func TestFewAttempts(t *testing.T) {
	if reps := fit.Analyze(&capture.Attempts{}, fit.AnalyzeOptions{}); len(reps) != 0 {
		t.Errorf("no attempts: %d reports", len(reps))
	}
	one := []capture.Attempt{{Time: epoch, Proto: capture.TCP, Src: netip.MustParseAddr("10.1.1.1"), SrcPort: 40000,
		Dst: netip.MustParseAddr("198.51.100.1"), DstPort: 443}}
	r := onlyReport(t, one)
	if !r.TooFew || r.Fits != nil || r.Count != 1 || r.PortMin != 40000 || r.PortMax != 40000 || r.Rating != "" || r.Even != 1 {
		t.Errorf("one attempt: %+v", r)
	}
	if v := r.Verdict(); !strings.Contains(v, "too few attempts to tell") {
		t.Errorf("verdict %q", v)
	}
	if _, err := json.Marshal(r); err != nil {
		t.Errorf("json: %v", err)
	}
	atts := simRun(t, "strategy", "profile:linux")[:19]
	// Too few to tell is too few to rate: the spread is given, unrated.
	if r := onlyReport(t, atts); !r.TooFew || r.Steps == 0 || r.Rating != "" || r.Bits == 0 ||
		!strings.Contains(r.String(), "not rated, too few attempts") {
		t.Errorf("19 attempts: too few %v, %d steps, rating %q, %.1f bits", r.TooFew, r.Steps, r.Rating, r.Bits)
	}
	if reps := fit.Analyze(capture.NewAttempts(atts), fit.AnalyzeOptions{MinAttempts: 10, Top: 3}); reps[0].TooFew || len(reps[0].Fits) != 3 {
		t.Errorf("MinAttempts 10, Top 3: too few %v, %d fits", reps[0].TooFew, len(reps[0].Fits))
	}
}

func TestIPv6Hosts(t *testing.T) {
	for _, profile := range []string{"linux", "freebsd"} {
		atts := simRun(t, "ipv6", "true", "strategy", "profile:"+profile)
		r := onlyReport(t, atts)
		if !r.Host.Is6() {
			t.Fatalf("host %v; want IPv6", r.Host)
		}
		if b := r.Best(); !explains(b, profile+" (connect)") || b.Posterior < 0.9 {
			t.Errorf("IPv6 %s: %s", profile, summary(&r))
		}
	}
}

// Hosts and protocols are reported apart, sorted by address then
// protocol, whatever the input order.
func TestHostsSortedAndSeparate(t *testing.T) {
	linux := simRun(t, "strategy", "profile:linux", "src", "10.0.0.9")
	macos := simRun(t, "strategy", "profile:macos", "src", "10.0.0.10")
	udp := simRun(t, "strategy", "profile:macos", "kind", "udp", "src", "10.0.0.9")
	all := slices.Concat(macos, udp, linux)
	rng := rand.New(rand.NewPCG(1, 1))
	rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	reps := fit.Analyze(capture.NewAttempts(all), fit.AnalyzeOptions{Top: 2})
	want := []struct {
		host  string
		proto capture.Proto
		best  string
	}{{"10.0.0.9", capture.TCP, "linux (connect)"}, {"10.0.0.9", capture.UDP, "macos (udp)"}, {"10.0.0.10", capture.TCP, "macos (connect)"}}
	if len(reps) != len(want) {
		t.Fatalf("%d reports; want %d", len(reps), len(want))
	}
	for i, w := range want {
		r := &reps[i]
		if r.Host.String() != w.host || r.Proto != w.proto || !explains(r.Best(), w.best) || len(r.Fits) != 2 {
			t.Errorf("report %d: %v %v best %s (%d fits); want %s %v %s", i, r.Host, r.Proto, r.Best().Name, len(r.Fits), w.host, w.proto, w.best)
		}
	}
	// Same attempts, other order: same reports.
	again := fit.Analyze(capture.NewAttempts(slices.Concat(linux, udp, macos)), fit.AnalyzeOptions{Top: 2})
	a, _ := json.Marshal(reps)
	b, _ := json.Marshal(again)
	if string(a) != string(b) {
		t.Error("reports depend on the input order")
	}
}

// One destination cannot tell one cursor from Algorithms 3 and 4 (all step
// +1 there: NetBSD's hash and doublehash, and Linux before 4.2 over its own
// wider range), nor Linux 4.x from 5.12 (both +2): the verdict says so
// rather than pick one.
func TestUndecidedWithOneDestination(t *testing.T) {
	for _, c := range []struct {
		profile string
		want    []string
	}{
		{"linux-4", []string{"linux-5.12 (connect) 0.50", "linux-4 (connect) 0.50"}},
		{"macos", []string{"netbsd:algo=hash (connect) 0.28", "netbsd:algo=doublehash (connect) 0.28", "macos (connect) 0.28", "linux-3 (connect) 0.16"}},
	} {
		r := onlyReport(t, simRun(t, "destinations", "1", "strategy", "profile:"+c.profile))
		v := r.Verdict()
		if r.Decided() || !strings.HasPrefix(v, "undecided: ") {
			t.Errorf("%s to one destination: %q; want undecided", c.profile, v)
		}
		for _, w := range c.want {
			if !strings.Contains(v, w) {
				t.Errorf("%s to one destination: %q lacks %q", c.profile, v, w)
			}
		}
	}
}

func TestReportJSON(t *testing.T) {
	r := onlyReport(t, simRun(t, "strategy", "profile:linux"))
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"host", "proto", "attempts", "destinations", "port_min", "port_max", "even_share", "deltas", "std_dev", "bits", "rating", "decided", "verdict", "fits"} {
		if _, ok := got[k]; !ok {
			t.Errorf("no %q in %s", k, b)
		}
	}
	if got["proto"] != "tcp" || got["host"] != "10.0.0.1" {
		t.Errorf("proto %v host %v", got["proto"], got["host"])
	}
	fit := got["fits"].([]any)[0].(map[string]any)
	for _, k := range []string{"name", "profiles", "strategy", "model", "range", "log_likelihood", "bits_per_attempt", "posterior"} {
		if _, ok := fit[k]; !ok {
			t.Errorf("no %q in fit %v", k, fit)
		}
	}
}

// The summary figures of a Linux connect() host: even ports, small even
// steps to each destination, a great spread.
func TestLinuxSummary(t *testing.T) {
	r := onlyReport(t, simRun(t, "strategy", "profile:linux"))
	if r.Even != 1 || r.SmallEven < 0.7 || r.PlusOne != 0 || r.Rating != fit.RatingGreat ||
		r.PortMin < 32768 || r.PortMax > 60999 || r.Dsts != 5 {
		t.Errorf("%+v", r)
	}
}

// BenchmarkAnalyze analyzes a Linux host's 100,000 attempts; the
// per-attempt figures are the ones to watch.
func BenchmarkAnalyze(b *testing.B) {
	atts := simRun(b, "rate", "1000", "duration", "100s", "destinations", "20", "strategy", "profile:linux")
	set := capture.NewAttempts(atts)
	fit.Analyze(set, fit.AnalyzeOptions{}) // the candidate models are built once
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for b.Loop() {
		fit.Analyze(set, fit.AnalyzeOptions{})
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	n := float64(b.N) * float64(len(atts))
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/attempt")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/n, "B/attempt")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/n, "allocs/attempt")
}
