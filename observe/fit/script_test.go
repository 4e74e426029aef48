// Script tests: they pin, byte for byte, what the analysis prints today —
// capture counts, every HostReport's text ('portsim analyze' output) and
// JSON, the reports on attempts simulated from every OS profile, and the
// probe's two-sample verdicts (Judge, LinuxRules.Judge and Model,
// Summarize, ModelSamples) — so that moving this code between packages
// can be shown to change no verdict, text or number.
//
// Each file in testdata/script is a github.com/cockroachdb/datadriven
// script of the commands below; files named by a command (file=PATH) are
// read relative to the scripts' parent directory, testdata, and must lie
// inside it (testdata/captures, testdata/probe-samples), so the scripts
// and their inputs move together. A JSON value is printed as json.Marshal
// writes it, with a line break before each element of its "fits" or
// "checks" array and before the array's closing bracket: delete every
// newline and the two spaces after it to get the marshalled bytes back.
//
//	analyze file=PATH [host=IP] [proto=tcp|udp] [top=N] [min=N]
//	    Reads a capture (capture.ReadFile) and prints its counts, then each
//	    HostReport of the attempts that pass the host and proto filters:
//	    String(), then its JSON. top is how many fits to keep (default 3,
//	    as 'portsim analyze'; 0 keeps all), min is AnalyzeOptions.MinAttempts.
//	simulate [RUN] [top=N] [min=N]
//	    Simulates each run (the RUN arguments on the command line, and one
//	    "run RUN" per input line) through package sim, takes each run's
//	    first n attempts, prints a digest of them, and analyzes them all
//	    together as 'analyze' does. RUN is profile=SPEC n=N [kind=connect|
//	    bind|udp] [seed=S] [destinations=D] [rate=R] [popularity=P]
//	    [src=IP] [ipv6] [gateway=SPEC hosts=H] [lifetime=L]: N connections
//	    arriving at rate R/s (default 20), Poisson, to D destinations
//	    (default 5) with popularity P (default zipf:1), each reset after
//	    about L (default exp:100ms); seed defaults to 7. With a gateway,
//	    H hosts behind it share the arrivals and each attempt is as a
//	    capture outside sees it: from its public address and port.
//	judge kind=K model=SPEC file=PATH [seed=N] [range=LO-HI] [reserved=LIST] [alpha=A]
//	    Reads probe samples (the CSV 'portsim probe --out' writes) and
//	    prints Judge's verdict on those of kind K: its line, its fields,
//	    each check's fields, and its JSON. range defaults to Linux's
//	    32768-60999. A K that is not a request kind is refused as Judge
//	    once refused it (its kind is typed now).
//	verdicts file=PATH [seed=N] [range=LO-HI] [reserved=LIST] [udp-hash=N] [known=BOOL]
//	    Judges probe samples as 'portsim probe' does, on a host with those
//	    rules (LinuxRules; known=false gives the zero rules): for each
//	    kind, in the order connect, bind, udp, its model (Model), its
//	    Summarize and its verdict (LinuxRules.Judge). The first error
//	    from Judge is printed first, and stops the judging.
//	model-samples kind=K model=SPEC file=PATH [seed=N] [range=LO-HI] [reserved=LIST]
//	    Runs ModelSamples on the requests of the file's samples of kind K
//	    and prints how many, a digest, the first rows and how many ports
//	    differ from the file's.
//
// seed defaults to 1 for judge, verdicts and model-samples. Errors from
// the code under test are printed as "error: ..." and pinned too; a bad
// command or argument fails the test.
//
// simulate also pins what package sim makes: when a simulate case changes
// but its "run ..." digest line does not, the analysis changed; when the
// digest changed too, the simulated attempts did. Numbers are printed to
// the last bit, as json.Marshal writes them; they were recorded on
// linux/amd64, and an architecture whose compiler fuses multiply-adds
// (arm64, for one) may differ in the last digits.
//
// To regenerate the expected output after an intended change (and then
// read the diff):
//
//	go test ./observe/fit -run TestScript -rewrite
package fit_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/internal/fielderr"
	"github.com/portsim/portsim/observe/capture"
	"github.com/portsim/portsim/observe/fit"
	"github.com/portsim/portsim/strategies"
)

