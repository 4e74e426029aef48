package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/portsim/portsim/attack"
	"github.com/portsim/portsim/internal/fielderr"
	"github.com/portsim/portsim/internal/format"
	"github.com/portsim/portsim/plots"
	"github.com/portsim/portsim/report"
	"github.com/spf13/pflag"
)

func init() {
	register(&command{
		name:    "attack",
		summary: "play an attacker against simulated hosts: track a device, count its connections, guess its next port",
		args:    "tracking|count|guess [--strategy SPEC | --profile NAME]... [flags]",
		about: `Attack plays an attacker and a victim inside the simulator — nothing touches a
network — against each --strategy and --profile (compared side by side), with
the victim's other traffic from a scenario going on meanwhile. The attacker
sees what it would see for real: the source ports of the connections it
makes the victim open to its own servers.

  tracking  the device-tracking attack of Kol, Klein and Gilad (USENIX
            Security 2023, CVE-2022-32296): a web page finds which loopback
            destinations share a counter of RFC 6056 Algorithm 4's table, a
            device ID that survives a change of network. Reports whether an
            ID was found, after how many connections and simulated seconds,
            whether a second visit, and a visit from another network, give
            the same ID, and whether another device's differs.
  count     RFC 6056 Algorithm 3's side channel: from two of the victim's
            ports, how many connections it made in between; the error
            beside that of guessing the average.
  guess     an off-path attacker that saw the previous port guesses the
            next one to a target: the chance within g guesses, and for a
            DNS answer, which must match the 16-bit transaction ID too,
            within g spoofed answers (the Kaminsky window).

The victim's traffic starts from the browser preset (or --preset, then
--scenario FILE, then the scenario flags, as 'portsim run' takes them);
the attack starts after its warm-up. Without --strategy or --profile,
tracking attacks the linux-5.12 and linux profiles, count linux-4,
linux-5.12, linux and macos, guess macos, windows, linux and freebsd.
--seeds N plays each attack N times, each against a new device; --seed
makes runs repeatable. --table-orders attacks Linux 5.12's algorithm with
bigger tables, to see how the tracking attack's cost grows (the paper's
extrapolation to 2^16).

The table is followed by a sentence per strategy, and for tracking by the
paper's figures. The JSON has "schema": "portsim.attack/v1", the attack,
its settings, the scenario, and "results", one object per strategy with
strategy, attack, success and the attack's own fields (tracking:
counters, found, connections, seconds, id_stable, id_moved, id_distinct;
count: estimate_error, baseline_error, estimates; guess: ports,
p_success and p_success_dns as [guesses, p] pairs, p_dns_window). --out
DIR writes it as attack.json, which 'portsim report' reads.`,
		examples: `# the paper's attack on Linux 5.12, and on Linux 6.x
portsim attack tracking
# how the cost grows with the table's size (add 14,16 for the kernel's 2^16: a minute or two)
portsim attack tracking --table-orders 8,10,12 --seeds 3
# which systems leak how many connections you make?
portsim attack count --profile linux-4 --profile linux --profile macos
# guessing a DNS resolver's next query port, with charts and a report
portsim attack guess --preset dns-resolver --guess-kind udp --profile linux --profile macos --out att/ --charts att/
portsim report att/ --out report.html`,
		setup: attackSetup,
	})
}

// attackDefaults are what each attack is played against when no strategy
// or profile is given: the systems its story is about.
var attackDefaults = map[string][]string{
	attack.Tracking: {"profile:linux-5.12", "profile:linux"},
	attack.Count:    {"profile:linux-4", "profile:linux-5.12", "profile:linux", "profile:macos"},
	attack.Guess:    {"profile:macos", "profile:windows", "profile:linux", "profile:freebsd"},
}

// settingMetavar names an attack setting's value in the flag list.
func settingMetavar(name string) string {
	switch name {
	case "rtt", "revisit", "interval", "gap":
		return "DURATION"
	case "budget":
		return "N|auto"
	case "guess-kind":
		return "KIND|auto"
	case "seen":
		return "own|target"
	}
	return "N"
}

