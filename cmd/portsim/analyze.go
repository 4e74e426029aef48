package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"runtime"
	"sort"
	"strings"

	"github.com/portsim/portsim/observe/capture"
	"github.com/portsim/portsim/observe/fit"
	"github.com/spf13/pflag"
)

func init() {
	register(&command{
		name:    "analyze",
		summary: "say which OS profile best explains each host's source ports in a capture",
		args:    "CAPTURE [flags]",
		about: `Analyze reads a capture — pcap, pcapng, or CSV with the columns
src,sport,dst,dport,time[,proto], one attempt a row (with flags[,seq], one
packet a row, taken as a pcap's packets are; ttl,ipid,df,win,mss,ws,opts
give each packet's stack) — and takes each TCP SYN without ACK and the
first UDP datagram of each flow that answers none as one connection
attempt. Ports the kernel did not choose are left out, and listed: ports
below 1024, an application's bound port (one port with at least 5 of a
host's attempts and a tenth of them, towards 3 destinations or more), a
UDP socket used again towards another destination right after (counted
once). It prints the packet counts, then for each source host and
protocol: what was left out, the ports seen (range, share of even ports),
the steps between successive ports to the same destination, the spread of
the ports in bits with the DNS-OARC porttest rating (POOR under 10 bits,
GOOD to 13.75, GREAT above), the verdict, the OS, and the candidate models
ranked by likelihood.

The candidates are every OS profile's strategy for the attempts' kind —
connect() and bind() for TCP, UDP for UDP — NetBSD's algorithm variants
included; profiles with identical models (or models whose ranges differ
by a port or two) are one candidate and are named together. Each model
predicts every port from the ones before it, leaving 1% to ports it
cannot explain (other applications, ports given by hand). The confidence
is the posterior probability of the model with every candidate equally
likely beforehand; since that only compares the candidates, the best one
is also checked on its own: its strategy runs on the host's own requests
(the first 2,000, and the last 2,000 of a larger host) and the parity, the
steps, the range and the surprise of its ports are compared with the
host's; a nearly uniform model must also explain them better than an
application choosing its own ports over 1024-65535 would (DNS resolvers
such as Android's do). When they differ by a margin no stray port
explains, or the application explains them as well, the verdict is "no
model fits; closest: ...". A verdict is given at a posterior of 0.9
or more, with the check passed. A host with fewer than 20 attempts is
summarized but not judged; one with more than 2^20 has its models ranked
on its first 2^20.

The OS line combines the ports with the shape of the host's packets: the
initial TTL (the TTL seen, rounded up to 32, 64, 128 or 255), the window,
MSS, window scale and TCP option order of its SYNs (of its datagrams,
the IP fields, but not of those to multicast groups, whose TTL the
application sets), compared with each
profile's signature (portsim strategies --format json lists them; p0f's
database is their reference). Ports date a system, the stack names its
family: macOS and Windows, whose ports are alike, differ in TTL and
option order. Profiles the evidence cannot tell apart are a tie.

The nat line says whether the address is a translator's — a capture taken
outside a NAT, many hosts' flows under one address — and how it picks
ports, from signals no host of its own makes (read from 100 attempts on):
port-preserving, when most ports continue one of several interleaved
walks (the hosts' own choices, such as Linux's per-destination steps,
kept by the translator); random, when the ports are spread evenly over
1024-65535 (or Azure Load Balancer's 1024-65023), a translator's range
and no system's — netfilter's random-fully is told apart by ports
1024-2047 coming twice as often; blocks, when over a few dozen attempts
the ports fall in a few aligned blocks, or fill the lowest ports of
1024-65535 without holes (Cloud NAT, Azure Load Balancer). SYNs in two
TCP option layouts, and interleaved IP ID counters, show several hosts
too. A hint alone (UDP ports over 1024-65535, which DNS resolvers also
draw from; two TTLs) is undecided; with nothing, the verdict is "no
evidence", never "no NAT": a port-preserving translator in front of
hosts that pick ports at random leaves no trace.

Memory: about 85 bytes an attempt, and up to 615 when every host has
about 20 (each host judged has a report of its own); the default
--max-attempts of 3,000,000 keeps analyze under 2 GiB at that worst.
A capture of a few hosts may raise it: 10 million attempts of one host
take about 0.8 GB.`,
		examples: `# the hosts in a capture, best three models each
portsim analyze trace.pcapng
# one host's TCP ports, every candidate, as JSON
portsim analyze trace.pcap --host 192.0.2.7 --proto tcp --top 20 --format json
# a CSV export of attempts
portsim analyze attempts.csv
# what a server outside a NAT sees of 8 Linux hosts behind it
portsim run --profile linux --hosts 8 --gateway netfilter --pcap nat.pcapng
portsim analyze nat.pcapng`,
		setup: analyzeSetup,
	})
}

// analyzeSchema versions analyze's JSON.
const analyzeSchema = "portsim.analyze/v1"

type analyzeFlags struct {
	format      string
	host        string
	proto       string
	top         int
	maxAttempts int
}

