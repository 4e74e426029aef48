package fit

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/portsim/portsim/internal/format"
	"github.com/portsim/portsim/observe/capture"
)

// maxRanked is the most attempts of a host its models are ranked on, its
// first ones: millions of attempts rank the models no differently than a
// million does, and each model costs a pass over them (the summary above
// the fits is of all of them).
const maxRanked = 1 << 20

// DefaultMinAttempts is the fewest attempts from a host (of one protocol)
// that Analyze ranks models for. Below it the summary is still reported,
// but a handful of ports fits several models about equally (a stream's
// first port is uniform under most of them), and the DNS-OARC porttest
// rating itself is read from about 26 ports.
const DefaultMinAttempts = 20

// AnalyzeOptions tune Analyze; the zero value takes the defaults.
type AnalyzeOptions struct {
	// MinAttempts is the fewest attempts a host needs for its models to be
	// ranked; 0 means DefaultMinAttempts.
	MinAttempts int
	// Top is how many fits each report keeps, best first; 0 keeps every
	// candidate. Posteriors are computed over all candidates either way.
	Top int
	// Host, when valid, picks the attempts from that address alone; Proto,
	// when not 0, those of that protocol alone.
	Host  netip.Addr
	Proto capture.Proto
}

// Rating is the DNS-OARC porttest rating of a host's port spread.
type Rating string

// Ratings, from the spread's bits (log2 of std dev·√12, the width of a
// uniform range with that std dev).
const (
	RatingPoor  Rating = "POOR"  // under 10 bits: std dev below 296
	RatingGood  Rating = "GOOD"  // 10 to 13.75 bits
	RatingGreat Rating = "GREAT" // 13.75 bits and more: std dev about 3980 and more
)

// SpreadBits is the porttest's entropy estimate from the standard deviation
// of ports: log2(sd·√12), the bits of a uniform range with that spread. A
// spread below one port (all ports equal) counts as 0 bits.
func SpreadBits(sd float64) float64 {
	return math.Log2(max(sd*math.Sqrt(12), 1))
}

// RateBits is the porttest rating of a spread of bits.
func RateBits(bits float64) Rating {
	switch {
	case bits < 10:
		return RatingPoor
	case bits < 13.75:
		return RatingGood
	}
	return RatingGreat
}

// HostReport summarizes one host's attempts of one protocol and ranks the
// models that might have chosen its ports.
type HostReport struct {
	Host  netip.Addr
	Proto capture.Proto
	// Summary counts the attempts (Count) and their destinations, and
	// describes the ports' parity and steps; its steps are plain
	// differences, the host's range being unknown.
	Summary
	// First and Last are the times of the first and last attempt.
	First, Last time.Time
	// PortMin and PortMax are the lowest and highest ports seen.
	PortMin, PortMax uint16
	// StdDev is the population standard deviation of the ports, Bits its
	// SpreadBits and Rating the porttest rating; Rating is empty with too
	// few attempts to tell (TooFew).
	StdDev float64
	Bits   float64
	Rating Rating
	// LeftOut are the attempts not analyzed, by reason (ports the kernel
	// did not choose); Count and everything else are of the others.
	LeftOut []LeftOut
	// TooFew: fewer than the minimum attempts; Fits is empty.
	TooFew      bool
	MinAttempts int
	// Models is how many distinct candidate models were compared.
	Models int
	// Ranked is how many attempts (the host's first ones) the models were
	// ranked on, when not all: a host of more than maxRanked attempts.
	Ranked int
	// Fits are the candidate models, best first (at most Top of them).
	Fits []Fit
	// Check is the goodness-of-fit check of the best model; nil without
	// fits.
	Check *FitCheck
	// Stack is the shape of the host's packets, nil when the capture has
	// none (a CSV without its columns); OS names the system from the
	// ports and the stack together.
	Stack *HostStack
	OS    *OSVerdict
	// NAT says whether the address is a translator's with hosts behind
	// it, and how it picks ports.
	NAT *NATVerdict

	// The verdict, made over every fit before Fits is cut to Top.
	verdict string
	decided bool
}

// Best is the best fit, or nil when there is none.
func (r *HostReport) Best() *Fit {
	if len(r.Fits) == 0 {
		return nil
	}
	return &r.Fits[0]
}

// DecisivePosterior is the posterior a best fit needs for a verdict;
// below it the verdict names the close candidates instead. One
// destination, for instance, cannot tell one cursor from Algorithm 3 or 4:
// all three step +1.
const DecisivePosterior = 0.9

