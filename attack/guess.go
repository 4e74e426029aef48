package attack

import (
	"context"
	"math"
	"net/netip"
	"slices"
	"time"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/sim"
)

// The guessing attack: an off-path attacker who knows the algorithm, and
// has seen the port of the victim's previous connection (to its own
// server, or to the target), guesses the port of the victim's next
// connection to the target, as a DNS cache poisoner must (Kaminsky 2008,
// CVE-2008-1447; RFC 5452). The attacker learns the algorithm by playing
// it on devices of its own — other keys, other background traffic — and
// ranks every displacement (the guessed port less the seen one, modulo
// the range) by how often it came up; its g guesses are the g top-ranked
// displacements from the port it saw. It uses only the latest port seen:
// every model here keeps its state in a cursor or counter that the latest
// port pins down as far as any earlier one could.
//
// A DNS answer must match the query's 16-bit transaction ID too, so each
// spoofed answer is a (port, ID) pair; the best use of g answers covers
// every ID of the top-ranked ports in turn.

// txids is the number of DNS transaction IDs.
const txids = 1 << 16

// displacements are one play's: the ports guessed less the ports seen,
// modulo the range size, of the range size.
type displacements struct {
	d     []int32
	ports int
	train bool
}

// guess plays the seen-then-guessed pair of connections c.Samples times on
// spec, with seeds s, one pair every c.Interval from the warm-up on.
func guess(ctx context.Context, sc sim.Scenario, spec string, c Config, s playSeeds) (displacements, error) {
	v, err := device(sc, spec, s)
	if err != nil {
		return displacements{}, err
	}
	defer v.Close()
	kind := allocator.Connect
	switch {
	case c.KindSet:
		kind = c.Kind
	case v.host.Profile == nil:
		kind = v.host.Kind
	}
	port := sc.DstPorts[0]
	target := netip.AddrPortFrom(target4, port)
	if sc.IPv6 {
		target = netip.AddrPortFrom(target6, port)
	}
	seen := attackerDst(0, sc.IPv6)
	if c.Seen == Target {
		seen = target
	}
	src := sc.Srcs[0]
	size := v.host.Config.Range.Size()
	out := displacements{ports: size}
	for i := range c.Samples {
		if err := ctx.Err(); err != nil {
			return displacements{}, err
		}
		t := sc.Warmup + time.Duration(i)*c.Interval
		p, ok1, err := v.connect(t, src, seen, kind)
		if err != nil {
			return displacements{}, err
		}
		q, ok2, err := v.connect(t+c.Gap, src, target, kind)
		if err != nil {
			return displacements{}, err
		}
		if ok1 && ok2 {
			d := (int(q) - int(p)) % size
			if d < 0 {
				d += size
			}
			out.d = append(out.d, int32(d))
		}
	}
	return out, nil
}

// guessResult ranks the displacements of the training plays (even
// indices of runs) and scores the victims' (odd ones) against the ranking.
func guessResult(runs []any, window int) StrategyResult {
	var counts []int
	var victims []int32
	ports := 0
	for i, x := range runs {
		ds := x.(displacements)
		ports = ds.ports
		if i%2 == 1 {
			victims = append(victims, ds.d...)
			continue
		}
		if counts == nil {
			counts = make([]int, ds.ports)
		}
		for _, d := range ds.d {
			counts[d]++
		}
	}
	sr := StrategyResult{Ports: ports}
	if len(victims) == 0 || ports == 0 {
		return sr
	}
	// Rank: most frequent in training first; ties, and displacements
	// training never saw, by the smallest step forward.
	order := make([]int32, ports)
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(a, b int32) int { return counts[b] - counts[a] })
	rank := make([]int, ports) // 1-based
	for r, d := range order {
		rank[d] = r + 1
	}
	// within[g] is how many victims' displacements rank at most g.
	within := make([]int, ports+1)
	for _, d := range victims {
		within[rank[d]]++
	}
	for g := 1; g <= ports; g++ {
		within[g] += within[g-1]
	}
	n := float64(len(victims))
	p := func(g int) float64 { return float64(within[min(g, ports)]) / n }
	// With g spoofed answers, the ⌊g/65536⌋ top ports get every ID and the
	// next one the rest.
	pDNS := func(g float64) float64 {
		full := int(math.Floor(g / txids))
		if full >= ports {
			return 1
		}
		return p(full) + (p(full+1)-p(full))*(g-float64(full)*txids)/txids
	}
	for g := 1; ; g *= 2 {
		sr.PSuccess = append(sr.PSuccess, [2]float64{float64(min(g, ports)), p(g)})
		if g >= ports {
			break
		}
	}
	space := float64(ports) * txids
	for g := 1.0; ; g *= 4 {
		sr.PSuccessDNS = append(sr.PSuccessDNS, [2]float64{math.Min(g, space), pDNS(math.Min(g, space))})
		if g >= space {
			break
		}
	}
	sr.Success = ptr(p(1))
	sr.PWindow = ptr(pDNS(float64(window)))
	return sr
}
