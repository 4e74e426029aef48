package sim

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestExampleFile: testdata/example.yaml sets every field, each away from
// its default, and the result is a valid scenario.
func TestExampleFile(t *testing.T) {
	def := DefaultScenario()
	sc := DefaultScenario()
	if err := LoadFile("testdata/example.yaml", &sc); err != nil {
		t.Fatal(err)
	}
	for _, f := range Fields() {
		if sc.Get(f.Name) == def.Get(f.Name) {
			t.Errorf("example.yaml leaves %s at its default %q; it should show every field", f.Name, def.Get(f.Name))
		}
	}
	want := map[string]string{
		"name": "example-nat-pool", "seed": "42", "duration": "5m", "warmup": "1m",
		"rate": "250", "arrivals": "onoff:20s/10s", "lifetime": "lognormal:2s,1.2",
		"destinations": "50", "popularity": "zipf:1.2", "dst-port": "80,443",
		"ipv6": "true", "src": "fd00::10,fd00::11", "kind": "connect=0.9,bind=0.1",
		"close": "client=0.7,server=0.3", "time-wait": "30s", "tw-reuse": "on",
		"tw-reuse-delay": "2s", "range": "49152-65535", "reserved": "50000,60000-60100",
		"strategy": "sequential,random,linux:table-order=8,increments=off,double-hash:table-length=10",
		"hosts":    "4", "gateway": "netfilter:random=fully", "public-ips": "2",
		"sample-step": "1s",
	}
	for _, f := range sc.Resolved() {
		if f.Value != want[f.Name] {
			t.Errorf("%s = %q; want %q", f.Name, f.Value, want[f.Name])
		}
	}
	if err := sc.Validate(); err != nil {
		t.Errorf("example.yaml does not validate: %v", err)
	}
}

func TestParseFileForms(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		want       map[string]string // field → Get after parsing over the default
	}{
		{"empty", "", nil},
		{"only comments", "# nothing here\n\n# at all\n", nil},
		{"empty document marker", "---\n", nil},
		{"scalars", "rate: 5\nduration: 90s\nipv6: true\nname: \"quoted: yes\"\n",
			map[string]string{"rate": "5", "duration": "1m30s", "ipv6": "true", "src": "fd00::1", "name": "quoted: yes"}},
		{"flow mapping", "{rate: 7, seed: 3}", map[string]string{"rate": "7", "seed": "3"}},
		{"comma strings", "dst-port: 80,443\nstrategy: sequential,linux:table-order=8,increments=off\n",
			map[string]string{"dst-port": "80,443", "strategy": "sequential,linux:table-order=8,increments=off"}},
		{"lists", "dst-port: [80, 443]\nsrc:\n  - 10.1.0.1\n  - 10.1.0.2\nreserved: [8080, 9000-9100]\n",
			map[string]string{"dst-port": "80,443", "src": "10.1.0.1,10.1.0.2", "reserved": "8080,9000-9100"}},
		{"strategy list keeps commas inside items", "strategy:\n  - linux:table-order=8,increments=off\n  - random\n",
			map[string]string{"strategy": "linux:table-order=8,increments=off,random"}},
		{"share mappings", "kind: {connect: 0.9, udp: 0.1}\nclose:\n  client: 4\n  reset: 1\n",
			map[string]string{"kind": "connect=0.9,udp=0.1", "close": "client=4,reset=1"}},
		{"share list", "kind: [connect, bind]\n", map[string]string{"kind": "connect=1,bind=1"}},
		{"share string", "close: client=0.8,reset=0.2\n", map[string]string{"close": "client=0.8,reset=0.2"}},
		{"empty reserved", "reserved: []\n", map[string]string{"reserved": ""}},
		{"null reserved", "reserved:\n", map[string]string{"reserved": ""}},
		{"tagged scalar", "dst-port: !!str 8443\n", map[string]string{"dst-port": "8443"}},
		{"anchor", "time-wait: &tw 30s\n", map[string]string{"time-wait": "30s"}},
		{"yaml 1.1 booleans", "ipv6: yes\ntw-reuse: off\n", map[string]string{"ipv6": "true", "src": "fd00::1", "tw-reuse": "off"}},
		{"preset first", "preset: load-tester\nrate: 10\n",
			map[string]string{"name": "load-tester", "destinations": "1", "lifetime": "fixed:50ms", "rate": "10"}},
		{"preset then name", "preset: browser\nname: mine\n", map[string]string{"name": "mine", "popularity": "zipf:1.1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := DefaultScenario()
			if err := ParseFile("t.yaml", []byte(tc.data), &sc); err != nil {
				t.Fatalf("ParseFile: %v", err)
			}
			// Fields the file leaves out keep the default, or the preset's.
			base := DefaultScenario()
			if name, ok := strings.CutPrefix(tc.data, "preset: "); ok {
				name, _, _ = strings.Cut(name, "\n")
				base, _ = PresetScenario(name)
			}
			for _, f := range Fields() {
				want, set := tc.want[f.Name]
				if !set {
					want = base.Get(f.Name)
				}
				if got := sc.Get(f.Name); got != want {
					t.Errorf("%s = %q; want %q", f.Name, got, want)
				}
			}
		})
	}
}

