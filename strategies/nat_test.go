package strategies_test

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/gateway"
	"github.com/portsim/portsim/strategies"
)

func publicAddrs(n int) []netip.Addr {
	as := make([]netip.Addr, n)
	for i := range as {
		as[i] = netip.AddrFrom4([4]byte{203, 0, 113, byte(1 + i)})
	}
	return as
}

func hostAddr(h int) netip.Addr { return netip.AddrFrom4([4]byte{10, 0, byte(h >> 8), byte(h)}) }

var (
	natDst      = netip.MustParseAddrPort("198.18.0.1:443")
	natOtherDst = netip.MustParseAddrPort("198.18.0.2:443")
)

// natGateway builds spec's translator behind a gateway.
func natGateway(t *testing.T, spec string, hosts, addrs int) (*gateway.Gateway, *strategies.NAT) {
	t.Helper()
	n, err := strategies.NewNAT(spec, 1, hosts, publicAddrs(addrs))
	if err != nil {
		t.Fatal(err)
	}
	g, err := gateway.New(n.Config, n.Policy)
	if err != nil {
		t.Fatal(err)
	}
	return g, n
}

// openFlows opens n flows from host h to dst, never closed, each from its
// own inside endpoint (60,000 ports from each of the host's addresses:
// the second 60,000 come from another of its addresses), and returns how
// many succeeded before the first
// failure and that failure's reason (noFailure when none).
func openFlows(t *testing.T, g *gateway.Gateway, h, n int, dst netip.AddrPort, firstPort int) (int, gateway.Reason) {
	t.Helper()
	for i := range n {
		in := hostAddr(h)
		if i >= 60000 {
			in = netip.AddrFrom4([4]byte{10, 1, byte(i / 60000), byte(h)})
		}
		_, err := g.Translate(&gateway.Outbound{Host: h, Inside: netip.AddrPortFrom(in, uint16(firstPort+i%60000)), Dst: dst})
		if err != nil {
			var ge *gateway.Error
			if !errors.As(err, &ge) {
				t.Fatalf("flow %d: %v", i+1, err)
			}
			return i, ge.Reason
		}
	}
	return n, noFailure
}

const noFailure gateway.Reason = 255

func TestNATsListed(t *testing.T) {
	names := strategies.NATNames()
	if len(names) != 8 {
		t.Fatalf("NATs: %v", names)
	}
	for _, info := range strategies.NATs() {
		if info.Description == "" || info.How == "" || len(info.Sources) == 0 {
			t.Errorf("%s: description, how or sources missing", info.Name)
		}
		read := false
		for _, s := range info.Sources {
			read = read || strings.Contains(s, "read 2026-")
		}
		if !read {
			t.Errorf("%s: no source says when it was read", info.Name)
		}
		if _, ok := strategies.Lookup(info.Name); ok {
			t.Errorf("%s is also a strategy", info.Name)
		}
		if err := strategies.ValidateNAT(info.Name, 1, 1); err != nil {
			t.Errorf("%s at its defaults: %v", info.Name, err)
		}
		if info.FailureName(gateway.Exhausted) == "" {
			t.Errorf("%s: no failure name", info.Name)
		}
	}
}

