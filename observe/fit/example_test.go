package fit_test

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/portsim/portsim/observe/capture"
	"github.com/portsim/portsim/observe/fit"
)

// A host whose TCP source ports climb by one from connection to
// connection, whatever the destination, has one cursor for the whole
// host: macOS's TCP, and the other profiles with the same model.
func ExampleAnalyze() {
	src := netip.MustParseAddr("192.0.2.7")
	dsts := []netip.AddrPort{
		netip.MustParseAddrPort("198.51.100.1:443"),
		netip.MustParseAddrPort("198.51.100.2:443"),
		netip.MustParseAddrPort("203.0.113.9:80"),
	}
	t0 := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	turn := []int{0, 0, 1, 0, 2} // the first server is the busiest
	var attempts []capture.Attempt
	for i := range 60 {
		d := dsts[turn[i%len(turn)]]
		attempts = append(attempts, capture.Attempt{
			Time:  t0.Add(time.Duration(i) * 700 * time.Millisecond),
			Proto: capture.TCP, Src: src, SrcPort: uint16(62390 + i),
			Dst: d.Addr(), DstPort: d.Port(),
		})
	}
	for _, r := range fit.Analyze(capture.NewAttempts(attempts), fit.AnalyzeOptions{}) {
		fmt.Printf("%v %v: %d attempts, ports %d-%d, %.1f bits: %s\n", r.Host, r.Proto, r.Count, r.PortMin, r.PortMax, r.Bits, r.Rating)
		fmt.Println(r.Verdict())
	}
	// Output:
	// 192.0.2.7 tcp: 60 attempts, ports 62390-62449, 5.9 bits: POOR
	// best: macos (connect), 1.00 [same model: macos (bind), windows (connect, bind), ns3 (connect, bind)]; runner-up: netbsd:algo=hash (connect) 2e-09
}
