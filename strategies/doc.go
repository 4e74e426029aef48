// Package strategies holds the port-selection algorithms, each a small type
// implementing allocator.Strategy, and a registry that names them.
//
// Every strategy follows its published source — RFC 6056's five
// algorithms, Linux's connect(), bind() and UDP paths, and simple
// baselines — and every profile lists the sources of its facts (Sources:
// files and functions of the system's code, commits, documentation). A strategy owns its
// state — counters, perturbation tables, hash keys, random sources — all
// derived from the seed it is built with, so the same seed gives the same
// ports. It asks the table, candidate by candidate, whether a port is usable;
// the number of candidates asked is the probe count.
//
// Strategies are built from a spec, "name" or "name:key=value,key=value":
//
//	s, err := strategies.New("linux:table-order=8", seed)
//
// A host needs more than one strategy: Resolve turns a strategy spec or an
// OS profile spec ("profile:macos") into a Host, the strategy serving each
// request kind (Linux's bind() and UDP companions, a profile's per-kind
// specs) and the table's rules. Everything that knows a strategy or profile
// by name is here, with the texts that describe them (Info, Profile), so
// the CLI, the README and the report show one copy.
//
// Each strategy also says what its ports look like to an observer who
// knows the algorithm but not its secrets: a method Shape(allocator.Range)
// Shape, found by type assertion, from which package fit builds its
// likelihood models. LinuxSpecs gives a Linux host's specs as its sysctls
// set them.
//
// The translation policies of NATs and cloud NAT gateways live here too,
// in nat*.go, each a gateway.Policy with the gateway rules of its product
// and the sources of its facts: netfilter, rfc4787, port-block,
// deterministic, aws-nat, azure-lb, azure-nat and gcp-nat. They have a
// registry of their own (NATs, LookupNAT), so no strategy list or profile
// takes them for a host's algorithm; NewNAT turns a spec and a seed into
// a policy for so many hosts and public addresses.
//
// When a request carries a Trace, a strategy records its hash inputs, table
// indexes, counters and state updates there; without one it allocates
// nothing.
package strategies
