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

// termBar is a progress bar on w that shows only when w is a terminal and
// the work has gone on for a second: logs, pipes and quick runs stay
// clean. Safe for concurrent use.
type termBar struct {
	mu    sync.Mutex
	w     io.Writer
	start time.Time
	on    bool
	opts  []progressbar.Option
	bar   *progressbar.ProgressBar
}

func newTermBar(w io.Writer, opts ...progressbar.Option) *termBar {
	b := &termBar{w: w, start: time.Now(), opts: opts}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		b.on = true
	}
	return b
}

// set moves the bar to done of total. The bar is drawn from its first
// update with its rate, and redrawn at each one: it moves only a whole
// percent at a time, which for a long run is minutes.
func (b *termBar) set(done, total int64) {
	if !b.on {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.bar == nil {
		if time.Since(b.start) < time.Second {
			return
		}
		opts := append([]progressbar.Option{
			progressbar.OptionSetWriter(b.w),
			progressbar.OptionShowIts(),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionThrottle(100 * time.Millisecond),
		}, b.opts...)
		b.bar = progressbar.NewOptions64(total, opts...)
		b.bar.RenderBlank()
	}
	b.bar.Set64(done)
}

func (b *termBar) finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.bar != nil {
		b.bar.Finish()
		io.WriteString(b.w, "\n")
	}
}

// progress shows a run's bar on stderr: simulated milliseconds, summed
// over the strategies the simulator runs at once.
type progress struct {
	mu      sync.Mutex
	bar     *termBar
	reached map[string]time.Duration
	total   time.Duration
	n       int
}

func newProgress(w io.Writer, sc sim.Scenario) *progress {
	return &progress{reached: map[string]time.Duration{}, total: sc.Duration, n: len(sc.Strategies),
		bar: newTermBar(w,
			progressbar.OptionSetDescription("simulating"),
			progressbar.OptionSetItsString("sim-ms"),
			progressbar.OptionShowElapsedTimeOnFinish(),
		)}
}

// update records how far one strategy's run has got; safe for concurrent
// use by the simulator's workers.
func (p *progress) update(strategy string, reached, total time.Duration) {
	if !p.bar.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reached[strategy] = reached
	var sum time.Duration
	for _, r := range p.reached {
		sum += r
	}
	p.bar.set(int64(sum/time.Millisecond), int64(p.total)*int64(p.n)/int64(time.Millisecond))
}

func (p *progress) finish() { p.bar.finish() }

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
