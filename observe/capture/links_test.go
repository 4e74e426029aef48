package capture

import (
	"encoding/binary"
)

// Link headers of the 802.11 and PPP families, built by hand for the
// golden captures.

// snap is an LLC/SNAP header (RFC 1042's OUI, or 802.1H's with oui 0xf8)
// carrying etype, then payload.
func snap(oui byte, etype uint16, payload []byte) []byte {
	b := []byte{0xaa, 0xaa, 0x03, 0, 0, oui}
	b = binary.BigEndian.AppendUint16(b, etype)
	return append(b, payload...)
}

// dot11 is an 802.11 frame: frame control fc and flags, the addresses
// (four when both DS bits are set), the sequence control with fragment
// number frag, QoS control qos (for QoS subtypes) and HT control (with
// the order flag), then body.
func dot11(fc, flags byte, frag byte, qos byte, body []byte) []byte {
	b := []byte{fc, flags, 0, 0}
	for a := range 3 {
		b = append(b, 2, 0, 0, 0, 0, byte(a+1))
	}
	b = append(b, frag, 0x10) // sequence control, little-endian
	if flags&0x03 == 0x03 {
		b = append(b, 2, 0, 0, 0, 0, 4)
	}
	if fc>>4&0x08 != 0 {
		b = append(b, qos, 0)
		if flags&0x80 != 0 {
			b = append(b, 0, 0, 0, 0)
		}
	}
	return append(b, body...)
}

// dataFrame is an 802.11 data frame to the access point carrying the IP
// packet p.
func dataFrame(p []byte) []byte {
	return dot11(0x08, 0x01, 0, 0, snap(0, etherOf(p), p))
}

func etherOf(p []byte) uint16 {
	if p[0]>>4 == 6 {
		return 0x86dd
	}
	return 0x0800
}

// radiotap puts a radiotap header in front of an 802.11 frame: version 0,
// length 12, the flags field present (no FCS).
func radiotap(frame []byte) []byte {
	return append([]byte{0, 0, 12, 0, 0x02, 0, 0, 0, 0x00, 0, 0, 0}, frame...)
}

// ppi puts a PPI header with no fields in front of a frame of link type
// dlt.
func ppi(dlt uint32, frame []byte) []byte {
	b := []byte{0, 0, 8, 0}
	b = binary.LittleEndian.AppendUint32(b, dlt)
	return append(b, frame...)
}

// ppp is a PPP frame of protocol proto: with HDLC-like framing (ff 03) or
// without, the protocol compressed to one byte if it can be.
func ppp(hdlc, compress bool, proto uint16, payload []byte) []byte {
	var b []byte
	if hdlc {
		b = append(b, 0xff, 0x03)
	}
	if compress && proto < 0x100 {
		b = append(b, byte(proto))
	} else {
		b = binary.BigEndian.AppendUint16(b, proto)
	}
	return append(b, payload...)
}

func pppOf(p []byte) uint16 {
	if p[0]>>4 == 6 {
		return 0x0057
	}
	return 0x0021
}

// ciscoHDLC is a Cisco HDLC frame (unicast address 0f) carrying etype.
func ciscoHDLC(addr byte, etype uint16, payload []byte) []byte {
	b := []byte{addr, 0}
	b = binary.BigEndian.AppendUint16(b, etype)
	return append(b, payload...)
}

// pppoe is a PPPoE session frame (version and type 1, code 0, session
// 0x1234) carrying a PPP frame.
func pppoe(frame []byte) []byte {
	b := []byte{0x11, 0, 0x12, 0x34}
	b = binary.BigEndian.AppendUint16(b, uint16(len(frame)))
	return append(b, frame...)
}

