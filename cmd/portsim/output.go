package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"text/tabwriter"

	"github.com/portsim/portsim/internal/format"
	"github.com/portsim/portsim/sim"
)

// resultColumns are the per-strategy figures shown in the table and CSV, in
// the words of the JSON fields.
var resultColumns = []struct {
	name, head string
	get        func(r *sim.StrategyResult) string
}{
	{"strategy", "STRATEGY", func(r *sim.StrategyResult) string { return r.Strategy }},
	{"allocations", "ALLOCS", func(r *sim.StrategyResult) string { return strconv.Itoa(r.Allocations) }},
	{"failures", "FAILS", func(r *sim.StrategyResult) string { return strconv.Itoa(r.Failures) }},
	{"failure_rate", "FAIL%", func(r *sim.StrategyResult) string { return format.PercentNumber(r.FailureRate, 2) }},
	{"probes_mean", "PROBES", func(r *sim.StrategyResult) string { return ffmt(r.ProbesMean, 2) }},
	{"probes_p99", "P99", func(r *sim.StrategyResult) string { return strconv.Itoa(r.ProbesP99) }},
	{"probes_max", "MAX", func(r *sim.StrategyResult) string { return strconv.Itoa(r.ProbesMax) }},
	{"collision_rate", "COLL%", func(r *sim.StrategyResult) string { return format.PercentNumber(r.CollisionRate, 2) }},
	{"reuse_min_seconds", "REUSE-MIN", func(r *sim.StrategyResult) string { return secs(r.ReuseMinSeconds) }},
	{"reuse_p50_seconds", "REUSE-P50", func(r *sim.StrategyResult) string { return secs(r.ReuseP50Seconds) }},
	{"tw_reuses", "TW-REUSE", func(r *sim.StrategyResult) string { return strconv.Itoa(r.TWReuses) }},
	{"entropy_same_dst_bits", "BITS-SAME", func(r *sim.StrategyResult) string { return ffmt(r.EntropySameDst, 1) }},
	{"entropy_cross_dst_bits", "BITS-CROSS", func(r *sim.StrategyResult) string { return ffmt(r.EntropyCrossDst, 1) }},
	{"guess_same_dst", "GUESS-SAME", func(r *sim.StrategyResult) string { return format.PercentNumber(r.GuessSameDst, 2) }},
	{"uniformity_p", "UNIF-P", func(r *sim.StrategyResult) string { return ffmt(r.UniformityP, 3) }},
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
		b, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	case "csv":
		cw := csv.NewWriter(w)
		head := make([]string, len(resultColumns))
		for i, c := range resultColumns {
			head[i] = c.name
		}
		cw.Write(head)
		for i := range res.Results {
			row := make([]string, len(resultColumns))
			for j, c := range resultColumns {
				row[j] = c.get(&res.Results[i])
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
		fmt.Fprintln(w, "PARTIAL RESULTS: the run was stopped before the end of the scenario.")
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	for i, c := range resultColumns {
		if i > 0 {
			fmt.Fprint(tw, "\t")
		}
		fmt.Fprint(tw, c.head)
	}
	fmt.Fprintln(tw, "\t")
	for i := range res.Results {
		for j, c := range resultColumns {
			if j > 0 {
				fmt.Fprint(tw, "\t")
			}
			fmt.Fprint(tw, c.get(&res.Results[i]))
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
	return nil
}

// writeOutDir writes results.json, timeseries.csv and allocations.csv into
// dir. Each file is written to a temporary name and renamed, so a reader
// never sees half a file.
func writeOutDir(dir string, res *sim.Result) ([]string, error) {
	od, err := newOutDir(dir)
	if err != nil {
		return nil, err
	}
	if err := od.put("results.json", func(w io.Writer) error { return writeResult(w, res, "json") }); err != nil {
		return od.paths, err
	}
	if err := od.put("timeseries.csv", func(w io.Writer) error {
		cw := csv.NewWriter(w)
		cw.Write([]string{"strategy", "t", "established", "time_wait", "udp", "failures"})
		for _, r := range res.Results {
			for _, s := range r.Occupancy {
				cw.Write([]string{r.Strategy, ffmt(s.TimeSeconds, 3), strconv.Itoa(s.Established),
					strconv.Itoa(s.TimeWait), strconv.Itoa(s.UDP), strconv.Itoa(s.Failures)})
			}
		}
		cw.Flush()
		return cw.Error()
	}); err != nil {
		return od.paths, err
	}
	err = od.put("allocations.csv", func(w io.Writer) error {
		cw := csv.NewWriter(w)
		cw.Write([]string{"strategy", "n", "time", "dst", "kind", "port", "probes"})
		for _, r := range res.Results {
			for _, a := range r.Samples {
				cw.Write([]string{r.Strategy, strconv.Itoa(a.N), ffmt(a.TimeSeconds, 6), strconv.Itoa(a.Dst),
					a.Kind, strconv.Itoa(int(a.Port)), strconv.Itoa(a.Probes)})
			}
		}
		cw.Flush()
		return cw.Error()
	})
	return od.paths, err
}

// outDir writes files into one directory, each whole or not at all.
type outDir struct {
	dir   string
	paths []string // written so far
}

func newOutDir(dir string) (*outDir, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return &outDir{dir: dir}, nil
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
	return nil
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
