package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseVary(t *testing.T) {
	tests := []struct {
		spec    string
		field   string
		values  []string
		wantErr string
	}{
		{"rate=100:300:100", "rate", []string{"100", "200", "300"}, ""},
		{"rate=100,250", "rate", []string{"100", "250"}, ""},
		{"rate=0.1:0.3:0.1", "rate", []string{"0.1", "0.2", "0.3"}, ""},
		{"time-wait=30s:60s:15s", "time-wait", []string{"30s", "45s", "1m0s"}, ""},
		{"destinations=1:1:1", "destinations", []string{"1"}, ""},
		{"dst-port=80,443;8080", "dst-port", []string{"80,443", "8080"}, ""},
		{"gateway=aws-nat,gcp-nat:dynamic=on,max-ports=256", "gateway", []string{"aws-nat", "gcp-nat:dynamic=on,max-ports=256"}, ""},
		{"seed=1,2,3", "seed", []string{"1", "2", "3"}, ""},
		{"rate", "", nil, "want FIELD="},
		{"bogus=1,2", "", nil, `"bogus" is not a field`},
		{"name=a,b", "", nil, `"name" is not a field`},
		{"strategy=linux,random", "", nil, "--strategy or --profile"},
		{"rate=300:100:10", "", nil, "START ≤ STOP"},
		{"rate=1:100000:1", "", nil, "at most 1000"},
		{"rate=a:b:c", "", nil, "three numbers or three durations"},
		{"rate=0:1e308:1e-300", "", nil, "at most 1000"}, // was a makeslice panic
		{"rate=-1e308:1e308:1", "", nil, "at most 1000"},
		{"rate=0:inf:1", "", nil, "finite"},
		{"rate=nan:1:1", "", nil, "finite"},
		{"rate=1:2:0", "", nil, "STEP > 0"},
		{"rate=1e20:1e20:1", "rate", []string{"1e+20"}, ""},
		{"rate=1e17:1.0000000000000005e17:1", "", nil, "too small"},
		{"rate=,,", "", nil, "no values"},
		{"rate=;;", "", nil, "no values"},
	}
	for _, tt := range tests {
		g, err := ParseVary(tt.spec)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseVary(%q) error %v; want %q", tt.spec, err, tt.wantErr)
			}
			continue
		}
		var values []string
		for _, p := range g.Points {
			values = append(values, p...)
		}
		if err != nil || !slices.Equal(g.Fields, []string{tt.field}) || !slices.Equal(values, tt.values) {
			t.Errorf("ParseVary(%q) = %q, %q, %v; want %q, %q", tt.spec, g.Fields, values, err, tt.field, tt.values)
		}
	}
}

// FuzzParseVary: any spec is refused or gives a one-field grid of 1 to
// maxSweepValues non-empty values, without a panic.
func FuzzParseVary(f *testing.F) {
	for _, s := range []string{"rate=100:1000:100", "rate=0:1e308:1e-300", "time-wait=1ns:292y:1ns", "rate=1e-300:1e308:1e300",
		"gateway=aws-nat,netfilter:random=fully", "dst-port=80,443;8080", "rate=9223372036854775807:9223372036854775807:1",
		"duration=0s:2562047h47m16.854775807s:1h", "kind=connect,bind", "rate=1:2:3:4", "=", "rate=-0:0:5e-324"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		g, err := ParseVary(spec)
		if err != nil {
			return
		}
		if len(g.Fields) != 1 || len(g.Points) == 0 || len(g.Points) > maxSweepValues {
			t.Fatalf("ParseVary(%q): %d fields, %d points", spec, len(g.Fields), len(g.Points))
		}
		for _, p := range g.Points {
			if len(p) != 1 || p[0] == "" {
				t.Fatalf("ParseVary(%q): point %q", spec, p)
			}
		}
	})
}

func TestProduct(t *testing.T) {
	a := Grid{Fields: []string{"rate"}, Points: [][]string{{"1"}, {"2"}}}
	b := Grid{Fields: []string{"destinations", "time-wait"}, Points: [][]string{{"3", "1s"}, {"4", "2s"}, {"5", "3s"}}}
	g, err := Product(a, b)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"1", "3", "1s"}, {"1", "4", "2s"}, {"1", "5", "3s"}, {"2", "3", "1s"}, {"2", "4", "2s"}, {"2", "5", "3s"}}
	if !slices.Equal(g.Fields, []string{"rate", "destinations", "time-wait"}) || !slices.EqualFunc(g.Points, want, slices.Equal) {
		t.Errorf("Product = %v %v; want the first grid slowest: %v", g.Fields, g.Points, want)
	}
	if _, err := Product(a, a); err == nil || !strings.Contains(err.Error(), "rate: varied twice") {
		t.Errorf("a field twice: %v", err)
	}
	big := Grid{Fields: []string{"seed"}, Points: make([][]string, 1000)}
	big2 := Grid{Fields: []string{"rate"}, Points: make([][]string, 1000)}
	if _, err := Product(big, big2); err == nil || !strings.Contains(err.Error(), "at most 100000") {
		t.Errorf("10^6 points: %v", err)
	}
	if _, err := Product(); err == nil {
		t.Error("no grid: no error")
	}
}

