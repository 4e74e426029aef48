package capture

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

const csvColumnsHelp = "src,sport,dst,dport,time, optionally proto, flags, seq and a stack's ttl, ipid, df, win, mss, ws, opts, in any order"

// The columns Read knows: the required ones, then the optional ones, the
// stack's last.
const (
	colSrc = iota
	colSport
	colDst
	colDport
	colTime
	colProto // optional from here
	colFlags
	colSeq
	colTTL // the stack's from here: its packet's shape and IP ID
	colIPID
	colDF
	colWin
	colMSS
	colWS
	colOpts
	nCols
)

var csvColumns = [nCols]string{"src", "sport", "dst", "dport", "time", "proto", "flags", "seq", "ttl", "ipid", "df", "win", "mss", "ws", "opts"}

// maxCSVLine bounds one CSV row, so a file without newlines, or a quoted
// field running over many, cannot make the reader buffer all of it.
const maxCSVLine = 1 << 20

var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// readCSV reads rows of attempts or, with a flags column, of packets.
func (d *decoder) readCSV(br *bufio.Reader) error {
	head, _ := br.Peek(bufSize)
	first := head
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		first = head[:i]
	} else if len(head) == bufSize {
		return notCapture(head)
	}
	bom := bytes.HasPrefix(first, utf8BOM) // spreadsheets write one
	if bom {
		first = first[len(utf8BOM):]
	}
	if !utf8.Valid(first) || bytes.IndexByte(first, 0) >= 0 || bytes.IndexByte(first, ',') < 0 {
		return notCapture(head)
	}
	if bom {
		br.Discard(len(utf8BOM))
	}
	cr := csv.NewReader(&lineLimiter{r: br})
	cr.FieldsPerRecord = -1 // checked below, with a better message
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.ErrUnexpectedEOF {
		d.c.Truncated = true // a cut gzip stream
		return nil
	}
	if err != nil {
		return csvErr(err)
	}
	r := csvRow{}
	for c := range r.idx {
		r.idx[c] = -1
	}
	known := 0
	seen := map[string]bool{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if seen[h] && h != "" {
			return inputErr("line 1", "CSV header: column %q appears twice", h)
		}
		seen[h] = true
		if c := slices.Index(csvColumns[:], h); c >= 0 {
			r.idx[c] = i
			r.stacks = r.stacks || c >= colTTL
			known++
		}
	}
	if known == 0 {
		return notCapture(head)
	}
	var missing []string
	for c, name := range csvColumns[:colProto] {
		if r.idx[c] < 0 {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return inputErr("line 1", "CSV header lacks column(s) %s; want %s", strings.Join(missing, ", "), csvColumnsHelp)
	}
	packets := r.idx[colFlags] >= 0
	ncols := len(header)
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err == io.ErrUnexpectedEOF {
			d.c.Truncated = true // a cut gzip stream; the partial row is dropped
			return nil
		}
		if err != nil {
			return csvErr(err)
		}
		line, _ := cr.FieldPos(0)
		where := fmt.Sprintf("line %d", line)
		if len(rec) != ncols {
			return inputErr(where, "%d fields, want %d as in the header", len(rec), ncols)
		}
		d.c.Packets++
		r.rec = rec
		a, err := r.attempt()
		if err != nil {
			return inputErr(where, "%v", err)
		}
		if !packets {
			if d.full() {
				return d.tooMany(where)
			}
			d.c.Attempts.Append(a)
			continue
		}
		if err := d.csvPacket(&r, a, where); err != nil {
			return err
		}
	}
}

// csvRow reads the fields of a row by their columns.
type csvRow struct {
	idx    [nCols]int // each column's index in a row; -1 for none
	stacks bool       // whether there is any stack column
	rec    []string
}

// field is the row's value in column c, "" if there is no such column.
func (r *csvRow) field(c int) string {
	if i := r.idx[c]; i >= 0 {
		return strings.TrimSpace(r.rec[i])
	}
	return ""
}

// attempt reads the row as an attempt: its addresses, ports, time, proto
// and stack.
func (r *csvRow) attempt() (Attempt, error) {
	var a Attempt
	var err error
	if a.Src, err = csvAddr(r.field(colSrc)); err != nil {
		return a, fmt.Errorf("src %w", err)
	}
	if a.Dst, err = csvAddr(r.field(colDst)); err != nil {
		return a, fmt.Errorf("dst %w", err)
	}
	if a.SrcPort, err = csvPort(r.field(colSport)); err != nil {
		return a, fmt.Errorf("sport %w", err)
	}
	if a.DstPort, err = csvPort(r.field(colDport)); err != nil {
		return a, fmt.Errorf("dport %w", err)
	}
	if a.Time, err = parseCSVTime(r.field(colTime)); err != nil {
		return a, fmt.Errorf("time %w", err)
	}
	if a.Proto, err = csvProto(r.field(colProto)); err != nil {
		return a, fmt.Errorf("proto %w", err)
	}
	err = r.stack(&a)
	return a, err
}

