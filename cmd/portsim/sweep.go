package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/internal/format"
	"github.com/portsim/portsim/sim"
	"github.com/spf13/pflag"
)

func init() {
	register(&command{
		name:    "sweep",
		summary: "run a scenario over a grid of values, on every core or across machines",
		args:    "--vary FIELD=VALUES [--vary …] | --vary-file FILE [--kinds K1,K2] [--strategy SPEC…] [--jobs N] [--shard I/N] [flags]",
		about: `Sweep runs a scenario at every point of a grid — the cartesian product of
each --vary's values (rate, destinations, time-wait, gateway, any scenario
flag), or the points listed in --vary-file — with each strategy, and prints
one row per point, kind and strategy: the varied fields, allocations,
failures, failure rate, probes, and the range / TIME_WAIT limit (the
connection rate one destination can sustain when every closed 4-tuple
waits out TIME_WAIT). --kinds repeats the sweep for each request kind, to
compare connect() with bind() before connect().

A --vary is FIELD=START:STOP:STEP (numbers or durations, STOP included),
FIELD=V1,V2,... or, for values that hold commas, FIELD=V1;V2;...
(dst-port=80,443;8080); at most 1000 values each and 100000 points in all,
the first --vary changing slowest. --vary-file reads the points from CSV (a
header of field names, then a point a row) or YAML (a list of mappings,
- {rate: 100, destinations: 4}); with --vary too, each of its points is
crossed with their values.

Runs go to --jobs workers at once (by default one per core this process
may use). Each run's result depends on its point alone — every point runs
with the scenario's seed, unless the grid varies seed — so the output is
the same for any --jobs, and rows print in order as they finish. Before it
starts, sweep prints on stderr the runs, the arrivals they simulate and how
long that should take at the speed measured on a short piece of the first
run, and refuses a sweep of more than --max-arrivals arrivals in all,
saying how long it would take. A terminal shows a progress bar.

Across machines, --shard I/N runs the I-th of N slices of the runs (I,
I+N, I+2N, ...) and writes its part into --out as sweep-part-I-of-N.json;
'portsim merge' joins the parts into what the whole sweep gives. --shards N
takes I from the environment: JOB_COMPLETION_INDEX in a Kubernetes Indexed
Job (give --shards the Job's completions), or SLURM_ARRAY_TASK_ID in a
Slurm job array (counted from SLURM_ARRAY_TASK_MIN; give --shards
"$SLURM_ARRAY_TASK_COUNT"). A shard's rows are the whole sweep's rows for
its runs, whatever N. The repository's deploy/kubernetes and deploy/slurm
hold a Job and an array script.

The strategies default to linux. --out DIR writes the rows to sweep.json
("schema": "portsim.sweep/v1"), from which 'portsim plot' and 'portsim
report' draw the capacity chart: with more than one field varied, a family
of curves, one per value of the others.`,
		examples: `# when does one destination run out of ports?
portsim sweep --preset load-tester --warmup 0s --duration 120s --vary rate=100:1000:100
# bind() before connect() shares one pool across destinations
portsim sweep --destinations 30 --lifetime fixed:50ms --vary rate=200:1200:200 --kinds connect,bind
# a grid: rate × destinations × TIME_WAIT on two cores
portsim sweep --preset load-tester --warmup 0s --vary rate=200:1000:200 --vary destinations=1,4 --vary time-wait=30s,60s --jobs 2
# the third of five slices, then the five parts joined
portsim sweep --preset load-tester --warmup 0s --vary rate=200:1000:200 --vary destinations=1,4 --shard 2/5 --out parts/
portsim merge parts/ --out sweep/`,
		setup: func(fs *pflag.FlagSet) action {
			sf := addScenarioFlags(fs)
			vary := fs.StringArray("vary", nil, "a field to vary and its values, repeatable: `FIELD=START:STOP:STEP`, FIELD=V1,V2,... or FIELD=V1;V2;...")
			varyFile := fs.String("vary-file", "", "read the points to run from `FILE`: CSV (a header of fields, a point a row) or YAML (a list of field: value mappings)")
			kinds := fs.StringSlice("kinds", nil, "repeat the sweep for each request `KIND` (connect, bind, udp)")
			as := fs.String("format", "table", "output `FORMAT`: table, csv or json")
			out := fs.String("out", "", "also write sweep.json (with --shard, the part) into `DIR`")
			jobs := fs.Int("jobs", 0, "run `N` runs at once (default: one per core)")
			shard := fs.String("shard", "", "run only slice `I/N` of the runs (I from 0) and write its part into --out")
			shards := fs.Int("shards", 0, "cut the runs into `N` slices and run the one the environment names (JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID)")
			maxArrivals := fs.Float64("max-arrivals", 1e10, "refuse a sweep of more `ARRIVALS` in all (0: no limit)")
			return func(e *env, args []string) error {
				if len(args) > 0 {
					return usagef("unexpected argument %q; sweep takes only flags", args[0])
				}
				if err := checkFormat(*as); err != nil {
					return err
				}
				if *jobs < 0 {
					return usagef("--jobs: %d is negative; want 1 or more, or 0 for one per core", *jobs)
				}
				if *maxArrivals < 0 || math.IsNaN(*maxArrivals) {
					return usagef("--max-arrivals: %g; want a number ≥ 0 (0: no limit)", *maxArrivals)
				}
				g, err := sweepGrid(*vary, *varyFile)
				if err != nil {
					return err
				}
				if fs.Changed("kinds") && len(*kinds) == 0 {
					return usagef("--kinds: \"\" names no kind; want connect, bind or udp, comma-separated, or leave --kinds out")
				}
				for _, k := range *kinds {
					if _, err := allocator.ParseKind(k); err != nil {
						return flagError("kinds", err)
					}
				}
				sc, err := sf.resolve()
				if err != nil {
					return err
				}
				if len(sc.Strategies) == 0 {
					sc.Strategies = []string{"linux"}
				}
				sw := &sim.Sweep{Base: sc, Grid: g, Kinds: *kinds}
				if err := sw.Check(); err != nil {
					return flagError("vary", err)
				}
				sh, err := shardOf(*shard, *shards, os.Getenv)
				if err != nil {
					return err
				}
				if sh != (sim.Shard{}) && *out == "" {
					return usagef("--out: none given; a shard writes its part there, for 'portsim merge' (a directory every shard and the merge can reach)")
				}
				var od *outDir
				if *out != "" {
					if od, err = newOutDir(*out); err != nil {
						return usagef("--out %s: %v", *out, err)
					}
				}

				ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
				defer stop()
				est, err := estimate(ctx, sw, sh, *jobs)
				if err != nil {
					return err
				}
				if *maxArrivals > 0 && est.arrivals > *maxArrivals {
					return usagef("--max-arrivals: %s: over the limit of %.3g. To go ahead, raise it (--max-arrivals %.2g, or 0 for no limit), "+
						"narrow the grid or shorten the runs, or spread the runs over machines with --shard I/N",
						strings.TrimPrefix(est.String(), "sweep: "), *maxArrivals, ceil2(est.arrivals))
				}
				fmt.Fprintln(e.stderr, est)

				w, err := newSweepWriter(e.stdout, *as, sw)
				if err != nil {
					return err
				}
				bar := newSweepBar(e.stderr)
				progress := func(done, total float64) { bar.set(int64(done), int64(total)) }
				res, err := sw.Run(ctx, sim.SweepOptions{Jobs: *jobs, Shard: sh, Row: w.row, Progress: progress})
				bar.finish()
				if err != nil {
					return err
				}
				if res.Partial {
					fmt.Fprintf(e.stderr, "stopped: %d of %d runs finished; the rows printed are theirs (partial)\n", len(res.Rows), est.runs)
				}
				if od != nil {
					name, doc := "sweep.json", any(res)
					if sh != (sim.Shard{}) {
						name, doc = sim.PartFile(sh), sw.Part(res, sh)
					}
					if err := od.put(name, func(w io.Writer) error { return writeJSON(w, doc) }); err != nil {
						return fmt.Errorf("--out: %w", err)
					}
					fmt.Fprintf(e.stderr, "wrote %s\n", filepath.Join(*out, name))
				}
				if err := w.end(res); err != nil {
					return err
				}
				return interrupted(res.Partial)
			}
		},
	})
}

