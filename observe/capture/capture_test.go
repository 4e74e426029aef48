package capture

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// Another test file of this package may own -update; share it if so.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files in testdata/")
	}
}

func capUpdating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

var capT0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func capAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

// --- hand-built packets ---------------------------------------------------

const (
	fSYN = 0x02
	fACK = 0x10
	fFIN = 0x01
	fPSH = 0x08
)

func tcpSeg(sport, dport uint16, seq uint32, flags byte) []byte {
	b := make([]byte, 20)
	binary.BigEndian.PutUint16(b[0:], sport)
	binary.BigEndian.PutUint16(b[2:], dport)
	binary.BigEndian.PutUint32(b[4:], seq)
	b[12] = 5 << 4
	b[13] = flags
	binary.BigEndian.PutUint16(b[14:], 65535)
	return b
}

func udpDgram(sport, dport uint16, payload string) []byte {
	b := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint16(b[0:], sport)
	binary.BigEndian.PutUint16(b[2:], dport)
	binary.BigEndian.PutUint16(b[4:], uint16(8+len(payload)))
	return append(b, payload...)
}

// ipv4 builds an IPv4 packet; options must be a multiple of 4 bytes.
func capIPv4(src, dst string, proto byte, options []byte, fragOff uint16, payload []byte) []byte {
	hl := 20 + len(options)
	b := make([]byte, hl, hl+len(payload))
	b[0] = 0x40 | byte(hl/4)
	binary.BigEndian.PutUint16(b[2:], uint16(hl+len(payload)))
	binary.BigEndian.PutUint16(b[6:], fragOff)
	b[8] = 64
	b[9] = proto
	s, d := capAddr(src).As4(), capAddr(dst).As4()
	copy(b[12:], s[:])
	copy(b[16:], d[:])
	copy(b[20:], options)
	binary.BigEndian.PutUint16(b[10:], ^csumFold(csum(0, b[:hl])))
	return append(b, payload...)
}

// ipv6 builds an IPv6 packet whose first header is next; payload holds any
// extension headers.
func capIPv6(src, dst string, next byte, payload []byte) []byte {
	b := make([]byte, 40, 40+len(payload))
	b[0] = 0x60
	binary.BigEndian.PutUint16(b[4:], uint16(len(payload)))
	b[6] = next
	b[7] = 64
	s, d := capAddr(src).As16(), capAddr(dst).As16()
	copy(b[8:], s[:])
	copy(b[24:], d[:])
	return append(b, payload...)
}

// ext6 builds an IPv6 options-style extension header (hop-by-hop,
// destination options, routing) of 8*(units+1) bytes.
func ext6(next byte, units int) []byte {
	b := make([]byte, 8*(units+1))
	b[0] = next
	b[1] = byte(units)
	return b
}

func frag6(next byte, off uint16, more bool) []byte {
	b := make([]byte, 8)
	b[0] = next
	v := off << 3
	if more {
		v |= 1
	}
	binary.BigEndian.PutUint16(b[2:], v)
	return b
}

func capCat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func capEther(etype uint16, payload []byte, vlans ...uint16) []byte {
	b := []byte{0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1}
	for _, tpid := range vlans {
		b = binary.BigEndian.AppendUint16(b, tpid)
		b = append(b, 0x00, 0x64) // VLAN 100
	}
	b = binary.BigEndian.AppendUint16(b, etype)
	b = append(b, payload...)
	for len(b) < 60 {
		b = append(b, 0) // Ethernet padding
	}
	return b
}

func capSLL(etype uint16, payload []byte) []byte {
	b := []byte{0, 4, 0, 1, 0, 6, 0, 0, 0, 0, 0, 1, 0, 0}
	b = binary.BigEndian.AppendUint16(b, etype)
	return append(b, payload...)
}

func capSLL2(etype uint16, payload []byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, etype)
	b = append(b, 0, 0, 0, 0, 0, 1, 0, 1, 4, 6, 0, 0, 0, 0, 0, 1, 0, 0)
	return append(b, payload...)
}

func afHeader(order binary.AppendByteOrder, af uint32, payload []byte) []byte {
	return append(order.AppendUint32(nil, af), payload...)
}

// --- hand-built files ---------------------------------------------------

type capRec struct {
	ts      time.Time
	data    []byte
	origLen int // 0: len(data)
}

// pcapBytes builds a pcap file: byte order, nanosecond stamps, link type.
func pcapBytes(order binary.AppendByteOrder, nano bool, link uint32, records []capRec) []byte {
	magic := uint32(0xa1b2c3d4)
	if nano {
		magic = 0xa1b23c4d
	}
	b := order.AppendUint32(nil, magic)
	b = order.AppendUint16(b, 2)
	b = order.AppendUint16(b, 4)
	b = order.AppendUint32(b, 0)
	b = order.AppendUint32(b, 0)
	b = order.AppendUint32(b, 65535)
	b = order.AppendUint32(b, link)
	for _, r := range records {
		frac := r.ts.Nanosecond()
		if !nano {
			frac /= 1000
		}
		orig := r.origLen
		if orig == 0 {
			orig = len(r.data)
		}
		b = order.AppendUint32(b, uint32(r.ts.Unix()))
		b = order.AppendUint32(b, uint32(frac))
		b = order.AppendUint32(b, uint32(len(r.data)))
		b = order.AppendUint32(b, uint32(orig))
		b = append(b, r.data...)
	}
	return b
}

// ngBlock appends one pcapng block with its body padded to 4 bytes.
func ngBlock(b []byte, order binary.AppendByteOrder, typ uint32, body []byte) []byte {
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	n := uint32(12 + len(body))
	b = order.AppendUint32(b, typ)
	b = order.AppendUint32(b, n)
	b = append(b, body...)
	return order.AppendUint32(b, n)
}

type ngPacket struct {
	iface uint32
	ts    time.Time
	data  []byte
}

// pcapngBytes builds a pcapng file with one interface per link type
// (microsecond stamps, the default) and enhanced packet blocks.
func pcapngBytes(order binary.AppendByteOrder, links []uint16, pkts []ngPacket) []byte {
	shb := order.AppendUint32(nil, 0x1a2b3c4d)
	shb = order.AppendUint16(shb, 1)
	shb = order.AppendUint16(shb, 0)
	shb = order.AppendUint64(shb, ^uint64(0))
	b := ngBlock(nil, order, 0x0a0d0d0a, shb)
	for _, l := range links {
		idb := order.AppendUint16(nil, l)
		idb = order.AppendUint16(idb, 0)
		idb = order.AppendUint32(idb, 65535)
		b = ngBlock(b, order, 1, idb)
	}
	for _, p := range pkts {
		us := uint64(p.ts.UnixMicro())
		epb := order.AppendUint32(nil, p.iface)
		epb = order.AppendUint32(epb, uint32(us>>32))
		epb = order.AppendUint32(epb, uint32(us))
		epb = order.AppendUint32(epb, uint32(len(p.data)))
		epb = order.AppendUint32(epb, uint32(len(p.data)))
		epb = append(epb, p.data...)
		b = ngBlock(b, order, 6, epb)
	}
	return b
}

func capRecs(pkts ...[]byte) []capRec {
	r := make([]capRec, len(pkts))
	for i, p := range pkts {
		r[i] = capRec{ts: capT0.Add(time.Duration(i)*time.Millisecond + 123), data: p}
	}
	return r
}

