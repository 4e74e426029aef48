package main

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/portsim/portsim/observe/capture"
	"github.com/portsim/portsim/observe/fit"
)

// analyzeWorstBytes is what analyze holds per attempt at worst, measured
// with a 3,000,000-attempt capture of hosts of 20 attempts each (each
// judged, each with a full report): 1.85 GB maximum resident, 615 bytes
// an attempt, the garbage collector's headroom included. One host's
// attempts cost about 85 bytes each.
const analyzeWorstBytes = 615

// The default --max-attempts keeps analyze under 2 GiB at its worst:
// every host judged (issue 12: 550 bytes an attempt allowed 5.5 GB at the
// old default of 10 million). The live heap per attempt measured here,
// doubled for the collector's headroom, must stay within the figure
// documented.
func TestAnalyzeMemoryBound(t *testing.T) {
	if capture.DefaultMaxAttempts*analyzeWorstBytes >= 2<<30 {
		t.Errorf("default --max-attempts %d × %d bytes is over 2 GiB", capture.DefaultMaxAttempts, analyzeWorstBytes)
	}
	const hosts, each = 500, 20
	var b strings.Builder
	b.WriteString("src,sport,dst,dport,time\n")
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range hosts * each {
		h := i % hosts
		fmt.Fprintf(&b, "10.0.%d.%d,%d,192.0.2.%d,443,%.3f\n", h>>8, h&255, 32768+rng.IntN(28232), i%7+1, float64(i)/1000)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	c, err := capture.Read(strings.NewReader(b.String()), capture.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	reps := fit.Analyze(c.Attempts, fit.AnalyzeOptions{Top: 3})
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(c)
	if len(reps) != hosts {
		t.Fatalf("%d reports; want %d", len(reps), hosts)
	}
	live := float64(after.HeapAlloc-before.HeapAlloc) / (hosts * each)
	t.Logf("%.0f live bytes an attempt", live)
	if 2*live > analyzeWorstBytes {
		t.Errorf("%.0f live bytes an attempt, doubled, is over the %d documented", live, analyzeWorstBytes)
	}
}
