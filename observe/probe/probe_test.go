package probe

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/internal/fielderr"
	"github.com/portsim/portsim/observe/capture"
)

// liveProbe runs a probe or skips the test where the kernel cannot be
// asked: not Linux, or no loopback sockets (a sandbox).
func liveProbe(t *testing.T, cfg Config) *Result {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skipf("the Linux models are checked on Linux only; this is %s", runtime.GOOS)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := Run(ctx, cfg)
	if errors.Is(err, ErrNoLoopback) {
		t.Skipf("no loopback sockets here: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestProbeRefusesNonLoopback(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"private", Config{Count: 1, Dsts: []netip.AddrPort{netip.MustParseAddrPort("10.0.0.1:80")}}, "dst 10.0.0.1: not a loopback address; probe talks only to 127.0.0.0/8 and ::1"},
		{"public", Config{Count: 1, Dsts: []netip.AddrPort{netip.MustParseAddrPort("8.8.8.8:53")}}, "dst 8.8.8.8: not a loopback"},
		{"documentation v6", Config{Count: 1, Dsts: []netip.AddrPort{netip.MustParseAddrPort("[2001:db8::1]:443")}}, "dst 2001:db8::1: not a loopback"},
		{"mapped private", Config{Count: 1, Dsts: []netip.AddrPort{netip.MustParseAddrPort("[::ffff:10.0.0.1]:80")}}, "dst ::ffff:10.0.0.1: not a loopback"},
		{"unspecified", Config{Count: 1, Dsts: []netip.AddrPort{netip.MustParseAddrPort("0.0.0.0:80")}}, "dst 0.0.0.0: not a loopback"},
		{"one bad among good", Config{Count: 1, Dsts: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:0"), netip.MustParseAddrPort("192.0.2.1:0")}}, "dst 192.0.2.1: not a loopback"},
		{"src", Config{Count: 1, Src: netip.MustParseAddr("10.0.0.1")}, "src 10.0.0.1: not a loopback"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := Run(context.Background(), c.cfg)
			var fe *fielderr.Error
			if res != nil || !errors.As(err, &fe) || !errors.Is(err, ErrNotLoopback) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Run = %v, %v; want a refusal containing %q", res, err, c.want)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	lo := netip.MustParseAddrPort("127.0.0.1:0")
	for _, c := range []struct {
		name  string
		cfg   Config
		field string
		want  string
	}{
		{"count 0", Config{Count: 0}, "count", "want 1 to 10000"},
		{"count big", Config{Count: MaxCount + 1}, "count", "want 1 to 10000"},
		{"close", Config{Count: 1, Close: "abort"}, "close", "want rst or fin"},
		{"kind", Config{Count: 1, Kinds: []allocator.Kind{allocator.Connect, allocator.Kind(9)}}, "kind", `"Kind(9)": want connect, bind, udp`},
		{"twice", Config{Count: 1, Dsts: []netip.AddrPort{lo, lo}}, "dst", "given twice"},
		{"family", Config{Count: 1, Src: netip.IPv6Loopback(), Dsts: []netip.AddrPort{lo}}, "src", "is IPv6 but dst 127.0.0.1 is IPv4"},
		{"too many", Config{Count: 1, Dsts: make([]netip.AddrPort, MaxDsts+1)}, "dst", "at most 16"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.cfg.Validate()
			var fe *fielderr.Error
			if !errors.As(err, &fe) || fe.Field != c.field || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Validate: %v; want a %s error containing %q", err, c.field, c.want)
			}
		})
	}

	got, err := Config{Count: 5, Kinds: []allocator.Kind{allocator.UDP, allocator.Connect, allocator.UDP}, Dsts: []netip.AddrPort{netip.MustParseAddrPort("[::ffff:127.0.0.9]:0")}}.Validate()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Kinds, []allocator.Kind{allocator.Connect, allocator.UDP}) || got.Close != CloseRST || got.Dsts[0].Addr() != netip.MustParseAddr("127.0.0.9") {
		t.Errorf("defaults: %+v; want kinds connect,udp, close rst, dst unmapped", got)
	}
	got, _ = Config{Count: 1, Src: netip.MustParseAddr("127.0.0.1")}.Validate()
	if len(got.Dsts) != 3 {
		t.Errorf("default dsts with an IPv4 src: %v; want the three IPv4 ones", got.Dsts)
	}
}

// A small probe of each kind and close mode writes sane samples and CSV.
func TestProbeSmall(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  Config
	}{
		{"rst", Config{Count: 20, Dsts: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.5:0"), netip.MustParseAddrPort("127.0.0.6:0")}}},
		{"fin", Config{Count: 5, Close: CloseFIN, Dsts: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.7:0")}}},
		{"src", Config{Count: 10, Src: netip.MustParseAddr("127.0.0.8"), Dsts: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.9:0")}}},
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
				if (s.Kind == allocator.UDP) != (s.Proto == capture.UDP) || s.SrcPort == 0 || s.DstPort == 0 {
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
	res, err := Run(ctx, Config{Count: 100, Dsts: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:0")}})
	if errors.Is(err, ErrNoLoopback) {
		t.Skip(err)
	}
	if !errors.Is(err, context.Canceled) || res == nil || len(res.Samples) != 0 {
		t.Errorf("Run with a cancelled context = %v samples, %v", res, err)
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
