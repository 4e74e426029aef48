package attack

import (
	"context"
	"fmt"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/internal/fielderr"
	"github.com/portsim/portsim/internal/format"
	"github.com/portsim/portsim/internal/seed"
	"github.com/portsim/portsim/sim"
	"github.com/portsim/portsim/strategies"
)

// Schema is the version of the JSON attack results format.
const Schema = "portsim.attack/v1"

// The attacks.
const (
	Tracking = "tracking"
	Count    = "count"
	Guess    = "guess"
)

// Names lists the attacks in the order they are documented.
func Names() []string { return []string{Tracking, Count, Guess} }

// Seen says which of the victim's ports the guessing attacker has seen.
type Seen uint8

const (
	// Own: ports of the victim's connections to the attacker's own server,
	// which a web page or a query for the attacker's domain provokes.
	Own Seen = iota
	// Target: ports of the victim's earlier connections to the target
	// itself, which an off-path attacker learns only through a side
	// channel (as SAD DNS did for DNS).
	Target
)

func (s Seen) String() string {
	if s == Target {
		return "target"
	}
	return "own"
}

// ParseSeen reads "own" or "target".
func ParseSeen(s string) (Seen, error) {
	switch s {
	case "own":
		return Own, nil
	case "target":
		return Target, nil
	}
	return 0, fmt.Errorf("%q; want own (ports to the attacker's server) or target (earlier ports to the target)", s)
}

// Config is an attack's settings; the victim and its background traffic
// are a sim.Scenario, whose Strategies are the victims compared. Start
// from DefaultConfig: a zero field means zero, and most refuse it.
type Config struct {
	// Seeds is how many times each attack is played, each time against a
	// new device (its own keys) with a new draw of background traffic.
	// The first plays the scenario's own workload.
	Seeds int

	// Tracking. Rate is how many connections per second the attacker's
	// page makes the victim open; RTT is a round trip to the attacker's
	// server, waited after each batch while the server reads the ports
	// and sends the next instructions. Budget is the most connections the
	// attacker may cause in one visit: 0 means 200 per counter of the
	// victim's table, at least 100,000, and against a re-salting hash no
	// more than ten re-salt periods' worth at Rate. Pairs is how many colliding pairs
	// of loopback destinations the attacker wants in an ID, on average.
	// Revisit is the time between one visit's end and the next.
	Rate    float64
	RTT     time.Duration
	Budget  int
	Pairs   int
	Revisit time.Duration

	// Count and guess: Interval is the time between the attacker's
	// observations, Samples how many it makes on each device.
	Interval time.Duration
	Samples  int

	// Guess. The guessed connection is of Kind when KindSet; otherwise a
	// strategy's own kind, and connect for a profile. Seen is what the
	// attacker saw; Gap the time from the seen connection to the guessed
	// one. Window is how many spoofed answers a DNS attacker gets in
	// before the real one arrives (the Kaminsky window).
	Kind    allocator.Kind
	KindSet bool
	Seen    Seen
	Gap     time.Duration
	Window  int
}

// Defaults, chosen to match the paper's setting where it gives one.
const (
	// DefaultRate makes ten thousand connections take ten seconds: "not
	// very difficult to make a client emit 10k connections in less than
	// 10 seconds" (Linux commit 4c2c8f0).
	DefaultRate     = 1000
	DefaultRTT      = 50 * time.Millisecond
	DefaultPairs    = 8
	DefaultRevisit  = time.Minute
	DefaultInterval = time.Second
	DefaultSamples  = 200
	DefaultGap      = 10 * time.Millisecond
	DefaultWindow   = 1000
	// MaxBudget bounds Budget: the attacker's destinations (addresses ×
	// ports) run out past it.
	MaxBudget = 30_000_000
)

// DefaultConfig is the settings an attack is played with unless told
// otherwise: one play; a page opening 1000 connections a second with 50ms
// round trips, a budget sized to the victim's table, IDs of about 8 pairs,
// a minute between visits; 200 observations a second apart; guesses of
// the connection's own kind, 10ms after the port seen on the attacker's
// server, and races of 1000 spoofed DNS answers.
func DefaultConfig() Config {
	return Config{
		Seeds: 1, Rate: DefaultRate, RTT: DefaultRTT, Pairs: DefaultPairs, Revisit: DefaultRevisit,
		Interval: DefaultInterval, Samples: DefaultSamples, Gap: DefaultGap, Window: DefaultWindow,
	}
}

