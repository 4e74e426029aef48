package main

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"

	"github.com/portsim/portsim/strategies"
)

// The acceptance check, through the files a user would handle: for
// each profile, 'run --pcap' writes 2,000 simulated connections as a
// pcapng, with the profile's SYN shape, and 'analyze' names that profile
// (or a documented equivalent, listed in the best fit's profiles) as the
// best explanation of the ports, and its system (ports and SYNs together)
// as the host's OS: decided for a profile with a signature, in a tie at
// least for the simulators, which have none.
func TestProfileRoundTripThroughCapture(t *testing.T) {
	dir := t.TempDir()
	for _, spec := range strategies.ProfileSpecs() {
		t.Run(spec, func(t *testing.T) {
			path := filepath.Join(dir, fileSlug(spec)+".pcapng")
			r := portsim("run", "--profile", spec, "--rate", "20", "--arrivals", "poisson", "--duration", "100s",
				"--warmup", "0s", "--destinations", "5", "--popularity", "zipf:1.1", "--lifetime", "exp:100ms",
				"--close", "reset", "--kind", "connect", "--seed", "11", "--pcap", path, "--format", "csv")
			if r.code != 0 {
				t.Fatalf("run: exit %d\n%s", r.code, r.stderr)
			}
			r = portsim("analyze", path, "--format", "json")
			if r.code != 0 {
				t.Fatalf("analyze: exit %d\n%s", r.code, r.stderr)
			}
			var out struct {
				Hosts []struct {
					Attempts int
					Verdict  string
					OS       struct {
						Profile string
						Decided bool
						Tie     []string
					}
					Fits []struct {
						Name      string
						Profiles  []string
						Posterior float64
					}
				}
			}
			if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
				t.Fatal(err)
			}
			if len(out.Hosts) != 1 || len(out.Hosts[0].Fits) == 0 {
				t.Fatalf("want one host with fits:\n%s", r.stdout)
			}
			h := out.Hosts[0]
			if h.Attempts < 1800 {
				t.Errorf("%d attempts; want about 2,000", h.Attempts)
			}
			best := h.Fits[0]
			if !slices.Contains(best.Profiles, spec+" (connect)") || best.Posterior < 0.9 {
				t.Errorf("analyzed as %q (same model: %v); want %s (connect) or an equivalent with posterior ≥ 0.9", h.Verdict, best.Profiles, spec)
			}
			p, err := strategies.LookupProfile(spec)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case p.Stack.Known() && (h.OS.Profile != p.Name || !h.OS.Decided):
				t.Errorf("OS %+v; want %s, decided", h.OS, p.Name)
			case !p.Stack.Known() && h.OS.Profile != p.Name && !slices.Contains(h.OS.Tie, p.Name):
				t.Errorf("OS %+v; want %s, or a tie with it", h.OS, p.Name)
			}
		})
	}
}
