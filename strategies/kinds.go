package strategies

import "github.com/portsim/portsim/allocator"

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
