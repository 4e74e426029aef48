package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/portsim/portsim/attack"
	"github.com/portsim/portsim/sim"
)

// inputs are results read back from disk for plot and report.
type inputs struct {
	results []*sim.Result
	sweeps  []*sim.SweepResult
	attacks []*attack.Result
	size    int64 // bytes read so far
}

// maxInputSize bounds one results file, and all the files one command
// reads together: a run's JSON is kilobytes to a few megabytes, its
// allocations.csv (100,000 allocations per strategy by default) about 4
// MB a strategy. Decoded, JSON numbers take up to 4 times their text (a
// "0," becomes 8 bytes) and a CSV row about twice its own, so the inputs
// stay under about 1.3 GiB with their bytes.
const maxInputSize = 256 << 20

// read reads path, counting it against maxInputSize for all the inputs.
func (in *inputs) read(path string) ([]byte, error) {
	if st, err := os.Stat(path); err == nil && in.size+st.Size() > maxInputSize {
		return nil, usagef("%s: %d bytes, with the %d read before, is over the limit of %d bytes for all the inputs; want fewer or smaller results",
			path, st.Size(), in.size, maxInputSize)
	}
	b, err := readLimited(path)
	in.size += int64(len(b))
	return b, err
}

// loadInputs reads each argument: a directory written by --out (its
// results.json, allocations.csv, sweep.json and attack.json, whichever
// exist) or a results, sweep or attack JSON file.
func loadInputs(args []string) (*inputs, error) {
	in := &inputs{}
	for _, arg := range args {
		st, err := os.Stat(arg)
		if err != nil {
			return nil, usagef("%s: %v", arg, errors.Unwrap(err))
		}
		if !st.IsDir() {
			if err := in.loadJSON(arg); err != nil {
				return nil, err
			}
			continue
		}
		found := false
		for _, name := range []string{"results.json", "sweep.json", "attack.json"} {
			path := filepath.Join(arg, name)
			if _, err := os.Stat(path); err == nil {
				found = true
				if err := in.loadJSON(path); err != nil {
					return nil, err
				}
			}
		}
		if !found {
			return nil, usagef("%s: no results.json, sweep.json or attack.json in it; want a directory written by --out, or a JSON file", arg)
		}
	}
	return in, nil
}

