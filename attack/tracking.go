package attack

import (
	"context"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/sim"
)

// The tracking attack (Kol, Klein and Gilad, "Device Tracking via Linux's
// New TCP Source Port Selection Algorithm", USENIX Security 2023;
// CVE-2022-32296), as this package plays it.
//
// RFC 6056 Algorithm 4 picks a connection's counter by a keyed hash of its
// addresses and destination port. Connections from 127.0.0.1 to loopback
// destinations hash the same on every network, so which of them share a
// counter depends on the device's key alone: that set of collisions is an
// ID that survives browsers, private modes and networks, until reboot. A
// web page cannot see loopback ports, but it can watch the counters move:
//
//  1. Witnesses. The page connects to candidate destinations on the
//     attacker's servers twice, with the witnesses found so far in
//     between. A candidate whose port moved on by exactly one step shared
//     its counter with nothing else: it becomes the witness of a counter
//     no other witness has. This goes on until all counters but at most
//     one have a witness.
//  2. Sandwiches. Between two rounds of connections to every witness, the
//     page connects to a few loopback destinations, the k-th of them n·2^k
//     times. Each witness's port moves on by one step per connection that
//     shared its counter, so the amount, read in binary, says which of the
//     loopback destinations fell on it; a loopback destination no witness
//     claims fell on the one counter without a witness.
//
// Loopback destinations on one counter collide; the ID is the groups of
// them. Background connections move counters too, so each claim is
// confirmed at once (witness, destination, witness, with nothing between
// for the background to move), and a sandwich whose counts do not add up
// (a destination claimed twice, or by none when every counter has a
// witness) or whose claims fail is played again with n doubled. Three
// failures in a row mean the witnesses went stale — a re-salt — and the
// attack starts over. A counter moved on by a random 1 to 8 steps per
// connection (Linux 5.17.9+) is read by its mean, with n chosen large
// enough that the sum's spread stays under half a code.

// loopbackBase is the first loopback destination's port; the others follow.
const loopbackBase = 1024

// maxFails is how many sandwiches in a row may fail before the attacker
// takes its witnesses for stale and starts over.
const maxFails = 3

// tracker is one visit of the attacker's page to one device.
type tracker struct {
	ctx    context.Context
	v      *victim
	m      model
	rate   float64
	rtt    time.Duration
	budget int
	pairs  int
	v6     bool

	start   time.Duration
	src     netip.Addr
	made    int // connections caused so far
	batches int // round trips waited so far
	next    int // the next fresh candidate destination
	floor   int // the smallest n the noise has allowed
	err     error
}

// now is the time of the visit's next connection.
func (a *tracker) now() time.Duration {
	return a.start + time.Duration(float64(a.made)/a.rate*float64(time.Second)) + time.Duration(a.batches)*a.rtt
}

// spent reports whether the visit must end: budget spent, cancelled, or
// an error.
func (a *tracker) spent() bool { return a.made >= a.budget || a.err != nil }

// conn makes the victim connect from src to dst; false when it got no
// port or the visit is over.
func (a *tracker) conn(src netip.Addr, dst netip.AddrPort) (uint16, bool) {
	if a.spent() {
		return 0, false
	}
	t := a.now()
	a.made++
	p, ok, err := a.v.connect(t, src, dst, allocator.Connect)
	if err != nil {
		a.err = err
	}
	return p, ok
}

// wait ends a batch: a round trip to the attacker's server.
func (a *tracker) wait() {
	a.batches++
	if a.err == nil {
		a.err = a.ctx.Err()
	}
}

// visit plays the attack from start, the victim at src; it returns the ID
// and whether one was found within the budget.
func (a *tracker) visit(start time.Duration, src netip.Addr) (string, bool) {
	a.start, a.src, a.made, a.batches, a.next, a.floor = start, src, 0, 0, 0, 1
	for !a.spent() {
		w, ok := a.witnesses()
		if !ok {
			break
		}
		if id, ok := a.identify(w); ok {
			return id, true
		}
	}
	return "", false
}

// witnesses finds destinations on the attacker's servers that each fall on
// a counter of their own, until at most one counter has none.
func (a *tracker) witnesses() ([]netip.AddrPort, bool) {
	want := max(1, a.m.counters-1)
	batch := (a.m.counters + 1) / 2
	var w []netip.AddrPort
	cand := make([]netip.AddrPort, batch)
	first := make([]uint16, batch)
	seen := make([]bool, batch)
	for len(w) < want {
		if a.spent() {
			return nil, false
		}
		for i := range cand {
			cand[i] = attackerDst(a.next, a.v6)
			a.next++
			first[i], seen[i] = a.conn(a.src, cand[i])
		}
		for _, x := range w {
			a.conn(a.src, x)
		}
		for i, c := range cand {
			p, ok := a.conn(a.src, c)
			if seen[i] && ok && a.m.advance(first[i], p) == 1 {
				w = append(w, c)
			}
		}
		a.wait()
	}
	return w, true
}

