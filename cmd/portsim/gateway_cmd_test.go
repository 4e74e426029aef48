package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunGateway: a run behind a gateway prints its columns and legend,
// writes the gateway object in JSON and its series with --out, and plot
// and report read the directory back (allocations.csv with its host and
// public columns) and draw the gateway's chart and section.
func TestRunGateway(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "run")
	args := []string{"run", "--preset", "gcp-nat-api", "--strategy", "linux", "--duration", "3m"}
	table := cliCase{args: args, wantStdout: []string{"GW-FAILS", "INS-FAIL", "BUSIEST", "OUT_OF_RESOURCES", "gcp-nat"}}.check(t)
	if strings.Contains(table.stdout, "CONFLICT") {
		t.Error("a gateway without endpoint-independent mapping shows a CONFLICT column")
	}
	r := portsim(append(args, "--format", "json", "--out", out)...)
	if r.code != 0 {
		t.Fatalf("run --out: exit %d: %s", r.code, r.stderr)
	}
	var res struct {
		Results []struct {
			Gateway *struct {
				Policy      string `json:"policy"`
				Failures    int    `json:"failures"`
				FailureName string `json:"failure_name"`
			} `json:"gateway"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || len(res.Results) != 1 || res.Results[0].Gateway == nil {
		t.Fatalf("JSON: %v, %+v", err, res)
	}
	if g := res.Results[0].Gateway; g.Policy != "gcp-nat" || g.Failures == 0 || g.FailureName != "OUT_OF_RESOURCES" {
		t.Errorf("gateway object %+v", g)
	}
	for _, f := range []string{"gateway.csv", "allocations.csv", "results.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("--out: %v", err)
		}
	}
	if r := portsim("plot", out, "--out", filepath.Join(dir, "charts"), "--format", "svg"); r.code != 0 {
		t.Fatalf("plot: exit %d: %s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "charts", "gateway-ports.svg")); err != nil {
		t.Errorf("plot: %v", err)
	}
	page := filepath.Join(dir, "report.html")
	if r := portsim("report", out, "--out", page); r.code != 0 {
		t.Fatalf("report: exit %d: %s", r.code, r.stderr)
	}
	b, err := os.ReadFile(page)
	if err != nil || !strings.Contains(string(b), `id="nat"`) {
		t.Errorf("report: %v; want the NAT section", err)
	}
}

// TestRunGatewayBadInput: the gateway fields' mistakes are usage errors
// naming the field.
func TestRunGatewayBadInput(t *testing.T) {
	for _, c := range []cliCase{
		{name: "unknown", args: []string{"run", "--strategy", "linux", "--gateway", "nope"}, wantCode: 2, wantStderr: []string{"--gateway", `unknown gateway "nope"`}},
		{name: "hosts alone", args: []string{"run", "--strategy", "linux", "--hosts", "3"}, wantCode: 2, wantStderr: []string{"hosts", "need a gateway"}},
		{name: "too many addresses", args: []string{"run", "--strategy", "linux", "--gateway", "aws-nat", "--public-ips", "9"}, wantCode: 2, wantStderr: []string{"gateway", "at most 8"}},
	} {
		t.Run(c.name, func(t *testing.T) { c.check(t) })
	}
}
