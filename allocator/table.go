package allocator

import (
	"fmt"
	"net/netip"
	"sync/atomic"
	"time"
)

// owner says who holds a port exclusively on one local address.
type owner uint8

const (
	ownerNone     owner = iota
	ownerSocket         // a bind() or UDP socket that is open
	ownerTimeWait       // a bind() socket's connection in TIME_WAIT: the port stays held
)

// portState is one port on one local address in one protocol.
type portState struct {
	tuples uint32 // connect() 4-tuples on this port, established or TIME_WAIT
	// last is the slot of the most recent 4-tuple added on this port, or
	// -1. Every other tuple on the port is in Table.index, so a port with
	// one tuple needs no index at all — the common case in a long scan and
	// with one destination.
	last  int32
	owner owner
}

// space is one protocol's ports on one local address. It is dense (512 KiB)
// so that the common question — is anyone on this port at all? — is one load.
type space struct {
	ports [1 << 16]portState
	owned bitset // owner != ownerNone
	busy  bitset // owner != ownerNone or tuples > 0
	nbusy int    // ports set in busy
}

const (
	protoTCP = 0
	protoUDP = 1
)

// tupleKey identifies a connect() 4-tuple: destination id (interned
// address and port) in the high 32 bits, local address index, local port.
// A uint64 key hashes with one multiply and holds no pointers.
type tupleKey uint64

func makeKey(dst int32, local int, port uint16) tupleKey {
	return tupleKey(uint64(uint32(dst))<<32 | uint64(uint16(local))<<16 | uint64(port))
}

func (k tupleKey) dst() int32   { return int32(k >> 32) }
func (k tupleKey) local() int   { return int(uint16(k >> 16)) }
func (k tupleKey) port() uint16 { return uint16(k) }

// Conn is a handle to a socket the table handed a port to; Close takes it
// back. The addresses are the request's, so the handle carries only the
// port and where the table keeps the socket.
type Conn struct {
	Kind Kind
	Port uint16 // the local port handed out
	ref  int32  // connect(): the 4-tuple's slot; bind and UDP: the local address's index
	gen  uint32 // connect(): the slot's generation when handed out
}

// Allocation is what Allocate returns on success. It is at most four
// fields in 32 bytes so that the compiler keeps it in registers: a larger
// value is built on the stack and copied, which stalls the CPU on store
// forwarding. Keep it so.
type Allocation struct {
	Conn    Conn
	TWReuse bool // the 4-tuple was taken from TIME_WAIT under the tw_reuse policy
	Probes  int
	// Occupied is what the request competed with when it was made: for
	// connect, live 4-tuples (established or TIME_WAIT) to its destination;
	// for bind and UDP, ports in use on its local address. Set on failure
	// too.
	Occupied int
}

// Stats counts what the table holds now.
type Stats struct {
	Established int // open connect() and bind() connections
	TimeWait    int // 4-tuples (connect) and held ports (bind) in TIME_WAIT
	UDP         int // open UDP sockets
	BusyPorts   int // distinct (local address, protocol, port) with anything on them
	// BusiestDst is the connect() 4-tuples, established or TIME_WAIT,
	// from every local address to the destination that has most of them:
	// the ones that compete for that destination's ports, which run out
	// at the usable ports times the local addresses, whatever the total.
	BusiestDst int
}

