package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/strategies"
	"github.com/spf13/pflag"
)

func init() {
	register(&command{
		name:    "strategies",
		summary: "list the port-selection strategies and their parameters",
		args:    "[flags]",
		about: `Strategies lists every registered strategy: its name, the request kind and
port range it uses by default, whether it always finds a free port when one
exists (exhaustive), what it does and whom it models, and its parameters
with their defaults.

A strategy is named on other commands by a spec: its name, or
name:param=value,... to change parameters.`,
		examples: `portsim strategies
portsim strategies --format json
# then try one
portsim explain --strategy sequential:start=50000`,
		setup: strategiesSetup,
	})
}

func strategiesSetup(fs *pflag.FlagSet) action {
	format := fs.StringP("format", "f", "text", "output `FORMAT`: text or json")
	return func(e *env, args []string) error {
		if len(args) > 0 {
			return usagef("unexpected argument %q; strategies takes only flags", args[0])
		}
		switch *format {
		case "text":
			return strategiesText(e, strategies.All())
		case "json":
			return strategiesJSON(e, strategies.All())
		}
		return usagef("--format: %q is not a format; want text or json", *format)
	}
}

func strategiesText(e *env, all []strategies.Info) error {
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tRANGE\tEXHAUSTIVE\tDESCRIPTION")
	for _, info := range all {
		exh := "no"
		if info.Exhaustive {
			exh = "yes"
		}
		fmt.Fprintf(tw, "%s\t%v\t%v\t%s\t%s\n", info.Name, info.Kind, info.Range, exh, info.Description)
		// Parameters sit in the description column so the table stays aligned.
		for _, p := range info.Params {
			fmt.Fprintf(tw, "\t\t\t\t  %s=%s  %s\n", p.Name, p.Default, p.Help)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(e.stdout, "\nUse one with: portsim explain --strategy NAME[:PARAM=VALUE,...]")
	return err
}

// strategyJSON is one strategy in 'strategies --format json'. Params is
// never null, so consumers can range over it without a check.
type strategyJSON struct {
	Name        string             `json:"name"`
	Description string             `json:"description"`
	Params      []strategies.Param `json:"params"`
	Exhaustive  bool               `json:"exhaustive"`
	Kind        allocator.Kind     `json:"kind"`
	Range       allocator.Range    `json:"range"`
}

func strategiesJSON(e *env, all []strategies.Info) error {
	out := make([]strategyJSON, 0, len(all))
	for _, info := range all {
		params := info.Params
		if params == nil {
			params = []strategies.Param{}
		}
		out = append(out, strategyJSON{
			Name: info.Name, Description: info.Description, Params: params,
			Exhaustive: info.Exhaustive, Kind: info.Kind, Range: info.Range,
		})
	}
	b, err := marshalIndent(out, "")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "%s\n", b)
	return err
}