// check reports the first field of c out of bounds.
func (c Config) check() error {
	switch {
	case c.Seeds < 1 || c.Seeds > 10_000:
		return fielderr.Errorf("seeds", "%d is out of range; want 1 to 10000", c.Seeds)
	case !(c.Rate >= 1 && c.Rate <= 1e7):
		return fielderr.Errorf("attack-rate", "%v is out of range; want 1 to 1e7 connections per second", c.Rate)
	case c.RTT < 0 || c.RTT > 10*time.Second:
		return fielderr.Errorf("rtt", "%v is out of range; want a duration from 0 to 10s such as 50ms", c.RTT)
	case c.Budget < 0 || c.Budget > MaxBudget:
		return fielderr.Errorf("budget", "%d is out of range; want 0 (automatic) to %d connections", c.Budget, MaxBudget)
	case c.Pairs < 1 || c.Pairs > 1000:
		return fielderr.Errorf("pairs", "%d is out of range; want 1 to 1000", c.Pairs)
	case c.Revisit < 0 || c.Revisit > sim.MaxDuration:
		return fielderr.Errorf("revisit", "%v is out of range; want a duration from 0 to %s such as 1m", c.Revisit, format.Duration(sim.MaxDuration))
	case c.Interval <= 0 || c.Interval > sim.MaxDuration:
		return fielderr.Errorf("interval", "%v is out of range; want a duration above 0, at most %s, such as 1s", c.Interval, format.Duration(sim.MaxDuration))
	case c.Samples < 2 || c.Samples > 1_000_000:
		return fielderr.Errorf("samples", "%d is out of range; want 2 to 1000000", c.Samples)
	case c.Gap < 0 || c.Gap > sim.MaxDuration:
		return fielderr.Errorf("gap", "%v is out of range; want a duration from 0 to %s such as 10ms", c.Gap, format.Duration(sim.MaxDuration))
	case c.Window < 1:
		return fielderr.Errorf("window", "%d is not positive; want spoofed answers per race, 1 or more", c.Window)
	case c.Kind > allocator.UDP:
		return fielderr.Errorf("guess-kind", "%v; want connect, bind or udp", c.Kind)
	}
	return nil
}

// Result is one attack played against each strategy of a scenario.
type Result struct {
	Schema string `json:"schema"`
	Attack string `json:"attack"`
	Seeds  int    `json:"seeds"`
	// Settings are the attack's own, as the command line names them;
	// Scenario is the victim's background, every field resolved.
	Settings []sim.Field      `json:"settings"`
	Scenario []sim.Field      `json:"scenario"`
	Results  []StrategyResult `json:"results"`
}

