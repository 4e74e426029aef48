package strategies

import (
	"fmt"
	"strings"
	"time"

	"github.com/portsim/portsim/allocator"
)

// A Profile is how one operating system or simulator chooses ports: the
// strategy for each request kind plus the host rules around it (range,
// reserved ports, TIME_WAIT and its reuse). Where a strategy says how a
// port is picked, a profile says what a given system does out of the box.
//
// Its texts are written once, here: Description for 'portsim strategies',
// System, Version, How and the range notes for the report.
type Profile struct {
	Name        string
	Description string
	// System is the system's name as its users know it ("Linux",
	// "macOS"), shared by the profiles of its versions; Version tells
	// those apart ("6.x"), or is "".
	System, Version string
	// How tells what the system does, in a few sentences of plain text
	// for a reader new to the subject.
	How string
	// RangeNote is a note on Range: its setting, or a caveat.
	RangeNote string
	// OtherRanges are ranges the system also uses: a socket option's, an
	// older version's default.
	OtherRanges []PortRange
	// Approximate marks a profile built without a public description of
	// the algorithm (Windows): a plausible model, not a faithful one.
	Approximate bool
	// Strategies is the strategy spec serving each request kind. Kinds
	// with the same spec share one strategy instance, as a kernel's TCP
	// connect() and bind() share one cursor.
	Strategies [3]string
	Range      allocator.Range
	Reserved   []allocator.Range
	TimeWait   time.Duration
	TWReuse    allocator.TWReuse
	// TWReuseDelay is the minimum TIME_WAIT age for a reuse (Linux).
	TWReuseDelay time.Duration
	// ExclusiveConnect: connect() checks the local port alone, so a port
	// is never shared across destinations (ns-3, OMNeT++ INET): the
	// simulator treats each connect as a bind.
	ExclusiveConnect bool
	// Sources are where the facts come from: files and functions of the
	// system's source, commits, documentation.
	Sources []string
	// Stack is the shape of the system's TCP SYN, with its own sources;
	// the zero Stack for a system with no reference signature.
	Stack Stack
	// Params are the profile's own choices (NetBSD's algorithm).
	Params []Param

	build func(p *Params) Profile
}

// Config is the host's port rules under the profile.
func (p Profile) Config() allocator.Config {
	return allocator.Config{
		Range:        p.Range,
		Reserved:     p.Reserved,
		TimeWait:     p.TimeWait,
		TWReuse:      p.TWReuse,
		TWReuseDelay: p.TWReuseDelay,
	}
}

// A PortRange is a port range a system uses under some condition.
type PortRange struct {
	Range allocator.Range
	// When says when the system uses it ("before Vista (MaxUserPort)").
	When string
}

// Title is the system and its version: "Linux 6.x", "macOS".
func (p Profile) Title() string {
	if p.Version == "" {
		return p.System
	}
	return p.System + " " + p.Version
}

// For is the strategy spec serving requests of kind k.
func (p Profile) For(k allocator.Kind) string { return p.Strategies[k] }

var linuxSources = []string{
	"net/ipv4/inet_hashtables.c __inet_hash_connect (connect: perturb table, even ports first, step 2)",
	"net/core/secure_seq.c secure_ipv4_port_ephemeral (SipHash-2-4 of saddr, daddr, dport, 10 s time epoch)",
	"net/ipv4/inet_connection_sock.c inet_csk_find_open_port (bind(ip, 0): odd ports first)",
	"net/ipv4/udp.c udp_lib_get_port (UDP: random start, every port covered)",
	"Documentation/networking/ip-sysctl.rst (ip_local_port_range 32768-60999, tcp_tw_reuse 2, tcp_tw_reuse_delay 1000 ms)",
	"include/net/tcp.h TCP_TIMEWAIT_LEN (60 s)",
}

