// Script tests: they pin, for every registered strategy (at its defaults and
// at its notable parameters) and every OS profile spec, the exact ports,
// probe counts, failures and explain traces the strategies give today, so
// that a refactor can show it changes none of them. The scripts are
// testdata/script/*.txt, in github.com/cockroachdb/datadriven's format; the
// commands are documented at runCommand below.
//
// After a change that is meant to alter behaviour, regenerate the expected
// output and review the diff line by line:
//
//	go test ./strategies -run TestScript -rewrite
//
// TestScript also checks that the scripts cover every strategy for every
// request kind, every profile spec for every kind, an explain trace and an
// EADDRNOTAVAIL failure for every strategy: a new strategy or profile fails
// it until scripts for it are written.
package strategies_test

import (
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/internal/seed"
	"github.com/portsim/portsim/strategies"
)

const scriptDir = "testdata/script"

func TestScript(t *testing.T) {
	cov := newCoverage()
	ran := map[string]bool{}
	datadriven.Walk(t, scriptDir, func(t *testing.T, path string) {
		if filepath.Ext(path) != ".txt" {
			t.Fatalf("%s: script files end in .txt", path)
		}
		ran[filepath.Base(path)] = true
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			return runCommand(t, d, cov)
		})
	})
	// The coverage check needs every file; skip it under -run TestScript/x.
	files, err := filepath.Glob(filepath.Join(scriptDir, "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts in %s: %v", scriptDir, err)
	}
	for _, f := range files {
		if !ran[filepath.Base(f)] {
			t.Logf("coverage check skipped: %s did not run", f)
			return
		}
	}
	if !t.Failed() {
		cov.check(t)
	}
}

// TestScriptRejectsBadCommands: a mistyped command or argument fails the
// test with a message naming it, rather than being ignored.
func TestScriptRejectsBadCommands(t *testing.T) {
	tests := []struct{ line, input, want string }{
		{line: "frobnicate strategy=linux", want: `unknown command "frobnicate"`},
		{line: "pick", want: "pick needs strategy=SPEC"},
		{line: "profile", want: "profile needs spec=PROFILE"},
		{line: "explain count=2", want: "explain needs strategy=SPEC or profile=PROFILE"},
		{line: "pick strategy=nosuch", want: `unknown strategy "nosuch"`},
		{line: "pick strategy=linux:table-order=99", want: "table-order"},
		{line: "pick strategy=linux:colour=blue", want: `unknown parameter "colour"`},
		{line: "pick strategy=linux colour=blue", want: `unknown argument "colour"`},
		{line: "pick strategy=linux spec=linux", want: `unknown argument "spec"`},
		{line: "profile spec=solaris", want: `unknown profile "solaris"`},
		{line: "profile spec=netbsd:algo=fast", want: `algo="fast"`},
		{line: "explain strategy=linux profile=linux", want: "not both"},
		{line: "pick strategy=linux count=2 count=3", want: `"count" given twice`},
		{line: "pick strategy=linux count=0", want: "want 1 to 500"},
		{line: "pick strategy=linux count", want: "count needs a value"},
		{line: "pick strategy=linux seed=(1, 2)", want: "seed takes one value"},
		{line: "pick strategy=linux seed=-1", want: "seed=-1"},
		{line: "pick strategy=linux kind=listen", want: `"listen" is not a request kind`},
		{line: "pick strategy=linux range=9-1", want: "range=9-1"},
		{line: "pick strategy=linux reserved=0", want: "reserved=0"},
		{line: "pick strategy=linux dst=192.0.2.1", want: `dst: "192.0.2.1" is not IP:PORT`},
		{line: "pick strategy=linux src=10.0.0.1:80", want: "src=10.0.0.1:80"},
		{line: "pick strategy=linux src=fd00::1 dst=192.0.2.1:80", want: "different IP families"},
		{line: "pick strategy=linux interval=-1s", want: "negative"},
		{line: "pick strategy=linux close=yes", want: "close takes no value"},
		{line: "pick strategy=linux close life=1s", want: "give close or life=/how=, not both"},
		{line: "pick strategy=linux how=client", want: "how= needs life="},
		{line: "pick strategy=linux life=1s how=sideways", want: `"sideways" is not a close side`},
		{line: "pick strategy=linux tw-reuse=maybe", want: `"maybe" is not a tw_reuse policy`},
		{line: "pick strategy=linux hold=(listen:50000)", want: `hold: "listen" is not connect, bind, udp`},
		{line: "pick strategy=linux hold=(udp-tw:50000)", want: `hold: "udp-tw" is not connect, bind, udp`},
		{line: "pick strategy=linux hold=(bind)", want: "is not KIND:PORTS"},
		{line: "pick strategy=linux range=50000-50003 hold=(bind:50000, bind:50000)", want: "hold bind port 50000"},
		{line: "pick strategy=linux", input: "extra", want: "takes no input lines"},
	}
	for _, tt := range tests {
		cmd, args, err := datadriven.ParseLine(tt.line)
		if err != nil {
			t.Fatalf("%s: %v", tt.line, err)
		}
		d := &datadriven.TestData{Pos: "case", Cmd: cmd, CmdArgs: args, Input: tt.input}
		ft := &fatalTB{TB: t}
		done := make(chan string)
		go func() {
			defer close(done)
			done <- runCommand(ft, d, newCoverage())
		}()
		if out, ok := <-done; ok {
			t.Errorf("%s: ran, want a failure %q; output:\n%s", tt.line, tt.want, out)
			continue
		}
		if !strings.Contains(ft.msg, tt.want) {
			t.Errorf("%s: failed with %q, want it to mention %q", tt.line, ft.msg, tt.want)
		}
	}
}

