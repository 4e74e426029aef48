// Package gateway models a translator in front of hosts: a NAT, a cloud
// NAT gateway, a load balancer's outbound SNAT. Hosts choose their own
// source ports (package allocator); the gateway rewrites each new flow's
// source to one of its public addresses and a public port, and keeps the
// mapping until its timeout.
//
// What the gateway keeps, per flow and per mapping:
//
//   - A mapping (binding) ties an inside endpoint — protocol, host address
//     and port — to a public endpoint. Config.Mapping says which flows share
//     one (RFC 4787): endpoint-independent mapping reuses it for every
//     destination, address-dependent for every port of one destination
//     address, address-and-port-dependent only for the same destination.
//   - A public endpoint serves several mappings only where the filtering
//     can tell their replies apart (Config.Filtering): with
//     endpoint-independent filtering a public port belongs to one mapping;
//     with address-and-port-dependent filtering it may carry mappings to
//     different destinations, as conntrack and every cloud NAT do.
//   - A flow holds its mapping while it is open and for a hold after it
//     ends, by protocol and by how it closed (Timeouts): TIME_WAIT after a
//     FIN, a shorter hold after a RST, UDP's timeout after the last
//     datagram.
//   - Config.Limit caps the flows one public address holds to one
//     destination (AWS's 55,000, Azure's 50,000).
//   - A new mapping becomes visible to other flows only Config.Window after
//     it was chosen, as conntrack confirms an entry after the packet leaves
//     the NAT hook: two flows that pick the same public tuple inside the
//     window clash, and the later one is dropped (insert_failed).
//
// Which public endpoint a new mapping gets is a Policy's choice: netfilter's
// search, a cloud's random pick, a port block, a formula. Policies live in
// package strategies, with everything else that knows an algorithm by name;
// the gateway has no randomness of its own. A policy asks usable(addr, port)
// for each candidate, as a strategy asks a host's table. Optional
// capabilities are found by type assertion: a Releaser hears when a mapping
// it chose ends (block policies give blocks back), a Logger counts the log
// records its choices need, a Holder reports the public ports a host holds.
package gateway
