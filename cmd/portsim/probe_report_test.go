package main

import (
	"bytes"
	"encoding/csv"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/observe/capture"
	"github.com/portsim/portsim/observe/probe"
)

// readProbeSamples reads samples as 'portsim probe --out' writes them
// (probe.CSVHeader).
func readProbeSamples(t *testing.T, path string) []probe.Sample {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []probe.Sample
	for i, r := range rows[1:] {
		kind, err := allocator.ParseKind(r[0])
		tm, err1 := time.Parse(time.RFC3339Nano, r[2])
		src, err2 := netip.ParseAddr(r[3])
		sport, err3 := strconv.ParseUint(r[4], 10, 16)
		dst, err4 := netip.ParseAddr(r[5])
		dport, err5 := strconv.ParseUint(r[6], 10, 16)
		for _, e := range []error{err, err1, err2, err3, err4, err5} {
			if e != nil {
				t.Fatalf("%s: row %d: %v", path, i+2, e)
			}
		}
		proto := capture.TCP
		if kind == allocator.UDP {
			proto = capture.UDP
		}
		out = append(out, probe.Sample{Kind: kind, Attempt: capture.Attempt{
			Time: tm, Proto: proto, Src: src, SrcPort: uint16(sport), Dst: dst, DstPort: uint16(dport),
		}})
	}
	return out
}

// The probe report — each kind's summary and verdict, as text and JSON —
// of samples a live probe once took (30 per destination per kind, three
// destinations), on a host with Linux's rules, with other rules, and
// with rules unknown.
func TestProbeReportGolden(t *testing.T) {
	samples := readProbeSamples(t, filepath.Join("testdata", "probe-samples.csv"))
	cfg := probe.Config{
		Dsts: []netip.AddrPort{
			netip.MustParseAddrPort("127.0.0.1:33855"),
			netip.MustParseAddrPort("127.0.0.2:36057"),
			netip.MustParseAddrPort("[::1]:34469"),
		},
		Count: 30, Kinds: probe.Kinds, Close: probe.CloseRST,
	}
	timings := []probe.Timing{
		{Kind: allocator.Connect, Count: 90, Elapsed: 3 * time.Millisecond},
		{Kind: allocator.Bind, Count: 90, Elapsed: 4 * time.Millisecond},
		{Kind: allocator.UDP, Count: 90, Elapsed: 5 * time.Millisecond},
	}
	for _, c := range []struct {
		name   string
		kernel probe.Kernel
	}{
		{"linux", probe.Kernel{OS: "linux 6.18", Known: true, Range: allocator.LinuxRange, TWReuse: 2, UDPHashEntries: 16384}},
		{"reserved", probe.Kernel{OS: "linux 6.18", Known: true, Range: allocator.Range{Lo: 32000, Hi: 61000},
			Reserved: []allocator.Range{{Lo: 40000, Hi: 40010}}, TWReuse: 0}},
		{"unknown", probe.Kernel{OS: "darwin", TWReuse: -1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := &probe.Result{Kernel: c.kernel, Config: cfg, Samples: samples, Timings: timings, Notes: []string{"skipped ::2: test"}}
			rep, err := newProbeReport(res, 7)
			if err != nil {
				t.Fatal(err)
			}
			var js, txt bytes.Buffer
			if err := writeJSON(&js, rep); err != nil {
				t.Fatal(err)
			}
			if err := writeProbeText(&txt, rep); err != nil {
				t.Fatal(err)
			}
			golden(t, "probe-report-"+c.name+".json", js.String())
			golden(t, "probe-report-"+c.name+".txt", txt.String())
		})
	}
}
