package sim

import (
	"encoding/json"
	"math"

	"github.com/portsim/portsim/allocator"
)

// Schema is the version of the JSON results format.
const Schema = "portsim.results/v1"

// Result is the outcome of running one scenario with one or more strategies.
type Result struct {
	Schema   string           `json:"schema"`
	Scenario []Field          `json:"scenario"` // every resolved parameter, in order
	Results  []StrategyResult `json:"results"`
	Partial  bool             `json:"partial,omitempty"` // stopped early (Ctrl-C)
}

// Field is one resolved scenario parameter, as its flag would spell it.
type Field struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// StrategyResult holds every metric of one strategy's run. Counts cover
// allocations after the warm-up.
type StrategyResult struct {
	Strategy string `json:"strategy"`
	// Host is the port rules the strategy ran under: the scenario's, or
	// its profile's for a "profile:" spec.
	Host HostRules `json:"host"`

	// Partial: the run was stopped (Ctrl-C) when it had made every
	// arrival before StoppedSeconds of simulated time; 0 is a strategy
	// that had not started. The counts cover that much of the run.
	Partial        bool    `json:"partial,omitempty"`
	StoppedSeconds float64 `json:"stopped_seconds,omitempty"`

	Allocations int     `json:"allocations"` // successful
	Failures    int     `json:"failures"`    // EADDRNOTAVAIL
	FailureRate float64 `json:"failure_rate"`

	// Probe statistics cover attempts: allocations and failures, whose
	// probes (usually the whole range) are the costliest.
	ProbesMean float64 `json:"probes_mean"`
	ProbesP50  int     `json:"probes_p50"` // nearest rank
	ProbesP99  int     `json:"probes_p99"` // nearest rank
	ProbesMax  int     `json:"probes_max"`
	// ProbesHist[i] counts attempts with i+1 probes, the last bucket
	// holding all longer ones (see ProbesHistOverflow).
	ProbesHist []int `json:"probes_hist"`
	// CollisionRate is the share of attempts whose first candidate was
	// unusable (probes > 1, or a failure).
	CollisionRate float64 `json:"collision_rate"`

	ReuseCount      int     `json:"reuse_count"`       // allocations of a 4-tuple used before
	ReuseMinSeconds float64 `json:"reuse_min_seconds"` // -1 when no reuse
	ReuseP1Seconds  float64 `json:"reuse_p1_seconds"`  // -1 when no reuse; within 0.4 %
	ReuseP50Seconds float64 `json:"reuse_p50_seconds"` // -1 when no reuse; within 0.4 %
	// ReuseHist has 5 bins a decade from 1 ms, after a first bin [0, 1 ms),
	// up to the one holding the run's duration.
	ReuseHist []Bucket `json:"reuse_hist"`
	// ReuseSample is the reuse intervals in seconds, sorted: all of them
	// up to ReuseSampleMax, else a uniform sample of that many, drawn
	// from the run's seed. The reuse chart's empirical CDF is drawn from it.
	ReuseSample     []float64 `json:"reuse_sample_seconds,omitempty"`
	TWReuses        int       `json:"tw_reuses"`        // 4-tuples taken from TIME_WAIT
	Occupancy       []Sample  `json:"occupancy"`        // sampled at a fixed step, warm-up included
	OccupancyMean   float64   `json:"occupancy_mean"`   // mean established+TIME_WAIT+UDP sockets after warm-up
	EstablishedMean float64   `json:"established_mean"` // mean open connections (UDP included) after warm-up
	PortUsage       []Bucket  `json:"port_usage"`       // allocations per port bucket across the range
	// UniformityP is the chi-square p-value of PortUsage against uniform
	// over the non-reserved ports.
	UniformityP float64 `json:"uniformity_p"`
	// Predictability: the delta from the previous port to the same
	// destination, and from the most recent port to another destination,
	// modulo the range size. Entropies are plug-in estimates and cannot
	// exceed log2 of the number of pairs, so a short run understates a
	// random strategy; Guess* is the most common delta's frequency.
	EntropySameDst  float64 `json:"entropy_same_dst_bits"`
	EntropyCrossDst float64 `json:"entropy_cross_dst_bits"`
	GuessSameDst    float64 `json:"guess_same_dst"`
	GuessCrossDst   float64 `json:"guess_cross_dst"`
	PairsSameDst    int     `json:"pairs_same_dst"`  // deltas behind EntropySameDst and GuessSameDst
	PairsCrossDst   int     `json:"pairs_cross_dst"` // deltas behind EntropyCrossDst and GuessCrossDst
	// ByOccupancy bins attempts by the occupancy the request met, for the
	// collisions-versus-occupancy chart: OccupancyBins equal bins over [0, 1].
	ByOccupancy []OccupancyBin `json:"by_occupancy"`
	// Gateway is what the gateway in front of the hosts did, when the
	// scenario has one; with one, the figures above pool every host's.
	Gateway          *GatewayResult `json:"gateway,omitempty"`
	Samples          []Alloc        `json:"-"` // the first attempts, for charts and --out
	SamplesTruncated bool           `json:"-"` // more attempts happened than Samples holds
}

