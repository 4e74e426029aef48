package capture

import (
	"fmt"
	"net/netip"
	"time"
)

// Proto is the transport protocol of an attempt.
type Proto uint8

const (
	TCP Proto = 6
	UDP Proto = 17
)

func (p Proto) String() string {
	switch p {
	case TCP:
		return "tcp"
	case UDP:
		return "udp"
	}
	return fmt.Sprintf("proto(%d)", uint8(p))
}

// Attempt is one client connection attempt: a TCP SYN without ACK, or the
// first UDP datagram of a flow. Its source port is the one the client's
// host chose.
type Attempt struct {
	Time    time.Time
	Proto   Proto
	Src     netip.Addr
	SrcPort uint16
	Dst     netip.Addr
	DstPort uint16
}
