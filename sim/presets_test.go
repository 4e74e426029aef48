package sim

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portsim/portsim/allocator"
)

func TestDefaultScenario(t *testing.T) {
	sc := DefaultScenario()
	if err := sc.Validate(); err != nil {
		t.Fatalf("DefaultScenario does not validate: %v", err)
	}
	want := map[string]string{
		"name": "default", "seed": "1", "duration": "1m", "warmup": "0s", "rate": "100",
		"arrivals": "poisson", "lifetime": "exp:1s", "destinations": "10", "popularity": "uniform",
		"dst-port": "443", "ipv6": "false", "src": "10.0.0.1", "kind": "connect", "close": "client",
		"time-wait": "1m", "tw-reuse": "loopback", "tw-reuse-delay": "1s", "range": "32768-60999",
		"reserved": "", "strategy": "sequential,random,hashed,linux", "sample-step": "0s",
	}
	for _, f := range sc.Resolved() {
		if f.Value != want[f.Name] {
			t.Errorf("default %s = %q; want %q", f.Name, f.Value, want[f.Name])
		}
	}
	// The host part is the allocator's Linux defaults.
	if got, want := sc.TableConfig(), allocator.DefaultConfig(); !reflect.DeepEqual(got, want) {
		t.Errorf("default TableConfig = %+v; want allocator.DefaultConfig %+v", got, want)
	}
	// Fresh slices each call: editing one default must not change the next.
	sc.DstPorts[0], sc.Strategies[0] = 1, "x"
	if d := DefaultScenario(); d.DstPorts[0] != 443 || d.Strategies[0] != "sequential" {
		t.Error("DefaultScenario shares slices between calls")
	}
}

func TestPresets(t *testing.T) {
	wantNames := []string{"browser", "load-tester", "proxy-backend", "bind-before-connect", "dns-resolver", "aws-nat-fleet", "k8s-node", "azure-lb-pool", "gcp-nat-api"}
	if got := PresetNames(); !slices.Equal(got, wantNames) {
		t.Fatalf("PresetNames() = %v; want %v", got, wantNames)
	}
	seen := map[string]string{} // resolved scenario without the name → preset
	for _, p := range Presets() {
		t.Run(p.Name, func(t *testing.T) {
			if p.Description == "" || strings.Contains(p.Description, "\n") {
				t.Errorf("description %q; want one line", p.Description)
			}
			sc := p.Scenario()
			if sc.Name != p.Name {
				t.Errorf("Name = %q; want %q", sc.Name, p.Name)
			}
			if err := sc.Validate(); err != nil {
				t.Errorf("does not validate: %v", err)
			}
			got, err := PresetScenario(p.Name)
			if err != nil || !reflect.DeepEqual(got, sc) {
				t.Errorf("PresetScenario(%q) = %+v, %v; want %+v", p.Name, got, err, sc)
			}
			// Fresh copies: editing one must not reach the next.
			sc.DstPorts[0], sc.Kinds[0].Weight = 9, 7
			if again := p.Scenario(); again.DstPorts[0] == 9 || again.Kinds[0].Weight == 7 {
				t.Error("Scenario() shares slices between calls")
			}
			// Distinct from the default and from each other.
			key := resolvedWithoutName(p.Scenario())
			if key == resolvedWithoutName(DefaultScenario()) {
				t.Error("same as the default scenario")
			}
			if other, dup := seen[key]; dup {
				t.Errorf("same scenario as preset %s", other)
			}
			seen[key] = p.Name
		})
	}
}

func resolvedWithoutName(sc Scenario) string {
	var b strings.Builder
	for _, f := range sc.Resolved()[1:] {
		b.WriteString(f.Name + "=" + f.Value + "\n")
	}
	return b.String()
}

// TestPresetShapes checks that each preset models what its description
// says, with numbers from the facts file's "What users hit in practice".
func TestPresetShapes(t *testing.T) {
	get := func(name string) Scenario {
		t.Helper()
		sc, err := PresetScenario(name)
		if err != nil {
			t.Fatal(err)
		}
		return sc
	}
	linuxPorts := float64(allocator.LinuxRange.Size())

	b := get("browser")
	if b.DstPorts[0] != 443 || !b.Popularity.Zipf || b.Destinations > 50 || b.Lifetime.Dist != LogNormal {
		t.Errorf("browser: want few zipf destinations on 443 with lognormal keep-alive lifetimes; got %v", b.Resolved())
	}
	if len(b.Close) < 2 {
		t.Errorf("browser: close = %s; want a client/server mix", b.Get("close"))
	}

	// load-tester: one destination whose TIME_WAITs fill most of the range
	// but stay under it (rate × 60s < 28232), reached well before the end.
	lt := get("load-tester")
	tw := lt.Arrivals.Rate * lt.TimeWait.Seconds()
	if lt.Destinations != 1 || tw < 0.7*linuxPorts || tw > linuxPorts {
		t.Errorf("load-tester: %v TIME_WAITs on %d destination(s); want one destination at 70–100%% of %v ports", tw, lt.Destinations, linuxPorts)
	}
	if lt.Duration < 2*lt.TimeWait || lt.Warmup < lt.TimeWait || lt.Lifetime.Dist != Fixed || lt.Close[0].Value != allocator.ClientFirst {
		t.Errorf("load-tester: want fixed lifetimes closed by the client and a run past TIME_WAIT steady state; got %v", lt.Resolved())
	}

	// proxy-backend fits in the 4-tuple space of each backend; the same
	// load with bind() overflows the one shared pool. They differ in kind only.
	pb, bb := get("proxy-backend"), get("bind-before-connect")
	perBackend := pb.Arrivals.Rate / float64(pb.Destinations) * pb.TimeWait.Seconds()
	total := bb.Arrivals.Rate * bb.TimeWait.Seconds()
	if perBackend >= linuxPorts || total <= linuxPorts {
		t.Errorf("proxy-backend holds %v TIME_WAITs per backend (want < %v); bind-before-connect %v in total (want > %v)", perBackend, linuxPorts, total, linuxPorts)
	}
	if pb.DstPorts[0] != 8080 || pb.Kinds[0].Value != allocator.Connect || bb.Kinds[0].Value != allocator.Bind {
		t.Errorf("proxy-backend kind %s port %s, bind-before-connect kind %s", pb.Get("kind"), pb.Get("dst-port"), bb.Get("kind"))
	}
	pbOnly, bbOnly := pb, bb
	pbOnly.Name, bbOnly.Name = "", ""
	pbOnly.Kinds, bbOnly.Kinds = nil, nil
	if !reflect.DeepEqual(pbOnly, bbOnly) {
		t.Errorf("proxy-backend and bind-before-connect differ in more than kind:\n%v\n%v", pb.Resolved(), bb.Resolved())
	}

	dns := get("dns-resolver")
	if dns.Kinds[0].Value != allocator.UDP || dns.DstPorts[0] != 53 || dns.Destinations < 100 || !dns.Popularity.Zipf || dns.Lifetime.Mean > time.Second {
		t.Errorf("dns-resolver: want short UDP sockets to many zipf servers on 53; got %v", dns.Resolved())
	}
}

func TestPresetScenarioUnknown(t *testing.T) {
	_, err := PresetScenario("chrome")
	if err == nil {
		t.Fatal(`PresetScenario("chrome") = nil error`)
	}
	for _, want := range []string{`preset: unknown preset "chrome"`, "want one of browser, load-tester, proxy-backend, bind-before-connect, dns-resolver"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q; want it to contain %q", err, want)
		}
	}
}