func checkFormat(as string) error {
	switch as {
	case "table", "csv", "json":
		return nil
	}
	return usagef("--format: %q is not a format; want table, csv or json", as)
}

// sweepGrid is the points file's grid crossed with each --vary's values.
func sweepGrid(vary []string, file string) (sim.Grid, error) {
	var grids []sim.Grid
	if file != "" {
		g, err := sim.LoadPoints(file)
		if err != nil {
			return sim.Grid{}, flagError("vary-file", err)
		}
		grids = append(grids, g)
	}
	for _, v := range vary {
		g, err := sim.ParseVary(v)
		if err != nil {
			return sim.Grid{}, flagError("vary", err)
		}
		grids = append(grids, g)
	}
	if len(grids) == 0 {
		return sim.Grid{}, usagef("--vary: none given; want FIELD=START:STOP:STEP, e.g. rate=100:1000:100, or --vary-file FILE")
	}
	g, err := sim.Product(grids...)
	if err != nil {
		return sim.Grid{}, flagError("vary", err)
	}
	return g, nil
}

// shardOf is the slice of the runs this process runs: --shard I/N, or
// with --shards N the index a Kubernetes Indexed Job or a Slurm job array
// gives it; the zero Shard (all of them) when neither flag is given.
func shardOf(spec string, count int, getenv func(string) string) (sim.Shard, error) {
	switch {
	case spec != "" && count != 0:
		return sim.Shard{}, usagef("--shard and --shards: give one (--shard I/N, or --shards N with the index from the environment)")
	case spec != "":
		sh, err := sim.ParseShard(spec)
		if err != nil {
			return sim.Shard{}, flagError("shard", err)
		}
		return sh, nil
	case count == 0:
		return sim.Shard{}, nil
	case count < 0 || count > sim.MaxShards:
		return sim.Shard{}, usagef("--shards: %d; want 1 to %d", count, sim.MaxShards)
	}
	envInt := func(name string) (int, bool, error) {
		v := getenv(name)
		if v == "" {
			return 0, false, nil
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return 0, true, usagef("--shards: %s=%q is not a whole number", name, v)
		}
		return n, true, nil
	}
	var index int
	if i, ok, err := envInt("JOB_COMPLETION_INDEX"); err != nil {
		return sim.Shard{}, err
	} else if ok {
		index = i
	} else if id, ok, err := envInt("SLURM_ARRAY_TASK_ID"); err != nil {
		return sim.Shard{}, err
	} else if ok {
		if index, err = slurmIndex(id, count, envInt); err != nil {
			return sim.Shard{}, err
		}
	} else {
		return sim.Shard{}, usagef("--shards: no shard index in the environment; want JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) " +
			"or SLURM_ARRAY_TASK_ID (a Slurm job array), or give it with --shard I/N")
	}
	sh := sim.Shard{Index: index, Count: count}
	if index < 0 || index >= count {
		return sim.Shard{}, usagef("--shards: the environment's index %d is not below %d shards; want as many completions or array tasks as --shards", index, count)
	}
	return sh, nil
}

