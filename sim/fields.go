package sim

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/strategies"
)

// FieldDef describes one scenario parameter. The same table drives the CLI
// flags, scenario files, Resolved and Validate, so a parameter is spelt,
// parsed, printed and checked in exactly one place.
type FieldDef struct {
	Name string // flag and file field name, e.g. "tw-reuse-delay"
	Help string // one line: meaning, syntax, units and allowed values
	// Type is a one-word name of the value's syntax for usage text
	// ("duration", "float", "list", ...); "bool" fields may be given as a
	// bare flag.
	Type string

	want  string                               // allowed values, for error messages
	shape shape                                // which YAML forms a file may use
	set   func(sc *Scenario, s string) error   // syntax only; the error has no field name
	items func(sc *Scenario, s []string) error // a YAML list, when joining with commas would lose meaning
	get   func(sc *Scenario) string            // canonical text that set accepts
	check func(sc *Scenario) error             // the field's own rules; names the value, not the field
}

// shape is which YAML value forms a file may give for a field.
type shape uint8

const (
	scalarShape shape = iota
	listShape         // a scalar or a list of scalars, joined with commas
	sharesShape       // also a mapping NAME: WEIGHT, as NAME=WEIGHT
)

// Default local addresses, one per family (RFC 1918 and RFC 4193).
var (
	defaultSrc4 = netip.MustParseAddr("10.0.0.1")
	defaultSrc6 = netip.MustParseAddr("fd00::1")
)

func defaultSrc(ipv6 bool) netip.Addr {
	if ipv6 {
		return defaultSrc6
	}
	return defaultSrc4
}

