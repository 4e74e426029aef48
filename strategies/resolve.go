package strategies

import (
	"fmt"
	"strings"

	"github.com/portsim/portsim/allocator"
)

// A Host is what a spec puts on a simulated host: the strategy serving each
// request kind and the table rules they run under.
type Host struct {
	// Profile is the profile a "profile:" spec names, its parameters
	// applied; nil for a strategy spec.
	Profile *Profile
	// Kind is the request kind the spec's own strategy serves: its
	// Info.Kind for a strategy spec (linux-bind: bind), connect for a
	// profile.
	Kind allocator.Kind
	// Specs is the strategy spec serving each request kind: a strategy
	// spec for its own kind and, for the others, its kernel's companions
	// (forKind: linux hands bind() to linux-bind and UDP to linux-udp);
	// a profile's spec per kind.
	Specs [3]string
	// Strategies serve each request kind. A profile's kind whose spec
	// equals the previous kind's shares that kind's instance, as TCP
	// connect() and bind() share the kernel's cursor; a strategy spec's
	// kinds have one instance each.
	Strategies [3]allocator.Strategy
	// Config is the table's rules: the base given to Resolve, or a
	// profile's own (Profile.Config).
	Config allocator.Config
	// ExclusiveConnect: connect() checks the local port alone (ns-3,
	// OMNeT++ INET); Serve turns such requests into bind.
	ExclusiveConnect bool
}

// Resolve builds the host spec describes: a strategy spec, "name" or
// "name:key=value,…", or a profile spec, "profile:name[:key=value,…]".
// seeds gives the seed of the strategy serving each kind (a shared instance
// takes the seed of the first kind it serves). base is the table's rules
// for a strategy spec, a zero base.Range meaning the strategy's own
// (Info.Range); a profile brings its own rules.
func Resolve(spec string, seeds func(allocator.Kind) uint64, base allocator.Config) (*Host, error) {
	h := &Host{Config: base}
	name, isProfile := IsProfileSpec(spec)
	if isProfile {
		p, err := LookupProfile(name)
		if err != nil {
			return nil, err
		}
		h.Profile, h.Specs, h.Config, h.ExclusiveConnect = &p, p.Strategies, p.Config(), p.ExclusiveConnect
	} else {
		info, err := lookup(specName(spec))
		if err != nil {
			return nil, err
		}
		h.Kind = info.Kind
		if h.Config.Range == (allocator.Range{}) {
			h.Config.Range = info.Range
		}
		for k := range h.Specs {
			h.Specs[k] = forKind(spec, allocator.Kind(k))
		}
	}
	for k := range h.Strategies {
		if isProfile && k > 0 && h.Specs[k] == h.Specs[k-1] {
			h.Strategies[k] = h.Strategies[k-1]
			continue
		}
		s, err := New(h.Specs[k], seeds(allocator.Kind(k)))
		if err != nil {
			if isProfile {
				return nil, fmt.Errorf("profile %s, %v: %w", name, allocator.Kind(k), err)
			}
			return nil, err
		}
		h.Strategies[k] = s
	}
	return h, nil
}

// Serve is the kind a request of kind k is made as on h: bind for connect
// under ExclusiveConnect, else k.
func (h *Host) Serve(k allocator.Kind) allocator.Kind {
	if h.ExclusiveConnect && k == allocator.Connect {
		return allocator.Bind
	}
	return k
}

// Info describes the strategy serving kind k.
func (h *Host) Info(k allocator.Kind) Info {
	return registry[specName(h.Specs[k])]
}

// specName is the strategy name a spec starts with.
func specName(spec string) string {
	name, _, _ := strings.Cut(spec, ":")
	return name
}
