package fit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/portsim/portsim/observe/capture"
	"github.com/portsim/portsim/strategies"
)

// maxStackSample is how many of a host's attempts with a known stack are
// read for its shape: a host's stack does not change from SYN to SYN, and
// a huge host should not pay per attempt.
const maxStackSample = 1000

// HostStack is the shape of a host's connection attempts' packets, the
// commonest of them: the fields its IP and TCP stack fills in its own
// way, which tell systems apart where their ports cannot.
type HostStack struct {
	// Seen is how many attempts' shapes were read (at most
	// maxStackSample of those known), Shapes how many distinct shapes
	// they had, Common how many had the commonest, Stack.
	Seen   int `json:"seen"`
	Shapes int `json:"shapes"`
	Common int `json:"common"`
	// TTL, DF, Window, MSS, WScale (-1: none) and Options (p0f's words)
	// are the commonest shape's, as capture.Stack has them.
	TTL     uint8  `json:"ttl"`
	DF      bool   `json:"df"`
	Window  uint16 `json:"window"`
	MSS     uint16 `json:"mss"`
	WScale  int16  `json:"wscale"`
	Options string `json:"options"`
	// InitialTTL is Stack.TTL rounded up to 32, 64, 128 or 255: the
	// sender's initial TTL, routers having taken one each.
	InitialTTL uint8 `json:"initial_ttl"`
	// IPID is how the IPv4 identification moves from attempt to
	// attempt: "zero", "incrementing" (by small steps, one counter),
	// "varied", or "" with fewer than 5 IPv4 attempts.
	IPID string `json:"ip_id,omitempty"`
	tcp  bool
}

// initialTTL rounds an observed TTL up to the initial TTLs systems use.
func initialTTL(ttl uint8) uint8 {
	switch {
	case ttl <= 32:
		return 32
	case ttl <= 64:
		return 64
	case ttl <= 128:
		return 128
	}
	return 255
}

// stackSample collects the shapes of a host's kept attempts, in time
// order, up to maxStackSample of them; not those to multicast groups.
type stackSample struct {
	shapes map[capture.Stack]int
	n      int
	ids    []uint16 // IPv4 identifications, in order
	v4     bool
}

func (ss *stackSample) reset() {
	clear(ss.shapes)
	ss.n, ss.ids = 0, ss.ids[:0]
}

func (ss *stackSample) add(atts *capture.Attempts, i int, v4 bool) {
	if ss.n >= maxStackSample {
		return
	}
	st, ok := atts.Stack(i)
	if !ok {
		return
	}
	if atts.Addr(atts.Record(i).Dst).IsMulticast() {
		// Its TTL is the application's (mDNS sends 255, RFC 6762; SSDP
		// and LLMNR 1 to 4), not the system's default.
		return
	}
	if ss.shapes == nil {
		ss.shapes = map[capture.Stack]int{}
	}
	ss.shapes[st]++
	ss.n++
	if v4 {
		ss.ids = append(ss.ids, atts.IPID(i))
	}
}

// host is the sample's HostStack, or nil when no shape was seen.
func (ss *stackSample) host(proto capture.Proto) *HostStack {
	if ss.n == 0 {
		return nil
	}
	h := &HostStack{Seen: ss.n, Shapes: len(ss.shapes), tcp: proto == capture.TCP}
	var common capture.Stack
	for st, c := range ss.shapes {
		// The commonest, and of those the least by its string: the same
		// answer in any map order.
		if c > h.Common || c == h.Common && st.String() < common.String() {
			common, h.Common = st, c
		}
	}
	h.TTL, h.DF, h.Window, h.MSS, h.WScale, h.Options = common.TTL, common.DF, common.Window, common.MSS, common.WScale, common.Options
	h.InitialTTL = initialTTL(h.TTL)
	h.IPID = ipidBehaviour(ss.ids)
	return h
}

// ipidBehaviour says how IDs, in time order, move.
func ipidBehaviour(ids []uint16) string {
	if len(ids) < 5 {
		return ""
	}
	zero, small := 0, 0
	for i, id := range ids {
		if id == 0 {
			zero++
		}
		if i > 0 {
			if d := id - ids[i-1]; d > 0 && d <= 256 {
				small++
			}
		}
	}
	switch {
	case zero == len(ids):
		return "zero"
	case 10*small >= 8*(len(ids)-1):
		return "incrementing"
	}
	return "varied"
}

// Weights of the stack's evidence: how much likelier a host's shape is
// under a profile whose signature it matches than under one it does not.
// Not fitted: a stack's defaults are changed by sysctls, tuning tools,
// VPNs and middleboxes, so no mismatch rules a system out. The initial TTL
// and the option layout are rarely changed and weigh most; the window and
// its scale vary with memory, version and tuning; a profile without a
// signature (the simulators, NetBSD's options) is neither.
const (
	wMatch         = 1
	wTTLMiss       = 0.01
	wTTLUnknown    = 0.25
	wLayoutMiss    = 0.01
	wLayoutOrder   = 0.3 // the same options in the same order, some missing or padded otherwise
	wLayoutUnknown = 0.2
	wWindowMiss    = 0.5
	wWindowUnknown = 0.7
	wScaleMiss     = 0.7
	wScaleUnknown  = 0.85
	wDFMiss        = 0.5
	wDFUnknown     = 0.75
)

