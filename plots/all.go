package plots

import "github.com/portsim/portsim/sim"

// All returns the charts of one run, in report order: port signature,
// collisions, probes, reuse, occupancy, port usage and predictability.
// (The capacity chart needs a sweep; see Capacity.) It never panics and
// never returns a nil chart: a chart with nothing to show draws a note.
func All(res *sim.Result) []*Chart {
	return []*Chart{
		PortSignature(Samples(res)),
		Collisions(res),
		Probes(res),
		Reuse(res),
		Occupancy(res),
		PortUsage(res),
		Predictability(res),
	}
}
