package strategies

import (
	"os"
	"strings"
	"testing"

	"github.com/portsim/portsim/allocator"
)

// Every profile names valid strategies and host rules, and cites sources.
func TestProfilesAreWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range Profiles() {
		if seen[p.Name] {
			t.Errorf("profile %s listed twice", p.Name)
		}
		seen[p.Name] = true
		r, err := LookupProfile(p.Name)
		if err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		if err := r.Config().Validate(); err != nil {
			t.Errorf("%s: %v", p.Name, err)
		}
		for k := allocator.Connect; k <= allocator.UDP; k++ {
			if err := Validate(r.For(k)); err != nil {
				t.Errorf("%s %v: %v", p.Name, k, err)
			}
		}
		if len(p.Sources) == 0 || p.Description == "" {
			t.Errorf("%s: no sources or description", p.Name)
		}
		if p.Approximate != (p.Name == "windows") {
			t.Errorf("%s: approximate = %v", p.Name, p.Approximate)
		}
	}
	for _, want := range []string{"linux", "linux-5.12", "linux-4", "freebsd", "openbsd", "netbsd", "macos", "windows", "ns3", "omnet-inet"} {
		if !seen[want] {
			t.Errorf("profile %s missing", want)
		}
	}
}

func TestLookupProfile(t *testing.T) {
	tests := []struct {
		spec, connect, udp, err string
	}{
		{spec: "linux", connect: "linux", udp: "linux-udp"},
		{spec: "linux-5.12", connect: "linux:table-order=8,increments=off,resalt=0", udp: "linux-udp"},
		{spec: "macos", connect: "sequential", udp: "random"},
		{spec: "netbsd", connect: "sequential:direction=down", udp: "sequential:direction=down"},
		{spec: "netbsd:algo=randinc", connect: "random-increments:N=500", udp: "random-increments:N=500"},
		{spec: "netbsd:algo=doublehash", connect: "double-hash:table-length=8", udp: "double-hash:table-length=8"},
		{spec: "netbsd:algo=fast", err: `algo="fast"; want one of bsd, random_start`},
		{spec: "macos:algo=bsd", err: `unknown parameter "algo"`},
		{spec: "solaris", err: `unknown profile "solaris"; want one of linux,`},
	}
	for _, tt := range tests {
		p, err := LookupProfile(tt.spec)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v; want it to contain %q", tt.spec, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.spec, err)
		}
		if p.For(allocator.Connect) != tt.connect || p.For(allocator.UDP) != tt.udp {
			t.Errorf("%s: connect %q udp %q; want %q, %q", tt.spec, p.For(allocator.Connect), p.For(allocator.UDP), tt.connect, tt.udp)
		}
	}
	if err := ValidateSpec("profile:freebsd"); err != nil {
		t.Error(err)
	}
	if err := ValidateSpec("profile:linux:x=1"); err == nil {
		t.Error("profile:linux:x=1 accepted")
	}
}

// ProfileSpecs names every profile once and each NetBSD algorithm besides
// the default, all of which resolve.
func TestProfileSpecs(t *testing.T) {
	specs := ProfileSpecs()
	want := len(Profiles()) + len(netbsdNames) - 1
	if len(specs) != want {
		t.Fatalf("%d specs %q; want %d", len(specs), specs, want)
	}
	for _, spec := range specs {
		if _, err := LookupProfile(spec); err != nil {
			t.Errorf("%s: %v", spec, err)
		}
	}
	if !strings.Contains(strings.Join(specs, " "), "netbsd:algo=randinc") {
		t.Errorf("no netbsd:algo=randinc in %q", specs)
	}
}

// The teaching texts are plain text (their readers escape or wrap them as
// they need), written as sentences; every range a profile names is valid.
func TestTexts(t *testing.T) {
	plain := func(what, s string, sentence bool) {
		t.Helper()
		switch {
		case strings.TrimSpace(s) != s || s == "":
			t.Errorf("%s: %q is empty or padded", what, s)
		case strings.ContainsAny(s, "<>&\n"):
			t.Errorf("%s: %q is not plain text on one line", what, s)
		case sentence && !strings.HasSuffix(s, "."):
			t.Errorf("%s: %q does not end a sentence", what, s)
		}
	}
	for _, info := range All() {
		plain(info.Name+" Description", info.Description, false)
		plain(info.Name+" How", info.How, true)
		if info.Systems != "" {
			plain(info.Name+" Systems", info.Systems, false)
		}
		if !strings.HasPrefix(info.Summary(), info.Description) {
			t.Errorf("%s: Summary %q does not start with Description", info.Name, info.Summary())
		}
	}
	for _, p := range Profiles() {
		plain(p.Name+" System", p.System, false)
		plain(p.Name+" How", p.How, true)
		if p.RangeNote != "" {
			plain(p.Name+" RangeNote", p.RangeNote, false)
		}
		for _, o := range p.OtherRanges {
			plain(p.Name+" OtherRanges", o.When, false)
			if err := o.Range.Validate(); err != nil || o.Range == p.Range {
				t.Errorf("%s: other range %v: %v (or the same as Range)", p.Name, o.Range, err)
			}
		}
	}
}

// The README's strategy table is the registry's listing: a row per
// strategy, in order, with its Summary.
func TestREADMETable(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(b), "| strategy | what it models |\n| --- | --- |\n")
	if !ok {
		t.Fatal("README.md has no strategy table")
	}
	table, _, _ = strings.Cut(table, "\n\n")
	rows := strings.Split(table, "\n")
	var want []string
	for _, info := range All() {
		want = append(want, "| `"+info.Name+"` | "+info.Summary()+" |")
	}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("README.md's strategy table differs from the registry; want its rows to be:\n%s", strings.Join(want, "\n"))
	}
}
