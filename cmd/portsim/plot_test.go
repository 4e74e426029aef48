package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/portsim/portsim/internal/headless"
)

// chartNames are the charts a run's results draw.
var chartNames = []string{"port-signature", "collisions", "probes", "reuse", "occupancy", "port-usage", "predictability"}

func TestPlotAndReportFromSavedResults(t *testing.T) {
	dir := t.TempDir()
	res := filepath.Join(dir, "res")
	if r := portsim(append([]string{"run", "--strategy", "linux", "--strategy", "sequential", "--out", res}, quick...)...); r.code != 0 {
		t.Fatalf("run: exit %d: %s", r.code, r.stderr)
	}
	sweep := filepath.Join(dir, "sweep")
	if r := portsim("sweep", "--duration", "5s", "--vary", "rate=50,100", "--out", sweep); r.code != 0 {
		t.Fatalf("sweep: exit %d: %s", r.code, r.stderr)
	}
	charts := filepath.Join(dir, "charts")
	r := portsim("plot", res, sweep, "--out", charts, "--format", "svg")
	if r.code != 0 {
		t.Fatalf("plot: exit %d: %s", r.code, r.stderr)
	}
	for _, name := range append(chartNames, "capacity") {
		b, err := os.ReadFile(filepath.Join(charts, name+".svg"))
		if err != nil || !strings.Contains(string(b), "<svg") {
			t.Errorf("%s.svg: %v", name, err)
		}
	}
	page := filepath.Join(dir, "report.html")
	if r := portsim("report", res, sweep, "--out", page); r.code != 0 {
		t.Fatalf("report: exit %d: %s", r.code, r.stderr)
	}
	checkReport(t, page, append(chartNames, "capacity"))
}

// checkReport parses the page: one inline SVG per chart, nothing fetched
// from elsewhere.
func checkReport(t *testing.T, page string, names []string) {
	t.Helper()
	f, err := os.Open(page)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := html.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	svgs := 0
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if n.Data == "svg" && n.FirstChild != nil {
				svgs++
			}
			for _, a := range n.Attr {
				v := strings.ToLower(strings.TrimSpace(a.Val))
				if strings.HasPrefix(v, "http:") || strings.HasPrefix(v, "https:") || strings.HasPrefix(v, "//") {
					t.Errorf("<%s %s=%q> points outside the page", n.Data, a.Key, a.Val)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if svgs < len(names) {
		t.Errorf("report has %d inline SVG charts; want at least %d", svgs, len(names))
	}
}

func TestPlotBadInput(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.json")
	os.WriteFile(junk, []byte(`{"schema":"other/v9"}`), 0o644)
	cases := []cliCase{
		{name: "no out", args: []string{"plot", dir}, wantCode: 2, wantStderr: []string{"--out"}},
		{name: "bad format", args: []string{"plot", dir, "--out", dir, "--format", "gif"}, wantCode: 2, wantStderr: []string{"--format", "gif"}},
		{name: "no inputs", args: []string{"plot", "--out", dir}, wantCode: 2, wantStderr: []string{"no results"}},
		{name: "empty dir", args: []string{"report", dir}, wantCode: 2, wantStderr: []string{"no results.json"}},
		{name: "missing", args: []string{"report", filepath.Join(dir, "nope")}, wantCode: 2, wantStderr: []string{"nope"}},
		{name: "wrong schema", args: []string{"report", junk}, wantCode: 2, wantStderr: []string{"other/v9"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.check(t) })
	}
}

// The demo writes its charts and report, and the report draws in a real
// browser (headless Chromium, which .ci/run installs).
func TestDemoReportRendersInChromium(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	r := portsim("demo", "--out", dir)
	if r.code != 0 {
		t.Fatalf("demo: exit %d: %s", r.code, r.stderr)
	}
	for _, name := range chartNames {
		if _, err := os.Stat(filepath.Join(dir, name+".png")); err != nil {
			t.Error(err)
		}
	}
	page := filepath.Join(dir, "report.html")
	checkReport(t, page, chartNames)
	bin := headless.Chromium()
	if bin == "" {
		t.Skip("chromium not installed; .ci/run installs it (apt-get install chromium)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	img, err := headless.Screenshot(ctx, bin, page, t.TempDir(), 1200, 3000)
	if err != nil {
		t.Fatal(err)
	}
	if share := headless.NonBackground(img); share < 0.02 {
		t.Errorf("the demo report's screenshot looks blank: %.2f%% of pixels differ from the background", 100*share)
	}
}

func TestRunCharts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "charts")
	r := portsim(append([]string{"run", "--strategy", "random", "--charts", dir}, quick...)...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, name := range chartNames {
		if _, err := os.Stat(filepath.Join(dir, name+".png")); err != nil {
			t.Error(err)
		}
	}
}

// The reuse chart's sample of intervals goes through results.json: 'plot'
// draws from a saved run the same reuse chart the run drew itself.
func TestReuseChartFromSavedResults(t *testing.T) {
	dir := t.TempDir()
	res, charts := filepath.Join(dir, "res"), filepath.Join(dir, "charts")
	r := portsim(append([]string{"run", "--strategy", "random", "--strategy", "sequential", "--range", "40000-40099", "--time-wait", "1s",
		"--destinations", "1", "--out", res, "--charts", charts}, quick...)...)
	if r.code != 0 {
		t.Fatalf("run: exit %d: %s", r.code, r.stderr)
	}
	var saved struct {
		Results []struct {
			Count  int       `json:"reuse_count"`
			Sample []float64 `json:"reuse_sample_seconds"`
		} `json:"results"`
	}
	js, err := os.ReadFile(filepath.Join(res, "results.json"))
	if err == nil {
		err = json.Unmarshal(js, &saved)
	}
	if err != nil || len(saved.Results) != 2 || saved.Results[0].Count == 0 || len(saved.Results[0].Sample) != saved.Results[0].Count {
		t.Fatalf("results.json: %v, %+v; want every reuse interval in it", err, saved.Results)
	}
	again := filepath.Join(dir, "again")
	if r := portsim("plot", res, "--out", again); r.code != 0 {
		t.Fatalf("plot: exit %d: %s", r.code, r.stderr)
	}
	want, err1 := os.ReadFile(filepath.Join(charts, "reuse.png"))
	got, err2 := os.ReadFile(filepath.Join(again, "reuse.png"))
	if err1 != nil || err2 != nil || !bytes.Equal(got, want) {
		t.Errorf("reuse.png from the saved results differs from the run's own (%v, %v)", err1, err2)
	}
}
