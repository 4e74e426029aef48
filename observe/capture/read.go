package capture

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"os"

	"github.com/gopacket/gopacket/layers"
)

// Defaults for the zero fields of ReadOptions. DefaultMaxAttempts keeps
// analyze under 2 GiB at its worst, every host judged: 3,000,000 attempts
// in hosts of 20 took 1.85 GB (615 bytes an attempt; one host's attempts
// take about 85 bytes each, so 10 million of them about 0.8 GB).
const (
	DefaultMaxAttempts = 3_000_000
	DefaultMaxFlows    = 1 << 20
)

// attemptsLimit is the largest ReadOptions.MaxAttempts: every address
// kept belongs to an attempt (the one over the limit included), so the
// address indices stay below maxAddrs.
const attemptsLimit = maxAddrs/2 - 1

// ReadOptions bound the memory Read uses; the zero value takes the defaults.
type ReadOptions struct {
	// MaxAttempts is the most attempts kept (the CLI's --max-attempts),
	// at most 2^30-2; a capture with more is refused with
	// ErrTooManyAttempts. 0 means DefaultMaxAttempts.
	MaxAttempts int
	// MaxFlows is the most flows remembered to find the first datagram of
	// each UDP flow and repeated SYNs. 0 means DefaultMaxFlows.
	MaxFlows int
}

// ErrTooManyAttempts is wrapped by the error Read returns when a
// capture holds more than ReadOptions.MaxAttempts attempts.
var ErrTooManyAttempts = errors.New("too many attempts")

// InputError reports input that cannot be read as a capture: not a capture
// at all, a damaged record, an unsupported link type, a bad CSV value, or
// too many attempts. Other errors from Read come from reading the
// underlying io.Reader. The CLI exits 2 on an InputError.
type InputError struct {
	Where string // where in the input: "line 7", "packet 12", "pcap header"; may be empty
	Err   error  // what is wrong, and what was wanted
}

// Error returns "where: what".
func (e *InputError) Error() string {
	if e.Where == "" {
		return e.Err.Error()
	}
	return e.Where + ": " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *InputError) Unwrap() error { return e.Err }

func inputErr(where, format string, args ...any) error {
	return &InputError{Where: where, Err: fmt.Errorf(format, args...)}
}

// LinkType is a pcap/pcapng link-layer header type (LINKTYPE_* number).
type LinkType uint32

// The link types Read decodes. Ethernet, and every link that carries an
// EtherType, may carry PPPoE sessions too.
const (
	LinkNull      LinkType = 0   // BSD loopback: 4-byte address family in the writer's byte order
	LinkEthernet  LinkType = 1   // Ethernet, with 802.1Q/802.1ad VLAN tags
	LinkPPP       LinkType = 9   // PPP, with or without HDLC-like framing (RFC 1661, 1662)
	LinkRawDLT12  LinkType = 12  // raw IP, DLT_RAW on most BSDs
	LinkRawDLT14  LinkType = 14  // raw IP, DLT_RAW on OpenBSD
	LinkPPPHDLC   LinkType = 50  // PPP in HDLC-like framing, or Cisco HDLC
	LinkRaw       LinkType = 101 // raw IPv4 or IPv6
	LinkCHDLC     LinkType = 104 // Cisco HDLC (RFC 1547 4.3.1)
	LinkIEEE80211 LinkType = 105 // 802.11 frames: data frames with LLC/SNAP
	LinkLoop      LinkType = 108 // OpenBSD loopback: address family in network byte order
	LinkLinuxSLL  LinkType = 113 // Linux cooked capture v1
	LinkRadiotap  LinkType = 127 // 802.11 frames behind a radiotap header (monitor mode)
	LinkPPI       LinkType = 192 // 802.11 or Ethernet behind a Per-Packet Information header
	LinkPPPDir    LinkType = 204 // PPP behind a direction byte
	LinkIPv4      LinkType = 228 // raw IPv4
	LinkIPv6      LinkType = 229 // raw IPv6
	LinkLinuxSLL2 LinkType = 276 // Linux cooked capture v2 (tcpdump -i any)
)

