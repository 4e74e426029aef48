package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestGatewayRoundTripThroughCapture is issue 14's check through the files
// a user would handle: 'run --gateway ... --pcap' writes what a capture
// outside the gateway sees, and 'analyze' names the translation policy on
// the public address — port-preserving netfilter in front of Linux hosts
// (their per-destination walks survive), netfilter random-fully and the
// AWS NAT gateway (ports at random over 1024-65535, Linux's mark told
// apart), CGN port blocks and Cloud NAT (blocks); and a host of its own
// written the same way is not called NATed.
func TestGatewayRoundTripThroughCapture(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		gateway, lifetime string
		hosts             string
		policy            string
		why               string // a phrase the verdict's why must hold
	}{
		{"netfilter", "exp:100ms", "8", "port-preserving", "interleaved walks"},
		{"netfilter:random=fully", "exp:100ms", "8", "random", "Linux's 16-bit offset"},
		{"aws-nat", "exp:100ms", "8", "random", "not Linux's"},
		{"port-block", "exp:2s", "8", "blocks", "blocks of 128"},
		{"gcp-nat:dynamic=on", "exp:2s", "8", "blocks", "lowest blocks first"},
		{"none", "exp:100ms", "1", "", "nothing in the ports"},
	}
	for _, tt := range tests {
		t.Run(tt.gateway, func(t *testing.T) {
			path := filepath.Join(dir, fileSlug(tt.gateway)+".pcapng")
			r := portsim("run", "--profile", "linux", "--hosts", tt.hosts, "--gateway", tt.gateway, "--rate", "40",
				"--duration", "60s", "--warmup", "0s", "--destinations", "5", "--lifetime", tt.lifetime,
				"--seed", "5", "--pcap", path, "--format", "csv")
			if r.code != 0 {
				t.Fatalf("run: exit %d\n%s", r.code, r.stderr)
			}
			r = portsim("analyze", path, "--format", "json")
			if r.code != 0 {
				t.Fatalf("analyze: exit %d\n%s", r.code, r.stderr)
			}
			var out struct {
				Hosts []struct {
					Host string
					NAT  struct {
						Verdict string
						Decided bool
						Policy  string
						Why     string
					}
				}
			}
			if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
				t.Fatal(err)
			}
			if len(out.Hosts) != 1 {
				t.Fatalf("%d hosts; want the one address", len(out.Hosts))
			}
			v := out.Hosts[0].NAT
			wantVerdict := "nat"
			if tt.policy == "" {
				wantVerdict = "no-evidence"
			}
			if v.Verdict != wantVerdict || v.Decided != (wantVerdict == "nat") || v.Policy != tt.policy || !strings.Contains(v.Why, tt.why) {
				t.Errorf("nat %+v; want %s, policy %q, why with %q", v, wantVerdict, tt.policy, tt.why)
			}
			text := portsim("analyze", path)
			if !strings.Contains(text.stdout, "  nat: ") {
				t.Errorf("analyze's text has no nat line:\n%s", text.stdout)
			}
		})
	}
}
