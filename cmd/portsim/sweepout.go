package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/portsim/portsim/internal/format"
	"github.com/portsim/portsim/sim"
	"github.com/schollz/progressbar/v3"
)

// sweepColumn is one figure of a sweep row: its table heading and width,
// its CSV name, and how each shows it (a gateway figure of a row without
// one shows "-" and nothing).
type sweepColumn struct {
	head, name string
	width      int
	table, csv func(r *sim.SweepRow) string
}

// sweepWriter prints a sweep's rows as they come: the table with column
// widths fixed before the first row, from what the sweep's definition
// says of its values, so a sweep, its shards and their merge print the
// same bytes; CSV a line a row; JSON the whole result at the end.
type sweepWriter struct {
	w    io.Writer
	as   string
	cols []sweepColumn
	cw   *csv.Writer
}

func newSweepWriter(w io.Writer, as string, sw *sim.Sweep) (*sweepWriter, error) {
	o := &sweepWriter{w: w, as: as, cols: sweepColumns(sw)}
	switch as {
	case "json":
		return o, nil
	case "csv":
		o.cw = csv.NewWriter(w)
		head := make([]string, len(o.cols))
		for i, c := range o.cols {
			head[i] = c.name
		}
		o.cw.Write(head)
		o.cw.Flush()
		return o, o.cw.Error()
	}
	head := make([]string, len(o.cols))
	for i, c := range o.cols {
		head[i] = c.head
	}
	return o, o.line(head)
}

// line prints cells right-aligned in their columns, two spaces apart.
func (o *sweepWriter) line(cells []string) error {
	var b strings.Builder
	for i, c := range cells {
		b.WriteString(strings.Repeat(" ", max(o.cols[i].width-len([]rune(c)), 0)+2))
		b.WriteString(c)
	}
	b.WriteByte('\n')
	_, err := io.WriteString(o.w, b.String())
	return err
}

// row prints one row as soon as the sweep hands it over.
func (o *sweepWriter) row(r sim.SweepRow) error {
	cells := make([]string, len(o.cols))
	for i, c := range o.cols {
		if o.as == "csv" {
			cells[i] = c.csv(&r)
		} else {
			cells[i] = c.table(&r)
		}
	}
	switch o.as {
	case "json":
		return nil
	case "csv":
		o.cw.Write(cells)
		o.cw.Flush()
		return o.cw.Error()
	}
	return o.line(cells)
}

// end finishes the output: the JSON document, or the table's notes.
func (o *sweepWriter) end(sw *sim.SweepResult) error {
	switch o.as {
	case "json":
		return writeJSON(o.w, sw)
	case "csv":
		return nil
	}
	if sw.Partial {
		fmt.Fprintln(o.w, "PARTIAL RESULTS: the sweep was stopped early; the rows above are the runs that finished.")
	}
	fmt.Fprintln(o.w, "\nLIMIT/s: usable ports / TIME_WAIT, the rate one destination (or, for bind, the whole host) can sustain.")
	var names []string
	for _, r := range sw.Rows {
		if g := r.Gateway; g != nil && !slices.Contains(names, g.FailureName) {
			names = append(names, g.FailureName)
		}
	}
	if len(names) > 0 {
		fmt.Fprintf(o.w, "GW-: the gateway's flows given a public port / refused (%s); INS-FAIL: lost conntrack's confirm race;\nBUSIEST: the most connections one public address held to one destination.\n", strings.Join(names, ", "))
	}
	return nil
}