// Decided reports whether the best fit reaches DecisivePosterior and
// passes its goodness-of-fit check.
func (r *HostReport) Decided() bool { return r.decided }

// Verdict is one line: "best: linux (connect), 0.97; runner-up:
// linux-5.12 (connect) 0.03", with the best's equivalents in brackets;
// "undecided: A 0.50, B 0.49" when no fit reaches DecisivePosterior; "no
// model fits (what the check found); closest: A 1.00" when the best fails
// its goodness-of-fit check; or why there is no verdict.
func (r *HostReport) Verdict() string { return r.verdict }

// judge makes the verdict over fits, every candidate's, best first.
func (r *HostReport) judge(fits []Fit) {
	r.decided = false
	switch {
	case r.TooFew:
		r.verdict = fmt.Sprintf("too few attempts to tell (%d; want at least %d)", r.Count, r.MinAttempts)
		return
	case len(fits) == 0:
		r.verdict = "no candidate models"
		return
	}
	b := &fits[0]
	if r.Check != nil && !r.Check.Pass {
		r.verdict = fmt.Sprintf("no model fits (%s); closest: %s %s", r.Check.Finding, b.Name, FormatPosterior(b.Posterior))
		return
	}
	if b.Posterior < DecisivePosterior {
		// The fits that share most of the probability, at most 5.
		var parts []string
		cum := 0.0
		for i := range fits {
			f := &fits[i]
			if i == 5 || (i > 0 && (cum >= DecisivePosterior || f.Posterior < 0.01)) {
				break
			}
			parts = append(parts, f.Name+" "+FormatPosterior(f.Posterior))
			cum += f.Posterior
		}
		r.verdict = "undecided: " + strings.Join(parts, ", ")
		return
	}
	r.decided = true
	s := fmt.Sprintf("best: %s, %s", b.Name, FormatPosterior(b.Posterior))
	if eq := b.Equivalents(); eq != "" {
		s += " [same model: " + eq + "]"
	}
	if len(fits) > 1 {
		s += fmt.Sprintf("; runner-up: %s %s", fits[1].Name, FormatPosterior(fits[1].Posterior))
	}
	r.verdict = s
}

// FormatPosterior prints a probability with two decimals, or in
// scientific notation below 0.005 so that a distant runner-up does not read
// as zero: "0.97", "3e-12", "0".
func FormatPosterior(p float64) string {
	switch {
	case p >= 0.005 || p == 0:
		return strconv.FormatFloat(p, 'f', 2, 64)
	}
	return strconv.FormatFloat(p, 'e', 0, 64)
}

type hostReportJSON struct {
	Host         string      `json:"host"`
	Proto        string      `json:"proto"`
	Attempts     int         `json:"attempts"`
	Destinations int         `json:"destinations"`
	First        *time.Time  `json:"first,omitempty"`
	Last         *time.Time  `json:"last,omitempty"`
	PortMin      uint16      `json:"port_min"`
	PortMax      uint16      `json:"port_max"`
	EvenShare    float64     `json:"even_share"`
	Deltas       deltasJSON  `json:"deltas"`
	StdDev       float64     `json:"std_dev"`
	Bits         float64     `json:"bits"`
	Rating       Rating      `json:"rating"`
	LeftOut      []LeftOut   `json:"left_out"`
	TooFew       bool        `json:"too_few"`
	MinAttempts  int         `json:"min_attempts"`
	Models       int         `json:"models"`
	Ranked       int         `json:"ranked_attempts,omitempty"`
	Decided      bool        `json:"decided"`
	Verdict      string      `json:"verdict"`
	Check        *FitCheck   `json:"check,omitempty"`
	Stack        *HostStack  `json:"stack"`
	OS           *OSVerdict  `json:"os"`
	NAT          *NATVerdict `json:"nat"`
	Fits         []Fit       `json:"fits"`
}

// deltasJSON is a report's steps to the same destination.
type deltasJSON struct {
	Pairs     int     `json:"pairs"`
	SmallEven float64 `json:"small_even"`
	PlusOne   float64 `json:"plus_one"`
	MedianAbs float64 `json:"median_abs"`
}

