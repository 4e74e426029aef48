package capture

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Defaults for the zero fields of ReadOptions.
const (
	DefaultMaxAttempts = 10_000_000
	DefaultMaxFlows    = 1 << 20
)

// ReadOptions bound the memory Read uses; the zero value takes the defaults.
type ReadOptions struct {
	// MaxAttempts is the most attempts kept (the CLI's --max-attempts);
	// a capture with more is refused with ErrTooManyAttempts. 0 means
	// DefaultMaxAttempts.
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

// The link types Read decodes.
const (
	LinkNull      LinkType = 0   // BSD loopback: 4-byte address family in the writer's byte order
	LinkEthernet  LinkType = 1   // Ethernet, with 802.1Q/802.1ad VLAN tags
	LinkRawDLT12  LinkType = 12  // raw IP, DLT_RAW on most BSDs
	LinkRawDLT14  LinkType = 14  // raw IP, DLT_RAW on OpenBSD
	LinkRaw       LinkType = 101 // raw IPv4 or IPv6
	LinkLoop      LinkType = 108 // OpenBSD loopback: address family in network byte order
	LinkLinuxSLL  LinkType = 113 // Linux cooked capture v1
	LinkIPv4      LinkType = 228 // raw IPv4
	LinkIPv6      LinkType = 229 // raw IPv6
	LinkLinuxSLL2 LinkType = 276 // Linux cooked capture v2 (tcpdump -i any)
)

var linkNames = map[LinkType]string{
	LinkNull:      "NULL, BSD loopback",
	LinkEthernet:  "Ethernet",
	LinkRawDLT12:  "raw IP (DLT 12)",
	LinkRawDLT14:  "raw IP (DLT 14)",
	LinkRaw:       "raw IP",
	LinkLoop:      "LOOP, OpenBSD loopback",
	LinkLinuxSLL:  "Linux cooked SLL",
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
	switch l {
	case LinkNull, LinkEthernet, LinkRawDLT12, LinkRawDLT14, LinkRaw, LinkLoop,
		LinkLinuxSLL, LinkIPv4, LinkIPv6, LinkLinuxSLL2:
		return true
	}
	return false
}

const supportedLinks = "supported: 0 (NULL), 1 (Ethernet), 12, 14 and 101 (raw IP), 108 (LOOP), 113 (Linux SLL), 228 (IPv4), 229 (IPv6), 276 (Linux SLL2)"

func unsupportedLink(where string, l LinkType) error {
	return inputErr(where, "link type %v is not supported; %s", l, supportedLinks)
}

// Capture is what Read found. Packets = len(Attempts) + NotAttempts + Malformed.
type Capture struct {
	// Attempts are the connection attempts, in capture order.
	Attempts []Attempt
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
	clUDPUntracked
	clLastNotAttempt // marker
	// malformed
	clTruncLink
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
	clUDPUntracked:  "udp flow not tracked (MaxFlows reached)",
	clTruncLink:     "truncated link header",
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
// header src,sport,dst,dport,time[,proto] in any column order; any of them
// may be gzip-compressed. The format is found from the first bytes.
//
// An attempt is a TCP segment with SYN set and ACK clear (a repeat of the
// last SYN of its 4-tuple with the same sequence number is a
// retransmission, not an attempt), or the first UDP datagram of a 5-tuple.
// The input is streamed: memory grows with the attempts and the flows
// remembered, both bounded by opts. A file that ends inside a record keeps
// what came before and sets Truncated. Problems with the input are
// reported as *InputError naming where they are.
func Read(r io.Reader, opts ReadOptions) (*Capture, error) {
	if opts.MaxAttempts < 0 {
		return nil, &InputError{Err: fmt.Errorf("max attempts %d: want 1 or more, or 0 for the default %d (--max-attempts)", opts.MaxAttempts, DefaultMaxAttempts)}
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
			return d.readPcap(br)
		case 0xa1b23c4d, 0x4d3cb2a1:
			d.c.Format = "pcap-ns" + d.c.Format
			return d.readPcap(br)
		case 0x0a0d0d0a:
			d.c.Format = "pcapng" + d.c.Format
			return d.readPcapng(br)
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

// maxRecord is the longest pcap record accepted: libpcap's MAXIMUM_SNAPLEN.
// It keeps a damaged length from making one record take gigabytes.
const maxRecord = 262144

func (d *decoder) readPcap(br *bufio.Reader) error {
	hdr, err := br.Peek(24)
	if err != nil {
		return inputErr("pcap header", "file ends after %d of 24 bytes", len(hdr))
	}
	order := binary.ByteOrder(binary.LittleEndian)
	if hdr[0] == 0xa1 {
		order = binary.BigEndian
	}
	raw := order.Uint32(hdr[20:24])
	// Bits 26-31 carry FCS information; bits 16-25 are reserved.
	lt := LinkType(raw & 0x03ffffff)
	if !lt.supported() {
		return unsupportedLink("pcap header", lt)
	}
	r, err := pcapgo.NewReader(br)
	if err != nil {
		return inputErr("pcap header", "%v", err)
	}
	if r.Snaplen() > maxRecord {
		r.SetSnaplen(maxRecord)
	}
	d.c.LinkTypes = append(d.c.LinkTypes, lt)
	for {
		data, ci, err := r.ZeroCopyReadPacketData()
		if err != nil {
			// A clean end is io.EOF before a record header; io.EOF after
			// one (CaptureLength > 0) or io.ErrUnexpectedEOF is a cut file.
			if err == io.EOF && ci.CaptureLength == 0 {
				return nil
			}
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				d.c.Truncated = true
				return nil
			}
			return inputErr(fmt.Sprintf("packet %d", d.c.Packets+1), "%v", err)
		}
		if err := d.packet(lt, data, ci.Timestamp); err != nil {
			return err
		}
	}
}

func (d *decoder) readPcapng(br *bufio.Reader) error {
	r, err := pcapgo.NewNgReader(br, pcapgo.NgReaderOptions{WantMixedLinkType: true})
	if err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return inputErr("pcapng section header", "file ends inside it")
		}
		return inputErr("pcapng section header", "%v", err)
	}
	last := LinkType(1 << 31) // no link type yet
	for {
		data, ci, _, err := r.ZeroCopyReadPacketDataWithOptions()
		if err != nil {
			if err == io.EOF {
				return nil
			}
			if err == io.ErrUnexpectedEOF {
				d.c.Truncated = true
				return nil
			}
			return inputErr(fmt.Sprintf("packet %d", d.c.Packets+1), "%v", err)
		}
		lt := LinkType(ci.AncillaryData[0].(layers.LinkType))
		if lt != last {
			if !lt.supported() {
				return unsupportedLink(fmt.Sprintf("packet %d (interface %d)", d.c.Packets+1, ci.InterfaceIndex), lt)
			}
			d.addLinkType(lt)
			last = lt
		}
		if err := d.packet(lt, data, ci.Timestamp); err != nil {
			return err
		}
	}
}

func (d *decoder) addLinkType(lt LinkType) {
	for _, l := range d.c.LinkTypes {
		if l == lt {
			return
		}
	}
	d.c.LinkTypes = append(d.c.LinkTypes, lt)
}

// flowKey names a flow: a 5-tuple (UDP) or 4-tuple (TCP, with proto).
type flowKey struct {
	src, dst     [16]byte
	sport, dport uint16
	proto        Proto
	v6           bool
}

type decoder struct {
	opts   ReadOptions
	c      Capture
	counts [clCount]int
	// flows holds, per flow, the sequence number of its last SYN (TCP)
	// or nothing (UDP).
	flows map[flowKey]uint32
}

func newDecoder(opts ReadOptions) *decoder {
	return &decoder{opts: opts, flows: make(map[flowKey]uint32)}
}

func (d *decoder) capture() *Capture {
	c := &d.c
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

// packet decodes one frame of link type lt captured at ts.
func (d *decoder) packet(lt LinkType, b []byte, ts time.Time) error {
	d.c.Packets++
	a, isn, cl := decodeFrame(lt, b)
	if cl == clAttempt {
		cl = d.track(&a, isn)
	}
	if cl != clAttempt {
		d.counts[cl]++
		return nil
	}
	if d.full() {
		return d.tooMany(fmt.Sprintf("packet %d", d.c.Packets))
	}
	a.Time = ts
	d.keep(a)
	return nil
}

func (d *decoder) full() bool { return len(d.c.Attempts) >= d.opts.MaxAttempts }

// keep appends a, doubling the slice when full: append's 1.25x growth
// for large slices would copy each attempt about four times over and
// allocate five times the final size.
func (d *decoder) keep(a Attempt) {
	if n := len(d.c.Attempts); n == cap(d.c.Attempts) {
		d.c.Attempts = slices.Grow(d.c.Attempts, min(max(n, 1024), d.opts.MaxAttempts-n))
	}
	d.c.Attempts = append(d.c.Attempts, a)
}

func (d *decoder) tooMany(where string) error {
	return &InputError{
		Where: where,
		Err:   fmt.Errorf("%w: more than %d; raise the limit with --max-attempts", ErrTooManyAttempts, d.opts.MaxAttempts),
	}
}

// track decides, from the flows seen, whether a SYN or datagram starts a
// new attempt.
func (d *decoder) track(a *Attempt, isn uint32) class {
	k := flowKey{src: a.Src.As16(), dst: a.Dst.As16(), sport: a.SrcPort, dport: a.DstPort, proto: a.Proto, v6: a.Src.Is6()}
	last, seen := d.flows[k]
	if a.Proto == TCP {
		if seen && last == isn {
			return clSYNRetransmit
		}
		if seen || len(d.flows) < d.opts.MaxFlows {
			d.flows[k] = isn
		} else {
			d.c.FlowOverflow++
		}
		return clAttempt
	}
	if seen {
		return clUDPSeen
	}
	if len(d.flows) >= d.opts.MaxFlows {
		d.c.FlowOverflow++
		return clUDPUntracked
	}
	d.flows[k] = 0
	return clAttempt
}

// EtherTypes and address families met in link headers.
const (
	etherIPv4  = 0x0800
	etherIPv6  = 0x86dd
	etherVLAN  = 0x8100
	etherQinQ  = 0x88a8
	etherQinQ1 = 0x9100 // pre-standard 802.1ad
)

// decodeFrame finds the IP packet in a frame of link type lt and decodes it.
func decodeFrame(lt LinkType, b []byte) (Attempt, uint32, class) {
	switch lt {
	case LinkEthernet:
		if len(b) < 14 {
			return Attempt{}, 0, clTruncLink
		}
		return decodeEther(be16(b[12:]), b[14:])
	case LinkLinuxSLL:
		if len(b) < 16 {
			return Attempt{}, 0, clTruncLink
		}
		return decodeEther(be16(b[14:]), b[16:])
	case LinkLinuxSLL2:
		if len(b) < 20 {
			return Attempt{}, 0, clTruncLink
		}
		return decodeEther(be16(b[0:]), b[20:])
	case LinkRaw, LinkRawDLT12, LinkRawDLT14:
		return decodeIP(0, b)
	case LinkIPv4:
		return decodeIP(4, b)
	case LinkIPv6:
		return decodeIP(6, b)
	case LinkNull, LinkLoop:
		if len(b) < 4 {
			return Attempt{}, 0, clTruncLink
		}
		af := binary.BigEndian.Uint32(b)
		if lt == LinkNull && af > 0xffff {
			// NULL stores the family in the writer's byte order;
			// every known family fits in the low byte.
			af = binary.LittleEndian.Uint32(b)
		}
		switch af {
		case 2: // AF_INET everywhere
			return decodeIP(4, b[4:])
		case 10, 23, 24, 28, 30: // AF_INET6: Linux, Windows, NetBSD/OpenBSD, FreeBSD, macOS
			return decodeIP(6, b[4:])
		}
		return Attempt{}, 0, clNotIP
	}
	panic("capture: decodeFrame: unsupported link type " + lt.String())
}

func decodeEther(etype uint16, b []byte) (Attempt, uint32, class) {
	for etype == etherVLAN || etype == etherQinQ || etype == etherQinQ1 {
		if len(b) < 4 {
			return Attempt{}, 0, clTruncLink
		}
		etype, b = be16(b[2:]), b[4:]
	}
	switch etype {
	case etherIPv4:
		return decodeIP(4, b)
	case etherIPv6:
		return decodeIP(6, b)
	}
	return Attempt{}, 0, clNotIP
}

// decodeIP decodes an IPv4 or IPv6 packet; want is the version the link
// header announced, or 0 to take it from the packet.
func decodeIP(want byte, b []byte) (Attempt, uint32, class) {
	if len(b) < 1 {
		return Attempt{}, 0, clTruncIP
	}
	ver := b[0] >> 4
	if want != 0 && ver != want {
		return Attempt{}, 0, clBadIP
	}
	var a Attempt
	var proto byte
	switch ver {
	case 4:
		if len(b) < 20 {
			return a, 0, clTruncIP
		}
		ihl := int(b[0]&0x0f) * 4
		if ihl < 20 {
			return a, 0, clBadIP
		}
		if len(b) < ihl {
			return a, 0, clTruncIP
		}
		// Total length 0 is what TSO-offloaded captures show; trust the caplen.
		if total := int(be16(b[2:])); total != 0 {
			if total < ihl {
				return a, 0, clBadIP
			}
			if total < len(b) {
				b = b[:total] // drop link-layer padding
			}
		}
		if be16(b[6:])&0x1fff != 0 {
			return a, 0, clFragment
		}
		proto = b[9]
		a.Src = netip.AddrFrom4([4]byte(b[12:16]))
		a.Dst = netip.AddrFrom4([4]byte(b[16:20]))
		b = b[ihl:]
	case 6:
		if len(b) < 40 {
			return a, 0, clTruncIP
		}
		// Payload length 0 is a jumbogram (or TSO); trust the caplen.
		if plen := int(be16(b[4:])); plen != 0 && 40+plen < len(b) {
			b = b[:40+plen]
		}
		proto = b[6]
		a.Src = netip.AddrFrom16([16]byte(b[8:24]))
		a.Dst = netip.AddrFrom16([16]byte(b[24:40]))
		b = b[40:]
	ext:
		for {
			switch proto {
			case 0, 43, 60, 135, 139, 140: // hop-by-hop, routing, destination options, mobility, HIP, shim6
				if len(b) < 8 {
					return a, 0, clTruncExt
				}
				n := (int(b[1]) + 1) * 8
				if len(b) < n {
					return a, 0, clTruncExt
				}
				proto, b = b[0], b[n:]
			case 44: // fragment
				if len(b) < 8 {
					return a, 0, clTruncExt
				}
				if be16(b[2:])>>3 != 0 {
					return a, 0, clFragment
				}
				proto, b = b[0], b[8:]
			case 51: // authentication header
				if len(b) < 8 {
					return a, 0, clTruncExt
				}
				n := (int(b[1]) + 2) * 4
				if len(b) < n {
					return a, 0, clTruncExt
				}
				proto, b = b[0], b[n:]
			default:
				break ext
			}
		}
	default:
		return a, 0, clBadIP
	}
	switch Proto(proto) {
	case TCP:
		// The ports, sequence number and flags are all that is needed.
		if len(b) < 14 {
			return a, 0, clTruncTCP
		}
		if b[12]>>4 < 5 {
			return a, 0, clBadTCP
		}
		a.Proto = TCP
		a.SrcPort, a.DstPort = be16(b[0:]), be16(b[2:])
		const syn, ack = 0x02, 0x10
		switch flags := b[13]; {
		case flags&syn == 0:
			return a, 0, clTCPNoSYN
		case flags&ack != 0:
			return a, 0, clTCPSynAck
		}
		return a, binary.BigEndian.Uint32(b[4:]), clAttempt
	case UDP:
		if len(b) < 8 {
			return a, 0, clTruncUDP
		}
		a.Proto = UDP
		a.SrcPort, a.DstPort = be16(b[0:]), be16(b[2:])
		return a, 0, clAttempt
	}
	return a, 0, clNotTCPUDP
}

func be16(b []byte) uint16 { return binary.BigEndian.Uint16(b) }
