package capture

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strings"
	"testing"
	"time"
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
		{"2,1,3,1,1,8,4,0,0", "mss,nop,ws,nop,nop,ts,sok,eol+1", ""}, // tshark: a macOS SYN's EOL and its pad byte
		{"mss,eol,eol,eol", "mss,eol+2", ""},
		{"eol,mss,eol", "", "eol must come last"},
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
	if got, want := (Stack{TTL: 128, WScale: -1}).String(), "ttl 128"; got != want {
		t.Errorf("String %q, want %q", got, want)
	}
}

// Stacks as operating systems write them, and odd ones, for the writer.
var writeStacks = []Stack{
	{TTL: 64, DF: true, Window: 64240, MSS: 1460, WScale: 7, Options: "mss,sok,ts,nop,ws"},
	{TTL: 128, DF: true, Window: 64240, MSS: 1460, WScale: 8, Options: "mss,nop,ws,nop,nop,sok"},
	{TTL: 64, DF: true, Window: 65535, MSS: 1460, WScale: 6, Options: "mss,nop,ws,nop,nop,ts,sok,eol+1"},
	{TTL: 255, Window: 8192, WScale: -1},
	{TTL: 1, Window: 1, MSS: 0, WScale: 0, Options: "mss,ws,?30,sack,eol+0"},
	{TTL: 32, Window: 4, WScale: -1, Options: "nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop"},
}

