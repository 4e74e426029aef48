package capture

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"net/netip"
	"time"

	"github.com/dchest/siphash"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// WritePcapng writes attempts as a pcapng file of raw IP packets (link
// type 101), one per attempt with the attempt's time at nanosecond
// resolution: a TCP SYN, or an 8-byte UDP datagram, with valid IP, TCP and
// UDP checksums. An attempt with a stack is written in its shape (its TTL,
// DF, IP ID, window and options, as far as the packet carries them: a UDP
// datagram has no TCP fields, IPv6 no DF or IP ID); one without is
// written as a PcapngWriter without SetStack writes it. Wireshark opens
// the file and Read reads the same attempts back, as long as no UDP
// 5-tuple repeats or answers another (those read as later datagrams or
// replies).
//
// The output depends on the attempts alone: no clock, host name or OS
// goes into it, and the SYN sequence numbers are a fixed-key hash of the
// tuple, time and position. Address zones are dropped. Times must lie
// between 1970 and 2262, what pcapng's unsigned nanosecond stamps hold.
func WritePcapng(w io.Writer, attempts []Attempt) error {
	// Check everything first so a bad attempt leaves no partial file.
	for i, a := range attempts {
		if err := checkPcapng(a); err != nil {
			return fmt.Errorf("attempt %d: %w", i, err)
		}
	}
	pw, err := NewPcapngWriter(w)
	if err != nil {
		return err
	}
	for _, a := range attempts {
		if err := pw.Write(a); err != nil {
			return err
		}
	}
	return pw.Flush()
}

// IPIDMode is how a stack numbers the IPv4 identification of its packets.
type IPIDMode uint8

const (
	// IPIDRandom draws each packet's ID afresh.
	IPIDRandom IPIDMode = iota
	// IPIDIncrement keeps one counter per source address, +1 a packet.
	IPIDIncrement
	// IPIDZero writes 0.
	IPIDZero
)

func (m IPIDMode) String() string {
	switch m {
	case IPIDRandom:
		return "random"
	case IPIDIncrement:
		return "increment"
	case IPIDZero:
		return "zero"
	}
	return fmt.Sprintf("IPIDMode(%d)", uint8(m))
}

// PcapngWriter writes attempts one at a time, as WritePcapng writes them
// all: the same attempts give the same bytes. It buffers; call Flush at
// the end.
type PcapngWriter struct {
	nw  *pcapgo.NgWriter
	n   int // attempts written
	buf [maxSynth]byte
	// The shape of attempts without a stack, from SetStack; without
	// one, each family's default.
	shape  *shape
	ipids  IPIDMode
	nextID map[netip.Addr]uint16 // IPIDIncrement's counters
}

// NewPcapngWriter writes the file's section and interface blocks to w.
func NewPcapngWriter(w io.Writer) (*PcapngWriter, error) {
	nw, err := pcapgo.NewNgWriterInterface(w,
		pcapgo.NgInterface{
			Name:                "portsim",
			Description:         "synthetic SYNs and first UDP datagrams written by portsim",
			LinkType:            layers.LinkTypeRaw,
			SnapLength:          maxRecord,
			TimestampResolution: 9,
		},
		pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Application: "portsim"}},
	)
	if err != nil {
		return nil, err
	}
	return &PcapngWriter{nw: nw}, nil
}

// SetStack makes w write the attempts that have no stack of their own in
// shape s, their IPv4 IDs numbered as ids says: what an operating system's
// SYNs look like, so that a capture of a simulated host can be told by its
// stack as a real one is. Without it they are written as TTL 64, DF,
// window 64240 and one MSS option (1460, 1440 over IPv6) with random IDs.
// It refuses a shape a SYN cannot carry as it is: bad options, options of
// more than 40 bytes or not a multiple of 4, or an MSS or window scale its
// options have no room for (or a ws option without a scale).
func (w *PcapngWriter) SetStack(s Stack, ids IPIDMode) error {
	k, err := checkStack(s)
	if err != nil {
		return fmt.Errorf("stack: %w", err)
	}
	if ids > IPIDZero {
		return fmt.Errorf("IP ID mode %v: want random, increment or zero", ids)
	}
	w.shape, w.ipids = &k, ids
	return nil
}

// Write writes a as the next packet, or says why it cannot be written
// (see WritePcapng) and writes nothing.
func (w *PcapngWriter) Write(a Attempt) error {
	if err := checkPcapng(a); err != nil {
		return fmt.Errorf("attempt %d: %w", w.n, err)
	}
	var pkt []byte
	if a.HasStack {
		k, _ := checkStack(a.Stack) // checkPcapng passed it
		pkt = synthPacket(w.buf[:0], a, isnHash(a, w.n), &k, a.IPID)
	} else {
		pkt = w.synth(a)
	}
	w.n++
	return w.nw.WritePacket(gopacket.CaptureInfo{Timestamp: a.Time, CaptureLength: len(pkt), Length: len(pkt)}, pkt)
}