// stack reads the row's stack into a: the row has one when any of its
// stack fields is set, and then a ttl.
func (r *csvRow) stack(a *Attempt) error {
	set := false
	for c := colTTL; c < nCols && r.stacks; c++ {
		set = set || r.field(c) != ""
	}
	if !set {
		return nil
	}
	s := Stack{WScale: -1}
	ttl, err := csvUint(r.field(colTTL), 8)
	if err != nil {
		return fmt.Errorf("ttl %q: want 0-255 (a row with any of %s needs one)", r.field(colTTL), strings.Join(csvColumns[colTTL:], ", "))
	}
	s.TTL = uint8(ttl)
	ipid, err := csvUint(r.field(colIPID), 16)
	if err != nil && r.field(colIPID) != "" {
		return fmt.Errorf("ipid %q: want 0-65535, decimal or 0x hex, or empty", r.field(colIPID))
	}
	switch strings.ToLower(r.field(colDF)) {
	case "1", "true", "yes", "df":
		s.DF = true
	case "", "0", "false", "no":
	default:
		return fmt.Errorf("df %q: want 1 or 0 (true, false, yes, no; empty means 0)", r.field(colDF))
	}
	win, err := csvUint(r.field(colWin), 16)
	if err != nil && r.field(colWin) != "" {
		return fmt.Errorf("win %q: want 0-65535, or empty", r.field(colWin))
	}
	s.Window = uint16(win)
	mss, err := csvUint(r.field(colMSS), 16)
	if err != nil && r.field(colMSS) != "" {
		return fmt.Errorf("mss %q: want 0-65535, or empty for none", r.field(colMSS))
	}
	s.MSS = uint16(mss)
	if ws := r.field(colWS); ws != "" {
		n, err := csvUint(ws, 8)
		if err != nil {
			return fmt.Errorf("ws %q: want 0-255, or empty for none", ws)
		}
		s.WScale = int16(n)
	}
	k, err := shapeOf(Stack{Options: r.field(colOpts)})
	if err != nil {
		return fmt.Errorf("opts: %w", err)
	}
	s.Options = k.stack().Options // canonical
	a.Stack, a.HasStack, a.IPID = s, true, uint16(ipid)
	return nil
}

// csvUint reads a number of bits bits, decimal or 0x hex (as tshark writes
// IP IDs).
func csvUint(s string, bits int) (uint64, error) {
	if h, ok := strings.CutPrefix(strings.ToLower(s), "0x"); ok {
		return strconv.ParseUint(h, 16, bits)
	}
	return strconv.ParseUint(s, 10, bits)
}

// TCP flags.
const (
	tcpFIN = 0x01
	tcpSYN = 0x02
	tcpRST = 0x04
	tcpPSH = 0x08
	tcpACK = 0x10
	tcpURG = 0x20
	tcpECE = 0x40
	tcpCWR = 0x80
)

// csvFlags reads TCP flags as letters ("S", "SA"; tcpdump's "S." too, its
// dot the ACK) or as a number ("0x012", "18", as tshark writes
// tcp.flags).
func csvFlags(s string) (uint8, error) {
	if s == "" {
		return tcpSYN, nil
	}
	if s[0] >= '0' && s[0] <= '9' {
		n, err := csvUint(s, 12) // the header's 12 bits: 8 flags, NS and 3 reserved
		if err != nil {
			return 0, fmt.Errorf("%q: want TCP flags as letters (FSRPAUEC, . for ACK) or a number", s)
		}
		return uint8(n), nil
	}
	var f uint8
	for _, c := range strings.ToUpper(s) {
		switch c {
		case 'F':
			f |= tcpFIN
		case 'S':
			f |= tcpSYN
		case 'R':
			f |= tcpRST
		case 'P':
			f |= tcpPSH
		case 'A', '.':
			f |= tcpACK
		case 'U':
			f |= tcpURG
		case 'E':
			f |= tcpECE
		case 'C', 'W':
			f |= tcpCWR
		case ' ', '[', ']', '·', '*':
		default:
			return 0, fmt.Errorf("%q: want TCP flags as letters (FSRPAUEC, . for ACK) or a number", s)
		}
	}
	return f, nil
}

