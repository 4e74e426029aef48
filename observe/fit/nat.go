package fit

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/internal/format"
	"github.com/portsim/portsim/observe/capture"
	"github.com/portsim/portsim/strategies"
	"gonum.org/v1/gonum/stat/distuv"
)

// Whether a source address is a translator's (a NAT, a cloud NAT gateway,
// a load balancer's outbound SNAT) with hosts behind it, told from what a
// capture outside it shows. Each signal is checked against a control from
// the same attempts, so that it says nothing on a host of its own:
//
//   - walks: a port a small step above a recent port (to the same
//     destination, or to any) continues a walk, as Linux's connect(),
//     RFC 6056's counters and sequential cursors make; the same step
//     below is the control, as likely as a step above when ports are
//     drawn at random. Walks that interleave — most ports continue a walk
//     but not the one their predecessor was on — are several hosts whose
//     ports a port-preserving translator kept;
//   - stacks: TCP SYNs of one address in two option layouts, each common,
//     are two systems (two initial TTLs alone are a hint: tools set
//     their own; UDP's TTLs are the applications', and are not read);
//   - ip-id: several interleaved IPv4 identification counters are several
//     hosts that count their packets (Windows, older systems);
//   - blocks: within a few dozen attempts, ports fall in far fewer aligned
//     blocks than random ports over the same span would, and not in
//     walks: a translator that gives each host blocks of ports (CGN port
//     block allocation);
//   - range: ports uniform over exactly a translator's range (1024-65535,
//     or 1024-65023 for Azure Load Balancer), which no OS profile uses:
//     a translator that draws at random (netfilter random-fully, whose
//     16-bit offset modulo 64512 makes 1024-2047 twice as likely; AWS and
//     Azure NAT gateways), though for UDP only a hint, since DNS resolvers
//     draw their query ports from it too; or ports filling the lowest
//     ports of that range without holes: a translator that hands out its
//     lowest blocks first (Cloud NAT, Azure Load Balancer's per-VM ports).
//
// A verdict needs one signal that no single host explains; a hint that
// some host could leaves it undecided; nothing at all is "no evidence" —
// never "no NAT", since a port-preserving NAT in front of hosts that pick
// ports at random leaves no trace in the ports.

// NAT verdicts.
const (
	NATFound      = "nat"
	NATUndecided  = "undecided"
	NATNoEvidence = "no-evidence"
)

// Translation policies as seen from outside.
const (
	NATPreserving = "port-preserving"
	NATRandom     = "random"
	NATBlocks     = "blocks"
)

// Thresholds of the signals.
const (
	// natMinAttempts is the fewest attempts the port signals are read
	// from; natMaxAttempts the most (a host's first ones).
	natMinAttempts = 100
	natMaxAttempts = 20000
	// walkTails is how many walks per stream are followed at once, the
	// least recently extended dropped first.
	walkTails = 64
	// walkWindow is how many attempts of one stream the walks in use at
	// once are counted over.
	walkWindow = 32
	// walkShare is the excess of steps up over steps down (or the
	// reverse) that makes walks; walkSecond the share of attempts that
	// must continue a walk other than their predecessor's.
	walkShare  = 0.4
	walkSecond = 0.3
	// walkAgainst is the most, as a share of the steps one way, of steps
	// the other way that walks make.
	walkAgainst = 0.1
	// blockWindow is how many successive attempts the blocks in use are
	// counted over; blockRatio the most of the blocks random ports would
	// hit that they may hit.
	blockWindow = 64
	blockRatio  = 0.5
	// stackShare is the least share of attempts a second SYN shape needs
	// to count as a second system.
	stackShare = 0.1
	// uniformAlpha is the chi-square p-value below which ports are not
	// uniform over a range.
	uniformAlpha = 1e-3
	// endGaps is how many mean gaps between ports an end of a range may
	// lie from the lowest or highest port seen.
	endGaps = 6
)