func TestParseFileErrors(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		want       []string
	}{
		{"unknown field", "rate: 5\nrat: 5\n", []string{"t.yaml:2: ", `unknown field "rat"`, `did you mean "rate"`, "want one of preset, name, seed"}},
		{"underscore spelling", "\n\ntime_wait: 30s\n", []string{"t.yaml:3: ", `unknown field "time_wait"`, `did you mean "time-wait"`}},
		{"bad value has line", "rate: 5\nduration: 60s\nlifetime: exp:-2s\n", []string{`t.yaml:3: lifetime: "exp:-2s": mean must be > 0; want fixed:D, exp:D or lognormal:D,SIGMA`}},
		{"negative rate", "rate: -5\n", []string{"t.yaml:1: rate: -5 is negative; want a rate > 0 per second"}},
		{"list for a scalar field", "duration: [1s, 2s]\n", []string{"t.yaml:1: ", `duration: ["1s", "2s"] is a list; want a duration > 0`}},
		{"mapping for a scalar field", "rate: {a: 1}\n", []string{"t.yaml:1: ", `rate: {"a": "1"} is a mapping; want a rate > 0`}},
		{"mapping for a list field", "dst-port: {a: 1}\n", []string{"dst-port: ", "is a mapping"}},
		{"nested list", "dst-port: [[80]]\n", []string{"dst-port: item", "is a list"}},
		{"bad share mapping value", "kind: {connect: [1]}\n", []string{"kind: ", "not a NAME: WEIGHT pair"}},
		{"bad share weight", "kind: {connect: 0.9, udp: zero}\n", []string{"kind: ", `weight "zero" of udp is not a number`}},
		{"bad list item", "src: [10.0.0.1, nope]\n", []string{"t.yaml:1: src: ", `"nope" is not an IP address`}},
		{"bad strategy item", "strategy:\n  - random\n  - linux:table-order=99\n", []string{"strategy: ", "table-order"}},
		{"two specs in one item", "strategy: [\"random,sequential\"]\n", []string{"strategy: ", "unknown strategy"}},
		{"wrong type bool", "ipv6: 7\n", []string{"ipv6: \"7\": not a boolean"}},
		{"wrong type number", "destinations: many\n", []string{`destinations: "many": not a whole number`}},
		{"not a mapping: list", "- rate\n- 5\n", []string{"t.yaml:1: the file is a list; want a mapping"}},
		{"not a mapping: scalar", "rate=5\n", []string{"the file is a single value; want a mapping"}},
		{"two documents", "rate: 5\n---\nrate: 6\n", []string{"t.yaml:3: a second YAML document"}},
		{"preset not first", "rate: 5\npreset: browser\n", []string{"t.yaml:2: preset must be the first field"}},
		{"unknown preset", "preset: chrome\n", []string{"t.yaml:1: preset: unknown preset \"chrome\"; want one of browser, load-tester"}},
		{"preset list", "preset: [browser]\n", []string{"preset: ", "is a list"}},
		{"duplicate field", "rate: 5\nrate: 6\n", []string{"t.yaml:2:", `"rate" already defined`, "each field once"}},
		{"syntax error", "rate: [5\n", []string{"t.yaml:1:", "want YAML"}},
		{"alias", "time-wait: &x 30s\ntw-reuse-delay: *x\n", []string{"t.yaml:2: tw-reuse-delay: ", "alias"}},
		{"non-string key", "[a]: 1\n", []string{"t.yaml:1:"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := DefaultScenario()
			err := ParseFile("t.yaml", []byte(tc.data), &sc)
			if err == nil {
				t.Fatalf("ParseFile(%q) = nil; want an error", tc.data)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q; want it to contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q spans lines; want one", err)
			}
			if !reflect.DeepEqual(sc, DefaultScenario()) {
				t.Error("a failed ParseFile changed the scenario")
			}
		})
	}
}

