package sim

import (
	"errors"
	"fmt"
	"iter"
	"math"
	"net/netip"
	"slices"
	"time"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/internal/fielderr"
	"github.com/portsim/portsim/internal/format"
	"github.com/portsim/portsim/strategies"
)

// PickConfig is a run of traced picks: Count picks by one strategy, one
// every Interval of simulated time from 0, from Src to each of Dsts in
// turn. The table has Linux's defaults (TIME_WAIT 60s, tw_reuse for
// loopback only, after 1s) unless a profile brings its own.
type PickConfig struct {
	// Spec names what picks: a strategy spec ("linux",
	// "linux:table-order=8"), or a profile spec ("profile:macos"), whose
	// strategy for Kind runs under the profile's table rules.
	Spec string
	// Seed seeds every kind's strategy: its keys and random draws.
	Seed uint64
	// Kind is the request kind. Unless KindSet, a strategy spec uses its
	// strategy's own kind (linux-bind: bind); a profile serves Kind as the
	// profile does (ns3 serves connect as bind).
	Kind    allocator.Kind
	KindSet bool
	// Range is the port range; zero means the strategy's own, or the
	// profile's.
	Range allocator.Range
	// Reserved ports are never picked; they add to a profile's.
	Reserved []allocator.Range
	// Src is the local address; zero means 10.0.0.1, or fd00::1 for IPv6
	// destinations.
	Src netip.Addr
	// Dsts are the destinations, taken in turn; none means
	// 192.0.2.10:443, or [2001:db8::10]:443 for an IPv6 Src. Src and every
	// destination must be of one IP family.
	Dsts []netip.AddrPort
	// Count is how many picks, Interval the simulated time between them.
	Count    int
	Interval time.Duration
	// Close resets each connection right after its pick, leaving nothing
	// in TIME_WAIT; otherwise connections stay open and later picks must
	// avoid their ports (or 4-tuples).
	Close bool
}

// Default destinations, from the documentation ranges (RFC 5737, RFC
// 3849), so that nothing real is named; the sources are the scenario's
// (defaultSrc).
var (
	defaultDst4 = netip.MustParseAddrPort("192.0.2.10:443")
	defaultDst6 = netip.MustParseAddrPort("[2001:db8::10]:443")
)

// Picks is a resolved PickConfig: what runs, as a header names it, and All
// to run it.
type Picks struct {
	// Spec names what runs: PickConfig.Spec, and for a profile the
	// strategy serving the kind: "profile:macos (random)".
	Spec string
	// Info describes the strategy that runs.
	Info strategies.Info
	// Kernel is set when a strategy spec runs requests its kernel would
	// serve with another strategy: linux asked for bind runs linux, as
	// asked, where the kernel runs linux-bind. Kernel names that one.
	Kernel string
	// Kind is the kind requests are made as.
	Kind  allocator.Kind
	Table allocator.Config
	Seed  uint64
	// Src and Dsts are the addresses, defaults filled in.
	Src      netip.Addr
	Dsts     []netip.AddrPort
	Count    int
	Interval time.Duration
	Close    bool

	spec string         // as given, to resolve afresh for each run
	runs allocator.Kind // the kind whose strategy runs
	base allocator.Config
}