var linkNames = map[LinkType]string{
	LinkNull:      "NULL, BSD loopback",
	LinkEthernet:  "Ethernet",
	LinkPPP:       "PPP",
	LinkRawDLT12:  "raw IP (DLT 12)",
	LinkRawDLT14:  "raw IP (DLT 14)",
	LinkPPPHDLC:   "PPP in HDLC framing",
	LinkRaw:       "raw IP",
	LinkCHDLC:     "Cisco HDLC",
	LinkIEEE80211: "802.11",
	LinkLoop:      "LOOP, OpenBSD loopback",
	LinkLinuxSLL:  "Linux cooked SLL",
	LinkRadiotap:  "802.11 with radiotap",
	LinkPPI:       "PPI",
	LinkPPPDir:    "PPP with direction",
	LinkIPv4:      "raw IPv4",
	LinkIPv6:      "raw IPv6",
	LinkLinuxSLL2: "Linux cooked SLL2",
}

// String returns the number and name, e.g. "1 (Ethernet)".
func (l LinkType) String() string {
	if n, ok := linkNames[l]; ok {
		return fmt.Sprintf("%d (%s)", uint32(l), n)
	}
	if l < 1<<16 {
		if n := layers.LinkType(l).String(); n != "UnknownLinkType" {
			return fmt.Sprintf("%d (%s)", uint32(l), n)
		}
	}
	return fmt.Sprintf("%d", uint32(l))
}

func (l LinkType) supported() bool {
	_, ok := linkNames[l]
	return ok
}

const supportedLinks = "supported: 0 (NULL), 1 (Ethernet), 9 (PPP), 12, 14 and 101 (raw IP), 50 (PPP HDLC), 104 (Cisco HDLC), 105 (802.11), 108 (LOOP), 113 (Linux SLL), 127 (802.11 radiotap), 192 (PPI), 204 (PPP with direction), 228 (IPv4), 229 (IPv6), 276 (Linux SLL2)"

func unsupportedLink(where string, l LinkType) error {
	return inputErr(where, "link type %v is not supported; %s", l, supportedLinks)
}

// Capture is what Read found. Packets = Attempts.Len() + NotAttempts + Malformed.
type Capture struct {
	// Attempts are the connection attempts, in capture order.
	Attempts *Attempts
	// Format is "pcap", "pcap-ns" (nanosecond pcap), "pcapng" or "csv",
	// with "+gzip" appended when the input was gzip-compressed.
	Format string
	// LinkTypes are the link types of the capture, in the order met.
	LinkTypes []LinkType
	// Packets counts packet records read (data rows for CSV).
	Packets int
	// NotAttempts counts well-formed packets that are not attempts, and
	// NotAttemptsBy breaks them down by reason ("tcp syn-ack", "udp flow seen", ...).
	NotAttempts   int
	NotAttemptsBy map[string]int
	// Malformed counts packets too short or inconsistent to decode, and
	// MalformedBy breaks them down by reason ("truncated tcp header", ...).
	Malformed   int
	MalformedBy map[string]int
	// FlowOverflow counts packets met after ReadOptions.MaxFlows flows were
	// remembered whose flow was new: such a SYN is still an attempt (it
	// cannot be told from a retransmission); such a UDP datagram is not
	// (it cannot be told from a later datagram of an old flow).
	FlowOverflow int
	// ShapeOverflow counts attempts kept without their stack because the
	// capture held more than 65535 distinct shapes before them.
	ShapeOverflow int
	// LongRecords counts records longer than the snap length of their
	// file (pcap) or interface (pcapng): each is read cut to it, as
	// libpcap reads them.
	LongRecords int
	// Truncated reports that the input ended inside a record; what came
	// before it was kept.
	Truncated bool
}

// class is what decoding one packet found: an attempt, a reason it is
// not one, or a reason it is malformed.
type class uint8

const (
	clAttempt class = iota
	// not attempts
	clNotIP
	clNotTCPUDP
	clFragment
	clTCPNoSYN
	clTCPSynAck
	clSYNRetransmit
	clUDPSeen
	clUDPReply
	clUDPUntracked
	clLastNotAttempt // marker
	// malformed
	clTruncLink
	clBadLink
	clTruncIP
	clBadIP
	clTruncExt
	clTruncTCP
	clBadTCP
	clTruncUDP
	clCount
)

