package capture

import (
	"encoding/binary"
	"fmt"
	"iter"
	"net/netip"
	"time"
)

// Proto is the transport protocol of an attempt.
type Proto uint8

const (
	TCP Proto = 6
	UDP Proto = 17
)

func (p Proto) String() string {
	switch p {
	case TCP:
		return "tcp"
	case UDP:
		return "udp"
	}
	return fmt.Sprintf("proto(%d)", uint8(p))
}

// Attempt is one client connection attempt: a TCP SYN without ACK, or the
// first UDP datagram of a flow. Its source port is the one the client's
// host chose.
type Attempt struct {
	Time    time.Time
	Proto   Proto
	Src     netip.Addr
	SrcPort uint16
	Dst     netip.Addr
	DstPort uint16
	// Stack is the shape of the packet, when HasStack says it is known:
	// a packet cut before the end of its TCP header, or a CSV row without
	// the stack's columns, leaves it unknown. IPID is the packet's IPv4
	// identification (0 for IPv6, or when the stack is unknown).
	Stack    Stack
	HasStack bool
	IPID     uint16
}

// Record is an attempt as Attempts stores it: 24 bytes without pointers,
// so that millions of them cost little memory and the garbage collector
// nothing to scan. Its addresses are indices into the address table of
// the Attempts that holds it (Attempts.Addr).
type Record struct {
	sec              int64  // Unix seconds
	nsecUDP          uint32 // nanoseconds within the second << 1, | 1 for UDP
	Src, Dst         uint32
	SrcPort, DstPort uint16
}

// Proto is TCP or UDP.
func (r Record) Proto() Proto {
	if r.nsecUDP&1 != 0 {
		return UDP
	}
	return TCP
}

// Time is when the attempt was seen, in UTC.
func (r Record) Time() time.Time { return time.Unix(r.sec, int64(r.nsecUDP>>1)).UTC() }

// Sub is r.Time().Sub(o.Time()), without making the times.
func (r Record) Sub(o Record) time.Duration {
	// Below 2^33 s apart, the nanoseconds fit in a Duration.
	if ds := r.sec - o.sec; ds > -1<<33 && ds < 1<<33 {
		return time.Duration(ds)*time.Second + time.Duration(int64(r.nsecUDP>>1)-int64(o.nsecUDP>>1))
	}
	return r.Time().Sub(o.Time())
}

