package probe

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/internal/fielderr"
	"github.com/portsim/portsim/observe/capture"
)

// Kinds lists the request kinds a probe makes, in the order it makes them:
// connect() on an unbound socket (allocator.Connect), bind(src, 0) then
// connect() (allocator.Bind), and a UDP socket connect()ed to the listener
// with one datagram sent (allocator.UDP).
var Kinds = []allocator.Kind{allocator.Connect, allocator.Bind, allocator.UDP}

// How a probe ends each TCP connection.
const (
	// CloseRST resets the connection (SO_LINGER {1, 0}): nothing is kept in
	// TIME_WAIT, so thousands of probes leave the host as they found it.
	CloseRST = "rst"
	// CloseFIN closes normally, client first: each 4-tuple (and each bind()
	// port) waits 60 s in TIME_WAIT, as after a real client's close.
	CloseFIN = "fin"
)

// Probe limits.
const (
	// MaxCount bounds connections per destination per kind: with
	// --close fin every bind() probe holds an odd port for 60 s, and the
	// range has about 14k of them.
	MaxCount = 10000
	// MaxDsts bounds the destinations; the cross-destination checks
	// look at every pair.
	MaxDsts = 16
	// MaxTimeWaitShare bounds the share of the port range that a
	// CloseFIN probe may leave in TIME_WAIT: each socket there holds its
	// port for 60 s against every bind(addr, 0) on the host (10,000
	// connections of two kinds to 4 destinations left 51,440, and other
	// programs' bind() failed 199 times in 200 for a minute).
	MaxTimeWaitShare = 0.5
	// dialTimeout bounds one connect(): on loopback it takes microseconds,
	// unless a full accept queue drops the SYN, which would otherwise hang
	// for minutes of retransmits.
	dialTimeout = 2 * time.Second
)

// DefaultDsts are the destinations a probe uses when none are given:
// three IPv4 loopback addresses (Linux routes all of 127.0.0.0/8 to lo, so
// each is a different destination to the port hash) and ::1 when the host
// has IPv6 loopback.
var DefaultDsts = []netip.Addr{
	netip.MustParseAddr("127.0.0.1"),
	netip.MustParseAddr("127.0.0.2"),
	netip.MustParseAddr("127.0.0.3"),
	netip.MustParseAddr("::1"),
}

// Config says what to ask the kernel.
type Config struct {
	// Dsts are the destinations, every one loopback (127.0.0.0/8 or ::1).
	// The probe opens its own TCP listener and UDP socket on each; port 0
	// lets the kernel choose the listener's port. Empty means
	// DefaultDsts (only those of Src's family when Src is set).
	Dsts []netip.AddrPort
	// Count is connections per destination per kind, 1 to MaxCount.
	Count int
	// Kinds are among Kinds; empty means all of them.
	Kinds []allocator.Kind
	// Close is CloseRST (the default when empty) or CloseFIN.
	Close string
	// Src, when valid, is the local address of every probe: bind() probes
	// bind it, connect() probes set IP_BIND_ADDRESS_NO_PORT first so the
	// port is still chosen at connect(), and UDP probes bind it. When
	// unset, connect() and UDP probes let the kernel choose, and bind()
	// probes bind 127.0.0.1 or ::1.
	Src netip.Addr
}

// ErrNotLoopback is why a probe refuses an address.
var ErrNotLoopback = errors.New("not a loopback address; probe talks only to 127.0.0.0/8 and ::1")

// ErrNoLoopback is wrapped by Run's error when it cannot open a socket
// on loopback at all: a sandbox, or a host without lo.
var ErrNoLoopback = errors.New("cannot open loopback sockets")

// CheckLoopback returns a, unmapped from ::ffff:a.b.c.d and without zone,
// or ErrNotLoopback.
func CheckLoopback(a netip.Addr) (netip.Addr, error) {
	a = a.Unmap().WithZone("")
	if !a.IsLoopback() {
		return netip.Addr{}, ErrNotLoopback
	}
	return a, nil
}

