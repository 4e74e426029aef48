package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/internal/fielderr"
	"github.com/portsim/portsim/internal/format"
	"github.com/portsim/portsim/observe/capture"
	"github.com/portsim/portsim/observe/fit"
	"github.com/portsim/portsim/observe/probe"
	"github.com/portsim/portsim/plots"
	"github.com/spf13/pflag"
)

func init() {
	register(&command{
		name:    "probe",
		summary: "ask this machine's kernel for ports over loopback and compare with the models",
		args:    "[flags]",
		about: `Probe opens a TCP listener and a UDP socket on each --dst (loopback only:
127.0.0.0/8 and ::1), then makes --count connections to each, round-robin,
for each --kind, and records the source port the kernel chose:

  connect  connect() on an unbound socket (the port is chosen at connect)
  bind     bind(127.0.0.1 or ::1, port 0), then connect() (chosen at bind)
  udp      a UDP socket connect()ed to the listener, one datagram sent

Each connection is closed before the next; with --close rst (the default)
by a reset, so nothing is left in TIME_WAIT. Probe prints the kernel's
ip_local_port_range, ip_local_reserved_ports and tcp_tw_reuse, then for each
kind the parity of the ports, the steps between successive ports to one
destination, and whether they could come from portsim's model of that path:
linux for connect, linux-bind for bind, linux-udp for udp, run on the same
requests with the kernel's range. Each check (parity, steps, spread, starts,
counters) gives a p-value; the model is rejected when one falls below 0.001
divided by the number of checks. "Does not match" is a finding, not an
error: probe still exits 0. Off Linux the ports are shown but not compared.`,
		examples: `# the default: 1000 connections of each kind to 127.0.0.1, .2, .3 and ::1
portsim probe
# a quick look at connect() alone, to two destinations
portsim probe --kind connect --count 200 --dst 127.0.0.1 --dst 127.0.0.2
# samples.csv, probe.json and the port-signature chart, kernel beside model
portsim probe --out probe-out/`,
		setup: probeSetup,
	})
}

// probeSchema versions probe's JSON.
const probeSchema = "portsim.probe/v1"

type probeFlags struct {
	dsts   []string
	src    string
	count  int
	kinds  []string
	close  string
	seed   uint64
	out    string
	format string
}