// Bucket is a histogram bin [Lo, Hi) with a count.
type Bucket struct {
	Lo    float64 `json:"lo"`
	Hi    float64 `json:"hi"`
	Count int     `json:"count"`
}

// Sample is the table's state at one instant.
type Sample struct {
	TimeSeconds float64 `json:"t"`
	Established int     `json:"established"`
	TimeWait    int     `json:"time_wait"`
	UDP         int     `json:"udp"`
	Failures    int     `json:"failures"` // failures since the previous sample
	// BusiestDst is the connect() sockets, established and TIME_WAIT, to
	// the destination with most of them (on the busiest host, behind a
	// gateway): ports run out per destination, when it reaches the usable
	// ports times the local addresses, however many the total holds.
	BusiestDst int `json:"busiest_dst"`
}

// HostRules are the port rules of the simulated host.
type HostRules struct {
	Range           allocator.Range `json:"range"`
	UsablePorts     int             `json:"usable_ports"` // the range less reserved ports
	TimeWaitSeconds float64         `json:"time_wait_seconds"`
	TWReuse         string          `json:"tw_reuse"`
}

// LimitRate is the connection rate one destination (or, for bind, the
// whole host) can sustain when every closed 4-tuple waits out TIME_WAIT:
// usable ports over TIME_WAIT; 0 without TIME_WAIT.
func (h HostRules) LimitRate() float64 {
	if h.TimeWaitSeconds <= 0 {
		return 0
	}
	return float64(h.UsablePorts) / h.TimeWaitSeconds
}

// Alloc is one allocation attempt, kept for charts and CSV output.
type Alloc struct {
	N           int     // attempt number, from 1
	TimeSeconds float64 // simulated time
	Dst         int     // destination index
	Src         int     // local address index (Scenario.Srcs)
	Kind        string
	Port        uint16 // 0 on failure
	Probes      int
	// Behind a gateway: the host (Src is its local address index, see
	// Scenario.HostAddr) and the public endpoint, PublicPort 0 when the
	// gateway dropped the flow or the host found no port.
	Host       int
	PublicAddr int // index in Scenario.PublicAddrs
	PublicPort uint16
}

// OccupancyBins is how many equal bins ByOccupancy has over [0, 1].
const OccupancyBins = 50

// OccupancyBin counts attempts made while occupancy was in [Lo, Hi).
// Occupancy is what the request competes with, over the range size: for
// connect, 4-tuples to its destination from its address (established and
// TIME_WAIT); for bind and UDP, ports in use on its address.
type OccupancyBin struct {
	Lo         float64 `json:"lo"`
	Hi         float64 `json:"hi"`
	Attempts   int     `json:"attempts"`
	Collisions int     `json:"collisions"` // attempts whose first candidate was unusable
	Probes     int     `json:"probes"`     // total probes, for the mean
}

// SweepSchema is the version of the JSON sweep format.
const SweepSchema = "portsim.sweep/v1"

