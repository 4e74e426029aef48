package capture

import (
	"fmt"
	"strconv"
	"strings"
)

// Stack is the shape of the packet that opened an attempt — the fields a
// host's IP and TCP stack fills in its own way, which tell operating
// systems apart where their ports cannot (they are what p0f's signatures
// are made of). A UDP datagram has only the IP fields: its Window and MSS
// are 0, its WScale -1 and its Options empty. A capture holds few distinct
// shapes, so Attempts keeps each once; the IP identification, which
// changes from packet to packet, is kept apart (Attempts.IPID).
type Stack struct {
	// TTL is the IPv4 time to live or IPv6 hop limit as seen: the
	// sender's initial value less the routers on the way.
	TTL uint8
	// DF is the IPv4 don't-fragment flag; always false for IPv6.
	DF bool
	// Window is the TCP window of the SYN.
	Window uint16
	// MSS is the value of the maximum segment size option, 0 without one.
	MSS uint16
	// WScale is the window scale option's shift, -1 without one.
	WScale int16
	// Options is the TCP options in their order, p0f's way:
	// "mss,nop,ws,nop,nop,ts,sok,eol+1". The names are eol+N (end of
	// options, followed by N bytes of padding), nop, mss, ws, sok (SACK
	// permitted), sack, ts (timestamps) and ?K for any other kind K; bad
	// ends a list whose next option could not be parsed (a length
	// missing, below 2, past the end of the header, or wrong for a
	// known kind). Empty for none.
	Options string
}

// Timestamps reports whether the options hold the timestamps option.
func (s Stack) Timestamps() bool {
	for o := range strings.SplitSeq(s.Options, ",") {
		if o == "ts" {
			return true
		}
	}
	return false
}

// String is the shape in one line: "ttl 64 df win 64240 mss 1460 ws 7
// mss,sok,ts,nop,ws", or "ttl 64 df" for a UDP datagram's.
func (s Stack) String() string {
	b := []byte("ttl ")
	b = strconv.AppendUint(b, uint64(s.TTL), 10)
	if s.DF {
		b = append(b, " df"...)
	}
	if s.Window != 0 || s.MSS != 0 || s.WScale >= 0 || s.Options != "" { // not UDP's
		b = append(b, " win "...)
		b = strconv.AppendUint(b, uint64(s.Window), 10)
	}
	if s.MSS != 0 {
		b = append(b, " mss "...)
		b = strconv.AppendUint(b, uint64(s.MSS), 10)
	}
	if s.WScale >= 0 {
		b = append(b, " ws "...)
		b = strconv.AppendInt(b, int64(s.WScale), 10)
	}
	if s.Options != "" {
		b = append(b, ' ')
		b = append(b, s.Options...)
	}
	return string(b)
}

// TCP option kinds.
const (
	optEOL  = 0
	optNOP  = 1
	optMSS  = 2
	optWS   = 3
	optSOK  = 4
	optSACK = 5
	optTS   = 8
)

// maxOpts is the most options a TCP header holds: 40 bytes of one-byte
// options.
const maxOpts = 40

// shape is a Stack in a fixed size, without the string: what the reader
// fills per packet without allocating, and the key of the table of a
// capture's shapes. The reader leaves the kinds past n as they were
// (same compares shapes without them); a key has them zero.
type shape struct {
	ttl    uint8
	flags  uint8 // shapeDF, shapeEOL, shapeBad
	eolPad uint8 // bytes after the EOL, with shapeEOL
	n      uint8 // options in opts
	win    uint16
	mss    uint16
	ws     int16
	opts   [maxOpts]uint8 // the kinds, in order, but EOL
}

const (
	shapeDF  = 1 << iota // don't fragment
	shapeEOL             // the options end with EOL and eolPad bytes
	shapeBad             // the options end with one that could not be parsed
)

