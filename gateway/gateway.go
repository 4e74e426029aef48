package gateway

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/internal/minheap"
)

// Flow is a handle to a translated flow; Close takes it back.
type Flow struct {
	slot int32
	gen  uint32
}

// Translation is what Translate returns on success.
type Translation struct {
	Flow   Flow
	Public Endpoint
	// Probes is how many candidates the policy asked; 0 when the flow
	// reused its inside endpoint's mapping.
	Probes int
	// New: the flow made a new mapping (a log record, for a gateway that
	// logs each one).
	New bool
}

// Counts are what the gateway has done since it was made.
type Counts struct {
	Flows        int // translated
	Mappings     int // new mappings made
	Probes       int // candidates asked, failures included
	Failures     [reasons]int
	IdleTimeouts int // open flows that lost their mappings to silence
}

// Failed is every failed translation, whatever the reason.
func (c Counts) Failed() int {
	n := 0
	for _, f := range c.Failures {
		n += f
	}
	return n
}

// Stats count what the gateway holds now.
type Stats struct {
	Open     int // flows open and confirmed
	Pending  int // flows open, their mappings not confirmed yet
	Held     int // flows ended, their mappings held until a timeout
	Mappings int
}

type flowState uint8

const (
	flowFree flowState = iota
	flowOpen
	flowHeld
)

type flow struct {
	set       setKey // its public tuple: the set and the port
	port      uint16
	dst       dstKey
	opened    time.Duration
	bind      int32
	host      int32
	gen       uint32
	state     flowState
	confirmed bool
}

type binding struct {
	key  bindKey
	pub  Endpoint
	host int32
	refs int32 // flows, open or held
}

// bindKey is a mapping's identity: an inside endpoint and the part of the
// destination the mapping depends on.
type bindKey struct {
	proto  Proto
	inside netip.AddrPort
	dst    netip.AddrPort
}

// setKey is a public address, a protocol and the part of the
// destination the filtering tells apart: its ports are the public tuples
// that must stay unique.
type setKey struct {
	proto Proto
	addr  uint16
	dst   netip.AddrPort
}

// tupleSet is the ports of one setKey that carry a mapping: a bit per port
// for usable's question, asked for every candidate, and each port's
// mapping and flows.
type tupleSet struct {
	busy [1 << 16 / 64]uint64
	refs map[uint16]tupleRef
}

func (t *tupleSet) has(p uint16) bool { return t.busy[p>>6]&(1<<(p&63)) != 0 }

type tupleRef struct {
	bind int32
	n    int32 // flows on the tuple
}

// dstKey is a public address and a destination, for Config.Limit.
type dstKey struct {
	proto Proto
	addr  uint16
	dst   netip.AddrPort
}

// connKey is a connection as a server sees it.
type connKey struct {
	dst  dstKey
	port uint16
}

type portKey struct {
	proto Proto
	addr  uint16
	port  uint16
}

type priorKey struct {
	proto  Proto
	inside netip.AddrPort
}

type priorRef struct {
	pub  Endpoint
	refs int32 // live mappings of the inside endpoint
}

// timer ends a flow's mapping at a time: its hold, or its idle timeout.
type timer struct {
	at   time.Duration
	slot int32
	gen  uint32
	idle bool
}

// Before orders timers by time, then slot and generation, so that
// timers due at once fire in the same order on every run.
func (t timer) Before(o timer) bool {
	if t.at != o.at {
		return t.at < o.at
	}
	if t.slot != o.slot {
		return t.slot < o.slot
	}
	return t.gen < o.gen
}

type pendingFlow struct {
	at   time.Duration // confirmed then
	slot int32
	gen  uint32
}

