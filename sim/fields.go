package sim

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/internal/format"
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
	// omit, when set, leaves the field out of Resolved while it says so:
	// the gateway's fields at their defaults when there is no gateway, so
	// that a scenario without one reads as it did before gateways.
	omit func(sc *Scenario) bool
}

// shape is which YAML value forms a file may give for a field.
type shape uint8

const (
	scalarShape shape = iota
	listShape         // a scalar or a list of scalars, joined with commas
	sharesShape       // also a mapping NAME: WEIGHT, as NAME=WEIGHT
)

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
		get: func(sc *Scenario) string { return format.Duration(sc.Duration) },
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
		get: func(sc *Scenario) string { return format.Duration(sc.Warmup) },
		check: func(sc *Scenario) error {
			return checkDuration(sc.Warmup, true, durationWant("≥", "10s")+", less than duration")
		},
	},
	{
		Name: "rate", Type: "float",
		Help: "new connections per second (during on periods for onoff arrivals), > 0",
		want: rateWant,
		set: func(sc *Scenario, s string) error {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return wantf(rateWant, "not a number")
			}
			sc.Arrivals.Rate = v
			return nil
		},
		get:   func(sc *Scenario) string { return formatFloat(sc.Arrivals.Rate) },
		check: func(sc *Scenario) error { return checkRate(sc.Arrivals.Rate) },
	},
	{
		Name: "arrivals", Type: "process",
		Help: "arrival process: poisson, constant (evenly spaced) or onoff:ON/OFF (poisson during ON, silent during OFF, e.g. onoff:2s/8s)",
		want: arrivalsWant,
		set: func(sc *Scenario, s string) error {
			a, err := ParseArrivals(s)
			if err != nil {
				return err
			}
			a.Rate = sc.Arrivals.Rate // the rate field's
			sc.Arrivals = a
			return nil
		},
		get:   func(sc *Scenario) string { return sc.Arrivals.String() },
		check: func(sc *Scenario) error { return sc.Arrivals.Validate() },
	},
	{
		Name: "lifetime", Type: "dist",
		Help:  "how long a connection stays open: fixed:D, exp:D (exponential, mean D) or lognormal:D,SIGMA (mean D, σ of the log), e.g. exp:1s",
		want:  lifetimeWant,
		set:   func(sc *Scenario, s string) error { return parseInto(&sc.Lifetime, s, ParseLifetime) },
		get:   func(sc *Scenario) string { return sc.Lifetime.String() },
		check: func(sc *Scenario) error { return sc.Lifetime.Validate() },
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
		Help:  "how destinations are chosen: uniform or zipf:S (destination i weighs 1/i^S, S > 0)",
		want:  popularityWant,
		set:   func(sc *Scenario, s string) error { return parseInto(&sc.Popularity, s, ParsePopularity) },
		get:   func(sc *Scenario) string { return sc.Popularity.String() },
		check: func(sc *Scenario) error { return sc.Popularity.Validate() },
	},
	{
		Name: "dst-port", Type: "list",
		Help: "destination ports, comma-separated (1-65535); destination i uses the (i mod n)th",
		want: dstPortWant, shape: listShape,
		set:   func(sc *Scenario, s string) error { return parseInto(&sc.DstPorts, s, parsePorts) },
		get:   func(sc *Scenario) string { return formatPorts(sc.DstPorts) },
		check: func(sc *Scenario) error { return checkPorts(sc.DstPorts) },
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
		set: func(sc *Scenario, s string) error {
			as, err := parseAddrs(s)
			if err != nil {
				return err
			}
			if len(as) == 0 {
				as = []netip.Addr{defaultSrc(sc.IPv6)}
			}
			sc.Srcs = as
			return nil
		},
		get:   func(sc *Scenario) string { return formatAddrs(sc.Srcs) },
		check: func(sc *Scenario) error { return checkSrcs(sc.Srcs) },
	},
	{
		Name: "kind", Type: "shares",
		Help: "request kinds: connect, bind (bind(ip, 0) before connect) or udp, or a weighted mix such as connect=0.9,udp=0.1",
		want: kindMix.want, shape: sharesShape,
		set:   func(sc *Scenario, s string) error { return parseInto(&sc.Kinds, s, kindMix.Parse) },
		get:   func(sc *Scenario) string { return formatShares(sc.Kinds) },
		check: func(sc *Scenario) error { return kindMix.Validate(sc.Kinds) },
	},
	{
		Name: "close", Type: "shares",
		Help: "who ends connections: client (we keep TIME_WAIT), server (the peer does) or reset (nobody), or a mix such as client=0.8,reset=0.2",
		want: closeMix.want, shape: sharesShape,
		set:   func(sc *Scenario, s string) error { return parseInto(&sc.Close, s, closeMix.Parse) },
		get:   func(sc *Scenario) string { return formatShares(sc.Close) },
		check: func(sc *Scenario) error { return closeMix.Validate(sc.Close) },
	},
	{
		Name: "time-wait", Type: "duration",
		Help: "how long a client-closed 4-tuple stays in TIME_WAIT (Linux: 60s); 0 keeps none",
		want: durationWant("≥", "60s"),
		set: func(sc *Scenario, s string) error {
			return parseDurationInto(&sc.TimeWait, s, durationWant("≥", "60s"))
		},
		get: func(sc *Scenario) string { return format.Duration(sc.TimeWait) },
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
		get: func(sc *Scenario) string { return format.Duration(sc.TWReuseDelay) },
		check: func(sc *Scenario) error {
			return checkDuration(sc.TWReuseDelay, true, durationWant("≥", "1s"))
		},
	},
	{
		Name: "range", Type: "range",
		Help: "ephemeral port range LO-HI, inclusive (Linux: 32768-60999; RFC 6335: 49152-65535)",
		want: "LO-HI with 1 ≤ LO ≤ HI ≤ 65535",
		set:  func(sc *Scenario, s string) error { return parseInto(&sc.Range, s, allocator.ParseRange) },
		get:  func(sc *Scenario) string { return sc.Range.String() },
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
		set: func(sc *Scenario, s string) error { return parseInto(&sc.Reserved, s, allocator.ParseRanges) },
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
			sc.Strategies = specsOfItems(items)
			return nil
		},
		get:   func(sc *Scenario) string { return strings.Join(sc.Strategies, ",") },
		check: func(sc *Scenario) error { return checkStrategies(sc.Strategies) },
	},
	{
		Name: "hosts", Type: "int",
		Help: fmt.Sprintf("internal hosts, 1 to %d, each running the strategy with its own ports, tables and seed; arrivals go to them in turn; more than 1 needs a gateway", MaxHosts),
		want: fmt.Sprintf("a whole number from 1 to %d", MaxHosts),
		set: func(sc *Scenario, s string) error {
			v, err := strconv.Atoi(s)
			if err != nil {
				return wantf(fmt.Sprintf("a whole number from 1 to %d", MaxHosts), "not a whole number")
			}
			sc.Hosts = v
			return nil
		},
		get: func(sc *Scenario) string { return strconv.Itoa(sc.Hosts) },
		check: func(sc *Scenario) error {
			if sc.Hosts < 1 || sc.Hosts > MaxHosts {
				return fmt.Errorf("%d is out of range; want a whole number from 1 to %d", sc.Hosts, MaxHosts)
			}
			return nil
		},
		omit: func(sc *Scenario) bool { return sc.Gateway == "" && sc.Hosts == 1 },
	},
	{
		Name: "gateway", Type: "spec",
		Help: "a translator in front of the hosts rewriting each flow's source address and port: none, or NAME[:KEY=VALUE,...], e.g. aws-nat or netfilter:random=fully (see 'portsim strategies')",
		want: gatewayWant,
		set:  func(sc *Scenario, s string) error { return parseInto(&sc.Gateway, s, ParseGateway) },
		get:  func(sc *Scenario) string { return sc.Gateway.String() },
		check: func(sc *Scenario) error {
			return sc.Gateway.Validate()
		},
		omit: func(sc *Scenario) bool { return sc.Gateway == "" },
	},
	{
		Name: "public-ips", Type: "int",
		Help: fmt.Sprintf("the gateway's public addresses, 1 to %d (203.0.113.1 up; 2001:db8:fffe::1 up with ipv6)", MaxPublicIPs),
		want: fmt.Sprintf("a whole number from 1 to %d", MaxPublicIPs),
		set: func(sc *Scenario, s string) error {
			v, err := strconv.Atoi(s)
			if err != nil {
				return wantf(fmt.Sprintf("a whole number from 1 to %d", MaxPublicIPs), "not a whole number")
			}
			sc.PublicIPs = v
			return nil
		},
		get: func(sc *Scenario) string { return strconv.Itoa(sc.PublicIPs) },
		check: func(sc *Scenario) error {
			if sc.PublicIPs < 1 || sc.PublicIPs > MaxPublicIPs {
				return fmt.Errorf("%d is out of range; want a whole number from 1 to %d", sc.PublicIPs, MaxPublicIPs)
			}
			return nil
		},
		omit: func(sc *Scenario) bool { return sc.Gateway == "" && sc.PublicIPs == 1 },
	},
	{
		Name: "sample-step", Type: "duration",
		Help: "simulated time between occupancy samples; 0 means duration/500 (at least 1ms)",
		want: durationWant("≥", "100ms") + "; 0 means duration/500",
		set: func(sc *Scenario, s string) error {
			return parseDurationInto(&sc.SampleStep, s, durationWant("≥", "100ms")+"; 0 means duration/500")
		},
		get: func(sc *Scenario) string { return format.Duration(sc.SampleStep) },
		check: func(sc *Scenario) error {
			return checkDuration(sc.SampleStep, true, durationWant("≥", "100ms")+"; 0 means duration/500")
		},
	},
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

// Resolved lists every field in table order with Get's value, but the
// gateway's fields while there is no gateway and they are at their
// defaults: setting them in this order on any scenario without a gateway
// reproduces sc.
func (sc *Scenario) Resolved() []Field {
	out := make([]Field, 0, len(fields))
	for i := range fields {
		if f := &fields[i]; f.omit == nil || !f.omit(sc) {
			out = append(out, Field{Name: f.Name, Value: f.get(sc)})
		}
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
