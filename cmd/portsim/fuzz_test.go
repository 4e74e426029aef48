package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// fuzzArgs splits a fuzzed command line at NUL bytes.
func fuzzArgs(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\x00")
}

// checkFuzzRun holds for any command line: no panic reaches the user
// (run turns one into "internal error"), a usage error (exit 2) leaves
// stdout empty and says what is wrong in one message, and the exit code
// is 0, 1 or 2.
func checkFuzzRun(t *testing.T, args []string) {
	t.Helper()
	r := portsim(args...)
	if strings.Contains(r.stderr, "internal error") {
		t.Fatalf("%q: %s", args, r.stderr)
	}
	switch r.code {
	case exitOK, exitFailure:
	case exitUsage:
		if r.stdout != "" && !strings.Contains(strings.Join(args, " "), "-h") {
			t.Fatalf("%q: usage error with output on stdout:\n%s", args, r.stdout)
		}
		if !strings.HasPrefix(r.stderr, "portsim: ") {
			t.Fatalf("%q: usage error without a message: %q", args, r.stderr)
		}
	default:
		t.Fatalf("%q: exit code %d", args, r.code)
	}
}

// FuzzExplainFlags: any explain command line prints its picks or is
// refused with a message; nothing panics.
func FuzzExplainFlags(f *testing.F) {
	for _, args := range [][]string{
		{"--strategy", "linux", "--count", "3"},
		{"--profile", "macos", "--kind", "bind", "-n", "5", "--format", "json"},
		{"--strategy", "random", "--range", "1000-1003", "--reserved", "1001", "--close", "-n", "10"},
		{"--strategy", "sequential", "--dst", "192.0.2.10:443,[2001:db8::10]:443", "--src", "fd00::1"},
		{"--interval", "-1s", "--seed", "18446744073709551615"},
		{"--range", "65535-1"}, {"--reserved", "0-65535"}, {"--count", "0"}, {"--count", "1e308"},
		{"--dst", "10.0.0.1"}, {"--src", "10.0.0.1:80"}, {"--profile", "netbsd:algo=randinc", "--strategy", "linux"},
		{"--lifetime", "lognormal:2s,1e308"}, {"--format", "yaml"}, {"extra"},
	} {
		f.Add(strings.Join(args, "\x00"))
	}
	f.Fuzz(func(t *testing.T, line string) {
		checkFuzzRun(t, append([]string{"explain"}, fuzzArgs(line)...))
	})
}

// FuzzAnalyzeFlags: any analyze flags, on a small capture, give its
// report or a message; nothing panics. The capture is always the test's
// own: a path the fuzzer made up is a second argument, refused.
func FuzzAnalyzeFlags(f *testing.F) {
	for _, args := range [][]string{
		{}, {"--host", "192.0.2.7", "--proto", "tcp", "--top", "20", "--format", "json"},
		{"--proto", "UDP", "-n", "1"}, {"--top", "0"}, {"--max-attempts", "-1"}, {"--max-attempts", "1"},
		{"--max-attempts", "99999999999999999999"}, {"--host", "::ffff:10.0.0.1"}, {"--format", "csv"},
		{"/dev/zero"}, {"--", "-"},
	} {
		f.Add(strings.Join(args, "\x00"))
	}
	capt, err := filepath.Abs("testdata/analyze-linux.csv")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, line string) {
		checkFuzzRun(t, append(append([]string{"analyze"}, fuzzArgs(line)...), "--", capt))
	})
}

// FuzzProbeFlags: probe's flag checks accept only loopback addresses, in
// every spelling, and refuse everything else with a message naming the
// flag, before any socket is opened.
func FuzzProbeFlags(f *testing.F) {
	for _, s := range [][6]string{
		{"127.0.0.1,::1", "", "1000", "connect,bind,udp", "rst", "text"},
		{"127.0.0.2:8080", "127.0.0.1", "10000", "connect,bind", "fin", "json"},
		{"::ffff:127.0.0.1", "", "1", "udp", "", "text"},
		{"10.0.0.1", "", "1", "connect", "rst", "text"},
		{"[::1]:0", "::1%lo", "1", "bind", "rst", "text"},
		{"0.0.0.0", "", "1", "connect", "rst", "text"},
		{"::", "127.0.0.1", "1", "connect", "rst", "text"},
		{"127.0.0.1", "::1", "1", "connect", "rst", "text"},
		{"localhost", "", "1", "connect", "rst", "text"},
		{"127.1", "", "1", "connect", "rst", "text"},
		{"0x7f.0.0.1", "", "1", "connect", "rst", "text"},
		{"2130706433", "", "1", "connect", "rst", "text"},
		{"::ffff:7f00:1", "", "1", "connect", "rst", "text"},
		{"fe80::1%lo", "", "1", "connect", "rst", "text"},
		{"127.0.0.1", "", "10000", "connect,bind", "fin", "text"},
	} {
		f.Add(s[0], s[1], s[2], s[3], s[4], s[5])
	}
	f.Fuzz(func(t *testing.T, dsts, src, count, kinds, close, format string) {
		// With --help last nothing runs: the help, or a flag's value refused
		// before pflag reaches --help.
		r := portsim("probe", "--dst", dsts, "--src", src, "--count", count, "--kind", kinds, "--close", close, "--format", format, "--help")
		if r.code != 0 && r.code != exitUsage || strings.Contains(r.stderr, "internal error") {
			t.Fatalf("--help: %d %s", r.code, r.stderr)
		}
		n := 0
		for _, c := range count {
			if c < '0' || c > '9' || n > 1e6 {
				return
			}
			n = n*10 + int(c-'0')
		}
		fl := probeFlags{src: src, count: n, kinds: strings.Split(kinds, ","), close: close, format: format}
		if dsts != "" {
			fl.dsts = strings.Split(dsts, ",")
		}
		cfg, err := fl.validate()
		if err != nil {
			if !strings.HasPrefix(err.Error(), "--") {
				t.Fatalf("error %q does not name its flag", err)
			}
			return
		}
		cfg, err = cfg.Validate()
		if err != nil {
			t.Fatalf("flags passed but the config does not validate: %v", err)
		}
		for _, d := range cfg.Dsts {
			if !d.Addr().IsLoopback() || d.Addr().Zone() != "" || d.Addr().Is4In6() {
				t.Fatalf("dst %v accepted from %q", d, dsts)
			}
		}
		if cfg.Src.IsValid() && !cfg.Src.IsLoopback() {
			t.Fatalf("src %v accepted from %q", cfg.Src, src)
		}
	})
}
