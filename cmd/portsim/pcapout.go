package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"time"

	"github.com/portsim/portsim/observe/capture"
	"github.com/portsim/portsim/sim"
)

// captureEpoch is the wall-clock time simulated time 0 is written as, fixed
// so the same run gives a byte-identical capture.
var captureEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// attempts turns one strategy's kept allocation samples into the connection
// attempts a capture on the host would show.
func attempts(sc *sim.Scenario, r *sim.StrategyResult) []capture.Attempt {
	out := make([]capture.Attempt, 0, len(r.Samples))
	for _, a := range r.Samples {
		if at, ok := attemptOf(sc, a); ok {
			out = append(out, at)
		}
	}
	return out
}

// attemptOf is the connection attempt a capture on the host would show
// for an allocation attempt: a SYN per TCP connection, the first datagram
// per UDP flow. A failed allocation sent nothing.
func attemptOf(sc *sim.Scenario, a sim.Alloc) (capture.Attempt, bool) {
	if a.Port == 0 {
		return capture.Attempt{}, false
	}
	proto := capture.TCP
	if a.Kind == "udp" {
		proto = capture.UDP
	}
	dst := sc.DstAddr(a.Dst)
	return capture.Attempt{
		Time:    captureEpoch.Add(time.Duration(a.TimeSeconds * float64(time.Second))),
		Proto:   proto,
		Src:     sc.Srcs[a.Src%len(sc.Srcs)],
		SrcPort: a.Port,
		Dst:     dst.Addr(),
		DstPort: dst.Port(),
	}, true
}

// pcapPaths names one capture per strategy: path itself for a single
// strategy, else path with the strategy's name before the extension.
func pcapPaths(path string, res *sim.Result) []string {
	if len(res.Results) == 1 {
		return []string{path}
	}
	ext := filepath.Ext(path)
	base := strings.TrimSuffix(path, ext)
	paths := make([]string, len(res.Results))
	for i, r := range res.Results {
		paths[i] = base + "-" + fileSlug(r.Strategy) + ext
	}
	return paths
}

// fileSlug keeps a strategy spec's letters, digits, dots and dashes.
func fileSlug(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-':
			b.WriteRune(c)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// writeCaptures writes each strategy's attempts as pcapng and returns the
// paths. Only kept samples are written (--keep-allocations).
func writeCaptures(path string, sc *sim.Scenario, res *sim.Result) ([]string, error) {
	paths := pcapPaths(path, res)
	for i := range res.Results {
		var buf bytes.Buffer
		if err := capture.WritePcapng(&buf, attempts(sc, &res.Results[i])); err != nil {
			return nil, err
		}
		if err := writeFileAtomic(paths[i], buf.Bytes()); err != nil {
			return nil, err
		}
	}
	return paths, nil
}

// checkPcapPath refuses, before a run, a capture name that is not .pcapng
// (the only format written).
func checkPcapPath(path string) error {
	if path == "" {
		return nil
	}
	if ext := filepath.Ext(path); ext != ".pcapng" {
		return usagef("--pcap: %q; want a file name ending in .pcapng", path)
	}
	return nil
}
