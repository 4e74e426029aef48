package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"time"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/internal/fielderr"
	"github.com/portsim/portsim/internal/format"
	"github.com/portsim/portsim/sim"
	"github.com/portsim/portsim/strategies"
	"github.com/spf13/pflag"
)

func init() {
	register(&command{
		name:    "explain",
		summary: "show, step by step, how a strategy picks ports",
		args:    "[flags]",
		about: `Explain picks --count ports in a row with one strategy, one every --interval
of simulated time, round-robin across the --dst list, and shows every step
of each choice: what the strategy computed (hash inputs and values, table
indexes, counters, cursors, offsets), each candidate port it probed and why
a busy one was rejected, the port it chose, and how its state and the
socket table changed.

Connections stay open, so later picks must avoid earlier ones' ports (or
4-tuples); with --close each connection is reset right after its pick,
leaving nothing in TIME_WAIT. A pick that finds no usable port is shown as
a failure (EADDRNOTAVAIL) and explain goes on.

The socket table uses Linux's defaults: TIME_WAIT 60s, tw_reuse for loopback
only, after 1s. Run 'portsim strategies' for the strategies and parameters.

The text format is for reading: a header naming the strategy, range, kind
and seed, then a line per pick such as

  #1  t=0s  10.0.0.1 -> 192.0.2.10:443  port 49152 after 1 probe

with its steps indented beneath, and a summary. The csv format has one row
per pick with the columns n, time (seconds), kind, src, dst, port (empty on
a failure), probes, collisions and error. The json format is a document
with "schema": "portsim.explain/v1", the run's settings, and "allocations",
each with n, time_s, src, dst, port, probes, collisions, error and its
steps (what, port, usable, detail).`,
		examples: `# Linux's connect() choosing 8 ports to one server
portsim explain
# the simplest strategy, 3 picks
portsim explain --strategy sequential --count 3
# two servers in turn: does the port sequence depend on the destination?
portsim explain --dst 192.0.2.10:443 --dst 198.51.100.7:443
# a tiny range fills up: watch the collisions, then EADDRNOTAVAIL
portsim explain --strategy random --range 50000-50003 --count 6
# one row per pick, for a spreadsheet
portsim explain --count 100 --format csv`,
		setup: explainSetup,
	})
}

// maxExplainCount bounds the output: every probe is traced, and once the
// range is full each failing pick probes all of it, so a count far past the
// range size gives count × range lines. Bulk runs are for 'portsim run',
// which does not trace.
const (
	maxExplainCount = 10000
	explainSchema   = "portsim.explain/v1"
)

// defaultStrategy is what a learner sees first: the Linux connect() path when
// it is registered, else the simplest strategy.
func defaultStrategy() string {
	if _, ok := strategies.Lookup("linux"); ok {
		return "linux"
	}
	return "sequential"
}

// explainFlags are explain's flags as typed.
type explainFlags struct {
	strategy    string
	strategySet bool // --strategy was given, not defaulted
	profile     string
	src         string
	dst         []string
	count       int
	interval    time.Duration
	seed        uint64
	rng         string
	reserved    string
	kind        string
	close       bool
	format      string
}

func explainSetup(fs *pflag.FlagSet) action {
	var f explainFlags
	fs.StringVarP(&f.strategy, "strategy", "s", defaultStrategy(), "strategy to explain, a `SPEC`: NAME or NAME:PARAM=VALUE,... (see 'portsim strategies')")
	fs.StringVar(&f.profile, "profile", "", "explain an OS profile's pick instead: a `NAME` such as macos or netbsd:algo=randinc (its strategy for --kind, its range and TIME_WAIT; see 'portsim strategies')")
	fs.StringVar(&f.src, "src", "", "local `IP` address (default 10.0.0.1, or fd00::1 for IPv6 destinations)")
	fs.StringSliceVar(&f.dst, "dst", nil, "destination `IP:PORT`; repeat it (or use commas) to take turns between several\n(default 192.0.2.10:443, or [2001:db8::10]:443 with an IPv6 --src)")
	fs.IntVarP(&f.count, "count", "n", 8, fmt.Sprintf("number of ports to pick, `N` from 1 to %d", maxExplainCount))
	fs.DurationVar(&f.interval, "interval", time.Second, "simulated time between picks, a `DURATION` such as 1s or 250ms")
	fs.Uint64Var(&f.seed, "seed", 1, "`SEED` for the strategy's keys and random draws")
	fs.StringVar(&f.rng, "range", "", "port range, `LO-HI` (default: the strategy's own, see 'portsim strategies')")
	fs.StringVar(&f.reserved, "reserved", "", "reserved ports, never picked: a `LIST` such as 8080,9000-9100")
	fs.StringVar(&f.kind, "kind", "", "request `KIND`: connect, bind or udp (default: the strategy's own)")
	fs.BoolVar(&f.close, "close", false, "reset each connection right after its pick (no TIME_WAIT)")
	fs.StringVarP(&f.format, "format", "f", "text", "output `FORMAT`: text, csv or json")
	return func(e *env, args []string) error {
		if len(args) > 0 {
			return usagef("unexpected argument %q; explain takes only flags", args[0])
		}
		f.strategySet = fs.Changed("strategy")
		p, err := f.picks()
		if err != nil {
			return err
		}
		return explain(e.stdout, p, f.format)
	}
}

