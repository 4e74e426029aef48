package capture

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

const csvColumnsHelp = "src,sport,dst,dport,time[,proto] in any order"

// csvRequired are the columns a CSV header must have; proto is optional.
var csvRequired = []string{"src", "sport", "dst", "dport", "time"}

// maxCSVLine bounds one CSV line, so a file without newlines cannot make
// the reader buffer all of it.
const maxCSVLine = 1 << 20

var utf8BOM = []byte{0xef, 0xbb, 0xbf}

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
	col := map[string]int{}
	known := 0
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if _, dup := col[h]; dup && h != "" {
			return inputErr("line 1", "CSV header: column %q appears twice", h)
		}
		col[h] = i
		if h == "proto" || contains(csvRequired, h) {
			known++
		}
	}
	if known == 0 {
		return notCapture(head)
	}
	var missing []string
	for _, name := range csvRequired {
		if _, ok := col[name]; !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return inputErr("line 1", "CSV header lacks column(s) %s; want %s", strings.Join(missing, ", "), csvColumnsHelp)
	}
	protoCol, hasProto := col["proto"]
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
		var a Attempt
		if a.Src, err = csvAddr(rec[col["src"]]); err != nil {
			return inputErr(where, "src %v", err)
		}
		if a.Dst, err = csvAddr(rec[col["dst"]]); err != nil {
			return inputErr(where, "dst %v", err)
		}
		if a.SrcPort, err = csvPort(rec[col["sport"]]); err != nil {
			return inputErr(where, "sport %v", err)
		}
		if a.DstPort, err = csvPort(rec[col["dport"]]); err != nil {
			return inputErr(where, "dport %v", err)
		}
		if a.Time, err = parseCSVTime(rec[col["time"]]); err != nil {
			return inputErr(where, "time %v", err)
		}
		a.Proto = TCP
		if hasProto {
			if a.Proto, err = csvProto(rec[protoCol]); err != nil {
				return inputErr(where, "proto %v", err)
			}
		}
		if d.full() {
			return d.tooMany(where)
		}
		d.c.Attempts.Append(a)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
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

// lineLimiter fails a read once a line passes maxCSVLine bytes.
type lineLimiter struct {
	r     io.Reader
	line  int // lines ended so far
	count int // bytes in the current line
}

func (l *lineLimiter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	b := p[:n]
	for {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			break
		}
		l.line++
		l.count = 0
		b = b[i+1:]
	}
	l.count += len(b)
	if l.count > maxCSVLine {
		return 0, inputErr(fmt.Sprintf("line %d", l.line+1), "longer than %d bytes", maxCSVLine)
	}
	return n, err
}

// WriteCSV writes attempts as CSV with the header
// src,sport,dst,dport,time,proto, time in RFC 3339 UTC to the nanosecond;
// Read reads it back.
func WriteCSV(w io.Writer, attempts []Attempt) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("src,sport,dst,dport,time,proto\n")
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
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
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
