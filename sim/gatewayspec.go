package sim

import (
	"fmt"
	"strings"

	"github.com/portsim/portsim/strategies"
)

// The gateway field's text: the translator in front of the hosts.

// GatewaySpec is a translator spec, "NAME[:KEY=VALUE,...]" naming one of
// strategies.NATs, or "" for no gateway (written "none").
type GatewaySpec string

var gatewayWant = "none, or a gateway NAME[:KEY=VALUE,...] such as aws-nat or netfilter:random=fully; one of " + strings.Join(strategies.NATNames(), ", ")

// ParseGateway reads "none" (or nothing) or a translator spec, trimmed as
// strategy specs are. Whether the spec names a translator is Validate's
// question.
func ParseGateway(s string) (GatewaySpec, error) {
	spec := normalizeSpec(s)
	if spec == "none" {
		spec = ""
	}
	return GatewaySpec(spec), nil
}

// String is the canonical text ParseGateway reads back.
func (g GatewaySpec) String() string {
	if g == "" {
		return "none"
	}
	return string(g)
}

// Validate checks the spec on its own, as for one host behind one public
// address; Scenario.Validate checks it with the scenario's hosts and
// public addresses.
func (g GatewaySpec) Validate() error {
	if g == "" {
		return nil
	}
	if err := strategies.ValidateNAT(string(g), 1, 1); err != nil {
		return fmt.Errorf("%q: %w", string(g), err)
	}
	return nil
}