// Gateway is a translator's state. It is not safe for concurrent use.
type Gateway struct {
	cfg      Config
	policy   Policy
	releaser Releaser
	now      time.Duration

	sets  map[setKey]*tupleSet
	spare []*tupleSet // emptied sets, for reuse
	binds map[bindKey]int32
	prior map[priorKey]priorRef
	// conns counts the flows on each connection (public endpoint and
	// destination): a host that reuses a 4-tuple while the gateway still
	// holds it puts a second flow on the same connection. perDst counts
	// connections per public address and destination, for Config.Limit.
	conns  map[connKey]int32
	perDst map[dstKey]int32
	ports  map[portKey]int32
	inUse  []int // distinct public ports in use per address, TCP and UDP
	hosts  []int // flows per host, open and held

	flows     []flow
	freeFlows []int32
	bindings  []binding
	freeBinds []int32
	timers    []timer
	pending   []pendingFlow
	pendHead  int

	stats   Stats
	counts  Counts
	busiest int // the most connections one address ever held to one destination

	// The flow being translated; usableFn is bound once so that Pick does
	// not allocate a closure per call.
	req      Request
	cur      dstKey         // its protocol and full destination (addr unused)
	curTuple netip.AddrPort // the destination as its filtering sees it
	curSets  []*tupleSet    // per public address: its set for curTuple, or nil
	curLoad  []int32        // per public address: its connections to the destination
	usableFn func(int, uint16) bool
}

// New returns a gateway with cfg's rules whose new mappings p chooses.
func New(cfg Config, p Policy) (*Gateway, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Addrs = append([]netip.Addr(nil), cfg.Addrs...)
	g := &Gateway{
		cfg:    cfg,
		policy: p,
		sets:   map[setKey]*tupleSet{},
		binds:  map[bindKey]int32{},
		prior:  map[priorKey]priorRef{},
		conns:  map[connKey]int32{},
		perDst: map[dstKey]int32{},
		ports:  map[portKey]int32{},
		inUse:  make([]int, len(cfg.Addrs)),
		hosts:  make([]int, cfg.Hosts),

		curSets: make([]*tupleSet, len(cfg.Addrs)),
		curLoad: make([]int32, len(cfg.Addrs)),
	}
	g.releaser, _ = p.(Releaser)
	g.usableFn = g.usable
	g.req.g = g
	return g, nil
}

// Config returns the rules the gateway was made with.
func (g *Gateway) Config() Config { return g.cfg }

// Policy returns the policy that chooses its mappings.
func (g *Gateway) Policy() Policy { return g.policy }

// Translate maps a new flow's source to a public endpoint: its inside
// endpoint's mapping when one applies (Config.Mapping) and its public
// tuple is free, else a new one from the policy. On failure the error is
// an *Error saying why.
func (g *Gateway) Translate(o *Outbound) (Translation, error) {
	if o.Host < 0 || o.Host >= g.cfg.Hosts || o.Proto > UDP {
		return Translation{}, fmt.Errorf("gateway: host %d or protocol %v out of range", o.Host, o.Proto)
	}
	g.Advance(o.Now)
	p := o.Proto
	g.cur = dstKey{proto: p, dst: o.Dst}
	g.curTuple = g.cfg.Filtering[p].key(o.Dst)
	for a := range g.curSets {
		g.curSets[a] = g.sets[setKey{p, uint16(a), g.curTuple}]
		if g.cfg.Limit > 0 {
			g.curLoad[a] = g.perDst[dstKey{p, uint16(a), o.Dst}]
		}
	}
	bk := bindKey{proto: p, inside: o.Inside, dst: g.cfg.Mapping[p].key(o.Dst)}
	bi, reuse := g.binds[bk]
	var (
		pub    Endpoint
		probes int
	)
	if reuse {
		pub = g.bindings[bi].pub
		if set := g.curSets[pub.Addr]; set != nil && set.has(pub.Port) && set.refs[pub.Port].bind != bi {
			return g.fail(Conflict, 0, nil)
		}
		if !g.open(pub.Addr) {
			return g.fail(Exhausted, 0, ErrExhausted)
		}
	} else {
		bi = -1
		r := &g.req
		r.Proto, r.Host, r.Inside, r.Dst, r.Now = p, o.Host, o.Inside, o.Dst, o.Now
		r.Addrs, r.Lo, r.Hi = g.cfg.Addrs, g.cfg.Range.Lo, g.cfg.Range.Hi
		pr, ok := g.prior[priorKey{p, o.Inside}]
		r.Prior, r.HasPrior = pr.pub, ok
		var err error
		pub, probes, err = g.policy.Pick(r, g.usableFn)
		if err != nil {
			return g.fail(Exhausted, probes, err)
		}
		if !g.usable(pub.Addr, pub.Port) {
			panic(fmt.Sprintf("gateway: policy %T returned %v, which is not usable", g.policy, pub))
		}
	}
	sk := setKey{p, uint16(pub.Addr), g.curTuple}
	if g.clashes(sk, pub.Port, bi) {
		return g.fail(Clash, probes, nil)
	}
	if bi < 0 {
		bi = g.newBinding(bk, pub, o.Host)
	}
	slot := g.newFlow(o, bi, sk, pub.Port)
	g.counts.Flows++
	g.counts.Probes += probes
	if o.Life > 0 && g.cfg.Idle {
		if t := g.cfg.Timeouts.idle(p); t > 0 && o.Life > t {
			minheap.Push(&g.timers, timer{at: o.Now + t, slot: slot, gen: g.flows[slot].gen, idle: true})
		}
	}
	return Translation{Flow: Flow{slot, g.flows[slot].gen}, Public: pub, Probes: probes, New: !reuse}, nil
}