// csvPacket takes a row of a CSV of packets as Read takes a packet: an
// attempt if a SYN without ACK that repeats no SYN, or a UDP datagram
// opening a flow, else counted for why it is not.
func (d *decoder) csvPacket(r *csvRow, a Attempt, where string) error {
	f := frame{proto: a.Proto, sport: a.SrcPort, dport: a.DstPort, addrs: &[2]netip.Addr{a.Src, a.Dst}}
	if a.HasStack {
		k, _ := shapeOf(a.Stack) // parsed already
		f.k, f.stack, f.ipid = k, true, a.IPID
	}
	if a.Proto == TCP {
		flags, err := csvFlags(r.field(colFlags))
		if err != nil {
			return inputErr(where, "flags %v", err)
		}
		if seq := r.field(colSeq); seq != "" {
			n, err := csvUint(seq, 32)
			if err != nil {
				return inputErr(where, "seq %q: want 0-4294967295, or empty", seq)
			}
			f.isn = uint32(n)
		}
		switch {
		case flags&tcpSYN == 0:
			d.counts[clTCPNoSYN]++
			return nil
		case flags&tcpACK != 0:
			d.counts[clTCPSynAck]++
			return nil
		}
	}
	atts := d.c.Attempts
	f.srcID, f.dstID, f.known = atts.frameIDs(&f, false)
	if cl := d.track(&f); cl != clAttempt {
		d.counts[cl]++
		return nil
	}
	if d.full() {
		return d.tooMany(where)
	}
	atts.add(newRecord(a.Time.Unix(), uint32(a.Time.Nanosecond()), f.proto, f.srcID, f.dstID, f.sport, f.dport), d.stackWord(&f))
	return nil
}

// csvErr turns encoding/csv's errors into ones that say where.
func csvErr(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return inputErr(fmt.Sprintf("line %d, column %d", pe.Line, pe.Column), "%v", pe.Err)
	}
	var ie *InputError
	if errors.As(err, &ie) {
		return ie
	}
	// Errors of the reader under the CSV are I/O errors, which Read
	// reports as such, or gzip's complaints about the data.
	return &InputError{Err: err}
}

func csvAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return a, fmt.Errorf("%q: want an IPv4 or IPv6 address", s)
	}
	return a, nil
}

func csvPort(s string) (uint16, error) {
	p, err := strconv.ParseUint(strings.TrimSpace(s), 10, 16)
	if err != nil {
		return 0, fmt.Errorf("%q: want a port 0-65535", s)
	}
	return uint16(p), nil
}

func csvProto(s string) (Proto, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "tcp", "6":
		return TCP, nil
	case "udp", "17":
		return UDP, nil
	}
	return 0, fmt.Errorf("%q: want tcp or udp (or 6, 17; empty means tcp)", s)
}

// parseCSVTime reads RFC 3339 (a space may stand for the T) or seconds
// since any epoch as a decimal number, exactly to the nanosecond.
func parseCSVTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	bad := func() (time.Time, error) {
		return time.Time{}, fmt.Errorf("%q: want RFC 3339 (2006-01-02T15:04:05.999999999Z) or seconds as a decimal number (1700000000.123456)", s)
	}
	if s == "" {
		return bad()
	}
	if strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' && r != '-' }) >= 0 {
		t := s
		if len(t) > 10 && t[10] == ' ' {
			t = t[:10] + "T" + t[11:]
		}
		v, err := time.Parse(time.RFC3339Nano, t)
		if err != nil {
			return bad()
		}
		return v.UTC(), nil
	}
	neg := strings.HasPrefix(s, "-")
	digits := strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(digits, ".")
	if whole == "" && frac == "" || strings.ContainsAny(whole+frac, "-.") {
		return bad()
	}
	sec := int64(0)
	if whole != "" {
		var err error
		if sec, err = strconv.ParseInt(whole, 10, 64); err != nil {
			return bad()
		}
	}
	// Digits past the nanosecond are dropped.
	var ns int64
	for i := 0; i < 9; i++ {
		ns *= 10
		if i < len(frac) {
			ns += int64(frac[i] - '0')
		}
	}
	if neg {
		sec, ns = -sec, -ns
	}
	return time.Unix(sec, ns).UTC(), nil
}

// lineLimiter fails a read once a row passes maxCSVLine bytes. A row ends
// at a newline outside quotes: a quoted field may hold newlines, and they
// do not end it (encoding/csv would buffer it all).
type lineLimiter struct {
	r      io.Reader
	line   int  // lines ended so far
	start  int  // the line the current row began on, from 0
	count  int  // bytes in the current row
	quoted bool // whether a quoted field is open
}