// translatorLo is where translators' ranges start (each of
// strategies.TranslatorRanges starts at the same port); translatorHis
// where they end.
var translatorLo, translatorHis = func() (int, []int) {
	rs := strategies.TranslatorRanges()
	his := make([]int, len(rs))
	for i, r := range rs {
		if r.Lo != rs[0].Lo {
			panic("fit: translator ranges start at different ports")
		}
		his[i] = int(r.Hi)
	}
	return int(rs[0].Lo), his
}()

// NATVerdict says whether a source address's attempts came through an
// address translator, and which kind.
type NATVerdict struct {
	// Verdict is NATFound, NATUndecided or NATNoEvidence.
	Verdict string `json:"verdict"`
	// Decided: NATFound, from a signal no single host explains.
	Decided bool `json:"decided"`
	// Policy is how the translator picks public ports, when the ports
	// show it: NATPreserving, NATRandom or NATBlocks.
	Policy string `json:"policy,omitempty"`
	// Hosts is how many hosts at least are behind the address, when a
	// signal counts them; Block the ports per block of NATBlocks, when
	// seen.
	Hosts int `json:"hosts,omitempty"`
	Block int `json:"block,omitempty"`
	// Why says in a sentence what decided the verdict.
	Why string `json:"why"`
	// Evidence is each signal that was read, what it found and its
	// numbers.
	Evidence []NATEvidence `json:"evidence"`
}

// NATEvidence is one signal.
type NATEvidence struct {
	// Signal is walks, stacks, ip-id, blocks or range.
	Signal string `json:"signal"`
	// Says is what it shows: "several hosts", "translator", "one host",
	// "hint" or "nothing".
	Says   string `json:"says"`
	Detail string `json:"detail"`
}

// What a signal says.
const (
	saysSeveral = "several hosts"
	saysNAT     = "translator"
	saysOne     = "one host"
	saysHint    = "hint"
	saysNothing = "nothing"
)

// String is the verdict in one line.
func (v *NATVerdict) String() string {
	switch v.Verdict {
	case NATFound:
		s := "behind a translator"
		if v.Policy != "" {
			s += ", " + v.Policy
			if v.Block > 0 {
				s += fmt.Sprintf(" (%d-port blocks)", v.Block)
			}
		}
		if v.Hosts > 1 {
			s += fmt.Sprintf(", %d hosts or more", v.Hosts)
		}
		return s + " — " + v.Why
	case NATUndecided:
		return "undecided — " + v.Why
	}
	return "no evidence of a translator — " + v.Why
}

// natVerdict reads the signals from the kept attempts of r's host (s, in
// time order) and its packets' shapes (ss).
func natVerdict(r *HostReport, s *hostSeries, ss *stackSample) *NATVerdict {
	v := &NATVerdict{Evidence: []NATEvidence{}}
	var found, hints []natFinding
	add := func(f natFinding) {
		v.Evidence = append(v.Evidence, f.ev)
		switch f.ev.Says {
		case saysSeveral, saysNAT:
			found = append(found, f)
		case saysHint:
			hints = append(hints, f)
		}
	}

	// The packets first: they need no minimum of ports.
	if ev, hosts := stackSignal(ss, r.Proto); ev.Signal != "" {
		add(natFinding{ev: ev, hosts: hosts, why: "its SYNs show " + ev.Detail})
	}
	if ev, hosts := ipidSignal(ss.ids); ev.Signal != "" {
		add(natFinding{ev: ev, hosts: hosts, why: ev.Detail})
	}

	n := min(len(s.ports), natMaxAttempts)
	if n < natMinAttempts {
		v.Evidence = append(v.Evidence, NATEvidence{Signal: "walks", Says: saysNothing,
			Detail: fmt.Sprintf("%d attempts; the ports are read from %d on", n, natMinAttempts)})
	} else {
		ports, stream := s.ports[:n], s.stream[:n]
		dst := walkStatsOf(ports, stream, s.streams, near)
		all := walkStatsOf(ports, nil, 1, near)
		f, walking := walkSignal(dst, all)
		add(f)
		// Walks are a host's own choices, kept: neither blocks nor a
		// translator's range.
		if !walking {
			if f, ok := blockSignal(ports); ok {
				add(f)
			}
			if f, ok := rangeSignal(r, ports); ok {
				add(f)
			}
		}
	}

	switch {
	case len(found) > 0:
		v.Verdict, v.Decided = NATFound, true
		var whys []string
		for _, f := range found {
			if v.Policy == "" && f.policy != "" {
				v.Policy, v.Block = f.policy, f.block
			}
			v.Hosts = max(v.Hosts, f.hosts)
			whys = append(whys, f.why)
		}
		v.Why = strings.Join(whys, "; ")
	case len(hints) > 0:
		v.Verdict = NATUndecided
		var whys []string
		for _, f := range hints {
			whys = append(whys, f.why)
		}
		v.Why = strings.Join(whys, "; ")
	default:
		v.Verdict = NATNoEvidence
		v.Why = "nothing in the ports needs more than one host or a translator"
		if n < natMinAttempts {
			v.Why = fmt.Sprintf("too few attempts to read the ports (%d; want %d)", n, natMinAttempts)
		}
		if len(v.Evidence) > 0 && v.Evidence[0].Signal == "stacks" {
			v.Why += ", and its SYNs show one system"
		}
		v.Why += "; a port-preserving translator in front of hosts that pick their ports at random would look the same"
	}
	return v
}

