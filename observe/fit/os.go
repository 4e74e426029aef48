package fit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/portsim/portsim/strategies"
)

// tieRatio: profiles whose combined posterior is within this factor of
// the best's are a tie the evidence cannot break.
const tieRatio = 2

// OSVerdict names the system a host runs, from its ports and the shape of
// its packets together: the ports date a system (Linux's generations) and
// the stack names its family (Windows from macOS, whose ports are alike).
type OSVerdict struct {
	// Profile is the profile named, by name; empty for a tie, or when no
	// port model fits (then Closest is the best fit's).
	Profile string `json:"profile,omitempty"`
	// System is Profile's system, or the tie's when its members share
	// one.
	System string `json:"system,omitempty"`
	// Posterior is Profile's probability, or the tie's together, with the
	// port fits' posteriors shared among the profiles each stands for
	// and weighed by how well each profile's SYN signature matches; when
	// no port model fits, System's, from the stack alone.
	Posterior float64 `json:"posterior"`
	// Decided: one profile, with Posterior ≥ DecisivePosterior, a port
	// model that fits and, when the host's stack is known, a signature
	// of the profile's own that it was weighed against.
	Decided bool     `json:"decided"`
	Tie     []string `json:"tie,omitempty"`
	Closest string   `json:"closest,omitempty"`
	// Evidence says what the ports and the stack showed, a line each.
	Evidence []string `json:"evidence"`
}

// profileScore is one profile's share of the evidence.
type profileScore struct {
	name, system string
	port, stack  float64
	post         float64
	layout       string
	signed       bool // the profile has a stack signature (the simulators have none)
}

// osVerdict combines r's port fits (all of them, best first; none when
// too few attempts) with the host's stack h (nil when unknown).
func osVerdict(r *HostReport, fits []Fit, h *HostStack) *OSVerdict {
	profiles := strategies.Profiles()
	scores := make([]profileScore, len(profiles))
	index := map[string]int{}
	for i, p := range profiles {
		scores[i] = profileScore{name: p.Name, system: p.System, port: 1, stack: 1, signed: p.Stack.Known()}
		index[p.Name] = i
	}
	portsFit := len(fits) > 0 && (r.Check == nil || r.Check.Pass)
	if portsFit {
		// Every profile is as likely beforehand, whatever its number of
		// models (NetBSD's algorithms, a kind's own strategy): a
		// profile's likelihood is the mean of its models', and the fits'
		// posteriors, from a uniform prior over the models, are
		// proportional to those.
		labels := make([]int, len(scores))
		for i := range scores {
			scores[i].port = 0
		}
		for i := range fits {
			for _, l := range fits[i].Profiles {
				k := index[labelProfile(l)]
				scores[k].port += fits[i].Posterior
				labels[k]++
			}
		}
		for i := range scores {
			if labels[i] > 0 {
				scores[i].port /= float64(labels[i])
			}
		}
	}
	if h != nil {
		for i, p := range profiles {
			scores[i].stack, scores[i].layout = stackWeight(p.Stack, h)
		}
	}
	sum := 0.0
	for i := range scores {
		scores[i].post = scores[i].port * scores[i].stack
		sum += scores[i].post
	}
	for i := range scores {
		scores[i].post /= sum
	}
	slices.SortStableFunc(scores, func(a, b profileScore) int {
		switch {
		case a.post > b.post:
			return -1
		case a.post < b.post:
			return 1
		}
		return 0
	})

	v := &OSVerdict{}
	if len(fits) == 0 && h == nil {
		// Nothing to go by.
		v.Evidence = []string{fmt.Sprintf("ports: too few attempts to tell (%d)", r.Count), stackEvidence(h)}
		return v
	}
	top := scores[:1]
	for len(top) < len(scores) && scores[len(top)].post*tieRatio >= scores[0].post {
		top = scores[:len(top)+1]
	}
	system := top[0].system
	unsigned := false
	for _, s := range top {
		v.Posterior += s.post
		if s.system != system {
			system = ""
		}
	}
	v.System = system
	switch {
	case len(fits) > 0 && !portsFit:
		// The stack alone may still name the system: all its
		// profiles' shares together (a Windows 7 SYN is windows's
		// signature, and windows-xp's in part).
		v.Closest = fitProfile(&fits[0])
		v.System, v.Posterior = top[0].system, 0
		for _, s := range scores {
			if s.system == v.System {
				v.Posterior += s.post
			}
		}
		if v.Posterior < DecisivePosterior {
			v.System, v.Posterior = "", 0
		}
	case len(top) == 1:
		v.Profile = top[0].name
		v.Decided = portsFit && top[0].post >= DecisivePosterior
		if h != nil && !top[0].signed {
			// A real stack that every signature misses leaves a profile
			// without one on top: a system we have no profile for (a
			// router's BSD stack counting in 1025-5000 read as OMNeT++
			// INET at 1.00) looks the same.
			v.Decided = false
			unsigned = true
		}
	default:
		for _, s := range top {
			v.Tie = append(v.Tie, s.name)
		}
	}

	switch {
	case len(fits) == 0:
		v.Evidence = append(v.Evidence, fmt.Sprintf("ports: too few attempts to tell (%d)", r.Count))
	case !portsFit:
		v.Evidence = append(v.Evidence, fmt.Sprintf("ports: no model fits (%s); closest %s", r.Check.Finding, fits[0].Name))
	case r.Decided():
		v.Evidence = append(v.Evidence, fmt.Sprintf("ports: %s (%s)", fits[0].Model, profileNames(fits[0].Profiles)))
	default:
		v.Evidence = append(v.Evidence, "ports: "+r.Verdict())
	}
	v.Evidence = append(v.Evidence, stackEvidence(h))
	if unsigned {
		v.Evidence = append(v.Evidence, v.Profile+" has no stack signature to hold it against: a system without a profile would look the same")
	}
	return v
}