func TestReadPoints(t *testing.T) {
	for _, c := range []struct {
		name, data string
		fields     []string
		points     [][]string
		wantErr    string
	}{
		{"p.csv", "rate,destinations\n100,1\n# a comment\n400, 10\n", []string{"rate", "destinations"}, [][]string{{"100", "1"}, {"400", "10"}}, ""},
		{"p.csv", "dst-port,rate\n\"80,443\",5\n", []string{"dst-port", "rate"}, [][]string{{"80,443", "5"}}, ""},
		{"p.yaml", "- {rate: 100, destinations: 1}\n- destinations: 10\n  rate: 4e2\n", []string{"rate", "destinations"}, [][]string{{"100", "1"}, {"4e2", "10"}}, ""},
		{"p.yml", "- {dst-port: [80, 443], kind: {connect: 0.9, udp: 0.1}}\n", []string{"dst-port", "kind"}, [][]string{{"80,443", "connect=0.9,udp=0.1"}}, ""},
		{"p.csv", "rate,bogus\n1,2\n", nil, nil, `"bogus" is not a field`},
		{"p.csv", "rate,rate\n1,2\n", nil, nil, "named twice"},
		{"p.csv", "rate,destinations\n1\n", nil, nil, "p.csv:2: 1 values; want one for each of rate, destinations"},
		{"p.csv", "rate\n", nil, nil, "no points"},
		{"p.csv", "", nil, nil, "empty"},
		{"p.yaml", "- {rate: 1}\n- {destinations: 2}\n", nil, nil, `"destinations" is not in the first point`},
		{"p.yaml", "- {rate: 1, destinations: 3}\n- {rate: 2}\n", nil, nil, `"destinations" is missing`},
		{"p.yaml", "rate: 1\n", nil, nil, "want a list of points"},
		{"p.yaml", "- 5\n", nil, nil, "point 1 is a single value"},
		{"p.yaml", "- {}\n", nil, nil, "point 1 is an empty mapping"}, // FuzzReadPoints found it
		{"p.yaml", "- {rate: [[1]]}\n", nil, nil, "want a single value"},
		{"p.yaml", "- {strategy: linux}\n", nil, nil, "--strategy"},
		{"p.yaml", strings.Repeat("[", 100000), nil, nil, "nested 100000 deep"},
		{"p.txt", "rate\n1\n", nil, nil, "want a .csv, .yaml or .yml file"},
	} {
		g, err := ReadPoints(c.name, []byte(c.data))
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s %q: error %v; want %q", c.name, c.data, err, c.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(g.Fields, c.fields) || !slices.EqualFunc(g.Points, c.points, slices.Equal) {
			t.Errorf("%s %q = %q %q, %v; want %q %q", c.name, c.data, g.Fields, g.Points, err, c.fields, c.points)
		}
	}
}

// FuzzReadPoints: any file is refused or gives a grid whose points each
// have a value per field.
func FuzzReadPoints(f *testing.F) {
	f.Add("p.csv", "rate,destinations\n100,1\n400,10\n")
	f.Add("p.yaml", "- {rate: 100, destinations: 1}\n- {rate: 400, destinations: 10}\n")
	f.Add("p.yaml", "- &a {rate: 1}\n- *a\n")
	f.Add("p.yml", "- {dst-port: [80, 443]}\n")
	f.Fuzz(func(t *testing.T, name, data string) {
		g, err := ReadPoints(name, []byte(data))
		if err != nil {
			return
		}
		if len(g.Fields) == 0 || len(g.Points) == 0 {
			t.Fatalf("%d fields, %d points", len(g.Fields), len(g.Points))
		}
		for _, p := range g.Points {
			if len(p) != len(g.Fields) {
				t.Fatalf("point %q for fields %q", p, g.Fields)
			}
		}
	})
}

