// Package report writes a portsim run as one self-contained HTML page for
// teaching: a short opening section answering "why did my browser use
// source port 62412?" (ephemeral ranges by system, how each strategy picks,
// what each system does), the resolved scenario, a results table per run,
// a table per parameter sweep, and the charts with a few plain sentences
// each on what they show and how to read them. How each strategy picks and
// what each system does are the strategies registry's texts (Info.How,
// Profile.How and the profiles' ranges), so the page and 'portsim
// strategies' cannot drift apart.
//
// Charts arrive as SVG documents (package plots draws them; report does not
// import it, so either can change alone). Each is inlined: its XML prolog
// and DOCTYPE are dropped, a viewBox is made from its width and height when
// it has none, so it scales to the page, and its ids are prefixed so two
// charts cannot collide. The page fetches nothing and runs nothing: no
// script, no link, no external URL. Write refuses a figure that would
// reference anything outside the page (src, href, xlink:href, CSS url() or
// @import to http:, https: or //), run a script or hold anything besides
// one <svg>, with an error naming the figure.
//
// Known chart names get their own explanation: port-signature,
// collisions, probes, reuse, capacity, occupancy, port-usage,
// predictability, gateway-ports and gateway-capacity. Other figures show
// their caption only.
//
// A run whose hosts sat behind a gateway (StrategyResult.Gateway) adds the
// section "Behind a NAT": why a NAT's limit is per destination, and each
// such run's gateway figures, refusals under the product's name. Without
// one the section is left out.
//
// Input.Attacks adds the section "Can an attacker predict or track my
// ports?": for each attack (package attack's tracking, count or guess,
// formatted by the caller into findings, a table and charts) the teaching
// text of what the attacker sees, what it learns and which defence stops
// it. Without attacks the section is left out.
//
// Findings says in a few plain sentences how the strategies of one run
// compare (reuse, exhaustion, probes, guessability); 'portsim demo'
// prints them under its table.
//
// The output depends on the Input alone (Input.Generated is a label the
// caller chooses, not the clock), so the same input gives the same bytes;
// the golden test in this package holds the page to that.
package report
