package sim

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/gateway"
	"github.com/portsim/portsim/internal/minheap"
	"github.com/portsim/portsim/internal/seed"
	"github.com/portsim/portsim/strategies"
)

// newNAT builds the scenario's translator. Its randomness comes from the
// scenario seed and the gateway spec alone, so the run of every strategy
// meets a gateway with the same draws.
func newNAT(sc *Scenario, s uint64) (*strategies.NAT, error) {
	return strategies.NewNAT(string(sc.Gateway), s, sc.Hosts, sc.PublicAddrs())
}

// flowEvent is a connection that will close: on its host, and at the
// gateway when its first packet got through.
type flowEvent struct {
	at     time.Duration
	seq    uint64
	conn   allocator.Conn
	flow   gateway.Flow
	host   int32
	how    allocator.CloseHow
	mapped bool
}

func (e flowEvent) Before(o flowEvent) bool {
	return e.at < o.at || e.at == o.at && e.seq < o.seq
}

// runGateway is runStrategy for hosts behind a gateway: arrival n goes to
// host n mod hosts, from its local address (n / hosts) mod len(src); the
// host picks a port with its own strategy and tables, then the gateway
// maps the flow to a public endpoint. A flow the gateway drops closes on
// its host at once, by reset (its SYN went unanswered; the model does not
// wait out connect()'s retries). Events at equal times keep runStrategy's
// order: closes, the arrival, the sample.
func runGateway(ctx context.Context, sc *Scenario, spec string, opts Options, attempt func(Alloc) error) (StrategyResult, bool, error) {
	nat, err := newNAT(sc, seed.Named(sc.Seed, "gateway:"+string(sc.Gateway)))
	if err != nil {
		return StrategyResult{}, false, err
	}
	gw, err := gateway.New(nat.Config, nat.Policy)
	if err != nil {
		return StrategyResult{}, false, err
	}
	hosts := make([]host, sc.Hosts)
	tabs := make([]*allocator.Table, sc.Hosts)
	for h := range hosts {
		if hosts[h], err = newHost(sc, spec, h); err != nil {
			return StrategyResult{}, false, err
		}
		if tabs[h], err = allocator.NewTable(hosts[h].sc.TableConfig()); err != nil {
			return StrategyResult{}, false, err
		}
	}
	nsrc := len(sc.Srcs)
	addrs := make([]netip.Addr, sc.Hosts*nsrc) // host h's address i at h·nsrc + i
	for h := range sc.Hosts {
		for i := range nsrc {
			addrs[h*nsrc+i] = sc.HostAddr(h, i)
		}
	}
	// The collector sees every host's addresses as local addresses of one
	// host, so that each host's 4-tuples stay apart.
	csc := *hosts[0].sc
	csc.Srcs = addrs
	col := newCollector(&csc, spec, opts.KeepSamples)
	gcol := newGatewayCollector(sc, nat, gw)
	dsts := newDstCache(sc)
	wl := newWorkload(sc)

	var (
		events  []flowEvent
		seq     uint64
		step    = sc.sampleStep()
		nextSmp = time.Duration(0)
		stopped bool
		started bool // when stopped: whether any event was run
		req     allocator.Request
		arr     arrival
		n       int // arrivals so far
		out     gateway.Outbound
	)
	more := wl.next(&arr)
	for iter := 0; ; iter++ {
		if iter&0xfff == 0 {
			if ctx.Err() != nil {
				stopped, started = true, iter > 0
				break
			}
			if opts.Progress != nil {
				opts.Progress(spec, min(nextSmp, sc.Duration), sc.Duration)
			}
		}
		tClose := time.Duration(1<<63 - 1)
		if len(events) > 0 {
			tClose = events[0].at
		}
		tArr := time.Duration(1<<63 - 1)
		if more {
			tArr = arr.at
		}
		switch {
		case tClose <= tArr && tClose <= nextSmp && tClose < sc.Duration:
			ev := minheap.Pop(&events)
			if err := tabs[ev.host].Close(ev.conn, ev.how, ev.at); err != nil {
				return StrategyResult{}, false, err
			}
			if ev.mapped {
				if err := gw.Close(ev.flow, ev.how, ev.at); err != nil {
					return StrategyResult{}, false, err
				}
			}
		case more && tArr <= nextSmp:
			h, src := n%sc.Hosts, (n/sc.Hosts)%nsrc
			n++
			hs := hosts[h]
			kind := hs.Serve(arr.kind)
			req.Kind, req.Src, req.Dst, req.Now = kind, addrs[h*nsrc+src], dsts.addr(sc, arr.dst), arr.at
			a, err := tabs[h].Allocate(&req, hs.Strategies[kind])
			col.met(arr.at, a.Occupied, a.Probes, err != nil)
			local := h*nsrc + src
			pub := gateway.Endpoint{Addr: -1}
			if err != nil {
				if !isAddrNotAvail(err) {
					return StrategyResult{}, false, err
				}
				col.failed(arr.at, arr.dst, local, arr.kind, a.Probes)
			} else {
				out = gateway.Outbound{Proto: gateway.ProtoOf(kind), Host: h, Inside: netip.AddrPortFrom(req.Src, a.Conn.Port), Dst: req.Dst, Now: arr.at, Life: arr.lifetime}
				tr, gerr := gw.Translate(&out)
				var ge *gateway.Error
				if gerr != nil && !errors.As(gerr, &ge) {
					return StrategyResult{}, false, gerr
				}
				gcol.translated(arr.at, arr.dst, a.Conn.Port, tr, ge)
				closeAt, how := arr.at+arr.lifetime, arr.close
				if ge != nil {
					closeAt, how = arr.at, allocator.Reset
				} else {
					pub = tr.Public
				}
				// As runStrategy does: the close, when it comes before the
				// end, is recorded with the allocation, in one lookup.
				if closeAt < sc.Duration {
					col.allocatedUntil(arr.at, arr.dst, local, arr.kind, a.Conn.Port, a.Probes, a.TWReuse, closeAt)
				} else {
					col.allocated(arr.at, arr.dst, local, arr.kind, a.Conn.Port, a.Probes, a.TWReuse)
				}
				seq++
				minheap.Push(&events, flowEvent{at: closeAt, seq: seq, conn: a.Conn, flow: tr.Flow, host: int32(h), how: how, mapped: ge == nil})
			}
			// The collector kept the attempt with the host's address as
			// its own numbering has it; say which host and address, and
			// the public endpoint.
			if k := len(col.samples); n <= col.keep && k > 0 {
				s := &col.samples[k-1]
				s.Src, s.Host, s.PublicAddr, s.PublicPort = src, h, pub.Addr, pub.Port
			}
			if attempt != nil {
				port := a.Conn.Port
				if err != nil {
					port = 0
				}
				if err := attempt(Alloc{N: n, TimeSeconds: arr.at.Seconds(), Dst: arr.dst, Src: src, Kind: arr.kind.String(), Port: port, Probes: a.Probes,
					Host: h, PublicAddr: pub.Addr, PublicPort: pub.Port}); err != nil {
					return StrategyResult{}, false, err
				}
			}
			more = wl.next(&arr)
		case nextSmp < sc.Duration:
			var st allocator.Stats
			for _, t := range tabs {
				t.Advance(nextSmp)
				s := t.Stats()
				st.Established += s.Established
				st.TimeWait += s.TimeWait
				st.UDP += s.UDP
				st.BusyPorts += s.BusyPorts
				st.BusiestDst = max(st.BusiestDst, s.BusiestDst) // each host has its own ports
			}
			col.sample(nextSmp, st)
			gw.Advance(nextSmp)
			gcol.sample(nextSmp)
			nextSmp += step
		default:
			return gcol.attach(col.result()), false, nil
		}
	}
	return stoppedAt(gcol.attach(col.result()), stopped, started, more, arr.at, sc.Duration), stopped, nil
}