// synth makes the packet of a, which has no stack of its own, in w's
// shape.
func (w *PcapngWriter) synth(a Attempt) []byte {
	k := w.shape
	if k == nil {
		k = &defaultShape4
		if !a.Src.Is4() {
			k = &defaultShape6
		}
	}
	h := isnHash(a, w.n)
	var id uint16
	switch w.ipids {
	case IPIDRandom:
		id = uint16(h >> 32)
	case IPIDIncrement:
		if a.Src.Is4() {
			src := a.Src.WithZone("")
			if w.nextID == nil {
				w.nextID = map[netip.Addr]uint16{}
			}
			next, ok := w.nextID[src]
			if !ok {
				// A start of its own for each host, the same every run.
				b := src.As4()
				next = uint16(siphash.Hash(isnKey0, isnKey1, b[:]))
			}
			id = next
			w.nextID[src] = next + 1
		}
	}
	return synthPacket(w.buf[:0], a, h, k, id)
}

// The shapes of attempts written without a stack.
var defaultShape4, defaultShape6 = defaultShape(1460), defaultShape(1440)

func defaultShape(mss uint16) shape {
	k := shape{ttl: 64, flags: shapeDF, win: 64240, mss: mss, ws: -1, n: 1}
	k.opts[0] = optMSS
	return k
}

// Flush writes out what is buffered.
func (w *PcapngWriter) Flush() error { return w.nw.Flush() }

// checkPcapng reports what makes a unfit for a pcapng file.
func checkPcapng(a Attempt) error {
	if err := checkAttempt(a); err != nil {
		return err
	}
	if a.Src.Is4() != a.Dst.Is4() {
		return fmt.Errorf("src %v and dst %v: want both IPv4 or both IPv6", a.Src, a.Dst)
	}
	if a.Time.Before(time.Unix(0, 0)) || a.Time.After(time.Unix(0, math.MaxInt64)) {
		return fmt.Errorf("time %v: want 1970-01-01 to 2262-04-11 (pcapng nanosecond stamps)", a.Time)
	}
	if a.HasStack && a.Proto == TCP {
		if _, err := checkStack(a.Stack); err != nil {
			return fmt.Errorf("stack: %w", err)
		}
	}
	return nil
}

// checkStack is s as a shape if a SYN can carry it so that Read reads
// the same back: its options must parse, have no bad, and take a multiple
// of 4 bytes up to 40 (as a real header's do); MSS and WScale must be
// what its options say (0 and -1 without mss or ws).
func checkStack(s Stack) (shape, error) {
	k, err := shapeOf(s)
	if err != nil {
		return k, err
	}
	if k.flags&shapeBad != 0 {
		return k, fmt.Errorf("options %q: bad cannot be written", s.Options)
	}
	hasMSS, hasWS := false, false
	for _, o := range k.opts[:k.n] {
		hasMSS = hasMSS || o == optMSS
		hasWS = hasWS || o == optWS
	}
	if !hasMSS && s.MSS != 0 {
		return k, fmt.Errorf("MSS %d without an mss option in %q", s.MSS, s.Options)
	}
	if hasWS != (s.WScale >= 0) {
		return k, fmt.Errorf("window scale %d and options %q: want ws in the options exactly when the scale is 0 or more", s.WScale, s.Options)
	}
	if n := optionsLen(&k); n%4 != 0 || n > maxOpts {
		return k, fmt.Errorf("options %q take %d bytes; want a multiple of 4 up to 40 (pad with nop or eol+N)", s.Options, n)
	}
	return k, nil
}

// Lengths of the options written.
var optLens = [256]uint8{optNOP: 1, optMSS: 4, optWS: 3, optSOK: 2, optSACK: 2, optTS: 10}

func optLen(kind uint8) int {
	if n := optLens[kind]; n != 0 {
		return int(n)
	}
	return 2 // another kind: no data
}

// optionsLen is how many bytes k's options take.
func optionsLen(k *shape) int {
	n := 0
	for _, o := range k.opts[:k.n] {
		n += optLen(o)
	}
	if k.flags&shapeEOL != 0 {
		n += 1 + int(k.eolPad)
	}
	return n
}

// appendOptions appends k's options, tsval the timestamp a ts option
// carries.
func appendOptions(b []byte, k *shape, tsval uint32) []byte {
	for _, o := range k.opts[:k.n] {
		switch o {
		case optNOP:
			b = append(b, optNOP)
		case optMSS:
			b = append(b, optMSS, 4, byte(k.mss>>8), byte(k.mss))
		case optWS:
			b = append(b, optWS, 3, byte(k.ws))
		case optTS:
			b = append(b, optTS, 10)
			b = binary.BigEndian.AppendUint32(b, tsval)
			b = append(b, 0, 0, 0, 0)
		default:
			b = append(b, o, 2)
		}
	}
	if k.flags&shapeEOL != 0 {
		b = append(b, optEOL)
		for range k.eolPad {
			b = append(b, 0)
		}
	}
	return b
}