// fields is the table, in the order flags, Resolved and files list them.
var fields = []FieldDef{
	{
		Name: "name", Type: "string",
		Help: "scenario name, shown in results",
		want: "printable text",
		set:  func(sc *Scenario, s string) error { sc.Name = s; return nil },
		get:  func(sc *Scenario) string { return sc.Name },
		check: func(sc *Scenario) error {
			if i := strings.IndexFunc(sc.Name, unicode.IsControl); i >= 0 {
				return fmt.Errorf("%q has a control character; want printable text", sc.Name)
			}
			return nil
		},
	},
	{
		Name: "seed", Type: "uint64",
		Help: "seed of every random draw (workload and strategies); same seed, same results",
		want: "a whole number from 0 to 18446744073709551615",
		set: func(sc *Scenario, s string) error {
			v, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				return wantf("a whole number from 0 to 18446744073709551615", "not a whole number")
			}
			sc.Seed = v
			return nil
		},
		get: func(sc *Scenario) string { return strconv.FormatUint(sc.Seed, 10) },
	},
	{
		Name: "duration", Type: "duration",
		Help: "simulated time during which connections arrive, e.g. 60s or 2m30s",
		want: durationWant(">", "60s"),
		set: func(sc *Scenario, s string) error {
			return parseDurationInto(&sc.Duration, s, durationWant(">", "60s"))
		},
		get: func(sc *Scenario) string { return formatDuration(sc.Duration) },
		check: func(sc *Scenario) error {
			return checkDuration(sc.Duration, false, durationWant(">", "60s"))
		},
	},
	{
		Name: "warmup", Type: "duration",
		Help: "metrics ignore allocations before this simulated time; ≥ 0 and < duration",
		want: durationWant("≥", "10s") + ", less than duration",
		set: func(sc *Scenario, s string) error {
			return parseDurationInto(&sc.Warmup, s, durationWant("≥", "10s"))
		},
		get: func(sc *Scenario) string { return formatDuration(sc.Warmup) },
		check: func(sc *Scenario) error {
			return checkDuration(sc.Warmup, true, durationWant("≥", "10s")+", less than duration")
		},
	},
	{
		Name: "rate", Type: "float",
		Help: "new connections per second (during on periods for onoff arrivals), > 0",
		want: "a rate > 0 per second",
		set: func(sc *Scenario, s string) error {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return wantf("a rate > 0 per second", "not a number")
			}
			sc.Arrivals.Rate = v
			return nil
		},
		get:   func(sc *Scenario) string { return formatFloat(sc.Arrivals.Rate) },
		check: checkRate,
	},
	{
		Name: "arrivals", Type: "process",
		Help: "arrival process: poisson, constant (evenly spaced) or onoff:ON/OFF (poisson during ON, silent during OFF, e.g. onoff:2s/8s)",
		want: arrivalsWant,
		set:  setArrivals,
		get:  func(sc *Scenario) string { return formatArrivals(sc.Arrivals) },
		check: func(sc *Scenario) error {
			return checkArrivals(sc.Arrivals)
		},
	},
	{
		Name: "lifetime", Type: "dist",
		Help: "how long a connection stays open: fixed:D, exp:D (exponential, mean D) or lognormal:D,SIGMA (mean D, σ of the log), e.g. exp:1s",
		want: lifetimeWant,
		set:  setLifetime,
		get:  func(sc *Scenario) string { return formatLifetime(sc.Lifetime) },
		check: func(sc *Scenario) error {
			return checkLifetime(sc.Lifetime)
		},
	},
	{
		Name: "destinations", Type: "int",
		Help: fmt.Sprintf("number of distinct destination addresses, 1 to %d", MaxDestinations),
		want: fmt.Sprintf("a whole number from 1 to %d", MaxDestinations),
		set: func(sc *Scenario, s string) error {
			v, err := strconv.Atoi(s)
			if err != nil {
				return wantf(fmt.Sprintf("a whole number from 1 to %d", MaxDestinations), "not a whole number")
			}
			sc.Destinations = v
			return nil
		},
		get: func(sc *Scenario) string { return strconv.Itoa(sc.Destinations) },
		check: func(sc *Scenario) error {
			if sc.Destinations < 1 || sc.Destinations > MaxDestinations {
				return fmt.Errorf("%d is out of range; want a whole number from 1 to %d", sc.Destinations, MaxDestinations)
			}
			return nil
		},
	},
	{
		Name: "popularity", Type: "dist",
		Help: "how destinations are chosen: uniform or zipf:S (destination i weighs 1/i^S, S > 0)",
		want: popularityWant,
		set:  setPopularity,
		get:  func(sc *Scenario) string { return formatPopularity(sc.Popularity) },
		check: func(sc *Scenario) error {
			return checkPopularity(sc.Popularity)
		},
	},
	{
		Name: "dst-port", Type: "list",
		Help: "destination ports, comma-separated (1-65535); destination i uses the (i mod n)th",
		want: dstPortWant, shape: listShape,
		set: setDstPorts,
		get: func(sc *Scenario) string { return formatPorts(sc.DstPorts) },
		check: func(sc *Scenario) error {
			return checkDstPorts(sc.DstPorts)
		},
	},
	{
		Name: "ipv6", Type: "bool",
		Help: "use IPv6 destinations (and fd00::1 as the default src); true or false",
		want: "true or false",
		set: func(sc *Scenario, s string) error {
			v, err := parseBool(s)
			if err != nil {
				return err
			}
			// The default source follows the family; a chosen one is the
			// user's, and Validate reports a mismatch.
			if v != sc.IPv6 && len(sc.Srcs) == 1 && sc.Srcs[0] == defaultSrc(sc.IPv6) {
				sc.Srcs = []netip.Addr{defaultSrc(v)}
			}
			sc.IPv6 = v
			return nil
		},
		get: func(sc *Scenario) string { return strconv.FormatBool(sc.IPv6) },
	},
	{
		Name: "src", Type: "list",
		Help: fmt.Sprintf("local addresses, comma-separated, used round-robin; one family, matching ipv6; empty means %s (or %s with ipv6); at most %d", defaultSrc4, defaultSrc6, MaxSources),
		want: srcWant, shape: listShape,
		set: setSrcs,
		get: func(sc *Scenario) string { return formatAddrs(sc.Srcs) },
		check: func(sc *Scenario) error {
			return checkSrcs(sc.Srcs)
		},
	},
	{
		Name: "kind", Type: "shares",
		Help: "request kinds: connect, bind (bind(ip, 0) before connect) or udp, or a weighted mix such as connect=0.9,udp=0.1",
		want: kindWant, shape: sharesShape,
		set: func(sc *Scenario, s string) error {
			v, err := parseShares(s, allocator.ParseKind, kindWant)
			if err == nil {
				sc.Kinds = v
			}
			return err
		},
		get: func(sc *Scenario) string { return formatShares(sc.Kinds) },
		check: func(sc *Scenario) error {
			return checkShares(sc.Kinds, allocator.UDP, kindWant)
		},
	},
	{
		Name: "close", Type: "shares",
		Help: "who ends connections: client (we keep TIME_WAIT), server (the peer does) or reset (nobody), or a mix such as client=0.8,reset=0.2",
		want: closeWant, shape: sharesShape,
		set: func(sc *Scenario, s string) error {
			v, err := parseShares(s, allocator.ParseCloseHow, closeWant)
			if err == nil {
				sc.Close = v
			}
			return err
		},
		get: func(sc *Scenario) string { return formatShares(sc.Close) },
		check: func(sc *Scenario) error {
			return checkShares(sc.Close, allocator.Reset, closeWant)
		},
	},
	{
		Name: "time-wait", Type: "duration",
		Help: "how long a client-closed 4-tuple stays in TIME_WAIT (Linux: 60s); 0 keeps none",
		want: durationWant("≥", "60s"),
		set: func(sc *Scenario, s string) error {
			return parseDurationInto(&sc.TimeWait, s, durationWant("≥", "60s"))
		},
		get: func(sc *Scenario) string { return formatDuration(sc.TimeWait) },
		check: func(sc *Scenario) error {
			return checkDuration(sc.TimeWait, true, durationWant("≥", "60s"))
		},
	},
	{
		Name: "tw-reuse", Type: "policy",
		Help: "taking a TIME_WAIT 4-tuple for a new connect(), as Linux's tcp_tw_reuse: off, on or loopback (the default: loopback peers only)",
		want: "off, on or loopback",
		set: func(sc *Scenario, s string) error {
			v, err := allocator.ParseTWReuse(s)
			if err != nil {
				return wantf("off, on or loopback (or 0, 1, 2)", "not a tw_reuse policy")
			}
			sc.TWReuse = v
			return nil
		},
		get: func(sc *Scenario) string { return sc.TWReuse.String() },
		check: func(sc *Scenario) error {
			if sc.TWReuse > allocator.TWReuseLoopback {
				return fmt.Errorf("%v is not a policy; want off, on or loopback", sc.TWReuse)
			}
			return nil
		},
	},
	{
		Name: "tw-reuse-delay", Type: "duration",
		Help: "minimum TIME_WAIT age before tw-reuse may take the 4-tuple (Linux: 1s)",
		want: durationWant("≥", "1s"),
		set: func(sc *Scenario, s string) error {
			return parseDurationInto(&sc.TWReuseDelay, s, durationWant("≥", "1s"))
		},
		get: func(sc *Scenario) string { return formatDuration(sc.TWReuseDelay) },
		check: func(sc *Scenario) error {
			return checkDuration(sc.TWReuseDelay, true, durationWant("≥", "1s"))
		},
	},
	{
		Name: "range", Type: "range",
		Help: "ephemeral port range LO-HI, inclusive (Linux: 32768-60999; RFC 6335: 49152-65535)",
		want: "LO-HI with 1 ≤ LO ≤ HI ≤ 65535",
		set: func(sc *Scenario, s string) error {
			r, err := allocator.ParseRange(s)
			if err == nil {
				sc.Range = r
			}
			return err
		},
		get: func(sc *Scenario) string { return sc.Range.String() },
		check: func(sc *Scenario) error {
			if err := sc.Range.Validate(); err != nil {
				return fmt.Errorf("%q: %w", sc.Range.String(), err)
			}
			return nil
		},
	},
	{
		Name: "reserved", Type: "list",
		Help: "ports never chosen automatically, like ip_local_reserved_ports: ports and ranges, comma-separated (e.g. 8080,9000-9100); empty means none",
		want: "ports and LO-HI ranges, comma-separated, such as 8080,9000-9100", shape: listShape,
		set: func(sc *Scenario, s string) error {
			rs, err := allocator.ParseRanges(s)
			if err == nil {
				sc.Reserved = rs
			}
			return err
		},
		get: func(sc *Scenario) string { return allocator.FormatRanges(sc.Reserved) },
		check: func(sc *Scenario) error {
			for _, r := range sc.Reserved {
				if err := r.Validate(); err != nil {
					return fmt.Errorf("%q: %w", r.String(), err)
				}
			}
			return nil
		},
	},
	{
		Name: "strategy", Type: "specs",
		Help: "strategies to compare, comma-separated specs NAME[:KEY=VALUE,...]; a KEY=VALUE item continues the spec before it, e.g. sequential,linux:table-order=8,increments=off,random",
		want: strategyWant, shape: listShape,
		set: func(sc *Scenario, s string) error {
			sc.Strategies = SplitStrategies(s)
			return nil
		},
		items: func(sc *Scenario, items []string) error {
			// In a YAML list each item is one whole spec, commas and all.
			specs := make([]string, 0, len(items))
			for _, it := range items {
				if spec := normalizeSpec(it); spec != "" {
					specs = append(specs, spec)
				}
			}
			sc.Strategies = specs
			return nil
		},
		get:   func(sc *Scenario) string { return strings.Join(sc.Strategies, ",") },
		check: checkStrategies,
	},
	{
		Name: "sample-step", Type: "duration",
		Help: "simulated time between occupancy samples; 0 means duration/500 (at least 1ms)",
		want: durationWant("≥", "100ms") + "; 0 means duration/500",
		set: func(sc *Scenario, s string) error {
			return parseDurationInto(&sc.SampleStep, s, durationWant("≥", "100ms")+"; 0 means duration/500")
		},
		get: func(sc *Scenario) string { return formatDuration(sc.SampleStep) },
		check: func(sc *Scenario) error {
			return checkDuration(sc.SampleStep, true, durationWant("≥", "100ms")+"; 0 means duration/500")
		},
	},
}

