package observe

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"github.com/portsim/portsim/observe/capture"
	"net"
	"net/netip"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// liveProbe runs a probe or skips the test where the kernel cannot be
// asked: not Linux, or no loopback sockets (a sandbox).
func liveProbe(t *testing.T, cfg ProbeConfig) *ProbeResult {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skipf("the Linux models are checked on Linux only; this is %s", runtime.GOOS)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := Probe(ctx, cfg)
	if errors.Is(err, ErrNoLoopback) {
		t.Skipf("no loopback sockets here: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// The live kernel's connect(), bind() and UDP ports match linux,
// linux-bind and linux-udp. This asks the machine the tests run on, so it
// is a statement about that kernel: a kernel with another algorithm (5.11
// and before, a distribution's patch) fails it, as it should. The machine
// is shared with other processes, so a mismatch must show twice in a row
// to fail the test; a wrong model mismatches every time.
func TestLiveKernelMatchesLinuxModels(t *testing.T) {
	count := 300 // per destination per kind: 3,600 connections with 4 destinations
	if testing.Short() {
		count = 100
	}
	var failures []string
	for attempt := 1; attempt <= 2; attempt++ {
		failures = liveVerdicts(t, count)
		if len(failures) == 0 {
			return
		}
		t.Logf("attempt %d: %s", attempt, strings.Join(failures, "; "))
	}
	t.Errorf("live kernel, twice: %s", strings.Join(failures, "; "))
}

// liveVerdicts probes the kernel and returns the verdicts that are not
// matches, logging the details; setup problems fail the test at once.
func liveVerdicts(t *testing.T, count int) []string {
	t.Helper()
	start := time.Now()
	res := liveProbe(t, ProbeConfig{Count: count})
	probeTime := time.Since(start)
	if !res.Kernel.Known {
		t.Fatalf("kernel rules unread on Linux: %+v", res.Kernel)
	}
	t.Logf("kernel %s: range %v, reserved %v, tw_reuse %d, udp hash %d; %d samples in %v %v; notes %v",
		res.Kernel.OS, res.Kernel.Range, res.Kernel.Reserved, res.Kernel.TWReuse, res.Kernel.UDPHashEntries,
		len(res.Samples), probeTime, res.Timings, res.Notes)
	if want := count * len(res.Config.Dsts) * 3; len(res.Samples) != want {
		t.Fatalf("%d samples, want %d", len(res.Samples), want)
	}
	for _, s := range res.Samples {
		if !res.Kernel.Range.Contains(s.SrcPort) || !s.Src.IsLoopback() || !s.Dst.IsLoopback() {
			t.Fatalf("sample outside the range or off loopback: %+v", s)
		}
	}

	start = time.Now()
	vs, err := res.Verdicts(1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("verdicts in %v", time.Since(start))
	if d := time.Since(start) + probeTime; d > 10*time.Second {
		t.Errorf("probe and verdicts took %v; want under 10s", d)
	}
	if len(vs) != 3 {
		t.Fatalf("%d verdicts, want 3", len(vs))
	}
	want := map[string]string{KindConnect: "linux", KindBind: "linux-bind", KindUDP: "linux-udp"}
	var failures []string
	for _, v := range vs {
		t.Log(describe(v))
		if !strings.HasPrefix(v.Model, want[v.Kind]) {
			t.Fatalf("%s judged against %s, want %s", v.Kind, v.Model, want[v.Kind])
		}
		if !v.Match {
			failures = append(failures, v.String())
			logBigSteps(t, res, v.Kind)
		}
	}
	return failures
}

// logBigSteps lists the steps beyond ±32 between successive ports to one
// destination, with their times: re-salts show as one per destination at
// the same instant; anything else is worth a look.
func logBigSteps(t *testing.T, res *ProbeResult, kind string) {
	t.Helper()
	seq := newSequence(ofKind(res.Samples, kind), res.Kernel.Range)
	obs := ofKind(res.Samples, kind)
	last := map[int32]int{}
	shown := 0
	for i, p := range seq.ports {
		b := seq.dst[i]
		if j, ok := last[b]; ok {
			if d := seq.signed(seq.ports[j], p); (d < -near || d > near) && shown < 40 {
				shown++
				t.Logf("  #%d to %v: %d -> %d (%+d) after %v at %s", i, obs[i].Dst, seq.ports[j], p, d,
					obs[i].Time.Sub(obs[j].Time), obs[i].Time.Format("15:04:05.000000"))
			}
		}
		last[b] = i
	}
}

func TestProbeRefusesNonLoopback(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  ProbeConfig
		want string
	}{
		{"private", ProbeConfig{Count: 1, Dsts: []netip.AddrPort{netip.MustParseAddrPort("10.0.0.1:80")}}, "dst 10.0.0.1: not a loopback address; probe talks only to 127.0.0.0/8 and ::1"},
		{"public", ProbeConfig{Count: 1, Dsts: []netip.AddrPort{netip.MustParseAddrPort("8.8.8.8:53")}}, "dst 8.8.8.8: not a loopback"},
		{"documentation v6", ProbeConfig{Count: 1, Dsts: []netip.AddrPort{netip.MustParseAddrPort("[2001:db8::1]:443")}}, "dst 2001:db8::1: not a loopback"},
		{"mapped private", ProbeConfig{Count: 1, Dsts: []netip.AddrPort{netip.MustParseAddrPort("[::ffff:10.0.0.1]:80")}}, "dst ::ffff:10.0.0.1: not a loopback"},
		{"unspecified", ProbeConfig{Count: 1, Dsts: []netip.AddrPort{netip.MustParseAddrPort("0.0.0.0:80")}}, "dst 0.0.0.0: not a loopback"},
		{"one bad among good", ProbeConfig{Count: 1, Dsts: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:0"), netip.MustParseAddrPort("192.0.2.1:0")}}, "dst 192.0.2.1: not a loopback"},
		{"src", ProbeConfig{Count: 1, Src: netip.MustParseAddr("10.0.0.1")}, "src 10.0.0.1: not a loopback"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := Probe(context.Background(), c.cfg)
			var fe *FieldError
			if res != nil || !errors.As(err, &fe) || !errors.Is(err, ErrNotLoopback) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Probe = %v, %v; want a refusal containing %q", res, err, c.want)
			}
		})
	}
}

func TestProbeConfigValidate(t *testing.T) {
	lo := netip.MustParseAddrPort("127.0.0.1:0")
	for _, c := range []struct {
		name  string
		cfg   ProbeConfig
		field string
		want  string
	}{
		{"count 0", ProbeConfig{Count: 0}, "count", "want 1 to 10000"},
		{"count big", ProbeConfig{Count: MaxProbeCount + 1}, "count", "want 1 to 10000"},
		{"close", ProbeConfig{Count: 1, Close: "abort"}, "close", "want rst or fin"},
		{"kind", ProbeConfig{Count: 1, Kinds: []string{"connect", "sctp"}}, "kind", "want connect, bind, udp"},
		{"twice", ProbeConfig{Count: 1, Dsts: []netip.AddrPort{lo, lo}}, "dst", "given twice"},
		{"family", ProbeConfig{Count: 1, Src: netip.IPv6Loopback(), Dsts: []netip.AddrPort{lo}}, "src", "is IPv6 but dst 127.0.0.1 is IPv4"},
		{"too many", ProbeConfig{Count: 1, Dsts: make([]netip.AddrPort, MaxProbeDsts+1)}, "dst", "at most 16"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.cfg.Validate()
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != c.field || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Validate: %v; want a %s error containing %q", err, c.field, c.want)
			}
		})
	}

	got, err := ProbeConfig{Count: 5, Kinds: []string{"udp", "connect", "udp"}, Dsts: []netip.AddrPort{netip.MustParseAddrPort("[::ffff:127.0.0.9]:0")}}.Validate()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got.Kinds, ",") != "connect,udp" || got.Close != CloseRST || got.Dsts[0].Addr() != netip.MustParseAddr("127.0.0.9") {
		t.Errorf("defaults: %+v; want kinds connect,udp, close rst, dst unmapped", got)
	}
	got, _ = ProbeConfig{Count: 1, Src: netip.MustParseAddr("127.0.0.1")}.Validate()
	if len(got.Dsts) != 3 {
		t.Errorf("default dsts with an IPv4 src: %v; want the three IPv4 ones", got.Dsts)
	}
}