// fatalTB records a Fatalf and stops the goroutine, as testing.T does.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// runCommand runs one script command and returns its output. Commands:
//
//	pick strategy=SPEC [options]
//	    One strategy instance, strategies.New(SPEC, seed), serves every
//	    request whatever its kind. The table is Linux's defaults as
//	    'portsim explain' uses them (TIME_WAIT 60s, tw_reuse loopback after
//	    1s) over the strategy's own range (Info.Range); the default kind is
//	    the strategy's (Info.Kind).
//	profile spec=PROFILE[:k=v] [options]
//	    An OS profile, resolved by strategies.Resolve (resolveProfile): its
//	    table config, its strategy per kind, shared instances, and
//	    ExclusiveConnect (connect served as bind).
//	explain strategy=SPEC | profile=PROFILE [options]
//	    pick or profile with a fresh allocator.Trace per pick; every step is
//	    printed under its pick. The same picks are also made without a trace
//	    (the table's Scanner path); a difference is printed as a "note" line.
//	nat spec=SPEC [hosts=N] [addrs=M] [seed=S]
//	    A translation policy behind a gateway, fed flows by input lines
//	    (runNAT, in nat_script_test.go).
//
// Options:
//
//	seed=N                  strategy seed, or the profile's scenario seed (default 1)
//	kind=K | kind=(K, K...) connect, bind or udp; several take turns, pick i uses kind i mod n
//	range=LO-HI             port range (default: the strategy's or the profile's)
//	reserved=LIST           reserved ports, e.g. 50002,50004-50005 (added to a profile's)
//	src=IP                  local address (default 10.0.0.1, or fd00::1 for IPv6)
//	dst=IP:PORT,... | dst=(IP:PORT, ...)
//	                        destinations, used in turn (default 192.0.2.10:443 or [2001:db8::10]:443)
//	count=N                 number of picks (default 8)
//	interval=D              simulated time between picks (default 1s)
//	start=D                 time of the first pick (default 0s)
//	close                   reset each connection right after its pick (nothing in TIME_WAIT)
//	life=D                  each connection closes D after its pick (default: stays open)
//	how=client|server|reset how it closes with life= (default client: TIME_WAIT)
//	time-wait=D, tw-reuse=off|on|loopback, tw-reuse-delay=D
//	                        override the table's TIME_WAIT rules
//	hold=(KIND:PORTS, ...)  sockets made before the first pick, at start, from src
//	                        to the first dst: connect, bind or udp on port P or
//	                        ports LO-HI; connect-tw and bind-tw are closed at
//	                        once, client first, and sit in TIME_WAIT
//
// A command prints a header, the resolved host: spec, seed, range, reserved
// ports, kinds and source, the TIME_WAIT rules when they are not the
// defaults (always for a profile), and for a profile one more line with each
// kind's strategy spec or the instance it shares. Then each pick prints
// "#n t=T [kind] dst=D port=P probes=K" (with "tw-reuse" when it took a
// 4-tuple from TIME_WAIT), or "#n t=T [kind] dst=D FAILED probes=K: error".
// The kind is shown when several kinds take turns, or as "connect-as-bind"
// when a profile serves connect as bind. A pick that panics prints
// "PANIC: message" and ends the command (pinned, not hidden: see
// collisions.txt's one-port ranges).
func runCommand(t testing.TB, d *datadriven.TestData, cov *coverage) string {
	if d.Cmd == "nat" {
		return runNAT(t, d, cov)
	}
	if strings.TrimSpace(d.Input) != "" {
		d.Fatalf(t, "%s takes no input lines, only arguments", d.Cmd)
	}
	sc := parseScript(t, d)
	var b strings.Builder
	switch d.Cmd {
	case "pick", "profile":
		h := sc.newHost(t, d)
		b.WriteString(h.header(sc))
		for _, o := range sc.run(t, d, h, false) {
			b.WriteString(sc.line(o))
			cov.record(sc, o, false)
		}
	case "explain":
		h := sc.newHost(t, d)
		b.WriteString(h.header(sc))
		traced := sc.run(t, d, h, true)
		plain := sc.run(t, d, sc.newHost(t, d), false)
		for i, o := range traced {
			b.WriteString(sc.line(o))
			cov.record(sc, o, true)
			writeSteps(&b, o.steps)
			if n := countProbes(o.steps); n != o.probes {
				fmt.Fprintf(&b, "  note: the trace has %d probe steps, the pick reported %d probes\n", n, o.probes)
			}
			if i >= len(plain) {
				fmt.Fprintf(&b, "  note: without a trace the picks stopped before this one\n")
				continue
			}
			if p := plain[i]; p.port != o.port || p.probes != o.probes || p.failed != o.failed || p.panicked != o.panicked {
				fmt.Fprintf(&b, "  note: without a trace the pick gives %s", strings.TrimPrefix(sc.line(p), fmt.Sprintf("#%d ", p.n)))
			}
		}
		if len(plain) > len(traced) {
			fmt.Fprintf(&b, "note: without a trace the picks go on after #%d\n", len(traced))
		}
	default:
		d.Fatalf(t, "unknown command %q; want pick, profile, explain or nat", d.Cmd)
	}
	return b.String()
}

