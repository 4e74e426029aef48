package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/strategies"
)

// explainDoc is the portsim.explain/v1 document as a consumer reads it.
type explainDoc struct {
	Schema      string          `json:"schema"`
	Strategy    string          `json:"strategy"`
	Range       allocator.Range `json:"range"`
	Kind        string          `json:"kind"`
	Seed        uint64          `json:"seed"`
	Src         string          `json:"src"`
	Dst         []string        `json:"dst"`
	Allocations []struct {
		N          int              `json:"n"`
		TimeS      float64          `json:"time_s"`
		Src        string           `json:"src"`
		Dst        string           `json:"dst"`
		Port       uint16           `json:"port"`
		Probes     int              `json:"probes"`
		Collisions int              `json:"collisions"`
		Error      string           `json:"error"`
		Steps      []allocator.Step `json:"steps"`
	} `json:"allocations"`
}

// explainJSON runs explain with args and --format json and decodes it.
func explainJSON(t *testing.T, args ...string) explainDoc {
	t.Helper()
	r := portsim(append([]string{"explain", "--format", "json"}, args...)...)
	if r.code != 0 {
		t.Fatalf("explain %v: exit %d\n%s", args, r.code, r.stderr)
	}
	var doc explainDoc
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("explain %v: output is not JSON: %v\n%s", args, err, r.stdout)
	}
	return doc
}

func ports(doc explainDoc) []uint16 {
	var out []uint16
	for _, a := range doc.Allocations {
		out = append(out, a.Port)
	}
	return out
}

// A full range gives failed picks as rows, not a crash: in JSON an error
// with the probes and collisions, in text a FAILED line and the summary.
func TestExplainFailureRows(t *testing.T) {
	open := explainJSON(t, "--strategy", "sequential", "--range", "50000-50001", "--count", "4")
	if got, want := ports(open), []uint16{50000, 50001, 0, 0}; !slices.Equal(got, want) {
		t.Errorf("ports %v, want %v", got, want)
	}
	for _, a := range open.Allocations[2:] {
		if !strings.Contains(a.Error, "EADDRNOTAVAIL") || a.Probes != 2 || a.Collisions != 2 {
			t.Errorf("allocation %d = %+v, want EADDRNOTAVAIL after 2 probes, 2 collisions", a.N, a)
		}
	}
	text := portsim("explain", "--strategy", "sequential", "--range", "50000-50001", "--count", "3")
	if text.code != 0 || !strings.Contains(text.stdout, "#3  t=2s  10.0.0.1 -> 192.0.2.10:443  FAILED after 2 probes") ||
		!strings.Contains(text.stdout, "3 picks: 2 ports, 1 failure") {
		t.Errorf("text output for a full range:\n%s\n%s", text.stdout, text.stderr)
	}
}

// --dst repeats, or takes commas; the destinations take turns.
func TestExplainDstList(t *testing.T) {
	doc := explainJSON(t, "--strategy", "sequential", "--count", "4",
		"--dst", "192.0.2.10:443", "--dst", "198.51.100.7:443,203.0.113.9:80")
	want := []string{"192.0.2.10:443", "198.51.100.7:443", "203.0.113.9:80", "192.0.2.10:443"}
	for i, a := range doc.Allocations {
		if a.Dst != want[i] {
			t.Errorf("allocation %d to %s, want %s", a.N, a.Dst, want[i])
		}
	}
}

// Long runs of rejected probes fold into one line in the text format; short
// ones, the instructive case, are shown probe by probe.
func TestExplainTextFoldsLongRuns(t *testing.T) {
	r := portsim("explain", "--strategy", "sequential", "--range", "50000-50005", "--count", "7")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	want := "    probe   50000  rejected ×6 (50000-50005): 4-tuple in use by an established connection\n"
	if !strings.Contains(r.stdout, "FAILED after 6 probes") || !strings.Contains(r.stdout, want) {
		t.Errorf("seventh pick in a 6-port range should fold its probes into %q:\n%s", want, r.stdout)
	}
	r = portsim("explain", "--strategy", "sequential", "--range", "50000-50003", "--count", "5")
	if strings.Contains(r.stdout, "×") || strings.Count(r.stdout, "rejected: 4-tuple in use") != 4 {
		t.Errorf("4 rejected probes should be shown one by one:\n%s", r.stdout)
	}
}

