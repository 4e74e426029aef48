package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/portsim/portsim/sim"
	"github.com/spf13/pflag"
)

func init() {
	register(&command{
		name:    "scenarios",
		summary: "list the built-in scenarios, or print one as a scenario file",
		args:    "[NAME] [--format text|json]",
		about: `Scenarios lists the presets that 'portsim run --preset NAME' starts from.
Given a NAME, it prints that preset as a YAML scenario file with every field,
ready to edit and pass back with --scenario FILE.`,
		examples: `portsim scenarios
portsim scenarios load-tester > lt.yaml && portsim run --scenario lt.yaml --strategy linux`,
		setup: func(fs *pflag.FlagSet) action {
			format := fs.String("format", "text", "output `FORMAT`: text or json")
			return func(e *env, args []string) error {
				if *format != "text" && *format != "json" {
					return usagef("--format: %q is not a format; want text or json", *format)
				}
				switch len(args) {
				case 0:
					return listPresets(e, *format)
				case 1:
					sc, err := sim.PresetScenario(args[0])
					if err != nil {
						return &usageError{err: err}
					}
					if *format == "json" {
						return writeJSON(e.stdout, sc.Resolved())
					}
					_, err = e.stdout.Write(sim.FormatFile(&sc, "portsim scenario: preset "+args[0]))
					return err
				}
				return usagef("want at most one scenario name, got %d", len(args))
			}
		},
	})
}

func listPresets(e *env, format string) error {
	ps := sim.Presets()
	if format == "json" {
		type entry struct {
			Name        string      `json:"name"`
			Description string      `json:"description"`
			Scenario    []sim.Field `json:"scenario"`
		}
		out := make([]entry, len(ps))
		for i, p := range ps {
			sc, err := sim.PresetScenario(p.Name)
			if err != nil {
				return err
			}
			out[i] = entry{p.Name, p.Description, sc.Resolved()}
		}
		return writeJSON(e.stdout, out)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tDESCRIPTION")
	for _, p := range ps {
		fmt.Fprintf(tw, "%s\t%s\n", p.Name, p.Description)
	}
	return tw.Flush()
}

func writeJSON(w interface{ Write([]byte) (int, error) }, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
