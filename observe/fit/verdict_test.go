package fit

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/internal/fielderr"
	"github.com/portsim/portsim/observe/capture"
)

// template is a probe's request sequence without ports: count rounds over
// dsts (each with its own listener port), one request every gap, as
// package probe makes them.
func template(dsts, count int, gap time.Duration) []capture.Attempt {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	src := netip.MustParseAddr("127.0.0.1")
	var out []capture.Attempt
	for i := 0; i < count; i++ {
		for d := 0; d < dsts; d++ {
			out = append(out, capture.Attempt{
				Time: t0.Add(time.Duration(len(out)) * gap), Proto: capture.TCP,
				Src: src, Dst: netip.AddrFrom4([4]byte{127, 0, 0, byte(d + 1)}), DstPort: uint16(40001 + 2*d),
			})
		}
	}
	return out
}

// generate is what a kernel running strategy spec would have shown.
func generate(t testing.TB, kind allocator.Kind, spec string, seed uint64, dsts, count int, gap time.Duration) []capture.Attempt {
	t.Helper()
	s, err := ModelSamples(template(dsts, count, gap), kind, spec, seed, allocator.LinuxRange, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func judge(t testing.TB, obs []capture.Attempt, kind allocator.Kind, model string, seed uint64) *Verdict {
	t.Helper()
	v, err := Judge(obs, kind, model, VerdictOptions{Range: allocator.LinuxRange, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func describe(v *Verdict) string {
	var b strings.Builder
	b.WriteString(v.String())
	for _, c := range v.Checks {
		fmt.Fprintf(&b, "\n  %-8s p=%.3g pass=%v skipped=%v  %s %s", c.Name, c.P, c.Pass, c.Skipped, c.Detail, c.Finding)
	}
	return b.String()
}

// Ports drawn from the right model match it, over several seeds and
// shapes of run; the judge's seed differs from the generator's, as the
// kernel's secrets differ from any seed.
func TestVerdictRightModelMatches(t *testing.T) {
	for _, c := range []struct {
		kind        allocator.Kind
		model       string
		dsts, count int
		gap         time.Duration
	}{
		{allocator.Connect, "linux", 4, 500, 100 * time.Microsecond},
		{allocator.Connect, "linux", 4, 500, 5 * time.Millisecond}, // 10 s: one re-salt
		{allocator.Connect, "linux", 1, 300, time.Millisecond},
		{allocator.Connect, "linux", 3, 5, time.Millisecond},
		{allocator.Bind, "linux-bind", 4, 500, 100 * time.Microsecond},
		{allocator.Bind, "linux-bind", 2, 20, time.Millisecond},
		{allocator.UDP, "linux-udp", 4, 500, 100 * time.Microsecond},
		{allocator.UDP, "linux-udp:hash-size=16384", 3, 100, time.Millisecond},
	} {
		for seed := uint64(1); seed <= 5; seed++ {
			name := fmt.Sprintf("%s/%s/%dx%d/%v/seed%d", c.kind, c.model, c.dsts, c.count, c.gap, seed)
			t.Run(name, func(t *testing.T) {
				s := generate(t, c.kind, c.model, seed, c.dsts, c.count, c.gap)
				v := judge(t, s, c.kind, c.model, seed+100)
				if !v.Match {
					t.Errorf("right model rejected:\n%s", describe(v))
				}
				if v.Reason != "" || !strings.Contains(v.String(), "matches "+c.model) {
					t.Errorf("verdict line %q, reason %q", v.String(), v.Reason)
				}
			})
		}
	}
}

// Ports drawn from a wrong model fail, each with a failing check whose
// finding tells the models apart.
func TestVerdictWrongModelFails(t *testing.T) {
	for _, c := range []struct {
		kind          allocator.Kind
		source, model string
		why           string // a substring of the reason
	}{
		{allocator.Connect, "random", "linux", "odd ports seen where even were expected"},
		{allocator.Connect, "sequential", "linux", "odd ports"},
		{allocator.Connect, "linux-bind", "linux", "odd ports seen where even were expected"},
		{allocator.Connect, "linux-udp", "linux", "odd ports"},
		{allocator.Connect, "hashed", "linux", "odd ports"},
		// Even ports, but the wrong walk:
		{allocator.Connect, "linux:increments=off", "linux", "successive ports"}, // always +2
		{allocator.Connect, "linux:hint=on,increments=on", "linux", "lockstep"},  // one global counter
		{allocator.Connect, "linux:table-order=0", "linux", "lockstep"},          // one shared table slot
		{allocator.Connect, "linux:socket-range=on", "linux", "odd ports"},       // step 1
		{allocator.Bind, "linux", "linux-bind", "even ports seen where odd were expected"},
		{allocator.Bind, "random", "linux-bind", "even ports seen where odd were expected"},
		{allocator.Bind, "linux-udp", "linux-bind", "even ports seen where odd were expected"},
		{allocator.Bind, "sequential", "linux-bind", "even ports"},
		{allocator.UDP, "linux-bind", "linux-udp", "only odd ports seen where both parities were expected"},
		{allocator.UDP, "linux", "linux-udp", "only even ports"},
		{allocator.UDP, "sequential", "linux-udp", "small steps"},
		{allocator.UDP, "random-increments", "linux-udp", "successive ports to one destination"}, // one global counter: +4 increments per round
	} {
		for seed := uint64(1); seed <= 3; seed++ {
			t.Run(fmt.Sprintf("%s/%s-vs-%s/seed%d", c.kind, c.source, c.model, seed), func(t *testing.T) {
				s := generate(t, c.kind, c.source, seed, 4, 500, 100*time.Microsecond)
				v := judge(t, s, c.kind, c.model, seed+100)
				if v.Match {
					t.Fatalf("wrong model accepted:\n%s", describe(v))
				}
				var findings []string
				for _, ch := range v.Checks {
					if !ch.Pass {
						findings = append(findings, ch.Finding)
					}
				}
				if !strings.Contains(strings.Join(findings, "\n"), c.why) {
					t.Errorf("no failing check found %q:\n%s", c.why, describe(v))
				}
				if !strings.HasPrefix(v.String(), c.kind.String()+": does not match "+c.model+": ") {
					t.Errorf("verdict line %q", v.String())
				}
			})
		}
	}
}

// A short run that happens to straddle a 10 s re-salt shows one jump per
// destination, all at once: one event, which the model's simulation (with
// its random phase) rarely has, but not one surprise per destination.
func TestVerdictResaltInShortRun(t *testing.T) {
	tmpl := template(4, 300, 250*time.Microsecond) // 0.3 s
	usable := usableFunc(nil)
	for seed := uint64(1); seed <= 10; seed++ {
		ports, err := simulate(tmpl, "linux", seed, 10*time.Second-150*time.Millisecond, allocator.Connect, allocator.LinuxRange, usable)
		if err != nil {
			t.Fatal(err)
		}
		s := slices.Clone(tmpl)
		for i := range s {
			s[i].SrcPort = ports[i]
		}
		v := judge(t, s, allocator.Connect, "linux", seed+50)
		for _, c := range v.Checks {
			if c.Name == "spread" && !strings.Contains(c.Detail, "8 start points") {
				t.Errorf("seed %d: want 4 first ports and 4 re-salt starts: %s", seed, c.Detail)
			}
		}
		if !v.Match {
			t.Errorf("seed %d: a re-salt inside the run rejected the model:\n%s", seed, describe(v))
		}
	}
}

// A handful of stray ports (a re-salt the simulation did not have, a port
// outside the model's support) does not sink a right model; a few more do.
func TestVerdictToleratesAStrayPort(t *testing.T) {
	s := generate(t, allocator.Connect, "linux", 7, 4, 500, 100*time.Microsecond)
	s[1001].SrcPort++ // one odd port
	if v := judge(t, s, allocator.Connect, "linux", 8); !v.Match {
		t.Errorf("one stray port rejected the model:\n%s", describe(v))
	}
	for i := 1001; i < 1041; i += 4 {
		s[i].SrcPort |= 1
	}
	if v := judge(t, s, allocator.Connect, "linux", 8); v.Match {
		t.Errorf("ten odd ports accepted:\n%s", describe(v))
	}
}

// With the right model the checks' p-values are not piled near zero: over
// many seeds few runs are rejected, as DefaultAlpha promises.
func TestVerdictFalseRejectionRate(t *testing.T) {
	if testing.Short() {
		t.Skip("many verdicts; skipped with -short")
	}
	const runs = 60
	for _, c := range []struct {
		kind  allocator.Kind
		model string
	}{
		{allocator.Connect, "linux"}, {allocator.Bind, "linux-bind"}, {allocator.UDP, "linux-udp"},
	} {
		rejected := 0
		low := 0
		for seed := uint64(1000); seed < 1000+runs; seed++ {
			s := generate(t, c.kind, c.model, seed, 3, 200, time.Millisecond)
			v := judge(t, s, c.kind, c.model, seed*7+1)
			if !v.Match {
				rejected++
				t.Logf("seed %d rejected:\n%s", seed, describe(v))
			}
			if v.P < 0.05 {
				low++
			}
		}
		// Bonferroni over five checks: P < 0.05 in about 5-25% of runs.
		if rejected > 1 || low > runs/3 {
			t.Errorf("%s vs %s: %d of %d runs rejected, %d with P < 0.05", c.kind, c.model, rejected, runs, low)
		}
	}
}

func TestVerdictSameInputSameVerdict(t *testing.T) {
	s := generate(t, allocator.Connect, "linux", 3, 3, 100, time.Millisecond)
	a, b := judge(t, s, allocator.Connect, "linux", 9), judge(t, s, allocator.Connect, "linux", 9)
	if a.P != b.P || a.String() != b.String() {
		t.Errorf("two verdicts differ: %v / %v", a, b)
	}
}

func TestJudgeBadInput(t *testing.T) {
	s := generate(t, allocator.Connect, "linux", 1, 2, 10, time.Millisecond)
	for _, c := range []struct {
		name        string
		obs         []capture.Attempt
		kind        allocator.Kind
		model       string
		opt         VerdictOptions
		field, want string
	}{
		{"kind", s, allocator.Kind(7), "linux", VerdictOptions{Range: allocator.LinuxRange}, "kind", "want connect, bind, udp"},
		{"no samples", nil, allocator.UDP, "linux-udp", VerdictOptions{Range: allocator.LinuxRange}, "kind", "no samples"},
		{"model", s, allocator.Connect, "nope", VerdictOptions{Range: allocator.LinuxRange}, "model", "unknown strategy"},
		{"model param", s, allocator.Connect, "linux:table-order=99", VerdictOptions{Range: allocator.LinuxRange}, "model", "table-order"},
		{"range", s, allocator.Connect, "linux", VerdictOptions{}, "range", "low bound 0"},
		{"alpha", s, allocator.Connect, "linux", VerdictOptions{Range: allocator.LinuxRange, Alpha: 2}, "alpha", "between 0 and 1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Judge(c.obs, c.kind, c.model, c.opt)
			var fe *fielderr.Error
			if !errors.As(err, &fe) || fe.Field != c.field || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Judge: %v; want a %s error containing %q", err, c.field, c.want)
			}
		})
	}
}

func TestFormatP(t *testing.T) {
	for _, c := range []struct {
		p    float64
		want string
	}{{0.4321, "p = 0.43"}, {1, "p = 1.00"}, {0.0031, "p = 3.1e-03"}, {0, "p < 1e-300"}} {
		if got := FormatP(c.p); got != c.want {
			t.Errorf("FormatP(%g) = %q, want %q", c.p, got, c.want)
		}
	}
}

// compare must call the same distribution the same, and tell apart
// distributions that differ.
func TestCompare(t *testing.T) {
	for _, c := range []struct {
		name     string
		obs, sim []float64
		low      bool // want p < 1e-6
	}{
		{"same", []float64{100, 100, 100}, []float64{1000, 1000, 1000}, false},
		{"shifted", []float64{200, 50, 50}, []float64{1000, 1000, 1000}, true},
		{"impossible cell", []float64{500, 40}, []float64{5000, 0}, true},
		{"one stray", []float64{500, 1}, []float64{5000, 0}, false},
		{"nothing observed", []float64{0, 0}, []float64{10, 10}, false},
		{"all pooled", []float64{1, 0, 1}, []float64{3, 4, 3}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := compare(c.obs, c.sim)
			if p < 0 || p > 1 || (p < 1e-6) != c.low {
				t.Errorf("compare = %g; want low=%v", p, c.low)
			}
		})
	}
}

func BenchmarkVerdict(b *testing.B) {
	s := generate(b, allocator.Connect, "linux", 1, 4, 25000, 50*time.Microsecond) // 100k samples, 5 s
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Judge(s, allocator.Connect, "linux", VerdictOptions{Range: allocator.LinuxRange, Seed: 2}); err != nil {
			b.Fatal(err)
		}
	}
}