// linuxBindUDP is what bind() and UDP do; they did not change across the
// versions modelled.
const linuxBindUDP = " bind(ip, 0): odd ports first, from a random start, each port owned exclusively. UDP: a random start, then a stride that covers every port."

// linux builds a Linux profile whose connect() spec is connect; how says
// what connect() does.
func linux(name, version, desc, how, connect string, stack Stack, extra ...string) Profile {
	return Profile{
		Name:         name,
		Description:  desc,
		System:       "Linux",
		Version:      version,
		How:          how + linuxBindUDP,
		RangeNote:    "ip_local_port_range's default; the kernel's documentation says the two bounds should differ in parity",
		Strategies:   [3]string{allocator.Connect: connect, allocator.Bind: "linux-bind", allocator.UDP: "linux-udp"},
		Range:        allocator.LinuxRange,
		TimeWait:     allocator.DefaultTimeWait,
		TWReuse:      allocator.TWReuseLoopback,
		TWReuseDelay: allocator.DefaultTWReuseDelay,
		Sources:      append(append([]string(nil), linuxSources...), extra...),
		Stack:        stack,
	}
}

// every is the same spec for every request kind.
func every(spec string) [3]string { return [3]string{spec, spec, spec} }

// netbsdAlgorithms maps NetBSD's portalgo names (sysctl
// net.inet.ip.anonportalgo.selected) to portsim strategies.
var netbsdAlgorithms = map[string]string{
	"bsd":          "sequential:direction=down",
	"random_start": "random",
	"random_pick":  "random-pick",
	"hash":         "hashed",
	"doublehash":   "double-hash:table-length=8",
	"randinc":      "random-increments:N=500",
}

var netbsdNames = []string{"bsd", "random_start", "random_pick", "hash", "doublehash", "randinc"}

