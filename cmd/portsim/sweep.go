package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/internal/format"
	"github.com/portsim/portsim/sim"
	"github.com/spf13/pflag"
)

func init() {
	register(&command{
		name:    "sweep",
		summary: "run a scenario over a range of one parameter",
		args:    "--vary FIELD=START:STOP:STEP [--kinds K1,K2] [--strategy SPEC…] [scenario flags]",
		about: `Sweep runs a scenario once for each value of one field — rate, destinations,
time-wait, any scenario flag — with each strategy, and prints one row per
value, kind and strategy: allocations, failures, failure rate, probes, and
the range / TIME_WAIT limit (the connection rate one destination can sustain
when every closed 4-tuple waits out TIME_WAIT). --kinds repeats the sweep for
each request kind, to compare connect() with bind() before connect().

The strategies default to linux. --out DIR writes the rows to sweep.json
("schema": "portsim.sweep/v1"), from which 'portsim plot' and 'portsim
report' draw the capacity chart.`,
		examples: `# when does one destination run out of ports?
portsim sweep --preset load-tester --warmup 0s --duration 120s --vary rate=100:1000:100
# bind() before connect() shares one pool across destinations
portsim sweep --destinations 30 --lifetime fixed:50ms --vary rate=200:1200:200 --kinds connect,bind`,
		setup: func(fs *pflag.FlagSet) action {
			sf := addScenarioFlags(fs)
			vary := fs.String("vary", "", "the field to vary and its values: `FIELD=START:STOP:STEP` or FIELD=V1,V2,...")
			kinds := fs.StringSlice("kinds", nil, "repeat the sweep for each request `KIND` (connect, bind, udp)")
			as := fs.String("format", "table", "output `FORMAT`: table, csv or json")
			out := fs.String("out", "", "also write sweep.json into `DIR`")
			return func(e *env, args []string) error {
				if len(args) > 0 {
					return usagef("unexpected argument %q; sweep takes only flags", args[0])
				}
				switch *as {
				case "table", "csv", "json":
				default:
					return usagef("--format: %q is not a format; want table, csv or json", *as)
				}
				if *vary == "" {
					return usagef("--vary: none given; want FIELD=START:STOP:STEP, e.g. rate=100:1000:100")
				}
				field, values, err := sim.ParseVary(*vary)
				if err != nil {
					return flagError("vary", err)
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
				if err := sim.CheckSweep(sc, field, values, *kinds); err != nil {
					return flagError("vary", err)
				}
				ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
				defer stop()
				sw, err := sim.Sweep(ctx, sc, field, values, *kinds, sim.Options{})
				if err != nil {
					return err
				}
				if sw.Partial {
					fmt.Fprintln(e.stderr, "stopped: printing the rows so far (partial)")
				}
				if *out != "" {
					od, err := newOutDir(*out)
					if err == nil {
						err = od.put("sweep.json", func(w io.Writer) error { return writeJSON(w, sw) })
					}
					if err != nil {
						return fmt.Errorf("--out: %w", err)
					}
					fmt.Fprintf(e.stderr, "wrote %s\n", od.paths[0])
				}
				return writeSweep(e.stdout, sw, *as)
			}
		},
	})
}

// writeSweep prints sw on w as the format named as: table, csv or json.
func writeSweep(w io.Writer, sw *sim.SweepResult, as string) error {
	if as == "json" {
		return writeJSON(w, sw)
	}
	gw := len(sw.Rows) > 0 && sw.Rows[0].Gateway != nil
	head := []string{sw.Param, "kind", "strategy", "allocations", "failures", "failure_rate", "probes_mean", "limit_rate"}
	if gw {
		head = append(head, "gateway_allocations", "gateway_failures", "gateway_failure_rate", "gateway_insert_failed", "gateway_busiest_max")
	}
	row := func(r sim.SweepRow) []string {
		out := []string{r.Value, r.Kind, r.Strategy, strconv.Itoa(r.Allocations), strconv.Itoa(r.Failures),
			ffmt(r.FailureRate, 4), ffmt(r.ProbesMean, 2), ffmt(r.LimitRate, 1)}
		if g := r.Gateway; g != nil {
			out = append(out, strconv.Itoa(g.Allocations), strconv.Itoa(g.Failures), ffmt(g.FailureRate, 4),
				strconv.Itoa(g.InsertFailed), strconv.Itoa(g.BusiestMax))
		}
		return out
	}
	if as == "csv" {
		cw := csv.NewWriter(w)
		cw.Write(head)
		for _, r := range sw.Rows {
			cw.Write(row(r))
		}
		cw.Flush()
		return cw.Error()
	}
	if sw.Partial {
		fmt.Fprintln(w, "PARTIAL RESULTS: the sweep was stopped early.")
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\tKIND\tSTRATEGY\tALLOCS\tFAILS\tFAIL%%\tPROBES\tLIMIT/s\t", sw.Param)
	if gw {
		fmt.Fprint(tw, "GW-ALLOCS\tGW-FAILS\tGW-FAIL%\tINS-FAIL\tBUSIEST\t")
	}
	fmt.Fprintln(tw)
	for _, r := range sw.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\t", r.Value, r.Kind, r.Strategy, r.Allocations, r.Failures,
			format.PercentNumber(r.FailureRate, 2), ffmt(r.ProbesMean, 2), ffmt(r.LimitRate, 0))
		if g := r.Gateway; g != nil {
			fmt.Fprintf(tw, "%d\t%d\t%s\t%d\t%d\t", g.Allocations, g.Failures, format.PercentNumber(g.FailureRate, 2), g.InsertFailed, g.BusiestMax)
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nLIMIT/s: usable ports / TIME_WAIT, the rate one destination (or, for bind, the whole host) can sustain.")
	if gw {
		var names []string
		for _, r := range sw.Rows {
			if g := r.Gateway; g != nil && !slices.Contains(names, g.FailureName) {
				names = append(names, g.FailureName)
			}
		}
		fmt.Fprintf(w, "GW-: the gateway's flows given a public port / refused (%s); INS-FAIL: lost conntrack's confirm race;\nBUSIEST: the most connections one public address held to one destination.\n", strings.Join(names, ", "))
	}
	return nil
}