// walkStats counts how a series of values continues walks: runs of small
// steps in one direction, several of which may interleave.
type walkStats struct {
	// n is how many values had an earlier value of their stream.
	n int
	// up and down: values that continued a walk a step of 1 to step up
	// (down) from its last value; prevUp, prevDown: values a step up
	// (down) from their stream's previous value.
	up, down         int
	prevUp, prevDown int
	// walks is the median number of distinct walks continued in the
	// windows of walkWindow values of one stream (the dominant
	// direction's), 0 with no full window.
	walks int
}

// excess is the share of values that continued a walk beyond what chance
// gives, in the dominant direction, and the same for the previous value
// alone.
func (w *walkStats) excess() (walk, prev float64) {
	if w.n == 0 {
		return 0, 0
	}
	d, p := w.up-w.down, w.prevUp-w.prevDown
	if d < 0 {
		d, p = -d, -p
	}
	return float64(d) / float64(w.n), float64(p) / float64(w.n)
}

// pure reports whether the values that continued a walk went one way: at
// most walkAgainst of them the other. Walks go one way; ports scanned up
// from a random start in a crowded block go up more often than down, but
// go down too.
func (w *walkStats) pure() bool {
	return float64(min(w.up, w.down)) <= walkAgainst*float64(max(w.up, w.down))
}

// walkEnd is the last value of a walk followed.
type walkEnd struct {
	v    uint16
	id   int32
	used int32
}

