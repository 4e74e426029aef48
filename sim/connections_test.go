package sim

import (
	"context"
	"testing"
)

// Connections yields the arrivals Run allocates, in order: the same times,
// destinations, sources and kinds.
func TestConnectionsAreRunsArrivals(t *testing.T) {
	sc := scenario(t, "rate", "300", "duration", "5s", "warmup", "0s", "destinations", "7", "popularity", "zipf:1.1",
		"src", "10.0.0.1,10.0.0.2", "kind", "connect=0.7,udp=0.3", "close", "client=0.5,reset=0.5", "strategy", "random")
	res, err := Run(context.Background(), sc, Options{KeepSamples: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	samples := res.Results[0].Samples
	n := 0
	for c := range sc.Connections() {
		if n >= len(samples) {
			t.Fatalf("more connections than Run's %d attempts", len(samples))
		}
		a := samples[n]
		if c.At.Seconds() != a.TimeSeconds || c.DstIndex != a.Dst || c.Src != sc.Srcs[a.Src] || c.Kind.String() != a.Kind {
			t.Fatalf("connection %d is %+v; Run made %+v", n+1, c, a)
		}
		if c.Dst != sc.DstAddr(c.DstIndex) {
			t.Fatalf("connection %d: Dst %v; want DstAddr(%d) = %v", n+1, c.Dst, c.DstIndex, sc.DstAddr(c.DstIndex))
		}
		n++
	}
	if n != len(samples) {
		t.Errorf("%d connections; Run made %d attempts", n, len(samples))
	}
	if n < 1000 {
		t.Errorf("only %d connections; want a run of about 1500", n)
	}
}