const (
	arrivalsWant   = "poisson, constant or onoff:ON/OFF with durations ON > 0 and OFF ≥ 0, such as onoff:2s/8s"
	lifetimeWant   = "fixed:D, exp:D or lognormal:D,SIGMA"
	popularityWant = "uniform or zipf:S with S > 0, such as zipf:1.1"
	dstPortWant    = "ports 1 to 65535, comma-separated, such as 443 or 80,443"
	srcWant        = "IPv4 or IPv6 addresses of one family, comma-separated, such as 10.0.0.1,10.0.0.2"
	strategyWant   = "comma-separated strategy specs NAME[:KEY=VALUE,...] or profile:NAME, such as sequential,linux:table-order=8,profile:macos"
	sharesTail     = ", or NAME=WEIGHT,... with weights > 0 such as "
	kindWant       = "one of connect, bind, udp" + sharesTail + "connect=0.9,udp=0.1"
	closeWant      = "one of client, server, reset" + sharesTail + "client=0.8,reset=0.2"
)

func durationWant(cmp, example string) string {
	return fmt.Sprintf("a duration %s 0 such as %s, at most %s", cmp, example, formatDuration(MaxDuration))
}

// wantf is a parse error: what is wrong, then what is allowed.
func wantf(want, format string, args ...any) error {
	return fmt.Errorf("%s; want %s", fmt.Sprintf(format, args...), want)
}