// TestParseFileOverlays: the file changes only the fields it names, over
// whatever sc held (a preset here), as the CLI's defaults → file → flags.
func TestParseFileOverlays(t *testing.T) {
	sc, err := PresetScenario("dns-resolver")
	must(t, err)
	must(t, ParseFile("t.yaml", []byte("rate: 50\n"), &sc))
	want, _ := PresetScenario("dns-resolver")
	want.Arrivals.Rate = 50
	if !reflect.DeepEqual(sc, want) {
		t.Errorf("file over a preset:\n got %+v\nwant %+v", sc, want)
	}
	must(t, sc.Set("rate", "60")) // a flag after the file wins
	if sc.Arrivals.Rate != 60 {
		t.Errorf("rate = %v; want 60", sc.Arrivals.Rate)
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	sc := DefaultScenario()
	if err := LoadFile(filepath.Join(dir, "missing.yaml"), &sc); err == nil || !os.IsNotExist(unwrapAll(err)) {
		t.Errorf("missing file: %v; want a not-exist error", err)
	}
	big := filepath.Join(dir, "big.yaml")
	must(t, os.WriteFile(big, []byte("# "+strings.Repeat("x", MaxFileSize)+"\n"), 0o644))
	if err := LoadFile(big, &sc); err == nil || !strings.Contains(err.Error(), "over") {
		t.Errorf("oversized file: %v; want a size error", err)
	}
	ok := filepath.Join(dir, "ok.yaml")
	must(t, os.WriteFile(ok, []byte("seed: 9\n"), 0o644))
	must(t, LoadFile(ok, &sc))
	if sc.Seed != 9 {
		t.Errorf("seed = %d; want 9", sc.Seed)
	}
	must(t, os.WriteFile(ok, []byte("seed: x\n"), 0o644))
	if err := LoadFile(ok, &sc); err == nil || !strings.HasPrefix(err.Error(), ok+":1: seed: ") {
		t.Errorf("bad file: %v; want it to start with the path and line", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}

func ExampleParseFile() {
	sc := DefaultScenario()
	file := `
preset: load-tester
rate: 600              # over the ~470/s one destination sustains
strategy: [linux, "linux:table-order=8,increments=off"]
`
	if err := ParseFile("lt.yaml", []byte(file), &sc); err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range sc.Resolved()[:8] {
		fmt.Printf("%s=%s\n", f.Name, f.Value)
	}
	fmt.Println("strategy=" + sc.Get("strategy"))

	err := ParseFile("bad.yaml", []byte("rate: 600\nlifetme: exp:1s\n"), &sc)
	fmt.Println(err)
	// Output:
	// name=load-tester
	// seed=1
	// duration=2m
	// warmup=1m
	// rate=600
	// arrivals=poisson
	// lifetime=fixed:50ms
	// destinations=1
	// strategy=linux,linux:table-order=8,increments=off
	// bad.yaml:2: unknown field "lifetme" (did you mean "lifetime"?); want one of preset, name, seed, duration, warmup, rate, arrivals, lifetime, destinations, popularity, dst-port, ipv6, src, kind, close, time-wait, tw-reuse, tw-reuse-delay, range, reserved, strategy, hosts, gateway, public-ips, sample-step
}

// FuzzParseFile: no input panics, a failure leaves sc alone, and what is
// accepted survives a Resolved replay.
func FuzzParseFile(f *testing.F) {
	example, err := os.ReadFile("testdata/example.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(example)
	for _, s := range []string{"", "rate: 5\n", "kind: {connect: 1, udp: 2}\n", "preset: browser\n", "- a\n", "a: [1\n", "src: [fd00::1]\nipv6: true\n",
		// issue 12's: deep nesting in each form, and the lifetime that overflowed
		"rate: " + strings.Repeat("[", 30_000) + "\n", "rate: " + strings.Repeat(`["]", `, 1000) + "\n", "rate:\n  " + strings.Repeat("- ", 1000) + "1\n",
		strings.Repeat("? ", 1000) + "a\n", "rate: " + strings.Repeat("{a: ", 1000) + "\n", "lifetime: lognormal:2s,1e308\n", "rate: 1e6\nduration: 1000s\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sc := DefaultScenario()
		if err := ParseFile("f.yaml", data, &sc); err != nil {
			if !reflect.DeepEqual(sc, DefaultScenario()) {
				t.Fatal("failed ParseFile changed the scenario")
			}
			return
		}
		_ = sc.Validate()
		again := DefaultScenario()
		for _, fl := range sc.Resolved() {
			if err := again.Set(fl.Name, fl.Value); err != nil {
				t.Fatalf("replaying %s=%q: %v", fl.Name, fl.Value, err)
			}
		}
		if !reflect.DeepEqual(again.Resolved(), sc.Resolved()) {
			t.Fatal("Resolved replay differs")
		}
	})
}

// FormatFile writes what ParseFile reads back as the same scenario: every
// preset, and values YAML would misread plain (a "#", ": ", a leading
// "-", an empty list).
func TestFormatFileRoundTrip(t *testing.T) {
	tricky := DefaultScenario()
	for _, kv := range [][2]string{
		{"name", "a: b #c"}, {"reserved", ""}, {"kind", "connect=0.9,udp=0.1"},
		{"strategy", "linux:table-order=8,increments=off"},
	} {
		if err := tricky.Set(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	tricky.Name = "-x [y] 'z' {w}"
	cases := map[string]Scenario{"tricky": tricky}
	for _, p := range Presets() {
		sc, err := PresetScenario(p.Name)
		if err != nil {
			t.Fatal(err)
		}
		cases[p.Name] = sc
	}
	for name, want := range cases {
		file := FormatFile(&want, "scenario "+name)
		got := DefaultScenario()
		got.Strategies = nil
		if err := ParseFile(name+".yaml", file, &got); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, file)
		}
		if !slices.Equal(got.Resolved(), want.Resolved()) {
			t.Errorf("%s: read back as\n%v\nwant\n%v\nfile:\n%s", name, got.Resolved(), want.Resolved(), file)
		}
	}
}

// Files that nest deeply are refused before the parser sees them, in
// bounded time and memory, however the nesting is written (issue 12: a
// 200 KB file of 100,000 '[' took 4 GB inside the parser, 30,000 took
// 1.4 GB and 21 s). Depths a person writes still parse.
func TestParseFileDepth(t *testing.T) {
	block := func(n int) string {
		var b strings.Builder
		b.WriteString("rate:\n")
		for i := 1; i <= n; i++ {
			fmt.Fprintf(&b, "%sa:\n", strings.Repeat(" ", i))
		}
		return b.String()
	}
	for _, tc := range []struct {
		name, data string
		refused    bool
	}{
		{"30,000 [", "rate: " + strings.Repeat("[", 30_000) + "\n", true},
		{"100,000 [", "rate: " + strings.Repeat("[", 100_000) + "\n", true},
		{"100,000 [ with ] in quotes", "rate: " + strings.Repeat(`["]", `, 100_000) + "\n", true},
		{"100,000 {", "rate: " + strings.Repeat("{a: ", 100_000) + "\n", true},
		{"300,000 - on a line", "rate:\n  " + strings.Repeat("- ", 300_000) + "1\n", true},
		{"300,000 ? on a line", strings.Repeat("? ", 300_000) + "a\n", true},
		{"1,000 indented mappings", block(1000), true},
		{"brackets in a comment and quotes", "rate: 5 # " + strings.Repeat("[", 100_000) + "\nname: \"" + strings.Repeat("[", 1000) + "\"\n", false},
		{"64 deep", "rate: " + strings.Repeat("[", MaxYAMLDepth) + strings.Repeat("]", MaxYAMLDepth) + "\n", false},
		{"65 deep", "rate: " + strings.Repeat("[", MaxYAMLDepth+1) + strings.Repeat("]", MaxYAMLDepth+1) + "\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := DefaultScenario()
			var err error
			start := time.Now()
			n := allocated(func() { err = ParseFile("t.yaml", []byte(tc.data), &sc) })
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v; want under 5 s", d)
			}
			if n > 256<<20 {
				t.Errorf("allocated %d MB; want under 256 MB", n>>20)
			}
			refused := err != nil && strings.Contains(err.Error(), "nested more than 64 deep")
			if refused != tc.refused {
				t.Errorf("error %v; want refused for depth %v", err, tc.refused)
			}
		})
	}
}

// allocated is how many bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
