package sim

import (
	"time"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/gateway"
	"github.com/portsim/portsim/strategies"
)

// GatewayResult is what the gateway in front of the hosts did in one
// strategy's run. Counts cover flows after the warm-up; the series and the
// maxima cover the whole run.
type GatewayResult struct {
	Policy    string          `json:"policy"` // the gateway spec
	Hosts     int             `json:"hosts"`
	PublicIPs int             `json:"public_ips"`
	Range     allocator.Range `json:"range"` // public ports
	// Limit is the most flows one public address holds to one destination
	// (0: none but the ports).
	Limit     int    `json:"limit"`
	Mapping   string `json:"mapping"`   // TCP's RFC 4787 mapping behaviour
	Filtering string `json:"filtering"` // TCP's filtering behaviour
	// Timeouts are the holds, in seconds: after a FIN, after a RST, for
	// UDP, and an open flow's idle timeout.
	ClosingSeconds     float64 `json:"closing_seconds"`
	ResetSeconds       float64 `json:"reset_seconds"`
	UDPSeconds         float64 `json:"udp_seconds"`
	EstablishedSeconds float64 `json:"established_seconds"`
	WindowSeconds      float64 `json:"window_seconds"` // the confirm window

	// Allocations are flows translated; Failures those that found no
	// public port, under FailureName, the product's name for them.
	Allocations int     `json:"allocations"`
	Failures    int     `json:"failures"`
	FailureName string  `json:"failure_name"`
	FailureRate float64 `json:"failure_rate"` // of every flow that reached the gateway
	// InsertFailed are flows that lost the confirm race (conntrack's
	// insert_failed); Conflicts are flows whose endpoint-independent
	// mapping was taken to their destination, under ConflictName.
	InsertFailed int     `json:"insert_failed"`
	Conflicts    int     `json:"conflicts"`
	ConflictName string  `json:"conflict_name,omitempty"`
	Mappings     int     `json:"mappings"`    // new mappings (the rest reused one)
	ProbesMean   float64 `json:"probes_mean"` // candidates the policy asked per flow
	// Preserved is the share of translated flows whose public port is the
	// host's own.
	Preserved float64 `json:"preserved"`
	// Over the whole run, warm-up included: LogRecords is what the
	// gateway's log needed and LogRecordsPerMapping what logging each
	// mapping would have (the difference is what port blocks or a formula
	// save); IdleTimeouts are open flows whose mappings timed out.
	LogRecords           int `json:"log_records"`
	LogRecordsPerMapping int `json:"log_records_per_mapping"`
	IdleTimeouts         int `json:"idle_timeouts"`

	// Ports in use per public address (TCP and UDP apart): the most and
	// the mean over the samples after the warm-up.
	PortsInUseMax  []int     `json:"ports_in_use_max"`
	PortsInUseMean []float64 `json:"ports_in_use_mean"`
	// HostFlowsMax is the most flows (open and held) one host had at a
	// sample; HostFlowsMean the mean per host; HostHeldMax the most public
	// ports one host held (blocks, pre-allocation), 0 for a shared pool.
	HostFlowsMax  int     `json:"host_flows_max"`
	HostFlowsMean float64 `json:"host_flows_mean"`
	HostHeldMax   int     `json:"host_held_max"`
	// BusiestMax is the most connections one public address held to one
	// destination at any moment; BusiestShare that over Limit (or over
	// the ports when there is no limit).
	BusiestMax   int     `json:"busiest_max"`
	BusiestShare float64 `json:"busiest_share"`

	// What a server outside sees: the public port's delta from the
	// previous one to the same destination, and from the most recent one
	// to another, as StrategyResult's predictability.
	EntropySameDst  float64 `json:"entropy_same_dst_bits"`
	EntropyCrossDst float64 `json:"entropy_cross_dst_bits"`
	GuessSameDst    float64 `json:"guess_same_dst"`
	GuessCrossDst   float64 `json:"guess_cross_dst"`
	PairsSameDst    int     `json:"pairs_same_dst"`
	PairsCrossDst   int     `json:"pairs_cross_dst"`

	Series []GatewaySample `json:"series"` // sampled at the scenario's step
}

