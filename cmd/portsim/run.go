package main

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/pflag"
)

// env is what a command may touch: its output streams. Data goes to stdout,
// logs and progress to stderr. Tests pass buffers.
type env struct {
	stdout, stderr io.Writer
}

// action runs a command once its flags are parsed; args are the positional
// arguments left over.
type action func(e *env, args []string) error

// command is one subcommand. Each lives in its own file and registers itself
// in an init function, so adding one touches no other file.
type command struct {
	name     string
	summary  string // one line, for the command list
	args     string // synopsis after "portsim NAME", e.g. "[flags]"
	about    string // what it does, for NAME --help
	examples string // one command per line, "#" lines say what it shows
	// setup defines the command's flags on fs and returns what to run once
	// they are parsed. It is called afresh for every run, so flag values
	// never leak from one run to the next (the tests call run many times).
	setup func(fs *pflag.FlagSet) action
}

var commands = map[string]*command{}

func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("portsim: command " + c.name + " registered twice")
	}
	commands[c.name] = c
}

// commandOrder is the order of the command list: the learner's path first.
// Commands not named here are listed after, alphabetically; names here that
// are not registered yet are skipped.
var commandOrder = []string{
	"explain", "strategies", "demo", "run", "compare", "sweep", "scenarios",
	"plot", "report", "probe", "analyze",
}

// commandList returns the registered commands in listing order.
func commandList() []*command {
	var out []*command
	seen := map[string]bool{}
	for _, name := range commandOrder {
		if c, ok := commands[name]; ok {
			out = append(out, c)
			seen[name] = true
		}
	}
	var rest []string
	for name := range commands {
		if !seen[name] {
			rest = append(rest, name)
		}
	}
	sort.Strings(rest)
	for _, name := range rest {
		out = append(out, commands[name])
	}
	return out
}

func commandNames() string {
	var names []string
	for _, c := range commandList() {
		names = append(names, c.name)
	}
	return strings.Join(names, ", ")
}

// runMain runs portsim with args (without the program name), reports any
// error on stderr and returns the exit status: 0, 1 for a failure, 2 for a
// usage error.
func runMain(args []string, stdout, stderr io.Writer) int {
	err := run(args, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "portsim: %v\n", err)
		var ue *usageError
		if errors.As(err, &ue) && ue.help != "" {
			fmt.Fprintf(stderr, "Run '%s' for usage.\n", ue.help)
		}
	}
	return exitCode(err)
}

// run dispatches to a subcommand. A panic below it (a bug) becomes an error
// with exit status 1 rather than a crash with a stack dump.
func run(args []string, stdout, stderr io.Writer) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: %v (this is a bug in portsim; please report it with the command line)", r)
		}
	}()
	e := &env{stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		printUsage(stderr)
		return &usageError{err: fmt.Errorf("no command given; want one of %s", commandNames())}
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		return help(e, args[1:])
	}
	c, ok := commands[args[0]]
	if !ok {
		return unknownCommand(args[0])
	}
	if err := c.run(e, args[1:]); err != nil {
		var ue *usageError
		if errors.As(err, &ue) && ue.help == "" {
			ue.help = "portsim " + c.name + " --help"
		}
		return fmt.Errorf("%s: %w", c.name, err)
	}
	return nil
}

func unknownCommand(name string) error {
	return &usageError{
		err:  fmt.Errorf("unknown command %q; want one of %s", name, commandNames()),
		help: "portsim help",
	}
}

// help serves "portsim help [COMMAND]": help asked for goes to stdout.
func help(e *env, args []string) error {
	switch len(args) {
	case 0:
		printUsage(e.stdout)
		return nil
	case 1:
		if args[0] == "help" {
			printUsage(e.stdout)
			return nil
		}
		c, ok := commands[args[0]]
		if !ok {
			return unknownCommand(args[0])
		}
		fs, _, _ := c.flags()
		c.printHelp(e.stdout, fs)
		return nil
	}
	return &usageError{err: fmt.Errorf("help: want at most one command name, got %d", len(args)), help: "portsim help"}
}

// flags builds the command's flag set, with --help last so that it shows in
// the flag list like any other.
func (c *command) flags() (fs *pflag.FlagSet, act action, helpWanted *bool) {
	fs = pflag.NewFlagSet("portsim "+c.name, pflag.ContinueOnError)
	// We print errors and help ourselves: help to stdout, errors once.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.SortFlags = false // definition order keeps related flags together
	act = c.setup(fs)
	helpWanted = fs.BoolP("help", "h", false, "show this help")
	return fs, act, helpWanted
}

func (c *command) run(e *env, args []string) error {
	fs, act, helpWanted := c.flags()
	err := fs.Parse(boolValues(fs, args))
	// --help wins over other mistakes on the line: the user asked for it.
	if *helpWanted || errors.Is(err, pflag.ErrHelp) {
		c.printHelp(e.stdout, fs)
		return nil
	}
	if err != nil {
		return parseError(err)
	}
	return act(e, fs.Args())
}

