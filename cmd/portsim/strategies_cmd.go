package main

import (
	"fmt"
	"strconv"
	"text/tabwriter"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/gateway"
	"github.com/portsim/portsim/strategies"
	"github.com/spf13/pflag"
)

func init() {
	register(&command{
		name:    "strategies",
		summary: "list the port-selection strategies, OS profiles and gateways",
		args:    "[flags]",
		about: `Strategies lists every registered strategy: its name, the request kind and
port range it uses by default, whether it always finds a free port when one
exists (exhaustive), what it does and whom it models, and its parameters
with their defaults. Then it lists the OS profiles: each system's strategy
per request kind, its port range and TIME_WAIT, and its parameters. Last it
lists the gateways, the translators that may sit in front of the hosts
(--gateway): Linux's NAT, the RFC models and the clouds' NAT services, with
the most public addresses each takes and its parameters.

A strategy is named on other commands by a spec: its name, or
name:param=value,... to change parameters; a profile by its name, with
--profile NAME, or as profile:NAME where a strategy spec goes.

The json format is one array of strategies, profiles and gateways, told
apart by "type". Each has name, description and params (name, default,
help); a strategy also exhaustive, kind and range (lo, hi); a profile also
approximate, strategies (one spec per request kind), range, reserved,
time_wait, tw_reuse, tw_reuse_delay, exclusive_connect and sources; a
gateway also how, max_addrs (0: no limit of its own), failures (its
product's names for a refused flow) and sources, each with the date read.`,
		examples: `portsim strategies
portsim strategies --format json
# then try one
portsim explain --strategy sequential:start=50000
# or put hosts behind a gateway
portsim run --preset aws-nat-fleet --strategy linux`,
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
			if err := strategiesText(e, strategies.All()); err != nil {
				return err
			}
			if err := profilesText(e, strategies.Profiles()); err != nil {
				return err
			}
			return gatewaysText(e, strategies.NATs())
		case "json":
			return strategiesJSON(e, strategies.All(), strategies.Profiles(), strategies.NATs())
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
		fmt.Fprintf(tw, "%s\t%v\t%v\t%s\t%s\n", info.Name, info.Kind, info.Range, exh, info.Summary())
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

// profilesText lists the OS profiles: what each system does by default.
func profilesText(e *env, all []strategies.Profile) error {
	fmt.Fprintln(e.stdout, "\nOS PROFILES (a strategy per request kind, with the system's range and TIME_WAIT)")
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tCONNECT\tBIND\tUDP\tRANGE\tTIME_WAIT\tDESCRIPTION")
	for _, p := range all {
		desc := p.Description
		if p.Approximate {
			desc = "APPROXIMATION. " + desc
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\t%v\t%s\n", p.Name, p.For(allocator.Connect), p.For(allocator.Bind), p.For(allocator.UDP), p.Range, p.TimeWait, desc)
		for _, prm := range p.Params {
			fmt.Fprintf(tw, "\t\t\t\t\t\t  %s=%s  %s\n", prm.Name, prm.Default, prm.Help)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(e.stdout, "\nUse one with: portsim run --profile NAME, portsim explain --profile NAME; sources: portsim strategies --format json")
	return err
}

// gatewaysText lists the translators that may sit in front of the hosts.
func gatewaysText(e *env, all []strategies.NATInfo) error {
	fmt.Fprintln(e.stdout, "\nGATEWAYS (translators in front of the hosts: portsim run --gateway NAME --hosts N --public-ips M)")
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tMAX-IPS\tREFUSED AS\tDESCRIPTION")
	for _, n := range all {
		maxIPs := "-"
		if n.MaxAddrs > 0 {
			maxIPs = strconv.Itoa(n.MaxAddrs)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", n.Name, maxIPs, n.FailureName(gateway.Exhausted), n.Description)
		for _, p := range n.Params {
			fmt.Fprintf(tw, "\t\t\t  %s=%s  %s\n", p.Name, p.Default, p.Help)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(e.stdout, "\nUse one with: portsim run --gateway NAME[:PARAM=VALUE,...]; sources: portsim strategies --format json")
	return err
}

// strategyJSON is one strategy in 'strategies --format json'. Params is
// never null, so consumers can range over it without a check.
type strategyJSON struct {
	Name        string             `json:"name"`
	Type        string             `json:"type"` // "strategy"
	Description string             `json:"description"`
	Params      []strategies.Param `json:"params"`
	Exhaustive  bool               `json:"exhaustive"`
	Kind        allocator.Kind     `json:"kind"`
	Range       allocator.Range    `json:"range"`
}

// profileJSON is one OS profile in the same list, told apart by type.
type profileJSON struct {
	Name             string             `json:"name"`
	Type             string             `json:"type"` // "profile"
	Description      string             `json:"description"`
	Params           []strategies.Param `json:"params"`
	Approximate      bool               `json:"approximate"`
	Strategies       map[string]string  `json:"strategies"` // per request kind
	Range            allocator.Range    `json:"range"`
	Reserved         string             `json:"reserved"`
	TimeWait         string             `json:"time_wait"`
	TWReuse          string             `json:"tw_reuse"`
	TWReuseDelay     string             `json:"tw_reuse_delay"`
	ExclusiveConnect bool               `json:"exclusive_connect"`
	Sources          []string           `json:"sources"`
	// Stack is the shape of the system's SYN; null when it has none.
	Stack *strategies.Stack `json:"stack"`
}

// gatewayJSON is one gateway in the same list.
type gatewayJSON struct {
	Name        string             `json:"name"`
	Type        string             `json:"type"` // "gateway"
	Description string             `json:"description"`
	How         string             `json:"how"`
	Params      []strategies.Param `json:"params"`
	MaxAddrs    int                `json:"max_addrs"`
	Failures    map[string]string  `json:"failures"` // by gateway.Reason
	Sources     []string           `json:"sources"`
}

func strategiesJSON(e *env, all []strategies.Info, profiles []strategies.Profile, nats []strategies.NATInfo) error {
	out := make([]any, 0, len(all)+len(profiles)+len(nats))
	for _, info := range all {
		params := info.Params
		if params == nil {
			params = []strategies.Param{}
		}
		out = append(out, strategyJSON{
			Name: info.Name, Type: "strategy", Description: info.Summary(), Params: params,
			Exhaustive: info.Exhaustive, Kind: info.Kind, Range: info.Range,
		})
	}
	for _, p := range profiles {
		params := p.Params
		if params == nil {
			params = []strategies.Param{}
		}
		kinds := map[string]string{}
		for k := allocator.Connect; k <= allocator.UDP; k++ {
			kinds[k.String()] = p.For(k)
		}
		var stack *strategies.Stack
		if p.Stack.Known() {
			stack = &p.Stack
		}
		out = append(out, profileJSON{
			Name: p.Name, Type: "profile", Description: p.Description, Params: params,
			Approximate: p.Approximate, Strategies: kinds, Range: p.Range,
			Reserved: allocator.FormatRanges(p.Reserved), TimeWait: p.TimeWait.String(),
			TWReuse: p.TWReuse.String(), TWReuseDelay: p.TWReuseDelay.String(),
			ExclusiveConnect: p.ExclusiveConnect, Sources: p.Sources, Stack: stack,
		})
	}
	for _, n := range nats {
		params := n.Params
		if params == nil {
			params = []strategies.Param{}
		}
		fails := map[string]string{}
		for _, r := range []gateway.Reason{gateway.Exhausted, gateway.Clash, gateway.Conflict} {
			fails[r.String()] = n.FailureName(r)
		}
		out = append(out, gatewayJSON{
			Name: n.Name, Type: "gateway", Description: n.Description, How: n.How, Params: params,
			MaxAddrs: n.MaxAddrs, Failures: fails, Sources: n.Sources,
		})
	}
	b, err := marshalIndent(out, "")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "%s\n", b)
	return err
}
