package fit

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/portsim/portsim/internal/format"
	"github.com/portsim/portsim/observe/capture"
)

// Only ports the kernel chose tell how it chooses. Analyze leaves out of a
// host's analysis, and reports per host:
//
//   - system ports, below 1024: no ephemeral range holds them (DHCP's 68,
//     NetBIOS's 137, a server's 53 answering from its own port);
//   - an application's bound port: one port that carries at least
//     appPortMin attempts and appPortShare of the host's, towards at
//     least appPortDsts destinations (a BitTorrent or mDNS socket, a
//     resolver's fixed query port): the application chose it, or the
//     kernel once;
//   - a reused UDP socket: an unconnected UDP socket keeps the port the
//     kernel gave it at its first datagram, so a flow from the same port
//     to another destination soon after (within reuseWindow and
//     reuseAttempts of the host's attempts: a stub resolver asking its
//     second server) is the same choice again; only the first counts.
//     Further apart, the kernel may well have chosen the port twice (RFC
//     6056 Algorithm 3 gives two destinations the same port a few
//     connections apart when their offsets are close).
const (
	appPortMin   = 5
	appPortShare = 0.1
	appPortDsts  = 3
	// reuseWindow is in seconds, reuseAttempts in attempts of the host.
	reuseWindow   = 10
	reuseAttempts = 4
)

// LeftOut is a host's attempts left out of its analysis for one reason.
type LeftOut struct {
	// Reason is "system port" (below 1024), "application port" (see
	// Analyze) or "reused socket" (UDP).
	Reason   string `json:"reason"`
	Attempts int    `json:"attempts"`
	// Ports are the ports left out, at most maxLeftOutPorts of them,
	// lowest first; Distinct is how many there were.
	Ports    []uint16 `json:"ports"`
	Distinct int      `json:"distinct_ports"`
}

const maxLeftOutPorts = 5

// Reasons for leaving an attempt out.
const (
	keep = iota
	outSystem
	outApp
	outReused
	outReasons
)

var outNames = [outReasons]string{outSystem: "system port", outApp: "application port", outReused: "reused socket"}

// portFilter decides which of a host's attempts count, with per-port
// scratch reused from host to host.
type portFilter struct {
	count   []int32   // attempts per port, in the first pass
	app     []bool    // application ports
	last    []float64 // UDP: the port's last use, seconds
	lastAt  []int32   // UDP: the host's attempt number at its last use
	lastDst []uint64  // UDP: the destination of its last use, +1; 0 for none
	touched []uint16  // ports whose entries are set
	// out counts the attempts left out per reason, and seen their ports.
	out  [outReasons]int
	seen [outReasons]map[uint16]bool
}

// start readies f for the n attempts of g: it counts their ports and marks
// the application ports. Its tables are made at first use (UDP's only for
// UDP) and cleared where they were touched.
func (f *portFilter) start(atts *capture.Attempts, g *hostGroup) {
	if f.count == nil {
		f.count, f.app = make([]int32, 1<<16), make([]bool, 1<<16)
	}
	if g.proto == capture.UDP && f.last == nil {
		f.last, f.lastAt, f.lastDst = make([]float64, 1<<16), make([]int32, 1<<16), make([]uint64, 1<<16)
	}
	for _, p := range f.touched {
		f.count[p], f.app[p] = 0, false
		if f.last != nil {
			f.last[p], f.lastAt[p], f.lastDst[p] = 0, 0, 0
		}
	}
	f.touched = f.touched[:0]
	f.out = [outReasons]int{}
	for i := range f.seen {
		clear(f.seen[i])
	}
	for i := range g.n {
		p := atts.Record(g.at(i)).SrcPort
		if f.count[p] == 0 {
			f.touched = append(f.touched, p)
		}
		f.count[p]++
	}
	least := max(appPortMin, int32(appPortShare*float64(g.n)+0.999999))
	var heavy []uint16
	for _, p := range f.touched {
		if f.count[p] >= least && p >= 1024 {
			heavy = append(heavy, p)
		}
	}
	if len(heavy) == 0 {
		return
	}
	dsts := make(map[uint16]map[uint64]bool, len(heavy))
	for _, p := range heavy {
		dsts[p] = map[uint64]bool{}
	}
	for i := range g.n {
		a := atts.Record(g.at(i))
		if d := dsts[a.SrcPort]; d != nil && len(d) < appPortDsts {
			d[dstKey(a)] = true
		}
	}
	for _, p := range heavy {
		f.app[p] = len(dsts[p]) >= appPortDsts
	}
}

func dstKey(a capture.Record) uint64 { return uint64(a.Dst)<<16 | uint64(a.DstPort) }

// decide says whether attempt a, the host's i'th, seen secs after its
// first, counts (keep) or why not; attempts come in time order.
func (f *portFilter) decide(a capture.Record, i int, secs float64) int {
	p := a.SrcPort
	why := keep
	switch {
	case p < 1024:
		why = outSystem
	case f.app[p]:
		why = outApp
	case a.Proto() == capture.UDP:
		key := dstKey(a) + 1
		if f.lastDst[p] != 0 && f.lastDst[p] != key && secs-f.last[p] <= reuseWindow && i-int(f.lastAt[p]) <= reuseAttempts {
			why = outReused
		}
		f.last[p], f.lastAt[p], f.lastDst[p] = secs, int32(i), key
	}
	if why != keep {
		f.out[why]++
		if f.seen[why] == nil {
			f.seen[why] = map[uint16]bool{}
		}
		f.seen[why][p] = true
	}
	return why
}

// leftOut is what f left out of the host, by reason.
func (f *portFilter) leftOut() []LeftOut {
	var out []LeftOut
	for why := outSystem; why < outReasons; why++ {
		if f.out[why] == 0 {
			continue
		}
		ports := make([]uint16, 0, len(f.seen[why]))
		for p := range f.seen[why] {
			ports = append(ports, p)
		}
		slices.Sort(ports)
		out = append(out, LeftOut{Reason: outNames[why], Attempts: f.out[why], Ports: ports[:min(len(ports), maxLeftOutPorts)], Distinct: len(ports)})
	}
	return out
}

// String is the left-out attempts in a phrase: "3 from system ports (68,
// 137), 40 from 1 application port (6881)".
func (l LeftOut) String() string {
	ps := make([]string, len(l.Ports))
	for i, p := range l.Ports {
		ps[i] = strconv.Itoa(int(p))
	}
	list := strings.Join(ps, ", ")
	if l.Distinct > len(l.Ports) {
		list += ", …"
	}
	return fmt.Sprintf("%d from %s (%s)", l.Attempts, format.Plural(l.Distinct, l.Reason), list)
}