// slurmIndex counts a Slurm array task from 0: arrays may start at 1
// (--array=1-5) or step (--array=0-8:2), so the index is (ID - MIN) / STEP,
// and the tasks must be as many as the shards.
func slurmIndex(id, count int, envInt func(string) (int, bool, error)) (int, error) {
	lo, _, err := envInt("SLURM_ARRAY_TASK_MIN")
	if err != nil {
		return 0, err
	}
	step, ok, err := envInt("SLURM_ARRAY_TASK_STEP")
	if err != nil {
		return 0, err
	}
	if !ok || step < 1 {
		step = 1
	}
	if n, ok, err := envInt("SLURM_ARRAY_TASK_COUNT"); err != nil {
		return 0, err
	} else if ok && n != count {
		return 0, usagef("--shards: %d, but the Slurm array has %d tasks (SLURM_ARRAY_TASK_COUNT); want --shards \"$SLURM_ARRAY_TASK_COUNT\"", count, n)
	}
	if hi, ok, err := envInt("SLURM_ARRAY_TASK_MAX"); err != nil {
		return 0, err
	} else if ok && hi != lo+(count-1)*step {
		return 0, usagef("--shards: the Slurm array's task IDs run from %d to %d, not %d evenly spaced ones; want --array=0-%d", lo, hi, count, count-1)
	}
	if (id-lo)%step != 0 {
		return 0, usagef("--shards: SLURM_ARRAY_TASK_ID %d is not SLURM_ARRAY_TASK_MIN %d plus a multiple of the step %d", id, lo, step)
	}
	return (id - lo) / step, nil
}