func (g *Gateway) fail(r Reason, probes int, err error) (Translation, error) {
	g.counts.Failures[r]++
	g.counts.Probes += probes
	return Translation{Probes: probes}, &Error{Reason: r, Probes: probes, Err: err}
}

// usable reports whether a new mapping of the current flow may take the
// public endpoint: in range, under the address's limit to the destination,
// and its tuple free of confirmed mappings.
func (g *Gateway) usable(addr int, port uint16) bool {
	if addr < 0 || addr >= len(g.cfg.Addrs) || port < g.cfg.Range.Lo || port > g.cfg.Range.Hi {
		return false
	}
	if g.cfg.Limit > 0 && int(g.curLoad[addr]) >= g.cfg.Limit {
		return false
	}
	set := g.curSets[addr]
	return set == nil || !set.has(port)
}

func (g *Gateway) open(addr int) bool { return g.cfg.Limit == 0 || int(g.curLoad[addr]) < g.cfg.Limit }

func (g *Gateway) load(addr int) int {
	if g.cfg.Limit > 0 {
		return int(g.curLoad[addr])
	}
	return int(g.perDst[dstKey{g.cur.proto, uint16(addr), g.cur.dst}])
}

// clashes reports whether an unconfirmed flow of another mapping than bi
// chose the public tuple (sk, port): conntrack would refuse the later one
// at confirmation.
func (g *Gateway) clashes(sk setKey, port uint16, bi int32) bool {
	for _, pf := range g.pending[g.pendHead:] {
		f := &g.flows[pf.slot]
		if f.gen == pf.gen && f.state != flowFree && !f.confirmed && f.port == port && f.set == sk && f.bind != bi {
			return true
		}
	}
	return false
}

func (g *Gateway) newBinding(k bindKey, pub Endpoint, host int) int32 {
	var bi int32
	if n := len(g.freeBinds); n > 0 {
		bi, g.freeBinds = g.freeBinds[n-1], g.freeBinds[:n-1]
	} else {
		bi = int32(len(g.bindings))
		g.bindings = append(g.bindings, binding{})
	}
	g.bindings[bi] = binding{key: k, pub: pub, host: int32(host)}
	g.binds[k] = bi
	pk := priorKey{k.proto, k.inside}
	pr, ok := g.prior[pk]
	if !ok {
		pr.pub = pub
	}
	pr.refs++
	g.prior[pk] = pr
	g.stats.Mappings++
	g.counts.Mappings++
	return bi
}