func TestNATSpecErrors(t *testing.T) {
	tests := []struct {
		spec         string
		hosts, addrs int
		want         string
	}{
		{"nope", 1, 1, `unknown gateway "nope"; want one of netfilter,`},
		{"aws-nat", 1, 9, "9 public addresses; it takes at most 8"},
		{"aws-nat:limit=0", 1, 1, "limit=\"0\"; want a whole number from 1 to 64512"},
		{"aws-nat:nope=1", 1, 1, `unknown parameter "nope"`},
		{"azure-lb", 1001, 1, "1001 VMs is more than the default allocation's 1000"},
		{"azure-nat", 1, 17, "17 public addresses; it takes at most 16"},
		{"gcp-nat:dynamic=on,eim=on", 1, 1, "dynamic=on and eim=on"},
		{"gcp-nat:dynamic=on,min-ports=48", 1, 1, "powers of two"},
		{"gcp-nat:min-ports=4096", 20, 1, "want more public-ips"},
		{"netfilter:to-ports=9-2", 1, 1, "to-ports"},
		{"netfilter:window=-1s", 1, 1, "window"},
		{"netfilter:random=maybe", 1, 1, "want one of off, on, fully"},
		{"port-block:mapping=full-cone", 1, 1, "want one of eim, adm, apdm"},
	}
	for _, tt := range tests {
		err := strategies.ValidateNAT(tt.spec, tt.hosts, tt.addrs)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s with %d hosts, %d addresses: %v; want an error with %q", tt.spec, tt.hosts, tt.addrs, err, tt.want)
		}
	}
}

// TestAWSConcurrentLimit: 55,000 connections held open to one destination
// succeed and the 55,001st fails (ErrorPortAllocation); two addresses
// hold 110,000; another destination is not affected.
func TestAWSConcurrentLimit(t *testing.T) {
	for _, addrs := range []int{1, 2} {
		g, n := natGateway(t, "aws-nat", 1, addrs)
		want := 55000 * addrs
		got, reason := openFlows(t, g, 0, want+1, natDst, 1024)
		if got != want || reason != gateway.Exhausted || n.Info.FailureName(reason) != "ErrorPortAllocation" {
			t.Errorf("%d addresses: %d connections, then %v; want %d, then ErrorPortAllocation", addrs, got, reason, want)
		}
		if got, _ := openFlows(t, g, 0, 10, natOtherDst, 1024); got != 10 {
			t.Errorf("%d addresses: another destination took %d of 10", addrs, got)
		}
		if b := g.Busiest(); b != 55000 {
			t.Errorf("%d addresses: busiest destination %d; want 55000", addrs, b)
		}
	}
}

// TestAzureLBPreallocation: 200 VMs get 256 ports each; a VM's 257th
// connection to one destination fails while another destination works.
func TestAzureLBPreallocation(t *testing.T) {
	g, n := natGateway(t, "azure-lb", 200, 1)
	if held := n.Policy.(gateway.Holder).Held(7); held != 256 {
		t.Fatalf("a VM of 200 holds %d ports; want 256", held)
	}
	got, reason := openFlows(t, g, 7, 257, natDst, 40000)
	if got != 256 || n.Info.FailureName(reason) != "SNAT port exhaustion" {
		t.Fatalf("VM 7: %d connections then %v; want 256 then SNAT port exhaustion", got, reason)
	}
	if got, _ := openFlows(t, g, 7, 256, natOtherDst, 40000); got != 256 {
		t.Fatalf("VM 7 to another destination: %d of 256", got)
	}
	if got, _ := openFlows(t, g, 8, 256, natDst, 40000); got != 256 {
		t.Fatalf("VM 8 to the same destination: %d of 256", got)
	}
}

// TestGCPPortsPerVM: static allocation with 64 ports: the 65th connection
// to one destination fails; dynamic allocation grows to max-ports.
func TestGCPPortsPerVM(t *testing.T) {
	g, n := natGateway(t, "gcp-nat:min-ports=64", 4, 1)
	got, reason := openFlows(t, g, 1, 65, natDst, 40000)
	if got != 64 || n.Info.FailureName(reason) != "OUT_OF_RESOURCES" {
		t.Fatalf("static: %d then %v; want 64 then OUT_OF_RESOURCES", got, reason)
	}
	g, n = natGateway(t, "gcp-nat:dynamic=on,min-ports=64,max-ports=1024", 4, 1)
	got, reason = openFlows(t, g, 1, 1025, natDst, 40000)
	if got != 1024 || reason != gateway.Exhausted {
		t.Fatalf("dynamic: %d then %v; want 1024 then exhausted", got, reason)
	}
	if held := n.Policy.(gateway.Holder).Held(1); held != 1024 {
		t.Fatalf("dynamic: VM holds %d ports; want 1024", held)
	}
}

