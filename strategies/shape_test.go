package strategies

import (
	"testing"
	"time"

	"github.com/portsim/portsim/allocator"
)

// shaper is how package fit finds a strategy's Shape.
type shaper interface {
	Shape(r allocator.Range) Shape
}

// shapeOf builds spec and asks its shape over r.
func shapeOf(t *testing.T, spec string, seed uint64, r allocator.Range) (allocator.Strategy, Shape) {
	t.Helper()
	s, err := New(spec, seed)
	if err != nil {
		t.Fatal(err)
	}
	sh, ok := s.(shaper)
	if !ok {
		t.Fatalf("%s: %T has no Shape method; fit cannot build its likelihood model", spec, s)
	}
	return s, sh.Shape(r)
}

// Every registered strategy says its shape, and the shape is one a
// likelihood model can be built from: a new strategy cannot be added
// without telling fit what its ports look like.
func TestEveryStrategyHasShape(t *testing.T) {
	for _, info := range All() {
		for _, r := range []allocator.Range{info.Range, {Lo: 1000, Hi: 1010}, {Lo: 7, Hi: 7}} {
			_, sh := shapeOf(t, info.Name, 1, r)
			if sh.Range != r || sh.Ports < 1 || sh.Ports > r.Size() {
				t.Errorf("%s over %v: range %v, %d ports; want the range and 1 to %d ports", info.Name, r, sh.Range, sh.Ports, r.Size())
			}
			if sh.First > OtherParity {
				t.Errorf("%s over %v: parity %d", info.Name, r, sh.First)
			}
			switch sh.Family {
			case Uniform:
			case Cursor:
				if sh.MaxAdvance < 1 {
					t.Errorf("%s: cursor advances at most %d; want ≥ 1", info.Name, sh.MaxAdvance)
				}
			case Counter:
				if sh.Step < 1 || sh.MaxAdvance < 1 || sh.Counters < 1 || sh.Resalt < 0 {
					t.Errorf("%s: counter step %d, max advance %d, %d counters, resalt %v; want ≥ 1, ≥ 1, ≥ 1, ≥ 0",
						info.Name, sh.Step, sh.MaxAdvance, sh.Counters, sh.Resalt)
				}
			default:
				t.Errorf("%s: shape family %v", info.Name, sh.Family)
			}
		}
	}
}

func TestShapes(t *testing.T) {
	odd := allocator.Range{Lo: 1000, Hi: 1010} // 11 ports: step-2 walks cover 10
	for _, c := range []struct {
		spec string
		r    allocator.Range
		want Shape
	}{
		{"random", allocator.DynamicRange, Shape{Family: Uniform, Range: allocator.DynamicRange, Ports: 16384}},
		{"linux-udp:hash-size=256", odd, Shape{Family: Uniform, Range: odd, Ports: 11}},
		{"linux-bind", odd, Shape{Family: Uniform, Range: odd, Ports: 10, First: OtherParity}},
		{"sequential:direction=down,start=1005", odd, Shape{Family: Cursor, Range: odd, Ports: 11, Down: true, MaxAdvance: 1}},
		{"random-increments", odd, Shape{Family: Cursor, Range: odd, Ports: 11, MaxAdvance: 500}},
		{"hashed", odd, Shape{Family: Counter, Range: odd, Ports: 11, Step: 1, MaxAdvance: 1, Counters: 1}},
		{"double-hash:table-length=8", odd, Shape{Family: Counter, Range: odd, Ports: 11, Step: 1, MaxAdvance: 1, Counters: 8}},
		{"linux", allocator.LinuxRange, Shape{Family: Counter, Range: allocator.LinuxRange, Ports: 28232, First: LowParity,
			Step: 2, MaxAdvance: 8, Counters: 1 << 16, Resalt: 10 * time.Second}},
		{"linux:table-order=8,increments=off,resalt=0", odd, Shape{Family: Counter, Range: odd, Ports: 10, First: LowParity,
			Step: 2, MaxAdvance: 1, Counters: 256}},
		{"linux:hint=on,table-order=4,resalt=2s", odd, Shape{Family: Counter, Range: odd, Ports: 10, First: LowParity,
			Step: 2, MaxAdvance: 8, Counters: 1, Resalt: 2 * time.Second}},
		{"linux:socket-range=on,increments=off", odd, Shape{Family: Counter, Range: odd, Ports: 11,
			Step: 1, MaxAdvance: 1, Counters: 1 << 16, Resalt: 10 * time.Second}},
	} {
		if _, got := shapeOf(t, c.spec, 1, c.r); got != c.want {
			t.Errorf("%s over %v:\n got %+v\nwant %+v", c.spec, c.r, got, c.want)
		}
	}
}