// SweepResult is a scenario run over the points of a grid of field values.
type SweepResult struct {
	Schema string `json:"schema"`
	Param  string `json:"param"` // the (first) field varied, e.g. "rate": a chart's x axis
	// More are the other fields a grid varies, in order; the first of
	// them tells a family of curves apart.
	More     []string   `json:"more,omitempty"`
	Scenario []Field    `json:"scenario"` // the base scenario
	Rows     []SweepRow `json:"rows"`
	Partial  bool       `json:"partial,omitempty"`
}

// Fields are every field varied: Param, then More.
func (sw *SweepResult) Fields() []string { return append([]string{sw.Param}, sw.More...) }

// SweepRow is one strategy's outcome at one point of the grid.
type SweepRow struct {
	Value       string   `json:"value"`          // Param's, as the field spells it
	X           float64  `json:"x"`              // Value as a number for charts (seconds for durations)
	More        []string `json:"more,omitempty"` // the values of SweepResult.More, in its order
	Kind        string   `json:"kind"`           // the request kind mix of the run
	Strategy    string   `json:"strategy"`
	Allocations int      `json:"allocations"`
	Failures    int      `json:"failures"`
	FailureRate float64  `json:"failure_rate"`
	ProbesMean  float64  `json:"probes_mean"`
	// LimitRate is the range's capacity for one destination: usable ports
	// over TIME_WAIT, in connections per second (0 when TIME_WAIT is 0).
	LimitRate float64 `json:"limit_rate"`
	// Gateway is what the gateway did, for hosts behind one.
	Gateway *SweepGateway `json:"gateway,omitempty"`
}

// Values are the row's values of every field varied: Value, then More.
func (r *SweepRow) Values() []string { return append([]string{r.Value}, r.More...) }

// SweepGateway is a gateway's part of a sweep row (see GatewayResult).
type SweepGateway struct {
	Policy       string  `json:"policy"`
	PublicIPs    int     `json:"public_ips"`
	Allocations  int     `json:"allocations"`
	Failures     int     `json:"failures"`
	FailureName  string  `json:"failure_name"`
	FailureRate  float64 `json:"failure_rate"`
	InsertFailed int     `json:"insert_failed"`
	Conflicts    int     `json:"conflicts"`
	BusiestMax   int     `json:"busiest_max"`
	Limit        int     `json:"limit"`
	// For a capacity chart: the seconds the figures cover (the run after
	// its warm-up), the new flows per second offered, the hold after a
	// FIN close, and the public ports per address (its range's size).
	Seconds        float64 `json:"seconds"`
	OfferedRate    float64 `json:"offered_rate"`
	ClosingSeconds float64 `json:"closing_seconds"`
	Ports          int     `json:"ports"`
}

// Rate is the new flows per second the gateway translated.
func (g *SweepGateway) Rate() float64 {
	if g.Seconds <= 0 {
		return 0
	}
	return float64(g.Allocations) / g.Seconds
}

// LimitRate is what one destination can take through the gateway when
// every closed connection holds its public port for the FIN hold: the
// public addresses times the connections each may hold to it (Limit, or
// its ports), over the hold; 0 when nothing is held.
func (g *SweepGateway) LimitRate() float64 {
	if g.ClosingSeconds <= 0 {
		return 0
	}
	per := g.Ports
	if g.Limit > 0 {
		per = min(per, g.Limit)
	}
	return float64(g.PublicIPs*per) / g.ClosingSeconds
}

// sweepRowJSON is SweepRow with X as a pointer, so that a value that is
// not a number (a gateway spec, a distribution) reads and writes as null
// rather than failing on NaN.
type sweepRowJSON struct {
	X *float64 `json:"x"`
	sweepRowAlias
}

type sweepRowAlias SweepRow

