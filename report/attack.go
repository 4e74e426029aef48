package report

import (
	_ "embed"
	"fmt"
	"html/template"
)

// An Attack is one attack's results for the section "Can an attacker
// predict or track my ports?": plain sentences about them, a table of
// figures per strategy, and charts. The caller formats the table; the
// section adds the attack's teaching text, chosen by Name.
type Attack struct {
	// Name is tracking, count or guess; another name gets no teaching
	// text of its own.
	Name     string
	Title    string
	Findings []string
	Columns  []string
	Rows     [][]string
	Figures  []Figure
}

//go:embed attack.html.tmpl
var attackSource string

func init() { template.Must(page.New("attacks").Parse(attackSource)) }

// attackSection is what the section's template prints.
type attackSection struct {
	Intro   template.HTML
	Attacks []attackView
}

type attackView struct {
	ID, Title string
	Teach     template.HTML
	Findings  []string
	Columns   []string
	Rows      [][]string
	Figures   []figureView
}

// attackHeading is the section's question.
const attackHeading = "Can an attacker predict or track my ports?"

// buildAttacks makes the section and its contents entry, taking ids from
// ids; nil when there are no attacks.
func buildAttacks(as []Attack, ids idSet) (*attackSection, *tocEntry, error) {
	if len(as) == 0 {
		return nil, nil, nil
	}
	sec := &attackSection{Intro: attackIntro}
	toc := &tocEntry{ID: "attacks", Text: attackHeading}
	for i, a := range as {
		title := a.Title
		if title == "" {
			title = fmt.Sprintf("Attack %d", i+1)
		}
		v := attackView{ID: ids.take("attack-" + slug(title)), Title: title, Teach: attackText[a.Name],
			Findings: a.Findings, Columns: a.Columns, Rows: a.Rows}
		for j, f := range a.Figures {
			fv, err := figure(f, j, ids)
			if err != nil {
				return nil, nil, err
			}
			fv.Explain = attackChartText[f.Name]
			v.Figures = append(v.Figures, fv)
		}
		sec.Attacks = append(sec.Attacks, v)
		toc.Sub = append(toc.Sub, tocEntry{ID: v.ID, Text: title})
	}
	return sec, toc, nil
}

// The teaching text. For each attack: what the attacker sees, what it
// learns, and which defence stops it. The facts are those the strategies
// registry's profiles cite (portsim strategies --format json).

const attackIntro template.HTML = `<p>Every connection tells the server at the other end its
source port, and anyone on the path sees it too. An attacker who makes your machine connect
to its own servers — a web page can open hundreds of connections a second — collects those
ports and asks what they give away about the rest of your traffic. Below, an attacker and a
victim are played inside the simulator against each strategy, with the victim's other
traffic going on meanwhile, so the attacker has only what it would see for real. Three
questions: can it recognise your device later (tracking), can it tell how many connections
you made to others (counting), and can it guess the port of your next connection to someone
else, to forge packets that would be accepted (guessing)?</p>`

var attackText = map[string]template.HTML{
	"tracking": `<p><strong>What the attacker sees.</strong> A web page makes your browser
connect to many of the attacker's addresses and ports, and to loopback addresses
(127.0.0.1) on your own machine that the page cannot see; the attacker's servers see the
source ports of the connections that reach them. <strong>What it learns.</strong> Linux
5.12 to 5.17.8 chose ports with RFC 6056 Algorithm 4: a keyed hash of the addresses and
destination port picks one of 256 counters, and each connection moves its counter on. Two
connections to the attacker that bracket others show how far their counter moved, so the
attacker can tell which loopback destinations share a counter. Which ones do depends only
on the secret key your machine drew at boot — not on the network, the browser or private
mode — so that pattern is a device ID that follows you from home to the office until you
reboot (Kol, Klein and Gilad, USENIX Security 2023; CVE-2022-32296). <strong>What stops
it.</strong> Linux 5.17.9 made the table 65,536 counters, so watching every counter takes
hundreds of times more connections; it moves a counter on by a random 2 to 16 ports, which
blurs what the attacker reads; and it re-keys the hash every 10 seconds, so whatever the
attacker learned expires before it can finish. A global counter (one for everything) gives
every device the same pattern: nothing to track, but see counting below.</p>`,

	"count": `<p><strong>What the attacker sees.</strong> Two connections from you to its
own server, some time apart, and their source ports. <strong>What it learns.</strong> With
RFC 6056 Algorithm 3, Linux's choice until 5.11, every connection you make, to anyone, moves
one shared counter on by one step, so the difference between the two ports counts the
connections you made in between — how busy you were, whether you are loading another site,
even which of several machines behind one address is which. A sequential cursor (macOS,
Windows) leaks the same way. <strong>What stops it.</strong> A counter per destination
(Algorithm 4, Linux since 5.12): connections to others move other counters, and the
attacker's two ports say nothing about them. Random steps blur the count without hiding
it.</p>`,

	"guess": `<p><strong>What the attacker sees.</strong> The port of one of your earlier
connections: to its own server, which it can provoke, or to the target, if some side channel
leaks it. <strong>What it learns.</strong> Knowing the algorithm, it guesses the port of
your next connection to the target. That matters to an attacker off the path, who cannot see
your packets but can send forged ones: a forged DNS answer is accepted if it matches the
query's source port and its 16-bit transaction ID. With a fixed or sequential port that is
one guess in 65,536 per forged answer, and in 2008 Kaminsky showed how to make a resolver
ask again and again until one is accepted. <strong>What stops it.</strong> Random source
ports (RFC 5452, RFC 6056): the attacker must then guess the port too, which multiplies its
work by the size of the range — tens of thousands. Per-destination counters also keep
ports to the attacker's server from revealing ports to anyone else; the chart shows how
close each strategy comes to guessing blind.</p>`,
}

// attackChartText explains each attack chart, keyed by Figure.Name.
var attackChartText = map[string]template.HTML{
	"attack-tracking": `How many connections the attacker's page needed before it had an ID,
against the number of counters in the victim's table, both on log scales. The attack has to
find a witness for every counter and watch them all, so a larger table costs more than
proportionally; the dashed line is the paper's figure of 40 connections per counter. The
kernel's fix relies on this: at 65,536 counters the attack needs millions of connections,
too many to make unnoticed, and too many to finish before the 10-second re-keying.`,

	"attack-count": `Each point is one reading: the connections the victim really made
between two of the attacker's (across) and what the attacker worked out from their ports (up).
On the diagonal, the count is exact; a flat band or a scatter means the ports say nothing
about the count.`,

	"attack-guess": `The chance that the victim's next port is among the attacker's first
guesses, against the number of guesses, both on log scales. A strategy on the dashed line
of blind guessing gives nothing away; a line at the top left means one or two guesses
suffice.`,

	"attack-guess-dns": `The same for a DNS answer, which must match the port and the 16-bit
transaction ID: each spoofed answer is one guess at the pair. The dotted line is one race,
the answers that arrive before the real one; an attacker repeats the race with a new query
as often as it likes, so what counts is how far up a line is at the race.`,
}
