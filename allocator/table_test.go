package allocator

import (
	"errors"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"
)

// take is a strategy that proposes the given ports in order.
type take []uint16

func (ps take) Pick(r *Request, usable func(uint16) bool) (uint16, int, error) {
	for i, p := range ps {
		if usable(p) {
			return p, i + 1, nil
		}
	}
	return 0, len(ps), ErrAddrNotAvail
}

var (
	src   = netip.MustParseAddr("10.0.0.1")
	src2  = netip.MustParseAddr("10.0.0.2")
	dstA  = netip.MustParseAddrPort("192.0.2.1:443")
	dstB  = netip.MustParseAddrPort("192.0.2.2:443")
	dstA2 = netip.MustParseAddrPort("192.0.2.1:80")
	loSrc = netip.MustParseAddr("127.0.0.1")
	loDst = netip.MustParseAddrPort("127.0.0.2:8080")
)

func newTable(t *testing.T, cfg Config) *Table {
	t.Helper()
	if cfg.Range == (Range{}) {
		cfg.Range = Range{Lo: 1000, Hi: 1009}
	}
	tab, err := NewTable(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func req(kind Kind, s netip.Addr, d netip.AddrPort, now time.Duration) *Request {
	return &Request{Kind: kind, Src: s, Dst: d, Now: now}
}

// Which request may share a port with which holder, per the facts file.
func TestSharingRules(t *testing.T) {
	tests := []struct {
		name   string
		first  *Request
		second *Request
		share  bool // may the second take the first's port?
	}{
		{"connect, other destination", req(Connect, src, dstA, 0), req(Connect, src, dstB, 0), true},
		{"connect, other dst port", req(Connect, src, dstA, 0), req(Connect, src, dstA2, 0), true},
		{"connect, same 4-tuple", req(Connect, src, dstA, 0), req(Connect, src, dstA, 0), false},
		{"connect, other local address", req(Connect, src, dstA, 0), req(Connect, src2, dstA, 0), true},
		{"bind owner blocks connect", req(Bind, src, dstA, 0), req(Connect, src, dstB, 0), false},
		{"connect user blocks bind", req(Connect, src, dstA, 0), req(Bind, src, dstB, 0), false},
		{"bind blocks bind", req(Bind, src, dstA, 0), req(Bind, src, dstB, 0), false},
		{"bind on another address", req(Bind, src, dstA, 0), req(Bind, src2, dstA, 0), true},
		{"udp blocks udp", req(UDP, src, dstA, 0), req(UDP, src, dstB, 0), false},
		{"udp and tcp are separate spaces", req(UDP, src, dstA, 0), req(Connect, src, dstA, 0), true},
		{"tcp bind does not block udp", req(Bind, src, dstA, 0), req(UDP, src, dstA, 0), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab := newTable(t, Config{TimeWait: time.Minute})
			if _, err := tab.Allocate(tt.first, take{1000}); err != nil {
				t.Fatal(err)
			}
			if got := tab.Usable(tt.second, 1000); got != tt.share {
				t.Errorf("Usable = %v; want %v", got, tt.share)
			}
		})
	}
}

func TestTimeWait(t *testing.T) {
	tests := []struct {
		name   string
		kind   Kind
		how    CloseHow
		policy TWReuse
		s      netip.Addr
		d      netip.AddrPort
		at     time.Duration // when the same 4-tuple (or port) is asked for again
		want   bool
		reuse  bool
	}{
		{"reset keeps nothing", Connect, Reset, TWReuseOff, src, dstA, 0, true, false},
		{"server-first keeps nothing", Connect, ServerFirst, TWReuseOff, src, dstA, 0, true, false},
		{"client-first holds the 4-tuple", Connect, ClientFirst, TWReuseOff, src, dstA, 59 * time.Second, false, false},
		{"TIME_WAIT expires", Connect, ClientFirst, TWReuseOff, src, dstA, 60 * time.Second, true, false},
		{"tw_reuse on, old enough", Connect, ClientFirst, TWReuseOn, src, dstA, time.Second, true, true},
		{"tw_reuse on, too young", Connect, ClientFirst, TWReuseOn, src, dstA, 999 * time.Millisecond, false, false},
		{"tw_reuse loopback, not loopback", Connect, ClientFirst, TWReuseLoopback, src, dstA, 2 * time.Second, false, false},
		{"tw_reuse loopback, loopback", Connect, ClientFirst, TWReuseLoopback, loSrc, loDst, 2 * time.Second, true, true},
		{"bind holds its port in TIME_WAIT", Bind, ClientFirst, TWReuseOn, src, dstA, 30 * time.Second, false, false},
		{"bind port free after TIME_WAIT", Bind, ClientFirst, TWReuseOn, src, dstA, 60 * time.Second, true, false},
		{"udp close frees at once", UDP, ClientFirst, TWReuseOff, src, dstA, 0, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab := newTable(t, Config{TimeWait: time.Minute, TWReuse: tt.policy, TWReuseDelay: time.Second})
			a, err := tab.Allocate(req(tt.kind, tt.s, tt.d, 0), take{1000})
			if err != nil {
				t.Fatal(err)
			}
			if err := tab.Close(a.Conn, tt.how, 0); err != nil {
				t.Fatal(err)
			}
			b, err := tab.Allocate(req(tt.kind, tt.s, tt.d, tt.at), take{1000})
			if got := err == nil; got != tt.want {
				t.Fatalf("second allocation ok = %v (%v); want %v", got, err, tt.want)
			}
			if b.TWReuse != tt.reuse {
				t.Errorf("TWReuse = %v; want %v", b.TWReuse, tt.reuse)
			}
		})
	}
}