// mixedIP is one of each kind of IP packet, to wrap in any link header:
// attempts, non-attempts and malformed packets.
func mixedIP() [][]byte {
	v6ext := capCat(ext6(60, 0), ext6(44, 1), frag6(6, 0, false), tcpSeg(40002, 443, 7, fSYN))
	return [][]byte{
		capIPv4("192.0.2.1", "198.51.100.7", 6, nil, 0, tcpSeg(40000, 80, 1000, fSYN)),                  // attempt
		capIPv4("198.51.100.7", "192.0.2.1", 6, nil, 0, tcpSeg(80, 40000, 5000, fSYN|fACK)),             // syn-ack
		capIPv4("192.0.2.1", "198.51.100.7", 6, nil, 0, tcpSeg(40000, 80, 1001, fACK)),                  // ack
		capIPv4("192.0.2.1", "198.51.100.7", 6, nil, 0, tcpSeg(40000, 80, 1000, fSYN)),                  // retransmitted SYN
		capIPv4("192.0.2.1", "198.51.100.7", 6, []byte{1, 1, 1, 0}, 0x2000, tcpSeg(40001, 80, 9, fSYN)), // options, first fragment: attempt
		capIPv4("192.0.2.1", "198.51.100.7", 6, nil, 185, tcpSeg(40001, 80, 9, fSYN)),                   // later fragment
		capIPv4("192.0.2.1", "198.51.100.53", 17, nil, 0, udpDgram(50000, 53, "q1")),                    // attempt
		capIPv4("192.0.2.1", "198.51.100.53", 17, nil, 0, udpDgram(50000, 53, "q2")),                    // same flow
		capIPv4("192.0.2.1", "198.51.100.53", 1, nil, 0, []byte{8, 0, 0, 0}),                            // ICMP
		capIPv6("2001:db8::1", "2001:db8::2", 0, v6ext),                                                 // ext headers: attempt
		capIPv6("2001:db8::1", "2001:db8::2", 44, capCat(frag6(6, 8, false), tcpSeg(1, 2, 3, fSYN))),    // later fragment
		capIPv6("2001:db8::1", "2001:db8::53", 17, udpDgram(50001, 53, "q")),                            // attempt
		capIPv6("2001:db8::1", "2001:db8::2", 6, tcpSeg(40003, 443, 1, fSYN))[:50],                      // truncated TCP
		capIPv4("192.0.2.1", "198.51.100.7", 6, nil, 0, tcpSeg(40004, 80, 1, fSYN))[:16],                // truncated IPv4
	}
}

// handBuilt are the hand-built golden captures, one per link type (and
// byte order, time resolution, format variant).
func handBuilt() map[string][]byte {
	le, be := binary.AppendByteOrder(binary.LittleEndian), binary.AppendByteOrder(binary.BigEndian)
	m := mixedIP()
	wrap := func(f func([]byte) []byte) [][]byte {
		out := make([][]byte, len(m))
		for i, p := range m {
			out[i] = f(p)
		}
		return out
	}
	byVersion := func(p []byte, v4, v6 func([]byte) []byte) []byte {
		if p[0]>>4 == 6 {
			return v6(p)
		}
		return v4(p)
	}
	etherIP := func(p []byte) []byte {
		return byVersion(p, func(p []byte) []byte { return capEther(0x0800, p) }, func(p []byte) []byte { return capEther(0x86dd, p) })
	}
	nullAF := func(order binary.AppendByteOrder, af6 uint32) func([]byte) []byte {
		return func(p []byte) []byte {
			return byVersion(p, func(p []byte) []byte { return afHeader(order, 2, p) }, func(p []byte) []byte { return afHeader(order, af6, p) })
		}
	}
	var v4only, v6only [][]byte
	for _, p := range m {
		if p[0]>>4 == 6 {
			v6only = append(v6only, p)
		} else {
			v4only = append(v4only, p)
		}
	}
	vlan := [][]byte{
		capEther(0x8100, capCat([]byte{0, 100, 0x08, 0x00}, m[0])),                     // 802.1Q
		capEther(0x88a8, capCat([]byte{0, 100, 0x81, 0x00, 0, 200, 0x86, 0xdd}, m[9])), // 802.1ad QinQ
		capEther(0x0806, make([]byte, 28)),                                             // ARP
		capEther(0x0800, m[6]),                                                         // padded to 60 bytes
		capEther(0x8100, []byte{0, 100}),                                               // cut VLAN tag
		capEther(0x0800, m[1]),
	}
	files := linkBuilt()
	maps.Copy(files, map[string][]byte{
		"hand-ether-vlan.pcap":  pcapBytes(le, false, 1, capRecs(append(vlan, wrap(etherIP)...)...)),
		"hand-raw101.pcap":      pcapBytes(le, false, 101, capRecs(m...)),
		"hand-raw12-be-ns.pcap": pcapBytes(be, true, 12, capRecs(m...)),
		"hand-raw14.pcap":       pcapBytes(le, false, 14, capRecs(m...)),
		"hand-ipv4-228.pcap":    pcapBytes(le, false, 228, capRecs(v4only...)),
		"hand-ipv6-229.pcap":    pcapBytes(le, false, 229, capRecs(v6only...)),
		"hand-null-le.pcap":     pcapBytes(le, false, 0, capRecs(append(wrap(nullAF(le, 30)), afHeader(le, 28, m[11]), afHeader(le, 10, m[11]), afHeader(le, 7, m[0]))...)),
		"hand-null-be.pcap":     pcapBytes(be, false, 0, capRecs(append(wrap(nullAF(be, 24)), []byte{0, 0})...)),
		"hand-loop108.pcap":     pcapBytes(be, false, 108, capRecs(wrap(nullAF(be, 24))...)),
		"hand-sll113.pcap": pcapBytes(le, false, 113, capRecs(wrap(func(p []byte) []byte {
			return byVersion(p, func(p []byte) []byte { return capSLL(0x0800, p) }, func(p []byte) []byte { return capSLL(0x86dd, p) })
		})...)),
		"hand-sll2-276.pcap": pcapBytes(le, false, 276, capRecs(wrap(func(p []byte) []byte {
			return byVersion(p, func(p []byte) []byte { return capSLL2(0x0800, p) }, func(p []byte) []byte { return capSLL2(0x86dd, p) })
		})...)),
		"hand-mixed-be.pcapng": pcapngBytes(be, []uint16{1, 101}, []ngPacket{
			{0, capT0, etherIP(m[0])},
			{1, capT0.Add(time.Millisecond), m[9]},
			{0, capT0.Add(2 * time.Millisecond), etherIP(m[1])},
			{1, capT0.Add(3 * time.Millisecond), m[6]},
		}),
		"written.pcapng": mustPcapng(writtenAttempts()),
	})
	return files
}

// synth is the packet a PcapngWriter without a stack writes for a, the
// i'th attempt.
func synth(a Attempt, i int) []byte {
	w := &PcapngWriter{n: i}
	return bytes.Clone(w.synth(a))
}

