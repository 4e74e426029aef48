package strategies

import "github.com/portsim/portsim/allocator"

const streamHashedKey = 30

func init() {
	register(Info{
		Name:        "hashed",
		Description: "RFC 6056 §3.3.3 Algorithm 3: keyed hash of the destination plus one global counter",
		Systems:     "Linux ≤ 5.11's scheme",
		How:         "RFC 6056 Algorithm 3: a keyed hash of the addresses and destination port gives each destination its own offset, plus one counter shared by all destinations, so the counter tells an observer how many connections the host made in between.",
		Exhaustive:  true,
		Kind:        allocator.Connect,
		Range:       allocator.DynamicRange,
		build: func(seed uint64, _ *Params) (allocator.Strategy, error) {
			return &Hashed{key: newSipKey(seed, streamHashedKey)}, nil
		},
	})
}

// Hashed is RFC 6056 Algorithm 3, the Simple Hash-Based Port Selection
// Algorithm: port = min + (F(local IP, remote IP, remote port, secret) +
// next_ephemeral) % num, with next_ephemeral one counter shared by every
// destination and advanced by one per try. Each destination walks its own
// shifted copy of the range, so a 4-tuple is reused only after the whole
// range has gone by; but the shared counter leaks how many connections the
// host made to anyone in between (the leak RFC 6056 §3.3.3 and Linux commit
// 190cc82489f4 describe). Build it with New("hashed", seed).
//
// next_ephemeral starts at 0, the RFC's boot value. The RFC allows a random
// start, but it would change nothing an observer can see: the secret offset
// plus a random constant is no less and no more unpredictable than the
// offset alone. It is a uint32, as Linux's hint was, so that its wrap, once
// every 2^32 tries, is the only jump in the walk.
type Hashed struct {
	key  sipKey // the secret of F
	next uint32 // next_ephemeral
}

// Pick implements allocator.Strategy.
func (s *Hashed) Pick(r *allocator.Request, usable func(uint16) bool) (uint16, int, error) {
	f := flowHash(s.key, r.Src, r.Dst, 0)
	off := f % uint64(r.Size())
	if r.Trace != nil {
		traceHash(r.Trace, "F", s.key, r, f)
		r.Trace.Addf("offset", 0, "offset = F %% num = %#x %% %d = %d", f, r.Size(), off)
		traceCounter(r.Trace, r, off, "next_ephemeral", s.next)
	}
	before := s.next
	port, probes, err := counterScan(r, off, &s.next, usable)
	if r.Trace != nil {
		r.Trace.Addf("update", port, "next_ephemeral %d → %d (+%d, one per try; shared by all destinations)", before, s.next, probes)
	}
	return port, probes, err
}

// Shape is the strategy's likelihood shape: a per-destination offset plus one
// counter for the host, +1 per connection.
func (s *Hashed) Shape(r allocator.Range) Shape {
	return Shape{Family: Counter, Range: r, Ports: r.Size(), Step: 1, MaxAdvance: 1, Counters: 1}
}

// traceHash records one keyed hash of the request's flow: key, inputs and
// value, in hex.
func traceHash(tr *allocator.Trace, name string, k sipKey, r *allocator.Request, h uint64) {
	tr.Addf("hash", 0, "%s = SipHash-2-4(key %016x%016x; local %v, remote %v, remote port %d = %#04x, extra 0) = 0x%016x",
		name, k.k0, k.k1, r.Src, r.Dst.Addr(), r.Dst.Port(), r.Dst.Port(), h)
}

// traceCounter records the counter a counterScan starts from and the first
// candidate it gives.
func traceCounter(tr *allocator.Trace, r *allocator.Request, off uint64, name string, ctr uint32) {
	num := uint64(r.Size())
	first := r.Lo + uint16((off+uint64(ctr)%num)%num)
	tr.Addf("counter", first, "%s = %d; first candidate min + (offset + %s) %% num = %d + (%d + %d) %% %d = %d",
		name, ctr, name, r.Lo, off, ctr, num, first)
}