// scriptDir holds the scripts; file= arguments are relative to its parent.
const scriptDir = "testdata/script"

// scriptEpoch is where simulated time 0 lands in a simulated run's attempts.
var scriptEpoch = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

func TestScript(t *testing.T) {
	datadriven.Walk(t, scriptDir, func(t *testing.T, path string) {
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			var b strings.Builder
			switch d.Cmd {
			case "analyze":
				scriptAnalyze(t, d, &b)
			case "simulate":
				scriptSimulate(t, d, &b)
			case "judge":
				scriptJudge(t, d, &b)
			case "verdicts":
				scriptVerdicts(t, d, &b)
			case "model-samples":
				scriptModelSamples(t, d, &b)
			default:
				d.Fatalf(t, "unknown command %q; want analyze, simulate, judge, verdicts or model-samples", d.Cmd)
			}
			return b.String()
		})
	})
}

// TestScriptCoversEveryProfile checks that the scripts simulate 200
// attempts of connect() and of UDP from every profile spec, so that a new
// profile gets pinned too.
func TestScriptCoversEveryProfile(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(scriptDir, "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts in %s: %v", scriptDir, err)
	}
	have := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			have[strings.TrimSpace(line)] = true
		}
	}
	for _, spec := range strategies.ProfileSpecs() {
		for _, kind := range []string{"connect", "udp"} {
			if want := "simulate profile=" + spec + " kind=" + kind + " n=200"; !have[want] {
				t.Errorf("no script has the line %q", want)
			}
		}
	}
}

// scriptArgs reads a command's arguments, failing the test on any it does
// not know, on a repeated one, and on one it cannot parse.
type scriptArgs struct {
	t    *testing.T
	d    *datadriven.TestData
	args map[string]datadriven.CmdArg
	used map[string]bool
}

func newScriptArgs(t *testing.T, d *datadriven.TestData, cmdArgs []datadriven.CmdArg, known ...string) *scriptArgs {
	a := &scriptArgs{t: t, d: d, args: map[string]datadriven.CmdArg{}, used: map[string]bool{}}
	for _, arg := range cmdArgs {
		if !slices.Contains(known, arg.Key) {
			d.Fatalf(t, "%s: unknown argument %q; want %s", d.Cmd, arg.Key, strings.Join(known, ", "))
		}
		if _, dup := a.args[arg.Key]; dup {
			d.Fatalf(t, "%s: argument %q given twice", d.Cmd, arg.Key)
		}
		a.args[arg.Key] = arg
	}
	return a
}

func (a *scriptArgs) has(key string) bool { _, ok := a.args[key]; return ok }

// str is key's single value, or def when it is absent; def "" with the
// key absent fails the test (a required argument).
func (a *scriptArgs) str(key, def string) string {
	arg, ok := a.args[key]
	if !ok {
		if def == "" {
			a.d.Fatalf(a.t, "%s: argument %s= is required", a.d.Cmd, key)
		}
		return def
	}
	if len(arg.Vals) != 1 || arg.Vals[0] == "" {
		a.d.Fatalf(a.t, "%s: argument %s wants one value, got %v", a.d.Cmd, key, arg.Vals)
	}
	return arg.Vals[0]
}

func (a *scriptArgs) int(key string, def int) int {
	if !a.has(key) {
		return def
	}
	s := a.str(key, "")
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		a.d.Fatalf(a.t, "%s: %s=%s: want a whole number ≥ 0", a.d.Cmd, key, s)
	}
	return n
}

func (a *scriptArgs) uint64(key string, def uint64) uint64 {
	if !a.has(key) {
		return def
	}
	s := a.str(key, "")
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		a.d.Fatalf(a.t, "%s: %s=%s: want a whole number ≥ 0", a.d.Cmd, key, s)
	}
	return n
}

