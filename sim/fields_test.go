package sim

import (
	"flag"
	"fmt"
	"io"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portsim/portsim/allocator"
)

// wantFieldNames is the documented order; a change here is a change to the
// CLI and the results' scenario block.
var wantFieldNames = []string{
	"name", "seed", "duration", "warmup", "rate", "arrivals", "lifetime",
	"destinations", "popularity", "dst-port", "ipv6", "src", "kind", "close",
	"time-wait", "tw-reuse", "tw-reuse-delay", "range", "reserved", "strategy",
	"hosts", "gateway", "public-ips", "sample-step",
}

// gatewayFields are left out of Resolved when there is no gateway.
var gatewayFields = []string{"hosts", "gateway", "public-ips"}

func TestFieldsTable(t *testing.T) {
	if got := FieldNames(); !slices.Equal(got, wantFieldNames) {
		t.Fatalf("FieldNames() = %v; want %v", got, wantFieldNames)
	}
	for _, f := range Fields() {
		if f.Help == "" || strings.Contains(f.Help, "\n") {
			t.Errorf("%s: help %q; want one non-empty line", f.Name, f.Help)
		}
		if f.Type == "" || f.want == "" || f.set == nil || f.get == nil {
			t.Errorf("%s: incomplete definition (type %q, want %q)", f.Name, f.Type, f.want)
		}
		if g, ok := LookupField(f.Name); !ok || g.Name != f.Name {
			t.Errorf("LookupField(%q) = %v, %v", f.Name, g.Name, ok)
		}
	}
	if _, ok := LookupField("nope"); ok {
		t.Error(`LookupField("nope") found a field`)
	}
	// Fields returns a copy: editing it must not reach the table.
	fs := Fields()
	fs[0].Name = "changed"
	if Fields()[0].Name != "name" {
		t.Error("Fields() shares its backing array with the table")
	}
}

// setCases give each field a value away from the default, and the
// canonical text Get must print after Set.
var setCases = []struct {
	field, value, want string
}{
	{"name", "my run", "my run"},
	{"name", "", ""},
	{"seed", "18446744073709551615", "18446744073709551615"},
	{"duration", "90s", "1m30s"},
	{"duration", "2h", "2h"},
	{"duration", "8760h", "8760h"},
	{"warmup", "0", "0s"},
	{"warmup", "1500ms", "1.5s"},
	{"rate", "1e3", "1000"},
	{"rate", "0.25", "0.25"},
	{"rate", " 5 ", "5"},
	{"arrivals", "constant", "constant"},
	{"arrivals", "onoff:2s/8s", "onoff:2s/8s"},
	{"arrivals", "onoff:500ms/0s", "onoff:500ms/0s"},
	{"arrivals", "poisson", "poisson"},
	{"lifetime", "fixed:50ms", "fixed:50ms"},
	{"lifetime", "exp:2s", "exp:2s"},
	{"lifetime", "lognormal:30s,1.0", "lognormal:30s,1"},
	{"lifetime", "lognormal: 2s , 1.5", "lognormal:2s,1.5"},
	{"destinations", "1", "1"},
	{"destinations", fmt.Sprint(MaxDestinations), fmt.Sprint(MaxDestinations)},
	{"popularity", "zipf:1.1", "zipf:1.1"},
	{"popularity", "uniform", "uniform"},
	{"dst-port", "80, 443,8443", "80,443,8443"},
	{"dst-port", "65535", "65535"},
	{"ipv6", "true", "true"},
	{"ipv6", "yes", "true"},
	{"ipv6", "off", "false"},
	{"src", "10.0.0.1,10.0.0.2", "10.0.0.1,10.0.0.2"},
	{"src", "", "10.0.0.1"},
	{"kind", "udp", "udp"},
	{"kind", "bind=3", "bind"},
	{"kind", "connect=0.9,udp=0.1", "connect=0.9,udp=0.1"},
	{"kind", "connect, bind", "connect=1,bind=1"},
	{"close", "reset", "reset"},
	{"close", "client=0.8, reset=0.2", "client=0.8,reset=0.2"},
	{"time-wait", "0", "0s"},
	{"time-wait", "4m", "4m"},
	{"tw-reuse", "off", "off"},
	{"tw-reuse", "1", "on"},
	{"tw-reuse", "loopback", "loopback"},
	{"tw-reuse-delay", "0s", "0s"},
	{"tw-reuse-delay", "250ms", "250ms"},
	{"range", "49152-65535", "49152-65535"},
	{"range", "1024", "1024"},
	{"reserved", "8080,9000-9100", "8080,9000-9100"},
	{"reserved", "", ""},
	{"strategy", "random", "random"},
	{"strategy", "sequential,linux:table-order=8,increments=off,random",
		"sequential,linux:table-order=8,increments=off,random"},
	{"strategy", " sequential , linux: table-order = 8 ,increments=off", "sequential,linux:table-order=8,increments=off"},
	{"strategy", "linux,table-order=8", "linux:table-order=8"},
	{"hosts", "4", "4"},
	{"hosts", "1024", "1024"},
	{"gateway", "aws-nat", "aws-nat"},
	{"gateway", " netfilter : random = fully ", "netfilter:random=fully"},
	{"gateway", "none", "none"},
	{"gateway", "", "none"},
	{"public-ips", "8", "8"},
	{"sample-step", "100ms", "100ms"},
	{"sample-step", "0", "0s"},
}