// walkStatsOf follows the walks in vals, each stream on its own (stream
// nil: one stream), joining each value to the walk whose last value is
// the fewest steps (1 to step) away from it, below or above, else
// starting a walk.
func walkStatsOf(vals []uint16, stream []int32, streams, step int) walkStats {
	var w walkStats
	tails := make([][]walkEnd, streams)
	prev := make([]int32, streams)
	for i := range prev {
		prev[i] = -1
	}
	// Each stream's current window: its values so far, and the walks
	// they continued up and down.
	type window struct {
		n      int
		up, dn []int32
	}
	wins := make([]window, streams)
	var nextID int32
	var upCounts, dnCounts []int
	for i, x := range vals {
		k := 0
		if stream != nil {
			k = int(stream[i])
		}
		if p := prev[k]; p >= 0 {
			w.n++
			switch d := int(x) - int(p); {
			case d >= 1 && d <= step:
				w.prevUp++
			case d <= -1 && d >= -step:
				w.prevDown++
			}
		}
		prev[k] = int32(x)
		ts := tails[k]
		bestUp, bestDn := -1, -1
		for j := range ts {
			d := int(x) - int(ts[j].v)
			if d >= 1 && d <= step && (bestUp < 0 || d < int(x)-int(ts[bestUp].v)) {
				bestUp = j
			}
			if d <= -1 && d >= -step && (bestDn < 0 || -d < int(ts[bestDn].v)-int(x)) {
				bestDn = j
			}
		}
		// The nearer of the two continues, so that ports drawn at random
		// among many walks' ends continue as many walks down as up.
		if bestUp >= 0 && bestDn >= 0 {
			if du, dd := int(x)-int(ts[bestUp].v), int(ts[bestDn].v)-int(x); dd < du || dd == du && i%2 == 1 {
				bestUp = -1
			}
		}
		win := &wins[k]
		switch {
		case bestUp >= 0:
			w.up++
			ts[bestUp].v, ts[bestUp].used = x, int32(i)
			win.up = append(win.up, ts[bestUp].id)
		case bestDn >= 0:
			w.down++
			ts[bestDn].v, ts[bestDn].used = x, int32(i)
			win.dn = append(win.dn, ts[bestDn].id)
		default:
			t := walkEnd{v: x, id: nextID, used: int32(i)}
			nextID++
			if len(ts) < walkTails {
				tails[k] = append(ts, t)
			} else {
				lru := 0
				for j := range ts {
					if ts[j].used < ts[lru].used {
						lru = j
					}
				}
				ts[lru] = t
			}
		}
		if win.n++; win.n == walkWindow {
			upCounts = append(upCounts, distinct(win.up))
			dnCounts = append(dnCounts, distinct(win.dn))
			win.n, win.up, win.dn = 0, win.up[:0], win.dn[:0]
		}
	}
	counts := upCounts
	if w.down > w.up {
		counts = dnCounts
	}
	if len(counts) > 0 {
		slices.Sort(counts)
		w.walks = counts[len(counts)/2]
	}
	return w
}

// distinct counts the distinct values of ids, reordering them.
func distinct(ids []int32) int {
	slices.Sort(ids)
	return len(slices.Compact(ids))
}

// walkSignal judges the walks followed per destination (dst) and over all
// destinations (all): several hosts when most ports continue a walk and
// a second walk is needed — neither mode's predecessor explains them. It
// also reports whether the ports walk at all, by one host or several.
func walkSignal(dst, all walkStats) (natFinding, bool) {
	dw, dp := dst.excess()
	aw, ap := all.excess()
	if !dst.pure() {
		dw = 0
	}
	if !all.pure() {
		aw = 0
	}
	best, mode, hosts := dw, "to each destination", dst.walks
	if aw > dw {
		best, mode, hosts = aw, "over all destinations", all.walks
	}
	prev := max(dp, ap)
	ways := func(w *walkStats) string {
		if w.pure() {
			return ""
		}
		return " (both ways: not walks)"
	}
	detail := fmt.Sprintf("steps of 1 to %d from a recent port to the same destination: %d up, %d down%s; to any: %d up, %d down%s; from the port before: %s",
		near, dst.up, dst.down, ways(&dst), all.up, all.down, ways(&all), format.Percent(prev, 1))
	if best >= walkShare {
		detail += fmt.Sprintf("; %s of ports continue a walk %s beyond the steps the other way, about %d walks at once", format.Percent(best, 1), mode, hosts)
	}
	f := natFinding{ev: NATEvidence{Signal: "walks", Detail: detail}, policy: NATPreserving}
	walks := true
	switch {
	case best < walkShare:
		walks = false
		f.ev.Says = saysNothing
	case best-prev >= walkSecond && hosts >= 2:
		f.hosts = hosts
		f.ev.Says = saysSeveral
		kind := "counters per destination, as Linux's connect() keeps"
		if mode != "to each destination" {
			kind = "a cursor per host, as sequential allocators move"
		}
		f.why = fmt.Sprintf("%s of its ports continue one of about %d interleaved walks %s, and the port before explains only %s: hosts' own port choices (%s), kept by a port-preserving translator", format.Percent(best, 0), hosts, mode, format.Percent(prev, 0), kind)
	case best-prev >= walkSecond/2:
		f.ev.Says = saysHint
		f.why = fmt.Sprintf("%s of its ports continue walks %s that the port before explains only in part (%s)", format.Percent(best, 0), mode, format.Percent(prev, 0))
	default:
		f.ev.Says = saysOne
	}
	return f, walks
}

