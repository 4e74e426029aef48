package fit

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/observe/capture"
	"github.com/portsim/portsim/strategies"
)

// Every profile and kind has a model, and stands for exactly one
// candidate of its protocol.
func TestEveryProfileHasOneCandidate(t *testing.T) {
	for _, spec := range strategies.ProfileSpecs() {
		if _, err := strategies.LookupProfile(spec); err != nil {
			t.Errorf("%s: %v", spec, err)
		}
	}
	for _, c := range []struct {
		proto capture.Proto
		kinds []allocator.Kind
	}{{capture.TCP, []allocator.Kind{allocator.Connect, allocator.Bind}}, {capture.UDP, []allocator.Kind{allocator.UDP}}} {
		cands, err := candidateModels(c.proto)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]int{}
		keys := map[string]bool{}
		for _, cand := range cands {
			if keys[cand.model.key()] {
				t.Errorf("%v: model %s twice", c.proto, cand.model.key())
			}
			keys[cand.model.key()] = true
			for _, l := range cand.labels {
				seen[l]++
			}
		}
		for _, spec := range strategies.ProfileSpecs() {
			for _, k := range c.kinds {
				if l := fmt.Sprintf("%s (%v)", spec, k); seen[l] != 1 {
					t.Errorf("%v: %s in %d candidates; want 1", c.proto, l, seen[l])
				}
			}
		}
		t.Logf("%v: %d distinct models for %d profile kinds", c.proto, len(cands), len(seen))
	}
}

// The documented equivalents: profiles whose strategies differ only in
// what no capture shows (ns-3's first port, NetBSD's random_start against
// random_pick), or in a port or two at the ends of their ranges (Linux's
// UDP before and after 4.2, pre-Vista Windows and OMNeT++ INET), share a
// model; the Linux generations' connect() do not.
func TestDocumentedEquivalents(t *testing.T) {
	same := []struct {
		proto  capture.Proto
		labels []string
	}{
		{capture.TCP, []string{"macos (connect)", "macos (bind)", "windows (connect)", "windows (bind)", "ns3 (connect)", "ns3 (bind)"}},
		{capture.TCP, []string{"linux (bind)", "linux-5.12 (bind)", "linux-4 (bind)"}},
		{capture.TCP, []string{"freebsd (connect)", "freebsd (bind)"}},
		{capture.TCP, []string{"netbsd:algo=random_start (connect)", "netbsd:algo=random_start (bind)", "netbsd:algo=random_pick (connect)", "netbsd:algo=random_pick (bind)"}},
		{capture.TCP, []string{"windows-xp (connect)", "windows-xp (bind)", "omnet-inet (connect)", "omnet-inet (bind)"}},
		{capture.TCP, []string{"linux-3 (connect)"}},
		{capture.TCP, []string{"linux-3 (bind)"}},
		{capture.UDP, []string{"linux (udp)", "linux-5.12 (udp)", "linux-4 (udp)", "linux-3 (udp)"}},
		{capture.UDP, []string{"windows-xp (udp)", "omnet-inet (udp)"}},
		{capture.UDP, []string{"netbsd:algo=random_start (udp)", "netbsd:algo=random_pick (udp)", "macos (udp)", "windows (udp)"}},
		{capture.UDP, []string{"ns3 (udp)"}},
	}
	group := func(p capture.Proto, label string) []string {
		cands, _ := candidateModels(p)
		for _, c := range cands {
			if slices.Contains(c.labels, label) {
				return c.labels
			}
		}
		return nil
	}
	for _, s := range same {
		got := group(s.proto, s.labels[0])
		if !slices.Equal(got, s.labels) {
			t.Errorf("%v %s: same model as %q; want %q", s.proto, s.labels[0], got, s.labels)
		}
	}
	apart := []string{"linux (connect)", "linux-5.12 (connect)", "linux-4 (connect)", "netbsd:algo=hash (connect)", "netbsd:algo=doublehash (connect)", "netbsd (connect)", "macos (connect)", "netbsd:algo=randinc (connect)"}
	for i, a := range apart {
		for _, b := range apart[i+1:] {
			if slices.Contains(group(capture.TCP, a), b) {
				t.Errorf("%s and %s share a model", a, b)
			}
		}
	}
	if got := groupLabels([]string{"macos (bind)", "windows (connect)", "windows (bind)", "x"}); got != "macos (bind), windows (connect, bind), x" {
		t.Errorf("groupLabels: %q", got)
	}
}

// series builds a host series from (port, seconds, destination) triples.
func series(pts ...[3]float64) *hostSeries {
	s := &hostSeries{}
	for _, p := range pts {
		s.ports = append(s.ports, uint16(p[0]))
		s.secs = append(s.secs, p[1])
		s.stream = append(s.stream, int32(p[2]))
		s.streams = max(s.streams, int(p[2])+1)
	}
	return s
}

