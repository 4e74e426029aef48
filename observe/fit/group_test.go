package fit

import (
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/portsim/portsim/observe/capture"
)

// groupAttempts keeps a host whose attempts are together as a range and
// indexes the others, notes which are out of time order, filters, and
// orders the groups by address, then protocol.
func TestGroupAttempts(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	a := netip.MustParseAddr("10.0.0.2")
	b := netip.MustParseAddr("10.0.0.1")
	dst := netip.MustParseAddr("192.0.2.1")
	at := func(src netip.Addr, proto capture.Proto, sec int) capture.Attempt {
		return capture.Attempt{Time: t0.Add(time.Duration(sec) * time.Second), Proto: proto, Src: src, Dst: dst, SrcPort: uint16(sec), DstPort: 53}
	}
	atts := capture.NewAttempts([]capture.Attempt{
		at(a, capture.TCP, 0), at(a, capture.TCP, 1), at(a, capture.TCP, 2), // together, in order
		at(b, capture.UDP, 5), at(b, capture.TCP, 3), at(b, capture.UDP, 4), // b/udp apart and out of order
		at(a, capture.UDP, 6), at(b, capture.UDP, 7),
	})
	type view struct {
		host   string
		proto  capture.Proto
		idx    []int32
		lo, n  int
		sorted bool
	}
	views := func(gs []*hostGroup) []view {
		var out []view
		for _, g := range gs {
			v := view{host: atts.Addr(g.src).String(), proto: g.proto, idx: g.idx, n: g.n, sorted: g.sorted}
			if g.idx == nil {
				v.lo = g.lo
			}
			out = append(out, v)
		}
		return out
	}
	for _, c := range []struct {
		name  string
		host  netip.Addr
		proto capture.Proto
		want  []view
	}{
		{"all", netip.Addr{}, 0, []view{
			{host: "10.0.0.1", proto: capture.TCP, lo: 4, n: 1, sorted: true},
			{host: "10.0.0.1", proto: capture.UDP, idx: []int32{3, 5, 7}, n: 3},
			{host: "10.0.0.2", proto: capture.TCP, lo: 0, n: 3, sorted: true},
			{host: "10.0.0.2", proto: capture.UDP, lo: 6, n: 1, sorted: true},
		}},
		{"one host", b, 0, []view{
			{host: "10.0.0.1", proto: capture.TCP, lo: 4, n: 1, sorted: true},
			{host: "10.0.0.1", proto: capture.UDP, idx: []int32{3, 5, 7}, n: 3},
		}},
		{"one protocol", netip.Addr{}, capture.TCP, []view{
			{host: "10.0.0.1", proto: capture.TCP, lo: 4, n: 1, sorted: true},
			{host: "10.0.0.2", proto: capture.TCP, lo: 0, n: 3, sorted: true},
		}},
		{"no such host", netip.MustParseAddr("10.9.9.9"), 0, nil},
	} {
		if got := views(groupAttempts(atts, c.host, c.proto)); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, got, c.want)
		}
	}
}

// streamIDs numbers destinations in the order met, through its growing.
func TestStreamIDs(t *testing.T) {
	var s streamIDs
	for round := range 2 {
		for i := range 1000 {
			key := uint64(i*7919) << 16
			if id := s.id(key); id != int32(i) {
				t.Fatalf("round %d: key %d got id %d, want %d", round, i, id, i)
			}
		}
	}
	if s.n != 1000 {
		t.Errorf("%d ids, want 1000", s.n)
	}
}
