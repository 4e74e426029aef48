package sim

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/portsim/portsim/allocator"
)

// DefaultScenario is the starting point for flags and files: a Linux host
// with its defaults (range 32768-60999, TIME_WAIT 60s, tw_reuse for
// loopback after 1s) opening 100 connections per second, Poisson, each
// lasting about a second, to 10 destinations on 443, closed by the client;
// the four classic strategies compared over 60s with seed 1.
func DefaultScenario() Scenario {
	cfg := allocator.DefaultConfig()
	return Scenario{
		Name:         "default",
		Seed:         1,
		Duration:     60 * time.Second,
		Arrivals:     Arrivals{Process: Poisson, Rate: 100},
		Lifetime:     Lifetime{Dist: Exponential, Mean: time.Second},
		Destinations: 10,
		DstPorts:     []uint16{443},
		Srcs:         []netip.Addr{defaultSrc4},
		Kinds:        []Share[allocator.Kind]{{Value: allocator.Connect, Weight: 1}},
		Close:        []Share[allocator.CloseHow]{{Value: allocator.ClientFirst, Weight: 1}},
		TimeWait:     cfg.TimeWait,
		TWReuse:      cfg.TWReuse,
		TWReuseDelay: cfg.TWReuseDelay,
		Range:        cfg.Range,
		Strategies:   []string{"sequential", "random", "hashed", "linux"},
		Hosts:        1,
		PublicIPs:    1,
	}
}

// Preset is a named scenario modelled on a workload people run into.
type Preset struct {
	Name        string
	Description string // one line: what it models and what it shows
	// Scenario returns a fresh copy, named after the preset.
	Scenario func() Scenario
}