// Sample is one connection the probe made: its kind and what a capture
// would have seen of it.
type Sample struct {
	Kind allocator.Kind `json:"kind"`
	capture.Attempt
}

// Kernel is what the host says about its port rules.
type Kernel struct {
	OS string `json:"os"`
	// Known is false where the rules cannot be read (anywhere but Linux):
	// the fields below are then zero and no model comparison is made.
	Known bool `json:"known"`
	// Range is net.ipv4.ip_local_port_range (IPv6 uses it too).
	Range allocator.Range `json:"range"`
	// Reserved is net.ipv4.ip_local_reserved_ports.
	Reserved []allocator.Range `json:"reserved"`
	// TWReuse is net.ipv4.tcp_tw_reuse (0 off, 1 on, 2 loopback only), or
	// -1 when unknown.
	TWReuse int `json:"tw_reuse"`
	// UDPHashEntries is the UDP hash table size (net.ipv4.udp_hash_entries,
	// sign dropped: negative means shared with the initial namespace),
	// which sets the UDP walk's stride; 0 when unknown.
	UDPHashEntries int `json:"udp_hash_entries"`
}

// Timing is how long one kind's probes took.
type Timing struct {
	Kind    allocator.Kind `json:"kind"`
	Count   int            `json:"count"`
	Elapsed time.Duration  `json:"elapsed_ns"`
}

// Result is what a probe saw.
type Result struct {
	Kernel Kernel `json:"kernel"`
	// Config is the configuration as run: defaults filled in, listener
	// ports resolved, destinations that could not be opened dropped.
	Config Config `json:"-"`
	// Samples are in the order made: kind by kind, and within a kind
	// round-robin over the destinations, so that sequences to different
	// destinations interleave in time.
	Samples []Sample `json:"-"`
	Timings []Timing `json:"timings"`
	// Notes say what the probe left out and why (a default destination
	// the host lacks).
	Notes []string `json:"notes,omitempty"`
}

// Validate checks c and returns it with the defaults filled in. Errors
// are *fielderr.Error.
func (c Config) Validate() (Config, error) {
	out := Config{Count: c.Count, Close: c.Close}
	if c.Count < 1 || c.Count > MaxCount {
		return out, &fielderr.Error{Field: "count", Value: strconv.Itoa(c.Count), Err: fmt.Errorf("want 1 to %d", MaxCount)}
	}
	switch c.Close {
	case "":
		out.Close = CloseRST
	case CloseRST, CloseFIN:
	default:
		return out, &fielderr.Error{Field: "close", Value: strconv.Quote(c.Close), Err: fmt.Errorf("want %s or %s", CloseRST, CloseFIN)}
	}
	seen := map[allocator.Kind]bool{}
	for _, k := range c.Kinds {
		if !slices.Contains(Kinds, k) {
			return out, &fielderr.Error{Field: "kind", Value: strconv.Quote(k.String()), Err: fmt.Errorf("want %s", strings.Join(KindNames(), ", "))}
		}
		seen[k] = true
	}
	for _, k := range Kinds { // canonical order, duplicates dropped
		if seen[k] || len(c.Kinds) == 0 {
			out.Kinds = append(out.Kinds, k)
		}
	}
	if c.Src.IsValid() {
		src, err := CheckLoopback(c.Src)
		if err != nil {
			return out, &fielderr.Error{Field: "src", Value: c.Src.String(), Err: err}
		}
		out.Src = src
	}
	dsts := c.Dsts
	if len(dsts) == 0 {
		for _, a := range DefaultDsts {
			if !out.Src.IsValid() || a.Is4() == out.Src.Is4() {
				dsts = append(dsts, netip.AddrPortFrom(a, 0))
			}
		}
	}
	if len(dsts) > MaxDsts {
		return out, &fielderr.Error{Field: "dst", Value: fmt.Sprintf("(%d given)", len(dsts)), Err: fmt.Errorf("too many destinations; want at most %d", MaxDsts)}
	}
	// Only connections closed with FIN leave TIME_WAIT behind, and only
	// then is the kernel's range read (five files under /proc).
	if out.Close == CloseFIN {
		if err := checkTimeWait(out, len(dsts), readKernel()); err != nil {
			return out, err
		}
	}
	have := map[netip.AddrPort]bool{}
	for _, d := range dsts {
		a, err := CheckLoopback(d.Addr())
		if err != nil {
			return out, &fielderr.Error{Field: "dst", Value: d.Addr().String(), Err: err}
		}
		d = netip.AddrPortFrom(a, d.Port())
		if have[d] {
			return out, &fielderr.Error{Field: "dst", Value: d.String(), Err: errors.New("given twice; want each destination once")}
		}
		have[d] = true
		if out.Src.IsValid() && a.Is4() != out.Src.Is4() {
			return out, &fielderr.Error{Field: "src", Value: out.Src.String(), Err: fmt.Errorf("is %s but dst %v is %s; want a source of the destinations' family", family(out.Src), a, family(a))}
		}
		out.Dsts = append(out.Dsts, d)
	}
	return out, nil
}

