/*
Portsim simulates how client ephemeral source ports are chosen: the
algorithms of RFC 6056, Linux's connect(), bind() and UDP paths, and simple
baselines, run against a model of a host's socket tables.

Usage:

	portsim COMMAND [flags]

The commands are:

	explain     show, step by step, how a strategy picks ports
	strategies  list the port-selection strategies and their parameters
	demo        compare the main strategies on a built-in teaching scenario
	run         simulate a scenario with one or more strategies
	compare     run a scenario with several strategies side by side
	sweep       run a scenario over a range of one parameter
	scenarios   list the built-in scenarios, or print one as a scenario file
	plot        draw the charts of saved results
	report      write a self-contained HTML report that explains the charts
	probe       ask this machine's kernel for ports over loopback and compare with the models
	analyze     say which OS profile best explains each host's source ports in a capture
	help        show the command list, or 'portsim help COMMAND' for one command

Every command takes --help. Data goes to stdout and messages to stderr. Bad
input (an unknown command or flag, a malformed value) is reported with the
flag's name and what it allows, and exits with status 2; a failure at run
time exits with status 1.

# portsim explain

	portsim explain [--strategy SPEC | --profile NAME] [--src IP] [--dst IP:PORT]... [--count N]
	    [--interval DURATION] [--seed SEED] [--range LO-HI] [--reserved LIST]
	    [--kind connect|bind|udp] [--close] [--format text|csv|json]

Explain picks --count ports in a row with one strategy, one every --interval
of simulated time, round-robin across the --dst list, and shows every step
of each choice: what the strategy computed (hash inputs and values, table
indexes, counters, cursors, offsets), each candidate port it probed and why
a busy one was rejected, the port it chose, and how its state and the
socket table changed. With no flags it shows the Linux connect() strategy
picking 8 ports from 10.0.0.1 to 192.0.2.10:443:

	go run ./cmd/portsim explain

The flags and their defaults:

	-s, --strategy SPEC   linux (sequential when linux is not built in);
	                      NAME or NAME:PARAM=VALUE,... as 'portsim strategies' lists
	--profile NAME        instead of --strategy: an OS profile (linux, macos,
	                      netbsd:algo=randinc, ...): its strategy for --kind, its
	                      range, TIME_WAIT and sharing rules
	--src IP              10.0.0.1, or fd00::1 for IPv6 destinations
	--dst IP:PORT         192.0.2.10:443, or [2001:db8::10]:443 with an IPv6 --src;
	                      repeat it (or use commas) to take turns between several
	-n, --count N         8 picks, at most 10000
	--interval DURATION   1s of simulated time between picks (≥ 0)
	--seed SEED           1; the same seed gives the same ports
	--range LO-HI         the strategy's own range
	--reserved LIST       none; ports such as 8080,9000-9100 are never picked
	--kind KIND           the strategy's own: connect, bind or udp
	--close               off: connections stay open; on: each is reset right
	                      after its pick, leaving nothing in TIME_WAIT
	-f, --format FORMAT   text, csv or json

The socket table uses Linux's defaults: TIME_WAIT 60s, tw_reuse for loopback
only, after 1s. A pick that finds no usable port is a failure
(EADDRNOTAVAIL): it is shown as a row and explain goes on.

The text format is for reading: a header naming the strategy, range, kind and
seed, then a line per pick such as

	#1  t=0s  10.0.0.1 -> 192.0.2.10:443  port 49152 after 1 probe

with its steps indented beneath, and a summary. The csv format has one row
per pick with the columns n, time (seconds), kind, src, dst, port (empty on
a failure), probes, collisions and error. The json format is a document with
"schema": "portsim.explain/v1", the run's settings, and "allocations", each
with n, time_s, src, dst, port, probes, collisions, error and its steps
(what, port, usable, detail).

# portsim strategies

	portsim strategies [--format text|json]

Strategies lists every registered strategy: its name, the request kind and
port range it uses by default, whether it always finds a free port when one
exists (exhaustive), what it does, and its parameters with their defaults.
The json format is an array of objects with name, description, params (each
name, default, help), exhaustive, kind and range (lo, hi).

# portsim demo

	portsim demo [--out DIR] [--seed SEED]

Demo simulates a busy client — 300 new HTTPS connections a second to three
servers, one of them hot, each closed by the client after about 200 ms so
its 4-tuple waits 60 s in TIME_WAIT — once with each of sequential, random,
hashed and linux on the same workload. It prints the comparison table and a
few findings in plain words, and writes results.json, timeseries.csv and
allocations.csv into --out (default portsim-out).

# portsim run and portsim compare

	portsim run [--preset NAME | --scenario FILE] --strategy SPEC [--strategy SPEC]...
	    [--profile NAME]...
	    [scenario flags] [--format table|csv|json] [--out DIR] [--charts DIR]
	    [--pcap FILE.pcapng]
	    [--keep-allocations N]
	portsim compare [the same flags; --strategy defaults to sequential, random, hashed, linux]

Run simulates a workload — connections arriving, living, closing, their
4-tuples waiting out TIME_WAIT — on a host whose ports are chosen by each
--strategy in turn, all on the same arrivals, destinations and lifetimes.
The scenario is built from the defaults, or --preset NAME, then --scenario
FILE (YAML, fields named like the flags), then the flags; a flag wins.

--profile NAME (repeatable, beside or instead of --strategy) simulates an OS
profile: linux, linux-5.12, linux-4, freebsd, openbsd, netbsd (netbsd:algo=
bsd|random_start|random_pick|hash|doublehash|randinc), macos, windows (an
approximation), ns3 or omnet-inet. A profile brings its own strategy per
request kind, port range, reserved ports, TIME_WAIT and reuse rules, which
replace the scenario's; in a scenario file write it as profile:NAME in the
strategy list. 'portsim strategies' lists the profiles and their sources.

The scenario flags:

	--name NAME               a label for the run
	--seed N                  the workload and strategy seed
	--duration D, --warmup D  how long arrivals go on; metrics skip the warm-up
	--rate R                  connections per second
	--arrivals A              poisson, constant or onoff:ON/OFF
	--lifetime L              fixed:50ms, exp:2s or lognormal:2s,1.5 (mean, sigma)
	--destinations N          how many servers
	--popularity P            uniform or zipf:S
	--dst-port LIST           server ports, e.g. 443 or 443,53
	--ipv6                    IPv6 destinations and sources
	--src LIST                local addresses, used in turn
	--kind K                  connect, bind, udp or shares: connect=0.9,udp=0.1
	--close C                 client, server, reset or shares: client=0.8,reset=0.2
	--time-wait D             how long a client-closed 4-tuple stays in TIME_WAIT
	--tw-reuse P              off, on or loopback
	--tw-reuse-delay D        minimum TIME_WAIT age before a reuse
	--range LO-HI             the ephemeral port range
	--reserved LIST           ports never chosen automatically
	--sample-step D           how often occupancy is sampled (0: duration/500)

Output is an aligned table, CSV or JSON on stdout. The JSON has "schema":
"portsim.results/v1", "scenario" (every resolved parameter, so the run can be
reproduced) and "results", one object per strategy with allocations,
failures, probes_mean, probes_p99, collision_rate, reuse_min_seconds,
tw_reuses, entropy_same_dst_bits, entropy_cross_dst_bits and more. --out DIR
also writes results.json, timeseries.csv (occupancy over time) and
allocations.csv (the first --keep-allocations attempts per strategy).
--pcap FILE.pcapng writes those attempts as a capture — a synthetic SYN per
TCP connection, the first datagram per UDP flow, at the simulated times from
2026-01-01 00:00 UTC — that Wireshark opens and 'portsim analyze' reads back;
with several strategies, one file each, FILE-STRATEGY.pcapng.

A progress bar shows on stderr when it is a terminal and the run takes more
than a second; Ctrl-C stops the run and prints the results so far, marked
partial.

# portsim sweep

	portsim sweep --vary FIELD=START:STOP:STEP [--kinds connect,bind] [--strategy SPEC]...
	    [--profile NAME]...
	    [--scenario FILE | --preset NAME] [scenario flags] [--format table|csv|json] [--out DIR]

Sweep runs the scenario once per value of one field (FIELD=V1,V2,... lists
the values instead) with each strategy (default linux), and prints one row
per value, kind and strategy: allocations, failures, failure rate, mean
probes and the range / TIME_WAIT limit — usable ports over TIME_WAIT, the
connection rate one destination (or, for bind, the whole host) can sustain.
--kinds repeats the sweep for each request kind; --out DIR writes
sweep.json ("schema": "portsim.sweep/v1"), which the capacity chart draws.

# portsim scenarios

	portsim scenarios [NAME] [--format text|json]

Scenarios lists the presets (browser, load-tester, proxy-backend,
bind-before-connect, dns-resolver). Given a NAME it prints that preset as a
YAML scenario file, ready to edit and pass back with --scenario FILE.

# portsim plot and portsim report

	portsim plot RESULTS_DIR_OR_JSON... --out DIR [--format png|svg|pdf]
	portsim report RESULTS_DIR_OR_JSON... [--out report.html]

Both read what 'portsim run --out DIR' wrote (results.json and
allocations.csv) or 'portsim sweep --out DIR' wrote (sweep.json), or those
JSON files directly. Plot writes the charts: port signature, collisions
against occupancy, probes per allocation, reuse interval, occupancy over
time, port usage and predictability for a run; the capacity curve for a
sweep. Report writes one self-contained HTML page (charts inline as SVG,
nothing fetched from the network) that answers "why did my browser use
source port 62412?", explains each chart in plain sentences, and lists the
resolved scenario and the results. 'portsim run --charts DIR' draws a run's
charts directly; 'portsim demo' writes its charts and report.html into --out.

# portsim probe

	portsim probe [--dst IP[:PORT]]... [--src IP] [--count N] [--kind connect,bind,udp]
	    [--close rst|fin] [--seed SEED] [--out DIR] [--format text|json]

Probe asks the live kernel which source ports it chooses, and talks only to
loopback: every --dst and --src must be in 127.0.0.0/8 or be ::1, and any
other address is refused (exit 2). It opens a TCP listener and a UDP socket
on each --dst (default 127.0.0.1, 127.0.0.2, 127.0.0.3, and ::1 when the host
has it; a port of 0 or none lets the kernel choose), then makes --count
connections (default 1000) to each destination, round-robin, for each --kind:
connect (connect() on an unbound socket), bind (bind(127.0.0.1 or ::1, 0),
then connect()) and udp (a UDP socket connect()ed to the listener, one
datagram sent). Each connection is closed before the next: with --close rst
(the default) by a reset, leaving nothing in TIME_WAIT; with --close fin
normally, client first, each 4-tuple waiting out TIME_WAIT. --src binds that
loopback address for every probe (connect() keeps its port choice through
IP_BIND_ADDRESS_NO_PORT).

It prints the kernel's ip_local_port_range, ip_local_reserved_ports and
tcp_tw_reuse, then for each kind the count, the shares of even and odd
ports, the steps between successive ports to one destination, and a verdict
against portsim's model of that path — linux for connect, linux-bind for
bind, linux-udp for udp — run with --seed on the same requests and the
kernel's range:

	connect: matches linux (p = 0.43)
	bind: does not match linux-bind: even ports seen where odd were expected (p < 1e-300)

Five checks compare the kernel's ports with the model's: parity, steps (to
the same destination), spread (over the range; for a walk such as connect()
only its start points), starts (first ports of two destinations close
together) and counters (two destinations moving in lockstep, as with one
shared counter). A model is rejected when a check's p-value is below 0.001
divided by the number of checks. A mismatch is a finding and exits 0; bad
flags exit 2; a probe that cannot run exits 1. Off Linux the ports are shown
but the port rules are unknown and no comparison is made.

--format json prints a document with "schema": "portsim.probe/v1", the
kernel's rules, the configuration and, per kind, the summary and the
verdict with every check. --out DIR also writes samples.csv (kind, n, time,
src, sport, dst, dport), probe.json (the JSON document) and
port-signature.png (the kernel's ports beside the model's, per kind).

# portsim analyze

	portsim analyze CAPTURE [--format text|json] [--host IP] [--proto tcp|udp] [--top N]
	    [--max-attempts N]

Analyze says which OS profile best explains each host's source ports in a
capture: pcap, pcapng, or CSV with the columns src,sport,dst,dport,time
(and optionally proto), any of them gzip-compressed. Each TCP SYN without
ACK and the first UDP datagram of each flow is one connection attempt. It
prints the packet counts (read, attempts, not attempts and malformed, with
the reasons), then for each source host and protocol (--host and --proto
pick one): the ports seen (range, share of even ports), the steps between
successive ports to the same destination (share of +2..+16 even steps, as
Linux's connect() takes; share of +1; median size), the spread of the
ports in bits, log2(std dev × √12), with the DNS-OARC porttest rating
(POOR under 10 bits, GOOD to 13.75, GREAT above), and a verdict:

	best: linux (connect), 1.00; runner-up: linux-5.12 (connect) 0.00

or, when no model reaches a posterior of 0.9, "undecided: A 0.50, B 0.50"
naming the close candidates (to one destination, for instance, Linux 4.x
and 5.12 both step +2); then the --top N candidates (default 3) with their
bits per attempt and what each model predicts.

The candidates are the distinct models among every profile's strategies for
the attempts' kind — connect() and bind() for TCP, UDP for UDP — NetBSD's
algorithm variants included; profiles with identical models are one
candidate, named together ("same model: macos (bind), windows (connect,
bind), ns3 (connect, bind)"). Each model predicts every port from the ones
before it: uniform draws over its range (random, random-pick, Linux UDP;
Linux bind() on odd ports), one cursor for the host (sequential up or down,
random increments of 1..500), or per-destination offsets plus counters
(RFC 6056 Algorithms 3 and 4, Linux 4.x, 5.12 and 6.x connect(), the last
with +2..16 steps and a 10 s re-salt). Every model leaves 1% of the
probability to ports it cannot explain, so another application's port or a
range mismatch costs a model without ruling it out. The number after a name
is the posterior probability with every candidate equally likely
beforehand. A host with fewer than 20 attempts is summarized but not judged
("too few attempts to tell").

--format json prints a document with "schema": "portsim.analyze/v1", the
capture's counts, the filter, and "hosts", one object per host and protocol
with the summary, "decided" (a model reached 0.9), the verdict line and
"fits" (name, profiles, strategy, model, range, log_likelihood,
bits_per_attempt, posterior). A missing or unreadable file, a file that is
not a capture, a damaged record, more attempts than --max-attempts (default
10000000), or a --host with no attempts is reported with what was wrong and
exits 2.
*/
package main
