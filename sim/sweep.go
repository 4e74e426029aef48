package sim

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// A Sweep is a scenario run at every point of a grid — with each request
// kind in Kinds, when given — and with each of Base's strategies: one run
// per point, kind and strategy, numbered in that order (the point changing
// slowest). Every run's scenario is Base with its point and kind set; its
// seed is Base's, or the point's when the grid varies the seed, so a
// run's result depends on its point alone, never on which runs share the
// sweep, the jobs that run them or the shard they fall in.
type Sweep struct {
	Base  Scenario
	Grid  Grid
	Kinds []string
}

// SweepOptions tune how a sweep runs; only Shard changes what it returns.
type SweepOptions struct {
	// Jobs bounds how many runs execute at once; 0 means GOMAXPROCS.
	Jobs int
	// Shard picks the runs to execute; the zero Shard runs them all.
	Shard Shard
	// Row, when set, is called with each row in run order as soon as its
	// run and every one before it have finished, from one goroutine at a
	// time. An error from it stops the sweep, and Run returns it.
	Row func(SweepRow) error
	// Progress, when set, is called now and then with the arrivals
	// simulated so far (as each run's simulated time has got) and the
	// arrivals expected in all; calls do not overlap.
	Progress func(done, total float64)
}

// Runs is the number of runs: points × kinds × strategies.
func (s *Sweep) Runs() int {
	return len(s.Grid.Points) * max(len(s.Kinds), 1) * len(s.Base.Strategies)
}

// Check checks every run's scenario before any runs, so that a bad value
// fails at once rather than after minutes of simulation. An error names
// the point and the field.
func (s *Sweep) Check() error {
	g := s.Grid
	if len(g.Fields) == 0 {
		return fmt.Errorf("no field varied; want --vary FIELD=... or --vary-file FILE")
	}
	if err := pointFields(g.Fields); err != nil {
		return err
	}
	if len(s.Kinds) > 0 && slices.Contains(g.Fields, "kind") {
		return fmt.Errorf("kind: varied by the grid and by kinds; want one of them")
	}
	if len(g.Points) == 0 || len(g.Points) > MaxSweepPoints {
		return fmt.Errorf("%d points; want 1 to %d", len(g.Points), MaxSweepPoints)
	}
	if len(s.Base.Strategies) == 0 {
		return fmt.Errorf("strategy: none given; want at least one")
	}
	if perPoint := max(len(s.Kinds), 1) * len(s.Base.Strategies); len(g.Points) > MaxSweepRuns/perPoint {
		return fmt.Errorf("%d points × %d kinds and strategies is over %d runs; want a smaller grid", len(g.Points), perPoint, MaxSweepRuns)
	}
	for i, p := range g.Points {
		if len(p) != len(g.Fields) {
			return fmt.Errorf("point %d has %d values; want one for each of %s", i+1, len(p), strings.Join(g.Fields, ", "))
		}
		for k := range max(len(s.Kinds), 1) {
			if _, err := s.point(i, k); err != nil {
				return err
			}
		}
	}
	return nil
}

// point is Base at point i with kind k set, validated.
func (s *Sweep) point(i, k int) (Scenario, error) {
	sc := s.Base
	if len(s.Kinds) > 0 {
		if err := sc.Set("kind", s.Kinds[k]); err != nil {
			return sc, err
		}
	}
	p := s.Grid.Points[i]
	for j, f := range s.Grid.Fields {
		if err := sc.Set(f, p[j]); err != nil {
			return sc, err // it names the field and the value
		}
	}
	if err := sc.Validate(); err != nil {
		return sc, fmt.Errorf("%s: %w", s.describe(i), err)
	}
	return sc, nil
}

// describe names point i as field=value pairs.
func (s *Sweep) describe(i int) string {
	parts := make([]string, len(s.Grid.Fields))
	for j, f := range s.Grid.Fields {
		parts[j] = f + "=" + s.Grid.Points[i][j]
	}
	return strings.Join(parts, ", ")
}

// run is the scenario of run r: its point's, with its kind and its one
// strategy.
func (s *Sweep) run(r int) (Scenario, error) {
	ns, nk := len(s.Base.Strategies), max(len(s.Kinds), 1)
	sc, err := s.point(r/(nk*ns), r/ns%nk)
	if err != nil {
		return sc, err
	}
	sc.Strategies = []string{s.Base.Strategies[r%ns]}
	return sc, nil
}

// arrivals is the arrivals expected in each of the shard's runs: rate ×
// duration × the share of time arrivals are on.
func (s *Sweep) arrivals(sh Shard) (runs []int, each []float64, err error) {
	ns := len(s.Base.Strategies)
	last, a := -1, 0.0
	for r := range s.Runs() {
		if !sh.has(r) {
			continue
		}
		if r/ns != last { // strategies share their point's workload
			sc, err := s.run(r)
			if err != nil {
				return nil, nil, err
			}
			last, a = r/ns, sc.ExpectedArrivals()
		}
		runs = append(runs, r)
		each = append(each, a)
	}
	return runs, each, nil
}

// Arrivals are the arrivals each of the shard's runs is expected to
// simulate, in run order.
func (s *Sweep) Arrivals(sh Shard) ([]float64, error) {
	if err := sh.check(); err != nil {
		return nil, err
	}
	_, each, err := s.arrivals(sh)
	return each, err
}

