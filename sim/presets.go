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
