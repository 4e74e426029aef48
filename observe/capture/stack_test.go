package capture

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

// synOpts is a SYN with window win and the TCP options opts (padded to 4
// bytes with zeros, which read as EOL).
func synOpts(sport, dport uint16, seq uint32, win uint16, opts []byte) []byte {
	b := tcpSeg(sport, dport, seq, fSYN)
	binary.BigEndian.PutUint16(b[14:], win)
	b = append(b, opts...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	b[12] = byte(len(b)/4) << 4
	return b
}

// withIP sets an IPv4 packet's TTL, flags (DF) and identification, and
// its header checksum anew.
func withIP(p []byte, ttl uint8, df bool, id uint16) []byte {
	p[8] = ttl
	p[6] &^= 0x40
	if df {
		p[6] |= 0x40
	}
	binary.BigEndian.PutUint16(p[4:], id)
	p[10], p[11] = 0, 0
	binary.BigEndian.PutUint16(p[10:], ^csumFold(csum(0, p[:20])))
	return p
}

// Option bytes as stacks write them.
var (
	oMSS1460 = []byte{2, 4, 0x05, 0xb4}
	oWS8     = []byte{3, 3, 8}
	oSOK     = []byte{4, 2}
	oTS      = []byte{8, 10, 0, 0, 0, 1, 0, 0, 0, 0}
	oNOP     = []byte{1}
)

func TestStack(t *testing.T) {
	v4 := func(seg []byte, ttl uint8, df bool, id uint16) []byte {
		return withIP(capIPv4("10.0.0.1", "10.0.0.2", 6, nil, 0, seg), ttl, df, id)
	}
	for _, tc := range []struct {
		name   string
		pkt    []byte
		want   Stack
		wantID uint16
		none   bool // no stack known
	}{
		{"linux", v4(synOpts(1, 2, 3, 64240, capCat(oMSS1460, oSOK, oTS, oNOP, oWS8)), 61, true, 0x1234),
			Stack{TTL: 61, DF: true, Window: 64240, MSS: 1460, WScale: 8, Options: "mss,sok,ts,nop,ws"}, 0x1234, false},
		{"windows", v4(synOpts(1, 2, 3, 64240, capCat(oMSS1460, oNOP, oWS8, oNOP, oNOP, oSOK)), 128, true, 7),
			Stack{TTL: 128, DF: true, Window: 64240, MSS: 1460, WScale: 8, Options: "mss,nop,ws,nop,nop,sok"}, 7, false},
		{"macos eol+1", v4(synOpts(1, 2, 3, 65535, capCat(oMSS1460, oNOP, []byte{3, 3, 6}, oNOP, oNOP, oTS, oSOK, []byte{0})), 64, true, 0),
			Stack{TTL: 64, DF: true, Window: 65535, MSS: 1460, WScale: 6, Options: "mss,nop,ws,nop,nop,ts,sok,eol+1"}, 0, false},
		{"no options, no df", v4(synOpts(1, 2, 3, 8192, nil), 255, false, 1),
			Stack{TTL: 255, Window: 8192, WScale: -1}, 1, false},
		{"unknown kinds and sack", v4(synOpts(1, 2, 3, 1, capCat([]byte{30, 4, 0, 0}, []byte{5, 10, 0, 0, 0, 0, 0, 0, 0, 0}, []byte{254, 2})), 1, false, 0),
			Stack{TTL: 1, Window: 1, WScale: -1, Options: "?30,sack,?254"}, 0, false},
		{"option length past the end", v4(synOpts(1, 2, 3, 1, capCat(oMSS1460, []byte{30, 9, 0, 0})), 64, false, 0),
			Stack{TTL: 64, Window: 1, MSS: 1460, WScale: -1, Options: "mss,bad"}, 0, false},
		{"option length 1", v4(synOpts(1, 2, 3, 1, []byte{30, 1, 0, 0}), 64, false, 0),
			Stack{TTL: 64, Window: 1, WScale: -1, Options: "bad"}, 0, false},
		{"mss of the wrong length", v4(synOpts(1, 2, 3, 1, []byte{2, 3, 1, 1}), 64, false, 0),
			Stack{TTL: 64, Window: 1, WScale: -1, Options: "bad"}, 0, false},
		{"ipv6 hop limit", capIPv6("::1", "::2", 6, synOpts(1, 2, 3, 65535, capCat(oMSS1460, oNOP, oWS8))),
			Stack{TTL: 64, Window: 65535, MSS: 1460, WScale: 8, Options: "mss,nop,ws"}, 0, false},
		{"udp", withIP(capIPv4("10.0.0.1", "10.0.0.2", 17, nil, 0, udpDgram(1, 2, "x")), 128, false, 99),
			Stack{TTL: 128, WScale: -1}, 99, false},
		{"tcp header cut in its options", v4(synOpts(1, 2, 3, 1, oMSS1460), 64, true, 5)[:20+22], Stack{}, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Read(bytes.NewReader(pcapBytes(binary.LittleEndian, false, 101, capRecs(tc.pkt))), ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if c.Attempts.Len() != 1 {
				t.Fatalf("%d attempts, want 1\n%s", c.Attempts.Len(), capSummary(c))
			}
			got, ok := c.Attempts.Stack(0)
			if ok == tc.none || got != tc.want {
				t.Errorf("stack %+v, %v; want %+v, %v", got, ok, tc.want, !tc.none)
			}
			if id := c.Attempts.IPID(0); id != tc.wantID {
				t.Errorf("IP ID %d, want %d", id, tc.wantID)
			}
			a := c.Attempts.Attempt(0)
			if a.Stack != tc.want || a.HasStack != !tc.none || a.IPID != tc.wantID {
				t.Errorf("Attempt has stack %+v, %v, IP ID %d", a.Stack, a.HasStack, a.IPID)
			}
		})
	}
}

// The shapes of a capture are kept once each, whatever the IP IDs and
// timestamps.
func TestStackInterned(t *testing.T) {
	var pkts [][]byte
	for i := range 100 {
		ts := bytes.Clone(oTS)
		binary.BigEndian.PutUint32(ts[2:], uint32(i*7919))
		ttl := uint8(64)
		if i%3 == 0 {
			ttl = 128
		}
		pkts = append(pkts, withIP(capIPv4("10.0.0.1", "10.0.0.2", 6, nil, 0, synOpts(uint16(1000+i), 443, uint32(i), 64240, capCat(oMSS1460, oSOK, ts, oNOP, oWS8))), ttl, true, uint16(i)))
	}
	c, err := Read(bytes.NewReader(pcapBytes(binary.LittleEndian, false, 101, capRecs(pkts...))), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Attempts.Len() != 100 || c.Attempts.Stacks() != 2 {
		t.Fatalf("%d attempts, %d shapes; want 100, 2", c.Attempts.Len(), c.Attempts.Stacks())
	}
	for i := range 100 {
		s, _ := c.Attempts.Stack(i)
		if want := uint8(64 + 64*btoi(i%3 == 0)); s.TTL != want || c.Attempts.IPID(i) != uint16(i) {
			t.Errorf("attempt %d: TTL %d, IP ID %d; want %d, %d", i, s.TTL, c.Attempts.IPID(i), want, i)
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Past 65535 shapes, attempts keep no stack, and the capture says how many.
func TestStackOverflow(t *testing.T) {
	var a Attempts
	at := Attempt{Time: capT0, Proto: TCP, Src: capAddr("10.0.0.1"), Dst: capAddr("10.0.0.2"), HasStack: true, IPID: 1}
	for i := range maxShapes + 1 {
		at.Stack = Stack{TTL: uint8(i), Window: uint16(i >> 8), WScale: -1}
		a.Append(at)
	}
	if _, ok := a.Stack(maxShapes - 1); !ok {
		t.Error("shape 65535 was dropped")
	}
	if _, ok := a.Stack(maxShapes); ok || a.IPID(maxShapes) != 0 || a.Stacks() != maxShapes {
		t.Errorf("shape 65536 kept (IP ID %d, %d shapes)", a.IPID(maxShapes), a.Stacks())
	}

	d := newDecoder(ReadOptions{MaxAttempts: DefaultMaxAttempts, MaxFlows: 64})
	d.c.Attempts = &a
	f := frame{stack: true, k: shape{ttl: 1, win: 1000, ws: -1}}
	if d.stackWord(&f) != 0 || d.c.ShapeOverflow != 1 {
		t.Errorf("a new shape past the limit: overflow %d, want 1", d.c.ShapeOverflow)
	}
}

func TestStackOptionsParse(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
	}{
		{"", "", ""},
		{"mss,nop,ws,nop,nop,ts,sok,eol+1", "mss,nop,ws,nop,nop,ts,sok,eol+1", ""},
		{" MSS , Nop,WS,eol", "mss,nop,ws,eol+0", ""},
		{"2,1,3,1,1,4,8", "mss,nop,ws,nop,nop,sok,ts", ""},
		{"?30,sack,254,0", "?30,sack,?254,eol+0", ""},
		{"mss,bad", "mss,bad", ""},
		{"bad,mss", "", "bad must come last"},
		{"eol+1,mss", "", "eol must come last"},
		{"eol+40", "", "want eol+0 to eol+39"},
		{"?0", "", "write eol+N"},
		{"timestamp", "", `"timestamp" is not an option`},
		{"?", "", `"?" is not an option`},
		{"256", "", `"256" is not an option`},
		{"mss,,ws", "", `"" is not an option`},
		{strings.Repeat("nop,", 41) + "nop", "", "more than 40 options"},
	} {
		var k shape
		err := k.parseOptions(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "want a comma-separated list") {
				t.Errorf("%q: error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		k.ws = -1
		if got := k.stack().Options; got != tc.want {
			t.Errorf("%q reads as %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestStackString(t *testing.T) {
	s := Stack{TTL: 64, DF: true, Window: 64240, MSS: 1460, WScale: 7, Options: "mss,sok,ts,nop,ws"}
	if got, want := s.String(), "ttl 64 df win 64240 mss 1460 ws 7 mss,sok,ts,nop,ws"; got != want {
		t.Errorf("String %q, want %q", got, want)
	}
	if !s.Timestamps() || (Stack{Options: "mss,tsx"}).Timestamps() {
		t.Error("Timestamps")
	}
	if got, want := (Stack{TTL: 128, WScale: -1}).String(), "ttl 128 win 0"; got != want {
		t.Errorf("String %q, want %q", got, want)
	}
}