// tcp sets k's TCP fields, but for the kinds past its options', from a
// SYN's window and options.
func (k *shape) tcp(win uint16, opts []byte) {
	k.win, k.mss, k.ws = win, 0, -1
	k.flags &= shapeDF
	k.eolPad, k.n = 0, 0
	k.tcpOptions(opts)
}

// udp sets k's TCP fields, but for the kinds past its options, as a
// datagram has them: none.
func (k *shape) udp() {
	k.win, k.mss, k.ws = 0, 0, -1
	k.flags &= shapeDF
	k.eolPad, k.n = 0, 0
}

// same reports whether k and o are the same shape, whatever the kinds
// past their options.
func (k *shape) same(o *shape) bool {
	return k.ttl == o.ttl && k.flags == o.flags && k.eolPad == o.eolPad && k.n == o.n &&
		k.win == o.win && k.mss == o.mss && k.ws == o.ws && string(k.opts[:k.n]) == string(o.opts[:o.n])
}

// tcpOptions reads the options of a TCP header, b (what follows its
// first 20 bytes, up to its data offset), into k.
func (k *shape) tcpOptions(b []byte) {
	for len(b) > 0 {
		kind := b[0]
		switch kind {
		case optEOL:
			k.flags |= shapeEOL
			k.eolPad = uint8(len(b) - 1)
			return
		case optNOP:
			k.opts[k.n] = optNOP
			k.n++
			b = b[1:]
			continue
		}
		if len(b) < 2 || b[1] < 2 || int(b[1]) > len(b) {
			k.flags |= shapeBad
			return
		}
		n := int(b[1])
		switch kind {
		case optMSS:
			if n != 4 {
				k.flags |= shapeBad
				return
			}
			if k.mss == 0 {
				k.mss = be16(b[2:])
			}
		case optWS:
			if n != 3 {
				k.flags |= shapeBad
				return
			}
			if k.ws < 0 {
				k.ws = int16(b[2])
			}
		case optSOK:
			if n != 2 {
				k.flags |= shapeBad
				return
			}
		case optTS:
			if n != 10 {
				k.flags |= shapeBad
				return
			}
		}
		k.opts[k.n] = kind
		k.n++
		b = b[n:]
	}
}

// stack is k as a Stack.
func (k *shape) stack() Stack {
	s := Stack{TTL: k.ttl, DF: k.flags&shapeDF != 0, Window: k.win, MSS: k.mss, WScale: k.ws}
	var b []byte
	for i, kind := range k.opts[:k.n] {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendOption(b, kind)
	}
	if k.flags&(shapeEOL|shapeBad) != 0 && k.n > 0 {
		b = append(b, ',')
	}
	switch {
	case k.flags&shapeEOL != 0:
		b = append(b, "eol+"...)
		b = strconv.AppendUint(b, uint64(k.eolPad), 10)
	case k.flags&shapeBad != 0:
		b = append(b, "bad"...)
	}
	s.Options = string(b)
	return s
}

func appendOption(b []byte, kind uint8) []byte {
	switch kind {
	case optNOP:
		return append(b, "nop"...)
	case optMSS:
		return append(b, "mss"...)
	case optWS:
		return append(b, "ws"...)
	case optSOK:
		return append(b, "sok"...)
	case optSACK:
		return append(b, "sack"...)
	case optTS:
		return append(b, "ts"...)
	}
	b = append(b, '?')
	return strconv.AppendUint(b, uint64(kind), 10)
}

// optionsHelp says what an options list may hold.
const optionsHelp = "want a comma-separated list of eol+N, nop, mss, ws, sok, sack, ts, ?K or kind numbers 0-255, ending with eol+N or bad if at all"

// shapeOf is s as a shape; the options must parse (parseOptions).
func shapeOf(s Stack) (shape, error) {
	k := shape{ttl: s.TTL, win: s.Window, mss: s.MSS, ws: s.WScale}
	if s.DF {
		k.flags |= shapeDF
	}
	if s.WScale < -1 || s.WScale > 255 {
		return k, fmt.Errorf("window scale %d: want -1 (none) or 0-255", s.WScale)
	}
	if err := k.parseOptions(s.Options); err != nil {
		return k, err
	}
	return k, nil
}

