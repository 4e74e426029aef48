package strategies

import (
	"fmt"
	"strconv"
	"strings"
)

// Params are a strategy's parameter values, defaults filled in. Getters
// record the first bad value; the registry reports it after construction.
type Params struct {
	vals map[string]string
	err  error
}

func parseParams(info Info, args string) (*Params, error) {
	p := &Params{vals: map[string]string{}}
	known := make([]string, len(info.Params))
	for i, d := range info.Params {
		p.vals[d.Name] = d.Default
		known[i] = d.Name
	}
	if strings.TrimSpace(args) == "" {
		return p, nil
	}
	for _, kv := range strings.Split(args, ",") {
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if !ok {
			return nil, fmt.Errorf("strategy %s: parameter %q has no value; want key=value", info.Name, kv)
		}
		if _, ok := p.vals[k]; !ok {
			allowed := "it takes no parameters"
			if len(known) > 0 {
				allowed = "want one of " + strings.Join(known, ", ")
			}
			return nil, fmt.Errorf("strategy %s: unknown parameter %q; %s", info.Name, k, allowed)
		}
		p.vals[k] = strings.TrimSpace(v)
	}
	return p, nil
}

func (p *Params) fail(format string, args ...any) {
	if p.err == nil {
		p.err = fmt.Errorf(format, args...)
	}
}

// Int reads an integer parameter in [lo, hi].
func (p *Params) Int(name string, lo, hi int) int {
	s := p.vals[name]
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		p.fail("%s=%q; want a whole number from %d to %d", name, s, lo, hi)
		return lo
	}
	return n
}

// Bool reads on/off (also true/false, 1/0).
func (p *Params) Bool(name string) bool {
	switch s := p.vals[name]; s {
	case "on", "true", "1", "yes":
		return true
	case "off", "false", "0", "no":
		return false
	default:
		p.fail("%s=%q; want on or off", name, s)
		return false
	}
}

// Enum reads one of the allowed words.
func (p *Params) Enum(name string, allowed ...string) string {
	s := p.vals[name]
	for _, a := range allowed {
		if s == a {
			return s
		}
	}
	p.fail("%s=%q; want one of %s", name, s, strings.Join(allowed, ", "))
	return allowed[0]
}

// String reads a parameter as given.
func (p *Params) String(name string) string { return p.vals[name] }
