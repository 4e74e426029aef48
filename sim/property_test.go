package sim

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/internal/minheap"
	"github.com/portsim/portsim/strategies"
)

// seedsFlag sets how many random scenarios each strategy and profile runs
// in TestEndToEndProperties. Each run builds a table of its own (2 MiB a
// source address to clear), so 1,000 seeds of the 21 take about 100 s of
// CPU: go test runs 50 by default and 10 under -short (the race
// detector's CI run); the full check is
//
//	go test ./sim -run TestEndToEndProperties -property-seeds 1000
var seedsFlag = flag.Int("property-seeds", 0, "random scenarios per strategy and profile in TestEndToEndProperties (0: 50, or 10 with -short)")

func propertySeeds() int {
	switch {
	case *seedsFlag > 0:
		return *seedsFlag
	case testing.Short():
		return 10
	}
	return 50
}

// TestEndToEndProperties runs every strategy and every profile on random
// scenarios — port range, reserved ports, source addresses, destinations,
// request kinds, closes, lifetimes, TIME_WAIT and tw_reuse all drawn per
// seed — through the simulator's own parts (host resolution, workload,
// close queue, table), and after every event checks the table against a
// shadow of what was handed out: no live 4-tuple twice, a bound port used
// by nothing else, nothing outside the range or on a reserved port, a
// TIME_WAIT 4-tuple taken only under the tw_reuse rule, and the table's
// counts equal to the shadow's. runStrategy has no hook between events, so
// the loop here is its loop, without samples and metrics.
func TestEndToEndProperties(t *testing.T) {
	var specs []string
	specs = append(specs, strategies.Names()...)
	for _, p := range strategies.ProfileNames() {
		specs = append(specs, strategies.ProfilePrefix+p)
	}
	seeds := propertySeeds()
	start := time.Now()
	var events atomic.Int64
	t.Cleanup(func() {
		t.Logf("%d strategies and profiles × %d seeds: %d events checked in %v", len(specs), seeds, events.Load(), time.Since(start).Round(time.Millisecond))
	})
	for _, spec := range specs {
		t.Run(spec, func(t *testing.T) {
			t.Parallel()
			for seed := range uint64(seeds) {
				sc := randomScenario(t, spec, seed)
				events.Add(int64(checkRun(t, &sc, spec, seed)))
				if t.Failed() {
					return
				}
			}
		})
	}
}

// randomScenario draws a small, busy scenario for spec: a narrow range so
// that ports collide and run out, every kind the spec serves, every way
// to close.
func randomScenario(t *testing.T, spec string, seed uint64) Scenario {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 0x70726f70)) // "prop"
	sc := DefaultScenario()
	size := []int{8, 32, 128, 512}[rng.IntN(4)]
	lo := 1024 + rng.IntN(60000)
	var reserved []string
	for range rng.IntN(4) {
		p := lo + rng.IntN(size)
		reserved = append(reserved, fmt.Sprintf("%d-%d", p, min(p+rng.IntN(3), lo+size-1)))
	}
	srcs := []string{"10.0.0.1", "10.0.0.2", "127.0.0.1", "10.0.0.3"}[:1+rng.IntN(4)]
	kinds := shares(rng, "connect", "bind", "udp")
	if !strings.HasPrefix(spec, strategies.ProfilePrefix) {
		if info, _ := strategies.Lookup(spec); info.Kind != allocator.Connect {
			kinds = info.Kind.String()
		}
	}
	rate := 20 + rng.Float64()*float64(size)*20
	lifetime := []string{"exp:", "fixed:", "lognormal:"}[rng.IntN(3)] + fmt.Sprintf("%dms", 1+rng.IntN(3000))
	if strings.HasPrefix(lifetime, "lognormal:") {
		lifetime += ",1.5"
	}
	set := []string{
		"seed", fmt.Sprint(seed),
		"rate", fmt.Sprintf("%.3f", rate),
		"duration", fmt.Sprintf("%.3fs", 200/rate), // about 200 arrivals
		"warmup", "0s",
		"lifetime", lifetime,
		"destinations", fmt.Sprint(1 + rng.IntN(6)),
		"dst-port", []string{"443", "80,443"}[rng.IntN(2)],
		"src", strings.Join(srcs, ","),
		"kind", kinds,
		"close", shares(rng, "client", "server", "reset"),
		"time-wait", fmt.Sprintf("%dms", rng.IntN(4000)),
		"tw-reuse", []string{"off", "on", "loopback"}[rng.IntN(3)],
		"tw-reuse-delay", fmt.Sprintf("%dms", rng.IntN(1500)),
		"range", fmt.Sprintf("%d-%d", lo, lo+size-1),
		"reserved", strings.Join(reserved, ","),
		"strategy", spec,
	}
	for i := 0; i < len(set); i += 2 {
		if set[i+1] == "" {
			continue
		}
		if err := sc.Set(set[i], set[i+1]); err != nil {
			t.Fatalf("seed %d: %s %q: %v", seed, set[i], set[i+1], err)
		}
	}
	if err := sc.Validate(); err != nil {
		t.Fatalf("seed %d: %v", seed, err)
	}
	return sc
}