func TestSetGet(t *testing.T) {
	covered := map[string]bool{}
	for _, tc := range setCases {
		t.Run(tc.field+"="+tc.value, func(t *testing.T) {
			sc := DefaultScenario()
			if err := sc.Set(tc.field, tc.value); err != nil {
				t.Fatalf("Set(%q, %q): %v", tc.field, tc.value, err)
			}
			if got := sc.Get(tc.field); got != tc.want {
				t.Fatalf("Get(%q) = %q; want %q", tc.field, got, tc.want)
			}
			// Round trip: Set(Get) changes nothing, in text or in value.
			before := sc
			if err := sc.Set(tc.field, sc.Get(tc.field)); err != nil {
				t.Fatalf("Set(Get()): %v", err)
			}
			if got := sc.Get(tc.field); got != tc.want {
				t.Fatalf("after Set(Get()), Get = %q; want %q", got, tc.want)
			}
			if !reflect.DeepEqual(before, sc) {
				t.Fatalf("Set(Get()) changed the scenario:\n%+v\n%+v", before, sc)
			}
		})
		covered[tc.field] = true
	}
	for _, name := range FieldNames() {
		if !covered[name] {
			t.Errorf("field %s has no Set/Get case", name)
		}
	}
}

// TestRoundTripDefault: every field of the default scenario survives
// Get→Set→Get.
func TestRoundTripDefault(t *testing.T) {
	sc := DefaultScenario()
	for _, f := range Fields() {
		v := sc.Get(f.Name)
		if err := sc.Set(f.Name, v); err != nil {
			t.Errorf("Set(%q, %q): %v", f.Name, v, err)
		}
		if got := sc.Get(f.Name); got != v {
			t.Errorf("%s: %q became %q", f.Name, v, got)
		}
	}
	if !reflect.DeepEqual(sc, DefaultScenario()) {
		t.Errorf("round trip changed the default scenario:\n%+v", sc)
	}
}

func TestIPv6SwapsDefaultSource(t *testing.T) {
	sc := DefaultScenario()
	must(t, sc.Set("ipv6", "true"))
	if got := sc.Get("src"); got != "fd00::1" {
		t.Errorf("default src after ipv6=true = %q; want fd00::1", got)
	}
	must(t, sc.Set("ipv6", "false"))
	if got := sc.Get("src"); got != "10.0.0.1" {
		t.Errorf("default src after ipv6=false = %q; want 10.0.0.1", got)
	}
	// A chosen source is the user's: it stays, and Validate objects.
	must(t, sc.Set("src", "192.0.2.7"))
	must(t, sc.Set("ipv6", "true"))
	if got := sc.Get("src"); got != "192.0.2.7" {
		t.Errorf("chosen src after ipv6=true = %q; want 192.0.2.7", got)
	}
	if err := sc.Validate(); err == nil || !strings.HasPrefix(err.Error(), "src: ") {
		t.Errorf("Validate() = %v; want a src error", err)
	}
	// Empty src means the family's default.
	must(t, sc.Set("src", ""))
	if got := sc.Get("src"); got != "fd00::1" {
		t.Errorf(`src "" with ipv6 = %q; want fd00::1`, got)
	}
}