func (in *inputs) loadJSON(path string) error {
	b, err := in.read(path)
	if err != nil {
		return err
	}
	var head struct {
		Schema string `json:"schema"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return usagef("%s: not JSON: %v", path, err)
	}
	switch head.Schema {
	case sim.Schema:
		var res sim.Result
		if err := json.Unmarshal(b, &res); err != nil {
			return usagef("%s: %v", path, err)
		}
		if err := checkCounts(&res); err != nil {
			return usagef("%s: %v", path, err)
		}
		csvPath := filepath.Join(filepath.Dir(path), "allocations.csv")
		if _, err := os.Stat(csvPath); err == nil {
			if err := in.loadSamples(csvPath, &res); err != nil {
				return err
			}
		}
		in.results = append(in.results, &res)
	case sim.SweepSchema:
		var sw sim.SweepResult
		if err := json.Unmarshal(b, &sw); err != nil {
			return usagef("%s: %v", path, err)
		}
		in.sweeps = append(in.sweeps, &sw)
	case attack.Schema:
		var res attack.Result
		if err := json.Unmarshal(b, &res); err != nil {
			return usagef("%s: %v", path, err)
		}
		in.attacks = append(in.attacks, &res)
	case sim.PartSchema:
		return usagef("%s: one part of a sharded sweep; join the parts first with 'portsim merge PARTS... --out DIR' and give DIR", path)
	default:
		return usagef("%s: schema %q; want %q, %q or %q", path, head.Schema, sim.Schema, sim.SweepSchema, attack.Schema)
	}
	return nil
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usagef("%s: %v", path, errors.Unwrap(err))
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > maxInputSize {
		return nil, usagef("%s: larger than %d bytes", path, maxInputSize)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxInputSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxInputSize {
		return nil, usagef("%s: larger than %d bytes", path, maxInputSize)
	}
	return b, nil
}

// loadSamples restores per-allocation samples from allocations.csv (they
// are not in results.json) for the port-signature chart.
func (in *inputs) loadSamples(path string, res *sim.Result) error {
	b, err := in.read(path)
	if err != nil {
		return err
	}
	r := csv.NewReader(bytes.NewReader(b))
	r.ReuseRecord = true
	head, err := r.Read()
	if err != nil {
		return usagef("%s: %v", path, err)
	}
	want := []string{"strategy", "n", "time", "dst", "kind", "port", "probes"}
	// A run behind a gateway adds each attempt's host and public endpoint.
	gw := []string{"host", "public_addr", "public_port"}
	if !slices.Equal(head, want) && !slices.Equal(head, append(slices.Clip(want), gw...)) {
		return usagef("%s: header %v; want %v, optionally followed by %v", path, head, want, gw)
	}
	withGateway := len(head) > len(want)
	index := map[string]int{}
	for i := range res.Results {
		index[res.Results[i].Strategy] = i
	}
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return usagef("%s: %v", path, err)
		}
		i, ok := index[rec[0]]
		if !ok {
			return usagef("%s line %d: strategy %q is not in results.json", path, line, rec[0])
		}
		var a sim.Alloc
		var errs [8]error
		a.N, errs[0] = strconv.Atoi(rec[1])
		a.TimeSeconds, errs[1] = strconv.ParseFloat(rec[2], 64)
		a.Dst, errs[2] = strconv.Atoi(rec[3])
		a.Kind = rec[4]
		port, e := strconv.ParseUint(rec[5], 10, 16)
		a.Port, errs[3] = uint16(port), e
		a.Probes, errs[4] = strconv.Atoi(rec[6])
		if withGateway {
			a.Host, errs[5] = strconv.Atoi(rec[7])
			a.PublicAddr, errs[6] = strconv.Atoi(rec[8])
			pub, e := strconv.ParseUint(rec[9], 10, 16)
			a.PublicPort, errs[7] = uint16(pub), e
		}
		if err := errors.Join(errs[:]...); err != nil {
			return usagef("%s line %d: %v", path, line, err)
		}
		res.Results[i].Samples = append(res.Results[i].Samples, a)
	}
}

func (in *inputs) String() string {
	return fmt.Sprintf("%d result(s), %d sweep(s), %d attack(s)", len(in.results), len(in.sweeps), len(in.attacks))
}

// checkCounts refuses a results file whose counts no run can give (a
// negative allocation count, a rate outside 0 to 1), which would draw
// charts of nothing real.
func checkCounts(res *sim.Result) error {
	if len(res.Results) == 0 {
		return fmt.Errorf("no results; want a file 'portsim run --out' wrote")
	}
	for i := range res.Results {
		r := &res.Results[i]
		if r.Strategy == "" {
			return fmt.Errorf("results[%d]: no strategy; want a file 'portsim run --out' wrote", i)
		}
		for _, c := range []struct {
			name string
			n    int
		}{{"allocations", r.Allocations}, {"failures", r.Failures}, {"probes_max", r.ProbesMax}, {"reuse_count", r.ReuseCount}, {"tw_reuses", r.TWReuses}} {
			if c.n < 0 {
				return fmt.Errorf("%s: %s is %d; want a count ≥ 0", r.Strategy, c.name, c.n)
			}
		}
		for _, f := range []struct {
			name string
			v    float64
		}{{"failure_rate", r.FailureRate}, {"collision_rate", r.CollisionRate}} {
			if !(f.v >= 0 && f.v <= 1) {
				return fmt.Errorf("%s: %s is %g; want a fraction from 0 to 1", r.Strategy, f.name, f.v)
			}
		}
	}
	return nil
}
