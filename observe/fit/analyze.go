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

	"github.com/portsim/portsim/observe/capture"
)

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
	// SpreadBits and Rating the porttest rating; Rating is empty with
	// fewer than 2 attempts.
	StdDev float64
	Bits   float64
	Rating Rating
	// TooFew: fewer than the minimum attempts; Fits is empty.
	TooFew      bool
	MinAttempts int
	// Models is how many distinct candidate models were compared.
	Models int
	// Fits are the candidate models, best first (at most Top of them).
	Fits []Fit
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

// Decided reports whether the best fit reaches DecisivePosterior.
func (r *HostReport) Decided() bool {
	return len(r.Fits) > 0 && r.Fits[0].Posterior >= DecisivePosterior
}

// Verdict is one line: "best: linux (connect), 0.97; runner-up:
// linux-5.12 (connect) 0.03", with the best's equivalents in brackets;
// "undecided: A 0.50, B 0.49" when no fit reaches DecisivePosterior; or why
// there is no verdict.
func (r *HostReport) Verdict() string {
	if r.TooFew {
		return fmt.Sprintf("too few attempts to tell (%d; want at least %d)", r.Count, r.MinAttempts)
	}
	if len(r.Fits) == 0 {
		return "no candidate models"
	}
	b := &r.Fits[0]
	if !r.Decided() {
		// The fits that share most of the probability, at most 5.
		var parts []string
		cum := 0.0
		for i := range r.Fits {
			f := &r.Fits[i]
			if i == 5 || (i > 0 && (cum >= DecisivePosterior || f.Posterior < 0.01)) {
				break
			}
			parts = append(parts, f.Name+" "+FormatPosterior(f.Posterior))
			cum += f.Posterior
		}
		return "undecided: " + strings.Join(parts, ", ")
	}
	s := fmt.Sprintf("best: %s, %s", b.Name, FormatPosterior(b.Posterior))
	if eq := b.Equivalents(); eq != "" {
		s += " [same model: " + eq + "]"
	}
	if len(r.Fits) > 1 {
		s += fmt.Sprintf("; runner-up: %s %s", r.Fits[1].Name, FormatPosterior(r.Fits[1].Posterior))
	}
	return s
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
	Host         string     `json:"host"`
	Proto        string     `json:"proto"`
	Attempts     int        `json:"attempts"`
	Destinations int        `json:"destinations"`
	First        *time.Time `json:"first,omitempty"`
	Last         *time.Time `json:"last,omitempty"`
	PortMin      uint16     `json:"port_min"`
	PortMax      uint16     `json:"port_max"`
	EvenShare    float64    `json:"even_share"`
	Deltas       deltasJSON `json:"deltas"`
	StdDev       float64    `json:"std_dev"`
	Bits         float64    `json:"bits"`
	Rating       Rating     `json:"rating"`
	TooFew       bool       `json:"too_few"`
	MinAttempts  int        `json:"min_attempts"`
	Models       int        `json:"models"`
	Decided      bool       `json:"decided"`
	Verdict      string     `json:"verdict"`
	Fits         []Fit      `json:"fits"`
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
		StdDev: r.StdDev, Bits: r.Bits, Rating: r.Rating, TooFew: r.TooFew, MinAttempts: r.MinAttempts,
		Models: r.Models, Decided: r.Decided(), Verdict: r.Verdict(), Fits: r.Fits,
	}
	if !r.First.IsZero() {
		j.First, j.Last = &r.First, &r.Last
	}
	if j.Fits == nil {
		j.Fits = []Fit{}
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
	reports := make([]HostReport, 0, len(groups.keys))
	st := &fitScratch{}
	s := &hostSeries{}
	for _, g := range groups.order {
		reports = append(reports, analyzeHost(atts, groups.members(g), minN, opts.Top, s, st))
	}
	return reports
}

// hostGroups are the attempts of each source address and protocol: group
// g's are idx[start[g]:start[g+1]], in capture order.
type hostGroups struct {
	keys  []groupKey
	start []int
	idx   []int32
	order []int // the groups by address, then protocol
}

type groupKey struct {
	src   uint32 // address index
	proto capture.Proto
}

func (h *hostGroups) members(g int) []int32 { return h.idx[h.start[g]:h.start[g+1]] }

