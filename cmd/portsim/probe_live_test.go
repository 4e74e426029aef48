package main

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/observe/capture"
	"github.com/portsim/portsim/observe/fit"
	"github.com/portsim/portsim/observe/probe"
)

// liveProbe runs a probe or skips the test where the kernel cannot be
// asked: not Linux, or no loopback sockets (a sandbox).
func liveProbe(t *testing.T, cfg probe.Config) *probe.Result {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skipf("the Linux models are checked on Linux only; this is %s", runtime.GOOS)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := probe.Run(ctx, cfg)
	if errors.Is(err, probe.ErrNoLoopback) {
		t.Skipf("no loopback sockets here: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// The live kernel's connect(), bind() and UDP ports match linux,
// linux-bind and linux-udp, as 'portsim probe' judges them. This asks the
// machine the tests run on, so it is a statement about that kernel: a
// kernel with another algorithm (5.11 and before, a distribution's patch)
// fails it, as it should. The machine is shared with other processes, so
// a mismatch must show twice in a row to fail the test; a wrong model
// mismatches every time.
func TestLiveKernelMatchesLinuxModels(t *testing.T) {
	count := 300 // per destination per kind: 3,600 connections with 4 destinations
	if testing.Short() {
		count = 100
	}
	var failures []string
	for attempt := 1; attempt <= 2; attempt++ {
		failures = liveVerdicts(t, count)
		if len(failures) == 0 {
			return
		}
		t.Logf("attempt %d: %s", attempt, strings.Join(failures, "; "))
	}
	t.Errorf("live kernel, twice: %s", strings.Join(failures, "; "))
}

// liveVerdicts probes the kernel and returns the verdicts that are not
// matches, logging the details; setup problems fail the test at once.
func liveVerdicts(t *testing.T, count int) []string {
	t.Helper()
	start := time.Now()
	res := liveProbe(t, probe.Config{Count: count})
	probeTime := time.Since(start)
	if !res.Kernel.Known {
		t.Fatalf("kernel rules unread on Linux: %+v", res.Kernel)
	}
	t.Logf("kernel %s: range %v, reserved %v, tw_reuse %d, udp hash %d; %d samples in %v %v; notes %v",
		res.Kernel.OS, res.Kernel.Range, res.Kernel.Reserved, res.Kernel.TWReuse, res.Kernel.UDPHashEntries,
		len(res.Samples), probeTime, res.Timings, res.Notes)
	if want := count * len(res.Config.Dsts) * 3; len(res.Samples) != want {
		t.Fatalf("%d samples, want %d", len(res.Samples), want)
	}
	for _, s := range res.Samples {
		if !res.Kernel.Range.Contains(s.SrcPort) || !s.Src.IsLoopback() || !s.Dst.IsLoopback() {
			t.Fatalf("sample outside the range or off loopback: %+v", s)
		}
	}

	start = time.Now()
	rep, err := newProbeReport(res, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("verdicts in %v", time.Since(start))
	if d := time.Since(start) + probeTime; d > 10*time.Second {
		t.Errorf("probe and verdicts took %v; want under 10s", d)
	}
	if len(rep.Kinds) != 3 {
		t.Fatalf("%d kinds, want 3", len(rep.Kinds))
	}
	want := map[allocator.Kind]string{allocator.Connect: "linux", allocator.Bind: "linux-bind", allocator.UDP: "linux-udp"}
	var failures []string
	for _, kr := range rep.Kinds {
		v := kr.Verdict
		if v == nil {
			t.Fatalf("%s: no verdict", kr.Kind)
		}
		t.Log(describeVerdict(v))
		if !strings.HasPrefix(v.Model, want[v.Kind]) {
			t.Fatalf("%s judged against %s, want %s", v.Kind, v.Model, want[v.Kind])
		}
		if !v.Match {
			failures = append(failures, v.String())
			logBigSteps(t, res.Attempts(v.Kind), res.Kernel.Range)
		}
	}
	return failures
}

func describeVerdict(v *fit.Verdict) string {
	var b strings.Builder
	b.WriteString(v.String())
	for _, c := range v.Checks {
		fmt.Fprintf(&b, "\n  %-8s p=%.3g pass=%v skipped=%v  %s %s", c.Name, c.P, c.Pass, c.Skipped, c.Detail, c.Finding)
	}
	return b.String()
}

// logBigSteps lists the steps beyond ±32, around the range as a circle,
// between successive ports to one destination, with their times: re-salts
// show as one per destination at the same instant; anything else is worth
// a look.
func logBigSteps(t *testing.T, obs []capture.Attempt, rng allocator.Range) {
	t.Helper()
	size := rng.Size()
	last := map[netip.AddrPort]int{}
	shown := 0
	for i, a := range obs {
		dst := netip.AddrPortFrom(a.Dst, a.DstPort)
		if j, ok := last[dst]; ok && shown < 40 {
			d := ((int(a.SrcPort)-int(obs[j].SrcPort))%size + size) % size
			if d > size/2 {
				d -= size
			}
			if d < -32 || d > 32 {
				shown++
				t.Logf("  #%d to %v: %d -> %d (%+d) after %v at %s", i, a.Dst, obs[j].SrcPort, a.SrcPort, d,
					a.Time.Sub(obs[j].Time), a.Time.Format("15:04:05.000000"))
			}
		}
		last[dst] = i
	}
}