func (c *command) printHelp(w io.Writer, fs *pflag.FlagSet) {
	fmt.Fprintf(w, "portsim %s — %s\n\nUsage:\n  portsim %s %s\n\n", c.name, c.summary, c.name, c.args)
	fmt.Fprintf(w, "%s\n", strings.TrimSpace(c.about))
	fmt.Fprintf(w, "\nFlags:\n%s", flagUsages(fs))
	if c.examples != "" {
		fmt.Fprintf(w, "\nExamples:\n")
		for _, line := range strings.Split(strings.TrimSpace(c.examples), "\n") {
			fmt.Fprintf(w, "  %s\n", strings.TrimSpace(line))
		}
	}
}

// overview says what portsim is: the start of 'portsim help' and of the
// package documentation.
const overview = `Portsim simulates how client ephemeral source ports are chosen: the
algorithms of RFC 6056, Linux's connect(), bind() and UDP paths, and simple
baselines, run against a model of a host's socket tables.`

// conventions hold for every command: the end of 'portsim help' and of the
// package documentation's overview.
const conventions = `'portsim help COMMAND' or 'portsim COMMAND --help' shows a command's flags
and examples. Data goes to stdout and messages to stderr. Bad input (an
unknown command or flag, a malformed value) is reported with the flag's name
and what it allows, and exits with status 2; a failure at run time exits
with status 1.`

func printUsage(w io.Writer) {
	fmt.Fprintf(w, "%s\n\nUsage:\n  portsim COMMAND [flags]\n\nCommands:\n", overview)
	writeCommandList(w, "  ")
	fmt.Fprintf(w, "\n%s\n\nStart with 'portsim explain'.\n", conventions)
}

// writeCommandList writes one line per command, its name and summary in
// aligned columns, each line after indent.
func writeCommandList(w io.Writer, indent string) {
	width := 0
	for _, c := range commandList() {
		width = max(width, len(c.name))
	}
	for _, c := range commandList() {
		fmt.Fprintf(w, "%s%-*s  %s\n", indent, width, c.name, c.summary)
	}
}

// metavar is the flag annotation that names a flag's value in the flag
// list when its usage text has no `NAME` of its own to show: --rate N,
// not pflag's --rate string.
const metavar = "portsim-metavar"

// typeMetavars name a value by what it is where pflag would show its Go
// type: --keep-allocations N, not --keep-allocations int.
var typeMetavars = map[string]string{
	"int": "N", "uint": "N", "uint64": "N", "float": "N", "float64": "N",
	"string": "TEXT", "strings": "LIST", "stringSlice": "LIST", "duration": "DURATION",
}

// boolValues lets a flag that may stand alone (a bool, --ipv6) take its
// value as the next argument too, as its help's "true or false" invites:
// "--ipv6 false" becomes "--ipv6=false", which pflag would otherwise read
// as --ipv6 and a stray argument "false".
func boolValues(fs *pflag.FlagSet, args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		name, isLong := strings.CutPrefix(a, "--")
		if f := fs.Lookup(name); isLong && f != nil && f.NoOptDefVal != "" && i+1 < len(args) {
			if v := args[i+1]; v == "true" || v == "false" {
				out = append(out, a+"="+v)
				i++
				continue
			}
		}
		out = append(out, a)
	}
	return out
}

// flagUsages lists fs's flags in definition order, one per line with its
// help aligned beside it. It is pflag's FlagUsages without the
// "[=true|false]" that pflag puts after every boolean, which reads as noise
// to a newcomer, with defaults unquoted (a list as the flag takes it), and
// with the metavar annotation's name for a value.
func flagUsages(fs *pflag.FlagSet) string {
	type row struct{ left, help string }
	var rows []row
	width := 0
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		left := "      --" + f.Name
		if f.Shorthand != "" {
			left = "  -" + f.Shorthand + ", --" + f.Name
		}
		varname, help := pflag.UnquoteUsage(f)
		if m, ok := f.Annotations[metavar]; ok && len(m) == 1 {
			varname = m[0]
		} else if w, ok := typeMetavars[varname]; ok && !strings.Contains(f.Usage, "`") {
			varname = w // pflag's type word, which says little to a user
		}
		if varname != "" && f.NoOptDefVal == "" {
			left += " " + varname
		}
		switch def := f.DefValue; def {
		case "", "false", "[]", "0s":
		default:
			if _, ok := f.Value.(pflag.SliceValue); ok {
				def = strings.Trim(def, "[]") // as the flag takes it: a,b,c
			}
			help += " (default " + def + ")"
		}
		rows = append(rows, row{left, help})
		width = max(width, len(left))
	})
	var b strings.Builder
	for _, r := range rows {
		// A help text may hold its own line breaks; indent them to the column.
		help := strings.ReplaceAll(r.help, "\n", "\n"+strings.Repeat(" ", width+3))
		fmt.Fprintf(&b, "%-*s   %s\n", width, r.left, help)
	}
	return b.String()
}
