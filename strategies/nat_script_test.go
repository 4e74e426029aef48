package strategies_test

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/gateway"
	"github.com/portsim/portsim/internal/format"
	"github.com/portsim/portsim/strategies"
)

// runNAT runs the nat script command:
//
//	nat spec=SPEC [hosts=N] [addrs=M] [seed=S]
//	    A translator, strategies.NewNAT(SPEC, seed), behind a gateway with
//	    N hosts (default 2; host h is 10.0.h/8.h%256) and M public
//	    addresses (default 1; 203.0.113.1 up). Input lines, in time order:
//
//	    at=D host=H port=P dst=IP:PORT [udp] [count=N] [life=D] [how=client|server|reset]
//	        a flow from host H's port P (N flows from ports P, P+1, ...;
//	        one line sums them up), closed life after it opened
//	    at=D close=I [how=...]
//	        close the I-th flow opened (from 1)
//
// It prints the gateway's rules, a line per flow (its public endpoint,
// probes, and whether it made a mapping) or per count= line, and the
// counts. Failures carry the product's name for them.
func runNAT(t testing.TB, d *datadriven.TestData, cov *coverage) string {
	spec, hosts, addrs, seed := "", 2, 1, uint64(1)
	for _, a := range d.CmdArgs {
		if len(a.Vals) != 1 {
			d.Fatalf(t, "nat: %s takes one value", a.Key)
		}
		v := a.Vals[0]
		var err error
		switch a.Key {
		case "spec":
			spec = v
		case "hosts":
			hosts, err = strconv.Atoi(v)
		case "addrs":
			addrs, err = strconv.Atoi(v)
		case "seed":
			seed, err = strconv.ParseUint(v, 10, 64)
		default:
			d.Fatalf(t, "nat: unknown argument %q; want spec, hosts, addrs or seed", a.Key)
		}
		if err != nil {
			d.Fatalf(t, "nat: %s=%s: %v", a.Key, v, err)
		}
	}
	if spec == "" {
		d.Fatalf(t, "nat needs spec=SPEC")
	}
	n, err := strategies.NewNAT(spec, seed, hosts, publicAddrs(addrs))
	if err != nil {
		d.Fatalf(t, "nat: %v", err)
	}
	g, err := gateway.New(n.Config, n.Policy)
	if err != nil {
		d.Fatalf(t, "nat: %v", err)
	}
	var b strings.Builder
	writeNATHeader(&b, n)
	name, _, _ := strings.Cut(spec, ":")
	var (
		flows []gateway.Flow
		lives []pendingClose
		num   int
	)
	closeDue := func(now time.Duration) {
		for len(lives) > 0 && lives[0].at <= now {
			if err := g.Close(flows[lives[0].flow], lives[0].how, lives[0].at); err != nil {
				d.Fatalf(t, "nat: close: %v", err)
			}
			lives = lives[1:]
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
		f := parseNATLine(t, d, line, hosts)
		closeDue(f.at)
		if f.close > 0 {
			if f.close > len(flows) {
				d.Fatalf(t, "nat: close=%d: only %d flows opened", f.close, len(flows))
			}
			if err := g.Close(flows[f.close-1], f.how, f.at); err != nil {
				d.Fatalf(t, "nat: close=%d: %v", f.close, err)
			}
			fmt.Fprintf(&b, "t=%s close #%d (%v)\n", format.Duration(f.at), f.close, f.how)
			continue
		}
		ok, fails := 0, 0
		var first, last gateway.Endpoint
		var failure string
		probes := 0
		for i := range f.count {
			num++
			o := gateway.Outbound{Proto: f.proto, Host: f.host, Inside: netip.AddrPortFrom(hostAddr(f.host), f.port+uint16(i)), Dst: f.dst, Now: f.at, Life: f.life}
			tr, err := g.Translate(&o)
			probes += tr.Probes
			if err != nil {
				var ge *gateway.Error
				if !errors.As(err, &ge) {
					d.Fatalf(t, "nat: %v", err)
				}
				fails++
				failure = n.Info.FailureName(ge.Reason)
				cov.nat[name+"/failed"] = true
				flows = append(flows, gateway.Flow{})
				if f.count == 1 {
					fmt.Fprintf(&b, "#%d t=%s h%d %v>%v FAILED %s probes=%d\n", num, format.Duration(f.at), f.host, o.Inside.Port(), f.dst, failure, tr.Probes)
				}
				continue
			}
			cov.nat[name+"/translated"] = true
			ok++
			if ok == 1 {
				first = tr.Public
			}
			last = tr.Public
			flows = append(flows, tr.Flow)
			if f.life > 0 {
				lives = insertClose(lives, pendingClose{at: f.at + f.life, flow: len(flows) - 1, how: f.how})
			}
			if f.count == 1 {
				made := "reused"
				if tr.New {
					made = "new"
				}
				fmt.Fprintf(&b, "#%d t=%s h%d %v>%v %s probes=%d %s\n", num, format.Duration(f.at), f.host, o.Inside.Port(), f.dst, endpoint(n, tr.Public), tr.Probes, made)
			}
		}
		if f.count > 1 {
			fmt.Fprintf(&b, "#%d-%d t=%s h%d %d-%d>%v: %d ok", num-f.count+1, num, format.Duration(f.at), f.host, f.port, int(f.port)+f.count-1, f.dst, ok)
			if ok > 0 {
				fmt.Fprintf(&b, " (%s ... %s)", endpoint(n, first), endpoint(n, last))
			}
			if fails > 0 {
				fmt.Fprintf(&b, ", %d FAILED %s", fails, failure)
			}
			fmt.Fprintf(&b, ", probes=%d\n", probes)
		}
	}
	c := g.Counts()
	fmt.Fprintf(&b, "counts: flows=%d mappings=%d probes=%d log-records=%d busiest=%d", c.Flows, c.Mappings, c.Probes, g.LogRecords(), g.Busiest())
	for r := gateway.Exhausted; r <= gateway.Conflict; r++ {
		if c.Failures[r] > 0 {
			fmt.Fprintf(&b, " %s=%d", n.Info.FailureName(r), c.Failures[r])
		}
	}
	if c.IdleTimeouts > 0 {
		fmt.Fprintf(&b, " idle-timeouts=%d", c.IdleTimeouts)
	}
	b.WriteByte('\n')
	return b.String()
}

func endpoint(n *strategies.NAT, e gateway.Endpoint) string {
	return netip.AddrPortFrom(n.Config.Addrs[e.Addr], e.Port).String()
}

func writeNATHeader(b *strings.Builder, n *strategies.NAT) {
	c := n.Config
	fmt.Fprintf(b, "gateway %s: %d addresses, %d hosts, range %v, limit %d, window %s\n", n.Spec, len(c.Addrs), c.Hosts, c.Range, c.Limit, format.Duration(c.Window))
	for p := gateway.TCP; p <= gateway.UDP; p++ {
		fmt.Fprintf(b, "  %v: %v mapping, %v filtering\n", p, c.Mapping[p], c.Filtering[p])
	}
	t := c.Timeouts
	fmt.Fprintf(b, "  holds: closing %s, reset %s, udp %s, udp-stream %s, established %s, idle %v\n",
		format.Duration(t.Closing), format.Duration(t.Reset), format.Duration(t.UDP), format.Duration(t.UDPStream), format.Duration(t.Established), c.Idle)
}

type pendingClose struct {
	at   time.Duration
	flow int
	how  allocator.CloseHow
}

// insertClose keeps closes in time order, ties in the order made.
func insertClose(cs []pendingClose, c pendingClose) []pendingClose {
	i := len(cs)
	for i > 0 && cs[i-1].at > c.at {
		i--
	}
	cs = append(cs, pendingClose{})
	copy(cs[i+1:], cs[i:])
	cs[i] = c
	return cs
}

type natLine struct {
	at, life time.Duration
	host     int
	port     uint16
	dst      netip.AddrPort
	proto    gateway.Proto
	count    int
	close    int
	how      allocator.CloseHow
}

func parseNATLine(t testing.TB, d *datadriven.TestData, line string, hosts int) natLine {
	f := natLine{count: 1, dst: natDst}
	for _, w := range strings.Fields(line) {
		k, v, _ := strings.Cut(w, "=")
		var err error
		switch k {
		case "at":
			f.at, err = time.ParseDuration(v)
		case "life":
			f.life, err = time.ParseDuration(v)
		case "host":
			f.host, err = strconv.Atoi(v)
			if err == nil && (f.host < 0 || f.host >= hosts) {
				err = fmt.Errorf("want 0 to %d", hosts-1)
			}
		case "port":
			var p uint64
			p, err = strconv.ParseUint(v, 10, 16)
			f.port = uint16(p)
		case "dst":
			f.dst, err = netip.ParseAddrPort(v)
		case "udp":
			f.proto = gateway.UDP
		case "count":
			f.count, err = strconv.Atoi(v)
		case "close":
			f.close, err = strconv.Atoi(v)
		case "how":
			f.how, err = allocator.ParseCloseHow(v)
		default:
			err = fmt.Errorf("unknown key; want at, host, port, dst, udp, count, life, how or close")
		}
		if err != nil {
			d.Fatalf(t, "nat: %q: %s: %v", line, w, err)
		}
	}
	return f
}
