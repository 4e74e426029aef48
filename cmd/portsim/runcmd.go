package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"

	"github.com/portsim/portsim/sim"
	"github.com/spf13/pflag"
)

// compareStrategies are compare's default: the three textbook strategies
// and the Linux model.
var compareStrategies = []string{"sequential", "random", "hashed", "linux"}

func init() {
	register(&command{
		name:    "run",
		summary: "simulate a scenario with one or more strategies",
		args:    "[--preset NAME | --scenario FILE] --strategy SPEC [--strategy SPEC…] [flags]",
		about: `Run simulates a workload — connections arriving, living, closing, their
4-tuples waiting out TIME_WAIT — on a host whose ports are chosen by each
--strategy in turn. Every strategy sees the same arrivals, destinations and
lifetimes (drawn from --seed alone), so differences come from the strategies.

The scenario starts from the defaults, or --preset NAME, then --scenario FILE,
then the flags below; a flag always wins. Output goes to stdout as an aligned
table, CSV or JSON (the JSON holds every resolved parameter, so the run can
be reproduced); --out DIR also writes results.json, the occupancy time series
and the first allocations as CSV. Every output path is checked before the
run; --out and --charts hold one run's output (what an earlier run wrote
there is replaced). Ctrl-C stops the run, writes the results so far, each
row marked with how far it got, and exits 130.

--profile NAME (repeatable, beside or instead of --strategy) simulates an OS
profile: its own strategy per request kind, port range, reserved ports,
TIME_WAIT and reuse rules, which replace the scenario's; in a scenario file
write it as profile:NAME in the strategy list. 'portsim strategies' lists the
profiles and their sources.

The JSON has "schema": "portsim.results/v1", "scenario" (every resolved
field) and "results", one object per strategy with allocations, failures,
probes_mean, probes_p99, collision_rate, reuse_min_seconds, tw_reuses,
entropy_same_dst_bits, entropy_cross_dst_bits and more. --pcap FILE.pcapng
writes every connection attempt as a capture — a synthetic SYN per TCP
connection, the first datagram per UDP flow, at the simulated times from
2026-01-01 00:00 UTC, a profile's in its system's SYN shape (TTL, DF,
window, TCP options) — that Wireshark opens and 'portsim analyze' reads
back.`,
		examples: `# a load tester to one server: when does linux run out of ports?
portsim run --preset load-tester --strategy linux --rate 520
# two strategies on your own workload
portsim run --rate 200 --lifetime exp:5s --destinations 3 --strategy linux --strategy random
# machine-readable, with time series for charts
portsim run --preset browser --strategy linux --format json --out results/`,
		setup: func(fs *pflag.FlagSet) action { return simSetup(fs, nil) },
	})
	register(&command{
		name:    "compare",
		summary: "run a scenario with several strategies side by side",
		args:    "[--preset NAME | --scenario FILE] [--strategy SPEC…] [flags]",
		about: `Compare is 'portsim run' with a default set of strategies — sequential,
random, hashed and linux, the textbook three and the Linux model — which
--strategy or --profile replace. Every strategy sees the same workload, and
the table shows them side by side; 'portsim run --help' says more.`,
		examples: `portsim compare --preset proxy-backend
portsim compare --preset dns-resolver --strategy linux-udp --strategy random`,
		setup: func(fs *pflag.FlagSet) action { return simSetup(fs, compareStrategies) },
	})
}

// simFlags are the output flags run and compare share.
type simFlags struct {
	format string
	out    string
	charts string
	pcap   string
	keep   int
}

func addOutputFlags(fs *pflag.FlagSet) *simFlags {
	o := &simFlags{}
	fs.StringVar(&o.format, "format", "table", "output `FORMAT`: table, csv or json")
	fs.StringVar(&o.out, "out", "", "also write results.json, timeseries.csv and allocations.csv into `DIR`")
	fs.StringVar(&o.charts, "charts", "", "also draw the charts as PNG into `DIR` (see 'portsim plot')")
	fs.StringVar(&o.pcap, "pcap", "", "also write each strategy's connection attempts as synthetic SYNs (UDP: first datagrams) to `FILE`.pcapng,\nfor Wireshark or 'portsim analyze'; with several strategies, one file each (FILE-STRATEGY.pcapng);\nbehind a --gateway, as a capture outside it sees them (public addresses and ports)")
	fs.IntVar(&o.keep, "keep-allocations", 100000, "allocations per strategy kept for allocations.csv and charts")
	return o
}

