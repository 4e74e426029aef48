package fit

import (
	"testing"

	"github.com/portsim/portsim/strategies"
)

func TestInitialTTL(t *testing.T) {
	for _, c := range []struct{ seen, want uint8 }{
		{1, 32}, {32, 32}, {33, 64}, {57, 64}, {64, 64}, {65, 128}, {117, 128}, {128, 128}, {129, 255}, {255, 255},
	} {
		if got := initialTTL(c.seen); got != c.want {
			t.Errorf("initialTTL(%d) = %d; want %d", c.seen, got, c.want)
		}
	}
}

func TestIPIDBehaviour(t *testing.T) {
	for _, c := range []struct {
		ids  []uint16
		want string
	}{
		{[]uint16{1, 2, 3}, ""},
		{[]uint16{0, 0, 0, 0, 0}, "zero"},
		{[]uint16{65530, 65533, 2, 9, 40, 41}, "incrementing"},
		{[]uint16{9000, 17, 40000, 300, 52000, 7}, "varied"},
	} {
		if got := ipidBehaviour(c.ids); got != c.want {
			t.Errorf("%v: %q; want %q", c.ids, got, c.want)
		}
	}
}

func TestSameOrder(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"mss,nop,ws,nop,nop,sok", "mss,nop,ws,nop,nop,sok", true},
		{"mss,nop,nop,sok", "mss,nop,ws,nop,nop,sok", true},             // Windows without window scaling
		{"mss,nop,nop,sok,nop,ws", "mss,sok,ts,nop,ws", true},           // Linux without timestamps
		{"mss,nop,ws,nop,nop,ts,sok,eol+1", "mss,sok,ts,nop,ws", false}, // macOS against Linux
		{"mss", "mss,sok,ts,nop,ws", false},                             // a lone MSS tells nothing
		{"", "mss", false},
	} {
		if got := sameOrder(c.a, c.b); got != c.want {
			t.Errorf("sameOrder(%q, %q) = %v; want %v", c.a, c.b, got, c.want)
		}
	}
}

// A host's stack weighs most for the profile whose signature it is, and
// the weights order the rest as the features they share.
func TestStackWeight(t *testing.T) {
	profile := func(name string) strategies.Stack {
		p, err := strategies.LookupProfile(name)
		if err != nil {
			t.Fatal(err)
		}
		return p.Stack
	}
	win := &HostStack{TTL: 118, InitialTTL: 128, DF: true, Window: 8192, MSS: 1460, WScale: 8, Options: "mss,nop,ws,nop,nop,sok", tcp: true}
	for _, c := range []struct {
		profile string
		want    float64
		layout  string
	}{
		{"windows", 1, "exact"},
		{"windows-xp", wLayoutOrder * wWindowMiss * wScaleMiss, "order"},
		{"macos", wTTLMiss * wLayoutOrder * wWindowMiss * wScaleMiss, "order"}, // macOS's with timestamps off
		{"linux", wTTLMiss * wLayoutMiss * wWindowMiss * wScaleMiss, "different"},
		{"netbsd", wTTLMiss * wDFUnknown * wLayoutUnknown * wWindowUnknown * wScaleUnknown, "unknown"},
		{"ns3", wTTLUnknown * wDFUnknown * wLayoutUnknown * wWindowUnknown * wScaleUnknown, "unknown"},
	} {
		w, layout := stackWeight(profile(c.profile), win)
		if layout != c.layout || (w-c.want)/c.want > 1e-12 || (c.want-w)/c.want > 1e-12 {
			t.Errorf("%s: weight %g (%s); want %g (%s)", c.profile, w, layout, c.want, c.layout)
		}
	}
	// UDP: the IP fields alone.
	udp := &HostStack{TTL: 60, InitialTTL: 64, DF: true, WScale: -1}
	if w, _ := stackWeight(profile("linux"), udp); w != 1 {
		t.Errorf("linux for a UDP host with TTL 64 and DF: %g; want 1", w)
	}
	if w, _ := stackWeight(profile("windows"), udp); w != wTTLMiss {
		t.Errorf("windows for a UDP host with TTL 64: %g; want %g", w, wTTLMiss)
	}
}