// Table is a host's socket tables. It is not safe for concurrent use.
type Table struct {
	cfg       Config
	rangeSize int // cfg.Range.Size()
	reserved  bitset

	locals    map[netip.Addr]int
	spaces    [][2]*space
	lastLocal netip.Addr
	lastIndex int

	slots slots
	index tupleIndex  // 4-tuple → slot, for tuples that share a port
	exp   expiryQueue // slots that will expire: TIME_WAIT, dead, closing

	// Destinations with live 4-tuples, interned to small ids and counted
	// so that memory follows live sockets, not destinations ever seen.
	dstIDs  map[netip.AddrPort]int32
	dstRefs []int32
	dstAddr []netip.AddrPort
	dstFree []int32
	// dstBits[id][local] marks the ports holding a 4-tuple to destination
	// id from that local address. Kept only for destinations with at least
	// bitsThreshold live 4-tuples: the ones long scans run into.
	dstBits [][]*bitset
	// dstKeys lists the live 4-tuples of a destination without bitsets,
	// so that its bitsets start from the list rather than a pass over
	// every slot.
	dstKeys [][]tupleKey
	// dstsWith[k], k ≥ 1, is how many destinations have k live 4-tuples
	// ([0] is a sink, not a count), so that stats.BusiestDst follows the
	// largest k with one in O(1) as 4-tuples come and go.
	dstsWith []int32
	// lastID is the id of the pair's destination, or -1 when it has no
	// live 4-tuples (newPair looks it up, internDst and unrefDst keep it).
	lastID int32
	// nextExpiry is the expiry of the queue's first slot, or noExpiry when
	// the queue is empty.
	nextExpiry time.Duration
	// Closes scheduled by CloseAt, and the time of the first, or noExpiry.
	closing    closeQueue // bind and UDP sockets
	closeSeq   uint64
	closeTimes instants // when connect() sockets enter TIME_WAIT
	nextClose  time.Duration

	now   time.Duration
	stats Stats

	// The request being served; usableFn is bound once so Pick does not
	// allocate a closure per call.
	curKind  Kind
	curSpace *space
	curDst   int32 // interned id of the destination, or -1 when it has no tuples
	// Scan's bitsets beside the reserved ports, set up once per request
	// (Linux scans twice): the space's owned (connect) or busy (bind,
	// UDP) ports, and the destination's ports when its TIME_WAITs cannot
	// be reused, or nil.
	scanBusy *bitset
	scanDst  *bitset
	// The last request's addresses, which passed checkRequest.
	pairSrc netip.Addr
	pairDst netip.AddrPort
	pairOK  bool
	// The pair's local address index, and whether its TIME_WAITs may be
	// reused under the tw_reuse policy.
	pairLocal    int
	pairReusable bool
	pairID       uint64 // Request.Pair for the pair
	usableFn     func(uint16) bool
	// approved is the last port usable or Scan found usable for the
	// current request, or -1.
	approved int32
	// layout counts the changes that can move what prepare works out
	// beside the pair and kind: a new pair, a destination interned or
	// freed, a destination's bitsets begun or grown. prepared is its
	// value when prepare last worked them out.
	layout, prepared uint64
}

// pairIDs numbers address pairs for Request.Pair across every table.
var pairIDs atomic.Uint64

// NewTable returns an empty table with cfg's rules.
func NewTable(cfg Config) (*Table, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	t := &Table{
		cfg:       cfg,
		rangeSize: cfg.Range.Size(),
		locals:    make(map[netip.Addr]int),
		dstIDs:    make(map[netip.AddrPort]int32),
		lastID:    -1,
		layout:    1,                // prepare has worked nothing out yet
		dstsWith:  make([]int32, 1), // the sink at [0]

		nextExpiry: noExpiry,
		nextClose:  noExpiry,
	}
	for _, r := range cfg.Reserved {
		for p := int(r.Lo); p <= int(r.Hi); p++ {
			t.reserved.set(uint16(p))
		}
	}
	t.usableFn = t.usable
	return t, nil
}

// Config returns the rules the table was made with.
func (t *Table) Config() Config { return t.cfg }

// Stats returns the counts at the table's clock (the latest time it was
// given): the closes scheduled by then run and the TIME_WAITs due by then
// expired.
func (t *Table) Stats() Stats {
	t.Advance(t.now)
	t.countClosed()
	return t.stats
}

// Reserved reports whether p is in the reserved list.
func (t *Table) Reserved(p uint16) bool { return t.reserved.has(p) }

// Advance moves the table's clock to now, running the closes scheduled by
// then and expiring TIME_WAIT entries whose time has come. Times earlier
// than the latest seen are taken as the latest.
func (t *Table) Advance(now time.Duration) {
	now = max(t.now, now)
	// Small enough to inline: most calls have nothing due.
	if t.nextClose <= now || t.nextExpiry <= now {
		t.runDue(now)
	}
	t.now = now
}