// checkTimeWait refuses a CloseFIN probe whose TCP connections, count per
// destination and kind, would leave more than MaxTimeWaitShare of the
// range in TIME_WAIT: the kernel's range, or Linux's default where it
// cannot be read.
func checkTimeWait(c Config, dsts int, k Kernel) error {
	if c.Close != CloseFIN {
		return nil
	}
	tcp := 0
	for _, kind := range c.Kinds {
		if kind != allocator.UDP {
			tcp++
		}
	}
	rng := allocator.LinuxRange
	if k.Known {
		rng = k.Range
	}
	n, limit := c.Count*dsts*tcp, int(MaxTimeWaitShare*float64(rng.Size()))
	if n <= limit {
		return nil
	}
	return &fielderr.Error{Field: "count", Value: strconv.Itoa(c.Count), Err: fmt.Errorf("with close fin, %d TCP connections (%d to each of %d destinations, %d kinds) "+
		"would leave %d sockets in TIME_WAIT for 60 s, more than half the %d-port range %v: every program's bind(addr, 0) on this host "+
		"would fail meanwhile; want count × destinations × TCP kinds ≤ %d, or close rst (no TIME_WAIT)",
		n, c.Count, dsts, tcp, n, rng.Size(), rng, limit)}
}

// errNoPorts explains EADDRNOTAVAIL (connect: no free 4-tuple) and
// EADDRINUSE (bind(addr, 0): no free port) from a probe.
func errNoPorts(err error, k Kernel) error {
	if !errors.Is(err, syscall.EADDRNOTAVAIL) && !errors.Is(err, syscall.EADDRINUSE) {
		return err
	}
	rng := "the port range"
	if k.Known {
		rng = "the port range " + k.Range.String()
	}
	return fmt.Errorf("%w: the kernel has no free port in %s; sockets in TIME_WAIT (from earlier close fin probes "+
		"or other programs) hold ports for 60 s: wait a minute, or probe with close rst", err, rng)
}

// KindNames are the names of Kinds, in order.
func KindNames() []string {
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = k.String()
	}
	return names
}

func family(a netip.Addr) string {
	if a.Is4() {
		return "IPv4"
	}
	return "IPv6"
}