func (g *Gateway) newFlow(o *Outbound, bi int32, sk setKey, port uint16) int32 {
	var slot int32
	if n := len(g.freeFlows); n > 0 {
		slot, g.freeFlows = g.freeFlows[n-1], g.freeFlows[:n-1]
	} else {
		slot = int32(len(g.flows))
		g.flows = append(g.flows, flow{})
	}
	f := &g.flows[slot]
	dk := g.cur
	dk.addr = sk.addr
	*f = flow{set: sk, port: port, dst: dk, opened: o.Now, bind: bi, host: int32(o.Host), gen: nextGen(f.gen), state: flowOpen}
	g.bindings[bi].refs++
	ck := connKey{dk, port}
	if g.conns[ck]++; g.conns[ck] == 1 {
		g.perDst[dk]++
		g.busiest = max(g.busiest, int(g.perDst[dk]))
	}
	g.hosts[o.Host]++
	if g.cfg.Window > 0 {
		g.pending = append(g.pending, pendingFlow{at: o.Now + g.cfg.Window, slot: slot, gen: f.gen})
		g.stats.Pending++
	} else {
		g.confirm(f)
		g.stats.Open++
	}
	return slot
}

func nextGen(g uint32) uint32 {
	if g++; g == 0 {
		g = 1
	}
	return g
}

// confirm makes f's tuple visible to other flows' choices.
func (g *Gateway) confirm(f *flow) {
	f.confirmed = true
	set := g.sets[f.set]
	if set == nil {
		if n := len(g.spare); n > 0 {
			set, g.spare = g.spare[n-1], g.spare[:n-1]
		} else {
			set = &tupleSet{refs: map[uint16]tupleRef{}}
		}
		g.sets[f.set] = set
	}
	ref := set.refs[f.port]
	ref.bind = f.bind
	ref.n++
	set.refs[f.port] = ref
	set.busy[f.port>>6] |= 1 << (f.port & 63)
	pk := portKey{f.set.proto, f.set.addr, f.port}
	if g.ports[pk]++; g.ports[pk] == 1 {
		g.inUse[f.set.addr]++
	}
}

// Close ends a flow at time now, closed as how: its mapping is held for
// the timeout of its protocol and state, then let go. A flow the gateway
// has already let go (an idle timeout) needs no closing.
func (g *Gateway) Close(fl Flow, how allocator.CloseHow, now time.Duration) error {
	g.Advance(now)
	if fl.slot < 0 || int(fl.slot) >= len(g.flows) {
		return fmt.Errorf("gateway: close: no such flow")
	}
	f := &g.flows[fl.slot]
	if f.gen != fl.gen {
		return nil // let go already
	}
	if f.state != flowOpen {
		return fmt.Errorf("gateway: close: flow is not open")
	}
	if f.confirmed {
		g.stats.Open--
	} else {
		g.stats.Pending--
	}
	hold := g.cfg.Timeouts.hold(f.set.proto, how, g.now-f.opened)
	if hold <= 0 {
		g.release(fl.slot, false)
		return nil
	}
	f.state = flowHeld
	g.stats.Held++
	minheap.Push(&g.timers, timer{at: g.now + hold, slot: fl.slot, gen: f.gen})
	return nil
}