// runDue runs the closes due by now, then expires the TIME_WAITs due then.
func (t *Table) runDue(now time.Duration) {
	if t.nextClose <= now {
		t.closeDue(now)
	}
	t.now = now
	if t.nextExpiry <= now {
		t.expireDue()
	}
}

// expireDue expires the slots due at the table's clock, all of them in
// one pass.
func (t *Table) expireDue() {
	q := &t.exp.fifo
	for {
		var (
			i         int32
			c         *slotChunk
			j         int
			uncounted bool // a client-first close the counts have not heard of
		)
		if len(t.exp.heap) > 0 {
			var at time.Duration
			if i, at, uncounted = t.exp.popDue(&t.slots, t.now); i < 0 {
				t.nextExpiry = at
				return
			}
			c, j = t.slots.at(i)
		} else {
			// The FIFO alone, as every slot is queued when lifetimes
			// are fixed: its front, and that slot's expiry.
			if q.n == 0 {
				t.nextExpiry = noExpiry
				return
			}
			i = q.front()
			c, j = t.slots.at(i)
			if at := c.expiry[j]; at > t.now {
				t.nextExpiry = at
				return
			}
			uncounted = t.exp.popFIFO()
		}
		switch tagState(c.tag[j]) {
		case slotTimeWait:
			t.removeTuple(c, j, i)
			t.stats.TimeWait--
		case slotClosingTW:
			t.removeTuple(c, j, i)
			if uncounted { // it closes and expires at once
				t.stats.Established--
			} else {
				t.stats.TimeWait--
			}
		case slotClosingFree:
			t.removeTuple(c, j, i)
			t.stats.Established--
		case slotBindTimeWait:
			k := c.key[j]
			sp := t.spaces[k.local()][protoTCP]
			sp.ports[k.port()].owner = ownerNone
			t.stats.TimeWait--
			t.portFreed(sp, k.port())
			t.slots.releaseAt(c, j, i)
		default: // dead: its 4-tuple lives on in another slot
			t.slots.releaseAt(c, j, i)
		}
	}
}

// removeTuple forgets the 4-tuple in slot i, c.key[j], and frees the
// slot.
func (t *Table) removeTuple(c *slotChunk, j int, i int32) {
	k := c.key[j]
	p, local, dst := k.port(), k.local(), k.dst()
	sp := t.spaces[local][protoTCP]
	if c.tag[j]&tagIndexed != 0 {
		t.index.remove(t.index.find(&t.slots, k))
	}
	ps := &sp.ports[p]
	ps.tuples--
	if ps.last == i {
		ps.last = -1 // the remaining tuple, if any, is found through the index
	}
	// portFreed's second half, written out for the hot path: the port's
	// owner, and so its owned bit, is as it was.
	if ps.tuples == 0 && ps.owner == ownerNone {
		t.stats.BusyPorts--
		sp.busy.clear(p)
		sp.nbusy--
	}
	if bs := t.dstBits[dst]; bs != nil {
		bs[local].clear(p)
	} else {
		ks := t.dstKeys[dst]
		for i, x := range ks {
			if x == k {
				ks[i] = ks[len(ks)-1]
				t.dstKeys[dst] = ks[:len(ks)-1]
				break
			}
		}
	}
	t.dstLeaves(t.dstRefs[dst])
	t.unrefDst(dst)
	t.slots.releaseAt(c, j, i)
}

// findTuple returns the slot of 4-tuple k on port state ps, if it is live.
func (t *Table) findTuple(ps *portState, k tupleKey) (int32, bool) {
	if ps.tuples == 0 {
		return 0, false
	}
	if ps.last >= 0 {
		if c, j := t.slots.at(ps.last); c.key[j] == k {
			return ps.last, true
		}
		if ps.tuples == 1 {
			return 0, false
		}
	}
	// A destination with many 4-tuples keeps a bitset of their ports: a
	// clear bit answers without the index.
	if bs := t.dstBits[k.dst()]; bs != nil && k.local() < len(bs) && !bs[k.local()].has(k.port()) {
		return 0, false
	}
	cell := t.index.find(&t.slots, k)
	if cell < 0 {
		return 0, false
	}
	return int32(t.index.cells[cell]&t.index.slotMask()) - 1, true
}

