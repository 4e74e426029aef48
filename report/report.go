package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/portsim/portsim/internal/format"
	"github.com/portsim/portsim/sim"
	"github.com/portsim/portsim/strategies"
)

// Figure is one chart to embed.
type Figure struct {
	Name    string // a known chart name (see the package doc) selects its explanation
	Title   string
	Caption string
	SVG     []byte // a whole SVG document, as plots writes it
}

// Input is everything a report shows.
type Input struct {
	Title   string // defaults to "portsim report"
	Results []*sim.Result
	Sweeps  []*sim.SweepResult
	Figures []Figure
	// Attacks are attack results, for the section "Can an attacker
	// predict or track my ports?" (see Attack).
	Attacks []Attack
	// Generated labels the report (a version, a date chosen by the
	// caller); it is not read from the clock, so the same input always
	// gives the same bytes.
	Generated string
}

//go:embed report.html.tmpl
var pageSource string

var page = template.Must(template.New("report").Parse(pageSource))

// Write renders the report as one self-contained HTML page. It refuses a
// figure that is not a single SVG document or that would fetch anything
// or run a script, naming the figure.
func Write(w io.Writer, in Input) error {
	v, err := build(in)
	if err != nil {
		return err
	}
	// Render to memory first so a template error leaves w untouched.
	var buf bytes.Buffer
	if err := page.Execute(&buf, v); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	_, err = buf.WriteTo(w)
	return err
}

