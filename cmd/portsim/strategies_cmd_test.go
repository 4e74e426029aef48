package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/portsim/portsim/strategies"
)

func TestStrategiesJSON(t *testing.T) {
	r := cliCase{args: []string{"strategies", "--format", "json"}, wantCode: 0}.check(t)
	// Decode loosely first: every object must carry the keys, not just
	// decode to zero values.
	var raw []map[string]json.RawMessage
	if err := json.Unmarshal([]byte(r.stdout), &raw); err != nil {
		t.Fatalf("not a JSON array: %v\n%s", err, r.stdout)
	}
	all, profiles, nats := strategies.All(), strategies.Profiles(), strategies.NATs()
	if len(raw) != len(all)+len(profiles)+len(nats) {
		t.Fatalf("%d entries listed; want %d strategies, %d profiles and %d gateways", len(raw), len(all), len(profiles), len(nats))
	}
	checkGatewaysJSON(t, raw[len(all)+len(profiles):], nats)
	checkProfilesJSON(t, raw[len(all):len(all)+len(profiles)], profiles)
	raw = raw[:len(all)]
	for i, obj := range raw {
		for _, key := range []string{"name", "description", "params", "kind", "range", "exhaustive"} {
			if _, ok := obj[key]; !ok {
				t.Errorf("strategy %d lacks %q: %v", i, key, obj)
			}
		}
		var name, desc string
		var params []struct{ Name, Default, Help string }
		json.Unmarshal(obj["name"], &name)
		json.Unmarshal(obj["description"], &desc)
		if err := json.Unmarshal(obj["params"], &params); err != nil || params == nil {
			t.Errorf("strategy %s: params %s is not an array", name, obj["params"])
		}
		info := all[i]
		if name != info.Name || desc != info.Summary() || len(params) != len(info.Params) {
			t.Errorf("entry %d: %s %q %v; want %s in registry order with %d params", i, name, desc, params, info.Name, len(info.Params))
		}
		for j, p := range params {
			if p != (struct{ Name, Default, Help string }{info.Params[j].Name, info.Params[j].Default, info.Params[j].Help}) {
				t.Errorf("strategy %s param %d: %+v, want %+v", name, j, p, info.Params[j])
			}
		}
	}
}

// checkProfilesJSON: each profile follows the strategies, in order, typed
// "profile", with its strategies per kind and its sources.
func checkProfilesJSON(t *testing.T, raw []map[string]json.RawMessage, profiles []strategies.Profile) {
	t.Helper()
	for i, obj := range raw {
		var got struct {
			Name, Type  string
			Approximate bool
			Strategies  map[string]string
			Sources     []string
			TimeWait    string `json:"time_wait"`
		}
		b, _ := json.Marshal(obj)
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		p := profiles[i]
		if got.Name != p.Name || got.Type != "profile" || got.Approximate != p.Approximate || got.TimeWait != p.TimeWait.String() {
			t.Errorf("profile %d: %+v; want %s", i, got, p.Name)
		}
		if len(got.Sources) == 0 || len(got.Sources) != len(p.Sources) {
			t.Errorf("profile %s: sources %q; want %q", p.Name, got.Sources, p.Sources)
		}
		if got.Strategies["connect"] != p.For(0) || got.Strategies["udp"] != p.For(2) {
			t.Errorf("profile %s: strategies %v", p.Name, got.Strategies)
		}
	}
}

// checkGatewaysJSON: each gateway follows the profiles, in order, typed
// "gateway", with its sources and its product's name for a refused flow.
func checkGatewaysJSON(t *testing.T, raw []map[string]json.RawMessage, nats []strategies.NATInfo) {
	t.Helper()
	for i, obj := range raw {
		var got struct {
			Name, Type, How string
			MaxAddrs        int `json:"max_addrs"`
			Failures        map[string]string
			Sources         []string
		}
		b, _ := json.Marshal(obj)
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		n := nats[i]
		if got.Name != n.Name || got.Type != "gateway" || got.How != n.How || got.MaxAddrs != n.MaxAddrs || len(got.Sources) != len(n.Sources) {
			t.Errorf("gateway %d: %+v; want %s", i, got, n.Name)
		}
		if got.Failures["exhausted"] == "" || got.Failures["insert_failed"] == "" {
			t.Errorf("gateway %s: failures %v", n.Name, got.Failures)
		}
	}
}

func TestStrategiesText(t *testing.T) {
	r := cliCase{args: []string{"strategies"}, wantCode: 0, wantStdout: []string{"NAME", "KIND", "RANGE", "DESCRIPTION", "OS PROFILES", "APPROXIMATION", "GATEWAYS", "ErrorPortAllocation"}}.check(t)
	for _, n := range strategies.NATs() {
		if !strings.Contains(r.stdout, "\n"+n.Name+" ") || !strings.Contains(r.stdout, n.Description) {
			t.Errorf("no row for gateway %s", n.Name)
		}
	}
	for _, p := range strategies.Profiles() {
		if !strings.Contains(r.stdout, "\n"+p.Name+" ") || !strings.Contains(r.stdout, p.Description) {
			t.Errorf("no row for profile %s", p.Name)
		}
	}
	strategiesPart, _, _ := strings.Cut(r.stdout, "OS PROFILES")
	lines := strings.Split(strategiesPart, "\n")
	for _, info := range strategies.All() {
		found := false
		for _, l := range lines {
			if strings.HasPrefix(l, info.Name+" ") && strings.Contains(l, info.Range.String()) && strings.Contains(l, info.Summary()) {
				found = true
			}
		}
		if !found {
			t.Errorf("no row for %s with its range and description:\n%s", info.Name, r.stdout)
		}
		for _, p := range info.Params {
			if !strings.Contains(r.stdout, "  "+p.Name+"="+p.Default+"  "+p.Help) {
				t.Errorf("%s's parameter %s=%s is not listed", info.Name, p.Name, p.Default)
			}
		}
	}
	// The description column starts at the same place on every row.
	col := strings.Index(lines[0], "DESCRIPTION")
	for _, info := range strategies.All() {
		for _, l := range lines {
			if strings.HasPrefix(l, info.Name+" ") && strings.Index(l, info.Summary()) != col {
				t.Errorf("%s's description starts at column %d, header at %d", info.Name, strings.Index(l, info.Summary()), col)
			}
		}
	}
}

func TestStrategiesBadInput(t *testing.T) {
	for _, c := range []cliCase{
		{name: "format", args: []string{"strategies", "--format", "csv"}, wantCode: 2, wantStderr: []string{"--format", "text or json"}},
		{name: "arg", args: []string{"strategies", "linux"}, wantCode: 2, wantStderr: []string{`"linux"`, "only flags"}},
		{name: "flag", args: []string{"strategies", "--all"}, wantCode: 2, wantStderr: []string{"--all"}},
	} {
		t.Run(c.name, func(t *testing.T) { c.check(t) })
	}
}