// script is a command's arguments, checked.
type script struct {
	spec     string // the strategy or profile spec
	profile  bool
	seed     uint64
	kinds    []allocator.Kind
	kindSet  bool
	rng      allocator.Range
	rngSet   bool
	reserved []allocator.Range
	src      netip.Addr
	dsts     []netip.AddrPort
	count    int
	interval time.Duration
	start    time.Duration
	life     time.Duration
	closes   bool // connections close life after their pick
	how      allocator.CloseHow

	timeWait, twDelay       time.Duration
	timeWaitSet, twDelaySet bool
	twReuse                 allocator.TWReuse
	twReuseSet              bool

	holds []hold
}

type hold struct {
	kind     allocator.Kind
	timeWait bool
	ports    allocator.Range
}

var (
	defaultDst4 = netip.MustParseAddrPort("192.0.2.10:443")
	defaultDst6 = netip.MustParseAddrPort("[2001:db8::10]:443")
	defaultSrc4 = netip.MustParseAddr("10.0.0.1")
	defaultSrc6 = netip.MustParseAddr("fd00::1")
)

// maxCount keeps a typo from producing a file nobody can read.
const maxCount = 500

func parseScript(t testing.TB, d *datadriven.TestData) *script {
	sc := &script{seed: 1, count: 8, interval: time.Second, kinds: []allocator.Kind{allocator.Connect}}
	allowed := map[string]bool{
		"seed": true, "kind": true, "range": true, "reserved": true, "src": true, "dst": true,
		"count": true, "interval": true, "start": true, "close": true, "life": true, "how": true,
		"time-wait": true, "tw-reuse": true, "tw-reuse-delay": true, "hold": true,
	}
	switch d.Cmd {
	case "pick":
		allowed["strategy"] = true
	case "profile":
		allowed["spec"] = true
	case "explain":
		allowed["strategy"], allowed["profile"] = true, true
	default:
		d.Fatalf(t, "unknown command %q; want pick, profile, explain or nat", d.Cmd)
	}
	seen := map[string]bool{}
	var howSet, lifeSet bool
	for _, a := range d.CmdArgs {
		if !allowed[a.Key] {
			keys := make([]string, 0, len(allowed))
			for k := range allowed {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			d.Fatalf(t, "%s: unknown argument %q; want one of %s", d.Cmd, a.Key, strings.Join(keys, ", "))
		}
		if seen[a.Key] {
			d.Fatalf(t, "%s: argument %q given twice", d.Cmd, a.Key)
		}
		seen[a.Key] = true
		if a.Key == "close" {
			if len(a.Vals) != 0 {
				d.Fatalf(t, "close takes no value; write it alone")
			}
			sc.closes, sc.life, sc.how = true, 0, allocator.Reset
			continue
		}
		if len(a.Vals) == 0 || (len(a.Vals) == 1 && strings.TrimSpace(a.Vals[0]) == "") {
			d.Fatalf(t, "%s needs a value: %s=...", a.Key, a.Key)
		}
		list := a.Key == "kind" || a.Key == "dst" || a.Key == "hold" || a.Key == "reserved"
		if len(a.Vals) > 1 && !list {
			d.Fatalf(t, "%s takes one value, got %d: %v", a.Key, len(a.Vals), a.Vals)
		}
		v := strings.Join(a.Vals, ",")
		var err error
		switch a.Key {
		case "strategy", "spec":
			sc.spec = v
		case "profile":
			sc.spec, sc.profile = v, true
		case "seed":
			sc.seed, err = strconv.ParseUint(v, 0, 64)
		case "kind":
			sc.kinds, sc.kindSet = nil, true
			for _, s := range strings.Split(v, ",") {
				k, err := allocator.ParseKind(strings.TrimSpace(s))
				if err != nil {
					d.Fatalf(t, "kind: %v", err)
				}
				sc.kinds = append(sc.kinds, k)
			}
		case "range":
			sc.rng, err = allocator.ParseRange(v)
			sc.rngSet = true
		case "reserved":
			sc.reserved, err = allocator.ParseRanges(v)
		case "src":
			sc.src, err = netip.ParseAddr(v)
		case "dst":
			for _, s := range strings.Split(v, ",") {
				ap, err := netip.ParseAddrPort(strings.TrimSpace(s))
				if err != nil || ap.Port() == 0 {
					d.Fatalf(t, "dst: %q is not IP:PORT with a port 1-65535 (%v)", s, err)
				}
				sc.dsts = append(sc.dsts, ap)
			}
		case "count":
			sc.count, err = strconv.Atoi(v)
			if err == nil && (sc.count < 1 || sc.count > maxCount) {
				err = fmt.Errorf("want 1 to %d", maxCount)
			}
		case "interval":
			sc.interval, err = parseDuration(v)
		case "start":
			sc.start, err = parseDuration(v)
		case "life":
			sc.life, err = parseDuration(v)
			lifeSet, sc.closes = true, true
		case "how":
			sc.how, err = allocator.ParseCloseHow(v)
			howSet = true
		case "time-wait":
			sc.timeWait, err = parseDuration(v)
			sc.timeWaitSet = true
		case "tw-reuse-delay":
			sc.twDelay, err = parseDuration(v)
			sc.twDelaySet = true
		case "tw-reuse":
			sc.twReuse, err = allocator.ParseTWReuse(v)
			sc.twReuseSet = true
		case "hold":
			for _, s := range strings.Split(v, ",") {
				sc.holds = append(sc.holds, parseHold(t, d, strings.TrimSpace(s)))
			}
		}
		if err != nil {
			d.Fatalf(t, "%s=%s: %v", a.Key, v, err)
		}
	}
	if sc.spec == "" {
		switch d.Cmd {
		case "pick":
			d.Fatalf(t, "pick needs strategy=SPEC")
		case "profile":
			d.Fatalf(t, "profile needs spec=PROFILE")
		default:
			d.Fatalf(t, "explain needs strategy=SPEC or profile=PROFILE")
		}
	}
	if seen["strategy"] && seen["profile"] {
		d.Fatalf(t, "explain takes strategy= or profile=, not both")
	}
	if d.Cmd == "profile" {
		sc.profile = true
	}
	if seen["close"] && (lifeSet || howSet) {
		d.Fatalf(t, "close is life=0s how=reset; give close or life=/how=, not both")
	}
	if howSet && !lifeSet {
		d.Fatalf(t, "how= needs life=: connections stay open without it")
	}
	// Addresses: the defaults follow the other side's family.
	if len(sc.dsts) > 0 && !sc.src.IsValid() {
		sc.src = defaultSrc4
		if !sc.dsts[0].Addr().Unmap().Is4() {
			sc.src = defaultSrc6
		}
	}
	if !sc.src.IsValid() {
		sc.src = defaultSrc4
	}
	if len(sc.dsts) == 0 {
		sc.dsts = []netip.AddrPort{defaultDst4}
		if !sc.src.Unmap().Is4() {
			sc.dsts = []netip.AddrPort{defaultDst6}
		}
	}
	for _, dst := range sc.dsts {
		if dst.Addr().Unmap().Is4() != sc.src.Unmap().Is4() {
			d.Fatalf(t, "dst %v and src %v are of different IP families", dst, sc.src)
		}
	}
	return sc
}

// parseDuration is time.ParseDuration refusing negative durations.
func parseDuration(s string) (time.Duration, error) {
	v, err := time.ParseDuration(s)
	if err == nil && v < 0 {
		err = errors.New("negative; want a duration ≥ 0")
	}
	return v, err
}

func parseHold(t testing.TB, d *datadriven.TestData, s string) hold {
	what, ports, ok := strings.Cut(s, ":")
	if !ok {
		d.Fatalf(t, "hold: %q is not KIND:PORTS (connect, bind, udp, connect-tw or bind-tw; a port or LO-HI)", s)
	}
	var h hold
	name, tw := strings.CutSuffix(what, "-tw")
	k, err := allocator.ParseKind(name)
	if err != nil || (tw && k == allocator.UDP) {
		d.Fatalf(t, "hold: %q is not connect, bind, udp, connect-tw or bind-tw", what)
	}
	h.kind, h.timeWait = k, tw
	if h.ports, err = allocator.ParseRange(ports); err != nil {
		d.Fatalf(t, "hold: %q: %v", s, err)
	}
	return h
}

// host is the table rules and the strategy serving each kind.
type host struct {
	cfg       allocator.Config
	specs     [3]string
	strats    [3]allocator.Strategy
	shared    [3]bool // kind k uses kind k-1's instance
	exclusive bool    // connect is served as bind
}

func (sc *script) newHost(t testing.TB, d *datadriven.TestData) *host {
	var h *host
	if sc.profile {
		var err error
		if h, err = resolveProfile(sc.spec, sc.seed); err != nil {
			d.Fatalf(t, "%v", err)
		}
	} else {
		name, _, _ := strings.Cut(sc.spec, ":")
		info, ok := strategies.Lookup(name)
		if !ok {
			d.Fatalf(t, "unknown strategy %q; want one of %s", name, strings.Join(strategies.Names(), ", "))
		}
		s, err := strategies.New(sc.spec, sc.seed)
		if err != nil {
			d.Fatalf(t, "%v", err)
		}
		h = &host{cfg: allocator.DefaultConfig(), specs: [3]string{sc.spec, sc.spec, sc.spec}, strats: [3]allocator.Strategy{s, s, s}, shared: [3]bool{false, true, true}}
		h.cfg.Range = info.Range
		if !sc.kindSet {
			sc.kinds = []allocator.Kind{info.Kind}
		}
	}
	if sc.rngSet {
		h.cfg.Range = sc.rng
	}
	h.cfg.Reserved = append(slices.Clone(h.cfg.Reserved), sc.reserved...)
	if sc.timeWaitSet {
		h.cfg.TimeWait = sc.timeWait
	}
	if sc.twReuseSet {
		h.cfg.TWReuse = sc.twReuse
	}
	if sc.twDelaySet {
		h.cfg.TWReuseDelay = sc.twDelay
	}
	if err := h.cfg.Validate(); err != nil {
		d.Fatalf(t, "table: %v", err)
	}
	return h
}

// resolveProfile is how a profile becomes a host, as the simulator makes it
// (sim/engine.go newHost): strategies.Resolve of "profile:" + spec, with
// kind k's strategy seeded by seed.Named(seed, "profile:" + spec + "/" +
// kind), the simulator's rule for the host's spec and the kind's name. A
// kind shares the previous kind's instance when Resolve made it so.
func resolveProfile(spec string, s uint64) (*host, error) {
	hostSpec := strategies.ProfilePrefix + spec
	r, err := strategies.Resolve(hostSpec, func(k allocator.Kind) uint64 {
		return seed.Named(s, fmt.Sprint(hostSpec, "/", k))
	}, allocator.Config{})
	if err != nil {
		return nil, err
	}
	h := &host{cfg: r.Config, specs: r.Specs, strats: r.Strategies, exclusive: r.ExclusiveConnect}
	for k := 1; k < len(h.strats); k++ {
		h.shared[k] = h.strats[k] == h.strats[k-1]
	}
	return h, nil
}

// serve is the kind a request of kind k is made as.
func (h *host) serve(k allocator.Kind) allocator.Kind {
	if h.exclusive && k == allocator.Connect {
		return allocator.Bind
	}
	return k
}

// header is the command's first lines: the resolved host.
func (h *host) header(sc *script) string {
	var b strings.Builder
	what := "strategy"
	if sc.profile {
		what = "profile"
	}
	fmt.Fprintf(&b, "%s %s seed=%d range=%v", what, sc.spec, sc.seed, h.cfg.Range)
	if len(h.cfg.Reserved) > 0 {
		fmt.Fprintf(&b, " reserved=%s", allocator.FormatRanges(h.cfg.Reserved))
	}
	if sc.profile || sc.timeWaitSet || sc.twReuseSet || sc.twDelaySet {
		fmt.Fprintf(&b, " time-wait=%v tw-reuse=%v tw-reuse-delay=%v", h.cfg.TimeWait, h.cfg.TWReuse, h.cfg.TWReuseDelay)
	}
	kinds := make([]string, len(sc.kinds))
	for i, k := range sc.kinds {
		kinds[i] = k.String()
	}
	fmt.Fprintf(&b, " kind=%s src=%v\n", strings.Join(kinds, ","), sc.src)
	if sc.profile {
		// One line: each kind's spec, or the earlier kind whose instance it
		// shares, and the kind it is served as.
		parts := make([]string, 0, 3)
		for k := allocator.Connect; k <= allocator.UDP; k++ {
			p := fmt.Sprintf("%v: %s", k, h.specs[k])
			if h.shared[k] {
				p = fmt.Sprintf("%v: %v's instance", k, k-1)
			}
			if h.serve(k) != k {
				p += fmt.Sprintf(", served as %v", h.serve(k))
			}
			parts = append(parts, p)
		}
		fmt.Fprintf(&b, "  %s\n", strings.Join(parts, " | "))
	}
	return b.String()
}

// outcome is one pick.
type outcome struct {
	n          int
	at         time.Duration
	kind, made allocator.Kind // asked, and made as
	dst        netip.AddrPort
	port       uint16
	probes     int
	failed     bool
	errText    string
	twReuse    bool
	panicked   string // the pick panicked: what it said
	steps      []allocator.Step
}

// fixedPort is the strategy holds are made with: one port, or failure.
type fixedPort uint16

func (f fixedPort) Pick(_ *allocator.Request, usable func(uint16) bool) (uint16, int, error) {
	if usable(uint16(f)) {
		return uint16(f), 1, nil
	}
	return 0, 1, allocator.ErrAddrNotAvail
}

// run makes the script's holds and picks on a new table for h.
func (sc *script) run(t testing.TB, d *datadriven.TestData, h *host, trace bool) []outcome {
	tab, err := allocator.NewTable(h.cfg)
	if err != nil {
		d.Fatalf(t, "table: %v", err)
	}
	for _, hd := range sc.holds {
		for p := int(hd.ports.Lo); p <= int(hd.ports.Hi); p++ {
			req := allocator.Request{Kind: hd.kind, Src: sc.src, Dst: sc.dsts[0], Now: sc.start}
			a, err := tab.Allocate(&req, fixedPort(p))
			if err != nil {
				d.Fatalf(t, "hold %v port %d: %v", hd.kind, p, err)
			}
			if hd.timeWait {
				if err := tab.Close(a.Conn, allocator.ClientFirst, sc.start); err != nil {
					d.Fatalf(t, "hold %v port %d: close: %v", hd.kind, p, err)
				}
			}
		}
	}
	type pending struct {
		conn allocator.Conn
		at   time.Duration
	}
	var open []pending // in close order: life is the same for every connection
	out := make([]outcome, 0, sc.count)
	for i := range sc.count {
		now := sc.start + time.Duration(i)*sc.interval
		for len(open) > 0 && open[0].at <= now {
			if err := tab.Close(open[0].conn, sc.how, open[0].at); err != nil {
				d.Fatalf(t, "pick #%d: closing an earlier connection: %v", i+1, err)
			}
			open = open[1:]
		}
		k := sc.kinds[i%len(sc.kinds)]
		o := outcome{n: i + 1, at: now, kind: k, made: h.serve(k), dst: sc.dsts[i%len(sc.dsts)]}
		req := allocator.Request{Kind: o.made, Src: sc.src, Dst: o.dst, Now: now}
		if trace {
			req.Trace = &allocator.Trace{}
		}
		a, panicked, err := allocate(tab, &req, h.strats[o.made])
		var ae *allocator.AllocError
		switch {
		case panicked != "":
			// Pinned as it is today; the table may be inconsistent after a
			// panic, so the command stops here.
			o.panicked = panicked
			if trace {
				o.steps = req.Trace.Steps
			}
			return append(out, o)
		case err == nil:
			o.port, o.probes, o.twReuse = a.Conn.Port, a.Probes, a.TWReuse
			if sc.closes {
				if sc.life == 0 {
					if err := tab.Close(a.Conn, sc.how, now); err != nil {
						d.Fatalf(t, "pick #%d: close: %v", i+1, err)
					}
				} else {
					open = append(open, pending{a.Conn, now + sc.life})
				}
			}
		case errors.Is(err, allocator.ErrAddrNotAvail) && errors.As(err, &ae):
			o.failed, o.probes, o.errText = true, ae.Probes, ae.Err.Error()
			if a.Probes != ae.Probes {
				d.Fatalf(t, "pick #%d: Allocation.Probes %d but AllocError.Probes %d", i+1, a.Probes, ae.Probes)
			}
		default:
			d.Fatalf(t, "pick #%d: unexpected error: %v", i+1, err)
		}
		if trace {
			o.steps = req.Trace.Steps
		}
		out = append(out, o)
	}
	return out
}

// allocate is tab.Allocate, with a panic caught and returned as text.
func allocate(tab *allocator.Table, req *allocator.Request, s allocator.Strategy) (a allocator.Allocation, panicked string, err error) {
	defer func() {
		if r := recover(); r != nil {
			panicked = fmt.Sprint(r)
		}
	}()
	a, err = tab.Allocate(req, s)
	return a, "", err
}

// line is a pick's one-line summary.
func (sc *script) line(o outcome) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#%d t=%v", o.n, o.at)
	switch {
	case o.made != o.kind:
		fmt.Fprintf(&b, " %v-as-%v", o.kind, o.made)
	case len(sc.kinds) > 1:
		fmt.Fprintf(&b, " %v", o.kind)
	}
	fmt.Fprintf(&b, " dst=%v", o.dst)
	if o.panicked != "" {
		fmt.Fprintf(&b, " PANIC: %s\n", o.panicked)
		return b.String()
	}
	if o.failed {
		fmt.Fprintf(&b, " FAILED probes=%d: %s\n", o.probes, o.errText)
		return b.String()
	}
	fmt.Fprintf(&b, " port=%d probes=%d", o.port, o.probes)
	if o.twReuse {
		b.WriteString(" tw-reuse")
	}
	b.WriteString("\n")
	return b.String()
}

