package capture

import (
	"bytes"
	"compress/gzip"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzRead feeds Read any bytes: it must not panic, must
// keep to its limits, must report problems as *InputError, and what it
// reads must survive WritePcapng and WriteCSV unchanged.
func FuzzRead(f *testing.F) {
	paths, err := filepath.Glob("testdata/*.pcap*")
	if err != nil {
		f.Fatal(err)
	}
	paths = append(paths, "testdata/lo-ether-tshark.csv")
	for _, p := range paths {
		if strings.HasSuffix(p, ".golden") {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(mustPcapng(writtenAttempts()))
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(mustPcapng(writtenAttempts()[:2]))
	zw.Close()
	f.Add(z.Bytes())
	f.Add([]byte("src,sport,dst,dport,time,proto\n10.0.0.1,1,10.0.0.2,2,1.5,udp\n::1,3,::2,4,2024-05-01T12:00:00Z,tcp\n"))
	f.Add([]byte("time,dport,dst,sport,src\n0,1,10.0.0.1,2,10.0.0.2\n"))
	f.Add([]byte("src,sport,dst,dport,time,proto,flags,seq,ttl,ipid,df,win,mss,ws,opts\n" +
		"10.0.0.1,1,10.0.0.2,2,1.5,tcp,S,7,64,0x1c2d,1,64240,1460,7,\"2,4,8,1,3\"\n" +
		"10.0.0.2,2,10.0.0.1,1,1.6,tcp,SA,9,64,0,1,65535,,,\n" +
		"10.0.0.1,3,10.0.0.2,53,1.7,udp,,,128,5,0,,,,\n" +
		"10.0.0.2,53,10.0.0.1,3,1.8,udp,,,128,6,0,,,,\n"))

	const maxAttempts = 500
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Read(bytes.NewReader(data), ReadOptions{MaxAttempts: maxAttempts, MaxFlows: 64})
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v is a %T, want *InputError for bad input", err, err)
			}
			if c != nil {
				t.Fatal("capture and error both returned")
			}
			return
		}
		checkCounts(t, c)
		if c.Attempts.Len() > maxAttempts {
			t.Fatalf("%d attempts, more than MaxAttempts %d", c.Attempts.Len(), maxAttempts)
		}

		var buf bytes.Buffer
		if err := WriteCSV(&buf, all(c)); err == nil {
			back, err := Read(&buf, ReadOptions{})
			if err != nil {
				t.Fatalf("reading back WriteCSV's output: %v", err)
			}
			sameAttempts(t, all(back), all(c))
		}

		buf.Reset()
		as := all(c)
		if err := WritePcapng(&buf, as); err != nil {
			// Stacks a SYN cannot carry as they are (options of
			// odd lengths, bad): try without them.
			for i := range as {
				as[i].HasStack = false
			}
			buf.Reset()
			if err := WritePcapng(&buf, as); err != nil {
				return // times before 1970 or mixed families, from CSV
			}
		}
		back, err := Read(&buf, ReadOptions{})
		if err != nil {
			t.Fatalf("reading back WritePcapng's output: %v", err)
		}
		sameAttempts(t, all(back), pcapngView(as))
	})
}

// pcapngView is what a pcapng written from as reads back as: zones are
// gone, a repeated UDP 5-tuple is one flow, and stacks keep what the
// packets carry (no TCP fields in a datagram, no DF or IP ID over IPv6).
func pcapngView(as []Attempt) []Attempt {
	type flow struct {
		src, dst     netip.Addr
		sport, dport uint16
	}
	seen := map[flow]bool{}
	var out []Attempt
	for _, a := range as {
		a.Src, a.Dst = a.Src.WithZone(""), a.Dst.WithZone("")
		if a.Proto == UDP {
			a.Stack = Stack{TTL: a.Stack.TTL, DF: a.Stack.DF, WScale: -1}
		}
		if !a.Src.Is4() {
			a.Stack.DF, a.IPID = false, 0
		}
		if a.Proto == UDP {
			k := flow{a.Src, a.Dst, a.SrcPort, a.DstPort}
			if seen[k] {
				continue
			}
			seen[k] = true
		}
		out = append(out, a)
	}
	return out
}
