package allocator

import (
	"fmt"
	"net/netip"
	"time"
)

// Kind is what a request asks of the socket layer.
type Kind uint8

const (
	// Connect is connect() on an unbound socket: the port is chosen from the
	// full 4-tuple and may be shared across destinations.
	Connect Kind = iota
	// Bind is bind(ip, 0) before connect(): the port is owned exclusively.
	Bind
	// UDP is a UDP socket's implicit or explicit bind: exclusive.
	UDP
)

var kindNames = [...]string{Connect: "connect", Bind: "bind", UDP: "udp"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// MarshalText writes the kind's name.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads a kind's name.
func (k *Kind) UnmarshalText(b []byte) error {
	v, err := ParseKind(string(b))
	*k = v
	return err
}

// ParseKind reads "connect", "bind" or "udp".
func ParseKind(s string) (Kind, error) {
	for k, name := range kindNames {
		if s == name {
			return Kind(k), nil
		}
	}
	return 0, fmt.Errorf("%q is not a request kind; want connect, bind or udp", s)
}

// CloseHow says which side ended a connection, which decides TIME_WAIT.
type CloseHow uint8

const (
	// ClientFirst: the local side sent the first FIN and keeps the 4-tuple
	// in TIME_WAIT.
	ClientFirst CloseHow = iota
	// ServerFirst: the peer closed first; TIME_WAIT is the peer's, not ours.
	ServerFirst
	// Reset: the connection ended with RST; nothing is kept.
	Reset
)

var closeNames = [...]string{ClientFirst: "client", ServerFirst: "server", Reset: "reset"}

func (c CloseHow) String() string {
	if int(c) < len(closeNames) {
		return closeNames[c]
	}
	return fmt.Sprintf("CloseHow(%d)", uint8(c))
}

// ParseCloseHow reads "client", "server" or "reset".
func ParseCloseHow(s string) (CloseHow, error) {
	for c, name := range closeNames {
		if s == name {
			return CloseHow(c), nil
		}
	}
	return 0, fmt.Errorf("%q is not a close side; want client, server or reset", s)
}

// Request is one ask for a local port.
type Request struct {
	Kind Kind
	Src  netip.Addr     // local address the socket uses
	Dst  netip.AddrPort // remote endpoint (for Bind and UDP: where it will send)
	Now  time.Duration  // simulated clock; strategies that re-salt use it

	// Lo and Hi are the port range the table allows, filled in by the Table
	// before the strategy sees the request.
	Lo, Hi uint16

	// Pair, filled in by the Table, names the request's (Src, Dst): two
	// requests with the same nonzero Pair have the same addresses, so a
	// strategy that keeps something per pair (a hash) need not compare
	// them. Pairs are unique across tables; 0 says nothing.
	Pair uint64

	// Scan, when not nil, examines runs of candidates at once (see
	// Scanner); the table sets it when no trace is wanted. Strategies with
	// long linear scans may use it; the result must not differ.
	Scan Scanner

	// Trace, when not nil, collects every step of the choice (for explain).
	// Strategies must check for nil before building a step: the hot path
	// runs with no trace and must not allocate.
	Trace *Trace
}

// Size is the number of ports in [Lo, Hi].
func (r *Request) Size() int { return int(r.Hi) - int(r.Lo) + 1 }

// Tuple is a connection's identity: local and remote address and port.
type Tuple struct {
	Src     netip.Addr
	SrcPort uint16
	Dst     netip.AddrPort
}

func (t Tuple) String() string {
	return fmt.Sprintf("%s -> %s", netip.AddrPortFrom(t.Src, t.SrcPort), t.Dst)
}

// Strategy chooses local ports. Implementations own their state (counters,
// tables, keys, random sources) and are not safe for concurrent use.
type Strategy interface {
	// Pick returns a port for r, asking usable(p) for each candidate it
	// considers, in the order the algorithm would; probes is how many it
	// asked. When no candidate is usable it returns an error that matches
	// ErrAddrNotAvail. Pick never returns a port for which usable said false.
	// r is lent for the call: read it; do not keep or change it.
	Pick(r *Request, usable func(port uint16) bool) (port uint16, probes int, err error)
}