// setErrorCases: every field has at least one bad value; each error must
// start with the field's name, say what is allowed, and contain the
// expected detail.
var setErrorCases = []struct {
	field, value, want string
}{
	{"name", "two\nlines", "control character"},
	{"seed", "-1", `"-1"`},
	{"seed", "one", "whole number"},
	{"duration", "0", "not > 0"},
	{"duration", "-5s", "negative"},
	{"duration", "60", "has no unit"},
	{"duration", "soon", "not a duration"},
	{"duration", "8761h", "over the limit"},
	{"warmup", "-1s", "negative"},
	{"warmup", "1 minute", "not a duration"},
	{"rate", "-5", "rate: -5 is negative; want a rate > 0 per second"},
	{"rate", "0", "not > 0"},
	{"rate", "NaN", "finite"},
	{"rate", "+Inf", "finite"},
	{"rate", "1e-9", "smallest rate"},
	{"rate", "fast", "not a number"},
	{"arrivals", "bursty", "not an arrival process"},
	{"arrivals", "onoff", "ON/OFF"},
	{"arrivals", "onoff:2s", "ON/OFF"},
	{"arrivals", "onoff:0s/8s", "on period must be > 0"},
	{"arrivals", "onoff:2s/-1s", "off period is negative"},
	{"arrivals", "onoff:x/8s", "not a duration"},
	{"lifetime", "exp:-2s", `lifetime: "exp:-2s": mean must be > 0; want fixed:D, exp:D or lognormal:D,SIGMA`},
	{"lifetime", "fixed:0s", "mean must be > 0"},
	{"lifetime", "2s", "no distribution"},
	{"lifetime", "gamma:2s", "not a distribution"},
	{"lifetime", "lognormal:2s", "needs a mean and a sigma"},
	{"lifetime", "lognormal:2s,0", "sigma must be > 0"},
	{"lifetime", "lognormal:2s,x", "sigma"},
	{"lifetime", "exp:forever", "not a duration"},
	{"lifetime", "exp:9000h", "over the limit"},
	{"destinations", "0", "out of range"},
	{"destinations", fmt.Sprint(MaxDestinations + 1), "out of range"},
	{"destinations", "ten", "not a whole number"},
	{"popularity", "zipf:0", "exponent must be > 0"},
	{"popularity", "zipf:-1", "exponent must be > 0"},
	{"popularity", "zipf", "needs an exponent"},
	{"popularity", "zipf:x", "not a number"},
	{"popularity", "pareto:1", "not a popularity"},
	{"dst-port", "0", "out of range"},
	{"dst-port", "65536", "out of range"},
	{"dst-port", "http", "not a port"},
	{"dst-port", "", "no ports"},
	{"dst-port", "443,443", "listed twice"},
	{"ipv6", "maybe", "not a boolean"},
	{"src", "10.0.0.1,fd00::2", "different families"},
	{"src", "10.0.0.256", "not an IP address"},
	{"src", "0.0.0.0", "cannot be a local address"},
	{"src", "fe80::1%eth0", "zone"},
	{"src", "::ffff:10.0.0.1", "IPv4-mapped"},
	{"src", "10.0.0.1,10.0.0.1", "listed twice"},
	{"src", manyAddrs(MaxSources + 1), "over the limit"},
	{"kind", "tcp", `"tcp" is not allowed`},
	{"kind", "", "empty"},
	{"kind", "connect=0,udp=1", "must be > 0"},
	{"kind", "connect=-1,udp=1", "must be > 0"},
	{"kind", "connect=x", "not a number"},
	{"kind", "connect,connect", "listed twice"},
	{"close", "peer", "not allowed"},
	{"close", "client=NaN,reset=1", "must be > 0"},
	{"time-wait", "-1s", "negative"},
	{"time-wait", "60", "has no unit"},
	{"tw-reuse", "sometimes", "not a tw_reuse policy"},
	{"tw-reuse", "3", "want off, on or loopback"},
	{"tw-reuse-delay", "-1ms", "negative"},
	{"range", "60999-32768", "above high bound"},
	{"range", "0-100", "low bound 0 is out of range"},
	{"range", "1024-70000", "out of range"},
	{"range", "low-high", "not a number"},
	{"reserved", "8080,x", "not a number"},
	{"reserved", "9100-9000", "above high bound"},
	{"strategy", "", "none given"},
	{"strategy", "nosuch", "unknown strategy"},
	{"strategy", "linux:table-order=99", "table-order"},
	{"strategy", "sequential:nosuch=1", "unknown parameter"},
	{"strategy", "random,random", "listed twice"},
	{"hosts", "0", "out of range"},
	{"hosts", "1025", "out of range"},
	{"hosts", "many", "not a whole number"},
	{"gateway", "nope", "unknown gateway"},
	{"gateway", "aws-nat:limit=0", "limit"},
	{"gateway", "gcp-nat:dynamic=on,eim=on", "dynamic=on and eim=on"},
	{"public-ips", "0", "out of range"},
	{"public-ips", "65", "out of range"},
	{"sample-step", "-1s", "negative"},
	{"sample-step", "often", "not a duration"},
}