// MarshalJSON writes X as null when it is NaN.
func (r SweepRow) MarshalJSON() ([]byte, error) {
	j := sweepRowJSON{sweepRowAlias: sweepRowAlias(r)}
	if !math.IsNaN(r.X) {
		j.X = &r.X
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads a null X as NaN.
func (r *SweepRow) UnmarshalJSON(b []byte) error {
	var j sweepRowJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = SweepRow(j.sweepRowAlias)
	r.X = math.NaN()
	if j.X != nil {
		r.X = *j.X
	}
	return nil
}

// Has reports whether r has data for the figure its JSON field names: no
// failure or collision rate and no probes without an attempt, no entropy
// or guess without a pair of ports (another destination needs two
// destinations), no uniformity without an allocation, no reuse time
// without a reuse. Every format writes "no value" where it is false: null
// in JSON, an empty CSV cell, "-" in a table.
func (r *StrategyResult) Has(field string) bool {
	switch field {
	case "failure_rate", "collision_rate", "probes_mean":
		return r.Allocations+r.Failures > 0
	case "entropy_same_dst_bits", "guess_same_dst":
		return r.PairsSameDst > 0
	case "entropy_cross_dst_bits", "guess_cross_dst":
		return r.PairsCrossDst > 0
	case "uniformity_p":
		return r.Allocations > 0
	case "reuse_min_seconds", "reuse_p1_seconds", "reuse_p50_seconds":
		return r.ReuseCount > 0
	}
	return true
}

// strategyResultJSON is StrategyResult with its figures that may have no
// value (Has) as pointers, written as null when there is none.
type strategyResultJSON struct {
	strategyResultAlias
	FailureRate     *float64 `json:"failure_rate"`
	ProbesMean      *float64 `json:"probes_mean"`
	CollisionRate   *float64 `json:"collision_rate"`
	ReuseMinSeconds *float64 `json:"reuse_min_seconds"`
	ReuseP1Seconds  *float64 `json:"reuse_p1_seconds"`
	ReuseP50Seconds *float64 `json:"reuse_p50_seconds"`
	UniformityP     *float64 `json:"uniformity_p"`
	EntropySameDst  *float64 `json:"entropy_same_dst_bits"`
	EntropyCrossDst *float64 `json:"entropy_cross_dst_bits"`
	GuessSameDst    *float64 `json:"guess_same_dst"`
	GuessCrossDst   *float64 `json:"guess_cross_dst"`
}

type strategyResultAlias StrategyResult

// optionals pairs each pointer of j with its field of r and JSON name.
func (j *strategyResultJSON) optionals(r *StrategyResult) []struct {
	name string
	p    **float64
	v    *float64
} {
	return []struct {
		name string
		p    **float64
		v    *float64
	}{
		{"failure_rate", &j.FailureRate, &r.FailureRate},
		{"probes_mean", &j.ProbesMean, &r.ProbesMean},
		{"collision_rate", &j.CollisionRate, &r.CollisionRate},
		{"reuse_min_seconds", &j.ReuseMinSeconds, &r.ReuseMinSeconds},
		{"reuse_p1_seconds", &j.ReuseP1Seconds, &r.ReuseP1Seconds},
		{"reuse_p50_seconds", &j.ReuseP50Seconds, &r.ReuseP50Seconds},
		{"uniformity_p", &j.UniformityP, &r.UniformityP},
		{"entropy_same_dst_bits", &j.EntropySameDst, &r.EntropySameDst},
		{"entropy_cross_dst_bits", &j.EntropyCrossDst, &r.EntropyCrossDst},
		{"guess_same_dst", &j.GuessSameDst, &r.GuessSameDst},
		{"guess_cross_dst", &j.GuessCrossDst, &r.GuessCrossDst},
	}
}

// MarshalJSON writes a figure r has no data for (Has) as null.
func (r StrategyResult) MarshalJSON() ([]byte, error) {
	j := strategyResultJSON{strategyResultAlias: strategyResultAlias(r)}
	for _, o := range j.optionals(&r) {
		if r.Has(o.name) {
			*o.p = o.v
		}
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads a null figure as none: -1 for a reuse time, as the
// simulator leaves it, else 0.
func (r *StrategyResult) UnmarshalJSON(b []byte) error {
	var j strategyResultJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = StrategyResult(j.strategyResultAlias)
	for _, o := range j.optionals(r) {
		switch {
		case *o.p != nil:
			*o.v = **o.p
		case o.name == "reuse_min_seconds" || o.name == "reuse_p1_seconds" || o.name == "reuse_p50_seconds":
			*o.v = -1
		default:
			*o.v = 0
		}
	}
	return nil
}
