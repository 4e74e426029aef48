package fit_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portsim/portsim/observe/capture"
	"github.com/portsim/portsim/observe/fit"
	"github.com/portsim/portsim/strategies"
)

// natRun is hosts running one profile behind a gateway, as a capture
// outside it sees them.
type natRun struct {
	gateway, profile string
	hosts            int
	seed             uint64
	lifetime         string // of each connection, closed with a FIN
	// want is the policy the verdict should name; when hidden, the ports
	// may not show it, and no verdict is no mistake.
	want   string
	hidden bool
}

func (r natRun) String() string {
	return fmt.Sprintf("%d %s behind %s (seed %d)", r.hosts, r.profile, r.gateway, r.seed)
}

// natCapture simulates run for 100 s, 40 connections a second in all to 5
// destinations, and returns the attempts a capture outside the gateway
// holds: each from its public address and port, in its profile's SYN
// shape with a random IP ID.
func natCapture(t *testing.T, run natRun) []capture.Attempt {
	t.Helper()
	sc, samples, err := simulate(t.Context(),
		"rate", "40", "duration", "100s", "warmup", "0s", "destinations", "5", "lifetime", run.lifetime,
		"kind", "connect", "seed", strconv.FormatUint(run.seed, 10), "strategy", "profile:"+run.profile,
		"hosts", strconv.Itoa(run.hosts), "gateway", run.gateway,
	)
	if err != nil {
		t.Fatal(err)
	}
	p, err := strategies.LookupProfile(run.profile)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(run.seed, 0x9a7))
	var out []capture.Attempt
	for _, s := range samples {
		a, ok := sampleAttempt(&sc, s)
		if !ok {
			continue
		}
		if sig := p.Stack; sig.Known() && sig.Options != "" {
			a.HasStack, a.IPID = true, uint16(rng.Uint32())
			a.Stack = capture.Stack{TTL: sig.TTL - 1, DF: sig.DF, Window: sig.WindowFor(1460), MSS: 1460, WScale: sig.WScale, Options: sig.Options}
		}
		out = append(out, a)
	}
	return out
}

// natRuns are the gateways and the policy a capture outside each shows,
// with hosts whose own ports walk (Linux's connect()) or do not.
func natRuns(seeds int) []natRun {
	type gw struct{ spec, lifetime, want string }
	gws := []gw{
		{"netfilter", "exp:100ms", fit.NATPreserving},
		{"rfc4787", "exp:100ms", fit.NATPreserving},
		{"netfilter:random=fully", "exp:100ms", fit.NATRandom},
		{"aws-nat", "exp:100ms", fit.NATRandom},
		{"azure-nat", "exp:100ms", fit.NATRandom},
		// Blocks show while hosts keep them: flows of a few seconds.
		{"port-block", "exp:2s", fit.NATBlocks},
		{"gcp-nat:min-ports=1024", "exp:2s", fit.NATBlocks},
		{"gcp-nat:dynamic=on", "exp:2s", fit.NATBlocks},
		{"azure-lb", "exp:2s", fit.NATBlocks},
	}
	var runs []natRun
	for s := range seeds {
		for _, g := range gws {
			for _, prof := range []string{"linux", "linux-5.12", "windows", "freebsd"} {
				for _, hosts := range []int{2, 8} {
					runs = append(runs, natRun{g.spec, prof, hosts, uint64(100 + s), g.lifetime, g.want, g.want == fit.NATPreserving && !walks(prof)})
				}
			}
		}
	}
	return runs
}

// walks reports whether the connect() ports of hosts of a profile make
// walks a port-preserving translator keeps apart: Linux's per-destination
// counters do. FreeBSD's ports are random; Windows's cursors all start at
// the range's low end in the simulator and step in lockstep, so they
// coincide (netfilter moves the clashes to one destination, which may
// show).
func walks(profile string) bool { return strings.HasPrefix(profile, "linux") }

