package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/portsim/portsim/observe/capture"
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

// TestPcapBehindGateway: --pcap behind a gateway writes what a capture
// outside it shows: every attempt from a public address with its public
// port, none for flows the gateway dropped.
func TestPcapBehindGateway(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "nat.pcapng")
	out := filepath.Join(dir, "out")
	r := portsim("run", "--preset", "gcp-nat-api", "--strategy", "linux", "--duration", "3m", "--public-ips", "2",
		"--pcap", path, "--out", out, "--format", "csv")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	b, err := os.ReadFile(filepath.Join(out, "allocations.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var want []string // public ports of the flows the gateway let out
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n")[1:] {
		f := strings.Split(line, ",")
		if f[9] != "0" {
			want = append(want, f[9])
		}
	}
	c, err := capture.ReadFile(path, capture.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Attempts.Len() != len(want) || len(want) < 100 {
		t.Fatalf("%d attempts in the capture; %d flows got out", c.Attempts.Len(), len(want))
	}
	for i := range c.Attempts.Len() {
		a := c.Attempts.Attempt(i)
		if s := a.Src.String(); s != "203.0.113.1" && s != "203.0.113.2" {
			t.Fatalf("attempt %d from %s; want a public address", i, s)
		}
		if strconv.Itoa(int(a.SrcPort)) != want[i] {
			t.Fatalf("attempt %d: port %d; allocations.csv says %s", i, a.SrcPort, want[i])
		}
	}
}