// internDst gives d, which has no live 4-tuples, an id.
func (t *Table) internDst(d *netip.AddrPort) int32 {
	var id int32
	if n := len(t.dstFree); n > 0 {
		id, t.dstFree = t.dstFree[n-1], t.dstFree[:n-1]
		t.dstAddr[id] = *d
	} else {
		id = int32(len(t.dstRefs))
		t.dstRefs = append(t.dstRefs, 0)
		t.dstAddr = append(t.dstAddr, *d)
		t.dstBits = append(t.dstBits, nil)
		t.dstKeys = append(t.dstKeys, nil)
	}
	t.dstIDs[*d] = id
	t.lastID = id
	t.layout++
	return id
}

// refDstRare is newSlot's rare steps in counting a destination's 4-tuples:
// its bitsets begin, or dstsWith grows (doubling, so that this is rare).
func (t *Table) refDstRare(id, n int32) {
	if n == bitsThreshold && t.dstBits[id] == nil {
		t.buildBits(id)
	}
	if w := t.dstsWith; int(n) >= len(w) {
		t.dstsWith = append(w, make([]int32, len(w))...)
	}
}

// bitsThreshold is how many live 4-tuples a destination needs before the
// table keeps a port bitset for it (8 KiB per local address). A variable so
// tests can make every destination keep one.
var bitsThreshold int32 = 32

// buildBits starts a destination's bitsets from the tuples it has now.
func (t *Table) buildBits(id int32) {
	bs := make([]*bitset, len(t.spaces))
	for i := range bs {
		bs[i] = new(bitset)
	}
	for _, k := range t.dstKeys[id] {
		bs[k.local()].set(k.port())
	}
	t.dstBits[id] = bs
	t.dstKeys[id] = t.dstKeys[id][:0]
	t.layout++
}

// dstLeaves moves a destination with n live 4-tuples to n−1 in
// dstsWith, before unrefDst counts it: apart, both inline.
func (t *Table) dstLeaves(n int32) {
	w := t.dstsWith
	w[n]--
	w[n-1]++
	if w[n] == 0 && int(n) == t.stats.BusiestDst {
		t.stats.BusiestDst-- // the busiest was the only one with n; it has n−1 now
	}
}

func (t *Table) unrefDst(id int32) {
	t.dstRefs[id]--
	if t.dstRefs[id] == 0 {
		delete(t.dstIDs, t.dstAddr[id])
		t.dstAddr[id] = netip.AddrPort{}
		t.dstBits[id] = nil
		t.dstFree = append(t.dstFree, id)
		t.layout++
		if id == t.lastID {
			t.lastID = -1
		}
	}
}

// newSlot stores an established 4-tuple on port state ps (before ps counts
// it), counts it to its destination, and returns its slot and generation. The first tuple on a port stays out of the index; when a second one
// comes, both are listed.
func (t *Table) newSlot(k tupleKey, ps *portState) (slot int32, gen uint32) {
	// One more 4-tuple to the destination (interned by internDst when it
	// had none).
	id := k.dst()
	n := t.dstRefs[id] + 1
	t.dstRefs[id] = n
	if n == bitsThreshold || int(n) >= len(t.dstsWith) {
		t.refDstRare(id, n)
	}
	w := t.dstsWith
	w[n-1]-- // [0] absorbs a new destination's step from none
	w[n]++
	t.stats.BusiestDst = max(t.stats.BusiestDst, int(n))

	slot, gen = t.slots.alloc(k, slotEstablished)
	if ps.tuples > 0 {
		if ps.last >= 0 {
			if c, j := t.slots.at(ps.last); c.tag[j]&tagIndexed == 0 {
				t.index.add(&t.slots, c.key[j], ps.last)
				c.tag[j] |= tagIndexed
			}
		}
		t.index.add(&t.slots, k, slot)
		c, j := t.slots.at(slot)
		c.tag[j] |= tagIndexed
	}
	ps.last = slot
	if bs := t.dstBits[k.dst()]; bs != nil {
		if len(bs) <= k.local() { // a local address added since the bits were built
			for len(bs) <= k.local() {
				bs = append(bs, new(bitset))
			}
			t.dstBits[k.dst()] = bs
			t.layout++
		}
		bs[k.local()].set(k.port())
	} else {
		t.dstKeys[k.dst()] = append(t.dstKeys[k.dst()], k)
	}
	return slot, gen
}

