/*
Portsim simulates how client ephemeral source ports are chosen: the
algorithms of RFC 6056, Linux's connect(), bind() and UDP paths, and simple
baselines, run against a model of a host's socket tables.

Usage:

	portsim COMMAND [flags]

The commands are:

	explain     show, step by step, how a strategy picks ports
	strategies  list the port-selection strategies and their parameters
	help        show the command list, or 'portsim help COMMAND' for one command

Every command takes --help. Data goes to stdout and messages to stderr. Bad
input (an unknown command or flag, a malformed value) is reported with the
flag's name and what it allows, and exits with status 2; a failure at run
time exits with status 1.

# portsim explain

	portsim explain [--strategy SPEC] [--src IP] [--dst IP:PORT]... [--count N]
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
*/
package main
