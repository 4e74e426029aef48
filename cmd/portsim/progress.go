package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/portsim/portsim/internal/format"
	"github.com/portsim/portsim/sim"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress shows a bar on stderr for runs that take more than about a
// second, and only when stderr is a terminal: logs and pipes stay clean.
type progress struct {
	mu      sync.Mutex
	w       io.Writer
	start   time.Time
	bar     *progressbar.ProgressBar
	reached map[string]time.Duration
	total   time.Duration
	n       int
	enabled bool
}

func newProgress(w io.Writer, sc sim.Scenario) *progress {
	p := &progress{w: w, start: time.Now(), reached: map[string]time.Duration{},
		total: sc.Duration, n: len(sc.Strategies)}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.enabled = true
	}
	return p
}

// update records how far one strategy's run has got; safe for concurrent
// use by the simulator's workers.
func (p *progress) update(strategy string, reached, total time.Duration) {
	if !p.enabled {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reached[strategy] = reached
	if p.bar == nil {
		if time.Since(p.start) < time.Second {
			return
		}
		// In simulated milliseconds, redrawn with its rate at every
		// update: the bar itself moves only a whole percent at a time,
		// which at the arrival limit is minutes.
		p.bar = progressbar.NewOptions64(int64(p.total)*int64(p.n)/int64(time.Millisecond),
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription("simulating"),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("sim-ms"),
			progressbar.OptionShowElapsedTimeOnFinish(),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionThrottle(100*time.Millisecond),
		)
		p.bar.RenderBlank()
	}
	var sum time.Duration
	for _, r := range p.reached {
		sum += r
	}
	p.bar.Set64(int64(sum / time.Millisecond))
}

func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Finish()
		io.WriteString(p.w, "\n")
	}
}

// longRun is the expected arrivals per strategy above which a run's
// length is measured and said before it starts (a second or more of a
// typical machine's time), and after which a scenario over the limit is
// timed for its error.
const longRun = 5e6

// runTime is how long sc would take here: its first arrivals timed
// (sim.MeasureScenarioSpeed), the rest at that speed, its strategies on
// every core. ok is false when the timing failed.
func runTime(sc sim.Scenario) (wall time.Duration, speed float64, ok bool) {
	speed, err := sim.MeasureScenarioSpeed(context.Background(), sc)
	if err != nil || speed <= 0 {
		return 0, 0, false
	}
	rounds := (len(sc.Strategies) + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0)
	secs := sc.ExpectedArrivals() * float64(rounds) / speed
	return time.Duration(min(secs, 1e9) * float64(time.Second)), speed, true
}

// timeWords says how long a run takes, and at what speed.
func timeWords(sc sim.Scenario, wall time.Duration, speed float64) string {
	n := "1 strategy"
	if len(sc.Strategies) > 1 {
		n = fmt.Sprintf("%d strategies", len(sc.Strategies))
	}
	return fmt.Sprintf("%.3g arrivals × %s at the %.2g arrivals/s measured here take about %s on %s",
		sc.ExpectedArrivals(), n, speed, roughDuration(wall), format.Plural(runtime.GOMAXPROCS(0), "core"))
}

// withRunTime adds to a scenario's error, when it is over the arrival
// limit, how long the run would take at this machine's speed.
func withRunTime(err error, sc sim.Scenario) error {
	if sc.ExpectedArrivals() <= sim.MaxArrivals || len(sc.Strategies) == 0 {
		return err
	}
	wall, speed, ok := runTime(sc)
	if !ok {
		return err
	}
	return usagef("%v (%s)", err, timeWords(sc, wall, speed))
}

// announce says on stderr how long a long run will take, before it
// starts: the progress bar only shows on a terminal.
func announce(w io.Writer, sc sim.Scenario) {
	if sc.ExpectedArrivals() < longRun {
		return
	}
	if wall, speed, ok := runTime(sc); ok {
		fmt.Fprintf(w, "run: %s; Ctrl-C stops it and prints the results so far\n", timeWords(sc, wall, speed))
	}
}