// MeasureSpeed times the start of the shard's first run, as
// MeasureScenarioSpeed does a scenario, and returns the arrivals one job
// simulates per second of wall time.
func (s *Sweep) MeasureSpeed(ctx context.Context, sh Shard) (float64, error) {
	if sh.Index >= s.Runs() {
		return 0, fmt.Errorf("shard %s has no runs", sh)
	}
	sc, err := s.run(sh.Index)
	if err != nil {
		return 0, err
	}
	return MeasureScenarioSpeed(ctx, sc)
}

// Run checks the sweep and executes the runs of opts.Shard on opts.Jobs
// workers, returning their rows in run order. When ctx is cancelled the
// runs stop where they are; the result then holds the rows of the runs
// that finished before the first that did not, and is marked Partial.
func (s *Sweep) Run(ctx context.Context, opts SweepOptions) (*SweepResult, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	if err := opts.Shard.check(); err != nil {
		return nil, err
	}
	runs, weights, err := s.arrivals(opts.Shard)
	if err != nil {
		return nil, err
	}
	out := &SweepResult{Schema: SweepSchema, Param: s.Grid.Fields[0], More: s.Grid.Fields[1:], Scenario: s.Base.Resolved()}
	if len(out.More) == 0 {
		out.More = nil
	}
	jobs := opts.Jobs
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	jobs = min(jobs, len(runs))

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	prog := newSweepProgress(weights, opts.Progress)
	type done struct {
		i       int // index in runs
		row     SweepRow
		partial bool
		err     error
	}
	results := make(chan done)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(runs) || ctx.Err() != nil {
					return
				}
				row, partial, err := s.execute(ctx, runs[i], func(reached, total time.Duration) { prog.update(i, reached, total) })
				results <- done{i, row, partial, err}
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()

	pending := map[int]done{}
	emitted, failed := 0, -1
	for d := range results {
		if d.err != nil && (failed < 0 || d.i < failed) {
			failed, err = d.i, d.err
			cancel()
		}
		pending[d.i] = d
		for failed < 0 {
			d, ok := pending[emitted]
			if !ok || d.partial {
				break
			}
			delete(pending, emitted)
			out.Rows = append(out.Rows, d.row)
			emitted++
			if opts.Row != nil {
				if err = opts.Row(d.row); err != nil {
					failed = emitted - 1
					cancel()
				}
			}
		}
	}
	if failed >= 0 {
		return nil, err
	}
	out.Partial = emitted < len(runs)
	return out, nil
}

// execute simulates run r and makes its row.
func (s *Sweep) execute(ctx context.Context, r int, progress func(reached, total time.Duration)) (SweepRow, bool, error) {
	sc, err := s.run(r)
	if err != nil {
		return SweepRow{}, false, err
	}
	res, err := Run(ctx, sc, Options{Workers: 1, Progress: func(_ string, reached, total time.Duration) { progress(reached, total) }})
	if err != nil {
		ns := len(s.Base.Strategies)
		return SweepRow{}, false, fmt.Errorf("%s: strategy %s: %w", s.describe(r/(ns*max(len(s.Kinds), 1))), sc.Strategies[0], err)
	}
	progress(sc.Duration, sc.Duration)
	return s.row(&sc, &res.Results[0]), res.Partial, nil
}

// row is a run's outcome as a sweep row.
func (s *Sweep) row(sc *Scenario, r *StrategyResult) SweepRow {
	fields := s.Grid.Fields
	row := SweepRow{
		Value: sc.Get(fields[0]), X: sweepX(sc.Get(fields[0])), Kind: sc.Get("kind"), Strategy: r.Strategy,
		Allocations: r.Allocations, Failures: r.Failures, FailureRate: r.FailureRate,
		ProbesMean: r.ProbesMean, LimitRate: r.Host.LimitRate(),
	}
	for _, f := range fields[1:] {
		row.More = append(row.More, sc.Get(f))
	}
	if g := r.Gateway; g != nil {
		row.Gateway = &SweepGateway{Policy: g.Policy, PublicIPs: g.PublicIPs, Allocations: g.Allocations, Failures: g.Failures,
			FailureName: g.FailureName, FailureRate: g.FailureRate, InsertFailed: g.InsertFailed, Conflicts: g.Conflicts,
			BusiestMax: g.BusiestMax, Limit: g.Limit, Seconds: (sc.Duration - sc.Warmup).Seconds(), OfferedRate: sc.offeredRate(),
			ClosingSeconds: g.ClosingSeconds, Ports: g.Range.Size()}
	}
	return row
}

// sweepProgress adds up how far each run has got, in arrivals.
type sweepProgress struct {
	mu           sync.Mutex
	weights, got []float64
	done, total  float64
	report       func(done, total float64)
}

func newSweepProgress(weights []float64, report func(done, total float64)) *sweepProgress {
	p := &sweepProgress{weights: weights, got: make([]float64, len(weights)), report: report}
	for _, w := range weights {
		p.total += w
	}
	return p
}

// update records that run i has reached its simulated time reached of
// total.
func (p *sweepProgress) update(i int, reached, total time.Duration) {
	if p.report == nil || total <= 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.weights[i] * min(float64(reached)/float64(total), 1)
	p.done += now - p.got[i]
	p.got[i] = now
	p.report(p.done, p.total)
}

// offeredRate is the new connections per second the arrivals bring on
// average: the rate, times the share of time an on/off process is on.
func (sc *Scenario) offeredRate() float64 {
	r := sc.Arrivals.Rate
	if a := sc.Arrivals; a.Process == OnOff {
		r *= a.On.Seconds() / (a.On + a.Off).Seconds()
	}
	return r
}