// NewPicks checks and resolves c: its strategy or profile (with
// strategies.Resolve), its table and addresses. Every problem with c is a
// *fielderr.Error, found before any pick is made.
func NewPicks(c PickConfig) (*Picks, error) {
	p := &Picks{
		Spec: c.Spec, Seed: c.Seed, Src: c.Src, Dsts: slices.Clone(c.Dsts),
		Count: c.Count, Interval: c.Interval, Close: c.Close, spec: c.Spec,
	}
	switch {
	case c.Kind > allocator.UDP:
		return nil, fielderr.Errorf("kind", "%v; want connect, bind or udp", c.Kind)
	case c.Count < 0:
		return nil, fielderr.Errorf("count", "%d is negative; want 0 or more picks", c.Count)
	case c.Interval < 0:
		return nil, fielderr.Errorf("interval", "%v is negative; want a duration ≥ 0 such as 1s or 250ms", c.Interval)
	case c.Interval > 0 && int64(c.Count-1) > math.MaxInt64/int64(c.Interval):
		return nil, fielderr.Errorf("interval", "%v × %d picks overflows the simulated clock; want a shorter interval or fewer picks", c.Interval, c.Count)
	}
	if c.Range != (allocator.Range{}) {
		if err := c.Range.Validate(); err != nil {
			return nil, &fielderr.Error{Field: "range", Err: err}
		}
	}
	for _, r := range c.Reserved {
		if err := r.Validate(); err != nil {
			return nil, &fielderr.Error{Field: "reserved", Err: err}
		}
	}

	// The table is Linux's, over the strategy's own range, unless a
	// profile brings its own.
	p.base = allocator.DefaultConfig()
	p.base.Range = allocator.Range{}
	h, err := p.resolve()
	if err != nil {
		return nil, &fielderr.Error{Field: "spec", Err: err}
	}
	if h.Profile != nil {
		// The profile's strategy for the kind, with the profile's rules.
		p.runs, p.Kind = c.Kind, h.Serve(c.Kind)
		p.Spec = fmt.Sprintf("%s (%s)", c.Spec, h.Specs[c.Kind])
	} else {
		// The strategy asked for, whatever the kind: linux asked for bind
		// runs linux, not the kernel's linux-bind.
		p.runs, p.Kind = h.Kind, h.Kind
		if c.KindSet {
			p.Kind = c.Kind
		}
		if k := h.Specs[p.Kind]; k != c.Spec {
			p.Kernel = k
		}
	}
	p.Info = h.Info(p.runs)
	p.Table = h.Config
	if c.Range != (allocator.Range{}) {
		p.Table.Range = c.Range
	}
	p.Table.Reserved = append(slices.Clone(p.Table.Reserved), c.Reserved...)
	if err := p.Table.Validate(); err != nil {
		return nil, err // a profile's own rules: a bug, not the caller's
	}
	if err := p.addresses(); err != nil {
		return nil, err
	}
	return p, nil
}

// resolve builds the host the spec describes, every kind's strategy
// seeded with Seed.
func (p *Picks) resolve() (*strategies.Host, error) {
	return strategies.Resolve(p.spec, func(allocator.Kind) uint64 { return p.Seed }, p.base)
}

// addresses fills in the default source and destination, each following
// the other's family, and checks that all are of one family.
func (p *Picks) addresses() error {
	for _, d := range p.Dsts[min(1, len(p.Dsts)):] {
		if first := p.Dsts[0]; is4(d.Addr()) != is4(first.Addr()) {
			return fielderr.Errorf("dst", "%v is %s but %v is %s; want every destination of one IP family",
				d, family(d.Addr()), first, family(first.Addr()))
		}
	}
	switch {
	case len(p.Dsts) == 0 && p.Src.IsValid() && !is4(p.Src):
		p.Dsts = []netip.AddrPort{defaultDst6}
	case len(p.Dsts) == 0:
		p.Dsts = []netip.AddrPort{defaultDst4}
	}
	switch dst := p.Dsts[0]; {
	case !p.Src.IsValid():
		p.Src = defaultSrc(!is4(dst.Addr()))
	case is4(p.Src) != is4(dst.Addr()):
		return fielderr.Errorf("src", "%v is %s but destination %v is %s; want a source and destinations of one IP family",
			p.Src, family(p.Src), dst, family(dst.Addr()))
	}
	return nil
}

// is4 reports the family the table will see: it unmaps ::ffff:a.b.c.d.
func is4(a netip.Addr) bool { return a.Unmap().Is4() }

func family(a netip.Addr) string {
	if is4(a) {
		return "IPv4"
	}
	return "IPv6"
}

