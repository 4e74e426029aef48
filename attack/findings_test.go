package attack

import (
	"context"
	"strings"
	"testing"
)

func TestFindings(t *testing.T) {
	for _, tt := range []struct {
		attack string
		want   []string
	}{
		{Tracking, []string{"profile:linux-5.12: a web page found a device ID in 100% of the plays", "The paper's figure for 256 counters: about 10,240", "profile:macos: a web page found", "Every device gives the same ID"}},
		{Count, []string{"profile:linux-5.12: the estimate", "no better than guessing", "profile:macos: the estimate", "exact: the ports give the count away"}},
		{Guess, []string{"profile:macos: the first guess at the next port was right 9", "1 guess gave an even chance", "one race of 1000 spoofed answers"}},
	} {
		res, err := Run(context.Background(), tt.attack, browser(t, "profile:linux-5.12", "profile:macos"), with(func(c *Config) { c.Budget = 20_000 }))
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Join(Findings(res), "\n")
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s findings lack %q:\n%s", tt.attack, w, got)
			}
		}
	}
	res, _ := Run(context.Background(), Tracking, browser(t, "random"), with(func(c *Config) { c.Budget = 20_000 }))
	if got := Findings(res); len(got) != 1 || !strings.Contains(got[0], "no device ID within 20,000 connections a visit (1 counter)") {
		t.Errorf("tracking a random strategy: %q", got)
	}
}

func TestPercentAndGrouped(t *testing.T) {
	for x, want := range map[float64]string{0: "0.0%", 0.5: "50.0%", 0.0000354: "0.0035%", 0.004: "0.40%"} {
		if got := percent(x); got != want {
			t.Errorf("percent(%v) = %q; want %q", x, got, want)
		}
	}
	for n, want := range map[int]string{7: "7", 10240: "10,240", 2621440: "2,621,440"} {
		if got := grouped(n); got != want {
			t.Errorf("grouped(%d) = %q; want %q", n, got, want)
		}
	}
}