// picks checks every flag before anything is printed, so that bad input
// leaves stdout empty, and resolves the run.
func (f *explainFlags) picks() (*sim.Picks, error) {
	switch f.format {
	case "text", "csv", "json":
	default:
		return nil, usagef("--format: %q is not a format; want text, csv or json", f.format)
	}
	if f.count < 1 || f.count > maxExplainCount {
		return nil, usagef("--count: %d is out of range; want 1 to %d", f.count, maxExplainCount)
	}
	c := sim.PickConfig{Spec: f.strategy, Seed: f.seed, Count: f.count, Interval: f.interval, Close: f.close}
	specFlag := "strategy"
	if f.profile != "" {
		if f.strategySet {
			return nil, usagef("--profile and --strategy: give one; a profile names its own strategy per kind")
		}
		c.Spec, specFlag = strategies.ProfilePrefix+f.profile, "profile"
	}
	var err error
	if f.kind != "" {
		if c.Kind, err = allocator.ParseKind(f.kind); err != nil {
			return nil, flagError("kind", err)
		}
		c.KindSet = true
	}
	if f.rng != "" {
		if c.Range, err = allocator.ParseRange(f.rng); err != nil {
			return nil, flagError("range", err)
		}
	}
	if c.Reserved, err = allocator.ParseRanges(f.reserved); err != nil {
		return nil, flagError("reserved", err)
	}
	if f.src != "" {
		if c.Src, err = parseSrc(f.src); err != nil {
			return nil, err
		}
	}
	for _, d := range f.dst {
		ap, err := parseDst(d)
		if err != nil {
			return nil, err
		}
		c.Dsts = append(c.Dsts, ap)
	}
	p, err := sim.NewPicks(c)
	var fe *fielderr.Error
	switch {
	case errors.As(err, &fe) && fe.Field == "spec":
		return nil, flagError(specFlag, fe.Err)
	case errors.As(err, &fe):
		return nil, flagError(fe.Field, fe.Err)
	}
	return p, err
}

func parseSrc(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err == nil {
		return a, nil
	}
	if _, err := netip.ParseAddrPort(s); err == nil {
		return netip.Addr{}, usagef("--src: %q has a port; want an IP address alone (the port is what explain picks)", s)
	}
	return netip.Addr{}, usagef("--src: %q is not an IP address; want an IPv4 or IPv6 address such as 10.0.0.1 or fd00::1", s)
}

func parseDst(s string) (netip.AddrPort, error) {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		if _, err := netip.ParseAddr(s); err == nil {
			return ap, usagef("--dst: %q has no port; want IP:PORT such as 192.0.2.10:443 or [2001:db8::10]:443", s)
		}
		return ap, usagef("--dst: %q is not IP:PORT; want IP:PORT such as 192.0.2.10:443 or [2001:db8::10]:443", s)
	}
	if ap.Port() == 0 {
		return ap, usagef("--dst: %q has port 0; want a port 1 to 65535", s)
	}
	return ap, nil
}

// pick is one allocation as the JSON and CSV formats report it. The JSON
// names are the portsim.explain/v1 schema.
type pick struct {
	N          int              `json:"n"`
	TimeS      float64          `json:"time_s"`
	Src        string           `json:"src"`
	Dst        string           `json:"dst"`
	Port       uint16           `json:"port"` // 0 on failure
	Probes     int              `json:"probes"`
	Collisions int              `json:"collisions"`
	Error      string           `json:"error"` // "" on success
	Steps      []allocator.Step `json:"steps"`
}

