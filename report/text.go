package report

import "html/template"

// The teaching text. Every fact here is one the strategies registry's
// profiles cite a source for (portsim strategies --format json lists them);
// change them together. How each strategy picks and what each system does
// are the strategies registry's own texts (Info, Profile), not copied here.
// Strings typed template.HTML are trusted markup written here, never data
// from a run or the registry.

// examplePort is the port in the opening question: a port a browser on
// macOS might show, and one that Linux's default range cannot produce.
const examplePort = 62412

// dynamicRange is the ranges table's first row, RFC 6335's range; the
// systems' rows come from the strategies registry's profiles.
var dynamicRange = rangeView{
	Who:  "IANA dynamic (ephemeral) ports, RFC 6335",
	Note: "never assigned to a service; RFC 6056 advises using as large a range as possible, up to 1024–65535, so ports are harder to guess",
}

// whyIntro opens the first section.
const whyIntro template.HTML = `<p>When your browser connects to a server on port 443, its own end of the
connection needs a port too. The program rarely asks for one, so the operating system
picks a free <em>ephemeral</em> port from its range. Which number comes out depends on
two things: the range the system uses, and the algorithm that walks it.</p>`

// whyAnswer follows the ranges table.
const whyAnswer template.HTML = `<p><strong>62412 lies in the IANA dynamic range
49152–65535</strong>, which macOS and Windows use, and in both of FreeBSD's ranges. It is
outside Linux's default 32768–60999 and OpenBSD's 1024–49151. So a browser on macOS,
Windows or FreeBSD could have picked it itself. On macOS, where TCP ports come from one
sequential cursor, 62412 is simply where the cursor stood: the next connection, from any
program, normally gets 62413. A Linux machine with its default range never picks 62412; if a server
saw it from one, the range was changed, or a NAT on the way rewrote the port.</p>`

// resultsLegend explains the results table's columns in one line.
const resultsLegend template.HTML = `<strong>Failures</strong>: no usable port
(EADDRNOTAVAIL). <strong>Probes</strong>: candidate ports asked per attempt.
<strong>Collisions</strong>: attempts whose first candidate was busy.
<strong>Reuse</strong>: time from a 4-tuple's close to its next use (— when none was
reused). <strong>Bits</strong>: entropy of the next port given the previous one, to the
same destination and to another; <strong>best guess</strong>: how often the likeliest next
port to the same destination is right. <strong>Uniformity p</strong>: chi-square p-value of
port usage against uniform.`

// partialNote is shown for a run that was stopped early.
const partialNote = "Partial results: this run was stopped before the end, so every number covers only the part that ran."

// whyHeading is the opening question.
const whyHeading = "Why did my browser use source port 62412?"

// whyMatters closes the first section and leads into the numbers.
const whyMatters template.HTML = `<p>The choice decides three things this report measures.
How soon a 4-tuple (source address and port, destination address and port) is used again:
each connection closed by this side keeps its 4-tuple in TIME_WAIT, 60 s on Linux. When a
busy client runs out of ports: one destination then sustains only about range / TIME_WAIT
new connections a second (28232 / 60 s ≈ 470 on Linux defaults), and past that
<code>connect()</code> fails with EADDRNOTAVAIL, “cannot assign requested address”. And how
easily an attacker guesses the next port: Kaminsky's 2008 DNS attack was answered by
randomizing source ports.</p>`