// writeSteps prints a trace, one step a line: what, port (blank for none),
// the verdict of a probe, and the detail.
func writeSteps(b *strings.Builder, steps []allocator.Step) {
	for _, s := range steps {
		port := ""
		if s.Port != 0 {
			port = strconv.Itoa(int(s.Port))
		}
		verdict := ""
		if s.Usable != nil {
			verdict = "rejected"
			if *s.Usable {
				verdict = "usable"
			}
		}
		line := fmt.Sprintf("  %-9s %5s %-8s %s", s.What, port, verdict, s.Detail)
		b.WriteString(strings.TrimRight(line, " "))
		b.WriteString("\n")
	}
}

func countProbes(steps []allocator.Step) int {
	n := 0
	for _, s := range steps {
		if s.What == "probe" {
			n++
		}
	}
	return n
}

// coverage is what the scripts exercised, checked once they have all run.
type coverage struct {
	strategyKind map[string]bool // "name/kind": picked at default parameters
	profileKind  map[string]bool // "spec/kind"
	explained    map[string]bool // strategy name, explained
	failed       map[string]bool // strategy name, an EADDRNOTAVAIL seen
	nat          map[string]bool // "name/translated", "name/failed" (runNAT)
}

func newCoverage() *coverage {
	return &coverage{map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}}
}