// StrategyResult is one attack against one strategy. Fields that do not
// apply to the attack are nil (and absent from the JSON). Rates are shares
// of the plays (seeds), or for count of the estimates, and for guess of
// the guesses.
type StrategyResult struct {
	Strategy string `json:"strategy"`
	Attack   string `json:"attack"`
	// Success is, for tracking, the share of plays that found an ID that
	// was the same on a second visit and differed from another device's;
	// for count, the share of estimates that were exact; for guess, the
	// chance that the first guess is right.
	Success *float64 `json:"success,omitempty"`

	// Tracking. Counters is the table size the attacker worked with, and
	// Budget the most connections it could cause in a visit. Found is the
	// share of first visits that ended with an ID within the budget;
	// Connections and Seconds are the median connections and simulated
	// seconds they took (nil when none did). IDStable is the share of
	// plays whose second visit gave the same ID, IDMoved whose third, from
	// another network (another source address), did, and IDDistinct those
	// whose ID differed from a second device's.
	Counters    int      `json:"counters,omitempty"`
	Budget      int      `json:"budget,omitempty"`
	Found       *float64 `json:"found,omitempty"`
	Connections *int     `json:"connections,omitempty"`
	Seconds     *float64 `json:"seconds,omitempty"`
	IDStable    *float64 `json:"id_stable,omitempty"`
	IDMoved     *float64 `json:"id_moved,omitempty"`
	IDDistinct  *float64 `json:"id_distinct,omitempty"`

	// Count. EstimateError is the mean absolute error of the attacker's
	// estimates of the connections in between; BaselineError is that of
	// guessing the victim's average instead. Estimates are the first
	// (true, estimated) pairs, for charts.
	EstimateError *float64     `json:"estimate_error,omitempty"`
	BaselineError *float64     `json:"baseline_error,omitempty"`
	Estimates     [][2]float64 `json:"estimates,omitempty"`

	// Guess. PSuccess is the chance that the port is among the first g
	// guesses, as [g, p] pairs; PSuccessDNS the chance that one of g
	// spoofed DNS answers matches both the port and the 16-bit
	// transaction ID; PWindow that chance for the Kaminsky window's
	// answers. Ports is how many ports a blind guess chooses among.
	Ports       int          `json:"ports,omitempty"`
	PSuccess    [][2]float64 `json:"p_success,omitempty"`
	PSuccessDNS [][2]float64 `json:"p_success_dns,omitempty"`
	PWindow     *float64     `json:"p_dns_window,omitempty"`
}

