package strategies

import (
	"errors"
	"fmt"

	"github.com/portsim/portsim/allocator"
)

// companions names, for strategies that model one path of a kernel, the
// strategies of its other paths: Linux chooses bind() and UDP ports with
// different code than connect().
var companions = map[string][3]string{
	"linux":      {allocator.Connect: "linux", allocator.Bind: "linux-bind", allocator.UDP: "linux-udp"},
	"linux-bind": {allocator.Connect: "linux", allocator.Bind: "linux-bind", allocator.UDP: "linux-udp"},
	"linux-udp":  {allocator.Connect: "linux", allocator.Bind: "linux-bind", allocator.UDP: "linux-udp"},
}

// forKind returns the spec that serves requests of kind k in a host whose
// strategy is spec: the spec itself, or its kernel's companion for another
// path (parameters stay with the spec they were given to).
func forKind(spec string, k allocator.Kind) string {
	name := specName(spec)
	c, ok := companions[name]
	if !ok || c[k] == name {
		return spec
	}
	return c[k]
}

// CheckKinds refuses a strategy spec that models one path of a kernel
// (linux-bind: bind(); linux-udp: UDP) for requests of another kind:
// they would be served by the kernel's other path under this spec's name,
// and its results would be another strategy's. A profile, or a strategy
// that serves any kind, passes.
func CheckKinds(spec string, kinds []allocator.Kind) error {
	if _, ok := IsProfileSpec(spec); ok {
		return nil
	}
	name := specName(spec)
	info, ok := registry[name]
	if !ok || info.Kind == allocator.Connect {
		return nil
	}
	for _, k := range kinds {
		if k == info.Kind {
			continue
		}
		msg := fmt.Sprintf("%s serves %v requests only, not %v; want kind %v for it", name, info.Kind, k, info.Kind)
		if c, ok := companions[name]; ok {
			msg += fmt.Sprintf(", or strategy %s, which serves connect and hands bind to %s and udp to %s", c[allocator.Connect], c[allocator.Bind], c[allocator.UDP])
		}
		return errors.New(msg)
	}
	return nil
}
