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
		if err := WritePcapng(&buf, all(c)); err != nil {
			return // times before 1970 or mixed families, from CSV
		}
		back, err := Read(&buf, ReadOptions{})
		if err != nil {
			t.Fatalf("reading back WritePcapng's output: %v", err)
		}
		sameAttempts(t, all(back), pcapngView(all(c)))
	})
}

// pcapngView is what a pcapng written from as reads back as: zones are
// gone and a repeated UDP 5-tuple is one flow.
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
