package capture

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/dchest/siphash"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// WritePcapng writes attempts as a pcapng file of raw IP packets (link
// type 101), one per attempt with the attempt's time at nanosecond
// resolution: a TCP SYN with an MSS option, or an 8-byte UDP datagram,
// with valid IP, TCP and UDP checksums. Wireshark opens it and
// Read reads the same attempts back, as long as no UDP 5-tuple
// repeats (a repeat reads as a later datagram of the first flow).
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

// PcapngWriter writes attempts one at a time, as WritePcapng writes them
// all: the same attempts give the same bytes. It buffers; call Flush at
// the end.
type PcapngWriter struct {
	nw  *pcapgo.NgWriter
	n   int // attempts written
	buf [maxSynth]byte
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

// Write writes a as the next packet, or says why it cannot be written
// (see WritePcapng) and writes nothing.
func (w *PcapngWriter) Write(a Attempt) error {
	if err := checkPcapng(a); err != nil {
		return fmt.Errorf("attempt %d: %w", w.n, err)
	}
	pkt := synthPacket(w.buf[:0], a, w.n)
	w.n++
	return w.nw.WritePacket(gopacket.CaptureInfo{Timestamp: a.Time, CaptureLength: len(pkt), Length: len(pkt)}, pkt)
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
	return nil
}

// Sizes of the synthetic packets.
const (
	synTCPLen = 24 // TCP header with a 4-byte MSS option
	udpLen    = 8 + len(udpPayload)
	maxSynth  = 40 + synTCPLen
)

const udpPayload = "portsim\n"

// isnKey is a fixed SipHash key: the sequence numbers only need to look
// like a kernel's and be the same on every run.
const isnKey0, isnKey1 = 0x706f727473696d20, 0x69736e206b657921

// synthPacket appends to b the IP packet for attempt a, the i'th written.
func synthPacket(b []byte, a Attempt, i int) []byte {
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
	h := siphash.Hash(isnKey0, isnKey1, seed[:])

	l4len := synTCPLen
	if a.Proto == UDP {
		l4len = udpLen
	}
	var ip int // length of the IP header
	if a.Src.Is4() {
		ip = 20
		b = append(b, 0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, byte(a.Proto), 0, 0)
		binary.BigEndian.PutUint16(b[2:], uint16(ip+l4len))
		binary.BigEndian.PutUint16(b[4:], uint16(h>>32)) // IP ID
		s, d := a.Src.As4(), a.Dst.As4()
		b = append(b, s[:]...)
		b = append(b, d[:]...)
		binary.BigEndian.PutUint16(b[10:], ^csumFold(csum(0, b[:20])))
	} else {
		ip = 40
		b = append(b, 0x60, 0, 0, 0, 0, 0, byte(a.Proto), 64)
		binary.BigEndian.PutUint16(b[4:], uint16(l4len))
		b = append(b, s16[:]...)
		b = append(b, d16[:]...)
	}
	l4 := len(b)
	b = binary.BigEndian.AppendUint16(b, a.SrcPort)
	b = binary.BigEndian.AppendUint16(b, a.DstPort)
	if a.Proto == TCP {
		mss := uint16(1460)
		if ip == 40 {
			mss = 1440
		}
		b = binary.BigEndian.AppendUint32(b, uint32(h)) // ISN
		b = append(b,
			0, 0, 0, 0, // ack
			synTCPLen/4<<4, 0x02, // data offset, SYN
			0xfa, 0xf0, // window 64240
			0, 0, // checksum
			0, 0, // urgent pointer
			2, 4, byte(mss>>8), byte(mss)) // MSS option
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
