package attack

import (
	"context"
	"testing"
	"time"

	"github.com/portsim/portsim/sim"
)

func browser(t testing.TB, specs ...string) sim.Scenario {
	t.Helper()
	sc, err := sim.PresetScenario("browser")
	if err != nil {
		t.Fatal(err)
	}
	sc.Strategies = specs
	return sc
}

// The paper's result: Linux 5.12's 256 counters give a web page a device
// ID — the same on the next visit, another device's different — within
// 20,000 connections, for nearly every device.
func TestTrackingFindsLinux512(t *testing.T) {
	res, err := Run(context.Background(), Tracking, browser(t, "profile:linux-5.12"), with(func(c *Config) { c.Seeds = 20; c.Budget = 20_000 }))
	if err != nil {
		t.Fatal(err)
	}
	r := res.Results[0]
	if *r.Success < 0.9 {
		t.Errorf("success %v of 20 devices; want at least 90%% stable, device-distinct IDs within 20,000 connections", *r.Success)
	}
	if *r.IDMoved < 0.9 {
		t.Errorf("the ID survived a move to another network on %v of the devices; want at least 90%% (loopback hashes do not include the network's address)", *r.IDMoved)
	}
	if r.Counters != 256 || *r.Connections > 20_000 {
		t.Errorf("counters %d, median connections %d; want 256 and at most 20,000", r.Counters, *r.Connections)
	}
}

// Linux 6.x (2^16 counters, random increments, 10 s re-salt) gives no ID
// within 100,000 connections.
func TestTrackingFailsLinux(t *testing.T) {
	res, err := Run(context.Background(), Tracking, browser(t, "profile:linux"), with(func(c *Config) { c.Seeds = 3; c.Budget = 100_000 }))
	if err != nil {
		t.Fatal(err)
	}
	if r := res.Results[0]; *r.Found != 0 || r.Connections != nil {
		t.Errorf("found an ID on %v of the devices; want none within 100,000 connections", *r.Found)
	}
}

// An ID found just before a re-salt does not survive it: the page that
// comes back right after the epoch turns finds another, while without the
// re-salt it finds the same.
func TestTrackingResaltForgets(t *testing.T) {
	for _, tt := range []struct {
		spec string
		same bool
	}{
		{"linux:table-order=8,increments=off,resalt=10s", false},
		{"linux:table-order=8,increments=off,resalt=0", true},
	} {
		sc := browser(t, tt.spec)
		v, err := device(sc, tt.spec, play(sc.Seed, "victim", 0))
		if err != nil {
			t.Fatal(err)
		}
		c := with(func(c *Config) { c.Rate = 10_000; c.Budget = 100_000 })
		a := newTracker(context.Background(), v, c, false)
		start := 60 * time.Second // an epoch starts
		id1, ok1 := a.visit(start, sc.Srcs[0])
		end := a.now()
		if !ok1 || end >= start+10*time.Second {
			t.Fatalf("%s: first visit found %v, ended at %v; want an ID within the epoch, before 70s", tt.spec, ok1, end)
		}
		id2, ok2 := a.visit(start+10*time.Second, sc.Srcs[0]) // the next epoch
		if !ok2 || (id1 == id2) != tt.same {
			t.Errorf("%s: ID %q before the epoch's end, %q (found %v) after; want same %v", tt.spec, id1, id2, ok2, tt.same)
		}
		v.Close()
	}
}

func TestIDOf(t *testing.T) {
	for _, tt := range []struct {
		owner []int
		want  string
	}{
		{[]int{0, 1, 2, 3}, "none"},
		{[]int{5, 1, 5, -1, 1, -1, 7}, "(0,2)(1,4)(3,5)"},
		{[]int{2, 2, 2}, "(0,1,2)"},
		{[]int{9, 4, 4, 9}, "(0,3)(1,2)"}, // groups by first member, whatever the witnesses' order
		{nil, "none"},
	} {
		if got := idOf(tt.owner); got != tt.want {
			t.Errorf("idOf(%v) = %q; want %q", tt.owner, got, tt.want)
		}
	}
}

func TestLoopbacks(t *testing.T) {
	for _, tt := range []struct{ counters, pairs, want int }{
		{256, 8, 64}, // the paper's prototype: 64 destinations, about 8 pairs
		{65536, 8, 1024},
		{1, 8, 4},
		{1, 1, 2},
	} {
		if got := loopbacks(tt.counters, tt.pairs); got != tt.want {
			t.Errorf("loopbacks(%d, %d) = %d; want %d", tt.counters, tt.pairs, got, tt.want)
		}
	}
}

// The attacker reads the shape: Linux 5.12 is 256 counters moved 2 ports
// exactly; 6.x moves them 2 to 16 ports; a cursor is one counter.
func TestModelOf(t *testing.T) {
	for _, tt := range []struct {
		spec               string
		counters, step, mx int
		resalt             time.Duration
	}{
		{"profile:linux-5.12", 256, 2, 1, 0},
		{"profile:linux", 65536, 2, 8, 10 * time.Second},
		{"profile:linux-4", 1, 2, 1, 0},
		{"profile:macos", 1, 1, 1, 0},
		{"random", 1, 1, 1, 0},
		{"double-hash", 10, 1, 1, 0},
	} {
		sc := browser(t, tt.spec)
		v, err := device(sc, tt.spec, play(1, "victim", 0))
		if err != nil {
			t.Fatal(err)
		}
		m := modelOf(v.strategy(0), v.host.Config.Range)
		v.Close()
		if m.counters != tt.counters || m.step != tt.step || m.maxAdvance != tt.mx || m.resalt != tt.resalt {
			t.Errorf("%s: counters %d, step %d, max advance %d, resalt %v; want %d, %d, %d, %v",
				tt.spec, m.counters, m.step, m.maxAdvance, m.resalt, tt.counters, tt.step, tt.mx, tt.resalt)
		}
	}
}

func TestAdvance(t *testing.T) {
	m := model{lo: 32768, cycle: 28232, step: 2}
	for _, tt := range []struct {
		p, q uint16
		want int
	}{
		{40000, 40002, 1},
		{40000, 40000, 0},
		{60998, 32768 + 2, 2}, // wraps at the cycle
	} {
		if got := m.advance(tt.p, tt.q); got != tt.want {
			t.Errorf("advance(%d, %d) = %d; want %d", tt.p, tt.q, got, tt.want)
		}
	}
	down := model{cycle: 100, step: 1, down: true}
	if got := down.advance(50, 49); got != 1 {
		t.Errorf("a cursor counting down: advance(50, 49) = %d; want 1", got)
	}
}

func TestAutoBudget(t *testing.T) {
	for _, tt := range []struct {
		m    model
		rate float64
		want int
	}{
		{model{counters: 256}, 1000, 100_000},
		{model{counters: 65536}, 1000, 13_107_200},
		{model{counters: 65536, resalt: 10 * time.Second}, 1000, 100_000}, // ten epochs at 1000/s
		{model{counters: 65536, resalt: 10 * time.Second}, 50_000, 5_000_000},
		{model{counters: 1 << 20}, 1000, MaxBudget},
	} {
		if got := autoBudget(tt.m, tt.rate); got != tt.want {
			t.Errorf("autoBudget(%d counters, resalt %v, rate %v) = %d; want %d", tt.m.counters, tt.m.resalt, tt.rate, got, tt.want)
		}
	}
}

// with is DefaultConfig edited.
func with(edit func(c *Config)) Config {
	c := DefaultConfig()
	edit(&c)
	return c
}
