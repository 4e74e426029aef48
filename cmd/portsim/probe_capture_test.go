package main

import (
	"bufio"
	"context"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/portsim/portsim/allocator"
	"github.com/portsim/portsim/observe/capture"
	"github.com/portsim/portsim/observe/fit"
	"github.com/portsim/portsim/observe/probe"
)

// A capture of this machine's own loopback traffic, taken by tcpdump while
// a probe connects, is analyzed as Linux's connect(): the check that the
// capture path (tcpdump → pcap → capture.ReadFile → fit.Analyze) agrees
// with the live kernel, not only with our own synthetic captures.
func TestLoopbackCaptureIsLinux(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the loopback capture check needs Linux")
	}
	tcpdump, err := exec.LookPath("tcpdump")
	if err != nil {
		t.Skip("tcpdump not installed; .ci/run installs it (apt-get install tcpdump)")
	}
	if rng := readPortRange(t); rng != allocator.LinuxRange {
		t.Skipf("ip_local_port_range is %v, not Linux's default %v that the linux profile models", rng, allocator.LinuxRange)
	}
	path := filepath.Join(t.TempDir(), "lo.pcap")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// SYNs without ACK only: the capture stays small whatever else is on lo.
	cmd := exec.CommandContext(ctx, tcpdump, "-i", "lo", "-B", "32768", "-U", "-n", "-w", path,
		"tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot start tcpdump: %v", err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		var lines []string
		for sc.Scan() {
			lines = append(lines, sc.Text())
			if strings.Contains(sc.Text(), "listening on") {
				ready <- ""
			}
		}
		ready <- strings.Join(lines, "\n")
	}()
	select {
	case msg := <-ready:
		if msg != "" {
			cmd.Wait()
			t.Skipf("tcpdump cannot capture on lo here (needs root or CAP_NET_RAW): %s", msg)
		}
	case <-time.After(10 * time.Second):
		t.Skip("tcpdump did not start listening within 10 s")
	}

	dsts := []netip.AddrPort{
		netip.MustParseAddrPort("127.0.0.1:0"),
		netip.MustParseAddrPort("127.0.0.2:0"),
		netip.MustParseAddrPort("127.0.0.3:0"),
	}
	res, err := probe.Run(ctx, probe.Config{Dsts: dsts, Count: 300, Kinds: []allocator.Kind{allocator.Connect}})
	if err != nil {
		cmd.Process.Signal(syscall.SIGINT)
		cmd.Wait()
		t.Skipf("cannot probe loopback here: %v", err)
	}
	time.Sleep(1500 * time.Millisecond) // the capture ring hands packets over in blocks, up to a second late
	cmd.Process.Signal(syscall.SIGINT)
	cmd.Wait()

	c, err := capture.ReadFile(path, capture.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	probed := map[uint16]bool{}
	for _, s := range res.Samples {
		probed[s.SrcPort] = true
	}
	seen := 0
	for a := range c.Attempts.All() {
		if probed[a.SrcPort] {
			seen++
		}
	}
	if seen < len(res.Samples)*9/10 {
		t.Fatalf("the capture holds %d of the probe's %d SYNs", seen, len(res.Samples))
	}
	// Keep the SYNs to the probe's own listeners: other tests may be
	// connecting over loopback at the same time.
	var ours []capture.Attempt
	for a := range c.Attempts.All() {
		if slices.Contains(res.Config.Dsts, netip.AddrPortFrom(a.Dst, a.DstPort)) {
			ours = append(ours, a)
		}
	}
	var host *fit.HostReport
	reports := fit.Analyze(capture.NewAttempts(ours), fit.AnalyzeOptions{})
	for i := range reports {
		r := &reports[i]
		if r.Host == netip.MustParseAddr("127.0.0.1") && r.Proto == capture.TCP {
			host = r
		}
	}
	if host == nil {
		t.Fatalf("no report for 127.0.0.1 TCP among %d", len(reports))
	}
	best := host.Best()
	if best == nil || !slices.Contains(best.Profiles, "linux (connect)") || best.Posterior < 0.9 {
		t.Fatalf("loopback capture analyzed as %s; want linux (connect) with posterior ≥ 0.9\n%s", host.Verdict(), host)
	}
	// The kernel's own SYNs carry Linux's signature: the OS is Linux 6.x,
	// ports and stack together.
	if host.OS == nil || host.OS.Profile != "linux" || !host.OS.Decided || host.Stack == nil || host.Stack.InitialTTL != 64 {
		t.Errorf("loopback capture's OS: %v; want linux, decided, from a stack with initial TTL 64", host.OS)
	}
	t.Logf("%d SYNs captured, %d of the probe's %d (truncated %v); %s; os: %v", c.Attempts.Len(), seen, len(res.Samples), c.Truncated, host.Verdict(), host.OS)
}

// readPortRange reads the port range the probe would read.
func readPortRange(t *testing.T) allocator.Range {
	t.Helper()
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		t.Skipf("cannot read ip_local_port_range: %v", err)
	}
	r, err := allocator.ParseRange(strings.Join(strings.Fields(string(b)), "-"))
	if err != nil {
		t.Skipf("ip_local_port_range %q: %v", b, err)
	}
	return r
}