func TestExplainCSV(t *testing.T) {
	r := portsim("explain", "--strategy", "sequential", "--count", "6", "--interval", "250ms", "--format", "csv",
		"--range", "50000-50004")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v\n%s", err, r.stdout)
	}
	if len(rows) != 7 {
		t.Fatalf("%d rows, want a header and 6:\n%s", len(rows), r.stdout)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	for _, name := range []string{"n", "time", "kind", "src", "dst", "port", "probes", "collisions", "error"} {
		if _, ok := col[name]; !ok {
			t.Errorf("header %v lacks %q", rows[0], name)
		}
	}
	if got := rows[2][col["time"]]; got != "0.250" {
		t.Errorf("second row time %q, want 0.250", got)
	}
	if got := rows[1][col["port"]]; got != "50000" {
		t.Errorf("first row port %q, want 50000", got)
	}
	last := rows[6]
	if last[col["port"]] != "" || last[col["probes"]] != "5" || last[col["collisions"]] != "5" ||
		!strings.Contains(last[col["error"]], "EADDRNOTAVAIL") {
		t.Errorf("sixth pick in a 5-port range: %v; want no port, 5 probes, 5 collisions, EADDRNOTAVAIL", last)
	}
}

func TestExplainJSONDocument(t *testing.T) {
	r := portsim("explain", "--strategy", "sequential", "--count", "3", "--format", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	// Streamed, but formatted exactly as a whole-document indent would be.
	var compact, indented bytes.Buffer
	if err := json.Compact(&compact, []byte(r.stdout)); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.stdout)
	}
	json.Indent(&indented, compact.Bytes(), "", "  ")
	if indented.String()+"\n" != r.stdout {
		t.Errorf("JSON is not stably indented:\n%s", r.stdout)
	}
	golden(t, "explain-sequential-count3.json", r.stdout)

	doc := explainJSON(t, "--strategy", "sequential", "--count", "3")
	if doc.Schema != "portsim.explain/v1" || doc.Strategy != "sequential" || doc.Seed != 1 ||
		doc.Range != allocator.DynamicRange || doc.Kind != "connect" || len(doc.Allocations) != 3 {
		t.Errorf("document header %+v", doc)
	}
}

func TestExplainGoldenText(t *testing.T) {
	r := portsim("explain", "--strategy", "sequential", "--count", "3")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	golden(t, "explain-sequential-count3.txt", r.stdout)
}

// With no flags explain must work: it is the README's first command.
func TestExplainDefaults(t *testing.T) {
	c := cliCase{args: []string{"explain"}, wantCode: 0, wantStdout: []string{
		"strategy " + defaultStrategy() + ",", "#1  t=0s  10.0.0.1 -> 192.0.2.10:443  port ", "#8  t=7s  ", "8 picks",
	}}
	c.check(t)
	info, _ := strategies.Lookup(defaultStrategy())
	doc := explainJSON(t)
	if doc.Range != info.Range || doc.Kind != info.Kind.String() || doc.Seed != 1 || len(doc.Allocations) != 8 {
		t.Errorf("defaults: range %v kind %s seed %d, %d picks; want %v %v 1 8", doc.Range, doc.Kind, doc.Seed, len(doc.Allocations), info.Range, info.Kind)
	}
}

// A strategy asked for another kernel path's kind runs as asked, and the
// text says which strategy the kernel would use.
func TestExplainKernelNote(t *testing.T) {
	cliCase{args: []string{"explain", "--strategy", "linux", "--kind", "bind", "--count", "1"}, wantCode: 0,
		wantStdout: []string{"note: the kernel serves bind requests with linux-bind"}}.check(t)
}

