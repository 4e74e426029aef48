package strategies

import "github.com/portsim/portsim/allocator"

func init() {
	register(Info{
		Name:        "sequential",
		Description: "one global cursor, +1 per allocation, linear probe on collision (macOS TCP, ns-3, pre-Vista Windows)",
		Params: []Param{
			{Name: "start", Default: "0", Help: "first port tried; 0 means the range's low end"},
		},
		Exhaustive: true,
		Range:      allocator.DynamicRange,
		build: func(_ uint64, p *Params) (allocator.Strategy, error) {
			return &Sequential{Start: uint16(p.Int("start", 0, 65535))}, nil
		},
	})
}

// Sequential hands out ports from one cursor shared by every destination:
// the next allocation starts one past the last port given. It is the most
// predictable strategy and the fastest to reuse a 4-tuple.
type Sequential struct {
	Start  uint16 // first port tried; 0 means r.Lo
	cursor int    // next port to try; 0 until the first pick
}

// Pick implements allocator.Strategy.
func (s *Sequential) Pick(r allocator.Request, usable func(uint16) bool) (uint16, int, error) {
	if s.cursor == 0 {
		s.cursor = int(s.Start)
	}
	if s.cursor < int(r.Lo) || s.cursor > int(r.Hi) {
		s.cursor = int(r.Lo)
	}
	if r.Trace != nil {
		r.Trace.Addf("cursor", uint16(s.cursor), "global cursor is at %d", s.cursor)
	}
	port, probes, err := linearScan(&r, s.cursor-int(r.Lo), usable)
	if err != nil {
		return 0, probes, err
	}
	s.cursor = int(port) + 1
	if s.cursor > int(r.Hi) {
		s.cursor = int(r.Lo)
	}
	if r.Trace != nil {
		r.Trace.Addf("update", port, "cursor moves to %d", s.cursor)
	}
	return port, probes, nil
}