func newPick(pk sim.Pick) pick {
	p := pick{
		N: pk.N, TimeS: pk.At.Seconds(), Src: pk.Src.String(), Dst: pk.Dst.String(),
		Port: pk.Port, Probes: pk.Probes, Collisions: pk.Collisions, Steps: pk.Steps,
	}
	if pk.Err != nil {
		p.Error = pk.Err.Error()
	}
	return p
}

// explain writes p's picks to w in the format named as (text, csv or
// json), streaming them one at a time.
func explain(w io.Writer, p *sim.Picks, as string) error {
	bw := bufio.NewWriter(w)
	var out pickWriter
	switch as {
	case "csv":
		out = &csvPicks{w: csv.NewWriter(bw), p: p}
	case "json":
		out = &jsonPicks{w: bw}
	default:
		out = &textPicks{w: bw}
	}
	if err := out.begin(p); err != nil {
		return err
	}
	var sum sim.PickTotals
	for pk, err := range p.All() {
		if err != nil {
			return err
		}
		sum.Add(pk)
		if err := out.pick(pk); err != nil {
			return err
		}
	}
	if err := out.end(sum); err != nil {
		return err
	}
	return bw.Flush()
}

// pickWriter is one output format.
type pickWriter interface {
	begin(p *sim.Picks) error
	pick(pk sim.Pick) error
	end(t sim.PickTotals) error
}

// textPicks is for a person reading: a header, then each pick with its
// steps indented beneath.
type textPicks struct {
	w *bufio.Writer
}

func (t *textPicks) begin(p *sim.Picks) error {
	r := p.Table.Range
	fmt.Fprintf(t.w, "strategy %s, range %v (%d ports), kind %v, seed %d\n", p.Spec, r, r.Size(), p.Kind, p.Seed)
	fmt.Fprintf(t.w, "  %s: %s\n", p.Info.Name, p.Info.Summary())
	// Asked for one kernel path with another path's kind (linux with --kind
	// bind), explain runs what was asked but says what the kernel would run.
	if p.Kernel != "" {
		fmt.Fprintf(t.w, "  note: the kernel serves %v requests with %s; this run uses %s as asked\n", p.Kind, p.Kernel, p.Info.Name)
	}
	if len(p.Table.Reserved) > 0 {
		fmt.Fprintf(t.w, "  reserved ports %s are never picked\n", allocator.FormatRanges(p.Table.Reserved))
	}
	what := "connection"
	if p.Kind == allocator.UDP {
		what = "socket"
	}
	if p.Close {
		fmt.Fprintf(t.w, "  each %s is reset right after its pick, leaving no TIME_WAIT\n", what)
	} else {
		fmt.Fprintf(t.w, "  %ss stay open\n", what)
	}
	return nil
}

func (t *textPicks) pick(p sim.Pick) error {
	fmt.Fprintf(t.w, "\n#%d  t=%v  %v -> %v  ", p.N, p.At, p.Src, p.Dst)
	if p.Err != nil {
		fmt.Fprintf(t.w, "FAILED after %s: %v\n", format.Plural(p.Probes, "probe"), p.Err)
	} else {
		fmt.Fprintf(t.w, "port %d after %s\n", p.Port, format.Plural(p.Probes, "probe"))
	}
	width := len("update")
	for _, s := range p.Steps {
		width = max(width, len(s.What))
	}
	for i := 0; i < len(p.Steps); i++ {
		s := p.Steps[i]
		port := ""
		if s.Port != 0 {
			port = strconv.Itoa(int(s.Port))
		}
		detail := s.Detail
		if s.Usable != nil {
			verdict := "usable"
			if !*s.Usable {
				verdict = "rejected"
				if n := rejectedRun(p.Steps[i:]); n >= minFoldedRun {
					verdict = fmt.Sprintf("rejected ×%d (%d-%d)", n, s.Port, p.Steps[i+n-1].Port)
					i += n - 1
				}
			}
			detail = verdict + ": " + detail
		}
		fmt.Fprintf(t.w, "    %-*s  %5s  %s\n", width, s.What, port, detail)
	}
	return nil
}

// minFoldedRun is the shortest run of rejected probes the text format shows
// as one line. A full range means thousands of probes per pick; a run of
// consecutive ports rejected for one reason says all there is to say.
const minFoldedRun = 5