func probeSetup(fs *pflag.FlagSet) action {
	var f probeFlags
	fs.StringSliceVar(&f.dsts, "dst", nil, "destination `IP` or IP:PORT on loopback; repeat it (or use commas) for several\n(default 127.0.0.1, 127.0.0.2, 127.0.0.3 and ::1 when the host has it)")
	fs.StringVar(&f.src, "src", "", "local loopback `IP` for every probe (default: the kernel's choice; bind uses 127.0.0.1 or ::1)")
	fs.IntVarP(&f.count, "count", "n", 1000, fmt.Sprintf("connections per destination per kind, `N` from 1 to %d", probe.MaxCount))
	fs.StringSliceVar(&f.kinds, "kind", probe.KindNames(), "`KINDS` to probe: connect, bind, udp, comma-separated")
	fs.StringVar(&f.close, "close", probe.CloseRST, "how each TCP connection ends, `HOW`: rst (no TIME_WAIT) or fin (client first, TIME_WAIT)")
	fs.Uint64Var(&f.seed, "seed", 1, "`SEED` for the models' keys and random draws")
	fs.StringVar(&f.out, "out", "", "also write samples.csv, probe.json and port-signature.png into `DIR`")
	fs.StringVarP(&f.format, "format", "f", "text", "output `FORMAT`: text or json")
	return func(e *env, args []string) error {
		if len(args) > 0 {
			return usagef("unexpected argument %q; probe takes only flags", args[0])
		}
		cfg, err := f.validate()
		if err != nil {
			return err
		}
		if err := checkOutputs(outDirs("out", f.out)); err != nil {
			return err
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		return runProbe(ctx, e, cfg, f)
	}
}

// validate turns the flags into a probe configuration, checking every one
// before anything runs.
func (f *probeFlags) validate() (probe.Config, error) {
	cfg := probe.Config{Count: f.count, Close: f.close}
	switch f.format {
	case "text", "json":
	default:
		return cfg, usagef("--format: %q is not a format; want text or json", f.format)
	}
	if f.src != "" {
		a, err := netip.ParseAddr(f.src)
		if err != nil {
			return cfg, usagef("--src: %q is not an IP address; want a loopback address such as 127.0.0.1 or ::1", f.src)
		}
		cfg.Src = a
	}
	for _, d := range f.dsts {
		ap, err := parseProbeDst(d)
		if err != nil {
			return cfg, err
		}
		cfg.Dsts = append(cfg.Dsts, ap)
	}
	if len(f.kinds) == 0 {
		return cfg, usagef("--kind: none given; want one or more of %s", strings.Join(probe.KindNames(), ", "))
	}
	for _, name := range f.kinds {
		k, err := allocator.ParseKind(name)
		if err != nil {
			return cfg, usagef("--kind %q: want %s", name, strings.Join(probe.KindNames(), ", "))
		}
		cfg.Kinds = append(cfg.Kinds, k)
	}
	if _, err := cfg.Validate(); err != nil {
		var fe *fielderr.Error
		if errors.As(err, &fe) {
			return cfg, usagef("--%v", err)
		}
		return cfg, err
	}
	return cfg, nil
}

// parseProbeDst reads IP or IP:PORT; a bare IPv6 address needs no brackets.
func parseProbeDst(s string) (netip.AddrPort, error) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.AddrPortFrom(a, 0), nil
	}
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return ap, usagef("--dst: %q is not an IP address or IP:PORT; want a loopback address such as 127.0.0.2, ::1 or 127.0.0.2:8080", s)
	}
	return ap, nil
}

// probeReport is probe's JSON (schema portsim.probe/v1) and what the text
// output prints.
type probeReport struct {
	Schema  string            `json:"schema"`
	Kernel  probe.Kernel      `json:"kernel"`
	Config  probeConfigJSON   `json:"config"`
	Kinds   []probeKindReport `json:"kinds"`
	Notes   []string          `json:"notes"`
	Partial bool              `json:"partial,omitempty"`
}

type probeConfigJSON struct {
	Dsts  []string         `json:"dsts"`
	Src   string           `json:"src,omitempty"`
	Count int              `json:"count"`
	Kinds []allocator.Kind `json:"kinds"`
	Close string           `json:"close"`
	Seed  uint64           `json:"seed"`
}

type probeKindReport struct {
	Kind allocator.Kind `json:"kind"`
	fit.Summary
	ElapsedSeconds float64      `json:"elapsed_s"`
	Verdict        *fit.Verdict `json:"verdict"` // null where no comparison was made
}

func runProbe(ctx context.Context, e *env, cfg probe.Config, f probeFlags) error {
	res, err := probe.Run(ctx, cfg)
	partial := false
	if err != nil {
		// Ctrl-C: report what was seen so far, marked partial.
		if !errors.Is(err, context.Canceled) || res == nil || len(res.Samples) == 0 {
			return err
		}
		partial = true
	}
	rep, err := newProbeReport(res, f.seed)
	if err != nil {
		return err
	}
	rep.Partial = partial

	if f.out != "" {
		paths, err := writeProbeOut(f.out, res, rep, f.seed)
		for _, p := range paths {
			fmt.Fprintf(e.stderr, "wrote %s\n", p)
		}
		if err != nil {
			return err
		}
	}
	write := writeProbeText
	if f.format == "json" {
		write = func(w io.Writer, rep *probeReport) error { return writeJSON(w, rep) }
	}
	if err := write(e.stdout, rep); err != nil {
		return err
	}
	if partial {
		fmt.Fprintln(e.stderr, "stopped: the results are partial")
	}
	return interrupted(partial)
}

