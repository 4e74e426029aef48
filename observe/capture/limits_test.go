package capture

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"
)

// withSnaplen sets a pcap file's snap length.
func withSnaplen(file []byte, snaplen uint32) []byte {
	binary.LittleEndian.PutUint32(file[16:], snaplen)
	return file
}

// A record longer than the snap length is read cut to it, as libpcap
// reads it, and counted.
func TestLongRecords(t *testing.T) {
	syn := capIPv4("10.0.0.1", "10.0.0.2", 6, nil, 0, synOpts(1, 2, 3, 64240, capCat(oMSS1460, oSOK, oTS, oNOP, oWS8)))
	long := append(bytes.Clone(syn), make([]byte, 500)...) // padding past the IP length
	binary.BigEndian.PutUint16(long[2:], uint16(len(syn)))
	other := capIPv4("10.0.0.1", "10.0.0.2", 6, nil, 0, synOpts(4, 5, 6, 64240, oMSS1460))
	for _, tc := range []struct {
		name      string
		file      []byte
		long      int
		attempts  int
		malformed int
	}{
		{"pcap within the snap length", withSnaplen(pcapBytes(binary.LittleEndian, false, 101, capRecs(long, other)), 1000), 0, 2, 0},
		{"pcap over it", withSnaplen(pcapBytes(binary.LittleEndian, false, 101, capRecs(long, other)), 100), 1, 2, 0},
		{"pcap cut inside the tcp header", withSnaplen(pcapBytes(binary.LittleEndian, false, 101, capRecs(long, other)), 30), 2, 0, 2},
		{"pcap snap length 0 is none", withSnaplen(pcapBytes(binary.LittleEndian, false, 101, capRecs(long, other)), 0), 0, 2, 0},
		{"pcapng over the interface's", func() []byte {
			b := pcapngBytes(binary.LittleEndian, []uint16{101}, []ngPacket{{0, capT0, long}, {0, capT0, other}})
			binary.LittleEndian.PutUint32(b[28+8+4:], 100) // the IDB's snaplen
			return b
		}(), 1, 2, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Read(bytes.NewReader(tc.file), ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			checkCounts(t, c)
			if c.LongRecords != tc.long || c.Attempts.Len() != tc.attempts || c.Malformed != tc.malformed || c.Packets != 2 || c.Truncated {
				t.Errorf("long records %d, attempts %d, malformed %d, packets %d, truncated %v; want %d, %d, %d, 2, false\n%s",
					c.LongRecords, c.Attempts.Len(), c.Malformed, c.Packets, c.Truncated, tc.long, tc.attempts, tc.malformed, capSummary(c))
			}
		})
	}
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// allocated is how many bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A pcapng block that claims a 4 GB packet costs no more memory than the
// longest record kept, however much of it the input holds (issue 12: 23
// MB of gzip made 4 GB).
func TestHugeRecord(t *testing.T) {
	syn := capIPv4("10.0.0.1", "10.0.0.2", 6, nil, 0, tcpSeg(1, 2, 3, fSYN))
	ok := pcapngBytes(binary.LittleEndian, []uint16{101}, []ngPacket{{0, capT0, syn}})
	huge := pcapngBytes(binary.LittleEndian, nil, []ngPacket{{0, capT0, syn}})[28+20:] // one EPB
	binary.LittleEndian.PutUint32(huge[20:], 0xfffffff0)                               // its captured length
	head := append(bytes.Clone(ok), huge[:28]...)                                      // the EPB up to its data

	var z bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
	zw.Write(head)
	io.CopyN(zw, zeros{}, 64<<20)
	zw.Close()
	for _, tc := range []struct {
		name string
		in   io.Reader
		size int64 // its bytes
	}{
		{"plain, 256 MiB of it", io.MultiReader(bytes.NewReader(head), io.LimitReader(zeros{}, 256<<20)), int64(len(head)) + 256<<20},
		{"gzip, 64 MiB of it", bytes.NewReader(z.Bytes()), int64(z.Len())},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c *Capture
			var err error
			in := &countReader{r: tc.in}
			n := allocated(func() { c, err = Read(in, ReadOptions{}) })
			if err != nil {
				t.Fatal(err)
			}
			if in.n != tc.size {
				t.Errorf("read %d bytes, want all %d", in.n, tc.size)
			}
			if n > 4<<20 {
				t.Errorf("allocated %d bytes, want under 4 MiB", n)
			}
			if !c.Truncated || c.Attempts.Len() != 1 || c.Packets != 1 {
				t.Errorf("truncated %v, %d attempts, %d packets; want true, 1, 1", c.Truncated, c.Attempts.Len(), c.Packets)
			}
		})
	}
}

