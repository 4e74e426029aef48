package strategies

import (
	"slices"
	"strings"
	"testing"
)

// Every real system's profile carries a SYN signature with sources, in
// p0f's words; the simulators carry none.
func TestStacks(t *testing.T) {
	words := []string{"mss", "nop", "ws", "sok", "ts", "eol+1"}
	for _, p := range Profiles() {
		s := p.Stack
		simulator := p.Name == "ns3" || p.Name == "omnet-inet"
		if s.Known() == simulator {
			t.Errorf("%s: stack known = %v", p.Name, s.Known())
		}
		if !s.Known() {
			continue
		}
		if len(s.Sources) == 0 {
			t.Errorf("%s: stack without sources", p.Name)
		}
		if s.TTL != 64 && s.TTL != 128 && s.TTL != 255 {
			t.Errorf("%s: initial TTL %d", p.Name, s.TTL)
		}
		if s.Options == "" {
			continue // the TTL alone (NetBSD)
		}
		opts := strings.Split(s.Options, ",")
		for _, o := range opts {
			if !slices.Contains(words, o) {
				t.Errorf("%s: option %q in %q is not one of %v", p.Name, o, s.Options, words)
			}
		}
		if hasWS := slices.Contains(opts, "ws"); hasWS != (s.WScale >= 0) {
			t.Errorf("%s: options %q but window scale %d", p.Name, s.Options, s.WScale)
		}
		if (s.Window == 0) == (s.WindowMSS == 0) || s.MSS == 0 {
			t.Errorf("%s: window %d, window mss*%d, mss %d: want one window and an MSS", p.Name, s.Window, s.WindowMSS, s.MSS)
		}
	}
}

func TestStackWindowAndString(t *testing.T) {
	for _, c := range []struct {
		s         Stack
		mss, want uint16
		str       string
	}{
		{linuxStack, 1460, 64240, "ttl 64 df win mss*44 mss 1460 ws 7 mss,sok,ts,nop,ws"},
		{linuxStack, 1500, 65535, "ttl 64 df win mss*44 mss 1460 ws 7 mss,sok,ts,nop,ws"},
		{windowsXPStack, 1460, 65535, "ttl 128 df win 65535 mss 1460 mss,nop,nop,sok"},
		{netbsdStack, 1460, 0, "ttl 64"},
		{Stack{}, 1460, 0, "no signature"},
	} {
		if got := c.s.WindowFor(c.mss); got != c.want {
			t.Errorf("%v: window for mss %d = %d; want %d", c.s, c.mss, got, c.want)
		}
		if got := c.s.String(); got != c.str {
			t.Errorf("String() = %q; want %q", got, c.str)
		}
	}
}
