package serve

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/portsim/portsim/sim"
)

// DefaultScenario is the page's starting point: sim's default host (Linux
// rules, 100 connections/s lasting about a second, closed by the client)
// talking to one destination for two minutes, sampled every second, with
// sequential, random and linux side by side. One destination puts the
// capacity of a single server's 4-tuples (about 460/s) within reach of the
// rate control, and the run stays small enough to redraw at once.
func DefaultScenario() sim.Scenario {
	sc := sim.DefaultScenario()
	sc.Name = "explore"
	sc.Duration = 2 * time.Minute
	sc.Destinations = 1
	sc.SampleStep = time.Second
	sc.Strategies = []string{"sequential", "random", "linux"}
	return sc
}

// Query keys that are not scenario fields: the preset a query starts
// from, and the port the Ask tab asks about.
const (
	keyPreset = "preset"
	keyWhy    = "why"
)

// isField reports whether name is a setting the API knows, so that an
// error starting "name:" is blamed on it.
func isField(name string) bool {
	if _, ok := sim.LookupField(name); ok {
		return true
	}
	return name == keyPreset || name == keyWhy || slices.Contains(explainKeys, name)
}

// scenarioOf reads a scenario from a query: the preset it names or
// DefaultScenario, then each field it gives, in the field table's order.
// Every other key is refused, so nothing else (a file name) gets in.
func (s *Server) scenarioOf(q url.Values) (sim.Scenario, sim.Scenario, error) {
	for key, vs := range q {
		if key == "" {
			return sim.Scenario{}, sim.Scenario{}, badInput("query", "query: a setting without a name; want NAME=VALUE pairs")
		}
		if _, ok := sim.LookupField(key); !ok && key != keyPreset && key != keyWhy {
			return sim.Scenario{}, sim.Scenario{}, badInput(key, "%s: not a setting of a scenario; want preset, why or a scenario field: %s",
				key, strings.Join(sim.FieldNames(), ", "))
		}
		if len(vs) > 1 {
			return sim.Scenario{}, sim.Scenario{}, badInput(key, "%s: given %d times; want it once", key, len(vs))
		}
	}
	base := DefaultScenario()
	if name := q.Get(keyPreset); name != "" {
		p, err := sim.PresetScenario(name)
		if err != nil {
			return sim.Scenario{}, sim.Scenario{}, fieldError(keyPreset, err)
		}
		base = p
	}
	sc := base
	for _, name := range sim.FieldNames() {
		if vs, ok := q[name]; ok {
			if err := sc.Set(name, vs[0]); err != nil {
				return sim.Scenario{}, sim.Scenario{}, fieldError(name, err)
			}
		}
	}
	if err := s.check(&sc); err != nil {
		return sim.Scenario{}, sim.Scenario{}, err
	}
	return sc, base, nil
}

// check is Validate, then this server's limit on arrivals.
func (s *Server) check(sc *sim.Scenario) error {
	if err := sc.Validate(); err != nil {
		// Validate joins one error per line, each naming its field; the
		// first names the field the page highlights.
		first, _, _ := strings.Cut(err.Error(), "\n")
		return fieldError("scenario", errors.New(first))
	}
	if len(sc.Strategies) == 0 {
		return badInput("strategy", "strategy: none given; want at least one strategy or profile:NAME")
	}
	if n := arrivals(sc) * float64(len(sc.Strategies)); n > s.lim.MaxArrivals {
		return badInput("rate", "rate: %g per second for %v with %d strategies is about %.3g simulated arrivals, over this server's limit of %.3g a run; want a lower rate, a shorter duration or fewer strategies (portsim run has no such limit)",
			sc.Arrivals.Rate, sc.Duration, len(sc.Strategies), n, s.lim.MaxArrivals)
	}
	return nil
}

// arrivals is how many connections one strategy's run is expected to see.
func arrivals(sc *sim.Scenario) float64 {
	n := sc.Arrivals.Rate * sc.Duration.Seconds()
	if a := sc.Arrivals; a.Process == sim.OnOff {
		n *= a.On.Seconds() / (a.On + a.Off).Seconds()
	}
	return n
}

// canonicalQuery is the query that gives sc: the preset, if any, then each
// field that differs from base, in the field table's order, as Get spells
// it; why is kept.
func canonicalQuery(sc, base *sim.Scenario, q url.Values) string {
	var parts []string
	if p := q.Get(keyPreset); p != "" {
		parts = append(parts, keyPreset+"="+escape(p))
	}
	for _, name := range sim.FieldNames() {
		if v := sc.Get(name); v != base.Get(name) {
			parts = append(parts, escape(name)+"="+escape(v))
		}
	}
	if w := q.Get(keyWhy); w != "" {
		parts = append(parts, keyWhy+"="+escape(w))
	}
	return strings.Join(parts, "&")
}