// A quoted CSV field may hold newlines, but a row is bounded in bytes
// whatever lines it spans.
func TestCSVRowLimit(t *testing.T) {
	field := strings.Repeat("twenty bytes a line\n", 100_000) // 2 MB over 100,000 lines
	in := "src,sport,dst,dport,time,note\n10.0.0.1,1,10.0.0.2,2,0,ok\n10.0.0.1,1,10.0.0.2,2,0,\"" + field + "\"\n"
	var err error
	n := allocated(func() { _, err = Read(strings.NewReader(in), ReadOptions{}) })
	if err == nil || err.Error() != "line 3: longer than 1048576 bytes" {
		t.Errorf("error %v, want line 3: longer than 1048576 bytes", err)
	}
	if n > 16<<20 {
		t.Errorf("allocated %d bytes, want under 16 MiB", n)
	}
	// Below the limit, newlines in quotes are data, and the lines after
	// are counted right.
	in = "src,sport,dst,dport,time,note\n10.0.0.1,1,10.0.0.2,2,0,\"a\nb \"\"c\"\"\n\"\n10.0.0.1,99999,10.0.0.2,2,0,\n"
	if _, err := Read(strings.NewReader(in), ReadOptions{}); err == nil || !strings.HasPrefix(err.Error(), `line 5: sport "99999"`) {
		t.Errorf("error %v, want one on line 5", err)
	}
}

// Issue 12's bombs, built here, each read to a clear error or a count in
// under 5 s and 256 MB: a gzip'd pcapng packet claiming 4 GB, and a gzip'd
// CSV whose quoted field runs on for 64 MiB of lines (the reader stops at
// 1 MiB, so more would only slow the test).
func TestBombs(t *testing.T) {
	gz := func(head string, body io.Reader) []byte {
		var z bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
		zw.Write([]byte(head))
		io.Copy(zw, body)
		zw.Close()
		return z.Bytes()
	}
	syn := capIPv4("10.0.0.1", "10.0.0.2", 6, nil, 0, tcpSeg(1, 2, 3, fSYN))
	ok := pcapngBytes(binary.LittleEndian, []uint16{101}, []ngPacket{{0, capT0, syn}})
	epb := pcapngBytes(binary.LittleEndian, nil, []ngPacket{{0, capT0, syn}})[28+20:]
	binary.LittleEndian.PutUint32(epb[20:], 0xfffffff0)
	lines := strings.NewReader(strings.Repeat("twenty bytes a line\n", 1<<16)) // 1.3 MB, repeated
	for _, tc := range []struct {
		name string
		file []byte
		want string // the error, or "" for a capture read as truncated
	}{
		{"pcapng 0xFFFFFFF0-byte packet, 64 MiB of zeros", gz(string(ok)+string(epb[:28]), io.LimitReader(zeros{}, 64<<20)), ""},
		{"CSV quoted field of 64 MiB", gz("src,sport,dst,dport,time,note\n10.0.0.1,1,10.0.0.2,2,0,\"", io.LimitReader(repeatReader{lines}, 64<<20)),
			"line 2: longer than 1048576 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			var c *Capture
			start := time.Now()
			n := allocated(func() { c, err = Read(bytes.NewReader(tc.file), ReadOptions{}) })
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v; want under 5 s", d)
			}
			if n > 256<<20 {
				t.Errorf("allocated %d MB; want under 256 MB", n>>20)
			}
			switch {
			case tc.want == "" && (err != nil || !c.Truncated):
				t.Errorf("error %v; want the capture read as truncated", err)
			case tc.want != "" && (err == nil || err.Error() != tc.want):
				t.Errorf("error %v; want %s", err, tc.want)
			}
			t.Logf("%d KB of gzip: %v, %d MB allocated", len(tc.file)>>10, time.Since(start), n>>20)
		})
	}
}

// repeatReader reads r over and over.
type repeatReader struct{ r *strings.Reader }

func (rr repeatReader) Read(p []byte) (int, error) {
	n, err := rr.r.Read(p)
	if err == io.EOF {
		rr.r.Seek(0, io.SeekStart)
		err = nil
	}
	return n, err
}