// TestGCPEndpointIndependenceConflict: with eim=on a VM's inside endpoint
// keeps its NAT endpoint, which another mapping may already use to the
// new destination.
func TestGCPEndpointIndependenceConflict(t *testing.T) {
	g, n := natGateway(t, "gcp-nat:min-ports=2,eim=on", 1, 1)
	in := func(p uint16) netip.AddrPort { return netip.AddrPortFrom(hostAddr(0), p) }
	a, err := g.Translate(&gateway.Outbound{Inside: in(5000), Dst: natDst})
	if err != nil {
		t.Fatal(err)
	}
	b, err := g.Translate(&gateway.Outbound{Inside: in(5001), Dst: natOtherDst})
	if err != nil {
		t.Fatal(err)
	}
	if a.Public == b.Public {
		// The two may share a NAT port (different destinations); make the
		// second endpoint reach the first's destination on it.
		_, err = g.Translate(&gateway.Outbound{Inside: in(5001), Dst: natDst})
		var ge *gateway.Error
		if !errors.As(err, &ge) || n.Info.FailureName(ge.Reason) != "ENDPOINT_INDEPENDENCE_CONFLICT" {
			t.Fatalf("got %v; want ENDPOINT_INDEPENDENCE_CONFLICT", err)
		}
		return
	}
	tr, err := g.Translate(&gateway.Outbound{Inside: in(5000), Dst: natOtherDst})
	if err != nil || tr.Public != a.Public || tr.New {
		t.Fatalf("reusing the mapping: %v, %v; want %v again", tr.Public, err, a.Public)
	}
}

// TestNetfilterPortPreservation: two hosts that chose the same port to the
// same destination are both served: the first keeps its port, the second
// walks.
func TestNetfilterPortPreservation(t *testing.T) {
	g, _ := natGateway(t, "netfilter:window=0s", 2, 1)
	a, err := g.Translate(&gateway.Outbound{Host: 0, Inside: netip.AddrPortFrom(hostAddr(0), 40000), Dst: natDst})
	if err != nil || a.Public.Port != 40000 || a.Probes != 1 {
		t.Fatalf("first host: %v after %d probes, %v; want its own port 40000 at once", a.Public, a.Probes, err)
	}
	b, err := g.Translate(&gateway.Outbound{Host: 1, Inside: netip.AddrPortFrom(hostAddr(1), 40000), Dst: natDst})
	if err != nil || b.Public.Port == 40000 || b.Public.Port < 1024 || b.Probes < 2 {
		t.Fatalf("second host: %v after %d probes, %v; want another port ≥ 1024 after a walk", b.Public, b.Probes, err)
	}
	c, err := g.Translate(&gateway.Outbound{Host: 1, Inside: netip.AddrPortFrom(hostAddr(1), 40000), Dst: natOtherDst})
	if err != nil || c.Public != b.Public {
		t.Fatalf("the second host to another destination: %v, %v; want its mapping %v kept", c.Public, err, b.Public)
	}
}

// TestNetfilterRace: two hosts with the same port, inside the confirm
// window: port preservation makes both keep it and the later is dropped
// (insert_failed); random-fully picks apart.
func TestNetfilterRace(t *testing.T) {
	for _, tt := range []struct {
		spec  string
		clash bool
	}{{"netfilter", true}, {"netfilter:random=fully", false}} {
		g, n := natGateway(t, tt.spec, 2, 1)
		for h := range 2 {
			_, err := g.Translate(&gateway.Outbound{Host: h, Inside: netip.AddrPortFrom(hostAddr(h), 40000), Dst: natDst, Now: time.Duration(h) * time.Microsecond})
			var ge *gateway.Error
			clashed := errors.As(err, &ge) && ge.Reason == gateway.Clash
			if h == 1 && clashed != tt.clash {
				t.Errorf("%s: the second host's flow: %v; clash wanted %v", tt.spec, err, tt.clash)
			}
			if clashed && n.Info.FailureName(ge.Reason) != "insert_failed" {
				t.Errorf("%s: a clash is named %q", tt.spec, n.Info.FailureName(ge.Reason))
			}
		}
	}
}

