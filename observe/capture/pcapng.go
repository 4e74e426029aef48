package capture

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// readPcapng reads a pcapng file: sections of interface descriptions,
// statistics, name resolution and packet blocks (enhanced, simple and the
// obsolete packet block), in either byte order, with each interface's
// timestamp resolution (if_tsresol) and offset (if_tsoffset).
func (d *decoder) readPcapng(br *bufio.Reader) error {
	r := &ngReader{r: recReader{br: br}}
	if err := r.start(); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return inputErr("pcapng section header", "file ends inside it")
		}
		return inputErr("pcapng section header", "%v", err)
	}
	last := LinkType(1 << 31) // no link type yet
	for {
		data, p, err := r.next()
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
		if lt := r.ifaces[p.iface].link; lt != last {
			if !lt.supported() {
				return unsupportedLink(fmt.Sprintf("packet %d (interface %d)", d.c.Packets+1, p.iface), lt)
			}
			d.addLinkType(lt)
			last = lt
		}
		if p.long {
			d.c.LongRecords++
		}
		if err := d.packet(last, data, p.sec, p.nsec); err != nil {
			return err
		}
	}
}

// ngReader reads pcapng blocks as gopacket's pcapgo.NgReader did before
// it (with mixed link types allowed): the same packets, times and errors,
// down to how it counts a block's bytes left (a uint32 that wraps when a
// block's parts overrun its length, after which it reads on into what
// follows) and the words of its messages. It reads the packets from the
// buffer and keeps nothing of a block that Read does not use. But where
// gopacket read a packet of any length whole, it keeps no more of one than
// its interface's snap length, or maxRecord, and skips the rest, as
// libpcap does: a damaged length costs no memory.
type ngReader struct {
	r      recReader
	big    bool // the section's byte order
	ifaces []ngIface
	typ    uint32 // the current block's type
	left   uint32 // its bytes not yet read
	pkt    []byte // the packet next returned
	opt    []byte // the value option returned
}

// zeroTimeUnix is the zero time.Time's Unix seconds: the time of a simple
// packet block, which has no stamp.
var zeroTimeUnix = time.Time{}.Unix()

// ngIface is what a packet needs of its interface.
type ngIface struct {
	link    LinkType
	snaplen uint32
	keep    int // how much of a packet is kept: recordKeep(snaplen)
	// A stamp's units per second, the offset in seconds added to it,
	// and the scaling of the units left over to nanoseconds.
	perSec, offset, scaleUp, scaleDown uint64
}

// ngRecord is where a packet came from and when, and whether it was
// longer than its interface's snap length.
type ngRecord struct {
	iface int
	sec   int64
	nsec  uint32
	long  bool
}

// Block types, byte-order magic and option codes of pcapng.
const (
	ngIDB = 1          // interface description
	ngPB  = 2          // packet (obsolete)
	ngSPB = 3          // simple packet
	ngNRB = 4          // name resolution
	ngISB = 5          // interface statistics
	ngEPB = 6          // enhanced packet
	ngSHB = 0x0a0d0d0a // section header, the same in either byte order

	ngByteOrder = 0x1a2b3c4d

	ngOptEnd      = 0
	ngOptTSResol  = 9  // if_tsresol
	ngOptTSOffset = 14 // if_tsoffset
)