// MarshalJSON writes the report with snake_case fields, the protocol by
// name and the verdict line.
func (r HostReport) MarshalJSON() ([]byte, error) {
	j := hostReportJSON{
		Host: r.Host.String(), Proto: r.Proto.String(), Attempts: r.Count, Destinations: r.Dsts,
		PortMin: r.PortMin, PortMax: r.PortMax, EvenShare: r.Even,
		Deltas: deltasJSON{Pairs: r.Steps, SmallEven: r.SmallEven, PlusOne: r.PlusOne, MedianAbs: r.MedianAbs},
		StdDev: r.StdDev, Bits: r.Bits, Rating: r.Rating, LeftOut: r.LeftOut, TooFew: r.TooFew, MinAttempts: r.MinAttempts,
		Models: r.Models, Ranked: r.Ranked, Decided: r.Decided(), Verdict: r.Verdict(), Check: r.Check, Stack: r.Stack, OS: r.OS, NAT: r.NAT, Fits: r.Fits,
	}
	if !r.First.IsZero() {
		j.First, j.Last = &r.First, &r.Last
	}
	if j.Fits == nil {
		j.Fits = []Fit{}
	}
	if j.LeftOut == nil {
		j.LeftOut = []LeftOut{}
	}
	return json.Marshal(j)
}

// Analyze groups attempts by source host and protocol and, for each group,
// summarizes the ports (range, parity, steps to the same destination,
// porttest spread and rating) and ranks every OS profile's models by how
// well they explain the ports in time order. Reports are sorted by host
// address, then protocol; the result is the same for the same attempts in
// any order of equal times.
//
// The candidates are the distinct (model, range) pairs among every profile
// and request kind that could have sent the attempts: connect() and bind()
// for TCP, UDP for UDP; NetBSD's algorithm variants included. Each model
// predicts a port from the ones before it: uniform draws (random, random-
// pick, Linux UDP, Linux bind() on one parity), one cursor moving +1, -1 or
// +1..N per connection (sequential, random increments), or per-destination
// offsets plus counters (RFC 6056 Algorithms 3 and 4, Linux's connect() of
// each era). Every model leaves offModel (1%) of the probability to ports
// it cannot explain, and stateful ones restart with restartBase (1%) or,
// for Linux 6.x, with the chance that the 10 s re-salt fell in the gap.
func Analyze(atts *capture.Attempts, opts AnalyzeOptions) []HostReport {
	minN := opts.MinAttempts
	if minN <= 0 {
		minN = DefaultMinAttempts
	}
	groups := groupAttempts(atts, opts.Host, opts.Proto)
	reports := make([]HostReport, 0, len(groups))
	st := &fitScratch{}
	s := &hostSeries{}
	f := &portFilter{}
	ss := &stackSample{}
	for _, g := range groups {
		reports = append(reports, analyzeHost(atts, g, minN, opts.Top, s, st, f, ss))
	}
	return reports
}

// hostGroup is the attempts of one source address and protocol: idx, in
// capture order, or when idx is nil the n attempts from lo on (a host
// whose attempts are all together, as a client's capture of its own
// are).
type hostGroup struct {
	src    uint32 // address index
	proto  capture.Proto
	idx    []int32
	lo, n  int
	sorted bool // in time order
	last   capture.Record
}

func (g *hostGroup) at(i int) int {
	if g.idx != nil {
		return int(g.idx[i])
	}
	return g.lo + i
}

// groupAttempts groups the attempts that pass the filters (host, when
// valid; proto, when not 0) by source address and protocol, ordered by
// address, then protocol. One pass over the records counts each group's
// attempts and sees whether they are together and in time order; a
// second places the attempts of groups that are not together, one index
// each.
func groupAttempts(atts *capture.Attempts, host netip.Addr, proto capture.Proto) []*hostGroup {
	hostID := -1
	if host.IsValid() {
		for id := range atts.Addrs() {
			if atts.Addr(uint32(id)) == host {
				hostID = id
			}
		}
		if hostID < 0 {
			return nil
		}
	}
	pass := func(r capture.Record) bool {
		return (hostID < 0 || r.Src == uint32(hostID)) && (proto == 0 || r.Proto() == proto)
	}
	// slot numbers a group by address and protocol: 0 is none yet.
	slot := make([]int32, 2*atts.Addrs())
	slotOf := func(r capture.Record) int {
		if r.Proto() == capture.UDP {
			return 2*int(r.Src) + 1
		}
		return 2 * int(r.Src)
	}
	var groups []*hostGroup
	for i, r := range atts.Records() {
		if !pass(r) {
			continue
		}
		sl := slotOf(r)
		if slot[sl] == 0 {
			groups = append(groups, &hostGroup{src: r.Src, proto: r.Proto(), lo: i, sorted: true, last: r})
			slot[sl] = int32(len(groups))
		}
		g := groups[slot[sl]-1]
		if r.CompareTime(g.last) < 0 {
			g.sorted = false
		}
		g.n++
		g.last = r
		if g.n == 1 || g.idx != nil || i == g.lo+g.n-1 {
			continue
		}
		g.idx = []int32{} // not together: placed in the second pass
	}
	var apart []*hostGroup
	for _, g := range groups {
		if g.idx != nil {
			g.idx = make([]int32, 0, g.n)
			apart = append(apart, g)
		}
	}
	if len(apart) > 0 {
		for i, r := range atts.Records() {
			if pass(r) {
				if g := groups[slot[slotOf(r)]-1]; g.idx != nil {
					g.idx = append(g.idx, int32(i))
				}
			}
		}
	}
	slices.SortFunc(groups, func(a, b *hostGroup) int {
		if c := atts.Addr(a.src).Compare(atts.Addr(b.src)); c != 0 {
			return c
		}
		return cmp.Compare(a.proto, b.proto)
	})
	return groups
}