// Attempts with stacks read back with them, as far as their packets carry
// them: a datagram has no TCP fields, IPv6 no DF or IP ID.
func TestWritePcapngStacks(t *testing.T) {
	var in []Attempt
	for i, s := range writeStacks {
		for j, fam := range [][2]string{{"10.0.0.1", "10.0.0.2"}, {"2001:db8::1", "2001:db8::2"}} {
			for _, p := range []Proto{TCP, UDP} {
				in = append(in, Attempt{Time: capT0.Add(time.Duration(len(in))), Proto: p, Src: capAddr(fam[0]), SrcPort: uint16(1000 + len(in)), Dst: capAddr(fam[1]), DstPort: 443,
					Stack: s, HasStack: true, IPID: uint16(i*100 + j)})
			}
		}
	}
	var buf bytes.Buffer
	if err := WritePcapng(&buf, in); err != nil {
		t.Fatal(err)
	}
	c, err := Read(&buf, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sameAttempts(t, all(c), pcapngView(in))
	for i, a := range in {
		checkSum(t, i, a, synthPacketOf(a, i))
	}
}

func synthPacketOf(a Attempt, i int) []byte {
	k, err := checkStack(a.Stack)
	if err != nil && a.Proto == TCP {
		panic(err)
	}
	return synthPacket(nil, a, isnHash(a, i), &k, a.IPID)
}

func TestPcapngWriterSetStack(t *testing.T) {
	linux := writeStacks[0]
	var in []Attempt
	for i := range 7 {
		src := []string{"10.0.0.1", "10.0.0.9", "2001:db8::1"}[i%3]
		dst := "10.0.0.2"
		if i%3 == 2 {
			dst = "2001:db8::2"
		}
		in = append(in, Attempt{Time: capT0.Add(time.Duration(i)), Proto: []Proto{TCP, UDP}[i%2], Src: capAddr(src), SrcPort: uint16(2000 + i), Dst: capAddr(dst), DstPort: 53})
	}
	in[6].Stack, in[6].HasStack, in[6].IPID = writeStacks[1], true, 77 // its own
	for _, mode := range []IPIDMode{IPIDRandom, IPIDIncrement, IPIDZero} {
		t.Run(mode.String(), func(t *testing.T) {
			var buf bytes.Buffer
			w, err := NewPcapngWriter(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.SetStack(linux, mode); err != nil {
				t.Fatal(err)
			}
			for _, a := range in {
				if err := w.Write(a); err != nil {
					t.Fatal(err)
				}
			}
			w.Flush()
			c, err := Read(&buf, ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			want := slices.Clone(in)
			for i := range want[:6] {
				want[i].Stack, want[i].HasStack = linux, true
			}
			got := all(c)
			for i := range got {
				want[i].IPID = got[i].IPID // checked below
			}
			sameAttempts(t, got, pcapngView(want))
			ids := make([]uint16, len(got))
			for i, a := range got {
				ids[i] = a.IPID
			}
			// 10.0.0.1 sends 0 and 3, 10.0.0.9 sends 1 and 4, the
			// IPv6 host has no IDs, and attempt 6 its own.
			if ids[2] != 0 || ids[5] != 0 || ids[6] != 77 {
				t.Errorf("IP IDs %v: want 0 for IPv6 and 77 for the attempt with its own", ids)
			}
			switch mode {
			case IPIDIncrement:
				if ids[3] != ids[0]+1 || ids[4] != ids[1]+1 || ids[0] == ids[1] {
					t.Errorf("IP IDs %v: want +1 per host, each host from a start of its own", ids)
				}
			case IPIDZero:
				if ids[0]|ids[1]|ids[3]|ids[4] != 0 {
					t.Errorf("IP IDs %v: want 0", ids)
				}
			case IPIDRandom:
				if ids[3] == ids[0]+1 || ids[0] == 0 {
					t.Errorf("IP IDs %v: want them random", ids)
				}
			}
		})
	}
}

func TestStackUnwritable(t *testing.T) {
	ok := Attempt{Time: capT0, Proto: TCP, Src: capAddr("10.0.0.1"), SrcPort: 1, Dst: capAddr("10.0.0.2"), DstPort: 2, HasStack: true}
	for _, tc := range []struct {
		s    Stack
		want string
	}{
		{Stack{WScale: 3, Options: "ws"}, `options "ws" take 3 bytes; want a multiple of 4 up to 40`},
		{Stack{WScale: -1, Options: strings.Repeat("ts,", 4) + "nop,nop,nop,nop"}, "take 44 bytes"},
		{Stack{WScale: -1, Options: "mss,bad"}, "bad cannot be written"},
		{Stack{WScale: -1, Options: "mss,nop,ws,nop"}, "window scale -1"},
		{Stack{WScale: 2, Options: "mss"}, "window scale 2"},
		{Stack{MSS: 1460, WScale: -1, Options: "nop,nop,nop,nop"}, "MSS 1460 without an mss option"},
		{Stack{WScale: 300}, "window scale 300: want -1 (none) or 0-255"},
		{Stack{WScale: -1, Options: "mss,tcp-ao"}, `"tcp-ao" is not an option`},
	} {
		a := ok
		a.Stack = tc.s
		err := WritePcapng(&bytes.Buffer{}, []Attempt{a})
		if err == nil || !strings.Contains(err.Error(), "attempt 0: stack: ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.s, err, tc.want)
		}
		w, _ := NewPcapngWriter(&bytes.Buffer{})
		if err := w.SetStack(tc.s, IPIDZero); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("SetStack(%+v): error %v, want %q", tc.s, err, tc.want)
		}
	}
	w, _ := NewPcapngWriter(&bytes.Buffer{})
	if err := w.SetStack(writeStacks[0], 9); err == nil || !strings.Contains(err.Error(), "IP ID mode IPIDMode(9): want random, increment or zero") {
		t.Errorf("SetStack with mode 9: error %v", err)
	}
	// A datagram carries no TCP fields, so its stack's need not fit one.
	a := ok
	a.Proto, a.Stack = UDP, Stack{TTL: 9, WScale: 3, Options: "ws"}
	if err := WritePcapng(&bytes.Buffer{}, []Attempt{a}); err != nil {
		t.Errorf("UDP with a TCP stack that cannot be written: %v", err)
	}
}

// A CSV with a flags column lists packets, which go through the reader's
// classification; its stack columns give each attempt its stack.
func TestReadCSVPackets(t *testing.T) {
	in := "src,sport,dst,dport,time,proto,flags,seq,ttl,ipid,df,win,mss,ws,opts\n" +
		"10.0.0.1,40000,10.0.0.2,443,1,tcp,S,100,64,0x1c2d,1,64240,1460,7,\"2,4,8,1,3\"\n" + // attempt
		"10.0.0.2,443,10.0.0.1,40000,1.1,tcp,SA,900,57,0,1,65160,1400,7,\"mss,sok,ts,nop,ws\"\n" + // syn-ack
		"10.0.0.1,40000,10.0.0.2,443,1.2,tcp,.,101,64,1,1,502,,,\n" + // ack
		"10.0.0.1,40000,10.0.0.2,443,2,tcp,0x002,100,64,7,1,64240,1460,7,\"mss,sok,ts,nop,ws\"\n" + // retransmission
		"10.0.0.1,40000,10.0.0.2,443,9,tcp,[S],500,64,8,1,64240,1460,7,\"mss,sok,ts,nop,ws\"\n" + // 4-tuple reused
		"10.0.0.1,5353,10.0.0.53,53,10,udp,,,64,9,0,,,,\n" + // attempt
		"10.0.0.53,53,10.0.0.1,5353,10.1,udp,,,120,0,1,,,,\n" + // reply
		"10.0.0.1,5353,10.0.0.53,53,10.2,udp,,,64,10,0,,,,\n" + // flow seen
		"10.0.0.1,40001,10.0.0.2,443,11,tcp,,,,,,,,,\n" + // empty flags: a SYN, without a stack
		"fe80::1%eth0,40002,fe80::2%eth0,443,12,6,S,1,255,,,8192,,,\n" // zones kept
	c, err := Read(strings.NewReader(in), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, c)
	linux := Stack{TTL: 64, DF: true, Window: 64240, MSS: 1460, WScale: 7, Options: "mss,sok,ts,nop,ws"}
	at := func(sec int64, p Proto, src string, sport uint16, dst string, dport uint16) Attempt {
		return Attempt{Time: time.Unix(sec, 0), Proto: p, Src: capAddr(src), SrcPort: sport, Dst: capAddr(dst), DstPort: dport}
	}
	stacked := func(a Attempt, s Stack, id uint16) Attempt { a.Stack, a.HasStack, a.IPID = s, true, id; return a }
	want := []Attempt{
		stacked(at(1, TCP, "10.0.0.1", 40000, "10.0.0.2", 443), linux, 0x1c2d),
		stacked(at(9, TCP, "10.0.0.1", 40000, "10.0.0.2", 443), linux, 8),
		stacked(at(10, UDP, "10.0.0.1", 5353, "10.0.0.53", 53), Stack{TTL: 64, WScale: -1}, 9),
		at(11, TCP, "10.0.0.1", 40001, "10.0.0.2", 443),
		stacked(at(12, TCP, "fe80::1%eth0", 40002, "fe80::2%eth0", 443), Stack{TTL: 255, Window: 8192, WScale: -1}, 0),
	}
	sameAttempts(t, all(c), want)
	if c.Attempts.Attempt(3).HasStack {
		t.Error("a row without stack fields has a stack")
	}
	for reason, n := range map[string]int{"tcp syn-ack": 1, "tcp without syn": 1, "tcp syn retransmission": 1, "udp reply": 1, "udp flow seen": 1} {
		if c.NotAttemptsBy[reason] != n {
			t.Errorf("%s: %d, want %d\n%s", reason, c.NotAttemptsBy[reason], n, capSummary(c))
		}
	}
	if c.Packets != 10 || c.Attempts.Stacks() != 3 {
		t.Errorf("%d packets, %d shapes; want 10, 3", c.Packets, c.Attempts.Stacks())
	}

	// Without seq, a SYN repeating its 4-tuple is taken for a
	// retransmission; without flags, every row is an attempt, as ever.
	noSeq := "src,sport,dst,dport,time,flags\n10.0.0.1,1,10.0.0.2,2,0,S\n10.0.0.1,1,10.0.0.2,2,3,S\n"
	if c, err := Read(strings.NewReader(noSeq), ReadOptions{}); err != nil || c.Attempts.Len() != 1 || c.NotAttemptsBy["tcp syn retransmission"] != 1 {
		t.Errorf("no seq column: %v\n%s", err, capSummary(c))
	}
	noFlags := "src,sport,dst,dport,time,proto\n10.0.0.1,1,10.0.0.2,2,0,udp\n10.0.0.1,1,10.0.0.2,2,3,udp\n10.0.0.2,2,10.0.0.1,1,4,udp\n"
	if c, err := Read(strings.NewReader(noFlags), ReadOptions{}); err != nil || c.Attempts.Len() != 3 {
		t.Errorf("no flags column: %v\n%s", err, capSummary(c))
	}
	// The limit on attempts counts attempts, not rows.
	if _, err := Read(strings.NewReader(in), ReadOptions{MaxAttempts: 5}); err != nil {
		t.Errorf("MaxAttempts 5: %v", err)
	}
	if _, err := Read(strings.NewReader(in), ReadOptions{MaxAttempts: 4}); err == nil || !strings.HasPrefix(err.Error(), "line 11: too many attempts") {
		t.Errorf("MaxAttempts 4: error %v, want one at line 11", err)
	}
}

func TestReadCSVStackErrors(t *testing.T) {
	const h = "src,sport,dst,dport,time,proto,flags,seq,ttl,ipid,df,win,mss,ws,opts\n"
	const pre = "10.0.0.1,1,10.0.0.2,2,0,tcp,"
	for _, tc := range []struct{ row, want string }{
		{"S,1,,,,64240,,,", `line 2: ttl "": want 0-255 (a row with any of ttl, ipid, df, win, mss, ws, opts needs one)`},
		{"S,1,256,,,,,,", `line 2: ttl "256": want 0-255`},
		{"S,1,64,65536,,,,,", `line 2: ipid "65536": want 0-65535, decimal or 0x hex, or empty`},
		{"S,1,64,0xg,,,,,", `line 2: ipid "0xg"`},
		{"S,1,64,,maybe,,,,", `line 2: df "maybe": want 1 or 0`},
		{"S,1,64,,,-1,,,", `line 2: win "-1": want 0-65535, or empty`},
		{"S,1,64,,,,70000,,", `line 2: mss "70000": want 0-65535, or empty for none`},
		{"S,1,64,,,,,256,", `line 2: ws "256": want 0-255, or empty for none`},
		{"S,1,64,,,,,,\"mss,sackok\"", `line 2: opts: options "mss,sackok": "sackok" is not an option; want a comma-separated list`},
		{"SYN,1,64,,,,,,", `line 2: flags "SYN": want TCP flags as letters (FSRPAUEC, . for ACK) or a number`},
		{"0x1000,1,64,,,,,,", `line 2: flags "0x1000"`},
		{"S,-1,64,,,,,,", `line 2: seq "-1": want 0-4294967295, or empty`},
	} {
		_, err := Read(strings.NewReader(h+pre+tc.row+"\n"), ReadOptions{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.row, err, tc.want)
		}
	}
}

func TestCSVRoundTripStacks(t *testing.T) {
	var in []Attempt
	for i, s := range append(writeStacks, Stack{TTL: 9, WScale: -1, Options: "bad"}) {
		a := Attempt{Time: capT0.Add(time.Duration(i)), Proto: TCP, Src: capAddr("10.0.0.1"), SrcPort: uint16(i), Dst: capAddr("::1"), DstPort: 1, Stack: s, HasStack: true, IPID: uint16(i * 1000)}
		in = append(in, a)
		a.HasStack = false
		in = append(in, a)
	}
	in = append(in, Attempt{Time: capT0, Proto: UDP, Src: capAddr("10.0.0.1"), Dst: capAddr("10.0.0.2"), Stack: Stack{TTL: 3, DF: true, WScale: -1}, HasStack: true, IPID: 65535})
	var buf bytes.Buffer
	if err := WriteCSV(&buf, in); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(buf.String(), "\n")
	if lines[0] != "src,sport,dst,dport,time,proto,ttl,ipid,df,win,mss,ws,opts" ||
		lines[1] != `10.0.0.1,0,::1,1,2024-05-01T12:00:00Z,tcp,64,0,1,64240,1460,7,"mss,sok,ts,nop,ws"` ||
		lines[2] != "10.0.0.1,0,::1,1,2024-05-01T12:00:00Z,tcp,,,,,,," ||
		lines[len(lines)-2] != "10.0.0.1,0,10.0.0.2,0,2024-05-01T12:00:00Z,udp,3,65535,1,,,," {
		t.Errorf("CSV:\n%s", buf.String())
	}
	c, err := Read(&buf, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sameAttempts(t, all(c), in)
	for i, a := range all(c) {
		if a.HasStack != in[i].HasStack {
			t.Errorf("attempt %d: has stack %v, want %v", i, a.HasStack, in[i].HasStack)
		}
	}
	// Options are written as Read keeps them.
	odd := in[0]
	odd.Stack.Options = " MSS,2,eol"
	buf.Reset()
	if err := WriteCSV(&buf, []Attempt{odd}); err != nil || !strings.Contains(buf.String(), `,"mss,mss,eol+0"`) {
		t.Errorf("error %v; CSV:\n%s", err, buf.String())
	}
	odd.Stack.Options = "mss,huh"
	if err := WriteCSV(&bytes.Buffer{}, []Attempt{odd}); err == nil || !strings.Contains(err.Error(), `attempt 0: stack: options "mss,huh"`) {
		t.Errorf("unparsable options: error %v", err)
	}
}

// A CSV of packets as tshark exports them reads as the capture it came
// from: testdata/lo-ether-tshark.csv is lo-ether.pcap's IPv4 TCP packets,
// written by
//
//	tshark -r lo-ether.pcap -Y 'ip and tcp' -T fields -E separator=, -E quote=d \
//	  -e ip.src -e ip.dst -e tcp.srcport -e tcp.dstport -e frame.time_epoch \
//	  -e tcp.flags -e tcp.seq_raw -e ip.ttl -e ip.id -e ip.flags.df \
//	  -e tcp.window_size_value -e tcp.options.mss_val \
//	  -e tcp.options.wscale.shift -e tcp.option_kind
//
// under the header src,dst,sport,dport,time,flags,seq,ttl,ipid,df,win,mss,ws,opts.
func TestReadTsharkCSV(t *testing.T) {
	c, err := ReadFile("testdata/lo-ether-tshark.csv", ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := ReadFile("testdata/lo-ether.pcap", ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var want []Attempt
	for a := range p.Attempts.All() {
		if a.Proto == TCP && a.Src.Is4() {
			want = append(want, a)
		}
	}
	checkCounts(t, c)
	if len(want) == 0 || c.NotAttemptsBy["tcp syn-ack"] != 1 || c.NotAttemptsBy["tcp without syn"] != 10 {
		t.Errorf("%d attempts in the pcap; the CSV:\n%s", len(want), capSummary(c))
	}
	sameAttempts(t, all(c), want)
}