// analyzeConfig is a validated analyze run.
type analyzeConfig struct {
	path        string
	format      string
	host        netip.Addr // zero: every host
	proto       capture.Proto
	top         int
	maxAttempts int
}

func analyzeSetup(fs *pflag.FlagSet) action {
	var f analyzeFlags
	fs.StringVarP(&f.format, "format", "f", "text", "output `FORMAT`: text or json")
	fs.StringVar(&f.host, "host", "", "analyze only the attempts from source `IP`")
	fs.StringVar(&f.proto, "proto", "", "analyze only `PROTO`: tcp or udp (default both)")
	fs.IntVarP(&f.top, "top", "n", 3, "candidate models to list per host, `N` ≥ 1 (the posteriors are over all of them)")
	fs.IntVar(&f.maxAttempts, "max-attempts", 0, fmt.Sprintf("refuse a capture with more than `N` attempts; 0 means %d (see Memory above)", capture.DefaultMaxAttempts))
	return func(e *env, args []string) error {
		cfg, err := f.validate(args)
		if err != nil {
			return err
		}
		return analyze(e.stdout, cfg)
	}
}

func (f *analyzeFlags) validate(args []string) (*analyzeConfig, error) {
	switch len(args) {
	case 0:
		return nil, usagef("no capture given; want one pcap, pcapng or CSV file")
	case 1:
	default:
		return nil, usagef("%d arguments given (%s); want one capture file", len(args), strings.Join(args, " "))
	}
	c := &analyzeConfig{path: args[0], format: f.format, top: f.top, maxAttempts: f.maxAttempts}
	switch f.format {
	case "text", "json":
	default:
		return nil, usagef("--format: %q is not a format; want text or json", f.format)
	}
	if f.host != "" {
		a, err := netip.ParseAddr(f.host)
		if err != nil {
			return nil, usagef("--host: %q is not an IP address; want one such as 192.0.2.7 or 2001:db8::7", f.host)
		}
		c.host = a
	}
	switch strings.ToLower(f.proto) {
	case "":
	case "tcp":
		c.proto = capture.TCP
	case "udp":
		c.proto = capture.UDP
	default:
		return nil, usagef("--proto: %q is not a protocol; want tcp or udp", f.proto)
	}
	if f.top < 1 {
		return nil, usagef("--top: %d is too small; want 1 or more", f.top)
	}
	if f.maxAttempts < 0 {
		return nil, usagef("--max-attempts: %d is negative; want 1 or more, or 0 for the default %d", f.maxAttempts, capture.DefaultMaxAttempts)
	}
	return c, nil
}

// readCapture reads the capture, telling the user's mistakes (no such
// file, a directory, not a capture, too many attempts) from failures.
func readCapture(c *analyzeConfig) (*capture.Capture, error) {
	if st, err := os.Stat(c.path); err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
			return nil, usagef("capture %s: %v; want a readable pcap, pcapng or CSV file", c.path, pathErr(err))
		}
		return nil, err
	} else if st.IsDir() {
		return nil, usagef("capture %s is a directory; want a pcap, pcapng or CSV file", c.path)
	}
	capt, err := capture.ReadFile(c.path, capture.ReadOptions{MaxAttempts: c.maxAttempts})
	if err != nil {
		var ie *capture.InputError
		if errors.As(err, &ie) || errors.Is(err, fs.ErrPermission) {
			return nil, usagef("capture %v", err)
		}
		return nil, err
	}
	return capt, nil
}

// pathErr is err without the path, which the message already names.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func analyze(w io.Writer, c *analyzeConfig) error {
	capt, err := readCapture(c)
	if err != nil {
		return err
	}
	// The reader's flow table is garbage now: collected before the fit
	// allocates, its memory is reused rather than added to the peak. The
	// attempts hold no pointers, so a collection costs next to nothing,
	// but the first one sets up a few MB of its own: worth it only when
	// the table, which holds at most one flow per attempt, is large.
	if capt.Attempts.Len() >= 1<<18 {
		runtime.GC()
	}
	reps := fit.Analyze(capt.Attempts, fit.AnalyzeOptions{Top: c.top, Host: c.host, Proto: c.proto})
	if len(reps) == 0 && capt.Attempts.Len() > 0 && (c.host.IsValid() || c.proto != 0) {
		flag := "--host"
		switch {
		case c.host.IsValid() && c.proto != 0:
			flag = "--host and --proto"
		case c.proto != 0:
			flag = "--proto"
		}
		return usagef("%s: no attempts from %s in %s; the capture has %s", flag, filterWords(c), c.path, hostList(capt.Attempts))
	}
	if c.format == "json" {
		return writeAnalyzeJSON(w, c, capt, reps)
	}
	writeCaptureCounts(w, c.path, capt)
	if capt.Attempts.Len() == 0 {
		fmt.Fprintln(w, "no connection attempts (TCP SYN without ACK, or a UDP flow's first datagram) in the capture")
		return nil
	}
	for i := range reps {
		fmt.Fprintln(w)
		fmt.Fprint(w, reps[i].String())
	}
	return nil
}