// analyzeHost reports on the attempts of g; s holds their series, its
// memory reused from host to host.
func analyzeHost(atts *capture.Attempts, g *hostGroup, minN, top int, s *hostSeries, st *fitScratch, f *portFilter, ss *stackSample) HostReport {
	// Time order, capture order among equal times.
	if !g.sorted {
		if g.idx == nil {
			g.idx = make([]int32, g.n)
			for i := range g.idx {
				g.idx[i] = int32(g.lo + i)
			}
		}
		slices.SortStableFunc(g.idx, func(a, b int32) int { return atts.Record(int(a)).CompareTime(atts.Record(int(b))) })
	}
	first := atts.Record(g.at(0))
	r := HostReport{Host: atts.Addr(first.Src), Proto: first.Proto(), MinAttempts: minN, PortMin: math.MaxUint16}

	f.start(atts, g)
	ss.reset()
	v4 := r.Host.Unmap().Is4()
	s.reset(g.n)
	var streams streamIDs
	var sum, sumSq float64
	n := 0
	for i := range g.n {
		a := atts.Record(g.at(i))
		secs := a.Sub(first).Seconds()
		if f.decide(a, i, secs) != keep {
			continue
		}
		ss.add(atts, g.at(i), v4)
		if n == 0 {
			r.First = a.Time()
		}
		r.Last = a.Time()
		x := a.SrcPort
		s.ports[n], s.stream[n], s.secs[n] = x, streams.id(uint64(a.Dst)<<16|uint64(a.DstPort)), secs
		r.PortMin, r.PortMax = min(r.PortMin, x), max(r.PortMax, x)
		fx := float64(x)
		sum += fx
		sumSq += fx * fx
		n++
	}
	g.idx = nil // done with
	s.cut(n)
	s.streams = streams.n
	r.LeftOut = f.leftOut()
	r.Stack = ss.host(r.Proto)
	r.Summary = summarize(s.ports, s.stream, s.streams, 0)
	if n == 0 {
		r.PortMin = 0
	}
	if n >= 2 {
		mean := sum / float64(n)
		r.StdDev = math.Sqrt(max(sumSq/float64(n)-mean*mean, 0))
		r.Bits = SpreadBits(r.StdDev)
	}

	cands, err := candidateModels(r.Proto)
	if err != nil {
		// Every profile has a model (a test checks it); this is a bug.
		panic(err.Error())
	}
	r.Models = len(cands)
	r.NAT = natVerdict(&r, s, ss)
	if n < minN {
		// A spread of a handful of ports says little: porttest rates
		// about 26, and a rating beside "too few to tell" misleads.
		r.TooFew = true
		r.judge(nil)
		r.OS = osVerdict(&r, nil, r.Stack)
		return r
	}
	if n >= 2 {
		r.Rating = RateBits(r.Bits)
	}
	ranked := s
	if n > maxRanked {
		ranked = &hostSeries{ports: s.ports[:maxRanked], secs: s.secs[:maxRanked], stream: s.stream[:maxRanked], streams: s.streams}
		r.Ranked = maxRanked
	}
	fits := rankModels(ranked, cands, st)
	r.Check = checkFit(s, &fits[0], r.Host, st)
	r.judge(fits)
	r.OS = osVerdict(&r, fits, r.Stack)
	if top > 0 && len(fits) > top {
		fits = fits[:top]
	}
	r.Fits = fits
	return r
}

// streamIDs numbers destinations (address index << 16 | port) in the
// order met: an open-addressing table, cheaper than a map once per
// attempt.
type streamIDs struct {
	keys []uint64 // key+1; 0: empty
	ids  []int32
	n    int
}