// profileOrder is the order profiles are listed in.
var profileOrder = []Profile{
	linux("linux", "6.x", "Linux 6.x: connect() by SipHash and a 2^16 perturb table (even ports, random +2..16 steps, 10 s re-salt), bind() odd ports first, UDP random",
		"TCP connect(): SipHash of the addresses, the destination port and a 10-second epoch picks one of 2^16 counters and an offset; even ports first, in steps of 2, then the odd ones. With no collisions the next port to the same server is 2 to 16 above the last, and each server sees a sequence of its own.",
		"linux", linuxStack,
		"commit ca7af0402550 (tcp: add small random increments to the source port)"),
	linux("linux-5.12", "5.12–5.17.8", "Linux 5.12-5.17.8: RFC 6056 Algorithm 4 with a 2^8 perturb table, no random increments, no re-salt (CVE-2022-32296)",
		"TCP connect(): RFC 6056 Algorithm 4, a keyed hash of the addresses and destination port picks one of 256 counters; even ports first, in steps of 2; a counter moves on by exactly the distance walked plus 2. The hash was never re-salted, so which destinations share a counter identified the device to a web page (CVE-2022-32296, fixed in 5.17.9 and 5.15.41).",
		"linux:table-order=8,increments=off,resalt=0", linuxStack,
		"Kol, Klein, Gilad: Device Tracking via Linux's New TCP Source Port Selection Algorithm (USENIX Security 2023)",
		"CVE-2022-32296 (2^8 table_perturb, fixed in 5.17.9 and 5.15.41)"),
	linux("linux-4", "4.6–5.11", "Linux 4.6-5.11: RFC 6056 Algorithm 3, a keyed hash per destination plus one global hint, even ports first (4.2-4.5 look the same on a quiet host)",
		"TCP connect(): RFC 6056 Algorithm 3, a keyed hash of the addresses and destination port gives each server its own offset, plus one global hint that every connection moves on; even ports first, in steps of 2, then the odd ones. 4.2 to 4.5 already started on an even port but walked on in steps of 1, which shows only when ports are busy. Before 4.2 there was no parity at all: see linux-3.",
		"linux:hint=on,increments=off,resalt=0", linux4Stack,
		"commit 1580ab63fc9a (tcp/dccp: better use of ephemeral ports in connect(); 4.6): all even ports first in steps of 2, then the odd ones, hint += i + 2; its companion for bind() tries odd ports first",
		"commit 07f4c90062f8 (tcp/dccp: try to not exhaust ip_local_port_range in connect(); Eric Dumazet, May 2015, 4.2): the walk starts on an even offset (offset &= ~1), steps of 1, hint += (i + 2) & ~1; ip_local_port_range's default becomes 32768-60999",
		"commit 190cc82489f4 (5.12 moved connect() from Algorithm 3 to Algorithm 4; its message cites RFC 6056)"),
	{
		Name:        "linux-3",
		Description: "Linux 2.6-4.1 (Android up to 7): RFC 6056 Algorithm 3, one global hint moved on by the ports tried, both parities (+1 steps), bind() random start then +1",
		System:      "Linux",
		Version:     "2.6–4.1",
		How:         "TCP connect(): RFC 6056 Algorithm 3, a keyed hash of the addresses and destination port gives each server its own offset, plus one global hint that moves on by the number of ports tried. With no collisions the next port to the same server is 1 above the last (more when other connections came in between), of either parity. bind(ip, 0): a random start, then +1 (RFC 6056 Algorithm 1), each port owned exclusively. UDP: a random start, then a stride that covers every port.",
		RangeNote:   "ip_local_port_range's default before 4.2; older 2.6 kernels sized it from memory at boot",
		OtherRanges: []PortRange{{allocator.Range{Lo: 1024, Hi: 4999}, "2.4 and older 2.6 kernels with little memory (tcp_init sized the range from the bind hash table)"}},
		// socket-range=on is step 1 over every port of the range with no
		// parity pass, and with hint=on the hint moves on by the ports
		// tried: the kernel's loop, whose first try is offset+hint+1
		// rather than offset+hint, a shift no observer can tell from the
		// secret offset.
		Strategies:   [3]string{allocator.Connect: "linux:hint=on,increments=off,resalt=0,socket-range=on", allocator.Bind: "random", allocator.UDP: "linux-udp"},
		Range:        allocator.Range{Lo: 32768, Hi: 61000},
		TimeWait:     allocator.DefaultTimeWait,
		TWReuse:      allocator.TWReuseOff,
		TWReuseDelay: allocator.DefaultTWReuseDelay,
		Stack:        linux3Stack,
		Sources: []string{
			"net/ipv4/inet_hashtables.c __inet_hash_connect before 4.2: remaining = high - low + 1; for i = 1..remaining, port = low + (i + hint + port_offset) % remaining; after a success hint += i",
			"commit 07f4c90062f8 (tcp/dccp: try to not exhaust ip_local_port_range in connect(); Eric Dumazet, May 2015, 4.2): ended this, starting on even ports and changing the default range from 32768-61000 to 32768-60999",
			"net/ipv4/inet_connection_sock.c inet_csk_get_port before 4.6: bind(ip, 0) from rover = prandom_u32() % remaining + low, then ++rover with wrap (no parity)",
			"net/ipv4/udp.c udp_lib_get_port (commits 9088c5609584 udp: Improve port randomization, 98322f22eca8 udp: optimize bind(0) if many ports are in use; 2.6.2x): random start, a stride that covers every port",
			"net/ipv4/tcp.c tcp_init (2.4, 2.6): the range from the bind hash table's size, 32768-61000 with enough memory, 1024*(3-order)-4999 with little",
			"include/net/tcp.h TCP_TIMEWAIT_LEN (60 s); tcp_tw_reuse 0 by default",
		},
	},
	{
		Name:        "freebsd",
		Description: "FreeBSD: random start then +1 (RFC 6056 Algorithm 1) over 10000-65535; ports shared across destinations by 4-tuple",
		System:      "FreeBSD",
		How:         "A random start, then +1 (RFC 6056 Algorithm 1), for TCP and UDP. With the destination known, a port is shared across destinations by 4-tuple.",
		RangeNote:   "net.inet.ip.portrange.first and last",
		OtherRanges: []PortRange{{allocator.DynamicRange, "high range (IP_PORTRANGE_HIGH)"}},
		Strategies:  every("random"),
		Range:       allocator.Range{Lo: 10000, Hi: 65535},
		TimeWait:    60 * time.Second,
		Stack:       freebsdStack,
		Sources: []string{
			"sys/netinet/in_pcb.c in_pcb_lport_dest (randomized: first + arc4random() % (last - first), then ++lastport with wrap)",
			"sysctl net.inet.ip.portrange.first=10000, last=65535",
			"sysctl net.inet.tcp.msl=30000 (TIME_WAIT = 2 MSL = 60 s)",
		},
	},
	{
		Name:        "openbsd",
		Description: "OpenBSD: random start (arc4random_uniform) then +1 over 1024-49151",
		System:      "OpenBSD",
		How:         "A random start (arc4random_uniform), then +1.",
		Strategies:  every("random"),
		Range:       allocator.Range{Lo: 1024, Hi: 49151},
		TimeWait:    60 * time.Second,
		Stack:       openbsdStack,
		Sources: []string{
			"sys/netinet/in_pcb.c in_pcbpickport (random start, then +1)",
			"sysctl net.inet.ip.porthifirst/porthilast and portfirst=1024, portlast=49151",
			"sys/netinet/tcp_timer.h TCPTV_MSL 30 s (TIME_WAIT = 2 MSL = 60 s)",
		},
	},
	{
		Name:        "netbsd",
		Description: "NetBSD: selectable portalgo (algo=bsd|random_start|random_pick|hash|doublehash|randinc); default bsd counts down from 65535",
		System:      "NetBSD",
		How:         "Chosen per socket or address family: bsd, the default, counts down from the top of the range; random_start, random_pick, hash, doublehash (8 counters) and randinc (N = 500) are RFC 6056's Algorithms 1 to 5.",
		RangeNote:   "net.inet.ip.anonportmin and anonportmax",
		Range:       allocator.DynamicRange,
		TimeWait:    60 * time.Second,
		Params: []Param{{Name: "algo", Default: "bsd", Choices: netbsdNames,
			Help: "net.inet.ip.anonportalgo.selected: bsd (one cursor counting down from anonportmax), random_start, random_pick, hash, doublehash (8 counters), randinc (N = 500)"}},
		Stack: netbsdStack,
		Sources: []string{
			"sys/netinet/portalgo.c (the selectable algorithms: bsd, random_start, random_pick, hash, doublehash, randinc)",
			"sysctl net.inet.ip.anonportmin=49152, anonportmax=65535",
			"sys/netinet/tcp_timer.h TCPTV_MSL 30 s (TIME_WAIT = 2 MSL = 60 s)",
		},
		build: func(p *Params) Profile {
			spec := netbsdAlgorithms[p.Enum("algo", netbsdNames...)]
			return Profile{Strategies: every(spec)}
		},
	},
	{
		Name:        "macos",
		Description: "macOS (XNU): TCP one sequential cursor over 49152-65535 (randomize_ports=0), UDP random start then +1",
		System:      "macOS",
		How:         "TCP is sequential: one global cursor, +1 per allocation (net.inet.tcp.randomize_ports is 0 by default). UDP: a random start, then +1.",
		Strategies:  [3]string{allocator.Connect: "sequential", allocator.Bind: "sequential", allocator.UDP: "random"},
		Range:       allocator.DynamicRange,
		TimeWait:    30 * time.Second,
		Stack:       macosStack,
		Sources: []string{
			"bsd/netinet/in_pcb.c in_pcbbind (lastport cursor; randomized only when the protocol's randomize_ports is set)",
			"sysctl net.inet.tcp.randomize_ports=0, net.inet.udp.randomize_ports=1",
			"sysctl net.inet.ip.portrange.first=49152, last=65535",
			"sysctl net.inet.tcp.msl=15000 (TIME_WAIT = 2 MSL = 30 s)",
		},
	},
	{
		Name:        "windows",
		Description: "Windows Vista+ (no public description of the algorithm exists): one sequential cursor for TCP over 49152-65535, UDP random start",
		System:      "Windows",
		Version:     "Vista and later",
		How:         "Not publicly described. Captures of Windows 7 and 10 show one sequential cursor for TCP across all destinations; before Vista, TCP and UDP ports came one after another from a single counter. SO_RANDOMIZE_PORT exists, and Chromium turns it on for TCP on Windows 11 22H2 and later.",
		RangeNote:   "since Vista and Server 2008; how Windows picks within it is not public",
		OtherRanges: []PortRange{{allocator.Range{Lo: 1025, Hi: 5000}, "before Vista (MaxUserPort)"}},
		Approximate: true,
		Strategies:  [3]string{allocator.Connect: "sequential", allocator.Bind: "sequential", allocator.UDP: "random"},
		Range:       allocator.DynamicRange,
		TimeWait:    120 * time.Second,
		Stack:       windowsStack,
		Sources: []string{
			"Microsoft KB 929851: dynamic port range 49152-65535 since Vista and Server 2008 (1025-5000 before, MaxUserPort)",
			"TcpTimedWaitDelay default 120 s (Vista and later; 240 s in Windows 2000, XP and Server 2003)",
			"Winsock SO_RANDOMIZE_PORT, which Chromium sets for TCP on Windows 11 22H2+: the default is not fully random",
			"approximation: TCP modelled as pre-Vista's incremental counter; UDP as random after the 2008 DNS source-port fixes",
		},
	},
	{
		Name:        "windows-xp",
		Description: "Windows before Vista (2000, XP, Server 2003): one sequential counter over 1025-5000 (MaxUserPort) for TCP and UDP alike",
		System:      "Windows",
		Version:     "2000, XP, Server 2003",
		How:         "One counter for TCP and UDP together, +1 per port handed out, over 1025 to 5000: a TCP connection that gets 1025 is followed by a UDP socket on 1026. Each port belongs to its socket alone, so a port is never shared across destinations.",
		RangeNote:   "MaxUserPort's default, 5000; port 1024 is not handed out",
		Strategies:  every("sequential"),
		Range:       allocator.Range{Lo: 1025, Hi: 5000},
		TimeWait:    240 * time.Second,
		// A wildcard bind: the socket owns its port.
		ExclusiveConnect: true,
		Stack:            windowsXPStack,
		Sources: []string{
			"Microsoft KB 929851: earlier versions of Windows used a default dynamic port range of 1025 through 5000 (49152-65535 from Vista and Server 2008)",
			"The Cable Guy, Windows TCP/IP Ephemeral, Reserved, and Blocked Port Behavior (TechNet, December 2005): MaxUserPort (default 5000) bounds the ports Windows XP and Server 2003 hand out to Windows Sockets wildcard binds",
			"HSC, Windows network services internals, 2.4 Ephemeral ports allocation: the 1025-5000 range is shared by TCP and UDP, ports are allocated incrementally (TCP 1025, then UDP 1026), 1024 is never used",
			"TcpTimedWaitDelay default 0xF0 = 240 s (Windows 2000 registry reference; Windows Server 2003 TCP/IP documentation, TCP TIME-WAIT Delay)",
		},
	},
	{
		Name:             "ns3",
		Description:      "ns-3: sequential over 49152-65535 from 49153, local-port check only (no sharing across destinations)",
		System:           "ns-3",
		How:              "Sequential from 49153, +1 per allocation. A port is checked alone, so it is never shared across destinations.",
		Strategies:       every("sequential:start=49153"),
		Range:            allocator.DynamicRange,
		TimeWait:         240 * time.Second,
		ExclusiveConnect: true,
		Sources: []string{
			"src/internet/model/ipv4-end-point-demux.cc AllocateEphemeralPort (49152-65535, first 49153, LookupPortLocal)",
			"src/internet/model/tcp-socket-base.cc attribute MaxSegLifetime 120 s (TIME_WAIT = 2 MSL = 240 s)",
		},
	},
	{
		Name:             "omnet-inet",
		Description:      "OMNeT++ INET: sequential over 1024-5000 from 1025, local-port check only",
		System:           "OMNeT++ INET",
		How:              "Sequential from 1025, +1 per allocation, for TCP and UDP alike. A port is checked alone, so it is never shared across destinations.",
		Strategies:       every("sequential:start=1025"),
		Range:            allocator.Range{Lo: 1024, Hi: 5000},
		TimeWait:         240 * time.Second,
		ExclusiveConnect: true,
		Sources: []string{
			"src/inet/transportlayer/tcp/Tcp.cc getEphemeralPort (EPHEMERAL_PORTRANGE_START 1024, END 5000, first 1025)",
			"src/inet/transportlayer/udp/Udp.cc getEphemeralPort (same range and rule)",
			"src/inet/transportlayer/tcp/TcpConnectionBase.cc TCP_TIMEOUT_2MSL 240 s",
		},
	},
}