// A 4-tuple reused from TIME_WAIT must not be freed when the old TIME_WAIT
// entry's expiry comes round.
func TestTWReuseSurvivesOldExpiry(t *testing.T) {
	tab := newTable(t, Config{TimeWait: time.Minute, TWReuse: TWReuseOn, TWReuseDelay: time.Second})
	a, _ := tab.Allocate(req(Connect, src, dstA, 0), take{1000})
	_ = tab.Close(a.Conn, ClientFirst, 0)
	if _, err := tab.Allocate(req(Connect, src, dstA, 2*time.Second), take{1000}); err != nil {
		t.Fatal(err)
	}
	tab.Advance(2 * time.Minute)
	if tab.Usable(req(Connect, src, dstA, 2*time.Minute), 1000) {
		t.Fatal("the reused, established 4-tuple was freed by the stale TIME_WAIT expiry")
	}
	if s := tab.Stats(); s.Established != 1 || s.TimeWait != 0 || s.BusyPorts != 1 {
		t.Fatalf("stats = %+v; want 1 established, 0 TIME_WAIT, 1 busy port", s)
	}
}

func TestStatsReturnToZero(t *testing.T) {
	tab := newTable(t, Config{TimeWait: 10 * time.Second})
	var conns []Conn
	for i, k := range []Kind{Connect, Connect, Bind, UDP} {
		d := netip.AddrPortFrom(dstA.Addr(), uint16(443+i))
		a, err := tab.Allocate(req(k, src, d, 0), take{1000, 1001, 1002})
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, a.Conn)
	}
	if s := tab.Stats(); s.Established != 3 || s.UDP != 1 || s.BusyPorts != 3 {
		t.Fatalf("after allocating: %+v", s)
	}
	for _, c := range conns {
		if err := tab.Close(c, ClientFirst, time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if s := tab.Stats(); s.TimeWait != 3 || s.Established != 0 {
		t.Fatalf("after closing: %+v", s)
	}
	tab.Advance(11 * time.Second)
	if s := tab.Stats(); s != (Stats{}) {
		t.Fatalf("after expiry: %+v; want all zero", s)
	}
	if err := tab.Close(conns[0], Reset, 12*time.Second); err == nil {
		t.Fatal("closing a closed connection should fail")
	}
}

// Close moves the clock without expiring; Stats must still count only the
// TIME_WAITs not yet due.
func TestStatsExpireAtTheClock(t *testing.T) {
	tab := newTable(t, Config{TimeWait: 10 * time.Second})
	var conns []Conn
	for _, port := range []uint16{1000, 1001} {
		a, err := tab.Allocate(req(Connect, src, dstA, 0), take{port})
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, a.Conn)
	}
	for i, at := range []time.Duration{0, 30 * time.Second} {
		if err := tab.Close(conns[i], ClientFirst, at); err != nil {
			t.Fatal(err)
		}
	}
	if s := tab.Stats(); s.TimeWait != 1 || s.BusyPorts != 1 {
		t.Fatalf("at 30s: %+v; want the first TIME_WAIT (due at 10s) gone", s)
	}
}

func TestReservedAndRangeAreUnusable(t *testing.T) {
	tab := newTable(t, Config{Reserved: []Range{{Lo: 1003, Hi: 1004}}})
	r := req(Connect, src, dstA, 0)
	for p, want := range map[uint16]bool{999: false, 1000: true, 1003: false, 1004: false, 1009: true, 1010: false} {
		if got := tab.Usable(r, p); got != want {
			t.Errorf("Usable(%d) = %v; want %v", p, got, want)
		}
	}
}