// TestNetfilterClasses: without --to-ports a walked port stays in the
// host's port's class; with it, in the range.
func TestNetfilterClasses(t *testing.T) {
	tests := []struct {
		spec   string
		inside uint16
		lo, hi uint16
	}{
		{"netfilter:window=0s", 80, 1, 511},
		{"netfilter:window=0s", 700, 600, 1023},
		{"netfilter:window=0s", 40000, 1024, 65535},
		{"netfilter:window=0s,to-ports=20000-20099", 40000, 20000, 20099},
	}
	for _, tt := range tests {
		g, _ := natGateway(t, tt.spec, 2, 1)
		for h := range 2 {
			tr, err := g.Translate(&gateway.Outbound{Host: h, Inside: netip.AddrPortFrom(hostAddr(h), tt.inside), Dst: natDst})
			if err != nil || tr.Public.Port < tt.lo || tr.Public.Port > tt.hi {
				t.Errorf("%s, host %d from %d: %v, %v; want a port in %d-%d", tt.spec, h, tt.inside, tr.Public, err, tt.lo, tt.hi)
			}
		}
	}
}

// TestNetfilterAttempts: with the range full the search gives up after
// 128 + 64 + 32 + 16 + 8 tries (plus the kept port's one), or the whole
// range with attempts=0.
func TestNetfilterAttempts(t *testing.T) {
	for _, tt := range []struct {
		spec string
		want int
	}{{"netfilter:window=0s,to-ports=2000-2999", 1 + 248}, {"netfilter:window=0s,to-ports=2000-2999,attempts=0,offset=rover", 1 + 1000}} {
		g, _ := natGateway(t, tt.spec, 2, 1)
		if got, _ := openFlows(t, g, 0, 1000, natDst, 2000); got != 1000 {
			t.Fatalf("%s: filled %d of 1000", tt.spec, got)
		}
		_, err := g.Translate(&gateway.Outbound{Host: 1, Inside: netip.AddrPortFrom(hostAddr(1), 2000), Dst: natDst})
		var ge *gateway.Error
		if !errors.As(err, &ge) || ge.Probes != tt.want {
			t.Errorf("%s: %v; want exhausted after %d probes", tt.spec, err, tt.want)
		}
	}
}

