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

// chartText explains each known chart, keyed by Figure.Name: what it
// shows, how to read it, and what its patterns mean.
var chartText = map[string]template.HTML{
	"port-signature": `Each point is one connection: the attempt number across, the source port it
got up the side, one colour per destination. A sawtooth (a line climbing to the top of the
range and falling back to the bottom) is a sequential cursor, as on macOS; one rising line
per destination is a hashed scheme with per-destination counters (<code>hashed</code>,
<code>double-hash</code>, <code>linux</code>, whose lines jump elsewhere when the hash is
re-salted every 10 s); a cloud filling the whole band evenly is random choice.`,

	"collisions": `The share of attempts whose first candidate port was unusable, against how full
the range was for that request (occupancy: its destination's 4-tuples established or in
TIME_WAIT, over the range size). A random start collides about as often as ports are busy,
so it follows the diagonal; a curve below it means the strategy walks past recently used
ports, and <code>linux</code> runs above it because it tries the even half of the range
first, which fills twice as fast.`,

	"probes": `How many candidate ports each attempt asked about, as a histogram: one probe
means no collision, and the last bar collects every longer scan. A tall first bar with a
short tail is cheap; a long tail is scans past busy ports, and a bar at the far end is
attempts that searched the whole range and failed (EADDRNOTAVAIL). With <code>linux</code>
a second hump appears once the even ports are full and the scan goes on to the odd ones.`,

	"reuse": `The reuse interval: for each connection whose 4-tuple had been used before, the
time since that 4-tuple was closed, on a logarithmic time axis. Nothing falls below the
scenario's TIME_WAIT (60 s on Linux) unless tw_reuse lets a 4-tuple be taken out of
TIME_WAIT. Bars close to that wall mean the strategy comes back to the same port soon; bars
far to the right mean a long reuse cycle, which RFC 6056 counts as a goal.`,

	"capacity": `The failure rate (connections refused with EADDRNOTAVAIL) against the swept
value, usually the rate of new connections to one destination. The limit line is the
range's capacity for one destination, usable ports over TIME_WAIT: 28232 / 60 s ≈ 470
connections a second on Linux defaults without tw_reuse. Failures start near it for every
strategy that searches the whole range; <code>random-pick</code> can fail earlier, since it
may give up while ports are free.`,

	"occupancy": `Sockets in use over simulated time: established connections and TIME_WAIT,
stacked, with UDP sockets if any. After a ramp as long as TIME_WAIT the total levels off at
about rate × (lifetime + TIME_WAIT) (Little's law), and TIME_WAIT usually dwarfs the open
connections. New connections fail when one destination's 4-tuples fill the whole range.`,

	"gateway-ports": `The public ports the gateway has in use on each of its addresses over the
run, and the connections one address holds to its busiest destination. A public port carries
one connection per destination at a time, so the busiest destination meets its limit (the
grey line) while the address still has idle ports for everyone else.`,

	"gateway-capacity": `The new connections per second the gateway carried as the swept value
grows, against the rate offered. The grey ceiling is the public addresses times the
connections each may hold to one destination, over the time a closed connection keeps its
port: more addresses raise it, more hosts behind the gateway do not.`,

	"port-usage": `How many allocations landed in each slice of the port range. A flat histogram
means the strategy spreads its choices over the whole range, which the uniformity p-value
in the results table tests (near 0: not uniform). Gaps are reserved ports, or stretches a
cursor or counter had not reached before the run ended.`,

	"predictability": `How much an observer who has seen one port learns about the next: the
entropy of the next port given the previous one, in bits, to the same destination and to
another (more bits, harder to guess). The bands are DNS-OARC porttest's ratings, which
judge a resolver by the spread of about 26 of its ports: POOR below 10 bits, GOOD 10–13.75,
GREAT 13.75–16. Entropy is estimated from the run's pairs and cannot exceed log2 of their
number, so a short run understates a random strategy.`,
}

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