func (o *simFlags) check() error {
	if err := checkFormat(o.format); err != nil {
		return err
	}
	if o.keep < 0 || o.keep > 10_000_000 {
		return usagef("--keep-allocations: %d is out of range; want 0 to 10000000", o.keep)
	}
	return checkPcapPath(o.pcap)
}

// outputs are the paths a run with these strategies writes.
func (o *simFlags) outputs(strategies []string) []output {
	outs := []output{outDirs("out", o.out), outDirs("charts", o.charts)}
	if o.pcap != "" {
		for _, p := range pcapPaths(o.pcap, strategies) {
			outs = append(outs, outFile("pcap", p))
		}
	}
	return outs
}

func simSetup(fs *pflag.FlagSet, defaults []string) action {
	sf := addScenarioFlags(fs)
	of := addOutputFlags(fs)
	return func(e *env, args []string) error {
		if len(args) > 0 {
			return usagef("unexpected argument %q; scenario settings are flags (see --help)", args[0])
		}
		if err := of.check(); err != nil {
			return err
		}
		sc, err := sf.resolve()
		if err != nil {
			return err
		}
		if len(sc.Strategies) == 0 {
			if defaults == nil {
				return usagef("--strategy: none given; want at least one (see 'portsim strategies'), or use 'portsim compare'")
			}
			sc.Strategies = append([]string(nil), defaults...)
		}
		if err := validateScenario(&sc); err != nil {
			return withRunTime(err, sc)
		}
		if err := checkOutputs(of.outputs(sc.Strategies)...); err != nil {
			return err
		}
		if of.format == "table" {
			fmt.Fprintf(e.stdout, "Scenario: %s\n\n", describeScenario(&sc)) // as demo says it
		}
		opts := sim.Options{KeepSamples: of.keep}
		var caps *captureFiles
		if of.pcap != "" {
			if caps, err = createCaptures(of.pcap, &sc); err != nil {
				return fmt.Errorf("--pcap: %w", err)
			}
			defer caps.abort()
			opts.Attempts = caps.attempts
		}
		res, err := simulate(e, sc, opts)
		if err != nil {
			return err
		}
		if of.out != "" {
			files, err := writeOutDir(of.out, res)
			if err != nil {
				return fmt.Errorf("--out: %w", err)
			}
			for _, f := range files {
				fmt.Fprintf(e.stderr, "wrote %s\n", f)
			}
		}
		if caps != nil {
			paths, err := caps.commit()
			if err != nil {
				return fmt.Errorf("--pcap: %w", err)
			}
			for _, p := range paths {
				fmt.Fprintf(e.stderr, "wrote %s\n", p)
			}
		}
		if of.charts != "" {
			paths, err := saveCharts(of.charts, "png", charts([]*sim.Result{res}, nil))
			if err != nil {
				return fmt.Errorf("--charts: %w", err)
			}
			fmt.Fprintf(e.stderr, "wrote %d charts into %s\n", len(paths), of.charts)
		}
		if err := writeResult(e.stdout, res, of.format); err != nil {
			return err
		}
		return interrupted(res.Partial)
	}
}

// simulate runs sc with opts, a progress bar on a terminal and Ctrl-C
// stopping the run early with partial results.
func simulate(e *env, sc sim.Scenario, opts sim.Options) (*sim.Result, error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	announce(e.stderr, sc)
	bar := newProgress(e.stderr, sc)
	defer bar.finish()
	opts.Progress = bar.update
	res, err := sim.Run(ctx, sc, opts)
	if err != nil {
		return nil, err
	}
	if res.Partial {
		fmt.Fprintln(e.stderr, "stopped: writing the results so far; the results are partial")
	}
	return res, nil
}

// errInterrupted ends a command that Ctrl-C stopped after it wrote its
// partial results: exit status 130, as shells report SIGINT.
var errInterrupted = errors.New("interrupted: the results are partial")

// interrupted is errInterrupted when partial.
func interrupted(partial bool) error {
	if partial {
		return errInterrupted
	}
	return nil
}