// stackSignal reads the SYN shapes: two systems when a second option
// layout holds at least stackShare of them. A TTL of its own is only a
// hint: tools set it (a TCP traceroute). UDP has no SYN, and its TTLs are
// the applications' (mDNS sends 255, SSDP 1), so it is not read.
func stackSignal(ss *stackSample, proto capture.Proto) (NATEvidence, int) {
	if ss.n < 20 || proto != capture.TCP {
		return NATEvidence{}, 0
	}
	layouts := map[string]int{}
	ttls := map[uint8]int{}
	for st, c := range ss.shapes {
		layouts[st.Options] += c
		ttls[initialTTL(st.TTL)] += c
	}
	common := func(m int) bool { return float64(m) >= stackShare*float64(ss.n) && m >= 5 }
	var parts []string
	for l, c := range layouts {
		if common(c) {
			parts = append(parts, fmt.Sprintf("%s (%d)", cmp.Or(l, "no options"), c))
		}
	}
	slices.Sort(parts)
	if len(parts) >= 2 {
		return NATEvidence{Signal: "stacks", Says: saysSeveral, Detail: fmt.Sprintf("%d option layouts: %s", len(parts), strings.Join(parts, ", "))}, len(parts)
	}
	parts = parts[:0]
	for ttl, c := range ttls {
		if common(c) {
			parts = append(parts, fmt.Sprintf("%d (%d)", ttl, c))
		}
	}
	slices.Sort(parts)
	if len(parts) >= 2 {
		return NATEvidence{Signal: "stacks", Says: saysHint, Detail: fmt.Sprintf("one option layout, but initial TTLs %s: two systems, or a tool that sets its own", strings.Join(parts, ", "))}, 0
	}
	return NATEvidence{Signal: "stacks", Says: saysNothing, Detail: fmt.Sprintf("one shape in %d SYNs", ss.n)}, 0
}

// ipidSignal reads the IPv4 identifications: interleaved counters are
// hosts that count their packets, each its own counter.
func ipidSignal(ids []uint16) (NATEvidence, int) {
	if len(ids) < 40 {
		return NATEvidence{}, 0
	}
	w := walkStatsOf(ids, nil, 1, 256)
	walk, prev := w.excess()
	ev := NATEvidence{Signal: "ip-id", Says: saysNothing,
		Detail: fmt.Sprintf("%s of %d IDs continue a counter (steps 1 to 256), the ID before explains %s", format.Percent(walk, 1), len(ids), format.Percent(prev, 1))}
	switch {
	case !w.pure():
	case walk >= walkShare && walk-prev >= walkSecond && w.walks >= 2:
		ev.Says = saysSeveral
		ev.Detail = fmt.Sprintf("about %d interleaved IP ID counters (%s of %d IDs continue one; the ID before explains %s)", w.walks, format.Percent(walk, 0), len(ids), format.Percent(prev, 0))
		return ev, w.walks
	case walk >= walkShare:
		ev.Says = saysOne
	}
	return ev, 0
}

// natFinding is what one signal found, and what it says of the verdict:
// the policy, the block size and the hosts it shows, and why in a phrase.
type natFinding struct {
	ev     NATEvidence
	policy string
	block  int
	hosts  int
	why    string
}