func mustPcapng(as []Attempt) []byte {
	var buf bytes.Buffer
	if err := WritePcapng(&buf, as); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// writtenAttempts cover both families and protocols, a reused 4-tuple,
// ports 0 and 65535 and nanosecond times.
func writtenAttempts() []Attempt {
	return []Attempt{
		{Time: capT0.Add(1), Proto: TCP, Src: capAddr("10.0.0.1"), SrcPort: 49152, Dst: capAddr("10.0.0.2"), DstPort: 443},
		{Time: capT0.Add(2), Proto: UDP, Src: capAddr("10.0.0.1"), SrcPort: 49153, Dst: capAddr("10.0.0.53"), DstPort: 53},
		{Time: capT0.Add(3), Proto: TCP, Src: capAddr("2001:db8::1"), SrcPort: 65535, Dst: capAddr("2001:db8::2"), DstPort: 0},
		{Time: capT0.Add(4), Proto: UDP, Src: capAddr("2001:db8::1"), SrcPort: 0, Dst: capAddr("2001:db8::53"), DstPort: 53},
		{Time: capT0.Add(time.Minute), Proto: TCP, Src: capAddr("10.0.0.1"), SrcPort: 49152, Dst: capAddr("10.0.0.2"), DstPort: 443},
		{Time: capT0.Add(time.Hour + 999999999), Proto: TCP, Src: capAddr("::ffff:10.0.0.1"), SrcPort: 1, Dst: capAddr("::ffff:10.0.0.2"), DstPort: 2},
	}
}

// summary renders what a capture holds, for golden files.
func capSummary(c *Capture) string {
	var b strings.Builder
	links := make([]string, len(c.LinkTypes))
	for i, l := range c.LinkTypes {
		links[i] = l.String()
	}
	fmt.Fprintf(&b, "format %s\nlink types %s\n", c.Format, strings.Join(links, ", "))
	fmt.Fprintf(&b, "packets %d, attempts %d, not attempts %d, malformed %d, flow overflow %d, truncated %v\n",
		c.Packets, c.Attempts.Len(), c.NotAttempts, c.Malformed, c.FlowOverflow, c.Truncated)
	if c.LongRecords > 0 {
		fmt.Fprintf(&b, "records longer than the snap length: %d\n", c.LongRecords)
	}
	for _, m := range []struct {
		name string
		by   map[string]int
	}{{"not attempts", c.NotAttemptsBy}, {"malformed", c.MalformedBy}} {
		keys := make([]string, 0, len(m.by))
		for k := range m.by {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "%s: %s %d\n", m.name, k, m.by[k])
		}
	}
	for a := range c.Attempts.All() {
		fmt.Fprintf(&b, "%s %s > %s %s", a.Proto, netip.AddrPortFrom(a.Src, a.SrcPort), netip.AddrPortFrom(a.Dst, a.DstPort), a.Time.Format(time.RFC3339Nano))
		if a.HasStack {
			fmt.Fprintf(&b, " id %d %v", a.IPID, a.Stack)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// all is c's attempts as a slice.
func all(c *Capture) []Attempt { return slices.Collect(c.Attempts.All()) }

func checkCounts(t *testing.T, c *Capture) {
	t.Helper()
	if got := c.Attempts.Len() + c.NotAttempts + c.Malformed; got != c.Packets {
		t.Errorf("attempts %d + not attempts %d + malformed %d = %d, want packets %d",
			c.Attempts.Len(), c.NotAttempts, c.Malformed, got, c.Packets)
	}
	n := 0
	for _, v := range c.NotAttemptsBy {
		n += v
	}
	if n != c.NotAttempts {
		t.Errorf("NotAttemptsBy adds up to %d, want %d", n, c.NotAttempts)
	}
	n = 0
	for _, v := range c.MalformedBy {
		n += v
	}
	if n != c.Malformed {
		t.Errorf("MalformedBy adds up to %d, want %d", n, c.Malformed)
	}
}

// TestGoldenCaptures reads every capture in testdata and compares what it
// found with the .golden file beside it. The hand-built captures are made
// here; -update writes them (and the goldens) anew.
func TestGoldenCaptures(t *testing.T) {
	for name, data := range handBuilt() {
		path := filepath.Join("testdata", name)
		if capUpdating() {
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		disk, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update)", err)
		}
		if !bytes.Equal(disk, data) {
			t.Errorf("%s differs from what the test builds; run go test -update if the change is meant", path)
		}
	}
	all, err := filepath.Glob("testdata/*.pcap*")
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, f := range all {
		if !strings.HasSuffix(f, ".golden") {
			files = append(files, f)
		}
	}
	if len(files) < 12 {
		t.Fatalf("found %d captures in testdata, want at least 12", len(files))
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			c, err := ReadFile(path, ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			checkCounts(t, c)
			if c.Attempts.Len() == 0 {
				t.Error("no attempts")
			}
			capGolden(t, strings.TrimSuffix(path, ".gz")+".golden", capSummary(c))
		})
	}
}

func capGolden(t *testing.T, path, got string) {
	t.Helper()
	if capUpdating() {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s: got\n%s\nwant\n%s", path, got, want)
	}
}

// TestRealCaptures checks the tcpdump captures of loopback traffic (curl
// to a local HTTP server over IPv4 and IPv6, then two UDP sockets per
// family, the first sending two datagrams) against what tcpdump showed.
func TestRealCaptures(t *testing.T) {
	want := []struct {
		proto    Proto
		src, dst string
	}{
		{TCP, "127.0.0.1:37362", "127.0.0.1:18080"},
		{TCP, "[::1]:42866", "[::1]:18081"},
		{UDP, "127.0.0.1:41126", "127.0.0.1:18082"},
		{UDP, "127.0.0.1:51925", "127.0.0.1:18082"},
		{UDP, "[::1]:55522", "[::1]:18082"},
		{UDP, "[::1]:59886", "[::1]:18082"},
	}
	for _, tc := range []struct {
		file   string
		format string
		link   LinkType
	}{
		{"lo-ether.pcap", "pcap", LinkEthernet},
		{"lo-ether-nano.pcap", "pcap-ns", LinkEthernet},
		{"any-sll.pcap", "pcap", LinkLinuxSLL},
		{"any-sll2.pcap", "pcap", LinkLinuxSLL2},
	} {
		t.Run(tc.file, func(t *testing.T) {
			c, err := ReadFile(filepath.Join("testdata", tc.file), ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if c.Format != tc.format || !slices.Equal(c.LinkTypes, []LinkType{tc.link}) {
				t.Errorf("format %q, link types %v; want %q, [%v]", c.Format, c.LinkTypes, tc.format, tc.link)
			}
			if c.Packets != 30 || c.Malformed != 0 || c.Truncated {
				t.Errorf("packets %d, malformed %d, truncated %v; want 30, 0, false", c.Packets, c.Malformed, c.Truncated)
			}
			if c.NotAttemptsBy["tcp syn-ack"] != 2 || c.NotAttemptsBy["udp flow seen"] != 2 {
				t.Errorf("not attempts by reason %v; want 2 syn-acks and 2 repeated udp flows", c.NotAttemptsBy)
			}
			if c.Attempts.Len() != len(want) {
				t.Fatalf("%d attempts, want %d:\n%s", c.Attempts.Len(), len(want), capSummary(c))
			}
			for i, w := range want {
				a := c.Attempts.Attempt(i)
				src, dst := netip.AddrPortFrom(a.Src, a.SrcPort).String(), netip.AddrPortFrom(a.Dst, a.DstPort).String()
				if a.Proto != w.proto || src != w.src || dst != w.dst {
					t.Errorf("attempt %d: %v %s > %s, want %v %s > %s", i, a.Proto, src, dst, w.proto, w.src, w.dst)
				}
				if a.Time.Year() != 2026 {
					t.Errorf("attempt %d: time %v, want the day of the capture", i, a.Time)
				}
			}
		})
	}
}

// TestDecode checks one packet at a time, in a raw IP or Ethernet pcap.
func TestDecode(t *testing.T) {
	syn := tcpSeg(40000, 80, 1, fSYN)
	for _, tc := range []struct {
		name   string
		link   uint32
		pkts   [][]byte
		want   int    // attempts
		reason string // reason counted for the last packet, if not an attempt
	}{
		{"syn", 101, [][]byte{capIPv4("10.0.0.1", "10.0.0.2", 6, nil, 0, syn)}, 1, ""},
		{"syn-ack", 101, [][]byte{capIPv4("10.0.0.2", "10.0.0.1", 6, nil, 0, tcpSeg(80, 40000, 1, fSYN|fACK))}, 0, "tcp syn-ack"},
		{"ack", 101, [][]byte{capIPv4("10.0.0.1", "10.0.0.2", 6, nil, 0, tcpSeg(40000, 80, 1, fACK))}, 0, "tcp without syn"},
		{"fin", 101, [][]byte{capIPv4("10.0.0.1", "10.0.0.2", 6, nil, 0, tcpSeg(40000, 80, 1, fFIN|fACK))}, 0, "tcp without syn"},
		{"syn retransmitted", 101, [][]byte{capIPv4("10.0.0.1", "10.0.0.2", 6, nil, 0, syn), capIPv4("10.0.0.1", "10.0.0.2", 6, nil, 0, syn)}, 1, "tcp syn retransmission"},
		{"4-tuple reused with new isn", 101, [][]byte{capIPv4("10.0.0.1", "10.0.0.2", 6, nil, 0, syn), capIPv4("10.0.0.1", "10.0.0.2", 6, nil, 0, tcpSeg(40000, 80, 2, fSYN))}, 2, ""},
		{"udp first", 101, [][]byte{capIPv4("10.0.0.1", "10.0.0.2", 17, nil, 0, udpDgram(5000, 53, "a"))}, 1, ""},
		{"udp second", 101, [][]byte{capIPv4("10.0.0.1", "10.0.0.2", 17, nil, 0, udpDgram(5000, 53, "a")), capIPv4("10.0.0.1", "10.0.0.2", 17, nil, 0, udpDgram(5000, 53, "b"))}, 1, "udp flow seen"},
		{"udp reply is not an attempt", 101, [][]byte{capIPv4("10.0.0.1", "10.0.0.2", 17, nil, 0, udpDgram(5000, 53, "a")), capIPv4("10.0.0.2", "10.0.0.1", 17, nil, 0, udpDgram(53, 5000, "b"))}, 1, "udp reply"},
		{"udp replies are all replies", 101, [][]byte{capIPv4("10.0.0.1", "10.0.0.2", 17, nil, 0, udpDgram(5000, 53, "a")), capIPv4("10.0.0.2", "10.0.0.1", 17, nil, 0, udpDgram(53, 5000, "b")), capIPv4("10.0.0.2", "10.0.0.1", 17, nil, 0, udpDgram(53, 5000, "c"))}, 1, "udp reply"},
		{"udp from the other side first is an attempt", 101, [][]byte{capIPv4("10.0.0.2", "10.0.0.1", 17, nil, 0, udpDgram(53, 5000, "b")), capIPv4("10.0.0.1", "10.0.0.2", 17, nil, 0, udpDgram(5000, 53, "a"))}, 1, "udp reply"},
		{"udp other port back is a flow of its own", 101, [][]byte{capIPv4("10.0.0.1", "10.0.0.2", 17, nil, 0, udpDgram(5000, 53, "a")), capIPv4("10.0.0.2", "10.0.0.1", 17, nil, 0, udpDgram(53, 5001, "b"))}, 2, ""},
		{"udp same ports other dst", 101, [][]byte{capIPv4("10.0.0.1", "10.0.0.2", 17, nil, 0, udpDgram(5000, 53, "a")), capIPv4("10.0.0.1", "10.0.0.3", 17, nil, 0, udpDgram(5000, 53, "b"))}, 2, ""},
		{"ipv4 options", 101, [][]byte{capIPv4("10.0.0.1", "10.0.0.2", 6, []byte{7, 7, 4, 0, 0, 0, 0, 1}, 0, syn)}, 1, ""},
		{"ipv4 ihl too small", 101, [][]byte{func() []byte { p := capIPv4("10.0.0.1", "10.0.0.2", 6, nil, 0, syn); p[0] = 0x44; return p }()}, 0, "bad ip header"},
		{"ipv4 total length 0 (TSO)", 101, [][]byte{func() []byte { p := capIPv4("10.0.0.1", "10.0.0.2", 6, nil, 0, syn); p[2], p[3] = 0, 0; return p }()}, 1, ""},
		{"ipv4 total length below header", 101, [][]byte{func() []byte { p := capIPv4("10.0.0.1", "10.0.0.2", 6, nil, 0, syn); p[2], p[3] = 0, 19; return p }()}, 0, "bad ip header"},
		{"ipv4 total length cuts tcp", 101, [][]byte{func() []byte { p := capIPv4("10.0.0.1", "10.0.0.2", 6, nil, 0, syn); p[2], p[3] = 0, 30; return p }()}, 0, "truncated tcp header"},
		{"ipv4 first fragment", 101, [][]byte{capIPv4("10.0.0.1", "10.0.0.2", 6, nil, 0x2000, syn)}, 1, ""},
		{"ipv4 later fragment", 101, [][]byte{capIPv4("10.0.0.1", "10.0.0.2", 6, nil, 0x2001, syn)}, 0, "ip fragment after the first"},
		{"ipv4 icmp", 101, [][]byte{capIPv4("10.0.0.1", "10.0.0.2", 1, nil, 0, make([]byte, 8))}, 0, "not tcp or udp"},
		{"ipv4 truncated header", 101, [][]byte{capIPv4("10.0.0.1", "10.0.0.2", 6, nil, 0, syn)[:19]}, 0, "truncated ip header"},
		{"ipv4 options cut", 101, [][]byte{capIPv4("10.0.0.1", "10.0.0.2", 6, []byte{1, 1, 1, 0}, 0, syn)[:22]}, 0, "truncated ip header"},
		{"tcp 13 bytes", 101, [][]byte{capIPv4("10.0.0.1", "10.0.0.2", 6, nil, 0, syn)[:33]}, 0, "truncated tcp header"},
		{"tcp 14 bytes is enough", 101, [][]byte{capIPv4("10.0.0.1", "10.0.0.2", 6, nil, 0, syn)[:34]}, 1, ""},
		{"tcp data offset 4", 101, [][]byte{capIPv4("10.0.0.1", "10.0.0.2", 6, nil, 0, func() []byte { s := tcpSeg(1, 2, 3, fSYN); s[12] = 4 << 4; return s }())}, 0, "bad tcp data offset"},
		{"udp 7 bytes", 101, [][]byte{capIPv4("10.0.0.1", "10.0.0.2", 17, nil, 0, udpDgram(1, 2, ""))[:27]}, 0, "truncated udp header"},
		{"empty packet", 101, [][]byte{{}}, 0, "truncated ip header"},
		{"ip version 5", 101, [][]byte{{0x50, 0, 0, 0}}, 0, "bad ip header"},
		{"ipv6 syn", 101, [][]byte{capIPv6("::1", "::2", 6, syn)}, 1, ""},
		{"ipv6 hop-by-hop, routing, dest opts, first fragment", 101, [][]byte{capIPv6("::1", "::2", 0, capCat(ext6(43, 1), ext6(60, 0), ext6(44, 2), frag6(6, 0, true), syn))}, 1, ""},
		{"ipv6 later fragment", 101, [][]byte{capIPv6("::1", "::2", 44, capCat(frag6(6, 1, true), syn))}, 0, "ip fragment after the first"},
		{"ipv6 ah", 101, [][]byte{capIPv6("::1", "::2", 51, capCat([]byte{17, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, udpDgram(1, 2, "")))}, 1, ""},
		{"ipv6 esp", 101, [][]byte{capIPv6("::1", "::2", 50, make([]byte, 16))}, 0, "not tcp or udp"},
		{"ipv6 no next header", 101, [][]byte{capIPv6("::1", "::2", 59, nil)}, 0, "not tcp or udp"},
		{"ipv6 ext header cut", 101, [][]byte{capIPv6("::1", "::2", 0, ext6(6, 1)[:12])}, 0, "truncated ipv6 extension header"},
		{"ipv6 ext header length past end", 101, [][]byte{capIPv6("::1", "::2", 60, capCat(ext6(6, 0)[:1], []byte{200, 0, 0, 0, 0, 0, 0}, syn))}, 0, "truncated ipv6 extension header"},
		{"ipv6 truncated", 101, [][]byte{capIPv6("::1", "::2", 6, syn)[:39]}, 0, "truncated ip header"},
		{"ipv6 payload length trims", 101, [][]byte{func() []byte { p := capIPv6("::1", "::2", 6, syn); p[4], p[5] = 0, 10; return p }()}, 0, "truncated tcp header"},
		{"ethernet short", 1, [][]byte{make([]byte, 13)}, 0, "truncated link header"},
		{"ethernet arp", 1, [][]byte{capEther(0x0806, make([]byte, 28))}, 0, "not ip"},
		{"ethernet type says ipv4, packet is ipv6", 1, [][]byte{capEther(0x0800, capIPv6("::1", "::2", 6, syn))}, 0, "bad ip header"},
		{"ethernet three vlan tags", 1, [][]byte{capEther(0x88a8, capCat([]byte{0, 1, 0x91, 0x00, 0, 2, 0x81, 0x00, 0, 3, 0x08, 0x00}, capIPv4("10.0.0.1", "10.0.0.2", 6, nil, 0, syn)))}, 1, ""},
		{"ethernet vlan cut", 1, [][]byte{capEther(0x8100, []byte{0, 1, 0x08})[:17]}, 0, "truncated link header"},
		{"sll short", 113, [][]byte{make([]byte, 15)}, 0, "truncated link header"},
		{"sll2 short", 276, [][]byte{make([]byte, 19)}, 0, "truncated link header"},
		{"null short", 0, [][]byte{{2, 0, 0}}, 0, "truncated link header"},
		{"null unknown family", 0, [][]byte{afHeader(binary.LittleEndian, 17, syn)}, 0, "not ip"},
		{"null big-endian family in a little-endian file", 0, [][]byte{afHeader(binary.BigEndian, 30, capIPv6("::1", "::2", 6, syn))}, 1, ""},
		{"loop little-endian family is not ip", 108, [][]byte{afHeader(binary.LittleEndian, 2, capIPv4("10.0.0.1", "10.0.0.2", 6, nil, 0, syn))}, 0, "not ip"},
		{"raw ipv4 link with ipv6", 228, [][]byte{capIPv6("::1", "::2", 6, syn)}, 0, "bad ip header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Read(bytes.NewReader(pcapBytes(binary.LittleEndian, false, tc.link, capRecs(tc.pkts...))), ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			checkCounts(t, c)
			if c.Attempts.Len() != tc.want {
				t.Errorf("%d attempts, want %d\n%s", c.Attempts.Len(), tc.want, capSummary(c))
			}
			if tc.reason != "" && c.NotAttemptsBy[tc.reason]+c.MalformedBy[tc.reason] == 0 {
				t.Errorf("no packet counted as %q\n%s", tc.reason, capSummary(c))
			}
		})
	}
}

func TestWritePcapngRoundTrip(t *testing.T) {
	v4 := Attempt{Time: capT0, Proto: TCP, Src: capAddr("192.0.2.1"), SrcPort: 32768, Dst: capAddr("198.51.100.1"), DstPort: 80}
	v6 := Attempt{Time: capT0.Add(time.Nanosecond), Proto: TCP, Src: capAddr("2001:db8::1"), SrcPort: 60999, Dst: capAddr("2001:db8::80"), DstPort: 8080}
	u4, u6 := v4, v6
	u4.Proto, u6.Proto = UDP, UDP
	later := func(a Attempt, d time.Duration) Attempt { a.Time = a.Time.Add(d); return a }
	for _, tc := range []struct {
		name string
		in   []Attempt
	}{
		{"none", nil},
		{"ipv4 tcp", []Attempt{v4}},
		{"ipv6 tcp", []Attempt{v6}},
		{"ipv4 udp", []Attempt{u4}},
		{"ipv6 udp", []Attempt{u6}},
		{"mixed", []Attempt{v4, u6, v6, u4}},
		{"tcp 4-tuple reused", []Attempt{v4, later(v4, time.Minute), later(v4, time.Minute)}},
		{"epoch and far future", []Attempt{later(v4, -capT0.Sub(time.Unix(0, 0))), later(v6, time.Unix(0, 1<<62).Sub(capT0))}},
		{"many", writtenAttempts()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WritePcapng(&buf, tc.in); err != nil {
				t.Fatal(err)
			}
			c, err := Read(bytes.NewReader(buf.Bytes()), ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if c.Format != "pcapng" || c.Packets != len(tc.in) || c.Malformed+c.NotAttempts != 0 {
				t.Errorf("format %q, %d packets, %d malformed, %d not attempts; want pcapng, %d, 0, 0", c.Format, c.Packets, c.Malformed, c.NotAttempts, len(tc.in))
			}
			if len(tc.in) > 0 && !slices.Equal(c.LinkTypes, []LinkType{LinkRaw}) {
				t.Errorf("link types %v, want [101]", c.LinkTypes)
			}
			sameAttempts(t, all(c), tc.in)
			var again bytes.Buffer
			if err := WritePcapng(&again, tc.in); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), again.Bytes()) {
				t.Error("two writes of the same attempts differ")
			}
		})
	}
}

