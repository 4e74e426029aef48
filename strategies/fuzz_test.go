package strategies

import (
	"testing"
	"time"

	"github.com/portsim/portsim/allocator"
)

// FuzzResolve: any strategy or profile spec resolves to a host whose rules
// validate and whose strategies pick in-range, unreserved, unused ports on
// a real table, or is refused with an error; nothing panics.
func FuzzResolve(f *testing.F) {
	for _, s := range []string{"linux", "linux:table-order=8,increments=off", "random", "sequential", "hashed",
		"profile:macos", "profile:netbsd:algo=randinc", "profile:windows", "profile:linux-6.8", "linux-bind", "linux-udp",
		"linux:table-order=99", "profile:", "profile:nope", "random:x=1", ":", "linux:table-order=", "linux:,", "profile:macos:",
		"double-hash:table-size=0", "random-increments:n=1e308"} {
		f.Add(s, uint64(1))
	}
	for _, name := range Names() {
		f.Add(name, uint64(2))
	}
	for _, name := range ProfileNames() {
		f.Add(ProfilePrefix+name, uint64(3))
	}
	f.Fuzz(func(t *testing.T, spec string, seed uint64) {
		base := allocator.Config{Range: allocator.Range{Lo: 40000, Hi: 40063}, Reserved: []allocator.Range{{Lo: 40010, Hi: 40019}}, TimeWait: time.Minute}
		h, err := Resolve(spec, func(k allocator.Kind) uint64 { return seed + uint64(k) }, base)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("%q: empty error", spec)
			}
			return
		}
		if err := h.Config.Validate(); err != nil {
			t.Fatalf("%q: rules that do not validate: %v", spec, err)
		}
		if h.Config.Range.Size() > 4096 { // a profile's own range: narrow it so the test stays quick
			h.Config.Range.Hi = h.Config.Range.Lo + 4095
		}
		tab, err := allocator.NewTable(h.Config)
		if err != nil {
			t.Fatalf("%q: %v", spec, err)
		}
		for k := range h.Strategies {
			kind := h.Serve(allocator.Kind(k))
			seen := map[uint16]bool{}
			for i := range 20 {
				r := testRequest(Info{Kind: kind}, 0, 0, time.Duration(i)*time.Millisecond)
				a, err := tab.Allocate(r, h.Strategies[k])
				if err != nil {
					continue
				}
				p := a.Conn.Port
				if !h.Config.Range.Contains(p) || tab.Reserved(p) || (kind != allocator.Connect && seen[p]) {
					t.Fatalf("%q, %v: port %d (range %v, reserved %v, repeated %v)", spec, kind, p, h.Config.Range, tab.Reserved(p), seen[p])
				}
				seen[p] = true
			}
		}
	})
}