// linuxRules are the kernel's rules as the Linux models take them: none
// where they could not be read.
func linuxRules(k probe.Kernel) fit.LinuxRules {
	if !k.Known {
		return fit.LinuxRules{}
	}
	return fit.LinuxRules{Range: k.Range, Reserved: k.Reserved, UDPHashEntries: k.UDPHashEntries}
}

// newProbeReport summarizes each kind's ports and judges them against the
// Linux models with the kernel's rules, the models' randomness drawn from
// seed.
func newProbeReport(res *probe.Result, seed uint64) (*probeReport, error) {
	rep := &probeReport{Schema: probeSchema, Kernel: res.Kernel, Notes: res.Notes}
	if rep.Notes == nil {
		rep.Notes = []string{}
	}
	rep.Config = probeConfigJSON{Count: res.Config.Count, Kinds: res.Config.Kinds, Close: res.Config.Close, Seed: seed}
	for _, d := range res.Config.Dsts {
		rep.Config.Dsts = append(rep.Config.Dsts, d.String())
	}
	if res.Config.Src.IsValid() {
		rep.Config.Src = res.Config.Src.String()
	}

	rng := res.Kernel.Range
	if !res.Kernel.Known {
		rng = allocator.Range{Lo: 1, Hi: 65535}
	}
	rules := linuxRules(res.Kernel)
	judge := true
	for _, kind := range res.Kinds() {
		obs := res.Attempts(kind)
		kr := probeKindReport{Kind: kind, Summary: fit.Summarize(obs, rng)}
		for _, t := range res.Timings {
			if t.Kind == kind {
				kr.ElapsedSeconds = t.Elapsed.Seconds()
			}
		}
		if judge {
			v, err := rules.Judge(obs, kind, seed)
			switch {
			case errors.Is(err, fit.ErrRulesUnknown):
				rep.Notes = append(rep.Notes, "no comparison with the Linux models: "+err.Error())
				judge = false
			case err != nil:
				return nil, err
			}
			kr.Verdict = v
		}
		rep.Kinds = append(rep.Kinds, kr)
	}
	return rep, nil
}

func writeProbeText(w io.Writer, rep *probeReport) error {
	k := rep.Kernel
	if rep.Partial {
		fmt.Fprintln(w, "PARTIAL: the probe was interrupted; what follows covers the connections made so far.")
	}
	if k.Known {
		reserved := "none"
		if len(k.Reserved) > 0 {
			reserved = allocator.FormatRanges(k.Reserved)
		}
		fmt.Fprintf(w, "kernel   %s\n", k.OS)
		fmt.Fprintf(w, "range    ip_local_port_range %v (%d ports)\n", k.Range, k.Range.Size())
		fmt.Fprintf(w, "reserved ip_local_reserved_ports %s\n", reserved)
		fmt.Fprintf(w, "reuse    tcp_tw_reuse %s\n", twReuseWords(k.TWReuse))
		if k.UDPHashEntries > 0 {
			fmt.Fprintf(w, "udp      hash table of %d slots\n", k.UDPHashEntries)
		}
	} else {
		fmt.Fprintf(w, "kernel   %s: port range, reserved ports and tcp_tw_reuse unknown\n", k.OS)
	}
	fmt.Fprintf(w, "probed   %s; %d per destination per kind; close %s\n", strings.Join(rep.Config.Dsts, ", "), rep.Config.Count, rep.Config.Close)
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "note     %s\n", n)
	}
	for _, kr := range rep.Kinds {
		fmt.Fprintf(w, "\n%s: %d ports to %s in %s\n", kr.Kind, kr.Count, format.Plural(kr.Dsts, "destination"), seconds(kr.ElapsedSeconds))
		fmt.Fprintf(w, "  parity  %s even, %s odd\n", format.Percent(kr.Even, 1), format.Percent(kr.Odd, 1))
		if kr.Steps > 0 {
			var top []string
			for _, s := range kr.TopSteps {
				top = append(top, fmt.Sprintf("%+d (%s)", s.Step, format.Percent(s.Share, 1)))
			}
			most := "none within ±32"
			if len(top) > 0 {
				most = strings.Join(top, ", ")
			}
			fmt.Fprintf(w, "  steps   %d to the same destination: %s within ±32, median |step| %d; most common %s\n",
				kr.Steps, format.Percent(kr.NearShare, 1), kr.UpperMedianAbs, most)
		}
		v := kr.Verdict
		if v == nil {
			continue
		}
		fmt.Fprintf(w, "  %s\n", v)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, c := range v.Checks {
			status := "pass"
			switch {
			case c.Skipped:
				status = "skip"
			case !c.Pass:
				status = "FAIL"
			}
			fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\n", status, c.Name, fit.FormatP(c.P), c.Detail)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(rep.Kinds) > 0 && rep.Kinds[0].Verdict != nil {
		fmt.Fprintf(w, "\nEach check compares the kernel's ports with the model's on the same requests; a model is\nrejected when a check's p-value is below %g divided by the number of checks.\n", fit.DefaultAlpha)
	}
	return nil
}