// shares draws NAME=WEIGHT shares of names, the first always among them.
func shares(rng *rand.Rand, names ...string) string {
	parts := []string{fmt.Sprintf("%s=%d", names[0], 1+rng.IntN(4))}
	for _, n := range names[1:] {
		if w := rng.IntN(3); w > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", n, w))
		}
	}
	return strings.Join(parts, ",")
}

// shadow is what the test knows it handed out, kept apart from the table.
type shadow struct {
	estab  map[tuple]bool          // connect: open 4-tuples
	tw     map[tuple]time.Duration // connect: 4-tuples in TIME_WAIT, by expiry
	bound  map[local]bool          // bind: open
	bindTW map[local]time.Duration // bind: ports in TIME_WAIT, by expiry
	udp    map[local]bool
	uses   map[local]int // connect 4-tuples, open or waiting, per local port
	next   time.Duration // the earliest expiry in tw and bindTW, or later
}

type local struct {
	src  netip.Addr
	port uint16
}

type tuple struct {
	local
	dst netip.AddrPort
}

// expire forgets the TIME_WAIT entries whose time is up at now, as the
// table does (an entry lives while its expiry is after now).
func (s *shadow) expire(now time.Duration) {
	if now < s.next {
		return
	}
	s.next = 1<<63 - 1
	for k, at := range s.tw {
		if at <= now {
			s.untuple(k)
			delete(s.tw, k)
		} else {
			s.next = min(s.next, at)
		}
	}
	for k, at := range s.bindTW {
		if at <= now {
			delete(s.bindTW, k)
		} else {
			s.next = min(s.next, at)
		}
	}
}

// wait puts a closed 4-tuple or bind() port in TIME_WAIT until at.
func (s *shadow) wait(at time.Duration) { s.next = min(s.next, at) }

func (s *shadow) untuple(k tuple) {
	if s.uses[k.local]--; s.uses[k.local] == 0 {
		delete(s.uses, k.local)
	}
}