// Fields lists every scenario parameter in its documented order.
func Fields() []FieldDef { return slices.Clone(fields) }

// LookupField finds a parameter by its flag/file name.
func LookupField(name string) (FieldDef, bool) {
	f := lookupField(name)
	if f == nil {
		return FieldDef{}, false
	}
	return *f, true
}

func lookupField(name string) *FieldDef {
	for i := range fields {
		if fields[i].Name == name {
			return &fields[i]
		}
	}
	return nil
}

// FieldNames lists the parameter names in order.
func FieldNames() []string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.Name
	}
	return names
}

// Set parses value into the named field, as the flag --name=value or the
// file line "name: value" would. The value is checked on its own (ranges,
// syntax, strategy specs); rules that join fields wait for Validate, so
// fields may be set in any order. On error sc is unchanged and the error
// names the field, the value and what is allowed.
func (sc *Scenario) Set(name, value string) error {
	f := lookupField(name)
	if f == nil {
		return unknownField(name, FieldNames())
	}
	return f.apply(sc, value)
}

// apply runs set then check on a copy, so a bad value leaves sc as it was.
// Setters assign fresh slices, never write into shared ones.
func (f *FieldDef) apply(sc *Scenario, value string) error {
	tmp := *sc
	if f.Name != "name" {
		value = strings.TrimSpace(value)
	}
	if err := f.set(&tmp, value); err != nil {
		return fmt.Errorf("%s: %q: %w", f.Name, value, err)
	}
	if err := f.runCheck(&tmp); err != nil {
		return err
	}
	*sc = tmp
	return nil
}

// applyItems is apply for a YAML list.
func (f *FieldDef) applyItems(sc *Scenario, items []string) error {
	if f.items == nil {
		return f.apply(sc, strings.Join(items, ","))
	}
	tmp := *sc
	if err := f.items(&tmp, items); err != nil {
		return fmt.Errorf("%s: %q: %w", f.Name, items, err)
	}
	if err := f.runCheck(&tmp); err != nil {
		return err
	}
	*sc = tmp
	return nil
}

func (f *FieldDef) runCheck(sc *Scenario) error {
	if f.check == nil {
		return nil
	}
	if err := f.check(sc); err != nil {
		return fmt.Errorf("%s: %w", f.Name, err)
	}
	return nil
}