// Sizes of the synthetic packets.
const (
	udpLen   = 8 + len(udpPayload)
	maxSynth = 40 + 20 + maxOpts
)

const udpPayload = "portsim\n"

// isnKey is a fixed SipHash key: the sequence numbers only need to look
// like a kernel's and be the same on every run.
const isnKey0, isnKey1 = 0x706f727473696d20, 0x69736e206b657921

// isnHash is the hash a's packet takes its sequence number (and random IP
// ID, and timestamp) from; i is its position.
func isnHash(a Attempt, i int) uint64 {
	var seed [16 + 16 + 2 + 2 + 8 + 8]byte
	s16, d16 := a.Src.As16(), a.Dst.As16()
	copy(seed[0:], s16[:])
	copy(seed[16:], d16[:])
	binary.BigEndian.PutUint16(seed[32:], a.SrcPort)
	binary.BigEndian.PutUint16(seed[34:], a.DstPort)
	binary.BigEndian.PutUint64(seed[36:], uint64(a.Time.UnixNano()))
	// The position keeps a reused 4-tuple from repeating a sequence
	// number, which would read back as a retransmission.
	binary.BigEndian.PutUint64(seed[44:], uint64(i))
	return siphash.Hash(isnKey0, isnKey1, seed[:])
}

// synthPacket appends to b the IP packet for attempt a in shape k with
// IPv4 ID id, its sequence number (and timestamp) from h, its isnHash.
func synthPacket(b []byte, a Attempt, h uint64, k *shape, id uint16) []byte {
	l4len := udpLen
	if a.Proto == TCP {
		l4len = 20 + optionsLen(k)
	}
	var ip int // length of the IP header
	if a.Src.Is4() {
		ip = 20
		frag := byte(0)
		if k.flags&shapeDF != 0 {
			frag = 0x40
		}
		b = append(b, 0x45, 0, 0, 0, 0, 0, frag, 0, k.ttl, byte(a.Proto), 0, 0)
		binary.BigEndian.PutUint16(b[2:], uint16(ip+l4len))
		binary.BigEndian.PutUint16(b[4:], id)
		s, d := a.Src.As4(), a.Dst.As4()
		b = append(b, s[:]...)
		b = append(b, d[:]...)
		binary.BigEndian.PutUint16(b[10:], ^csumFold(csum(0, b[:20])))
	} else {
		ip = 40
		b = append(b, 0x60, 0, 0, 0, 0, 0, byte(a.Proto), k.ttl)
		binary.BigEndian.PutUint16(b[4:], uint16(l4len))
		s16, d16 := a.Src.As16(), a.Dst.As16()
		b = append(b, s16[:]...)
		b = append(b, d16[:]...)
	}
	l4 := len(b)
	b = binary.BigEndian.AppendUint16(b, a.SrcPort)
	b = binary.BigEndian.AppendUint16(b, a.DstPort)
	if a.Proto == TCP {
		b = binary.BigEndian.AppendUint32(b, uint32(h)) // ISN
		b = append(b,
			0, 0, 0, 0, // ack
			byte(l4len/4<<4), 0x02, // data offset, SYN
			byte(k.win>>8), byte(k.win),
			0, 0, // checksum
			0, 0) // urgent pointer
		b = appendOptions(b, k, uint32(h>>16))
	} else {
		b = binary.BigEndian.AppendUint16(b, uint16(udpLen))
		b = append(b, 0, 0)
		b = append(b, udpPayload...)
	}
	// Checksum over the pseudo-header and the segment.
	var c uint32
	if ip == 20 {
		c = csum(c, b[12:20])
	} else {
		c = csum(c, b[8:40])
	}
	c += uint32(a.Proto) + uint32(l4len)
	c = csum(c, b[l4:])
	ck := ^csumFold(c)
	if a.Proto == UDP && ck == 0 {
		ck = 0xffff // 0 means "no checksum" in UDP
	}
	off := 16 // TCP checksum
	if a.Proto == UDP {
		off = 6
	}
	binary.BigEndian.PutUint16(b[l4+off:], ck)
	return b
}

// csum adds b as big-endian 16-bit words to c (RFC 1071).
func csum(c uint32, b []byte) uint32 {
	for len(b) >= 2 {
		c += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		c += uint32(b[0]) << 8
	}
	return c
}

// csumFold folds the carries of a one's-complement sum into 16 bits.
func csumFold(c uint32) uint16 {
	for c > 0xffff {
		c = c>>16 + c&0xffff
	}
	return uint16(c)
}