// identify maps loopback destinations to the witnesses' counters,
// sandwich by sandwich, and returns the ID; false when the sandwiches
// kept failing or the visit ran out.
func (a *tracker) identify(w []netip.AddrPort) (string, bool) {
	n := loopbacks(a.m.counters, a.pairs)
	owner := make([]int, n) // the witness each loopback destination fell on; -1 for the one without
	prev, ok := a.round(w)
	a.wait()
	fails := 0
	for done := 0; done < n; {
		if a.spent() {
			return "", false
		}
		size, base := a.plan(len(w))
		size = min(size, n-done)
		for k := range size {
			dst := netip.AddrPortFrom(loopback, uint16(loopbackBase+done+k))
			for range base << k {
				a.conn(loopback, dst)
			}
		}
		cur, curOK := a.round(w)
		a.wait()
		claims, good := a.decode(prev, cur, size, base, len(w) < a.m.counters)
		if good && ok && curOK && a.confirm(w, claims, done, cur) {
			copy(owner[done:], claims)
			done += size
			fails = 0
		} else if fails++; fails == maxFails {
			return "", false
		} else {
			a.floor = min(2*base, 1<<20)
		}
		prev, ok = cur, curOK
	}
	return idOf(owner), true
}

// confirm checks each claim of a decoded sandwich, whose loopback
// destinations start at first: the claiming witness, the destination a few
// times, the witness again. Nothing else comes between, so the background
// has no time to move the counter, and an error of decoding (noise that
// added up to a code) shows. Each witness's last port goes into ports, so
// the next sandwich counts from there.
func (a *tracker) confirm(w []netip.AddrPort, claims []int, first int, ports []uint16) bool {
	reps := 1
	if !a.m.exact() {
		reps = 16 // the mean of 17 advances stands well clear of one's
	}
	for k, c := range claims {
		if c < 0 {
			continue
		}
		dst := netip.AddrPortFrom(loopback, uint16(loopbackBase+first+k))
		p, ok1 := a.conn(a.src, w[c])
		for range reps {
			a.conn(loopback, dst)
		}
		q, ok2 := a.conn(a.src, w[c])
		ports[c] = q
		if !ok1 || !ok2 || float64(a.m.advance(p, q))/a.m.mean-1 < float64(reps)/2 {
			return false
		}
	}
	return true
}

// round connects to every witness once and returns their ports; false
// when one got none.
func (a *tracker) round(w []netip.AddrPort) ([]uint16, bool) {
	ports := make([]uint16, len(w))
	all := true
	for i, x := range w {
		var ok bool
		ports[i], ok = a.conn(a.src, x)
		all = all && ok
	}
	return ports, all
}

// plan chooses a sandwich's size (loopback destinations) and base n, the
// cheapest per destination with witnesses witnesses: each round costs one
// connection per witness, a sandwich of s costs n·(2^s − 1) more. Random
// increments need n large enough that the spread of a sum of them stays
// well under half a code.
func (a *tracker) plan(witnesses int) (size, base int) {
	best := math.Inf(1)
	for s := 1; s <= 20; s++ {
		n := a.floor
		if !a.m.exact() {
			n = max(n, int(math.Ceil(64*a.m.variance*float64(int(1)<<s)/(a.m.mean*a.m.mean))))
		}
		if cost := float64(witnesses+n*(1<<s-1)) / float64(s); cost < best {
			best, size, base = cost, s, n
		}
	}
	return size, base
}

// decode reads a sandwich of size loopback destinations of base n: each
// witness's advance between the rounds, less its own connection, is the
// sum of the connections that shared its counter, n·2^k for the k-th
// loopback destination. It returns the witness each destination fell on
// (-1: the counter without one, when there is such a counter), or false
// when the counts do not add up.
func (a *tracker) decode(prev, cur []uint16, size, base int, spare bool) ([]int, bool) {
	claims := make([]int, size)
	for k := range claims {
		claims[k] = -2
	}
	for i := range cur {
		v := float64(a.m.advance(prev[i], cur[i]))/a.m.mean - 1
		var code int
		if a.m.exact() {
			code = int(math.Floor(v / float64(base))) // noise only adds
		} else {
			code = int(math.Round(v / float64(base)))
		}
		if code < 0 || code >= 1<<size {
			return nil, false
		}
		for k := range size {
			if code&(1<<k) == 0 {
				continue
			}
			if claims[k] != -2 {
				return nil, false
			}
			claims[k] = i
		}
	}
	for k, c := range claims {
		if c == -2 {
			if !spare {
				return nil, false
			}
			claims[k] = -1
		}
	}
	return claims, true
}

// loopbacks is how many loopback destinations an ID is made of: enough
// that, thrown on counters at random, they collide in pairs pairs on
// average (n² / 2counters).
func loopbacks(counters, pairs int) int {
	return max(2, int(math.Ceil(math.Sqrt(2*float64(pairs)*float64(counters)))))
}

