package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/portsim/portsim/allocator"
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
only, after 1s. Run 'portsim strategies' for the strategies and parameters.`,
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

// Defaults for explain. The addresses are from the documentation ranges
// (RFC 5737, RFC 3849) and a private local network, so nothing real is named.
const (
	// maxExplainCount bounds the output: every probe is traced, and once
	// the range is full each failing pick probes all of it, so a count far
	// past the range size gives count × range lines. Bulk runs are for
	// 'portsim run', which does not trace.
	maxExplainCount = 10000
	explainSchema   = "portsim.explain/v1"
)

var (
	defaultDst4 = netip.MustParseAddrPort("192.0.2.10:443")
	defaultDst6 = netip.MustParseAddrPort("[2001:db8::10]:443")
	defaultSrc4 = netip.MustParseAddr("10.0.0.1")
	defaultSrc6 = netip.MustParseAddr("fd00::1")
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

// explainConfig is a validated explain run.
type explainConfig struct {
	spec     string
	info     strategies.Info
	kernel   string // the spec a kernel would serve kind with, when not spec's own
	strategy allocator.Strategy
	seed     uint64
	table    allocator.Config
	kind     allocator.Kind
	src      netip.Addr
	dsts     []netip.AddrPort
	count    int
	interval time.Duration
	close    bool
	format   string
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
		cfg, err := f.validate()
		if err != nil {
			return err
		}
		return explain(e.stdout, cfg)
	}
}

// validate checks every flag before anything is printed, so that bad input
// leaves stdout empty.
func (f *explainFlags) validate() (*explainConfig, error) {
	c := &explainConfig{
		spec: f.strategy, seed: f.seed, count: f.count, interval: f.interval,
		close: f.close, format: f.format,
	}
	switch f.format {
	case "text", "csv", "json":
	default:
		return nil, usagef("--format: %q is not a format; want text, csv or json", f.format)
	}
	if f.count < 1 || f.count > maxExplainCount {
		return nil, usagef("--count: %d is out of range; want 1 to %d", f.count, maxExplainCount)
	}
	if f.interval < 0 {
		return nil, usagef("--interval: %v is negative; want a duration ≥ 0 such as 1s or 250ms", f.interval)
	}
	if f.interval > 0 && int64(f.count-1) > math.MaxInt64/int64(f.interval) {
		return nil, usagef("--interval: %v × %d picks overflows the simulated clock; want a shorter --interval or a smaller --count", f.interval, f.count)
	}

	kind, kindSet := allocator.Connect, f.kind != ""
	if kindSet {
		var err error
		if kind, err = allocator.ParseKind(f.kind); err != nil {
			return nil, flagError("kind", err)
		}
	}
	spec, flag := f.strategy, "strategy"
	if f.profile != "" {
		if f.strategySet {
			return nil, usagef("--profile and --strategy: give one; a profile names its own strategy per kind")
		}
		spec, flag = strategies.ProfilePrefix+f.profile, "profile"
	}
	// Every kind's strategy gets --seed; explain runs one of them. The
	// table is Linux's, over the strategy's own range, unless a profile
	// brings its own.
	base := allocator.DefaultConfig()
	base.Range = allocator.Range{}
	h, err := strategies.Resolve(spec, func(allocator.Kind) uint64 { return f.seed }, base)
	if err != nil {
		return nil, flagError(flag, err)
	}
	if h.Profile != nil {
		// The profile's strategy for --kind, with the profile's rules.
		c.info, c.strategy = h.Info(kind), h.Strategies[kind]
		c.spec = fmt.Sprintf("%s (%s)", spec, h.Specs[kind])
		c.kind = h.Serve(kind)
	} else {
		// The strategy asked for, whatever the kind: --kind bind on linux
		// runs linux, not the kernel's linux-bind (the text says so).
		c.info, c.strategy = h.Info(h.Kind), h.Strategies[h.Kind]
		c.kind = h.Kind
		if kindSet {
			c.kind = kind
		}
		c.kernel = h.Specs[c.kind]
	}
	c.table = h.Config
	if f.rng != "" {
		if c.table.Range, err = allocator.ParseRange(f.rng); err != nil {
			return nil, flagError("range", err)
		}
	}
	reserved, err := allocator.ParseRanges(f.reserved)
	if err != nil {
		return nil, flagError("reserved", err)
	}
	c.table.Reserved = append(slices.Clone(c.table.Reserved), reserved...)
	if err := c.table.Validate(); err != nil {
		return nil, usagef("%v", err) // unreachable after the parsers above; kept as a guard
	}

	if f.src != "" {
		if c.src, err = parseSrc(f.src); err != nil {
			return nil, err
		}
	}
	for _, d := range f.dst {
		ap, err := parseDst(d)
		if err != nil {
			return nil, err
		}
		if len(c.dsts) > 0 && is4(ap.Addr()) != is4(c.dsts[0].Addr()) {
			return nil, usagef("--dst: %v is %s but %v is %s; want every --dst of one IP family",
				ap, family(ap.Addr()), c.dsts[0], family(c.dsts[0].Addr()))
		}
		c.dsts = append(c.dsts, ap)
	}
	switch {
	case len(c.dsts) == 0 && c.src.IsValid() && !is4(c.src):
		c.dsts = []netip.AddrPort{defaultDst6}
	case len(c.dsts) == 0:
		c.dsts = []netip.AddrPort{defaultDst4}
	}
	switch {
	case !c.src.IsValid() && is4(c.dsts[0].Addr()):
		c.src = defaultSrc4
	case !c.src.IsValid():
		c.src = defaultSrc6
	case is4(c.src) != is4(c.dsts[0].Addr()):
		return nil, usagef("--src: %v is %s but --dst %v is %s; want a source and destinations of one IP family",
			c.src, family(c.src), c.dsts[0], family(c.dsts[0].Addr()))
	}
	return c, nil
}

// is4 reports the family the table will see: it unmaps ::ffff:a.b.c.d.
func is4(a netip.Addr) bool { return a.Unmap().Is4() }

func family(a netip.Addr) string {
	if is4(a) {
		return "IPv4"
	}
	return "IPv6"
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

// pick is one allocation as explain reports it. The JSON names are the
// portsim.explain/v1 schema.
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

	at time.Duration
}

// explain runs the picks and streams them to w, one at a time, so that a
// long run's traces are never all held in memory.
func explain(w io.Writer, c *explainConfig) error {
	tbl, err := allocator.NewTable(c.table)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	var out pickWriter
	switch c.format {
	case "csv":
		out = &csvPicks{w: csv.NewWriter(bw), c: c}
	case "json":
		out = &jsonPicks{w: bw}
	default:
		out = &textPicks{w: bw}
	}
	if err := out.begin(c); err != nil {
		return err
	}
	var sum summary
	for i := range c.count {
		now := time.Duration(i) * c.interval
		dst := c.dsts[i%len(c.dsts)]
		tr := &allocator.Trace{}
		req := allocator.Request{Kind: c.kind, Src: c.src, Dst: dst, Now: now, Trace: tr}
		a, err := tbl.Allocate(&req, c.strategy)
		p := pick{N: i + 1, at: now, TimeS: now.Seconds(), Src: c.src.String(), Dst: dst.String(), Probes: a.Probes}
		var ae *allocator.AllocError
		switch {
		case err == nil:
			p.Port = a.Conn.Port
			tr.Steps = withChose(tr.Steps, p.Port, p.Probes)
			if c.close {
				if err := tbl.Close(a.Conn, allocator.Reset, now); err != nil {
					return err
				}
				what := "its 4-tuple leaves the table"
				if c.kind != allocator.Connect {
					what = "its port is free again"
				}
				tr.Addf("close", p.Port, "reset at t=%v: %s, nothing is kept in TIME_WAIT", now, what)
			}
		case errors.Is(err, allocator.ErrAddrNotAvail):
			// A full range is a result worth seeing, not a crash.
			p.Error = err.Error()
			if errors.As(err, &ae) {
				p.Error = ae.Err.Error()
				p.Probes = ae.Probes
			}
			sum.failures++
		default:
			return fmt.Errorf("pick #%d: %w", i+1, err)
		}
		p.Steps = tr.Steps
		if p.Steps == nil {
			p.Steps = []allocator.Step{}
		}
		for _, s := range p.Steps {
			if s.What == "probe" && s.Usable != nil && !*s.Usable {
				p.Collisions++
			}
		}
		sum.picks++
		sum.probes += p.Probes
		sum.collisions += p.Collisions
		if err := out.pick(&p); err != nil {
			return err
		}
	}
	if err := out.end(sum); err != nil {
		return err
	}
	return bw.Flush()
}

// withChose adds a "chose" step after the probe that found port, unless the
// strategy recorded one itself: the table's trace has the probes and the
// bookkeeping but no line that says "this is the answer".
func withChose(steps []allocator.Step, port uint16, probes int) []allocator.Step {
	at := len(steps)
	for i, s := range steps {
		if s.What == "chose" {
			return steps
		}
		if s.What == "probe" && s.Port == port && s.Usable != nil && *s.Usable {
			at = i + 1
		}
	}
	chose := allocator.Step{What: "chose", Port: port, Detail: "after " + plural(probes, "probe")}
	return append(steps[:at], append([]allocator.Step{chose}, steps[at:]...)...)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

type summary struct {
	picks, failures, probes, collisions int
}

// pickWriter is one output format.
type pickWriter interface {
	begin(c *explainConfig) error
	pick(p *pick) error
	end(s summary) error
}

// textPicks is for a person reading: a header, then each pick with its
// steps indented beneath.
type textPicks struct {
	w *bufio.Writer
}

func (t *textPicks) begin(c *explainConfig) error {
	r := c.table.Range
	fmt.Fprintf(t.w, "strategy %s, range %v (%d ports), kind %v, seed %d\n", c.spec, r, r.Size(), c.kind, c.seed)
	fmt.Fprintf(t.w, "  %s: %s\n", c.info.Name, c.info.Summary())
	// Asked for one kernel path with another path's kind (linux with --kind
	// bind), explain runs what was asked but says what the kernel would run.
	if c.kernel != "" && c.kernel != c.spec {
		fmt.Fprintf(t.w, "  note: the kernel serves %v requests with %s; this run uses %s as asked\n", c.kind, c.kernel, c.info.Name)
	}
	if len(c.table.Reserved) > 0 {
		fmt.Fprintf(t.w, "  reserved ports %s are never picked\n", allocator.FormatRanges(c.table.Reserved))
	}
	what := "connection"
	if c.kind == allocator.UDP {
		what = "socket"
	}
	if c.close {
		fmt.Fprintf(t.w, "  each %s is reset right after its pick, leaving no TIME_WAIT\n", what)
	} else {
		fmt.Fprintf(t.w, "  %ss stay open\n", what)
	}
	return nil
}

func (t *textPicks) pick(p *pick) error {
	fmt.Fprintf(t.w, "\n#%d  t=%v  %s -> %s  ", p.N, p.at, p.Src, p.Dst)
	if p.Error != "" {
		fmt.Fprintf(t.w, "FAILED after %s: %s\n", plural(p.Probes, "probe"), p.Error)
	} else {
		fmt.Fprintf(t.w, "port %d after %s\n", p.Port, plural(p.Probes, "probe"))
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

func (t *textPicks) end(s summary) error {
	_, err := fmt.Fprintf(t.w, "\n%s: %s, %s; %s, %s\n",
		plural(s.picks, "pick"), plural(s.picks-s.failures, "port"), plural(s.failures, "failure"),
		plural(s.probes, "probe"), plural(s.collisions, "collision"))
	return err
}

// csvPicks is one row per pick, for spreadsheets and plotting. Each row
// carries its kind and source so rows from several runs can be pooled.
type csvPicks struct {
	w *csv.Writer
	c *explainConfig
}

var csvHeader = []string{"n", "time", "kind", "src", "dst", "port", "probes", "collisions", "error"}

func (t *csvPicks) begin(*explainConfig) error { return t.w.Write(csvHeader) }

func (t *csvPicks) pick(p *pick) error {
	port := "" // no port on a failure; 0 would read as a port
	if p.Error == "" {
		port = strconv.Itoa(int(p.Port))
	}
	return t.w.Write([]string{
		strconv.Itoa(p.N),
		strconv.FormatFloat(p.TimeS, 'f', 3, 64),
		t.c.kind.String(),
		p.Src,
		p.Dst,
		port,
		strconv.Itoa(p.Probes),
		strconv.Itoa(p.Collisions),
		p.Error,
	})
}

func (t *csvPicks) end(summary) error {
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

func (j *jsonPicks) begin(c *explainConfig) error {
	h := explainHeader{
		Schema: explainSchema, Strategy: c.spec, Range: c.table.Range,
		Reserved: c.table.Reserved, Kind: c.kind, Seed: c.seed, Src: c.src.String(),
		Count: c.count, IntervalS: c.interval.Seconds(), Close: c.close,
	}
	if h.Reserved == nil {
		h.Reserved = []allocator.Range{}
	}
	for _, d := range c.dsts {
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

func (j *jsonPicks) pick(p *pick) error {
	b, err := marshalIndent(p, "    ")
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

func (j *jsonPicks) end(summary) error {
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