// A small probe of each kind and close mode writes sane samples and CSV.
func TestProbeSmall(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  ProbeConfig
	}{
		{"rst", ProbeConfig{Count: 20, Dsts: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.5:0"), netip.MustParseAddrPort("127.0.0.6:0")}}},
		{"fin", ProbeConfig{Count: 5, Close: CloseFIN, Dsts: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.7:0")}}},
		{"src", ProbeConfig{Count: 10, Src: netip.MustParseAddr("127.0.0.8"), Dsts: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.9:0")}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := liveProbe(t, c.cfg)
			if want := c.cfg.Count * len(c.cfg.Dsts) * 3; len(res.Samples) != want {
				t.Fatalf("%d samples, want %d", len(res.Samples), want)
			}
			for _, s := range res.Samples {
				if c.cfg.Src.IsValid() && s.Src != c.cfg.Src {
					t.Errorf("%s sample from %v, want --src %v", s.Kind, s.Src, c.cfg.Src)
				}
				if (s.Kind == KindUDP) != (s.Proto == capture.UDP) || s.SrcPort == 0 || s.DstPort == 0 {
					t.Errorf("bad sample %+v", s)
				}
			}
			var buf bytes.Buffer
			if err := res.WriteCSV(&buf); err != nil {
				t.Fatal(err)
			}
			rows, err := csv.NewReader(&buf).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != len(res.Samples)+1 || strings.Join(rows[0], ",") != "kind,n,time,src,sport,dst,dport" {
				t.Errorf("CSV: %d rows, header %v", len(rows), rows[0])
			}
			if rows[1][0] != "connect" || rows[1][1] != "1" {
				t.Errorf("first row %v", rows[1])
			}
			if _, err := time.Parse(time.RFC3339Nano, rows[1][2]); err != nil {
				t.Errorf("time column: %v", err)
			}
		})
	}
}

func TestProbeStopsOnCancel(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Linux only")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := Probe(ctx, ProbeConfig{Count: 100, Dsts: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:0")}})
	if errors.Is(err, ErrNoLoopback) {
		t.Skip(err)
	}
	if !errors.Is(err, context.Canceled) || res == nil || len(res.Samples) != 0 {
		t.Errorf("Probe with a cancelled context = %v samples, %v", res, err)
	}
}

// Package net's Dialer binds LocalAddr with a plain bind(ip, 0): it sets
// neither IP_BIND_ADDRESS_NO_PORT (which would defer the port to
// connect()) nor SO_REUSEADDR (which would confine it to half the range).
// The probe uses raw sockets on Linux, but a bind() probe written with
// net.Dialer would measure the same path.
func TestNetDialerBindsWithoutNoPort(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Linux socket options")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skipf("no loopback sockets here: %v", err)
	}
	defer ln.Close()
	var noPort, reuse int
	var optErr error
	d := net.Dialer{
		LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)},
		Control: func(_, _ string, c syscall.RawConn) error {
			return c.Control(func(fd uintptr) { noPort, reuse, optErr = bindOptions(int(fd)) })
		},
	}
	c, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if optErr != nil || noPort != 0 || reuse != 0 {
		t.Errorf("IP_BIND_ADDRESS_NO_PORT = %d, SO_REUSEADDR = %d (%v); want both 0", noPort, reuse, optErr)
	}
}