// linkBuilt are the hand-built golden captures of the 802.11 and PPP link
// types: mixedIP in each, and the frames that are not IP or are damaged.
func linkBuilt() map[string][]byte {
	le := binary.AppendByteOrder(binary.LittleEndian)
	m := mixedIP()
	wrap := func(f func(int, []byte) []byte) [][]byte {
		out := make([][]byte, len(m))
		for i, p := range m {
			out[i] = f(i, p)
		}
		return out
	}
	syn := func(sport uint16) []byte {
		return capIPv4("192.0.2.9", "198.51.100.7", 6, nil, 0, tcpSeg(sport, 443, uint32(sport), fSYN))
	}
	wifi := [][]byte{
		dot11(0x88, 0x02, 0, 0, snap(0, 0x0800, syn(41000))),                                   // QoS data from the AP: attempt
		dot11(0x88, 0x82, 0, 0, snap(0, 0x0800, syn(41001))),                                   // QoS with HT control: attempt
		dot11(0x08, 0x03, 0, 0, snap(0, 0x0800, syn(41002))),                                   // four addresses (WDS): attempt
		dot11(0x08, 0x01, 0, 0, snap(0xf8, 0x0800, syn(41003))),                                // 802.1H: attempt
		dot11(0x08, 0x01, 0, 0, snap(0, 0x8100, capCat([]byte{0, 5, 0x08, 0x00}, syn(41004)))), // VLAN-tagged: attempt
		dot11(0x80, 0x00, 0, 0, make([]byte, 40)),                                              // beacon
		[]byte{0xd4, 0x00, 0, 0, 2, 0, 0, 0, 0, 1},                                             // ACK
		dot11(0x08, 0x41, 0, 0, make([]byte, 60)),                                              // protected
		dot11(0x48, 0x01, 0, 0, nil),                                                           // null function
		dot11(0xc8, 0x01, 0, 0, nil),                                                           // QoS null
		dot11(0x88, 0x01, 0, 0x80, snap(0, 0x0800, syn(41005))),                                // A-MSDU
		dot11(0x08, 0x01, 0, 0, capCat([]byte{0x42, 0x42, 0x03}, make([]byte, 40))),            // LLC without SNAP (STP)
		dot11(0x08, 0x01, 1, 0, snap(0, 0x0800, syn(41006))),                                   // a later fragment
		dot11(0x08, 0x01, 0, 0, snap(0, 0x0806, make([]byte, 28))),                             // ARP
		dot11(0x08, 0x01, 0, 0, snap(0, 0x0800, syn(41007)))[:20],                              // cut
		dot11(0x09, 0x01, 0, 0, snap(0, 0x0800, syn(41008))),                                   // protocol version 1
	}
	var tap [][]byte
	for _, f := range append(wrap(func(_ int, p []byte) []byte { return dataFrame(p) }), wifi...) {
		tap = append(tap, radiotap(f))
	}
	tap = append(tap,
		[]byte{0, 0, 4, 0, 0, 0, 0, 0},               // radiotap length below its 8 bytes
		radiotap(dataFrame(syn(41009)))[:10],         // cut inside the radiotap header
		append([]byte{1, 0, 8, 0, 0, 0, 0, 0}, 1, 2), // radiotap version 1
	)
	var plain, withPPI [][]byte
	for _, f := range append(wrap(func(_ int, p []byte) []byte { return dataFrame(p) }), wifi...) {
		plain = append(plain, f)
		withPPI = append(withPPI, ppi(105, f))
	}
	withPPI = append(withPPI,
		ppi(1, capEther(0x0800, syn(42000))), // Ethernet: attempt
		ppi(127, radiotap(dataFrame(syn(42001)))),
		[]byte{0, 0, 8, 0, 105, 0},                    // cut
		append([]byte{0, 0, 200, 0, 105, 0, 0, 0}, 1), // header longer than the frame
		[]byte{0, 0, 6, 0, 105, 0, 0, 0},              // header length below 8
	)
	pppFrames := append(wrap(func(i int, p []byte) []byte { return ppp(i%3 != 0, i%3 == 2, pppOf(p), p) }),
		ppp(true, false, 0xc021, make([]byte, 12)), // LCP
		ppp(false, true, 0x2d, make([]byte, 8)),    // Van Jacobson compressed TCP/IP
		[]byte{0xff, 0x03},                         // nothing after the framing
		[]byte{0x00},                               // a protocol cut
	)
	var dir [][]byte
	for i, f := range pppFrames {
		dir = append(dir, append([]byte{byte(i % 2)}, f...))
	}
	dir = append(dir, []byte{})
	hdlc := append(wrap(func(i int, p []byte) []byte {
		if i%2 == 0 {
			return ppp(true, false, pppOf(p), p)
		}
		return ciscoHDLC([]byte{0x0f, 0x8f}[i/2%2], etherOf(p), p)
	}),
		ciscoHDLC(0x8f, 0x8035, make([]byte, 20)), // SLARP keepalive
	)
	chdlc := append(wrap(func(_ int, p []byte) []byte { return ciscoHDLC(0x0f, etherOf(p), p) }),
		ciscoHDLC(0x0f, 0x0800, nil)[:3], // cut
	)
	oe := append(wrap(func(i int, p []byte) []byte { return capEther(0x8864, pppoe(ppp(false, i%2 == 1, pppOf(p), p))) }),
		capEther(0x8863, []byte{0x11, 0x09, 0, 0, 0, 0}),                                                 // discovery (PADI)
		capEther(0x8100, capCat([]byte{0, 7, 0x88, 0x64}, pppoe(ppp(false, false, 0x0021, syn(43000))))), // behind a VLAN tag: attempt
		capEther(0x8864, pppoe(ppp(false, false, 0xc021, make([]byte, 10)))),                             // LCP
		capEther(0x8864, capCat([]byte{0x21, 0x00, 0, 1, 0, 4}, ppp(false, false, 0x0021, syn(43001)))),  // version 2
		capEther(0x8864, []byte{0x11, 0})[:16],                                                           // cut
	)
	return map[string][]byte{
		"hand-radiotap-127.pcap": pcapBytes(le, false, 127, capRecs(tap...)),
		"hand-80211-105.pcap":    pcapBytes(le, false, 105, capRecs(plain...)),
		"hand-ppi-192.pcap":      pcapBytes(le, false, 192, capRecs(withPPI...)),
		"hand-ppp-9.pcap":        pcapBytes(le, false, 9, capRecs(pppFrames...)),
		"hand-pppdir-204.pcap":   pcapBytes(le, false, 204, capRecs(dir...)),
		"hand-ppphdlc-50.pcap":   pcapBytes(le, false, 50, capRecs(hdlc...)),
		"hand-chdlc-104.pcap":    pcapBytes(le, false, 104, capRecs(chdlc...)),
		"hand-pppoe.pcap":        pcapBytes(le, false, 1, capRecs(oe...)),
	}
}