// Run plays attack name against each strategy of sc (strategy or
// "profile:" specs), c.Seeds times each. Plays run in parallel; the
// result does not depend on how many. A cancelled ctx stops them and Run
// returns its error. Every problem with name, sc or c is found before any
// play: an unknown name or a bad Config field is a *fielderr.Error.
func Run(ctx context.Context, name string, sc sim.Scenario, c Config) (*Result, error) {
	if !slices.Contains(Names(), name) {
		return nil, fielderr.Errorf("attack", "%q is not an attack; want %s", name, strings.Join(Names(), ", "))
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	if len(sc.Strategies) == 0 {
		return nil, fielderr.Errorf("strategy", "none given; want at least one strategy or profile to attack")
	}
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	// The attacker's own connections are of one kind, which each strategy
	// must serve itself: linux-bind would hand connect() to linux.
	own := allocator.Connect
	if name == Guess {
		own = c.Kind
	}
	for _, spec := range sc.Strategies {
		if name == Guess && !c.KindSet {
			break // auto: each strategy is guessed for the kind it serves
		}
		if err := strategies.CheckKinds(spec, []allocator.Kind{own}); err != nil {
			return nil, fielderr.Errorf("strategy", "%v (the %s attack's own requests are %v)", err, name, own)
		}
	}
	switch {
	case sc.Gateway != "":
		return nil, fielderr.Errorf("gateway", "%s: an attack plays one host with nothing in front of it; want none", sc.Gateway)
	case sc.Hosts > 1:
		return nil, fielderr.Errorf("hosts", "%d: an attack plays one host; want 1", sc.Hosts)
	}
	// In seconds: samples × interval may overflow a Duration.
	if end := sc.Warmup.Seconds() + float64(c.Samples)*c.Interval.Seconds() + c.Gap.Seconds(); name != Tracking && end > sc.Duration.Seconds() {
		return nil, fielderr.Errorf("samples", "%d every %s from the warm-up (%s) run to %.4gs, past the scenario's duration %s, where the background stops; want fewer samples, a shorter interval or a longer duration",
			c.Samples, format.Duration(c.Interval), format.Duration(sc.Warmup), end, format.Duration(sc.Duration))
	}
	res := &Result{Schema: Schema, Attack: name, Seeds: c.Seeds, Settings: c.resolved(name), Scenario: sc.Resolved()}
	for _, spec := range sc.Strategies {
		// Resolve each spec once up front, so a bad one fails before any play.
		v, err := newVictim(&sc, spec, 0)
		if err != nil {
			return nil, fmt.Errorf("strategy %s: %w", spec, err)
		}
		v.Close()
	}

	var plays []func() (any, error)
	for _, spec := range sc.Strategies {
		for r := range c.Seeds {
			switch name {
			case Tracking:
				plays = append(plays, func() (any, error) { return track(ctx, sc, spec, c, r) })
			case Count:
				plays = append(plays, func() (any, error) { return count(ctx, sc, spec, c, play(sc.Seed, "victim", r)) })
			case Guess:
				// The attacker learns the algorithm on devices of its own
				// (other keys, other traffic), then guesses on the victim.
				plays = append(plays,
					func() (any, error) { return guess(ctx, sc, spec, c, play(sc.Seed, "train", r)) },
					func() (any, error) { return guess(ctx, sc, spec, c, play(sc.Seed, "victim", r)) })
			}
		}
	}
	out, err := parallel(ctx, plays)
	if err != nil {
		return nil, err
	}
	per := len(out) / len(sc.Strategies)
	for i, spec := range sc.Strategies {
		runs := out[i*per : (i+1)*per]
		var sr StrategyResult
		switch name {
		case Tracking:
			sr = trackResult(runs)
		case Count:
			sr = countResult(runs)
		case Guess:
			sr = guessResult(runs, c.Window)
		}
		sr.Strategy, sr.Attack = spec, name
		res.Results = append(res.Results, sr)
	}
	return res, nil
}

// A play's seeds: the workload's and the device's. Play 0 of the victims
// replays the scenario's own workload, so its background is what 'portsim
// run' simulates.
type playSeeds struct {
	workload, device uint64
}

func play(base uint64, role string, r int) playSeeds {
	s := playSeeds{workload: seed.Named(base, fmt.Sprint(role, "/workload/", r)), device: seed.Named(base, fmt.Sprint(role, "/device/", r))}
	if role == "victim" && r == 0 {
		s.workload = base
	}
	return s
}

// device is the victim on sc with seeds s.
func device(sc sim.Scenario, spec string, s playSeeds) (*victim, error) {
	sc.Seed = s.workload
	return newVictim(&sc, spec, s.device)
}

// parallel runs fs on GOMAXPROCS workers and returns their results in
// order, or the first error.
func parallel(ctx context.Context, fs []func() (any, error)) ([]any, error) {
	out := make([]any, len(fs))
	errs := make([]error, len(fs))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(fs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				out[i], errs[i] = fs[i]()
			}
		}()
	}
	for i := range fs {
		if ctx.Err() != nil {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Addresses. The attacker's servers are in the documentation ranges
// (RFC 5737 TEST-NET-3 and TEST-NET-2, RFC 3849), the scenario's servers
// in 198.18.0.0/15, so they never meet. The target of a guess is a server
// of its own.
var (
	attackerNets4 = [2][3]byte{{203, 0, 113}, {198, 51, 100}}
	attackerNet6  = netip.MustParseAddr("2001:db8:bad::").As16()
	target4       = netip.MustParseAddr("192.0.2.53")
	target6       = netip.MustParseAddr("2001:db8:53::1")
	loopback      = netip.MustParseAddr("127.0.0.1")
)

// portsPerHost is how many ports of each attacker address are used, from
// 1024; 2 × 254 hosts of them cover MaxBudget.
const portsPerHost = 60000

// attackerDst is the attacker's i-th destination.
func attackerDst(i int, v6 bool) netip.AddrPort {
	host, port := i/portsPerHost, uint16(1024+i%portsPerHost)
	if v6 {
		b, h := attackerNet6, host+1
		b[14], b[15] = byte(h>>8), byte(h)
		return netip.AddrPortFrom(netip.AddrFrom16(b), port)
	}
	n := attackerNets4[host/254%2]
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{n[0], n[1], n[2], byte(1 + host%254)}), port)
}

// moved is the victim's address on another network: another private range
// of the same family.
func moved(src netip.Addr) netip.Addr {
	a := netip.MustParseAddr("172.16.99.2")
	if src.Is6() {
		a = netip.MustParseAddr("fd00:99::2")
	}
	if a == src {
		a = a.Next()
	}
	return a
}

// ptr is a pointer to a copy of x, for the optional fields.
func ptr[T any](x T) *T { return &x }