// GatewaySample is the gateway's state at one instant.
type GatewaySample struct {
	TimeSeconds  float64 `json:"t"`
	PortsInUse   []int   `json:"ports_in_use"` // per public address
	Flows        int     `json:"flows"`        // open and held
	HostMax      int     `json:"host_max"`     // flows of the busiest host
	Busiest      int     `json:"busiest"`      // flows of one address to its busiest destination
	Failures     int     `json:"failures"`     // failed translations since the previous sample, any reason
	InsertFailed int     `json:"insert_failed"`
}

// gatewayCollector turns a gateway's translations and states into a
// GatewayResult.
type gatewayCollector struct {
	res    GatewayResult
	gw     *gateway.Gateway
	holder gateway.Holder // nil when the policy is not one
	warmup time.Duration
	hosts  int
	lo     uint16
	size   int

	probes, preserved int

	portsSum []int64
	hostSum  int64
	nsamp    int

	failsSince, insertSince int

	prev        map[int]uint16 // destination → its previous public port
	lastDst     int
	lastPort    uint16
	crossPort   uint16
	same, cross *deltaCounts
}

func newGatewayCollector(sc *Scenario, nat *strategies.NAT, gw *gateway.Gateway) *gatewayCollector {
	cfg := nat.Config
	t := cfg.Timeouts
	c := &gatewayCollector{
		res: GatewayResult{
			Policy: string(sc.Gateway), Hosts: sc.Hosts, PublicIPs: len(cfg.Addrs), Range: cfg.Range, Limit: cfg.Limit,
			Mapping: cfg.Mapping[gateway.TCP].String(), Filtering: cfg.Filtering[gateway.TCP].String(),
			ClosingSeconds: t.Closing.Seconds(), ResetSeconds: t.Reset.Seconds(), UDPSeconds: t.UDP.Seconds(),
			EstablishedSeconds: t.Established.Seconds(), WindowSeconds: cfg.Window.Seconds(),
			FailureName:    nat.Info.FailureName(gateway.Exhausted),
			PortsInUseMax:  make([]int, len(cfg.Addrs)),
			PortsInUseMean: make([]float64, len(cfg.Addrs)),
			Series:         []GatewaySample{},
		},
		gw:       gw,
		warmup:   sc.Warmup,
		hosts:    sc.Hosts,
		lo:       cfg.Range.Lo,
		size:     cfg.Range.Size(),
		portsSum: make([]int64, len(cfg.Addrs)),
		prev:     map[int]uint16{},
		lastDst:  -1,
		same:     newDeltaCounts(),
		cross:    newDeltaCounts(),
	}
	if cfg.Mapping[gateway.TCP] == gateway.EndpointIndependent || cfg.Mapping[gateway.UDP] == gateway.EndpointIndependent {
		c.res.ConflictName = nat.Info.FailureName(gateway.Conflict)
	}
	c.holder, _ = nat.Policy.(gateway.Holder)
	return c
}

// translated records a flow's translation: its public endpoint, or why it
// failed (ge not nil).
func (c *gatewayCollector) translated(now time.Duration, dst int, inside uint16, tr gateway.Translation, ge *gateway.Error) {
	if ge != nil {
		c.failsSince++
		if ge.Reason == gateway.Clash {
			c.insertSince++
		}
	}
	if now < c.warmup {
		if ge == nil {
			c.see(dst, tr.Public.Port)
		}
		return
	}
	c.probes += tr.Probes
	if ge != nil {
		switch ge.Reason {
		case gateway.Clash:
			c.res.InsertFailed++
		case gateway.Conflict:
			c.res.Conflicts++
		default:
			c.res.Failures++
		}
		return
	}
	c.res.Allocations++
	if tr.New {
		c.res.Mappings++
	}
	if tr.Public.Port == inside {
		c.preserved++
	}
	if prev, ok := c.prev[dst]; ok {
		c.same.inc(c.delta(tr.Public.Port, prev))
	}
	ref := c.crossPort
	if dst != c.lastDst {
		ref = c.lastPort
	}
	if ref != 0 {
		c.cross.inc(c.delta(tr.Public.Port, ref))
	}
	c.see(dst, tr.Public.Port)
}