func (l *lineLimiter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	b := p[:n]
	q := bytes.IndexByte(b, '"') // the next quote in b, or -1
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if q >= 0 && (i < 0 || q < i) {
			// Quotes toggle; "" inside a quoted field toggles twice.
			l.quoted = !l.quoted
			l.count += q + 1
			b = b[q+1:]
			q = bytes.IndexByte(b, '"')
			continue
		}
		if i < 0 {
			l.count += len(b)
			break
		}
		l.line++
		if l.quoted {
			l.count += i + 1
		} else {
			l.start, l.count = l.line, 0
		}
		b = b[i+1:]
		if q >= 0 {
			q -= i + 1
		}
	}
	if l.count > maxCSVLine {
		return 0, inputErr(fmt.Sprintf("line %d", l.start+1), "longer than %d bytes", maxCSVLine)
	}
	return n, err
}

// WriteCSV writes attempts as CSV with the header
// src,sport,dst,dport,time,proto, time in RFC 3339 UTC to the nanosecond,
// and when any attempt has a stack, the columns ttl,ipid,df,win,mss,ws,opts
// too (empty for an attempt without one; win, mss, ws and opts empty for
// a stack without TCP fields, a datagram's); Read reads it back.
func WriteCSV(w io.Writer, attempts []Attempt) error {
	stacks := false
	for _, a := range attempts {
		stacks = stacks || a.HasStack
	}
	bw := bufio.NewWriter(w)
	bw.WriteString("src,sport,dst,dport,time,proto")
	if stacks {
		bw.WriteString(",ttl,ipid,df,win,mss,ws,opts")
	}
	bw.WriteByte('\n')
	var buf []byte
	for i, a := range attempts {
		if err := checkAttempt(a); err != nil {
			return fmt.Errorf("attempt %d: %w", i, err)
		}
		if y := a.Time.UTC().Year(); y < 0 || y > 9999 {
			return fmt.Errorf("attempt %d: time %v: want a year 0-9999 for RFC 3339", i, a.Time)
		}
		buf = buf[:0]
		buf = csvAppendAddr(buf, a.Src)
		buf = append(buf, ',')
		buf = strconv.AppendUint(buf, uint64(a.SrcPort), 10)
		buf = append(buf, ',')
		buf = csvAppendAddr(buf, a.Dst)
		buf = append(buf, ',')
		buf = strconv.AppendUint(buf, uint64(a.DstPort), 10)
		buf = append(buf, ',')
		buf = a.Time.UTC().AppendFormat(buf, time.RFC3339Nano)
		buf = append(buf, ',')
		buf = append(buf, a.Proto.String()...)
		if stacks {
			if a.HasStack {
				k, err := shapeOf(a.Stack)
				if err != nil {
					return fmt.Errorf("attempt %d: stack: %w", i, err)
				}
				a.Stack.Options = k.stack().Options // canonical
			}
			buf = csvAppendStack(buf, a)
		}
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// csvAppendStack appends a's stack columns.
func csvAppendStack(buf []byte, a Attempt) []byte {
	if !a.HasStack {
		return append(buf, ",,,,,,,"...)
	}
	s := a.Stack
	buf = append(buf, ',')
	buf = strconv.AppendUint(buf, uint64(s.TTL), 10)
	buf = append(buf, ',')
	buf = strconv.AppendUint(buf, uint64(a.IPID), 10)
	if s.DF {
		buf = append(buf, ",1"...)
	} else {
		buf = append(buf, ",0"...)
	}
	if s.Window == 0 && s.MSS == 0 && s.WScale < 0 && s.Options == "" {
		return append(buf, ",,,,"...)
	}
	buf = append(buf, ',')
	buf = strconv.AppendUint(buf, uint64(s.Window), 10)
	buf = append(buf, ',')
	if s.MSS != 0 {
		buf = strconv.AppendUint(buf, uint64(s.MSS), 10)
	}
	buf = append(buf, ',')
	if s.WScale >= 0 {
		buf = strconv.AppendInt(buf, int64(s.WScale), 10)
	}
	buf = append(buf, ',')
	if strings.Contains(s.Options, ",") {
		buf = append(buf, '"')
		buf = append(buf, s.Options...)
		return append(buf, '"')
	}
	return append(buf, s.Options...)
}

// csvAppendAddr appends a, quoted when its zone holds CSV's special characters.
func csvAppendAddr(buf []byte, a netip.Addr) []byte {
	s := a.String()
	if !strings.ContainsAny(s, "\",\r\n") {
		return append(buf, s...)
	}
	buf = append(buf, '"')
	buf = append(buf, strings.ReplaceAll(s, `"`, `""`)...)
	return append(buf, '"')
}

// checkAttempt reports what makes a unfit to write.
func checkAttempt(a Attempt) error {
	if a.Proto != TCP && a.Proto != UDP {
		return fmt.Errorf("proto %v: want tcp or udp", a.Proto)
	}
	if !a.Src.IsValid() {
		return errors.New("src: no address")
	}
	if !a.Dst.IsValid() {
		return errors.New("dst: no address")
	}
	return nil
}
