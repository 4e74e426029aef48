package serve

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/internal/fielderr"
	"github.com/portsim/portsim/sim"
	"github.com/portsim/portsim/strategies"
)

// explainKeys are GET /api/explain's settings: the flags of 'portsim
// explain' that choose its picks, spelt the same.
var explainKeys = []string{"strategy", "profile", "seed", "count", "interval", "dst", "src", "range", "reserved", "kind", "close"}

// The defaults of an explain, as 'portsim explain' has them.
const (
	defaultPickStrategy = "linux"
	defaultPickCount    = 8
	defaultPickSeed     = 1
	defaultPickInterval = time.Second
)

// walk is GET /api/explain's answer: the picks of one strategy on one
// host, every step traced, and the command line that prints them.
type walk struct {
	Command string `json:"command"`
	// Strategy names what runs ("profile:macos (sequential)"); Summary is
	// the registry's line on it; Kernel, when set, is the strategy the
	// kernel would run for Kind instead.
	Strategy string            `json:"strategy"`
	Summary  string            `json:"summary"`
	Kernel   string            `json:"kernel,omitempty"`
	Kind     string            `json:"kind"`
	Range    allocator.Range   `json:"range"`
	Reserved []allocator.Range `json:"reserved"`
	Seed     uint64            `json:"seed"`
	Src      string            `json:"src"`
	Dst      []string          `json:"dst"`
	Close    bool              `json:"close"`
	Picks    []pick            `json:"picks"`
	Totals   sim.PickTotals    `json:"totals"`
}

// pick is one traced allocation, as explain's JSON has it.
type pick struct {
	N          int              `json:"n"`
	TimeS      float64          `json:"time_s"`
	Dst        string           `json:"dst"`
	Port       uint16           `json:"port"` // 0 on failure
	Probes     int              `json:"probes"`
	Collisions int              `json:"collisions"`
	Error      string           `json:"error,omitempty"`
	Steps      []allocator.Step `json:"steps"`
}

// handleExplain answers GET /api/explain.
func (s *Server) handleExplain(r *http.Request) (any, error) {
	p, cmd, err := s.picksOf(r.URL.Query())
	if err != nil {
		return nil, err
	}
	release, err := s.acquire(r.Context())
	if err != nil {
		return nil, err
	}
	defer release()

	w := &walk{
		Command: cmd, Strategy: p.Spec, Summary: p.Info.Name + ": " + p.Info.Summary(), Kernel: p.Kernel,
		Kind: p.Kind.String(), Range: p.Table.Range, Reserved: p.Table.Reserved, Seed: p.Seed,
		Src: p.Src.String(), Close: p.Close, Picks: []pick{},
	}
	if w.Reserved == nil {
		w.Reserved = []allocator.Range{}
	}
	for _, d := range p.Dsts {
		w.Dst = append(w.Dst, d.String())
	}
	steps := 0
	for pk, err := range p.All() {
		if err != nil {
			return nil, err
		}
		if steps += len(pk.Steps); steps > s.lim.MaxSteps {
			return nil, badInput("count", "count: the first %d picks already take over %d traced steps, this server's limit; want fewer picks or a larger range (portsim explain has no such limit)", pk.N, s.lim.MaxSteps)
		}
		w.Totals.Add(pk)
		out := pick{N: pk.N, TimeS: pk.At.Seconds(), Dst: pk.Dst.String(), Port: pk.Port,
			Probes: pk.Probes, Collisions: pk.Collisions, Steps: pk.Steps}
		if pk.Err != nil {
			out.Error = pk.Err.Error()
		}
		w.Picks = append(w.Picks, out)
	}
	return w, nil
}