// Advance moves the gateway's clock to now: unconfirmed mappings whose
// window has passed are confirmed, and holds and idle timeouts due end.
func (g *Gateway) Advance(now time.Duration) {
	g.now = max(g.now, now)
	for g.pendHead < len(g.pending) && g.pending[g.pendHead].at <= g.now {
		pf := g.pending[g.pendHead]
		g.pendHead++
		if f := &g.flows[pf.slot]; f.gen == pf.gen && f.state != flowFree && !f.confirmed {
			g.confirm(f)
			if f.state == flowOpen {
				g.stats.Pending--
				g.stats.Open++
			}
		}
	}
	if g.pendHead > 1024 && 2*g.pendHead > len(g.pending) {
		g.pending = g.pending[:copy(g.pending, g.pending[g.pendHead:])]
		g.pendHead = 0
	}
	for len(g.timers) > 0 && g.timers[0].at <= g.now {
		t := minheap.Pop(&g.timers)
		f := &g.flows[t.slot]
		if f.gen != t.gen {
			continue
		}
		switch {
		case t.idle && f.state == flowOpen:
			if f.confirmed {
				g.stats.Open--
			} else {
				g.stats.Pending--
			}
			g.release(t.slot, true)
		case !t.idle && f.state == flowHeld:
			g.stats.Held--
			g.release(t.slot, false)
		}
	}
}

// release lets go of a flow and, with its last flow, of its mapping.
func (g *Gateway) release(slot int32, idle bool) {
	f := &g.flows[slot]
	if f.confirmed {
		set := g.sets[f.set]
		ref := set.refs[f.port]
		if ref.n--; ref.n > 0 {
			set.refs[f.port] = ref
		} else {
			delete(set.refs, f.port)
			set.busy[f.port>>6] &^= 1 << (f.port & 63)
			if len(set.refs) == 0 {
				delete(g.sets, f.set)
				g.spare = append(g.spare, set)
			}
		}
		pk := portKey{f.set.proto, f.set.addr, f.port}
		if g.ports[pk]--; g.ports[pk] == 0 {
			delete(g.ports, pk)
			g.inUse[f.set.addr]--
		}
	}
	ck := connKey{f.dst, f.port}
	if g.conns[ck]--; g.conns[ck] == 0 {
		delete(g.conns, ck)
		if g.perDst[f.dst]--; g.perDst[f.dst] == 0 {
			delete(g.perDst, f.dst)
		}
	}
	g.hosts[f.host]--
	b := &g.bindings[f.bind]
	if b.refs--; b.refs == 0 {
		delete(g.binds, b.key)
		pk := priorKey{b.key.proto, b.key.inside}
		if pr := g.prior[pk]; pr.refs <= 1 {
			delete(g.prior, pk)
		} else {
			pr.refs--
			g.prior[pk] = pr
		}
		g.stats.Mappings--
		g.freeBinds = append(g.freeBinds, f.bind)
		if g.releaser != nil {
			g.releaser.Release(int(b.host), b.key.proto, b.pub)
		}
	}
	if idle {
		g.counts.IdleTimeouts++
	}
	f.state = flowFree
	f.gen = nextGen(f.gen)
	g.freeFlows = append(g.freeFlows, slot)
}

// Stats returns the counts at the gateway's clock.
func (g *Gateway) Stats() Stats { return g.stats }

// Counts returns what the gateway has done so far.
func (g *Gateway) Counts() Counts { return g.counts }

// PortsInUse is how many public ports of address a carry a mapping now,
// TCP and UDP counted apart.
func (g *Gateway) PortsInUse(a int) int { return g.inUse[a] }

// HostFlows is how many flows of host h the gateway holds now, open or
// ended and held.
func (g *Gateway) HostFlows(h int) int { return g.hosts[h] }

// Busiest is the most flows any public address holds to one destination
// now: what Config.Limit is measured against.
func (g *Gateway) Busiest() int {
	n := int32(0)
	for _, v := range g.perDst {
		n = max(n, v)
	}
	return int(n)
}

// BusiestEver is the most connections any public address has held to one
// destination at any moment so far.
func (g *Gateway) BusiestEver() int { return g.busiest }

// LogRecords is how many log records the mappings made so far need: the
// policy's count when it is a Logger, else one per mapping.
func (g *Gateway) LogRecords() int {
	if l, ok := g.policy.(Logger); ok {
		return l.LogRecords()
	}
	return g.counts.Mappings
}