// flag is a bare key (true), or key=true|false.
func (a *scriptArgs) flag(key string, def bool) bool {
	arg, ok := a.args[key]
	if !ok {
		return def
	}
	if len(arg.Vals) == 0 {
		return true
	}
	v, err := strconv.ParseBool(a.str(key, ""))
	if err != nil {
		a.d.Fatalf(a.t, "%s: %s=%s: want true or false", a.d.Cmd, key, arg.Vals[0])
	}
	return v
}

func (a *scriptArgs) oneOf(key, def string, choices ...string) string {
	v := a.str(key, def)
	if !slices.Contains(choices, v) {
		a.d.Fatalf(a.t, "%s: %s=%s: want one of %s", a.d.Cmd, key, v, strings.Join(choices, ", "))
	}
	return v
}

func (a *scriptArgs) rng(key string) allocator.Range {
	if !a.has(key) {
		return allocator.LinuxRange
	}
	r, err := allocator.ParseRange(a.str(key, ""))
	if err != nil {
		a.d.Fatalf(a.t, "%s: %s: %v", a.d.Cmd, key, err)
	}
	return r
}

func (a *scriptArgs) ranges(key string) []allocator.Range {
	if !a.has(key) {
		return nil
	}
	arg := a.args[key]
	rs, err := allocator.ParseRanges(strings.Join(arg.Vals, ","))
	if err != nil {
		a.d.Fatalf(a.t, "%s: %s: %v", a.d.Cmd, key, err)
	}
	return rs
}

// path resolves a file= argument against testdata, refusing paths that
// leave it.
func (a *scriptArgs) path(key string) string {
	p := a.str(key, "")
	if !filepath.IsLocal(p) {
		a.d.Fatalf(a.t, "%s: %s=%s: want a path inside %s", a.d.Cmd, key, p, filepath.Dir(scriptDir))
	}
	full := filepath.Join(filepath.Dir(scriptDir), p)
	if _, err := os.Stat(full); err != nil {
		a.d.Fatalf(a.t, "%s: %v", a.d.Cmd, err)
	}
	return full
}

func scriptAnalyze(t *testing.T, d *datadriven.TestData, b *strings.Builder) {
	a := newScriptArgs(t, d, d.CmdArgs, "file", "host", "proto", "top", "min")
	path := a.path("file")
	var host netip.Addr
	if a.has("host") {
		h, err := netip.ParseAddr(a.str("host", ""))
		if err != nil {
			d.Fatalf(t, "analyze: host: %v", err)
		}
		host = h
	}
	var proto capture.Proto
	switch a.oneOf("proto", "any", "any", "tcp", "udp") {
	case "tcp":
		proto = capture.TCP
	case "udp":
		proto = capture.UDP
	}
	opts := fit.AnalyzeOptions{Top: a.int("top", 3), MinAttempts: a.int("min", 0), Host: host, Proto: proto}
	noInput(t, d)

	c, err := capture.ReadFile(path, capture.ReadOptions{})
	if err != nil {
		fmt.Fprintf(b, "error: %v\n", err)
		return
	}
	links := make([]string, len(c.LinkTypes))
	for i, l := range c.LinkTypes {
		links[i] = l.String()
	}
	if len(links) == 0 {
		links = []string{"none"}
	}
	fmt.Fprintf(b, "format %s; link types %s\n", c.Format, strings.Join(links, ", "))
	fmt.Fprintf(b, "packets %d: %d attempts, %d not attempts, %d malformed; flow overflow %d; truncated %v\n",
		c.Packets, c.Attempts.Len(), c.NotAttempts, c.Malformed, c.FlowOverflow, c.Truncated)
	writeCounts(b, "not attempt", c.NotAttemptsBy)
	writeCounts(b, "malformed", c.MalformedBy)

	writeReports(t, d, b, c.Attempts, opts)
}