// CompareTime is -1, 0 or +1 as r was seen before, with or after o.
func (r Record) CompareTime(o Record) int {
	switch {
	case r.sec < o.sec:
		return -1
	case r.sec > o.sec:
		return 1
	}
	// Same second: the nanoseconds compare as the fields do, UDP's bit
	// aside.
	a, b := r.nsecUDP>>1, o.nsecUDP>>1
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func newRecord(sec int64, nsec uint32, proto Proto, src, dst uint32, sport, dport uint16) Record {
	r := Record{sec: sec, nsecUDP: nsec << 1, Src: src, Dst: dst, SrcPort: sport, DstPort: dport}
	if proto == UDP {
		r.nsecUDP |= 1
	}
	return r
}

// Attempts holds attempts in capture order, compactly: each a Record, its
// addresses interned in a table of their own (a capture holds few distinct
// addresses), and beside it 4 bytes for its stack: an index into a table
// of the capture's distinct shapes (few too) and the IP identification.
// Both are kept in fixed-size chunks, so that growing never copies them.
// The zero value is empty and ready to use.
type Attempts struct {
	chunks [][]Record // all chunkLen long but the last
	stacks [][]uint32 // per record: shape index+1 (0: none) << 16 | IP ID
	n      int
	addrs  []netip.Addr
	ids    map[netip.Addr]uint32
	// recent caches the ids of addresses read from packets (by their
	// bytes), to spare the map most lookups.
	recent *[recentLen]recentAddr
	shapes shapes
}

// chunkLen is the length of a full chunk: 1.5 MiB of records.
const (
	chunkShift = 16
	chunkLen   = 1 << chunkShift
)

// maxAddrs is the most distinct addresses Attempts holds: an index, plus
// one, fits in 31 bits (the flow table's keys need that).
const maxAddrs = 1<<31 - 1

// NewAttempts holds as, in order.
func NewAttempts(as []Attempt) *Attempts {
	s := &Attempts{}
	for _, a := range as {
		s.Append(a)
	}
	return s
}

// Len is how many attempts s holds.
func (s *Attempts) Len() int { return s.n }

// Record is the i'th attempt, compact.
func (s *Attempts) Record(i int) Record {
	if uint(i) >= uint(s.n) {
		panic(fmt.Sprintf("capture: attempt %d of %d", i, s.n))
	}
	return s.chunks[i>>chunkShift][i&(chunkLen-1)]
}

// Addr is the address with index id in s's address table.
func (s *Attempts) Addr(id uint32) netip.Addr { return s.addrs[id] }

// Addrs is how many distinct addresses s holds: indices are below it.
func (s *Attempts) Addrs() int { return len(s.addrs) }

// Attempt is the i'th attempt.
func (s *Attempts) Attempt(i int) Attempt {
	r := s.Record(i)
	a := Attempt{Time: r.Time(), Proto: r.Proto(), Src: s.addrs[r.Src], SrcPort: r.SrcPort, Dst: s.addrs[r.Dst], DstPort: r.DstPort}
	a.Stack, a.HasStack = s.Stack(i)
	a.IPID = s.IPID(i)
	return a
}

// Stack is the shape of the packet of the i'th attempt, and whether it is
// known.
func (s *Attempts) Stack(i int) (Stack, bool) {
	id := s.stackWord(i) >> 16
	if id == 0 {
		return Stack{}, false
	}
	return s.shapes.list[id-1], true
}

// IPID is the IPv4 identification of the packet of the i'th attempt: 0 for
// IPv6, or when its stack is not known.
func (s *Attempts) IPID(i int) uint16 { return uint16(s.stackWord(i)) }

// Stacks is how many distinct shapes s holds.
func (s *Attempts) Stacks() int { return len(s.shapes.list) }

func (s *Attempts) stackWord(i int) uint32 {
	if uint(i) >= uint(s.n) {
		panic(fmt.Sprintf("capture: attempt %d of %d", i, s.n))
	}
	return s.stacks[i>>chunkShift][i&(chunkLen-1)]
}

// Records yields each attempt's index and record, in order.
func (s *Attempts) Records() iter.Seq2[int, Record] {
	return func(yield func(int, Record) bool) {
		i := 0
		for _, c := range s.chunks {
			for _, r := range c {
				if !yield(i, r) {
					return
				}
				i++
			}
		}
	}
}

// All yields the attempts in order.
func (s *Attempts) All() iter.Seq[Attempt] {
	return func(yield func(Attempt) bool) {
		for i := range s.n {
			if !yield(s.Attempt(i)) {
				return
			}
		}
	}
}

// Append adds a, which must be TCP or UDP, at the end; its time is kept to
// the nanosecond and its location dropped. Its stack's options are kept in
// their canonical form (lower case, eol as eol+0, kind numbers by name),
// and they must parse; past 65535 distinct shapes, a new shape is dropped
// (HasStack false).
func (s *Attempts) Append(a Attempt) {
	if a.Proto != TCP && a.Proto != UDP {
		panic("capture: Append: proto " + a.Proto.String())
	}
	var w uint32
	if a.HasStack {
		k, err := shapeOf(a.Stack)
		if err != nil {
			panic("capture: Append: stack " + err.Error())
		}
		if id := s.shapes.id(&k); id != 0 {
			w = uint32(id)<<16 | uint32(a.IPID)
		}
	}
	s.add(newRecord(a.Time.Unix(), uint32(a.Time.Nanosecond()), a.Proto, s.intern(a.Src), s.intern(a.Dst), a.SrcPort, a.DstPort), w)
}

// add appends r with its stack word w.
func (s *Attempts) add(r Record, w uint32) {
	c := s.n >> chunkShift
	if c == len(s.chunks) {
		// The first chunk grows as a slice does, so that small captures
		// stay small; later ones are made whole.
		n := 0
		if c > 0 {
			n = chunkLen
		}
		s.chunks = append(s.chunks, make([]Record, 0, n))
		s.stacks = append(s.stacks, make([]uint32, 0, n))
	}
	s.chunks[c] = append(s.chunks[c], r)
	s.stacks[c] = append(s.stacks[c], w)
	s.n++
}

// intern is a's index, given one if a is new.
func (s *Attempts) intern(a netip.Addr) uint32 {
	if id, ok := s.ids[a]; ok {
		return id
	}
	if len(s.addrs) >= maxAddrs {
		panic("capture: more than 2^31-1 addresses")
	}
	if s.ids == nil {
		s.ids = map[netip.Addr]uint32{}
	}
	id := uint32(len(s.addrs))
	s.addrs = append(s.addrs, a)
	s.ids[a] = id
	return id
}

// recentLen is how many addresses read from packets the cache holds.
const recentLen = 256

type recentAddr struct {
	rawAddr
	id uint32 // +1; 0: empty
}

// rawAddr is an address as a packet holds it: IPv4 in lo's low 32 bits,
// or IPv6.
type rawAddr struct {
	hi, lo uint64
	v6     bool
}

func (a rawAddr) addr() netip.Addr {
	if !a.v6 {
		return netip.AddrFrom4([4]byte{byte(a.lo >> 24), byte(a.lo >> 16), byte(a.lo >> 8), byte(a.lo)})
	}
	var b [16]byte
	binary.BigEndian.PutUint64(b[:], a.hi)
	binary.BigEndian.PutUint64(b[8:], a.lo)
	return netip.AddrFrom16(b)
}

// frameIDs are the indices of f's addresses, and whether s holds both;
// with add, they are given if they are new.
func (s *Attempts) frameIDs(f *frame, add bool) (src, dst uint32, ok bool) {
	if f.addrs != nil {
		if add {
			return s.intern(f.addrs[0]), s.intern(f.addrs[1]), true
		}
		if src, ok = s.ids[f.addrs[0]]; ok {
			dst, ok = s.ids[f.addrs[1]]
		}
		return src, dst, ok
	}
	if src, ok = s.rawID(f.src, add); ok {
		dst, ok = s.rawID(f.dst, add)
	}
	return src, dst, ok
}

// rawID is the index of a, and whether s holds it; with add, one is given
// if it is new.
func (s *Attempts) rawID(a rawAddr, add bool) (uint32, bool) {
	if s.recent == nil {
		s.recent = new([recentLen]recentAddr)
	}
	e := &s.recent[((a.hi^a.lo)*0x9e3779b97f4a7c15)>>(64-8)]
	if e.id != 0 && e.rawAddr == a {
		return e.id - 1, true
	}
	na := a.addr()
	id, ok := s.ids[na]
	if !ok {
		if !add {
			return 0, false
		}
		id = s.intern(na)
	}
	*e = recentAddr{a, id + 1}
	return id, true
}