// Run asks this machine's kernel for source ports: for each kind in
// cfg.Kinds, cfg.Count connections to each destination, round-robin, each
// closed before the next is made, recording the port the kernel chose. It
// talks only to loopback and refuses any other address. Closing between
// connections does not hide the Linux connect() pattern: its per-
// destination counter moves after every success whether or not the port is
// still in use.
//
// On Linux the probes use raw sockets (package syscall), so that nothing
// but what is described here is set on them: no SO_REUSEADDR (which would
// confine bind() to half the range) and no IP_BIND_ADDRESS_NO_PORT (which
// would defer a bind()'s port to connect()). Elsewhere they use package
// net, and the host's port rules are reported as unknown.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	explicit := len(cfg.Dsts) > 0
	cfg, err := cfg.Validate()
	if err != nil {
		return nil, err
	}
	res := &Result{Kernel: readKernel()}

	ls, notes, err := listen(cfg, explicit)
	if err != nil {
		return nil, err
	}
	defer ls.close()
	res.Notes = notes
	cfg.Dsts = ls.dsts()
	res.Config = cfg

	fin := cfg.Close == CloseFIN
	for _, kind := range cfg.Kinds {
		start := time.Now()
		n := 0
		for i := 0; i < cfg.Count; i++ {
			for _, l := range ls {
				if err := ctx.Err(); err != nil {
					return res, err
				}
				dst, proto := l.tcp, capture.TCP
				if kind == allocator.UDP {
					dst, proto = l.udp, capture.UDP
				}
				local, err := dialOnce(kind, cfg.Src, dst, fin)
				now := time.Now()
				if err != nil {
					return res, fmt.Errorf("%s probe %d to %v: %w", kind, n+1, dst, errNoPorts(err, res.Kernel))
				}
				res.Samples = append(res.Samples, Sample{Kind: kind, Attempt: capture.Attempt{
					Time: now, Proto: proto,
					Src: local.Addr().Unmap(), SrcPort: local.Port(),
					Dst: dst.Addr(), DstPort: dst.Port(),
				}})
				n++
			}
		}
		res.Timings = append(res.Timings, Timing{Kind: kind, Count: n, Elapsed: time.Since(start)})
	}
	return res, nil
}

// listener is one destination's server side.
type listener struct {
	tcp, udp netip.AddrPort
	tl       *net.TCPListener
	ul       *net.UDPConn
	wg       sync.WaitGroup
}

type listeners []*listener

func (ls listeners) dsts() []netip.AddrPort {
	out := make([]netip.AddrPort, len(ls))
	for i, l := range ls {
		out[i] = l.tcp
	}
	return out
}

func (ls listeners) close() {
	for _, l := range ls {
		if l.tl != nil {
			l.tl.Close()
		}
		if l.ul != nil {
			l.ul.Close()
		}
		l.wg.Wait()
	}
}

// listen opens a TCP listener and a UDP socket on each destination.
// A default destination the host lacks (::1 without IPv6) is dropped with a
// note; a destination asked for by name that cannot be opened is an error.
func listen(cfg Config, explicit bool) (listeners, []string, error) {
	var ls listeners
	var notes []string
	needTCP, needUDP := false, false
	for _, k := range cfg.Kinds {
		if k == allocator.UDP {
			needUDP = true
		} else {
			needTCP = true
		}
	}
	for _, d := range cfg.Dsts {
		l, err := listenOne(d, needTCP, needUDP, cfg.Close == CloseFIN)
		if err != nil {
			if !explicit && d.Addr().Is6() {
				notes = append(notes, fmt.Sprintf("skipped %v: no IPv6 loopback here (%v)", d.Addr(), err))
				continue
			}
			ls.close()
			if d.Port() != 0 {
				// The port asked for is taken or privileged: loopback itself may be fine.
				return nil, nil, fmt.Errorf("listening on %v: %w", d, err)
			}
			return nil, nil, fmt.Errorf("%w: listening on %v: %v", ErrNoLoopback, d, err)
		}
		ls = append(ls, l)
	}
	if len(ls) == 0 {
		return nil, nil, fmt.Errorf("%w: no destination could be opened", ErrNoLoopback)
	}
	return ls, notes, nil
}