// writeCounts prints a breakdown by reason, one line each, by name.
func writeCounts(b *strings.Builder, what string, by map[string]int) {
	names := make([]string, 0, len(by))
	for k := range by {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		fmt.Fprintf(b, "%s: %s %d\n", what, k, by[k])
	}
}

// writeReports analyzes attempts and prints each report's text and JSON.
func writeReports(t *testing.T, d *datadriven.TestData, b *strings.Builder, atts *capture.Attempts, opts fit.AnalyzeOptions) {
	reps := fit.Analyze(atts, opts)
	if len(reps) == 0 {
		b.WriteString("no attempts\n")
	}
	for i := range reps {
		r := &reps[i]
		b.WriteString(r.String())
		js, err := json.Marshal(r)
		if err != nil {
			d.Fatalf(t, "json: %v", err)
		}
		elems := make([][]byte, len(r.Fits))
		for j := range r.Fits {
			if elems[j], err = json.Marshal(r.Fits[j]); err != nil {
				d.Fatalf(t, "json: %v", err)
			}
		}
		writeJSON(t, d, b, js, "fits", elems)
	}
}

// writeJSON prints js, marshalled, with a line break before each of the
// elements of its array key (each marshalled on its own) and before the
// array's closing bracket.
func writeJSON(t *testing.T, d *datadriven.TestData, b *strings.Builder, js []byte, key string, elems [][]byte) {
	b.WriteString("json ")
	if len(elems) == 0 {
		b.Write(js)
		b.WriteString("\n")
		return
	}
	open := []byte(`"` + key + `":[`)
	arr := slices.Concat(open, bytes.Join(elems, []byte(",")), []byte("]"))
	i := bytes.Index(js, arr)
	if i < 0 || bytes.Index(js[i+1:], arr) >= 0 {
		d.Fatalf(t, "json: the %s array is not found once as its elements marshal: %s", key, js)
	}
	b.Write(js[:i+len(open)])
	for j, e := range elems {
		b.WriteString("\n  ")
		b.Write(e)
		if j < len(elems)-1 {
			b.WriteString(",")
		}
	}
	b.WriteString("\n")
	b.Write(js[i+len(arr)-1:])
	b.WriteString("\n")
}

func noInput(t *testing.T, d *datadriven.TestData) {
	if strings.TrimSpace(d.Input) != "" {
		d.Fatalf(t, "%s takes no input lines", d.Cmd)
	}
}

func scriptSimulate(t *testing.T, d *datadriven.TestData, b *strings.Builder) {
	runKeys := []string{"profile", "kind", "n", "seed", "destinations", "rate", "popularity", "src", "ipv6", "gateway", "hosts", "lifetime"}
	var runs [][]datadriven.CmdArg
	var opt []datadriven.CmdArg
	var here []datadriven.CmdArg
	for _, arg := range d.CmdArgs {
		if slices.Contains(runKeys, arg.Key) {
			here = append(here, arg)
		} else {
			opt = append(opt, arg)
		}
	}
	if len(here) > 0 {
		runs = append(runs, here)
	}
	for _, line := range strings.Split(d.Input, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		cmd, args, err := datadriven.ParseLine(line)
		if err != nil || cmd != "run" {
			d.Fatalf(t, "simulate: input line %q: want run profile=... n=... (%v)", line, err)
		}
		runs = append(runs, args)
	}
	if len(runs) == 0 {
		d.Fatalf(t, "simulate: no run; give profile= and n= or input lines \"run profile=... n=...\"")
	}
	a := newScriptArgs(t, d, opt, "top", "min")
	opts := fit.AnalyzeOptions{Top: a.int("top", 3), MinAttempts: a.int("min", 0)}

	var all []capture.Attempt
	for _, run := range runs {
		ra := newScriptArgs(t, d, run, runKeys...)
		atts := scriptRun(t, ra)
		dsts := map[netip.AddrPort]bool{}
		srcs := map[netip.Addr]bool{}
		for _, at := range atts {
			dsts[netip.AddrPortFrom(at.Dst, at.DstPort)] = true
			srcs[at.Src] = true
		}
		var srcList []string
		for s := range srcs {
			srcList = append(srcList, s.String())
		}
		slices.Sort(srcList)
		fmt.Fprintf(b, "run %s %s: %d attempts from %s to %d destinations, digest %s\n",
			ra.str("profile", ""), ra.str("kind", "connect"), len(atts), strings.Join(srcList, ", "), len(dsts), attemptDigest(atts))
		all = append(all, atts...)
	}
	writeReports(t, d, b, capture.NewAttempts(all), opts)
}

