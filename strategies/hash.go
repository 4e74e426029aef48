package strategies

import (
	"encoding/binary"
	"net/netip"

	"github.com/dchest/siphash"
)

// flowHash is SipHash-2-4 keyed by k over (src, dst address, dst port,
// extra), laid out as Linux lays out secure_ipv4_port_ephemeral's input for
// IPv4: four 32-bit little-endian words — saddr and daddr as their bytes in
// network order, dport as its two network-order bytes then two zeros, and
// extra (the time epoch). IPv6 hashes the two 16-byte addresses, extra and
// dport in the same spirit (38 bytes). Local ports are not an input.
func flowHash(k sipKey, src netip.Addr, dst netip.AddrPort, extra uint32) uint64 {
	var b [40]byte
	daddr := dst.Addr()
	if src.Is4() && daddr.Is4() {
		s4, d4 := src.As4(), daddr.As4()
		copy(b[0:4], s4[:])
		copy(b[4:8], d4[:])
		binary.BigEndian.PutUint16(b[8:10], dst.Port())
		binary.LittleEndian.PutUint32(b[12:16], extra)
		return siphash.Hash(k.k0, k.k1, b[:16])
	}
	s16, d16 := src.As16(), daddr.As16()
	copy(b[0:16], s16[:])
	copy(b[16:32], d16[:])
	binary.LittleEndian.PutUint32(b[32:36], extra)
	binary.BigEndian.PutUint16(b[36:38], dst.Port())
	return siphash.Hash(k.k0, k.k1, b[:38])
}
