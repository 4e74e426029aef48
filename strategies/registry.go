package strategies

import (
	"fmt"
	"sort"
	"strings"

	"github.com/portsim/portsim/allocator"
)

// Param documents one parameter of a strategy.
type Param struct {
	Name    string `json:"name"`
	Default string `json:"default"`
	Help    string `json:"help"`
	// Choices are the values allowed, where the parameter is a choice.
	Choices []string `json:"choices,omitempty"`
}

// Info describes a registered strategy. Its texts are written once, here,
// for every place that shows them: Summary for 'portsim strategies' and
// explain, How and Systems for the report.
type Info struct {
	Name string `json:"name"`
	// Description says in one line what the algorithm does.
	Description string `json:"description"`
	// Systems names who uses the algorithm ("" when Description says it).
	Systems string `json:"systems,omitempty"`
	// How tells how the algorithm picks, in a sentence or two of plain
	// text for a reader new to the subject.
	How    string  `json:"how"`
	Params []Param `json:"params"`
	// Exhaustive: the strategy finds a usable port whenever one exists in
	// an even-sized range. RFC 6056 Algorithm 2 and 5 do not promise it.
	Exhaustive bool `json:"exhaustive"`
	// Kind is the request kind the algorithm serves (Linux's bind() and UDP
	// paths are their own strategies); the others serve any kind.
	Kind allocator.Kind `json:"kind"`
	// Range is the port range the algorithm's source uses by default
	// (Linux 32768-60999, RFC 6335's 49152-65535 for the rest).
	Range allocator.Range `json:"range"`

	build func(seed uint64, p *Params) (allocator.Strategy, error)
}

// Summary is the one-line listing: Description, then Systems in brackets.
func (i Info) Summary() string {
	if i.Systems == "" {
		return i.Description
	}
	return i.Description + " (" + i.Systems + ")"
}

// order is the order strategies are listed in; each file registers its own
// constructor in init.
var order = []string{
	"sequential",
	"random",
	"random-pick",
	"hashed",
	"double-hash",
	"random-increments",
	"linux",
	"linux-bind",
	"linux-udp",
}

var registry = map[string]Info{}

func register(info Info) {
	if _, dup := registry[info.Name]; dup {
		panic("strategies: " + info.Name + " registered twice")
	}
	registry[info.Name] = info
}

// All lists the registered strategies in their documented order.
func All() []Info {
	out := make([]Info, 0, len(registry))
	seen := map[string]bool{}
	for _, name := range order {
		if info, ok := registry[name]; ok {
			out = append(out, info)
			seen[name] = true
		}
	}
	var rest []string
	for name := range registry {
		if !seen[name] {
			rest = append(rest, name)
		}
	}
	sort.Strings(rest)
	for _, name := range rest {
		out = append(out, registry[name])
	}
	return out
}

// Names lists the registered names in order.
func Names() []string {
	all := All()
	names := make([]string, len(all))
	for i, info := range all {
		names[i] = info.Name
	}
	return names
}

// Lookup finds a strategy by name.
func Lookup(name string) (Info, bool) {
	info, ok := registry[name]
	return info, ok
}

// lookup is Lookup with an error that lists the names there are.
func lookup(name string) (Info, error) {
	info, ok := registry[name]
	if !ok {
		return Info{}, fmt.Errorf("unknown strategy %q; want one of %s", name, strings.Join(Names(), ", "))
	}
	return info, nil
}

// New builds the strategy a spec names, "name" or "name:key=value,...",
// with its state drawn from seed.
func New(spec string, seed uint64) (allocator.Strategy, error) {
	name, args, _ := strings.Cut(spec, ":")
	info, err := lookup(name)
	if err != nil {
		return nil, err
	}
	p, err := parseParams(info, args)
	if err != nil {
		return nil, err
	}
	s, err := info.build(seed, p)
	if err == nil {
		err = p.err
	}
	if err != nil {
		return nil, fmt.Errorf("strategy %s: %w", name, err)
	}
	return s, nil
}

// Validate checks a spec without keeping the strategy.
func Validate(spec string) error {
	_, err := New(spec, 0)
	return err
}
