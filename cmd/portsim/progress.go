package main

import (
	"io"
	"os"
	"sync"
	"time"

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
		p.bar = progressbar.NewOptions64(int64(p.total)*int64(p.n)/int64(time.Millisecond),
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription("simulating"),
			progressbar.OptionShowElapsedTimeOnFinish(),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionThrottle(100*time.Millisecond),
		)
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