func sameAttempts(t *testing.T, got, want []Attempt) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d attempts, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if !g.Time.Equal(w.Time) || g.Proto != w.Proto || g.Src != w.Src || g.SrcPort != w.SrcPort || g.Dst != w.Dst || g.DstPort != w.DstPort {
			t.Errorf("attempt %d: got %+v, want %+v", i, g, w)
		}
		// What has no stack may come back with one: a default SYN's.
		if w.HasStack && (!g.HasStack || g.Stack != w.Stack || g.IPID != w.IPID) {
			t.Errorf("attempt %d: stack %v %+v, IP ID %d; want %+v, IP ID %d", i, g.HasStack, g.Stack, g.IPID, w.Stack, w.IPID)
		}
	}
}

// TestWritePcapngChecksums checks each synthetic packet as a receiver
// would: the one's-complement sum over a header with its checksum is 0xffff.
func TestWritePcapngChecksums(t *testing.T) {
	for i, a := range writtenAttempts() {
		p := synth(a, i)
		checkSum(t, i, a, p)
		l4 := p[20:]
		if p[0]>>4 == 6 {
			l4 = p[40:]
		}
		if a.Proto == TCP && (l4[13] != fSYN || l4[12]>>4 != 6 || l4[20] != 2 || l4[21] != 4) {
			t.Errorf("attempt %d: TCP flags %#x, data offset %d, option %d/%d; want SYN, 6, MSS", i, l4[13], l4[12]>>4, l4[20], l4[21])
		}
	}
}