func manyAddrs(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf("10.0.%d.%d", i/200, i%200+1)
	}
	return strings.Join(parts, ",")
}

func TestSetErrors(t *testing.T) {
	covered := map[string]bool{}
	for _, tc := range setErrorCases {
		t.Run(tc.field+"="+tc.value, func(t *testing.T) {
			sc := DefaultScenario()
			err := sc.Set(tc.field, tc.value)
			if err == nil {
				t.Fatalf("Set(%q, %q) = nil; want an error containing %q", tc.field, tc.value, tc.want)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, tc.field+": ") {
				t.Errorf("error %q does not start with the field name %q", msg, tc.field)
			}
			if !strings.Contains(msg, "want ") {
				t.Errorf("error %q does not say what is allowed", msg)
			}
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q; want it to contain %q", msg, tc.want)
			}
			if !reflect.DeepEqual(sc, DefaultScenario()) {
				t.Errorf("a failed Set changed the scenario")
			}
		})
		covered[tc.field] = true
	}
	for _, name := range FieldNames() {
		if !covered[name] {
			t.Errorf("field %s has no invalid-value case", name)
		}
	}
}

func TestSetUnknownField(t *testing.T) {
	sc := DefaultScenario()
	err := sc.Set("rat", "5")
	if err == nil {
		t.Fatal(`Set("rat") = nil; want an error`)
	}
	for _, want := range []string{`unknown field "rat"`, `did you mean "rate"`, "want one of name, seed,", "sample-step"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q; want it to contain %q", err, want)
		}
	}
	if err := sc.Set("zzzzzzzz", "5"); err == nil || strings.Contains(err.Error(), "did you mean") {
		t.Errorf("far-off name: %v; want an error with no suggestion", err)
	}
	if got := sc.Get("nope"); got != "" {
		t.Errorf(`Get("nope") = %q; want ""`, got)
	}
}