func (r *ngReader) u16(b []byte) uint16 {
	if r.big {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func (r *ngReader) u32(b []byte) uint32 {
	if r.big {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

func (r *ngReader) u64(b []byte) uint64 {
	if r.big {
		return binary.BigEndian.Uint64(b)
	}
	return binary.LittleEndian.Uint64(b)
}

// bytes reads n bytes of a block; the input ending is io.ErrUnexpectedEOF.
func (r *ngReader) bytes(n int) ([]byte, error) {
	b, err := r.r.read(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return b, err
}

// discard skips n bytes of the current block.
func (r *ngReader) discard(n int) error {
	if _, err := r.r.br.Discard(n); err != nil {
		if err == io.EOF {
			return io.ErrUnexpectedEOF
		}
		return fmt.Errorf("could not discard %d bytes: %v", n, err)
	}
	r.left -= uint32(n)
	return nil
}

// start reads the first block, which must be a section header.
func (r *ngReader) start() error {
	if err := r.block(); err != nil {
		return err
	}
	if r.typ != ngSHB {
		return fmt.Errorf("Unknown magic %x", r.typ)
	}
	return r.section()
}

// block reads a block's type and length; the input ending before it is
// io.EOF. A section header also sets the byte order.
func (r *ngReader) block() error {
	h, err := r.r.read(8)
	if err != nil {
		return err
	}
	r.typ = r.u32(h[0:4])
	if r.typ != ngSHB {
		r.left = r.u32(h[4:8]) - 8
		return nil
	}
	length := [4]byte(h[4:8]) // h is gone after the next read
	bom, err := r.bytes(4)
	if err != nil {
		return err
	}
	switch {
	case binary.BigEndian.Uint32(bom) == ngByteOrder:
		r.big = true
	case binary.LittleEndian.Uint32(bom) == ngByteOrder:
		r.big = false
	default:
		return errors.New("Wrong byte order value in Section Header")
	}
	r.left = r.u32(length[:]) - 8 - 4
	return nil
}

// option reads one option of the current block: its code and value, or
// ngOptEnd when the block has 4 bytes left (the trailer).
func (r *ngReader) option() (uint16, []byte, error) {
	if r.left == 4 {
		return ngOptEnd, nil, nil
	}
	h, err := r.bytes(4)
	if err != nil {
		return 0, nil, err
	}
	r.left -= 4
	code, length := r.u16(h[0:2]), r.u16(h[2:4])
	if code == ngOptEnd {
		if length != 0 {
			return 0, nil, errors.New("End of Options must be zero length")
		}
		return ngOptEnd, nil, nil
	}
	if length == 0 {
		return code, nil, nil
	}
	v, err := r.bytes(int(length))
	if err != nil {
		return 0, nil, err
	}
	v = append(r.opt[:0], v...) // the padding's read may refill the buffer under v
	r.opt = v
	if pad := length % 4; pad > 0 {
		if err := r.discard(int(4 - pad)); err != nil {
			return 0, nil, err
		}
	}
	r.left -= uint32(length)
	return code, v, nil
}

// skipOptions reads the current block's options up to their end.
func (r *ngReader) skipOptions() error {
	for {
		code, _, err := r.option()
		if err != nil || code == ngOptEnd {
			return err
		}
	}
}

// section reads a section header's body: version 1.0 only.
func (r *ngReader) section() error {
	r.ifaces = r.ifaces[:0]
	b, err := r.bytes(12)
	if err != nil {
		return err
	}
	r.left -= 12
	if r.u16(b[0:2]) != 1 || r.u16(b[2:4]) != 0 {
		return errors.New("Unknown pcapng Version in Section Header")
	}
	if err := r.skipOptions(); err != nil {
		return err
	}
	return r.discard(int(r.left))
}

// iface reads an interface description.
func (r *ngReader) iface() error {
	b, err := r.bytes(8)
	if err != nil {
		return err
	}
	r.left -= 8
	in := ngIface{link: LinkType(r.u16(b[0:2])), snaplen: r.u32(b[4:8])}
	in.keep = recordKeep(in.snaplen)
	resol := uint8(0)
	for {
		code, v, err := r.option()
		if err != nil {
			return err
		}
		if code == ngOptEnd {
			break
		}
		switch {
		case code == ngOptTSOffset && len(v) >= 8:
			in.offset = r.u64(v)
		case code == ngOptTSResol && len(v) >= 1:
			resol = v[0]
		}
	}
	if err := r.discard(int(r.left)); err != nil {
		return err
	}
	if resol == 0 {
		resol = 6
	}
	exp := resol & 0x7f
	if resol&0x80 != 0 {
		// A negative power of 2.
		if exp > 63 {
			return fmt.Errorf("Timestamp resolution 2^-%d is too high", exp)
		}
		in.perSec = 1 << exp
	} else {
		// A negative power of 10; from 10^-20 the units wrap, as they
		// always did.
		if exp > 63 {
			return fmt.Errorf("Timestamp resolution 10^-%d is too high", exp)
		}
		in.perSec = 1
		for range exp {
			in.perSec *= 10
		}
	}
	in.scaleUp, in.scaleDown = 1, 1
	if in.perSec < 1e9 {
		in.scaleUp = 1e9 / in.perSec
	} else {
		in.scaleDown = in.perSec / 1e9
	}
	r.ifaces = append(r.ifaces, in)
	return nil
}

// stamp is the time of a stamp on interface i.
func (r *ngReader) stamp(i int, ts uint64) (int64, uint32) {
	in := &r.ifaces[i]
	return unixTime(int64(ts/in.perSec+in.offset), int64(ts%in.perSec*in.scaleUp/in.scaleDown))
}

func notPresent(i, n int) error {
	return fmt.Errorf("Interface id %d not present in section (have only %d interfaces)", i, n)
}

// statistics reads an interface statistics block, for its errors alone.
func (r *ngReader) statistics() error {
	b, err := r.bytes(12)
	if err != nil {
		return err
	}
	r.left -= 12
	if i := int(r.u32(b[0:4])); i >= len(r.ifaces) {
		return notPresent(i, len(r.ifaces))
	}
	if err := r.skipOptions(); err != nil {
		return err
	}
	return r.discard(int(r.left))
}

// names reads a name resolution block, for its errors alone.
func (r *ngReader) names() error {
	for r.left > 0 {
		h, err := r.bytes(4)
		if err != nil {
			return fmt.Errorf("could not read NameRecord Header block length: %v", err)
		}
		r.left -= 4
		typ := r.u16(h[0:2])
		length := min(int(r.u16(h[2:4])), int(r.left))
		pad := (4 - length%4) % 4
		var addrLen int
		var what string
		switch typ {
		case 0: // end of records
			return r.discard(int(r.left))
		case 1:
			addrLen, what = 4, "IPv4 address: could not read IP address"
		case 2:
			addrLen, what = 16, "IPv6 address: could not read IP address"
		case 3:
			addrLen, what = 6, "EUI-48 address: could not read EUI address"
		case 4:
			addrLen, what = 8, "EUI-64 address: could not read EUI address"
		default:
			if err := r.discard(length + pad); err != nil {
				return fmt.Errorf("could not discard unknown name record: %v", err)
			}
			continue
		}
		if length < addrLen {
			return fmt.Errorf("name record of type %d is too short for its address", typ)
		}
		if _, err := r.bytes(addrLen); err != nil {
			return fmt.Errorf("could not read %s: %v", what, err)
		}
		r.left -= uint32(length)
		if _, err := r.bytes(length - addrLen); err != nil {
			return fmt.Errorf("could not read name: %v", err)
		}
		if err := r.discard(pad); err != nil {
			return err
		}
	}
	return r.discard(int(r.left))
}

// plainEPB reads the current block if it is an enhanced packet block
// without options whose body is buffered already, the commonest block by
// far: the same packet as the general path in next, but without copying
// it out of the buffer (nothing is read before it is decoded).
func (r *ngReader) plainEPB() ([]byte, ngRecord, bool) {
	n := int(r.left)
	if r.typ != ngEPB || n < 24 || n > r.r.br.Buffered() {
		return nil, ngRecord{}, false
	}
	b, _ := r.r.br.Peek(n)
	iface, caplen := int(r.u32(b[0:4])), int(r.u32(b[12:16]))
	if iface >= len(r.ifaces) || 20+caplen+(4-caplen&3)&3+4 != n || caplen > r.ifaces[iface].keep {
		return nil, ngRecord{}, false // an error, options, lengths that do not add up or a long packet: next sorts them out
	}
	p := ngRecord{iface: iface}
	p.sec, p.nsec = r.stamp(iface, uint64(r.u32(b[4:8]))<<32|uint64(r.u32(b[8:12])))
	r.r.br.Discard(n)
	r.left = 0
	return b[20 : 20+caplen], p, true
}

// next returns the next packet and where it came from, reading the blocks
// before it; io.EOF is a clean end between blocks. The data are valid
// until the next call.
func (r *ngReader) next() ([]byte, ngRecord, error) {
	var p ngRecord
	var caplen int
	for found := false; !found; {
		if err := r.block(); err != nil {
			return nil, p, err
		}
		if data, p, ok := r.plainEPB(); ok {
			return data, p, nil
		}
		switch r.typ {
		case ngEPB, ngPB:
			b, err := r.bytes(20)
			if err != nil {
				return nil, p, err
			}
			r.left -= 20
			if r.typ == ngEPB {
				p.iface = int(r.u32(b[0:4]))
			} else {
				p.iface = int(r.u16(b[0:2]))
			}
			if p.iface >= len(r.ifaces) {
				return nil, p, notPresent(p.iface, len(r.ifaces))
			}
			p.sec, p.nsec = r.stamp(p.iface, uint64(r.u32(b[4:8]))<<32|uint64(r.u32(b[8:12])))
			caplen = int(r.u32(b[12:16]))
			found = true
		case ngSPB:
			b, err := r.bytes(4)
			if err != nil {
				return nil, p, err
			}
			r.left -= 4
			// No stamp: the zero time.Time.
			p.iface, p.sec, p.nsec = 0, zeroTimeUnix, 0
			caplen = int(r.u32(b))
			if len(r.ifaces) == 0 {
				return nil, p, errors.New("At least one Interface is needed for a packet")
			}
			if s := r.ifaces[0].snaplen; s != 0 && uint32(caplen) > s {
				caplen = int(s)
			}
			found = true
		case ngIDB:
			if err := r.iface(); err != nil {
				return nil, p, err
			}
		case ngISB:
			if err := r.statistics(); err != nil {
				return nil, p, err
			}
		case ngSHB:
			if err := r.section(); err != nil {
				return nil, p, err
			}
		case ngNRB:
			if err := r.names(); err != nil {
				return nil, p, err
			}
		default:
			if err := r.discard(int(r.left)); err != nil {
				return nil, p, err
			}
		}
	}
	keep := min(caplen, r.ifaces[p.iface].keep)
	data, err := r.bytes(keep)
	if err != nil {
		return nil, p, err
	}
	// What follows the data may refill the buffer under them.
	r.pkt = append(r.pkt[:0], data...)
	r.left -= uint32(keep)
	if keep < caplen {
		if err := r.discard(caplen - keep); err != nil {
			return nil, p, err
		}
		p.long = true
	}
	if pad := (4 - caplen&3) & 3; pad > 0 {
		if err := r.discard(pad); err != nil {
			return nil, p, err
		}
	}
	if r.typ == ngEPB {
		if err := r.skipOptions(); err != nil {
			return nil, p, err
		}
	}
	if err := r.discard(int(r.left)); err != nil {
		return nil, p, err
	}
	return r.pkt, p, nil
}
