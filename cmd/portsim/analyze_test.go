package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portsim/portsim/observe/capture"
	"github.com/portsim/portsim/sim"
)

// analyzeCSV is a simulated Linux host: 10.0.0.1 making TCP connections
// (connect()) and UDP flows to five servers, written as a CSV capture.
// go test -update regenerates it from the simulator.
const analyzeCSV = "testdata/analyze-linux.csv"

func writeAnalyzeCSV(t *testing.T) {
	t.Helper()
	sc := sim.DefaultScenario()
	set := []string{"rate", "10", "duration", "60s", "warmup", "0s", "destinations", "5", "popularity", "zipf:1",
		"dst-port", "443", "lifetime", "exp:200ms", "close", "reset", "kind", "connect=0.8,udp=0.2",
		"strategy", "profile:linux", "seed", "5"}
	for i := 0; i < len(set); i += 2 {
		if err := sc.Set(set[i], set[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	res, err := sim.Run(t.Context(), sc, sim.Options{KeepSamples: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	var atts []capture.Attempt
	for _, s := range res.Results[0].Samples {
		if a, ok := attemptOf(&sc, s); ok {
			atts = append(atts, a)
		}
	}
	f, err := os.Create(analyzeCSV)
	if err != nil {
		t.Fatal(err)
	}
	if err := capture.WriteCSV(f, atts); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestAnalyzeCSVCapture(t *testing.T) {
	if *update {
		writeAnalyzeCSV(t)
	}
	r := portsim("analyze", analyzeCSV)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"capture testdata/analyze-linux.csv (csv):",
		"host 10.0.0.1 tcp:",
		"best: linux (connect), 1.00",
		"host 10.0.0.1 udp:",
		"best: linux (udp), ",
		"[same model: linux-5.12 (udp), linux-4 (udp), linux-3 (udp)]",
		"GREAT",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	golden(t, "analyze-linux.txt", r.stdout)
}

func TestAnalyzeJSON(t *testing.T) {
	r := portsim("analyze", analyzeCSV, "--format", "json", "--proto", "tcp", "--top", "2")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var doc struct {
		Schema  string `json:"schema"`
		Capture struct {
			Format   string `json:"format"`
			Packets  int    `json:"packets"`
			Attempts int    `json:"attempts"`
		} `json:"capture"`
		Hosts []struct {
			Host     string  `json:"host"`
			Proto    string  `json:"proto"`
			Attempts int     `json:"attempts"`
			Rating   string  `json:"rating"`
			Verdict  string  `json:"verdict"`
			Bits     float64 `json:"bits"`
			Fits     []struct {
				Name      string   `json:"name"`
				Profiles  []string `json:"profiles"`
				Posterior float64  `json:"posterior"`
			} `json:"fits"`
		} `json:"hosts"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if doc.Schema != analyzeSchema || doc.Capture.Format != "csv" || doc.Capture.Attempts < 500 || doc.Capture.Packets != doc.Capture.Attempts {
		t.Errorf("schema %q, capture %+v", doc.Schema, doc.Capture)
	}
	if len(doc.Hosts) != 1 {
		t.Fatalf("%d hosts; want the TCP one", len(doc.Hosts))
	}
	h := doc.Hosts[0]
	if h.Host != "10.0.0.1" || h.Proto != "tcp" || len(h.Fits) != 2 || h.Fits[0].Name != "linux (connect)" ||
		h.Fits[0].Posterior < 0.9 || h.Rating != "GREAT" || !strings.HasPrefix(h.Verdict, "best: linux (connect)") {
		t.Errorf("host %+v", h)
	}
}

func TestAnalyzeBadInput(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.txt")
	os.WriteFile(junk, []byte("hello, this is not a capture\n"), 0o644)
	empty := filepath.Join(dir, "empty.csv")
	os.WriteFile(empty, []byte("src,sport,dst,dport,time\n"), 0o644)
	badRow := filepath.Join(dir, "bad.csv")
	os.WriteFile(badRow, []byte("src,sport,dst,dport,time\n10.0.0.1,99999,192.0.2.1,443,2025-01-01T00:00:00Z\n"), 0o644)
	for _, c := range []cliCase{
		{name: "no capture", args: []string{"analyze"}, wantCode: 2, wantStderr: []string{"no capture given"}},
		{name: "two captures", args: []string{"analyze", analyzeCSV, analyzeCSV}, wantCode: 2, wantStderr: []string{"want one capture file"}},
		{name: "missing file", args: []string{"analyze", filepath.Join(dir, "nope.pcap")}, wantCode: 2, wantStderr: []string{"nope.pcap", "no such file"}},
		{name: "directory", args: []string{"analyze", dir}, wantCode: 2, wantStderr: []string{"is a directory"}},
		{name: "not a capture", args: []string{"analyze", junk}, wantCode: 2, wantStderr: []string{"junk.txt", "want"}},
		{name: "bad row", args: []string{"analyze", badRow}, wantCode: 2, wantStderr: []string{"bad.csv", "99999"}},
		{name: "bad format", args: []string{"analyze", analyzeCSV, "--format", "xml"}, wantCode: 2, wantStderr: []string{"--format", "text or json"}},
		{name: "bad proto", args: []string{"analyze", analyzeCSV, "--proto", "sctp"}, wantCode: 2, wantStderr: []string{"--proto", "tcp or udp"}},
		{name: "bad host", args: []string{"analyze", analyzeCSV, "--host", "10.0.0"}, wantCode: 2, wantStderr: []string{"--host", "IP address"}},
		{name: "absent host", args: []string{"analyze", analyzeCSV, "--host", "10.9.9.9"}, wantCode: 2, wantStderr: []string{"--host", "10.9.9.9", "10.0.0.1 tcp ("}},
		{name: "top 0", args: []string{"analyze", analyzeCSV, "--top", "0"}, wantCode: 2, wantStderr: []string{"--top", "1 or more"}},
		{name: "top not a number", args: []string{"analyze", analyzeCSV, "--top", "x"}, wantCode: 2, wantStderr: []string{"--top", "whole number"}},
		{name: "max attempts negative", args: []string{"analyze", analyzeCSV, "--max-attempts", "-1"}, wantCode: 2, wantStderr: []string{"--max-attempts", "negative"}},
		{name: "max attempts exceeded", args: []string{"analyze", analyzeCSV, "--max-attempts", "10"}, wantCode: 2, wantStderr: []string{"more than 10", "--max-attempts"}},
		{name: "empty capture", args: []string{"analyze", empty}, wantCode: 0, wantStdout: []string{"0 attempts", "no connection attempts"}},
		{name: "udp only", args: []string{"analyze", analyzeCSV, "--proto", "udp", "--host", "10.0.0.1"}, wantCode: 0, wantStdout: []string{"host 10.0.0.1 udp"}},
		{name: "help", args: []string{"analyze", "--help"}, wantCode: 0, wantStdout: []string{"portsim analyze CAPTURE", "--max-attempts"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := c.check(t)
			if c.wantCode == 2 && r.stdout != "" {
				t.Errorf("stdout on bad input: %q", r.stdout)
			}
			if c.name == "udp only" && strings.Contains(r.stdout, " tcp:") {
				t.Errorf("--proto udp printed a TCP host:\n%s", r.stdout)
			}
		})
	}
}
