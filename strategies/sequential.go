package strategies

import "github.com/portsim/portsim/allocator"

func init() {
	register(Info{
		Name:        "sequential",
		Description: "one global cursor, +1 per allocation, linear probe on collision",
		Systems:     "macOS TCP, ns-3, pre-Vista Windows; down: NetBSD's default",
		How:         "One global cursor, +1 per allocation, wrapping from the top of the range to the bottom; a busy port is passed over for the next one. Every connection, to any server, moves the same cursor, so the next port is easy to guess.",
		Params: []Param{
			{Name: "start", Default: "0", Help: "first port tried; 0 means the range's low end (its high end when counting down)"},
			{Name: "direction", Default: "up", Help: "up counts +1 from the low end; down counts -1 from the high end (NetBSD's \"bsd\" algorithm)"},
		},
		Exhaustive: true,
		Range:      allocator.DynamicRange,
		build: func(_ uint64, p *Params) (allocator.Strategy, error) {
			return &Sequential{
				Start: uint16(p.Int("start", 0, 65535)),
				Down:  p.Enum("direction", "up", "down") == "down",
			}, nil
		},
	})
}

// Sequential hands out ports from one cursor shared by every destination:
// the next allocation starts one past the last port given. It is the most
// predictable strategy and the fastest to reuse a 4-tuple.
type Sequential struct {
	Start  uint16 // first port tried; 0 means r.Lo (r.Hi when Down)
	Down   bool   // count down from the high end, wrapping to it below the low end
	cursor int    // next port to try; 0 until the first pick
}

// Pick implements allocator.Strategy.
func (s *Sequential) Pick(r *allocator.Request, usable func(uint16) bool) (uint16, int, error) {
	if s.cursor == 0 {
		s.cursor = int(s.Start)
	}
	if s.cursor < int(r.Lo) || s.cursor > int(r.Hi) {
		s.cursor = int(r.Lo)
		if s.Down {
			s.cursor = int(r.Hi)
		}
	}
	if r.Trace != nil {
		r.Trace.Addf("cursor", uint16(s.cursor), "global cursor is at %d", s.cursor)
	}
	var (
		port   uint16
		probes int
		err    error
	)
	if s.Down {
		port, probes, err = downScan(r, s.cursor, usable)
	} else {
		port, probes, err = linearScan(r, s.cursor-int(r.Lo), usable)
	}
	if err != nil {
		return 0, probes, err
	}
	s.cursor = s.next(int(port), r)
	if r.Trace != nil {
		r.Trace.Addf("update", port, "cursor moves to %d", s.cursor)
	}
	return port, probes, nil
}

// Shape is the strategy's likelihood shape: one cursor, ±1 per connection.
func (s *Sequential) Shape(r allocator.Range) Shape {
	return Shape{Family: Cursor, Range: r, Ports: r.Size(), Down: s.Down, MaxAdvance: 1}
}

// next is the cursor after port was given: one further in the counting
// direction, wrapping at the range's ends.
func (s *Sequential) next(port int, r *allocator.Request) int {
	if s.Down {
		if port--; port < int(r.Lo) {
			return int(r.Hi)
		}
		return port
	}
	if port++; port > int(r.Hi) {
		return int(r.Lo)
	}
	return port
}

// downScan probes every port of the range once, from p downwards with wrap
// from Lo to Hi. It asks usable() one port at a time: the table's fast
// Scanner only walks upwards, and NetBSD's algorithm is rarely saturated.
func downScan(r *allocator.Request, p int, usable func(uint16) bool) (uint16, int, error) {
	size := r.Size()
	for probes := 1; probes <= size; probes++ {
		if usable(uint16(p)) {
			return uint16(p), probes, nil
		}
		if p--; p < int(r.Lo) {
			p = int(r.Hi)
		}
	}
	return 0, size, allocator.ErrAddrNotAvail
}