func filterWords(c *analyzeConfig) string {
	var parts []string
	if c.host.IsValid() {
		parts = append(parts, c.host.String())
	} else {
		parts = append(parts, "any host")
	}
	if c.proto != 0 {
		parts = append(parts, "over "+c.proto.String())
	}
	return strings.Join(parts, " ")
}

// hostList names the capture's source hosts with their attempt counts, the
// busiest first, at most 5.
func hostList(atts *capture.Attempts) string {
	type hp struct {
		host  netip.Addr
		proto capture.Proto
	}
	type idp struct {
		src   uint32
		proto capture.Proto
	}
	byID := map[idp]int{}
	for _, r := range atts.Records() {
		byID[idp{r.Src, r.Proto()}]++
	}
	n := make(map[hp]int, len(byID))
	for k, c := range byID {
		n[hp{atts.Addr(k.src), k.proto}] = c
	}
	keys := make([]hp, 0, len(n))
	for k := range n {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if n[keys[i]] != n[keys[j]] {
			return n[keys[i]] > n[keys[j]]
		}
		if c := keys[i].host.Compare(keys[j].host); c != 0 {
			return c < 0
		}
		return keys[i].proto < keys[j].proto
	})
	var parts []string
	for i, k := range keys {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("and %d more", len(keys)-5))
			break
		}
		parts = append(parts, fmt.Sprintf("%v %v (%d)", k.host, k.proto, n[k]))
	}
	return strings.Join(parts, ", ")
}

// writeCaptureCounts prints what the reader found, packet by packet.
func writeCaptureCounts(w io.Writer, path string, c *capture.Capture) {
	fmt.Fprintf(w, "capture %s (%s): %d packets read: %d attempts, %d not attempts%s, %d malformed%s\n",
		path, c.Format, c.Packets, c.Attempts.Len(), c.NotAttempts, reasons(c.NotAttemptsBy), c.Malformed, reasons(c.MalformedBy))
	if c.FlowOverflow > 0 {
		fmt.Fprintf(w, "  %d packets met after the flow table was full (new SYNs still count as attempts; new UDP flows do not)\n", c.FlowOverflow)
	}
	if c.LongRecords > 0 {
		fmt.Fprintf(w, "  records longer than the snap length: %d (read cut to it, as tcpdump reads them)\n", c.LongRecords)
	}
	if c.Truncated {
		fmt.Fprintln(w, "  the file ends inside a record; the packets before it were used")
	}
}

// reasons formats a count breakdown, largest first: " (tcp syn-ack 5, …)".
func reasons(by map[string]int) string {
	if len(by) == 0 {
		return ""
	}
	names := make([]string, 0, len(by))
	for k := range by {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		if by[names[i]] != by[names[j]] {
			return by[names[i]] > by[names[j]]
		}
		return names[i] < names[j]
	})
	parts := make([]string, len(names))
	for i, k := range names {
		parts[i] = fmt.Sprintf("%s %d", k, by[k])
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

type analyzeJSON struct {
	Schema  string             `json:"schema"`
	Capture analyzeCaptureJSON `json:"capture"`
	Filter  analyzeFilterJSON  `json:"filter"`
	Hosts   []fit.HostReport   `json:"hosts"`
}

type analyzeCaptureJSON struct {
	Path          string         `json:"path"`
	Format        string         `json:"format"`
	LinkTypes     []string       `json:"link_types"`
	Packets       int            `json:"packets"`
	Attempts      int            `json:"attempts"`
	NotAttempts   int            `json:"not_attempts"`
	NotAttemptsBy map[string]int `json:"not_attempts_by"`
	Malformed     int            `json:"malformed"`
	MalformedBy   map[string]int `json:"malformed_by"`
	FlowOverflow  int            `json:"flow_overflow"`
	LongRecords   int            `json:"long_records"`
	Truncated     bool           `json:"truncated"`
}

type analyzeFilterJSON struct {
	Host        string `json:"host,omitempty"`
	Proto       string `json:"proto,omitempty"`
	Top         int    `json:"top"`
	MinAttempts int    `json:"min_attempts"`
}

func writeAnalyzeJSON(w io.Writer, c *analyzeConfig, capt *capture.Capture, reps []fit.HostReport) error {
	doc := analyzeJSON{
		Schema: analyzeSchema,
		Capture: analyzeCaptureJSON{
			Path: c.path, Format: capt.Format, LinkTypes: []string{}, Packets: capt.Packets,
			Attempts: capt.Attempts.Len(), NotAttempts: capt.NotAttempts, NotAttemptsBy: capt.NotAttemptsBy,
			Malformed: capt.Malformed, MalformedBy: capt.MalformedBy, FlowOverflow: capt.FlowOverflow,
			LongRecords: capt.LongRecords, Truncated: capt.Truncated,
		},
		Filter: analyzeFilterJSON{Top: c.top, MinAttempts: fit.DefaultMinAttempts},
		Hosts:  reps,
	}
	for _, l := range capt.LinkTypes {
		doc.Capture.LinkTypes = append(doc.Capture.LinkTypes, l.String())
	}
	if c.host.IsValid() {
		doc.Filter.Host = c.host.String()
	}
	if c.proto != 0 {
		doc.Filter.Proto = c.proto.String()
	}
	return writeJSON(w, doc)
}