// stackWeight is how well h matches sig, as a product of the weights
// above, and a word on the layout: "exact", "order", "different" or
// "unknown".
func stackWeight(sig strategies.Stack, h *HostStack) (float64, string) {
	if !sig.Known() {
		w := wTTLUnknown * wDFUnknown
		if h.tcp {
			w *= wLayoutUnknown * wWindowUnknown * wScaleUnknown
		}
		return w, "unknown"
	}
	w := 1.0
	if h.InitialTTL != sig.TTL {
		w *= wTTLMiss
	}
	if sig.Options == "" {
		// The TTL alone is known.
		w *= wDFUnknown
		if h.tcp {
			w *= wLayoutUnknown * wWindowUnknown * wScaleUnknown
		}
		return w, "unknown"
	}
	if h.DF != sig.DF {
		w *= wDFMiss
	}
	if !h.tcp {
		return w, ""
	}
	layout := "unknown"
	switch {
	case h.Options == sig.Options:
		layout = "exact"
	case sameOrder(h.Options, sig.Options) || sameOrder(sig.Options, h.Options):
		layout = "order"
		w *= wLayoutOrder
	default:
		layout = "different"
		w *= wLayoutMiss
	}
	if h.Window != sig.WindowFor(h.MSS) {
		w *= wWindowMiss
	}
	if h.WScale != sig.WScale {
		w *= wScaleMiss
	}
	return w, layout
}

// sameOrder reports whether the options of layout a, nops and padding
// aside, are those of b in b's order with some left out (a system with
// timestamps or window scaling turned off, or b's with them turned off
// when a has them on): two of them at least, since a lone MSS is in every
// layout.
func sameOrder(a, b string) bool {
	strip := func(l string) []string {
		var out []string
		for o := range strings.SplitSeq(l, ",") {
			if o != "nop" && !strings.HasPrefix(o, "eol") {
				out = append(out, o)
			}
		}
		return out
	}
	as, bs := strip(a), strip(b)
	if len(as) < 2 || len(as) > len(bs) {
		return false
	}
	j := 0
	for _, o := range bs {
		if j < len(as) && as[j] == o {
			j++
		}
	}
	return j == len(as)
}

// String describes the shape: "TTL 128 (seen 117), DF, window 8192, MSS
// 1460, window scale 8, mss,nop,ws,nop,nop,sok", with the number of SYNs.
func (h *HostStack) String() string {
	var parts []string
	parts = append(parts, fmt.Sprintf("TTL %d (seen %d)", h.InitialTTL, h.TTL))
	if h.DF {
		parts = append(parts, "DF")
	}
	if h.tcp {
		parts = append(parts, fmt.Sprintf("window %d", h.Window))
		if h.MSS != 0 {
			parts = append(parts, fmt.Sprintf("MSS %d", h.MSS))
		}
		if h.WScale >= 0 {
			parts = append(parts, fmt.Sprintf("window scale %d", h.WScale))
		}
		opts := h.Options
		if opts == "" {
			opts = "no options"
		}
		parts = append(parts, opts)
	}
	if h.IPID != "" {
		parts = append(parts, "IP ID "+h.IPID)
	}
	what := "SYNs"
	if !h.tcp {
		what = "datagrams"
	}
	s := strings.Join(parts, ", ")
	if h.Shapes > 1 {
		s += fmt.Sprintf(" (%d of %d %s; %d shapes)", h.Common, h.Seen, what, h.Shapes)
	}
	return s
}

// stackFamilies names the systems whose signatures h matches exactly in
// TTL and option layout, by profile: "Linux (linux, linux-5.12, …)".
func stackFamilies(h *HostStack) string {
	bySystem := map[string][]string{}
	var order []string
	for _, p := range strategies.Profiles() {
		sig := p.Stack
		if !sig.Known() || sig.TTL != h.InitialTTL || h.tcp && sig.Options != "" && sig.Options != h.Options {
			continue
		}
		if h.tcp && sig.Options == "" {
			continue
		}
		if _, ok := bySystem[p.System]; !ok {
			order = append(order, p.System)
		}
		bySystem[p.System] = append(bySystem[p.System], p.Name)
	}
	if len(order) == 0 {
		return ""
	}
	parts := make([]string, len(order))
	for i, sys := range order {
		names := slices.Compact(bySystem[sys])
		parts[i] = sys + " (" + strings.Join(names, ", ") + ")"
	}
	return strings.Join(parts, ", ")
}
