package fit_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/portsim/portsim/observe/capture"
	"github.com/portsim/portsim/observe/fit"
)

// Which attempts count as the kernel's choices, and which are left out.
func TestLeftOut(t *testing.T) {
	src := netip.MustParseAddr("10.0.0.7")
	t0 := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	type att struct {
		sec   float64
		proto capture.Proto
		sport uint16
		dst   int // 192.0.2.dst, port 53
	}
	for _, c := range []struct {
		name string
		atts []att
		want map[string]int // reason: attempts
	}{
		{"system ports", []att{{0, capture.UDP, 68, 1}, {1, capture.TCP, 1023, 1}, {2, capture.TCP, 1024, 1}}, map[string]int{"system port": 2}},
		{"an application port towards three destinations", []att{
			{0, capture.UDP, 6881, 1}, {1, capture.UDP, 6881, 2}, {2, capture.UDP, 6881, 3}, {3, capture.UDP, 6881, 4}, {4, capture.UDP, 6881, 5},
			{5, capture.UDP, 40001, 1}, {6, capture.UDP, 40002, 1},
		}, map[string]int{"application port": 5}},
		{"a heavy port towards two destinations only is the kernel's", []att{
			{0, capture.TCP, 50000, 1}, {1, capture.TCP, 50000, 2}, {2, capture.TCP, 50000, 1}, {3, capture.TCP, 50000, 2}, {4, capture.TCP, 50000, 1},
		}, map[string]int{}},
		{"a UDP socket asking its second server", []att{{0, capture.UDP, 40000, 1}, {0.001, capture.UDP, 40000, 2}, {5, capture.UDP, 40100, 1}}, map[string]int{"reused socket": 1}},
		{"the same port much later is a new choice", []att{{0, capture.UDP, 40000, 1}, {60, capture.UDP, 40000, 2}}, map[string]int{}},
		{"the same port after others in between is a new choice", []att{
			{0, capture.UDP, 40000, 1}, {1, capture.UDP, 40001, 3}, {2, capture.UDP, 40002, 3}, {3, capture.UDP, 40003, 3}, {4, capture.UDP, 40004, 3}, {5, capture.UDP, 40000, 2},
		}, map[string]int{}},
		{"TCP shares ports across destinations", []att{{0, capture.TCP, 40000, 1}, {0.001, capture.TCP, 40000, 2}}, map[string]int{}},
	} {
		var as []capture.Attempt
		for _, a := range c.atts {
			as = append(as, capture.Attempt{Time: t0.Add(time.Duration(a.sec * float64(time.Second))), Proto: a.proto, Src: src,
				SrcPort: a.sport, Dst: netip.AddrFrom4([4]byte{192, 0, 2, byte(a.dst)}), DstPort: 53})
		}
		got := map[string]int{}
		total := 0
		for _, r := range fit.Analyze(capture.NewAttempts(as), fit.AnalyzeOptions{}) {
			for _, l := range r.LeftOut {
				got[l.Reason] += l.Attempts
				total += l.Attempts
			}
			total += r.Count
		}
		if total != len(as) {
			t.Errorf("%s: %d attempts counted or left out; want %d", c.name, total, len(as))
		}
		if len(got) != len(c.want) {
			t.Errorf("%s: left out %v; want %v", c.name, got, c.want)
			continue
		}
		for k, v := range c.want {
			if got[k] != v {
				t.Errorf("%s: left out %v; want %v", c.name, got, c.want)
			}
		}
	}
}