// escape is url.QueryEscape leaving the commas and colons of specs and
// lists as they are (a query may hold them), so a URL stays readable.
func escape(s string) string {
	return strings.NewReplacer("%2C", ",", "%3A", ":").Replace(url.QueryEscape(s))
}

// scenarioFileName is what the download is called.
const scenarioFileName = "portsim-scenario.yaml"

// handleScenarioFile answers GET /api/scenario.yaml with the query's
// scenario as a file that 'portsim run --scenario' reads unchanged.
func (s *Server) handleScenarioFile(w http.ResponseWriter, r *http.Request) {
	sc, _, err := s.scenarioOf(r.URL.Query())
	if err != nil {
		s.writeError(w, err)
		return
	}
	b := sim.FormatFile(&sc, "from portsim serve; run it with: portsim run --scenario "+scenarioFileName)
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+scenarioFileName+`"`)
	w.Write(b)
}

// loaded is POST /api/scenario's answer: the query that gives the file's
// scenario.
type loaded struct {
	Query string `json:"query"`
}

// handleScenarioPost reads a scenario file from the body (its contents,
// never a path) over DefaultScenario and answers with its query.
func (s *Server) handleScenarioPost(r *http.Request) (any, error) {
	data, err := io.ReadAll(r.Body)
	var mb *http.MaxBytesError
	switch {
	case errors.As(err, &mb):
		return nil, badInput("body", "body: the scenario file is over this server's limit of %d bytes; want a scenario file of field: value lines", mb.Limit)
	case err != nil:
		return nil, badInput("body", "body: %v", err)
	}
	sc := DefaultScenario()
	if err := sim.ParseFile("scenario", data, &sc); err != nil {
		field, msg := fileErrorField(err), err.Error()
		if field == "body" {
			msg = "body: " + msg
		}
		return nil, &statusError{http.StatusBadRequest, apiError{Field: field, Error: msg}}
	}
	if err := s.check(&sc); err != nil {
		return nil, err
	}
	base := DefaultScenario()
	return loaded{Query: canonicalQuery(&sc, &base, nil)}, nil
}

// fileErrorField finds the field a ParseFile error names ("scenario:3:
// rate: ..."), or "body".
func fileErrorField(err error) string {
	for _, part := range strings.Split(err.Error(), ": ") {
		if _, ok := sim.LookupField(part); ok || part == keyPreset {
			return part
		}
	}
	return "body"
}

// setting is one scenario field as the page shows it.
type setting struct {
	Name    string   `json:"name"`
	Help    string   `json:"help"`
	Type    string   `json:"type"`
	Default string   `json:"default"`
	Choices []string `json:"choices,omitempty"`
	Primary bool     `json:"primary,omitempty"`
}

// primaryFields are the fields the Explore tab shows first, in this
// order; the field table's others follow under "more settings".
var primaryFields = []string{"strategy", "rate", "lifetime", "destinations", "popularity",
	"kind", "close", "time-wait", "tw-reuse", "range", "seed"}

// settings lists every scenario field for the page's controls, from the
// field table.
func settings() []setting {
	def := DefaultScenario()
	var first, rest []setting
	for _, f := range sim.Fields() {
		st := setting{Name: f.Name, Help: f.Help, Type: f.Type, Default: def.Get(f.Name), Choices: choices(f.Name)}
		if slices.Contains(primaryFields, f.Name) {
			st.Primary = true
			first = append(first, st)
		} else {
			rest = append(rest, st)
		}
	}
	slices.SortStableFunc(first, func(a, b setting) int {
		return slices.Index(primaryFields, a.Name) - slices.Index(primaryFields, b.Name)
	})
	return append(first, rest...)
}

// preset is a preset as the page offers it: its query over the default.
type preset struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

func presets() []preset {
	var out []preset
	for _, p := range sim.Presets() {
		out = append(out, preset{Name: p.Name, Description: p.Description})
	}
	return out
}

// presetValues is every field of every preset, for the page to fill its
// controls from when one is chosen.
func presetValues() map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, p := range sim.Presets() {
		sc := p.Scenario()
		m := map[string]string{}
		for _, name := range sim.FieldNames() {
			m[name] = sc.Get(name)
		}
		out[p.Name] = m
	}
	return out
}