// grid is a grid from --vary specs.
func grid(t testing.TB, specs ...string) Grid {
	t.Helper()
	var gs []Grid
	for _, s := range specs {
		g, err := ParseVary(s)
		if err != nil {
			t.Fatal(err)
		}
		gs = append(gs, g)
	}
	g, err := Product(gs...)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// The capacity curve: one destination fails only above range / TIME_WAIT,
// and bind-before-connect fails where connect does not.
func TestSweepCapacity(t *testing.T) {
	sc := scenario(t, "destinations", "4", "arrivals", "constant", "lifetime", "fixed:10ms", "duration", "30s",
		"close", "client", "time-wait", "10s", "tw-reuse", "off", "range", "40000-40999", "strategy", "linux")
	s := Sweep{Base: sc, Grid: grid(t, "rate=50,150"), Kinds: []string{"connect", "bind"}}
	sw, err := s.Run(context.Background(), SweepOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sw.Rows) != 4 || sw.Schema != SweepSchema {
		t.Fatalf("%d rows; want 4", len(sw.Rows))
	}
	fails := map[string]bool{}
	for _, r := range sw.Rows {
		if math.Abs(r.LimitRate-100) > 1e-9 {
			t.Errorf("limit %.1f/s; want 1000 ports / 10 s = 100/s", r.LimitRate)
		}
		fails[r.Value+"/"+r.Kind] = r.Failures > 0
	}
	want := map[string]bool{"50/connect": false, "50/bind": false, "150/connect": false, "150/bind": true}
	for k, w := range want {
		if fails[k] != w {
			t.Errorf("%s: failures = %v; want %v", k, fails[k], w)
		}
	}
}

// Check finds a bad point before anything runs, and names it; Run refuses
// the same sweeps without running the good points first.
func TestSweepCheck(t *testing.T) {
	base := scenario(t, "duration", "5s", "warmup", "1s", "strategy", "linux")
	for _, c := range []struct {
		grid  Grid
		kinds []string
		want  string // "" for no error
	}{
		{grid(t, "rate=50,100"), nil, ""},
		{grid(t, "rate=50,100"), []string{"connect", "bind", "udp"}, ""},
		{grid(t, "rate=50,-1"), nil, "rate: -1 is negative"},
		{grid(t, "warmup=0s,10s"), nil, "warmup=10s: warmup: 10s is not less than duration 5s"},
		{grid(t, "rate=50,100", "warmup=0s,10s"), nil, "rate=50, warmup=10s: warmup"},
		{grid(t, "rate=50"), []string{"connect", "tcp"}, `"tcp"`},
		{grid(t, "kind=connect,bind"), []string{"connect"}, "kind: varied by the grid and by kinds"},
		{Grid{Fields: []string{"rate"}}, nil, "0 points"},
		{Grid{Fields: []string{"rate", "seed"}, Points: [][]string{{"1"}}}, nil, "point 1 has 1 values"},
		{Grid{}, nil, "no field varied"},
	} {
		s := Sweep{Base: base, Grid: c.grid, Kinds: c.kinds}
		err := s.Check()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%v kinds %v: %v; want no error", c.grid, c.kinds, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%v kinds %v: %v; want an error saying %q", c.grid, c.kinds, err, c.want)
		}
		if c.want == "" {
			continue
		}
		if _, err := s.Run(t.Context(), SweepOptions{}); err == nil {
			t.Errorf("Run %v kinds %v ran; want Check's error", c.grid, c.kinds)
		}
	}
}

// gridSweep is a small three-field grid with two strategies: 12 runs.
func gridSweep(t testing.TB) Sweep {
	base := scenario(t, "duration", "4s", "warmup", "1s", "range", "40000-40999", "time-wait", "5s",
		"strategy", "linux,random", "lifetime", "fixed:100ms")
	return Sweep{Base: base, Grid: grid(t, "rate=100,300", "destinations=1,3", "time-wait=2s;6s")}
}