var classNames = [clCount]string{
	clNotIP:         "not ip",
	clNotTCPUDP:     "not tcp or udp",
	clFragment:      "ip fragment after the first",
	clTCPNoSYN:      "tcp without syn",
	clTCPSynAck:     "tcp syn-ack",
	clSYNRetransmit: "tcp syn retransmission",
	clUDPSeen:       "udp flow seen",
	clUDPReply:      "udp reply",
	clUDPUntracked:  "udp flow not tracked (MaxFlows reached)",
	clTruncLink:     "truncated link header",
	clBadLink:       "bad link header",
	clTruncIP:       "truncated ip header",
	clBadIP:         "bad ip header",
	clTruncExt:      "truncated ipv6 extension header",
	clTruncTCP:      "truncated tcp header",
	clBadTCP:        "bad tcp data offset",
	clTruncUDP:      "truncated udp header",
}

// ReadFile reads the capture at path; see Read.
func ReadFile(path string, opts ReadOptions) (*Capture, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c, err := Read(f, opts)
	if err != nil {
		var ie *InputError
		if errors.As(err, &ie) {
			// Name the file where the error says where in it.
			if ie.Where == "" {
				ie.Where = path
			} else {
				ie.Where = path + ": " + ie.Where
			}
			return nil, ie
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Read reads connection attempts from a pcap file (either byte
// order, microsecond or nanosecond), a pcapng file, or a CSV file with the
// header src,sport,dst,dport,time in any column order; any of them may be
// gzip-compressed. The format is found from the first bytes.
//
// A CSV row is an attempt (its proto column, if any, says tcp or udp). With
// a flags column a row is a packet instead, taken as a pcap's packets are
// (the TCP flags as letters, "S", "SA", or a number; seq the sequence
// number). The columns ttl, ipid, df, win, mss, ws and opts (Stack.Options'
// words, or tshark's option kind numbers) give a row its stack.
//
// An attempt is a TCP segment with SYN set and ACK clear (a repeat of the
// last SYN of its 4-tuple with the same sequence number is a
// retransmission, not an attempt), or the first UDP datagram of a 5-tuple
// (unless it answers one: a datagram whose reverse flow was seen first is
// a reply, and no attempt, as a DNS server's answer from port 53 is).
// The input is streamed: memory grows with the attempts and the flows
// remembered, both bounded by opts. A record longer than its snap length
// is read cut to it and counted in LongRecords. A file that ends inside a
// record keeps what came before and sets Truncated. Problems with the input are
// reported as *InputError naming where they are.
func Read(r io.Reader, opts ReadOptions) (*Capture, error) {
	if opts.MaxAttempts < 0 {
		return nil, &InputError{Err: fmt.Errorf("max attempts %d: want 1 or more, or 0 for the default %d (--max-attempts)", opts.MaxAttempts, DefaultMaxAttempts)}
	}
	if opts.MaxAttempts > attemptsLimit {
		return nil, &InputError{Err: fmt.Errorf("max attempts %d: want at most %d (--max-attempts)", opts.MaxAttempts, attemptsLimit)}
	}
	if opts.MaxFlows < 0 {
		return nil, &InputError{Err: fmt.Errorf("max flows %d: want 1 or more, or 0 for the default %d", opts.MaxFlows, DefaultMaxFlows)}
	}
	if opts.MaxAttempts == 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.MaxFlows == 0 {
		opts.MaxFlows = DefaultMaxFlows
	}
	// er keeps the underlying reader's own error apart from format errors.
	er := &errReader{r: r}
	d := newDecoder(opts)
	err := d.read(er)
	if er.err != nil {
		return nil, er.err
	}
	if err != nil {
		return nil, err
	}
	return d.capture(), nil
}

// errReader remembers the first error of r other than io.EOF.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}

const bufSize = 64 << 10

func (d *decoder) read(r io.Reader) error {
	br := bufio.NewReaderSize(r, bufSize)
	magic, _ := br.Peek(4)
	if len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return inputErr("gzip header", "%v", err)
		}
		gz.Multistream(true)
		br = bufio.NewReaderSize(gz, bufSize)
		d.c.Format = "+gzip"
		magic, _ = br.Peek(4)
	}
	if len(magic) == 4 {
		switch binary.BigEndian.Uint32(magic) {
		case 0xa1b2c3d4, 0xd4c3b2a1:
			d.c.Format = "pcap" + d.c.Format
			return d.drain(d.readPcap(br))
		case 0xa1b23c4d, 0x4d3cb2a1:
			d.c.Format = "pcap-ns" + d.c.Format
			return d.drain(d.readPcap(br))
		case 0x0a0d0d0a:
			d.c.Format = "pcapng" + d.c.Format
			return d.drain(d.readPcapng(br))
		}
	}
	d.c.Format = "csv" + d.c.Format
	return d.readCSV(br)
}

// notCapture describes input whose first bytes match no format.
func notCapture(head []byte) error {
	if len(head) == 0 {
		return &InputError{Err: errors.New("empty input: want a pcap, pcapng or CSV file")}
	}
	if len(head) > 8 {
		head = head[:8]
	}
	return &InputError{Err: fmt.Errorf("not a capture: starts with bytes % x; want pcap (magic a1b2c3d4 or a1b23c4d, either byte order), pcapng (0a0d0d0a) or a CSV header with columns %s", head, csvColumnsHelp)}
}

// maxRecord is the longest pcap record accepted, and the most of a pcapng
// packet kept: libpcap's MAXIMUM_SNAPLEN. It keeps a damaged length from
// making one record take gigabytes.
const maxRecord = 262144

func (d *decoder) addLinkType(lt LinkType) {
	for _, l := range d.c.LinkTypes {
		if l == lt {
			return
		}
	}
	d.c.LinkTypes = append(d.c.LinkTypes, lt)
}

type decoder struct {
	opts   ReadOptions
	c      Capture
	counts [clCount]int
	flows  *flowTable
	// Packets that may be attempts wait in batches for track (see
	// batchLen).
	batch [batchLen]pendingPacket
	n     int
	sink  uint64 // what reading ahead read, so that it is not left out
}

// batchLen is how many packets that may be attempts are decoded before
// track sees them. A table of a million flows is mostly out of the
// cache, and a miss costs more than decoding a packet: reading a batch's
// flow slots in a row lets the misses overlap instead of stalling each
// packet in turn.
const batchLen = 16

type pendingPacket struct {
	f    frame
	num  int // the packet's number, from 1
	sec  int64
	nsec uint32
}

func newDecoder(opts ReadOptions) *decoder {
	return &decoder{opts: opts, c: Capture{Attempts: &Attempts{}}, flows: newFlowTable(opts.MaxFlows)}
}

// capture is what d found, apart from d: the flow table is garbage once
// reading is over.
func (d *decoder) capture() *Capture {
	c := new(Capture)
	*c = d.c
	c.NotAttemptsBy = map[string]int{}
	c.MalformedBy = map[string]int{}
	for cl := clAttempt + 1; cl < clCount; cl++ {
		n := d.counts[cl]
		if n == 0 {
			continue
		}
		if cl < clLastNotAttempt {
			c.NotAttempts += n
			c.NotAttemptsBy[classNames[cl]] = n
		} else {
			c.Malformed += n
			c.MalformedBy[classNames[cl]] = n
		}
	}
	return c
}

// frame is what decoding a packet found of an attempt.
type frame struct {
	src, dst     rawAddr
	srcID, dstID uint32 // the addresses' indices, once known
	known        bool   // whether they are
	stack        bool   // whether k holds the packet's shape
	sport, dport uint16
	ipid         uint16
	proto        Proto
	isn          uint32 // a SYN's sequence number
	k            shape
	// addrs are a CSV row's addresses, zones and all; nil for a packet,
	// whose are src and dst.
	addrs *[2]netip.Addr
}

// packet decodes one frame of link type lt captured at sec, nsec (Unix
// time). A packet that may be an attempt joins the batch.
func (d *decoder) packet(lt LinkType, b []byte, sec int64, nsec uint32) error {
	d.c.Packets++
	p := &d.batch[d.n]
	p.f.stack = false // decodeFrame sets the rest an attempt's frame needs
	if cl := decodeFrame(lt, b, &p.f); cl != clAttempt {
		d.counts[cl]++
		return nil
	}
	p.num, p.sec, p.nsec = d.c.Packets, sec, nsec
	if d.n++; d.n == batchLen {
		return d.flush()
	}
	return nil
}

// flush tracks the batch, in order, and keeps its attempts. First it reads
// the flow slots the packets will look at (those whose addresses are
// known: the others' flows cannot be remembered yet), in a loop short
// enough that the processor has all the reads in flight at once.
func (d *decoder) flush() error {
	var at, rev [batchLen]uint64 // the slots of each flow and its reverse
	atts := d.c.Attempts
	for i := range d.n {
		at[i] = math.MaxUint64
		f := &d.batch[i].f
		rev[i] = math.MaxUint64
		if f.srcID, f.known = atts.rawID(f.src, false); f.known {
			if f.dstID, f.known = atts.rawID(f.dst, false); f.known {
				at[i] = d.flows.index(newFlowKey(f.proto, f.srcID, f.dstID, f.sport, f.dport))
				if f.proto == UDP {
					rev[i] = d.flows.index(newFlowKey(UDP, f.dstID, f.srcID, f.dport, f.sport))
				}
			}
		}
	}
	for i := range d.n {
		if at[i] != math.MaxUint64 {
			d.sink += d.flows.slots[at[i]].addrs
		}
		if rev[i] != math.MaxUint64 {
			d.sink += d.flows.slots[rev[i]].addrs
		}
	}
	n := d.n
	d.n = 0
	for i := range n {
		p := &d.batch[i]
		if cl := d.track(&p.f); cl != clAttempt {
			d.counts[cl]++
			continue
		}
		if d.full() {
			return d.tooMany(fmt.Sprintf("packet %d", p.num))
		}
		f := &p.f
		atts.add(newRecord(p.sec, p.nsec, f.proto, f.srcID, f.dstID, f.sport, f.dport), d.stackWord(f))
	}
	return nil
}

// stackWord is what Attempts keeps of f's stack.
func (d *decoder) stackWord(f *frame) uint32 {
	if !f.stack {
		return 0
	}
	id := d.c.Attempts.shapes.id(&f.k)
	if id == 0 {
		d.c.ShapeOverflow++
		return 0
	}
	return uint32(id)<<16 | uint32(f.ipid)
}

// drain flushes the packets left in the batch at the end of the input.
// err is how reading ended; an error from an earlier packet comes first.
func (d *decoder) drain(err error) error {
	if e := d.flush(); e != nil {
		return e
	}
	return err
}

func (d *decoder) full() bool { return d.c.Attempts.Len() >= d.opts.MaxAttempts }

func (d *decoder) tooMany(where string) error {
	return &InputError{
		Where: where,
		Err:   fmt.Errorf("%w: more than %d; raise the limit with --max-attempts", ErrTooManyAttempts, d.opts.MaxAttempts),
	}
}

// track decides, from the flows seen, whether a SYN or datagram starts a
// new attempt, and learns the indices of its addresses if it does or its
// flow is to be remembered. An address not yet met cannot be in a flow
// remembered, so a datagram of a flow not remembered adds nothing.
func (d *decoder) track(f *frame) class {
	atts := d.c.Attempts
	var (
		slot *flowSlot
		seen bool
		k    flowKey
	)
	src, dst, known := f.srcID, f.dstID, f.known
	if !known { // an earlier packet of the batch may have brought them
		src, dst, known = atts.frameIDs(f, false)
	}
	if known {
		k = newFlowKey(f.proto, src, dst, f.sport, f.dport)
		slot, seen = d.flows.find(k)
	}
	room := d.flows.n < d.opts.MaxFlows
	if f.proto == TCP {
		if seen {
			if slot.isn == f.isn {
				return clSYNRetransmit
			}
			slot.isn = f.isn
		} else if !room {
			d.c.FlowOverflow++
		}
	} else {
		if seen {
			return clUDPSeen
		}
		// A datagram whose reverse flow came first answers it.
		if known {
			if _, rev := d.flows.find(newFlowKey(UDP, dst, src, f.dport, f.sport)); rev {
				return clUDPReply
			}
		}
		if !room {
			d.c.FlowOverflow++
			return clUDPUntracked
		}
	}
	if !known {
		src, dst, _ = atts.frameIDs(f, true)
		if room {
			k = newFlowKey(f.proto, src, dst, f.sport, f.dport)
			slot, _ = d.flows.find(k)
		}
	}
	if !seen && room {
		d.flows.insert(slot, k, f.isn)
	}
	f.srcID, f.dstID = src, dst
	return clAttempt
}

// EtherTypes and address families met in link headers.
const (
	etherIPv4  = 0x0800
	etherIPv6  = 0x86dd
	etherVLAN  = 0x8100
	etherQinQ  = 0x88a8
	etherQinQ1 = 0x9100 // pre-standard 802.1ad
	etherPPPoE = 0x8864 // a PPPoE session's frames (RFC 2516)
)

// PPP protocol numbers.
const (
	pppIPv4 = 0x0021
	pppIPv6 = 0x0057
)

// decodeFrame finds the IP packet in a frame of link type lt and decodes it.
func decodeFrame(lt LinkType, b []byte, f *frame) class {
	switch lt {
	case LinkEthernet:
		if len(b) < 14 {
			return clTruncLink
		}
		return decodeEther(be16(b[12:]), b[14:], f)
	case LinkLinuxSLL:
		if len(b) < 16 {
			return clTruncLink
		}
		return decodeEther(be16(b[14:]), b[16:], f)
	case LinkLinuxSLL2:
		if len(b) < 20 {
			return clTruncLink
		}
		return decodeEther(be16(b[0:]), b[20:], f)
	case LinkRaw, LinkRawDLT12, LinkRawDLT14:
		return decodeIP(0, b, f)
	case LinkPPP:
		return decodePPP(b, f)
	case LinkPPPDir:
		if len(b) < 1 {
			return clTruncLink
		}
		return decodePPP(b[1:], f)
	case LinkPPPHDLC:
		if len(b) > 0 && (b[0] == 0x0f || b[0] == 0x8f) { // Cisco's unicast and broadcast addresses
			return decodeFrame(LinkCHDLC, b, f)
		}
		return decodePPP(b, f)
	case LinkCHDLC:
		if len(b) < 4 {
			return clTruncLink
		}
		return decodeEther(be16(b[2:]), b[4:], f)
	case LinkIEEE80211:
		return decode80211(b, f)
	case LinkRadiotap:
		// Version 0, a pad byte, the header's length (little-endian,
		// as all of radiotap) and what it holds, of no use here.
		n, bad, ok := radioHeader(b, 4)
		if !ok {
			return bad
		}
		return decode80211(b[n:], f)
	case LinkPPI:
		// Version 0, flags, the header's length and the link type
		// behind it, little-endian.
		n, bad, ok := radioHeader(b, 8)
		if !ok {
			return bad
		}
		switch LinkType(binary.LittleEndian.Uint32(b[4:])) {
		case LinkIEEE80211:
			return decode80211(b[n:], f)
		case LinkEthernet:
			return decodeFrame(LinkEthernet, b[n:], f)
		}
		return clNotIP
	case LinkIPv4:
		return decodeIP(4, b, f)
	case LinkIPv6:
		return decodeIP(6, b, f)
	case LinkNull, LinkLoop:
		if len(b) < 4 {
			return clTruncLink
		}
		af := binary.BigEndian.Uint32(b)
		if lt == LinkNull && af > 0xffff {
			// NULL stores the family in the writer's byte order;
			// every known family fits in the low byte.
			af = binary.LittleEndian.Uint32(b)
		}
		switch af {
		case 2: // AF_INET everywhere
			return decodeIP(4, b[4:], f)
		case 10, 23, 24, 28, 30: // AF_INET6: Linux, Windows, NetBSD/OpenBSD, FreeBSD, macOS
			return decodeIP(6, b[4:], f)
		}
		return clNotIP
	}
	panic("capture: decodeFrame: unsupported link type " + lt.String())
}

func decodeEther(etype uint16, b []byte, f *frame) class {
	for etype == etherVLAN || etype == etherQinQ || etype == etherQinQ1 {
		if len(b) < 4 {
			return clTruncLink
		}
		etype, b = be16(b[2:]), b[4:]
	}
	switch etype {
	case etherIPv4:
		return decodeIP(4, b, f)
	case etherIPv6:
		return decodeIP(6, b, f)
	case etherPPPoE:
		// Version and type 1, code 0 (session data), the session and
		// the payload's length, then a PPP frame.
		if len(b) < 6 {
			return clTruncLink
		}
		if b[0] != 0x11 || b[1] != 0 {
			return clBadLink
		}
		return decodePPP(b[6:], f)
	}
	return clNotIP
}

// decodePPP decodes a PPP frame (RFC 1661): its protocol, one byte if
// compressed (odd), else two, after the address and control bytes ff 03 of
// HDLC-like framing if they are there (RFC 1662).
func decodePPP(b []byte, f *frame) class {
	if len(b) >= 2 && b[0] == 0xff && b[1] == 0x03 {
		b = b[2:]
	}
	if len(b) < 1 {
		return clTruncLink
	}
	proto := uint16(b[0])
	if b[0]&1 == 0 {
		if len(b) < 2 {
			return clTruncLink
		}
		proto, b = be16(b), b[2:]
	} else {
		b = b[1:]
	}
	switch proto {
	case pppIPv4:
		return decodeIP(4, b, f)
	case pppIPv6:
		return decodeIP(6, b, f)
	}
	return clNotIP
}

// radioHeader reads the length of a radiotap or PPI header: both open
// with version 0, a byte of their own and their length, little-endian,
// and are at least 8 bytes long. fixed is how many bytes the caller reads
// before it looks at the rest; bad says what is wrong when ok is false.
func radioHeader(b []byte, fixed int) (n int, bad class, ok bool) {
	if len(b) < fixed {
		return 0, clTruncLink, false
	}
	n = int(binary.LittleEndian.Uint16(b[2:]))
	if b[0] != 0 || n < 8 {
		return 0, clBadLink, false
	}
	if len(b) < n {
		return 0, clTruncLink, false
	}
	return n, 0, true
}

// decode80211 decodes an 802.11 frame: a data frame that is neither
// protected (its payload is encrypted) nor empty (null functions), nor an
// A-MSDU or a fragment after the first, carries an LLC/SNAP header and the
// EtherType of what follows. Management and control frames are not IP.
func decode80211(b []byte, f *frame) class {
	if len(b) < 2 {
		return clTruncLink
	}
	fc, flags := b[0], b[1]
	if fc&0x03 != 0 { // protocol version 0 is the only one
		return clBadLink
	}
	if fc>>2&0x03 != 2 { // management, control, extension
		return clNotIP
	}
	const toFromDS, protected, order = 0x03, 0x40, 0x80
	sub := fc >> 4
	if sub&0x04 != 0 || flags&protected != 0 {
		return clNotIP
	}
	n := 24 // frame control, duration, three addresses, sequence control
	if flags&toFromDS == toFromDS {
		n += 6 // a fourth address
	}
	qos := 0
	if sub&0x08 != 0 {
		qos = n
		n += 2
		if flags&order != 0 {
			n += 4 // HT control
		}
	}
	if len(b) < n+8 {
		return clTruncLink
	}
	if b[22]&0x0f != 0 { // fragment number
		return clNotIP
	}
	if qos != 0 && b[qos]&0x80 != 0 { // A-MSDU present
		return clNotIP
	}
	llc := b[n:]
	// SNAP: DSAP and SSAP aa, UI, and the OUI of RFC 1042 or 802.1H.
	if llc[0] != 0xaa || llc[1] != 0xaa || llc[2] != 0x03 || llc[3] != 0 || llc[4] != 0 || (llc[5] != 0 && llc[5] != 0xf8) {
		return clNotIP
	}
	return decodeEther(be16(llc[6:]), llc[8:], f)
}

// decodeIP decodes an IPv4 or IPv6 packet; want is the version the link
// header announced, or 0 to take it from the packet.
func decodeIP(want byte, b []byte, f *frame) class {
	if len(b) < 1 {
		return clTruncIP
	}
	ver := b[0] >> 4
	if want != 0 && ver != want {
		return clBadIP
	}
	var proto byte
	switch ver {
	case 4:
		if len(b) < 20 {
			return clTruncIP
		}
		ihl := int(b[0]&0x0f) * 4
		if ihl < 20 {
			return clBadIP
		}
		if len(b) < ihl {
			return clTruncIP
		}
		// Total length 0 is what TSO-offloaded captures show; trust the caplen.
		if total := int(be16(b[2:])); total != 0 {
			if total < ihl {
				return clBadIP
			}
			if total < len(b) {
				b = b[:total] // drop link-layer padding
			}
		}
		if be16(b[6:])&0x1fff != 0 {
			return clFragment
		}
		f.k.ttl = b[8]
		f.k.flags = b[6] >> 6 & shapeDF
		f.ipid = be16(b[4:])
		proto = b[9]
		f.src = rawAddr{lo: uint64(be32(b[12:]))}
		f.dst = rawAddr{lo: uint64(be32(b[16:]))}
		b = b[ihl:]
	case 6:
		if len(b) < 40 {
			return clTruncIP
		}
		// Payload length 0 is a jumbogram (or TSO); trust the caplen.
		if plen := int(be16(b[4:])); plen != 0 && 40+plen < len(b) {
			b = b[:40+plen]
		}
		proto = b[6]
		f.k.ttl = b[7] // the hop limit
		f.k.flags = 0
		f.ipid = 0
		f.src = rawAddr{hi: be64(b[8:]), lo: be64(b[16:]), v6: true}
		f.dst = rawAddr{hi: be64(b[24:]), lo: be64(b[32:]), v6: true}
		b = b[40:]
	ext:
		for {
			switch proto {
			case 0, 43, 60, 135, 139, 140: // hop-by-hop, routing, destination options, mobility, HIP, shim6
				if len(b) < 8 {
					return clTruncExt
				}
				n := (int(b[1]) + 1) * 8
				if len(b) < n {
					return clTruncExt
				}
				proto, b = b[0], b[n:]
			case 44: // fragment
				if len(b) < 8 {
					return clTruncExt
				}
				if be16(b[2:])>>3 != 0 {
					return clFragment
				}
				proto, b = b[0], b[8:]
			case 51: // authentication header
				if len(b) < 8 {
					return clTruncExt
				}
				n := (int(b[1]) + 2) * 4
				if len(b) < n {
					return clTruncExt
				}
				proto, b = b[0], b[n:]
			default:
				break ext
			}
		}
	default:
		return clBadIP
	}
	switch Proto(proto) {
	case TCP:
		// The ports, sequence number and flags are all that is needed;
		// the stack's shape is known if the header is whole.
		if len(b) < 14 {
			return clTruncTCP
		}
		if b[12]>>4 < 5 {
			return clBadTCP
		}
		f.proto = TCP
		f.sport, f.dport = be16(b[0:]), be16(b[2:])
		const syn, ack = 0x02, 0x10
		switch flags := b[13]; {
		case flags&syn == 0:
			return clTCPNoSYN
		case flags&ack != 0:
			return clTCPSynAck
		}
		f.isn = be32(b[4:])
		if n := int(b[12]>>4) * 4; len(b) >= n {
			f.k.tcp(be16(b[14:]), b[20:n])
			f.stack = true
		}
		return clAttempt
	case UDP:
		if len(b) < 8 {
			return clTruncUDP
		}
		f.proto = UDP
		f.sport, f.dport = be16(b[0:]), be16(b[2:])
		f.k.udp()
		f.stack = true
		return clAttempt
	}
	return clNotTCPUDP
}

func be16(b []byte) uint16 { return binary.BigEndian.Uint16(b) }
func be32(b []byte) uint32 { return binary.BigEndian.Uint32(b) }
func be64(b []byte) uint64 { return binary.BigEndian.Uint64(b) }