func TestErrors(t *testing.T) {
	tab := newTable(t, Config{})
	_, err := tab.Allocate(req(Connect, src, dstA, 0), take{})
	var ae *AllocError
	if !errors.Is(err, ErrAddrNotAvail) || !errors.As(err, &ae) {
		t.Fatalf("err = %v; want an *AllocError matching ErrAddrNotAvail", err)
	}
	_, err = tab.Allocate(req(Connect, src, dstA, 0), take{1001, 1002, 1003})
	if err != nil {
		t.Fatal(err)
	}
	_, err = tab.Allocate(req(Connect, src, dstA, 0), take{1001})
	if !errors.As(err, &ae) || ae.Probes != 1 {
		t.Fatalf("err = %v; want 1 probe recorded", err)
	}
	v6 := netip.MustParseAddrPort("[2001:db8::1]:443")
	var re *RequestError
	if _, err := tab.Allocate(req(Connect, src, v6, 0), take{1000}); !errors.As(err, &re) || re.Field != "dst" {
		t.Fatalf("mixed families: err = %v; want a RequestError on dst", err)
	}
	if _, err := tab.Allocate(req(Connect, netip.Addr{}, dstA, 0), take{1000}); !errors.As(err, &re) || re.Field != "src" {
		t.Fatalf("no src: err = %v; want a RequestError on src", err)
	}
	// A UDP handle on an address that never had a UDP socket (its port
	// space is made with the first one).
	if err := tab.Close(Conn{Kind: UDP, Port: 1001}, Reset, 0); err == nil {
		t.Fatal("closing a UDP socket never opened: want an error")
	}
}

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		cfg  Config
		want string
	}{
		{Config{Range: Range{Lo: 0, Hi: 10}}, "range: low bound 0"},
		{Config{Range: Range{Lo: 10, Hi: 5}}, "range: low bound 10 is above high bound 5"},
		{Config{Range: Range{Lo: 1, Hi: 5}, Reserved: []Range{{Lo: 4, Hi: 3}}}, "reserved:"},
		{Config{Range: Range{Lo: 1, Hi: 5}, TimeWait: -1}, "time-wait:"},
	}
	for _, tt := range tests {
		_, err := NewTable(tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewTable(%+v) = %v; want %q", tt.cfg, err, tt.want)
		}
	}
}

func TestParseRange(t *testing.T) {
	tests := []struct {
		in      string
		want    Range
		wantErr string
	}{
		{"32768-60999", LinuxRange, ""},
		{"443", Range{Lo: 443, Hi: 443}, ""},
		{"0-10", Range{}, "low bound 0 is out of range"},
		{"10-70000", Range{}, "high bound 70000 is out of range"},
		{"600-500", Range{}, "low bound 600 is above high bound 500"},
		{"a-b", Range{}, `low bound "a" is not a number`},
	}
	for _, tt := range tests {
		got, err := ParseRange(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseRange(%q) error = %v; want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseRange(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	rs, err := ParseRanges("8080, 9000-9010,")
	if err != nil || len(rs) != 2 || FormatRanges(rs) != "8080,9000-9010" {
		t.Errorf("ParseRanges = %v, %v", rs, err)
	}
}

// cycle proposes ports round-robin from a cursor, like a sequential
// strategy, without importing the strategies package.
type cycle struct{ next uint16 }

func (c *cycle) Pick(r *Request, usable func(uint16) bool) (uint16, int, error) {
	for i := 0; i < r.Size(); i++ {
		if c.next < r.Lo || c.next > r.Hi {
			c.next = r.Lo
		}
		p := c.next
		c.next++
		if usable(p) {
			return p, i + 1, nil
		}
	}
	return 0, r.Size(), ErrAddrNotAvail
}

// Memory grows with live sockets, not destinations × range: a million
// distinct destinations with one open connection each fit in well under
// 1 GiB.
func TestMemoryMillionDestinations(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates a million connections")
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	tab, _ := NewTable(Config{Range: LinuxRange, TimeWait: time.Minute})
	s := &cycle{}
	base := netip.MustParseAddr("10.128.0.0").As4()
	for i := range 1_000_000 {
		a := base
		a[1] += byte(i >> 16)
		a[2], a[3] = byte(i>>8), byte(i)
		d := netip.AddrPortFrom(netip.AddrFrom4(a), 443)
		if _, err := tab.Allocate(req(Connect, src, d, 0), s); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	used := after.HeapAlloc - before.HeapAlloc
	t.Logf("1M connections: %d MiB heap", used>>20)
	if used > 384<<20 {
		t.Fatalf("1M connections use %d MiB; want under 384 MiB", used>>20)
	}
	runtime.KeepAlive(tab)
}

// liar returns a port whatever usable said of it, after asking about the
// ports in ask.
type liar struct {
	ask  []uint16
	port uint16
}

func (l liar) Pick(r *Request, usable func(uint16) bool) (uint16, int, error) {
	for _, p := range l.ask {
		usable(p)
	}
	return l.port, len(l.ask), nil
}

// A strategy that returns a port the table did not call usable is a bug
// the table refuses loudly, whatever it asked before.
func TestPickRefusesUnusablePort(t *testing.T) {
	for _, tt := range []struct {
		name string
		s    liar
	}{
		{"asked nothing", liar{nil, 1000}},
		{"asked and told busy", liar{[]uint16{1000}, 1000}},
		{"told another is free", liar{[]uint16{1001}, 1000}},
		{"free one asked first", liar{[]uint16{1001, 1000}, 1000}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tab := newTable(t, Config{})
			if _, err := tab.Allocate(req(Bind, src, dstA, 0), take{1000}); err != nil {
				t.Fatal(err)
			}
			defer func() {
				if recover() == nil {
					t.Fatal("Allocate took port 1000, which a bound socket holds")
				}
			}()
			tab.Allocate(req(Connect, src, dstA, 0), tt.s)
		})
	}
}