// Each model's prediction of the next port is a probability distribution:
// over all 65536 port numbers it sums to 1 (a little less where a walk's
// tail is cut at the range's end), whatever the history. A model that
// double-counts a component or forgets one fails.
func TestModelsPredictDistributions(t *testing.T) {
	histories := map[string]*hostSeries{
		"nothing": series(),
		"linux walks": series([3]float64{40000, 0, 0}, [3]float64{40006, 0.5, 0}, [3]float64{51000, 1, 1},
			[3]float64{40020, 2, 0}, [3]float64{51002, 3, 1}, [3]float64{40021, 3.1, 2}),
		"sequential": series([3]float64{49152, 0, 0}, [3]float64{49153, 1, 1}, [3]float64{49154, 2, 0},
			[3]float64{60000, 3, 2}, [3]float64{49156, 4, 1}),
	}
	next := [2]float64{4, 0} // 1 s after the last attempt, to destination 0
	var st fitScratch
	for _, p := range []capture.Proto{capture.TCP, capture.UDP} {
		cands, _ := candidateModels(p)
		for _, c := range cands {
			for name, h := range histories {
				base := c.model.logLik(h, &st)
				ext := series()
				*ext = hostSeries{
					ports:   append(slices.Clone(h.ports), 0),
					secs:    append(slices.Clone(h.secs), next[0]),
					stream:  append(slices.Clone(h.stream), int32(next[1])),
					streams: max(h.streams, 1),
				}
				sum := 0.0
				for x := range 65536 {
					ext.ports[len(ext.ports)-1] = uint16(x)
					sum += math.Exp(c.model.logLik(ext, &st) - base)
				}
				if sum < 0.97 || sum > 1+1e-9 {
					t.Errorf("%s after %s: next port probabilities sum to %.6f; want 1", c.labels[0], name, sum)
				}
			}
		}
	}
}

// The Linux 6.x model's probability of one step, by hand from the
// documented constants.
func TestLinuxStepProbability(t *testing.T) {
	m, err := modelFor("linux", allocator.LinuxRange)
	if err != nil {
		t.Fatal(err)
	}
	var st fitScratch
	one := m.logLik(series([3]float64{40000, 0, 0}), &st)
	if want := math.Log(mixOff((1 - otherParity) / 14116)); math.Abs(one-want) > 1e-12 {
		t.Errorf("first port: %g; want %g", one, want)
	}
	// +6 after 2.5 s: a re-salt fell in the gap with probability 0.25.
	two := m.logLik(series([3]float64{40000, 0, 0}, [3]float64{40006, 2.5, 0}), &st) - one
	rho := restartBase + (1-restartBase)*0.25
	walk := (1-offWalk)/8 + offWalk*0.5/8
	want := math.Log(mixOff((1-rho)*walk + rho*(1-otherParity)/14116))
	if math.Abs(two-want) > 1e-12 {
		t.Errorf("+6 after 2.5 s: %g; want %g", two, want)
	}
	// An odd step is no walk: only a restart onto the other parity, or off
	// the model.
	odd := m.logLik(series([3]float64{40000, 0, 0}, [3]float64{40007, 2.5, 0}), &st) - one
	if want := math.Log(mixOff(rho * otherParity / 14116)); math.Abs(odd-want) > 1e-12 {
		t.Errorf("+7: %g; want %g", odd, want)
	}
}

// Algorithm 3 counts the host's connections in between: after A, B, B the
// next port to A is 3 steps on (Linux ≤ 5.11: 6 ports).
func TestHintCountsConnectionsInBetween(t *testing.T) {
	for _, c := range []struct {
		spec string
		r    allocator.Range
		step int
	}{{"hashed", allocator.DynamicRange, 1}, {"linux:hint=on,increments=off,resalt=0", allocator.LinuxRange, 2}} {
		m, err := modelFor(c.spec, c.r)
		if err != nil {
			t.Fatal(err)
		}
		var st fitScratch
		prefix := [][3]float64{{50000, 0, 0}, {60000, 1, 1}, {60000 + float64(c.step), 2, 1}}
		ll := func(next float64) float64 {
			return m.logLik(series(append(slices.Clone(prefix), [3]float64{next, 3, 0})...), &st)
		}
		right := ll(50000 + 3*float64(c.step))
		for _, k := range []int{1, 2, 4} {
			if wrong := ll(50000 + float64(k*c.step)); right-wrong < 2 {
				t.Errorf("%s: +%d steps %.2f nats behind +3; want ≥ 2", c.spec, k, right-wrong)
			}
		}
	}
}

func TestModelForUnknownStrategy(t *testing.T) {
	if _, err := modelFor("nope", allocator.LinuxRange); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("unknown strategy: %v", err)
	}
}

// shapeless is a strategy that does not say its shape.
type shapeless struct{}

func (shapeless) Pick(*allocator.Request, func(uint16) bool) (uint16, int, error) {
	return 0, 0, allocator.ErrAddrNotAvail
}

// A strategy without a shape, or with a shape of no known family, has no
// model, and the error says why.
func TestModelWithoutShape(t *testing.T) {
	if _, err := modelOf(shapeless{}, allocator.LinuxRange); err == nil || !strings.Contains(err.Error(), "shape") {
		t.Errorf("shapeless strategy: %v; want an error about its shape", err)
	}
	if _, err := newModel(strategies.Shape{Range: allocator.LinuxRange, Ports: 1}); err == nil || !strings.Contains(err.Error(), "family") {
		t.Errorf("shape of no family: %v; want an error naming the family", err)
	}
}
