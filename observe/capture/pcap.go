package capture

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
)

// readPcap reads a pcap file: a 24-byte header, then records of a 16-byte
// header and the packet. It accepts and refuses what gopacket's
// pcapgo.Reader (which it replaced) did, with the same messages: version
// 2.4 only, records no longer than maxRecord or their original length.
// But a record longer than the file's snap length is read as libpcap
// reads it, cut to the snap length (counted in LongRecords), where
// gopacket refused it.
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
	if v := order.Uint16(hdr[4:6]); v != 2 {
		return inputErr("pcap header", "Unknown major version %d", v)
	}
	if v := order.Uint16(hdr[6:8]); v != 4 {
		return inputErr("pcap header", "Unknown minor version %d", v)
	}
	frac := uint32(1000) // microseconds
	if m := order.Uint32(hdr[0:4]); m == 0xa1b23c4d {
		frac = 1
	}
	snaplen := min(order.Uint32(hdr[16:20]), maxRecord)
	keep := recordKeep(snaplen)
	br.Discard(24)
	d.c.LinkTypes = append(d.c.LinkTypes, lt)
	r := recReader{br: br}
	for {
		// A clean end is io.EOF before a record header; a record cut
		// anywhere is a cut file.
		h, err := r.read(16)
		if err == io.EOF {
			return nil
		}
		if err == io.ErrUnexpectedEOF {
			d.c.Truncated = true
			return nil
		}
		if err != nil {
			return inputErr(fmt.Sprintf("packet %d", d.c.Packets+1), "%v", err)
		}
		sec, sub := order.Uint32(h[0:4]), order.Uint32(h[4:8])*frac // wraps as gopacket's did
		caplen, length := int(order.Uint32(h[8:12])), int(order.Uint32(h[12:16]))
		if caplen > maxRecord {
			return inputErr(fmt.Sprintf("packet %d", d.c.Packets+1), "capture length exceeds snap length: %d > %d", caplen, snaplen)
		}
		if caplen > length {
			return inputErr(fmt.Sprintf("packet %d", d.c.Packets+1), "capture length exceeds original packet length: %d > %d", caplen, length)
		}
		data, err := r.read(min(caplen, keep))
		long := err == nil && caplen > keep
		if long {
			// What follows would refill the buffer under data.
			r.long = append(r.long[:0], data...)
			data = r.long
			err = r.skip(caplen - keep)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			d.c.Truncated = true
			return nil
		}
		if err != nil {
			return inputErr(fmt.Sprintf("packet %d", d.c.Packets+1), "%v", err)
		}
		if long {
			d.c.LongRecords++
		}
		s, ns := unixTime(int64(sec), int64(sub))
		if err := d.packet(lt, data, s, ns); err != nil {
			return err
		}
	}
}

// recordKeep is how much of a record is kept with snap length snaplen: 0
// means none was set (libpcap's reading: up to the largest record).
func recordKeep(snaplen uint32) int {
	if snaplen == 0 || snaplen > maxRecord {
		return maxRecord
	}
	return int(snaplen)
}

// unixTime is time.Unix(sec, nsec) as Unix seconds and nanoseconds within
// the second: nsec outside [0, 1e9) carries into the seconds.
func unixTime(sec, nsec int64) (int64, uint32) {
	if nsec < 0 || nsec >= 1e9 {
		n := nsec / 1e9
		sec += n
		nsec -= n * 1e9
		if nsec < 0 {
			nsec += 1e9
			sec--
		}
	}
	return sec, uint32(nsec)
}
