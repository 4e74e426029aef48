package gateway

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/portsim/portsim/allocator"
)

// firstFit is a policy that takes the lowest usable port, address by
// address: every choice is predictable, so clashes are easy to arrange.
type firstFit struct{ released []Endpoint }

func (p *firstFit) Pick(r *Request, usable func(int, uint16) bool) (Endpoint, int, error) {
	probes := 0
	for a := range len(r.Addrs) {
		for port := int(r.Lo); port <= int(r.Hi); port++ {
			probes++
			if usable(a, uint16(port)) {
				return Endpoint{a, uint16(port)}, probes, nil
			}
		}
	}
	return Endpoint{}, probes, ErrExhausted
}

func (p *firstFit) Release(_ int, _ Proto, e Endpoint) { p.released = append(p.released, e) }

var (
	pub1 = netip.MustParseAddr("203.0.113.1")
	pub2 = netip.MustParseAddr("203.0.113.2")
	dstA = netip.MustParseAddrPort("198.18.0.1:443")
	dstB = netip.MustParseAddrPort("198.18.0.2:443")
	dstC = netip.MustParseAddrPort("198.18.0.1:80") // dstA's address, another port
)

func inside(host int, port uint16) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(1 + host)}), port)
}

func config(mods ...func(*Config)) Config {
	c := Config{
		Addrs:     []netip.Addr{pub1},
		Hosts:     4,
		Range:     allocator.Range{Lo: 1024, Hi: 1031}, // eight ports
		Mapping:   [2]Dependence{AddressPortDependent, AddressPortDependent},
		Filtering: [2]Dependence{AddressPortDependent, AddressPortDependent},
		Timeouts:  Timeouts{Closing: 60 * time.Second, Reset: 10 * time.Second, UDP: 30 * time.Second},
	}
	for _, m := range mods {
		m(&c)
	}
	return c
}

func newGateway(t *testing.T, c Config) (*Gateway, *firstFit) {
	t.Helper()
	p := &firstFit{}
	g, err := New(c, p)
	if err != nil {
		t.Fatal(err)
	}
	return g, p
}

// step is one flow opened, or one flow closed, in a gateway test.
type step struct {
	at     time.Duration
	host   int
	port   uint16 // inside port
	dst    netip.AddrPort
	proto  Proto
	close  int // when > 0: close the close-th flow opened (from 1) instead
	how    allocator.CloseHow
	want   Endpoint
	reason Reason // the failure wanted, when fails
	fails  bool
	reused bool // the flow reuses a mapping
}