// sweepColumns are the columns of sw's rows: every field varied, the kind
// and the strategy, the figures, and the gateway's when a run may have
// one. Widths come from the values each field takes, the kinds and
// strategies, and the most arrivals a run expects (with a margin).
func sweepColumns(sw *sim.Sweep) []sweepColumn {
	canon := func(field, v string) string {
		sc := sw.Base
		if sc.Set(field, v) != nil {
			return v
		}
		return sc.Get(field)
	}
	var cols []sweepColumn
	for j, f := range sw.Grid.Fields {
		width := len(f)
		seen := map[string]bool{}
		for _, p := range sw.Grid.Points {
			if !seen[p[j]] {
				seen[p[j]] = true
				width = max(width, len([]rune(canon(f, p[j]))))
			}
		}
		value := func(r *sim.SweepRow) string { return r.Values()[j] }
		cols = append(cols, sweepColumn{f, f, width, value, value})
	}
	kinds := sw.Kinds
	if len(kinds) == 0 {
		kinds = []string{sw.Base.Get("kind")}
	}
	if j := slices.Index(sw.Grid.Fields, "kind"); j >= 0 {
		kinds = nil
		for _, p := range sw.Grid.Points {
			kinds = append(kinds, p[j])
		}
	}
	kindW := len("KIND")
	for _, k := range kinds {
		kindW = max(kindW, len(canon("kind", k)))
	}
	stratW := len("STRATEGY")
	for _, s := range sw.Base.Strategies {
		stratW = max(stratW, len([]rune(s)))
	}
	most := 0.0
	if each, err := sw.Arrivals(sim.Shard{}); err == nil {
		for _, a := range each {
			most = max(most, a)
		}
	}
	countW := len(strconv.FormatFloat(math.Ceil(most*1.1+10), 'f', 0, 64))

	count := func(get func(r *sim.SweepRow) int) func(r *sim.SweepRow) string {
		return func(r *sim.SweepRow) string { return strconv.Itoa(get(r)) }
	}
	cols = append(cols,
		sweepColumn{"KIND", "kind", kindW, func(r *sim.SweepRow) string { return r.Kind }, func(r *sim.SweepRow) string { return r.Kind }},
		sweepColumn{"STRATEGY", "strategy", stratW, func(r *sim.SweepRow) string { return r.Strategy }, func(r *sim.SweepRow) string { return r.Strategy }},
		sweepColumn{"ALLOCS", "allocations", max(6, countW), count(func(r *sim.SweepRow) int { return r.Allocations }), count(func(r *sim.SweepRow) int { return r.Allocations })},
		sweepColumn{"FAILS", "failures", max(5, countW), count(func(r *sim.SweepRow) int { return r.Failures }), count(func(r *sim.SweepRow) int { return r.Failures })},
		sweepColumn{"FAIL%", "failure_rate", 6, func(r *sim.SweepRow) string { return format.PercentNumber(r.FailureRate, 2) },
			func(r *sim.SweepRow) string { return fullFloat(r.FailureRate) }},
		sweepColumn{"PROBES", "probes_mean", 8, func(r *sim.SweepRow) string { return ffmt(r.ProbesMean, 2) },
			func(r *sim.SweepRow) string { return fullFloat(r.ProbesMean) }},
		sweepColumn{"LIMIT/s", "limit_rate", 7, func(r *sim.SweepRow) string { return ffmt(r.LimitRate, 0) },
			func(r *sim.SweepRow) string { return fullFloat(r.LimitRate) }},
	)
	if sw.Base.Gateway == "" && !slices.Contains(sw.Grid.Fields, "gateway") {
		return cols
	}
	gw := func(width int, head, name string, table, csv func(g *sim.SweepGateway) string) sweepColumn {
		return sweepColumn{head, name, max(width, len(head)),
			func(r *sim.SweepRow) string {
				if r.Gateway == nil {
					return "-"
				}
				return table(r.Gateway)
			},
			func(r *sim.SweepRow) string {
				if r.Gateway == nil {
					return ""
				}
				return csv(r.Gateway)
			}}
	}
	itoa := func(get func(g *sim.SweepGateway) int) func(g *sim.SweepGateway) string {
		return func(g *sim.SweepGateway) string { return strconv.Itoa(get(g)) }
	}
	return append(cols,
		gw(countW, "GW-ALLOCS", "gateway_allocations", itoa(func(g *sim.SweepGateway) int { return g.Allocations }), itoa(func(g *sim.SweepGateway) int { return g.Allocations })),
		gw(countW, "GW-FAILS", "gateway_failures", itoa(func(g *sim.SweepGateway) int { return g.Failures }), itoa(func(g *sim.SweepGateway) int { return g.Failures })),
		gw(6, "GW-FAIL%", "gateway_failure_rate", func(g *sim.SweepGateway) string { return format.PercentNumber(g.FailureRate, 2) },
			func(g *sim.SweepGateway) string { return fullFloat(g.FailureRate) }),
		gw(countW, "INS-FAIL", "gateway_insert_failed", itoa(func(g *sim.SweepGateway) int { return g.InsertFailed }), itoa(func(g *sim.SweepGateway) int { return g.InsertFailed })),
		gw(countW, "BUSIEST", "gateway_busiest_max", itoa(func(g *sim.SweepGateway) int { return g.BusiestMax }), itoa(func(g *sim.SweepGateway) int { return g.BusiestMax })),
	)
}

// fullFloat is a number for CSV as JSON carries it: every digit, in the
// unit its name says.
func fullFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// newSweepBar shows, on a terminal only, how many of the sweep's arrivals
// have been simulated and how long the rest should take.
func newSweepBar(w io.Writer) *termBar {
	return newTermBar(w,
		progressbar.OptionSetDescription("sweeping"),
		progressbar.OptionSetItsString("arrivals"),
		progressbar.OptionSetPredictTime(true),
	)
}