// scriptRun simulates one run and returns its first n attempts.
func scriptRun(t *testing.T, a *scriptArgs) []capture.Attempt {
	profile := a.str("profile", "")
	n := a.int("n", -1)
	if n < 1 {
		a.d.Fatalf(t, "simulate: n= is required, ≥ 1")
	}
	rate := 20.0
	if a.has("rate") {
		r, err := strconv.ParseFloat(a.str("rate", ""), 64)
		if err != nil || !(r > 0) {
			a.d.Fatalf(t, "simulate: rate=%s: want a rate > 0", a.str("rate", ""))
		}
		rate = r
	}
	// Twice the expected time for n arrivals, and 10 s: Poisson arrivals
	// fall short of that about never.
	secs := int(math.Ceil(2*float64(n)/rate)) + 10
	settings := []string{
		"rate", strconv.FormatFloat(rate, 'g', -1, 64), "duration", strconv.Itoa(secs) + "s", "warmup", "0s",
		"destinations", strconv.Itoa(a.int("destinations", 5)), "popularity", a.str("popularity", "zipf:1"),
		"lifetime", a.str("lifetime", "exp:100ms"), "close", "reset",
		"kind", a.oneOf("kind", "connect", "connect", "bind", "udp"),
		"seed", strconv.FormatUint(a.uint64("seed", 7), 10),
		"strategy", "profile:" + profile,
	}
	if a.flag("ipv6", false) {
		settings = append(settings, "ipv6", "true")
	}
	if a.has("src") {
		settings = append(settings, "src", a.str("src", ""))
	}
	if a.has("gateway") {
		settings = append(settings, "gateway", a.str("gateway", ""), "hosts", strconv.Itoa(a.int("hosts", 1)))
	}
	sc, samples, err := simulate(t.Context(), settings...)
	if err != nil {
		a.d.Fatalf(t, "simulate: %v", err)
	}
	var out []capture.Attempt
	for _, s := range samples {
		at, ok := sampleAttempt(&sc, s)
		if !ok {
			continue
		}
		out = append(out, at)
		if len(out) == n {
			return out
		}
	}
	a.d.Fatalf(t, "simulate: profile %s made %d attempts in %d s; want %d", profile, len(out), secs, n)
	return nil
}

// attemptDigest is a short hash of the attempts, in order: when a
// simulate case changes, it says whether the simulator's attempts changed
// or only what the analysis made of them.
func attemptDigest(atts []capture.Attempt) string {
	h := fnv.New64a()
	for _, a := range atts {
		fmt.Fprintf(h, "%d %v %v %d %v %d\n", a.Time.UnixNano(), a.Proto, a.Src, a.SrcPort, a.Dst, a.DstPort)
	}
	return fmt.Sprintf("%016x", h.Sum64())
}

// probeCSVHeader is the header of the samples 'portsim probe --out'
// writes (probe.CSVHeader).
var probeCSVHeader = []string{"kind", "n", "time", "src", "sport", "dst", "dport"}

// samples are probe samples: each kind's attempts, in the order made.
type samples map[allocator.Kind][]capture.Attempt

