package fit_test

import (
	"bufio"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/portsim/portsim/observe/capture"
	"github.com/portsim/portsim/observe/fit"
	"github.com/portsim/portsim/strategies"
)

// realHost is one row of testdata/real/truth.tsv: a host of a public
// capture nobody here wrote, one protocol, and what it runs as far as its
// own packets say (HTTP User-Agent, DHCP, SYN shape; see the README).
type realHost struct {
	file     string
	host     netip.Addr
	proto    capture.Proto
	os       string   // "Windows 7", "Android 5.1.1 (Linux 3.x)"
	system   string   // a profile's System: "Windows", "macOS", "Linux"
	profiles []string // the profiles that may name it right; none: no profile models it
}

// Verdict outcomes, as the confusion table counts them.
const (
	realRight = iota
	realUndecided
	realWrong
	realOutcomes
	realNotJudged // a port verdict on a system no profile models
)

var realOutcomeNames = [...]string{realRight: "right", realUndecided: "undecided", realWrong: "wrong", realNotJudged: "not judged"}

// TestRealCaptures analyzes the hosts of testdata/real, header facts of
// public captures (their SYNs and first UDP datagrams) whose OS is known
// from the hosts' own packets, and fails on any verdict that is decided
// (posterior ≥ DecisivePosterior, the check passed) and wrong: the port
// verdict's best fit names none of the truth's profiles among its
// equivalents, or the OS verdict a profile that is not one of them. An
// undecided verdict is fine: a tool that says "undecided, and here is why"
// is not wrong. -v logs the confusion table, truth × verdict.
func TestRealCaptures(t *testing.T) {
	hosts := readTruth(t, filepath.Join("testdata", "real", "truth.tsv"))
	caps := map[string]*capture.Capture{}
	type cell struct{ ports, os [realOutcomes]int }
	table := map[string]*cell{}
	var order []string
	var lines []string
	for _, h := range hosts {
		c, ok := caps[h.file]
		if !ok {
			var err error
			c, err = capture.ReadFile(filepath.Join("testdata", "real", h.file), capture.ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			caps[h.file] = c
		}
		reps := fit.Analyze(c.Attempts, fit.AnalyzeOptions{Host: h.host, Proto: h.proto})
		if len(reps) != 1 {
			t.Errorf("%s %s %s: %d reports; want 1", h.file, h.host, h.proto, len(reps))
			continue
		}
		r := &reps[0]
		ports, osv := realUndecided, realUndecided
		switch {
		case len(h.profiles) == 0:
			// The port model may well be right (a BSD stack's cursor
			// over 1025-5000 is OMNeT++ INET's too); only the OS line
			// names a system.
			ports = realNotJudged
		case r.Decided():
			ports = realWrong
			for _, l := range r.Best().Profiles {
				if slices.Contains(h.profiles, fitProfileOf(l)) {
					ports = realRight
				}
			}
			if ports == realWrong {
				t.Errorf("%s %s %s (%s): confidently wrong ports: %s", h.file, h.host, h.proto, h.os, r.Verdict())
			}
		}
		if r.OS == nil {
			t.Errorf("%s %s %s: no OS verdict", h.file, h.host, h.proto)
			continue
		}
		if r.OS.Decided {
			osv = realWrong
			if slices.Contains(h.profiles, r.OS.Profile) {
				osv = realRight
			} else {
				t.Errorf("%s %s %s (%s): confidently wrong OS: %s", h.file, h.host, h.proto, h.os, r.OS)
			}
		}
		if !r.OS.Decided && r.OS.System != "" && r.OS.System != h.system {
			// Not a failure (the verdict says it is undecided), but a
			// user reading the line would take the system named.
			t.Logf("%s %s %s (%s): undecided, but names the system %s: %s", h.file, h.host, h.proto, h.os, r.OS.System, r.OS)
		}
		if _, ok := table[h.system]; !ok {
			table[h.system] = &cell{}
			order = append(order, h.system)
		}
		if ports != realNotJudged {
			table[h.system].ports[ports]++
		}
		table[h.system].os[osv]++
		said, _, _ := strings.Cut(r.OS.String(), " — ")
		lines = append(lines, fmt.Sprintf("| %s %s %s | %s | %d | %s | %s | %s |", h.file, h.host, h.proto, h.os, r.Count, realOutcomeNames[ports], realOutcomeNames[osv], said))
	}

	var b strings.Builder
	b.WriteString("real captures, truth × verdict (ports | OS)\n")
	b.WriteString("| truth | host × proto | ports right | undecided | wrong | OS right | undecided | wrong |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n")
	var total cell
	n := 0
	for _, sys := range order {
		c := table[sys]
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d | %d | %d |\n", sys, c.os[0]+c.os[1]+c.os[2],
			c.ports[realRight], c.ports[realUndecided], c.ports[realWrong], c.os[realRight], c.os[realUndecided], c.os[realWrong])
		for i := range realOutcomes {
			total.ports[i] += c.ports[i]
			total.os[i] += c.os[i]
		}
		n += c.os[0] + c.os[1] + c.os[2]
	}
	fmt.Fprintf(&b, "| all | %d | %d | %d | %d | %d | %d | %d |\n", n,
		total.ports[realRight], total.ports[realUndecided], total.ports[realWrong], total.os[realRight], total.os[realUndecided], total.os[realWrong])
	b.WriteString("\n| capture host proto | truth | attempts | ports | OS | the OS line |\n| --- | --- | --- | --- | --- | --- |\n")
	b.WriteString(strings.Join(lines, "\n"))
	t.Log("\n" + b.String())
}

// fitProfileOf is the profile of a fit's "spec (kind)" label:
// "netbsd:algo=hash (bind)" is netbsd's.
func fitProfileOf(label string) string {
	spec, _, _ := strings.Cut(label, " (")
	name, _, _ := strings.Cut(spec, ":")
	return name
}

// readTruth reads truth.tsv: file, host, proto, os, system and the
// profiles that name the host right, comma-separated, or - when no
// profile models its system; # starts a comment.
func readTruth(t *testing.T, path string) []realHost {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	systems := map[string]string{}
	for _, p := range strategies.Profiles() {
		systems[p.Name] = p.System
	}
	var hosts []realHost
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fs := strings.Split(text, "\t")
		if len(fs) != 6 {
			t.Fatalf("%s:%d: %d fields; want 6 (file, host, proto, os, system, profiles)", path, line, len(fs))
		}
		h := realHost{file: fs[0], os: fs[3], system: fs[4]}
		if fs[5] != "-" {
			h.profiles = strings.Split(fs[5], ",")
		}
		if h.host, err = netip.ParseAddr(fs[1]); err != nil {
			t.Fatalf("%s:%d: %v", path, line, err)
		}
		switch fs[2] {
		case "tcp":
			h.proto = capture.TCP
		case "udp":
			h.proto = capture.UDP
		default:
			t.Fatalf("%s:%d: proto %q; want tcp or udp", path, line, fs[2])
		}
		for _, p := range h.profiles {
			if sys, ok := systems[p]; !ok || sys != h.system {
				t.Fatalf("%s:%d: profile %q is not a profile of system %s", path, line, p, h.system)
			}
		}
		hosts = append(hosts, h)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(hosts) == 0 {
		t.Fatalf("%s: no hosts", path)
	}
	return hosts
}