// checkSum checks the lengths and checksums of p, attempt i's packet.
func checkSum(t *testing.T, i int, a Attempt, p []byte) {
	t.Helper()
	var pseudo uint32
	var l4 []byte
	if p[0]>>4 == 4 {
		if got := csumFold(csum(0, p[:20])); got != 0xffff {
			t.Errorf("attempt %d: IPv4 header sums to %#x, want 0xffff", i, got)
		}
		if int(binary.BigEndian.Uint16(p[2:])) != len(p) {
			t.Errorf("attempt %d: IPv4 total length %d, packet %d bytes", i, binary.BigEndian.Uint16(p[2:]), len(p))
		}
		l4 = p[20:]
		pseudo = csum(0, p[12:20])
	} else {
		if int(binary.BigEndian.Uint16(p[4:])) != len(p)-40 {
			t.Errorf("attempt %d: IPv6 payload length %d, packet %d bytes", i, binary.BigEndian.Uint16(p[4:]), len(p))
		}
		l4 = p[40:]
		pseudo = csum(0, p[8:40])
	}
	pseudo += uint32(a.Proto) + uint32(len(l4))
	if got := csumFold(csum(pseudo, l4)); got != 0xffff {
		t.Errorf("attempt %d: %v segment sums to %#x, want 0xffff", i, a.Proto, got)
	}
	if a.Proto == TCP && int(l4[12]>>4)*4 != len(l4) {
		t.Errorf("attempt %d: TCP data offset %d, segment %d bytes", i, l4[12]>>4, len(l4))
	}
}