func (t *streamIDs) id(key uint64) int32 {
	if 4*(t.n+1) > 3*len(t.keys) {
		old, oldIDs := t.keys, t.ids
		t.keys, t.ids = make([]uint64, max(2*len(old), 16)), make([]int32, max(2*len(old), 16))
		for i, k := range old {
			if k != 0 {
				j := t.slot(k)
				t.keys[j], t.ids[j] = k, oldIDs[i]
			}
		}
	}
	key++
	i := t.slot(key)
	if t.keys[i] == 0 {
		t.keys[i], t.ids[i] = key, int32(t.n)
		t.n++
	}
	return t.ids[i]
}

// slot is where key is, or the empty slot where it goes.
func (t *streamIDs) slot(key uint64) uint64 {
	mask := uint64(len(t.keys) - 1)
	i := (key * 0x9e3779b97f4a7c15) >> 32 & mask
	for t.keys[i] != 0 && t.keys[i] != key {
		i = (i + 1) & mask
	}
	return i
}

// cut shortens s to its first n attempts.
func (s *hostSeries) cut(n int) {
	s.ports, s.secs, s.stream = s.ports[:n], s.secs[:n], s.stream[:n]
}

// reset makes s n attempts long, reusing its memory.
func (s *hostSeries) reset(n int) {
	if cap(s.ports) < n {
		s.ports, s.secs, s.stream = make([]uint16, n), make([]float64, n), make([]int32, n)
	}
	s.ports, s.secs, s.stream = s.ports[:n], s.secs[:n], s.stream[:n]
}

// String is the report in a few lines of text, as 'portsim analyze' prints
// it.
func (r *HostReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "host %v %v: %s to %s", r.Host, r.Proto, format.Plural(r.Count, "attempt"), format.Plural(r.Dsts, "destination"))
	if !r.First.IsZero() {
		fmt.Fprintf(&b, " over %v", r.Last.Sub(r.First).Round(time.Millisecond))
	}
	b.WriteString("\n")
	if len(r.LeftOut) > 0 {
		parts := make([]string, len(r.LeftOut))
		total := 0
		for i, l := range r.LeftOut {
			parts[i] = l.String()
			total += l.Attempts
		}
		fmt.Fprintf(&b, "  left out %s: %s\n", format.Plural(total, "attempt"), strings.Join(parts, "; "))
	}
	if r.Count == 0 {
		fmt.Fprintf(&b, "  %s\n", r.Verdict())
		fmt.Fprintf(&b, "  os: %s\n", r.OS)
		fmt.Fprintf(&b, "  nat: %s\n", r.NAT)
		return b.String()
	}
	fmt.Fprintf(&b, "  ports    %d-%d seen, %.1f%% even\n", r.PortMin, r.PortMax, 100*r.Even)
	if r.Steps > 0 {
		fmt.Fprintf(&b, "  deltas   %d to the same destination: %.1f%% +2..+16 even, %.1f%% +1, median |delta| %g\n",
			r.Steps, 100*r.SmallEven, 100*r.PlusOne, r.MedianAbs)
	} else {
		b.WriteString("  deltas   none: no destination was seen twice\n")
	}
	switch {
	case r.Rating != "":
		fmt.Fprintf(&b, "  spread   %.1f bits (std dev %.0f): %s\n", r.Bits, r.StdDev, r.Rating)
	case r.Count >= 2:
		fmt.Fprintf(&b, "  spread   %.1f bits (std dev %.0f): not rated, too few attempts\n", r.Bits, r.StdDev)
	default:
		b.WriteString("  spread   n/a: one attempt\n")
	}
	fmt.Fprintf(&b, "  %s\n", r.Verdict())
	fmt.Fprintf(&b, "  os: %s\n", r.OS)
	fmt.Fprintf(&b, "  nat: %s\n", r.NAT)
	if r.Ranked > 0 {
		fmt.Fprintf(&b, "  models ranked on the first %d of the %d attempts\n", r.Ranked, r.Count)
	}
	// The name column fits the longest name, 32 at least.
	w := 32
	for i := range r.Fits {
		w = max(w, len(r.Fits[i].Name))
	}
	for i := range r.Fits {
		f := &r.Fits[i]
		fmt.Fprintf(&b, "  %2d. %-*s %6s  %5.1f bits/attempt  %s\n", i+1, w, f.Name, FormatPosterior(f.Posterior), f.BitsPerAttempt, f.Model)
		if eq := f.Equivalents(); eq != "" {
			fmt.Fprintf(&b, "      %-*s same model: %s\n", w, "", eq)
		}
	}
	return b.String()
}
