package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portsim/portsim/sim"
)

// quick keeps CLI runs of the simulator short.
var quick = []string{"--duration", "5s", "--warmup", "0s", "--rate", "100"}

func TestSimCommandsBadInput(t *testing.T) {
	dir := t.TempDir()
	badFile := filepath.Join(dir, "bad.yaml")
	os.WriteFile(badFile, []byte("rate: 100\nbogus: 1\n"), 0o644)
	cases := []cliCase{
		{name: "run needs a strategy", args: []string{"run"}, wantCode: 2, wantStderr: []string{"--strategy"}},
		{name: "negative rate", args: []string{"run", "--strategy", "linux", "--rate", "-5"}, wantCode: 2, wantStderr: []string{"rate", "-5"}},
		{name: "bad lifetime", args: []string{"run", "--strategy", "linux", "--lifetime", "forever"}, wantCode: 2, wantStderr: []string{"lifetime", "forever"}},
		{name: "bad range", args: []string{"compare", "--range", "70000-80000"}, wantCode: 2, wantStderr: []string{"range", "70000"}},
		{name: "lo above hi", args: []string{"compare", "--range", "600-500"}, wantCode: 2, wantStderr: []string{"range"}},
		{name: "unknown strategy", args: []string{"run", "--strategy", "nope"}, wantCode: 2, wantStderr: []string{"nope"}},
		{name: "unknown preset", args: []string{"run", "--preset", "nope", "--strategy", "linux"}, wantCode: 2, wantStderr: []string{"--preset", "nope"}},
		{name: "missing file", args: []string{"run", "--scenario", filepath.Join(dir, "none.yaml"), "--strategy", "linux"}, wantCode: 2, wantStderr: []string{"--scenario"}},
		{name: "unknown file field", args: []string{"run", "--scenario", badFile, "--strategy", "linux"}, wantCode: 2, wantStderr: []string{"bogus"}},
		{name: "bad format", args: []string{"compare", "--format", "xml"}, wantCode: 2, wantStderr: []string{"--format", "xml"}},
		{name: "warmup past duration", args: []string{"compare", "--duration", "5s", "--warmup", "10s"}, wantCode: 2, wantStderr: []string{"warmup"}},
		{name: "stray argument", args: []string{"compare", "extra"}, wantCode: 2, wantStderr: []string{"extra"}},
		{name: "unknown scenario", args: []string{"scenarios", "nope"}, wantCode: 2, wantStderr: []string{"nope"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := c.check(t)
			if r.stdout != "" {
				t.Errorf("stdout should be empty on bad input, got %q", r.stdout)
			}
		})
	}
}

func TestRunJSON(t *testing.T) {
	args := append([]string{"run", "--preset", "proxy-backend", "--strategy", "linux", "--strategy", "sequential", "--format", "json"}, quick...)
	r := portsim(args...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var res sim.Result
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatal(err)
	}
	if res.Schema != sim.Schema || len(res.Results) != 2 || res.Results[0].Strategy != "linux" {
		t.Fatalf("schema %q, %d results", res.Schema, len(res.Results))
	}
	fields := map[string]string{}
	for _, f := range res.Scenario {
		fields[f.Name] = f.Value
	}
	if fields["rate"] != "100" || fields["dst-port"] != "8080" || fields["duration"] != "5s" {
		t.Fatalf("resolved scenario does not show preset and flags: %v", fields)
	}
	// The same command gives byte-identical output.
	if again := portsim(args...); again.stdout != r.stdout {
		t.Fatal("two runs with the same seed differ")
	}
	// Every field the issue names is in the JSON.
	for _, key := range []string{`"allocations"`, `"failures"`, `"probes_mean"`, `"probes_p99"`, `"collision_rate"`,
		`"reuse_min_seconds"`, `"tw_reuses"`, `"entropy_same_dst_bits"`, `"entropy_cross_dst_bits"`} {
		if !strings.Contains(r.stdout, key) {
			t.Errorf("JSON lacks %s", key)
		}
	}
}

func TestRunTableAndCSV(t *testing.T) {
	r := portsim(append([]string{"compare"}, quick...)...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, s := range compareStrategies {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("compare table lacks %s:\n%s", s, r.stdout)
		}
	}
	c := portsim(append([]string{"compare", "--format", "csv"}, quick...)...)
	lines := strings.Split(strings.TrimSpace(c.stdout), "\n")
	if c.code != 0 || len(lines) != 1+len(compareStrategies) || !strings.HasPrefix(lines[0], "strategy,allocations,failures") {
		t.Fatalf("csv: exit %d, %d lines:\n%s", c.code, len(lines), c.stdout)
	}
}

func TestRunOutDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	r := portsim(append([]string{"run", "--strategy", "random", "--out", dir}, quick...)...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, name := range []string{"results.json", "timeseries.csv", "allocations.csv"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || len(b) == 0 {
			t.Errorf("%s: %v (%d bytes)", name, err, len(b))
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "allocations.csv"))
	if lines := strings.Count(string(b), "\n"); lines < 400 {
		t.Errorf("allocations.csv has %d lines; want one per allocation (~500)", lines)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".*tmp*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

// A flag overrides the file, which overrides the preset.
func TestScenarioLayering(t *testing.T) {
	file := filepath.Join(t.TempDir(), "s.yaml")
	os.WriteFile(file, []byte("preset: load-tester\nrate: 50\nduration: 4s\nwarmup: 0s\n"), 0o644)
	r := portsim("run", "--scenario", file, "--rate", "60", "--strategy", "sequential", "--format", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var res sim.Result
	json.Unmarshal([]byte(r.stdout), &res)
	got := map[string]string{}
	for _, f := range res.Scenario {
		got[f.Name] = f.Value
	}
	if got["rate"] != "60" || got["duration"] != "4s" || got["destinations"] != "1" {
		t.Fatalf("layering wrong: rate %s (want flag 60), duration %s (want file 4s), destinations %s (want preset 1)",
			got["rate"], got["duration"], got["destinations"])
	}
}

// scenarios NAME prints a file that reads back as the same scenario.
func TestScenariosRoundTrip(t *testing.T) {
	list := portsim("scenarios")
	for _, p := range sim.Presets() {
		if !strings.Contains(list.stdout, p.Name) {
			t.Errorf("scenarios list lacks %s", p.Name)
		}
	}
	for _, p := range sim.Presets() {
		out := portsim("scenarios", p.Name)
		if out.code != 0 {
			t.Fatalf("%s: exit %d %s", p.Name, out.code, out.stderr)
		}
		var sc sim.Scenario = sim.DefaultScenario()
		if err := sim.ParseFile(p.Name+".yaml", []byte(out.stdout), &sc); err != nil {
			t.Fatalf("%s: printed file does not parse: %v\n%s", p.Name, err, out.stdout)
		}
		want, _ := sim.PresetScenario(p.Name)
		gb, _ := json.Marshal(sc.Resolved())
		wb, _ := json.Marshal(want.Resolved())
		if string(gb) != string(wb) {
			t.Errorf("%s: round trip differs:\n%s\n%s", p.Name, gb, wb)
		}
	}
}

func TestDemo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	r := portsim("demo", "--out", dir)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"Findings:", "Soonest reuse of a 4-tuple", "sequential", "linux", dir,
		"Capacity to one server", "linux: no failure at 400/s; failures from 600/s"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	// The report has every chart kind of a run and the capacity curve.
	for _, f := range []string{"results.json", "capacity.png"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	if page, err := os.ReadFile(filepath.Join(dir, "report.html")); err != nil || !strings.Contains(string(page), "Capacity: failures against connection rate") {
		t.Errorf("report.html lacks the capacity chart (%v)", err)
	}
}

func TestSweep(t *testing.T) {
	bad := []cliCase{
		{name: "no vary", args: []string{"sweep"}, wantCode: 2, wantStderr: []string{"--vary"}},
		{name: "unknown field", args: []string{"sweep", "--vary", "bogus=1,2"}, wantCode: 2, wantStderr: []string{"--vary", "bogus"}},
		{name: "bad value", args: []string{"sweep", "--vary", "rate=-1,5"}, wantCode: 2, wantStderr: []string{"--vary", "rate"}},
		{name: "bad kind", args: []string{"sweep", "--vary", "rate=5", "--kinds", "tcp"}, wantCode: 2, wantStderr: []string{"--kinds", "tcp"}},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) { c.check(t) })
	}
	dir := t.TempDir()
	r := portsim("sweep", "--duration", "5s", "--vary", "rate=50:150:50", "--kinds", "connect,bind",
		"--strategy", "sequential", "--format", "csv", "--out", dir)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 1+3*2 || !strings.HasPrefix(lines[0], "rate,kind,strategy") {
		t.Fatalf("want a header and 6 rows:\n%s", r.stdout)
	}
	var sw sim.SweepResult
	b, err := os.ReadFile(filepath.Join(dir, "sweep.json"))
	if err != nil || json.Unmarshal(b, &sw) != nil || sw.Schema != sim.SweepSchema || len(sw.Rows) != 6 {
		t.Fatalf("sweep.json: %v, %d rows", err, len(sw.Rows))
	}
}
