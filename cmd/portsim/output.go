package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/portsim/portsim/internal/format"
	"github.com/portsim/portsim/sim"
)

// unit is how a column's number is written. Machine formats (CSV, JSON)
// carry plain numbers in the unit the name says; only the table shows a
// percentage or a unit.
type unit int

const (
	count     unit = iota // a whole number
	fraction              // 0 to 1; a percentage in the table
	inSeconds             // seconds; with an "s" in the table
	number                // any other number (bits, probes, a p-value)
)

// field is one figure of a result row: its JSON name, its table heading,
// its unit and digits in the table, and its value. has says whether the
// row has data for it (nil: always); where not, the CSV cell is empty,
// JSON null and the table shows "-".
type field struct {
	name, head string
	unit       unit
	digits     int
	text       func(r *sim.StrategyResult) string
	value      func(r *sim.StrategyResult) float64
}

// table is f's cell in the human table.
func (f field) table(r *sim.StrategyResult) string {
	if f.text != nil {
		return f.text(r)
	}
	if !r.Has(f.name) {
		return "-"
	}
	v := f.value(r)
	switch f.unit {
	case count:
		return strconv.Itoa(int(v))
	case fraction:
		return format.PercentNumber(v, f.digits)
	case inSeconds:
		return ffmt(v, f.digits) + "s"
	}
	return ffmt(v, f.digits)
}

