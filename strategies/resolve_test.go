package strategies

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/portsim/portsim/allocator"
)

// seedsFrom gives kind k the seed base+k and records the kinds asked.
func seedsFrom(base uint64, asked *[]allocator.Kind) func(allocator.Kind) uint64 {
	return func(k allocator.Kind) uint64 {
		*asked = append(*asked, k)
		return base + uint64(k)
	}
}

func TestResolve(t *testing.T) {
	linuxBase := allocator.DefaultConfig()
	own := linuxBase
	own.Range = allocator.Range{} // the strategy's own range
	macos, _ := LookupProfile("macos")
	ns3, _ := LookupProfile("ns3")
	for _, tc := range []struct {
		spec      string
		base      allocator.Config
		profile   string
		kind      allocator.Kind
		specs     [3]string
		shared    [3]bool // kind k uses kind k-1's instance
		asked     string  // the kinds seeds was asked for
		config    allocator.Config
		exclusive bool
	}{
		{spec: "sequential", base: linuxBase, specs: [3]string{"sequential", "sequential", "sequential"},
			asked: "connect,bind,udp", config: linuxBase},
		{spec: "random:", base: own, specs: [3]string{"random:", "random:", "random:"},
			asked: "connect,bind,udp", config: withRange(own, allocator.DynamicRange)},
		{spec: "linux:table-order=8", base: own, specs: [3]string{"linux:table-order=8", "linux-bind", "linux-udp"},
			asked: "connect,bind,udp", config: withRange(own, allocator.LinuxRange)},
		{spec: "linux-udp:hash-size=256", base: linuxBase, kind: allocator.UDP,
			specs: [3]string{"linux", "linux-bind", "linux-udp:hash-size=256"}, asked: "connect,bind,udp", config: linuxBase},
		{spec: "profile:macos", base: linuxBase, profile: "macos", specs: [3]string{"sequential", "sequential", "random"},
			shared: [3]bool{false, true, false}, asked: "connect,udp", config: macos.Config()},
		{spec: "profile:ns3", base: own, profile: "ns3", specs: [3]string{"sequential:start=49153", "sequential:start=49153", "sequential:start=49153"},
			shared: [3]bool{false, true, true}, asked: "connect", config: ns3.Config(), exclusive: true},
		{spec: "profile:netbsd:algo=hash", base: own, profile: "netbsd", specs: [3]string{"hashed", "hashed", "hashed"},
			shared: [3]bool{false, true, true}, asked: "connect", config: withRange(allocator.Config{TimeWait: 60e9}, allocator.DynamicRange)},
		{spec: "profile:linux", base: own, profile: "linux", specs: [3]string{"linux", "linux-bind", "linux-udp"},
			asked: "connect,bind,udp", config: withRange(linuxBase, allocator.LinuxRange)},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			var asked []allocator.Kind
			h, err := Resolve(tc.spec, seedsFrom(100, &asked), tc.base)
			if err != nil {
				t.Fatal(err)
			}
			if got := kindList(asked); got != tc.asked {
				t.Errorf("seeds asked for %s; want %s", got, tc.asked)
			}
			if (h.Profile == nil) != (tc.profile == "") || h.Profile != nil && h.Profile.Name != tc.profile {
				t.Errorf("Profile = %v; want %q", h.Profile, tc.profile)
			}
			if h.Kind != tc.kind || h.Specs != tc.specs || h.ExclusiveConnect != tc.exclusive {
				t.Errorf("Kind %v, Specs %q, ExclusiveConnect %v; want %v, %q, %v", h.Kind, h.Specs, h.ExclusiveConnect, tc.kind, tc.specs, tc.exclusive)
			}
			if !sameConfig(h.Config, tc.config) {
				t.Errorf("Config = %+v; want %+v", h.Config, tc.config)
			}
			// Each instance is New(its spec, the seed of the first kind it
			// serves): it picks what a fresh one does.
			for k := allocator.Connect; k <= allocator.UDP; k++ {
				if h.Info(k).Name != specName(tc.specs[k]) {
					t.Errorf("Info(%v) = %s; want %s", k, h.Info(k).Name, specName(tc.specs[k]))
				}
				if shared := k > 0 && h.Strategies[k] == h.Strategies[k-1]; shared != tc.shared[k] {
					t.Errorf("%v shares %v's instance: %v; want %v", k, k-1, shared, tc.shared[k])
				}
				if tc.shared[k] {
					continue
				}
				fresh, err := New(tc.specs[k], 100+uint64(k))
				if err != nil {
					t.Fatal(err)
				}
				if got, want := pickOnce(t, h.Strategies[k], k), pickOnce(t, fresh, k); got != want {
					t.Errorf("%v: picked %d; New(%q, %d) picks %d", k, got, tc.specs[k], 100+k, want)
				}
			}
			wantServe := allocator.Connect
			if tc.exclusive {
				wantServe = allocator.Bind
			}
			if h.Serve(allocator.Connect) != wantServe || h.Serve(allocator.UDP) != allocator.UDP {
				t.Errorf("Serve(connect) = %v, Serve(udp) = %v; want %v, udp", h.Serve(allocator.Connect), h.Serve(allocator.UDP), wantServe)
			}
		})
	}
}