func TestWritePcapngErrors(t *testing.T) {
	ok := Attempt{Time: capT0, Proto: TCP, Src: capAddr("10.0.0.1"), SrcPort: 1, Dst: capAddr("10.0.0.2"), DstPort: 2}
	with := func(f func(*Attempt)) []Attempt { a := ok; f(&a); return []Attempt{ok, a} }
	for _, tc := range []struct {
		name string
		in   []Attempt
		want string
	}{
		{"proto", with(func(a *Attempt) { a.Proto = 1 }), "attempt 1: proto proto(1): want tcp or udp"},
		{"no src", with(func(a *Attempt) { a.Src = netip.Addr{} }), "attempt 1: src: no address"},
		{"no dst", with(func(a *Attempt) { a.Dst = netip.Addr{} }), "attempt 1: dst: no address"},
		{"families", with(func(a *Attempt) { a.Dst = capAddr("::1") }), "attempt 1: src 10.0.0.1 and dst ::1: want both IPv4 or both IPv6"},
		{"before 1970", with(func(a *Attempt) { a.Time = time.Time{} }), "attempt 1: time 0001-01-01 00:00:00 +0000 UTC: want 1970-01-01 to 2262-04-11"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := WritePcapng(&buf, tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes before failing", buf.Len())
			}
		})
	}
}