// TestResolvedReplays: setting Resolved's fields in order on a different
// scenario reproduces the original exactly, so a results file can be
// re-run.
func TestResolvedReplays(t *testing.T) {
	var from []Scenario
	for _, p := range Presets() {
		from = append(from, p.Scenario())
	}
	ex := DefaultScenario()
	must(t, LoadFile("testdata/example.yaml", &ex))
	v6 := DefaultScenario()
	must(t, v6.Set("ipv6", "true"))
	must(t, v6.Set("src", "2001:db8::1,2001:db8::2"))
	from = append(from, ex, v6)
	for _, want := range from {
		res := want.Resolved()
		names := wantFieldNames
		if want.Gateway == "" {
			names = slices.DeleteFunc(slices.Clone(names), func(n string) bool { return slices.Contains(gatewayFields, n) })
		}
		if len(res) != len(names) {
			t.Fatalf("%s: Resolved() has %d fields; want %d", want.Name, len(res), len(names))
		}
		got, _ := PresetScenario("dns-resolver") // a start far from most
		for i, f := range res {
			if f.Name != names[i] {
				t.Fatalf("Resolved()[%d] = %s; want %s", i, f.Name, names[i])
			}
			if err := got.Set(f.Name, f.Value); err != nil {
				t.Fatalf("%s: replaying %s=%q: %v", want.Name, f.Name, f.Value, err)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: replayed scenario differs:\n got %+v\nwant %+v", want.Name, got, want)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(sc *Scenario)
		field string // the error starts with it
		want  string
	}{
		{"warmup equals duration", func(sc *Scenario) { sc.Warmup = sc.Duration }, "warmup", "not less than duration"},
		{"warmup past duration", func(sc *Scenario) { sc.Warmup = 2 * sc.Duration }, "warmup", "not less than duration"},
		{"ipv4 src with ipv6", func(sc *Scenario) { sc.IPv6 = true }, "src", "is IPv4 but ipv6 is true"},
		{"ipv6 src without ipv6", func(sc *Scenario) { sc.Srcs = []netip.Addr{defaultSrc6} }, "src", "is IPv6 but ipv6 is false"},
		{"no src", func(sc *Scenario) { sc.Srcs = nil }, "src", "no addresses"},
		{"mixed src", func(sc *Scenario) { sc.Srcs = []netip.Addr{defaultSrc4, defaultSrc6} }, "src", "different families"},
		{"onoff on zero", func(sc *Scenario) { sc.Arrivals = Arrivals{Process: OnOff, Rate: 10, Off: time.Second} }, "arrivals", "on period must be > 0"},
		{"onoff off negative", func(sc *Scenario) { sc.Arrivals = Arrivals{Process: OnOff, Rate: 10, On: time.Second, Off: -1} }, "arrivals", "off period is negative"},
		{"poisson with periods", func(sc *Scenario) { sc.Arrivals.On = time.Second }, "arrivals", "on/off periods set"},
		{"bad process", func(sc *Scenario) { sc.Arrivals.Process = 9 }, "arrivals", "not a process"},
		{"zero rate", func(sc *Scenario) { sc.Arrivals.Rate = 0 }, "rate", "not > 0"},
		{"zero weight kind", func(sc *Scenario) { sc.Kinds = []Share[allocator.Kind]{{allocator.Connect, 0}} }, "kind", "must be > 0"},
		{"negative weight close", func(sc *Scenario) {
			sc.Close = []Share[allocator.CloseHow]{{allocator.ClientFirst, 1}, {allocator.Reset, -1}}
		}, "close", "must be > 0"},
		{"no kinds", func(sc *Scenario) { sc.Kinds = nil }, "kind", "none given"},
		{"no close", func(sc *Scenario) { sc.Close = nil }, "close", "none given"},
		{"bad kind value", func(sc *Scenario) { sc.Kinds = []Share[allocator.Kind]{{7, 1}} }, "kind", "not allowed"},
		{"no strategies", func(sc *Scenario) { sc.Strategies = nil }, "strategy", "none given"},
		{"bad strategy", func(sc *Scenario) { sc.Strategies = []string{"random", "bogus"} }, "strategy", `unknown strategy "bogus"`},
		{"bad strategy param", func(sc *Scenario) { sc.Strategies = []string{"linux:table-order=21"} }, "strategy", "table-order"},
		{"no destinations", func(sc *Scenario) { sc.Destinations = 0 }, "destinations", "out of range"},
		{"too many destinations", func(sc *Scenario) { sc.Destinations = MaxDestinations + 1 }, "destinations", "out of range"},
		{"no dst ports", func(sc *Scenario) { sc.DstPorts = nil }, "dst-port", "no ports"},
		{"dst port 0", func(sc *Scenario) { sc.DstPorts = []uint16{0} }, "dst-port", "not a port"},
		{"negative time-wait", func(sc *Scenario) { sc.TimeWait = -time.Second }, "time-wait", "negative"},
		{"negative tw-reuse-delay", func(sc *Scenario) { sc.TWReuseDelay = -time.Second }, "tw-reuse-delay", "negative"},
		{"bad tw-reuse", func(sc *Scenario) { sc.TWReuse = 3 }, "tw-reuse", "not a policy"},
		{"negative sample-step", func(sc *Scenario) { sc.SampleStep = -time.Second }, "sample-step", "negative"},
		{"zero duration", func(sc *Scenario) { sc.Duration = 0 }, "duration", "not > 0"},
		{"range lo 0", func(sc *Scenario) { sc.Range = allocator.Range{Lo: 0, Hi: 10} }, "range", "not a port"},
		{"range inverted", func(sc *Scenario) { sc.Range = allocator.Range{Lo: 100, Hi: 10} }, "range", "above high bound"},
		{"reserved inverted", func(sc *Scenario) { sc.Reserved = []allocator.Range{{Lo: 9100, Hi: 9000}} }, "reserved", "above high bound"},
		{"lifetime zero", func(sc *Scenario) { sc.Lifetime = Lifetime{Dist: Exponential} }, "lifetime", "mean must be > 0"},
		{"lognormal sigma zero", func(sc *Scenario) { sc.Lifetime = Lifetime{Dist: LogNormal, Mean: time.Second} }, "lifetime", "sigma must be > 0"},
		{"zipf exponent zero", func(sc *Scenario) { sc.Popularity = Popularity{Zipf: true} }, "popularity", "exponent must be > 0"},
		{"control in name", func(sc *Scenario) { sc.Name = "a\x00b" }, "name", "control character"},
		// Limits against hangs and memory exhaustion.
		{"too many arrivals", func(sc *Scenario) {
			sc.Arrivals.Rate, sc.Duration = 1e6, time.Hour
			sc.Lifetime.Mean, sc.TimeWait = time.Microsecond, 0
		}, "rate", "arrivals, over the limit of 1e+09"},
		{"too many sockets", func(sc *Scenario) {
			sc.Arrivals.Rate, sc.Destinations = 1e6, 10000
		}, "rate", "sockets at once, over the limit"},
		{"too many samples", func(sc *Scenario) { sc.Duration, sc.SampleStep = time.Hour, time.Millisecond }, "sample-step", "samples, over the limit"},
		{"onoff past the clock", func(sc *Scenario) {
			sc.Duration = 24 * time.Hour
			sc.Arrivals = Arrivals{Process: OnOff, Rate: 1e-3, On: time.Millisecond, Off: 24 * time.Hour}
		}, "arrivals", "past the simulated clock"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := DefaultScenario()
			tc.edit(&sc)
			err := sc.Validate()
			if err == nil {
				t.Fatalf("Validate() = nil; want a %s error containing %q", tc.field, tc.want)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, tc.field+": ") || !strings.Contains(msg, tc.want) {
				t.Errorf("Validate() = %q; want %q… containing %q", msg, tc.field+": ", tc.want)
			}
			if !strings.Contains(msg, "want") && !strings.Contains(msg, "limit") {
				t.Errorf("Validate() = %q does not say what is allowed", msg)
			}
		})
	}
}

// TestValidateLimitsAllowRealRuns: the limits leave room for the big runs
// portsim is for.
func TestValidateLimitsAllowRealRuns(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(sc *Scenario)
	}{
		// 100k/s to one destination: the port space caps what is held.
		{"exhaustion at 100k/s", func(sc *Scenario) { sc.Arrivals.Rate, sc.Destinations = 1e5, 1 }},
		// 1e9 arrivals exactly.
		{"a billion arrivals", func(sc *Scenario) {
			sc.Arrivals.Rate, sc.Duration, sc.Destinations = 1e9/3600, time.Hour, 1
		}},
		{"a year at a slow rate", func(sc *Scenario) { sc.Duration, sc.Arrivals.Rate = MaxDuration, MinRate }},
		{"onoff with a long off", func(sc *Scenario) {
			sc.Arrivals = Arrivals{Process: OnOff, Rate: 100, On: time.Second, Off: time.Hour}
		}},
		{"server-closed at high rate", func(sc *Scenario) {
			sc.Arrivals.Rate, sc.Destinations = 3e4, 1000
			sc.Lifetime.Mean = 10 * time.Millisecond
			sc.Close = []Share[allocator.CloseHow]{{allocator.ServerFirst, 1}}
		}},
		{"udp at high rate", func(sc *Scenario) {
			sc.Arrivals.Rate, sc.Destinations = 3e4, 1000
			sc.Lifetime.Mean = 10 * time.Millisecond
			sc.Kinds = []Share[allocator.Kind]{{allocator.UDP, 1}}
		}},
		{"64 sources", func(sc *Scenario) {
			sc.Srcs = nil
			for i := range MaxSources {
				sc.Srcs = append(sc.Srcs, netip.AddrFrom4([4]byte{10, 0, 1, byte(i + 1)}))
			}
		}},
	} {
		sc := DefaultScenario()
		tc.edit(&sc)
		if err := sc.Validate(); err != nil {
			t.Errorf("%s: Validate() = %v; want nil", tc.name, err)
		}
	}
}