// see remembers the public port a destination saw last.
func (c *gatewayCollector) see(dst int, port uint16) {
	c.prev[dst] = port
	if dst != c.lastDst {
		c.crossPort, c.lastDst = c.lastPort, dst
	}
	c.lastPort = port
}

// delta is (port − prev) mod the public range's size.
func (c *gatewayCollector) delta(port, prev uint16) int {
	d := (int(port) - int(prev)) % c.size
	if d < 0 {
		d += c.size
	}
	return d
}

// sample records the gateway's state at now.
func (c *gatewayCollector) sample(now time.Duration) {
	s := GatewaySample{TimeSeconds: now.Seconds(), PortsInUse: make([]int, len(c.portsSum)), Busiest: c.gw.Busiest(),
		Failures: c.failsSince, InsertFailed: c.insertSince}
	c.failsSince, c.insertSince = 0, 0
	st := c.gw.Stats()
	s.Flows = st.Open + st.Pending + st.Held
	flows := 0
	for h := range c.hosts {
		f := c.gw.HostFlows(h)
		s.HostMax = max(s.HostMax, f)
		flows += f
		if c.holder != nil {
			c.res.HostHeldMax = max(c.res.HostHeldMax, c.holder.Held(h))
		}
	}
	for a := range s.PortsInUse {
		s.PortsInUse[a] = c.gw.PortsInUse(a)
	}
	c.res.Series = append(c.res.Series, s)
	c.res.HostFlowsMax = max(c.res.HostFlowsMax, s.HostMax)
	if now < c.warmup {
		return
	}
	for a, n := range s.PortsInUse {
		c.res.PortsInUseMax[a] = max(c.res.PortsInUseMax[a], n)
		c.portsSum[a] += int64(n)
	}
	c.hostSum += int64(flows)
	c.nsamp++
}

// attach completes r with the gateway's result.
func (c *gatewayCollector) attach(r StrategyResult) StrategyResult {
	g := c.res
	g.Series = append([]GatewaySample(nil), c.res.Series...)
	attempts := g.Allocations + g.Failures + g.InsertFailed + g.Conflicts
	if attempts > 0 {
		g.FailureRate = float64(attempts-g.Allocations) / float64(attempts)
		g.ProbesMean = float64(c.probes) / float64(attempts)
	}
	if g.Allocations > 0 {
		g.Preserved = float64(c.preserved) / float64(g.Allocations)
	}
	g.LogRecords = c.gw.LogRecords()
	g.LogRecordsPerMapping = c.gw.Counts().Mappings
	g.IdleTimeouts = c.gw.Counts().IdleTimeouts
	if c.nsamp > 0 {
		g.PortsInUseMean = make([]float64, len(c.portsSum))
		for a, s := range c.portsSum {
			g.PortsInUseMean[a] = float64(s) / float64(c.nsamp)
		}
		g.HostFlowsMean = float64(c.hostSum) / float64(c.nsamp) / float64(c.hosts)
	}
	g.PortsInUseMax = append([]int(nil), c.res.PortsInUseMax...)
	g.BusiestMax = c.gw.BusiestEver()
	capacity := g.Limit
	if capacity == 0 {
		capacity = g.Range.Size()
	}
	g.BusiestShare = float64(g.BusiestMax) / float64(capacity)
	g.PairsSameDst, g.EntropySameDst, g.GuessSameDst = c.same.summary()
	g.PairsCrossDst, g.EntropyCrossDst, g.GuessCrossDst = c.cross.summary()
	r.Gateway = &g
	return r
}
