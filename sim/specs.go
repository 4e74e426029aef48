package sim

import (
	"fmt"
	"strings"

	"github.com/portsim/portsim/strategies"
)

// The strategy field's text: a list of strategy specs.

const strategyWant = "comma-separated strategy specs NAME[:KEY=VALUE,...] or profile:NAME, such as sequential,linux:table-order=8,profile:macos"

// SplitStrategies splits the strategy field's comma list into specs. An
// item that looks like KEY=VALUE (an '=' and no ':' before it) belongs to
// the spec before it, so "sequential,linux:table-order=8,increments=off"
// is two specs. Items are trimmed and normalized; empty items and specs
// are dropped, so the specs joined with commas split back into themselves.
func SplitStrategies(s string) []string {
	// Specs are normalized as they grow, so that whether an item starts a
	// spec's parameters or continues them does not depend on spacing
	// ("profile :netbsd" is a profile spec too).
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
			specs[n-1] = normalizeSpec(specs[n-1] + sep + item)
			continue
		}
		specs = append(specs, normalizeSpec(item))
	}
	out := specs[:0]
	for _, sp := range specs {
		if sp != "" { // ":" normalizes to nothing
			out = append(out, sp)
		}
	}
	return out
}

// specsOfItems reads a YAML list, where each item is one whole spec,
// commas and all. Empty items are dropped.
func specsOfItems(items []string) []string {
	specs := make([]string, 0, len(items))
	for _, it := range items {
		if spec := normalizeSpec(it); spec != "" {
			specs = append(specs, spec)
		}
	}
	return specs
}

// normalizeSpec trims the name and every KEY=VALUE of a spec, so the same
// strategy spelt with spaces gets the same seed (newHost seeds it from the
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

// checkStrategies checks that there is a spec, each is valid (names a
// registered strategy or profile with valid parameters) and listed once.
func checkStrategies(specs []string) error {
	if len(specs) == 0 {
		return fmt.Errorf("none given; want %s; registered: %s", strategyWant, strings.Join(strategies.Names(), ", "))
	}
	seen := map[string]bool{}
	for _, spec := range specs {
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