// Get returns the named field as canonical text that Set accepts back
// (Set(name, Get(name)) changes nothing). It returns "" for a name that is
// not a field; LookupField tells them apart.
func (sc *Scenario) Get(name string) string {
	f := lookupField(name)
	if f == nil {
		return ""
	}
	return f.get(sc)
}

// Resolved lists every field in table order with Get's value: setting them
// in this order on any scenario reproduces sc.
func (sc *Scenario) Resolved() []Field {
	out := make([]Field, len(fields))
	for i := range fields {
		out[i] = Field{Name: fields[i].Name, Value: fields[i].get(sc)}
	}
	return out
}

// Value adapts the field of sc to flag.Value and pflag.Value, so a CLI
// registers every field with fs.Var(f.Value(&sc), f.Name, f.Help). A
// repeated flag replaces the earlier value. For a "bool" field, pflag users
// set the flag's NoOptDefVal to "true"; package flag sees IsBoolFlag.
func (f FieldDef) Value(sc *Scenario) *FieldValue { return &FieldValue{sc: sc, f: lookupField(f.Name)} }

// FieldValue is one field of a scenario seen as a flag value.
type FieldValue struct {
	sc *Scenario
	f  *FieldDef
}

// String is the field's current canonical value.
func (v *FieldValue) String() string {
	if v == nil || v.sc == nil || v.f == nil {
		return "" // package flag calls String on a zero value
	}
	return v.f.get(v.sc)
}

// Set parses s into the field.
func (v *FieldValue) Set(s string) error { return v.f.apply(v.sc, s) }

// Type names the value's syntax for usage text.
func (v *FieldValue) Type() string { return v.f.Type }

// IsBoolFlag lets package flag accept a bare --ipv6.
func (v *FieldValue) IsBoolFlag() bool { return v.f != nil && v.f.Type == "bool" }

// unknownField lists what is allowed and suggests a near miss.
func unknownField(name string, allowed []string) error {
	hint := ""
	best, bestD := "", 3
	for _, a := range allowed {
		if d := editDistance(name, a); d < bestD {
			best, bestD = a, d
		}
	}
	if best != "" {
		hint = fmt.Sprintf(" (did you mean %q?)", best)
	}
	return fmt.Errorf("unknown field %q%s; want one of %s", name, hint, strings.Join(allowed, ", "))
}

// editDistance is Levenshtein's, on bytes (field names are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// parseBool reads true/false and the spellings YAML 1.1 users write.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "yes", "on":
		return true, nil
	case "no", "off":
		return false, nil
	}
	v, err := strconv.ParseBool(s)
	if err != nil {
		return false, wantf("true or false", "not a boolean")
	}
	return v, nil
}

// --- durations and numbers ---

func parseDurationInto(dst *time.Duration, s, want string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		reason := "not a duration"
		if _, numErr := strconv.ParseFloat(s, 64); numErr == nil && s != "0" {
			reason = "has no unit"
		}
		return wantf(want, "%s", reason)
	}
	*dst = d
	return nil
}

// checkDuration checks 0 < d (or 0 ≤ d with zeroOK) and d ≤ MaxDuration.
func checkDuration(d time.Duration, zeroOK bool, want string) error {
	switch {
	case d < 0:
		return fmt.Errorf("%s is negative; want %s", formatDuration(d), want)
	case d == 0 && !zeroOK:
		return fmt.Errorf("%s is not > 0; want %s", formatDuration(d), want)
	case d > MaxDuration:
		return fmt.Errorf("%s is over the limit of %s; want %s", formatDuration(d), formatDuration(MaxDuration), want)
	}
	return nil
}

// formatDuration is time.Duration's String without the trailing zero
// units: 1m rather than 1m0s, 8760h rather than 8760h0m0s.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// formatFloat is the shortest text that parses back to f.
func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func checkRate(sc *Scenario) error {
	r := sc.Arrivals.Rate
	const want = "a rate > 0 per second"
	switch {
	case math.IsNaN(r) || math.IsInf(r, 0):
		return fmt.Errorf("%s is not a finite number; want %s", formatFloat(r), want)
	case r < 0:
		return fmt.Errorf("%s is negative; want %s", formatFloat(r), want)
	case r == 0:
		return fmt.Errorf("0 is not > 0; want %s", want)
	case r < MinRate:
		return fmt.Errorf("%s is below the smallest rate, %s; want %s, at least %s", formatFloat(r), formatFloat(MinRate), want, formatFloat(MinRate))
	}
	return nil
}

// --- arrivals ---