// sweepEstimate is what a sweep is about to do, and how long it should
// take.
type sweepEstimate struct {
	shard    sim.Shard
	runs     int // this shard's
	all      int // the whole sweep's
	arrivals float64
	speed    float64 // arrivals per second of one job; 0 when not measured
	jobs     int
}

// estimate counts the shard's runs and arrivals and times a short piece
// of its first run.
func estimate(ctx context.Context, sw *sim.Sweep, sh sim.Shard, jobs int) (*sweepEstimate, error) {
	each, err := sw.Arrivals(sh)
	if err != nil {
		return nil, flagError("vary", err)
	}
	est := &sweepEstimate{shard: sh, runs: len(each), all: sw.Runs(), jobs: jobs}
	for _, a := range each {
		est.arrivals += a
	}
	if est.jobs <= 0 {
		est.jobs = runtime.GOMAXPROCS(0)
	}
	est.jobs = max(min(est.jobs, est.runs), 1)
	if est.runs > 0 {
		est.speed, _ = sw.MeasureSpeed(ctx, sh) // without it, no time is given
	}
	return est, nil
}

func (est *sweepEstimate) String() string {
	var b strings.Builder
	b.WriteString("sweep: ")
	if est.shard != (sim.Shard{}) {
		fmt.Fprintf(&b, "shard %s, %d of %d runs", est.shard, est.runs, est.all)
	} else {
		b.WriteString(format.Plural(est.runs, "run"))
	}
	fmt.Fprintf(&b, ", %.3g arrivals in all", est.arrivals)
	if est.speed > 0 {
		wall := time.Duration(est.arrivals / (est.speed * float64(est.jobs)) * float64(time.Second))
		fmt.Fprintf(&b, "; about %s on %s at %.2g arrivals/s each (measured on a short piece of the first run)",
			roughDuration(wall), format.Plural(est.jobs, "job"), est.speed)
	}
	return b.String()
}

// roughDuration is d to two significant units: "3h10m", "42s", "0.3s".
func roughDuration(d time.Duration) string {
	switch {
	case d >= 100*time.Hour:
		return fmt.Sprintf("%.0f days", d.Hours()/24)
	case d >= time.Hour:
		return format.Duration(d.Round(time.Minute))
	case d >= time.Minute:
		return format.Duration(d.Round(time.Second))
	case d >= 10*time.Second:
		return format.Duration(d.Round(time.Second))
	}
	return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
}

// ceil2 rounds x > 0 up to two significant digits, for a limit to suggest.
func ceil2(x float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(x))-1)
	return math.Ceil(x/p) * p
}