// reviveSlot moves the TIME_WAIT 4-tuple in slot old, which tw_reuse
// takes, to a new established slot; old stays queued, dead, until its
// expiry comes round.
func (t *Table) reviveSlot(old int32, ps *portState) int32 {
	oc, oj := t.slots.at(old)
	k := oc.key[oj]
	slot, _ := t.slots.alloc(k, slotEstablished)
	if oc.tag[oj]&tagIndexed != 0 {
		t.index.fit(&t.slots, slot)
		t.index.cells[t.index.find(&t.slots, k)] = t.index.cell(k, slot)
		c, j := t.slots.at(slot)
		c.tag[j] |= tagIndexed
	}
	oc.tag[oj] = oc.tag[oj]&^(tagStateMask|tagIndexed) | uint32(slotDead)
	if ps.last == old {
		ps.last = slot
	}
	return slot
}

// noExpiry is "never": Table.nextExpiry when no slot waits to expire, and
// nextClose when no close is scheduled.
const noExpiry = time.Duration(1<<63 - 1)

// queueExpiry puts slot i, which expires at expiry, in the expiry queue.
func (t *Table) queueExpiry(i int32, expiry time.Duration) {
	c, j := t.slots.at(i)
	c.expiry[j] = expiry
	t.nextExpiry = min(t.nextExpiry, expiry)
	t.exp.push(i, expiry)
}

// portFreed is called after a port lost a user; it may now be free.
func (t *Table) portFreed(sp *space, p uint16) {
	ps := sp.ports[p]
	if ps.owner == ownerNone {
		sp.owned.clear(p)
	}
	if ps.tuples == 0 && ps.owner == ownerNone {
		t.stats.BusyPorts--
		sp.busy.clear(p)
		sp.nbusy--
	}
}

// portTaken is called before a port gains a user.
func (t *Table) portTaken(sp *space, p uint16) {
	if ps := sp.ports[p]; ps.tuples == 0 && ps.owner == ownerNone {
		t.stats.BusyPorts++
		sp.busy.set(p)
		sp.nbusy++
	}
}

// localIndex returns the slot of a local address, adding it on first use.
func (t *Table) localIndex(a netip.Addr) int {
	if a == t.lastLocal && len(t.spaces) > 0 {
		return t.lastIndex
	}
	i, ok := t.locals[a]
	if !ok {
		i = len(t.spaces)
		t.locals[a] = i
		t.spaces = append(t.spaces, [2]*space{new(space), nil}) // UDP's comes with its first socket
	}
	t.lastLocal, t.lastIndex = a, i
	return i
}

func checkRequest(r *Request) error {
	if !r.Src.IsValid() {
		return &RequestError{"src", "no local address; want an IPv4 or IPv6 address"}
	}
	if !r.Dst.IsValid() {
		return &RequestError{"dst", "no destination; want IP:PORT"}
	}
	if r.Src.Unmap().Is4() != r.Dst.Addr().Unmap().Is4() {
		return &RequestError{"dst", fmt.Sprintf("%v and local address %v are of different IP families", r.Dst.Addr(), r.Src)}
	}
	if r.Kind > UDP {
		return &RequestError{"kind", fmt.Sprintf("%v; want connect, bind or udp", r.Kind)}
	}
	return nil
}