// readSamples reads probe samples as 'portsim probe --out' writes them.
func readSamples(t *testing.T, d *datadriven.TestData, path string) samples {
	f, err := os.Open(path)
	if err != nil {
		d.Fatalf(t, "%v", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		d.Fatalf(t, "%s: %v", path, err)
	}
	if len(rows) == 0 || !slices.Equal(rows[0], probeCSVHeader) {
		d.Fatalf(t, "%s: want the header %s", path, strings.Join(probeCSVHeader, ","))
	}
	out := samples{}
	for i, r := range rows[1:] {
		bad := func(err error) { d.Fatalf(t, "%s: row %d: %v", path, i+2, err) }
		kind, err := allocator.ParseKind(r[0])
		if err != nil {
			bad(err)
		}
		tm, err := time.Parse(time.RFC3339Nano, r[2])
		if err != nil {
			bad(err)
		}
		src, err := netip.ParseAddr(r[3])
		if err != nil {
			bad(err)
		}
		sport, err := strconv.ParseUint(r[4], 10, 16)
		if err != nil {
			bad(err)
		}
		dst, err := netip.ParseAddr(r[5])
		if err != nil {
			bad(err)
		}
		dport, err := strconv.ParseUint(r[6], 10, 16)
		if err != nil {
			bad(err)
		}
		proto := capture.TCP
		if kind == allocator.UDP {
			proto = capture.UDP
		}
		out[kind] = append(out[kind], capture.Attempt{
			Time: tm, Proto: proto, Src: src, SrcPort: uint16(sport), Dst: dst, DstPort: uint16(dport),
		})
	}
	return out
}

// kind reads a kind= argument. A name that is not a request kind is an
// error in the words Judge used when its kind was a string.
func (a *scriptArgs) kind() (allocator.Kind, error) {
	s := a.str("kind", "")
	k, err := allocator.ParseKind(s)
	if err != nil {
		return k, &fielderr.Error{Field: "kind", Value: strconv.Quote(s), Err: errors.New("want connect, bind, udp")}
	}
	return k, nil
}

func scriptJudge(t *testing.T, d *datadriven.TestData, b *strings.Builder) {
	a := newScriptArgs(t, d, d.CmdArgs, "kind", "model", "file", "seed", "range", "reserved", "alpha")
	file := readSamples(t, d, a.path("file"))
	opt := fit.VerdictOptions{Range: a.rng("range"), Reserved: a.ranges("reserved"), Seed: a.uint64("seed", 1)}
	if a.has("alpha") {
		al, err := strconv.ParseFloat(a.str("alpha", ""), 64)
		if err != nil {
			d.Fatalf(t, "judge: alpha: %v", err)
		}
		opt.Alpha = al
	}
	noInput(t, d)
	kind, err := a.kind()
	if err != nil {
		fmt.Fprintf(b, "error: %v\n", err)
		return
	}
	v, err := fit.Judge(file[kind], kind, a.str("model", ""), opt)
	if err != nil {
		fmt.Fprintf(b, "error: %v\n", err)
		return
	}
	writeVerdict(t, d, b, v)
}

func fullFloat(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// writeVerdict prints the verdict line, its fields, each check's fields and
// the JSON.
func writeVerdict(t *testing.T, d *datadriven.TestData, b *strings.Builder, v *fit.Verdict) {
	fmt.Fprintf(b, "%s\n", v)
	fmt.Fprintf(b, "  kind %s, model %s, n %d, match %v, p %s, alpha %s, reason %q\n",
		v.Kind, v.Model, v.N, v.Match, fullFloat(v.P), fullFloat(v.Alpha), v.Reason)
	elems := make([][]byte, len(v.Checks))
	for i, c := range v.Checks {
		status := "pass"
		switch {
		case c.Skipped:
			status = "skip"
		case !c.Pass:
			status = "FAIL"
		}
		fmt.Fprintf(b, "  %-4s %-8s %s (p %s)\n", status, c.Name, fit.FormatP(c.P), fullFloat(c.P))
		fmt.Fprintf(b, "       %s\n", c.Detail)
		if c.Finding != "" {
			fmt.Fprintf(b, "       finding: %s\n", c.Finding)
		}
		var err error
		if elems[i], err = json.Marshal(c); err != nil {
			d.Fatalf(t, "json: %v", err)
		}
	}
	js, err := json.Marshal(v)
	if err != nil {
		d.Fatalf(t, "json: %v", err)
	}
	writeJSON(t, d, b, js, "checks", elems)
}

func scriptVerdicts(t *testing.T, d *datadriven.TestData, b *strings.Builder) {
	a := newScriptArgs(t, d, d.CmdArgs, "file", "seed", "range", "reserved", "udp-hash", "known")
	file := readSamples(t, d, a.path("file"))
	rules := fit.LinuxRules{Range: a.rng("range"), Reserved: a.ranges("reserved"), UDPHashEntries: a.int("udp-hash", 0)}
	seed := a.uint64("seed", 1)
	noInput(t, d)
	rng := rules.Range
	if !a.flag("known", true) {
		rules = fit.LinuxRules{}
		rng = allocator.Range{Lo: 1, Hi: 65535} // as 'portsim probe' summarizes
	}
	var kinds []allocator.Kind
	for _, k := range []allocator.Kind{allocator.Connect, allocator.Bind, allocator.UDP} {
		if len(file[k]) > 0 {
			kinds = append(kinds, k)
		}
	}
	verdicts := map[allocator.Kind]*fit.Verdict{}
	for _, k := range kinds {
		v, err := rules.Judge(file[k], k, seed)
		if err != nil {
			fmt.Fprintf(b, "verdicts error: %v\n", err)
			break
		}
		verdicts[k] = v
	}
	for _, kind := range kinds {
		model, err := rules.Model(kind)
		if err != nil {
			model = "error: " + err.Error()
		}
		s := fit.Summarize(file[kind], rng)
		fmt.Fprintf(b, "%s: %d ports to %d destinations; model %s\n", kind, s.Count, s.Dsts, model)
		top := []string{"none"}
		if len(s.TopSteps) > 0 {
			top = nil
		}
		for _, st := range s.TopSteps {
			top = append(top, fmt.Sprintf("%+d %s", st.Step, fullFloat(st.Share)))
		}
		fmt.Fprintf(b, "  even %s, odd %s; %d steps, %s within ±32, median |step| %d; top %s\n",
			fullFloat(s.Even), fullFloat(s.Odd), s.Steps, fullFloat(s.NearShare), s.UpperMedianAbs, strings.Join(top, ", "))
		// As the probe report writes it, after the kind.
		js, err := json.Marshal(struct {
			Kind allocator.Kind `json:"kind"`
			fit.Summary
		}{kind, s})
		if err != nil {
			d.Fatalf(t, "json: %v", err)
		}
		fmt.Fprintf(b, "  summary json %s\n", js)
		if v := verdicts[kind]; v != nil {
			writeVerdict(t, d, b, v)
		}
	}
}

func scriptModelSamples(t *testing.T, d *datadriven.TestData, b *strings.Builder) {
	a := newScriptArgs(t, d, d.CmdArgs, "kind", "model", "seed", "file", "range", "reserved")
	file := readSamples(t, d, a.path("file"))
	noInput(t, d)
	kind, err := a.kind()
	if err != nil {
		fmt.Fprintf(b, "error: %v\n", err)
		return
	}
	same := file[kind]
	got, err := fit.ModelSamples(same, kind, a.str("model", ""), a.uint64("seed", 1), a.rng("range"), a.ranges("reserved"))
	if err != nil {
		fmt.Fprintf(b, "error: %v\n", err)
		return
	}
	differ := 0
	for i := range got {
		if i >= len(same) || got[i] != same[i] {
			differ++
		}
	}
	fmt.Fprintf(b, "%d samples of %s, digest %s; %d of %d differ from the file's\n", len(got), kind, attemptDigest(got), differ, len(same))
	for _, s := range got[:min(len(got), 6)] {
		fmt.Fprintf(b, "  %s %v %v:%d > %v:%d\n", kind, s.Time.Format(time.RFC3339Nano), s.Src, s.SrcPort, s.Dst, s.DstPort)
	}
}