// TestPortBlocks: a host's mappings come from its blocks, one log record
// each; a block goes back when its mappings end; the block limit caps a
// host.
func TestPortBlocks(t *testing.T) {
	g, n := natGateway(t, "port-block:block=4,blocks=2,closing=0s", 2, 1)
	var flows []gateway.Flow
	for i := range 8 {
		tr, err := g.Translate(&gateway.Outbound{Host: 0, Inside: netip.AddrPortFrom(hostAddr(0), uint16(5000+i)), Dst: natDst})
		if err != nil {
			t.Fatalf("flow %d: %v", i, err)
		}
		flows = append(flows, tr.Flow)
	}
	if _, err := g.Translate(&gateway.Outbound{Host: 0, Inside: netip.AddrPortFrom(hostAddr(0), 6000), Dst: natDst}); err == nil {
		t.Fatal("a ninth mapping fitted in two blocks of four")
	}
	if g.LogRecords() != 2 || n.Policy.(gateway.Holder).Held(0) != 8 || g.Counts().Mappings != 8 {
		t.Fatalf("log records %d, held %d, mappings %d; want 2, 8, 8", g.LogRecords(), n.Policy.(gateway.Holder).Held(0), g.Counts().Mappings)
	}
	for _, f := range flows {
		if err := g.Close(f, allocator.Reset, time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if held := n.Policy.(gateway.Holder).Held(0); held != 0 {
		t.Fatalf("after every mapping ended the host holds %d ports", held)
	}
}

// TestDeterministic: host i's range follows the formula, and nothing is
// logged.
func TestDeterministic(t *testing.T) {
	g, n := natGateway(t, "deterministic:ports=sequential", 128, 2)
	if held := n.Policy.(gateway.Holder).Held(0); held != 64512/64 {
		t.Fatalf("128 hosts on 2 addresses hold %d ports each; want %d", held, 64512/64)
	}
	for _, h := range []int{0, 5, 64, 127} {
		tr, err := g.Translate(&gateway.Outbound{Host: h, Inside: netip.AddrPortFrom(hostAddr(h), 5000), Dst: natDst})
		if err != nil {
			t.Fatal(err)
		}
		want := gateway.Endpoint{Addr: h / 64, Port: uint16(1024 + (h%64)*1008)}
		if tr.Public != want {
			t.Errorf("host %d: %v; want %v", h, tr.Public, want)
		}
	}
	if g.LogRecords() != 0 {
		t.Errorf("log records %d; want 0", g.LogRecords())
	}
}

// TestRFC4787: endpoint-independent mapping, the port kept, its parity
// kept when it cannot be.
func TestRFC4787(t *testing.T) {
	g, _ := natGateway(t, "rfc4787", 2, 1)
	a, err := g.Translate(&gateway.Outbound{Host: 0, Inside: netip.AddrPortFrom(hostAddr(0), 40001), Dst: natDst})
	if err != nil || a.Public.Port != 40001 {
		t.Fatalf("kept port: %v, %v", a.Public, err)
	}
	b, err := g.Translate(&gateway.Outbound{Host: 1, Inside: netip.AddrPortFrom(hostAddr(1), 40001), Dst: natOtherDst})
	if err != nil || b.Public.Port == 40001 || b.Public.Port%2 != 1 {
		t.Fatalf("another host, same port, endpoint-independent filtering: %v, %v; want another odd port", b.Public, err)
	}
	c, err := g.Translate(&gateway.Outbound{Host: 0, Inside: netip.AddrPortFrom(hostAddr(0), 40001), Dst: natOtherDst})
	if err != nil || c.Public != a.Public || c.New {
		t.Fatalf("same endpoint, new destination: %v, %v; want %v reused", c.Public, err, a.Public)
	}
}

// FuzzNewNAT: any spec builds a translator whose rules validate, or is
// refused with an error; nothing panics.
func FuzzNewNAT(f *testing.F) {
	for _, s := range []string{"netfilter", "netfilter:random=fully,to-ports=2000-2999", "aws-nat:limit=10", "azure-lb:ports=4",
		"gcp-nat:dynamic=on,min-ports=64,max-ports=1024", "port-block:block=4,blocks=2", "deterministic:parity=on", "rfc4787:filtering=apdf", "nope:x=1"} {
		f.Add(s, uint8(3), uint8(2))
	}
	f.Fuzz(func(t *testing.T, spec string, hosts, addrs uint8) {
		n, err := strategies.NewNAT(spec, 1, int(hosts)+1, publicAddrs(int(addrs)%8+1))
		if err != nil {
			return
		}
		if err := n.Config.Validate(); err != nil {
			t.Fatalf("%q built rules that do not validate: %v", spec, err)
		}
		g, err := gateway.New(n.Config, n.Policy)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := g.Translate(&gateway.Outbound{Inside: netip.AddrPortFrom(hostAddr(0), 40000), Dst: natDst}); err != nil {
			var ge *gateway.Error
			if !errors.As(err, &ge) {
				t.Fatalf("%q: first flow: %v", spec, err)
			}
		}
	})
}