// A shape predicts its strategy's own ports on an empty table, one
// destination, one epoch: every port among the Ports from Range.Lo and of
// the First parity; a cursor or counter moving on by 1 to MaxAdvance
// steps each time, in its direction, and by more than half MaxAdvance at
// least once.
func TestShapePredictsPicks(t *testing.T) {
	specs := append(Names(), "sequential:direction=down", "random-increments:N=5", "double-hash:table-length=1",
		"linux:hint=on,increments=off,resalt=0", "linux:table-order=8,increments=off", "linux:socket-range=on")
	r := allocator.Range{Lo: 40001, Hi: 40999} // odd-sized, odd low bound
	for _, spec := range specs {
		s, sh := shapeOf(t, spec, 3, r)
		info, _ := Lookup(specName(spec))
		step := max(sh.Step, 1)
		prev, most := -1, 0
		for i := range 300 {
			port, _, err := s.Pick(testRequest(info, r.Lo, r.Hi, 0), func(uint16) bool { return true })
			if err != nil {
				t.Fatalf("%s: pick %d: %v", spec, i, err)
			}
			off := int(port - r.Lo)
			if off >= sh.Ports {
				t.Fatalf("%s: port %d is beyond the shape's %d ports from %d", spec, port, sh.Ports, r.Lo)
			}
			if (sh.First == LowParity && off&1 != 0) || (sh.First == OtherParity && off&1 != 1) {
				t.Fatalf("%s: port %d is not of the shape's first parity", spec, port)
			}
			if sh.Family == Uniform {
				continue
			}
			if prev >= 0 {
				d := off - prev
				if sh.Down {
					d = -d
				}
				if d = (d%sh.Ports + sh.Ports) % sh.Ports; d%step != 0 || d/step < 1 || d/step > sh.MaxAdvance {
					t.Fatalf("%s: %d → %d moved %d ports; the shape says %d to %d steps of %d", spec, prev, off, d, 1, sh.MaxAdvance, step)
				}
				most = max(most, d/step)
			}
			prev = off
		}
		if sh.Family != Uniform && 2*most <= sh.MaxAdvance {
			t.Errorf("%s: at most %d steps per pick in 300; the shape says up to %d", spec, most, sh.MaxAdvance)
		}
	}
}

// A Linux host's specs: the linux profile's, UDP sized to the kernel's
// hash table when it is a size linux-udp takes other than its default.
func TestLinuxSpecs(t *testing.T) {
	for _, c := range []struct {
		entries int
		udp     string
	}{
		{0, "linux-udp"},
		{4096, "linux-udp"},
		{16384, "linux-udp:hash-size=16384"},
		{1, "linux-udp:hash-size=1"},
		{65536, "linux-udp:hash-size=65536"},
		{3000, "linux-udp"},
		{1 << 17, "linux-udp"},
		{-256, "linux-udp"},
	} {
		want := [3]string{allocator.Connect: "linux", allocator.Bind: "linux-bind", allocator.UDP: c.udp}
		if got := LinuxSpecs(c.entries); got != want {
			t.Errorf("LinuxSpecs(%d) = %q; want %q", c.entries, got, want)
		}
	}
}