// blockSignal looks for ports that cluster in aligned blocks (from
// translatorLo) over short stretches of time: the smallest block size at
// which windows of blockWindow attempts hit at most blockRatio of the
// blocks random ports over the same span would, and twice the size hits
// about as many (the blocks are apart, not a walk's neighbours).
func blockSignal(ports []uint16) (natFinding, bool) {
	lo, hi := math.MaxInt, 0
	for _, p := range ports {
		if int(p) >= translatorLo {
			lo, hi = min(lo, int(p)), max(hi, int(p))
		}
	}
	if hi == 0 || len(ports) < 2*blockWindow {
		return natFinding{}, false
	}
	span := hi - lo + 1
	hits := func(size int) (seen, random float64) {
		wins := 0
		blocks := make([]int, 0, blockWindow)
		for at := 0; at+blockWindow <= len(ports); at += blockWindow {
			blocks = blocks[:0]
			for _, p := range ports[at : at+blockWindow] {
				if int(p) >= translatorLo {
					blocks = append(blocks, (int(p)-translatorLo)/size)
				}
			}
			slices.Sort(blocks)
			seen += float64(len(slices.Compact(blocks)))
			wins++
		}
		seen /= float64(wins)
		nb := max(float64(span)/float64(size), 1)
		random = nb * (1 - math.Pow(1-1/nb, blockWindow))
		return seen, random
	}
	const minSize, maxSize = 16, 4096
	for size := minSize; size <= maxSize; size *= 2 {
		seen, random := hits(size)
		if seen > blockRatio*random {
			continue
		}
		next, _ := hits(2 * size)
		if next < 0.85*seen {
			continue // still merging: the blocks are bigger
		}
		// Ports that move by steps within a block in one direction are a
		// cursor, not blocks.
		cursor := walkStatsOf(ports, nil, 1, size)
		if w, _ := cursor.excess(); w >= walkShare/2 && cursor.pure() {
			return natFinding{}, false
		}
		f := natFinding{policy: NATBlocks, block: size}
		f.ev = NATEvidence{Signal: "blocks", Says: saysNAT,
			Detail: fmt.Sprintf("%d successive attempts hit %.1f blocks of %d ports on average where random ports over %d-%d would hit %.1f; blocks of %d hit %.1f",
				blockWindow, seen, size, lo, hi, random, 2*size, next)}
		f.why = fmt.Sprintf("its ports fall in about %.0f blocks of %d at a time, where random ports would fall in %.0f: a translator that gives each host blocks of ports", seen, size, random)
		return f, true
	}
	return natFinding{}, false
}

// rangeSignal looks for ports spread over a translator's range: all of
// it, at random (a random translator), or its lowest ports, without holes
// (a block translator that hands out its lowest blocks first). Neither is
// an OS profile's range; a host would need its range set to it.
func rangeSignal(r *HostReport, ports []uint16) (natFinding, bool) {
	n := len(ports)
	lo, hi := int(r.PortMin), int(r.PortMax)
	if lo < translatorLo || lo > hi {
		return natFinding{}, false
	}
	// The mean gap between ports over the span seen.
	gap := float64(hi-lo+1) / float64(n)
	if float64(lo-translatorLo) > endGaps*gap {
		return natFinding{}, false
	}
	for _, top := range translatorHis {
		if hi > top || float64(top-hi) > endGaps*gap*float64(top-translatorLo+1)/float64(hi-lo+1) {
			continue
		}
		rng := allocator.Range{Lo: uint16(translatorLo), Hi: uint16(top)}
		if profileRange(rng, endGaps*gap) {
			return natFinding{}, false
		}
		// Linux draws its offset as 16 random bits modulo the range's
		// size, so on 1024-65535 the first 65536 - 64512 = 1024 ports
		// come twice as often: netfilter's mark.
		doubled := max(0, 1<<16-rng.Size())
		plain, linux := uniformP(ports, rng, 0), uniformP(ports, rng, doubled)
		if max(plain, linux) < uniformAlpha {
			return natFinding{}, false
		}
		k := 0
		for _, p := range ports {
			if int(p) < translatorLo+doubled {
				k++
			}
		}
		// The log-likelihood ratio of the doubled ports' count, Linux's
		// offset against a uniform one.
		llr := float64(k)*math.Log(2*float64(rng.Size())/float64(1<<16)) + float64(n-k)*math.Log(float64(rng.Size())/float64(1<<16))
		who := "netfilter random-fully, AWS and Azure NAT gateways"
		mark := ""
		switch {
		case doubled > 0 && llr > math.Log(100) && linux >= uniformAlpha:
			who = "netfilter random or random-fully"
			mark = fmt.Sprintf(", the first %d twice as likely (%d of them: Linux's 16-bit offset modulo %d)", doubled, k, rng.Size())
		case doubled > 0 && llr < -math.Log(100) && plain >= uniformAlpha:
			who = "AWS or Azure NAT gateway; not Linux's, whose first 1024 would be twice as likely"
		}
		f := natFinding{policy: NATRandom}
		f.ev = NATEvidence{Signal: "range", Says: saysNAT,
			Detail: fmt.Sprintf("%d ports over %v%s, from %d to %d; chi-square p uniform %.2g, with Linux's offset %.2g",
				n, rng, mark, lo, hi, plain, linux)}
		f.why = fmt.Sprintf("its ports are spread at random over %v%s, a translator's range and no OS profile's (%s)", rng, mark, who)
		if r.Proto == capture.UDP && mark == "" {
			// Resolvers pick their own query ports from all of it.
			f.ev.Says = saysHint
			f.why = fmt.Sprintf("its ports are spread at random over %v, a translator's range, but also where DNS resolvers (BIND, Unbound) draw their own query ports", rng)
		}
		return f, true
	}
	// The lowest ports only, with no holes: each 32-port block from
	// translatorLo to the highest port seen in use. Beyond half the range
	// the end must be sharp, and whole blocks: a pool of VMs' shares (200
	// VMs of 256 ports end at 52223), not a host's range set by hand.
	rng := allocator.Range{Lo: uint16(translatorLo), Hi: uint16(hi)}
	const hole = 32
	nb := (rng.Size() + hole - 1) / hole
	if rng.Size() < 2*hole || n < 2*nb || profileRange(rng, endGaps*gap) {
		return natFinding{}, false
	}
	if off := rng.Size() % hole; rng.Size() > (65535-translatorLo+1)/2 && (endGaps*gap >= hole/2 || float64(min(off, hole-off)) > endGaps*gap) {
		return natFinding{}, false
	}
	used := make([]bool, nb)
	hit := 0
	for _, p := range ports {
		if b := (int(p) - translatorLo) / hole; !used[b] {
			used[b] = true
			hit++
		}
	}
	if float64(hit) < 0.8*float64(nb) {
		return natFinding{}, false
	}
	f := natFinding{policy: NATBlocks}
	f.ev = NATEvidence{Signal: "range", Says: saysNAT,
		Detail: fmt.Sprintf("%d ports fill %v, %d of its %d blocks of %d: the lowest %d ports of 1024-65535", n, rng, hit, nb, hole, rng.Size())}
	f.why = fmt.Sprintf("its ports fill %v, the lowest %d of a translator's range and no OS profile's: a translator that hands out its lowest blocks first, as Cloud NAT and Azure Load Balancer give each VM its ports", rng, rng.Size())
	return f, true
}

