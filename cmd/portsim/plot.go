package main

import (
	"fmt"

	"github.com/spf13/pflag"
)

func init() {
	register(&command{
		name:    "plot",
		summary: "draw the charts of saved results",
		args:    "RESULTS_DIR_OR_JSON... --out DIR [--format png|svg|pdf]",
		about: `Plot reads results written by 'portsim run --out DIR' (a directory with
results.json and allocations.csv), 'portsim sweep --out DIR' (sweep.json) or
'portsim attack --out DIR' (attack.json), or such JSON files directly, and
writes the charts into --out: port signature, collisions against occupancy,
probes per allocation, reuse interval, occupancy over time, port usage and
predictability for a run, the capacity curve for a sweep, and an attack's
charts.

'portsim run --charts DIR' draws a run's charts directly; 'portsim demo'
writes its charts and report.html into its --out.`,
		examples: `portsim run --preset browser --strategy linux --strategy sequential --out res/
portsim plot res/ --out charts/ --format svg`,
		setup: func(fs *pflag.FlagSet) action {
			out := fs.String("out", "", "write the charts into `DIR` (required)")
			format := fs.String("format", "png", "chart `FORMAT`: png, svg or pdf")
			return func(e *env, args []string) error {
				if *out == "" {
					return usagef("--out: none given; want the directory to write charts into")
				}
				if err := checkChartFormat(*format); err != nil {
					return err
				}
				if err := checkOutputs(outDirs("out", *out)); err != nil {
					return err
				}
				if len(args) == 0 {
					return usagef("no results given; want a directory written by 'portsim run --out' or a JSON file")
				}
				in, err := loadInputs(args)
				if err != nil {
					return err
				}
				cs := charts(in.results, in.sweeps)
				for _, res := range in.attacks {
					cs = append(cs, attackCharts(res)...)
				}
				paths, err := saveCharts(*out, *format, cs)
				for _, p := range paths {
					fmt.Fprintln(e.stdout, p)
				}
				return err
			}
		},
	})
	register(&command{
		name:    "report",
		summary: "write a self-contained HTML report that explains the charts",
		args:    "RESULTS_DIR_OR_JSON... [--out report.html]",
		about: `Report reads results as 'portsim plot' does and writes one self-contained HTML
file: a short answer to "why did my browser use source port 62412?" (ranges
by OS and how each strategy picks), every chart embedded as SVG with plain
sentences on what it shows and how to read it, the resolved scenario, and
the results table; attack results (from 'portsim attack --out') add a
section on what an attacker learns from the ports. It fetches nothing from
the network.`,
		examples: `portsim run --preset load-tester --strategy linux --strategy random --out res/
portsim report res/ --out report.html`,
		setup: func(fs *pflag.FlagSet) action {
			out := fs.String("out", "report.html", "write the report to `FILE`")
			return func(e *env, args []string) error {
				if len(args) == 0 {
					return usagef("no results given; want a directory written by 'portsim run --out' or a JSON file")
				}
				if err := checkOutputs(outFile("out", *out)); err != nil {
					return err
				}
				in, err := loadInputs(args)
				if err != nil {
					return err
				}
				if err := writeReport(*out, in); err != nil {
					return err
				}
				fmt.Fprintln(e.stdout, *out)
				return nil
			}
		},
	})
}

func checkChartFormat(f string) error {
	switch f {
	case "png", "svg", "pdf":
		return nil
	}
	return usagef("--format: %q is not a chart format; want png, svg or pdf", f)
}