func rowsJSON(t *testing.T, sw *SweepResult) string {
	t.Helper()
	b, err := json.Marshal(sw)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A run's row depends on its point alone: the same for any number of
// jobs, streamed in run order, and equal to Run of the point's scenario
// with all the strategies together.
func TestSweepJobs(t *testing.T) {
	s := gridSweep(t)
	var want string
	for _, jobs := range []int{1, 4, 0} {
		var streamed []SweepRow
		sw, err := s.Run(t.Context(), SweepOptions{Jobs: jobs, Row: func(r SweepRow) error { streamed = append(streamed, r); return nil }})
		if err != nil {
			t.Fatal(err)
		}
		if len(sw.Rows) != 16 || sw.Partial || !slices.Equal(sw.Fields(), []string{"rate", "destinations", "time-wait"}) {
			t.Fatalf("jobs %d: %d rows, fields %v, partial %v", jobs, len(sw.Rows), sw.Fields(), sw.Partial)
		}
		if got := rowsJSON(t, sw); want == "" {
			want = got
		} else if got != want {
			t.Errorf("jobs %d: rows differ from jobs 1", jobs)
		}
		if !slices.EqualFunc(streamed, sw.Rows, func(a, b SweepRow) bool { return fmt.Sprint(a) == fmt.Sprint(b) }) {
			t.Errorf("jobs %d: rows streamed out of order", jobs)
		}
	}
	sw, _ := s.Run(t.Context(), SweepOptions{Jobs: 2})
	r := sw.Rows[13] // rate 300, destinations 3, time-wait 2s, random
	if !slices.Equal(r.Values(), []string{"300", "3", "2s"}) || r.Strategy != "random" {
		t.Fatalf("row 13 is %v %s", r.Values(), r.Strategy)
	}
	sc := s.Base
	for f, v := range map[string]string{"rate": "300", "destinations": "3", "time-wait": "2s"} {
		sc.Set(f, v)
	}
	res := simulate(t, sc)
	if got := res.Results[1]; got.Allocations != r.Allocations || got.Failures != r.Failures || got.ProbesMean != r.ProbesMean {
		t.Errorf("row %+v; Run of its point gives %d allocations, %d failures, %g probes", r, got.Allocations, got.Failures, got.ProbesMean)
	}
}

// Shards run disjoint slices whose parts merge into the unsharded
// result; a missing, repeated or foreign part is refused.
func TestSweepShards(t *testing.T) {
	s := gridSweep(t)
	whole, err := s.Run(t.Context(), SweepOptions{Jobs: 1})
	if err != nil {
		t.Fatal(err)
	}
	const n = 5
	var parts []*SweepPart
	for i := range n {
		sh := Shard{i, n}
		sw, err := s.Run(t.Context(), SweepOptions{Shard: sh})
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(s.Part(sw, sh))
		if err != nil {
			t.Fatal(err)
		}
		p, err := ReadPart(PartFile(sh), b)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, p)
	}
	ms, merged, err := Merge(parts)
	if err != nil {
		t.Fatal(err)
	}
	if rowsJSON(t, merged) != rowsJSON(t, whole) {
		t.Error("merged parts differ from the unsharded sweep")
	}
	if ms.Fingerprint() != s.Fingerprint() || ms.Runs() != s.Runs() {
		t.Error("the sweep rebuilt from the parts is not the sweep")
	}
	// Any order of parts merges the same.
	if _, m, err := Merge([]*SweepPart{parts[3], parts[0], parts[4], parts[2], parts[1]}); err != nil || rowsJSON(t, m) != rowsJSON(t, whole) {
		t.Errorf("parts out of order: %v", err)
	}

	other := s
	other.Base.Seed = 2
	sw, _ := other.Run(t.Context(), SweepOptions{Shard: Shard{1, n}})
	foreign := other.Part(sw, Shard{1, n})
	foreign.name = "other.json"
	for _, c := range []struct {
		parts []*SweepPart
		want  string
	}{
		{[]*SweepPart{parts[0], parts[2], parts[4]}, "missing 2 of 5 shards: 1, 3 (run each with --shard I/5)"},
		{append(slices.Clone(parts), parts[2]), "shard 2/5 given twice: sweep-part-2-of-5.json and sweep-part-2-of-5.json"},
		{[]*SweepPart{parts[0], foreign}, "other.json is from another sweep than sweep-part-0-of-5.json"},
		{nil, "no parts"},
	} {
		if _, _, err := Merge(c.parts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Merge: %v; want %q", err, c.want)
		}
	}
	if s.Fingerprint() == other.Fingerprint() {
		t.Error("another seed, the same fingerprint")
	}
}

// FuzzReadPart: any file is refused, or is a part whose rows are its
// shard's share of its sweep's runs, without a panic.
func FuzzReadPart(f *testing.F) {
	s := Sweep{Base: scenario(f, "duration", "1s", "warmup", "0s", "strategy", "linux,random"), Grid: grid(f, "rate=50,100", "destinations=1,2")}
	sh := Shard{1, 3}
	res, err := s.Run(context.Background(), SweepOptions{Shard: sh})
	if err != nil {
		f.Fatal(err)
	}
	b, err := json.Marshal(s.Part(res, sh))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"schema":"portsim.sweep-part/v1","shard":{"index":0,"count":0},"result":{}}`))
	f.Add([]byte(`{"schema":"portsim.sweep-part/v1","grid":{"Fields":["rate"],"Points":[["1"]]},"shard":{"index":0,"count":1},"runs":1,"result":{"rows":[]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ReadPart("part.json", data)
		if err != nil {
			return
		}
		if len(p.Result.Rows) != p.Shard.size(p.Runs) || p.Shard.check() != nil {
			t.Fatalf("shard %s of %d runs with %d rows", p.Shard, p.Runs, len(p.Result.Rows))
		}
	})
}