// WriteFile writes the report to path through a temporary file in the same
// directory and a rename, so a reader never sees half a report.
func WriteFile(path string, in Input) (err error) {
	var buf bytes.Buffer
	if err := Write(&buf, in); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = buf.WriteTo(f); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	// CreateTemp makes the file 0600; a report is for reading.
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// The view types hold what the template prints, already formatted, so the
// template has no logic beyond loops and the formatting lives in Go.
type view struct {
	Title      string
	Generated  string
	Partial    bool
	TOC        []tocEntry
	WhyHeading string
	WhyIntro   template.HTML
	WhyMatters template.HTML
	Ranges     []rangeView
	WhyAnswer  template.HTML
	Strategies []strategyView
	Systems    []systemView
	Runs       []runView
	Legend     template.HTML
	Figures    []figureView
	Sweeps     []sweepView
	NAT        *natSection
	Attacks    *attackSection
	PartialMsg string
}

type tocEntry struct {
	ID, Text string
	Sub      []tocEntry
}

type runView struct {
	ScenarioID string
	ResultsID  string
	Heading    string
	Partial    bool
	Scenario   []sim.Field
	Rows       []resultRow
}

type resultRow struct {
	Strategy                         string
	Allocations, Failures, FailRate  string
	ProbesMean, ProbesP99, ProbesMax string
	Collisions, ReuseMin, ReuseP50   string
	TWReuses, BitsSame, BitsCross    string
	Guess, Uniformity                string
}

type figureView struct {
	ID, Title, Caption string
	Explain            template.HTML // what the chart shows; the attack section sets it
	SVG                template.HTML
}

type sweepView struct {
	ID, Heading string
	Partial     bool
	Rows        []sweepRow
}

type sweepRow struct {
	Value, Kind, Strategy, FailRate, ProbesMean string
}

// fixedIDs are the ids the template writes itself.
var fixedIDs = []string{"top", "contents", "why", "why-ranges", "why-strategies",
	"why-your-system", "scenario", "results", "charts", "sweeps", "nat", "attacks", "sources"}

func build(in Input) (*view, error) {
	v := &view{
		Title:      in.Title,
		Generated:  in.Generated,
		WhyHeading: whyHeading,
		WhyIntro:   whyIntro,
		WhyMatters: whyMatters,
		WhyAnswer:  whyAnswer,
		Ranges:     rangeRows(strategies.Profiles()),
		Strategies: strategyRows(strategies.All()),
		Systems:    systemRows(strategies.Profiles()),
		Legend:     resultsLegend,
		PartialMsg: partialNote,
	}
	if strings.TrimSpace(v.Title) == "" {
		v.Title = "portsim report"
	}

	// The template's own ids come first so no data-derived id takes them.
	ids := idSet{}
	for _, id := range fixedIDs {
		ids.take(id)
	}
	v.TOC = append(v.TOC, tocEntry{ID: "why", Text: whyHeading, Sub: []tocEntry{
		{ID: "why-ranges", Text: "Ephemeral port ranges"},
		{ID: "why-strategies", Text: "How each strategy picks"},
		{ID: "why-your-system", Text: "What your system does"},
	}})

	scen := tocEntry{ID: "scenario", Text: "The scenario"}
	res := tocEntry{ID: "results", Text: "Results"}
	for i, r := range in.Results {
		if r == nil {
			return nil, fmt.Errorf("report: Results[%d] is nil", i)
		}
		rv := runView{
			Heading:  runName(r, i, len(in.Results)),
			Partial:  r.Partial,
			Scenario: r.Scenario,
		}
		rv.ScenarioID = ids.take("scenario-" + slug(rv.Heading))
		rv.ResultsID = ids.take("results-" + slug(rv.Heading))
		scen.Sub = append(scen.Sub, tocEntry{ID: rv.ScenarioID, Text: rv.Heading})
		res.Sub = append(res.Sub, tocEntry{ID: rv.ResultsID, Text: rv.Heading})
		for _, s := range r.Results {
			rv.Rows = append(rv.Rows, row(s))
		}
		v.Partial = v.Partial || r.Partial
		v.Runs = append(v.Runs, rv)
	}
	if len(in.Results) > 0 {
		if len(in.Results) == 1 {
			// One run needs no sub-entries under its two sections.
			scen.Sub, res.Sub = nil, nil
		}
		v.TOC = append(v.TOC, scen, res)
	}

	charts := tocEntry{ID: "charts", Text: "Charts"}
	for i, f := range in.Figures {
		fv, err := figure(f, i, ids)
		if err != nil {
			return nil, err
		}
		v.Figures = append(v.Figures, fv)
		charts.Sub = append(charts.Sub, tocEntry{ID: fv.ID, Text: fv.Title})
	}
	if len(v.Figures) > 0 {
		v.TOC = append(v.TOC, charts)
	}

	sweeps := tocEntry{ID: "sweeps", Text: "Sweeps"}
	for i, s := range in.Sweeps {
		if s == nil {
			return nil, fmt.Errorf("report: Sweeps[%d] is nil", i)
		}
		sv := sweepView{Heading: "Sweep over " + strings.Join(s.Fields(), " × "), Partial: s.Partial}
		if s.Param == "" {
			sv.Heading = fmt.Sprintf("Sweep %d", i+1)
		}
		sv.ID = ids.take("sweep-" + slug(s.Param))
		for _, r := range s.Rows {
			sv.Rows = append(sv.Rows, sweepRow{
				Value:      strings.Join(r.Values(), ", "), // in the heading's order
				Kind:       r.Kind,
				Strategy:   r.Strategy,
				FailRate:   percent(r.FailureRate),
				ProbesMean: fixed(r.ProbesMean, 2),
			})
		}
		v.Partial = v.Partial || s.Partial
		v.Sweeps = append(v.Sweeps, sv)
		sweeps.Sub = append(sweeps.Sub, tocEntry{ID: sv.ID, Text: sv.Heading})
	}
	if len(v.Sweeps) > 0 {
		v.TOC = append(v.TOC, sweeps)
	}

	if nat, toc := buildNAT(in.Results); nat != nil {
		v.NAT = nat
		v.TOC = append(v.TOC, *toc)
	}

	sec, toc, err := buildAttacks(in.Attacks, ids)
	if err != nil {
		return nil, err
	}
	if sec != nil {
		v.Attacks = sec
		v.TOC = append(v.TOC, *toc)
	}
	return v, nil
}

// figure is the i-th figure's view, its ids taken from ids, its SVG
// checked and inlined.
func figure(f Figure, i int, ids idSet) (figureView, error) {
	label := f.Name
	if label == "" {
		label = fmt.Sprintf("#%d", i+1)
	}
	if len(bytes.TrimSpace(f.SVG)) == 0 {
		return figureView{}, fmt.Errorf("report: figure %q has no SVG", label)
	}
	id := ids.take("fig-" + slug(f.Name))
	title := f.Title
	if title == "" {
		title = f.Name
	}
	if title == "" {
		title = fmt.Sprintf("Figure %d", i+1)
	}
	// "--" cannot occur in a slug, so a prefixed chart id never equals a
	// heading id.
	svg, err := inlineSVG(f.SVG, id+"--", title)
	if err != nil {
		return figureView{}, fmt.Errorf("report: figure %q: %w", label, err)
	}
	// Safe: parsed, checked and re-rendered by inlineSVG.
	return figureView{ID: id, Title: title, Caption: f.Caption, SVG: template.HTML(svg)}, nil
}

func row(s sim.StrategyResult) resultRow {
	return resultRow{
		Strategy:    s.Strategy,
		Allocations: thousands(s.Allocations),
		Failures:    thousands(s.Failures),
		FailRate:    percent(s.FailureRate),
		ProbesMean:  fixed(s.ProbesMean, 2),
		ProbesP99:   thousands(s.ProbesP99),
		ProbesMax:   thousands(s.ProbesMax),
		Collisions:  percent(s.CollisionRate),
		ReuseMin:    seconds(s.ReuseMinSeconds),
		ReuseP50:    seconds(s.ReuseP50Seconds),
		TWReuses:    thousands(s.TWReuses),
		BitsSame:    fixed(s.EntropySameDst, 1),
		BitsCross:   fixed(s.EntropyCrossDst, 1),
		Guess:       percent(s.GuessSameDst),
		Uniformity:  fixed(s.UniformityP, 3),
	}
}

// runName names a result by its scenario's name field, if it has one.
func runName(r *sim.Result, i, n int) string {
	for _, f := range r.Scenario {
		if f.Name == "name" && f.Value != "" {
			return f.Value
		}
	}
	if n == 1 {
		return "run"
	}
	return fmt.Sprintf("run %d", i+1)
}

// idSet hands out unique element ids: a second "fig-reuse" becomes
// "fig-reuse-2", so links never point at the wrong chart.
type idSet map[string]bool

func (s idSet) take(id string) string {
	out := id
	for n := 2; s[out]; n++ {
		out = id + "-" + strconv.Itoa(n)
	}
	s[out] = true
	return out
}

// slug makes a string safe as part of an id: lower-case letters, digits
// and single hyphens.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.TrimSuffix(b.String(), "-")
	if out == "" {
		return "x"
	}
	return out
}

// Number formats. NaN and infinities (an empty run) print as a dash
// rather than "NaN".

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func fixed(x float64, prec int) string {
	if !finite(x) {
		return "—"
	}
	return strconv.FormatFloat(x, 'f', prec, 64)
}

func percent(x float64) string {
	if !finite(x) {
		return "—"
	}
	return format.Percent(x, 2)
}

// seconds prints a reuse interval; the results use -1 for "no reuse".
func seconds(x float64) string {
	if !finite(x) || x < 0 {
		return "—"
	}
	return strconv.FormatFloat(x, 'f', 1, 64) + " s"
}

// thousands groups digits with commas: 36085 prints as 36,085.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
