package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAttackCommand(t *testing.T) {
	for _, c := range []cliCase{
		{name: "tracking table", args: []string{"attack", "tracking", "--budget", "20000"}, wantStdout: []string{
			"STRATEGY", "COUNTERS", "profile:linux-5.12", "256", "profile:linux", "65536", "Findings:",
			"a web page found a device ID in 100% of the plays", "no device ID within 20,000 connections",
			"The paper: about 40 connections per counter, 10,240 for 2^8 and 2,621,440 for 2^16"}},
		{name: "count csv", args: []string{"attack", "count", "--profile", "linux-4", "--strategy", "random", "--samples", "20", "--format", "csv"},
			wantStdout: []string{"strategy,success,estimate_error,baseline_error\n", "profile:linux-4,100.0,0.00,"}},
		{name: "guess", args: []string{"attack", "guess", "--profile", "macos", "--samples", "30"}, wantStdout: []string{"P(1)%", "profile:macos", "DNS-RACE%", "the first guess at the next port was right"}},
		{name: "table orders", args: []string{"attack", "tracking", "--table-orders", "4,6", "--seeds", "2"}, wantStdout: []string{
			"linux:table-order=4,increments=off,resalt=0", "linux:table-order=6,increments=off,resalt=0"}},

		{name: "no attack", args: []string{"attack"}, wantCode: exitUsage, wantStderr: []string{"want one attack, tracking, count, guess"}},
		{name: "unknown attack", args: []string{"attack", "fingerprint"}, wantCode: exitUsage, wantStderr: []string{`got "fingerprint"`}},
		{name: "setting of another attack", args: []string{"attack", "count", "--budget", "5"}, wantCode: exitUsage, wantStderr: []string{"--budget is for tracking, not count"}},
		{name: "bad setting", args: []string{"attack", "tracking", "--seeds", "lots"}, wantCode: exitUsage, wantStderr: []string{`--seeds: "lots" is not a whole number`}},
		{name: "setting out of range", args: []string{"attack", "tracking", "--attack-rate", "0"}, wantCode: exitUsage, wantStderr: []string{"--attack-rate: 0 is out of range"}},
		{name: "past the scenario", args: []string{"attack", "guess", "--samples", "100000"}, wantCode: exitUsage, wantStderr: []string{"--samples:", "past the scenario's duration"}},
		{name: "orders for count", args: []string{"attack", "count", "--table-orders", "8"}, wantCode: exitUsage, wantStderr: []string{"--table-orders is for tracking"}},
		{name: "bad orders", args: []string{"attack", "tracking", "--table-orders", "8,99"}, wantCode: exitUsage, wantStderr: []string{`--table-orders: "99" is not a table order`}},
		{name: "bad format", args: []string{"attack", "count", "--format", "xml"}, wantCode: exitUsage, wantStderr: []string{`--format: "xml"`}},
		{name: "bad profile", args: []string{"attack", "count", "--profile", "solaris"}, wantCode: exitUsage, wantStderr: []string{"--profile:", `unknown profile "solaris"`}},
		{name: "bad scenario field", args: []string{"attack", "count", "--rate", "-1"}, wantCode: exitUsage, wantStderr: []string{"--rate:"}},
	} {
		t.Run(c.name, func(t *testing.T) { c.check(t) })
	}
}

// The JSON document: the schema, the attack, its settings and scenario,
// and per strategy the attack's own fields only.
func TestAttackJSON(t *testing.T) {
	r := cliCase{args: []string{"attack", "count", "--profile", "linux-4", "--samples", "20", "--format", "json"}}.check(t)
	var doc struct {
		Schema   string           `json:"schema"`
		Attack   string           `json:"attack"`
		Settings []map[string]any `json:"settings"`
		Scenario []map[string]any `json:"scenario"`
		Results  []map[string]any `json:"results"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != "portsim.attack/v1" || doc.Attack != "count" || len(doc.Settings) == 0 || len(doc.Scenario) == 0 || len(doc.Results) != 1 {
		t.Fatalf("document %+v", doc)
	}
	res := doc.Results[0]
	if res["strategy"] != "profile:linux-4" || res["estimate_error"] != 0.0 || res["p_success"] != nil || res["id_stable"] != nil {
		t.Errorf("result %v", res)
	}
}

// attack --out and --charts; plot and report read the directory back.
func TestAttackOutPlotAndReport(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "att")
	for _, name := range []string{"tracking", "count", "guess"} {
		// Each attack's charts go into a directory of their own: one
		// --charts directory holds one run's charts.
		args := []string{"attack", name, "--out", filepath.Join(out, name), "--charts", filepath.Join(dir, "png", name)}
		switch name {
		case "tracking":
			args = append(args, "--budget", "20000")
		default:
			args = append(args, "--samples", "30")
		}
		r := portsim(args...)
		if r.code != 0 || !strings.Contains(r.stderr, "attack.json") || !strings.Contains(r.stderr, "charts into") {
			t.Fatalf("%s: exit %d, stderr %s", name, r.code, r.stderr)
		}
	}
	names := []string{"attack-tracking", "attack-count", "attack-guess", "attack-guess-dns"}
	for _, n := range names {
		attack := strings.Split(n, "-")[1]
		if _, err := os.Stat(filepath.Join(dir, "png", attack, n+".png")); err != nil {
			t.Errorf("--charts: %v", err)
		}
	}
	dirs := []string{filepath.Join(out, "tracking"), filepath.Join(out, "count"), filepath.Join(out, "guess", "attack.json")}
	charts := filepath.Join(dir, "svg")
	if r := portsim(append([]string{"plot", "--out", charts, "--format", "svg"}, dirs...)...); r.code != 0 {
		t.Fatalf("plot: exit %d: %s", r.code, r.stderr)
	}
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(charts, n+".svg")); err != nil {
			t.Errorf("plot: %v", err)
		}
	}
	page := filepath.Join(dir, "report.html")
	if r := portsim(append([]string{"report", "--out", page}, dirs...)...); r.code != 0 {
		t.Fatalf("report: exit %d: %s", r.code, r.stderr)
	}
	checkReport(t, page, names)
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Can an attacker predict or track my ports?", "Tracking a device across visits and networks",
		"Counting the connections in between", "Guessing the next port", "The paper: about 40 connections per counter"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the report lacks %q", want)
		}
	}
}
