package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/portsim/portsim/plots"
	"github.com/portsim/portsim/report"
	"github.com/portsim/portsim/sim"
)

// charts lists every chart the inputs can draw: all of each result's (and
// its gateway's ports over time, when it had one), then a capacity curve
// per sweep (and the gateway's capacity, when its runs had one).
func charts(results []*sim.Result, sweeps []*sim.SweepResult) []*plots.Chart {
	var out []*plots.Chart
	for _, r := range results {
		out = append(out, plots.All(r)...)
		if gs := plots.GatewaySeriesOf(r); len(gs) > 0 {
			out = append(out, plots.GatewayPorts(gs))
		}
	}
	for _, sw := range sweeps {
		out = append(out, plots.Capacity(sw))
		if len(sw.Rows) > 0 && sw.Rows[0].Gateway != nil {
			out = append(out, plots.GatewayCapacity(sw))
		}
	}
	return out
}

// saveCharts writes each chart as DIR/NAME.FORMAT (numbered when several
// results give charts of the same name) and returns the paths. Like an
// outDir, it first removes the charts an earlier run drew there.
func saveCharts(dir, format string, cs []*plots.Chart) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := cleanOutDir(dir, chartsManifest); err != nil {
		return nil, err
	}
	seen := map[string]int{}
	var paths []string
	for _, c := range cs {
		seen[c.Name]++
		name := c.Name
		if n := seen[c.Name]; n > 1 {
			name = fmt.Sprintf("%s-%d", c.Name, n)
		}
		path := filepath.Join(dir, name+"."+format)
		if err := c.Save(path); err != nil {
			return paths, fmt.Errorf("chart %s: %w", c.Name, err)
		}
		paths = append(paths, path)
		if err := addManifest(dir, chartsManifest, filepath.Base(path)); err != nil {
			return paths, err
		}
	}
	return paths, nil
}

// writeReport renders the charts as SVG and writes the HTML report of in:
// its runs, sweeps and attacks.
func writeReport(path string, in *inputs) error {
	rin := report.Input{
		Title:     "portsim report",
		Results:   in.results,
		Sweeps:    in.sweeps,
		Generated: version(),
	}
	for _, c := range charts(in.results, in.sweeps) {
		f, err := svgFigure(c)
		if err != nil {
			return err
		}
		rin.Figures = append(rin.Figures, f)
	}
	for _, res := range in.attacks {
		a, err := reportAttack(res)
		if err != nil {
			return err
		}
		rin.Attacks = append(rin.Attacks, a)
	}
	return report.WriteFile(path, rin)
}

// svgFigure is chart c rendered as SVG for the report.
func svgFigure(c *plots.Chart) (report.Figure, error) {
	var buf bytes.Buffer
	if err := c.Render(&buf, "svg", c.Width, c.Height); err != nil {
		return report.Figure{}, fmt.Errorf("chart %s: %w", c.Name, err)
	}
	return report.Figure{Name: c.Name, Title: c.Title, Caption: c.Caption, SVG: buf.Bytes()}, nil
}