// checkRun runs spec on sc event by event and checks every event; it
// returns the number of events.
func checkRun(t *testing.T, sc *Scenario, spec string, seed uint64) int {
	t.Helper()
	h, err := newHost(sc, spec, 0)
	if err != nil {
		t.Fatalf("seed %d: %v", seed, err)
	}
	cfg := h.sc.TableConfig()
	tab, err := allocator.NewTable(cfg)
	if err != nil {
		t.Fatalf("seed %d: %v", seed, err)
	}
	fail := func(format string, args ...any) {
		t.Helper()
		var fields []string
		for _, name := range []string{"range", "reserved", "src", "kind", "close", "time-wait", "tw-reuse", "tw-reuse-delay"} {
			fields = append(fields, name+"="+sc.Get(name))
		}
		t.Fatalf("seed %d (%s): %s", seed, strings.Join(fields, " "), fmt.Sprintf(format, args...))
	}
	s := &shadow{estab: map[tuple]bool{}, tw: map[tuple]time.Duration{}, bound: map[local]bool{}, bindTW: map[local]time.Duration{},
		udp: map[local]bool{}, uses: map[local]int{}, next: 1<<63 - 1}
	type open struct {
		conn allocator.Conn
		key  tuple
		how  allocator.CloseHow
	}
	opens := map[uint64]open{}
	var (
		closes   []allocator.PendingClose // a heap: the test closes with Table.Close
		seq      uint64
		arr      arrival
		req      allocator.Request
		attempts int
		events   int
	)
	wl := newWorkload(sc)
	more := wl.next(&arr)
	for {
		tClose := time.Duration(1<<63 - 1)
		if len(closes) > 0 {
			tClose = closes[0].At
		}
		var now time.Duration
		switch {
		case tClose <= arr.at && tClose < sc.Duration || !more && tClose < sc.Duration:
			ev := minheap.Pop(&closes)
			now = ev.At
			o := opens[ev.Seq]
			delete(opens, ev.Seq)
			if err := tab.Close(ev.Conn, ev.How, now); err != nil {
				fail("close: %v", err)
			}
			keepTW := ev.How == allocator.ClientFirst && cfg.TimeWait > 0
			switch ev.Conn.Kind {
			case allocator.Connect:
				delete(s.estab, o.key)
				if keepTW {
					s.tw[o.key] = now + cfg.TimeWait
					s.wait(now + cfg.TimeWait)
				} else {
					s.untuple(o.key)
				}
			case allocator.Bind:
				delete(s.bound, o.key.local)
				if keepTW {
					s.bindTW[o.key.local] = now + cfg.TimeWait
					s.wait(now + cfg.TimeWait)
				}
			case allocator.UDP:
				delete(s.udp, o.key.local)
			}
		case more:
			now = arr.at
			kind := h.Serve(arr.kind)
			src, dst := sc.Srcs[arr.src], sc.DstAddr(arr.dst)
			req.Kind, req.Src, req.Dst, req.Now = kind, src, dst, now
			s.expire(now)
			a, err := tab.Allocate(&req, h.Strategies[kind])
			attempts++
			if err != nil {
				if !isAddrNotAvail(err) {
					fail("allocate: %v", err)
				}
			} else {
				p := a.Conn.Port
				l := local{src, p}
				key := tuple{l, dst}
				if !cfg.Range.Contains(p) || tab.Reserved(p) {
					fail("%v got port %d: range %v, reserved %v", kind, p, cfg.Range, tab.Reserved(p))
				}
				// TCP and UDP ports are apart; a bind() socket's port,
				// open or in TIME_WAIT, is its own among TCP's.
				if _, tw := s.bindTW[l]; kind != allocator.UDP && (s.bound[l] || tw) {
					fail("%v got %v:%d, which a bind() socket holds (TIME_WAIT %v)", kind, src, p, tw)
				}
				switch kind {
				case allocator.Connect:
					if s.estab[key] {
						fail("connect got %v→%v:%d, a 4-tuple already open", src, dst, p)
					}
					exp, inTW := s.tw[key]
					closedAt := exp - cfg.TimeWait
					allowed := inTW && now-closedAt >= cfg.TWReuseDelay &&
						(cfg.TWReuse == allocator.TWReuseOn || cfg.TWReuse == allocator.TWReuseLoopback && src.IsLoopback() && dst.Addr().IsLoopback())
					if inTW != a.TWReuse || inTW && !allowed {
						fail("connect got %v→%v:%d: in TIME_WAIT %v, reported tw_reuse %v, allowed %v", src, dst, p, inTW, a.TWReuse, allowed)
					}
					if !inTW {
						s.uses[l]++
					}
					delete(s.tw, key)
					s.estab[key] = true
				case allocator.Bind:
					if n := s.uses[l]; n > 0 {
						fail("bind got %v:%d, which %d connect() 4-tuples use", src, p, n)
					}
					s.bound[l] = true
				case allocator.UDP:
					if s.udp[l] {
						fail("udp got %v:%d twice", src, p)
					}
					s.udp[l] = true
				}
				closeAt := now + arr.lifetime
				seq++
				minheap.Push(&closes, allocator.PendingClose{At: closeAt, Seq: seq, Conn: a.Conn, How: arr.close})
				opens[seq] = open{a.Conn, key, arr.close}
			}
			more = wl.next(&arr)
		default:
			if want := wl.n; attempts != want {
				fail("%d attempts for %d arrivals", attempts, want)
			}
			return events
		}
		events++
		// The counts add up: the table's, expired to now, equal the shadow's.
		tab.Advance(now)
		s.expire(now)
		st := tab.Stats()
		if st.Established != len(s.estab)+len(s.bound) || st.TimeWait != len(s.tw)+len(s.bindTW) || st.UDP != len(s.udp) {
			fail("at %v: table established %d, TIME_WAIT %d, udp %d; shadow %d+%d, %d+%d, %d",
				now, st.Established, st.TimeWait, st.UDP, len(s.estab), len(s.bound), len(s.tw), len(s.bindTW), len(s.udp))
		}
	}
}
