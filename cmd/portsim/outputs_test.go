package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// Every command checks every output path before its work: a bad target
// is a usage error at once, with nothing on stdout (issue 12: a bad
// --pcap was found only after the whole simulation).
func TestOutputsCheckedFirst(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "afile")
	sub := filepath.Join(dir, "adir")
	pcapDir := filepath.Join(dir, "x.pcapng")
	for _, p := range []string{sub, pcapDir, filepath.Join(dir, "two-random.pcapng")} {
		if err := os.Mkdir(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(dir, "dangling")
	if err := os.Symlink(filepath.Join(dir, "nowhere"), dangling); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "nowhere"), dangling+".pcapng"); err != nil {
		t.Fatal(err)
	}
	// Long enough that doing the work first would show.
	long := []string{"--strategy", "linux", "--rate", "2000", "--duration", "1h"}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"run --out a file", append([]string{"run", "--out", file}, long...), "--out " + file + ": is a file; want a directory"},
		{"run --charts a file", append([]string{"run", "--charts", file}, long...), "--charts " + file + ": is a file"},
		{"run --out under a file", append([]string{"run", "--out", file + "/sub"}, long...), file + " is not a directory"},
		{"run --out a dangling symlink", append([]string{"run", "--out", dangling}, long...), "is a symlink to " + filepath.Join(dir, "nowhere") + ", which does not exist"},
		{"run --pcap a directory", append([]string{"run", "--pcap", pcapDir}, long...), "--pcap " + pcapDir + ": is a directory"},
		{"run --pcap a dangling symlink", append([]string{"run", "--pcap", dangling + ".pcapng"}, long...), "which does not exist"},
		{"run --pcap in no directory", append([]string{"run", "--pcap", dir + "/no/x.pcapng"}, long...), "directory " + dir + "/no does not exist"},
		{"compare --pcap one strategy's file a directory", []string{"compare", "--strategy", "linux", "--strategy", "random", "--rate", "2000", "--duration", "1h", "--pcap", dir + "/two.pcapng"},
			"--pcap " + dir + "/two-random.pcapng: is a directory"},
		{"attack --out a file", []string{"attack", "tracking", "--out", file}, "--out " + file + ": is a file"},
		{"attack --charts a file", []string{"attack", "tracking", "--charts", file}, "--charts " + file + ": is a file"},
		{"demo --out a file", []string{"demo", "--out", file}, "--out " + file + ": is a file"},
		{"probe --out a file", []string{"probe", "--count", "1", "--kind", "udp", "--out", file}, "--out " + file + ": is a file"},
		{"plot --out a file", []string{"plot", "--out", file, dir}, "--out " + file + ": is a file"},
		{"report --out a directory", []string{"report", "--out", sub, dir}, "--out " + sub + ": is a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			r := portsim(tc.args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) || r.stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2, nothing and %q", r.code, r.stdout, r.stderr, tc.want)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v; want the check before any work", d)
			}
		})
	}
	if os.Geteuid() != 0 { // root writes anywhere
		ro := filepath.Join(dir, "ro")
		os.Mkdir(ro, 0o555)
		r := portsim(append([]string{"run", "--out", ro + "/res"}, long...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, "directory "+ro+" is not writable") {
			t.Errorf("read-only: exit %d, %q", r.code, r.stderr)
		}
	}
}

// A run directory holds one run's output: what an earlier run wrote there
// and this one does not is removed, and so are interrupted writes'
// temporary files; anything else the user keeps there is left alone.
func TestOutDirOneRun(t *testing.T) {
	dir := t.TempDir()
	out, charts := filepath.Join(dir, "out"), filepath.Join(dir, "out") // one directory for both
	args := []string{"run", "--strategy", "linux", "--duration", "5s", "--out", out, "--charts", charts}
	if r := portsim(append(args, "--gateway", "netfilter", "--hosts", "2")...); r.code != 0 {
		t.Fatalf("first run: %d %s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "gateway.csv")); err != nil {
		t.Fatalf("the gateway run wrote no gateway.csv: %v", err)
	}
	first := names(t, out)
	for _, name := range []string{".results.json.tmp123456", ".port-signature.png.tmp99", "notes.txt"} {
		os.WriteFile(filepath.Join(out, name), []byte("x"), 0o644)
	}
	if r := portsim(args...); r.code != 0 {
		t.Fatalf("second run: %d %s", r.code, r.stderr)
	}
	got := names(t, out)
	for _, name := range []string{"gateway.csv", ".results.json.tmp123456", ".port-signature.png.tmp99"} {
		if slices.Contains(got, name) {
			t.Errorf("%s left from the first run; files now %v", name, got)
		}
	}
	for _, name := range []string{"notes.txt", "results.json", "allocations.csv"} {
		if !slices.Contains(got, name) {
			t.Errorf("%s missing; files now %v (first run: %v)", name, got, first)
		}
	}
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// A re-run with fewer strategies removes the earlier run's per-strategy
// captures, and only those: another --pcap name's stay.
func TestPcapOneRun(t *testing.T) {
	dir := t.TempDir()
	run := func(pcap string, strategies ...string) {
		t.Helper()
		args := []string{"run", "--duration", "2s", "--pcap", filepath.Join(dir, pcap)}
		for _, s := range strategies {
			args = append(args, "--strategy", s)
		}
		if r := portsim(args...); r.code != 0 {
			t.Fatalf("%v: %d %s", args, r.code, r.stderr)
		}
	}
	run("other.pcapng", "linux", "random")
	run("cap.pcapng", "linux", "random")
	os.WriteFile(filepath.Join(dir, ".cap-linux.pcapng.tmp42"), nil, 0o644)
	run("cap.pcapng", "sequential")
	got := names(t, dir)
	want := []string{".portsim-pcap", "cap.pcapng", "other-linux.pcapng", "other-random.pcapng"}
	if !slices.Equal(got, want) {
		t.Errorf("files %v; want %v", got, want)
	}
}

// plot and report read at most maxInputSize bytes of results, one file or
// several together, and refuse more before reading it (sparse files here:
// nothing is written).
func TestInputsBounded(t *testing.T) {
	dir := t.TempDir()
	if r := portsim("run", "--strategy", "linux", "--duration", "2s", "--out", dir+"/res"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	big := filepath.Join(dir, "big.json")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(maxInputSize + 1)
	f.Close()
	start := time.Now()
	r := portsim("plot", "--out", dir+"/charts", big)
	if r.code != exitUsage || !strings.Contains(r.stderr, "268435457 bytes, with the 0 read before, is over the limit of 268435456") {
		t.Errorf("exit %d, %q; want the size refused", r.code, r.stderr)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v; want the size refused before reading", d)
	}
	// The limit is on all the inputs together.
	in := &inputs{size: maxInputSize - 100}
	if _, err := in.read(filepath.Join(dir, "res", "results.json")); err == nil || !strings.Contains(err.Error(), "over the limit of 268435456 bytes for all the inputs") {
		t.Errorf("error %v; want the inputs' total refused", err)
	}
	if r := portsim("report", "--out", dir+"/ok.html", dir+"/res", dir+"/res"); r.code != 0 {
		t.Errorf("two small inputs: %d %s", r.code, r.stderr)
	}
}