// parseOptions reads a list of options as Stack.Options has them into k.
// Case and spaces do not matter; a bare number is an option kind (as
// tshark's tcp.option_kind lists them), eol alone is eol+0, and eol
// followed by N more eols or zeros (tshark's padding) is eol+N.
func (k *shape) parseOptions(list string) error {
	list = strings.TrimSpace(list)
	if list == "" {
		return nil
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("options %q: %s; %s", list, fmt.Sprintf(format, args...), optionsHelp)
	}
	names := strings.Split(list, ",")
	for i, name := range names {
		name = strings.ToLower(strings.TrimSpace(name))
		last := i == len(names)-1
		kind := -1
		switch name {
		case "nop":
			kind = optNOP
		case "mss":
			kind = optMSS
		case "ws":
			kind = optWS
		case "sok":
			kind = optSOK
		case "sack":
			kind = optSACK
		case "ts":
			kind = optTS
		case "bad":
			if !last {
				return bad("bad must come last")
			}
			k.flags |= shapeBad
			return nil
		case "eol", "0":
			// tshark lists each zero byte after an EOL as one more:
			// a run of them to the end is eol+N.
			pad := 0
			for _, n := range names[i+1:] {
				if n = strings.TrimSpace(n); n != "0" && !strings.EqualFold(n, "eol") {
					break
				}
				pad++
			}
			name = "eol+0"
			if i+pad == len(names)-1 {
				name, last = "eol+"+strconv.Itoa(pad), true
			}
		}
		if pad, ok := strings.CutPrefix(name, "eol+"); ok {
			n, err := strconv.ParseUint(pad, 10, 8)
			if err != nil || n > maxOpts-1 {
				return bad("%q: want eol+0 to eol+%d", name, maxOpts-1)
			}
			if !last {
				return bad("eol must come last")
			}
			k.flags |= shapeEOL
			k.eolPad = uint8(n)
			return nil
		}
		if kind < 0 {
			num := strings.TrimPrefix(name, "?")
			n, err := strconv.ParseUint(num, 10, 8)
			if err != nil || num == "" || num[0] == '+' {
				return bad("%q is not an option", name)
			}
			kind = int(n)
			if kind == optEOL {
				return bad("%q: write eol+N", name)
			}
		}
		if int(k.n) == maxOpts {
			return bad("more than %d options", maxOpts)
		}
		k.opts[k.n] = uint8(kind)
		k.n++
	}
	return nil
}

// maxShapes is the most distinct shapes Attempts holds: an index, plus
// one, fits in 16 bits.
const maxShapes = 1<<16 - 1

// shapeCacheLen is how many shapes the cache in front of the table's map
// holds.
const shapeCacheLen = 16

type shapeCached struct {
	k  shape
	id uint16 // +1; 0: empty
}

// shapes is the table of a capture's distinct shapes.
type shapes struct {
	list  []Stack
	ids   map[shape]uint16 // +1
	cache [shapeCacheLen]shapeCached
}

// id is k's index in the table plus one, given one if k is new; 0 when
// the table is full.
func (t *shapes) id(k *shape) uint16 {
	c := &t.cache[(uint(k.ttl)^uint(k.win)^uint(k.win>>8)^uint(k.n)*5^uint(k.flags)*3)%shapeCacheLen]
	if c.id != 0 && c.k.same(k) {
		return c.id
	}
	key := *k
	clear(key.opts[key.n:])
	id, ok := t.ids[key]
	if !ok {
		if len(t.list) >= maxShapes {
			return 0
		}
		if t.ids == nil {
			t.ids = map[shape]uint16{}
		}
		t.list = append(t.list, key.stack())
		id = uint16(len(t.list))
		t.ids[key] = id
	}
	*c = shapeCached{key, id}
	return id
}
