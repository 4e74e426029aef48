package capture

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// The pcap and pcapng readers replaced gopacket's pcapgo readers; these
// tests hold them to what Read made of any input through gopacket: the
// same capture, or the same error — but for one change made on purpose:
// a record longer than its snap length (or maxRecord, in pcapng) is cut to
// it and counted, where gopacket refused it (pcap) or read it whole.

// refRead is Read as it was, through gopacket's readers.
func refRead(data []byte, opts ReadOptions) (*Capture, error) {
	if opts.MaxAttempts == 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.MaxFlows == 0 {
		opts.MaxFlows = DefaultMaxFlows
	}
	d := newDecoder(opts)
	br := bufio.NewReaderSize(bytes.NewReader(data), bufSize)
	magic, _ := br.Peek(4)
	if len(magic) < 4 {
		return nil, nil
	}
	var err error
	switch binary.BigEndian.Uint32(magic) {
	case 0xa1b2c3d4, 0xd4c3b2a1:
		d.c.Format = "pcap"
		err = d.drain(refReadPcap(d, br))
	case 0xa1b23c4d, 0x4d3cb2a1:
		d.c.Format = "pcap-ns"
		err = d.drain(refReadPcap(d, br))
	case 0x0a0d0d0a:
		d.c.Format = "pcapng"
		err = d.drain(refReadPcapng(d, br))
	default:
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return d.capture(), nil
}

func refReadPcap(d *decoder, br *bufio.Reader) error {
	hdr, err := br.Peek(24)
	if err != nil {
		return inputErr("pcap header", "file ends after %d of 24 bytes", len(hdr))
	}
	order := binary.ByteOrder(binary.LittleEndian)
	if hdr[0] == 0xa1 {
		order = binary.BigEndian
	}
	lt := LinkType(order.Uint32(hdr[20:24]) & 0x03ffffff)
	if !lt.supported() {
		return unsupportedLink("pcap header", lt)
	}
	keep := recordKeep(min(order.Uint32(hdr[16:20]), maxRecord))
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
			if err == io.EOF && ci.CaptureLength == 0 {
				return nil
			}
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				d.c.Truncated = true
				return nil
			}
			return inputErr(fmt.Sprintf("packet %d", d.c.Packets+1), "%v", err)
		}
		if len(data) > keep {
			data = data[:keep]
			d.c.LongRecords++
		}
		if err := d.packet(lt, data, ci.Timestamp.Unix(), uint32(ci.Timestamp.Nanosecond())); err != nil {
			return err
		}
	}
}

func refReadPcapng(d *decoder, br *bufio.Reader) error {
	r, err := pcapgo.NewNgReader(br, pcapgo.NgReaderOptions{WantMixedLinkType: true})
	if err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return inputErr("pcapng section header", "file ends inside it")
		}
		return inputErr("pcapng section header", "%v", err)
	}
	last := LinkType(1 << 31)
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
		in, _ := r.Interface(ci.InterfaceIndex)
		if keep := recordKeep(in.SnapLength); len(data) > keep {
			data = data[:keep]
			d.c.LongRecords++
		}
		if lt != last {
			if !lt.supported() {
				return unsupportedLink(fmt.Sprintf("packet %d (interface %d)", d.c.Packets+1, ci.InterfaceIndex), lt)
			}
			d.addLinkType(lt)
			last = lt
		}
		if err := d.packet(lt, data, ci.Timestamp.Unix(), uint32(ci.Timestamp.Nanosecond())); err != nil {
			return err
		}
	}
}

// checkAgainstRef reads data with Read and refRead and wants the same.
func checkAgainstRef(t *testing.T, name string, data []byte) {
	t.Helper()
	opts := ReadOptions{MaxAttempts: 500, MaxFlows: 64}
	want, wantErr := refRead(data, opts)
	if want == nil && wantErr == nil {
		return // neither pcap nor pcapng
	}
	got, err := Read(bytes.NewReader(data), opts)
	if fmt.Sprint(err) != fmt.Sprint(wantErr) {
		t.Fatalf("%s: error %v; gopacket's readers gave %v", name, err, wantErr)
	}
	if err != nil {
		return
	}
	ga, wa := all(got), all(want)
	got.Attempts, want.Attempts = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: read\n%+v\ngopacket's readers gave\n%+v", name, got, want)
	}
	if len(ga) != len(wa) {
		t.Fatalf("%s: %d attempts; gopacket's readers gave %d", name, len(ga), len(wa))
	}
	for i := range ga {
		if ga[i] != wa[i] {
			t.Fatalf("%s: attempt %d is %+v; gopacket's readers gave %+v", name, i, ga[i], wa[i])
		}
	}
}