// fitProfile is the profile of a fit's first label.
func fitProfile(f *Fit) string { return labelProfile(f.Name) }

// labelProfile is the profile name of a "spec (kind)" label:
// "netbsd:algo=hash (bind)" is netbsd's.
func labelProfile(l string) string {
	spec, _, _ := strings.Cut(l, " (")
	name, _, _ := strings.Cut(spec, ":")
	return name
}

// profileNames lists the profiles of labels once each, in order:
// "macos, windows, ns3".
func profileNames(labels []string) string {
	var names []string
	for _, l := range labels {
		spec, _, _ := strings.Cut(l, " (")
		if !slices.Contains(names, spec) {
			names = append(names, spec)
		}
	}
	return strings.Join(names, ", ")
}

// stackEvidence is the evidence line of a host's stack.
func stackEvidence(h *HostStack) string {
	if h == nil {
		return "stack: not in the capture"
	}
	what := "SYN"
	if !h.tcp {
		what = "IP"
	}
	s := what + ": " + h.String()
	if fam := stackFamilies(h); fam != "" {
		s += "; the signature of " + fam
	} else {
		s += "; no signature matches it exactly"
	}
	return s
}

// String is the verdict in a line: "windows (Windows), 0.97", "tie:
// macos, windows 1.00", "no model fits; closest: linux-4", then the
// evidence.
func (v *OSVerdict) String() string {
	var head string
	switch {
	case v.Profile != "":
		head = fmt.Sprintf("%s (%s) %s", v.Profile, v.System, FormatPosterior(v.Posterior))
		if !v.Decided {
			head = "undecided, likeliest " + head
		}
	case len(v.Tie) > 0:
		head = "tie: " + strings.Join(v.Tie, ", ") + " " + FormatPosterior(v.Posterior)
		if v.System != "" {
			head = v.System + ", " + head
		}
	case v.Closest != "":
		head = "no port model fits; closest: " + v.Closest
		if v.System != "" {
			head += "; stack: " + v.System
		}
	default:
		head = "unknown"
	}
	return head + " — " + strings.Join(v.Evidence, "; ")
}