func setArrivals(sc *Scenario, s string) error {
	a := sc.Arrivals
	kind, arg, hasArg := strings.Cut(s, ":")
	switch {
	case s == "poisson":
		a.Process, a.On, a.Off = Poisson, 0, 0
	case s == "constant":
		a.Process, a.On, a.Off = Constant, 0, 0
	case kind == "onoff" && hasArg:
		onS, offS, ok := strings.Cut(arg, "/")
		if !ok {
			return wantf(arrivalsWant, "onoff needs ON/OFF")
		}
		on, err := time.ParseDuration(strings.TrimSpace(onS))
		if err != nil {
			return wantf(arrivalsWant, "on period %q is not a duration", onS)
		}
		off, err := time.ParseDuration(strings.TrimSpace(offS))
		if err != nil {
			return wantf(arrivalsWant, "off period %q is not a duration", offS)
		}
		a.Process, a.On, a.Off = OnOff, on, off
	case kind == "onoff":
		return wantf(arrivalsWant, "onoff needs ON/OFF")
	default:
		return wantf(arrivalsWant, "not an arrival process")
	}
	sc.Arrivals = a
	return nil
}

func formatArrivals(a Arrivals) string {
	switch a.Process {
	case Poisson:
		return "poisson"
	case Constant:
		return "constant"
	case OnOff:
		return "onoff:" + formatDuration(a.On) + "/" + formatDuration(a.Off)
	}
	return fmt.Sprintf("Process(%d)", a.Process)
}

func checkArrivals(a Arrivals) error {
	v := formatArrivals(a)
	switch a.Process {
	case Poisson, Constant:
		if a.On != 0 || a.Off != 0 {
			return fmt.Errorf("%q has on/off periods set; want %s", v, arrivalsWant)
		}
	case OnOff:
		switch {
		case a.On <= 0:
			return fmt.Errorf("%q: on period must be > 0; want %s", v, arrivalsWant)
		case a.Off < 0:
			return fmt.Errorf("%q: off period is negative; want %s", v, arrivalsWant)
		case a.On > MaxDuration || a.Off > MaxDuration:
			return fmt.Errorf("%q: a period is over the limit of %s; want %s", v, formatDuration(MaxDuration), arrivalsWant)
		}
	default:
		return fmt.Errorf("%q is not a process; want %s", v, arrivalsWant)
	}
	return nil
}

// --- lifetime ---

func setLifetime(sc *Scenario, s string) error {
	kind, arg, ok := strings.Cut(s, ":")
	if !ok {
		return wantf(lifetimeWant, "no distribution and mean")
	}
	var l Lifetime
	switch kind {
	case "fixed":
		l.Dist = Fixed
	case "exp":
		l.Dist = Exponential
	case "lognormal":
		l.Dist = LogNormal
		var sigma string
		arg, sigma, ok = strings.Cut(arg, ",")
		if !ok {
			return wantf(lifetimeWant, "lognormal needs a mean and a sigma")
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(sigma), 64)
		if err != nil {
			return wantf(lifetimeWant, "sigma %q is not a number", sigma)
		}
		l.Sigma = v
	default:
		return wantf(lifetimeWant, "%q is not a distribution", kind)
	}
	d, err := time.ParseDuration(strings.TrimSpace(arg))
	if err != nil {
		return wantf(lifetimeWant, "mean %q is not a duration", arg)
	}
	l.Mean = d
	sc.Lifetime = l
	return nil
}

func formatLifetime(l Lifetime) string {
	switch l.Dist {
	case Fixed:
		return "fixed:" + formatDuration(l.Mean)
	case Exponential:
		return "exp:" + formatDuration(l.Mean)
	case LogNormal:
		return "lognormal:" + formatDuration(l.Mean) + "," + formatFloat(l.Sigma)
	}
	return fmt.Sprintf("LifetimeDist(%d):%s", l.Dist, formatDuration(l.Mean))
}

func checkLifetime(l Lifetime) error {
	v := formatLifetime(l)
	switch {
	case l.Dist > LogNormal:
		return fmt.Errorf("%q is not a distribution; want %s", v, lifetimeWant)
	case l.Mean <= 0:
		return fmt.Errorf("%q: mean must be > 0; want %s", v, lifetimeWant)
	case l.Mean > MaxDuration:
		return fmt.Errorf("%q: mean is over the limit of %s; want %s", v, formatDuration(MaxDuration), lifetimeWant)
	case l.Dist == LogNormal && !(l.Sigma > 0 && finite(l.Sigma)):
		return fmt.Errorf("%q: sigma must be > 0 (fixed:D has none); want %s", v, lifetimeWant)
	case l.Dist != LogNormal && l.Sigma != 0:
		return fmt.Errorf("%q has a sigma set; only lognormal takes one; want %s", v, lifetimeWant)
	}
	return nil
}