// csv is f's cell in CSV: the number in its own unit, empty for none.
func (f field) csv(r *sim.StrategyResult) string {
	if f.text != nil {
		return f.text(r)
	}
	if !r.Has(f.name) {
		return ""
	}
	v := f.value(r)
	if f.unit == count {
		return strconv.Itoa(int(v))
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// resultFields are the per-strategy figures of the table and the CSV, in
// the words and units of the JSON fields.
var resultFields = []field{
	{name: "strategy", head: "STRATEGY", text: func(r *sim.StrategyResult) string { return r.Strategy }},
	{"allocations", "ALLOCS", count, 0, nil, func(r *sim.StrategyResult) float64 { return float64(r.Allocations) }},
	{"failures", "FAILS", count, 0, nil, func(r *sim.StrategyResult) float64 { return float64(r.Failures) }},
	{"failure_rate", "FAIL%", fraction, 2, nil, func(r *sim.StrategyResult) float64 { return r.FailureRate }},
	{"probes_mean", "PROBES", number, 2, nil, func(r *sim.StrategyResult) float64 { return r.ProbesMean }},
	{"probes_p99", "P99", count, 0, nil, func(r *sim.StrategyResult) float64 { return float64(r.ProbesP99) }},
	{"probes_max", "MAX", count, 0, nil, func(r *sim.StrategyResult) float64 { return float64(r.ProbesMax) }},
	{"collision_rate", "COLL%", fraction, 2, nil, func(r *sim.StrategyResult) float64 { return r.CollisionRate }},
	{"reuse_min_seconds", "REUSE-MIN", inSeconds, 1, nil, func(r *sim.StrategyResult) float64 { return r.ReuseMinSeconds }},
	{"reuse_p50_seconds", "REUSE-P50", inSeconds, 1, nil, func(r *sim.StrategyResult) float64 { return r.ReuseP50Seconds }},
	{"tw_reuses", "TW-REUSE", count, 0, nil, func(r *sim.StrategyResult) float64 { return float64(r.TWReuses) }},
	{"entropy_same_dst_bits", "BITS-SAME", number, 1, nil, func(r *sim.StrategyResult) float64 { return r.EntropySameDst }},
	{"entropy_cross_dst_bits", "BITS-CROSS", number, 1, nil, func(r *sim.StrategyResult) float64 { return r.EntropyCrossDst }},
	{"guess_same_dst", "GUESS-SAME", fraction, 2, nil, func(r *sim.StrategyResult) float64 { return r.GuessSameDst }},
	{"uniformity_p", "UNIF-P", number, 3, nil, func(r *sim.StrategyResult) float64 { return r.UniformityP }},
}

// gatewayFields follow resultFields when the hosts sat behind a gateway;
// show says whether a column belongs (nil: always).
var gatewayFields = []struct {
	name, head string
	unit       unit
	digits     int
	value      func(g *sim.GatewayResult) float64
	show       func(g *sim.GatewayResult) bool
}{
	{"gateway_allocations", "GW-ALLOCS", count, 0, func(g *sim.GatewayResult) float64 { return float64(g.Allocations) }, nil},
	{"gateway_failures", "GW-FAILS", count, 0, func(g *sim.GatewayResult) float64 { return float64(g.Failures) }, nil},
	{"gateway_failure_rate", "GW-FAIL%", fraction, 2, func(g *sim.GatewayResult) float64 { return g.FailureRate }, nil},
	{"gateway_insert_failed", "INS-FAIL", count, 0, func(g *sim.GatewayResult) float64 { return float64(g.InsertFailed) }, nil},
	{"gateway_conflicts", "CONFLICT", count, 0, func(g *sim.GatewayResult) float64 { return float64(g.Conflicts) },
		func(g *sim.GatewayResult) bool { return g.ConflictName != "" }},
	{"gateway_busiest_max", "BUSIEST", count, 0, func(g *sim.GatewayResult) float64 { return float64(g.BusiestMax) }, nil},
	{"gateway_busiest_share", "BUSY%", fraction, 1, func(g *sim.GatewayResult) float64 { return g.BusiestShare }, nil},
	{"gateway_ports_in_use_max", "PORTS/IP", count, 0, func(g *sim.GatewayResult) float64 { return float64(maxInt(g.PortsInUseMax)) }, nil},
	{"gateway_host_flows_max", "HOST-MAX", count, 0, func(g *sim.GatewayResult) float64 { return float64(g.HostFlowsMax) }, nil},
	{"gateway_log_records", "LOGS", count, 0, func(g *sim.GatewayResult) float64 { return float64(g.LogRecords) }, nil},
	{"gateway_entropy_same_dst_bits", "PUB-BITS", number, 1, func(g *sim.GatewayResult) float64 { return g.EntropySameDst }, nil},
}

func maxInt(v []int) int {
	m := 0
	for _, n := range v {
		m = max(m, n)
	}
	return m
}

// fieldsOf are res's fields: resultFields, a status when the run was
// stopped, and gatewayFields when the run had a gateway.
func fieldsOf(res *sim.Result) []field {
	fs := append([]field(nil), resultFields...)
	if res.Partial {
		// Strategies run side by side and stop where they are: each row
		// says how far it got, so no one compares a cut row as whole.
		fs = append(fs, field{name: "status", head: "STATUS", text: status})
	}
	if len(res.Results) == 0 || res.Results[0].Gateway == nil {
		return fs
	}
	for _, g := range gatewayFields {
		if g.show != nil && !g.show(res.Results[0].Gateway) {
			continue
		}
		value := g.value
		fs = append(fs, field{g.name, g.head, g.unit, g.digits, nil, func(r *sim.StrategyResult) float64 { return value(r.Gateway) }})
	}
	return fs
}

// status is how much of the run a row covers: "complete", "partial to
// 12.5s" (every arrival before that simulated time) or "not run".
func status(r *sim.StrategyResult) string {
	switch {
	case !r.Partial:
		return "complete"
	case r.StoppedSeconds == 0:
		return "not run"
	}
	return "partial to " + secs(r.StoppedSeconds)
}

func ffmt(x float64, prec int) string { return strconv.FormatFloat(x, 'f', prec, 64) }

func secs(s float64) string {
	if s < 0 {
		return "-"
	}
	return strconv.FormatFloat(s, 'f', 1, 64) + "s"
}

// writeResult prints res on w as the format named as: table, csv or json.
func writeResult(w io.Writer, res *sim.Result, as string) error {
	switch as {
	case "json":
		return writeJSON(w, res)
	case "csv":
		cols := fieldsOf(res)
		cw := csv.NewWriter(w)
		head := make([]string, len(cols))
		for i, c := range cols {
			head[i] = c.name
		}
		cw.Write(head)
		for i := range res.Results {
			row := make([]string, len(cols))
			for j, c := range cols {
				row[j] = c.csv(&res.Results[i])
			}
			cw.Write(row)
		}
		cw.Flush()
		return cw.Error()
	default:
		return writeTable(w, res)
	}
}

func writeTable(w io.Writer, res *sim.Result) error {
	if res.Partial {
		fmt.Fprintln(w, "PARTIAL RESULTS: the run was stopped before the end of the scenario; STATUS says how far each strategy got.")
	}
	cols := fieldsOf(res)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	for i, c := range cols {
		if i > 0 {
			fmt.Fprint(tw, "\t")
		}
		fmt.Fprint(tw, c.head)
	}
	fmt.Fprintln(tw, "\t")
	for i := range res.Results {
		for j, c := range cols {
			if j > 0 {
				fmt.Fprint(tw, "\t")
			}
			fmt.Fprint(tw, c.table(&res.Results[i]))
		}
		fmt.Fprintln(tw, "\t")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, `
ALLOCS/FAILS: ports handed out / EADDRNOTAVAIL.  PROBES: candidates asked per allocation (mean, p99, max).
COLL%: allocations whose first candidate was busy.  REUSE: time from a 4-tuple's close to its next use.
TW-REUSE: 4-tuples taken from TIME_WAIT.  BITS: entropy of the next port given the previous one,
to the same destination and to another; GUESS-SAME: how often the best single guess is right.
UNIF-P: chi-square p-value of port usage against uniform.`)
	if len(res.Results) > 0 && res.Results[0].Gateway != nil {
		writeGatewayLegend(w, res.Results[0].Gateway)
	}
	return nil
}

// writeGatewayLegend explains the gateway columns in the product's words.
func writeGatewayLegend(w io.Writer, g *sim.GatewayResult) {
	limit := "no limit but its ports"
	if g.Limit > 0 {
		limit = fmt.Sprintf("a limit of %d", g.Limit)
	}
	text := fmt.Sprintf("Gateway %s, %s behind %s; the columns before GW-ALLOCS pool every host's ports. "+
		"GW-ALLOCS/GW-FAILS: flows given a public port / refused (%s). "+
		"INS-FAIL: flows that lost conntrack's confirm race (insert_failed). ",
		g.Policy, format.Plural(g.Hosts, "host"), format.Plural(g.PublicIPs, "public address"), g.FailureName)
	if g.ConflictName != "" {
		text += fmt.Sprintf("CONFLICT: flows whose endpoint-independent mapping was taken to their destination (%s). ", g.ConflictName)
	}
	text += fmt.Sprintf("BUSIEST, BUSY%%: the most connections one public address held to one destination, against %s. "+
		"PORTS/IP: most public ports in use on one address. HOST-MAX: most flows one host had at the gateway. "+
		"LOGS: log records the gateway needed (%d if it logged every mapping). "+
		"PUB-BITS: entropy of the next public port to the same destination, as a server outside sees it.", limit, g.LogRecordsPerMapping)
	fmt.Fprintln(w, wrapText(text, 100))
}

// wrapText breaks text into lines of at most width columns, between words.
func wrapText(text string, width int) string {
	var b strings.Builder
	n := 0
	for i, word := range strings.Fields(text) {
		if i > 0 && n+1+len(word) > width {
			b.WriteByte('\n')
			n = 0
		} else if i > 0 {
			b.WriteByte(' ')
			n++
		}
		b.WriteString(word)
		n += len(word)
	}
	return b.String()
}

// writeOutDir writes results.json, timeseries.csv and allocations.csv into
// dir. Each file is written to a temporary name and renamed, so a reader
// never sees half a file.
func writeOutDir(dir string, res *sim.Result) ([]string, error) {
	od, err := newRunDir(dir)
	if err != nil {
		return nil, err
	}
	if err := od.put("results.json", func(w io.Writer) error { return writeResult(w, res, "json") }); err != nil {
		return od.paths, err
	}
	if len(res.Results) > 0 && res.Results[0].Gateway != nil {
		if err := od.put("gateway.csv", func(w io.Writer) error { return writeGatewaySeries(w, res) }); err != nil {
			return od.paths, err
		}
	}
	if err := od.put("timeseries.csv", func(w io.Writer) error {
		cw := csv.NewWriter(w)
		cw.Write([]string{"strategy", "t", "established", "time_wait", "udp", "failures", "busiest_dst"})
		for _, r := range res.Results {
			for _, s := range r.Occupancy {
				cw.Write([]string{r.Strategy, ffmt(s.TimeSeconds, 3), strconv.Itoa(s.Established),
					strconv.Itoa(s.TimeWait), strconv.Itoa(s.UDP), strconv.Itoa(s.Failures), strconv.Itoa(s.BusiestDst)})
			}
		}
		cw.Flush()
		return cw.Error()
	}); err != nil {
		return od.paths, err
	}
	err = od.put("allocations.csv", func(w io.Writer) error {
		cw := csv.NewWriter(w)
		gw := len(res.Results) > 0 && res.Results[0].Gateway != nil
		head := []string{"strategy", "n", "time", "dst", "kind", "port", "probes"}
		if gw {
			head = append(head, "host", "public_addr", "public_port")
		}
		cw.Write(head)
		for _, r := range res.Results {
			for _, a := range r.Samples {
				row := []string{r.Strategy, strconv.Itoa(a.N), ffmt(a.TimeSeconds, 6), strconv.Itoa(a.Dst),
					a.Kind, strconv.Itoa(int(a.Port)), strconv.Itoa(a.Probes)}
				if gw {
					row = append(row, strconv.Itoa(a.Host), strconv.Itoa(a.PublicAddr), strconv.Itoa(int(a.PublicPort)))
				}
				cw.Write(row)
			}
		}
		cw.Flush()
		return cw.Error()
	})
	return od.paths, err
}

// writeGatewaySeries writes each strategy's gateway series as CSV: flows
// held, the busiest host and destination, failures, and ports in use on
// each public address.
func writeGatewaySeries(w io.Writer, res *sim.Result) error {
	cw := csv.NewWriter(w)
	head := []string{"strategy", "t", "flows", "host_max", "busiest", "failures", "insert_failed"}
	for i := range res.Results[0].Gateway.PortsInUseMax {
		head = append(head, fmt.Sprintf("ports_in_use_%d", i+1))
	}
	cw.Write(head)
	for _, r := range res.Results {
		for _, s := range r.Gateway.Series {
			row := []string{r.Strategy, ffmt(s.TimeSeconds, 3), strconv.Itoa(s.Flows), strconv.Itoa(s.HostMax),
				strconv.Itoa(s.Busiest), strconv.Itoa(s.Failures), strconv.Itoa(s.InsertFailed)}
			for _, n := range s.PortsInUse {
				row = append(row, strconv.Itoa(n))
			}
			cw.Write(row)
		}
	}
	cw.Flush()
	return cw.Error()
}

// outDir writes files into one directory, each whole or not at all.
type outDir struct {
	dir      string
	paths    []string // written so far
	manifest bool     // record each file written (newRunDir)
}

// newOutDir opens a directory that several runs may share, such as the
// shards of a sweep.
func newOutDir(dir string) (*outDir, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return &outDir{dir: dir}, nil
}

// newRunDir opens a directory that holds one run's output: what the
// previous run wrote there is removed first (cleanOutDir), and each file
// written is recorded for the next.
func newRunDir(dir string) (*outDir, error) {
	od, err := newOutDir(dir)
	if err != nil {
		return nil, err
	}
	if err := cleanOutDir(dir, manifestName); err != nil {
		return nil, err
	}
	od.manifest = true
	return od, nil
}

// put writes what fill produces to dir/name under a temporary name, then
// renames it, so a reader never sees half a file.
func (o *outDir) put(name string, fill func(w io.Writer) error) error {
	var buf bytes.Buffer
	if err := fill(&buf); err != nil {
		return err
	}
	path := filepath.Join(o.dir, name)
	if err := writeFileAtomic(path, buf.Bytes()); err != nil {
		return err
	}
	o.paths = append(o.paths, path)
	if !o.manifest {
		return nil
	}
	return addManifest(o.dir, manifestName, name)
}

func writeFileAtomic(path string, data []byte) error {
	f, err := createAtomic(path)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.abort()
		return err
	}
	return f.commit()
}

// atomicFile is a file written under a temporary name in its directory;
// commit renames it into place, abort removes it.
type atomicFile struct {
	*os.File
	path string
}

func createAtomic(path string) (*atomicFile, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return nil, err
	}
	return &atomicFile{tmp, path}, nil
}

func (f *atomicFile) commit() error {
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), f.path)
}

func (f *atomicFile) abort() {
	f.Close()
	os.Remove(f.Name())
}
