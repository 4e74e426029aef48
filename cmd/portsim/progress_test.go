package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/portsim/portsim/sim"
)

// A run at the arrival limit moves its bar's percent only every few
// seconds; the bar shows from its first update, with the simulated
// speed and the time left (issue 12: 12 minutes per strategy with no
// output).
func TestProgressShowsAtOnce(t *testing.T) {
	var buf bytes.Buffer
	sc := sim.DefaultScenario()
	sc.Duration = 1000 * time.Second
	p := newProgress(&buf, sc)
	p.bar.on = true // as on a terminal
	p.bar.start = time.Now().Add(-2 * time.Second)
	p.update("linux", 2*time.Second, sc.Duration) // 0.2%
	if s := buf.String(); !strings.Contains(s, "simulating") || !strings.Contains(s, "sim-ms") {
		t.Errorf("bar after 0.2%%: %q; want it drawn with its speed", s)
	}
}

// Over the arrival limit, the error says how long the run would take at
// the speed measured on this machine; a long run says it before it starts.
func TestRunTimeAtLimit(t *testing.T) {
	r := portsim("run", "--strategy", "linux", "--strategy", "random", "--rate", "1e7", "--duration", "1000s")
	if r.code != exitUsage || !strings.Contains(r.stderr, "over the limit of 1e+09") ||
		!strings.Contains(r.stderr, "1e+10 arrivals × 2 strategies at the ") || !strings.Contains(r.stderr, "arrivals/s measured here take about") {
		t.Errorf("exit %d, stderr %q; want the limit and the time at the measured speed", r.code, r.stderr)
	}
	r = portsim("run", "--strategy", "sequential", "--rate", "1e6", "--duration", "5s", "--lifetime", "fixed:1ms", "--time-wait", "0s", "--format", "csv")
	if r.code != 0 || !strings.HasPrefix(r.stderr, "run: 5e+06 arrivals × 1 strategy at the ") {
		t.Errorf("exit %d, stderr %q; want the run's time said first", r.code, r.stderr)
	}
}

// A sweep's bar counts arrivals and predicts the time left, drawn from
// its first update after a second, as a run's is.
func TestSweepBarShowsAtOnce(t *testing.T) {
	var buf bytes.Buffer
	b := newSweepBar(&buf)
	b.set(1, 100)
	if buf.Len() != 0 {
		t.Errorf("bar off a terminal: %q; want nothing", buf.String())
	}
	b.on = true // as on a terminal
	b.start = time.Now().Add(-2 * time.Second)
	b.set(5, 100)
	b.finish()
	if s := buf.String(); !strings.Contains(s, "sweeping") || !strings.Contains(s, "arrivals") {
		t.Errorf("bar after 5%%: %q; want it drawn with its rate", s)
	}
}