// groupAttempts groups the attempts that pass the filters (host, when
// valid; proto, when not 0) by source address and protocol, in two passes
// over the records: count, then place. Memory is one index per attempt.
func groupAttempts(atts *capture.Attempts, host netip.Addr, proto capture.Proto) *hostGroups {
	hostID := -1
	if host.IsValid() {
		for id := range atts.Addrs() {
			if atts.Addr(uint32(id)) == host {
				hostID = id
			}
		}
		if hostID < 0 {
			return &hostGroups{}
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
	h := &hostGroups{}
	var counts []int
	for _, r := range atts.Records() {
		if !pass(r) {
			continue
		}
		sl := slotOf(r)
		if slot[sl] == 0 {
			h.keys = append(h.keys, groupKey{r.Src, r.Proto()})
			counts = append(counts, 0)
			slot[sl] = int32(len(h.keys))
		}
		counts[slot[sl]-1]++
	}
	h.start = make([]int, len(counts)+1)
	for g, c := range counts {
		h.start[g+1] = h.start[g] + c
	}
	h.idx = make([]int32, h.start[len(counts)])
	next := slices.Clone(h.start[:len(counts)])
	for i, r := range atts.Records() {
		if !pass(r) {
			continue
		}
		g := slot[slotOf(r)] - 1
		h.idx[next[g]] = int32(i)
		next[g]++
	}
	h.order = make([]int, len(h.keys))
	for i := range h.order {
		h.order[i] = i
	}
	slices.SortFunc(h.order, func(a, b int) int {
		if c := atts.Addr(h.keys[a].src).Compare(atts.Addr(h.keys[b].src)); c != 0 {
			return c
		}
		return cmp.Compare(h.keys[a].proto, h.keys[b].proto)
	})
	return h
}

// analyzeHost reports on the attempts at idx, all from one host and
// protocol; s holds their series, its memory reused from host to host.
func analyzeHost(atts *capture.Attempts, idx []int32, minN, top int, s *hostSeries, st *fitScratch) HostReport {
	// Time order, capture order among equal times. Captures are mostly in
	// time order already; sorting millions of indices is not free.
	if !slices.IsSortedFunc(idx, func(a, b int32) int { return atts.Record(int(a)).CompareTime(atts.Record(int(b))) }) {
		slices.SortStableFunc(idx, func(a, b int32) int { return atts.Record(int(a)).CompareTime(atts.Record(int(b))) })
	}
	first := atts.Record(int(idx[0]))
	r := HostReport{Host: atts.Addr(first.Src), Proto: first.Proto(), MinAttempts: minN,
		First: first.Time(), Last: atts.Record(int(idx[len(idx)-1])).Time(), PortMin: math.MaxUint16}

	s.reset(len(idx))
	streams := map[uint64]int32{} // destination address index << 16 | port
	var sum, sumSq float64
	for i, ai := range idx {
		a := atts.Record(int(ai))
		dst := uint64(a.Dst)<<16 | uint64(a.DstPort)
		k, ok := streams[dst]
		if !ok {
			k = int32(len(streams))
			streams[dst] = k
		}
		x := a.SrcPort
		s.ports[i], s.stream[i] = x, k
		s.secs[i] = a.Sub(first).Seconds()
		r.PortMin, r.PortMax = min(r.PortMin, x), max(r.PortMax, x)
		f := float64(x)
		sum += f
		sumSq += f * f
	}
	s.streams = len(streams)
	n := float64(len(idx))
	r.Summary = summarize(s.ports, s.stream, s.streams, 0)
	if len(idx) >= 2 {
		mean := sum / n
		r.StdDev = math.Sqrt(max(sumSq/n-mean*mean, 0))
		r.Bits = SpreadBits(r.StdDev)
		r.Rating = RateBits(r.Bits)
	}

	cands, err := candidateModels(r.Proto)
	if err != nil {
		// Every profile has a model (a test checks it); this is a bug.
		panic(err.Error())
	}
	r.Models = len(cands)
	if len(idx) < minN {
		r.TooFew = true
		return r
	}
	r.Fits = rankModels(s, cands, st)
	if top > 0 && len(r.Fits) > top {
		r.Fits = r.Fits[:top]
	}
	return r
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
	fmt.Fprintf(&b, "host %v %v: %d attempts to %d destinations", r.Host, r.Proto, r.Count, r.Dsts)
	if !r.First.IsZero() {
		fmt.Fprintf(&b, " over %v", r.Last.Sub(r.First).Round(time.Millisecond))
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "  ports    %d-%d seen, %.1f%% even\n", r.PortMin, r.PortMax, 100*r.Even)
	if r.Steps > 0 {
		fmt.Fprintf(&b, "  deltas   %d to the same destination: %.1f%% +2..+16 even, %.1f%% +1, median |delta| %g\n",
			r.Steps, 100*r.SmallEven, 100*r.PlusOne, r.MedianAbs)
	} else {
		b.WriteString("  deltas   none: no destination was seen twice\n")
	}
	if r.Rating != "" {
		fmt.Fprintf(&b, "  spread   %.1f bits (std dev %.0f): %s\n", r.Bits, r.StdDev, r.Rating)
	} else {
		b.WriteString("  spread   n/a: one attempt\n")
	}
	fmt.Fprintf(&b, "  %s\n", r.Verdict())
	for i := range r.Fits {
		f := &r.Fits[i]
		fmt.Fprintf(&b, "  %2d. %-32s %6s  %5.1f bits/attempt  %s\n", i+1, f.Name, FormatPosterior(f.Posterior), f.BitsPerAttempt, f.Model)
		if eq := f.Equivalents(); eq != "" {
			fmt.Fprintf(&b, "      %-32s same model: %s\n", "", eq)
		}
	}
	return b.String()
}