func listenOne(d netip.AddrPort, needTCP, needUDP, fin bool) (*listener, error) {
	l := &listener{}
	if needTCP {
		tl, err := net.ListenTCP("tcp", net.TCPAddrFromAddrPort(d))
		if err != nil {
			return nil, err
		}
		l.tl = tl
		l.tcp = tl.Addr().(*net.TCPAddr).AddrPort()
		l.tcp = netip.AddrPortFrom(l.tcp.Addr().Unmap(), l.tcp.Port())
		l.wg.Add(1)
		go l.accept(fin)
	}
	if needUDP {
		ua := d
		if d.Port() == 0 && l.tcp.IsValid() {
			// The same port number as the TCP listener when it is free, so
			// that one destination reads as one address:port in the output.
			ua = l.tcp
		}
		ul, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(ua))
		if err != nil && ua != d {
			ul, err = net.ListenUDP("udp", net.UDPAddrFromAddrPort(d))
		}
		if err != nil {
			if l.tl != nil {
				l.tl.Close()
				l.wg.Wait()
			}
			return nil, err
		}
		l.ul = ul
		l.udp = ul.LocalAddr().(*net.UDPAddr).AddrPort()
		l.udp = netip.AddrPortFrom(l.udp.Addr().Unmap(), l.udp.Port())
		l.wg.Add(1)
		go l.drain()
	}
	if !l.tcp.IsValid() {
		l.tcp = l.udp
	}
	if !l.udp.IsValid() {
		l.udp = l.tcp
	}
	return l, nil
}

// accept takes connections off the queue so that it never fills (a full
// queue drops SYNs and stalls the probe). The client closes first either
// way: a server that reset first could do so before the client's connect()
// returned, which would then fail with ECONNRESET. With rst the server just
// closes (a FIN, answered by the client's RST: no TIME_WAIT on either
// side); with fin it waits for the client's FIN, so that TIME_WAIT falls on
// the client as after a real client's close.
func (l *listener) accept(fin bool) {
	defer l.wg.Done()
	for {
		c, err := l.tl.AcceptTCP()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // a connection reset before accept; the next one is fine
		}
		if !fin {
			c.Close()
			continue
		}
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			io.Copy(io.Discard, c)
			c.Close()
		}()
	}
}

// drain reads the probes' datagrams so that the socket buffer never fills.
func (l *listener) drain() {
	defer l.wg.Done()
	buf := make([]byte, 64)
	for {
		if _, _, err := l.ul.ReadFromUDPAddrPort(buf); errors.Is(err, net.ErrClosed) {
			return
		}
	}
}

// CSVHeader is the header row WriteCSV writes.
var CSVHeader = []string{"kind", "n", "time", "src", "sport", "dst", "dport"}

// WriteCSV writes the samples, one row each, under CSVHeader: n counts
// from 1 within each kind and time is RFC 3339 with nanoseconds, UTC.
func (r *Result) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write(CSVHeader)
	n := map[allocator.Kind]int{}
	for _, s := range r.Samples {
		n[s.Kind]++
		cw.Write([]string{
			s.Kind.String(), strconv.Itoa(n[s.Kind]), s.Time.UTC().Format(time.RFC3339Nano),
			s.Src.String(), strconv.Itoa(int(s.SrcPort)), s.Dst.String(), strconv.Itoa(int(s.DstPort)),
		})
	}
	cw.Flush()
	return cw.Error()
}

// Kinds lists the kinds with samples, in Kinds order.
func (r *Result) Kinds() []allocator.Kind {
	have := map[allocator.Kind]bool{}
	for _, s := range r.Samples {
		have[s.Kind] = true
	}
	var out []allocator.Kind
	for _, k := range Kinds {
		if have[k] {
			out = append(out, k)
		}
	}
	return out
}

// Attempts returns the attempts of the samples of one kind, in the order
// made.
func (r *Result) Attempts(kind allocator.Kind) []capture.Attempt {
	var out []capture.Attempt
	for _, s := range r.Samples {
		if s.Kind == kind {
			out = append(out, s.Attempt)
		}
	}
	return out
}
