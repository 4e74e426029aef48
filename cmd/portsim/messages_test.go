package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Messages a new user met (issue 13): each bad input is refused with exit
// 2, naming the flag once and saying what is allowed, and nothing binary
// is echoed.
func TestMessages(t *testing.T) {
	dir := t.TempDir()
	pcap := filepath.Join(dir, "x.pcap")
	os.WriteFile(pcap, append([]byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0}, make([]byte, 40)...), 0o644)
	negative := filepath.Join(dir, "results.json")
	os.WriteFile(negative, []byte(`{"schema":"portsim.results/v1","results":[{"strategy":"x","allocations":-5}]}`), 0o644)
	for _, c := range []struct {
		cliCase
		notStderr []string
	}{
		{cliCase: cliCase{name: "bind path on connect", args: []string{"run", "--strategy", "linux-bind", "--strategy", "linux"}, wantCode: 2,
			wantStderr: []string{"linux-bind serves bind requests only, not connect", "want kind bind"}}},
		{cliCase: cliCase{name: "udp path on a mix", args: []string{"run", "--strategy", "linux-udp", "--kind", "udp,connect"}, wantCode: 2,
			wantStderr: []string{"linux-udp serves udp requests only"}}},
		{cliCase: cliCase{name: "flag named once", args: []string{"run", "--strategy", "linux", "--rate", "-5"}, wantCode: 2,
			wantStderr: []string{"--rate: -5 is negative"}}, notStderr: []string{"rate: rate:"}},
		{cliCase: cliCase{name: "capture as scenario", args: []string{"run", "--strategy", "linux", "--scenario", pcap}, wantCode: 2,
			wantStderr: []string{"--scenario", "packet capture", "portsim analyze"}}, notStderr: []string{"\xd4"}},
		{cliCase: cliCase{name: "empty port", args: []string{"run", "--strategy", "linux", "--dst-port", "443,,80"}, wantCode: 2,
			wantStderr: []string{"--dst-port", "empty item"}}},
		{cliCase: cliCase{name: "duration overflow", args: []string{"run", "--strategy", "linux", "--duration", "999999999h"}, wantCode: 2,
			wantStderr: []string{"--duration", "overflows"}}},
		{cliCase: cliCase{name: "negative allocations", args: []string{"plot", "--out", filepath.Join(dir, "charts"), negative}, wantCode: 2,
			wantStderr: []string{"allocations is -5", "want a count ≥ 0"}}},
		{cliCase: cliCase{name: "no kinds", args: []string{"sweep", "--vary", "rate=100,200", "--kinds", "", "--strategy", "linux"}, wantCode: 2,
			wantStderr: []string{"--kinds", "names no kind"}}},
		{cliCase: cliCase{name: "demo seed", args: []string{"demo", "--seed", "x"}, wantCode: 2,
			wantStderr: []string{"--seed"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := c.check(t)
			for _, s := range c.notStderr {
				if strings.Contains(r.stderr, s) {
					t.Errorf("stderr has %q:\n%s", s, r.stderr)
				}
			}
		})
	}
}

// "--ipv6 false" and "--ipv6 true" read as the help says.
func TestBoolFlagValue(t *testing.T) {
	for _, v := range []string{"true", "false"} {
		cliCase{name: v, args: []string{"run", "--strategy", "random", "--duration", "1s", "--ipv6", v, "--format", "json"}, wantCode: 0,
			wantStdout: []string{`"ipv6"`}}.check(t)
	}
}

// Help names each value by what it is (--rate N), never pflag's type
// (--rate string), and a list default as the flag takes it.
func TestHelpMetavars(t *testing.T) {
	typeWord := regexp.MustCompile(`--[a-z0-9-]+ (string|strings|float|int|uint64|duration|stringSlice)\b`)
	for _, cmd := range []string{"run", "compare", "sweep", "attack", "demo", "explain", "probe"} {
		r := portsim(cmd, "--help")
		if m := typeWord.FindString(r.stdout); m != "" {
			t.Errorf("%s --help shows a type for a value: %q", cmd, m)
		}
		if strings.Contains(r.stdout, "(default [") {
			t.Errorf("%s --help shows a list default in brackets", cmd)
		}
	}
	r := portsim("run", "--help")
	for _, want := range []string{"--rate N", "--seed N", "--duration DURATION", "--dst-port PORTS", "--range LO-HI"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("run --help lacks %q", want)
		}
	}
	if r := portsim("demo", "--help"); !strings.Contains(r.stdout, "--seed N") {
		t.Errorf("demo --help: the usage line's --seed N is not the flag's:\n%s", r.stdout)
	}
}

// A report's header names the portsim that made it, not "portsim" again.
func TestVersion(t *testing.T) {
	if v := version(); v == "" || v == "portsim" || !(strings.HasPrefix(v, "devel") || strings.HasPrefix(v, "v")) {
		t.Errorf("version() = %q; want a module version or devel and a commit", v)
	}
}

// run's table opens with the scenario in one sentence, as demo's does;
// the machine formats do not.
func TestRunScenarioLine(t *testing.T) {
	r := portsim("run", "--strategy", "random", "--duration", "1s", "--destinations", "1")
	if !strings.HasPrefix(r.stdout, "Scenario: poisson arrivals at 100/s for 1s, lifetime exp:1s, 1 destination (uniform)") {
		t.Errorf("run's table does not open with the scenario:\n%s", r.stdout)
	}
	for _, f := range []string{"csv", "json"} {
		if r := portsim("run", "--strategy", "random", "--duration", "1s", "--format", f); strings.Contains(r.stdout, "Scenario:") {
			t.Errorf("--format %s prints the scenario line", f)
		}
	}
}
