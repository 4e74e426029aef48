package report

import (
	"strings"
	"testing"

	"github.com/portsim/portsim/sim"
)

// TestNATSection: a run behind a gateway gets the section, with the
// gateway's figures under the product's name for a refusal; a run without
// one does not.
func TestNATSection(t *testing.T) {
	gw := &sim.Result{Schema: sim.Schema, Results: []sim.StrategyResult{{Strategy: "linux", Gateway: &sim.GatewayResult{
		Policy: "aws-nat", Hosts: 20, PublicIPs: 1, Allocations: 55000, Failures: 4890, FailureName: "ErrorPortAllocation",
		BusiestMax: 55000, Limit: 55000, LogRecords: 110000, LogRecordsPerMapping: 110000,
	}}}}
	html, doc := render(t, Input{Results: []*sim.Result{gw}})
	sec := byID(doc, "nat")
	if sec == nil {
		t.Fatal("no section with id nat")
	}
	for _, want := range []string{"per destination", "ErrorPortAllocation", "aws-nat", "55,000", "4,890", "insert_failed"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("the NAT section lacks %q", want)
		}
	}
	if _, doc := render(t, Input{Results: []*sim.Result{{Schema: sim.Schema, Results: []sim.StrategyResult{{Strategy: "linux"}}}}}); byID(doc, "nat") != nil {
		t.Error("a run without a gateway has a NAT section")
	}
}