func TestTranslate(t *testing.T) {
	tests := []struct {
		name  string
		cfg   Config
		steps []step
	}{
		{"ports shared across destinations, not within one", config(), []step{
			{host: 0, port: 5000, dst: dstA, want: Endpoint{0, 1024}},
			{host: 1, port: 5000, dst: dstA, want: Endpoint{0, 1025}},
			{host: 2, port: 6000, dst: dstB, want: Endpoint{0, 1024}},
			{host: 2, port: 6000, dst: dstC, want: Endpoint{0, 1024}},
		}},
		{"limit per address and destination", config(func(c *Config) { c.Limit = 2 }), []step{
			{host: 0, port: 1, dst: dstA, want: Endpoint{0, 1024}},
			{host: 0, port: 2, dst: dstA, want: Endpoint{0, 1025}},
			{host: 0, port: 3, dst: dstA, fails: true, reason: Exhausted},
			{host: 0, port: 3, dst: dstB, want: Endpoint{0, 1024}},
		}},
		{"a second address takes over at the limit", config(func(c *Config) { c.Limit = 1; c.Addrs = []netip.Addr{pub1, pub2} }), []step{
			{host: 0, port: 1, dst: dstA, want: Endpoint{0, 1024}},
			{host: 0, port: 2, dst: dstA, want: Endpoint{1, 1024}},
			{host: 0, port: 3, dst: dstA, fails: true, reason: Exhausted},
		}},
		{"endpoint-independent mapping reuses the endpoint", config(func(c *Config) {
			c.Mapping = [2]Dependence{}
			c.Filtering = [2]Dependence{}
		}), []step{
			{host: 0, port: 5000, dst: dstA, want: Endpoint{0, 1024}},
			{host: 0, port: 5000, dst: dstB, want: Endpoint{0, 1024}, reused: true},
			// Endpoint-independent filtering: the port is the mapping's alone.
			{host: 1, port: 5000, dst: dstC, want: Endpoint{0, 1025}},
		}},
		{"overloaded endpoint-independent mapping conflicts", config(func(c *Config) { c.Mapping = [2]Dependence{} }), []step{
			{host: 0, port: 5000, dst: dstA, want: Endpoint{0, 1024}},
			{host: 1, port: 5000, dst: dstB, want: Endpoint{0, 1024}},
			{host: 0, port: 5000, dst: dstB, fails: true, reason: Conflict},
		}},
		{"address-dependent filtering ignores the destination port", config(func(c *Config) { c.Filtering[TCP] = AddressDependent }), []step{
			{host: 0, port: 5000, dst: dstA, want: Endpoint{0, 1024}},
			{host: 1, port: 5000, dst: dstC, want: Endpoint{0, 1025}},
			{host: 1, port: 5000, dst: dstB, want: Endpoint{0, 1024}},
		}},
		{"a clash inside the confirm window", config(func(c *Config) { c.Window = time.Millisecond }), []step{
			{host: 0, port: 1, dst: dstA, want: Endpoint{0, 1024}},
			{at: 500 * time.Microsecond, host: 1, port: 1, dst: dstA, fails: true, reason: Clash},
			{at: time.Millisecond, host: 1, port: 1, dst: dstA, want: Endpoint{0, 1025}},
		}},
		{"holds by close", config(), []step{
			{host: 0, port: 1, dst: dstA, want: Endpoint{0, 1024}},
			{host: 0, port: 2, dst: dstA, want: Endpoint{0, 1025}},
			{at: time.Second, close: 1, how: allocator.ClientFirst},
			{at: time.Second, close: 2, how: allocator.Reset},
			{at: 10*time.Second + time.Second - 1, host: 1, port: 1, dst: dstA, want: Endpoint{0, 1026}},
			{at: 11 * time.Second, host: 1, port: 2, dst: dstA, want: Endpoint{0, 1025}},
			{at: 61*time.Second - 1, host: 1, port: 3, dst: dstA, want: Endpoint{0, 1027}},
			{at: 61 * time.Second, host: 1, port: 4, dst: dstA, want: Endpoint{0, 1024}},
		}},
		{"tcp and udp are separate", config(), []step{
			{host: 0, port: 1, dst: dstA, want: Endpoint{0, 1024}},
			{host: 0, port: 1, dst: dstA, proto: UDP, want: Endpoint{0, 1024}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, _ := newGateway(t, tt.cfg)
			var flows []Flow
			for i, s := range tt.steps {
				if s.close > 0 {
					if err := g.Close(flows[s.close-1], s.how, s.at); err != nil {
						t.Fatalf("step %d: close: %v", i, err)
					}
					continue
				}
				tr, err := g.Translate(&Outbound{Proto: s.proto, Host: s.host, Inside: inside(s.host, s.port), Dst: s.dst, Now: s.at})
				if s.fails {
					var ge *Error
					if !errors.As(err, &ge) || ge.Reason != s.reason {
						t.Fatalf("step %d: got %v, %v; want a %v failure", i, tr.Public, err, s.reason)
					}
					continue
				}
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				if tr.Public != s.want || tr.New == s.reused {
					t.Fatalf("step %d: got %v (new %v); want %v (reused %v)", i, tr.Public, tr.New, s.want, s.reused)
				}
				flows = append(flows, tr.Flow)
			}
		})
	}
}

func TestHoldsAndRelease(t *testing.T) {
	g, p := newGateway(t, config(func(c *Config) { c.Timeouts.UDPStream = 120 * time.Second }))
	open := func(proto Proto, port uint16, at time.Duration) Flow {
		tr, err := g.Translate(&Outbound{Proto: proto, Host: 0, Inside: inside(0, port), Dst: dstA, Now: at})
		if err != nil {
			t.Fatal(err)
		}
		return tr.Flow
	}
	short := open(UDP, 1, 0)
	long := open(UDP, 2, 0)
	if err := g.Close(short, allocator.ClientFirst, time.Second); err != nil {
		t.Fatal(err)
	}
	if err := g.Close(long, allocator.ClientFirst, 3*time.Second); err != nil {
		t.Fatal(err)
	}
	if st := g.Stats(); st.Held != 2 || st.Mappings != 2 || g.PortsInUse(0) != 2 || g.HostFlows(0) != 2 {
		t.Fatalf("after closing: %+v, ports %d, host flows %d", st, g.PortsInUse(0), g.HostFlows(0))
	}
	g.Advance(31 * time.Second) // the short flow's 30 s UDP hold is over
	if st := g.Stats(); st.Held != 1 || len(p.released) != 1 || g.PortsInUse(0) != 1 {
		t.Fatalf("at 31s: %+v, released %v", st, p.released)
	}
	g.Advance(123 * time.Second) // the stream's 120 s hold too
	if st := g.Stats(); st != (Stats{}) || len(p.released) != 2 || g.PortsInUse(0) != 0 || g.HostFlows(0) != 0 {
		t.Fatalf("at 123s: %+v, released %v", st, p.released)
	}
	if c := g.Counts(); c.Flows != 2 || c.Mappings != 2 || g.LogRecords() != 2 {
		t.Fatalf("counts %+v, log records %d", c, g.LogRecords())
	}
}

func TestIdleTimeout(t *testing.T) {
	g, _ := newGateway(t, config(func(c *Config) { c.Idle = true; c.Timeouts.Established = 10 * time.Second }))
	tr, err := g.Translate(&Outbound{Host: 0, Inside: inside(0, 1), Dst: dstA, Life: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	g.Advance(10 * time.Second)
	if st := g.Stats(); st.Open != 0 || g.Counts().IdleTimeouts != 1 {
		t.Fatalf("after the idle timeout: %+v, %+v", st, g.Counts())
	}
	if err := g.Close(tr.Flow, allocator.ClientFirst, 20*time.Second); err != nil {
		t.Fatalf("closing a flow the gateway let go: %v", err)
	}
	if st := g.Stats(); st != (Stats{}) {
		t.Fatalf("after the close: %+v", st)
	}
}

func TestConfigValidate(t *testing.T) {
	bad := []func(*Config){
		func(c *Config) { c.Addrs = nil },
		func(c *Config) { c.Addrs = []netip.Addr{pub1, pub1} },
		func(c *Config) { c.Addrs = []netip.Addr{pub1, netip.MustParseAddr("2001:db8::1")} },
		func(c *Config) { c.Hosts = 0 },
		func(c *Config) { c.Range = allocator.Range{Lo: 0, Hi: 10} },
		func(c *Config) { c.Limit = -1 },
		func(c *Config) { c.Timeouts.Closing = -time.Second },
		func(c *Config) { c.Mapping[UDP] = 7 },
	}
	for i, m := range bad {
		c := config(m)
		if err := c.Validate(); err == nil {
			t.Errorf("case %d: %+v validated", i, c)
		}
	}
}