// --- popularity ---

func setPopularity(sc *Scenario, s string) error {
	if s == "uniform" {
		sc.Popularity = Popularity{}
		return nil
	}
	kind, arg, ok := strings.Cut(s, ":")
	if kind != "zipf" {
		return wantf(popularityWant, "not a popularity")
	}
	if !ok {
		return wantf(popularityWant, "zipf needs an exponent")
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(arg), 64)
	if err != nil {
		return wantf(popularityWant, "exponent %q is not a number", arg)
	}
	sc.Popularity = Popularity{Zipf: true, S: v}
	return nil
}

func formatPopularity(p Popularity) string {
	if !p.Zipf {
		return "uniform"
	}
	return "zipf:" + formatFloat(p.S)
}

func checkPopularity(p Popularity) error {
	switch {
	case p.Zipf && !(p.S > 0 && finite(p.S)):
		return fmt.Errorf("%q: exponent must be > 0; want %s", formatPopularity(p), popularityWant)
	case !p.Zipf && p.S != 0:
		return fmt.Errorf("uniform has an exponent (%s) set; want %s", formatFloat(p.S), popularityWant)
	}
	return nil
}

// --- lists ---

// splitList splits a comma list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func setDstPorts(sc *Scenario, s string) error {
	var ports []uint16
	for _, item := range splitList(s) {
		n, err := strconv.Atoi(item)
		if err != nil {
			return wantf(dstPortWant, "%q is not a port", item)
		}
		if n < 1 || n > 65535 {
			return wantf(dstPortWant, "%d is out of range", n)
		}
		ports = append(ports, uint16(n))
	}
	sc.DstPorts = ports
	return nil
}

func formatPorts(ps []uint16) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = strconv.Itoa(int(p))
	}
	return strings.Join(parts, ",")
}

func checkDstPorts(ps []uint16) error {
	if len(ps) == 0 {
		return fmt.Errorf("no ports; want %s", dstPortWant)
	}
	seen := map[uint16]bool{}
	for _, p := range ps {
		if p == 0 {
			return fmt.Errorf("0 is not a port; want %s", dstPortWant)
		}
		if seen[p] {
			return fmt.Errorf("%d is listed twice; want %s", p, dstPortWant)
		}
		seen[p] = true
	}
	return nil
}

func setSrcs(sc *Scenario, s string) error {
	items := splitList(s)
	if len(items) == 0 {
		sc.Srcs = []netip.Addr{defaultSrc(sc.IPv6)}
		return nil
	}
	addrs := make([]netip.Addr, 0, len(items))
	for _, item := range items {
		a, err := netip.ParseAddr(item)
		if err != nil {
			return wantf(srcWant, "%q is not an IP address", item)
		}
		addrs = append(addrs, a)
	}
	sc.Srcs = addrs
	return nil
}

func formatAddrs(as []netip.Addr) string {
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = a.String()
	}
	return strings.Join(parts, ",")
}

func checkSrcs(as []netip.Addr) error {
	if len(as) == 0 {
		return fmt.Errorf("no addresses; want %s", srcWant)
	}
	if len(as) > MaxSources {
		return fmt.Errorf("%d addresses is over the limit of %d; want %s", len(as), MaxSources, srcWant)
	}
	seen := map[netip.Addr]bool{}
	for _, a := range as {
		switch {
		case !a.IsValid():
			return fmt.Errorf("an address is empty; want %s", srcWant)
		case a.Zone() != "":
			return fmt.Errorf("%s has a zone; want %s, without zones", a, srcWant)
		case a.Is4In6():
			return fmt.Errorf("%s is an IPv4-mapped IPv6 address; want %s (write the IPv4 address)", a, srcWant)
		case a.IsUnspecified() || a.IsMulticast():
			return fmt.Errorf("%s cannot be a local address of a connection; want %s", a, srcWant)
		case a.Is6() != as[0].Is6():
			return fmt.Errorf("%s and %s are of different families; want %s", as[0], a, srcWant)
		case seen[a]:
			return fmt.Errorf("%s is listed twice; want %s", a, srcWant)
		}
		seen[a] = true
	}
	return nil
}

// --- shares ---