func TestExplainBadInput(t *testing.T) {
	for _, c := range []struct {
		args []string
		want []string // in stderr: the flag, and what it allows
	}{
		{[]string{"--strategy", "nope"}, []string{"--strategy", `"nope"`, "sequential"}},
		{[]string{"--strategy", ""}, []string{"--strategy", "sequential"}},
		{[]string{"--strategy", "sequential:bogus=1"}, []string{"--strategy", "bogus", "start"}},
		{[]string{"--strategy", "sequential:start=x"}, []string{"--strategy", "start"}},
		{[]string{"--src", "10.0.0"}, []string{"--src", "IP address"}},
		{[]string{"--src", "10.0.0.1:80"}, []string{"--src", "port"}},
		{[]string{"--dst", "192.0.2.1"}, []string{"--dst", "IP:PORT"}},
		{[]string{"--dst", "example.com:443"}, []string{"--dst", "IP:PORT"}},
		{[]string{"--dst", "192.0.2.1:0"}, []string{"--dst", "port 0", "1 to 65535"}},
		{[]string{"--dst", "192.0.2.1:70000"}, []string{"--dst", "IP:PORT"}},
		{[]string{"--range", "60000-50000"}, []string{"--range", "LO ≤ HI"}},
		{[]string{"--range", "0-100"}, []string{"--range", "1 to 65535"}},
		{[]string{"--range", "70000"}, []string{"--range: low bound 70000 is out of range; want a port 1 to 65535"}},
		{[]string{"--range", "1-70000"}, []string{"--range", "high bound"}},
		{[]string{"--range", "a-b"}, []string{"--range", "not a number"}},
		{[]string{"--reserved", "9000-8000"}, []string{"--reserved", "LO ≤ HI"}},
		{[]string{"--count", "0"}, []string{"--count", "1 to 10000"}},
		{[]string{"--count", "-3"}, []string{"--count", "1 to 10000"}},
		{[]string{"--count", "10001"}, []string{"--count", "1 to 10000"}},
		{[]string{"--count", "many"}, []string{"--count", "whole number"}},
		{[]string{"--interval", "-1s"}, []string{"--interval", "negative"}},
		{[]string{"--interval", "soon"}, []string{"--interval", "duration"}},
		{[]string{"--interval", "1000h", "--count", "10000"}, []string{"--interval", "overflows"}},
		{[]string{"--seed", "-1"}, []string{"--seed", "whole number"}},
		{[]string{"--format", "xml"}, []string{"--format", "text, csv or json"}},
		{[]string{"--kind", "tcp"}, []string{"--kind", "connect, bind or udp"}},
		{[]string{"--src", "fd00::1", "--dst", "192.0.2.1:443"}, []string{"--src", "IPv6", "IPv4"}},
		{[]string{"--src", "10.0.0.1", "--dst", "[2001:db8::1]:443"}, []string{"--src", "IPv4", "IPv6"}},
		{[]string{"--dst", "192.0.2.1:443", "--dst", "[2001:db8::1]:443"}, []string{"--dst", "one IP family"}},
		{[]string{"--no-such-flag"}, []string{"unknown flag", "--no-such-flag"}},
		{[]string{"--count"}, []string{"--count", "needs an argument"}},
		{[]string{"stray"}, []string{`"stray"`, "only flags"}},
	} {
		args := append([]string{"explain"}, c.args...)
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			r := cliCase{args: args, wantCode: exitUsage, wantStderr: append(c.want, "portsim explain --help")}.check(t)
			if n := strings.Count(r.stderr, "\n"); n != 2 {
				t.Errorf("stderr has %d lines, want the error and the help pointer:\n%s", n, r.stderr)
			}
		})
	}
}

// --profile explains the profile's strategy for --kind within the
// profile's range: macOS TCP counts up from 49152, NetBSD's default down
// from 65535, macOS UDP is random.
func TestExplainProfile(t *testing.T) {
	for _, c := range []cliCase{
		{name: "macos", args: []string{"explain", "--profile", "macos", "--count", "2", "--close", "--format", "csv"},
			wantStdout: []string{",49152,", ",49153,"}},
		{name: "netbsd", args: []string{"explain", "--profile", "netbsd", "--count", "2", "--close", "--format", "csv"},
			wantStdout: []string{",65535,", ",65534,"}},
		{name: "macos udp", args: []string{"explain", "--profile", "macos", "--kind", "udp", "--count", "1"},
			wantStdout: []string{"profile:macos (random)", "range 49152-65535"}},
		{name: "ns3 connect as bind", args: []string{"explain", "--profile", "ns3", "--count", "1"},
			wantStdout: []string{"profile:ns3 (sequential:start=49153)", "kind bind", "port 49153"}},
		{name: "as a strategy spec", args: []string{"explain", "--strategy", "profile:macos", "--kind", "udp", "--count", "1"},
			wantStdout: []string{"profile:macos (random)", "range 49152-65535"}},
		{name: "both", args: []string{"explain", "--profile", "macos", "--strategy", "random"}, wantCode: 2,
			wantStderr: []string{"--profile and --strategy"}},
		{name: "unknown", args: []string{"explain", "--profile", "beos"}, wantCode: 2,
			wantStderr: []string{"--profile", `"beos"`, "macos"}},
		{name: "bad algo", args: []string{"explain", "--profile", "netbsd:algo=fast"}, wantCode: 2,
			wantStderr: []string{"--profile", "algo"}},
	} {
		t.Run(c.name, func(t *testing.T) { c.check(t) })
	}
}