// Profiles lists the OS and simulator profiles in their documented order.
// A profile with parameters comes with its defaults applied.
func Profiles() []Profile {
	out := make([]Profile, len(profileOrder))
	for i, p := range profileOrder {
		r, err := LookupProfile(p.Name)
		if err != nil {
			panic("strategies: profile " + p.Name + ": " + err.Error())
		}
		out[i] = r
	}
	return out
}

// ProfileNames lists the profile names.
func ProfileNames() []string {
	names := make([]string, len(profileOrder))
	for i, p := range profileOrder {
		names[i] = p.Name
	}
	return names
}

// ProfileSpecs lists every profile spec there is: each profile with its
// defaults, then one spec per other value of each of its choice parameters
// (netbsd:algo=random_start, …).
func ProfileSpecs() []string {
	var specs []string
	for _, p := range profileOrder {
		specs = append(specs, p.Name)
		for _, prm := range p.Params {
			for _, c := range prm.Choices {
				if c != prm.Default {
					specs = append(specs, p.Name+":"+prm.Name+"="+c)
				}
			}
		}
	}
	return specs
}

// LookupProfile resolves a profile spec, "name[:k=v,…]" (parameters only
// for profiles that take them: netbsd's algo).
func LookupProfile(spec string) (Profile, error) {
	name, args, _ := strings.Cut(spec, ":")
	for _, p := range profileOrder {
		if p.Name != name {
			continue
		}
		params, err := parseParams(Info{Name: "profile " + name, Params: p.Params}, args)
		if err != nil {
			return Profile{}, err
		}
		if p.build != nil {
			p.Strategies = p.build(params).Strategies
			if params.err != nil {
				return Profile{}, fmt.Errorf("profile %s: %w", name, params.err)
			}
		}
		return p, nil
	}
	return Profile{}, fmt.Errorf("unknown profile %q; want one of %s", name, strings.Join(ProfileNames(), ", "))
}

// ProfilePrefix marks a profile in a list of strategy specs:
// "profile:macos" runs the macOS profile where "sequential" runs a
// strategy alone.
const ProfilePrefix = "profile:"

// IsProfileSpec reports whether spec names a profile, and the profile spec.
func IsProfileSpec(spec string) (string, bool) {
	return strings.CutPrefix(spec, ProfilePrefix)
}

// ValidateSpec checks a strategy spec or a "profile:" spec.
func ValidateSpec(spec string) error {
	if p, ok := IsProfileSpec(spec); ok {
		_, err := LookupProfile(p)
		return err
	}
	return Validate(spec)
}
