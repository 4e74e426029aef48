// Package allocator models a host's socket tables: which local ports are in
// use right now, by whom, and whether a given port is usable for a new
// request.
//
// A Table holds the port range, the reserved ports, bind() owners, connect()
// 4-tuples (established and TIME_WAIT) and UDP sockets, per local address and
// per protocol (TCP and UDP port spaces are separate, as in every real stack).
// It answers one question fast — is this port usable for this request now? —
// and records what a Strategy chose.
//
// The Strategy interface lives here because the table is its user: a strategy
// proposes candidates in the order its algorithm would, asking usable(port)
// for each; the number of candidates asked is the probe count. The package
// knows no strategy by name and has no randomness of its own.
//
// Semantics per request kind:
//
//   - Connect: a port may be shared by many connections as long as each
//     4-tuple (src ip, src port, dst ip, dst port) is unique; it is never
//     shared with a bind owner.
//   - Bind: bind(ip, 0) before connect; the port is owned exclusively on that
//     local address, including while its connection sits in TIME_WAIT.
//   - UDP: a UDP socket owns its port exclusively on that local address.
//
// A connection closed by the client first keeps its 4-tuple in TIME_WAIT for
// Config.TimeWait; a server-first close or a reset keeps nothing. The
// Config.TWReuse policy decides whether a new connect may take a 4-tuple
// still in TIME_WAIT.
//
// A socket is closed as it happens (Close), or ahead (CloseAt): a caller
// that knows when each socket will end, as a simulation does, hands the
// close over when the socket opens, and the table runs it when its clock
// gets there; a connect() socket's close is then no event, its state
// following the clock.
package allocator
