package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/portsim/portsim/sim"
	"github.com/portsim/portsim/strategies"
	"github.com/spf13/pflag"
)

// scenarioFlags binds every scenario field to a flag of the same name, plus
// --scenario FILE and --preset NAME. Values stay text until resolve applies
// them in order: defaults or preset → file → flags, so a flag always wins.
type scenarioFlags struct {
	fs       *pflag.FlagSet
	file     string
	preset   string
	strategy []string
	profile  []string
	values   map[string]*string
}

// addScenarioFlags defines the scenario flags on fs. --strategy is
// repeatable (one spec each: specs may hold commas of their own).
func addScenarioFlags(fs *pflag.FlagSet) *scenarioFlags {
	f := &scenarioFlags{fs: fs, values: map[string]*string{}}
	fs.StringVar(&f.file, "scenario", "", "read the scenario from a YAML `FILE` (fields named like these flags)")
	fs.StringVar(&f.preset, "preset", "", "start from a built-in scenario `NAME` (see 'portsim scenarios')")
	fs.StringArrayVar(&f.strategy, "strategy", nil, "strategy `SPEC` to simulate, repeatable (see 'portsim strategies')")
	fs.StringArrayVar(&f.profile, "profile", nil, "OS profile `NAME` to simulate, repeatable: its strategies, range, reserved ports and TIME_WAIT rules\n(linux, linux-5.12, linux-4, freebsd, openbsd, netbsd[:algo=...], macos, windows, ns3, omnet-inet)")
	def := sim.DefaultScenario()
	for _, fd := range sim.Fields() {
		if fd.Name == "strategy" {
			continue
		}
		v := new(string)
		f.values[fd.Name] = v
		fs.StringVar(v, fd.Name, "", fmt.Sprintf("%s (default %s)", fd.Help, orNone(def.Get(fd.Name))))
		if fd.Type == "bool" {
			fs.Lookup(fd.Name).NoOptDefVal = "true" // --ipv6 alone means true
			continue
		}
		fs.SetAnnotation(fd.Name, metavar, []string{fieldMetavar(fd)})
	}
	return f
}

// fieldMetavar names a scenario field's value in the flag list: by the
// field where its type's word says too little, else by its type.
func fieldMetavar(fd sim.FieldDef) string {
	switch fd.Name {
	case "dst-port", "reserved":
		return "PORTS"
	case "src":
		return "ADDRS"
	case "kind":
		return "KINDS"
	case "close":
		return "WHO"
	}
	switch fd.Type {
	case "string":
		return "TEXT"
	case "uint64", "int", "float":
		return "N"
	case "range":
		return "LO-HI"
	}
	return strings.ToUpper(fd.Type)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// resolve builds the scenario. Errors are usage errors naming the flag or
// the file field.
func (f *scenarioFlags) resolve() (sim.Scenario, error) {
	sc := sim.DefaultScenario()
	sc.Strategies = nil // a run names its own unless a file or preset does
	if f.preset != "" {
		p, err := sim.PresetScenario(f.preset)
		if err != nil {
			return sc, flagError("preset", err)
		}
		sc = p
	}
	if f.file != "" {
		if err := checkText(f.file); err != nil {
			return sc, flagError("scenario", err)
		}
		if err := sim.LoadFile(f.file, &sc); err != nil {
			return sc, flagError("scenario", err)
		}
	}
	var err error
	f.fs.Visit(func(fl *pflag.Flag) {
		if v, ok := f.values[fl.Name]; ok && err == nil {
			if e := sc.Set(fl.Name, *v); e != nil {
				err = flagError(fl.Name, e)
			}
		}
	})
	if err != nil {
		return sc, err
	}
	if len(f.strategy) > 0 || len(f.profile) > 0 {
		sc.Strategies = append([]string(nil), f.strategy...)
	}
	for _, p := range f.profile {
		if _, err := strategies.LookupProfile(p); err != nil {
			return sc, flagError("profile", err)
		}
		sc.Strategies = append(sc.Strategies, strategies.ProfilePrefix+p)
	}
	return sc, nil
}

// validate runs the scenario's own checks as a usage error.
func validateScenario(sc *sim.Scenario) error {
	if err := sc.Validate(); err != nil {
		return &usageError{err: err}
	}
	return nil
}

// joinNames lists names for messages.
func joinNames(names []string) string { return strings.Join(names, ", ") }

// checkText refuses a file that is not text before a parser quotes its
// bytes back: a capture given where a scenario file belongs, say.
func checkText(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return nil // the parser says what is wrong, in its words
	}
	defer f.Close()
	head := make([]byte, 4096)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	for i := 0; i < utf8.UTFMax-1 && n == cap(head) && !utf8.Valid(head); i++ {
		head = head[:len(head)-1] // a character cut at the end of the sniff
	}
	if !bytes.ContainsRune(head, 0) && utf8.Valid(head) {
		return nil
	}
	what := "a binary file"
	for _, magic := range [][]byte{{0xd4, 0xc3, 0xb2, 0xa1}, {0xa1, 0xb2, 0xc3, 0xd4}, {0x4d, 0x3c, 0xb2, 0xa1}, {0xa1, 0xb2, 0x3c, 0x4d}, {0x0a, 0x0d, 0x0d, 0x0a}} {
		if bytes.HasPrefix(head, magic) {
			what = "a packet capture ('portsim analyze' reads captures)"
		}
	}
	return fmt.Errorf("%s is %s, not a scenario file; want YAML text such as \"rate: 100\" (see 'portsim scenarios NAME')", path, what)
}