// idOf is the ID that owner (the counter of each loopback destination)
// makes: the groups of destinations sharing a counter, each as the
// destinations' indices, in order of their first; "none" when no two
// share one.
func idOf(owner []int) string {
	groups := map[int][]int{}
	var keys []int
	for i, o := range owner {
		if _, ok := groups[o]; !ok {
			keys = append(keys, o)
		}
		groups[o] = append(groups[o], i)
	}
	var b strings.Builder
	for _, k := range keys { // in order of their first member
		g := groups[k]
		if len(g) < 2 {
			continue
		}
		b.WriteByte('(')
		for j, i := range g {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(i))
		}
		b.WriteByte(')')
	}
	if b.Len() == 0 {
		return "none"
	}
	return b.String()
}

// trackRun is one play of the tracking attack: a device visited three
// times (the third from another network) and a second device once.
type trackRun struct {
	found, stable, moved, distinct bool
	connections                    int
	seconds                        float64
	counters, budget               int
	id                             string
}

// track plays the tracking attack on spec, play r.
func track(ctx context.Context, sc sim.Scenario, spec string, c Config, r int) (trackRun, error) {
	first, err := device(sc, spec, play(sc.Seed, "victim", r))
	if err != nil {
		return trackRun{}, err
	}
	defer first.Close()
	second, err := device(sc, spec, play(sc.Seed, "other", r))
	if err != nil {
		return trackRun{}, err
	}
	defer second.Close()

	src := sc.Srcs[0]
	visit := func(v *victim, start time.Duration, src netip.Addr) (string, bool, time.Duration) {
		a := newTracker(ctx, v, c, sc.IPv6)
		id, ok := a.visit(start, src)
		if err == nil {
			err = a.err
		}
		return id, ok && a.err == nil, a.now()
	}
	a := newTracker(ctx, first, c, sc.IPv6)
	id, ok := a.visit(sc.Warmup, src)
	run := trackRun{found: ok, connections: a.made, seconds: (a.now() - sc.Warmup).Seconds(), counters: a.m.counters, budget: a.budget, id: id}
	if !ok || a.err != nil {
		return run, a.err // the later visits need an ID to compare
	}
	id2, ok2, end := visit(first, a.now()+c.Revisit, src)
	id3, ok3, _ := visit(first, end+c.Revisit, moved(src))
	id4, ok4, _ := visit(second, sc.Warmup, src)
	run.stable = ok2 && id2 == id
	run.moved = ok3 && id3 == id
	run.distinct = ok4 && id4 != id
	return run, err
}

// newTracker is the attacker's page on v, which it models from its
// connect() strategy's shape.
func newTracker(ctx context.Context, v *victim, c Config, v6 bool) *tracker {
	m := modelOf(v.strategy(allocator.Connect), v.host.Config.Range)
	budget := c.Budget
	if budget == 0 {
		budget = autoBudget(m, c.Rate)
	}
	return &tracker{ctx: ctx, v: v, m: m, rate: c.Rate, rtt: c.RTT, budget: budget, pairs: c.Pairs, v6: v6}
}

// autoBudget is the budget of Config.Budget 0: 200 connections per counter,
// at least 100,000; but an attacker that knows the hash is re-keyed gives up
// after ten re-salt periods' worth, since what it learns in one is lost by
// the next.
func autoBudget(m model, rate float64) int {
	b := min(MaxBudget, max(100_000, 200*m.counters))
	if m.resalt > 0 {
		b = min(b, max(100_000, int(math.Ceil(10*rate*m.resalt.Seconds()))))
	}
	return b
}

// trackResult sums a strategy's plays.
func trackResult(runs []any) StrategyResult {
	var sr StrategyResult
	var found, stable, moved, distinct, success int
	var conns []int
	var secs []float64
	for _, x := range runs {
		r := x.(trackRun)
		sr.Counters, sr.Budget = r.counters, r.budget
		if r.found {
			found++
			conns = append(conns, r.connections)
			secs = append(secs, r.seconds)
		}
		count := func(n *int, b bool) {
			if b {
				*n++
			}
		}
		count(&stable, r.stable)
		count(&moved, r.moved)
		count(&distinct, r.distinct)
		count(&success, r.stable && r.distinct)
	}
	n := float64(len(runs))
	sr.Success = ptr(float64(success) / n)
	sr.Found = ptr(float64(found) / n)
	sr.IDStable = ptr(float64(stable) / n)
	sr.IDMoved = ptr(float64(moved) / n)
	sr.IDDistinct = ptr(float64(distinct) / n)
	if len(conns) > 0 {
		slices.Sort(conns)
		slices.Sort(secs)
		sr.Connections = ptr(conns[(len(conns)-1)/2])
		sr.Seconds = ptr(math.Round(secs[(len(secs)-1)/2]*1000) / 1000)
	}
	return sr
}

// TrackingSpecs are Linux 5.12's connect() (RFC 6056 Algorithm 4, no
// random increments, no re-salt) with tables of 2^order counters, for a
// sweep of the table's size: order 8 is the kernel's, 16 the size 5.17.9
// moved to.
func TrackingSpecs(orders []int) []string {
	specs := make([]string, len(orders))
	for i, o := range orders {
		specs[i] = fmt.Sprintf("linux:table-order=%d,increments=off,resalt=0", o)
	}
	return specs
}