// rejectedRun counts the probes at the start of steps that were rejected
// for the same reason on consecutive ascending ports.
func rejectedRun(steps []allocator.Step) int {
	first := steps[0]
	n := 0
	for _, s := range steps {
		if s.What != "probe" || s.Usable == nil || *s.Usable || s.Detail != first.Detail ||
			int(s.Port) != int(first.Port)+n {
			break
		}
		n++
	}
	return n
}

func (t *textPicks) end(s sim.PickTotals) error {
	_, err := fmt.Fprintf(t.w, "\n%s: %s, %s; %s, %s\n",
		format.Plural(s.Picks, "pick"), format.Plural(s.Picks-s.Failures, "port"), format.Plural(s.Failures, "failure"),
		format.Plural(s.Probes, "probe"), format.Plural(s.Collisions, "collision"))
	return err
}

// csvPicks is one row per pick, for spreadsheets and plotting. Each row
// carries its kind and source so rows from several runs can be pooled.
type csvPicks struct {
	w *csv.Writer
	p *sim.Picks
}

var csvHeader = []string{"n", "time", "kind", "src", "dst", "port", "probes", "collisions", "error"}

func (t *csvPicks) begin(*sim.Picks) error { return t.w.Write(csvHeader) }

func (t *csvPicks) pick(pk sim.Pick) error {
	p := newPick(pk)
	port := "" // no port on a failure; 0 would read as a port
	if p.Error == "" {
		port = strconv.Itoa(int(p.Port))
	}
	return t.w.Write([]string{
		strconv.Itoa(p.N),
		strconv.FormatFloat(p.TimeS, 'f', 3, 64),
		t.p.Kind.String(),
		p.Src,
		p.Dst,
		port,
		strconv.Itoa(p.Probes),
		strconv.Itoa(p.Collisions),
		p.Error,
	})
}

func (t *csvPicks) end(sim.PickTotals) error {
	t.w.Flush()
	return t.w.Error()
}

// jsonPicks writes the portsim.explain/v1 document, byte for byte what
// marshalIndent(doc, "") would give, but streamed pick by pick.
type jsonPicks struct {
	w     *bufio.Writer
	first bool
}

// explainHeader is the document's fields before "allocations".
type explainHeader struct {
	Schema    string            `json:"schema"`
	Strategy  string            `json:"strategy"`
	Range     allocator.Range   `json:"range"`
	Reserved  []allocator.Range `json:"reserved"`
	Kind      allocator.Kind    `json:"kind"`
	Seed      uint64            `json:"seed"`
	Src       string            `json:"src"`
	Dst       []string          `json:"dst"`
	Count     int               `json:"count"`
	IntervalS float64           `json:"interval_s"`
	Close     bool              `json:"close"`
}

func (j *jsonPicks) begin(p *sim.Picks) error {
	h := explainHeader{
		Schema: explainSchema, Strategy: p.Spec, Range: p.Table.Range,
		Reserved: p.Table.Reserved, Kind: p.Kind, Seed: p.Seed, Src: p.Src.String(),
		Count: p.Count, IntervalS: p.Interval.Seconds(), Close: p.Close,
	}
	if h.Reserved == nil {
		h.Reserved = []allocator.Range{}
	}
	for _, d := range p.Dsts {
		h.Dst = append(h.Dst, d.String())
	}
	b, err := marshalIndent(h, "")
	if err != nil {
		return err
	}
	// Reopen the object: drop the closing "\n}" and add the array's start.
	j.w.Write(b[:len(b)-2])
	j.w.WriteString(",\n  \"allocations\": [")
	j.first = true
	return nil
}

func (j *jsonPicks) pick(pk sim.Pick) error {
	b, err := marshalIndent(newPick(pk), "    ")
	if err != nil {
		return err
	}
	if !j.first {
		j.w.WriteByte(',')
	}
	j.first = false
	j.w.WriteString("\n    ")
	_, err = j.w.Write(b)
	return err
}

func (j *jsonPicks) end(sim.PickTotals) error {
	_, err := j.w.WriteString("\n  ]\n}\n")
	return err
}

// marshalIndent is json.MarshalIndent with a two-space indent and without
// HTML escaping, so that a step's "a -> b" stays readable in the file.
func marshalIndent(v any, prefix string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent(prefix, "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