// prepare makes r the current request.
func (t *Table) prepare(r *Request) error {
	// A run asks for the same pair of addresses again and again: checked,
	// unmapped and looked up once, they need only a comparison.
	if !t.pairOK || r.Src != t.pairSrc || r.Dst != t.pairDst || r.Kind > UDP {
		if err := t.newPair(r); err != nil {
			return err
		}
	}
	t.Advance(r.Now)
	r.Lo, r.Hi, r.Pair = t.cfg.Range.Lo, t.cfg.Range.Hi, t.pairID
	// Pointer fields, like the pair's, are written only when they change:
	// each write of one costs a write-barrier check on the hot path.
	if r.Trace != nil {
		r.Scan = nil // a trace wants every probe, one by one
	} else if r.Scan != Scanner(t) {
		r.Scan = t
	}
	t.approved = -1
	if r.Kind == t.curKind && t.prepared == t.layout {
		return nil // the space, destination and bitsets of the last request
	}
	t.prepared = t.layout
	li := t.pairLocal
	proto := protoTCP
	if r.Kind == UDP {
		proto = protoUDP
	}
	t.curKind = r.Kind
	sp := t.spaces[li][proto]
	if sp == nil {
		sp = new(space)
		t.spaces[li][proto] = sp
	}
	if t.curSpace != sp {
		t.curSpace = sp
	}
	busy, dst := &sp.owned, (*bitset)(nil)
	t.curDst = -1
	if r.Kind == Connect {
		t.curDst = t.lastID
		if t.curDst >= 0 && !t.pairReusable {
			if bs := t.dstBits[t.curDst]; bs != nil && li < len(bs) {
				dst = bs[li]
			}
		}
	} else {
		busy = &sp.busy // bind and UDP need the port unused altogether
	}
	if t.scanBusy != busy {
		t.scanBusy = busy
	}
	if t.scanDst != dst {
		t.scanDst = dst
	}
	return nil
}

// newPair checks a request's addresses, unmaps them in place and makes
// them the table's current pair, with what follows from them alone.
func (t *Table) newPair(r *Request) error {
	if err := checkRequest(r); err != nil {
		return err
	}
	if r.Src.Is4In6() {
		r.Src = r.Src.Unmap()
	}
	if d := r.Dst.Addr(); d.Is4In6() {
		r.Dst = netip.AddrPortFrom(d.Unmap(), r.Dst.Port())
	}
	t.pairSrc, t.pairDst, t.pairOK = r.Src, r.Dst, true
	t.layout++
	t.pairID = pairIDs.Add(1)
	t.pairLocal = t.localIndex(r.Src)
	t.lastID = -1
	if id, ok := t.dstIDs[r.Dst]; ok {
		t.lastID = id
	}
	// Only the loopback tw_reuse policy asks.
	loop := t.cfg.TWReuse == TWReuseLoopback && r.Src.IsLoopback() && r.Dst.Addr().IsLoopback()
	// A destination's port bitset answers for its TIME_WAITs only when
	// they cannot be reused.
	t.pairReusable = t.cfg.TWReuse == TWReuseOn || loop
	return nil
}

// Usable reports whether port p could be handed to r now. It is the question
// strategies ask; exported for tests and for explain.
func (t *Table) Usable(r *Request, p uint16) bool {
	if t.prepare(r) != nil {
		return false
	}
	return t.usable(p)
}

func (t *Table) usable(p uint16) bool {
	if t.verdict(p) <= reasonTWReusable {
		t.approved = int32(p)
		return true
	}
	return false
}

// reason is why a port is or is not usable for the current request.
type reason uint8

const (
	reasonFree reason = iota
	reasonTWReusable
	reasonOutOfRange
	reasonReserved
	reasonOwned
	reasonOwnedTimeWait
	reasonTupleInUse
	reasonTupleTimeWait
	reasonPortShared
)

var reasonText = [...]string{
	reasonFree:          "free",
	reasonTWReusable:    "4-tuple in TIME_WAIT, reusable under tw_reuse",
	reasonOutOfRange:    "outside the port range",
	reasonReserved:      "reserved (ip_local_reserved_ports)",
	reasonOwned:         "owned by a bound socket",
	reasonOwnedTimeWait: "held by a bound socket's TIME_WAIT",
	reasonTupleInUse:    "4-tuple in use by an established connection",
	reasonTupleTimeWait: "4-tuple in TIME_WAIT",
	reasonPortShared:    "in use by connect() sockets (bind needs it unused)",
}

func (r reason) String() string { return reasonText[r] }