// parseShares reads NAME or NAME=WEIGHT items; a bare NAME weighs 1. A
// single item is stored with weight 1, its only meaningful value.
func parseShares[T comparable](s string, parse func(string) (T, error), want string) ([]Share[T], error) {
	items := splitList(s)
	if len(items) == 0 {
		return nil, wantf(want, "empty")
	}
	out := make([]Share[T], 0, len(items))
	for _, item := range items {
		name, w, hasW := strings.Cut(item, "=")
		v, err := parse(strings.TrimSpace(name))
		if err != nil {
			return nil, wantf(want, "%q is not allowed", strings.TrimSpace(name))
		}
		weight := 1.0
		if hasW {
			weight, err = strconv.ParseFloat(strings.TrimSpace(w), 64)
			if err != nil {
				return nil, wantf(want, "weight %q of %s is not a number", strings.TrimSpace(w), strings.TrimSpace(name))
			}
		}
		out = append(out, Share[T]{Value: v, Weight: weight})
	}
	if len(out) == 1 && out[0].Weight > 0 && finite(out[0].Weight) {
		out[0].Weight = 1
	}
	return out, nil
}

func formatShares[T fmt.Stringer](shares []Share[T]) string {
	if len(shares) == 1 {
		return shares[0].Value.String()
	}
	parts := make([]string, len(shares))
	for i, s := range shares {
		parts[i] = s.Value.String() + "=" + formatFloat(s.Weight)
	}
	return strings.Join(parts, ",")
}

func checkShares[T interface {
	comparable
	fmt.Stringer
	~uint8
}](shares []Share[T], last T, want string) error {
	if len(shares) == 0 {
		return fmt.Errorf("none given; want %s", want)
	}
	seen := map[T]bool{}
	for _, s := range shares {
		switch {
		case s.Value > last:
			return fmt.Errorf("%v is not allowed; want %s", s.Value, want)
		case !(s.Weight > 0 && finite(s.Weight)):
			return fmt.Errorf("%q: weight of %v must be > 0; want %s", formatShares(shares), s.Value, want)
		case seen[s.Value]:
			return fmt.Errorf("%q: %v is listed twice; want %s", formatShares(shares), s.Value, want)
		}
		seen[s.Value] = true
	}
	return nil
}

// --- strategies ---

// SplitStrategies splits the strategy field's comma list into specs. An
// item that looks like KEY=VALUE (an '=' and no ':' before it) belongs to
// the spec before it, so "sequential,linux:table-order=8,increments=off"
// is two specs. Items are trimmed and normalized; empty items are dropped.
func SplitStrategies(s string) []string {
	var specs []string
	for _, item := range splitList(s) {
		eq, colon := strings.IndexByte(item, '='), strings.IndexByte(item, ':')
		isParam := eq >= 0 && (colon < 0 || colon > eq)
		if n := len(specs); isParam && n > 0 {
			sep := ","
			rest := specs[n-1]
			if p, ok := strategies.IsProfileSpec(rest); ok {
				rest = p // "profile:netbsd,algo=randinc"
			}
			if !strings.Contains(rest, ":") {
				sep = ":" // "linux,table-order=8": the first parameter
			}
			specs[n-1] += sep + item
			continue
		}
		specs = append(specs, item)
	}
	for i, sp := range specs {
		specs[i] = normalizeSpec(sp)
	}
	return specs
}

// normalizeSpec trims the name and every KEY=VALUE of a spec, so the same
// strategy spelt with spaces gets the same seed (StrategySeed hashes the
// spec).
func normalizeSpec(spec string) string {
	name, args, _ := strings.Cut(strings.TrimSpace(spec), ":")
	name = strings.TrimSpace(name)
	var kvs []string
	for _, kv := range strings.Split(args, ",") {
		k, v, hasV := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if !hasV {
			if k != "" {
				kvs = append(kvs, k)
			}
			continue
		}
		kvs = append(kvs, k+"="+strings.TrimSpace(v))
	}
	if len(kvs) == 0 {
		return name
	}
	return name + ":" + strings.Join(kvs, ",")
}

func checkStrategies(sc *Scenario) error {
	if len(sc.Strategies) == 0 {
		return fmt.Errorf("none given; want %s; registered: %s", strategyWant, strings.Join(strategies.Names(), ", "))
	}
	seen := map[string]bool{}
	for _, spec := range sc.Strategies {
		if err := strategies.ValidateSpec(spec); err != nil {
			return fmt.Errorf("%q: %w", spec, err)
		}
		if seen[spec] {
			return fmt.Errorf("%q is listed twice; want each spec once", spec)
		}
		seen[spec] = true
	}
	return nil
}
