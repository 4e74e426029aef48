package main

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// result is one run of the CLI as a user would see it.
type result struct {
	code           int
	stdout, stderr string
}

func portsim(args ...string) result {
	var stdout, stderr bytes.Buffer
	code := runMain(args, &stdout, &stderr)
	return result{code, stdout.String(), stderr.String()}
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it)\n--- got:\n%s\n--- want:\n%s", path, got, want)
	}
}

// cliCase is a command line and what it must do.
type cliCase struct {
	name       string
	args       []string
	wantCode   int
	wantStdout []string // substrings of stdout
	wantStderr []string // substrings of stderr
}

func (c cliCase) check(t *testing.T) result {
	t.Helper()
	r := portsim(c.args...)
	if r.code != c.wantCode {
		t.Errorf("portsim %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(c.args, " "), r.code, c.wantCode, r.stdout, r.stderr)
	}
	for _, s := range c.wantStdout {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("portsim %s: stdout lacks %q:\n%s", strings.Join(c.args, " "), s, r.stdout)
		}
	}
	for _, s := range c.wantStderr {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("portsim %s: stderr lacks %q:\n%s", strings.Join(c.args, " "), s, r.stderr)
		}
	}
	if c.wantCode == exitUsage && r.stdout != "" {
		t.Errorf("portsim %s: a usage error printed to stdout:\n%s", strings.Join(c.args, " "), r.stdout)
	}
	if c.wantCode == exitOK && r.stderr != "" {
		t.Errorf("portsim %s: success printed to stderr:\n%s", strings.Join(c.args, " "), r.stderr)
	}
	return r
}

func TestDispatch(t *testing.T) {
	for _, c := range []cliCase{
		{name: "help", args: []string{"help"}, wantCode: 0, wantStdout: []string{"Usage:", "explain", "strategies"}},
		{name: "--help", args: []string{"--help"}, wantCode: 0, wantStdout: []string{"Usage:", "explain", "strategies"}},
		{name: "-h", args: []string{"-h"}, wantCode: 0, wantStdout: []string{"Commands:"}},
		{name: "help help", args: []string{"help", "help"}, wantCode: 0, wantStdout: []string{"Commands:"}},
		{name: "help explain", args: []string{"help", "explain"}, wantCode: 0,
			wantStdout: []string{"portsim explain [flags]", "--strategy SPEC", "--count N", "(default 8)", "Examples:", "--help"}},
		{name: "help strategies", args: []string{"help", "strategies"}, wantCode: 0, wantStdout: []string{"--format FORMAT", "Examples:"}},
		{name: "explain --help", args: []string{"explain", "--help"}, wantCode: 0, wantStdout: []string{"Flags:", "--interval DURATION", "(default 1s)"}},
		{name: "explain -h", args: []string{"explain", "-h"}, wantCode: 0, wantStdout: []string{"Flags:"}},
		{name: "help wins over bad values", args: []string{"explain", "--count", "0", "--help"}, wantCode: 0, wantStdout: []string{"Flags:"}},
		{name: "strategies --help", args: []string{"strategies", "--help"}, wantCode: 0, wantStdout: []string{"Flags:"}},
		{name: "no command", args: nil, wantCode: 2, wantStderr: []string{"Usage:", "no command given", "explain, strategies"}},
		{name: "unknown command", args: []string{"frobnicate"}, wantCode: 2,
			wantStderr: []string{`unknown command "frobnicate"`, "explain", "strategies", "portsim help"}},
		{name: "help unknown", args: []string{"help", "frobnicate"}, wantCode: 2, wantStderr: []string{`unknown command "frobnicate"`, "explain"}},
		{name: "help two", args: []string{"help", "explain", "strategies"}, wantCode: 2, wantStderr: []string{"at most one"}},
		{name: "flag before command", args: []string{"--count", "3", "explain"}, wantCode: 2, wantStderr: []string{`unknown command "--count"`}},
	} {
		t.Run(c.name, func(t *testing.T) { c.check(t) })
	}
}

// withCommand registers a command for one test.
func withCommand(t *testing.T, c *command) {
	t.Helper()
	register(c)
	t.Cleanup(func() { delete(commands, c.name) })
}

// A panic under a command is a bug, but the user sees a message and exit 1,
// not a stack dump; a runtime error is exit 1 too; a usage error from deep
// inside still gets the command's help pointer.
func TestExitCodes(t *testing.T) {
	withCommand(t, &command{name: "zz-panic", summary: "test", setup: func(*pflag.FlagSet) action {
		return func(*env, []string) error { panic("allocator: strategy returned port 7, which is not usable") }
	}})
	withCommand(t, &command{name: "zz-fail", summary: "test", setup: func(*pflag.FlagSet) action {
		return func(*env, []string) error { return errors.New("disk full") }
	}})
	withCommand(t, &command{name: "zz-usage", summary: "test", setup: func(*pflag.FlagSet) action {
		return func(*env, []string) error { return usagef("--thing: %q is not a thing; want a or b", "c") }
	}})
	for _, c := range []cliCase{
		{name: "panic", args: []string{"zz-panic"}, wantCode: 1, wantStderr: []string{"internal error", "not usable"}},
		{name: "failure", args: []string{"zz-fail"}, wantCode: 1, wantStderr: []string{"portsim: zz-fail: disk full"}},
		{name: "usage", args: []string{"zz-usage"}, wantCode: 2,
			wantStderr: []string{`portsim: zz-usage: --thing: "c" is not a thing; want a or b`, "Run 'portsim zz-usage --help'"}},
		{name: "listed", args: []string{"help"}, wantCode: 0, wantStdout: []string{"zz-fail"}},
	} {
		t.Run(c.name, func(t *testing.T) { c.check(t) })
	}
}

// Flag values must not leak from one run to the next: run is called many
// times in one process by the tests (and may be by an embedding program).
func TestFlagsDoNotLeak(t *testing.T) {
	first := portsim("explain", "--strategy", "sequential", "--count", "2", "--format", "csv")
	second := portsim("explain", "--strategy", "sequential", "--count", "2")
	if first.code != 0 || second.code != 0 {
		t.Fatalf("exit %d, %d: %s %s", first.code, second.code, first.stderr, second.stderr)
	}
	if strings.HasPrefix(second.stdout, "n,time") {
		t.Errorf("second run kept --format csv from the first:\n%s", second.stdout)
	}
}
