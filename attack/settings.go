package attack

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/internal/fielderr"
	"github.com/portsim/portsim/internal/format"
	"github.com/portsim/portsim/sim"
)

// A Setting is one field of Config as a person sets it: by the name a
// command line gives its flag, in text.
type Setting struct {
	Name string
	Help string
	// Attacks are the attacks that read it.
	Attacks []string
	get     func(c *Config) string
	set     func(c *Config, v string) error
}

// Default is the setting's text at the defaults.
func (s Setting) Default() string {
	c := DefaultConfig()
	return s.get(&c)
}

var all = []string{Tracking, Count, Guess}

var settings = []Setting{
	{Name: "seeds", Help: "plays per strategy, each against a new device (its own keys) with a new draw of background traffic", Attacks: all,
		get: func(c *Config) string { return strconv.Itoa(c.Seeds) },
		set: func(c *Config, v string) error { return setInt(&c.Seeds, v) }},
	{Name: "attack-rate", Help: "connections per second the attacker's page makes the victim open", Attacks: []string{Tracking},
		get: func(c *Config) string { return strconv.FormatFloat(c.Rate, 'g', -1, 64) },
		set: func(c *Config, v string) error {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return fmt.Errorf("%q is not a number; want connections per second such as 1000", v)
			}
			c.Rate = f
			return nil
		}},
	{Name: "rtt", Help: "round trip to the attacker's server, waited after each batch of connections", Attacks: []string{Tracking},
		get: func(c *Config) string { return format.Duration(c.RTT) },
		set: func(c *Config, v string) error { return setDuration(&c.RTT, v) }},
	{Name: "budget", Help: "most connections the attacker may cause in one visit; auto is 200 per counter of the victim's table, at least 100000, and no more than ten re-salt periods' worth", Attacks: []string{Tracking},
		get: func(c *Config) string {
			if c.Budget == 0 {
				return "auto"
			}
			return strconv.Itoa(c.Budget)
		},
		set: func(c *Config, v string) error {
			if v == "auto" {
				c.Budget = 0
				return nil
			}
			return setInt(&c.Budget, v)
		}},
	{Name: "pairs", Help: "colliding pairs of loopback destinations the attacker wants in an ID, on average", Attacks: []string{Tracking},
		get: func(c *Config) string { return strconv.Itoa(c.Pairs) },
		set: func(c *Config, v string) error { return setInt(&c.Pairs, v) }},
	{Name: "revisit", Help: "time from the end of one visit to the next (the second visit, then the third from another network)", Attacks: []string{Tracking},
		get: func(c *Config) string { return format.Duration(c.Revisit) },
		set: func(c *Config, v string) error { return setDuration(&c.Revisit, v) }},
	{Name: "interval", Help: "time between the attacker's observations", Attacks: []string{Count, Guess},
		get: func(c *Config) string { return format.Duration(c.Interval) },
		set: func(c *Config, v string) error { return setDuration(&c.Interval, v) }},
	{Name: "samples", Help: "observations per device: port differences read (count), guesses made (guess)", Attacks: []string{Count, Guess},
		get: func(c *Config) string { return strconv.Itoa(c.Samples) },
		set: func(c *Config, v string) error { return setInt(&c.Samples, v) }},
	{Name: "guess-kind", Help: "request kind of the guessed connection: connect, bind or udp; auto is a strategy's own kind, connect for a profile", Attacks: []string{Guess},
		get: func(c *Config) string {
			if !c.KindSet {
				return "auto"
			}
			return c.Kind.String()
		},
		set: func(c *Config, v string) error {
			if v == "auto" {
				c.Kind, c.KindSet = 0, false
				return nil
			}
			k, err := allocator.ParseKind(v)
			if err != nil {
				return fmt.Errorf("%q; want connect, bind, udp or auto", v)
			}
			c.Kind, c.KindSet = k, true
			return nil
		}},
	{Name: "seen", Help: "what the attacker saw: own (the port of a connection to its own server) or target (the port of the previous connection to the target)", Attacks: []string{Guess},
		get: func(c *Config) string { return c.Seen.String() },
		set: func(c *Config, v string) error {
			s, err := ParseSeen(v)
			c.Seen = s
			return err
		}},
	{Name: "gap", Help: "time from the connection seen to the connection guessed", Attacks: []string{Guess},
		get: func(c *Config) string { return format.Duration(c.Gap) },
		set: func(c *Config, v string) error { return setDuration(&c.Gap, v) }},
	{Name: "window", Help: "spoofed DNS answers that arrive before the real one (the Kaminsky window)", Attacks: []string{Guess},
		get: func(c *Config) string { return strconv.Itoa(c.Window) },
		set: func(c *Config, v string) error { return setInt(&c.Window, v) }},
}

// Settings lists the settings in order.
func Settings() []Setting { return slices.Clone(settings) }

// Set sets the setting called name from its text. A name that is not a
// setting, or text that is not its kind of value, is a *fielderr.Error naming
// it; the bounds are checked by Run.
func (c *Config) Set(name, value string) error {
	for _, s := range settings {
		if s.Name == name {
			if err := s.set(c, strings.TrimSpace(value)); err != nil {
				return &fielderr.Error{Field: name, Err: err}
			}
			return nil
		}
	}
	names := make([]string, len(settings))
	for i, s := range settings {
		names[i] = s.Name
	}
	return fielderr.Errorf(name, "not a setting; want one of %s", strings.Join(names, ", "))
}

// resolved is c's settings that attack reads, as text.
func (c Config) resolved(attack string) []sim.Field {
	var out []sim.Field
	for _, s := range settings {
		if slices.Contains(s.Attacks, attack) {
			out = append(out, sim.Field{Name: s.Name, Value: s.get(&c)})
		}
	}
	return out
}

func setInt(p *int, v string) error {
	n, err := strconv.Atoi(v)
	if err != nil {
		return fmt.Errorf("%q is not a whole number", v)
	}
	*p = n
	return nil
}

func setDuration(p *time.Duration, v string) error {
	d, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("%q is not a duration; want one such as 10ms, 1s or 1m", v)
	}
	*p = d
	return nil
}