func (t *Table) verdict(p uint16) reason {
	if p < t.cfg.Range.Lo || p > t.cfg.Range.Hi {
		return reasonOutOfRange
	}
	if t.Reserved(p) {
		return reasonReserved
	}
	ps := t.curSpace.ports[p]
	switch ps.owner {
	case ownerSocket:
		return reasonOwned
	case ownerTimeWait:
		return reasonOwnedTimeWait
	}
	if ps.tuples == 0 {
		return reasonFree
	}
	if t.curKind != Connect {
		return reasonPortShared
	}
	if t.curDst < 0 {
		return reasonFree // no 4-tuple to this destination anywhere
	}
	slot, ok := t.findTuple(&ps, makeKey(t.curDst, t.pairLocal, p))
	if !ok {
		return reasonFree
	}
	c, j := t.slots.at(slot)
	switch tagState(c.tag[j]) {
	case slotEstablished, slotClosingFree: // the latter is gone once due
		return reasonTupleInUse
	case slotClosingTW:
		if t.now < c.expiry[j]-t.cfg.TimeWait {
			return reasonTupleInUse
		}
	}
	if t.twReusable(c.expiry[j]) {
		return reasonTWReusable
	}
	return reasonTupleTimeWait
}

// twReusable reports whether the current request may take a 4-tuple whose
// TIME_WAIT ends at expiry.
func (t *Table) twReusable(expiry time.Duration) bool {
	if !t.pairReusable {
		return false
	}
	closedAt := expiry - t.cfg.TimeWait
	return t.now-closedAt >= t.cfg.TWReuseDelay
}

// Pick asks s for a port for r without taking it. The strategy's state
// advances as if the port were taken. Like Allocate it completes r in
// place.
func (t *Table) Pick(r *Request, s Strategy) (port uint16, probes int, err error) {
	if err := t.prepare(r); err != nil {
		return 0, 0, err
	}
	usable := t.usableFn
	if r.Trace != nil {
		usable = t.tracingUsable(r.Trace)
	}
	port, probes, err = s.Pick(r, usable)
	if err != nil {
		return 0, probes, allocError(r, probes, err)
	}
	// A strategy mostly returns the port the table last approved; any
	// other is checked, so that a wrong strategy cannot take a busy port.
	if int32(port) != t.approved && !t.usable(port) {
		t.refuse(s, port)
	}
	return port, probes, nil
}

func allocError(r *Request, probes int, err error) error {
	return &AllocError{Kind: r.Kind, Tuple: Tuple{Src: r.Src, Dst: r.Dst}, Probes: probes, Err: err}
}

// refuse stops a run whose strategy returned a port the table did not
// find usable: a bug in the strategy, which a result must not hide.
func (t *Table) refuse(s Strategy, port uint16) {
	panic(fmt.Sprintf("allocator: strategy %T returned port %d, which is not usable (%v)", s, port, t.verdict(port)))
}

func (t *Table) tracingUsable(tr *Trace) func(uint16) bool {
	return func(p uint16) bool {
		v := t.verdict(p)
		ok := v <= reasonTWReusable
		tr.probe(p, ok, v.String())
		return ok
	}
}

// Allocate asks s for a port for r and records the socket. It fills in
// r.Lo, r.Hi and r.Scan and unmaps IPv4-mapped addresses in place before
// the strategy sees r; r is taken by pointer because copying a Request
// (a hundred bytes) per call was a measurable share of a simulation.
func (t *Table) Allocate(r *Request, s Strategy) (Allocation, error) {
	var port uint16
	var probes int
	var err error
	if r.Trace == nil {
		// Pick without a trace, written out: a call less per connection.
		if err = t.prepare(r); err == nil {
			if port, probes, err = s.Pick(r, t.usableFn); err != nil {
				err = allocError(r, probes, err)
			} else if int32(port) != t.approved && !t.usable(port) {
				t.refuse(s, port)
			}
		}
	} else {
		port, probes, err = t.Pick(r, s)
	}
	if err != nil {
		return Allocation{Probes: probes, Occupied: t.occupied()}, err
	}
	a := Allocation{Conn: Conn{Kind: r.Kind, Port: port}, Probes: probes, Occupied: t.occupied()}
	sp := t.curSpace
	switch r.Kind {
	case Connect:
		ps := &sp.ports[port]
		slot, reuse := int32(0), false
		if ps.tuples > 0 && t.curDst >= 0 {
			slot, reuse = t.findTuple(ps, makeKey(t.curDst, t.pairLocal, port))
		}
		if reuse {
			// Pick checked the TIME_WAIT 4-tuple may be reused. A new
			// generation: the handle that closed it must not close this.
			a.TWReuse = true
			t.countClosed() // so that the counts have it in TIME_WAIT
			t.stats.TimeWait--
			slot = t.reviveSlot(slot, ps)
			c, j := t.slots.at(slot)
			a.Conn.gen = tagGen(c.tag[j])
		} else {
			if ps.tuples == 0 && ps.owner == ownerNone { // portTaken, written out with ps at hand
				t.stats.BusyPorts++
				sp.busy.set(port)
				sp.nbusy++
			}
			if t.curDst < 0 {
				t.curDst = t.internDst(&r.Dst)
			}
			slot, a.Conn.gen = t.newSlot(makeKey(t.curDst, t.pairLocal, port), ps)
			ps.tuples++
		}
		a.Conn.ref = slot
		t.stats.Established++
	case Bind, UDP:
		t.portTaken(sp, port)
		sp.ports[port].owner = ownerSocket
		sp.owned.set(port)
		a.Conn.ref = int32(t.pairLocal)
		if r.Kind == UDP {
			t.stats.UDP++
		} else {
			t.stats.Established++
		}
	}
	if r.Trace != nil {
		r.Trace.Addf("update", port, "table records %s %s", r.Kind, Tuple{Src: r.Src, SrcPort: port, Dst: r.Dst})
	}
	return a, nil
}