func TestParseShard(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Shard
		err  string
	}{
		{"0/5", Shard{0, 5}, ""},
		{"4/5", Shard{4, 5}, ""},
		{"5/5", Shard{}, "want 0 to 4"},
		{"-1/5", Shard{}, "want 0 to 4"},
		{"0/0", Shard{}, "want 1 to"},
		{"1", Shard{}, "want I/N"},
		{"a/b", Shard{}, "want I/N"},
	} {
		sh, err := ParseShard(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseShard(%q): %v; want %q", c.in, err, c.err)
			}
		} else if err != nil || sh != c.want {
			t.Errorf("ParseShard(%q) = %v, %v", c.in, sh, err)
		}
	}
	if got := PartFile(Shard{3, 12}); got != "sweep-part-03-of-12.json" {
		t.Errorf("PartFile = %s", got)
	}
}

// A cancelled sweep keeps the rows of the runs that finished before the
// first that did not.
func TestSweepCancel(t *testing.T) {
	s := gridSweep(t)
	ctx, cancel := context.WithCancel(t.Context())
	n := 0
	sw, err := s.Run(ctx, SweepOptions{Jobs: 1, Row: func(SweepRow) error {
		if n++; n == 3 {
			cancel()
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	// The run in flight when the third row came out may have finished.
	if !sw.Partial || len(sw.Rows) < 3 || len(sw.Rows) > 4 {
		t.Errorf("partial %v, %d rows; want a partial sweep of 3 or 4 rows", sw.Partial, len(sw.Rows))
	}
}

// The estimate's inputs: arrivals add up over the shard's runs, and a
// measured speed is positive.
func TestSweepArrivals(t *testing.T) {
	s := gridSweep(t)
	total := func(sh Shard) float64 {
		each, err := s.Arrivals(sh)
		if err != nil {
			t.Fatal(err)
		}
		sum := 0.0
		for _, a := range each {
			sum += a
		}
		return sum
	}
	all := total(Shard{})
	// 2 strategies × 2 destinations × 2 time-waits × (100 + 300)/s × 4 s
	if want := 2 * 2 * 2 * 400 * 4.0; math.Abs(all-want) > 1e-6 {
		t.Errorf("arrivals %g; want %g", all, want)
	}
	sum := 0.0
	for i := range 3 {
		sum += total(Shard{i, 3})
	}
	if math.Abs(sum-all) > 1e-6 {
		t.Errorf("shards' arrivals add to %g; want %g", sum, all)
	}
	if v, err := s.MeasureSpeed(t.Context(), Shard{}); err != nil || v <= 0 {
		t.Errorf("MeasureSpeed = %g, %v", v, err)
	}
}

// BenchmarkSweepJobs times one grid on one job and on two, alternately in
// each iteration so both see the same load, and reports the ratio of
// their wall times (speedup: 2 at best on two free cores) and the CPU
// time each spends (equal when the pool costs nothing of its own).
func BenchmarkSweepJobs(b *testing.B) {
	base := scenario(b, "duration", "20s", "warmup", "0s", "strategy", "linux,random")
	s := Sweep{Base: base, Grid: grid(b, "rate=200:1000:200", "destinations=1,4", "time-wait=30s,60s")}
	var wall, cpu [3]time.Duration
	for b.Loop() {
		for _, jobs := range []int{1, 2} {
			start, startCPU := time.Now(), cpuTime()
			if _, err := s.Run(b.Context(), SweepOptions{Jobs: jobs}); err != nil {
				b.Fatal(err)
			}
			wall[jobs] += time.Since(start)
			cpu[jobs] += cpuTime() - startCPU
		}
	}
	n := float64(b.N)
	b.ReportMetric(wall[1].Seconds()/n, "jobs1-s/op")
	b.ReportMetric(wall[2].Seconds()/n, "jobs2-s/op")
	b.ReportMetric(cpu[1].Seconds()/n, "jobs1-cpu-s/op")
	b.ReportMetric(cpu[2].Seconds()/n, "jobs2-cpu-s/op")
	b.ReportMetric(float64(wall[1])/float64(wall[2]), "speedup")
}
