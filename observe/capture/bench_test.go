package capture

import (
	"bytes"
	"encoding/binary"
	"io"
	"runtime"
	"slices"
	"testing"
	"time"
)

// benchAttempts are the attempts of n packets in flows of perFlow packets,
// over IPv4 and IPv6, TCP and UDP.
func benchAttempts(n, perFlow int) []Attempt {
	var as []Attempt
	for i := 0; len(as)*perFlow < n; i++ {
		a := Attempt{Time: capT0.Add(time.Duration(i) * time.Microsecond), Proto: TCP, Src: capAddr("10.1.0.1"), Dst: capAddr("10.2.0.1"), SrcPort: uint16(i), DstPort: uint16(443 + i>>16)}
		if i%4 >= 2 {
			a.Src, a.Dst = capAddr("2001:db8::1"), capAddr("2001:db8::2")
		}
		if i%2 == 1 {
			a.Proto = UDP
		}
		as = append(as, a)
	}
	return as
}

// benchPackets are the raw IP packets of benchAttempts: each attempt's SYN
// (or datagram) followed by ACKs (or more datagrams of the flow).
func benchPackets(n, perFlow int) [][]byte {
	var pkts [][]byte
	for i, a := range benchAttempts(n, perFlow) {
		p := synth(a, i)
		for j := 0; j < perFlow && len(pkts) < n; j++ {
			q := p
			if j > 0 && a.Proto == TCP {
				q = slices.Clone(p)
				q[len(q)-24+13] = fACK // the default SYN's TCP header is 24 bytes
			}
			pkts = append(pkts, q)
		}
	}
	return pkts
}

// benchPcapng builds an n-packet pcapng in memory from benchPackets.
func benchPcapng(n, perFlow int) []byte {
	var buf bytes.Buffer
	buf.Write(mustPcapng(nil)) // section and interface blocks
	for i, p := range benchPackets(n, perFlow) {
		ts := uint64(capT0.Add(time.Duration(i)).UnixNano())
		epb := binary.LittleEndian.AppendUint32(nil, 0)
		epb = binary.LittleEndian.AppendUint32(epb, uint32(ts>>32))
		epb = binary.LittleEndian.AppendUint32(epb, uint32(ts))
		epb = binary.LittleEndian.AppendUint32(epb, uint32(len(p)))
		epb = binary.LittleEndian.AppendUint32(epb, uint32(len(p)))
		buf.Write(ngBlock(nil, binary.LittleEndian, 6, append(epb, p...)))
	}
	return buf.Bytes()
}

// benchPcap builds an n-packet pcap (raw IP, microseconds) from benchPackets.
func benchPcap(n, perFlow int) []byte {
	pkts := benchPackets(n, perFlow)
	recs := make([]capRec, len(pkts))
	for i, p := range pkts {
		recs[i] = capRec{ts: capT0.Add(time.Duration(i) * time.Microsecond), data: p}
	}
	return pcapBytes(binary.LittleEndian, false, 101, recs)
}

// benchCSV builds an n-row CSV capture.
func benchCSV(n int) []byte {
	var buf bytes.Buffer
	if err := WriteCSV(&buf, benchAttempts(n, 1)); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// perPacket reports ns, bytes allocated and allocations per packet (or
// attempt) of a benchmark whose every op handles n of them.
func perPacket(b *testing.B, n int, unit string, loop func()) {
	b.Helper()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for b.Loop() {
		loop()
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	per := float64(b.N) * float64(n)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/per, "ns/"+unit)
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/per, "B/"+unit)
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/per, "allocs/"+unit)
}

// BenchmarkRead reads 100k-packet captures from memory; the per-packet
// figures are the ones to watch.
func BenchmarkRead(b *testing.B) {
	const n = 100_000
	for _, bc := range []struct {
		name string
		data []byte
		want int // attempts
	}{
		{"pcapng/every-packet-an-attempt", benchPcapng(n, 1), n},
		{"pcapng/10-packets-per-flow", benchPcapng(n, 10), n / 10},
		{"pcap/every-packet-an-attempt", benchPcap(n, 1), n},
		{"pcap/10-packets-per-flow", benchPcap(n, 10), n / 10},
		{"csv", benchCSV(n), n},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c, err := Read(bytes.NewReader(bc.data), ReadOptions{})
			if err != nil {
				b.Fatal(err)
			}
			if c.Packets != n || c.Attempts.Len() != bc.want {
				b.Fatalf("%d packets, %d attempts; want %d, %d", c.Packets, c.Attempts.Len(), n, bc.want)
			}
			b.SetBytes(int64(len(bc.data)))
			perPacket(b, n, "packet", func() {
				if _, err := Read(bytes.NewReader(bc.data), ReadOptions{}); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// BenchmarkPcapngWriter writes attempts one by one, as run --pcap does.
func BenchmarkPcapngWriter(b *testing.B) {
	const n = 100_000
	as := benchAttempts(n, 1)
	perPacket(b, n, "attempt", func() {
		w, err := NewPcapngWriter(io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		for _, a := range as {
			if err := w.Write(a); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
	})
}
