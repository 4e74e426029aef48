package report

import (
	"golang.org/x/net/html"
	"strings"
	"testing"
)

func attackInput() Input {
	in := sampleInput()
	in.Attacks = []Attack{
		{
			Name: "tracking", Title: "Tracking a device",
			Findings: []string{"profile:linux-5.12: a web page found a device ID in 100% of the plays."},
			Columns:  []string{"Strategy", "Success", "Connections"},
			Rows:     [][]string{{"profile:linux-5.12", "100%", "12,383"}, {"profile:linux", "0%", "—"}},
			Figures:  []Figure{{Name: "attack-tracking", Title: "Tracking cost", Caption: "Connections against counters.", SVG: []byte(gonumLike)}},
		},
		{
			Name: "guess", Title: "Guessing the next port",
			Figures: []Figure{
				{Name: "attack-guess", Title: "Guess", SVG: []byte(withDoctype)},
				{Name: "collisions", Title: "Same name as a run chart", SVG: []byte(withDoctype)},
			},
		},
		{Name: "unknown", Title: "Something else"},
	}
	return in
}

// The attack section: its heading and contents entry, each attack's
// teaching text, findings, table and charts, and ids that collide with
// nothing else on the page.
func TestAttackSection(t *testing.T) {
	_, doc := render(t, attackInput())
	sec := sectionOf(t, doc, "attacks")
	got := text(sec)
	for _, want := range []string{
		"Can an attacker predict or track my ports?",
		"What the attacker sees.", "What it learns.", "What stops it.",
		"CVE-2022-32296", "Kaminsky",
		"a web page found a device ID in 100% of the plays",
		"Connections against counters.",
		"the paper's figure of 40 connections per counter",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the attack section lacks %q", want)
		}
	}
	if n := strings.Count(got, "What the attacker sees."); n != 2 {
		t.Errorf("%d teaching texts; want 2 (tracking and guess, none for an unknown attack)", n)
	}
	tables := find(sec, elem("table"))
	if len(tables) != 1 {
		t.Fatalf("%d tables; want 1", len(tables))
	}
	rows := tableRows(tables[0])
	if len(rows) != 2 || strings.Join(rows[0], "|") != "profile:linux-5.12|100%|12,383" {
		t.Errorf("table rows %q", rows)
	}
	if n := len(find(sec, elem("svg"))); n != 3 {
		t.Errorf("%d charts inlined; want 3", n)
	}
	// Every id is unique, and the contents list each attack.
	seen := map[string]bool{}
	for _, n := range find(doc, func(n *html.Node) bool { _, ok := attr(n, "id"); return ok }) {
		id, _ := attr(n, "id")
		if seen[id] {
			t.Errorf("id %q used twice", id)
		}
		seen[id] = true
	}
	for _, id := range []string{"attack-tracking-a-device", "attack-guessing-the-next-port", "attack-something-else", "fig-attack-tracking", "fig-collisions-2"} {
		if !seen[id] {
			t.Errorf("no element with id %q", id)
		}
	}
}

// A report without attacks has no attack section and no entry for it.
func TestNoAttackSection(t *testing.T) {
	b, doc := render(t, sampleInput())
	if byID(doc, "attacks") != nil || strings.Contains(string(b), "Can an attacker") {
		t.Error("an attack section without attacks")
	}
}

// An attack's figure is checked like any other: an unsafe one is refused,
// naming it.
func TestAttackFigureRefused(t *testing.T) {
	in := attackInput()
	in.Attacks[0].Figures[0].SVG = []byte(`<svg><script>alert(1)</script></svg>`)
	var b strings.Builder
	if err := Write(&b, in); err == nil || !strings.Contains(err.Error(), "attack-tracking") {
		t.Errorf("error %v; want one naming figure attack-tracking", err)
	}
	in = attackInput()
	in.Attacks[1].Figures[0].SVG = nil
	if err := Write(&b, in); err == nil || !strings.Contains(err.Error(), "has no SVG") {
		t.Errorf("error %v; want 'has no SVG'", err)
	}
}

// Every attack chart has an explanation.
func TestAttackChartTexts(t *testing.T) {
	for _, name := range []string{"attack-tracking", "attack-count", "attack-guess", "attack-guess-dns"} {
		if attackChartText[name] == "" {
			t.Errorf("no explanation for %s", name)
		}
	}
	for _, name := range []string{"tracking", "count", "guess"} {
		if attackText[name] == "" {
			t.Errorf("no teaching text for %s", name)
		}
	}
}
