// Package strategies holds the port-selection algorithms, each a small type
// implementing allocator.Strategy, and a registry that names them.
//
// Every strategy follows its source as described in
// shared/design/port-selection-facts.md: RFC 6056's five algorithms, Linux's
// connect(), bind() and UDP paths, and simple baselines. A strategy owns its
// state — counters, perturbation tables, hash keys, random sources — all
// derived from the seed it is built with, so the same seed gives the same
// ports. It asks the table, candidate by candidate, whether a port is usable;
// the number of candidates asked is the probe count.
//
// Strategies are built from a spec, "name" or "name:key=value,key=value":
//
//	s, err := strategies.New("linux:table-order=8", seed)
//
// When a request carries a Trace, a strategy records its hash inputs, table
// indexes, counters and state updates there; without one it allocates
// nothing.
package strategies
