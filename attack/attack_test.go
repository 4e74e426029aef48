package attack

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/portsim/portsim/internal/fielderr"
)

// Bad input is refused before any play, with an error naming the field
// and what it allows.
func TestRunRefuses(t *testing.T) {
	for _, tt := range []struct {
		name   string
		attack string
		specs  []string
		edit   func(*Config)
		field  string
		want   string
	}{
		{"unknown attack", "fingerprint", []string{"linux"}, nil, "attack", "want tracking, count, guess"},
		{"no strategy", Tracking, nil, nil, "strategy", "want at least one"},
		{"seeds", Count, []string{"linux"}, func(c *Config) { c.Seeds = 0 }, "seeds", "want 1 to 10000"},
		{"zero interval", Count, []string{"linux"}, func(c *Config) { c.Interval = 0 }, "interval", "want a duration above 0"},
		{"rate", Tracking, []string{"linux"}, func(c *Config) { c.Rate = 0.5 }, "attack-rate", "want 1 to 1e7"},
		{"rtt", Tracking, []string{"linux"}, func(c *Config) { c.RTT = -1 }, "rtt", "from 0 to 10s"},
		{"budget", Tracking, []string{"linux"}, func(c *Config) { c.Budget = MaxBudget + 1 }, "budget", "want 0 (automatic)"},
		{"pairs", Tracking, []string{"linux"}, func(c *Config) { c.Pairs = -3 }, "pairs", "want 1 to 1000"},
		{"samples", Count, []string{"linux"}, func(c *Config) { c.Samples = 1 }, "samples", "want 2 to 1000000"},
		{"past the scenario", Guess, []string{"linux"}, func(c *Config) { c.Samples = 1000 }, "samples", "past the scenario's duration 10m"},
		{"window", Guess, []string{"linux"}, func(c *Config) { c.Window = -1 }, "window", "want spoofed answers"},
		{"kind", Guess, []string{"linux"}, func(c *Config) { c.Kind, c.KindSet = 7, true }, "guess-kind", "want connect, bind or udp"},
	} {
		c := DefaultConfig()
		if tt.edit != nil {
			tt.edit(&c)
		}
		_, err := Run(context.Background(), tt.attack, browser(t, tt.specs...), c)
		var fe *fielderr.Error
		if !errors.As(err, &fe) || fe.Field != tt.field || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v; want a fielderr.Error on %s saying %q", tt.name, err, tt.field, tt.want)
		}
	}
	nat := browser(t, "linux")
	if err := nat.Set("hosts", "2"); err != nil {
		t.Fatal(err)
	}
	if err := nat.Set("gateway", "aws-nat"); err != nil {
		t.Fatal(err)
	}
	var fe *fielderr.Error
	if _, err := Run(context.Background(), Count, nat, DefaultConfig()); !errors.As(err, &fe) || fe.Field != "gateway" {
		t.Errorf("a scenario behind a gateway: error %v; want a fielderr.Error on gateway", err)
	}
	if _, err := Run(context.Background(), Count, browser(t, "linux:table-order=99"), DefaultConfig()); err == nil || !strings.Contains(err.Error(), "table-order") {
		t.Errorf("a bad strategy spec: error %v; want one naming table-order", err)
	}
}

// Every setting reads back the text it was set from, and bad text names
// the setting.
func TestConfigSet(t *testing.T) {
	values := map[string]string{
		"seeds": "3", "attack-rate": "2500", "rtt": "20ms", "budget": "50000", "pairs": "4", "revisit": "2m",
		"interval": "500ms", "samples": "40", "guess-kind": "udp", "seen": "target", "gap": "1ms", "window": "64",
	}
	var c Config
	for _, s := range Settings() {
		v, ok := values[s.Name]
		if !ok {
			t.Fatalf("no test value for setting %s", s.Name)
		}
		if err := c.Set(s.Name, v); err != nil {
			t.Fatalf("Set(%s, %q): %v", s.Name, v, err)
		}
		if got := s.get(&c); got != v {
			t.Errorf("%s set to %q reads back %q", s.Name, v, got)
		}
		if s.Default() == "" || len(s.Attacks) == 0 {
			t.Errorf("%s: default %q, attacks %v; want both", s.Name, s.Default(), s.Attacks)
		}
		var fe *fielderr.Error
		if err := c.Set(s.Name, "bogus"); !errors.As(err, &fe) || fe.Field != s.Name {
			t.Errorf("Set(%s, bogus): %v; want a fielderr.Error naming it", s.Name, err)
		}
	}
	if err := c.Set("colour", "blue"); err == nil || !strings.Contains(err.Error(), "not a setting") {
		t.Errorf("Set(colour): %v; want 'not a setting'", err)
	}
	for _, auto := range []string{"budget", "guess-kind"} {
		if err := c.Set(auto, "auto"); err != nil || Settings()[0].get(&c) == "" {
			t.Errorf("Set(%s, auto): %v", auto, err)
		}
	}
}

// The same scenario and seeds give the same result, however many plays
// run at once.
func TestRunDeterministic(t *testing.T) {
	sc := browser(t, "profile:linux-5.12", "profile:macos")
	c := with(func(c *Config) { c.Seeds = 3; c.Budget = 20_000 })
	var got []*Result
	for _, procs := range []int{1, 4} {
		prev := runtime.GOMAXPROCS(procs)
		for _, name := range Names() {
			res, err := Run(context.Background(), name, sc, c)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, res)
		}
		runtime.GOMAXPROCS(prev)
	}
	for i := range Names() {
		if !reflect.DeepEqual(got[i], got[i+len(Names())]) {
			t.Errorf("%s differs between GOMAXPROCS 1 and 4", Names()[i])
		}
	}
}

// A cancelled context stops the plays.
func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, Tracking, browser(t, "profile:linux-5.12"), DefaultConfig()); !errors.Is(err, context.Canceled) {
		t.Errorf("error %v; want context.Canceled", err)
	}
}

// Each attack's JSON has its own fields and leaves the others out.
func TestResultJSON(t *testing.T) {
	for _, tt := range []struct {
		attack    string
		have, not []string
	}{
		{Tracking, []string{"success", "counters", "budget", "found", "connections", "seconds", "id_stable", "id_moved", "id_distinct"}, []string{"estimate_error", "p_success", "ports"}},
		{Count, []string{"success", "estimate_error", "baseline_error", "estimates"}, []string{"connections", "id_stable", "p_success"}},
		{Guess, []string{"success", "ports", "p_success", "p_success_dns", "p_dns_window"}, []string{"connections", "id_distinct", "estimate_error"}},
	} {
		res, err := Run(context.Background(), tt.attack, browser(t, "profile:linux-5.12"), with(func(c *Config) { c.Budget = 20_000 }))
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Schema  string           `json:"schema"`
			Attack  string           `json:"attack"`
			Results []map[string]any `json:"results"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Schema != Schema || doc.Attack != tt.attack || len(doc.Results) != 1 {
			t.Fatalf("%s: schema %q, attack %q, %d results", tt.attack, doc.Schema, doc.Attack, len(doc.Results))
		}
		r := doc.Results[0]
		for _, k := range append(tt.have, "strategy", "attack") {
			if _, ok := r[k]; !ok {
				t.Errorf("%s: no %q in %v", tt.attack, k, r)
			}
		}
		for _, k := range tt.not {
			if _, ok := r[k]; ok {
				t.Errorf("%s: %q does not apply, but is in the JSON", tt.attack, k)
			}
		}
		var back Result
		if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(&back, res) {
			t.Errorf("%s: the JSON does not read back into the same Result (%v)", tt.attack, err)
		}
	}
}
