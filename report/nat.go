package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"strconv"

	"github.com/portsim/portsim/sim"
)

//go:embed nat.html.tmpl
var natSource string

func init() { template.Must(page.New("nat").Parse(natSource)) }

// natSection is the section "Behind a NAT", shown when a run's hosts sat
// behind a gateway: why a NAT's limit is per destination, and each such
// run's gateway figures.
type natSection struct {
	Teach template.HTML
	Rows  []natRow
}

type natRow struct {
	Run, Strategy, Gateway     string
	Hosts, PublicIPs           string
	Allocations, Failures      string
	FailureName, InsertFailed  string
	Busiest, Limit, LogRecords string
}

// natHeading is the section's title.
const natHeading = "Behind a NAT: why the limit is per destination"

// natTeach is the section's lesson. Its facts are the gateways' own
// (strategies.NATs lists their sources).
const natTeach template.HTML = `<p>A NAT or cloud NAT gateway rewrites every outgoing
connection's source to one of its public addresses and a public port, and must tell the
replies apart: a reply comes back to (public address, public port) <em>from</em> the
destination (address, port, protocol). So one public port can carry one connection to each
destination at the same time. Connections to many different servers share the same ports
freely; connections to one busy API each need a port of their own, and a closed connection
keeps its port for that destination for the gateway's hold (about a minute on AWS, 65 s on
Azure NAT Gateway after a FIN, 120 s of TIME_WAIT on Google Cloud NAT and Linux conntrack).
That is why vendors state their limits per destination: AWS allows 55,000 connections per
public address to one destination, so short connections top out near 55,000 a minute, about
900 a second; Azure NAT Gateway allows 50,000.</p>
<p>Adding hosts does not raise that ceiling; adding public addresses does, as does keeping
connections open (keep-alive, pooling). Gateways that share ports out ahead of time
(Azure Load Balancer's per-VM allocation, Google Cloud NAT's minimum ports per VM) run out
per host instead: a VM with 256 ports can hold 256 connections to one destination while the
address's other 63,000 ports sit idle. On Linux, a port kept by two hosts at the same moment
makes conntrack drop the later connection (<code>insert_failed</code>);
<code>--random-fully</code> makes that rare.</p>`

// buildNAT makes the section and its contents entry from the runs behind
// a gateway; nil when there are none.
func buildNAT(runs []*sim.Result) (*natSection, *tocEntry) {
	sec := &natSection{Teach: natTeach}
	for i, r := range runs {
		name := runName(r, i, len(runs))
		for _, s := range r.Results {
			g := s.Gateway
			if g == nil {
				continue
			}
			limit := "—"
			if g.Limit > 0 {
				limit = thousands(g.Limit)
			}
			sec.Rows = append(sec.Rows, natRow{
				Run: name, Strategy: s.Strategy, Gateway: g.Policy,
				Hosts: strconv.Itoa(g.Hosts), PublicIPs: strconv.Itoa(g.PublicIPs),
				Allocations: thousands(g.Allocations), Failures: thousands(g.Failures), FailureName: g.FailureName,
				InsertFailed: thousands(g.InsertFailed), Busiest: thousands(g.BusiestMax), Limit: limit,
				LogRecords: fmt.Sprintf("%s of %s", thousands(g.LogRecords), thousands(g.LogRecordsPerMapping)),
			})
		}
	}
	if len(sec.Rows) == 0 {
		return nil, nil
	}
	return sec, &tocEntry{ID: "nat", Text: natHeading}
}
