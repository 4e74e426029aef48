package main

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/portsim/portsim/observe/capture"
	"github.com/portsim/portsim/sim"
	"github.com/portsim/portsim/strategies"
)

// run --pcap writes every allocation as an attempt that reads back with
// the port, destination and time allocations.csv has, byte-identical
// across runs and whatever --keep-allocations; with two strategies, one
// file each.
func TestRunWritesCapture(t *testing.T) {
	dir := t.TempDir()
	args := func(out, keep string) []string {
		return []string{"run", "--preset", "dns-resolver", "--duration", "20s", "--warmup", "0s", "--rate", "50",
			"--kind", "connect=0.5,udp=0.5", "--strategy", "linux", "--profile", "macos",
			"--pcap", filepath.Join(dir, out+".pcapng"), "--out", filepath.Join(dir, out), "--keep-allocations", keep}
	}
	for out, keep := range map[string]string{"a": "100000", "b": "0"} {
		r := portsim(args(out, keep)...)
		if r.code != 0 || !strings.Contains(r.stderr, out+"-linux.pcapng") || !strings.Contains(r.stderr, out+"-profile_macos.pcapng") {
			t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
		}
	}

	f, err := os.Open(filepath.Join(dir, "a", "allocations.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{} // strategy → ports of successful allocations
	for _, r := range rows[1:] {
		if r[5] != "0" {
			want[r[0]] = append(want[r[0]], r[5])
		}
	}
	for _, strat := range []string{"linux", "profile:macos"} {
		name := "a-" + fileSlug(strat) + ".pcapng"
		c, err := capture.ReadFile(filepath.Join(dir, name), capture.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if c.Attempts.Len() != len(want[strat]) || c.Attempts.Len() < 500 {
			t.Fatalf("%s: %d attempts; allocations.csv has %d", name, c.Attempts.Len(), len(want[strat]))
		}
		protos := map[capture.Proto]int{}
		for i := range c.Attempts.Len() {
			a := c.Attempts.Attempt(i)
			protos[a.Proto]++
			if strconv.Itoa(int(a.SrcPort)) != want[strat][i] {
				t.Fatalf("%s attempt %d: port %d; allocations.csv says %s", name, i, a.SrcPort, want[strat][i])
			}
			if a.DstPort != 53 || !a.Dst.Is4() {
				t.Fatalf("%s attempt %d: destination %v:%d", name, i, a.Dst, a.DstPort)
			}
		}
		if protos[capture.TCP] == 0 || protos[capture.UDP] == 0 {
			t.Errorf("%s: protocols %v; want TCP and UDP", name, protos)
		}
		a, _ := os.ReadFile(filepath.Join(dir, name))
		b, _ := os.ReadFile(filepath.Join(dir, "b-"+fileSlug(strat)+".pcapng"))
		if string(a) != string(b) {
			t.Errorf("%s: two runs with one seed, keeping all allocations and none, wrote different captures", name)
		}
	}
	cliCase{args: []string{"run", "--strategy", "linux", "--pcap", filepath.Join(dir, "x.pcap")},
		wantCode: 2, wantStderr: []string{"--pcap", ".pcapng"}}.check(t)
}

// A profile's capture has its system's SYN shape, which reads back as it
// is; a strategy alone keeps the default SYN.
func TestRunWritesStacks(t *testing.T) {
	dir := t.TempDir()
	specs := []string{"linux"}
	for _, p := range strategies.ProfileSpecs() {
		specs = append(specs, strategies.ProfilePrefix+p)
	}
	for _, ipv6 := range []bool{false, true} {
		args := []string{"run", "--duration", "2s", "--warmup", "0s", "--rate", "20", "--kind", "connect=0.7,udp=0.3",
			"--pcap", filepath.Join(dir, fmt.Sprintf("v6-%v.pcapng", ipv6)), fmt.Sprintf("--ipv6=%v", ipv6)}
		for _, s := range specs {
			args = append(args, "--strategy", s)
		}
		if r := portsim(args...); r.code != 0 {
			t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
		}
		for i, path := range pcapPaths(filepath.Join(dir, fmt.Sprintf("v6-%v.pcapng", ipv6)), specs) {
			c, err := capture.ReadFile(path, capture.ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			want, ok := profileStack(specs[i], ipv6)
			if !ok {
				mss := uint16(1460)
				if ipv6 {
					mss = 1440
				}
				want = capture.Stack{TTL: 64, DF: !ipv6, Window: 64240, MSS: mss, WScale: -1, Options: "mss"}
			}
			if ipv6 {
				want.DF = false
			}
			tcp := 0
			for j := range c.Attempts.Len() {
				a := c.Attempts.Attempt(j)
				if a.Proto == capture.UDP {
					if !a.HasStack || a.Stack != (capture.Stack{TTL: want.TTL, DF: want.DF, WScale: -1}) {
						t.Fatalf("%s attempt %d: datagram's stack %v, want ttl %d df %v", path, j, a.Stack, want.TTL, want.DF)
					}
					continue
				}
				tcp++
				if !a.HasStack || a.Stack != want {
					t.Fatalf("%s attempt %d: stack %v, want %v", path, j, a.Stack, want)
				}
			}
			if tcp == 0 {
				t.Errorf("%s: no SYNs", path)
			}
		}
	}
	// The shapes are the profiles' own.
	for spec, want := range map[string]string{
		"profile:linux":   "ttl 64 df win 64240 mss 1460 ws 7 mss,sok,ts,nop,ws",
		"profile:windows": "ttl 128 df win 8192 mss 1460 ws 8 mss,nop,ws,nop,nop,sok",
		"profile:macos":   "ttl 64 df win 65535 mss 1460 ws 4 mss,nop,ws,nop,nop,ts,sok,eol+1",
	} {
		if s, _ := profileStack(spec, false); s.String() != want {
			t.Errorf("%s: %v, want %s", spec, s, want)
		}
	}
	if s, _ := profileStack("profile:linux", true); s.MSS != 1440 || s.Window != 44*1440 {
		t.Errorf("linux over IPv6: %v, want MSS 1440 and 44 segments of it", s)
	}
}

// BenchmarkCaptureFiles writes allocation attempts through the run --pcap
// hook into a capture file: per attempt, what --pcap adds to a run.
func BenchmarkCaptureFiles(b *testing.B) {
	sc := sim.DefaultScenario()
	sc.Strategies = []string{"linux"}
	sc.Destinations = 50
	const n = 100_000
	allocs := make([]sim.Alloc, n)
	for i := range allocs {
		allocs[i] = sim.Alloc{N: i + 1, TimeSeconds: float64(i) / 24000, Dst: i % 50, Kind: "connect", Port: uint16(32768 + i%28000), Probes: 1}
	}
	path := filepath.Join(b.TempDir(), "bench.pcapng")
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for b.Loop() {
		c, err := createCaptures(path, &sc)
		if err != nil {
			b.Fatal(err)
		}
		write := c.attempts(0)
		for _, a := range allocs {
			if err := write(a); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := c.commit(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	per := float64(b.N) * n
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/per, "ns/attempt")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/per, "B/attempt")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/per, "allocs/attempt")
}
