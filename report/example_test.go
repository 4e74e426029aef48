package report_test

import (
	"bytes"
	"fmt"
	"log"
	"regexp"

	"github.com/portsim/portsim/report"
	"github.com/portsim/portsim/sim"
)

// A report of one run with one chart. In portsim the Result comes from
// sim.Run and the SVG from package plots; here both are made by hand.
func ExampleWrite() {
	res := &sim.Result{
		Schema:   sim.Schema,
		Scenario: []sim.Field{{Name: "name", Value: "example"}, {Name: "rate", Value: "300"}},
		Results: []sim.StrategyResult{
			{Strategy: "sequential", Allocations: 1000, ProbesMean: 1, ReuseMinSeconds: -1, ReuseP50Seconds: -1},
			{Strategy: "linux", Allocations: 1000, ProbesMean: 1.4, ReuseMinSeconds: 61, ReuseP50Seconds: 70},
		},
	}
	chart := []byte(`<?xml version="1.0"?>
<svg width="300pt" height="200pt" xmlns="http://www.w3.org/2000/svg">
<path d="M0,200L300,0" stroke="black"/>
</svg>`)

	var page bytes.Buffer
	err := report.Write(&page, report.Input{
		Title:     "portsim example",
		Generated: "example",
		Results:   []*sim.Result{res},
		Figures:   []report.Figure{{Name: "port-signature", Title: "Port signature", Caption: "Ports by attempt.", SVG: chart}},
	})
	if err != nil {
		log.Fatal(err)
	}
	// The section headings, and the chart as it was inlined.
	for _, m := range regexp.MustCompile(`<h2 id="([^"]+)">([^<]+)</h2>`).FindAllStringSubmatch(page.String(), -1) {
		fmt.Printf("#%s: %s\n", m[1], m[2])
	}
	fmt.Println(regexp.MustCompile(`<svg[^>]*>`).FindString(page.String()))

	// A figure that would fetch from the network is refused.
	err = report.Write(&page, report.Input{Figures: []report.Figure{{
		Name: "bad", SVG: []byte(`<svg width="10" height="10"><image href="http://x/a.png"/></svg>`),
	}}})
	fmt.Println(err)
	// Output:
	// #contents: Contents
	// #why: Why did my browser use source port 62412?
	// #scenario: The scenario
	// #results: Results
	// #charts: Charts
	// #sources: Sources
	// <svg viewBox="0 0 300 200" width="100%" role="img" aria-label="Port signature">
	// report: figure "bad": <image href="http://x/a.png">: external reference "http://x/a.png"
}