func TestTruncatedFile(t *testing.T) {
	for _, name := range []string{"lo-ether.pcap", "written.pcapng", "hand-mixed-be.pcapng", "lo-ether-nano.pcap"} {
		full, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		whole, err := Read(bytes.NewReader(full), ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if whole.Truncated {
			t.Fatalf("%s: whole file reads as truncated", name)
		}
		// Cut the file at every length past its header: each read keeps
		// a prefix of the attempts, and says it was cut unless the cut
		// falls between records.
		cuts := 0
		for n := len(full) - 1; n >= 100; n-- {
			c, err := Read(bytes.NewReader(full[:n]), ReadOptions{})
			if err != nil {
				t.Fatalf("%s cut to %d bytes: %v", name, n, err)
			}
			checkCounts(t, c)
			if c.Truncated {
				cuts++
			}
			if c.Attempts.Len() > whole.Attempts.Len() {
				t.Fatalf("%s cut to %d bytes: %d attempts, more than the whole file's %d", name, n, c.Attempts.Len(), whole.Attempts.Len())
			}
			sameAttempts(t, all(c), all(whole)[:c.Attempts.Len()])
		}
		if cuts == 0 {
			t.Errorf("%s: no cut was reported as truncated", name)
		}
	}
	// A record cut in its data, right after the record header.
	one := pcapBytes(binary.LittleEndian, false, 101, capRecs(capIPv4("10.0.0.1", "10.0.0.2", 6, nil, 0, tcpSeg(1, 2, 3, fSYN)), capIPv4("10.0.0.1", "10.0.0.2", 6, nil, 0, tcpSeg(4, 5, 6, fSYN))))
	c, err := Read(bytes.NewReader(one[:len(one)-40]), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Truncated || c.Attempts.Len() != 1 || c.Packets != 1 {
		t.Errorf("cut after a record header: truncated %v, %d attempts, %d packets; want true, 1, 1", c.Truncated, c.Attempts.Len(), c.Packets)
	}
}

func TestReadErrors(t *testing.T) {
	syn := capIPv4("10.0.0.1", "10.0.0.2", 6, nil, 0, tcpSeg(1, 2, 3, fSYN))
	badRecord := pcapBytes(binary.LittleEndian, false, 101, capRecs(syn, syn))
	binary.LittleEndian.PutUint32(badRecord[24+16+len(syn)+8:], 300000) // second record's caplen
	for _, tc := range []struct {
		name string
		in   []byte
		want []string
	}{
		{"empty", nil, []string{"empty input"}},
		{"elf", []byte("\x7fELF\x02\x01\x01\x00\x00\x00"), []string{"not a capture: starts with bytes 7f 45 4c 46 02 01 01 00", "pcapng", "CSV header"}},
		{"text without header", []byte("hello, world\n1,2,3\n"), []string{"not a capture"}},
		{"pcap header cut", pcapBytes(binary.LittleEndian, false, 1, nil)[:20], []string{"pcap header: file ends after 20 of 24 bytes"}},
		{"pcap prism", pcapBytes(binary.LittleEndian, false, 119, capRecs(syn)), []string{"pcap header: link type 119 (Prism) is not supported", "1 (Ethernet)", "127 (802.11 radiotap)", "276 (Linux SLL2)"}},
		{"pcap unknown big-endian", pcapBytes(binary.BigEndian, true, 4000, capRecs(syn)), []string{"link type 4000 is not supported"}},
		{"pcap reserved link bits", pcapBytes(binary.LittleEndian, false, 1|1<<20, capRecs(syn)), []string{"link type 1048577 is not supported"}},
		{"pcap bad version", func() []byte { b := pcapBytes(binary.LittleEndian, false, 1, nil); b[4] = 3; return b }(), []string{"pcap header: Unknown major version 3"}},
		{"pcap record too long", badRecord, []string{"packet 2: capture length exceeds snap length: 300000"}},
		{"pcapng pflog", pcapngBytes(binary.LittleEndian, []uint16{101, 117}, []ngPacket{{0, capT0, syn}, {1, capT0, syn}}), []string{"packet 2 (interface 1): link type 117 (PFLog) is not supported", "supported: 0 (NULL)"}},
		{"pcapng bad interface", pcapngBytes(binary.LittleEndian, []uint16{101}, []ngPacket{{0, capT0, syn}, {3, capT0, syn}}), []string{"packet 2: Interface id 3 not present"}},
		{"pcapng header cut", pcapngBytes(binary.LittleEndian, nil, nil)[:20], []string{"pcapng section header: file ends inside it"}},
		{"gzip garbage", []byte{0x1f, 0x8b, 1, 2, 3}, []string{"gzip header"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Read(bytes.NewReader(tc.in), ReadOptions{})
			if err == nil {
				t.Fatalf("no error; read %s", capSummary(c))
			}
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Errorf("error %v is a %T, want an *InputError", err, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

type capFailReader struct{ n int }

func (f *capFailReader) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errors.New("disk on fire")
	}
	n := copy(p[:min(len(p), f.n)], mustPcapng(writtenAttempts()))
	f.n -= n
	return n, nil
}

func TestReadIOError(t *testing.T) {
	_, err := Read(&capFailReader{n: 100}, ReadOptions{})
	var ie *InputError
	if err == nil || !strings.Contains(err.Error(), "disk on fire") || errors.As(err, &ie) {
		t.Errorf("error %v (%T), want the reader's own error, not an *InputError", err, err)
	}
	_, err = ReadFile(filepath.Join("testdata", "no-such-file.pcap"), ReadOptions{})
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: error %v, want os.ErrNotExist", err)
	}
}

func TestReadFileNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(path, []byte("src,sport,dst,dport,time\n10.0.0.1,1,10.0.0.2,99999,0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadFile(path, ReadOptions{})
	want := path + `: line 2: dport "99999": want a port 0-65535`
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
}

func TestLimits(t *testing.T) {
	pkts := make([][]byte, 0, 20)
	for i := range 10 {
		pkts = append(pkts, capIPv4("10.0.0.1", "10.0.0.2", 17, nil, 0, udpDgram(uint16(1000+i), 53, "")))
		pkts = append(pkts, capIPv4("10.0.0.1", "10.0.0.2", 6, nil, 0, tcpSeg(uint16(2000+i), 80, 1, fSYN)))
	}
	file := pcapBytes(binary.LittleEndian, false, 101, capRecs(pkts...))

	_, err := Read(bytes.NewReader(file), ReadOptions{MaxAttempts: 19})
	if !errors.Is(err, ErrTooManyAttempts) || !strings.Contains(err.Error(), "packet 20: too many attempts: more than 19; raise the limit with --max-attempts") {
		t.Errorf("MaxAttempts 19: error %v", err)
	}
	if _, err := Read(bytes.NewReader(file), ReadOptions{MaxAttempts: 20}); err != nil {
		t.Errorf("MaxAttempts 20: %v", err)
	}
	csvIn := "src,sport,dst,dport,time\n10.0.0.1,1,10.0.0.2,2,0\n10.0.0.1,1,10.0.0.2,2,1\n"
	_, err = Read(strings.NewReader(csvIn), ReadOptions{MaxAttempts: 1})
	if !errors.Is(err, ErrTooManyAttempts) || !strings.HasPrefix(err.Error(), "line 3: ") {
		t.Errorf("CSV, MaxAttempts 1: error %v", err)
	}

	// With 4 flows remembered, later new UDP flows are not attempts but
	// later SYNs still are.
	c, err := Read(bytes.NewReader(file), ReadOptions{MaxFlows: 4})
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, c)
	if c.Attempts.Len() != 2+10 || c.FlowOverflow != 16 || c.NotAttemptsBy["udp flow not tracked (MaxFlows reached)"] != 8 {
		t.Errorf("MaxFlows 4: %d attempts, flow overflow %d; want 12, 16\n%s", c.Attempts.Len(), c.FlowOverflow, capSummary(c))
	}

	// Replies to the flows remembered are replies even when the table is
	// full.
	var replies [][]byte
	for i := range 6 {
		replies = append(replies, capIPv4("10.0.0.1", "10.0.0.2", 17, nil, 0, udpDgram(uint16(1000+i), 53, "")))
	}
	for i := range 6 {
		replies = append(replies, capIPv4("10.0.0.2", "10.0.0.1", 17, nil, 0, udpDgram(53, uint16(1000+i), "")))
	}
	c, err = Read(bytes.NewReader(pcapBytes(binary.LittleEndian, false, 101, capRecs(replies...))), ReadOptions{MaxFlows: 4})
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, c)
	if c.Attempts.Len() != 4 || c.NotAttemptsBy["udp reply"] != 4 || c.NotAttemptsBy["udp flow not tracked (MaxFlows reached)"] != 4 {
		t.Errorf("MaxFlows 4, 6 flows and their replies: %d attempts; want 4, 4 replies, 4 untracked\n%s", c.Attempts.Len(), capSummary(c))
	}

	for _, o := range []ReadOptions{{MaxAttempts: -1}, {MaxFlows: -1}} {
		if _, err := Read(bytes.NewReader(file), o); err == nil || !strings.Contains(err.Error(), "want 1 or more") {
			t.Errorf("%+v: error %v", o, err)
		}
	}
	// Address indices are 31 bits: two per attempt at most.
	if _, err := Read(bytes.NewReader(file), ReadOptions{MaxAttempts: 1 << 30}); err == nil || !strings.Contains(err.Error(), "want at most 1073741822") {
		t.Errorf("MaxAttempts 2^30: error %v", err)
	}
}

func TestGzip(t *testing.T) {
	for _, name := range []string{"lo-ether.pcap", "written.pcapng"} {
		raw, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(raw)
		zw.Close()
		plain, err := Read(bytes.NewReader(raw), ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		c, err := Read(bytes.NewReader(z.Bytes()), ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if c.Format != plain.Format+"+gzip" {
			t.Errorf("format %q, want %q", c.Format, plain.Format+"+gzip")
		}
		sameAttempts(t, all(c), all(plain))
		// A cut gzip stream is a cut capture.
		c, err = Read(bytes.NewReader(z.Bytes()[:z.Len()*2/3]), ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !c.Truncated {
			t.Errorf("%s.gz cut: not truncated", name)
		}
	}
}

func TestReadCSV(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want []Attempt
	}{
		{"canonical", "src,sport,dst,dport,time,proto\n10.0.0.1,40000,10.0.0.2,443,2024-05-01T12:00:00.000000001Z,tcp\n::1,5353,::2,53,2024-05-01T12:00:01Z,udp\n",
			[]Attempt{
				{Time: capT0.Add(1), Proto: TCP, Src: capAddr("10.0.0.1"), SrcPort: 40000, Dst: capAddr("10.0.0.2"), DstPort: 443},
				{Time: capT0.Add(time.Second), Proto: UDP, Src: capAddr("::1"), SrcPort: 5353, Dst: capAddr("::2"), DstPort: 53},
			}},
		{"columns in another order, no proto, epoch seconds", "time,dport,dst,sport,src\n1714564800.5,443,10.0.0.2,40000,10.0.0.1\n",
			[]Attempt{{Time: capT0.Add(500 * time.Millisecond), Proto: TCP, Src: capAddr("10.0.0.1"), SrcPort: 40000, Dst: capAddr("10.0.0.2"), DstPort: 443}}},
		{"spaces, case, CRLF, BOM, extra column, quotes", "\ufeff Src , SPORT,dst,dport,time,Proto,note\r\n10.0.0.1, 1,10.0.0.2,2, 2024-05-01 12:00:00+00:00,UDP,\"a, b\"\r\n",
			[]Attempt{{Time: capT0, Proto: UDP, Src: capAddr("10.0.0.1"), SrcPort: 1, Dst: capAddr("10.0.0.2"), DstPort: 2}}},
		{"seconds since another epoch, protocol numbers", "src,sport,dst,dport,time,proto\n10.0.0.1,1,10.0.0.2,2,0.000000001999,17\n10.0.0.1,1,10.0.0.2,2,12,6\n10.0.0.1,1,10.0.0.2,2,-1.5,\n",
			[]Attempt{
				{Time: time.Unix(0, 1), Proto: UDP, Src: capAddr("10.0.0.1"), SrcPort: 1, Dst: capAddr("10.0.0.2"), DstPort: 2},
				{Time: time.Unix(12, 0), Proto: TCP, Src: capAddr("10.0.0.1"), SrcPort: 1, Dst: capAddr("10.0.0.2"), DstPort: 2},
				{Time: time.Unix(-2, 5e8), Proto: TCP, Src: capAddr("10.0.0.1"), SrcPort: 1, Dst: capAddr("10.0.0.2"), DstPort: 2},
			}},
		{"header only", "src,sport,dst,dport,time\n", nil},
		{"no final newline", "src,sport,dst,dport,time\n10.0.0.1,1,10.0.0.2,2,.25",
			[]Attempt{{Time: time.Unix(0, 25e7), Proto: TCP, Src: capAddr("10.0.0.1"), SrcPort: 1, Dst: capAddr("10.0.0.2"), DstPort: 2}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Read(strings.NewReader(tc.in), ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if c.Format != "csv" || c.Packets != len(tc.want) {
				t.Errorf("format %q, %d rows; want csv, %d", c.Format, c.Packets, len(tc.want))
			}
			checkCounts(t, c)
			sameAttempts(t, all(c), tc.want)
		})
	}
}

func TestReadCSVErrors(t *testing.T) {
	const h = "src,sport,dst,dport,time,proto\n"
	const ok = "10.0.0.1,1,10.0.0.2,2,0,tcp\n"
	for _, tc := range []struct {
		name string
		in   string
		want string
	}{
		{"sport too big", h + ok + ok + "10.0.0.1,70000,10.0.0.2,2,0,tcp\n", `line 4: sport "70000": want a port 0-65535`},
		{"dport negative", h + "10.0.0.1,1,10.0.0.2,-2,0,tcp\n", `line 2: dport "-2": want a port 0-65535`},
		{"src not an address", h + "example.com,1,10.0.0.2,2,0,tcp\n", `line 2: src "example.com": want an IPv4 or IPv6 address`},
		{"dst empty", h + "10.0.0.1,1,,2,0,tcp\n", `line 2: dst "": want an IPv4 or IPv6 address`},
		{"time", h + "10.0.0.1,1,10.0.0.2,2,yesterday,tcp\n", `line 2: time "yesterday": want RFC 3339`},
		{"time two dots", h + "10.0.0.1,1,10.0.0.2,2,1.2.3,tcp\n", `line 2: time "1.2.3": want RFC 3339`},
		{"time bare minus", h + "10.0.0.1,1,10.0.0.2,2,-,tcp\n", `line 2: time "-": want`},
		{"time seconds overflow", h + "10.0.0.1,1,10.0.0.2,2,99999999999999999999,tcp\n", `line 2: time "99999999999999999999": want`},
		{"proto", h + "10.0.0.1,1,10.0.0.2,2,0,sctp\n", `line 2: proto "sctp": want tcp or udp`},
		{"too few fields", h + ok + "10.0.0.1,1,10.0.0.2\n", "line 3: 3 fields, want 6 as in the header"},
		{"bad quote", h + "10.0.0.1,1,10.0.0.2,2,\"0,tcp\n", "line 2, column"},
		{"missing columns", "src,sport,dst\n", "line 1: CSV header lacks column(s) dport, time; want src,sport,dst,dport,time, optionally proto, flags, seq and a stack's ttl, ipid, df, win, mss, ws, opts, in any order"},
		{"duplicate column", "src,sport,dst,dport,time,src\n", `line 1: CSV header: column "src" appears twice`},
		{"line too long", h + strings.Repeat("x", maxCSVLine+10), "line 2: longer than 1048576 bytes"},
		{"first line too long", strings.Repeat("x,", bufSize), "not a capture"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tc.in), ReadOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Errorf("error is a %T, want *InputError", err)
			}
		})
	}
}

func TestCSVRoundTrip(t *testing.T) {
	in := writtenAttempts()
	in = append(in,
		Attempt{Time: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), Proto: UDP, Src: capAddr("fe80::1%eth0"), SrcPort: 1, Dst: capAddr("fe80::2%a,\"b"), DstPort: 2},
		Attempt{Time: time.Date(2024, 5, 1, 14, 0, 0, 7, time.FixedZone("CEST", 7200)), Proto: TCP, Src: capAddr("0.0.0.0"), Dst: capAddr("255.255.255.255")},
	)
	var buf bytes.Buffer
	if err := WriteCSV(&buf, in); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "src,sport,dst,dport,time,proto\n10.0.0.1,49152,10.0.0.2,443,2024-05-01T12:00:00.000000001Z,tcp\n") {
		t.Errorf("CSV starts\n%s", buf.String()[:min(buf.Len(), 120)])
	}
	c, err := Read(&buf, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sameAttempts(t, all(c), in)

	for _, bad := range []Attempt{
		{Time: capT0, Proto: 1, Src: capAddr("::1"), Dst: capAddr("::1")},
		{Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), Proto: TCP, Src: capAddr("::1"), Dst: capAddr("::1")},
	} {
		if err := WriteCSV(&bytes.Buffer{}, []Attempt{bad}); err == nil || !strings.HasPrefix(err.Error(), "attempt 0: ") {
			t.Errorf("WriteCSV(%+v): error %v, want one naming attempt 0", bad, err)
		}
	}
}

func ExampleWriteCSV() {
	at := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	WriteCSV(os.Stdout, []Attempt{
		{Time: at, Proto: TCP, Src: netip.MustParseAddr("192.0.2.1"), SrcPort: 49152, Dst: netip.MustParseAddr("198.51.100.7"), DstPort: 443},
		{Time: at.Add(time.Millisecond), Proto: UDP, Src: netip.MustParseAddr("2001:db8::1"), SrcPort: 53000, Dst: netip.MustParseAddr("2001:db8::53"), DstPort: 53},
	})
	// Output:
	// src,sport,dst,dport,time,proto
	// 192.0.2.1,49152,198.51.100.7,443,2024-05-01T12:00:00Z,tcp
	// 2001:db8::1,53000,2001:db8::53,53,2024-05-01T12:00:00.001Z,udp
}

func ExampleRead() {
	var pcapng bytes.Buffer
	WritePcapng(&pcapng, []Attempt{{
		Time: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC), Proto: TCP,
		Src: netip.MustParseAddr("192.0.2.1"), SrcPort: 49152,
		Dst: netip.MustParseAddr("198.51.100.7"), DstPort: 443,
	}})
	c, err := Read(&pcapng, ReadOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	a := c.Attempts.Attempt(0)
	fmt.Println(c.Format, c.LinkTypes, c.Packets, "packet")
	fmt.Println(a.Proto, a.Src, a.SrcPort, "->", a.Dst, a.DstPort)
	// Output:
	// pcapng [101 (raw IP)] 1 packet
	// tcp 192.0.2.1 49152 -> 198.51.100.7 443
}
