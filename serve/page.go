package serve

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/strategies"
)

// The page is one HTML file with its style and script put inline when the
// server starts, so it fetches nothing but the API.
var (
	//go:embed assets/page.html
	pageHTML string
	//go:embed assets/page.css
	pageCSS string
	//go:embed assets/page.js
	pageJS string
)

// pageConfig is what the page builds its controls from: the scenario
// fields (sim's table), the presets, strategies and profiles (the
// registry), explain's defaults and the server's limits.
type pageConfig struct {
	Fields     []setting                    `json:"fields"`
	Presets    []preset                     `json:"presets"`
	PresetVals map[string]map[string]string `json:"preset_values"`
	Strategies []string                     `json:"strategies"`
	Profiles   []string                     `json:"profiles"`
	Kinds      []string                     `json:"kinds"`
	Explain    explainDefaults              `json:"explain"`
	Why        uint16                       `json:"why"`
	MaxPicks   int                          `json:"max_picks"`
}

type explainDefaults struct {
	Strategy string `json:"strategy"`
	Seed     uint64 `json:"seed"`
	Count    int    `json:"count"`
	Interval string `json:"interval"`
}

func (s *Server) pageConfig() pageConfig {
	return pageConfig{
		Fields:     settings(),
		Presets:    presets(),
		PresetVals: presetValues(),
		Strategies: strategies.Names(),
		Profiles:   strategies.ProfileNames(),
		Kinds:      kindNames(),
		Explain: explainDefaults{Strategy: defaultPickStrategy, Seed: defaultPickSeed,
			Count: defaultPickCount, Interval: defaultPickInterval.String()},
		Why:      defaultWhy,
		MaxPicks: s.lim.MaxPicks,
	}
}

// defaultWhy is the port of the report's opening question.
const defaultWhy = 62412

// buildPage puts the style, script and config into the page and returns it
// with a Content-Security-Policy that allows only them, the API and
// inline SVG: nothing outside the server.
func buildPage(cfg pageConfig) ([]byte, string) {
	conf, err := json.Marshal(cfg) // escapes <, > and &, so it cannot end the script
	if err != nil {
		panic("serve: page config: " + err.Error())
	}
	js := strings.Replace(pageJS, "/*CONFIG*/null", string(conf), 1)
	page := strings.NewReplacer("/*CSS*/", pageCSS, "/*JS*/", js).Replace(pageHTML)
	// Styles stay 'unsafe-inline': the charts' SVG carries style
	// attributes, which a hash cannot allow.
	csp := "default-src 'none'; connect-src 'self'; script-src '" + hash(js) + "'; style-src 'unsafe-inline'; " +
		"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	return []byte(page), csp
}

func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

func (s *Server) handlePage(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", s.csp)
	w.Write(s.page)
}

// choices are the values a field allows where they are few, from
// allocator's enumerations, for the page to suggest.
func choices(field string) []string {
	switch field {
	case "kind":
		return kindNames()
	case "close":
		var out []string
		for c := allocator.ClientFirst; c <= allocator.Reset; c++ {
			out = append(out, c.String())
		}
		return out
	case "tw-reuse":
		var out []string
		for p := allocator.TWReuseOff; p <= allocator.TWReuseLoopback; p++ {
			out = append(out, p.String())
		}
		return out
	case "ipv6":
		return []string{"false", "true"}
	}
	return nil
}

func kindNames() []string {
	var out []string
	for k := allocator.Connect; k <= allocator.UDP; k++ {
		out = append(out, k.String())
	}
	return out
}
