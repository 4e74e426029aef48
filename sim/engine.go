package sim

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"sync"
	"time"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/internal/seed"
	"github.com/portsim/portsim/strategies"
)

// Options tune a run without changing its results.
type Options struct {
	// Progress, when set, is called now and then with the simulated time
	// reached by one strategy's run and the scenario's duration. It may be
	// called from several goroutines.
	Progress func(strategy string, reached, total time.Duration)
	// Workers bounds how many strategies run at once; 0 means GOMAXPROCS.
	// Results do not depend on it.
	Workers int
	// KeepSamples is how many allocation attempts per strategy are kept in
	// StrategyResult.Samples (0 keeps none).
	KeepSamples int
	// Attempts, when set, is called once per strategy, with its index in
	// Scenario.Strategies, from the goroutine that runs it; the function
	// it returns, if not nil, is called there with every allocation
	// attempt as it is made, kept in Samples or not. An error from that
	// function ends the run, and Run returns it.
	Attempts func(strategy int) func(Alloc) error
}

// Run simulates sc once per strategy in sc.Strategies, on the same
// workload. When ctx is cancelled the runs stop where they are and the
// result is marked Partial.
func Run(ctx context.Context, sc Scenario, opts Options) (*Result, error) {
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	res := &Result{Schema: Schema, Scenario: sc.Resolved(), Results: make([]StrategyResult, len(sc.Strategies))}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	sem := make(chan struct{}, workers)
	errs := make([]error, len(sc.Strategies))
	partial := make([]bool, len(sc.Strategies))
	var wg sync.WaitGroup
	for i, spec := range sc.Strategies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			var attempt func(Alloc) error
			if opts.Attempts != nil {
				attempt = opts.Attempts(i)
			}
			r, stopped, err := runStrategy(ctx, &sc, spec, opts, attempt)
			res.Results[i], partial[i], errs[i] = r, stopped, err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("strategy %s: %w", sc.Strategies[i], err)
		}
		res.Partial = res.Partial || partial[i]
	}
	return res, nil
}

// host is what a spec puts on the simulated host (strategies.Resolve), and
// the scenario as that host sees it: a profile brings its own range,
// reserved ports and TIME_WAIT rules.
type host struct {
	*strategies.Host
	sc *Scenario
}

// newHost resolves spec on sc for host number n. Each kind's strategy is
// seeded by the scenario seed, the host's spec and the kind alone, so
// adding a strategy to a run leaves the others' draws unchanged; host 0 is
// seeded as the single host of a run without a gateway is, so one host
// behind a gateway picks the same ports as without it, and host n > 0 adds
// its number.
func newHost(sc *Scenario, spec string, n int) (host, error) {
	name := func(k allocator.Kind) string { return fmt.Sprint(spec, "/", k) }
	if n > 0 {
		name = func(k allocator.Kind) string { return fmt.Sprint(spec, "/host", n, "/", k) }
	}
	h, err := strategies.Resolve(spec, func(k allocator.Kind) uint64 {
		return seed.Named(sc.Seed, name(k))
	}, sc.TableConfig())
	if err != nil {
		return host{}, err
	}
	hsc := *sc
	c := &h.Config
	hsc.Range, hsc.Reserved, hsc.TimeWait, hsc.TWReuse, hsc.TWReuseDelay = c.Range, c.Reserved, c.TimeWait, c.TWReuse, c.TWReuseDelay
	return host{h, &hsc}, nil
}