// presets are built over DefaultScenario, so each says only how it differs.
var presets = []Preset{
	{
		Name:        "browser",
		Description: "a web browser: 20 sites of zipf popularity on 443, keep-alive connections lasting ~30s and closed by either side; ports are plentiful, so it shows predictability and reuse, not exhaustion",
		Scenario: func() Scenario {
			return preset("browser", func(sc *Scenario) {
				sc.Duration, sc.Warmup = 10*time.Minute, time.Minute
				sc.Arrivals = Arrivals{Process: Poisson, Rate: 5}
				sc.Lifetime = Lifetime{Dist: LogNormal, Mean: 30 * time.Second, Sigma: 1}
				sc.Destinations = 20
				sc.Popularity = Popularity{Zipf: true, S: 1.1}
				sc.Close = []Share[allocator.CloseHow]{
					{Value: allocator.ClientFirst, Weight: 0.5},
					{Value: allocator.ServerFirst, Weight: 0.5},
				}
			})
		},
	},
	{
		Name:        "load-tester",
		Description: "a load tester without keep-alive: 400 new connections/s to one server, each closed by the client after 50ms; TIME_WAIT holds ~24k of Linux's 28k ports, near the ~470/s limit of range/60s",
		Scenario: func() Scenario {
			return preset("load-tester", func(sc *Scenario) {
				sc.Duration, sc.Warmup = 2*time.Minute, time.Minute // TIME_WAIT is full after 60s
				sc.Arrivals = Arrivals{Process: Poisson, Rate: 400}
				sc.Lifetime = Lifetime{Dist: Fixed, Mean: 50 * time.Millisecond}
				sc.Destinations = 1
				sc.DstPorts = []uint16{80}
			})
		},
	},
	{
		Name:        "proxy-backend",
		Description: "a reverse proxy opening short connections to 4 backends on 8080 at 600/s, closed by the proxy; connect() shares ports across backends, so 36k TIME_WAITs fit (~9k per backend) where one 28k pool would not",
		Scenario: func() Scenario {
			return preset("proxy-backend", proxyBackend)
		},
	},
	{
		Name:        "bind-before-connect",
		Description: "proxy-backend with bind(ip, 0) before connect(): bound ports are exclusive, so all 4 backends share one 28k pool and 600/s × 60s of TIME_WAIT overflows it (the fix is IP_BIND_ADDRESS_NO_PORT)",
		Scenario: func() Scenario {
			return preset("bind-before-connect", func(sc *Scenario) {
				proxyBackend(sc)
				sc.Kinds = []Share[allocator.Kind]{{Value: allocator.Bind, Weight: 1}}
			})
		},
	},
	{
		Name:        "dns-resolver",
		Description: "a recursive DNS resolver: 2000 UDP queries/s to 500 servers of zipf popularity on port 53, each socket open ~30ms; few ports are busy, so what matters is how guessable the next port is (Kaminsky)",
		Scenario: func() Scenario {
			return preset("dns-resolver", func(sc *Scenario) {
				sc.Arrivals = Arrivals{Process: Poisson, Rate: 2000}
				sc.Lifetime = Lifetime{Dist: Exponential, Mean: 30 * time.Millisecond}
				sc.Destinations = 500
				sc.Popularity = Popularity{Zipf: true, S: 1}
				sc.DstPorts = []uint16{53}
				sc.Kinds = []Share[allocator.Kind]{{Value: allocator.UDP, Weight: 1}}
			})
		},
	},
	{
		Name:        "aws-nat-fleet",
		Description: "20 VMs behind an AWS NAT gateway opening 1000 short connections/s in all to one API: each closed connection holds its NAT port to that destination about a minute, so one address gives ~900/s and ~8% fail with ErrorPortAllocation; --public-ips 2 fixes it",
		Scenario: func() Scenario {
			return preset("aws-nat-fleet", func(sc *Scenario) {
				sc.Duration, sc.Warmup = 3*time.Minute, time.Minute // the NAT's holds fill in a minute
				sc.Arrivals = Arrivals{Process: Poisson, Rate: 1000}
				sc.Lifetime = Lifetime{Dist: Fixed, Mean: 50 * time.Millisecond}
				sc.Destinations = 1
				sc.Hosts, sc.Gateway = 20, "aws-nat"
			})
		},
	},
	{
		Name:        "k8s-node",
		Description: "40 pods on a Kubernetes node behind MASQUERADE (netfilter) connecting to one service in bursts of 40 at once: two pods that chose the same port both keep it inside conntrack's confirm window and the later SYN is dropped (insert_failed); try --gateway netfilter:random=fully",
		Scenario: func() Scenario {
			return preset("k8s-node", func(sc *Scenario) {
				sc.Duration = 2 * time.Minute
				// 40 arrivals in 40µs, once a second: every pod at once.
				sc.Arrivals = Arrivals{Process: OnOff, Rate: 1e6, On: 40 * time.Microsecond, Off: time.Second - 40*time.Microsecond}
				sc.Lifetime = Lifetime{Dist: Exponential, Mean: 200 * time.Millisecond}
				sc.Destinations = 1
				sc.DstPorts = []uint16{8080}
				sc.Hosts, sc.Gateway = 40, "netfilter:window=50us"
			})
		},
	},
	{
		Name:        "azure-lb-pool",
		Description: "200 VMs behind Azure Load Balancer's default outbound SNAT (256 ports each) opening connections of ~30 s to one API at 10/s per VM: a VM wants ~300 ports to that destination and SNAT port exhaustion follows, though the frontend's 64,000 are far from used",
		Scenario: func() Scenario {
			return preset("azure-lb-pool", func(sc *Scenario) {
				sc.Duration, sc.Warmup = 3*time.Minute, time.Minute
				sc.Arrivals = Arrivals{Process: Poisson, Rate: 2000}
				sc.Lifetime = Lifetime{Dist: Exponential, Mean: 30 * time.Second}
				sc.Destinations = 1
				sc.Close = []Share[allocator.CloseHow]{{Value: allocator.ServerFirst, Weight: 1}}
				sc.Hosts, sc.Gateway = 200, "azure-lb"
			})
		},
	},
	{
		Name:        "gcp-nat-api",
		Description: "10 VMs behind Cloud NAT with static allocation (64 ports each) calling one API twice a second each: every closed connection holds its NAT port 120 s (TIME_WAIT), so a VM wants ~240 ports and most calls fail OUT_OF_RESOURCES; try gcp-nat:dynamic=on",
		Scenario: func() Scenario {
			return preset("gcp-nat-api", func(sc *Scenario) {
				sc.Duration, sc.Warmup = 5*time.Minute, 2*time.Minute // TIME_WAIT is 120 s at the NAT
				sc.Arrivals = Arrivals{Process: Poisson, Rate: 20}
				sc.Lifetime = Lifetime{Dist: Fixed, Mean: 200 * time.Millisecond}
				sc.Destinations = 1
				sc.Hosts, sc.Gateway = 10, "gcp-nat"
			})
		},
	},
}

// proxyBackend is shared by proxy-backend and bind-before-connect, which
// differ only in the request kind.
func proxyBackend(sc *Scenario) {
	sc.Duration, sc.Warmup = 2*time.Minute, time.Minute
	sc.Arrivals = Arrivals{Process: Poisson, Rate: 600}
	sc.Lifetime = Lifetime{Dist: Exponential, Mean: 100 * time.Millisecond}
	sc.Destinations = 4
	sc.DstPorts = []uint16{8080}
}

func preset(name string, edit func(*Scenario)) Scenario {
	sc := DefaultScenario()
	edit(&sc)
	sc.Name = name
	return sc
}

// Presets lists the built-in scenarios in order.
func Presets() []Preset {
	out := make([]Preset, len(presets))
	copy(out, presets)
	return out
}

// PresetNames lists the preset names in order.
func PresetNames() []string {
	names := make([]string, len(presets))
	for i, p := range presets {
		names[i] = p.Name
	}
	return names
}

// PresetScenario returns the named preset's scenario.
func PresetScenario(name string) (Scenario, error) {
	for _, p := range presets {
		if p.Name == name {
			return p.Scenario(), nil
		}
	}
	return Scenario{}, fmt.Errorf("preset: unknown preset %q; want one of %s", name, strings.Join(PresetNames(), ", "))
}