// uniformP is the chi-square p-value of ports being uniform over rng,
// in up to 32 buckets with 5 or more expected in each, except that the
// first doubled ports of rng are twice as likely as the others.
func uniformP(ports []uint16, rng allocator.Range, doubled int) float64 {
	size := rng.Size()
	buckets := min(maxBuckets, len(ports)/5, size)
	if buckets < 2 {
		return 1
	}
	h := make([]float64, buckets)
	for _, p := range ports {
		if rng.Contains(p) {
			h[int(p-rng.Lo)*buckets/size]++
		}
	}
	n := float64(len(ports))
	stat := 0.0
	for b := range h {
		// Bucket b holds the offsets x with ⌊x·buckets/size⌋ = b.
		lo, hi := (b*size+buckets-1)/buckets, ((b+1)*size+buckets-1)/buckets
		w := hi - lo + max(0, min(hi, doubled)-lo)
		e := n * float64(w) / float64(size+doubled)
		stat += (h[b] - e) * (h[b] - e) / e
	}
	return distuv.ChiSquared{K: float64(buckets - 1)}.Survival(stat)
}

// profileRange reports whether an OS profile's range, or another range
// it documents, is rng give or take tol ports at either end.
func profileRange(rng allocator.Range, tol float64) bool {
	for _, p := range strategies.Profiles() {
		rs := []allocator.Range{p.Range}
		for _, o := range p.OtherRanges {
			rs = append(rs, o.Range)
		}
		for _, r := range rs {
			if math.Abs(float64(r.Lo)-float64(rng.Lo)) <= tol && math.Abs(float64(r.Hi)-float64(rng.Hi)) <= tol {
				return true
			}
		}
	}
	return false
}