// A Pick is one traced allocation.
type Pick struct {
	N   int           // 1 for the first pick
	At  time.Duration // simulated time
	Src netip.Addr
	Dst netip.AddrPort
	// Port is the port chosen; 0 when the pick failed.
	Port uint16
	// Probes counts the candidates asked about, Collisions those found
	// unusable.
	Probes, Collisions int
	// Err is why the pick failed, nil when it got a port: no usable port
	// in the range, errors.Is(Err, allocator.ErrAddrNotAvail).
	Err error
	// Steps is the trace: what the strategy computed, each probe and the
	// table's verdict, a "chose" step after the probe that found Port,
	// the table's updates, and with Close the reset. Never nil.
	Steps []allocator.Step
}

// All makes the picks one at a time, so that a long run's traces are
// never all held in memory. Each call starts afresh, with a new table and
// new strategies, and yields the same picks. A failed pick (a full range)
// is a Pick with Err set, and the run goes on; a non-nil error is
// anything else, and ends the run.
func (p *Picks) All() iter.Seq2[Pick, error] {
	return func(yield func(Pick, error) bool) {
		h, err := p.resolve()
		if err != nil {
			yield(Pick{}, err)
			return
		}
		strategy := h.Strategies[p.runs]
		tbl, err := allocator.NewTable(p.Table)
		if err != nil {
			yield(Pick{}, err)
			return
		}
		for i := range p.Count {
			pk, err := p.pick(tbl, strategy, i)
			if !yield(pk, err) || err != nil {
				return
			}
		}
	}
}

// pick makes the i-th pick (from 0) on tbl.
func (p *Picks) pick(tbl *allocator.Table, s allocator.Strategy, i int) (Pick, error) {
	now := time.Duration(i) * p.Interval
	pk := Pick{N: i + 1, At: now, Src: p.Src, Dst: p.Dsts[i%len(p.Dsts)]}
	tr := &allocator.Trace{}
	req := allocator.Request{Kind: p.Kind, Src: pk.Src, Dst: pk.Dst, Now: now, Trace: tr}
	a, err := tbl.Allocate(&req, s)
	pk.Probes = a.Probes
	var ae *allocator.AllocError
	switch {
	case err == nil:
		pk.Port = a.Conn.Port
		tr.Steps = withChose(tr.Steps, pk.Port, pk.Probes)
		if p.Close {
			if err := tbl.Close(a.Conn, allocator.Reset, now); err != nil {
				return Pick{}, err
			}
			what := "its 4-tuple leaves the table"
			if p.Kind != allocator.Connect {
				what = "its port is free again"
			}
			tr.Addf("close", pk.Port, "reset at t=%v: %s, nothing is kept in TIME_WAIT", now, what)
		}
	case errors.Is(err, allocator.ErrAddrNotAvail):
		// A full range is a result worth seeing, not a crash.
		pk.Err = err
		if errors.As(err, &ae) {
			pk.Err, pk.Probes = ae.Err, ae.Probes
		}
	default:
		return Pick{}, fmt.Errorf("pick #%d: %w", pk.N, err)
	}
	pk.Steps = tr.Steps
	if pk.Steps == nil {
		pk.Steps = []allocator.Step{}
	}
	for _, s := range pk.Steps {
		if s.What == "probe" && s.Usable != nil && !*s.Usable {
			pk.Collisions++
		}
	}
	return pk, nil
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
	chose := allocator.Step{What: "chose", Port: port, Detail: "after " + format.Plural(probes, "probe")}
	return slices.Insert(steps, at, chose)
}

// PickTotals sums a run's picks.
type PickTotals struct {
	Picks, Failures, Probes, Collisions int
}

// Add counts pk.
func (t *PickTotals) Add(pk Pick) {
	t.Picks++
	if pk.Err != nil {
		t.Failures++
	}
	t.Probes += pk.Probes
	t.Collisions += pk.Collisions
}
