package main

import (
	"bufio"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/portsim/portsim/observe/capture"
	"github.com/portsim/portsim/sim"
	"github.com/portsim/portsim/strategies"
)

// captureEpoch is the wall-clock time simulated time 0 is written as, fixed
// so the same run gives a byte-identical capture.
var captureEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// attemptOf is the connection attempt a capture on the host would show
// for an allocation attempt: a SYN per TCP connection, the first datagram
// per UDP flow. A failed allocation sent nothing. Behind a gateway the
// capture is taken outside it, as a server would see the hosts: the public
// address and port, and nothing for a flow the gateway dropped.
func attemptOf(sc *sim.Scenario, a sim.Alloc) (capture.Attempt, bool) {
	if a.Port == 0 {
		return capture.Attempt{}, false
	}
	src, sport := sc.Srcs[a.Src%len(sc.Srcs)], a.Port
	if sc.Gateway != "" {
		if a.PublicPort == 0 {
			return capture.Attempt{}, false
		}
		src, sport = sc.PublicAddr(a.PublicAddr), a.PublicPort
	}
	proto := capture.TCP
	if a.Kind == "udp" {
		proto = capture.UDP
	}
	dst := sc.DstAddr(a.Dst)
	return capture.Attempt{
		// Through the float seconds the samples carry, so that a capture
		// and allocations.csv agree to the nanosecond.
		Time:    captureEpoch.Add(time.Duration(a.TimeSeconds * float64(time.Second))),
		Proto:   proto,
		Src:     src,
		SrcPort: sport,
		Dst:     dst.Addr(),
		DstPort: dst.Port(),
	}, true
}

// pcapPaths names one capture per strategy: path itself for a single
// strategy, else path with the strategy's name before the extension.
func pcapPaths(path string, strategies []string) []string {
	if len(strategies) == 1 {
		return []string{path}
	}
	ext := filepath.Ext(path)
	base := strings.TrimSuffix(path, ext)
	paths := make([]string, len(strategies))
	for i, s := range strategies {
		paths[i] = base + "-" + fileSlug(s) + ext
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

// captureFiles stream each strategy's attempts into a pcapng file of its
// own as the run makes them, so memory does not grow with the run: one
// file per strategy, each written from that strategy's goroutine under a
// temporary name and renamed into place by commit.
type captureFiles struct {
	path  string // as --pcap names it
	sc    *sim.Scenario
	files []*captureFile
}

type captureFile struct {
	f  *atomicFile
	bw *bufio.Writer
	pw *capture.PcapngWriter
}

// createCaptures opens the temporary files for sc's strategies' captures
// named after path (pcapPaths). A profile's capture has its system's SYN
// shape.
func createCaptures(path string, sc *sim.Scenario) (*captureFiles, error) {
	c := &captureFiles{path: path, sc: sc}
	for i, p := range pcapPaths(path, sc.Strategies) {
		f, err := createAtomic(p)
		if err != nil {
			c.abort()
			return nil, err
		}
		cf := &captureFile{f: f, bw: bufio.NewWriterSize(f, 256<<10)}
		c.files = append(c.files, cf)
		if cf.pw, err = capture.NewPcapngWriter(cf.bw); err != nil {
			c.abort()
			return nil, err
		}
		if s, ok := profileStack(sc.Strategies[i], sc.IPv6); ok {
			if err := cf.pw.SetStack(s, capture.IPIDRandom); err != nil {
				c.abort()
				return nil, fmt.Errorf("%s: %w", sc.Strategies[i], err)
			}
		}
	}
	return c, nil
}

// profileStack is the SYN shape of the system a profile spec names, and
// whether there is one: a strategy alone, or a profile without a
// reference signature, is written with the default SYN. The profile's
// MSS is Ethernet's over IPv4; over IPv6 the 20 bytes more of IP header
// take it 20 lower, and a window counted in segments with it. A
// signature of the TTL alone keeps the default SYN's TCP fields.
func profileStack(spec string, ipv6 bool) (capture.Stack, bool) {
	name, ok := strategies.IsProfileSpec(spec)
	if !ok {
		return capture.Stack{}, false
	}
	p, err := strategies.LookupProfile(name)
	if err != nil || !p.Stack.Known() {
		return capture.Stack{}, false // the run checked the spec
	}
	st := p.Stack
	if st.Options == "" {
		mss := uint16(1460)
		if ipv6 {
			mss = 1440
		}
		return capture.Stack{TTL: st.TTL, DF: st.DF, Window: 64240, MSS: mss, WScale: -1, Options: "mss"}, true
	}
	mss := st.MSS
	if ipv6 && mss > 20 {
		mss -= 20
	}
	return capture.Stack{TTL: st.TTL, DF: st.DF, Window: st.WindowFor(mss), MSS: mss, WScale: st.WScale, Options: st.Options}, true
}

// attempts is the sim.Options hook that writes strategy i's attempts.
func (c *captureFiles) attempts(i int) func(sim.Alloc) error {
	w := c.files[i].pw
	return func(a sim.Alloc) error {
		at, ok := attemptOf(c.sc, a)
		if !ok {
			return nil
		}
		return w.Write(at)
	}
}

// commit finishes the files and renames them into place, removing the
// captures an earlier run wrote under the same name and this one did not
// (replacePcaps); it returns their paths.
func (c *captureFiles) commit() ([]string, error) {
	var paths []string
	for i, cf := range c.files {
		err := cf.pw.Flush()
		if err == nil {
			err = cf.bw.Flush()
		}
		if err == nil {
			err = cf.f.commit()
			c.files[i] = nil
		}
		if err != nil {
			c.abort()
			return nil, err
		}
		paths = append(paths, cf.f.path)
	}
	return paths, replacePcaps(c.path, paths)
}

// abort removes the files not committed.
func (c *captureFiles) abort() {
	for i, cf := range c.files {
		if cf != nil {
			cf.f.abort()
			c.files[i] = nil
		}
	}
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