func attackSetup(fs *pflag.FlagSet) action {
	sf := addScenarioFlags(fs)
	sf.preset = "browser" // a web page's victim; --preset replaces it
	fs.Lookup("preset").DefValue = sf.preset
	settings := attack.Settings()
	for _, s := range settings {
		fs.String(s.Name, "", fmt.Sprintf("%s (default %s; %s)", s.Help, s.Default(), strings.Join(s.Attacks, ", ")))
		fs.SetAnnotation(s.Name, metavar, []string{settingMetavar(s.Name)})
	}
	as := fs.String("format", "table", "output `FORMAT`: table, csv or json")
	out := fs.String("out", "", "also write attack.json into `DIR`, which 'portsim report' reads")
	chartDir := fs.String("charts", "", "also draw the charts as PNG into `DIR`")
	orders := fs.String("table-orders", "", "tracking: attack Linux 5.12's algorithm with 2^K counters for each K in a `LIST` such as 8,10,12,\nbeside any --strategy and --profile")
	return func(e *env, args []string) error {
		if len(args) != 1 || !slices.Contains(attack.Names(), args[0]) {
			return usagef("want one attack, %s; got %q", strings.Join(attack.Names(), ", "), strings.Join(args, " "))
		}
		name := args[0]
		if err := checkFormat(*as); err != nil {
			return err
		}
		if err := checkOutputs(outDirs("out", *out), outDirs("charts", *chartDir)); err != nil {
			return err
		}
		c := attack.DefaultConfig()
		for _, s := range settings {
			if !fs.Changed(s.Name) {
				continue
			}
			if !slices.Contains(s.Attacks, name) {
				return usagef("--%s is for %s, not %s", s.Name, strings.Join(s.Attacks, " and "), name)
			}
			if err := c.Set(s.Name, fs.Lookup(s.Name).Value.String()); err != nil {
				return attackUsage(err)
			}
		}
		sc, err := sf.resolve()
		if err != nil {
			return err
		}
		if len(sf.strategy) == 0 && len(sf.profile) == 0 && sf.file == "" {
			sc.Strategies = nil // a preset's list is run's default, not a choice of victims
		}
		if *orders != "" {
			if name != attack.Tracking {
				return usagef("--table-orders is for tracking, not %s", name)
			}
			ks, err := parseOrders(*orders)
			if err != nil {
				return err
			}
			sc.Strategies = append(sc.Strategies, attack.TrackingSpecs(ks)...)
		}
		if len(sc.Strategies) == 0 {
			sc.Strategies = slices.Clone(attackDefaults[name])
		}
		if err := validateScenario(&sc); err != nil {
			return err
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		res, err := attack.Run(ctx, name, sc, c)
		if err != nil {
			return attackUsage(err)
		}
		if *out != "" {
			od, err := newRunDir(*out)
			if err == nil {
				err = od.put("attack.json", func(w io.Writer) error { return writeAttack(w, res, "json") })
			}
			if err != nil {
				return fmt.Errorf("--out: %w", err)
			}
			fmt.Fprintf(e.stderr, "wrote %s\n", strings.Join(od.paths, ", "))
		}
		if *chartDir != "" {
			paths, err := saveCharts(*chartDir, "png", attackCharts(res))
			if err != nil {
				return fmt.Errorf("--charts: %w", err)
			}
			fmt.Fprintf(e.stderr, "wrote %d charts into %s\n", len(paths), *chartDir)
		}
		return writeAttack(e.stdout, res, *as)
	}
}

// attackUsage makes an fielderr.Error a usage error naming its flag (or
// the attack argument); others pass.
func attackUsage(err error) error {
	var fe *fielderr.Error
	switch {
	case !errors.As(err, &fe):
		return err
	case fe.Field == "attack":
		return usagef("%v", fe.Err)
	}
	return flagError(fe.Field, fe.Err)
}

// parseOrders reads --table-orders: table orders 0 to 20 (Linux's
// table-order parameter), comma-separated.
func parseOrders(s string) ([]int, error) {
	var ks []int
	for _, f := range strings.Split(s, ",") {
		k, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || k < 0 || k > 20 {
			return nil, usagef("--table-orders: %q is not a table order; want whole numbers 0 to 20 such as 8,10,12", strings.TrimSpace(f))
		}
		ks = append(ks, k)
	}
	return ks, nil
}

// attackColumn is one figure per strategy, as the table, CSV and report
// show it.
type attackColumn struct {
	name, head string // CSV and JSON-like name; table heading
	get        func(r *attack.StrategyResult) string
}

func pct(p *float64) string {
	if p == nil {
		return "-"
	}
	return format.PercentNumber(*p, 1)
}

func num(p *float64, prec int) string {
	if p == nil {
		return "-"
	}
	return strconv.FormatFloat(*p, 'f', prec, 64)
}

// curveAt is a success curve's p at g, "-" when it has no such point.
func curveAt(curve [][2]float64, g float64) *float64 {
	for _, pt := range curve {
		if pt[0] == g {
			return &pt[1]
		}
	}
	return nil
}

var strategyColumn = attackColumn{"strategy", "STRATEGY", func(r *attack.StrategyResult) string { return r.Strategy }}

var attackColumns = map[string][]attackColumn{
	attack.Tracking: {
		strategyColumn,
		{"counters", "COUNTERS", func(r *attack.StrategyResult) string { return strconv.Itoa(r.Counters) }},
		{"success", "SUCCESS%", func(r *attack.StrategyResult) string { return pct(r.Success) }},
		{"found", "FOUND%", func(r *attack.StrategyResult) string { return pct(r.Found) }},
		{"id_stable", "STABLE%", func(r *attack.StrategyResult) string { return pct(r.IDStable) }},
		{"id_moved", "MOVED%", func(r *attack.StrategyResult) string { return pct(r.IDMoved) }},
		{"id_distinct", "DISTINCT%", func(r *attack.StrategyResult) string { return pct(r.IDDistinct) }},
		{"connections", "CONNECTIONS", func(r *attack.StrategyResult) string {
			if r.Connections == nil {
				return "-"
			}
			return strconv.Itoa(*r.Connections)
		}},
		{"seconds", "SECONDS", func(r *attack.StrategyResult) string { return num(r.Seconds, 1) }},
	},
	attack.Count: {
		strategyColumn,
		{"success", "EXACT%", func(r *attack.StrategyResult) string { return pct(r.Success) }},
		{"estimate_error", "ERROR", func(r *attack.StrategyResult) string { return num(r.EstimateError, 2) }},
		{"baseline_error", "GUESSING", func(r *attack.StrategyResult) string { return num(r.BaselineError, 2) }},
	},
	attack.Guess: {
		strategyColumn,
		{"ports", "PORTS", func(r *attack.StrategyResult) string { return strconv.Itoa(r.Ports) }},
		{"success", "P(1)%", func(r *attack.StrategyResult) string { return pct(r.Success) }},
		{"p_16", "P(16)%", func(r *attack.StrategyResult) string { return pct(curveAt(r.PSuccess, 16)) }},
		{"p_256", "P(256)%", func(r *attack.StrategyResult) string { return pct(curveAt(r.PSuccess, 256)) }},
		{"p_dns_window", "DNS-RACE%", func(r *attack.StrategyResult) string {
			if r.PWindow == nil {
				return "-"
			}
			return format.PercentNumber(*r.PWindow, 4)
		}},
	},
}

// attackLegend explains the table's columns.
var attackLegend = map[string]string{
	attack.Tracking: `SUCCESS%: plays whose ID was the same on a second visit and differed from another device's.
FOUND%: first visits that found an ID within the budget. STABLE%, MOVED%: the second visit, and one
from another network, found the same ID. DISTINCT%: another device's ID differed. CONNECTIONS,
SECONDS: median victim connections and simulated seconds to the ID.`,
	attack.Count: `EXACT%: estimates of the connections in between that were right. ERROR: their mean absolute
error; GUESSING: that of guessing the victim's average instead.`,
	attack.Guess: `P(g)%: the chance that the next port is among the attacker's first g guesses (blind: g / PORTS).
DNS-RACE%: the chance that one race of --window spoofed DNS answers matches port and transaction ID.`,
}

// writeAttack prints res as the format named as: table, csv or json.
func writeAttack(w io.Writer, res *attack.Result, as string) error {
	cols := attackColumns[res.Attack]
	switch as {
	case "json":
		return writeJSON(w, res)
	case "csv":
		cw := csv.NewWriter(w)
		head := make([]string, len(cols))
		for i, c := range cols {
			head[i] = c.name
		}
		cw.Write(head)
		for _, row := range attackRows(res, cols) {
			cw.Write(row)
		}
		cw.Flush()
		return cw.Error()
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	for _, row := range append([][]string{heads(cols)}, attackRows(res, cols)...) {
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%s\n\nFindings:\n", attackLegend[res.Attack])
	for _, f := range attackFindings(res) {
		fmt.Fprintf(w, "  - %s\n", f)
	}
	return nil
}

func heads(cols []attackColumn) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.head
	}
	return out
}

func attackRows(res *attack.Result, cols []attackColumn) [][]string {
	rows := make([][]string, len(res.Results))
	for i := range res.Results {
		for _, c := range cols {
			rows[i] = append(rows[i], c.get(&res.Results[i]))
		}
	}
	return rows
}

// attackFindings are the attack's sentences, and for tracking the
// paper's figures beside them.
func attackFindings(res *attack.Result) []string {
	fs := attack.Findings(res)
	if res.Attack == attack.Tracking {
		fs = append(fs, fmt.Sprintf("The paper: about %d connections per counter, %s for 2^8 and %s for 2^16; %s in Chrome (%s).",
			attack.PaperConnectionsPerCounter, thousandsOf(attack.PaperConnections(1<<8)), thousandsOf(attack.PaperConnections(1<<16)),
			attack.PaperSeconds, attack.PaperSource))
	}
	return fs
}

func thousandsOf(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// attackTitles head each attack's part of the report.
var attackTitles = map[string]string{
	attack.Tracking: "Tracking a device across visits and networks",
	attack.Count:    "Counting the connections in between",
	attack.Guess:    "Guessing the next port",
}

// reportAttack is res as the report shows it: findings, the table and
// the charts as SVG.
func reportAttack(res *attack.Result) (report.Attack, error) {
	cols := attackColumns[res.Attack]
	a := report.Attack{Name: res.Attack, Title: attackTitles[res.Attack], Findings: attackFindings(res), Rows: attackRows(res, cols)}
	for _, c := range cols {
		a.Columns = append(a.Columns, strings.ToLower(strings.TrimSuffix(c.head, "%")))
	}
	for _, c := range attackCharts(res) {
		f, err := svgFigure(c)
		if err != nil {
			return a, err
		}
		a.Figures = append(a.Figures, f)
	}
	return a, nil
}

// curve is a list of points as a plots.AttackSeries; ref marks a
// published figure.
type curve struct {
	name string
	pts  [][2]float64
	ref  bool
}

func (c curve) Name() string                { return c.name }
func (c curve) Len() int                    { return len(c.pts) }
func (c curve) XY(i int) (float64, float64) { return c.pts[i][0], c.pts[i][1] }
func (c curve) Reference() bool             { return c.ref }

// attackCharts are res's charts: for tracking the cost against the
// table's size beside the paper's; for count the estimates; for guess
// the success curves, of the port and of a DNS answer.
func attackCharts(res *attack.Result) []*plots.Chart {
	var series []plots.AttackSeries
	switch res.Attack {
	case attack.Tracking:
		var pts [][2]float64
		lo, hi := 1<<8, 1<<16
		for _, r := range res.Results {
			if r.Connections != nil {
				pts = append(pts, [2]float64{float64(r.Counters), float64(*r.Connections)})
				lo, hi = min(lo, r.Counters), max(hi, r.Counters)
			}
		}
		sort.Slice(pts, func(i, j int) bool { return pts[i][0] < pts[j][0] })
		paper := func(n int) [2]float64 { return [2]float64{float64(n), float64(attack.PaperConnections(n))} }
		return []*plots.Chart{plots.AttackTracking([]plots.AttackSeries{
			curve{name: "this run (median)", pts: pts},
			curve{name: fmt.Sprintf("paper: %d × counters", attack.PaperConnectionsPerCounter), pts: [][2]float64{paper(lo), paper(hi)}, ref: true},
		})}
	case attack.Count:
		for _, r := range res.Results {
			series = append(series, curve{name: r.Strategy, pts: r.Estimates})
		}
		return []*plots.Chart{plots.AttackCount(series)}
	case attack.Guess:
		var dns []plots.AttackSeries
		ports := 0
		for _, r := range res.Results {
			series = append(series, curve{name: r.Strategy, pts: r.PSuccess})
			dns = append(dns, curve{name: r.Strategy, pts: r.PSuccessDNS})
			ports = max(ports, r.Ports)
		}
		window := 0
		for _, f := range res.Settings {
			if f.Name == "window" {
				window, _ = strconv.Atoi(f.Value)
			}
		}
		return []*plots.Chart{plots.AttackGuess(series, ports), plots.AttackGuessDNS(dns, ports, window)}
	}
	return nil
}