// refSeeds are the test captures and the fuzz corpus.
func refSeeds(t testing.TB) map[string][]byte {
	// Records longer than the reader's buffer, whole and cut.
	long := append(capIPv4("10.0.0.1", "10.0.0.2", 17, nil, 0, udpDgram(1, 2, "x")), make([]byte, 100_000)...)
	syn := capIPv4("10.0.0.1", "10.0.0.2", 6, nil, 0, tcpSeg(3, 4, 5, fSYN))
	seeds := map[string][]byte{
		"rich.pcapng":     richPcapng(),
		"long.pcap":       pcapBytes(binary.LittleEndian, false, 101, capRecs(syn, long, syn)),
		"long.pcapng":     pcapngBytes(binary.BigEndian, []uint16{101}, []ngPacket{{0, capT0, syn}, {0, capT0, long}, {0, capT0, syn}}),
		"long-cut.pcap":   pcapBytes(binary.LittleEndian, false, 101, capRecs(syn, long))[:80_000],
		"long-cut.pcapng": pcapngBytes(binary.LittleEndian, []uint16{101}, []ngPacket{{0, capT0, syn}, {0, capT0, long}})[:90_000],
	}
	for name, data := range handBuilt() {
		seeds[name] = data
	}
	paths, _ := filepath.Glob("testdata/*.pcap*")
	corpus, _ := filepath.Glob("testdata/fuzz/FuzzRead/*")
	for _, p := range append(paths, corpus...) {
		if strings.HasSuffix(p, ".golden") {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(p, "fuzz") {
			// go test fuzz v1 files hold a []byte literal.
			s := string(data)
			i, j := strings.Index(s, "[]byte("), strings.LastIndex(s, ")")
			var b []byte
			if _, err := fmt.Sscanf(s[i+len("[]byte("):j], "%q", &b); err != nil {
				continue
			}
			data = b
		}
		seeds[p] = data
	}
	// The hand-built captures are in testdata too.
	for name := range handBuilt() {
		delete(seeds, filepath.Join("testdata", name))
	}
	return seeds
}

// TestReadersAgreeWithGopacket reads every test capture, whole, cut at
// every length and with bytes changed at random, both ways.
func TestReadersAgreeWithGopacket(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 7))
	for name, data := range refSeeds(t) {
		checkAgainstRef(t, name, data)
		step := max(1, len(data)/2000) // every length of the small ones
		for n := 0; n < len(data); n += step {
			checkAgainstRef(t, fmt.Sprintf("%s cut to %d", name, n), data[:n])
		}
		for i := range 200 / step {
			m := bytes.Clone(data)
			for range 1 + rng.IntN(4) {
				j := rng.IntN(len(m))
				switch rng.IntN(3) {
				case 0:
					m[j] = byte(rng.IntN(256))
				case 1:
					m[j] ^= 1 << rng.IntN(8)
				default:
					m[j] = []byte{0, 1, 4, 0x7f, 0x80, 0xff}[rng.IntN(6)]
				}
			}
			checkAgainstRef(t, fmt.Sprintf("%s changed (%d)", name, i), m)
		}
	}
}

func FuzzReadersAgreeWithGopacket(f *testing.F) {
	for _, data := range refSeeds(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkAgainstRef(t, "input", data)
	})
}