func twReuseWords(n int) string {
	switch n {
	case 0:
		return "0 (off)"
	case 1:
		return "1 (on)"
	case 2:
		return "2 (loopback only)"
	case -1:
		return "unknown"
	}
	return strconv.Itoa(n)
}

func seconds(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(time.Millisecond).String()
}

// writeProbeOut writes samples.csv, probe.json and port-signature.png into
// dir, each under a temporary name first.
func writeProbeOut(dir string, res *probe.Result, rep *probeReport, seed uint64) ([]string, error) {
	od, err := newRunDir(dir)
	if err != nil {
		return nil, err
	}
	if err := od.put("samples.csv", res.WriteCSV); err != nil {
		return od.paths, err
	}
	if err := od.put("probe.json", func(w io.Writer) error { return writeJSON(w, rep) }); err != nil {
		return od.paths, err
	}
	series, err := signatureSeries(res, seed)
	if err != nil {
		return od.paths, err
	}
	path := filepath.Join(dir, "port-signature.png")
	if err := plots.PortSignature(series).Save(path); err != nil {
		return od.paths, err
	}
	return append(od.paths, path), nil
}

// signatureSeries puts the kernel's ports and the model's for the same
// requests side by side, as the port-signature chart's panels: "kernel
// (connect)", "model linux", and so on. The chart is built here rather
// than in probe or fit so that they need not import plots.
func signatureSeries(res *probe.Result, seed uint64) ([]plots.PortSeries, error) {
	dstIndex := map[netip.Addr]int{}
	for i, d := range res.Config.Dsts {
		dstIndex[d.Addr()] = i
	}
	var out []plots.PortSeries
	rules := linuxRules(res.Kernel)
	for _, kind := range res.Kinds() {
		obs := res.Attempts(kind)
		out = append(out, attemptSeries{"kernel (" + kind.String() + ")", obs, dstIndex})
		if !res.Kernel.Known {
			continue
		}
		model, err := rules.Model(kind)
		if err != nil {
			return nil, err
		}
		ms, err := fit.ModelSamples(obs, kind, model, seed, rules.Range, rules.Reserved)
		if err != nil {
			return nil, err
		}
		out = append(out, attemptSeries{"model " + model, ms, dstIndex})
	}
	return out, nil
}

// attemptSeries is one kind's attempts as the port-signature chart reads
// them: time from the first attempt, each destination by its place in the
// --dst list.
type attemptSeries struct {
	name string
	obs  []capture.Attempt
	dst  map[netip.Addr]int
}

func (s attemptSeries) Name() string { return s.name }
func (s attemptSeries) Len() int     { return len(s.obs) }

func (s attemptSeries) Port(i int) (float64, uint16, int) {
	a := &s.obs[i]
	return a.Time.Sub(s.obs[0].Time).Seconds(), a.SrcPort, s.dst[a.Dst]
}
