package fit

import (
	"errors"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/observe/capture"
	"github.com/portsim/portsim/strategies"
)

// LinuxRules are a Linux host's port rules, as its sysctls report them:
// what the Linux models need to be run as that host runs them. Rules
// without a Range (the zero value) stand for a host whose rules are
// unknown: one that is not Linux.
type LinuxRules struct {
	// Range is net.ipv4.ip_local_port_range.
	Range allocator.Range
	// Reserved is net.ipv4.ip_local_reserved_ports.
	Reserved []allocator.Range
	// UDPHashEntries is the UDP hash table size (net.ipv4.udp_hash_entries),
	// which sets the UDP walk's stride; 0 when unknown.
	UDPHashEntries int
}

// ErrRulesUnknown is LinuxRules.Judge's error for rules without a Range:
// there is no Linux comparison to make.
var ErrRulesUnknown = errors.New("the host's port rules are unknown (not Linux): no comparison with the Linux models")

// Model is the spec of the Linux strategy that serves kind on a host with
// rules r: the linux profile's, with UDP sized to the kernel's hash table
// (strategies.LinuxSpecs).
func (r LinuxRules) Model(kind allocator.Kind) (string, error) {
	if err := checkKind(kind); err != nil {
		return "", err
	}
	return strategies.LinuxSpecs(r.UDPHashEntries)[kind], nil
}

// Judge compares obs, the attempts of one kind in the order they were
// made, with the kind's Linux model (Model) run under r, the model's
// randomness drawn from seed. It returns ErrRulesUnknown when r has no
// Range.
func (r LinuxRules) Judge(obs []capture.Attempt, kind allocator.Kind, seed uint64) (*Verdict, error) {
	if r.Range == (allocator.Range{}) {
		return nil, ErrRulesUnknown
	}
	model, err := r.Model(kind)
	if err != nil {
		return nil, err
	}
	return Judge(obs, kind, model, VerdictOptions{Range: r.Range, Reserved: r.Reserved, Seed: seed})
}