// richPcapng is a pcapng with every kind of block and the options the
// reader looks at: two sections, the second big-endian; interfaces with
// binary and decimal resolutions and an offset; statistics, name
// resolution, decryption secrets and unknown blocks; enhanced packets with
// options, a simple packet and an obsolete packet block.
func richPcapng() []byte {
	syn := capIPv4("10.0.0.1", "10.0.0.2", 6, nil, 0, tcpSeg(1000, 80, 7, fSYN))
	syn6 := capIPv6("2001:db8::1", "2001:db8::2", 6, tcpSeg(1001, 443, 9, fSYN))
	udp := capIPv4("10.0.0.1", "10.0.0.53", 17, nil, 0, udpDgram(1002, 53, "abc"))
	opt := func(order binary.AppendByteOrder, b []byte, code uint16, v []byte) []byte {
		b = order.AppendUint16(b, code)
		b = order.AppendUint16(b, uint16(len(v)))
		b = append(b, v...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
		return b
	}
	end := func(order binary.AppendByteOrder, b []byte) []byte { return order.AppendUint32(b, 0) }
	var out []byte
	for _, order := range []binary.AppendByteOrder{binary.LittleEndian, binary.BigEndian} {
		shb := order.AppendUint32(nil, 0x1a2b3c4d)
		shb = order.AppendUint16(shb, 1)
		shb = order.AppendUint16(shb, 0)
		shb = order.AppendUint64(shb, ^uint64(0))
		shb = end(order, opt(order, shb, 1, []byte("a comment")))
		out = ngBlock(out, order, 0x0a0d0d0a, shb)
		idb := func(link uint16, opts ...[]byte) {
			b := order.AppendUint16(nil, link)
			b = order.AppendUint16(b, 0)
			b = order.AppendUint32(b, 96)
			for _, o := range opts {
				b = append(b, o...)
			}
			out = ngBlock(out, order, 1, end(order, b))
		}
		idb(101, opt(order, nil, 2, []byte("eth0")), opt(order, nil, 9, []byte{0x80 | 20}))
		idb(1, opt(order, nil, 9, []byte{3}), opt(order, nil, 14, order.AppendUint64(nil, 1_700_000_000)))
		idb(101) // microseconds
		epb := func(iface uint32, ts uint64, data []byte, opts ...[]byte) {
			b := order.AppendUint32(nil, iface)
			b = order.AppendUint32(b, uint32(ts>>32))
			b = order.AppendUint32(b, uint32(ts))
			b = order.AppendUint32(b, uint32(len(data)))
			b = order.AppendUint32(b, uint32(len(data)))
			b = append(b, data...)
			for len(b)%4 != 0 {
				b = append(b, 0)
			}
			for _, o := range opts {
				b = append(b, o...)
			}
			if len(opts) > 0 {
				b = end(order, b)
			}
			out = ngBlock(out, order, 6, b)
		}
		epb(0, 3<<40+12345, syn, opt(order, nil, 2, order.AppendUint32(nil, 1)), opt(order, nil, 1, []byte("packet comment")))
		epb(1, 1234567, capEther(0x86dd, syn6))
		nrb := order.AppendUint16(nil, 1)
		nrb = order.AppendUint16(nrb, 4+9)
		nrb = append(nrb, 10, 0, 0, 1)
		nrb = append(nrb, "host.one\x00"...)
		for len(nrb)%4 != 0 {
			nrb = append(nrb, 0)
		}
		nrb = order.AppendUint16(nrb, 2)
		nrb = order.AppendUint16(nrb, 16+4)
		nrb = append(nrb, capAddr("2001:db8::1").AsSlice()...)
		nrb = append(nrb, "six\x00"...)
		nrb = order.AppendUint16(nrb, 3)
		nrb = order.AppendUint16(nrb, 6)
		nrb = append(nrb, 1, 2, 3, 4, 5, 6, 0, 0)
		nrb = order.AppendUint16(nrb, 9)
		nrb = order.AppendUint16(nrb, 3)
		nrb = append(nrb, 1, 2, 3, 0)
		nrb = order.AppendUint32(nrb, 0)
		out = ngBlock(out, order, 4, end(order, opt(order, nrb, 1, []byte("names"))))
		isb := order.AppendUint32(nil, 1)
		isb = order.AppendUint32(isb, 0)
		isb = order.AppendUint32(isb, 99)
		isb = opt(order, isb, 2, order.AppendUint64(nil, 5))
		isb = opt(order, isb, 4, order.AppendUint64(nil, 10))
		out = ngBlock(out, order, 5, end(order, isb))
		out = ngBlock(out, order, 10, order.AppendUint32(order.AppendUint32(nil, 0x544c534b), 0))
		out = ngBlock(out, order, 0x0bad, []byte("unknown block"))
		spb := order.AppendUint32(nil, uint32(len(udp)))
		out = ngBlock(out, order, 3, append(spb, udp...))
		pb := order.AppendUint16(nil, 2)
		pb = order.AppendUint16(pb, 0)
		pb = order.AppendUint32(pb, 0)
		pb = order.AppendUint32(pb, 77)
		pb = order.AppendUint32(pb, uint32(len(syn)))
		pb = order.AppendUint32(pb, uint32(len(syn)))
		out = ngBlock(out, order, 2, append(pb, syn...))
		epb(2, 1_700_000_000_000_001, udp)
	}
	return out
}
