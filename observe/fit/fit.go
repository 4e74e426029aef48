package fit

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/strategies"

	"github.com/portsim/portsim/observe/capture"
)

// Fit is how well one candidate model explains a host's ports.
type Fit struct {
	// Name is the first profile and request kind with this model, e.g.
	// "linux (connect)" or "netbsd:algo=hash (bind)".
	Name string `json:"name"`
	// Profiles are every profile and kind whose model is identical (Name
	// first): the documented equivalents no capture can tell apart, e.g.
	// macos (connect) = windows (connect) = ns3 (connect).
	Profiles []string `json:"profiles"`
	// Strategy is the strategy spec of Name's profile and kind.
	Strategy string `json:"strategy"`
	// Model says in words what the model predicts.
	Model string          `json:"model"`
	Range allocator.Range `json:"range"`
	// LogLikelihood is the natural log of the probability of the host's
	// ports under the model, each port predicted from the ones before it.
	LogLikelihood float64 `json:"log_likelihood"`
	// BitsPerAttempt is -LogLikelihood in bits per attempt: how surprising
	// a port is, on average, to someone who knows the model (16 is a
	// uniform guess over all port numbers).
	BitsPerAttempt float64 `json:"bits_per_attempt"`
	// Posterior is the probability of the model given the ports, with
	// every distinct candidate model equally likely beforehand.
	Posterior float64 `json:"posterior"`

	cand *candidate
}

// Equivalents lists the profiles with the same model other than Name,
// grouped by profile: "macos (bind), windows (connect, bind)".
func (f *Fit) Equivalents() string {
	if len(f.Profiles) < 2 {
		return ""
	}
	return groupLabels(f.Profiles[1:])
}

// groupLabels joins "profile (kind)" labels, merging the kinds of one
// profile: "windows (connect, bind)".
func groupLabels(labels []string) string {
	var order []string
	kinds := map[string][]string{}
	for _, l := range labels {
		p, k, ok := strings.Cut(l, " (")
		if !ok {
			p, k = l, ""
		}
		k = strings.TrimSuffix(k, ")")
		if _, seen := kinds[p]; !seen {
			order = append(order, p)
			kinds[p] = nil
		}
		if k != "" {
			kinds[p] = append(kinds[p], k)
		}
	}
	parts := make([]string, len(order))
	for i, p := range order {
		parts[i] = p
		if ks := kinds[p]; len(ks) > 0 {
			parts[i] += " (" + strings.Join(ks, ", ") + ")"
		}
	}
	return strings.Join(parts, ", ")
}

// candidate is one distinct model and every profile (kind) it stands for.
type candidate struct {
	labels   []string
	strategy string
	kind     allocator.Kind // of the first label
	rng      allocator.Range
	model    portModel
}

var (
	candOnce sync.Once
	candTCP  []*candidate
	candUDP  []*candidate
	candErr  error
)

// candidateModels are the distinct models for a protocol's attempts: the
// connect() and bind() strategies of every profile for TCP, the UDP ones
// for UDP.
func candidateModels(p capture.Proto) ([]*candidate, error) {
	candOnce.Do(func() {
		candTCP, candErr = buildCandidates(allocator.Connect, allocator.Bind)
		if candErr == nil {
			candUDP, candErr = buildCandidates(allocator.UDP)
		}
	})
	if p == capture.UDP {
		return candUDP, candErr
	}
	return candTCP, candErr
}

func buildCandidates(kinds ...allocator.Kind) ([]*candidate, error) {
	var out []*candidate
	byParams := candidatesByParams{}
	for _, spec := range strategies.ProfileSpecs() {
		prof, err := strategies.LookupProfile(spec)
		if err != nil {
			return nil, fmt.Errorf("fit: profile %s: %w", spec, err)
		}
		for _, k := range kinds {
			s := prof.For(k)
			m, err := modelFor(s, prof.Range)
			if err != nil {
				return nil, fmt.Errorf("fit: profile %s (%v): %w", spec, k, err)
			}
			label := fmt.Sprintf("%s (%v)", spec, k)
			if c := byParams.near(m.params(), m.space()); c != nil {
				c.labels = append(c.labels, label)
				continue
			}
			c := &candidate{labels: []string{label}, strategy: s, kind: k, rng: prof.Range, model: m}
			byParams[m.params()] = append(byParams[m.params()], c)
			out = append(out, c)
		}
	}
	return out, nil
}

// candidatesByParams are candidates by their models' params.
type candidatesByParams map[string][]*candidate

// near is the first of the candidates with params whose space is near sp,
// or nil.
func (b candidatesByParams) near(params string, sp portSpace) *candidate {
	for _, c := range b[params] {
		if nearSpace(c.model.space(), sp) {
			return c
		}
	}
	return nil
}

// shaper is a strategy that can say what its ports look like, the model
// family and its parameters (strategies.Shape).
type shaper interface {
	Shape(r allocator.Range) strategies.Shape
}

// modelFor is the likelihood model of a strategy spec over range r.
func modelFor(spec string, r allocator.Range) (portModel, error) {
	s, err := strategies.New(spec, 0)
	if err != nil {
		return nil, err
	}
	m, err := modelOf(s, r)
	if err != nil {
		return nil, fmt.Errorf("strategy %s: %w", spec, err)
	}
	return m, nil
}

// modelOf is the likelihood model of strategy s over range r, built from
// its shape.
func modelOf(s allocator.Strategy, r allocator.Range) (portModel, error) {
	sh, ok := s.(shaper)
	if !ok {
		return nil, fmt.Errorf("no likelihood model: %T does not say its shape (a Shape(allocator.Range) strategies.Shape method)", s)
	}
	return newModel(sh.Shape(r))
}

// hostSeries is one host's attempts of one protocol in time order, reduced
// to what the models read.
type hostSeries struct {
	ports   []uint16
	secs    []float64 // seconds since the first attempt
	stream  []int32   // destination (address and port) index, from 0
	streams int
}

// rankModels scores every candidate on s, best first, with posteriors from a
// uniform prior over the candidates.
func rankModels(s *hostSeries, cands []*candidate, st *fitScratch) []Fit {
	fits := make([]Fit, len(cands))
	best := math.Inf(-1)
	for i, c := range cands {
		ll := c.model.logLik(s, st)
		fits[i] = Fit{
			Name:           c.labels[0],
			Profiles:       slices.Clone(c.labels),
			Strategy:       c.strategy,
			Model:          c.model.describe(),
			Range:          c.rng,
			LogLikelihood:  ll,
			BitsPerAttempt: -ll / math.Ln2 / float64(max(len(s.ports), 1)),
			cand:           c,
		}
		best = max(best, ll)
	}
	// Softmax, shifted by the best so that nothing overflows; a model
	// thousands of nats behind gets exactly 0.
	sum := 0.0
	for i := range fits {
		fits[i].Posterior = math.Exp(fits[i].LogLikelihood - best)
		sum += fits[i].Posterior
	}
	for i := range fits {
		fits[i].Posterior /= sum
	}
	sort.SliceStable(fits, func(i, j int) bool { return fits[i].LogLikelihood > fits[j].LogLikelihood })
	return fits
}