func TestValidateReportsEveryField(t *testing.T) {
	sc := DefaultScenario()
	sc.Arrivals.Rate = -1
	sc.Destinations = 0
	sc.Strategies = nil
	err := sc.Validate()
	if err == nil {
		t.Fatal("Validate() = nil")
	}
	for _, want := range []string{"rate: ", "destinations: ", "strategy: "} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %q; want it to report %q", err, want)
		}
	}
}

func TestValidateZeroScenario(t *testing.T) {
	var sc Scenario
	if err := sc.Validate(); err == nil {
		t.Fatal("zero Scenario validates; want errors")
	}
}

// TestFieldValueFlags registers every field on a standard flag set, as a
// CLI does, and parses a command line.
func TestFieldValueFlags(t *testing.T) {
	sc := DefaultScenario()
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	for _, f := range Fields() {
		fs.Var(f.Value(&sc), f.Name, f.Help)
	}
	err := fs.Parse([]string{"-rate", "250", "-ipv6", "-strategy", "linux:table-order=8,increments=off,random", "-kind", "connect=0.9,udp=0.1"})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"rate": "250", "ipv6": "true", "src": "fd00::1",
		"strategy": "linux:table-order=8,increments=off,random", "kind": "connect=0.9,udp=0.1",
	} {
		if got := sc.Get(name); got != want {
			t.Errorf("after flags, %s = %q; want %q", name, got, want)
		}
	}
	if err := sc.Validate(); err != nil {
		t.Errorf("Validate() = %v", err)
	}
	if got := fs.Lookup("duration").Value.String(); got != "1m" {
		t.Errorf("duration flag String() = %q; want 1m", got)
	}
	if v := fs.Lookup("rate").Value.(*FieldValue); v.Type() != "float" || v.IsBoolFlag() {
		t.Errorf("rate flag: Type %q, IsBoolFlag %v", v.Type(), v.IsBoolFlag())
	}
	err = fs.Parse([]string{"-lifetime", "exp:-2s"})
	if err == nil || !strings.Contains(err.Error(), `lifetime: "exp:-2s": mean must be > 0`) {
		t.Errorf("bad flag: %v", err)
	}
	var zero *FieldValue
	if zero.String() != "" {
		t.Error("nil FieldValue String() not empty")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func ExampleScenario_Set() {
	sc := DefaultScenario()
	for _, kv := range [][2]string{
		{"rate", "400"},
		{"lifetime", "fixed:50ms"},
		{"strategy", "sequential,linux:table-order=8,increments=off"},
		{"lifetime", "exp:-2s"},
		{"colour", "blue"},
	} {
		if err := sc.Set(kv[0], kv[1]); err != nil {
			fmt.Println("error:", err)
		}
	}
	fmt.Println(sc.Get("lifetime"))
	fmt.Printf("%q\n", sc.Strategies)
	// Output:
	// error: lifetime: "exp:-2s": mean must be > 0; want fixed:D, exp:D or lognormal:D,SIGMA
	// error: unknown field "colour"; want one of name, seed, duration, warmup, rate, arrivals, lifetime, destinations, popularity, dst-port, ipv6, src, kind, close, time-wait, tw-reuse, tw-reuse-delay, range, reserved, strategy, hosts, gateway, public-ips, sample-step
	// fixed:50ms
	// ["sequential" "linux:table-order=8,increments=off"]
}

// FuzzSet: Set never panics, and whatever it accepts round-trips through Get.
func FuzzSet(f *testing.F) {
	for i, tc := range setCases {
		f.Add(uint8(i), tc.value)
	}
	for _, tc := range setErrorCases {
		f.Add(uint8(slices.Index(wantFieldNames, tc.field)), tc.value)
	}
	f.Fuzz(func(t *testing.T, which uint8, value string) {
		name := wantFieldNames[int(which)%len(wantFieldNames)]
		sc := DefaultScenario()
		if err := sc.Set(name, value); err != nil {
			if !strings.HasPrefix(err.Error(), name+": ") {
				t.Fatalf("Set(%q, %q) error %q does not name the field", name, value, err)
			}
			return
		}
		got := sc.Get(name)
		again := sc
		if err := again.Set(name, got); err != nil {
			t.Fatalf("Set(%q, %q) accepted, but not its Get %q: %v", name, value, got, err)
		}
		if g2 := again.Get(name); g2 != got {
			t.Fatalf("Get not stable: %q then %q", got, g2)
		}
		_ = sc.Validate() // must not panic
	})
}