// picksOf reads explain's settings from q, as 'portsim explain' reads its
// flags, and returns the picks and the command line that prints them.
func (s *Server) picksOf(q url.Values) (*sim.Picks, string, error) {
	for key, vs := range q {
		if key == "" {
			return nil, "", badInput("query", "query: a setting without a name; want NAME=VALUE pairs")
		}
		if !slices.Contains(explainKeys, key) {
			return nil, "", badInput(key, "%s: not a setting of explain; want one of %s", key, strings.Join(explainKeys, ", "))
		}
		if len(vs) > 1 && key != "dst" {
			return nil, "", badInput(key, "%s: given %d times; want it once", key, len(vs))
		}
	}
	c := sim.PickConfig{Spec: defaultPickStrategy, Seed: defaultPickSeed, Count: defaultPickCount, Interval: defaultPickInterval}
	cmd := []string{"portsim", "explain"}
	flag := func(name, value string) { cmd = append(cmd, "--"+name, shellQuote(value)) }
	specKey := "strategy"
	switch strat, prof := q.Get("strategy"), q.Get("profile"); {
	case strat != "" && prof != "":
		return nil, "", badInput("profile", "profile: give a strategy or a profile, not both; a profile names its own strategy per kind")
	case prof != "":
		c.Spec, specKey = strategies.ProfilePrefix+prof, "profile"
		flag("profile", prof)
	default:
		if strat != "" {
			c.Spec = strat
		}
		flag("strategy", c.Spec)
	}
	var err error
	if v := q.Get("seed"); v != "" {
		if c.Seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			return nil, "", badInput("seed", "seed: %q is not a seed; want a whole number from 0 to 18446744073709551615", v)
		}
	}
	flag("seed", strconv.FormatUint(c.Seed, 10))
	if v := q.Get("count"); v != "" {
		if c.Count, err = strconv.Atoi(v); err != nil || c.Count < 1 || c.Count > s.lim.MaxPicks {
			return nil, "", badInput("count", "count: %q is out of range; want a whole number from 1 to %d here (portsim explain takes up to 10000)", v, s.lim.MaxPicks)
		}
	}
	flag("count", strconv.Itoa(c.Count))
	if v := q.Get("interval"); v != "" {
		if c.Interval, err = time.ParseDuration(v); err != nil {
			return nil, "", badInput("interval", "interval: %q is not a duration; want a duration ≥ 0 such as 1s or 250ms", v)
		}
	}
	flag("interval", c.Interval.String())
	if v := q.Get("src"); v != "" {
		if c.Src, err = netip.ParseAddr(v); err != nil {
			return nil, "", badInput("src", "src: %q is not an IP address; want an IPv4 or IPv6 address such as 10.0.0.1 or fd00::1", v)
		}
		flag("src", v)
	}
	for _, v := range q["dst"] {
		for _, d := range strings.Split(v, ",") {
			if d = strings.TrimSpace(d); d == "" {
				continue
			}
			ap, err := netip.ParseAddrPort(d)
			if err != nil || ap.Port() == 0 {
				return nil, "", badInput("dst", "dst: %q is not IP:PORT; want IP:PORT with a port from 1 to 65535, such as 192.0.2.10:443 or [2001:db8::10]:443", d)
			}
			c.Dsts = append(c.Dsts, ap)
			flag("dst", d)
		}
	}
	if v := q.Get("range"); v != "" {
		if c.Range, err = allocator.ParseRange(v); err != nil {
			return nil, "", fieldError("range", err)
		}
		flag("range", v)
	}
	if v := q.Get("reserved"); v != "" {
		if c.Reserved, err = allocator.ParseRanges(v); err != nil {
			return nil, "", fieldError("reserved", err)
		}
		flag("reserved", v)
	}
	if v := q.Get("kind"); v != "" {
		if c.Kind, err = allocator.ParseKind(v); err != nil {
			return nil, "", fieldError("kind", err)
		}
		c.KindSet = true
		flag("kind", v)
	}
	if v := q.Get("close"); v != "" {
		if c.Close, err = strconv.ParseBool(v); err != nil {
			return nil, "", badInput("close", "close: %q is not true or false", v)
		}
		if c.Close {
			cmd = append(cmd, "--close")
		}
	}
	p, err := sim.NewPicks(c)
	var fe *fielderr.Error
	switch {
	case errors.As(err, &fe) && fe.Field == "spec":
		return nil, "", badInput(specKey, "%s: %v", specKey, fe.Err)
	case errors.As(err, &fe):
		return nil, "", badInput(fe.Field, "%s: %v", fe.Field, fe.Err)
	case err != nil:
		return nil, "", fmt.Errorf("explain: %w", err)
	}
	return p, strings.Join(cmd, " "), nil
}

// shellQuote quotes s for a POSIX shell when it holds anything but the
// characters of specs, addresses and numbers.
func shellQuote(s string) string {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_.,:=/@%+", c)) {
			return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
		}
	}
	return s
}