// TestNATRoundTrips simulates hosts behind each gateway and checks what
// Analyze says of the public address: the policy named where the ports
// show it, and never a wrong one; -v prints the tally.
func TestNATRoundTrips(t *testing.T) {
	seeds := 2
	if testing.Short() {
		seeds = 1
	}
	type tally struct{ runs, right, undecided, none, wrong int }
	by := map[string]*tally{}
	var order []string
	total := &tally{}
	for _, run := range natRuns(seeds) {
		atts := natCapture(t, run)
		reps := fit.Analyze(capture.NewAttempts(atts), fit.AnalyzeOptions{Proto: capture.TCP})
		if len(reps) != 1 {
			t.Fatalf("%v: %d reports; want 1 (one public address)", run, len(reps))
		}
		v := reps[0].NAT
		if by[run.gateway] == nil {
			by[run.gateway] = &tally{}
			order = append(order, run.gateway)
		}
		for _, c := range []*tally{by[run.gateway], total} {
			c.runs++
			switch {
			case v.Decided && v.Policy == run.want:
				c.right++
			case v.Decided && v.Policy != "" && v.Policy != run.want:
				c.wrong++
			case v.Verdict == fit.NATNoEvidence:
				c.none++
			default:
				c.undecided++
			}
		}
		if testing.Verbose() && !(v.Decided && v.Policy == run.want) {
			t.Logf("%v: %s", run, v)
		}
		switch {
		case v.Decided && v.Policy != "" && v.Policy != run.want:
			t.Errorf("%v: %s; want %s", run, v, run.want)
		case !run.hidden && !(v.Decided && v.Policy == run.want):
			t.Errorf("%v: %s; want %s", run, v, run.want)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "| gateway | captures | named right | undecided | no evidence | wrong |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, g := range order {
		c := by[g]
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d |\n", g, c.runs, c.right, c.undecided, c.none, c.wrong)
	}
	fmt.Fprintf(&b, "| all | %d | %d | %d | %d | %d |\n", total.runs, total.right, total.undecided, total.none, total.wrong)
	t.Log("\n" + b.String())
}

// TestNATNotOnSingleHosts: a host of its own, of every profile, connect()
// and UDP, over many workloads, is never called NATed, with 100 to 2,000
// attempts.
func TestNATNotOnSingleHosts(t *testing.T) {
	seeds := 6
	if testing.Short() {
		seeds = 2
	}
	sizes := []int{100, 500, 2000}
	counts := map[string]int{}
	n := 0
	for s := range seeds {
		for _, spec := range strategies.ProfileSpecs() {
			for _, kind := range []string{"connect", "udp"} {
				run := calibrationRun{spec, kind, uint64(2000 + s)}
				atts := calibrationCapture(t, run, sizes[len(sizes)-1])
				for _, size := range sizes {
					reps := fit.Analyze(capture.NewAttempts(atts[:size]), fit.AnalyzeOptions{})
					v := reps[0].NAT
					n++
					counts[v.Verdict]++
					if v.Verdict == fit.NATFound {
						t.Errorf("%s %s seed %d, %d attempts: %s", spec, kind, run.seed, size, v)
					}
				}
			}
		}
	}
	t.Logf("%d single hosts: %v", n, counts)
}

// TestNATSignals: each signal on attempts made by hand.
func TestNATSignals(t *testing.T) {
	pub := netip.MustParseAddr("203.0.113.1")
	dsts := []netip.Addr{netip.MustParseAddr("198.18.0.1"), netip.MustParseAddr("198.18.0.2")}
	linux := capture.Stack{TTL: 63, DF: true, Window: 64240, MSS: 1460, WScale: 7, Options: "mss,sok,ts,nop,ws"}
	windows := capture.Stack{TTL: 127, DF: true, Window: 64240, MSS: 1460, WScale: 8, Options: "mss,nop,ws,nop,nop,sok"}
	// attempts makes n attempts, port(i) and stack(i) the i'th's.
	attempts := func(n int, port func(i int) uint16, stack func(i int) (capture.Stack, uint16)) []capture.Attempt {
		out := make([]capture.Attempt, n)
		for i := range out {
			out[i] = capture.Attempt{Time: scriptEpoch.Add(time.Duration(i) * 50 * time.Millisecond), Proto: capture.TCP,
				Src: pub, SrcPort: port(i), Dst: dsts[i%2], DstPort: 443}
			if stack != nil {
				out[i].HasStack = true
				out[i].Stack, out[i].IPID = stack(i)
			}
		}
		return out
	}
	rng := rand.New(rand.NewPCG(1, 2))
	udp := func(atts []capture.Attempt) []capture.Attempt {
		for i := range atts {
			atts[i].Proto = capture.UDP
		}
		return atts
	}
	tests := []struct {
		name    string
		atts    []capture.Attempt
		verdict string
		policy  string
		signal  string // the evidence that must say "several hosts" or "translator"
	}{
		{"one sequential cursor", attempts(500, func(i int) uint16 { return uint16(49152 + i) }, nil), fit.NATNoEvidence, "", ""},
		{"random over Linux's range", attempts(500, func(int) uint16 { return uint16(32768 + rng.IntN(28232)) }, nil), fit.NATNoEvidence, "", ""},
		{"four interleaved cursors", attempts(500, func(i int) uint16 { return uint16(10000*(1+i%4) + i/4) }, nil), fit.NATFound, fit.NATPreserving, "walks"},
		{"uniform over 1024-65535", attempts(2000, func(int) uint16 { return uint16(1024 + rng.IntN(64512)) }, nil), fit.NATFound, fit.NATRandom, "range"},
		// A resolver drawing its own query ports looks like a random
		// translator's UDP: a hint only.
		{"UDP over 1024-65535", udp(attempts(2000, func(int) uint16 { return uint16(1024 + rng.IntN(64512)) }, nil)), fit.NATUndecided, "", ""},
		{"lowest 2048 ports", attempts(2000, func(int) uint16 { return uint16(1024 + rng.IntN(2048)) }, nil), fit.NATFound, fit.NATBlocks, "range"},
		{"200 VMs' 256 ports each", attempts(20000, func(int) uint16 { return uint16(1024 + rng.IntN(200*256)) }, nil), fit.NATFound, fit.NATBlocks, "range"},
		{"a host's range set to 1024-50000", attempts(20000, func(int) uint16 { return uint16(1024 + rng.IntN(48977)) }, nil), fit.NATNoEvidence, "", ""},
		{"four blocks of 256 at a time", attempts(2000, func(i int) uint16 {
			block := (i/400)*37 + (i%4)*11 // each host moves to a new block now and then
			return uint16(1024 + 256*(block%252) + rng.IntN(256))
		}, nil), fit.NATFound, fit.NATBlocks, "blocks"},
		{"Linux and Windows SYNs", attempts(60, func(int) uint16 { return uint16(32768 + rng.IntN(28232)) }, func(i int) (capture.Stack, uint16) {
			if i%3 == 0 {
				return windows, uint16(rng.Uint32())
			}
			return linux, uint16(rng.Uint32())
		}), fit.NATFound, "", "stacks"},
		{"three IP ID counters", attempts(300, func(int) uint16 { return uint16(49152 + rng.IntN(16384)) }, func(i int) (capture.Stack, uint16) {
			return windows, uint16(20000*(i%3) + 3*i)
		}), fit.NATFound, "", "ip-id"},
		{"one IP ID counter", attempts(300, func(int) uint16 { return uint16(49152 + rng.IntN(16384)) }, func(i int) (capture.Stack, uint16) {
			return windows, uint16(7 + 3*i)
		}), fit.NATNoEvidence, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reps := fit.Analyze(capture.NewAttempts(tt.atts), fit.AnalyzeOptions{})
			if len(reps) != 1 {
				t.Fatalf("%d reports; want 1", len(reps))
			}
			v := reps[0].NAT
			if v.Verdict != tt.verdict || v.Policy != tt.policy || v.Decided != (tt.verdict == fit.NATFound) {
				t.Errorf("%s (policy %q); want %s, policy %q", v, v.Policy, tt.verdict, tt.policy)
			}
			if tt.signal != "" && !slices.ContainsFunc(v.Evidence, func(e fit.NATEvidence) bool {
				return e.Signal == tt.signal && (e.Says == "several hosts" || e.Says == "translator")
			}) {
				t.Errorf("evidence %+v; want %s to show it", v.Evidence, tt.signal)
			}
		})
	}
}

// TestNATNotOnCaptures: no address of the scripts' captures nor of the
// public captures in testdata/real (hosts captured on their own network)
// is called NATed.
func TestNATNotOnCaptures(t *testing.T) {
	var paths []string
	for _, dir := range []string{"testdata/captures", "testdata/real"} {
		for _, pat := range []string{"*.pcap", "*.pcapng", "*.csv", "*.csv.gz"} {
			m, err := filepath.Glob(filepath.Join(dir, pat))
			if err != nil {
				t.Fatal(err)
			}
			paths = append(paths, m...)
		}
	}
	hosts := 0
	for _, p := range paths {
		c, err := capture.ReadFile(p, capture.ReadOptions{})
		if err != nil {
			continue // not a capture of attempts (truth tables, a file that is not one)
		}
		for _, r := range fit.Analyze(c.Attempts, fit.AnalyzeOptions{}) {
			hosts++
			if r.NAT.Decided {
				t.Errorf("%s: %v %v: %s", p, r.Host, r.Proto, r.NAT)
			}
		}
	}
	if hosts < 50 {
		t.Errorf("%d hosts read from %d files; want the captures' 50 or more", hosts, len(paths))
	}
	t.Logf("%d hosts of %d files", hosts, len(paths))
}