// occupied is Allocation.Occupied for the current request, before it takes
// its port. A request that failed validation met nothing.
func (t *Table) occupied() int {
	switch {
	case t.curSpace == nil:
		return 0
	case t.curKind != Connect:
		return t.curSpace.nbusy
	case t.curDst < 0:
		return 0
	}
	return int(t.dstRefs[t.curDst])
}

// Close ends a socket at time now. A connection closed client-first keeps
// its 4-tuple (connect) or its port (bind) in TIME_WAIT for Config.TimeWait.
// A handle that is not open — closed already, or not from this table — is
// an error.
func (t *Table) Close(c Conn, how CloseHow, now time.Duration) error {
	// The clock moves, but expiry waits for the next request or Advance:
	// a close does not depend on it, and it runs once per connection.
	if now > t.now {
		t.now = now
	}
	keepTW := how == ClientFirst && t.cfg.TimeWait > 0
	switch c.Kind {
	case Connect:
		if c.ref < 0 || c.ref >= t.slots.n {
			return c.notOpen()
		}
		sc, j := t.slots.at(c.ref)
		if tag := sc.tag[j]; tagState(tag) != slotEstablished || tagGen(tag) != c.gen || sc.key[j].port() != c.Port {
			return c.notOpen()
		}
		t.stats.Established--
		if !keepTW {
			t.removeTuple(sc, j, c.ref)
			return nil
		}
		sc.tag[j] = sc.tag[j]&^tagStateMask | uint32(slotTimeWait)
		t.queueExpiry(c.ref, t.now+t.cfg.TimeWait)
		t.stats.TimeWait++
	case Bind, UDP:
		if c.ref < 0 || int(c.ref) >= len(t.spaces) {
			return c.notOpen()
		}
		proto := protoTCP
		if c.Kind == UDP {
			proto = protoUDP
		}
		sp := t.spaces[c.ref][proto]
		p := c.Port
		if sp == nil || sp.ports[p].owner != ownerSocket {
			return c.notOpen()
		}
		if c.Kind == UDP {
			t.stats.UDP--
		} else {
			t.stats.Established--
		}
		if c.Kind == Bind && keepTW {
			sp.ports[p].owner = ownerTimeWait
			slot, _ := t.slots.alloc(makeKey(0, int(c.ref), p), slotBindTimeWait)
			t.queueExpiry(slot, t.now+t.cfg.TimeWait)
			t.stats.TimeWait++
			return nil
		}
		sp.ports[p].owner = ownerNone
		t.portFreed(sp, p)
	default:
		return fmt.Errorf("allocator: close: unknown kind %v", c.Kind)
	}
	return nil
}

func (c Conn) notOpen() error {
	return fmt.Errorf("allocator: close %v port %d: no such open socket", c.Kind, c.Port)
}