func (c *coverage) record(sc *script, o outcome, explained bool) {
	if sc.profile {
		c.profileKind[sc.spec+"/"+o.kind.String()] = true
		return
	}
	name, _, _ := strings.Cut(sc.spec, ":")
	if name == sc.spec {
		c.strategyKind[name+"/"+o.kind.String()] = true
	}
	if explained {
		c.explained[name] = true
	}
	if o.failed {
		c.failed[name] = true
	}
}

func (c *coverage) check(t *testing.T) {
	kinds := []allocator.Kind{allocator.Connect, allocator.Bind, allocator.UDP}
	for _, name := range strategies.Names() {
		for _, k := range kinds {
			if !c.strategyKind[name+"/"+k.String()] {
				t.Errorf("no script picks %s at default parameters for %v", name, k)
			}
		}
		if !c.explained[name] {
			t.Errorf("no script explains %s", name)
		}
		if !c.failed[name] {
			t.Errorf("no script makes %s fail (EADDRNOTAVAIL)", name)
		}
	}
	for _, name := range strategies.NATNames() {
		for _, what := range []string{"translated", "failed"} {
			if !c.nat[name+"/"+what] {
				t.Errorf("no nat script has %s with a flow %s", name, what)
			}
		}
	}
	for _, spec := range strategies.ProfileSpecs() {
		for _, k := range kinds {
			if !c.profileKind[spec+"/"+k.String()] {
				t.Errorf("no script runs profile %s for %v", spec, k)
			}
		}
	}
}