func TestResolveErrors(t *testing.T) {
	for spec, want := range map[string]string{
		"nosuch":                   `unknown strategy "nosuch"; want one of sequential, random`,
		"linux:table-order=99":     "strategy linux: table-order",
		"linux-udp:hash-size=3":    "strategy linux-udp: hash-size",
		"profile:solaris":          `unknown profile "solaris"; want one of linux`,
		"profile:netbsd:algo=fast": `algo="fast"`,
		"profile:":                 `unknown profile ""`,
		"":                         `unknown strategy ""`,
	} {
		h, err := Resolve(spec, func(allocator.Kind) uint64 { return 1 }, allocator.DefaultConfig())
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Resolve(%q) = %v, %v; want an error with %q", spec, h, err, want)
		}
	}
}

func withRange(c allocator.Config, r allocator.Range) allocator.Config {
	c.Range = r
	return c
}

func sameConfig(a, b allocator.Config) bool {
	return a.Range == b.Range && allocator.FormatRanges(a.Reserved) == allocator.FormatRanges(b.Reserved) &&
		a.TimeWait == b.TimeWait && a.TWReuse == b.TWReuse && a.TWReuseDelay == b.TWReuseDelay
}

func kindList(ks []allocator.Kind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = k.String()
	}
	return strings.Join(s, ",")
}

// pickOnce is the first port s picks for a kind-k request with every port
// free.
func pickOnce(t *testing.T, s allocator.Strategy, k allocator.Kind) uint16 {
	t.Helper()
	r := &allocator.Request{Kind: k, Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddrPort("192.0.2.1:443"),
		Lo: allocator.LinuxRange.Lo, Hi: allocator.LinuxRange.Hi}
	p, _, err := s.Pick(r, func(uint16) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// CheckKinds: a strategy modelling one kernel path serves its own kind
// only; every other spec serves any mix.
func TestCheckKinds(t *testing.T) {
	c, b, u := allocator.Connect, allocator.Bind, allocator.UDP
	for _, tc := range []struct {
		spec  string
		kinds []allocator.Kind
		want  string // "" for no error
	}{
		{"linux-bind", []allocator.Kind{b}, ""},
		{"linux-bind", []allocator.Kind{c}, "linux-bind serves bind requests only, not connect; want kind bind for it, or strategy linux"},
		{"linux-bind:x=1", []allocator.Kind{b, u}, "not udp"},
		{"linux-udp", []allocator.Kind{u}, ""},
		{"linux-udp:hash-size=1", []allocator.Kind{c, u}, "linux-udp serves udp requests only, not connect"},
		{"linux", []allocator.Kind{c, b, u}, ""},
		{"random", []allocator.Kind{b, u}, ""},
		{"profile:linux", []allocator.Kind{b, u}, ""},
		{"nope", []allocator.Kind{b}, ""}, // unknown names are Validate's to refuse
	} {
		err := CheckKinds(tc.spec, tc.kinds)
		if (err == nil) != (tc.want == "") || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckKinds(%q, %v) = %v; want %q", tc.spec, tc.kinds, err, tc.want)
		}
	}
}