// runStrategy is the discrete-event loop for one strategy. Each
// connection's close is handed to the table when it opens (CloseAt), and
// the table runs it when its clock passes; at equal times closes come
// first (in scheduling order), then the arrival, then the occupancy
// sample, so a sample sees everything that happened at its instant.
// attempt, if not nil, hears of every allocation attempt.
func runStrategy(ctx context.Context, sc *Scenario, spec string, opts Options, attempt func(Alloc) error) (StrategyResult, bool, error) {
	if sc.Gateway != "" {
		return runGateway(ctx, sc, spec, opts, attempt)
	}
	h, err := newHost(sc, spec, 0)
	if err != nil {
		return StrategyResult{}, false, err
	}
	tab, err := allocator.NewTable(h.sc.TableConfig())
	if err != nil {
		return StrategyResult{}, false, err
	}
	srcs := sc.Srcs
	dsts := newDstCache(sc)
	wl := newWorkload(sc) // the scenario's own: every spec sees the same arrivals
	col := newCollector(h.sc, spec, opts.KeepSamples)

	var (
		step    = sc.sampleStep()
		nextSmp = time.Duration(0)
		stopped bool
		started bool              // when stopped: whether any event was run
		req     allocator.Request // reused: Allocate completes it in place
		arr     arrival
		made    int // attempts, for attempt
		// The indices of req's addresses.
		reqSrc, reqDst = -1, -1
	)
	more := wl.next(&arr)
	for iter := 0; ; iter++ {
		if iter&0xfff == 0 {
			if ctx.Err() != nil {
				stopped, started = true, iter > 0
				break
			}
			if opts.Progress != nil {
				opts.Progress(spec, min(nextSmp, sc.Duration), sc.Duration)
			}
		}
		// Which comes first: the arrival or the sample? The table runs
		// the closes due before either.
		switch {
		case more && arr.at <= nextSmp:
			// Field by field: a composite literal is built on the stack
			// and copied, which stalls on store forwarding. The addresses
			// (which hold pointers, so each write checks for the garbage
			// collector) only when they change. Allocate sets the rest.
			req.Kind, req.Now = h.Serve(arr.kind), arr.at
			if arr.src != reqSrc || arr.dst != reqDst {
				req.Src, req.Dst, reqSrc, reqDst = srcs[arr.src], dsts.addr(sc, arr.dst), arr.src, arr.dst
			}
			a, err := tab.Allocate(&req, h.Strategies[req.Kind])
			col.met(arr.at, a.Occupied, a.Probes, err != nil)
			if err != nil {
				if !isAddrNotAvail(err) {
					return StrategyResult{}, false, err
				}
				col.failed(arr.at, arr.dst, arr.src, arr.kind, a.Probes)
			} else {
				// The collector learns of the close now, while the
				// 4-tuple's entry is in the cache: nothing reads it before
				// then, since the 4-tuple cannot be handed out again while
				// its socket is open. A close past the end never comes.
				closeAt := arr.at + arr.lifetime
				if closeAt >= sc.Duration {
					col.allocated(arr.at, arr.dst, arr.src, arr.kind, a.Conn.Port, a.Probes, a.TWReuse)
				} else {
					col.allocatedUntil(arr.at, arr.dst, arr.src, arr.kind, a.Conn.Port, a.Probes, a.TWReuse, closeAt)
					if err := tab.CloseAt(a.Conn, arr.close, closeAt); err != nil {
						return StrategyResult{}, false, err
					}
				}
			}
			if attempt != nil {
				made++
				port := a.Conn.Port
				if err != nil {
					port = 0
				}
				if err := attempt(Alloc{N: made, TimeSeconds: arr.at.Seconds(), Dst: arr.dst, Src: arr.src, Kind: arr.kind.String(), Port: port, Probes: a.Probes}); err != nil {
					return StrategyResult{}, false, err
				}
			}
			more = wl.next(&arr)
		case nextSmp < sc.Duration:
			tab.Advance(nextSmp)
			col.sample(nextSmp, tab.Stats())
			nextSmp += step
		default:
			// Past the end: arrivals are over and the last sample taken.
			return col.result(), false, nil
		}
	}
	return stoppedAt(col.result(), stopped, started, more, arr.at, sc.Duration), stopped, nil
}

// stoppedAt marks r partial when its run was stopped, with the simulated
// time it reached: the next arrival it did not make, every earlier one
// made (its closes and samples may lag it by a sample step), or 0 when it
// had not started.
func stoppedAt(r StrategyResult, stopped, started, more bool, next, end time.Duration) StrategyResult {
	switch {
	case !stopped:
		return r
	case !started:
		next = 0
	case !more:
		next = end
	}
	r.Partial, r.StoppedSeconds = true, next.Seconds()
	return r
}

// dstCache holds the addresses of the first destinations, the popular
// ones under Zipf too: Scenario.DstAddr's modulo and byte packing per
// connection were 3% of a load-tester run.
type dstCache []netip.AddrPort

const dstCacheSize = 1 << 12

func newDstCache(sc *Scenario) dstCache {
	c := make(dstCache, min(sc.Destinations, dstCacheSize))
	for i := range c {
		c[i] = sc.DstAddr(i)
	}
	return c
}

func (c dstCache) addr(sc *Scenario, i int) netip.AddrPort {
	if i < len(c) {
		return c[i]
	}
	return sc.DstAddr(i)
}

func isAddrNotAvail(err error) bool { return errors.Is(err, allocator.ErrAddrNotAvail) }
